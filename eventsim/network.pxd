# Compiled build only (setup.py): C-level attributes for Host and Network (see network.py).
cimport cython

from eventsim.core.environment cimport Environment
from eventsim.core.stations cimport Station


cdef double INF  # a C number: comparisons with it need no float object
cdef Py_ssize_t JITTER_BLOCK
cdef long long MSS
cdef long long PACKET_OVERHEAD_BYTES

cdef long long _packets(long long nbytes) except -1
cdef long long _wire(long long nbytes) except -1  # a C call on every transfer

cdef class Host:
    cdef public str name
    cdef public double rate
    cdef public double wire_ms_per_byte
    cdef public Station tx
    cdef public Station rx
    cdef public long long bytes_out
    cdef public long long bytes_in
    cdef public object record_cpu_ms  # set on client hosts (Cluster.client_host)
    cdef public object cpu  # set on client hosts: the application thread's BusyTracker


cdef class Network:
    cdef public double latency_ms
    cdef public object blocked
    cdef public bint _jitter
    cdef public object _extra
    cdef public double[::1] _extra_view
    cdef public Py_ssize_t _extra_i
    cdef public object _rng
    cdef public double _mu
    cdef public double _sigma
    cdef public Environment env

    cpdef _draw_extra(self)

    @cython.locals(i=Py_ssize_t)
    cpdef double _latency(self) except? -1.0

    cdef public double _tx_end
    cdef public double _lat

    @cython.locals(delivered=double)
    cpdef tuple transfer(self, Host src, Host dst, double t_ms, long long nbytes, double window=*,
                         double stream_ms=*)

    @cython.locals(lat=double, tx_start=double, tx_end=double, arrive=double, rx_start=double, rx_end=double,
                   delivered=double, start=double, paced=double, rx=Station, wire=cython.longlong, tx_ms=double)
    cpdef double _delivered(self, Host src, Host dst, double t_ms, long long nbytes, double window,
                            double stream_ms) except? -1.0

    @cython.locals(delivered=double)
    cpdef send(self, Host src, Host dst, double t_ms, long long nbytes, double window, fn, tuple args, owner=*,
               long long generation=*)

    @cython.locals(n=cython.longlong, done=double, nxt=double)
    cpdef _window(self, Host src, Host dst, double t_ms, long long left, double window, double delivered, fn,
                  tuple args, owner, long long generation)

    @cython.locals(per_byte=double, back=double)
    cpdef double resume(self, Host src, Host dst, double t_ms, long long nbytes) except? -1.0

    cpdef double control(self, Host src, Host dst, double t_ms, long long nbytes)
