# Compiled build only (setup.py): C-level attributes for the idempotent producer's state (see
# transaction_manager.py), so the accumulator's drain and the sender's completions read a partition's
# entry directly.
cimport cython

from eventsim.producer.producer_batch cimport ProducerBatch


cdef class TxnPartitionEntry:
    cdef public object tp
    cdef public object queue
    cdef public long long producer_id
    cdef public long long producer_epoch
    cdef public long long next_sequence
    cdef public long long last_acked_sequence
    cdef public list in_flight
    cdef public long long unresolved
    cdef public bint blocked_new


cdef class TransactionManager:
    cdef public object _init_producer_id
    cdef public object accumulator
    cdef public long long producer_id
    cdef public long long producer_epoch
    cdef public object epoch_bump_required
    cdef public list partitions_to_rewrite
    cdef public dict partitions
    cdef public dict unresolved
    cdef public object epoch_bumps
    cdef public object wake

    @cython.locals(e=TxnPartitionEntry, in_flight=list, last=cython.longlong, int_max=cython.longlong)
    cpdef completed(self, ProducerBatch batch)
