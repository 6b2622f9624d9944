# Compiled build only (setup.py): C-level attributes for RecordBatch (see protocol.py).

cdef class RecordBatch:
    cdef public long long base_offset
    cdef public long long next_offset
    cdef public Py_ssize_t count
    cdef public Py_ssize_t stored_bytes
    cdef public object records
    cdef public long long value_total
    cdef public double log_append_ms
    cdef public long long partition_leader_epoch
    cdef public long long producer_id
    cdef public long long producer_epoch
    cdef public long long base_sequence
