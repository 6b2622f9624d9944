"""Per-partition charts from the ``"partitions"`` frame: bars per partition or per leader broker, any
column over time, and how unevenly the records are spread.

What Kafka does: every partition has a leader broker (``kafka-topics.sh --describe`` prints it) that
takes all its writes; its log end offset counts the records appended (``LogEndOffset``,
``kafka.log:type=Log``), its ``Size`` the bytes stored, its segment files come and go with rolling and
retention. Keys choose partitions (``murmur2(key) % partitions``), so hot keys make hot partitions, and
the brokers leading them do more work.

What is drawn (each takes a Result or its ``"partitions"`` frame; the bar chart takes any frame with a
``partition`` column):

* :func:`partition_bars` - one bar per partition (coloured by leader broker when known), or one per
  broker (``by="leader"``: what each broker leads), at the last snapshot, with a labelled reference line
  (the mean, a number, or none);
* :func:`partitions_over_time` - a column (``log_end_offset``, ``size_bytes`` in MiB, ``segments``,
  ``log_start_offset``) of every partition over time, optionally with a labelled line of steady growth;
* :func:`partition_imbalance_over_time` - busiest partition / mean (records) over time, with 1 = even
  marked.

Not drawn: follower replicas (the frame reports the leader's log).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from eventsim.plots.style import (
    as_frame,
    color,
    floor_at_zero,
    format_number,
    new_axes,
    no_data,
    place_legend,
    require_columns,
    select_topic,
)

__all__ = ["partition_bars", "partitions_over_time", "partition_imbalance_over_time"]

MIB = 1024 * 1024
MAX_COLOURED = 7  # more partitions than this share one colour (the palette has 8, the last is yellow)
LABELS = {
    "log_end_offset": "records (log end offset)",
    "log_start_offset": "log start offset",
    "size_bytes": "stored per partition (MiB)",
    "segments": "segment files",
}


def _last(df: Any) -> Any:
    if "time_s" not in df.columns or df.empty:
        return df
    return df[df["time_s"] == df["time_s"].max()]


def _values(df: Any, column: str) -> Any:
    v = df[column].to_numpy(dtype=float)
    return v / MIB if column == "size_bytes" else v


def partition_bars(
    data: Any,
    column: str = "log_end_offset",
    by: str = "partition",
    topic: str | None = None,
    reference: str | float | None = "mean",
    reference_label: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Bars of ``column`` per partition (``by="partition"``) or summed per leader broker (``by="leader"``).

    ``data`` is a Result, its ``"partitions"`` frame (the last snapshot is used) or any DataFrame with a
    ``partition`` column and ``column`` (e.g. distinct keys per partition). With a ``leader`` column the
    partition bars are coloured by leader broker, with a legend. ``reference`` draws a dashed line:
    ``"mean"`` (labelled with its value), a number (``reference_label`` says what it is) or None. The
    default title gives the busiest / mean ratio. Returns the Axes.
    """
    if by not in ("partition", "leader"):
        raise ValueError(f"by={by!r} is invalid (allowed: partition, leader)")
    if isinstance(reference, str) and reference != "mean":
        raise ValueError(f"reference={reference!r} is invalid (allowed: 'mean', a number, None)")
    df = as_frame(data, "partitions")
    require_columns(df, ["partition", column] + (["leader"] if by == "leader" else []), "partitions")
    df = _last(select_topic(df, topic, "partitions"))
    if "topic" in df.columns and df["topic"].nunique() > 1 and by == "partition":
        raise ValueError("the frame has several topics: pass topic=")
    ax = new_axes(ax)
    what = LABELS.get(column, column.replace("_", " "))
    if by == "leader":
        per = df.groupby("leader")[column].sum().sort_index()
        xs = per.index.to_numpy()
        values = per.to_numpy(dtype=float) / (MIB if column == "size_bytes" else 1.0)
        ax.bar(xs, values, color=[color(int(b)) for b in xs], width=0.7)
        ax.set_xticks(xs, [f"broker {b}" for b in xs])
        ax.set_xlabel("leader broker")
        unit = " (MiB)" if column == "size_bytes" else ""
        ylab = f"{what.split(' (')[0]} led by the broker{unit}"
    else:
        df = df.sort_values("partition")
        xs = df["partition"].to_numpy()
        values = _values(df, column)
        if "leader" in df.columns:
            for b in sorted(df["leader"].unique()):
                m = (df["leader"] == b).to_numpy()
                ax.bar(xs[m], values[m], color=color(int(b)), width=0.8, label=f"leader: broker {b}")
        else:
            ax.bar(xs, values, color=color(0), width=0.8)
        ax.set_xticks(xs, [str(p) for p in xs], rotation=90 if len(xs) > 24 else 0)
        ax.set_xlabel("partition")
        ylab = what
    ax.grid(False, axis="x")
    ratio = float("nan")
    if len(values):
        mean = float(np.mean(values))
        ratio = float(np.max(values)) / mean if mean > 0 else float("nan")
        if reference is not None:
            level = mean if isinstance(reference, str) else float(reference)
            text = reference_label or (
                f"mean {format_number(level)}" if reference == "mean" else format_number(level)
            )
            ax.axhline(level, color="#444444", linestyle="--", linewidth=1.2, label=text)
    else:
        no_data(ax)
    tops = [float(np.max(values))] if len(values) else []
    tops += [float(np.max(ln.get_ydata())) for ln in ax.get_lines()]
    top = max(tops, default=0.0)
    ax.set_ylim(0, top * 1.3 if top > 0 else 1.0)  # room for the legend above the bars
    ax.set_ylabel(ylabel if ylabel is not None else ylab)
    if title is None:
        per = "broker" if by == "leader" else "partition"
        title = f"{what.split(' (')[0].capitalize()} per {per}"
        if np.isfinite(ratio):
            title += f": busiest {ratio:.2f}x the mean"
    ax.set_title(title)
    place_legend(ax, loc="upper center", ncols=4)
    return ax


def partitions_over_time(
    data: Any,
    column: str = "log_end_offset",
    topic: str | None = None,
    partitions: Sequence[int] | None = None,
    rate_per_s: float | None = None,
    rate_label: str | None = None,
    highlight: Sequence[int] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """``column`` of each partition at each snapshot: log end offset, bytes stored (MiB), segments ...

    ``data`` is a Result or its ``"partitions"`` frame. Up to 7 partitions get their own colour and
    label; more are drawn thin in one colour with one label, except the ``highlight`` partitions, which
    get their own colour and label. ``rate_per_s`` adds a dashed, labelled
    line through 0 with that slope (e.g. the expected records/s per partition). Returns the Axes.
    """
    df = as_frame(data, "partitions")
    require_columns(df, ["time_s", "partition", column], "partitions")
    df = select_topic(df, topic, "partitions")
    if partitions is not None:
        df = df[df["partition"].isin(list(partitions))]
    ax = new_axes(ax)
    keys = ["topic", "partition"] if "topic" in df.columns else ["partition"]
    groups = list(df.groupby(keys, sort=True))
    many = len(groups) > MAX_COLOURED
    marked = set(highlight or ())
    k_other = 0
    for i, (k, sub) in enumerate(groups):
        k = k if isinstance(k, tuple) else (k,)
        sub = sub.sort_values("time_s")
        name = f"{k[0]}-{k[1]}" if len(k) == 2 else f"partition {k[0]}"
        style = {"drawstyle": "steps-post"} if column == "segments" else {}
        if k[-1] in marked:
            style.update(color=color(1 + sorted(marked).index(k[-1])), linewidth=2.2, label=name, zorder=3)
        elif many or marked:
            rest = len(groups) - len(marked)
            group_label = f"the other {rest}" if marked else f"the {rest} partitions"
            style.update(
                color=color(0), linewidth=1.0, alpha=0.55, label=group_label if k_other == 0 else None
            )
            k_other += 1
        else:
            style.update(color=color(i), label=name)
        ax.plot(sub["time_s"].to_numpy(dtype=float), _values(sub, column), **style)
    if rate_per_s is not None and not df.empty:
        t = np.array([0.0, float(df["time_s"].max())])
        ax.plot(t, rate_per_s * t, color="#444444", linestyle="--", linewidth=1.6,
                label=rate_label or f"{format_number(rate_per_s)} per s")  # fmt: skip
    if df.empty:
        no_data(ax)
    floor_at_zero(ax)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(LABELS.get(column, column.replace("_", " ")))
    if title is None:
        title = f"{LABELS.get(column, column).split(' (')[0].capitalize()} of each partition over time"
    ax.set_title(title)
    place_legend(ax, loc="upper left")
    return ax


def partition_imbalance_over_time(
    data: Any,
    topic: str | None = None,
    label: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Busiest partition / mean (log end offsets) at each snapshot; 1 = perfectly even (a labelled line).

    ``data`` is a Result or its ``"partitions"`` frame (one topic, or pass ``topic``). ``label`` names the
    line (to compare runs on one Axes). Returns the Axes.
    """
    df = as_frame(data, "partitions")
    require_columns(df, ["time_s", "partition", "log_end_offset"], "partitions")
    df = select_topic(df, topic, "partitions")
    if "topic" in df.columns and df["topic"].nunique() > 1:
        raise ValueError("the frame has several topics: pass topic=")
    ax = new_axes(ax)
    by_time = df.groupby("time_s")["log_end_offset"]
    mean = by_time.mean()
    ratio = (by_time.max() / mean.where(mean > 0)).dropna()
    n = len([ln for ln in ax.get_lines() if not ln.get_label().startswith("_")])
    ax.plot(ratio.index.to_numpy(dtype=float), ratio.to_numpy(dtype=float), color=color(n),
            label=label or "busiest / mean")  # fmt: skip
    if not any(ln.get_label() == "even (1.0)" for ln in ax.get_lines()):
        ax.axhline(1.0, color="#444444", linestyle="--", linewidth=1.0, label="even (1.0)")
    if df.empty or ratio.empty:
        no_data(ax)
    peaks = [float(np.nanmax(ln.get_ydata())) for ln in ax.get_lines() if len(ln.get_ydata())]
    ax.set_ylim(0, max([1.0, *peaks]) * 1.2)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("busiest partition / mean (records)")
    if title is None:
        title = "Imbalance of records over partitions"
        if not ratio.empty:
            title += f": busiest {ratio.iloc[-1]:.2f}x the mean at the end"
    ax.set_title(title)
    place_legend(ax, loc="lower right")
    return ax
