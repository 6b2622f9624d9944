"""Chapters 04 and 05, producers: linger.ms, batch.size, compression and the network's capacity.

Solvers: closed forms the chapter checks its simulations against (records per batch ``r*L + 1``,
requests per second ``R / (r*L + 1)``, the mean time in the linger stage, the batch.size crossover, a
producer thread's compression ceiling and the records per second a NIC carries in full batches). Record
sizes come from the model's ``record_size_in_bytes`` (Kafka's ``DefaultRecord.sizeInBytes``) over the
chapters' 1,000 ``device-{k}`` keys.
"""

from __future__ import annotations

import math

import numpy as np

from eventsim.book.registry import Choice, Exercise, Param, Range, Tolerance, register

CHAPTER = "04_producer_batching"
CHAPTER_ACKS = "05_producer_acks_compression"
DEFAULT_BATCH_SIZE = 16_384  # batch.size, Kafka's default


def record_bytes(value_bytes: int, key_count: int = 1000, key_format: str = "device-{}") -> float:
    """Mean bytes one record takes in a batch over uniformly used keys (``DefaultRecord.sizeInBytes``)."""
    from eventsim.protocol import record_size_in_bytes

    key_lengths = np.array([len(key_format.format(k)) for k in range(key_count)])
    return float(record_size_in_bytes(key_lengths, np.full(key_count, value_bytes)).mean())


def _records_per_batch(p) -> float:
    r = p.rate_per_s / 1000.0  # records per ms into the one partition
    return r * p.linger_ms + 1.0


def _linger_latency(p) -> float:
    # A batch opens with its first record, which waits the full linger.ms; the r*L others arrive
    # uniformly over the L ms and wait L/2 on average.
    r, linger = p.rate_per_s / 1000.0, p.linger_ms
    return (linger + r * linger * linger / 2.0) / (r * linger + 1.0)


def _requests_per_s(p) -> float:
    # All partitions share the one broker, so they share one request per cycle of L + 1/r ms,
    # where r is the producer's whole rate: the partition count does not appear.
    r = p.rate_per_s / 1000.0
    return 1000.0 * r / (r * p.linger_ms + 1.0)


def _batch_full_linger(p) -> float:
    from eventsim.protocol import RECORD_BATCH_OVERHEAD

    fit = math.floor((DEFAULT_BATCH_SIZE - RECORD_BATCH_OVERHEAD) / record_bytes(p.value_bytes))
    return (fit - 1) / (p.rate_per_s / 1000.0)


def _compression_ceiling(p) -> float:
    from eventsim.hardware import PROFILES
    from eventsim.log.compression import CODECS

    per_record_ms = (
        PROFILES["laptop"].client_record_cpu_ms
        + record_bytes(p.value_bytes) / CODECS[p.codec].compress_bytes_per_ms
    )
    return 1000.0 / per_record_ms


def _network_capacity(p) -> float:
    # Past capacity every batch is full: as many records as fit in batch.size, one batch per partition in
    # each produce request; the NIC carries its payload rate divided by the wire bytes per record.
    from eventsim.hardware import PROFILES
    from eventsim.protocol import PRODUCE_REQUEST_OVERHEAD, RECORD_BATCH_OVERHEAD

    rec = record_bytes(p.value_bytes)
    per_batch = math.floor((DEFAULT_BATCH_SIZE - RECORD_BATCH_OVERHEAD) / rec)
    wire = rec + RECORD_BATCH_OVERHEAD / per_batch + PRODUCE_REQUEST_OVERHEAD / (per_batch * p.partitions)
    return PROFILES["laptop"].nic_bytes_per_ms * 1000.0 / wire


_RATE = Param(20_000, Range(5000, 40_000, 1000), "records/s", "the producer's rate_per_s, one partition")

register(
    Exercise(
        key="producers.linger-records-per-batch",
        title="Records per batch under linger.ms",
        chapter=CHAPTER,
        source="section 2 check",
        question=(
            "One producer sends {rate_per_s} records/s of 100-byte values into one partition with "
            "`linger.ms={linger_ms}` and `batch.size=262144`. How many records does a batch hold on average?"
        ),
        params={"rate_per_s": _RATE, "linger_ms": Param(10, Range(1, 20, 1), "ms", "linger.ms")},
        solve=_records_per_batch,
        tolerance=Tolerance(rel=0.03),
        hint="a batch opens with one record and stays open linger.ms; count the records that join it.",
        unit="records",
    ),
    Exercise(
        key="producers.linger-latency",
        title="How long does a record linger?",
        chapter=CHAPTER,
        source="section 1 (the linger stage of the breakdown)",
        question=(
            "One producer sends {rate_per_s} records/s of 100-byte values into one partition with "
            "`linger.ms={linger_ms}` and `batch.size=262144`. On average, how many milliseconds does a "
            "record spend in the `linger` stage (in its open batch)?"
        ),
        params={"rate_per_s": _RATE, "linger_ms": Param(5, Range(1, 20, 1), "ms", "linger.ms")},
        solve=_linger_latency,
        tolerance=Tolerance(rel=0.05),
        hint="the first record of a batch waits the full linger.ms, the r*L that join it wait L/2 on "
             "average; weigh them by how many there are (L/2 alone is only right when batches are large).",
        unit="ms",
    ),
    Exercise(
        key="producers.requests-per-second",
        title="Partitions on one broker share a request",
        chapter=CHAPTER,
        source="Exercise 1",
        question=(
            "One producer sends {rate_per_s} records/s into a topic of {partitions} partitions, all led by "
            "one broker, with `linger.ms={linger_ms}` and `batch.size=262144`. How many produce requests per "
            "second does it send?"
        ),
        params={
            "rate_per_s": _RATE,
            "linger_ms": Param(10, Range(2, 20, 1), "ms", "linger.ms"),
            "partitions": Param(6, Range(2, 12, 1), "partitions"),
        },
        solve=_requests_per_s,
        tolerance=Tolerance(rel=0.03),
        hint="when the first batch has lingered, the Sender drains the first batch of every partition the "
        "broker leads into one request; a cycle lasts linger.ms plus the wait for the next record.",
        unit="requests/s",
    ),
    Exercise(
        key="producers.batch-full-linger-ms",
        title="When does batch.size take over?",
        chapter=CHAPTER,
        source="Exercise 4",
        question=(
            "A producer sends {rate_per_s} records/s of {value_bytes}-byte values (keys `device-0` ... "
            "`device-999`) into one partition with the default `batch.size` (16,384). Above which "
            "`linger.ms` do batches fill before they linger out?"
        ),
        params={
            "rate_per_s": Param(20_000, Range(10_000, 30_000, 1000), "records/s"),
            "value_bytes": Param(100, Range(50, 200, 10), "bytes"),
        },
        solve=_batch_full_linger,
        tolerance=Tolerance(rel=0.05),
        hint="a batch holds floor((batch.size - 61) / record size) records (record_size_in_bytes); the "
             "partition delivers the ones after the first in that many, minus one, divided by r ms.",
        unit="ms",
    ),
    Exercise(
        key="producers.compression-ceiling",
        title="How fast can one thread compress?",
        chapter=CHAPTER_ACKS,
        source="Exercise 3",
        question=(
            "On the laptop profile, what is the most records per second one producer thread can send with "
            "`compression.type={codec}` and {value_bytes}-byte values (keys `device-0` ... `device-999`)?"
        ),
        params={
            "codec": Param("gzip", Choice(("gzip", "zstd", "snappy", "lz4")), "", "compression.type"),
            "value_bytes": Param(1000, Range(500, 4000, 100), "bytes"),
        },
        solve=_compression_ceiling,
        tolerance=Tolerance(rel=0.03),
        hint="send() costs client_record_cpu_ms plus the record's bytes divided by the codec's "
        "compress_bytes_per_ms (CODECS, PROFILES['laptop']); the ceiling is 1000 ms over that.",
        unit="records/s",
    ),
    Exercise(
        key="producers.network-capacity",
        title="What can the network carry?",
        chapter=CHAPTER_ACKS,
        source="section 3 check (the network's capacity)",
        question=(
            "On the laptop profile (1 GbE), one producer sends {value_bytes}-byte values (keys `device-0` "
            "... `device-999`) to a topic of {partitions} partitions on one broker, far faster than the "
            "network can carry, with Kafka's default `batch.size`. How many records per second reach the "
            "broker?"
        ),
        params={
            "value_bytes": Param(1000, Range(500, 2000, 100), "bytes"),
            "partitions": Param(3, Range(1, 6, 1), "partitions"),
        },
        solve=_network_capacity,
        tolerance=Tolerance(rel=0.03),
        hint="past capacity every batch is full: records per batch = (batch.size - 61) // record bytes; each "
        "record also carries its share of the 61-byte batch header and of the request's 80 bytes (one batch "
        "per partition per request); divide the NIC's payload rate (nic_bytes_per_ms) by it.",
        unit="records/s",
    ),
)
