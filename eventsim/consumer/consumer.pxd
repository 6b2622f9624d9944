# Compiled build only (setup.py): C-level attributes for KafkaConsumer (see consumer.py).
cimport cython

from eventsim.core.backoff cimport ReconnectBackoff
from eventsim.core.environment cimport Environment
from eventsim.broker.broker cimport Broker
from eventsim.metrics.recorder cimport PolledColumns, Recorder
from eventsim.jvm cimport YoungCollector
from eventsim.metrics.timeseries cimport BusyTracker
from eventsim.network cimport Host, Network
from eventsim.log.log cimport Log
from eventsim.protocol cimport FetchRequest, RecordBatch, fill_fetch_request


cdef double INF  # a C number: comparisons with it need no float object
cdef long long _FETCH_REQUEST_BYTES
cdef long long _CONSUMER_REPLICA_ID

cdef class _Assigned:
    cdef public object tp
    cdef public long long position
    cdef public Py_ssize_t buffered


cdef class KafkaConsumer:
    cdef public Environment env
    cdef public object response_cb
    cdef public object _on_data_cb
    cdef public object _poll_cb
    cdef public object cluster
    cdef public list _brokers
    cdef public Network network
    cdef public object spec
    cdef public object config
    cdef public object _fetch_limits
    cdef public Py_ssize_t _max_poll_records
    cdef public object instance
    cdef public str client_id
    cdef public Recorder recorder
    cdef public Host host
    cdef public list assignment
    cdef public object metadata
    cdef public dict _states
    cdef public dict _node_states
    cdef public bint _positioned
    cdef public object buffer
    cdef public set in_flight
    cdef public set _idle
    cdef public long long _last_idle
    cdef public dict _conn
    cdef public double _retry_at
    cdef public ReconnectBackoff _reconnect
    cdef public long long skipped
    cdef public long long rewinds
    cdef public bint _blocked
    cdef public double _busy_until
    cdef public object _fixed_ms
    cdef public PolledColumns _polled
    cdef public object rng_processing
    cdef public double _window
    cdef public YoungCollector jvm
    cdef public double paused_until

    @cython.locals(b=RecordBatch, pos=cython.longlong, nxt=cython.longlong, start=cython.longlong,
                   added=Py_ssize_t, states=dict, st=_Assigned, logs=dict, log=Log, broker=Broker,
                   jvm=YoungCollector)
    cpdef on_fetch_response(self, FetchRequest fetch, data)

    cpdef _fetch_done(self, node)

    cpdef connection(self, node)

    @cython.locals(in_flight=set, now=double, parts=list, offsets=list, fetch=FetchRequest, st=_Assigned,
                   broker=Broker, delivered=double, idle=set, nodes=list)
    cpdef send_fetches(self)

    @cython.locals(n=Py_ssize_t, now=double, busy=double, cpu=BusyTracker)
    cpdef _poll(self)

    cpdef _on_data(self)

    @cython.locals(b=RecordBatch, n=Py_ssize_t, i=Py_ssize_t, k=Py_ssize_t, count=Py_ssize_t, entry=list,
                   cols=PolledColumns, st=_Assigned)
    cpdef Py_ssize_t _take(self, Py_ssize_t max_records, double now) except? -1
