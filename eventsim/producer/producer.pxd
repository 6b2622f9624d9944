# Compiled build only (setup.py): C-level attributes for KafkaProducer (see producer.py), so that its
# sender and the request path read the producer's fields without an attribute lookup.
cimport cython

from eventsim.core.environment cimport Environment
from eventsim.metrics.recorder cimport Recorder
from eventsim.producer.producer_batch cimport ProducerBatch
from eventsim.producer.record_accumulator cimport RecordAccumulator
from eventsim.producer.transaction_manager cimport TransactionManager


@cython.locals(s=double, acc=double, i=Py_ssize_t, sv=double, a=double, f=double)
cpdef void _lindley_loop(const double[:] create, const double[:] service, double free, double[::1] out) except *

@cython.locals(n=Py_ssize_t, scale=double, i=Py_ssize_t, b=Py_ssize_t, lo=Py_ssize_t, hi=Py_ssize_t, j=Py_ssize_t,
               x=double)
cpdef void _sort_uniform_loop(const double[::1] u, double t0, double t1, long long[::1] starts,
                              double[::1] out) except *

@cython.locals(n=Py_ssize_t, i=Py_ssize_t, p=Py_ssize_t, r=Py_ssize_t, at_create=Py_ssize_t, at_append=Py_ssize_t,
               at_id=Py_ssize_t, at_key=Py_ssize_t, at_value=Py_ssize_t)
cpdef void _sort_rows_loop(const long long[:] parts, const double[:] create, const double[:] appended,
                           const long long[:] rids, const long long[:] keys, const long long[:] values,
                           const long long[:] sizes, long long[::1] bounds, double[:, ::1] records,
                           long long[::1] sorted_sizes, long long[::1] sorted_values) except *


cdef class KafkaProducer:
    cdef public Environment env
    cdef public object cluster
    cdef public object spec
    cdef public object config
    cdef public object instance
    cdef public object index
    cdef public str client_id
    cdef public Recorder recorder
    cdef public object host
    cdef public object key_table
    cdef public object topic
    cdef public list tps
    cdef public object codec
    cdef public dict _conn
    cdef public object metadata
    cdef public RecordAccumulator accumulator
    cdef public object transaction_manager
    cdef public object sender
    cdef public object rng_arrivals
    cdef public object rng_keys
    cdef public object rng_values
    cdef public object partitioner
    cdef public double rate_per_ms
    cdef public object record_cpu_ms
    cdef public object magic
    cdef public double crc_ms_per_byte
    cdef public long long inflight_alloc
    cdef public object next_seq
    cdef public double app_free_ms
    cdef public object _memory_freed
    cdef public long long _freed_since_block
    cdef public long long _wake_bytes
    cdef public double blocked_ms
    cdef public object jvm
    cdef public object cpu_rng
    cdef public double cpu_sigma
    cdef public object _drawn_until
    cdef public double _stop_ms
    cdef public double _phase

    @cython.locals(freed=cython.longlong, tm=TransactionManager, b=ProducerBatch)
    cpdef batches_done(self, list batches, req, double now)

    cpdef _free(self, long long nbytes)

    cpdef connection(self, node)
