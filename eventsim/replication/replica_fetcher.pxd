# Compiled build only (setup.py): C-level attributes for ReplicaFetchConfig and ReplicaFetcherThread
# (see replica_fetcher.py).
cimport cython

from eventsim.core.environment cimport Environment
from eventsim.broker.broker cimport Broker
from eventsim.protocol cimport FetchLimits, FetchRequest, RecordBatch, fill_fetch_request
from eventsim.core.stations cimport Station
from eventsim.network cimport Network
from eventsim.log.log cimport Log
from eventsim.log.log_manager cimport LogManager


cdef double MIB  # a C number: the CPU cost per byte of a response is C arithmetic


cdef double INF  # a C number: comparisons with it need no float object
cdef long long _FETCH_REQUEST_BYTES

cdef class ReplicaFetchConfig(FetchLimits):
    pass


cdef class ReplicaFetcherThread:
    cdef public object response_cb
    cdef public object _send_fetch_cb
    cdef public double pass_ms
    cdef public Broker broker
    cdef public Environment env
    cdef public Broker source
    cdef public Network network
    cdef public object index
    cdef public str name
    cdef public dict logs
    cdef public ReplicaFetchConfig config
    cdef public Station thread
    cdef public object conn
    cdef public long long fetches
    cdef public bint running
    cdef public double window
    cdef public object in_flight
    cdef public double backoff_ms
    cdef public list _tps
    cdef public list _flogs
    cdef public list _slogs
    cdef public list _leaders
    cdef public long long _leaders_version

    @cython.locals(log=Log, total=cython.longlong, nbytes=cython.longlong, now=double, end=double, e=RecordBatch,
                   broker=Broker, logs=dict, source_logs=dict, leo=cython.longlong,
                   hw=cython.longlong, parts=list, hws=list, i=Py_ssize_t, d=Py_ssize_t,
                   source=Log, log_manager=LogManager, same=bint, flogs=list, first=RecordBatch,
                   count=cython.longlong, tps=list, slogs=list, j=Py_ssize_t)
    cpdef on_fetch_response(self, FetchRequest fetch, data)

    @cython.locals(broker=Broker, fetch=FetchRequest, offsets=list, log=Log, network=Network, flogs=list,
                   i=Py_ssize_t)
    cpdef send_fetch(self, double now)

    cpdef _partitions(self)

    @cython.locals(leaders=list)
    cpdef _leaders_now(self)
