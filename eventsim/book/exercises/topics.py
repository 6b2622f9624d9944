"""Chapter 03, topics, partitions and offsets: leader placement, segments and retention.

Solvers: placement and the retention band in closed form; the segment count from one 10-second run
(about 0.2 s), since a segment rolls when the *next* batch would not fit and that depends on the batches.
"""

from __future__ import annotations

import math

import numpy as np

from eventsim.book.registry import SEED, Exercise, Param, Range, Tolerance, register

CHAPTER = "03_topics_partitions_offsets"
MIB = 1_048_576
SEGMENT_BYTES = 1_048_576  # segment.bytes: the minimum Kafka allows, as in the chapter


def _most_leaders(p) -> float:
    return float(math.ceil(p.partitions / p.brokers))


def _clicks(p, topic_config: dict) -> dict:
    """The chapter's section-4 scenario: 1 cloud-2020 broker, topic clicks, 100,000 session keys."""
    return {
        "name": "clicks",
        "horizon_ms": 10_000,
        "cluster": {"brokers": 1, "hardware": "cloud-2020"},
        "topics": [{"name": "clicks", "partitions": p.partitions, "config": topic_config}],
        "producers": [
            {
                "name": "web",
                "topic": "clicks",
                "rate_per_s": p.rate_per_s,
                "value_bytes": p.value_bytes,
                "keys": {"distribution": "uniform", "count": 100_000, "format": "session-{}"},
            }
        ],
        "metrics": {"window_ms": 100},
    }


def _segments(p) -> float:
    import eventsim

    frame = eventsim.simulate(_clicks(p, {"segment.bytes": SEGMENT_BYTES}), seed=SEED).frame("partitions")
    end = frame[(frame["time_s"] == frame["time_s"].max()) & (frame["partition"] == 0)]
    return float(end["segments"].iloc[0])


def record_bytes(value_bytes: int, key_count: int = 100_000, key_format: str = "session-{}") -> float:
    """Mean bytes one record takes in a batch (``DefaultRecord.sizeInBytes``) over uniformly used keys."""
    from eventsim.protocol import record_size_in_bytes

    key_lengths = np.array([len(key_format.format(k)) for k in range(key_count)])
    return float(record_size_in_bytes(key_lengths, np.full(key_count, value_bytes)).mean())


def _band_top(p) -> float:
    per_partition_bytes_per_s = p.rate_per_s / p.partitions * record_bytes(p.value_bytes)
    top = (
        p.retention_segments * SEGMENT_BYTES
        + SEGMENT_BYTES
        + per_partition_bytes_per_s * p.check_interval_ms / 1000
    )
    return top / MIB


_RATE = Param(5000, Range(2000, 6000, 500), "records/s", "the producer's rate_per_s")
_PARTITIONS = Param(2, Range(2, 4, 1), "partitions", "partitions of the clicks topic")
_VALUE = Param(1000, Range(500, 1500, 100), "bytes", "value_bytes")

register(
    Exercise(
        key="partitions.most-leaders-per-broker",
        title="Uneven placement",
        chapter=CHAPTER,
        source="Exercise 1",
        question=(
            "A topic has {partitions} partitions on {brokers} brokers (no racks). How many partitions does "
            "the busiest broker lead?"
        ),
        params={
            "partitions": Param(7, Range(4, 30, 1), "partitions"),
            "brokers": Param(3, Range(2, 6, 1), "brokers"),
        },
        solve=_most_leaders,
        tolerance=Tolerance(abs=0),
        hint="leaders go round the brokers in turn, from a random start: every broker gets one in each block "
        "of `brokers` partitions, and the last, partial block gives some brokers one more.",
        unit="partitions",
        answer="integer",
        constraint=lambda p: p.partitions > p.brokers and p.partitions % p.brokers != 0,
    ),
    Exercise(
        key="segments.count-without-retention",
        title="Counting segments",
        chapter=CHAPTER,
        source="Exercise 4",
        question=(
            "The section-4 `clicks` scenario without retention: {rate_per_s} records/s of {value_bytes}-byte "
            "values into {partitions} partitions for 10 s, `segment.bytes` 1,048,576. How many segment files "
            "does partition 0 have at the end?"
        ),
        params={"rate_per_s": _RATE, "partitions": _PARTITIONS, "value_bytes": _VALUE},
        solve=_segments,
        tolerance=Tolerance(abs=1, rel=0.05),
        hint="a partition receives rate_per_s / partitions records/s of about value_bytes + 25 bytes each; a "
        "segment rolls a little before 1 MiB, so count size / segment.bytes and round up.",
        unit="segments",
        solver="simulation",
        answer="integer",
    ),
    Exercise(
        key="retention.size-band-top",
        title="How big can a partition get under retention.bytes?",
        chapter=CHAPTER,
        source="section 4 check (retention.bytes band)",
        question=(
            "The `clicks` topic has {partitions} partitions, `segment.bytes` 1 MiB and `retention.bytes` of "
            "{retention_segments} MiB per partition; the broker checks retention every {check_interval_ms} "
            "ms. A producer writes {rate_per_s} records/s of {value_bytes}-byte values with random keys. "
            "What is the largest size one partition can reach, in MiB (the top of the band)?"
        ),
        params={
            "rate_per_s": _RATE,
            "partitions": _PARTITIONS,
            "value_bytes": _VALUE,
            "retention_segments": Param(4, Range(2, 8, 1), "MiB", "retention.bytes / segment.bytes"),
            "check_interval_ms": Param(1000, Range(500, 3000, 500), "ms", "log.retention.check.interval.ms"),
        },
        solve=_band_top,
        tolerance=Tolerance(rel=0.03),
        hint="right after a check a partition holds less than retention.bytes + one segment; until the next "
        "check it grows by its write rate (bytes/s per partition) times the check interval.",
        unit="MiB",
    ),
)
