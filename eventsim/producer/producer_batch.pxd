# Compiled build only (setup.py): C-level attributes for ProducerBatch (see producer_batch.py); the fields
# a broker reads are MemoryRecords' (eventsim/protocol.pxd).

from eventsim.protocol cimport MemoryRecords


cdef class ProducerBatch(MemoryRecords):
    cdef public Py_ssize_t alloc_bytes
    cdef public double drained_ms
    cdef public Py_ssize_t attempts
    cdef public long long base_offset
    cdef public object producer
    cdef public bint sequence_reset
    cdef public double retry_backoff_ms
    cdef public object txn


cpdef ProducerBatch fill_producer_batch(ProducerBatch b, object tp, object records, Py_ssize_t records_bytes,
                                        Py_ssize_t wire_bytes, Py_ssize_t alloc_bytes, object producer,
                                        long long value_total, Py_ssize_t header_bytes, double max_timestamp_ms)
