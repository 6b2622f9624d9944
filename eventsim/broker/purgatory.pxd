# Compiled build only (setup.py): C-level attributes for the purgatories (see purgatory.py).
cimport cython

from eventsim.core.environment cimport Environment, _heap_pop, _heap_push
from eventsim.log.log cimport Log
from eventsim.protocol cimport FetchRequest, ProduceRequest
from eventsim.replication.partition cimport Partition


cdef Py_ssize_t _SLACK

cdef class _Deadlines:
    cdef public Py_ssize_t _room
    cdef public object _times
    cdef public object _seqs
    cdef public double[::1] _tv
    cdef public long long[::1] _sv
    cdef public Py_ssize_t _head
    cdef public Py_ssize_t n

    cdef inline Py_ssize_t _at(self, Py_ssize_t k)

    @cython.locals(k=Py_ssize_t, room=Py_ssize_t, i=Py_ssize_t)
    cpdef push(self, double t, long long seq)

    cpdef double first_time(self) except? -1.0

    cpdef long long first_seq(self) except? -1

    cpdef double last_time(self) except? -1.0

    cpdef popleft(self)


cdef class Purgatory:
    cdef public Environment env
    cdef public object _complete
    cdef public dict watchers
    cdef public _Deadlines _in_order
    cdef public list _deadlines
    cdef public list _ops
    cdef public long long _base
    cdef public Py_ssize_t _head
    cdef public long long _seq
    cdef public double _timer_at
    cdef public long long parked
    cdef public bint closed
    cdef public list _attached

    @cython.locals(seq=cython.longlong, q=_Deadlines)
    cpdef _deadline(self, op, double expire_at_ms)

    @cython.locals(dl=list, q=_Deadlines, i=Py_ssize_t, k=Py_ssize_t, j=Py_ssize_t, w=Py_ssize_t,
                   seq=cython.longlong)
    cpdef _compact(self)

    @cython.locals(dl=list, q=_Deadlines, head=tuple)
    cpdef tuple _first(self)

    @cython.locals(first=tuple, now=double, dl=list, q=_Deadlines)
    cpdef _expire(self, double when_ms)

    @cython.locals(k=cython.longlong)
    cpdef _op(self, long long seq)

    @cython.locals(ops=list, h=Py_ssize_t)
    cpdef _finish(self, long long seq)

    cpdef list parked_seqs(self)

    cpdef _set_seq(self, op, long long seq)

    cpdef _on_expiry(self, op)


cdef class DelayedFetchPurgatory(Purgatory):
    @cython.locals(fetch=FetchRequest)
    cpdef _set_seq(self, op, long long seq)

    cpdef _on_expiry(self, op)

    @cython.locals(ws=list, log=Log, i=Py_ssize_t)
    cpdef watch(self, FetchRequest fetch, list logs, double expire_at_ms)

    cpdef release(self, FetchRequest fetch)

    @cython.locals(ws=list, log=Log, i=Py_ssize_t)
    cpdef leave(self, FetchRequest fetch)


cdef class DelayedProduce:
    cdef public object req
    cdef public long long waiting
    cdef public bint done
    cdef public long long seq


cdef class DelayedProducePurgatory(Purgatory):
    @cython.locals(op=DelayedProduce, log=Log, q=list)
    cpdef watch(self, req, list pending, double expire_at_ms)

    @cython.locals(op=DelayedProduce, hw=cython.longlong, req=ProduceRequest, log=Log, q=list)
    cpdef check(self, Partition partition)

    @cython.locals(delayed=DelayedProduce)
    cpdef _set_seq(self, op, long long seq)

    cpdef _on_expiry(self, op)
