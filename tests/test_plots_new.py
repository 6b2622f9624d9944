"""The plots that replace the book's hand-built figures: lag, per-partition bars and lines, imbalance,
sweeps and grouped bars. Each returns its Axes, labels both axes with units and states a title."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from eventsim import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def title_of(ax: Axes) -> str:
    return ax.get_title("left") or ax.get_title("center")


def labels(ax: Axes) -> list[str]:
    return [ln.get_label() for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def assert_labelled(ax: Axes, xunit: str | None, yunit: str | None) -> None:
    assert isinstance(ax, Axes)
    assert title_of(ax)
    assert ax.get_xlabel() and ax.get_ylabel()
    assert "log size" != ax.get_ylabel()
    if xunit:
        assert xunit in ax.get_xlabel()
    if yunit:
        assert yunit in ax.get_ylabel()


def make_lag(groups=("feed",), partitions=4, windows=6) -> pd.DataFrame:
    rows = []
    for g in groups:
        for w in range(1, windows + 1):
            for p in range(partitions):
                hw = 100 * w
                lag = 30 * w if p == 2 else (5 if p == 1 else 0)
                rows.append((w * 0.5, g, "posts", p, f"{g}-{p // 2}", hw, hw - lag, lag))
    return pd.DataFrame(rows, columns=["time_s", "group", "topic", "partition", "consumer", "high_watermark",
                                       "position", "lag"])  # fmt: skip


def make_partitions(partitions=12, snapshots=5) -> pd.DataFrame:
    rows = []
    for s in range(1, snapshots + 1):
        for p in range(partitions):
            leo = s * 100 * (5 if p == 7 else 1)
            rows.append({"time_s": float(s), "topic": "orders", "partition": p, "leader": p % 3,
                         "log_start_offset": 0, "log_end_offset": leo, "size_bytes": leo * 1024,
                         "segments": 1 + s // 2})  # fmt: skip
    return pd.DataFrame(rows)


class FakeResult:
    def __init__(self, frames):
        self.frames = frames
        self.requested = []

    def frame(self, name):
        self.requested.append(name)
        return self.frames[name]()


# ------------------------------------------------------------------------------------------------ lag
def test_lag_over_time_total_and_the_partitions_that_lag_most():
    ax = plots.lag_over_time(make_lag(), top=2)
    assert_labelled(ax, "(s)", "(records)")
    assert labels(ax) == ["all 4 partitions", "posts-2", "posts-1"]
    total = ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(total, [30 * w + 5 for w in range(1, 7)])
    assert "up to 185 records" in title_of(ax)


def test_lag_over_time_chosen_partition_reference_and_label():
    ax = plots.lag_over_time(make_lag(), partitions=2, growth_per_s=60, label="run A")
    assert labels(ax) == ["run A: posts-2", "growing 60 records/s (arrivals - capacity)"]
    ref = ax.get_lines()[-1]
    np.testing.assert_allclose(ref.get_ydata(), [0, 180])
    with pytest.raises(ValueError, match="no lag rows"):
        plots.lag_over_time(make_lag(), partitions=[9])


def test_lag_over_time_needs_a_group_when_there_are_several():
    df = make_lag(groups=("a", "b"))
    with pytest.raises(ValueError, match="group="):
        plots.lag_over_time(df)
    ax = plots.lag_over_time(df, group="b")
    assert "of b" in title_of(ax)
    with pytest.raises(ValueError, match="groups: a, b"):
        plots.lag_over_time(df, group="c")


def test_lag_over_time_plain_series_and_zero_lag():
    ax = plots.lag_over_time(pd.DataFrame({"time_s": [0.0, 0.5, 1.0], "lag": [0, 3, 1]}))
    assert_labelled(ax, "(s)", "(records)")
    df = make_lag()
    df["lag"] = 0
    assert "keep up" in title_of(plots.lag_over_time(df))


def test_lag_over_time_from_a_result():
    result = FakeResult({"lag": make_lag})
    fig, ax = plt.subplots()
    assert plots.lag_over_time(result, ax=ax, title="finding") is ax
    assert result.requested == ["lag"] and title_of(ax) == "finding"
    ax = plots.lag_over_time(make_lag().iloc[0:0])
    assert "no data" in [t.get_text() for t in ax.texts]


# ------------------------------------------------------------------------------------------------ partitions
def test_partition_bars_per_partition_coloured_by_leader_with_labelled_mean():
    ax = plots.partition_bars(make_partitions())
    assert_labelled(ax, None, "records")
    assert ax.get_xlabel() == "partition"
    heights = [p.get_height() for p in ax.patches]
    assert sorted(heights)[-1] == 2500 and len(heights) == 12  # the last snapshot
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "mean 667" in legend and "leader: broker 0" in legend
    assert "busiest 3.75x the mean" in title_of(ax)
    assert ax.get_ylim()[1] > 2500  # the tallest bar fits


def test_partition_bars_per_leader_and_any_frame():
    ax = plots.partition_bars(make_partitions(), by="leader", reference=None)
    assert ax.get_xlabel() == "leader broker"
    assert sorted(p.get_height() for p in ax.patches) == [2000, 2000, 4000]
    keys = pd.DataFrame({"partition": range(4), "keys": [10, 12, 9, 11]})
    ax = plots.partition_bars(keys, column="keys", reference=10.5, reference_label="40 / 4",
                              ylabel="distinct keys")  # fmt: skip
    assert ax.get_ylabel() == "distinct keys" and "40 / 4" in labels(ax)
    with pytest.raises(ValueError, match="reference"):
        plots.partition_bars(keys, column="keys", reference="median")


def test_partitions_over_time_many_partitions_share_a_colour_highlight_and_rate():
    ax = plots.partitions_over_time(make_partitions(), rate_per_s=100, rate_label="100 records/s")
    assert_labelled(ax, "(s)", "records")
    assert labels(ax) == ["the 12 partitions", "100 records/s"]
    ax = plots.partitions_over_time(make_partitions(), highlight=[7])
    assert labels(ax) == ["the other 11", "orders-7"]
    ax = plots.partitions_over_time(make_partitions(partitions=2), column="size_bytes")
    assert ax.get_ylabel() == "stored per partition (MiB)"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata()[-1], 500 * 1024 / 2**20)
    ax = plots.partitions_over_time(make_partitions(partitions=2), column="segments")
    assert ax.get_ylabel() == "segment files"


def test_partition_imbalance_over_time():
    ax = plots.partition_imbalance_over_time(make_partitions(), label="keyed")
    assert_labelled(ax, "(s)", "mean")
    ratio = ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(ratio, 3.75)
    assert labels(ax) == ["keyed", "even (1.0)"]
    plots.partition_imbalance_over_time(make_partitions(), label="other", ax=ax)
    assert labels(ax) == ["keyed", "even (1.0)", "other"]  # one reference line for both


# ------------------------------------------------------------------------------------------------ sweeps
def make_sweep_frame():
    rows = []
    for rho in (0.2, 0.5, 0.8):
        for seed in range(4):
            rows.append({"utilisation": rho, "seed": seed, "W_ms": 1 / (1 - rho) + 0.1 * (seed - 1.5)})
    return pd.DataFrame(rows)


def test_sweep_means_of_replicates_with_ci_and_theory():
    df = make_sweep_frame()
    ax = plots.sweep(
        df, "utilisation", "W_ms", theory=lambda r: 1 / (1 - r), theory_label="W = 1/(mu - lambda)"
    )
    assert_labelled(ax, None, "(ms)")
    assert "95 % CI" in title_of(ax)
    (bars,) = ax.containers
    np.testing.assert_allclose(bars.lines[0].get_ydata(), [1 / 0.8, 2.0, 5.0])
    assert "W = 1/(mu - lambda)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_sweep_hue_and_given_errors():
    df = make_sweep_frame().assign(acks=lambda d: np.where(d["seed"] % 2, "1", "all"), err=0.3)
    ax = plots.sweep(df, "utilisation", "W_ms", hue="acks", yerr="err")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["acks=1", "acks=all"]


def test_bars_grouped_with_values_and_a_shared_unit():
    df = pd.DataFrame({"codec": ["none", "lz4", "zstd"], "produce_latency_p50_ms": [1.0, 1.5, 2.0],
                       "produce_latency_p99_ms": [3.0, 4.0, 6.0]})  # fmt: skip
    ax = plots.bars(df, "codec", ["produce_latency_p50_ms", "produce_latency_p99_ms"])
    assert_labelled(ax, "(ms)", None)
    assert ax.get_xlabel() == "produce latency (ms)"
    assert len(ax.patches) == 6
    assert [t.get_text() for t in ax.get_yticklabels()] == ["none", "lz4", "zstd"]
    assert "6" in [t.get_text() for t in ax.texts]
    ax = plots.bars(df, "codec", "produce_latency_p99_ms", horizontal=False)
    assert ax.get_ylabel() == "produce latency p99 (ms)"


# ------------------------------------------------------------------------------------------------ latency CDF
def test_latency_cdf_compares_runs_on_one_axes():
    rng = np.random.default_rng(3)
    ax = None
    for i, name in enumerate(("acks=0", "acks=all")):
        lat = np.sort(rng.lognormal(np.log(2.0 + i), 0.5, size=300))
        df = pd.DataFrame({"kind": "produce", "latency_ms": lat, "cdf": np.arange(1, 301) / 300})
        ax = plots.latency_cdf(df, ax=ax, label=name)
    names = labels(ax)
    assert [n.split(" (")[0] for n in names] == ["acks=0", "acks=all"]
    assert ax.get_lines()[-1].get_linestyle() != ax.get_lines()[-2].get_linestyle()
    assert [t.get_text() for t in ax.texts] == ["p50", "p99"]  # the reference lines once, labelled
    assert "log scale" in ax.get_xlabel()


# ------------------------------------------------------------------------------------------------ records
def make_records() -> pd.DataFrame:
    rows = []
    for p in range(3):
        for o in range(20 + p):
            rows.append({"topic": "orders", "partition": p, "offset": o, "key": (7 * o + p) % 10,
                         "create_ms": 10.0 * o + p})  # fmt: skip
    return pd.DataFrame(rows)


def test_log_layout_boxes_per_offset_labelled_with_keys():
    ax = plots.log_layout(make_records(), topic="orders", offsets=5)
    assert_labelled(ax, "offset", "partition")
    assert len(ax.patches) == 3 * 5
    texts = [t.get_text() for t in ax.texts]
    assert "... up to offset 21" in texts and texts[:5] == ["0", "7", "4", "1", "8"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["orders-0", "orders-1", "orders-2"]


def test_key_placement_one_series_per_key():
    df = make_records()
    ax = plots.key_placement(df, keys=(0, 7), key_format="user-{}")
    assert_labelled(ax, "(simulated s)", "partition")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["user-0", "user-7"]
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == int((df["key"] == 0).sum())


def test_saturation_draws_acknowledged_against_offered_and_names_the_bottleneck():
    import eventsim

    def run(rate, max_block_ms=60_000):
        sc = {
            "name": "sat",
            "horizon_ms": 500,
            "cluster": {"brokers": 1, "hardware": "laptop"},
            "topics": [{"name": "t", "partitions": 3}],
            "producers": [{"name": "p", "topic": "t", "rate_per_s": rate, "value_bytes": 1000, "keys": None,
                           "config": {"max.block.ms": max_block_ms}}],  # fmt: skip
        }
        return eventsim.simulate(sc, seed=1)

    runs = [run(50_000), run(100_000), run(300_000), run(300_000, 0)]
    ax = plots.saturation(runs)
    assert_labelled(ax, None, None)
    assert labels(ax) == ["acknowledged = offered", "acknowledged", "failed"]
    acked = next(ln for ln in ax.get_lines() if ln.get_label() == "acknowledged").get_ydata()
    assert acked[0] == pytest.approx(50, rel=0.05)  # thousand records/s: below capacity, all of it
    assert max(acked) < 130  # a 1 GbE link carries ~115,000 records of 1 kB per second
    assert "nic" in title_of(ax)
    with pytest.raises(ValueError, match="at least one run"):
        plots.saturation([])
