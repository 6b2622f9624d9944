# Compiled build only (setup.py): C-level attributes for Sender (see sender.py).
cimport cython

from eventsim.core.backoff cimport ReconnectBackoff
from eventsim.core.environment cimport Environment
from eventsim.broker.broker cimport Broker
from eventsim.network cimport Network
from eventsim.producer.producer cimport KafkaProducer
from eventsim.producer.producer_batch cimport ProducerBatch
from eventsim.producer.record_accumulator cimport RecordAccumulator
from eventsim.producer.transaction_manager cimport TransactionManager
from eventsim.protocol cimport ProduceRequest, fill_produce_request

cdef long long _PRODUCE_REQUEST_OVERHEAD


cdef double INF  # a C number: comparisons with it need no float object

cdef class Sender:
    cdef public object response_cb
    cdef public object _on_timer_cb
    cdef public object _run_cb
    cdef public object _complete_cb
    cdef public double window
    cdef public dict _stream_ms
    cdef public ReconnectBackoff _reconnect
    cdef public KafkaProducer producer
    cdef public list _brokers
    cdef public Network network
    cdef public Environment env
    cdef public Py_ssize_t max_in_flight
    cdef public long long max_request_size
    cdef public double request_timeout_ms
    cdef public double delivery_timeout_ms
    cdef public object retries
    cdef public int acks
    cdef public dict in_flight
    cdef public list _queues
    cdef public long long[::1] _node_ids
    cdef public object _codec_wire
    cdef public bint _asleep
    cdef public double _timer_at
    cdef public long long requests_sent
    cdef public str _topic_name
    cdef public TransactionManager transaction_manager
    cdef public set _expired
    cdef public double paused_until

    @cython.locals(p=KafkaProducer, b=ProducerBatch, req=ProduceRequest, broker=Broker, wire=cython.longlong,
                   records=cython.longlong, tx_end=double, delivered=double, new_batches=cython.longlong,
                   new_records=cython.longlong, new_bytes=cython.longlong, new_alloc=cython.longlong)
    cpdef _send(self, node, list batches, double now)

    cpdef run(self)

    @cython.locals(acc=RecordAccumulator, producer=KafkaProducer, next_ms=double, r=double, retry=double,
                   mif=Py_ssize_t, tm=TransactionManager, brokers=list, broker=Broker, queues=list,
                   i=Py_ssize_t, node=Py_ssize_t, q=list, k=Py_ssize_t,
                   rows=Py_ssize_t, exhausted=bint, ids=cython.longlong[::1], ready_at=double[::1],
                   dirty=cython.uchar[::1])
    cpdef _drain_ready(self, double now)

    cpdef _arm(self, double when_ms)

    cpdef _on_timer(self, double when_ms)

    cpdef wakeup(self)

    cpdef on_produce_response(self, ProduceRequest req)

    @cython.locals(p=KafkaProducer, b=ProducerBatch, was_full=bint, q=list, now=double, batches=list,
                   i=Py_ssize_t, off=cython.longlong, tm=TransactionManager)
    cpdef complete(self, ProduceRequest req)
