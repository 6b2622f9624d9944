# Compiled build only (setup.py): C-level attributes for Sender (see sender.py).
cimport cython

from eventsim.producer.producer_batch cimport ProducerBatch


cdef class Sender:
    cdef public double window
    cdef public dict _stream_ms
    cdef public dict _reconnect
    cdef public object producer
    cdef public object env
    cdef public object max_in_flight
    cdef public object max_request_size
    cdef public double request_timeout_ms
    cdef public double delivery_timeout_ms
    cdef public object retries
    cdef public int acks
    cdef public dict in_flight
    cdef public object _codec_wire
    cdef public bint _asleep
    cdef public double _timer_at
    cdef public long long requests_sent
    cdef public object transaction_manager
    cdef public set _expired

    @cython.locals(b=ProducerBatch)
    cpdef _send(self, node, list batches, double now)

    cpdef run(self)

    cpdef wakeup(self)
