"""The failover charts: the leadership timeline, throughput and latency around a failure, the checker's
counts per run and unavailability against a setting, each from small runs with faults. The assertions read
the drawn artists (spans, colours, fault lines, bar heights) back against the frames they were drawn from."""

from __future__ import annotations

import copy
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

import eventsim  # noqa: E402
from eventsim import plots  # noqa: E402
from eventsim.core.errors import InvalidConfigurationError  # noqa: E402
from eventsim.plots.failover import NO_LEADER_FACE  # noqa: E402
from eventsim.plots.style import color  # noqa: E402

# Replication factor 2 on 3 brokers: broker 0 crashes, then broker 1, so events-2 (replicas 0 and 1) has no
# live replica and no leader until broker 1 comes back; the others move to broker 2.
TWO_CRASHES = {
    "name": "two-crashes",
    "horizon_ms": 6000,
    "cluster": {"brokers": 3, "hardware": "cloud-2020"},
    "broker": {"broker.heartbeat.interval.ms": 250, "broker.session.timeout.ms": 1000},
    "topics": [
        {"name": "events", "partitions": 4, "replication.factor": 2, "config": {"min.insync.replicas": 1}}
    ],
    "producers": [
        {
            "name": "app",
            "topic": "events",
            "rate_per_s": 2000,
            "value_bytes": 200,
            "keys": {"distribution": "uniform", "count": 100},
            "config": {"acks": "all"},
        }
    ],  # fmt: skip
    "consumers": [{"name": "reader", "topic": "events"}],
    "metrics": {"window_ms": 250, "check": True},
    "faults": [
        {"at_ms": 1000, "kind": "crash", "broker": 0},
        {"at_ms": 1200, "kind": "crash", "broker": 1},
        {"at_ms": 3500, "kind": "restart", "broker": 0},
        {"at_ms": 4500, "kind": "restart", "broker": 1},
    ],
}
FAULT_TIMES = [1.0, 1.2, 3.5, 4.5]

# The leader of events-2 (broker 0) pauses for longer than the session timeout and comes back a zombie:
# acks=1 loses what it acknowledged alone, acks=all with min.insync.replicas=2 loses nothing.
ZOMBIE = {
    "name": "zombie",
    "horizon_ms": 4000,
    "cluster": {"brokers": 3, "hardware": "cloud-2020"},
    "broker": {"broker.heartbeat.interval.ms": 100, "broker.session.timeout.ms": 400},
    "topics": [{"name": "events", "partitions": 3, "replication.factor": 3, "config": {}}],
    "producers": [
        {
            "name": "app",
            "topic": "events",
            "rate_per_s": 3000,
            "value_bytes": 200,
            "keys": {"distribution": "uniform", "count": 100},
            "config": {},
            "stop_ms": 3000,
        }
    ],  # fmt: skip
    "consumers": [{"name": "reader", "topic": "events"}],
    "metrics": {"window_ms": 500, "check": True},
    "faults": [{"at_ms": 1050, "kind": "pause", "broker": 0, "duration_ms": 1500}],
}


def zombie(acks: str, **topic_config) -> eventsim.Result:
    data = copy.deepcopy(ZOMBIE)
    data["producers"][0]["config"]["acks"] = acks
    data["topics"][0]["config"].update(topic_config)
    return eventsim.simulate(data, seed=1)


@pytest.fixture(scope="module")
def crashes():
    return eventsim.simulate(TWO_CRASHES, seed=1)


@pytest.fixture(scope="module")
def acks_runs():
    return zombie("1"), zombie("all", **{"min.insync.replicas": 2})


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def title(ax: Axes) -> str:
    return next((t for t in (ax.get_title(loc=loc) for loc in ("center", "left", "right")) if t), "")


def spans(ax: Axes) -> dict[str, list]:
    """The Gantt bars by legend label ("leader: broker N", "no leader")."""
    return {c.get_label(): list(c.patches) for c in ax.containers}


def fault_lines(ax: Axes) -> list[float]:
    return [float(ln.get_xdata()[0]) for ln in ax.get_lines() if ln.get_gid() == "fault"]


def top_labels(ax: Axes) -> list[str]:
    (top,) = [child for child in ax.child_axes if child.get_gid() == "faults"]
    return [t.get_text() for t in top.get_xticklabels()]


# --------------------------------------------------------------------------------------------------
# leadership_timeline
# --------------------------------------------------------------------------------------------------


def test_leadership_timeline_draws_a_span_per_controller_record_coloured_by_leader(crashes):
    lead = crashes.frame("leadership")
    ax = plots.leadership_timeline(crashes)
    assert isinstance(ax, Axes) and "(s)" in ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["events-0", "events-1", "events-2", "events-3"]
    drawn = spans(ax)
    assert sum(len(v) for v in drawn.values()) == len(lead)  # one span per record
    leaders = sorted(int(b) for b in lead["leader"].unique() if b >= 0)
    assert [k for k in drawn if k != "no leader"] == [f"leader: broker {b}" for b in leaders]
    for b in leaders:
        bars = drawn[f"leader: broker {b}"]
        assert len(bars) == (lead["leader"] == b).sum()
        assert {p.get_facecolor() for p in bars} == {to_rgba(color(b))}  # one colour per broker
    # Spans run from each record to the next one of their partition, the last to the end of the run.
    p0 = lead[lead["partition"] == 0].sort_values("time_s")
    lane0 = sorted((p for v in drawn.values() for p in v if p.get_y() + p.get_height() / 2 == 0),
                   key=lambda p: p.get_x())  # fmt: skip
    assert [p.get_x() for p in lane0] == pytest.approx(p0["time_s"].tolist())
    assert lane0[-1].get_x() + lane0[-1].get_width() == pytest.approx(6.0)
    assert [p.get_facecolor() for p in lane0] == [to_rgba(color(b)) for b in p0["leader"]]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [*(f"leader: broker {b}" for b in leaders), "no leader"]


def test_a_partition_without_a_live_replica_gets_a_hatched_no_leader_span(crashes):
    lead = crashes.frame("leadership")
    leaderless = lead[lead["leader"] == -1]
    assert set(leaderless["partition"]) == {2}, "events-2 had both its replicas down"
    ax = plots.leadership_timeline(crashes)
    gaps = spans(ax)["no leader"]
    assert len(gaps) == len(leaderless)
    assert all(p.get_hatch() and p.get_facecolor() == to_rgba(NO_LEADER_FACE) for p in gaps)
    assert {p.get_y() + p.get_height() / 2 for p in gaps} == {2.0}  # the events-2 lane
    start, end = gaps[0].get_x(), gaps[-1].get_x() + gaps[-1].get_width()
    back = lead[(lead["partition"] == 2) & (lead["time_s"] > start) & (lead["leader"] >= 0)]["time_s"].min()
    assert (start, end) == pytest.approx((leaderless["time_s"].min(), back))
    assert f"no leader for up to {end - start:.3g} s" in title(ax)
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "isr"]
    assert "ISR 2" in texts and "ISR 1" in texts and "ISR 0 · ELR 1" in texts


def test_leadership_timeline_marks_the_faults_at_their_times(crashes):
    ax = plots.leadership_timeline(crashes)
    assert fault_lines(ax) == pytest.approx(FAULT_TIMES)
    assert top_labels(ax) == ["crash broker-0", "crash broker-1", "restart broker-0", "restart broker-1"]
    # From the frames alone: no faults unless given, and until the last change unless told.
    lead = crashes.frame("leadership")
    bare = plots.leadership_timeline(lead)
    assert fault_lines(bare) == [] and bare.get_xlim()[1] == pytest.approx(lead["time_s"].max())
    given = plots.leadership_timeline(lead, faults=crashes.frame("faults"), until_s=4.0)
    assert fault_lines(given) == pytest.approx([1.0, 1.2, 3.5]) and given.get_xlim() == (0.0, 4.0)
    assert max(p.get_x() + p.get_width() for v in spans(given).values() for p in v) == pytest.approx(4.0)


def test_leadership_timeline_selects_partitions_and_topics(crashes):
    ax = plots.leadership_timeline(crashes, topic="events", partitions=[2, 3], title="Two partitions")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["events-2", "events-3"]
    assert title(ax) == "Two partitions"
    assert "no leader" not in spans(plots.leadership_timeline(crashes, partitions=1))
    with pytest.raises(ValueError, match="topic 'orders' is not in the 'leadership' frame"):
        plots.leadership_timeline(crashes, topic="orders")
    with pytest.raises(ValueError, match="missing column.*leader"):
        plots.leadership_timeline(crashes.frame("leadership").drop(columns=["leader"]))
    with pytest.raises(ValueError, match="'faults' frame is missing column.*kind"):
        plots.leadership_timeline(crashes, faults=crashes.frame("faults").drop(columns=["kind"]))


def test_many_partitions_get_one_lane_each_and_some_of_their_names(crashes):
    import pandas as pd

    lead = pd.DataFrame({"time_s": 0.0, "topic": "t", "partition": range(50),
                         "leader": [p % 3 for p in range(50)], "leader_epoch": 0, "isr": "0,1,2",
                         "elr": ""})  # fmt: skip
    ax = plots.leadership_timeline(lead, until_s=2.0)
    assert sum(len(v) for v in spans(ax).values()) == 50 and ax.get_ylim() == (49.5, -0.5)
    assert [t.get_text() for t in ax.get_yticklabels()][:3] == ["t-0", "t-3", "t-6"]  # 24 names at most
    assert not [t for t in ax.texts if t.get_gid() == "isr"]  # lanes too thin for the ISR


def test_a_skipped_fault_is_dotted_and_says_so(crashes):
    faults = crashes.frame("faults").copy()
    faults.loc[1, "outcome"] = "skipped: broker-1 is down"
    ax = plots.leadership_timeline(crashes, faults=faults)
    styles = [ln.get_linestyle() for ln in ax.get_lines() if ln.get_gid() == "fault"]
    assert styles == ["--", ":", "--", "--"]
    assert top_labels(ax)[1] == "crash broker-1 (skipped)"


# --------------------------------------------------------------------------------------------------
# around_failure
# --------------------------------------------------------------------------------------------------


def test_around_failure_draws_acked_throughput_and_p99_with_faults_and_elections(crashes):
    ts = crashes.frame("timeseries")
    left, right = plots.around_failure(crashes)
    assert isinstance(left, Axes) and isinstance(right, Axes) and left.figure is right.figure
    (rate,) = [ln for ln in left.get_lines() if ln.get_label().startswith("acknowledged")]
    assert rate.get_xdata()[:-1] == pytest.approx(ts["time_s"].tolist())
    scale = 1000 if "thousand records/s" in left.get_ylabel() else 1  # the unit follows the peak
    assert "records/s" in left.get_ylabel()
    assert rate.get_ydata()[:-1] == pytest.approx((ts["records_acked"] / 0.25 / scale).tolist())
    (p99,) = right.get_lines()
    assert np.allclose(p99.get_ydata()[:-1], ts["produce_latency_p99_ms"], equal_nan=True)
    assert "ms" in right.get_ylabel() and "(s)" in left.get_xlabel()
    assert fault_lines(left) == pytest.approx(FAULT_TIMES)
    # A line where some partition gets a new leader (its epoch goes up and it has a leader), at 10 ms.
    lead = crashes.frame("leadership")
    bumps = lead.groupby("partition")["leader_epoch"].diff().gt(0) & lead["leader"].ge(0)
    elected = [float(ln.get_xdata()[0]) for ln in left.get_lines() if ln.get_gid() == "election"]
    assert elected == pytest.approx(sorted(lead[bumps]["time_s"].round(2).unique()))
    assert elected == pytest.approx([1.75, 2.0, 4.5], abs=0.01)  # broker 0 fenced, broker 1, broker 1 back
    # The stall: no window acknowledges anything from the crash to the recovery.
    zero = ts["records_acked"].eq(0)
    assert zero.any() and f"no acks for {zero.sum() * 0.25:.3g} s" in title(left)
    assert right.get_yscale() == "log"  # the stall's latency is over 20 times the usual
    legend = [t.get_text() for t in left.get_legend().get_texts()]
    assert legend == ["acknowledged (records/s)", "p99 produce latency (ms)", "new leader elected",
                      "fault (top axis)"]  # fmt: skip


def test_around_failure_counts_no_stall_after_the_producers_stop(acks_runs):
    lossy = acks_runs[0]
    ts = lossy.frame("timeseries")
    assert (ts["records_acked"].eq(0) & ts["time_s"].ge(3.0)).any(), "the producer stops at 3 s"
    left, _ = plots.around_failure(lossy)
    assert "no acks" not in title(left) and "p99 latency up to" in title(left)
    assert fault_lines(left) == [pytest.approx(1.05)]


def test_around_failure_from_the_timeseries_alone_and_its_errors(crashes):
    left, right = plots.around_failure(crashes.frame("timeseries"), title="Without faults")
    assert fault_lines(left) == [] and title(left) == "Without faults" and len(right.get_lines()) == 1
    with pytest.raises(ValueError, match="missing column.*produce_latency_p99_ms"):
        plots.around_failure(crashes.frame("timeseries").drop(columns=["produce_latency_p99_ms"]))
    with pytest.raises(ValueError, match="topic 'orders'"):
        plots.around_failure(crashes, topic="orders")


# --------------------------------------------------------------------------------------------------
# check_counts
# --------------------------------------------------------------------------------------------------


def test_check_counts_bars_equal_the_checker_counts(acks_runs):
    lossy, safe = (r.check() for r in acks_runs)
    assert lossy["lost"] > 0 and safe["lost"] == 0
    ax = plots.check_counts(acks_runs, labels=["acks=1", "acks=all"])
    bars = spans(ax)
    assert list(bars) == ["lost (acknowledged, not in the final log)", "duplicate (extra copies in the log)"]
    lost, dup = bars.values()
    assert [p.get_height() for p in lost] == [lossy["lost"], safe["lost"]]
    assert [p.get_height() for p in dup] == [lossy["duplicate"], safe["duplicate"]]
    assert {p.get_facecolor() for p in lost} == {to_rgba(color(3))}
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == [f"acks=1\n{lossy['acked']:,} acked", f"acks=all\n{safe['acked']:,} acked"]
    written = [t.get_text() for t in ax.texts]
    assert str(lossy["lost"]) in written
    assert ax.get_ylabel() == "records" and f"lost: {lossy['lost']}, 0" in title(ax)


def test_check_counts_from_dicts_adds_the_consumer_counts_when_some_run_has_them():
    runs = [{"acked": 100, "lost": 3, "duplicate": 0, "poll_skip": 0, "nonmonotonic_poll": 0},
            {"acked": 100, "lost": 0, "duplicate": 2, "poll_skip": 5, "nonmonotonic_poll": 0}]  # fmt: skip
    ax = plots.check_counts(runs)
    bars = spans(ax)
    assert [k.split()[0] for k in bars] == ["lost", "duplicate", "poll_skip"]
    assert [[p.get_height() for p in v] for v in bars.values()] == [[3, 0], [0, 2], [0, 5]]
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == ["run 1", "run 2"]
    one = plots.check_counts({"lost": 0, "duplicate": 0})  # a single run, all zero
    assert one.get_ylim() == (0.0, 1.0) and [t.get_text() for t in one.get_xticklabels()] == ["run 1"]


def test_check_counts_errors():
    data = copy.deepcopy(ZOMBIE)
    data["metrics"]["check"] = False
    data["horizon_ms"] = 500
    data["faults"] = []
    with pytest.raises(InvalidConfigurationError, match="metrics.check"):
        plots.check_counts([eventsim.simulate(data, seed=1)])
    with pytest.raises(ValueError, match="2 entries for 1 runs"):
        plots.check_counts([{"lost": 0, "duplicate": 0}], labels=["a", "b"])
    with pytest.raises(ValueError, match="no duplicate count"):
        plots.check_counts([{"lost": 0}])
    with pytest.raises(ValueError, match="at least one run"):
        plots.check_counts([])
    with pytest.raises(TypeError, match="check"):
        plots.check_counts([3])


# --------------------------------------------------------------------------------------------------
# unavailability
# --------------------------------------------------------------------------------------------------


def test_unavailability_draws_mean_and_worst_partition_against_the_setting():
    runs = []
    for n in (2, 4, 8):
        data = copy.deepcopy(ZOMBIE)
        data["topics"][0]["partitions"] = n
        data["producers"][0]["rate_per_s"] = 1000
        data["faults"] = [{"at_ms": 1000, "kind": "crash", "broker": 0}]
        runs.append(eventsim.simulate(data, seed=1))
    per_run = [np.array(list(r.check()["unavailable_ms"].values())) for r in runs]
    assert any(v.max() > 0 for v in per_run), "broker 0 led some partition"
    ax = plots.unavailability(runs, x=[2, 4, 8], xlabel="partitions")
    worst, mean = ax.get_lines()
    assert (worst.get_label(), mean.get_label()) == ("worst partition", "mean over partitions")
    assert list(mean.get_xdata()) == [2, 4, 8]
    assert mean.get_ydata() == pytest.approx([v.mean() for v in per_run])
    assert worst.get_ydata() == pytest.approx([v.max() for v in per_run])
    assert ax.get_xlabel() == "partitions" and "(ms)" in ax.get_ylabel() and title(ax)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "4", "8"]


def test_unavailability_averages_replications_switches_to_seconds_and_takes_labels():
    runs = [{"unavailable_ms": {"t-0": 0.0, "t-1": 20_000.0}},
            {"unavailable_ms": {"t-0": 4_000.0, "t-1": 0.0}},
            {"unavailable_ms": {"t-0": 1_000.0}}]  # fmt: skip
    ax = plots.unavailability(runs, x=[1, 1, 3], labels=["rf=1", "rf=1 (seed 2)", "rf=3"])
    worst, mean = ax.get_lines()
    assert mean.get_ydata() == pytest.approx([(10.0 + 2.0) / 2, 1.0])  # seconds
    assert worst.get_ydata() == pytest.approx([20.0, 1.0])
    assert "(s)" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["rf=1", "rf=3"]


def test_unavailability_errors():
    with pytest.raises(ValueError, match="x has 1 values for 2 runs"):
        plots.unavailability([{"unavailable_ms": {}}, {"unavailable_ms": {}}], x=[1])
    with pytest.raises(ValueError, match="no unavailable_ms"):
        plots.unavailability([{"lost": 0}], x=[1])
    with pytest.raises(ValueError, match="1 entries for 2 runs"):
        plots.unavailability([{"unavailable_ms": {}}, {"unavailable_ms": {}}], x=[1, 2], labels=["a"])
