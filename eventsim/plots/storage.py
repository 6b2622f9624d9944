"""Storage charts: partition log sizes over time and records per partition (skew from hot keys).

What Kafka does: each partition replica is a log directory ``<topic>-<partition>`` of segment
files; its size is the ``Size`` gauge (``kafka.log:type=Log``) and ``kafka-log-dirs.sh`` reports
it. The log end offset (``LogEndOffset`` gauge) counts records appended. The default partitioner
maps a keyed record to ``murmur2(key) % partitions`` (``BuiltInPartitioner``), so a hot key sends
all its records to one partition; unkeyed records are spread by the sticky partitioner (KIP-480,
KIP-794). Retention (``log.retention.ms``/``bytes``) deletes whole old segments, so size falls in
steps.

What is drawn, from the ``"partitions"`` frame (time_s, topic, partition, leader, log_end_offset,
size_bytes, segments):

* :func:`partition_sizes_over_time` - size in MiB of each partition's log at each snapshot;
* :func:`partition_skew` - records per partition at the last snapshot, with each topic's mean,
  and the max/mean ratio in the title.

Not drawn: follower replicas (the frame reports the leader's log) and the log start offset, so
``log_end_offset`` counts records ever appended, including ones retention has since deleted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from eventsim.plots.style import (
    as_frame,
    color,
    floor_at_zero,
    new_axes,
    no_data,
    place_legend,
    require_columns,
    select_topic,
    topics_of,
)

MIB = 1024 * 1024


def partition_sizes_over_time(
    data: Any,
    topic: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Log size (MiB) of each partition at each snapshot, one line per topic-partition.

    ``data`` is a Result or its ``"partitions"`` frame. Lines are labelled ``<topic>-<partition>``
    like Kafka's log directories; the legend is dropped above 24 partitions. Returns the Axes.
    """
    df = as_frame(data, "partitions")
    require_columns(df, ["time_s", "topic", "partition", "size_bytes"], "partitions")
    df = select_topic(df, topic, "partitions")
    ax = new_axes(ax)
    i = 0
    for t in topics_of(df):
        by_topic = df[df["topic"] == t]
        for p in sorted(by_topic["partition"].unique()):
            sub = by_topic[by_topic["partition"] == p].sort_values("time_s")
            ax.plot(
                sub["time_s"].to_numpy(dtype=float),
                sub["size_bytes"].to_numpy(dtype=float) / MIB,
                color=color(i),
                label=f"{t}-{p}",
            )
            i += 1
    if df.empty:
        no_data(ax)
    floor_at_zero(ax)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("stored per partition (MiB)")
    where = f" of {topic}" if topic is not None else ""
    ax.set_title(title if title is not None else f"Bytes stored per partition{where} over time")
    place_legend(ax)
    return ax


def partition_skew(
    data: Any,
    topic: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Records (log end offset) per partition at the last snapshot, with each topic's mean as a line.

    ``data`` is a Result or its ``"partitions"`` frame. One bar per topic-partition; bars of a
    topic share a colour. The default title gives the largest max/mean ratio across topics, the
    usual measure of skew. Returns the Axes.
    """
    df = as_frame(data, "partitions")
    require_columns(df, ["time_s", "topic", "partition", "log_end_offset"], "partitions")
    df = select_topic(df, topic, "partitions")
    ax = new_axes(ax)
    topics = topics_of(df) if not df.empty else []
    x = 0
    ticks: list[str] = []
    worst = float("nan")
    for ti, t in enumerate(topics):
        by_topic = df[df["topic"] == t]
        last = by_topic[by_topic["time_s"] == by_topic["time_s"].max()].sort_values("partition")
        counts = last["log_end_offset"].to_numpy(dtype=float)
        xs = np.arange(x, x + counts.size)
        ax.bar(xs, counts, width=0.8, color=color(ti), label=str(t) if len(topics) > 1 else None)
        mean = float(counts.mean())
        ax.hlines(
            mean,
            xs[0] - 0.45,
            xs[-1] + 0.45,
            colors="#444444",
            linestyles="--",
            linewidth=1.2,
            label="mean" if ti == 0 else None,
        )
        if mean > 0:
            ratio = float(counts.max()) / mean
            worst = ratio if not np.isfinite(worst) else max(worst, ratio)
        ticks += [f"{t}-{p}" if len(topics) > 1 else str(p) for p in last["partition"]]
        x += counts.size
    if not topics:
        no_data(ax)
    ax.set_xticks(range(len(ticks)), ticks, rotation=90 if len(ticks) > 16 else 0)
    ax.grid(False, axis="x")
    ax.set_xlabel("partition" if len(topics) <= 1 else "topic-partition")
    ax.set_ylabel("records (log end offset)")
    if title is None:
        where = f" of {topic}" if topic is not None else ""
        skew = f": max/mean {worst:.2f}x" if np.isfinite(worst) else ""
        title = f"Records per partition{where}{skew}"
    ax.set_title(title)
    place_legend(ax)
    return ax
