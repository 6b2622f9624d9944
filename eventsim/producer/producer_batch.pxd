# Compiled build only (setup.py): C-level attributes for ProducerBatch (see producer_batch.py).

cdef class ProducerBatch:
    cdef public object tp
    cdef public object records
    cdef public Py_ssize_t count
    cdef public Py_ssize_t size_bytes
    cdef public Py_ssize_t header_bytes
    cdef public Py_ssize_t wire_bytes
    cdef public Py_ssize_t alloc_bytes
    cdef public double drained_ms
    cdef public Py_ssize_t attempts
    cdef public long long base_offset
    cdef public object producer
    cdef public long long value_total
    cdef public long long producer_id
    cdef public long long producer_epoch
    cdef public long long base_sequence
    cdef public bint sequence_reset
    cdef public double retry_backoff_ms
