# Compiled build only (setup.py): C-level attributes for PartitionQueue (see partition_queue.py), so that
# the accumulator's drain and readiness checks read a queue's fields and arrays directly.
cimport cython


cdef class PartitionQueue:
    cdef public object tp
    cdef public object leader
    cdef public Py_ssize_t head
    cdef public Py_ssize_t n
    cdef public object retries
    cdef public double ready_ms
    cdef public Py_ssize_t full_end
    cdef public double full_ms
    cdef public object append_times
    cdef public object cum_bytes
    cdef public object cum_values
    cdef public long long cum_bytes_base
    cdef public long long cum_values_base
    cdef public object records
    cdef public object txn
    cdef public Py_ssize_t slot
    # Typed views of records, append_times, cum_bytes and cum_values (``views``), taken again when they grow.
    cdef public double[:, ::1] rows_view
    cdef public double[:] times_view
    cdef public long long[:] bytes_view
    cdef public long long[:] values_view

    cpdef views(self)

    cpdef _grow(self, Py_ssize_t m)

    @cython.locals(m=Py_ssize_t, n=Py_ssize_t, i=Py_ssize_t, j=Py_ssize_t, k=Py_ssize_t, columns=Py_ssize_t,
                   at=Py_ssize_t, total_b=cython.longlong, total_v=cython.longlong, rows="double[:, ::1]",
                   times="double[:]", cb="long long[:]", cv="long long[:]")
    cpdef extend(self, const double[:, ::1] block, const long long[:] sizes, const long long[:] values,
                 Py_ssize_t lo, Py_ssize_t hi)
