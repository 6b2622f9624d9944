"""``Recorder``: where every component reports what happened, streamed into fixed-size structures.

Latencies go into log-bucketed histograms (overall and per window of simulated time), counts and bytes
into per-window counters, per-stage latencies into one histogram per stage, and — only for a sampled
fraction of records (``metrics.record_sample``) — full per-record rows. Memory therefore grows with
the number of windows (tiny) and the sample (bounded), never with the number of records.

Record counts per topic, and what they mean:

* ``records_offered``: every ``send()`` the application made, including records that ``send()`` failed
  (``RECORD_TOO_LARGE`` for a record over ``max.request.size``, ``BUFFER_EXHAUSTED_TIMEOUT`` after
  blocking ``max.block.ms`` on ``buffer.memory``); windowed by the ``send()`` time.
* ``records_produced``: records ``send()`` accepted into the accumulator (offered less those failed in
  ``send()``), windowed by their ``send()`` time; a record still blocked in ``send()`` when the run ends
  is offered, not produced.
* ``records_acked``: produced records whose batch was acknowledged; ``records_failed``: records failed
  anywhere, in ``send()`` or after (delivery timeout, broker errors); by reason in ``failed``.
* ``records_consumed``: records ``poll()`` handed to the application, summed over consumer groups;
  ``records_consumed_duplicate``: those a group had already read (a record written twice to the log by
  a retry without idempotence), counted with one bit per record and group (``metrics/duplicates.py``).

Per-stage breakdown of a record's life (the ``breakdown`` frame):

* produce: ``accumulator_wait`` (``send()`` blocked on ``buffer.memory`` or the application thread
  busy), ``linger`` (in its batch until drained into a request), ``network`` (client NIC, wire, broker
  NIC and network thread, including a full request queue blocking the processor), ``request_queue``
  (waiting for an I/O thread), ``append`` (handler CPU, page-cache write, any fsync or write-back
  throttling), ``acknowledgement`` (response back to the producer).
* consume: ``fetch_wait`` (appended → fetch response at the consumer), ``poll`` (buffered in the
  consumer until ``poll()`` returns it), ``processing`` (the application's time on the record).
"""

from __future__ import annotations

import math

import numpy as np

from eventsim.metrics.duplicates import SeenRecords
from eventsim.metrics.histogram import LatencyHistogram
from eventsim.metrics.timeseries import BusyTracker, WindowedCounter
from eventsim.metrics.windowed_histogram import WindowedHistogram
from eventsim.protocol import APPEND_MS, CREATE_MS, KEY, RECORD_COLUMNS, RECORD_ID, VALUE_BYTES

try:  # compiled, a per-batch loop below reads C fields; as Python, comprehensions do the same
    import cython
except ImportError:  # pure Python, without Cython installed
    from eventsim._compiled import cython_stand_in as cython
_COMPILED = cython.compiled

__all__ = ["Recorder", "PolledColumns", "PRODUCE_STAGES", "CONSUME_STAGES"]

PRODUCE_STAGES = (
    "accumulator_wait",
    "linger",
    "network",
    "request_queue",
    "append",
    "replication",
    "acknowledgement",
)
CONSUME_STAGES = ("fetch_wait", "poll", "processing")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
FLUSH_VALUES = 1 << 16  # buffered records before they are folded into the histograms
FLUSH_BATCHES = 4096
POLLED_ROWS = 1024  # a topic's polled chunks buffered at first (the buffers double when full)
# Per acknowledged request (Recorder._acked): ack time, send, queued, handler start, appended (done), the
# acks flag (1.0; 0.0 for acks=0), the append time for the records frame, and when it was replicated.
ACKED_FIELDS = 8


class TopicMetrics:
    def __init__(self, window_ms: float):
        w = window_ms
        self.offered = WindowedCounter(w)
        self.produced = WindowedCounter(w)
        self.bytes_produced = WindowedCounter(w)
        self.acked = WindowedCounter(w)
        self.bytes_acked = WindowedCounter(w)
        self.consumed = WindowedCounter(w)
        self.bytes_consumed = WindowedCounter(w)
        self.produce_latency = WindowedHistogram(w)
        self.e2e_latency = WindowedHistogram(w)
        self.failed: dict[str, int] = {}
        self.failed_series = WindowedCounter(w)  # every failed record, when it failed
        self.send_blocked = BusyTracker(w)  # the producers' application threads blocked in send()
        self.batches = 0
        self.batch_records = 0
        self.batch_bytes = 0
        self.requests = 0
        self.consumed_duplicate = 0


def _stack(blocks: list, rows: int) -> np.ndarray:
    """Records blocks (float64, a row per record, C order: see ProducerBatch) one after the other, as
    ``np.concatenate`` would give them: their bytes joined, which costs a fraction of numpy's work per
    block for the thousands of small blocks a fold joins. Blocks that do not join to ``rows`` rows of
    float64 (none the simulation makes) take numpy's way."""
    if blocks and blocks[0].dtype == np.float64:
        try:
            joined = bytearray().join(blocks)
        except (BufferError, TypeError):  # a block not contiguous
            joined = None
        if joined is not None and len(joined) == rows * len(RECORD_COLUMNS) * 8:
            return np.frombuffer(joined, dtype=np.float64).reshape(rows, len(RECORD_COLUMNS))
    return np.concatenate(blocks)


class PolledColumns:
    """Records ``poll()`` has handed to the application for one topic, not yet folded: one entry per
    chunk (a run of records of one fetched batch): record count, poll time, fetch-response arrival time,
    the batch's log append time, value bytes, and the chunk's ``records`` block (see ``ProducerBatch``).
    The consumer adds each chunk as it takes records from its buffer (``add``), so a chunk is handled
    once; the numbers go into buffers kept for the run (grown when full), not into lists of number
    objects. One per topic and consumer group, with the group's ``seen`` records."""

    __slots__ = (
        "topic",
        "group",
        "seen",
        "n",
        "_ints",
        "_ints_view",
        "_times",
        "_times_view",
        "records",
        "pending",
    )

    def __init__(self, topic: str, group=None):
        self.topic = topic
        self.group = group
        self.seen = SeenRecords()  # what the group has read, for records_consumed_duplicate
        self.pending = False  # has entries waiting for the next fold
        self.clear()
        self._ints = self._times = None
        self._grow(POLLED_ROWS)

    def _grow(self, rows: int) -> None:
        """Room for ``rows`` entries: per entry its count and value bytes, and its poll, arrival and append
        times (the entries so far kept)."""
        ints = np.empty((rows, 2), dtype=np.int64)
        times = np.empty((rows, 3), dtype=np.float64)
        if self.n:
            ints[: self.n] = self._ints[: self.n]
            times[: self.n] = self._times[: self.n]
        self._ints = ints
        self._ints_view = ints
        self._times = times
        self._times_view = times

    def add(self, count: int, now: float, arrived: float, appended: float, vbytes: int, records) -> None:
        """A chunk of ``count`` records taken at ``now`` from a batch that arrived at ``arrived`` and was
        appended to the log at ``appended``; ``records`` its block."""
        k = self.n
        if k >= self._ints_view.shape[0]:
            self._grow(2 * k)
        self._ints_view[k, 0] = count
        self._ints_view[k, 1] = vbytes
        self._times_view[k, 0] = now
        self._times_view[k, 1] = arrived
        self._times_view[k, 2] = appended
        self.records.append(records)
        self.n = k + 1

    def columns(self) -> tuple:
        """The entries so far, as arrays of their own: counts, value bytes, poll, arrival and append times."""
        n = self.n
        ints, times = self._ints, self._times
        return tuple(a[:n, j].copy() for a, j in ((ints, 0), (ints, 1), (times, 0), (times, 1), (times, 2)))

    def clear(self) -> None:
        self.n = 0
        self.records: list[np.ndarray] = []


class Recorder:
    def __init__(self, window_ms: float, record_sample: float):
        self.window_ms = float(window_ms)
        self.sample_rate = float(record_sample)
        self._threshold = np.uint64(min(int(self.sample_rate * 2.0**64), 2**64 - 1))
        self.topics: dict[str, TopicMetrics] = {}
        self.stages = {("produce", s): LatencyHistogram() for s in PRODUCE_STAGES}
        self.stages.update({("consume", s): LatencyHistogram() for s in CONSUME_STAGES})
        self.retries = 0
        self.deleted_bytes: dict[str, int] = {}
        self.history = None  # eventsim.checker.History when the run keeps its records' history
        # Per acknowledged request, a row of its ACKED_FIELDS times, and how many of its batches were
        # acknowledged: written in place into buffers kept for the run (a request has a batch at least, so
        # a flush's requests fit), not appended to growing lists of float objects.
        self._acked = np.empty((FLUSH_BATCHES, ACKED_FIELDS), dtype=np.float64)
        self._acked_view = self._acked
        self._acked_per_request = np.empty(FLUSH_BATCHES, dtype=np.int64)
        self._acked_reps = self._acked_per_request
        self._acked_n = 0
        self._acked_batches: list = []  # the batches themselves (their record columns)
        self._unanswered: list = []  # acks=0 requests among them: (row, request)
        self._polled: dict[tuple, PolledColumns] = {}
        self._consume_order: list[PolledColumns] = []  # topics polled since the last fold, in order
        self._consumed_n = 0
        self._processing: list[np.ndarray] = []
        self._processing_fixed: dict[float, int] = {}
        # The fixed processing time polled last and its records since it was last added to the dictionary.
        self._fixed_key = None
        self._fixed_value = 0.0
        self._fixed_count = 0
        self._produce_rows: list[dict] = []  # sampled records, column arrays per flush
        self._consume_rows: list[tuple] = []  # (record ids, consume times) per flush
        self.partition_rows: list[tuple] = []
        self.replica_rows: list = []
        self.replication_rows: list = []
        self.lag_rows: list[tuple] = []

    def topic(self, name: str) -> TopicMetrics:
        tm = self.topics.get(name)
        if tm is None:
            tm = self.topics[name] = TopicMetrics(self.window_ms)
        return tm

    def _sampled(self, rids: np.ndarray) -> np.ndarray:
        if self.sample_rate >= 1.0:
            return np.ones(rids.shape, dtype=bool)
        if self.sample_rate <= 0.0:
            return np.zeros(rids.shape, dtype=bool)
        with np.errstate(over="ignore"):
            h = rids.astype(np.uint64) * _GOLDEN
        return h < self._threshold

    def flush(self) -> None:
        """Fold every buffered value into its histogram or counter (called at the end of a run)."""
        self._flush_acked()
        self._flush_consumed()

    # ------------------------------------------------------------------ producer side
    def records_offered(self, topic: str, create_ms: np.ndarray) -> None:
        """The application called ``send()`` for these records (whatever happens to them next)."""
        self.topic(topic).offered.add(create_ms, 1)

    def offered_count(self, topic: str, t_ms: np.ndarray, counts: np.ndarray) -> None:
        """``counts[i]`` more records offered in the window of ``t_ms[i]`` (not drawn one by one)."""
        self.topic(topic).offered.add(t_ms, counts)

    def records_created(self, topic: str, create_ms: np.ndarray, value_bytes: np.ndarray) -> None:
        """``send()`` accepted these records into the accumulator: they count as produced."""
        tm = self.topic(topic)
        tm.produced.add(create_ms, 1)
        tm.bytes_produced.add(create_ms, value_bytes)

    def failed_records(self, topic: str, n: int, reason: str, at_ms: float) -> None:
        """``n`` records failed at ``at_ms`` with ``reason`` (Kafka's exception: ``DELIVERY_TIMEOUT`` ...)."""
        tm = self.topic(topic)
        tm.failed[reason] = tm.failed.get(reason, 0) + int(n)
        tm.failed_series.add(at_ms, int(n))

    def send_blocked(self, topic: str, start_ms: float, end_ms: float) -> None:
        """A producer's ``send()`` blocked on ``buffer.memory`` from ``start_ms`` to ``end_ms``."""
        if end_ms > start_ms:
            self.topic(topic).send_blocked.add_interval(start_ms, end_ms)

    def request_sent(self, topic: str, new_batches: int, new_records: int, new_bytes: int) -> None:
        """A produce request went out, carrying ``new_batches`` batches sent for the first time."""
        tm = self.topic(topic)
        tm.requests += 1
        tm.batches += new_batches
        tm.batch_records += new_records
        tm.batch_bytes += new_bytes

    def retried(self, batch) -> None:
        self.retries += 1

    def request_acked(self, req, batches, now: float) -> None:
        """``batches`` of ``req`` were acknowledged at ``now``; folded in bulk by ``_flush_acked``."""
        k = self._acked_n
        # (The buffer is written through the field: a local view would be acquired and released per call.)
        self._acked_view[k, 0] = now
        self._acked_view[k, 1] = req.send_ms
        if req.acks == 0:  # the producer never hears from the broker: its latency ends on the wire
            # The broker's append time (for the records frame) may not be known yet: read when folded.
            self._acked_view[k, 2] = now
            self._acked_view[k, 3] = now
            self._acked_view[k, 4] = now
            self._acked_view[k, 5] = 0.0
            self._acked_view[k, 6] = math.nan
            self._acked_view[k, 7] = now
            self._unanswered.append((k, req))
        else:
            self._acked_view[k, 2] = req.queue_ms
            self._acked_view[k, 3] = req.start_ms
            self._acked_view[k, 4] = req.done_ms
            self._acked_view[k, 5] = 1.0
            self._acked_view[k, 6] = req.done_ms
            self._acked_view[k, 7] = req.replicated_ms
        self._acked_reps[k] = len(batches)
        self._acked_n = k + 1
        self._acked_batches += batches
        if len(self._acked_batches) >= FLUSH_BATCHES or k + 1 >= FLUSH_BATCHES:
            self._flush_acked()

    def _flush_acked(self) -> None:
        n = self._acked_n
        if not n:
            return
        per_request = self._acked[:n]
        for i, req in self._unanswered:  # acks=0: the append time, once the broker has appended it
            if req.base_offsets is not None:
                per_request[i, 6] = req.done_ms
        self._unanswered = []
        batches = self._acked_batches
        # One row per batch: count, then its request's times, value bytes, acks flag, append time (a new
        # array: the buffers are written again from the next request on).
        req_rows = np.repeat(per_request, self._acked_per_request[:n], axis=0)
        self._acked_batches = []
        self._acked_n = 0
        rows = np.empty((len(batches), 10), dtype=np.float64)
        self._counts_and_values(batches, rows)
        rows[:, 1:6] = req_rows[:, 0:5]
        rows[:, 7:10] = req_rows[:, 5:8]
        if len(self.topics) == 1:  # one topic in the run: every batch is of it
            self._fold_acked(next(iter(self.topics)), rows, batches)
            return
        topics = [b.tp.topic for b in batches]
        for topic in dict.fromkeys(topics):
            if all(t == topic for t in topics):
                sel, items = rows, batches
            else:
                mask = np.array([t == topic for t in topics])
                sel, items = rows[mask], [b for b, m in zip(batches, mask, strict=True) if m]
            self._fold_acked(topic, sel, items)

    def _counts_and_values(self, batches: list, rows: np.ndarray) -> None:
        """The batches' record counts and value bytes into ``rows``' columns 0 and 6 (compiled, each batch's
        fields are read as C fields and written as C numbers)."""
        if not _COMPILED:
            rows[:, 0], rows[:, 6] = [b.count for b in batches], [b.value_total for b in batches]
            return
        view = rows
        for j in range(len(batches)):
            b = batches[j]
            view[j, 0] = b.count
            view[j, 6] = b.value_total

    def _batch_fields(self, items: list, picks: list) -> np.ndarray:
        """Base offset, partition and producer of each batch ``items[i]``, ``i`` in ``picks``: a row each
        (compiled, the batches' fields are read as C fields)."""
        if not _COMPILED:  # a column per list: cheaper than tuples
            picked = [items[i] for i in picks]
            fields = np.empty((len(picked), 3), dtype=np.int64)
            fields[:, 0] = [b.base_offset for b in picked]
            fields[:, 1] = [b.tp.partition for b in picked]
            fields[:, 2] = [b.producer for b in picked]
            return fields
        fields = np.empty((len(picks), 3), dtype=np.int64)
        view = fields
        for j in range(len(picks)):
            b = items[picks[j]]
            view[j, 0] = b.base_offset
            view[j, 1] = b.tp.partition
            view[j, 2] = b.producer
        return fields

    def _fold_acked(self, topic: str, rows: np.ndarray, items: list) -> None:
        tm = self.topic(topic)
        counts = rows[:, 0].astype(np.int64)
        now, send, queue, start, done = rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4], rows[:, 5]
        tm.acked.add(now, counts)
        tm.bytes_acked.add(now, rows[:, 6])
        records = _stack([b.records for b in items], int(counts.sum()))
        if self.history is not None:
            self.history.acknowledged(records[:, RECORD_ID])
        create, append = records[:, CREATE_MS], records[:, APPEND_MS]
        ack_each = np.repeat(now, counts)
        tm.produce_latency.record(now, ack_each - create, repeats=counts)
        st = self.stages
        st[("produce", "accumulator_wait")].record(append - create)
        st[("produce", "linger")].record(np.repeat(send, counts) - append)
        st[("produce", "network")].record(queue - send, count=counts)
        st[("produce", "request_queue")].record(start - queue, count=counts)
        st[("produce", "append")].record(done - start, count=counts)
        replicated = np.maximum(rows[:, 9], done)
        st[("produce", "replication")].record(replicated - done, count=counts)
        st[("produce", "acknowledgement")].record(np.maximum(now - replicated, 0.0), count=counts)
        if self.sample_rate <= 0:
            return
        rids = records[:, RECORD_ID].astype(np.int64)
        m = self._sampled(rids)
        if not m.any():
            return
        # The batch of each sampled record, and its place in it (searched: a sample is a small part).
        ends = np.cumsum(counts)
        at = np.flatnonzero(m)
        which = ends.searchsorted(at, side="right")
        pos = at - (ends - counts)[which]
        # Per-batch fields only for the batches that hold a sampled record (``which`` is sorted, so
        # each of them is a run in it): base offset, partition and producer, in one pass over them.
        first = np.empty(which.size, dtype=bool)
        first[0] = True
        np.not_equal(which[1:], which[:-1], out=first[1:])
        slot = np.cumsum(first) - 1
        fields = self._batch_fields(items, which[first].tolist())
        base = fields[slot, 0]
        # RecordMetadata.offset is -1 with acks=0: the producer never learns it.
        known = (base >= 0) & (rows[which, 7] > 0)
        self._produce_rows.append(
            {
                "record_id": rids[at],
                "topic": np.full(pos.size, topic, dtype=object),
                "partition": fields[slot, 1],
                "offset": np.where(known, base + pos, -1),
                "producer": fields[slot, 2],
                "key": records[at, KEY].astype(np.int64),
                "value_bytes": records[at, VALUE_BYTES].astype(np.int64),
                "create_ms": create[at],
                "send_ms": send[which],
                "append_ms": rows[which, 8],
                "ack_ms": now[which],
            }
        )

    # ------------------------------------------------------------------ consumer side
    def polled_columns(self, topic: str, group=None) -> PolledColumns:
        """The columns the consumers of ``group`` fill as ``poll()`` hands them records of ``topic``."""
        cols = self._polled.get((topic, group))
        if cols is None:
            self.topic(topic)
            cols = self._polled[(topic, group)] = PolledColumns(topic, group)
        return cols

    def consumed(self, cols: PolledColumns, n: int, processing) -> None:
        """``poll()`` just added ``n`` records to ``cols``; folded into the metrics by ``_flush_consumed``.

        ``processing`` is the per-record processing time: an array, or one number for every record.
        """
        if n == 0:
            return
        if type(processing) is float and self._fixed_count and processing == self._fixed_value:
            self._fixed_count += n  # the same fixed time as the poll before: counted without the dictionary
        elif isinstance(processing, np.ndarray):
            self._processing.append(processing)
        else:
            self._spill_fixed()
            if processing not in self._processing_fixed:
                self._processing_fixed[processing] = 0  # its place among the values: first seen
            self._fixed_key = processing
            self._fixed_value = processing
            self._fixed_count = n
        if not cols.pending:
            cols.pending = True
            self._consume_order.append(cols)  # topics are folded in the order they were first polled
        self._consumed_n += n
        if self._consumed_n >= FLUSH_VALUES:
            self._flush_consumed()

    def _spill_fixed(self) -> None:
        """Add the records counted for the last fixed processing time to its entry."""
        if self._fixed_count:
            self._processing_fixed[self._fixed_key] += self._fixed_count
            self._fixed_count = 0

    def _flush_consumed(self) -> None:
        st = self.stages
        self._spill_fixed()
        if self._processing:
            st[("consume", "processing")].record(np.concatenate(self._processing))
            self._processing = []
        for value, count in self._processing_fixed.items():
            st[("consume", "processing")].record(value, count=count)
        self._processing_fixed = {}
        order, self._consume_order = self._consume_order, []
        self._consumed_n = 0
        for cols in order:
            cols.pending = False
            tm = self.topic(cols.topic)
            counts, vbytes, now, arrived, appended = cols.columns()
            tm.consumed.add(now, counts)
            tm.bytes_consumed.add(now, vbytes.astype(np.float64))
            records = _stack(cols.records, int(counts.sum()))
            create = records[:, CREATE_MS]
            now_each = np.repeat(now, counts)
            tm.e2e_latency.record(now, now_each - create, repeats=counts)
            st[("consume", "fetch_wait")].record(np.maximum(arrived - appended, 0.0), count=counts)
            st[("consume", "poll")].record(now - arrived, count=counts)
            rids = records[:, RECORD_ID].astype(np.int64)
            tm.consumed_duplicate += cols.seen.add(rids)
            if self.sample_rate > 0:
                at = np.flatnonzero(self._sampled(rids))
                self._consume_rows.append((rids[at], now_each[at]))
            cols.clear()

    # ------------------------------------------------------------------ logs
    def segments_deleted(self, tp, nbytes: int) -> None:
        self.deleted_bytes[tp.topic] = self.deleted_bytes.get(tp.topic, 0) + nbytes

    def snapshot_partitions(self, now: float, cluster) -> None:
        """Every partition at ``now`` (its leader's log and ISR), every follower's progress, and the
        replication bytes each broker has sent and received so far."""
        t = now / 1000.0
        rows = self.partition_rows
        replica_rows = self.replica_rows
        for topic in cluster.topics.values():
            rf = len(topic.replicas[0]) if topic.replicas else 1
            for tp in topic.tps():
                partition = cluster.partition(tp)  # the current leader's (or, with none, the last one's)
                leader = cluster.leader_of(tp)
                log = partition.log
                isr = len(partition.isr)
                rows.append(
                    (
                        t,
                        tp.topic,
                        tp.partition,
                        leader,
                        log.log_start_offset,
                        log.log_end_offset,
                        log.high_watermark,
                        log.size_bytes,
                        len(log.segments),
                        isr,
                        isr < rf,
                    )
                )
                in_isr = partition.isr
                for b, r in partition.remote.items():
                    lag_records, lag_ms = partition.follower_lag(b, now)
                    replica_rows.append(
                        (t, tp.topic, tp.partition, b, leader, r.log_end_offset, lag_records,
                         lag_ms, b in in_isr)
                    )
        self.replication_rows.extend(
            (t, b.id, b.replication_bytes_out, b.replication_bytes_in) for b in cluster.brokers
        )

    def snapshot_lag(self, now: float, cluster, consumers) -> None:
        """Consumer lag at ``now`` of every assigned partition: high watermark minus the consumer's position.

        One row per consumer group, topic and partition (a partition is assigned to one member of its
        group); consumers that have not positioned themselves yet (before ``start_ms``) have no row.
        """
        t = now / 1000.0
        rows = self.lag_rows
        for consumer in consumers:
            group = consumer.config.group_id
            for tp, position in consumer.consumed_positions().items():
                hw = cluster.log(tp).high_watermark
                row = (t, group, tp.topic, tp.partition, consumer.client_id, hw, position, hw - position)
                rows.append(row)
