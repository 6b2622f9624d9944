# Compiled build only (setup.py): C-level attributes for the station classes (see stations.py).
cimport cython

from eventsim.metrics.timeseries cimport window_of


cdef class _Times:
    cdef public object _buf
    cdef public double[::1] _view
    cdef public Py_ssize_t _room
    cdef public Py_ssize_t _head
    cdef public Py_ssize_t n

    @cython.locals(k=Py_ssize_t)
    cpdef push(self, double t)

    cpdef drop_through(self, double t)

    cpdef double at(self, Py_ssize_t k) except? -1.0


cdef class _WindowMax:
    cdef public double window_ms
    cdef public list values
    cdef public Py_ssize_t n

    @cython.locals(i=Py_ssize_t, values=list)
    cpdef observe(self, double t_ms, Py_ssize_t level)


cdef class Station:
    # Field order is memory order: a booking (``reserve_end``) reads the first group and one element of
    # each buffer through its pointer, so they come first, within the object's first two cache lines. A
    # cluster holds a thousand stations or more, each booked now and then, so each line a booking touches
    # is a miss.
    cdef public bint _vary
    cdef public Py_ssize_t _factor_i
    cdef public Py_ssize_t _factor_n
    cdef public Py_ssize_t servers
    cdef public Py_ssize_t _busy_n
    cdef public Py_ssize_t _busy_room
    cdef public Py_ssize_t _wait_n
    cdef public Py_ssize_t _wait_room
    cdef public double last_start
    cdef public list _stalls
    # The buffers' first elements (``_point``), read and written by a booking: words here, where the typed
    # views below are some 200 bytes each.
    cdef double* _free_p
    cdef double* _factor_p
    cdef double* _busy_p
    cdef double* _wait_p
    cdef public _Times _starts
    cdef public _WindowMax max_queue
    cdef public str name
    cdef public object _free
    cdef public object _busy
    cdef public object _waiting
    cdef public object _busy_iv
    cdef public object _wait_iv
    cdef public object _factors
    cdef public object _rng
    cdef public double _sigma
    cdef public double[::1] _free_view
    cdef public double[::1] _factor_view
    cdef public double[::1] _busy_view
    cdef public double[::1] _wait_view

    @cython.locals(end=double)
    cpdef tuple reserve(self, double arrival_ms, double service_ms)

    @cython.locals(first=double, start=double, end=double, k=Py_ssize_t, i=Py_ssize_t, j=Py_ssize_t)
    cpdef double reserve_end(self, double arrival_ms, double service_ms) except? -1.0

    cpdef _point(self)

    cpdef _draw_factors(self)

    cpdef _fold_busy(self)

    cpdef _fold_waiting(self)

    cpdef _full_busy(self)

    cpdef _full_waiting(self)

    cpdef Py_ssize_t queue_length(self, double t_ms) except? -1

    cpdef double free_at(self) except? -1.0

    @cython.locals(i=Py_ssize_t, j=Py_ssize_t)
    cdef Py_ssize_t _earliest(self)


cdef class BoundedQueue:
    cdef public Py_ssize_t capacity
    cdef public _Times _starts
    cdef public double blocked_ms
    cdef public Py_ssize_t full_events

    cpdef double admit(self, double t_ms) except? -1.0

    cpdef started(self, double start_ms)
