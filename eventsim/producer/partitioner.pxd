# Compiled build only (setup.py): the key table's lookup loop as C (see partitioner.py: the same
# partitions as numpy's passes, which the module uses as Python).
cimport cython


@cython.locals(missing=Py_ssize_t, mask=cython.ulonglong, m=cython.ulonglong, seed=cython.ulonglong, suf=Py_ssize_t, i=Py_ssize_t, kid=cython.longlong,
               p=cython.int, digits=Py_ssize_t, q=cython.longlong, j=Py_ssize_t, length=Py_ssize_t,
               h=cython.ulonglong, length4=Py_ssize_t, k=cython.ulonglong, b=cython.ulonglong, tail=Py_ssize_t)
cpdef void _lookup_loop(int[::1] table, const long long[::1] ids, int[::1] out, unsigned char[::1] key,
                        Py_ssize_t pre, const unsigned char[::1] suffix, long long num_partitions) except *
