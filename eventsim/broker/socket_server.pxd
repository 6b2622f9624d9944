# Compiled build only (setup.py): C-level attributes for SocketServer (see socket_server.py).
cimport cython

from eventsim.core.stations cimport BoundedQueue, Station
from eventsim.network cimport Host, Network


cdef double INF  # a C number: comparisons with it need no float object
cdef long long _CONTROL_BYTES

cdef class SocketServer:
    cdef public object profile
    cdef public double network_thread_cpu_ms
    cdef public Host host
    cdef public Network network
    cdef public list processors
    cdef public BoundedQueue request_queue
    cdef public Station handlers
    cdef public tuple book
    cdef public list muted
    cdef public long long connections
    cdef public long long generation
    cdef public long long receive_window
    cdef public double last_queued

    @cython.locals(end=double)
    cpdef tuple admit(self, long long conn, double now, double service_ms)

    @cython.locals(proc=Station, handlers=Station, parsed=double, queued=double, end=double)
    cpdef double admit_end(self, long long conn, double now, double service_ms) except? -1.0

    @cython.locals(muted=list)
    cpdef bint mute(self, long long conn, int kind, req, long long nbytes=*) except? -1

    @cython.locals(arrive=double, nbytes=cython.longlong)
    cpdef unmute(self, long long conn, double at_ms)

    cpdef close(self, conn)

    @cython.locals(proc=Station, sent=double, network=Network, delivered=double)
    cpdef send_response(self, long long conn, double now, Host host, long long nbytes, double cpu_ms,
                        double window, fn, tuple args)
