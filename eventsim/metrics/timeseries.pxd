# Compiled build only (setup.py): C-level fields for the window arithmetic and the busy trackers (see
# timeseries.py), so that a busy interval added on the request path (a consumer's poll, a blocked send())
# reads and writes numbers, not a dictionary.
cimport cython

cdef double _INF

cdef class _Windowed:
    cdef public double window_ms


@cython.locals(q=double, f=double, tol=double, mod=double, div=double, k=cython.longlong)
cpdef long long window_of(double t, double window_ms) except? -1

@cython.locals(k=cython.longlong)
cpdef long long _last_window(double end, double window_ms) except? -1


cdef class BusyTracker(_Windowed):
    cdef public Py_ssize_t servers
    cdef public object horizon_ms
    cdef public object _busy
    cdef public Py_ssize_t _open_w
    cdef public double _open_sum

    cpdef _settle(self)

    @cython.locals(s=double, e=double, W=double, wa=Py_ssize_t, wz=Py_ssize_t)
    cpdef add_interval(self, double start_ms, double end_ms)

    @cython.locals(s="const double[:]", e0="const double[:]", n=Py_ssize_t, W=double, horizon=double,
                   e_v="double[::1]", w_v="long long[::1]", p_v="double[::1]", l_v="double[::1]",
                   d_v="long long[::1]", kept=Py_ssize_t, lo=cython.longlong, hi=cython.longlong,
                   i=Py_ssize_t, j=Py_ssize_t, a=double, b=double, wa=cython.longlong, wz=cython.longlong,
                   m=Py_ssize_t, multi=Py_ssize_t, c=cython.longlong)
    cpdef bint _add_intervals_compiled(self, starts_ms, ends_ms) except -1
