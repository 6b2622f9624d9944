# Compiled build only (setup.py): C-level attributes for ProduceRequest and Sender (see sender.py).
cimport cython

from eventsim.producer.producer_batch cimport ProducerBatch


cdef class ProduceRequest:
    cdef public object producer
    cdef public object node
    cdef public list batches
    cdef public long long wire_bytes
    cdef public long long records
    cdef public double send_ms
    cdef public double arrive_ms
    cdef public double queue_ms
    cdef public double start_ms
    cdef public double done_ms
    cdef public bint timed_out
    cdef public int acks
    cdef public object errors
    cdef public object conn
    cdef public object producer_state
    cdef public double timeout_ms
    cdef public object base_offsets
    cdef public double replicated_ms
    cdef public object new_leaders
    cdef public object stored_bytes


cdef class Sender:
    cdef public double window
    cdef public dict _stream_ms
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
    cdef public object _wake
    cdef public double _timer_at
    cdef public long long requests_sent
    cdef public object transaction_manager

    @cython.locals(b=ProducerBatch)
    cpdef _send(self, node, list batches, double now)
