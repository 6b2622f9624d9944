"""``Result``: what one run produced — config and seed echoed, streamed metrics, and the frames.

Numpy and plain Python only; ``Result.frame(name)`` and ``Result.summary()`` hand off to
``metrics/frames.py``, the one place that builds pandas DataFrames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eventsim import checker
from eventsim.core.errors import InvalidConfigurationError

__all__ = ["Result", "FRAMES"]

FRAMES = (
    "summary",
    "timeseries",
    "brokers",
    "breakdown",
    "latency_cdf",
    "partitions",
    "lag",
    "records",
    "topics",
    "isr",
    "replicas",
    "replication",
    "leadership",
    "faults",
    "clients",
    "gc",
)
RESOURCES = ("network_threads", "request_queue", "io_threads", "disk", "nic_in", "nic_out")


def _fit(a: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.float64)
    k = min(n, a.size)
    out[:k] = a[:k]
    return out


def _station_like(busy, waiting, max_queue, n: int, w: float) -> dict:
    """A client host resource's per-window utilisation and queue (NaN where it has no queue of its own)."""
    return {
        "utilisation": _fit(busy.utilisation(n), n),
        "queue_depth_mean": _fit(waiting.busy_ms(n), n) / w if waiting is not None else np.full(n, np.nan),
        "queue_depth_max": max_queue.per_window(n) if max_queue is not None else np.zeros(n, dtype=np.int64),
    }


#: Resources that can be a run's bottleneck (the request queue has no utilisation of its own).
BOTTLENECK_RESOURCES = ("network_threads", "io_threads", "disk", "nic_in", "nic_out", "cpu")


def _bottleneck(res) -> tuple:
    """The busiest resource of the run, by its utilisation averaged over the run: ``(name, utilisation)``
    with names such as ``broker-0 nic_in`` or ``producer-app-0 cpu``. The average is over the run's whole
    windows: a last window cut short by the horizon also holds work booked past it (a NIC's transfers,
    records the application thread has yet to send), so it counts only when there is no whole window."""
    best = ("", float("nan"))
    whole = int(res.horizon_ms // res.window_ms)
    hosts = [(f"broker-{i}", b) for i, b in enumerate(res.brokers)] + [(h, r) for h, _, r in res.clients]
    for host, resources in hosts:
        for r in BOTTLENECK_RESOURCES:
            if r in resources:
                util = resources[r]["utilisation"]
                if whole:
                    u = float(np.mean(util[:whole]))
                else:  # shorter than a window: its busy time over the horizon
                    u = float(util[0]) * res.window_ms / res.horizon_ms if util.size else 0.0
                if not best[0] or u > best[1]:
                    best = (f"{host} {r}", u)
    return best


@dataclass
class Result:
    scenario: Any
    seed: int
    horizon_ms: float
    window_ms: float
    config: dict
    topics: dict = field(default_factory=dict)  # name -> dict of arrays and histograms
    brokers: list = field(
        default_factory=list
    )  # per broker: resource -> dict(utilisation, depth_mean, depth_max)
    clients: list = field(default_factory=list)  # (host, role, resource -> dict) per producer and consumer
    bottleneck: tuple = ("", float("nan"))  # the busiest resource over the run: (name, mean utilisation)
    stages: dict = field(default_factory=dict)  # (path, stage) -> LatencyHistogram
    partition_rows: list = field(default_factory=list)
    lag_rows: list = field(default_factory=list)
    replica_rows: list = field(default_factory=list)
    replication_rows: list = field(default_factory=list)
    isr_rows: list = field(default_factory=list)  # (time_s, topic, partition, isr) at every ISR change
    partition_state: list = field(default_factory=list)  # the end of the run, as kafka-topics --describe
    leadership_rows: list = field(default_factory=list)  # the controller's partition records (failover)
    fault_rows: list = field(default_factory=list)  # (time_s, kind, target, broker, outcome) per fault
    gc_rows: list = field(default_factory=list)  # (time_s, host, pause_ms) per garbage-collection pause
    check_counts: dict | None = None  # eventsim.checker's counts, for a run with metrics.check
    produce_rows: list = field(default_factory=list)
    consume_rows: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ collection
    @classmethod
    def collect(cls, run, wall_s: float) -> Result:
        sc = run.scenario
        rec = run.recorder
        w = sc.metrics.window_ms
        n = max(1, math.ceil(run.horizon_ms / w))
        rec.flush()
        res = cls(scenario=sc, seed=run.seed, horizon_ms=run.horizon_ms, window_ms=w, config=sc.to_dict())
        for name, tm in rec.topics.items():
            res.topics[name] = {
                "records_offered": _fit(tm.offered.values(), n),
                "records_produced": _fit(tm.produced.values(), n),
                "bytes_produced": _fit(tm.bytes_produced.values(), n),
                "records_acked": _fit(tm.acked.values(), n),
                "records_failed": _fit(tm.failed_series.values(), n),
                "send_blocked_ms": _fit(tm.send_blocked.busy_ms(n), n),
                "bytes_acked": _fit(tm.bytes_acked.values(), n),
                "records_consumed": _fit(tm.consumed.values(), n),
                "bytes_consumed": _fit(tm.bytes_consumed.values(), n),
                "produce_pct": tm.produce_latency.percentiles([50, 99], n_windows=n),
                "e2e_pct": tm.e2e_latency.percentiles([50, 99], n_windows=n),
                "produce_hist": tm.produce_latency.overall(),
                "e2e_hist": tm.e2e_latency.overall(),
                "failed": dict(tm.failed),
                "batches": tm.batches,
                "batch_records": tm.batch_records,
                "batch_bytes": tm.batch_bytes,
                "requests": tm.requests,
                "records_consumed_duplicate": tm.consumed_duplicate,
            }
        for b in run.cluster.brokers:
            procs = b.processors
            util = {
                "network_threads": np.mean([_fit(p.busy.utilisation(n), n) for p in procs], axis=0),
                "io_threads": _fit(b.handlers.busy.utilisation(n), n),
                "disk": np.mean([_fit(d.busy.utilisation(n), n) for d in b.disks], axis=0),
                "nic_in": _fit(b.host.rx.busy.utilisation(n), n),
                "nic_out": _fit(b.host.tx.busy.utilisation(n), n),
                "request_queue": np.full(n, np.nan),
            }
            depth = {
                "network_threads": np.sum([_fit(p.waiting.busy_ms(n), n) for p in procs], axis=0) / w,
                "io_threads": _fit(b.handlers.waiting.busy_ms(n), n) / w,
                "disk": np.sum([_fit(d.waiting.busy_ms(n), n) for d in b.disks], axis=0) / w,
                "nic_in": _fit(b.host.rx.waiting.busy_ms(n), n) / w,
                "nic_out": _fit(b.host.tx.waiting.busy_ms(n), n) / w,
            }
            depth["request_queue"] = depth["io_threads"]
            dmax = {
                "network_threads": np.max([p.max_queue.per_window(n) for p in procs], axis=0),
                "io_threads": b.handlers.max_queue.per_window(n),
                "disk": np.max([d.max_queue.per_window(n) for d in b.disks], axis=0),
                "nic_in": b.host.rx.max_queue.per_window(n),
                "nic_out": b.host.tx.max_queue.per_window(n),
            }
            dmax["request_queue"] = dmax["io_threads"]
            res.brokers.append(
                {
                    r: {"utilisation": util[r], "queue_depth_mean": depth[r], "queue_depth_max": dmax[r]}
                    for r in RESOURCES
                }
            )
        for role, clients in (("producer", run.producers), ("consumer", run.consumers)):
            for c in clients:
                host = c.host
                res.clients.append(
                    (
                        host.name,
                        role,
                        {
                            "cpu": _station_like(host.cpu, None, None, n, w),
                            "nic_in": _station_like(host.rx.busy, host.rx.waiting, host.rx.max_queue, n, w),
                            "nic_out": _station_like(host.tx.busy, host.tx.waiting, host.tx.max_queue, n, w),
                        },
                    )
                )
        res.bottleneck = _bottleneck(res)
        res.gc_rows = sorted(
            (start / 1000.0, c.host_name, pause)
            for c in run.collectors
            for start, pause in c.pauses
        )
        res.stages = dict(rec.stages)
        res.partition_rows = list(rec.partition_rows)
        res.lag_rows = list(rec.lag_rows)
        res.replica_rows = list(rec.replica_rows)
        res.replication_rows = list(rec.replication_rows)
        # The metadata log (controller/quorum_controller.py): every leader and ISR change of a partition.
        controller = run.cluster.controller
        records: dict = {}
        for t, tp, leader, epoch, isr, elr in controller.history:
            records.setdefault(tp, []).append((t, leader, epoch, isr, elr))
        for topic in run.cluster.topics.values():
            for tp in topic.tps():
                last = None
                for t, leader, epoch, isr, elr in records.get(tp, ()):
                    res.leadership_rows.append((t / 1000.0, tp.topic, tp.partition, leader, epoch, isr, elr))
                    if isr != last:
                        res.isr_rows.append((t / 1000.0, tp.topic, tp.partition, isr))
                        last = isr
                reg = controller.partitions[tp]
                log = run.cluster.partition(tp).log  # the current leader's (or the last one's)
                res.partition_state.append(
                    (
                        tp.topic,
                        tp.partition,
                        reg.leader,
                        reg.leader_epoch,
                        tuple(reg.replicas),
                        log.high_watermark,
                        log.log_end_offset,
                    )
                )
        # The faults, and the controller changes they caused: the KRaft quorum's leader (kind "quorum") or,
        # in ZooKeeper mode, the broker that won /controller (kind "controller"), active once it has read
        # every partition's state.
        quorum = getattr(controller, "quorum_changes", ())
        rows = list(run.faults.trace) + [(t / 1000.0, "quorum", node, -1, "active") for t, node in quorum]
        rows += [
            (t / 1000.0, "controller", f"broker-{cid}", cid, f"elected; active at {ready / 1000.0:.4f} s")
            for t, cid, ready in getattr(controller, "controller_changes", ())
        ]
        res.fault_rows = sorted(rows, key=lambda row: row[0])
        if rec.history is not None:
            res.check_counts = checker.counts(
                run, rec.history, res.fault_rows, run.faults.pauses, run.faults.stopped
            )
        res.produce_rows = list(rec._produce_rows)
        res.consume_rows = list(rec._consume_rows)
        env = run.env
        produced = sum(int(t["records_produced"].sum()) for t in res.topics.values())
        res.stats = {
            "records_offered": sum(int(t["records_offered"].sum()) for t in res.topics.values()),
            "records_produced": produced,
            "records_acked": sum(int(t["records_acked"].sum()) for t in res.topics.values()),
            "records_consumed": sum(int(t["records_consumed"].sum()) for t in res.topics.values()),
            "records_failed": sum(sum(t["failed"].values()) for t in res.topics.values()),
            "records_consumed_duplicate": sum(t["records_consumed_duplicate"] for t in res.topics.values()),
            # SimPy numbers every event it schedules from 0: the next number is their count. (Not
            # itertools.count.__reduce__, which Python 3.14 removes.)
            "sim_events": next(env._eid),
            "produce_requests": sum(b.produce_requests for b in run.cluster.brokers),
            "fetch_requests": sum(b.fetch_requests for b in run.cluster.brokers),
            "retries": rec.retries,
            "wall_s": wall_s,
            "records_per_wall_s": produced / wall_s if wall_s > 0 else math.nan,
            "record_sample_rate": rec.sample_rate,
        }
        return res

    # ------------------------------------------------------------------ views
    def summary(self):
        """One row per topic: counts, bytes, produce and end-to-end latency percentiles, throughput."""
        from eventsim.metrics import frames

        return frames.summary(self)

    def row(self, names, topic: str | None = None):
        """Named figures of one topic (the first by default) as a pandas Series: any ``summary()`` column
        and the per-run figures ``requests_per_s`` and ``<resource>_busy_pct`` (``network_threads``,
        ``io_threads``, ``disk``, ``nic_in``, ``nic_out``, ``request_queue``; mean over brokers and windows).
        """
        from eventsim.metrics import frames

        return frames.run_row(self, names, topic)

    def frame(self, name: str):
        """A named table as a pandas DataFrame; ``FRAMES`` lists the names."""
        from eventsim.metrics import frames

        return frames.frame(self, name)

    def check(self) -> dict:
        """The checker's counts (``eventsim.checker``): ``acked``, ``lost``, ``duplicate``, ``poll_skip``,
        ``nonmonotonic_poll``, and ``unavailable_ms`` per partition. Needs a run with ``metrics.check:
        true``, which keeps every record's history."""
        if self.check_counts is None:
            raise InvalidConfigurationError(
                "metrics.check",
                False,
                "true",
                "Result.check() reads the records' history, which a run keeps only with metrics.check: true",
            )
        counts = dict(self.check_counts)
        counts["unavailable_ms"] = dict(counts["unavailable_ms"])
        return counts

    def describe(self, at_s: float | None = None):
        """The partitions as ``kafka-topics --describe`` shows them, at the end of the run or at ``at_s``
        (simulated seconds): topic, partition, leader, leader epoch, replicas, ISR; ``frame("topics")`` is
        the end of the run."""
        from eventsim.metrics import frames

        return frames.describe(self, at_s)

    def latency(self, kind: str = "produce", topic: str | None = None):
        """The overall latency histogram (``LatencyHistogram``) of ``kind`` ("produce" or "e2e")."""
        from eventsim.metrics.histogram import LatencyHistogram

        key = {"produce": "produce_hist", "e2e": "e2e_hist"}[kind]
        h = LatencyHistogram()
        for name, t in self.topics.items():
            if topic is None or name == topic:
                h.merge(t[key])
        return h

    def to_csv(self, directory) -> list:
        """Write every frame as ``<name>.csv`` under ``directory``; returns the paths."""
        from pathlib import Path

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in FRAMES:
            p = d / f"{name}.csv"
            self.frame(name).to_csv(p, index=False)
            paths.append(p)
        return paths

    def __repr__(self) -> str:
        s = self.stats
        return (
            f"Result(scenario={self.scenario.name!r}, seed={self.seed}, horizon_ms={self.horizon_ms:g}, "
            f"produced={s.get('records_produced')}, acked={s.get('records_acked')}, "
            f"consumed={s.get('records_consumed')})"
        )
