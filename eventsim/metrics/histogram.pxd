# Compiled build only (setup.py): the bucket-counting loop as C (see histogram.py: the same buckets as
# numpy's passes, which the module uses as Python).
cimport cython


@cython.locals(width=cython.longlong, top=cython.longlong, shift=cython.longlong, bias=cython.longlong,
               lower="const double[::1]", upper="const double[::1]", i=Py_ssize_t, k=cython.longlong,
               value=double, b=cython.longlong, r=cython.longlong, low_bits=cython.longlong)
cpdef void _add_counts_loop(long long[::1] counts, const long long[::1] bits, const double[:] v,
                            long long c, const long long[::1] rows, bint use_rows) except *
