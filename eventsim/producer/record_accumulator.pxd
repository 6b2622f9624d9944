# Compiled build only (setup.py): C-level attributes for the classes of record_accumulator.py, so the
# drain loop reads and writes a partition queue's fields directly. The .py stays the source of truth.
cimport cython

from eventsim.producer.partition_queue cimport PartitionQueue
from eventsim.producer.producer_batch cimport ProducerBatch, fill_producer_batch
from eventsim.producer.transaction_manager cimport TransactionManager, TxnPartitionEntry


ctypedef fused _sorted:
    double
    long long


@cython.locals(mid=Py_ssize_t)
cdef Py_ssize_t _first_above(_sorted[::1] a, _sorted x, Py_ssize_t lo, Py_ssize_t hi) except -1


cdef double INF  # a C number: comparisons with it need no float object

cdef class RecordAccumulator:
    cdef public object batch_size
    cdef public Py_ssize_t header_bytes
    cdef public double linger_ms
    cdef public double retry_backoff_ms
    cdef public double retry_backoff_max_ms
    cdef public object backoff
    cdef public object rng
    cdef public object transaction_manager
    cdef public double compression_ratio
    cdef public double fill_limit
    cdef public dict queues
    cdef public dict by_node
    cdef public dict drain_index
    cdef public bint exhausted
    cdef public double[::1] _ready_at
    cdef public unsigned char[::1] _dirty
    cdef public double[:, ::1] _ready_grid
    cdef public double[:, ::1] _arrival_grid
    cdef public double[:, ::1] _oldest_grid
    cdef public unsigned char[:, ::1] _due_grid
    cdef public double[::1] _arrival_min

    @cython.locals(best=double, t=double, i=Py_ssize_t, k=Py_ssize_t, n=Py_ssize_t)
    cpdef double node_ready_ms(self, Py_ssize_t node) except? -1.0

    @cython.locals(old=double, new=double, cur=double, i=Py_ssize_t)
    cpdef _update(self, PartitionQueue pq)

    @cython.locals(first=double, k=Py_ssize_t, i=Py_ssize_t)
    cpdef double oldest_create_ms(self) except? -1.0

    @cython.locals(first=double)
    cdef double _oldest_of(self, PartitionQueue pq) except? -1.0

    @cython.locals(p=Py_ssize_t, lo=Py_ssize_t, hi=Py_ssize_t, queues=dict)
    cpdef append_sorted(self, list tps, list bounds, const double[:, ::1] block, const long long[:] sizes,
                        const long long[:] values)

    cdef _await(self, Py_ssize_t k, Py_ssize_t slot, double t)

    @cython.locals(was_empty=bint)
    cdef _append_rows(self, PartitionQueue pq, const double[:, ::1] block, const long long[:] sizes,
                      const long long[:] values, Py_ssize_t lo, Py_ssize_t hi)

    @cython.locals(h=Py_ssize_t, n=Py_ssize_t, j=Py_ssize_t, top=Py_ssize_t, limit=double, full_ms=double,
                   linger_at=double, e=TxnPartitionEntry, base=cython.longlong, fill=cython.longlong)
    cpdef _refresh_ready(self, PartitionQueue pq)

    @cython.locals(pq=PartitionQueue, k=Py_ssize_t, start=Py_ssize_t, i=Py_ssize_t, idx=Py_ssize_t,
                   h=Py_ssize_t, end=Py_ssize_t, b=ProducerBatch, batch=ProducerBatch, e=TxnPartitionEntry,
                   tm=TransactionManager, size=cython.longlong, raw=cython.longlong, value_total=cython.longlong,
                   wire=cython.longlong, alloc=cython.longlong, batch_size=cython.longlong, seq=cython.longlong,
                   pqs=list, batches=list, row=Py_ssize_t, idx_=Py_ssize_t, step=Py_ssize_t,
                   least=double, t=double, int_max=cython.longlong, header=cython.longlong)
    cpdef list drain_node(self, node, double now, long long max_request_size, producer, codec_wire_bytes=*)
