# Compiled build only (setup.py): the kernel's heap of entries as C calls with C comparisons (see
# environment.py).
cimport cython


@cython.locals(ta=double, tb=double, pa=cython.longlong, pb=cython.longlong)
cdef bint _before(tuple a, tuple b) except -1

@cython.locals(item=tuple, parent=tuple, parent_pos=Py_ssize_t)
cdef _sift_down(list heap, Py_ssize_t start, Py_ssize_t pos)

cpdef _heap_push(list heap, tuple item)

@cython.locals(last=tuple, first=tuple, end=Py_ssize_t, pos=Py_ssize_t, child=Py_ssize_t, right=Py_ssize_t)
cpdef tuple _heap_pop(list heap)

cpdef tuple _next_entry(list queue, object due_now)

@cython.locals(priority=cython.longlong, eid=cython.longlong)
cdef long long _key(tuple entry) except? -1

cdef bint _TYPED_HEAP
cdef long long _CALL_KEY
cdef long long _ID_MASK


cdef class _EntryHeap:
    cdef public Py_ssize_t n
    cdef public double[::1] _tv
    cdef public long long[::1] _kv
    cdef public long long[::1] _sv
    cdef public long long[::1] _fv
    cdef public Py_ssize_t _nfree
    cdef public list _items
    cdef public list _args
    cdef public double last_t
    cdef public long long _popped_key
    cdef public Py_ssize_t _room
    cdef public object _times
    cdef public object _keys
    cdef public object _slots
    cdef public object _free

    cpdef _grow(self, Py_ssize_t room)

    @cython.locals(slot=Py_ssize_t)
    cpdef push(self, tuple entry)

    @cython.locals(slot=Py_ssize_t)
    cpdef push_call(self, double t, long long eid, fn, tuple args)

    @cython.locals(n=Py_ssize_t)
    cdef inline Py_ssize_t _slot(self) except -1

    cdef tuple _entry(self, Py_ssize_t slot, double t, long long key)

    @cython.locals(parent=Py_ssize_t, pt=double)
    cdef inline _sift_up(self, Py_ssize_t pos, double t, long long key, long long slot)

    @cython.locals(slot=Py_ssize_t, entry=tuple)
    cpdef tuple pop(self)

    @cython.locals(n=Py_ssize_t, slot=Py_ssize_t, t=double, key=cython.longlong, last=cython.longlong,
                   pos=Py_ssize_t, child=Py_ssize_t, best=Py_ssize_t, end=Py_ssize_t, c=Py_ssize_t, ct=double,
                   bt=double)
    cpdef Py_ssize_t pop_slot(self) except -1

    cpdef tuple first(self)


cdef class _Ids:
    cdef public long long n

    @cython.locals(n=cython.longlong)
    cpdef long long take(self)


cdef class Environment:
    cdef dict __dict__  # SimPy's event types are bound per instance (``BoundClass.bind_early``)
    cdef public double now
    cdef public list _queue
    cdef public _Ids _eid
    cdef public object _active_proc
    cdef public object streams
    cdef public long long _simpy_events
    cdef public object _due_now
    cdef public _EntryHeap _heap

    cpdef _push(self, tuple entry)

    cpdef tuple _next(self)

    @cython.locals(heap=_EntryHeap, d=tuple, t=double, dt=double)
    cpdef bint _heap_next(self) except -1

    @cython.locals(heap=_EntryHeap, slot=Py_ssize_t, args=tuple, entry=tuple)
    cpdef _steps(self)

    cpdef _run(self, tuple entry)

    @cython.locals(now=double)
    cpdef at(self, double when_ms, fn, tuple args)

    cpdef later(self, double delay_ms, fn, tuple args)
