# Compiled build only (setup.py): C-level attributes for LogManager (see log_manager.py).
cimport cython

from eventsim.core.stations cimport Station
from eventsim.log.log cimport Log


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

    @cython.locals(disk=Station, backlog=double)
    cpdef double write_back(self, Py_ssize_t d, long long nbytes, double end, double rate) except? -1.0

    @cython.locals(disk=Station, written=double)
    cpdef double flush(self, Log log, long long nbytes, long long count, double end, double rate, bint appended=*) except? -1.0
