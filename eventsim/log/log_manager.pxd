# Compiled build only (setup.py): C-level attributes for LogManager (see log_manager.py).
cimport cython

from eventsim.core.environment cimport Environment
from eventsim.core.stations cimport Station
from eventsim.log.log cimport Log
from eventsim.metrics.timeseries cimport window_of


cdef class LogManager:
    cdef public list disks
    cdef public double dirty_limit_bytes
    cdef public double page_cache_bytes
    cdef public double page_cache_per_log
    cdef public dict logs
    cdef public bint recompressing
    cdef public bint flushing
    cdef public double slow_start
    cdef public double slow_end
    cdef public double slow_factor
    cdef public Environment env
    cdef public bint writeback
    cdef public double background_bytes
    cdef public double freerun_bytes
    cdef public double write_rate
    cdef public long long chunk_bytes
    cdef public long long flusher_chunk_bytes
    cdef public long long[::1] dirty
    cdef public list bucket_index
    cdef public list bucket_bytes
    cdef public long long[::1] inflight
    cdef public list inflight_from
    cdef public list expire_before
    cdef public double[::1] pace
    cdef public list generation
    cdef public list lost_ms
    cdef public list lost_written_before
    cdef public list written_back_bytes
    cdef public list writeback_chunks
    cdef public double throttled_ms
    cdef public long long[::1] _open_index
    cdef public long long[::1] _open_bytes

    @cython.locals(held=cython.longlong)
    cpdef _settle(self, Py_ssize_t d)
    cdef public long long[::1] _pending
    cdef public list _pending_order

    cpdef add_pending(self, Py_ssize_t d, long long nbytes)

    @cython.locals(order=list, i=Py_ssize_t, d=Py_ssize_t)
    cpdef double write_back_pending(self, double end, double rate) except? -1.0

    @cython.locals(order=list, i=Py_ssize_t)
    cpdef drop_pending(self)

    @cython.locals(disk=Station, backlog=double)
    cpdef double write_back(self, Py_ssize_t d, long long nbytes, double end, double rate) except? -1.0

    @cython.locals(dirty=double, limit=double, r=double, start=double, pause=double)
    cpdef double throttle_ms(self, Py_ssize_t d, long long nbytes, double end, double rate) except? -1.0

    @cython.locals(pause=double, index=cython.longlong, indices=object, held=cython.longlong)
    cpdef double dirty_pages(self, Py_ssize_t d, long long nbytes, double end, double rate) except? -1.0

    @cython.locals(disk=Station, written=double)
    cpdef double flush(self, Log log, long long nbytes, long long count, double end, double rate, bint appended=*) except? -1.0
