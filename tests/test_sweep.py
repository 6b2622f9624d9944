"""``Scenario.with_`` (the paths of ``--set``) and ``eventsim.sweep`` (a grid of runs as one DataFrame)."""

from __future__ import annotations

import pytest

import eventsim
from eventsim import InvalidConfigurationError, Scenario
from eventsim.sweeps import column_names


def test_with_takes_mappings_strings_lists_and_keywords():
    sc = Scenario.load("quickstart")
    changed = sc.with_({"producers[0].config.linger.ms": 20, "cluster.brokers": 5})
    assert changed.producers[0].config.linger_ms == 20
    assert changed.cluster.brokers == 5
    assert sc.cluster.brokers != 5 or sc.producers[0].config.linger_ms != 20  # the original is unchanged
    changed = sc.with_("producers[0].rate_per_s=2000", ["metrics.window_ms=250"], horizon_ms=5000)
    assert changed.producers[0].rate_per_s == 2000
    assert changed.metrics.window_ms == 250
    assert changed.horizon_ms == 5000
    assert sc.with_() is sc


def test_with_is_the_same_as_load_with_overrides():
    changes = ["producers[0].config.linger.ms=7", "topics[0].partitions=3"]
    assert Scenario.load("quickstart").with_(changes) == Scenario.load("quickstart", changes)


def test_with_later_changes_win():
    sc = Scenario.load("quickstart").with_({"cluster.brokers": 2}, "cluster.brokers=4")
    assert sc.cluster.brokers == 4


def test_with_refuses_unknown_paths_with_the_closest():
    with pytest.raises(InvalidConfigurationError, match="linger.ms"):
        Scenario.load("quickstart").with_({"producers[0].lingr.ms": 5})
    with pytest.raises(InvalidConfigurationError):
        Scenario.load("quickstart").with_(42)


def test_column_names():
    assert column_names(
        [
            "producers[0].config.linger.ms",
            "cluster.brokers",
            "topics[0].replication.factor",
            "broker.num.io.threads",
        ]
    ) == {
        "producers[0].config.linger.ms": "linger_ms",
        "cluster.brokers": "brokers",
        "topics[0].replication.factor": "replication_factor",
        "broker.num.io.threads": "num_io_threads",
    }
    # Two paths that would share a name keep their whole path.
    both = ["producers[0].rate_per_s", "producers[1].rate_per_s"]
    assert column_names(both) == {p: p for p in both}


def test_sweep_grid_rows_columns_and_seeds():
    grid = {"producers[0].config.linger.ms": [0, 20], "topics[0].partitions": [1, 2]}
    metrics = ["throughput_records_per_s", "produce_latency_p99_ms"]
    df = eventsim.sweep("quickstart", grid, horizon_ms=1000, metrics=metrics, replicate=2, seed=4)
    assert list(df.columns) == ["linger_ms", "partitions", "seed", "topic", *metrics]
    assert len(df) == 2 * 2 * 2
    assert df[["linger_ms", "partitions"]].drop_duplicates().values.tolist() == [
        [0, 1],
        [0, 2],
        [20, 1],
        [20, 2],
    ]
    assert df["seed"].tolist() == [4, 5] * 4
    # linger.ms=20 holds every batch about 20 ms at this rate.
    assert (df[df["linger_ms"] == 20]["produce_latency_p99_ms"] > 15).all()
    assert (df[df["linger_ms"] == 0]["produce_latency_p99_ms"] < 15).all()


def test_sweep_rows_are_the_runs_summaries():
    df = eventsim.sweep(
        "quickstart",
        {"producers[0].rate_per_s": [500]},
        horizon_ms=1000,
        names={"producers[0].rate_per_s": "rate"},
    )
    one = eventsim.simulate(Scenario.load("quickstart").with_("producers[0].rate_per_s=500"), horizon_ms=1000)
    assert df["rate"].tolist() == [500]
    summary = one.summary()
    for c in summary.columns:
        assert df[c].iloc[0] == summary[c].iloc[0] or (df[c].isna().iloc[0] and summary[c].isna().iloc[0])


def test_sweep_refuses_bad_grids_and_metrics():
    with pytest.raises(InvalidConfigurationError):
        eventsim.sweep("quickstart", {})
    with pytest.raises(InvalidConfigurationError):
        eventsim.sweep("quickstart", {"cluster.brokers": 3})
    with pytest.raises(InvalidConfigurationError):
        eventsim.sweep("quickstart", {"cluster.brokers": [1]}, replicate=0)
    with pytest.raises(KeyError, match="available"):
        eventsim.sweep("quickstart", {"cluster.brokers": [1]}, horizon_ms=200, metrics=["p99"])
