"""The wire, defined once: Kafka's record-batch format (v2, KIP-98) and the model's per-record columns.

What Kafka does: a produce request carries record batches, and a partition's log stores them as they
came (``DefaultRecordBatch``): a 61-byte header (``RECORD_BATCH_OVERHEAD``: base offset, length, leader
epoch, magic, CRC, attributes, last offset delta, timestamps, producer id and epoch, base sequence,
record count) followed by records whose fields are varints (``DefaultRecord.sizeInBytes``): length,
attributes, timestamp delta, offset delta, key length and key, value length and value, header count.
An idempotent producer's batch carries its base sequence; the last record's is ``base + count - 1``,
wrapping after ``Integer.MAX_VALUE`` to 0 (``DefaultRecordBatch.incrementSequence``).

Modelled: those sizes exactly for key and value lengths and the offset delta; a one-byte timestamp delta
(deltas under 64 ms; a batch that lingers longer is a byte or two larger per record); no headers. Releases
before 0.11 wrote the older formats (``LegacyRecord``, ``message_format`` of ``cluster.kafka_version``): v0
(before 0.10) and v1 (0.10) messages, each with its own 12-byte log overhead and a 14- or 22-byte header
(26 or 34 bytes per record), no batch header, and a compressed set wrapped in one more message. The
records of a batch travel as one float64 block whose columns are ``RECORD_COLUMNS``; a record id holds
its producer instance's number and that producer's sequence (``RECORD_ID_PRODUCER_SHIFT``). Clients and
brokers both import this module, never each other's: a broker sees requests and batches, not a
client's internals.

A partition's log stores ``RecordBatch`` entries (Kafka's ``DefaultRecordBatch`` as written to a segment):
the leader makes one from each batch of a produce request, stamped with its offsets, its append time and
the partition's leader epoch; followers append the leader's entries as they come in fetch responses (the
bytes are identical on every replica, so an entry is immutable and shared). Fetch responses, consumers and
followers hold entries, never the producer's batches.

A produce request carries, per partition, a ``MemoryRecords``: the batch as it travels (its partition,
records block, record count, sizes and the idempotent producer's id, epoch and base sequence), which is
all a broker reads of it. The producer's ``ProducerBatch`` is one (it adds the producer's own
bookkeeping: attempts, drain time, buffer memory), as Kafka's ``ProducerBatch`` builds the
``MemoryRecords`` its request sends.

``ProduceRequest`` and ``FetchRequest`` are the requests on the wire, with what the broker fills in
for the answer (errors, base offsets, high watermarks, KIP-951 leader hints) and the model's timing
fields; the sender's ``client`` is what the answer is delivered to (its ``response_cb``: its
``on_produce_response`` / ``on_fetch_response``, bound once), so a broker never reaches into a client.

Not modelled: record headers, the batch's CRC and timestamps as bytes.
"""

from __future__ import annotations

import numpy as np

try:  # compiled, the per-record loop below runs as C; as Python, numpy does the same in passes
    import cython
except ImportError:  # pure Python, without Cython installed
    from eventsim._compiled import cython_stand_in as cython
_COMPILED = cython.compiled

__all__ = [
    "FetchLimits",
    "RECORD_BATCH_OVERHEAD",
    "MAX_RECORD_OVERHEAD",
    "RECORD_COLUMNS",
    "CREATE_MS",
    "APPEND_MS",
    "RECORD_ID",
    "KEY",
    "VALUE_BYTES",
    "MAX_EXACT_ID",
    "MAX_PRODUCER_INSTANCES",
    "RECORD_ID_PRODUCER_SHIFT",
    "INT_MAX",
    "NO_SEQUENCE",
    "NO_PRODUCER_ID",
    "NO_TIMESTAMP",
    "increment_sequence",
    "varint_size",
    "record_size_in_bytes",
    "batch_header_bytes",
    "LEGACY_RECORD_OVERHEAD",
    "record_size_upper_bound",
    "PRODUCE_REQUEST_OVERHEAD",
    "MemoryRecords",
    "PRODUCE_RESPONSE_BYTES",
    "FETCH_REQUEST_BYTES",
    "FETCH_RESPONSE_OVERHEAD",
    "METADATA_REQUEST_BYTES",
    "METADATA_RESPONSE_OVERHEAD",
    "METADATA_PARTITION_BYTES",
    "RecordBatch",
    "fill_fetch_request",
    "fill_produce_request",
    "fill_record_batch",
    "ProduceRequest",
    "FetchRequest",
    "NO_PARTITION_LEADER_EPOCH",
    "CONSUMER_REPLICA_ID",
]

# Requests and responses around the batches (bytes; judgement: headers, client id, topic and partition
# framing of the ProduceRequest/FetchRequest schemas for one topic).
PRODUCE_REQUEST_OVERHEAD = 80  # a produce request's header and framing, beside its batches
PRODUCE_RESPONSE_BYTES = 60  # a produce response
FETCH_REQUEST_BYTES = 120  # a fetch request for a topic's partitions
FETCH_RESPONSE_OVERHEAD = 60  # a fetch response's header and framing, beside its batches
METADATA_REQUEST_BYTES = 60  # a metadata request for one topic
METADATA_RESPONSE_OVERHEAD = 120  # a metadata response's brokers and topic, beside its partitions
METADATA_PARTITION_BYTES = 40  # per partition: error, index, leader, leader epoch, replicas, ISR

RECORD_BATCH_OVERHEAD = 61  # DefaultRecordBatch.RECORD_BATCH_OVERHEAD
# The old formats (LegacyRecord): every message carries the log overhead (offset 8, size 4) and its own
# header: CRC 4, magic 1, attributes 1, key length 4, value length 4, and in v1 a timestamp 8.
LEGACY_RECORD_OVERHEAD = {0: 12 + 14, 1: 12 + 22}  # Records.LOG_OVERHEAD + RECORD_OVERHEAD_V0 / _V1
# A v0/v1 message's bytes outside its own CRC32 (Record.computeChecksum covers magic to the value's end):
# the log overhead (offset 8, size 4) and the CRC field itself (4).
LEGACY_CRC_EXCLUDED_BYTES = 12 + 4
# The passes a broker makes over each v0/v1 message of a message set it appends, each reading the message
# into new objects (Kafka 0.8.1's Log.append: analyzeAndValidateMessageSet, with the CRC check; validBytes,
# counted once per set; the size check; the in-place offset assignment reads only the sizes and is not
# counted). A follower's fetcher also takes validBytes and the last offset (shallowIterator.toSeq) before
# it appends, and its append's validBytes is the one already counted (AbstractFetcherThread). The passes
# are shallow: a compressed set is one message, its wrapper (the leader's decompression is the codec's).
LEGACY_LEADER_PASSES = 3
LEGACY_FOLLOWER_PASSES = 4
MAX_RECORD_OVERHEAD = 21  # DefaultRecord.MAX_RECORD_OVERHEAD: a record's framing at most
INT_MAX = 2**31 - 1  # Integer.MAX_VALUE: sequences wrap after it
NO_SEQUENCE = -1  # RecordBatch.NO_SEQUENCE
NO_PRODUCER_ID = -1  # RecordBatch.NO_PRODUCER_ID (and NO_PRODUCER_EPOCH)
NO_TIMESTAMP = -1.0  # RecordBatch.NO_TIMESTAMP: a batch with no records has no newest one


def increment_sequence(sequence: int, increment: int) -> int:
    """``DefaultRecordBatch.incrementSequence``: ``sequence + increment``, wrapping after ``INT_MAX`` to 0."""
    if sequence > INT_MAX - increment:
        return increment - (INT_MAX - sequence) - 1
    return sequence + increment


# A zig-zag encoded value below 2**7 takes one byte, below 2**14 two, ... (ByteUtils.sizeOfVarint).
_VARINT_LIMITS = np.uint64(1) << np.arange(7, 64, 7, dtype=np.uint64)  # up to 10 bytes (varlong)


def varint_size(values: np.ndarray) -> np.ndarray:
    """Bytes of Kafka's zig-zag varint encoding of each (signed) int in ``values``."""
    v = np.asarray(values, dtype=np.int64)
    zz = ((v << 1) ^ (v >> 63)).view(np.uint64)  # zig-zag: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...
    if zz.size and zz.max() < _VARINT_LIMITS[1]:  # the usual sizes and lengths: one or two bytes each
        return (zz >= _VARINT_LIMITS[0]).astype(np.int64) + 1
    return np.searchsorted(_VARINT_LIMITS, zz, side="right").astype(np.int64) + 1


def record_size_in_bytes(
    key_bytes: np.ndarray, value_bytes: np.ndarray, offset_delta: np.ndarray | None = None, magic: int = 2
):
    """``DefaultRecord.sizeInBytes`` for each record (magic 2), or a v0/v1 message's size with its log
    overhead (``LegacyRecord.recordSize`` + 12, magic 0 or 1); ``key_bytes < 0`` means a null key."""
    key = np.asarray(key_bytes, dtype=np.int64)
    value = np.asarray(value_bytes, dtype=np.int64)
    if magic < 2:
        return LEGACY_RECORD_OVERHEAD[magic] + np.maximum(key, 0) + value
    if _COMPILED and offset_delta is None and key.ndim == 1 and key.shape == value.shape and value.min(
        initial=0
    ) >= 0:  # a chunk of records: one C loop
        out = np.empty(key.size, dtype=np.int64)
        _record_sizes_loop(key, value, out)
        return out
    body = (
        1  # attributes
        + 1  # timestamp delta (see module docstring)
        + (1 if offset_delta is None else varint_size(offset_delta))  # offset delta 0: one byte
        + np.where(key < 0, 1, varint_size(key) + key)
        + varint_size(value)
        + value
        + 1  # header count (0)
    )
    return body + varint_size(body)


def _varint_bytes(x: int) -> int:
    """Bytes of the zig-zag varint of ``x >= 0`` (its zig-zag value is 2x): one per 7 bits."""
    z = x + x
    n = 1
    while z >= 128:
        z >>= 7
        n += 1
    return n


def _record_sizes_loop(key, value, out) -> None:
    """The compiled build's :func:`record_size_in_bytes` for magic 2 and offset delta 0 (typed in
    protocol.pxd): per record, the same sum of its fields' sizes, in C numbers."""
    for i in range(key.shape[0]):
        k = key[i]
        v = value[i]
        body = 4 + v + _varint_bytes(v)  # attributes, timestamp and offset deltas, header count; value
        if k < 0:
            body += 1  # a null key: its length -1, one byte
        else:
            body += _varint_bytes(k) + k
        out[i] = body + _varint_bytes(body)


RECORD_COLUMNS = ("create_ms", "append_ms", "record_id", "key", "value_bytes")
"""The columns of a batch's ``records`` block, in order (all float64; the integer ones are exact)."""
# Each column's index in a records block: the only names code uses for them.
CREATE_MS, APPEND_MS, RECORD_ID, KEY, VALUE_BYTES = range(len(RECORD_COLUMNS))

MAX_EXACT_ID = 2**53  # integers a float64 column holds exactly: record ids, key ids and sizes stay below
RECORD_ID_PRODUCER_SHIFT = 40  # a record id is (producer number << 40) + the producer's sequence number
MAX_PRODUCER_INSTANCES = MAX_EXACT_ID >> RECORD_ID_PRODUCER_SHIFT  # 8192: so every record id stays exact


def batch_header_bytes(magic: int, compressed: bool) -> int:
    """Bytes a batch adds to its records: v2's 61-byte header; none for an uncompressed v0/v1 message set
    (its messages follow one another); for a compressed v0/v1 set, the wrapper message around them."""
    if magic >= 2:
        return RECORD_BATCH_OVERHEAD
    return LEGACY_RECORD_OVERHEAD[magic] if compressed else 0


def record_size_upper_bound(key_bytes: int | None, value_bytes: int) -> int:
    """Kafka's upper bound on a one-record batch (``estimateSizeInBytesUpperBound``, magic v2);
    ``key_bytes`` None for a null key."""
    key = -1 if key_bytes is None else key_bytes
    body = int(varint_size(np.array([key, value_bytes, 0])).sum()) + max(key, 0) + value_bytes
    return RECORD_BATCH_OVERHEAD + MAX_RECORD_OVERHEAD + body


NO_PARTITION_LEADER_EPOCH = -1  # RecordBatch.NO_PARTITION_LEADER_EPOCH
CONSUMER_REPLICA_ID = -1  # FetchRequest.CONSUMER_REPLICA_ID: a fetch from a client, not a follower


class MemoryRecords:
    """One partition's records in a produce request, as they travel (Kafka's ``MemoryRecords``).

    ``tp`` the partition; ``records`` the block of per-record columns (``RECORD_COLUMNS``) and ``count``
    its rows; ``size_bytes`` uncompressed and ``wire_bytes`` as sent (compressed with the producer's
    codec), both with ``header_bytes`` of batch header (v2) or of a compressed v0/v1 set's wrapper;
    ``value_total`` the records' value bytes; the idempotent producer's ``producer_id``,
    ``producer_epoch`` and ``base_sequence`` (else ``NO_PRODUCER_ID`` / ``NO_SEQUENCE``);
    ``max_timestamp_ms`` its newest (last) record's create time, the batch header's ``maxTimestamp``. The
    producer builds it (its ``ProducerBatch`` is one); a broker only reads it, and its log stores its own
    entry (``RecordBatch``).
    """

    __slots__ = (
        "tp",
        "records",
        "count",
        "size_bytes",
        "header_bytes",
        "wire_bytes",
        "value_total",
        "producer_id",
        "producer_epoch",
        "base_sequence",
        "max_timestamp_ms",
    )


class RecordBatch:
    """A record batch as a partition's log stores it (``DefaultRecordBatch``); immutable once appended.

    ``records`` is the batch's block of per-record columns (``RECORD_COLUMNS``), shared with the batch
    the producer sent; ``base_offset`` .. ``next_offset - 1`` are its offsets; ``log_append_ms`` the
    leader's append time; ``partition_leader_epoch`` the leader epoch it was written in (KIP-101); the
    producer id, epoch and base sequence are those of an idempotent producer (else ``NO_PRODUCER_ID`` /
    ``NO_SEQUENCE``).
    """

    __slots__ = (
        "base_offset",
        "next_offset",
        "count",
        "stored_bytes",
        "records",
        "value_total",
        "log_append_ms",
        "partition_leader_epoch",
        "producer_id",
        "producer_epoch",
        "base_sequence",
        "max_timestamp_ms",
    )

    def __init__(
        self,
        base_offset: int,
        records,
        count: int,
        stored_bytes: int,
        value_total: int,
        log_append_ms: float,
        partition_leader_epoch: int = NO_PARTITION_LEADER_EPOCH,
        producer_id: int = NO_PRODUCER_ID,
        producer_epoch: int = NO_PRODUCER_ID,
        base_sequence: int = NO_SEQUENCE,
    ):
        fill_record_batch(
            self,
            base_offset,
            records,
            count,
            stored_bytes,
            value_total,
            log_append_ms,
            partition_leader_epoch,
            producer_id,
            producer_epoch,
            base_sequence,
            records.item(-1, CREATE_MS),  # a float, without a numpy scalar
        )

    @property
    def last_offset(self) -> int:
        return self.next_offset - 1

    @property
    def create_ms(self):
        return self.records[:, CREATE_MS]

    @property
    def record_ids(self):
        return self.records[:, RECORD_ID].astype(np.int64)

    @property
    def keys(self):
        return self.records[:, KEY].astype(np.int64)

    @property
    def value_bytes(self):
        return self.records[:, VALUE_BYTES].astype(np.int64)

    def __repr__(self) -> str:
        return (
            f"RecordBatch(offsets {self.base_offset}..{self.next_offset - 1}, bytes={self.stored_bytes}, "
            f"epoch={self.partition_leader_epoch})"
        )


INF = float("inf")


def fill_record_batch(
    b: RecordBatch,
    base_offset: int,
    records,
    count: int,
    stored_bytes: int,
    value_total: int,
    log_append_ms: float,
    partition_leader_epoch: int,
    producer_id: int,
    producer_epoch: int,
    base_sequence: int,
    max_timestamp_ms: float,
) -> RecordBatch:
    """Fill ``b``'s fields and return it: ``RecordBatch.__init__``, and compiled a C call that fills a new
    entry (``fill_record_batch(RecordBatch.__new__(RecordBatch), ...)``: no argument parsing and no number
    objects, as a call of the class makes; a log makes one per appended batch)."""
    b.base_offset = base_offset
    b.next_offset = base_offset + count
    b.count = count
    b.stored_bytes = stored_bytes
    b.records = records
    b.value_total = value_total
    b.log_append_ms = log_append_ms
    b.partition_leader_epoch = partition_leader_epoch
    b.producer_id = producer_id
    b.producer_epoch = producer_epoch
    b.base_sequence = base_sequence
    # The batch's timestamp as a log segment reads it (CreateTime: its newest record's), kept on the entry
    # rather than read from the records block by every replica that appends it.
    b.max_timestamp_ms = max_timestamp_ms
    return b



class ProduceRequest:
    """A produce request: a producer's batches for one broker (one per partition), as sent."""

    __slots__ = (
        "client",
        "node",
        "batches",
        "wire_bytes",
        "records",
        "send_ms",
        "arrive_ms",
        "queue_ms",
        "start_ms",
        "done_ms",
        "timed_out",
        "acks",
        "errors",
        "conn",
        "host",
        "codec",
        "producer_state",
        "timeout_ms",
        "base_offsets",
        "replicated_ms",
        "new_leaders",
        "stored_bytes",
    )

    def __init__(self, client, node: int, batches: list, send_ms: float, acks: int, wire_bytes: int,
                 records: int, conn: int, host, codec, timeout_ms: float):  # fmt: skip
        fill_produce_request(
            self, client, node, batches, send_ms, acks, wire_bytes, records, conn, host, codec, timeout_ms
        )


def fill_produce_request(
    r: ProduceRequest, client, node, batches: list, send_ms: float, acks: int, wire_bytes: int, records: int,
    conn, host, codec, timeout_ms: float,
) -> ProduceRequest:
    """Every field of ``r``, a new ``ProduceRequest`` (its ``__init__``, or ``ProduceRequest.__new__`` where
    a sender makes one per request: compiled, a C call with no argument parsing); returns ``r``."""
    r.client = client  # answered with client.response_cb(request): its on_produce_response
    r.node = node
    r.batches = batches
    r.wire_bytes = wire_bytes  # PRODUCE_REQUEST_OVERHEAD plus the batches' wire bytes
    r.records = records
    r.send_ms = send_ms
    r.arrive_ms = send_ms
    r.queue_ms = send_ms
    r.start_ms = send_ms
    r.done_ms = send_ms
    r.timed_out = False
    r.acks = acks
    r.errors = None  # per batch, set by the broker
    r.conn = conn  # the client's connection to the leader
    r.host = host  # the client's host, where the response goes
    r.codec = codec  # the batches' compression codec (their attributes)
    # Idempotent producer: per batch, (producer id, epoch, base sequence) as sent; else None.
    r.producer_state = None
    r.timeout_ms = timeout_ms  # ProduceRequest.timeoutMs: how long acks=all may wait
    r.base_offsets = None  # per batch, set by the broker (-1: not appended)
    r.replicated_ms = send_ms  # when the leader answered (after the followers, with acks=all)
    r.new_leaders = None  # KIP-951: tp -> (leader, epoch) for NOT_LEADER_OR_FOLLOWER
    r.stored_bytes = None  # per batch, as the leader stores it (set if it recompresses)
    return r


class FetchLimits:
    """A client's fetch limits, read from its config once (a consumer's ``fetch.min.bytes``,
    ``fetch.max.wait.ms``, ``fetch.max.bytes`` and ``max.partition.fetch.bytes``; a follower's
    ``replica.fetch.*`` under the same names): compiled, a ``FetchRequest`` copies them as C numbers."""

    __slots__ = ("fetch_min_bytes", "fetch_max_wait_ms", "fetch_max_bytes", "max_partition_fetch_bytes")

    def __init__(self, cfg):
        self.fetch_min_bytes = cfg.fetch_min_bytes
        self.fetch_max_wait_ms = cfg.fetch_max_wait_ms
        self.fetch_max_bytes = cfg.fetch_max_bytes
        self.max_partition_fetch_bytes = cfg.max_partition_fetch_bytes


def fill_fetch_request(
    f: FetchRequest, client, node, partitions: list, offsets: list, limits: FetchLimits, send_ms: float,
    conn, host, replica_id: int, reply=None,
) -> FetchRequest:
    """Every field of ``f``, a new ``FetchRequest`` (its ``__init__``, or ``FetchRequest.__new__`` where a
    client sends one on every response: compiled, a C call with no argument parsing); returns ``f``.
    ``reply`` is ``client.response_cb``, passed by a client that holds it in a field."""
    f.client = client
    f.reply = client.response_cb if reply is None else reply  # answered with reply(request, data)
    f.node = node
    # The partitions and their fetch offsets, index-aligned: two lists, not a pair per partition (a follower
    # sends the same partitions on every fetch and passes its own list; only the offsets are new). Nothing
    # changes either list in place: a broker that drops partitions gives the fetch new ones (``retain``).
    f.partitions = partitions
    f.offsets = offsets
    f.min_bytes = limits.fetch_min_bytes
    f.max_wait_ms = limits.fetch_max_wait_ms
    f.max_bytes = limits.fetch_max_bytes
    f.max_partition_bytes = limits.max_partition_fetch_bytes
    f.send_ms = send_ms
    f.arrive_ms = send_ms
    f.parked = False
    f.parked_seq = 0  # its key among the purgatory's parked operations
    f.conn = conn
    f.host = host
    f.replica_id = replica_id  # the follower broker's id, or CONSUMER_REPLICA_ID for a client
    f.high_watermarks = None  # a follower's response: the leader's high watermark per partition
    f.new_leaders = None  # partitions answered NOT_LEADER_OR_FOLLOWER: tp -> (leader, epoch)
    f.window = INF  # the response's TCP window (the fetcher's receive and the broker's send buffer)
    f.out_of_range = None  # a consumer's partitions answered OFFSET_OUT_OF_RANGE (past the log end)
    f.logs = None  # the broker's logs of ``partitions``, in their order (``Broker._fetch_logs``)
    # A follower's: the leader's Partition of each of ``partitions`` when it led them all, as of the leader's
    # ``led_version`` then (valid while that is unchanged: no dictionary lookup per partition and fetch).
    f.leaders = None
    f.leaders_version = -1
    f.watching = None  # parked: the logs whose watcher lists it is in (``DelayedFetchPurgatory.watch``)
    return f


class FetchRequest:
    """A fetch request from a consumer or a follower (``replica_id``), for partitions from offsets."""

    __slots__ = (
        "client",
        "node",
        "partitions",
        "offsets",
        "min_bytes",
        "max_wait_ms",
        "max_bytes",
        "max_partition_bytes",
        "send_ms",
        "arrive_ms",
        "parked",
        "parked_seq",
        "conn",
        "host",
        "replica_id",
        "high_watermarks",
        "new_leaders",
        "window",
        "out_of_range",
        "logs",
        "leaders",
        "leaders_version",
        "reply",
        "watching",
    )

    def __init__(self, client, node, partitions, cfg, send_ms, conn, host, replica_id=CONSUMER_REPLICA_ID):
        """``partitions``: (topic-partition, fetch offset) pairs. The clients pass their FetchLimits; any
        config with the same four names is read into one."""
        limits = cfg if isinstance(cfg, FetchLimits) else FetchLimits(cfg)
        tps = [tp for tp, _ in partitions]
        offsets = [offset for _, offset in partitions]
        fill_fetch_request(self, client, node, tps, offsets, limits, send_ms, conn, host, replica_id)

    def retain(self, keep) -> None:
        """Keep only the partitions in ``keep`` (a set or a dict of topic-partitions), with their offsets:
        new lists (the old ones may be a client's own)."""
        tps, offsets = self.partitions, self.offsets
        kept_tps, kept_offsets = [], []
        for i in range(len(tps)):
            tp = tps[i]
            if tp in keep:
                kept_tps.append(tp)
                kept_offsets.append(offsets[i])
        self.partitions, self.offsets = kept_tps, kept_offsets

    def drop(self, gone) -> None:
        """Leave out the partition ``gone`` (new lists, as ``retain``)."""
        self.retain({tp for tp in self.partitions if tp != gone})
