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


cdef class Environment:
    cdef dict __dict__  # SimPy's event types are bound per instance (``BoundClass.bind_early``)
    cdef public double now
    cdef public list _queue
    cdef public object _eid
    cdef public object _active_proc
    cdef public object streams
    cdef public long long _simpy_events
    cdef public object _due_now

    @cython.locals(now=double)
    cpdef at(self, double when_ms, fn, tuple args)

    cpdef later(self, double delay_ms, fn, tuple args)
