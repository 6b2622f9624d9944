"""The replication charts: ISR size, follower lag and the high watermark against the log end offset, from
a small replicated run with one slow follower. Each returns its Axes with a title and unit-labelled axes."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

import eventsim  # noqa: E402
from eventsim import plots  # noqa: E402

SLOW_FOLLOWER = {
    "name": "slow-follower",
    "horizon_ms": 3000,
    "cluster": {"brokers": 3, "hardware": "cloud-2020", "broker_hardware": {2: {"nic_bytes_per_ms": 1000}}},
    "broker": {"min.insync.replicas": 2, "replica.lag.time.max.ms": 1000},
    "topics": [{"name": "orders", "replicas": [[0, 1, 2], [1, 0, 2]]}],
    "producers": [{"name": "app", "topic": "orders", "rate_per_s": 20000, "value_bytes": 200,
                   "config": {"acks": 1}}],  # fmt: skip
    "metrics": {"window_ms": 250},
}


@pytest.fixture(scope="module")
def run():
    return eventsim.simulate(SLOW_FOLLOWER, seed=17)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def title(ax: Axes) -> str:
    """The title wherever the style puts it (the book's style sets titles on the left)."""
    return next((t for t in (ax.get_title(loc=loc) for loc in ("center", "left", "right")) if t), "")


def lines(ax: Axes) -> list[str]:
    return [ln.get_label() for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def test_isr_over_time_draws_a_step_per_partition_to_the_end_of_the_run(run):
    isr = run.frame("isr")
    assert isr["isr_size"].min() == 2, "the slow follower leaves the ISR"
    ax = plots.isr_over_time(run, min_insync_replicas=2)
    assert isinstance(ax, Axes) and title(ax) and "(s)" in ax.get_xlabel() and ax.get_ylabel()
    assert lines(ax) == ["orders-0", "orders-1", "min.insync.replicas = 2"]
    for line in ax.get_lines()[:2]:
        assert line.get_xdata()[-1] == pytest.approx(3.0)  # to the horizon
        assert line.get_drawstyle() == "steps-post"
    assert "lowest: 2" in title(plots.isr_over_time(isr))  # the frame works too
    assert lines(plots.isr_over_time(run, partitions=1)) == ["orders-1"]


def test_follower_lag_over_time_in_records_and_ms(run):
    ax = plots.follower_lag_over_time(run, brokers=2)
    assert lines(ax) == ["orders-0, follower on broker 2", "orders-1, follower on broker 2"]
    assert "records" in ax.get_ylabel() and "(s)" in ax.get_xlabel() and "open markers" in title(ax)
    ax = plots.follower_lag_over_time(run, column="lag_ms", lag_time_max_ms=1000)
    assert "replica.lag.time.max.ms = 1,000" in lines(ax) and "ms" in ax.get_ylabel()
    with pytest.raises(ValueError, match="lag_records, lag_ms"):
        plots.follower_lag_over_time(run, column="lag")


def test_watermarks_over_time_shades_the_unreplicated_records(run):
    ax = plots.watermarks_over_time(run, partition=0)
    assert lines(ax)[:2] == ["log end offset (appended by the leader)", "high watermark (readable)"]
    assert len(ax.collections) == 1  # the shaded gap
    parts = run.frame("partitions").query("partition == 0")
    assert (parts["high_watermark"] <= parts["log_end_offset"]).all()
    assert "offset" in ax.get_ylabel() and title(ax).startswith("Partition 0")


def test_a_run_with_followers_also_gets_its_isr_and_follower_lag_charts(run, tmp_path):
    from eventsim.plots.report import CHARTS, REPLICATION_CHARTS, write_charts

    names = {p.name for p in write_charts(run, tmp_path)}
    assert names == set(CHARTS) | set(REPLICATION_CHARTS)
    single = eventsim.simulate({**SLOW_FOLLOWER, "topics": [{"name": "orders", "partitions": 2}],
                                "broker": {}, "horizon_ms": 500})  # fmt: skip
    assert {p.name for p in write_charts(single, tmp_path / "rf1")} == set(CHARTS)
