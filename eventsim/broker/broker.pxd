# Compiled build only (setup.py): C-level attributes for FetchRequest and Broker (see broker.py).
cimport cython

from eventsim.core.environment cimport Environment
from eventsim.replication.partition cimport Partition
from eventsim.broker.purgatory cimport DelayedFetchPurgatory, DelayedProducePurgatory
from eventsim.broker.socket_server cimport SocketServer
from eventsim.core.stations cimport BoundedQueue, Station
from eventsim.log.log cimport Log
from eventsim.log.log_manager cimport LogManager
from eventsim.log.producer_state cimport ProducerStateManager
from eventsim.network cimport Host
from eventsim.protocol cimport FetchRequest, MemoryRecords, ProduceRequest, RecordBatch


cdef double MIB  # a C number: the CPU cost per byte of a request is C arithmetic

cdef double INF  # a C number: comparisons with it need no float object

cdef long long _FETCH_RESPONSE_OVERHEAD

cdef int PRODUCE, FETCH, METADATA  # C numbers: read on every request

cdef class Broker:
    cdef public Environment env
    cdef public object _append_cb
    cdef public object _read_cb
    cdef public object id
    cdef public object config
    cdef public object profile
    cdef public double request_cpu_ms
    cdef public double append_cpu_ms_per_mb
    cdef public double leader_pass_ms
    cdef public double network_thread_cpu_ms
    cdef public double fetch_cpu_ms_per_mb
    cdef public double disk_write_bytes_per_ms
    cdef public double disk_read_bytes_per_ms
    cdef public long long fetch_max_bytes
    cdef public object cluster
    cdef public object recorder
    cdef public Host host
    cdef public SocketServer socket_server
    cdef public list processors
    cdef public BoundedQueue request_queue
    cdef public Station handlers
    cdef public list disks
    cdef public dict logs
    cdef public LogManager log_manager
    cdef public DelayedFetchPurgatory purgatory
    cdef public DelayedProducePurgatory produce_purgatory
    cdef public dict partitions
    cdef public long long led_version
    cdef public list fetchers
    cdef public long long replication_bytes_out
    cdef public long long replication_bytes_in
    cdef public long long produce_requests
    cdef public long long fetch_requests
    cdef public long long metadata_requests
    cdef public long long epoch
    cdef public bint running
    cdef public list stalls
    cdef public bint registered
    cdef public double paused_until
    cdef public dict metadata_cache
    cdef public dict following
    cdef public double resigned_ms

    cpdef handle_produce(self, ProduceRequest req)

    @cython.locals(log=Log, i=Py_ssize_t, cpu=double, end=double, queued=double, start=double, rate=double,
                   nbytes=cython.longlong, logs=dict, batches=list, log_manager=LogManager,
                   flushing=bint, b=MemoryRecords)
    cpdef _book_produce(self, ProduceRequest req)

    @cython.locals(log=Log, i=Py_ssize_t, n=Py_ssize_t, acks_all=bint, b=MemoryRecords, partition=Partition,
                   batches=list, led=list, partitions=dict, offsets=list, nbytes=cython.longlong,
                   last=cython.longlong, state=ProducerStateManager, pid=cython.longlong, seq=cython.longlong,
                   required=cython.longlong, int_max=cython.longlong)
    cpdef _append(self, ProduceRequest req, long long epoch, double booked_ms)

    cpdef _send_produce_response(self, ProduceRequest req)

    cpdef handle_fetch(self, FetchRequest fetch)

    @cython.locals(logs=list, by_tp=dict)
    cpdef list _fetch_logs(self, FetchRequest fetch)

    @cython.locals(log=Log, total=cython.longlong, need=cython.longlong, follower=bint, logs=list, parts=list,
                   offsets=list, i=Py_ssize_t, off=cython.longlong)
    cpdef long long _available_bytes(self, FetchRequest fetch) except? -1

    @cython.locals(led=dict)
    cpdef _drop_not_led(self, FetchRequest fetch)

    @cython.locals(partition=Partition, follower=cython.longlong, leaders=list, parts=list, offsets=list,
                   i=Py_ssize_t)
    cpdef _read(self, FetchRequest fetch, long long epoch, double booked_ms)

    @cython.locals(end=double)
    cpdef _book_fetch(self, FetchRequest fetch)

    cpdef _hw_advanced(self, Partition partition)

    @cython.locals(purgatory=DelayedFetchPurgatory, fetch=FetchRequest, ws=list, first=FetchRequest, more=list,
                   awake=bint)
    cpdef _fetches_ready(self, Log log)

    @cython.locals(now=double, sent=double)
    cpdef _send_response(self, long long conn, Host host, long long nbytes, double cpu_ms, double window, fn, tuple args)

    @cython.locals(log=Log, total=cython.longlong, now=double, disk_done=double, follower=bint, min_one=bint,
                   max_bytes=cython.longlong, partition_bytes=cython.longlong, left=cython.longlong,
                   limit=cython.longlong, nbytes=cython.longlong, cache=double, data=list, logs=list, hws=list,
                   parts=list, offsets=list, i=Py_ssize_t, off=cython.longlong, end=cython.longlong,
                   cpu=double)
    cpdef _respond_fetch(self, FetchRequest fetch)

    cpdef _ship_fetch(self, FetchRequest fetch, list data, long long total, double cpu, long long epoch=*)
