"""The edge where results become pandas DataFrames (the only module in eventsim that imports pandas).

Frames (``Result.frame(name)``):

* ``summary`` — one row per topic (see :func:`summary`).
* ``timeseries`` — per window and topic: counts (``records_offered``, ``records_produced``,
  ``records_acked``, ``records_failed``, ``records_consumed``), ``send_blocked_ms`` (how long the
  producers' ``send()`` calls were blocked on ``buffer.memory``, summed over producer instances), bytes,
  produce/e2e p50 and p99, throughput.
* ``brokers`` — per window, broker and resource (``network_threads``, ``request_queue``, ``io_threads``,
  ``disk``, ``nic_in``, ``nic_out``): utilisation (busy share of the servers) and queue depth (time-averaged
  number waiting, and the most seen by an arrival).
* ``breakdown`` — per stage of the produce and consume paths: mean, p50, p99 and share of the path's mean.
* ``latency_cdf`` — the produce and end-to-end latency distributions over the run.
* ``partitions`` — at the end of every window and partition: leader, log start and end offsets, high
  watermark, bytes stored, segments, ISR size and whether the partition is under-replicated.
* ``topics`` — every partition as ``kafka-topics --describe`` shows it at the end of the run (leader,
  leader epoch, replicas, ISR, high watermark, log end offset); ``Result.describe(at_s)`` at any time.
* ``isr`` — the ISR of every partition at the start and after every change (shrink or expand).
* ``replicas`` — at the end of every window, every follower of every partition: its log end offset, its
  lag behind the leader in records and in ms since it was last caught up (Kafka's measure for the ISR),
  and whether it is in the ISR.
* ``replication`` — per window and broker: replication bytes sent to followers and received as a follower.
* ``lag`` — consumer lag at the end of every window, per consumer group and partition (see :func:`lag`).
* ``records`` — the per-record sample (all records of small runs; ``metrics.record_sample`` otherwise):
  what the producer was told (``offset``, -1 with ``acks=0``; ``ack_ms``) beside what the simulator knows
  (``append_ms``, the leader's append time: NaN for an ``acks=0`` record its broker had not appended when
  the records were folded, e.g. still waiting on the connection at the end of the run), and ``consume_ms``.
* ``leadership`` and ``faults`` — the controller's partition records, and the faults as they happened.
* ``clients`` — per window, client machine and resource (``cpu``, ``nic_in``, ``nic_out``): utilisation and
  queue depth, as ``brokers`` has them for the brokers.
* ``gc`` — the JVMs' garbage-collection pauses: the brokers' with ``variability.gc``, the clients' with
  ``variability.client_gc`` (``eventsim.jvm``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventsim.metrics.recorder import CONSUME_STAGES, PRODUCE_STAGES
from eventsim.metrics.result import FRAMES, RESOURCES

__all__ = ["summary", "frame", "lag", "sweep_frame", "describe"]

MIB = 1024.0 * 1024.0


def summary(result) -> pd.DataFrame:
    """One row per topic.

    Counts: ``records_offered`` (every ``send()``), ``records_produced`` (accepted by ``send()`` into the
    accumulator: offered less ``RECORD_TOO_LARGE`` and ``BUFFER_EXHAUSTED_TIMEOUT`` failures and less
    records still blocked in ``send()`` at the end), ``records_acked``, ``records_failed`` (in ``send()``
    or later), ``records_consumed`` (summed over consumer groups) and ``records_consumed_duplicate``
    (records a group read more than once, summed over groups: 0 with idempotence). Then bytes, latency
    percentiles, throughput (acknowledged records and bytes per second) and batching. Last, the run's
    ``bottleneck``: its busiest resource (a broker's ``network_threads``, ``io_threads``, ``disk``,
    ``nic_in`` or ``nic_out``, or a client host's ``cpu``, ``nic_in`` or ``nic_out``, e.g.
    ``producer-app-0 nic_out``) and its ``bottleneck_utilisation`` averaged over the run (the same on every
    row).
    """
    rows = []
    seconds = result.horizon_ms / 1000.0
    for name, t in result.topics.items():
        ph, eh = t["produce_hist"], t["e2e_hist"]
        acked = int(t["records_acked"].sum())
        rows.append(
            {
                "topic": name,
                "records_offered": int(t["records_offered"].sum()),
                "records_produced": int(t["records_produced"].sum()),
                "records_acked": acked,
                "records_failed": int(sum(t["failed"].values())),
                "records_consumed": int(t["records_consumed"].sum()),
                "records_consumed_duplicate": int(t["records_consumed_duplicate"]),
                "bytes_produced": int(t["bytes_produced"].sum()),
                "produce_latency_p50_ms": ph.percentile(50) if ph.count else np.nan,
                "produce_latency_p99_ms": ph.percentile(99) if ph.count else np.nan,
                "e2e_latency_p50_ms": eh.percentile(50) if eh.count else np.nan,
                "e2e_latency_p99_ms": eh.percentile(99) if eh.count else np.nan,
                "throughput_records_per_s": acked / seconds,
                "throughput_mb_per_s": float(t["bytes_acked"].sum()) / MIB / seconds,
                "batches": t["batches"],
                "records_per_batch": t["batch_records"] / t["batches"] if t["batches"] else np.nan,
                "bytes_per_batch": t["batch_bytes"] / t["batches"] if t["batches"] else np.nan,
                "requests": t["requests"],
                "bottleneck": result.bottleneck[0],
                "bottleneck_utilisation": result.bottleneck[1],
            }
        )
    return pd.DataFrame(rows)


def _timeseries(result) -> pd.DataFrame:
    w = result.window_ms
    parts = []
    for name, t in result.topics.items():
        n = t["records_produced"].size
        df = pd.DataFrame(
            {
                "time_s": np.arange(n) * w / 1000.0,
                "topic": name,
                "records_offered": t["records_offered"].astype(np.int64),
                "records_produced": t["records_produced"].astype(np.int64),
                "records_acked": t["records_acked"].astype(np.int64),
                "records_failed": t["records_failed"].astype(np.int64),
                "send_blocked_ms": t["send_blocked_ms"],
                "records_consumed": t["records_consumed"].astype(np.int64),
                "bytes_produced": t["bytes_produced"].astype(np.int64),
                "bytes_consumed": t["bytes_consumed"].astype(np.int64),
                "produce_latency_p50_ms": t["produce_pct"][:, 0],
                "produce_latency_p99_ms": t["produce_pct"][:, 1],
                "e2e_latency_p50_ms": t["e2e_pct"][:, 0],
                "e2e_latency_p99_ms": t["e2e_pct"][:, 1],
                "throughput_records_per_s": t["records_acked"] / (w / 1000.0),
                "throughput_mb_per_s": t["bytes_acked"] / MIB / (w / 1000.0),
            }
        )
        parts.append(df)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _resource_frame(window_ms: float, d: dict, **labels) -> pd.DataFrame:
    """One resource's windows (utilisation, queue depth mean and max) with ``labels`` as columns."""
    n = d["utilisation"].size
    return pd.DataFrame(
        {
            "time_s": np.arange(n) * window_ms / 1000.0,
            **labels,
            "utilisation": d["utilisation"],
            "queue_depth_mean": d["queue_depth_mean"],
            "queue_depth_max": d["queue_depth_max"].astype(np.int64),
        }
    )


def _brokers(result) -> pd.DataFrame:
    w = result.window_ms
    parts = [
        _resource_frame(w, res[r], broker=bid, resource=r)
        for bid, res in enumerate(result.brokers)
        for r in RESOURCES
    ]
    return pd.concat(parts, ignore_index=True)


def _clients(result) -> pd.DataFrame:
    """The client machines, one per producer and consumer instance, as the ``brokers`` frame has the
    brokers: ``host`` (``producer-<name>-<i>``, ``consumer-<name>-<i>``), ``role``, and per window the
    utilisation of its ``cpu`` (the application thread: ``send()``'s per-record work, or the consumer's
    processing) and of its NIC (``nic_in``, ``nic_out``, with their queues)."""
    w = result.window_ms
    parts = [
        _resource_frame(w, d, host=host, role=role, resource=r)
        for host, role, resources in result.clients
        for r, d in resources.items()
    ]
    columns = ["time_s", "host", "role", "resource", "utilisation", "queue_depth_mean", "queue_depth_max"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _gc(result) -> pd.DataFrame:
    """The JVMs' garbage-collection pauses (``variability.gc``, ``variability.client_gc``): when each began,
    on which host (``broker-<id>``, ``producer-<name>-<i>``, ``consumer-<name>-<i>``), how long."""
    return pd.DataFrame(result.gc_rows, columns=["time_s", "host", "pause_ms"])


def _breakdown(result) -> pd.DataFrame:
    rows = []
    for path, stages in (("produce", PRODUCE_STAGES), ("consume", CONSUME_STAGES)):
        means = []
        for s in stages:
            h = result.stages[(path, s)]
            if h.count:
                rows.append(
                    {
                        "path": path,
                        "stage": s,
                        "mean_ms": h.mean,
                        "p50_ms": h.percentile(50),
                        "p99_ms": h.percentile(99),
                        "records": h.count,
                    }
                )
            else:
                rows.append(
                    {"path": path, "stage": s, "mean_ms": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "records": 0}
                )
            means.append(rows[-1]["mean_ms"])
        total = sum(means)
        for row in rows[-len(stages) :]:
            row["share"] = row["mean_ms"] / total if total > 0 else 0.0
    return pd.DataFrame(rows)


def _latency_cdf(result) -> pd.DataFrame:
    parts = []
    for kind in ("produce", "e2e"):
        h = result.latency(kind)
        if h.count:
            v, f = h.cdf()
            parts.append(pd.DataFrame({"kind": kind, "latency_ms": v, "cdf": f}))
    return (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["kind", "latency_ms", "cdf"])
    )


def _partitions(result) -> pd.DataFrame:
    cols = [
        "time_s",
        "topic",
        "partition",
        "leader",
        "log_start_offset",
        "log_end_offset",
        "high_watermark",
        "size_bytes",
        "segments",
        "isr_size",
        "under_replicated",
    ]
    return pd.DataFrame(result.partition_rows, columns=cols)


def _ids(ids) -> str:
    return ",".join(str(b) for b in ids)


def describe(result, at_s: float | None = None) -> pd.DataFrame:
    """Partitions as ``kafka-topics --describe``: at the end of the run, or the ISR as it was at ``at_s``."""
    isr_at: dict = {}
    for t, topic, partition, isr in result.isr_rows:  # in time order per partition
        if at_s is None or t <= at_s:
            isr_at[(topic, partition)] = isr
    rows = []
    for topic, partition, leader, epoch, replicas, hw, leo in result.partition_state:
        isr = isr_at.get((topic, partition), replicas)
        row = {
            "topic": topic,
            "partition": partition,
            "leader": leader,
            "leader_epoch": epoch,
            "replicas": _ids(replicas),
            "isr": _ids(isr),
            "under_replicated": len(isr) < len(replicas),
        }
        if at_s is None:
            row["high_watermark"] = hw
            row["log_end_offset"] = leo
        rows.append(row)
    return pd.DataFrame(rows)


def _isr(result) -> pd.DataFrame:
    rows = [
        (t, topic, partition, _ids(isr), len(isr)) for t, topic, partition, isr in result.isr_rows
    ]
    return pd.DataFrame(rows, columns=["time_s", "topic", "partition", "isr", "isr_size"])


def _replicas(result) -> pd.DataFrame:
    cols = ["time_s", "topic", "partition", "broker", "leader", "log_end_offset", "lag_records", "lag_ms",
            "in_isr"]
    return pd.DataFrame(result.replica_rows, columns=cols)


def _replication(result) -> pd.DataFrame:
    """Per window and broker: bytes sent to followers (``bytes_out``) and received as one (``bytes_in``)."""
    df = pd.DataFrame(result.replication_rows, columns=["time_s", "broker", "out_total", "in_total"])
    if df.empty:
        return pd.DataFrame(columns=["time_s", "broker", "bytes_out", "bytes_in", "mib_per_s_out"])
    df = df.sort_values(["broker", "time_s"], kind="stable")
    by = df.groupby("broker")
    df["bytes_out"] = by["out_total"].diff().fillna(df["out_total"]).astype(np.int64)
    df["bytes_in"] = by["in_total"].diff().fillna(df["in_total"]).astype(np.int64)
    span = by["time_s"].diff().fillna(df["time_s"])
    df["mib_per_s_out"] = np.where(span > 0, df["bytes_out"] / MIB / span.where(span > 0, 1.0), 0.0)
    out = df.drop(columns=["out_total", "in_total"]).sort_values(["time_s", "broker"], kind="stable")
    return out.reset_index(drop=True)


LAG_COLUMNS = ["time_s", "group", "topic", "partition", "consumer", "high_watermark", "position", "lag"]


def lag(result) -> pd.DataFrame:
    """Consumer lag at the end of every window (``time_s``), per consumer group, topic and partition.

    ``group`` is the consumer entry's ``group.id``, ``consumer`` the member reading the partition (its
    client id, ``<name>-<instance>``). ``position`` is Kafka's consumer position: the offset of the next
    record ``poll()`` will hand to the application (records fetched but still buffered in the consumer
    are not consumed yet). ``lag = high_watermark - position`` in records, as Kafka's ``records-lag``
    metric and ``kafka-consumer-groups.sh`` measure it: against the **high watermark**, the end of what a
    consumer may read, not the log end offset. The two are equal on a topic with one replica; with
    followers the high watermark trails the LEO until the ISR has the records (the ``partitions`` frame
    has both), and for ``isolation.level=read_committed`` lag is measured against the last stable offset
    (transactions are not modelled yet). A consumer that has not started (before its ``start_ms``) has no
    rows yet; a member with no partition (more members than partitions) has none at all.
    """
    df = pd.DataFrame(result.lag_rows, columns=LAG_COLUMNS)
    for c in ("partition", "high_watermark", "position", "lag"):
        df[c] = df[c].astype(np.int64)
    for c in ("group", "topic", "consumer"):
        df[c] = df[c].astype(object)
    return df.sort_values(["time_s", "group", "topic", "partition"], kind="stable").reset_index(drop=True)


def _records(result) -> pd.DataFrame:
    cols = [
        "record_id",
        "topic",
        "partition",
        "offset",
        "producer",
        "key",
        "value_bytes",
        "create_ms",
        "send_ms",
        "append_ms",
        "ack_ms",
    ]
    if result.produce_rows:
        prod = pd.DataFrame({c: np.concatenate([r[c] for r in result.produce_rows]) for c in cols})
    else:
        prod = pd.DataFrame({c: [] for c in cols})
    if result.consume_rows:
        cons = pd.DataFrame(
            {
                "record_id": np.concatenate([r for r, _ in result.consume_rows]),
                "consume_ms": np.concatenate([t for _, t in result.consume_rows]),
            }
        )
    else:
        cons = pd.DataFrame({"record_id": np.empty(0, dtype=np.int64), "consume_ms": np.empty(0)})
    cons = cons.groupby("record_id", as_index=False)["consume_ms"].min()
    df = prod.merge(cons, on="record_id", how="left")
    df["topic"] = df["topic"].astype(str)
    return df.sort_values(["topic", "partition", "offset", "record_id"], kind="stable").reset_index(drop=True)


def _leadership(result) -> pd.DataFrame:
    """The controller's partition records: leader, leader epoch, ISR and eligible replicas (ELR) from
    each time on (leader -1: the partition has none)."""
    rows = [
        (t, topic, partition, leader, epoch, _ids(isr), _ids(elr))
        for t, topic, partition, leader, epoch, isr, elr in result.leadership_rows
    ]
    cols = ["time_s", "topic", "partition", "leader", "leader_epoch", "isr", "elr"]
    return pd.DataFrame(rows, columns=cols)


def _faults(result) -> pd.DataFrame:
    """The scheduled faults as they happened: time, kind, target, the broker acted on, and the outcome; with
    the controller changes they caused: ``quorum`` rows (KRaft: the quorum's new active controller, or
    ``none`` while it has no leader) and ``controller`` rows (ZooKeeper mode: the broker that won
    ``/controller``, and when it is active, having read every partition's state)."""
    return pd.DataFrame(result.fault_rows, columns=["time_s", "kind", "target", "broker", "outcome"])


_BUILDERS = {
    "summary": summary,
    "timeseries": _timeseries,
    "brokers": _brokers,
    "breakdown": _breakdown,
    "latency_cdf": _latency_cdf,
    "partitions": _partitions,
    "lag": lag,
    "records": _records,
    "topics": describe,
    "isr": _isr,
    "replicas": _replicas,
    "replication": _replication,
    "leadership": _leadership,
    "faults": _faults,
    "clients": _clients,
    "gc": _gc,
}
assert set(_BUILDERS) == set(FRAMES)


RUN_METRICS = ("requests_per_s", *(f"{r}_busy_pct" for r in RESOURCES))
"""Per-run figures a sweep can ask for beside the summary's columns: produce requests per second, and each
broker resource's utilisation in per cent (mean over brokers and windows, as in the ``brokers`` frame)."""


def _with_run_metrics(result, s: pd.DataFrame, names: list) -> pd.DataFrame:
    """The summary rows ``s`` of ``result`` reduced to ``names``: summary columns and ``RUN_METRICS``."""
    unknown = [m for m in names if m not in s.columns and m not in RUN_METRICS]
    if unknown:
        raise KeyError(f"unknown column(s) {unknown}; available: {', '.join([*s.columns, *RUN_METRICS])}")
    extra = {}
    busy = None
    for name in names:
        if name in s.columns:
            continue
        if name == "requests_per_s":
            extra[name] = s["requests"] / (result.horizon_ms / 1000.0)
            continue
        if busy is None:
            busy = frame(result, "brokers").groupby("resource")["utilisation"].mean()
        extra[name] = 100.0 * float(busy[name[: -len("_busy_pct")]])
    return s.assign(**extra)[names]


def run_row(result, names, topic: str | None = None) -> pd.Series:
    """One topic's summary columns and ``RUN_METRICS`` of one run, by name (``Result.row``)."""
    s = summary(result)
    if topic is not None:
        s = s[s["topic"] == topic]
        if s.empty:
            raise KeyError(f"no topic {topic!r} in this run (topics: {', '.join(result.topics)})")
    return _with_run_metrics(result, s, list(names)).iloc[0]


def sweep_frame(runs, varied: list, metrics=None) -> pd.DataFrame:
    """The DataFrame of :func:`eventsim.sweep`: one row per run and topic.

    ``runs`` is a list of ``({column: value}, Result)``; ``varied`` the varied columns in order. Columns:
    the varied ones, ``seed``, then the summary's (``topic`` first), or ``topic`` and ``metrics`` only;
    ``metrics`` may also name the per-run figures of ``RUN_METRICS`` (``requests_per_s``,
    ``network_threads_busy_pct``, ...).
    """
    parts = []
    for values, result in runs:
        s = summary(result)
        if metrics is not None:
            s = _with_run_metrics(result, s, ["topic", *[m for m in metrics if m != "topic"]])
        head = pd.DataFrame({**{c: [values[c]] * len(s) for c in varied}, "seed": [result.seed] * len(s)})
        parts.append(pd.concat([head, s.reset_index(drop=True)], axis=1))
    if not parts:
        return pd.DataFrame(columns=[*varied, "seed"])
    return pd.concat(parts, ignore_index=True)


def records_frame(rows: list[dict], index: str | None = None) -> pd.DataFrame:
    """A table of plain rows (one dict each), indexed by the column ``index`` if given."""
    table = pd.DataFrame(rows)
    return table.set_index(index) if index is not None else table


def frame(result, name: str) -> pd.DataFrame:
    try:
        build = _BUILDERS[name]
    except KeyError:
        raise KeyError(f"unknown frame {name!r}; available: {', '.join(FRAMES)}") from None
    return build(result)
