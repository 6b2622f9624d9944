# Compiled build only (setup.py): C-level attributes for the idempotent producers' state (see
# producer_state.py), so the leader's per-batch check before an append is a C call.
cimport cython


cdef class ProducerStateEntry:
    cdef public object producer_id
    cdef public long long producer_epoch
    cdef public long long last_seq
    cdef public Py_ssize_t count
    cdef public Py_ssize_t start
    # NUM_BATCHES_TO_RETAIN (5) batches, a ring from ``start``: four numbers each, and a timestamp.
    cdef public long long _meta[20]
    cdef public double _ts[5]

    @cython.locals(n=Py_ssize_t)
    cpdef keep_below(self, long long offset)

    cpdef Py_ssize_t _slot(self, Py_ssize_t i)

    @cython.locals(n=Py_ssize_t, slot=Py_ssize_t, k=Py_ssize_t, retain=Py_ssize_t)
    cpdef add_batch(self, long long epoch, long long first_seq, long long last_seq, long long first_offset,
                    long long last_offset, double timestamp_ms)


cpdef bint in_sequence(long long last_seq, long long next_seq)


cdef class ProducerStateManager:
    cdef public dict producers
    cdef public list _by_pid

    cdef _entry(self, long long producer_id)

    cdef ProducerStateEntry _add(self, long long producer_id, long long epoch)

    @cython.locals(entry=ProducerStateEntry)
    cpdef append(self, long long producer_id, long long epoch, long long first_seq, long long last_seq,
                 long long first_offset, long long last_offset, double timestamp_ms)

    @cython.locals(entry=ProducerStateEntry)
    cpdef validate(self, long long producer_id, long long epoch, long long first_seq, long long last_seq,
                   long long first_offset, long long count, double timestamp_ms)
