# Compiled build only (setup.py): C-level attributes for PartitionQueue (see partition_queue.py), so that
# the accumulator's drain and readiness checks read a queue's fields and arrays directly.
cimport cython


cdef double INF  # a C number: comparisons with it need no float object

cdef class PartitionQueue:
    # Field order is memory order: the drain of a due queue reads the first group and one element of each
    # view, so they come first and each view is contiguous (an element is read through the view's data
    # pointer alone; a strided view also reads its strides, a cache line further on). A large cluster's
    # producers hold tens of thousands of queues, visited one or two at a time, so each line a drain
    # touches is a cache miss.
    cdef public Py_ssize_t head
    cdef public Py_ssize_t n
    cdef public Py_ssize_t full_end
    cdef public object retries
    cdef public object txn
    cdef public object tp
    cdef public object records
    cdef public long long cum_bytes_base
    cdef public long long cum_values_base
    cdef public double ready_ms
    cdef public double full_ms
    cdef public object leader
    cdef public Py_ssize_t slot
    # Typed views of append_times, cum_bytes, cum_values and records (``views``), taken again when they grow.
    cdef public double[::1] times_view
    cdef public long long[::1] bytes_view
    cdef public long long[::1] values_view
    cdef public double[:, ::1] rows_view
    cdef public object append_times
    cdef public object cum_bytes
    cdef public object cum_values

    cpdef views(self)

    cpdef _grow(self, Py_ssize_t m)

    @cython.locals(m=Py_ssize_t, n=Py_ssize_t, i=Py_ssize_t, j=Py_ssize_t, k=Py_ssize_t, columns=Py_ssize_t,
                   at=Py_ssize_t, total_b=cython.longlong, total_v=cython.longlong, rows="double[:, ::1]",
                   times="double[::1]", cb="long long[::1]", cv="long long[::1]")
    cpdef extend(self, const double[:, ::1] block, const long long[:] sizes, const long long[:] values,
                 Py_ssize_t lo, Py_ssize_t hi)
