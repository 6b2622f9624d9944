# Compiled build only (setup.py): C-level attributes for the Recorder (see recorder.py), so that the
# request path's calls into it (an acknowledged request, a poll) read its buffers without a dictionary.

cimport cython

from eventsim.producer.producer_batch cimport ProducerBatch
from eventsim.protocol cimport MemoryRecords, ProduceRequest


cdef class TopicMetrics:
    cdef public object offered
    cdef public object produced
    cdef public object bytes_produced
    cdef public object acked
    cdef public object bytes_acked
    cdef public object consumed
    cdef public object bytes_consumed
    cdef public object produce_latency
    cdef public object e2e_latency
    cdef public dict failed
    cdef public object failed_series
    cdef public object send_blocked
    cdef public long long batches
    cdef public long long batch_records
    cdef public long long batch_bytes
    cdef public long long requests
    cdef public long long consumed_duplicate


cdef class PolledColumns:
    cdef public str topic
    cdef public object group
    cdef public object seen
    cdef public Py_ssize_t n
    cdef public object _ints
    cdef public long long[:, ::1] _ints_view
    cdef public object _times
    cdef public double[:, ::1] _times_view
    cdef public list records
    cdef public bint pending

    @cython.locals(k=Py_ssize_t)
    cpdef add(self, long long count, double now, double arrived, double appended, long long vbytes, records)


cdef class Recorder:
    cdef public double window_ms
    cdef public double sample_rate
    cdef public object _threshold
    cdef public dict topics
    cdef public dict stages
    cdef public Py_ssize_t retries
    cdef public dict deleted_bytes
    cdef public object history
    cdef public object _acked
    cdef public double[:, ::1] _acked_view
    cdef public object _acked_per_request
    cdef public long long[::1] _acked_reps
    cdef public Py_ssize_t _acked_n
    cdef public list _acked_batches
    cdef public list _unanswered
    cdef public dict _polled
    cdef public list _consume_order
    cdef public Py_ssize_t _consumed_n
    cdef public list _processing
    cdef public dict _processing_fixed
    cdef public object _fixed_key
    cdef public double _fixed_value
    cdef public long long _fixed_count
    cdef public list _produce_rows
    cdef public list _consume_rows
    cdef public list partition_rows
    cdef public list replica_rows
    cdef public list replication_rows
    cdef public list lag_rows

    cpdef TopicMetrics topic(self, str name)

    @cython.locals(tm=TopicMetrics)
    cpdef request_sent(self, str topic, long long new_batches, long long new_records, long long new_bytes)

    @cython.locals(k=Py_ssize_t)
    cpdef request_acked(self, ProduceRequest req, list batches, double now)

    cpdef consumed(self, PolledColumns cols, long long n, processing)

    @cython.locals(b=MemoryRecords, view="double[:, ::1]", j=Py_ssize_t)
    cpdef _counts_and_values(self, list batches, rows)

    @cython.locals(view="long long[:, ::1]", j=Py_ssize_t, b=ProducerBatch)
    cpdef object _batch_fields(self, list items, list picks)

    cpdef _spill_fixed(self)
