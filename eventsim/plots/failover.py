"""Failover: who leads each partition over time, what a crash does to throughput and latency, and what the
checker counts afterwards (records lost or duplicated, time without a leader).

What Kafka does: the KRaft controller fences a broker whose heartbeats stop for
``broker.session.timeout.ms`` and elects a new leader for each partition it led, from the ISR (or from
the Eligible Leader Replicas, KIP-966); every election bumps the leader epoch. Until then the partition
has a leader that cannot answer, and producers wait and retry; a partition whose ISR holds no live
replica stays without a leader (``kafka-topics --describe`` prints ``Leader: none``) unless an unclean
election is allowed (``unclean.leader.election.enable``). ``acks=1`` lets a leader acknowledge what its
followers do not have yet, and a new leader does not have it either: the record is lost; retries
without idempotence can write a record twice (the Jepsen analyses of Kafka count both).

What is drawn:

* :func:`leadership_timeline` - a Gantt chart from the ``"leadership"`` frame: one lane per partition,
  each span coloured by its leader broker (one colour per broker), spans without a leader grey and
  hatched, the ISR size (and the ELR size when there is one) written in each span wide enough for it,
  and the faults of the ``"faults"`` frame as dashed vertical lines named on the top axis;
* :func:`around_failure` - acknowledged throughput (``"timeseries"``, records acked per second) and p99
  produce latency on a right-hand twin axis, with the faults and the controller's elections marked;
* :func:`check_counts` - grouped bars of the checker's ``lost`` and ``duplicate`` counts (and
  ``poll_skip``, ``nonmonotonic_poll`` when any run has some) for several runs (``Result.check()``);
* :func:`unavailability` - the mean and the worst partition's ``unavailable_ms`` from ``Result.check()``
  against a setting varied between the runs (e.g. the partition count).

Not drawn: a ZooKeeper-mode controller's own failover (no frame holds it yet), the duration of a
``pause`` (the ``"faults"`` frame holds only its start), and per-window unavailability (the checker
counts a whole run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from eventsim.plots.style import (
    as_frame,
    color,
    floor_at_zero,
    format_number,
    format_window,
    infer_window_s,
    new_axes,
    no_data,
    place_legend,
    plain_log_axis,
    require_columns,
    select_topic,
    step_line,
    text_color_on,
    topics_of,
)

__all__ = ["leadership_timeline", "around_failure", "check_counts", "unavailability"]

LEADERSHIP_COLUMNS = ("time_s", "partition", "leader", "isr")
FAULT_COLUMNS = ("time_s", "kind", "target")
NO_LEADER_FACE = "#e3e3e3"
NO_LEADER_HATCH = "#8c8c8c"
FAULT_COLOR = "#444444"
ELECTION_COLOR = "#8c8c8c"
LANE_HEIGHT = 0.72
MAX_LANE_LABELS = 24
#: :func:`around_failure` draws p99 latency on a log axis when its peak is over this many times its median.
LOG_LATENCY_ABOVE = 20
#: The checker's counts drawn by :func:`check_counts`, in order, each with its own colour; the last two
#: only when some run has any.
COUNTS = ("lost", "duplicate", "poll_skip", "nonmonotonic_poll")
COUNT_LABELS = {
    "lost": "lost (acknowledged, not in the final log)",
    "duplicate": "duplicate (extra copies in the log)",
    "poll_skip": "poll_skip (offsets a consumer jumped over)",
    "nonmonotonic_poll": "nonmonotonic_poll (consumer moved back)",
}
COUNT_COLORS = {"lost": color(3), "duplicate": color(1), "poll_skip": color(0), "nonmonotonic_poll": color(4)}


def _partition_list(partitions: int | Sequence[int] | None) -> list[int] | None:
    if partitions is None:
        return None
    if isinstance(partitions, int | np.integer):
        return [int(partitions)]
    return [int(p) for p in partitions]


def _ids(value: Any) -> list[str]:
    """Broker ids of a comma-separated ``isr``/``elr`` cell ("" or NaN: none)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return []
    return [s for s in str(value).split(",") if s.strip()]


def _faults_of(data: Any, faults: Any) -> Any:
    """The faults frame: ``faults`` (a frame or a Result) if given, else ``data``'s when it is a Result."""
    source = faults if faults is not None else (None if hasattr(data, "columns") else data)
    if source is None:
        return None
    df = as_frame(source, "faults")
    require_columns(df, FAULT_COLUMNS, "faults")
    return df


def _fault_label(row: Any) -> str:
    if row["kind"] == "quorum":  # the KRaft quorum's new leader, the active controller
        target = str(row["target"])
        return "no active controller" if target == "none" else f"active controller: {target}"
    if row["kind"] == "controller":  # ZooKeeper mode: it reads every partition's state before it acts
        return f"{row['target']} wins /controller"
    label = f"{row['kind']} {row['target']}"
    broker = row.get("broker") if hasattr(row, "get") else None
    known = broker is not None and np.isfinite(float(broker)) and float(broker) >= 0
    if not str(row["target"]).startswith("broker-") and known:
        label += f" (broker {int(broker)})"
    if str(row.get("outcome", "done")).startswith("skipped"):
        label += " (skipped)"
    return label


def _mark_faults(ax: Axes, faults: Any, until_s: float | None) -> list[Line2D]:
    """Faults as dashed vertical lines (dotted when skipped), named on a top axis at their times."""
    if faults is None or faults.empty:
        return []
    df = faults.sort_values("time_s", kind="stable")
    if until_s is not None:
        df = df[df["time_s"] <= until_s]
    lines, names = [], {}
    for _, row in df.iterrows():
        t = float(row["time_s"])
        skipped = str(row.get("outcome", "done")).startswith("skipped")
        line = ax.axvline(t, color=FAULT_COLOR, linestyle=":" if skipped else "--", linewidth=1.3,
                          alpha=0.6 if skipped else 1.0, zorder=3)  # fmt: skip
        line.set_gid("fault")
        lines.append(line)
        names.setdefault(t, []).append(_fault_label(row))
    if names:
        top = ax.secondary_xaxis("top")
        top.set_xticks(list(names), ["\n".join(v) for v in names.values()])
        top.tick_params(axis="x", labelsize=8.5, labelcolor=FAULT_COLOR, length=3)
        for label in top.get_xticklabels():
            label.set_rotation(60)
            label.set_horizontalalignment("left")
            label.set_rotation_mode("anchor")
        top.spines["top"].set_visible(False)
        top.set_gid("faults")
    return lines


def _until(data: Any, until_s: float | None, times: Any) -> float:
    if until_s is not None:
        return float(until_s)
    horizon = getattr(data, "horizon_ms", None)
    if horizon is not None:
        return float(horizon) / 1000.0
    times = [float(t) for t in times if np.isfinite(t)]
    return max(times, default=0.0)


def _fits(ax: Axes, width_frac: float, text: str, lanes: int, fontsize: float) -> bool:
    """Whether ``text`` fits in a span ``width_frac`` of the axes wide and one lane high (approximate)."""
    fig_w, fig_h = ax.figure.get_size_inches()
    pos = ax.get_position()
    # Constrained layout and a legend on the right take about a quarter of the width: count on 0.7.
    span_in = width_frac * pos.width * fig_w * 0.7
    lane_in = pos.height * fig_h * 0.85 / max(lanes, 1) * LANE_HEIGHT
    return span_in >= (len(text) * 0.6 + 1.0) * fontsize / 72 and lane_in >= 1.15 * fontsize / 72


def leadership_timeline(
    data: Any,
    topic: str | None = None,
    partitions: int | Sequence[int] | None = None,
    until_s: float | None = None,
    faults: Any = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """A Gantt chart of each partition's leader over time, with the faults marked.

    ``data`` is a Result or its ``"leadership"`` frame. One lane per partition (the first at the top),
    one span from each controller record to the next, coloured by the leader's broker (legend "leader:
    broker N"); spans without a leader (``leader`` -1) are grey and hatched ("no leader"). Each span wide
    enough for it says the ISR size ("ISR 2", with "ELR 1" when the partition has eligible leader
    replicas). ``faults`` is a ``"faults"`` frame (or a Result); by default a Result's own: each fault is a
    dashed vertical line, named with its kind and target on the top axis (dotted when it was skipped).
    The last spans run to ``until_s`` (default: the end of the run for a Result, else the last change or
    fault). Returns the Axes.
    """
    df = as_frame(data, "leadership")
    require_columns(df, LEADERSHIP_COLUMNS, "leadership")
    df = select_topic(df, topic, "leadership")
    chosen = _partition_list(partitions)
    if chosen is not None:
        df = df[df["partition"].isin(chosen)]
    fdf = _faults_of(data, faults)
    fault_times = fdf["time_s"].to_numpy(dtype=float) if fdf is not None else []
    until_s = _until(data, until_s, [*df["time_s"].to_numpy(dtype=float), *fault_times])
    df = df[df["time_s"] <= until_s]
    ax = new_axes(ax)

    keys = ["topic", "partition"] if "topic" in df.columns else ["partition"]
    groups = list(df.groupby(keys, sort=True))
    spans: dict[int, list[tuple[int, float, float]]] = {}  # leader -> (lane, start, width)
    texts: list[tuple[int, float, float, str, int]] = []
    lane_names, changes, longest_gap = [], 0, 0.0
    for lane, (k, sub) in enumerate(groups):
        k = k if isinstance(k, tuple) else (k,)
        lane_names.append(f"{k[0]}-{k[1]}" if len(k) == 2 else f"partition {k[0]}")
        sub = sub.sort_values("time_s", kind="stable")
        t = sub["time_s"].to_numpy(dtype=float)
        ends = np.append(t[1:], until_s)
        leaders = sub["leader"].to_numpy(dtype=int)
        changes += int(np.count_nonzero(leaders[1:] != leaders[:-1]))
        elr = sub["elr"].to_numpy() if "elr" in sub.columns else [""] * len(sub)
        gap = 0.0  # consecutive records without a leader make one gap
        for start, end, leader, isr, eligible in zip(
            t, ends, leaders, sub["isr"].to_numpy(), elr, strict=True
        ):
            width = float(end - start)
            spans.setdefault(int(leader) if leader >= 0 else -1, []).append((lane, float(start), width))
            gap = gap + width if leader < 0 else 0.0
            longest_gap = max(longest_gap, gap)
            text = f"ISR {len(_ids(isr))}"
            if _ids(eligible):
                text += f" · ELR {len(_ids(eligible))}"
            texts.append((lane, float(start), width, text, int(leader)))

    for leader in sorted(b for b in spans if b >= 0):
        lanes, starts, widths = zip(*spans[leader], strict=True)
        ax.barh(lanes, widths, left=starts, height=LANE_HEIGHT, color=color(leader), edgecolor="white",
                linewidth=1.0, label=f"leader: broker {leader}")  # fmt: skip
    if -1 in spans:
        lanes, starts, widths = zip(*spans[-1], strict=True)
        ax.barh(lanes, widths, left=starts, height=LANE_HEIGHT, color=NO_LEADER_FACE,
                edgecolor=NO_LEADER_HATCH, hatch="///", linewidth=0.8, label="no leader")  # fmt: skip

    n = len(groups)
    if df.empty:
        no_data(ax)
    ax.set_xlim(0, until_s if until_s > 0 else 1.0)
    ax.set_ylim(n - 0.5 if n else 0.5, -0.5)  # the first partition at the top
    step = max(1, int(np.ceil(n / MAX_LANE_LABELS)))  # many partitions: name every step-th lane
    ax.set_yticks(range(0, n, step), lane_names[::step])
    ax.grid(False, axis="y")
    fontsize = 8.0
    for lane, start, width, text, leader in texts:
        if width <= 0 or not _fits(ax, width / max(until_s, 1e-12), text, n, fontsize):
            continue
        face = NO_LEADER_FACE if leader < 0 else color(leader)
        ink = "#333333" if leader < 0 else text_color_on(_rgba(face))
        # On a patch of the span's colour, above the fault lines that may cross the span.
        ax.text(start + width / 2, lane, text, ha="center", va="center", fontsize=fontsize, color=ink,
                clip_on=True, gid="isr", zorder=4,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": face, "edgecolor": "none"})  # fmt: skip
    _mark_faults(ax, fdf, until_s)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("topic-partition" if "topic" in df.columns else "partition")
    if title is None:
        title = f"Leader of each partition: {changes} leader change{'s' if changes != 1 else ''}"
        if -1 in spans:
            title += f", no leader for up to {longest_gap:.3g} s"
    ax.set_title(title)
    if ax.get_legend_handles_labels()[1]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def _rgba(c: str) -> tuple[float, ...]:
    from matplotlib.colors import to_rgba

    return to_rgba(c)


def _scale(peak: float) -> tuple[float, str]:
    if peak >= 10_000_000:
        return 1e6, "million "
    if peak >= 10_000:
        return 1e3, "thousand "
    return 1.0, ""


def _elections(data: Any, topic: str | None) -> list[float]:
    """Times the controller gave some partition a new leader (not the records at time 0)."""
    if hasattr(data, "columns") or not callable(getattr(data, "frame", None)):
        return []
    df = data.frame("leadership")
    if df.empty or not {"time_s", "partition", "leader"} <= set(df.columns):
        return []
    df = select_topic(df, topic, "leadership")
    keys = ["topic", "partition"] if "topic" in df.columns else ["partition"]
    times = set()
    for _, sub in df.groupby(keys, sort=True):
        sub = sub.sort_values("time_s", kind="stable")
        leaders = sub["leader"].to_numpy(dtype=int)
        t = sub["time_s"].to_numpy(dtype=float)
        new = (leaders[1:] != leaders[:-1]) & (leaders[1:] >= 0)
        times.update(np.round(t[1:][new], 2).tolist())  # one line per 10 ms
    return sorted(times)


def _longest_stall(acked: Any, produced: Any, width_s: float, after_s: float, times: Any) -> float:
    """Longest run of consecutive windows, from the first fault on, in which records were produced and none
    acknowledged, in seconds (the windows after the producers stopped are not a stall)."""
    run = best = 0
    for t, a, p in zip(times, acked, produced, strict=True):
        if t + width_s <= after_s:
            continue
        run = run + 1 if a == 0 and p > 0 else 0
        best = max(best, run)
    return best * width_s


def around_failure(
    result: Any,
    topic: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> tuple[Axes, Axes]:
    """Acknowledged throughput and p99 produce latency over the run, with the faults marked.

    ``result`` is a Result (or its ``"timeseries"`` frame, then without faults and elections). Left axis:
    records acknowledged per second in each window, as steps (all topics summed when ``topic`` is None).
    Right-hand twin axis: ``produce_latency_p99_ms`` per window (one line per topic when there are
    several: percentiles are never combined), on a log axis when its peak is over
    :data:`LOG_LATENCY_ABOVE` times its median; a window without an acknowledgement has no latency (a
    gap). Faults are dashed vertical lines named on the top axis; the times the controller gave some
    partition a new leader are dotted grey lines. The time between a crash and the election is the stall
    (the title gives the longest one after the first fault: windows with records produced and none
    acknowledged); the latency peak after it is the records that waited. Returns
    ``(left_axes, right_axes)``, as ``compare.tradeoff_twin`` does.
    """
    df = as_frame(result, "timeseries")
    require_columns(df, ["time_s", "records_acked", "produce_latency_p99_ms"], "timeseries")
    df = select_topic(df, topic, "timeseries")
    fdf = _faults_of(result, None)
    ax = new_axes(ax)
    ax2 = ax.twinx()
    width = infer_window_s(df["time_s"])
    made = "records_produced" if "records_produced" in df.columns else "records_acked"
    per_window = df.groupby("time_s", sort=True)[["records_acked", made]].sum()
    times = per_window.index.to_numpy(dtype=float)
    rate = per_window["records_acked"].to_numpy(dtype=float) / width
    factor, prefix = _scale(float(rate.max()) if rate.size else 0.0)
    handles = [step_line(ax, times, rate / factor, width, color=color(0), linewidth=2.4,
                         label="acknowledged (records/s)")]  # fmt: skip
    topics = topics_of(df)
    for i, t in enumerate(topics):
        sub = (df if t is None else df[df["topic"] == t]).sort_values("time_s")
        name = "p99 produce latency (ms)" if len(topics) == 1 else f"p99 produce latency, {t} (ms)"
        handles.append(step_line(ax2, sub["time_s"], sub["produce_latency_p99_ms"], width, color=color(1 + i),
                                 linestyle="--", linewidth=1.8, label=name))  # fmt: skip
    end = float(times[-1] + width) if times.size else 0.0
    for i, t in enumerate(_elections(result, topic)):
        line = ax.axvline(t, color=ELECTION_COLOR, linestyle=":", linewidth=1.5, zorder=2,
                          label="new leader elected" if i == 0 else "_nolegend_")  # fmt: skip
        line.set_gid("election")
        if i == 0:
            handles.append(line)
    fault_lines = _mark_faults(ax, fdf, end if end > 0 else None)
    if fault_lines:
        handles.append(
            Line2D([], [], color=FAULT_COLOR, linestyle="--", linewidth=1.3, label="fault (top axis)")
        )
    if df.empty:
        no_data(ax)
    floor_at_zero(ax)
    p99 = df["produce_latency_p99_ms"].to_numpy(dtype=float)
    p99 = p99[np.isfinite(p99) & (p99 > 0)]
    if p99.size and p99.max() > LOG_LATENCY_ABOVE * np.median(p99):
        ax2.set_yscale("log")  # the records that waited through a stall would flatten the rest
        plain_log_axis(ax2.yaxis)
    else:
        floor_at_zero(ax2)
    ax.set_xlim(0, end if end > 0 else None)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(f"acknowledged ({prefix}records/s)", color=color(0))
    ax2.set_ylabel("p99 produce latency (ms)", color=color(1))
    ax.tick_params(axis="y", colors=color(0))
    ax2.tick_params(axis="y", colors=color(1))
    ax2.spines["right"].set_visible(True)
    ax2.spines["top"].set_visible(False)
    ax2.grid(False)
    if title is None:
        where = f" on {topic}" if topic is not None else ""
        first = float(fdf["time_s"].min()) if fdf is not None and not fdf.empty else 0.0
        stall = _longest_stall(rate, per_window[made].to_numpy(dtype=float), width, first, times)
        peak = df["produce_latency_p99_ms"].max()
        title = f"Around the failure{where}"
        parts = []
        if stall > 0:
            parts.append(f"no acks for {stall:.3g} s")
        if np.isfinite(peak):
            parts.append(f"p99 latency up to {format_number(float(peak))} ms")
        title += ": " + ", ".join(parts) if parts else f" ({format_window(width)} windows)"
    ax.set_title(title)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    return ax, ax2


def _checked(item: Any) -> Mapping:
    """A run's checker counts: a dict as given, else ``item.check()`` (which raises its own errors)."""
    if isinstance(item, Mapping):
        return item
    check = getattr(item, "check", None)
    if callable(check):
        return check()
    raise TypeError(
        f"expected a Result (with .check()) or the dict of Result.check(), got {type(item).__name__}"
    )


def _runs(results: Any, labels: Sequence[str] | None, what: str) -> tuple[list[Mapping], list[str]]:
    if isinstance(results, Mapping) or callable(getattr(results, "check", None)):
        results = [results]
    counts = [_checked(r) for r in results]
    if not counts:
        raise ValueError(f"{what} needs at least one run (a Result or its check() dict)")
    if labels is None:
        labels = [f"run {i + 1}" for i in range(len(counts))]
    labels = [str(v) for v in labels]
    if len(labels) != len(counts):
        raise ValueError(f"labels has {len(labels)} entries for {len(counts)} runs: give one label per run")
    return counts, labels


def check_counts(
    results: Any,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Grouped bars of the checker's counts, one group per run: ``lost`` and ``duplicate`` always,
    ``poll_skip`` and ``nonmonotonic_poll`` when some run has any.

    ``results`` is a list of Results (``Result.check()`` is called: a run without ``metrics.check: true``
    raises its error) or of their ``check()`` dicts; ``labels`` names the runs (default "run 1", "run
    2", ...), e.g. ``["acks=1", "acks=all"]``. Each group's label says how many records were acknowledged;
    each bar's count is written on it. Returns the Axes.
    """
    counts, labels = _runs(results, labels, "check_counts")
    for i, c in enumerate(counts):
        missing = [k for k in ("lost", "duplicate") if k not in c]
        if missing:
            raise ValueError(
                f"run {labels[i]!r} has no {', '.join(missing)} count (keys: {', '.join(map(str, c))})"
            )
    shown = ["lost", "duplicate"] + [
        k for k in COUNTS[2:] if any(float(c.get(k, 0) or 0) > 0 for c in counts)
    ]
    ax = new_axes(ax)
    pos = np.arange(len(counts))
    width = 0.8 / len(shown)
    for i, key in enumerate(shown):
        values = np.array([float(c.get(key, 0) or 0) for c in counts])
        bars = ax.bar(pos + (i - (len(shown) - 1) / 2) * width, values, width, color=COUNT_COLORS[key],
                      label=COUNT_LABELS[key])  # fmt: skip
        ax.bar_label(bars, labels=[format_number(v) for v in values], padding=2, fontsize=9)
    names = [f"{lab}\n{format_number(c['acked'])} acked" if "acked" in c else lab
             for lab, c in zip(labels, counts, strict=True)]  # fmt: skip
    ax.set_xticks(pos, names)
    ax.grid(False, axis="x")
    _bar_headroom(ax)
    ax.set_ylabel("records")
    ax.set_xlabel("run")
    if title is None:
        lost = [format_number(c["lost"]) for c in counts]
        title = "Records lost and duplicated per run (lost: " + ", ".join(lost) + ")"
    ax.set_title(title)
    place_legend(ax, loc="upper left")
    return ax


def _bar_headroom(ax: Axes, headroom: float = 0.25) -> None:
    """y from 0 to the highest bar plus room for its value and the legend (1 when every bar is 0)."""
    top = max((p.get_height() for p in ax.patches), default=0.0)
    ax.set_ylim(0.0, top * (1.0 + headroom) if top > 0 else 1.0)


def unavailability(
    results: Any,
    x: Sequence[float],
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
) -> Axes:
    """The mean and the worst partition's unavailable time (``Result.check()["unavailable_ms"]``) against
    a setting ``x`` varied between the runs, e.g. the number of partitions.

    ``results`` is a list of Results or of their ``check()`` dicts, ``x`` one number per run. Runs with the
    same ``x`` (replications over seeds) are drawn as one point: the mean of their means and the largest
    maximum. ``labels`` (one per run, same order) replace the numbers on the x axis; ``xlabel`` names the
    setting (default "setting varied between runs"). Shown in seconds when the worst partition exceeds
    10 s. Returns the Axes.
    """
    counts, names = _runs(results, labels, "unavailability")
    xs = np.asarray(list(x) if not isinstance(x, int | float) else [x], dtype=float)
    if xs.size != len(counts):
        raise ValueError(f"x has {xs.size} values for {len(counts)} runs: give one x per run")
    means, maxes = [], []
    for name, c in zip(names, counts, strict=True):
        per_partition = c.get("unavailable_ms")
        if not isinstance(per_partition, Mapping):
            raise ValueError(
                f"run {name!r} has no unavailable_ms per partition (keys: {', '.join(map(str, c))})"
            )
        v = np.array([float(u) for u in per_partition.values()], dtype=float)
        means.append(float(v.mean()) if v.size else float("nan"))
        maxes.append(float(v.max()) if v.size else float("nan"))
    order = np.unique(xs)
    mean = np.array([np.nanmean(np.array(means)[xs == u]) if np.isfinite(np.array(means)[xs == u]).any()
                     else np.nan for u in order])  # fmt: skip
    worst = np.array([np.nanmax(np.array(maxes)[xs == u]) if np.isfinite(np.array(maxes)[xs == u]).any()
                      else np.nan for u in order])  # fmt: skip
    peak = float(np.nanmax(worst)) if np.isfinite(worst).any() else 0.0
    factor, unit = (1000.0, "s") if peak >= 10_000 else (1.0, "ms")
    ax = new_axes(ax)
    ax.plot(order, worst / factor, marker="s", linestyle="--", color=color(3), label="worst partition")
    ax.plot(order, mean / factor, marker="o", color=color(0), label="mean over partitions")
    for xv, yv in zip(order, mean / factor, strict=True):
        if np.isfinite(yv):
            ax.annotate(format_number(yv), (xv, yv), xytext=(0, -13), textcoords="offset points", ha="center",
                        fontsize=8.5, color=color(0))  # fmt: skip
    if labels is not None:
        first = {}
        for xv, name in zip(xs, names, strict=True):
            first.setdefault(xv, name)
        ax.set_xticks(order, [first[u] for u in order])
    elif order.size <= 12:
        ax.set_xticks(order, [format_number(u) for u in order])
    floor_at_zero(ax, headroom=0.15)
    ax.set_xlabel(xlabel if xlabel is not None else "setting varied between runs")
    ax.set_ylabel(f"time without a working leader ({unit})")
    if title is None:
        title = "Unavailable time per partition: mean and worst partition"
    ax.set_title(title)
    place_legend(ax, loc="upper left")
    return ax
