# Compiled build only (setup.py): C-level fields for a client's reconnection state (see backoff.py), which
# its sender or fetcher reads on every pass over the brokers.

cdef class ReconnectBackoff:
    cdef public object backoff
    cdef public object rng
    cdef public dict waiting

    cpdef double next_attempt(self, node, double now, bint running) except? -1.0
