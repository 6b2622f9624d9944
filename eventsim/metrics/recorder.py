"""``Recorder``: where every component reports what happened, streamed into fixed-size structures.

Latencies go into log-bucketed histograms (overall and per window of simulated time), counts and bytes
into per-window counters, per-stage latencies into one histogram per stage, and — only for a sampled
fraction of records (``metrics.record_sample``) — full per-record rows. Memory therefore grows with
the number of windows (tiny) and the sample (bounded), never with the number of records.

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

import numpy as np

from eventsim.metrics.histogram import LatencyHistogram
from eventsim.metrics.timeseries import WindowedCounter, WindowedHistogram

__all__ = ["Recorder", "PRODUCE_STAGES", "CONSUME_STAGES"]

PRODUCE_STAGES = ("accumulator_wait", "linger", "network", "request_queue", "append", "acknowledgement")
CONSUME_STAGES = ("fetch_wait", "poll", "processing")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
FLUSH_VALUES = 1 << 16  # buffered records before they are folded into the histograms
FLUSH_BATCHES = 4096


class TopicMetrics:
    def __init__(self, window_ms: float):
        w = window_ms
        self.produced = WindowedCounter(w)
        self.bytes_produced = WindowedCounter(w)
        self.acked = WindowedCounter(w)
        self.bytes_acked = WindowedCounter(w)
        self.consumed = WindowedCounter(w)
        self.bytes_consumed = WindowedCounter(w)
        self.produce_latency = WindowedHistogram(w)
        self.e2e_latency = WindowedHistogram(w)
        self.failed: dict[str, int] = {}
        self.batches = 0
        self.batch_records = 0
        self.batch_bytes = 0
        self.requests = 0


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
        self._acked: list[tuple] = []  # (batch, request, ack_ms) not yet folded in
        self._consumed: list[tuple] = []  # (chunks, consume_ms, processing) not yet folded in
        self._consumed_n = 0
        self._produce_rows: list[tuple] = []
        self._consume_rows: list[tuple] = []
        self.partition_rows: list[tuple] = []

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
    def records_created(self, topic: str, create_ms: np.ndarray, value_bytes: np.ndarray) -> None:
        tm = self.topic(topic)
        tm.produced.add(create_ms, 1)
        tm.bytes_produced.add(create_ms, value_bytes)

    def failed_records(self, topic: str, n: int, reason: str) -> None:
        tm = self.topic(topic)
        tm.failed[reason] = tm.failed.get(reason, 0) + int(n)

    def request_sent(self, req) -> None:
        tm = self.topic(req.batches[0].tp.topic)
        tm.requests += 1
        for b in req.batches:
            if b.attempts == 1:  # first send of this batch
                tm.batches += 1
                tm.batch_records += b.count
                tm.batch_bytes += b.wire_bytes

    def retried(self, batch) -> None:
        self.retries += 1

    def appended(self, batch, now: float) -> None:
        pass  # the log keeps the append time; kept as the hook replication will use

    def batch_acked(self, batch, req, now: float) -> None:
        """A batch was acknowledged at ``now``; folded into the metrics in bulk by ``_flush_acked``."""
        self._acked.append((batch, req, now))
        if len(self._acked) >= FLUSH_BATCHES:
            self._flush_acked()

    def _flush_acked(self) -> None:
        acked = self._acked
        if not acked:
            return
        self._acked = []
        by_topic: dict[str, list] = {}
        for item in acked:
            by_topic.setdefault(item[0].tp.topic, []).append(item)
        for topic, items in by_topic.items():
            tm = self.topic(topic)
            counts = np.array([b.count for b, _, _ in items], dtype=np.int64)
            now = np.array([t for _, _, t in items], dtype=np.float64)
            send = np.array([r.send_ms for _, r, _ in items], dtype=np.float64)
            queue = np.array([r.queue_ms for _, r, _ in items], dtype=np.float64)
            start = np.array([r.start_ms for _, r, _ in items], dtype=np.float64)
            done = np.array([r.done_ms for _, r, _ in items], dtype=np.float64)
            tm.acked.add(now, counts)
            tm.bytes_acked.add(now, np.array([b.value_total for b, _, _ in items], dtype=np.float64))
            create = np.concatenate([b.create_ms for b, _, _ in items])
            append = np.concatenate([b.append_ms for b, _, _ in items])
            ack_each = np.repeat(now, counts)
            tm.produce_latency.record(ack_each, ack_each - create)
            st = self.stages
            st[("produce", "accumulator_wait")].record(append - create)
            st[("produce", "linger")].record(np.repeat(send, counts) - append)
            st[("produce", "network")].record(queue - send, count=counts)
            st[("produce", "request_queue")].record(start - queue, count=counts)
            st[("produce", "append")].record(done - start, count=counts)
            st[("produce", "acknowledgement")].record(np.maximum(now - done, 0.0), count=counts)
            if self.sample_rate > 0:
                rids = np.concatenate([b.record_ids for b, _, _ in items])
                m = self._sampled(rids)
                if m.any():
                    which = np.repeat(np.arange(len(items)), counts)[m]
                    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
                    pos = np.nonzero(m)[0]
                    for k, i in zip(which.tolist(), pos.tolist(), strict=True):
                        b, r, t = items[k]
                        j = i - int(first[k])
                        offset = b.base_offset + j if b.base_offset >= 0 else -1
                        self._produce_rows.append(
                            (
                                int(b.record_ids[j]),
                                topic,
                                b.tp.partition,
                                offset,
                                b.producer,
                                int(b.keys[j]),
                                int(b.value_bytes[j]),
                                float(b.create_ms[j]),
                                float(r.send_ms),
                                float(r.done_ms),
                                float(t),
                            )
                        )

    # ------------------------------------------------------------------ consumer side
    def consumed(self, consumer, chunks, n: int, now: float, processing: np.ndarray) -> None:
        """``poll()`` returned ``chunks`` at ``now``; folded into the metrics by ``_flush_consumed``."""
        if n == 0:
            return
        self._consumed.append((chunks, now, processing))
        self._consumed_n += n
        if self._consumed_n >= FLUSH_VALUES:
            self._flush_consumed()

    def _flush_consumed(self) -> None:
        polls = self._consumed
        if not polls:
            return
        self._consumed = []
        self._consumed_n = 0
        st = self.stages
        st[("consume", "processing")].record(np.concatenate([p for _, _, p in polls]))
        by_topic: dict[str, list] = {}
        for chunks, now, _ in polls:
            for c in chunks:
                by_topic.setdefault(c[0].topic, []).append((c, now))
        for topic, items in by_topic.items():
            tm = self.topic(topic)
            counts = np.array([c[3] - c[2] for c, _ in items], dtype=np.int64)
            now = np.array([t for _, t in items], dtype=np.float64)
            arrived = np.array([c[4] for c, _ in items], dtype=np.float64)
            appended = np.array([c[1].append_ms for c, _ in items], dtype=np.float64)
            tm.consumed.add(now, counts)
            tm.bytes_consumed.add(
                now, np.array([int(c[1].value_bytes[c[2] : c[3]].sum()) for c, _ in items], dtype=np.float64)
            )
            create = np.concatenate([c[1].create_ms[c[2] : c[3]] for c, _ in items])
            now_each = np.repeat(now, counts)
            tm.e2e_latency.record(now_each, now_each - create)
            st[("consume", "fetch_wait")].record(np.maximum(arrived - appended, 0.0), count=counts)
            st[("consume", "poll")].record(now - arrived, count=counts)
            if self.sample_rate > 0:
                rids = np.concatenate([c[1].record_ids[c[2] : c[3]] for c, _ in items])
                m = self._sampled(rids)
                self._consume_rows.extend(zip(rids[m].tolist(), now_each[m].tolist(), strict=True))

    # ------------------------------------------------------------------ logs
    def segments_deleted(self, tp, nbytes: int) -> None:
        self.deleted_bytes[tp.topic] = self.deleted_bytes.get(tp.topic, 0) + nbytes

    def snapshot_partitions(self, now: float, cluster) -> None:
        for topic in cluster.topics.values():
            for tp in topic.tps():
                log = cluster.log(tp)
                self.partition_rows.append(
                    (
                        now / 1000.0,
                        tp.topic,
                        tp.partition,
                        topic.leader(tp.partition),
                        log.log_end_offset,
                        log.size_bytes,
                        len(log.segments),
                    )
                )
