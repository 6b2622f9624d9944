"""Chapter 14, calibration: what a 1 GbE NIC carries, what the message format costs, what GC pauses take.

Solvers: the first two run the 2014 benchmark's first row (``kreps-2014-rf1``: one producer, no
replication, ``commodity-2014``, Kafka 0.8) with the book's seed and another value size or release; the
chapter's arithmetic gives nearly the same numbers (the NIC's TCP payload rate over the bytes a record
takes on the wire, 26 bytes of v0 overhead each, or the v2 batch's share). The third is closed form:
a broker pauses each time eden fills with what it receives, for a lognormal pause whose mean is its
median times ``exp(sigma^2 / 2)``.
"""

from __future__ import annotations

import math

from eventsim.book.registry import SEED, Choice, Exercise, Param, Range, Tolerance, register
from eventsim.jvm import Z90  # the standard normal's 90th percentile, as the pauses are drawn

CHAPTER = "14_calibration"


def row_scenario(value_bytes: int, kafka_version: str = "0.8"):
    """``kreps-2014-rf1`` with ``value_bytes`` values, run as ``kafka_version``."""
    import eventsim

    return eventsim.Scenario.load("kreps-2014-rf1").with_(
        {"producers[0].value_bytes": value_bytes, "cluster.kafka_version": kafka_version}
    )


def _records_per_s(value_bytes: int, kafka_version: str = "0.8") -> float:
    import eventsim

    result = eventsim.simulate(row_scenario(value_bytes, kafka_version), seed=SEED)
    return float(result.summary().throughput_records_per_s.sum())


def _nic_records(p) -> float:
    return _records_per_s(p.value_bytes)


def _format_gain(p) -> float:
    return _records_per_s(p.value_bytes, "3.9") / _records_per_s(p.value_bytes, "0.8")


def _paused_percent(p) -> float:
    sigma = math.log(p.pause_p90_ms / p.pause_p50_ms) / Z90
    mean_pause_ms = p.pause_p50_ms * math.exp(sigma * sigma / 2)
    pauses_per_s = p.received_mib_per_s / p.eden_mb
    return 100.0 * pauses_per_s * mean_pause_ms / 1000.0


register(
    Exercise(
        key="calibration.nic-records-per-s",
        title="What one 1 GbE producer carries",
        chapter=CHAPTER,
        source="Exercise 1",
        question=(
            "The 2014 benchmark's first row (`kreps-2014-rf1`: one producer, no replication, Kafka 0.8 on "
            "`commodity-2014`) with {value_bytes}-byte values instead of 100. How many records per second "
            "does the producer get acknowledged?"
        ),
        params={"value_bytes": Param(200, Range(100, 1000, 100), "bytes", "the record's value")},
        solve=_nic_records,
        tolerance=Tolerance(rel=0.06),
        hint="the producer's NIC is the limit: 1 Gbit/s carries 117.7 MB/s of TCP payload (1448 of every "
        "1538 bytes on the wire), and each 0.8 message takes its value plus 26 bytes (12 of log overhead, "
        "14 of header); the requests' own headers and the JVMs' GC pauses, when the NIC idles, take a few "
        "per cent of that.",
        unit="records/s",
        solver="simulation",
        answer="integer",
    ),
    Exercise(
        key="calibration.format-gain",
        title="What the message format is worth",
        chapter=CHAPTER,
        source="Exercise 2",
        question=(
            "Run the same row with {value_bytes}-byte values as Kafka 0.8 (v0 messages) and as Kafka 3.9 "
            "(v2 record batches). By what factor do the acknowledged records per second grow with v2?"
        ),
        params={"value_bytes": Param(100, Range(100, 400, 50), "bytes", "the record's value")},
        solve=_format_gain,
        tolerance=Tolerance(rel=0.02),
        hint="both runs are bound by the producer's NIC, so the factor is the ratio of the bytes a record "
        "takes: value + 26 in v0; in v2 a few bytes of varints per record plus its share of the 61-byte "
        "batch header (batch.size 8196 here).",
        unit="x",
        solver="simulation",
    ),
    Exercise(
        key="calibration.gc-paused-percent",
        title="How much of its time a broker spends paused",
        chapter=CHAPTER,
        source="Exercise 3",
        question=(
            "A broker receives {received_mib_per_s} MiB/s (produce requests and, as a follower, fetch "
            "responses). Its eden holds {eden_mb} MiB, and a young collection pauses it for a lognormal "
            "time with median {pause_p50_ms} ms and 90th percentile {pause_p90_ms} ms (the model's "
            "`variability.gc`). What percentage of the time is the broker paused?"
        ),
        params={
            "received_mib_per_s": Param(60, Range(20, 120, 10), "MiB/s"),
            "eden_mb": Param(256, Choice((128, 256, 512)), "MiB", "variability.gc_eden_mb"),
            "pause_p50_ms": Param(12, Range(8, 16, 2), "ms", "variability.gc_pause_p50_ms"),
            "pause_p90_ms": Param(21, Range(20, 40, 5), "ms", "variability.gc_pause_p90_ms"),
        },
        solve=_paused_percent,
        tolerance=Tolerance(rel=0.05),
        hint="pauses per second = received / eden; a lognormal's sigma = ln(p90 / p50) / 1.2816 and its "
        "mean = median x exp(sigma^2 / 2); the share of time = pauses per second x mean pause.",
        unit="%",
    ),
)
