"""Consumer lag over time, from the ``"lag"`` frame.

What Kafka does: a consumer's lag on a partition is the high watermark (the end of what consumers may
read) minus the consumer's position (the next offset ``poll()`` will hand to the application). The
consumer reports it as ``records-lag`` / ``records-lag-max`` (``consumer-fetch-manager-metrics``);
``kafka-consumer-groups.sh --describe`` prints it per partition as ``LAG`` (against the committed offset).

What is drawn: :func:`lag_over_time` - the lag at the end of each window, in records: the group's total
and the partitions that lag most (or the ones asked for), optionally with a labelled reference line of
steady growth (``growth_per_s``: arrivals minus what the consumer can process). A frame with ``time_s``
and ``lag`` columns only (a hand-built log, chapter 02) is drawn as one line.

Not drawn: lag in time (seconds behind); the committed offset (offset commits are not modelled yet).
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

__all__ = ["lag_over_time"]


def lag_over_time(
    data: Any,
    group: str | None = None,
    topic: str | None = None,
    partitions: int | Sequence[int] | None = None,
    top: int = 3,
    total: bool | None = None,
    growth_per_s: float | None = None,
    label: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Consumer lag (records) at the end of each window.

    ``data`` is a Result or its ``"lag"`` frame (or any frame with ``time_s`` and ``lag``). ``group``
    picks a consumer group (required if the frame has several), ``topic`` a topic. ``partitions`` names
    the partitions to draw; None draws the ``top`` partitions with the largest peak lag (``top=0``: none)
    and, when ``total`` is not False, the group's total over all its partitions (the default when there is
    more than one partition). ``growth_per_s`` adds a dashed, labelled line of lag growing at that rate
    from 0 (an overloaded consumer's expected backlog). ``label`` prefixes every line's label (to compare
    runs on one Axes). The default title states the largest lag. Returns the Axes.
    """
    df = as_frame(data, "lag")
    require_columns(df, ["time_s", "lag"], "lag")
    df = select_topic(df, topic, "lag")
    if "group" in df.columns:
        groups = sorted(df["group"].unique(), key=str)
        if group is not None:
            if group not in groups:
                raise ValueError(
                    f"group {group!r} is not in the 'lag' frame (groups: {', '.join(groups) or 'none'})"
                )
            df = df[df["group"] == group]
        elif len(groups) > 1:
            raise ValueError(
                f"the 'lag' frame has several consumer groups ({', '.join(groups)}): pass group="
            )
    if isinstance(partitions, (int, np.integer)):
        partitions = [int(partitions)]
    ax = new_axes(ax)
    prefix = f"{label}: " if label else ""
    # Runs compared on one Axes (label given) take the next colours, after the lines already drawn.
    i = sum(1 for line in ax.get_lines() if line.get_linestyle() != "--") if label else 0
    largest = None  # (lag, what) for the title
    if "partition" not in df.columns:
        sub = df.sort_values("time_s")
        ax.plot(sub["time_s"], sub["lag"], drawstyle="steps-post", color=color(i), label=label or "lag")
        if not sub.empty:
            largest = (float(sub["lag"].max()), "")
    elif not df.empty:
        keys = ["topic", "partition"] if "topic" in df.columns else ["partition"]
        peaks = df.groupby(keys)["lag"].max()
        if partitions is not None:
            have = set(df["partition"].unique())
            missing = [p for p in partitions if p not in have]
            if missing:
                raise ValueError(f"partition(s) {missing} have no lag rows (partitions: {sorted(have)})")
            chosen = [k for k in peaks.index if (k[-1] if isinstance(k, tuple) else k) in set(partitions)]
        else:
            chosen = sorted(peaks.index, key=lambda k: -peaks[k])[: max(int(top), 0)]
        several = df["partition"].nunique() > 1
        if total is None:
            total = partitions is None and several
        if total:
            sums = df.groupby("time_s")["lag"].sum().sort_index()
            ax.plot(sums.index, sums.to_numpy(), color=color(i), linewidth=2.4,
                    label=f"{prefix}all {df['partition'].nunique()} partitions")  # fmt: skip
            largest = (float(sums.max()), " over all partitions")
            i += 1
        for k in chosen:
            kt = k if isinstance(k, tuple) else (k,)
            mask = np.ones(len(df), dtype=bool)
            for col, v in zip(keys, kt, strict=True):
                mask &= (df[col] == v).to_numpy()
            sub = df[mask].sort_values("time_s")
            name = f"{kt[0]}-{kt[1]}" if len(kt) == 2 else f"partition {kt[0]}"
            ax.plot(sub["time_s"], sub["lag"], color=color(i), marker="o" if len(sub) <= 30 else None,
                    markersize=3.5, label=f"{prefix}{name}")  # fmt: skip
            i += 1
            if largest is None or not total:
                peak = float(sub["lag"].max())
                if largest is None or peak > largest[0]:
                    largest = (peak, f" on {name}")
    if growth_per_s is not None and not df.empty:
        t = np.array([0.0, float(df["time_s"].max())])
        ax.plot(t, growth_per_s * t, color="#444444", linestyle="--", linewidth=1.2,
                label=f"growing {format_number(growth_per_s)} records/s (arrivals - capacity)")  # fmt: skip
    if df.empty:
        no_data(ax)
    floor_at_zero(ax)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("consumer lag (records)")
    if title is None:
        who = f" of {group}" if group is not None else ""
        if largest is None or largest[0] == 0:
            title = f"Consumer lag{who}: the consumers keep up (lag 0)"
        else:
            title = f"Consumer lag{who}: up to {format_number(largest[0])} records{largest[1]}"
    ax.set_title(title)
    place_legend(ax, loc="upper left")
    return ax
