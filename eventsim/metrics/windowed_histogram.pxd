# Compiled build only (setup.py): the per-window statistics loop as C (see windowed_histogram.py: the
# same counts, sums and extremes as numpy's passes, which the module uses as Python).
cimport cython


@cython.locals(i=Py_ssize_t, k=cython.longlong, x=double)
cpdef void _window_stats_loop(const long long[::1] w, const double[:] v, long long lo, long long[::1] part_cnt,
                              double[::1] part_sum, double[::1] mn, double[::1] mx) except *
