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
            if b.attempts == 0:
                tm.batches += 1
                tm.batch_records += b.count
                tm.batch_bytes += b.wire_bytes

    def retried(self, batch) -> None:
        self.retries += 1

    def appended(self, batch, now: float) -> None:
        pass  # the log keeps the append time; kept as the hook replication will use

    def batch_acked(self, batch, req, now: float) -> None:
        tm = self.topic(batch.tp.topic)
        n = batch.count
        tm.acked.add(now, n)
        tm.bytes_acked.add(now, int(batch.value_bytes.sum()))
        latency = now - batch.create_ms
        tm.produce_latency.record(now, latency)
        st = self.stages
        st[("produce", "accumulator_wait")].record(batch.append_ms - batch.create_ms)
        st[("produce", "linger")].record(req.send_ms - batch.append_ms)
        st[("produce", "network")].record(req.queue_ms - req.send_ms, n)
        st[("produce", "request_queue")].record(req.start_ms - req.queue_ms, n)
        st[("produce", "append")].record(req.done_ms - req.start_ms, n)
        st[("produce", "acknowledgement")].record(max(now - req.done_ms, 0.0), n)
        if self.sample_rate > 0:
            m = self._sampled(batch.record_ids)
            if m.any():
                idx = np.nonzero(m)[0]
                base = batch.base_offset
                for i in idx:
                    self._produce_rows.append((
                        int(batch.record_ids[i]), batch.tp.topic, batch.tp.partition,
                        base + int(i) if base >= 0 else -1, batch.producer, int(batch.keys[i]),
                        int(batch.value_bytes[i]), float(batch.create_ms[i]), float(req.send_ms),
                        float(req.done_ms), now))

    # ------------------------------------------------------------------ consumer side
    def consumed(self, consumer, chunks, n: int, now: float, processing: np.ndarray) -> None:
        if n == 0:
            return
        st = self.stages
        k = 0
        for tp, b, i, j, arrived in chunks:
            tm = self.topic(tp.topic)
            create = b.create_ms[i:j]
            cnt = j - i
            tm.consumed.add(now, cnt)
            tm.bytes_consumed.add(now, int(b.value_bytes[i:j].sum()))
            tm.e2e_latency.record(now, now - create)
            st[("consume", "fetch_wait")].record(max(arrived - b.append_ms, 0.0), cnt)
            st[("consume", "poll")].record(now - arrived, cnt)
            if self.sample_rate > 0:
                rids = b.record_ids[i:j]
                m = self._sampled(rids)
                for r in rids[m]:
                    self._consume_rows.append((int(r), now))
            k += cnt
        if processing.size:
            st[("consume", "processing")].record(processing)

    # ------------------------------------------------------------------ logs
    def segments_deleted(self, tp, nbytes: int) -> None:
        self.deleted_bytes[tp.topic] = self.deleted_bytes.get(tp.topic, 0) + nbytes

    def snapshot_partitions(self, now: float, cluster) -> None:
        for topic in cluster.topics.values():
            for tp in topic.tps():
                log = cluster.log(tp)
                self.partition_rows.append((now / 1000.0, tp.topic, tp.partition, topic.leader(tp.partition),
                                            log.log_end_offset, log.size_bytes, len(log.segments)))
