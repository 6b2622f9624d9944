"""The published benchmark rows the model is checked against, and the runs that reproduce them.

What was measured: J. Kreps, "Benchmarking Apache Kafka: 2 Million Writes Per Second (On Three Cheap
Machines)", LinkedIn engineering blog, 2014, on Kafka 0.8.1: 100-byte values into a topic of 6
partitions on three brokers with 1 Gb Ethernet, producers sending as fast as they can; MB/s counts
payload only (MB = 2^20 bytes). The post also measured the record size's effect on one producer
without replication: 10-byte records are bound by the producer's CPU, records of 100 bytes and more by
the 1 GbE NIC, so records/s falls and MB/s rises with the size.

What is here: ``KREPS_2014``, the four rows with their scenario presets
(``data/scenarios/kreps-2014-*.yaml``: the post's settings on the ``commodity-2014`` profile, as Kafka
0.8), ``rows()`` to run them and ``size_sweep()`` to run the record-size test, each returning a
DataFrame with the published and simulated figures, the deviation and the model's bottleneck (the run's
busiest resource, ``Result.summary()``'s ``bottleneck``). Nothing is fitted: a row that misses shows its
deviation. ``benchmarks/calibration.py`` prints both; the book's calibration chapter reads them.

Not here: published latency percentiles (the post gives one end-to-end figure at low load) and rows of
other benchmarks, whose hardware profiles the model does not have yet.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PublishedRow", "KREPS_2014", "SIZES", "rows", "size_sweep"]


@dataclass(frozen=True)
class PublishedRow:
    """One published figure: what ran (``label``), the preset that reproduces it, what was measured."""

    label: str
    preset: str
    records_per_s: int
    mb_per_s: float


KREPS_2014 = (
    PublishedRow("1 producer, no replication", "kreps-2014-rf1", 821_557, 78.3),
    PublishedRow("1 producer, 3x async (acks=1)", "kreps-2014-rf3-async", 786_980, 75.1),
    PublishedRow("1 producer, 3x sync (acks=all)", "kreps-2014-rf3-sync", 421_823, 40.2),
    PublishedRow("3 producers, 3x async (acks=1)", "kreps-2014-3producers-rf3-async", 2_024_032, 193.0),
)
SIZES = (10, 100, 1000, 10_000, 100_000)  # the post's record-size test, bytes of value


def _summary_row(result) -> dict:
    s = result.summary()
    return {
        "simulated_records_per_s": float(s.throughput_records_per_s.sum()),
        "simulated_mb_per_s": float(s.throughput_mb_per_s.sum()),
        "bottleneck": str(s.bottleneck.iloc[0]),
        "bottleneck_utilisation": float(s.bottleneck_utilisation.iloc[0]),
    }


def rows(seed: int = 1, horizon_ms: float | None = None, changes=None, published=KREPS_2014):
    """Each published row simulated with ``seed`` (its preset's horizon unless ``horizon_ms``), with
    ``changes`` (``Scenario.with_`` paths, e.g. ``{"variability.gc": True}``) applied to every row.

    Returns a DataFrame indexed by row: published and simulated records/s and MB/s, the deviation
    (simulated / published - 1), the bottleneck and its utilisation.
    """
    import eventsim
    from eventsim.metrics.frames import records_frame

    out = []
    for row in published:
        scenario = eventsim.Scenario.load(row.preset)
        edits = dict(changes or {})
        if horizon_ms is not None:
            edits["horizon_ms"] = horizon_ms
        if edits:
            scenario = scenario.with_(edits)
        sim = _summary_row(eventsim.simulate(scenario, seed=seed))
        out.append(
            {
                "row": row.label,
                "published_records_per_s": row.records_per_s,
                "simulated_records_per_s": sim["simulated_records_per_s"],
                "deviation": sim["simulated_records_per_s"] / row.records_per_s - 1.0,
                "published_mb_per_s": row.mb_per_s,
                "simulated_mb_per_s": sim["simulated_mb_per_s"],
                "bottleneck": sim["bottleneck"],
                "bottleneck_utilisation": sim["bottleneck_utilisation"],
            }
        )
    return records_frame(out, index="row")


def size_sweep(seed: int = 1, horizon_ms: float | None = None, sizes=SIZES, changes=None):
    """The post's record-size test: one producer, no replication (``kreps-2014-rf1``), one run per value
    size. Returns a DataFrame: value bytes, records/s, MB/s of payload, the bottleneck."""
    import eventsim
    from eventsim.metrics.frames import records_frame

    base = eventsim.Scenario.load("kreps-2014-rf1")
    out = []
    for size in sizes:
        edits = {**dict(changes or {}), "producers[0].value_bytes": size}
        if horizon_ms is not None:
            edits["horizon_ms"] = horizon_ms
        sim = _summary_row(eventsim.simulate(base.with_(edits), seed=seed))
        out.append(
            {
                "value_bytes": size,
                "records_per_s": sim["simulated_records_per_s"],
                "mb_per_s": sim["simulated_mb_per_s"],
                "bottleneck": sim["bottleneck"],
                "bottleneck_utilisation": sim["bottleneck_utilisation"],
            }
        )
    return records_frame(out)
