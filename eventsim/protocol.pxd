# Compiled build only (setup.py): C-level attributes for MemoryRecords, RecordBatch and the requests
# (see protocol.py), and the record-size loop.
cimport cython

cdef double INF  # a C number: comparisons with it need no float object

cdef class MemoryRecords:
    cdef public object tp
    cdef public object records
    cdef public Py_ssize_t count
    cdef public Py_ssize_t size_bytes
    cdef public Py_ssize_t header_bytes
    cdef public Py_ssize_t wire_bytes
    cdef public long long value_total
    cdef public long long producer_id
    cdef public long long producer_epoch
    cdef public long long base_sequence
    cdef public double max_timestamp_ms


cdef class RecordBatch:
    cdef public long long base_offset
    cdef public long long next_offset
    cdef public Py_ssize_t count
    cdef public Py_ssize_t stored_bytes
    cdef public object records
    cdef public long long value_total
    cdef public double log_append_ms
    cdef public long long partition_leader_epoch
    cdef public long long producer_id
    cdef public long long producer_epoch
    cdef public long long base_sequence
    cdef public double max_timestamp_ms


cdef class ProduceRequest:
    cdef public object client
    cdef public object node
    cdef public list batches
    cdef public long long wire_bytes
    cdef public long long records
    cdef public double send_ms
    cdef public double arrive_ms
    cdef public double queue_ms
    cdef public double start_ms
    cdef public double done_ms
    cdef public bint timed_out
    cdef public int acks
    cdef public object errors
    cdef public object conn
    cdef public object host
    cdef public object codec
    cdef public object producer_state
    cdef public double timeout_ms
    cdef public object base_offsets
    cdef public double replicated_ms
    cdef public object new_leaders
    cdef public object stored_bytes


cdef class FetchLimits:
    cdef public long long fetch_min_bytes
    cdef public double fetch_max_wait_ms
    cdef public long long fetch_max_bytes
    cdef public long long max_partition_fetch_bytes


cdef class FetchRequest:
    cdef public object client
    cdef public object node
    cdef public list partitions
    cdef public list offsets
    cdef public long long min_bytes
    cdef public double max_wait_ms
    cdef public long long max_bytes
    cdef public long long max_partition_bytes
    cdef public double send_ms
    cdef public double arrive_ms
    cdef public bint parked
    cdef public long long parked_seq
    cdef public object conn
    cdef public object host
    cdef public long long replica_id
    cdef public object high_watermarks
    cdef public object new_leaders
    cdef public double window
    cdef public object out_of_range
    cdef public list logs
    cdef public list leaders
    cdef public long long leaders_version
    cdef public object reply
    cdef public list watching


cpdef ProduceRequest fill_produce_request(ProduceRequest r, object client, object node, list batches,
                                          double send_ms, int acks, long long wire_bytes, long long records,
                                          object conn, object host, object codec, double timeout_ms)


cpdef FetchRequest fill_fetch_request(FetchRequest f, object client, object node, list partitions,
                                      list offsets, FetchLimits limits, double send_ms, object conn,
                                      object host, long long replica_id, object reply=*)


cpdef RecordBatch fill_record_batch(RecordBatch b, long long base_offset, object records, Py_ssize_t count,
                                    Py_ssize_t stored_bytes, long long value_total, double log_append_ms,
                                    long long partition_leader_epoch, long long producer_id,
                                    long long producer_epoch, long long base_sequence, double max_timestamp_ms)


@cython.locals(z=cython.longlong, n=cython.longlong)
cdef long long _varint_bytes(long long x)

@cython.locals(i=Py_ssize_t, k=cython.longlong, v=cython.longlong, body=cython.longlong)
cpdef void _record_sizes_loop(const long long[:] key, const long long[:] value, long long[::1] out) except *
