"""Replication over time: the ISR of each partition, how far each follower lags, and the high watermark
against the log end offset.

What Kafka does: the leader of a partition keeps the in-sync replica set (ISR): itself and the followers
that have caught up with its log end offset within ``replica.lag.time.max.ms``. The ISR shrinks when a
follower falls behind for longer than that and expands when it catches up again
(``kafka.server:type=ReplicaManager,name=IsrShrinksPerSec`` / ``IsrExpandsPerSec``; ``kafka-topics
--describe`` prints the ISR). The high watermark is the offset up to which every ISR member has the
records; consumers read only below it, so the gap between the log end offset and the high watermark is
what has been written but not yet replicated (``UnderReplicatedPartitions`` counts the partitions whose
ISR is smaller than their replica set).

What is drawn (each takes a Result or the frame named):

* :func:`isr_over_time` - the ISR size of each partition as a step line over the run (``"isr"``: one row
  per change), with ``min.insync.replicas`` marked when given;
* :func:`follower_lag_over_time` - each follower's lag behind its leader at the end of every window, in
  records or in ms since it was last caught up (``"replicas"``), with ``replica.lag.time.max.ms`` marked
  when given;
* :func:`watermarks_over_time` - one partition's log end offset and high watermark (``"partitions"``),
  the gap between them shaded.

Not drawn: the followers' own high watermarks and the ``AlterPartition`` round trip (not modelled).
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

__all__ = ["isr_over_time", "follower_lag_over_time", "watermarks_over_time"]


def _partition_list(partitions: int | Sequence[int] | None) -> list[int] | None:
    if partitions is None:
        return None
    if isinstance(partitions, (int, np.integer)):
        return [int(partitions)]
    return [int(p) for p in partitions]


def isr_over_time(
    data: Any,
    topic: str | None = None,
    partitions: int | Sequence[int] | None = None,
    until_s: float | None = None,
    min_insync_replicas: int | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """The ISR size of each partition over time, as steps from each change to the next.

    ``data`` is a Result or its ``"isr"`` frame. The last step runs to ``until_s`` (default: the end of
    the run for a Result, else the last change). Partitions with the same ISR size are nudged apart a
    little so that every line stays visible. ``min_insync_replicas`` adds a dashed, labelled line.
    Returns the Axes.
    """
    df = as_frame(data, "isr")
    require_columns(df, ["time_s", "partition", "isr_size"], "isr")
    df = select_topic(df, topic, "isr")
    chosen = _partition_list(partitions)
    if chosen is not None:
        df = df[df["partition"].isin(chosen)]
    if until_s is None:
        horizon = getattr(data, "horizon_ms", None)
        last = float(df["time_s"].max()) if len(df) else 0.0
        until_s = float(horizon) / 1000.0 if horizon is not None else last
    ax = new_axes(ax)
    keys = ["topic", "partition"] if "topic" in df.columns else ["partition"]
    groups = list(df.groupby(keys, sort=True))
    n = len(groups)
    top = 0
    for i, (k, sub) in enumerate(groups):
        k = k if isinstance(k, tuple) else (k,)
        sub = sub.sort_values("time_s", kind="stable")
        t = np.append(sub["time_s"].to_numpy(dtype=float), max(until_s, float(sub["time_s"].max())))
        y = sub["isr_size"].to_numpy(dtype=float)
        top = max(top, int(y.max()))
        nudge = (i - (n - 1) / 2) * 0.04 if n > 1 else 0.0
        name = f"{k[0]}-{k[1]}" if len(k) == 2 else f"partition {k[0]}"
        ax.plot(t, np.append(y, y[-1]) + nudge, drawstyle="steps-post", color=color(i), linewidth=2.0,
                label=name)  # fmt: skip
    if min_insync_replicas is not None:
        ax.axhline(min_insync_replicas, color="#444444", linestyle="--", linewidth=1.2,
                   label=f"min.insync.replicas = {min_insync_replicas}")  # fmt: skip
        top = max(top, int(min_insync_replicas))
    if df.empty:
        no_data(ax)
    ax.set_ylim(0, top + 0.6 if top else 1)
    ax.set_yticks(range(0, top + 1))
    ax.set_xlim(0, until_s if until_s > 0 else None)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("replicas in the ISR")
    if title is None:
        lowest = int(df["isr_size"].min()) if len(df) else 0
        title = f"ISR size of each partition (lowest: {lowest})"
    ax.set_title(title)
    place_legend(ax, loc="lower left")
    return ax


def follower_lag_over_time(
    data: Any,
    column: str = "lag_records",
    topic: str | None = None,
    partitions: int | Sequence[int] | None = None,
    brokers: int | Sequence[int] | None = None,
    lag_time_max_ms: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Each follower's lag behind its leader at the end of every window.

    ``data`` is a Result or its ``"replicas"`` frame; ``column`` is ``lag_records`` (records behind the
    leader's log end offset) or ``lag_ms`` (ms since the follower was last caught up, Kafka's measure for
    the ISR). One line per partition and follower broker, filled markers while the follower is in the
    ISR and open ones while it is out. ``brokers`` keeps the followers on those brokers.
    ``lag_time_max_ms`` (with ``column="lag_ms"``) adds a dashed line at ``replica.lag.time.max.ms``.
    Returns the Axes.
    """
    if column not in ("lag_records", "lag_ms"):
        raise ValueError(f"column={column!r} is invalid (allowed: lag_records, lag_ms)")
    df = as_frame(data, "replicas")
    require_columns(df, ["time_s", "partition", "broker", "in_isr", column], "replicas")
    df = select_topic(df, topic, "replicas")
    chosen = _partition_list(partitions)
    if chosen is not None:
        df = df[df["partition"].isin(chosen)]
    on = _partition_list(brokers)
    if on is not None:
        df = df[df["broker"].isin(on)]
    ax = new_axes(ax)
    keys = (["topic"] if "topic" in df.columns else []) + ["partition", "broker"]
    for i, (k, sub) in enumerate(df.groupby(keys, sort=True)):
        sub = sub.sort_values("time_s", kind="stable")
        t = sub["time_s"].to_numpy(dtype=float)
        y = sub[column].to_numpy(dtype=float)
        where = f"{k[0]}-{k[1]}" if len(k) == 3 else f"partition {k[0]}"
        c = color(i)
        ax.plot(t, y, color=c, linewidth=1.8, label=f"{where}, follower on broker {k[-1]}")
        inside = sub["in_isr"].to_numpy(dtype=bool)
        if len(sub) <= 80:
            ax.plot(t[inside], y[inside], linestyle="none", marker="o", markersize=3.5, color=c)
            ax.plot(t[~inside], y[~inside], linestyle="none", marker="o", markersize=4,
                    markerfacecolor="white", markeredgecolor=c)  # fmt: skip
    if lag_time_max_ms is not None and column == "lag_ms":
        ax.axhline(lag_time_max_ms, color="#444444", linestyle="--", linewidth=1.2,
                   label=f"replica.lag.time.max.ms = {format_number(lag_time_max_ms)}")  # fmt: skip
    if df.empty:
        no_data(ax)
    floor_at_zero(ax)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(
        "follower lag (records behind the leader)" if column == "lag_records" else "ms since last caught up"
    )
    if title is None:
        peak = float(df[column].max()) if len(df) else 0.0
        unit = "records" if column == "lag_records" else "ms"
        title = f"Follower lag: up to {format_number(peak)} {unit} (open markers: out of the ISR)"
    ax.set_title(title)
    place_legend(ax, loc="upper left")
    return ax


def watermarks_over_time(
    data: Any,
    partition: int = 0,
    topic: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """One partition's log end offset and high watermark at the end of every window, the gap shaded.

    ``data`` is a Result or its ``"partitions"`` frame. The shaded band is what the leader has appended
    and consumers may not read yet. Returns the Axes.
    """
    df = as_frame(data, "partitions")
    require_columns(df, ["time_s", "partition", "log_end_offset", "high_watermark"], "partitions")
    df = select_topic(df, topic, "partitions")
    df = df[df["partition"] == partition].sort_values("time_s", kind="stable")
    ax = new_axes(ax)
    t = df["time_s"].to_numpy(dtype=float)
    leo = df["log_end_offset"].to_numpy(dtype=float)
    hw = df["high_watermark"].to_numpy(dtype=float)
    ax.plot(t, leo, color=color(0), linewidth=2.0, label="log end offset (appended by the leader)")
    ax.plot(t, hw, color=color(1), linewidth=2.0, linestyle="-.", label="high watermark (readable)")
    if len(t):
        ax.fill_between(t, hw, leo, color=color(1), alpha=0.18, linewidth=0,
                        label="appended, not yet readable")  # fmt: skip
    else:
        no_data(ax)
    floor_at_zero(ax)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("offset (records)")
    if title is None:
        gap = float((leo - hw).max()) if len(t) else 0.0
        title = f"Partition {partition}: the high watermark trails the log end offset by up to "
        title += format_number(gap)
    ax.set_title(title)
    place_legend(ax, loc="upper left")
    return ax
