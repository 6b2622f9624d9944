# Compiled build only (setup.py): C-level attributes for Segment and Log (see log.py).
cimport cython

from eventsim.log.producer_state cimport ProducerStateManager
from eventsim.protocol cimport MemoryRecords, RecordBatch, fill_record_batch


@cython.locals(lo=Py_ssize_t, hi=Py_ssize_t, mid=Py_ssize_t, b=RecordBatch)
cpdef Py_ssize_t _bisect_right(list a, long long x) except -1


cdef Py_ssize_t _TRIM_AT

cdef class Segment:
    cdef public long long base_offset
    cdef public long long next_offset
    cdef public long long size_bytes
    cdef public double created_ms
    cdef public object first_timestamp_ms
    cdef public double max_timestamp_ms


cdef class Log:
    # Field order is memory order: what a fetch and an append read comes first, so that a log touched
    # once in a while (a large cluster holds thousands) costs fewer cache lines.
    cdef public long long log_end_offset
    cdef public long long high_watermark
    cdef public long long _stored
    cdef public long long last_read_bytes
    cdef public list batches
    cdef public list _cum
    cdef public long long size_bytes
    cdef public list fetch_watchers
    cdef public object produce_waiters
    # What an append reads besides (``_add``), next: a follower's log is touched only by its appends.
    cdef public Segment _active
    cdef public long long segment_bytes
    cdef public double segment_ms
    cdef public long long appended_records
    cdef public long long _epoch_top
    cdef public bint hw_follows_leo
    cdef public bint pinned
    cdef public bint flush_policy
    cdef public object durability
    cdef public object writeback
    cdef public Py_ssize_t disk
    cdef public object producer_state
    cdef public dict _readers
    cdef public list segments
    cdef public list leader_epochs
    cdef public long long max_message_bytes
    cdef public long long log_start_offset
    cdef public object codec
    cdef public object tp
    cdef public object config
    cdef public long long deleted_segments
    cdef public long long unflushed_messages
    cdef public double last_flush_ms
    cdef public long long flushed_offset
    cdef public long long _pruned_end
    cdef public object expired
    cdef public long long expired_duplicates

    cpdef RecordBatch append(self, MemoryRecords batch, double now_ms, long long leader_epoch=*,
                             long long stored_bytes=*)

    @cython.locals(entry=RecordBatch, pid=cython.longlong, last=cython.longlong, state=ProducerStateManager,
                   int_max=cython.longlong)
    cpdef append_entries(self, entries, double now_ms)

    @cython.locals(base=cython.longlong, seg=Segment, batch_ts=double, nbytes=cython.longlong, first_ts=double,
                   roll=bint)
    cpdef _add(self, RecordBatch entry, double now_ms)

    @cython.locals(first=RecordBatch)
    cpdef advance_reader(self, reader, long long offset)

    @cython.locals(low=cython.longlong, k=Py_ssize_t, cut=Py_ssize_t, kth=RecordBatch)
    cpdef _trim(self)

    cpdef _epochs_below(self, long long offset)

    @cython.locals(hw=cython.longlong, i=Py_ssize_t, j=Py_ssize_t, top=cython.longlong, batches=list)
    cpdef long long bytes_after(self, long long offset, long long max_offset=*) except? -1

    @cython.locals(hw=cython.longlong, i=Py_ssize_t, k=Py_ssize_t, size=cython.longlong, b=RecordBatch,
                   j=Py_ssize_t, batches=list)
    cpdef list read_counted(self, long long offset, long long max_bytes, bint min_one=*,
                            long long max_offset=*)
