# Compiled build only (setup.py): C-level attributes for the idempotent producers' state (see
# producer_state.py), so the leader's per-batch check before an append is a C call.
cimport cython


cdef class ProducerStateEntry:
    cdef public object producer_id
    cdef public long long producer_epoch
    cdef public list batches
    cdef public long long last_seq

    @cython.locals(batches=list)
    cpdef add_batch(self, long long epoch, long long first_seq, long long last_seq, long long first_offset,
                    long long last_offset, double timestamp_ms)


cpdef bint in_sequence(long long last_seq, long long next_seq)


cdef class ProducerStateManager:
    cdef public dict producers

    @cython.locals(entry=ProducerStateEntry)
    cpdef append(self, producer_id, long long epoch, long long first_seq, long long last_seq,
                 long long first_offset, long long last_offset, double timestamp_ms)

    @cython.locals(entry=ProducerStateEntry)
    cpdef validate(self, producer_id, long long epoch, long long first_seq, long long last_seq,
                   long long first_offset, long long count, double timestamp_ms)
