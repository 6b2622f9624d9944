# Compiled build only (setup.py): C-level attributes for the purgatories (see purgatory.py).

cdef class Purgatory:
    cdef public object env
    cdef public object _complete
    cdef public dict watchers
    cdef public list _deadlines
    cdef public long long _seq
    cdef public double _timer_at
    cdef public long long parked


cdef class DelayedFetchPurgatory(Purgatory):
    pass
