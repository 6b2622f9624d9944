# Compiled build only (setup.py): C-level fields for a JVM's young collections (see jvm.py), which a client
# asks on every fetch response whether eden is full.

cdef class YoungCollector:
    cdef public object env
    cdef public object host_name
    cdef public double eden_bytes
    cdef public double mu
    cdef public double sigma
    cdef public object rng
    cdef public object pause
    cdef public double _allocated
    cdef public object allocated
    cdef public bint poll
    cdef public object running
    cdef public object paused_until
    cdef public list pauses
    cdef public double _eden_base
    cdef public double _seen_bytes
    cdef public double _seen_ms

    cpdef double collect_if_full(self, double allocated) except? -1.0
