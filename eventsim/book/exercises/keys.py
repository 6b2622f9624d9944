"""Chapter 06, keys and partitioning: murmur2, resizing, and hot partitions from Zipf keys.

Solvers: exact computations with the model's murmur2 (``partitions_for_keys``) and the key
distribution's probabilities (``KeySpec.pmf``), as the chapter does; no simulation is needed.
"""

from __future__ import annotations

import numpy as np

from eventsim.book.registry import Exercise, Param, Range, Tolerance, register

CHAPTER = "06_keys_partitioning"


def _stay_fraction(p) -> float:
    from eventsim.producer.partitioner import partitions_for_keys

    keys = [f"user-{i}".encode() for i in range(p.key_count)]
    before = partitions_for_keys(keys, p.partitions)
    after = partitions_for_keys(keys, p.partitions + p.added)
    return float((before == after).mean())


def partition_shares(
    key_count: int, exponent: float, partitions: int, key_format: str = "user-{}"
) -> np.ndarray:
    """Each partition's expected share of the records for Zipf keys: the sum of its keys' probabilities."""
    from eventsim.producer.partitioner import partitions_for_keys
    from eventsim.workload.keys import KeySpec

    spec = KeySpec("zipf", key_count, exponent, key_format)
    placed = partitions_for_keys(spec.key_bytes(np.arange(key_count)), partitions)
    return np.bincount(placed, weights=spec.pmf(), minlength=partitions)


def _hot_share(p) -> float:
    return float(partition_shares(p.key_count, p.exponent, p.partitions).max())


def _hot_consumer_limit(p) -> float:
    hot_rate = partition_shares(1000, p.exponent, p.partitions).max() * p.rate_per_s
    return 1000.0 / hot_rate


register(
    Exercise(
        key="keys.stay-on-resize",
        title="Adding partitions moves keys",
        chapter=CHAPTER,
        source="Exercise 1",
        question=(
            "Take the {key_count} keys `user-0`, `user-1`, ... What fraction of them stays on the same "
            "partition when the topic grows from {partitions} partitions by {added} more?"
        ),
        params={
            "key_count": Param(10_000, Range(5000, 20_000, 1000), "keys"),
            "partitions": Param(12, Range(4, 24, 1), "partitions"),
            "added": Param(1, Range(1, 6, 1), "partitions"),
        },
        solve=_stay_fraction,
        tolerance=Tolerance(abs=0.02),
        hint="a key stays when h % old == h % new for its hash h; that pattern repeats every lcm(old, new) "
        "hashes (partitions_for_keys computes it exactly). Answer as a fraction, not a percentage.",
        unit="",
    ),
    Exercise(
        key="keys.hot-partition-share",
        title="Predict the hot spot",
        chapter=CHAPTER,
        source="Exercise 2",
        question=(
            "A topic has {partitions} partitions and {key_count} keys `user-0` ... drawn from Zipf with "
            "exponent {exponent}. What share of the records does the hottest partition receive?"
        ),
        params={
            "partitions": Param(6, Range(4, 16, 1), "partitions"),
            "exponent": Param(1.2, Range(0.8, 1.6, 0.1), "", "Zipf exponent s"),
            "key_count": Param(1000, Range(200, 5000, 100), "keys"),
        },
        solve=_hot_share,
        tolerance=Tolerance(abs=0.01),
        hint="a partition's share is the sum of the probabilities (KeySpec.pmf()) of the keys murmur2 sends "
        "to it (partitions_for_keys). Answer as a fraction between 0 and 1.",
        unit="",
    ),
    Exercise(
        key="keys.hot-consumer-max-processing-ms",
        title="How fast must the hot consumer be?",
        chapter=CHAPTER,
        source="Exercise 3",
        question=(
            "{rate_per_s} records/s go to a topic of {partitions} partitions, keyed by 1,000 users `user-0` "
            "... drawn from Zipf with exponent {exponent}; one consumer reads each partition. What is the "
            "largest `processing_ms` per record that lets the hottest partition's consumer keep up?"
        ),
        params={
            "rate_per_s": Param(6000, Range(3000, 9000, 500), "records/s"),
            "partitions": Param(12, Range(6, 16, 1), "partitions"),
            "exponent": Param(1.5, Range(1.0, 1.6, 0.1), "", "Zipf exponent s"),
        },
        solve=_hot_consumer_limit,
        tolerance=Tolerance(rel=0.03),
        hint="find the hottest partition's share (KeySpec.pmf() summed per partition), multiply by the rate, "
        "and keep its consumer busy less than 100 % of the time.",
        unit="ms",
    ),
)
