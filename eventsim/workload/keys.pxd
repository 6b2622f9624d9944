# Compiled build only (setup.py): the Zipf draw's loop as C (see keys.py: the same ids as numpy's
# passes, which the module uses as Python).
cimport cython


@cython.locals(n=Py_ssize_t, steps=Py_ssize_t, i=Py_ssize_t, x=double, g=double, j=Py_ssize_t, lo=double,
               k=Py_ssize_t, a=Py_ssize_t, b=Py_ssize_t, mid=Py_ssize_t)
cpdef void _zipf_ids_loop(const double[::1] cdf, const double[::1] guide, const double[::1] u,
                          long long[::1] out) except *


@cython.locals(i=Py_ssize_t, q=cython.longlong, digits=cython.longlong)
cpdef void _key_lengths_loop(const long long[:] ids, long long affixes, long long[::1] out) except *
