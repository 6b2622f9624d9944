# Compiled build only (setup.py): C-level attributes for the purgatories (see purgatory.py).
cimport cython

from eventsim.core.environment cimport Environment, _heap_pop, _heap_push
from eventsim.protocol cimport FetchRequest, ProduceRequest
from eventsim.replication.partition cimport Partition


cdef class Purgatory:
    cdef public Environment env
    cdef public object _complete
    cdef public dict watchers
    cdef public object _in_order
    cdef public list _deadlines
    cdef public dict _ops
    cdef public long long _seq
    cdef public double _timer_at
    cdef public long long parked

    @cython.locals(seq=cython.longlong, ops=dict)
    cpdef _deadline(self, op, double expire_at_ms)

    @cython.locals(dl=list, ops=dict)
    cpdef _compact(self)

    @cython.locals(dl=list)
    cpdef tuple _first(self)

    @cython.locals(first=tuple, now=double, dl=list, ops=dict)
    cpdef _expire(self, double when_ms)

    cpdef _finish(self, long long seq)

    cpdef _set_seq(self, op, long long seq)

    cpdef _on_expiry(self, op)


cdef class DelayedFetchPurgatory(Purgatory):
    @cython.locals(fetch=FetchRequest)
    cpdef _set_seq(self, op, long long seq)

    cpdef _on_expiry(self, op)

    @cython.locals(watchers=dict, ws=list)
    cpdef watch(self, FetchRequest fetch, list tps, double expire_at_ms)

    @cython.locals(watchers=dict, ws=list)
    cpdef _release(self, FetchRequest fetch)

    @cython.locals(ws=list, fetch=FetchRequest)
    cpdef check(self, tp, available_bytes)


cdef class DelayedProduce:
    cdef public object req
    cdef public long long waiting
    cdef public bint done
    cdef public long long seq


cdef class DelayedProducePurgatory(Purgatory):
    @cython.locals(op=DelayedProduce, watchers=dict)
    cpdef watch(self, req, list pending, double expire_at_ms)

    @cython.locals(op=DelayedProduce, hw=cython.longlong, req=ProduceRequest)
    cpdef check(self, tp, Partition partition)

    @cython.locals(delayed=DelayedProduce)
    cpdef _set_seq(self, op, long long seq)

    cpdef _on_expiry(self, op)
