# Compiled build only (setup.py): C-level attributes for Host and Network (see network.py).
cimport cython

from eventsim.core.stations cimport Station


cdef class Host:
    cdef public str name
    cdef public double rate
    cdef public Station tx
    cdef public Station rx
    cdef public long long bytes_out
    cdef public long long bytes_in
    cdef public object record_cpu_ms  # set on client hosts (Cluster.client_host)


cdef class Network:
    cdef public double latency_ms

    @cython.locals(lat=double)
    cpdef tuple transfer(self, Host src, Host dst, double t_ms, long long nbytes)

    cpdef double control(self, Host src, Host dst, double t_ms, long long nbytes)
