"""A run's size before it runs (records, windows, a memory estimate) and the limits that refuse absurd runs.

What Kafka does: nothing; a real cluster simply runs out of memory or time. A simulator must say so
before it starts, with the estimate that makes a run absurd, instead of failing half an hour in.

Modelled: :func:`estimate` adds up what grows with a scenario (the constants below were measured on
the bundled presets with peak RSS and rounded up):

* key tables: each keyed producer's key -> partition table (4 bytes per key, Kafka's murmur2 computed
  lazily) and, for ``zipf`` keys, the sampling CDF (8 bytes per key);
* metric windows: ``horizon_ms / window_ms`` windows, each holding counters and sparse histograms per
  topic, utilisation per station (threads, disks, NICs of brokers and clients) and a partition snapshot
  per partition;
* the per-record sample (``metrics.record_sample``; ``auto`` keeps about 50,000 rows) and, with
  ``metrics.check``, the records' history: every log entry stays until retention deletes it (its record
  block, a view of the producer's column buffer, and the entry's objects), the acknowledged records are a
  bit each and what retention deleted bits or 4-byte sequences per replica (``eventsim.checker``);
* producer chunks: the records a producer draws at once (``CHUNK_MS`` of arrivals, at least 1 ms);
* accumulator queues: a column buffer per producer instance and partition, and the records that
  ``buffer.memory`` lets wait in them;
* logs: per-partition bookkeeping.

:func:`check` refuses a run whose estimate exceeds ``MEMORY_SHARE`` of this machine's physical memory
(the limit follows the machine, because memory is the reason) or whose offered records exceed
``MAX_RECORDS`` (about three hours of wall time at the model's ~1 million simulated records per
wall-second: past that a run is a mistake, not an experiment). Both admit the large runs the model is
for: tens of millions of records per second for a few seconds, 30 brokers with 1,000 partitions and 50
producers. The error names the field that dominates the estimate.

Not modelled: the operating system's and Python's own fluctuations (the estimate is a bound with margin,
not a prediction to the megabyte), and wall time beyond the record count.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from eventsim.core.errors import InvalidConfigurationError

__all__ = ["RunSize", "estimate", "check", "physical_memory_bytes", "MAX_RECORDS", "MEMORY_SHARE"]

GIB = 1024.0**3
MAX_RECORDS = 1e10  # offered records over the horizon (about three hours at ~1e6 records per wall-second)
MEMORY_SHARE = 0.5  # of physical memory a run's estimate may take
BASE_BYTES = 120 * 1024**2  # the interpreter, numpy, pandas, SimPy and the model's code
KEY_TABLE_BYTES = 4  # per key: int32 partition
ZIPF_CDF_BYTES = 8  # per key: float64 CDF
WINDOW_TOPIC_BYTES = 2048  # per window and topic: counters and sparse latency histograms
WINDOW_PARTITION_BYTES = 200  # per window and partition: the partition snapshot row
WINDOW_STATION_BYTES = 64  # per window and station: busy time, queue time, longest queue
SAMPLE_ROW_BYTES = 200  # per sampled record: the produce and consume rows
# metrics.check, from the peak RSS of the reference scenario (3 M records) with the check and without:
CHECK_ENTRY_BYTES = 100  # per record the logs hold: its entry, kept until retention deletes it (95 measured)
CHECK_ACKED_BYTES = 0.25  # per record: its acknowledgement, a bit (two while the bit array has room to grow)
CHECK_EXPIRED_BIT_BYTES = 0.25  # per record retention deleted, per replica and partition its producer writes
CHECK_EXPIRED_RUN_BYTES = 4.5  # at most, per record retention deleted and replica: its sequence in a run
AUTO_SAMPLE_RECORDS = 50_000  # record_sample "auto" keeps about this many per-record rows (the runner's rule)
CHUNK_RECORD_BYTES = 400  # per record of a drawn chunk: arrival, key, size, partition, sort, columns
QUEUE_ROW_BYTES = 5 * 8 + 3 * 8  # per row of a partition queue: the records block and three arrays
QUEUE_OBJECT_BYTES = 2560  # per producer instance and partition: the empty queue's objects (2,458 measured)
QUEUED_RECORD_BYTES = 2 * QUEUE_ROW_BYTES  # per waiting record (twice: the buffer grows by doubling)
PARTITION_BYTES = 4096  # per partition: its log, segments, queues' Python objects


def physical_memory_bytes() -> float:
    """This machine's physical memory (8 GiB if the platform does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return 8 * GIB


@dataclass(frozen=True)
class RunSize:
    """The expected size of a run: records offered, metric windows, and a memory estimate by part."""

    records: float
    windows: int
    memory_bytes: float
    parts: dict = field(default_factory=dict)  # part -> (bytes, field path, value)

    def describe(self) -> str:
        """One line: ``2,000,000 records offered, 60 windows, about 0.3 GiB``."""
        return (
            f"{self.records:,.0f} records offered, {self.windows:,} windows of metrics, "
            f"about {self.memory_bytes / GIB:.2f} GiB of memory"
        )


def _records_offered(spec, horizon_ms: float) -> float:
    stop = horizon_ms if spec.stop_ms is None else min(spec.stop_ms, horizon_ms)
    return spec.rate_per_s * max(stop - spec.start_ms, 0.0) / 1000.0


def _history_bytes(scenario, resolved, horizon: float) -> float:
    """What ``metrics.check`` keeps: per topic, the entries its logs hold (every record written within the
    last ``retention.ms``, plus a segment's span and a retention check's interval, or within
    ``retention.bytes`` and a segment per partition), the acknowledged records' bits, and what retention
    deleted, per replica: bits for each sequence of a producer writing to it, or its sequences in runs."""
    total = 0.0
    for topic in resolved:
        specs = [spec for spec in scenario.producers if spec.topic == topic.name]
        offered = sum(_records_offered(spec, horizon) for spec in specs)
        if offered <= 0:
            continue
        sizes = [max(spec.value_bytes.mean + spec.keys.max_key_length() + 20, 1.0) for spec in specs]
        written = sum(_records_offered(spec, horizon) * b for spec, b in zip(specs, sizes, strict=True))
        written /= topic.partitions  # bytes per partition
        segment_ms = min(topic.segment_ms, horizon)
        kept = offered
        if 0 <= topic.retention_ms < horizon:
            window = topic.retention_ms + segment_ms + scenario.broker.log_retention_check_interval_ms
            kept = min(kept, offered * window / horizon)
        if topic.retention_bytes >= 0:
            segment = min(topic.segment_bytes, written * segment_ms / horizon)
            kept = min(kept, offered * (topic.retention_bytes + segment) / max(written, 1.0))
        deleted = offered - kept
        per_replica = min(topic.partitions * CHECK_EXPIRED_BIT_BYTES, CHECK_EXPIRED_RUN_BYTES)
        total += (
            kept * CHECK_ENTRY_BYTES
            + offered * CHECK_ACKED_BYTES
            + deleted * topic.replication_factor * per_replica
        )
    return total


def estimate(scenario, horizon_ms: float | None = None) -> RunSize:
    """The expected size of ``scenario`` run for ``horizon_ms`` (its own horizon by default)."""
    from eventsim.producer.partition_queue import MIN_QUEUE_ROWS  # a partition queue's first buffer
    from eventsim.producer.producer import CHUNK_MS, MAX_CHUNK_RECORDS  # how the producer draws arrivals

    # per producer instance and partition: the queue's objects and its first buffer
    queue_buffer_bytes = QUEUE_OBJECT_BYTES + MIN_QUEUE_ROWS * QUEUE_ROW_BYTES

    horizon = float(scenario.horizon_ms if horizon_ms is None else horizon_ms)
    parts: dict[str, tuple[float, str, object]] = {}

    def add(part: str, nbytes: float, path: str, value: object) -> None:
        old = parts.get(part)
        if old is None or nbytes > old[0]:  # keep the field of the biggest contributor
            parts[part] = (nbytes + (old[0] if old else 0.0), path, value)
        else:
            parts[part] = (old[0] + nbytes, old[1], old[2])

    resolved = [t.resolve(scenario.broker) for t in scenario.topics]  # partitions from num.partitions
    topics = {t.name: t for t in resolved}
    records = 0.0
    tables = set()
    instances = sum(p.count for p in scenario.producers) + sum(c.count for c in scenario.consumers)
    for i, spec in enumerate(scenario.producers):
        path = f"producers[{i}]"
        offered = _records_offered(spec, horizon)
        records += offered
        partitions = topics[spec.topic].partitions
        keys = spec.keys
        if keys.distribution != "none" and (keys, partitions) not in tables:
            tables.add((keys, partitions))
            per_key = KEY_TABLE_BYTES + (ZIPF_CDF_BYTES if keys.distribution == "zipf" else 0)
            add("key tables", float(keys.count) * per_key, f"{path}.keys.count", keys.count)
        rate_ms = spec.rate_per_s / spec.count / 1000.0
        chunk = max(rate_ms * 1.0, min(rate_ms * CHUNK_MS, MAX_CHUNK_RECORDS))
        add("producer chunks", spec.count * chunk * CHUNK_RECORD_BYTES, f"{path}.rate_per_s", spec.rate_per_s)
        record_bytes = max(spec.value_bytes.mean + spec.keys.max_key_length() + 20, 1.0)
        waiting = min(spec.config.buffer_memory / record_bytes, offered / spec.count)
        add(
            "accumulator queues",
            spec.count * (partitions * queue_buffer_bytes + waiting * QUEUED_RECORD_BYTES),
            f"{path}.config.buffer.memory" if waiting * QUEUED_RECORD_BYTES > partitions * queue_buffer_bytes
            else f"topics[{list(topics).index(spec.topic)}].partitions",
            spec.config.buffer_memory if waiting * QUEUED_RECORD_BYTES > partitions * queue_buffer_bytes
            else partitions,
        )  # fmt: skip
    window_ms = scenario.metrics.window_ms
    windows = max(1, math.ceil(horizon / window_ms))
    partitions = sum(t.partitions for t in resolved)
    broker = scenario.broker
    stations_per_broker = broker.num_network_threads + 1 + 2 + 2  # threads, handlers, disks (~2), NIC
    stations = scenario.cluster.brokers * stations_per_broker + 2 * instances
    per_window = (
        len(scenario.topics) * WINDOW_TOPIC_BYTES
        + partitions * WINDOW_PARTITION_BYTES
        + stations * WINDOW_STATION_BYTES
    )
    add("metric windows", windows * per_window, "metrics.window_ms", window_ms)
    sample = scenario.metrics.record_sample
    rows = min(records, AUTO_SAMPLE_RECORDS) if sample == "auto" else records * float(sample)
    add("record sample", rows * SAMPLE_ROW_BYTES, "metrics.record_sample", sample)
    if scenario.metrics.check:
        history = _history_bytes(scenario, resolved, horizon)
        add("records' history (metrics.check)", history, "metrics.check", True)
    big = max(range(len(resolved)), key=lambda k: resolved[k].partitions)
    add("partitions", partitions * PARTITION_BYTES, f"topics[{big}].partitions", resolved[big].partitions)
    total = BASE_BYTES + sum(b for b, _, _ in parts.values())
    return RunSize(records=records, windows=windows, memory_bytes=total, parts=parts)


def check(scenario, horizon_ms: float | None = None, memory_bytes: float | None = None) -> RunSize:
    """``estimate``, or an :class:`InvalidConfigurationError` naming the field that makes the run absurd."""
    size = estimate(scenario, horizon_ms)
    if size.records > MAX_RECORDS:
        horizon = float(scenario.horizon_ms if horizon_ms is None else horizon_ms)
        offered = [_records_offered(spec, horizon) for spec in scenario.producers]
        i = offered.index(max(offered))
        spec = scenario.producers[i]
        raise InvalidConfigurationError(
            f"producers[{i}].rate_per_s",
            spec.rate_per_s,
            f"a run of at most {MAX_RECORDS:,.0f} records offered (rate_per_s x horizon_ms)",
            f"the run would offer {size.records:,.0f} records, hours to days of simulation; "
            "lower the rate or the horizon",
        )
    machine = physical_memory_bytes() if memory_bytes is None else float(memory_bytes)
    limit = MEMORY_SHARE * machine
    if size.memory_bytes > limit:
        part, (nbytes, path, value) = max(size.parts.items(), key=lambda kv: kv[1][0])
        raise InvalidConfigurationError(
            path,
            value,
            f"a run whose estimate fits in {limit / GIB:,.1f} GiB ({MEMORY_SHARE:.0%} of this machine's "
            f"{machine / GIB:,.1f} GiB)",
            f"the run would need about {size.memory_bytes / GIB:,.1f} GiB, {nbytes / GIB:,.1f} GiB of it for "
            f"{part}",
        )
    return size
