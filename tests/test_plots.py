"""Tests for eventsim.plots on small synthetic frames that follow the documented frame schemas.

The frames here only exercise the plotting code; they are not simulation output.
"""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from eventsim import plots  # noqa: E402
from eventsim.plots import style  # noqa: E402
from eventsim.plots.latency import quantile_from_cdf  # noqa: E402

RESOURCES = ("network_threads", "request_queue", "io_threads", "disk", "nic_in", "nic_out")
PRODUCE_STAGES = ("accumulator_wait", "linger", "network", "request_queue", "append", "acknowledgement")
CONSUME_STAGES = ("fetch_wait", "poll", "processing")


# ------------------------------------------------------------------------------------------------
# Synthetic frames (schemas from the shared API spec)
# ------------------------------------------------------------------------------------------------


def make_timeseries(topics=("orders",), windows=10, window_s=1.0, per_window=1000) -> pd.DataFrame:
    rows = []
    for ti, topic in enumerate(topics):
        for w in range(windows):
            produced = per_window * (ti + 1)
            acked = produced - 10 * (w % 3)
            consumed = acked - 5
            rows.append(
                {
                    "time_s": w * window_s,
                    "topic": topic,
                    "records_produced": produced,
                    "records_acked": acked,
                    "records_consumed": consumed,
                    "bytes_produced": produced * 1024,
                    "bytes_consumed": consumed * 1024,
                    "produce_latency_p50_ms": 3.0 + w,
                    "produce_latency_p99_ms": 20.0 + 2 * w,
                    "e2e_latency_p50_ms": 8.0 + w,
                    "e2e_latency_p99_ms": 60.0 + 3 * w,
                    "throughput_records_per_s": acked / window_s,
                    "throughput_mb_per_s": acked * 1024 / window_s / 2**20,
                }
            )
    return pd.DataFrame(rows)


def make_brokers(brokers=3, windows=8, window_s=1.0) -> pd.DataFrame:
    rows = []
    for b in range(brokers):
        for w in range(windows):
            for ri, r in enumerate(RESOURCES):
                util = np.nan if r == "request_queue" else min(1.0, 0.1 * (ri + 1) + 0.05 * b + 0.01 * w)
                rows.append(
                    {
                        "time_s": w * window_s,
                        "broker": b,
                        "resource": r,
                        "utilisation": util,
                        "queue_depth_mean": 0.5 * (b + 1) + 0.1 * w,
                        "queue_depth_max": 2.0 * (b + 1) + w,
                    }
                )
    return pd.DataFrame(rows)


def make_breakdown() -> pd.DataFrame:
    rows = []
    for path, stages in (("produce", PRODUCE_STAGES), ("consume", CONSUME_STAGES)):
        means = np.arange(1, len(stages) + 1, dtype=float) * (2.0 if path == "produce" else 5.0)
        for stage, m in zip(stages, means, strict=True):
            rows.append(
                {
                    "path": path,
                    "stage": stage,
                    "mean_ms": m,
                    "p50_ms": 0.8 * m,
                    "p99_ms": 3.0 * m,
                    "share": m / means.sum(),
                }
            )
    return pd.DataFrame(rows)


def make_latency_cdf() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frames = []
    for kind, median in (("produce", 5.0), ("e2e", 40.0)):
        lat = np.sort(rng.lognormal(np.log(median), 0.6, size=400))
        frames.append(pd.DataFrame({"kind": kind, "latency_ms": lat, "cdf": np.arange(1, 401) / 400}))
    return pd.concat(frames, ignore_index=True)


def make_partitions(topics=("orders",), partitions=6, snapshots=5) -> pd.DataFrame:
    rows = []
    for topic in topics:
        for s in range(snapshots):
            for p in range(partitions):
                offset = (s + 1) * 100 * (5 if p == 0 else 1)  # partition 0 is hot
                rows.append(
                    {
                        "time_s": float(s * 10),
                        "topic": topic,
                        "partition": p,
                        "leader": p % 3,
                        "log_end_offset": offset,
                        "size_bytes": offset * 2048,
                        "segments": 1 + offset // 1000,
                    }
                )
    return pd.DataFrame(rows)


def make_sweep() -> pd.DataFrame:
    rows = []
    for acks in ("1", "all"):
        for linger in (0, 5, 20, 100):
            rows.append(
                {
                    "acks": acks,
                    "linger_ms": linger,
                    "produce_latency_p99_ms": 5.0 + linger * (1.5 if acks == "all" else 1.0),
                    "throughput_records_per_s": 10_000 + 200 * linger,
                }
            )
    return pd.DataFrame(rows)


FRAMES = {
    "timeseries": make_timeseries,
    "brokers": make_brokers,
    "breakdown": make_breakdown,
    "latency_cdf": make_latency_cdf,
    "partitions": make_partitions,
}


class FakeResult:
    """Stands in for eventsim's Result: only .frame(name) is used by the plots."""

    def __init__(self):
        self.requested: list[str] = []

    def frame(self, name: str) -> pd.DataFrame:
        self.requested.append(name)
        return FRAMES[name]()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def labelled_lines(ax: Axes) -> list:
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def title_of(ax: Axes) -> str:
    """The title wherever it sits (the house style left-aligns titles)."""
    return ax.get_title("left") or ax.get_title("center")


def assert_labelled(ax: Axes, xunit: str | None, yunit: str | None) -> None:
    assert isinstance(ax, Axes)
    assert title_of(ax)
    assert ax.get_xlabel() and ax.get_ylabel()
    if xunit:
        assert xunit in ax.get_xlabel()
    if yunit:
        assert yunit in ax.get_ylabel()


# ------------------------------------------------------------------------------------------------
# style
# ------------------------------------------------------------------------------------------------


def test_set_style_is_idempotent_and_sets_house_style():
    with matplotlib.rc_context():
        plots.set_style()
        first = {k: matplotlib.rcParams[k] for k in style.STYLE}
        plots.set_style()
        assert {k: matplotlib.rcParams[k] for k in style.STYLE} == first
        assert tuple(matplotlib.rcParams["figure.figsize"]) == (8.0, 4.5)
        assert matplotlib.rcParams["figure.dpi"] == 100
        assert not matplotlib.rcParams["axes.spines.top"]
        assert not matplotlib.rcParams["axes.spines.right"]
        assert matplotlib.rcParams["axes.grid"]
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] == list(plots.PALETTE)


def test_palette_is_okabe_ito():
    assert len(plots.PALETTE) == 8
    assert {c.upper() for c in plots.PALETTE} == {
        "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000",
    }  # fmt: skip


def test_save_writes_png_from_axes_figure_and_twin(tmp_path):
    ax = plots.latency_over_time(make_timeseries())
    out = plots.save(ax, tmp_path / "sub" / "latency")
    assert out.suffix == ".png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out2 = plots.save(ax.figure, tmp_path / "fig.png")
    assert out2.stat().st_size > 1000
    pair = plots.tradeoff_twin(
        make_sweep(), "linger_ms", "throughput_records_per_s", "produce_latency_p99_ms"
    )
    assert plots.save(pair, tmp_path / "twin.png").exists()
    with pytest.raises(TypeError):
        plots.save("not a figure", tmp_path / "x.png")


def test_as_frame_accepts_dataframe_or_result_and_rejects_others():
    df = make_timeseries()
    assert style.as_frame(df, "timeseries") is df
    result = FakeResult()
    assert list(style.as_frame(result, "brokers").columns) == list(make_brokers().columns)
    assert result.requested == ["brokers"]
    with pytest.raises(TypeError, match="timeseries"):
        style.as_frame([1, 2], "timeseries")


def test_column_label_units():
    assert style.column_label("linger_ms") == "linger (ms)"
    assert style.column_label("produce_latency_p99_ms") == "produce latency p99 (ms)"
    assert style.column_label("throughput_records_per_s") == "throughput (records/s)"
    assert style.column_label("throughput_mb_per_s") == "throughput (MiB/s)"
    assert style.column_label("batch_size") == "batch size"
    assert style.column_label("time_s") == "time (s)"


def test_infer_window_s():
    assert style.infer_window_s([0.0, 0.5, 1.0, 1.5]) == 0.5
    assert style.infer_window_s([2.0, 0.0, 1.0, 1.0]) == 1.0  # unsorted, repeated (several topics)
    assert style.infer_window_s([3.0], default=2.0) == 2.0


# ------------------------------------------------------------------------------------------------
# latency
# ------------------------------------------------------------------------------------------------


def test_latency_over_time_one_step_line_per_percentile():
    df = make_timeseries(windows=10, window_s=1.0)
    ax = plots.latency_over_time(df, kind="produce")
    assert_labelled(ax, "(s)", "(ms)")
    lines = labelled_lines(ax)
    assert [ln.get_label() for ln in lines] == ["p50", "p99"]
    x, y = lines[1].get_data()
    # window starts plus the end of the last window; values held across each window
    np.testing.assert_allclose(x, np.arange(11.0))
    np.testing.assert_allclose(y[:10], df["produce_latency_p99_ms"])
    assert lines[1].get_drawstyle() == "steps-post"
    assert ax.get_yscale() == "linear"


def test_latency_over_time_topics_kind_logy_and_title():
    df = make_timeseries(topics=("orders", "clicks"))
    ax = plots.latency_over_time(df, kind="e2e", percentiles=("p50", "p99"))
    assert len(labelled_lines(ax)) == 4
    assert "End-to-end" in title_of(ax)
    ax = plots.latency_over_time(df, kind="e2e", topic="clicks", logy=True, title="p99 grows")
    assert len(labelled_lines(ax)) == 2
    assert ax.get_yscale() == "log"
    assert title_of(ax) == "p99 grows"
    with pytest.raises(ValueError, match="topics: clicks, orders"):
        plots.latency_over_time(df, topic="nope")
    with pytest.raises(ValueError, match="p999"):
        plots.latency_over_time(df, percentiles=("p999",))
    with pytest.raises(ValueError, match="kind"):
        plots.latency_over_time(df, kind="fetch")


def test_latency_cdf_marks_percentiles():
    df = make_latency_cdf()
    ax = plots.latency_cdf(df)
    assert_labelled(ax, "ms", "fraction")
    lines = labelled_lines(ax)
    assert len(lines) == 2
    assert ax.get_xscale() == "log"
    assert ax.get_ylim() == (0.0, 1.02)
    produce = df[df["kind"] == "produce"]
    p99 = quantile_from_cdf(produce["latency_ms"], produce["cdf"], 0.99)
    assert f"p99 {p99:.3g} ms" in lines[0].get_label()
    # one marker collection per kind, each holding its p50 and p99 point
    assert len(ax.collections) == 2
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1], [0.5, 0.99])
    ax = plots.latency_cdf(df, kinds=("e2e",))
    assert len(labelled_lines(ax)) == 1
    with pytest.raises(ValueError, match="present"):
        plots.latency_cdf(df[df["kind"] == "e2e"], kinds=("produce",))
    # by default, whatever kinds the run has (no consumers -> no e2e)
    ax = plots.latency_cdf(df[df["kind"] == "produce"])
    assert len(labelled_lines(ax)) == 1


def test_quantile_from_cdf_interpolates():
    assert quantile_from_cdf([1.0, 2.0, 3.0, 4.0], [0.25, 0.5, 0.75, 1.0], 0.5) == 2.0
    assert quantile_from_cdf([10.0, 20.0], [0.0, 1.0], 0.99) == pytest.approx(19.9)
    assert np.isnan(quantile_from_cdf([], [], 0.5))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.01, 1e5, allow_nan=False), min_size=1, max_size=50), st.floats(0, 1))
def test_quantile_from_cdf_stays_within_data_and_is_monotone(samples, q):
    x = np.sort(np.array(samples))
    cdf = np.arange(1, x.size + 1) / x.size
    v = quantile_from_cdf(x, cdf, q)
    assert x.min() <= v <= x.max()
    assert quantile_from_cdf(x, cdf, min(1.0, q + 0.1)) >= v


# ------------------------------------------------------------------------------------------------
# throughput
# ------------------------------------------------------------------------------------------------


def test_flat_line_is_not_drawn_on_the_top_edge():
    df = make_timeseries(windows=5, per_window=1000)
    df["records_produced"] = 1000
    ax = plots.throughput_over_time(df, columns=("records_produced",))
    assert ax.get_ylim()[0] == 0.0
    assert ax.get_ylim()[1] > 1000.0 * 1.05


def test_throughput_divides_counts_by_window():
    df = make_timeseries(windows=6, window_s=0.5, per_window=1000)
    ax = plots.throughput_over_time(df)
    assert_labelled(ax, "(s)", "records/s")
    lines = labelled_lines(ax)
    assert [ln.get_label().split(" (")[0] for ln in lines] == ["produced", "acked", "consumed"]
    assert lines[0].get_label() == "produced (2,000 records/s on average)"
    assert len({ln.get_linestyle() for ln in lines}) == 3  # coinciding lines stay visible
    np.testing.assert_allclose(lines[0].get_ydata()[:6], 2000.0)
    assert "500 ms" in title_of(ax)
    assert "produced 2,000 records/s on average, consumers keep up" in title_of(ax)
    assert "thousand" not in ax.get_ylabel()


def test_throughput_scales_large_rates_and_sums_topics():
    df = make_timeseries(topics=("a", "b"), per_window=20_000)
    ax = plots.throughput_over_time(df, columns=("records_produced",))
    assert "thousand records/s" in ax.get_ylabel()
    (line,) = labelled_lines(ax)
    np.testing.assert_allclose(line.get_ydata()[:-1], (20_000 + 40_000) / 1000)
    ax = plots.throughput_over_time(df, topic="b", columns=("records_produced",))
    np.testing.assert_allclose(labelled_lines(ax)[0].get_ydata()[:-1], 40.0)


def test_throughput_bytes_and_rate_columns():
    df = make_timeseries(windows=4, per_window=1024)
    ax = plots.throughput_over_time(df, columns=("bytes_produced", "bytes_consumed"))
    assert "MiB/s" in ax.get_ylabel()
    np.testing.assert_allclose(labelled_lines(ax)[0].get_ydata()[:-1], 1.0)
    ax = plots.throughput_over_time(df, columns=("throughput_records_per_s",))
    np.testing.assert_allclose(labelled_lines(ax)[0].get_ydata()[:-1], df["throughput_records_per_s"])
    with pytest.raises(ValueError, match="mix"):
        plots.throughput_over_time(df, columns=("records_acked", "bytes_produced"))


def test_throughput_single_window_uses_throughput_column():
    df = make_timeseries(windows=1, window_s=2.0)
    ax = plots.throughput_over_time(df, columns=("records_acked",))
    acked = df["records_acked"].iloc[0]
    np.testing.assert_allclose(labelled_lines(ax)[0].get_ydata()[0], acked / 2.0)


# ------------------------------------------------------------------------------------------------
# utilisation
# ------------------------------------------------------------------------------------------------


def test_utilisation_over_time_one_line_per_type_busiest_first():
    df = make_brokers(brokers=3)
    ax = plots.utilisation_over_time(df)
    assert_labelled(ax, "(s)", "%")
    lines = labelled_lines(ax)[:-1]  # the last is the labelled saturation line
    # One line per resource type (request_queue has no utilisation), the busiest first, with its mean.
    assert [ln.get_label().split(" (")[0] for ln in lines] == ["nic out", "nic in", "disk", "io threads",
                                                                "network threads"]  # fmt: skip
    mean = df[df["resource"] == "nic_out"]["utilisation"].mean()
    assert lines[0].get_label() == f"nic out ({plots.utilisation.percent(mean)})"
    # The line is the mean over the brokers in each window, the band spans least to busiest broker.
    first = df[(df["resource"] == "nic_out") & (df["time_s"] == 0)]["utilisation"]
    assert lines[0].get_ydata()[0] == pytest.approx(first.mean())
    assert len(ax.collections) == 5
    assert "mean of 3 brokers" in ax.get_legend().get_title().get_text()
    assert "Busiest: nic out" in title_of(ax)
    # Peak 0.67 is above the zoom threshold: 0-100 % with the saturation line labelled.
    assert ax.get_ylim()[1] == pytest.approx(1.08)
    assert any(ln.get_label() == "saturated (100 %)" for ln in ax.get_lines())
    ax = plots.utilisation_over_time(df, top=2)
    assert len(labelled_lines(ax)) == 2 + 1
    ax = plots.utilisation_over_time(df, resource="disk")
    lines = labelled_lines(ax)[:-1]
    assert [ln.get_label().split(" (")[0] for ln in lines] == ["broker 2", "broker 1", "broker 0"]
    assert "disk" in title_of(ax)
    ax = plots.utilisation_over_time(df, by="busiest", top=4)
    labels = [ln.get_label().split(" (")[0] for ln in labelled_lines(ax)]
    assert len(labels) == 4 + 1 and labels[-1] == "saturated"
    assert labels[:2] == ["broker 2 nic out", "broker 1 nic out"]  # 0.7 and 0.65 on average
    assert "4 busiest of 15" in ax.get_legend().get_title().get_text()
    ax = plots.utilisation_over_time(df, resource=["disk", "nic_in"], broker=1)
    assert len(labelled_lines(ax)) == 2 + 1
    with pytest.raises(ValueError, match="queue_depth_over_time"):
        plots.utilisation_over_time(df, resource="request_queue")
    with pytest.raises(ValueError, match="brokers: 0, 1, 2"):
        plots.utilisation_over_time(df, broker=7)
    with pytest.raises(ValueError, match="by="):
        plots.utilisation_over_time(df, by="colour")


def test_utilisation_over_time_zooms_at_normal_load_and_says_so():
    df = make_brokers(brokers=3)
    df["utilisation"] = df["utilisation"] * 0.03  # every resource below 2 %
    ax = plots.utilisation_over_time(df)
    top = ax.get_ylim()[1]
    assert 0.02 < top <= 0.03
    notes = [t.get_text() for t in ax.texts]
    assert any("zoomed" in n and "100 %" in n for n in notes)
    assert "far from saturated" in title_of(ax)
    assert not any(ln.get_label().startswith("saturated") for ln in ax.get_lines())
    ax = plots.utilisation_over_time(df, zoom=False)
    assert ax.get_ylim()[1] == pytest.approx(1.08)


def test_utilisation_heatmap_cells_are_means():
    df = make_brokers(brokers=3)
    ax = plots.utilisation_heatmap(df)
    assert_labelled(ax, None, None)
    (image,) = ax.get_images()
    values = np.asarray(image.get_array())
    assert values.shape == (3, 5)
    expected = df[(df["broker"] == 1) & (df["resource"] == "disk")]["utilisation"].mean()
    columns = [t.get_text() for t in ax.get_xticklabels()]
    assert columns == ["network threads", "io threads", "disk", "nic in", "nic out"]
    assert values[1, columns.index("disk")] == pytest.approx(expected)
    assert len(ax.texts) == 15
    assert plots.utilisation.percent(expected) in {t.get_text() for t in ax.texts}
    assert "busiest is nic out of broker 2" in title_of(ax)
    ax = plots.utilisation_heatmap(df, stat="max")
    assert np.asarray(ax.get_images()[0].get_array())[1, columns.index("disk")] == pytest.approx(
        df[(df["broker"] == 1) & (df["resource"] == "disk")]["utilisation"].max()
    )


def test_percent_keeps_small_shares_readable():
    pct = plots.utilisation.percent
    got = [pct(0.0), pct(0.0018), pct(0.00018), pct(0.021), pct(0.52), pct(float("nan"))]
    assert got == ["0 %", "0.18 %", "0.018 %", "2.1 %", "52 %", "n/a"]


# ------------------------------------------------------------------------------------------------
# breakdown
# ------------------------------------------------------------------------------------------------


def test_latency_breakdown_stacks_stages_in_frame_order():
    df = make_breakdown()
    ax = plots.latency_breakdown(df, path="produce")
    assert_labelled(ax, "ms", None)
    assert len(ax.patches) == len(PRODUCE_STAGES)
    produce = df[df["path"] == "produce"]
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, produce["mean_ms"])
    lefts = [p.get_x() for p in ax.patches]
    np.testing.assert_allclose(lefts, np.concatenate([[0.0], np.cumsum(produce["mean_ms"])[:-1]]))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("accumulator wait") and legend[-1].startswith("acknowledgement")
    total = produce["mean_ms"].sum()
    assert any(t.get_text().strip() == f"{total:.3g} ms total" for t in ax.texts)


def test_latency_breakdown_both_paths_stats_and_errors():
    df = make_breakdown()
    ax = plots.latency_breakdown(df)
    assert len(ax.patches) == len(PRODUCE_STAGES) + len(CONSUME_STAGES)
    # the second path restarts the colours but is hatched, so no two stages look alike
    looks = {(tuple(p.get_facecolor()), p.get_hatch()) for p in ax.patches}
    assert len(looks) == len(ax.patches)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["produce", "consume"]
    ax = plots.latency_breakdown(df, path="consume", stat="p99_ms")
    np.testing.assert_allclose([p.get_width() for p in ax.patches], df[df["path"] == "consume"]["p99_ms"])
    assert "do not add up" in title_of(ax)
    ax = plots.latency_breakdown(df, path="consume", stat="share")
    assert "%" in ax.get_xlabel()
    with pytest.raises(ValueError, match="stat"):
        plots.latency_breakdown(df, stat="max_ms")
    with pytest.raises(ValueError, match="paths: produce"):
        plots.latency_breakdown(df[df["path"] == "produce"], path="consume")


# ------------------------------------------------------------------------------------------------
# storage
# ------------------------------------------------------------------------------------------------


def test_partition_sizes_over_time():
    df = make_partitions(topics=("orders", "clicks"), partitions=3)
    ax = plots.partition_sizes_over_time(df)
    assert_labelled(ax, "(s)", "MiB")
    lines = labelled_lines(ax)
    assert len(lines) == 6
    assert lines[0].get_label() == "clicks-0"
    ax = plots.partition_sizes_over_time(df, topic="orders")
    (first, *_) = labelled_lines(ax)
    expected = df[(df["topic"] == "orders") & (df["partition"] == 0)]["size_bytes"] / 2**20
    np.testing.assert_allclose(first.get_ydata(), expected)


def test_partition_skew_bars_and_mean():
    df = make_partitions(partitions=6, snapshots=5)
    ax = plots.partition_skew(df)
    assert_labelled(ax, "partition", "records")
    assert len(ax.patches) == 6
    last = df[df["time_s"] == df["time_s"].max()].sort_values("partition")["log_end_offset"]
    np.testing.assert_allclose([p.get_height() for p in ax.patches], last)
    (mean_line,) = ax.collections
    np.testing.assert_allclose(mean_line.get_segments()[0][:, 1], last.mean())
    assert f"{last.max() / last.mean():.2f}x" in title_of(ax)
    two = make_partitions(topics=("a", "b"), partitions=4)
    ax = plots.partition_skew(two)
    assert len(ax.patches) == 8
    assert len(ax.collections) == 2
    assert ax.get_xticklabels()[0].get_text() == "a-0"


# ------------------------------------------------------------------------------------------------
# compare
# ------------------------------------------------------------------------------------------------


def test_tradeoff_hue_and_annotation():
    df = make_sweep()
    ax = plots.tradeoff(
        df, "linger_ms", "produce_latency_p99_ms", hue="acks", annotate="throughput_records_per_s"
    )
    assert ax.get_xlabel() == "linger (ms)"
    assert ax.get_ylabel() == "produce latency p99 (ms)"
    lines = labelled_lines(ax)
    assert [ln.get_label() for ln in lines] == ["acks=1", "acks=all"]
    np.testing.assert_allclose(lines[0].get_xdata(), [0, 5, 20, 100])
    assert lines[0].get_marker() == "o"
    assert len(ax.texts) == len(df)
    assert {t.get_text() for t in ax.texts} >= {"10k", "30k"}
    assert title_of(ax) == "Produce latency p99 vs linger"
    acks_all = df[df["acks"] == "all"]
    ax = plots.tradeoff(acks_all, "linger_ms", "produce_latency_p99_ms", annotate=True, logx=True)
    assert len(labelled_lines(ax)) == 1 and len(ax.texts) == 4
    assert ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="batch_size"):
        plots.tradeoff(df, "batch_size", "produce_latency_p99_ms")


def test_tradeoff_twin_two_axes():
    df = make_sweep()
    left, right = plots.tradeoff_twin(
        df[df["acks"] == "1"], "linger_ms", "throughput_records_per_s", "produce_latency_p99_ms"
    )
    assert left.get_ylabel() == "throughput (records/s)"
    assert right.get_ylabel() == "produce latency p99 (ms)"
    assert left.get_xlabel() == "linger (ms)"
    assert len(left.get_lines()) == 1 and len(right.get_lines()) == 1
    assert len(left.get_legend().get_texts()) == 2


# ------------------------------------------------------------------------------------------------
# Every data-taking plot accepts a Result-like object and asks it for the right frame
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "frame_name"),
    [
        (plots.latency_over_time, "timeseries"),
        (plots.latency_cdf, "latency_cdf"),
        (plots.throughput_over_time, "timeseries"),
        (plots.utilisation_over_time, "brokers"),
        (plots.utilisation_heatmap, "brokers"),
        (plots.queue_depth_over_time, "brokers"),
        (plots.latency_breakdown, "breakdown"),
        (plots.partition_sizes_over_time, "partitions"),
        (plots.partition_skew, "partitions"),
    ],
)
def test_accepts_result_like_and_given_axes(func, frame_name):
    result = FakeResult()
    ax = func(result)
    assert isinstance(ax, Axes)
    assert result.requested == [frame_name]
    assert title_of(ax) and ax.get_xlabel() and ax.get_ylabel()
    with matplotlib.rc_context():
        plots.set_style()
        fig, given_ax = plt.subplots()
        assert func(result, ax=given_ax, title="finding") is given_ax
        assert given_ax.get_title("left") == "finding"  # house style left-aligns titles
        fig.canvas.draw()  # lays out under the house style without error


@pytest.mark.parametrize(
    ("func", "frame_name"),
    [
        (plots.latency_over_time, "timeseries"),
        (plots.latency_cdf, "latency_cdf"),
        (plots.throughput_over_time, "timeseries"),
        (plots.utilisation_over_time, "brokers"),
        (plots.utilisation_heatmap, "brokers"),
        (plots.queue_depth_over_time, "brokers"),
        (plots.latency_breakdown, "breakdown"),
        (plots.partition_sizes_over_time, "partitions"),
        (plots.partition_skew, "partitions"),
    ],
)
def test_empty_frame_says_no_data(func, frame_name):
    ax = func(FRAMES[frame_name]().iloc[0:0])
    ax.figure.canvas.draw()
    assert "no data" in [t.get_text() for t in ax.texts]


def test_missing_column_is_reported():
    df = make_timeseries().drop(columns=["records_consumed"])
    with pytest.raises(ValueError, match="records_consumed"):
        plots.throughput_over_time(df)
