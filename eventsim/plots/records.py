"""Charts of individual records, from the ``"records"`` frame (the per-record sample).

What Kafka does: a partition is an append-only log; each record gets the next offset of its partition
(offsets are per partition, dense, starting at 0), and a keyed record always goes to
``murmur2(key) % partitions`` (``BuiltInPartitioner``), so every record of a key lands in one partition,
in order.

What is drawn:

* :func:`log_layout` - the first offsets of each partition as boxes, each labelled with the key id of
  the record stored there: the log as Kafka stores it;
* :func:`key_placement` - for a few keys, the partition of each of their records against the time it
  was created: one horizontal run of points per key.

Not drawn: records the sample left out (``metrics.record_sample``): both charts need the records they
show, so use a small run or ``record_sample: 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.colors as mcolors
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from eventsim.plots.style import (
    as_frame,
    color,
    new_axes,
    no_data,
    require_columns,
    select_topic,
    text_color_on,
)

__all__ = ["log_layout", "key_placement"]


def log_layout(
    data: Any,
    topic: str | None = None,
    partitions: Sequence[int] | None = None,
    offsets: int = 12,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """The first ``offsets`` offsets of each partition as boxes labelled with their record's key id.

    ``data`` is a Result or its ``"records"`` frame (``partition``, ``offset``, ``key``). Each row is
    one partition (``partitions`` chooses them; default all, at most 8), with the highest offset stored
    written after the boxes. Returns the Axes.
    """
    df = as_frame(data, "records")
    require_columns(df, ["partition", "offset", "key"], "records")
    df = select_topic(df, topic, "records")
    df = df[df["offset"] >= 0]
    parts = sorted(df["partition"].unique()) if partitions is None else list(partitions)
    parts = parts[:8]
    ax = new_axes(ax)
    for row, p in enumerate(parts):
        mine = df[df["partition"] == p]
        shown = mine[mine["offset"] < offsets]
        fill = color(row)
        ink = text_color_on(mcolors.to_rgba(fill))
        for o, k in zip(shown["offset"].to_numpy(), shown["key"].to_numpy(), strict=True):
            ax.add_patch(Rectangle((o, row - 0.4), 0.92, 0.8, color=fill, alpha=0.9))
            ax.text(
                o + 0.46, row, str(int(k)) if k >= 0 else "-", ha="center", va="center", color=ink, fontsize=9
            )
        if not mine.empty:
            last = int(mine["offset"].max())
            if last >= offsets:
                ax.text(offsets + 0.2, row, f"... up to offset {last}", va="center", fontsize=9.5)
    if df.empty or not parts:
        no_data(ax)
    ax.set_xlim(-0.2, offsets + 2.5)
    ax.set_ylim(-0.7, max(len(parts), 1) - 0.3)
    ax.set_xticks(np.arange(offsets) + 0.46, [str(o) for o in range(offsets)])
    prefix = f"{topic}-" if topic is not None else "partition "
    ax.set_yticks(range(len(parts)), [f"{prefix}{p}" for p in parts])
    ax.grid(False)
    ax.set_xlabel("offset (each box labelled with the key id of the record stored there)")
    ax.set_ylabel("partition")
    ax.set_title(title if title is not None else "Each partition numbers its records 0, 1, 2, ... on its own")
    return ax


def key_placement(
    data: Any,
    keys: Sequence[int] = (0, 1, 2, 3, 4),
    topic: str | None = None,
    key_format: str = "key {}",
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """The partition of every record of each of ``keys`` against its create time (s).

    ``data`` is a Result or its ``"records"`` frame (``key``, ``partition``, ``create_ms``).
    ``key_format`` names a key in the legend (``"user-{}"``). Points of different keys in one partition
    are nudged apart vertically so that none hides another. Returns the Axes.
    """
    df = as_frame(data, "records")
    require_columns(df, ["key", "partition", "create_ms"], "records")
    df = select_topic(df, topic, "records")
    ax = new_axes(ax)
    n = len(keys)
    for i, k in enumerate(keys):
        mine = df[df["key"] == k]
        nudge = (i - (n - 1) / 2) * 0.08
        ax.scatter(mine["create_ms"].to_numpy(dtype=float) / 1000.0, mine["partition"].to_numpy() + nudge,
                   s=14, color=color(i), label=key_format.format(k))  # fmt: skip
    if df.empty:
        no_data(ax)
    else:
        count = int(df["partition"].max()) + 1
        ax.set_yticks(range(count))
        ax.set_ylim(-0.6, count - 0.4)
    ax.set_xlabel("record created at (simulated s)")
    ax.set_ylabel("partition")
    ax.set_title(title if title is not None else "Every record of a key lands in the same partition")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    return ax
