"""Latency breakdown: where a record's time goes, stage by stage, as a stacked horizontal bar.

What Kafka does: a produced record waits in the ``RecordAccumulator`` for a batch to fill or for
``linger.ms`` (KIP-480 sticky partitioning decides which batch), the ``Sender`` ships the batch,
the broker queues the request (``RequestChannel``), a handler thread appends it to the log, and
the response returns once ``acks`` are satisfied (``DelayedProduce`` in purgatory for
``acks=all``). Kafka exposes the broker part of this split as ``RequestMetrics``
(``RequestQueueTimeMs``, ``LocalTimeMs``, ``RemoteTimeMs``, ``ResponseSendTimeMs``,
``TotalTimeMs``) and the producer part as ``record-queue-time-avg`` and ``request-latency-avg``.
A consumer's record waits for a fetch (``fetch.max.wait.ms``/``fetch.min.bytes``), for ``poll()``,
then for processing.

What is drawn: the ``"breakdown"`` frame (path, stage, mean_ms, p50_ms, p99_ms, share), one bar per
path, its stages stacked in the order the frame lists them, each labelled with its value.

Caveat stated on the chart: means add up to the mean total, percentiles do not - the sum of the
stages' p99s is an upper bound on, not the value of, the total p99.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from eventsim.plots.style import (
    PALETTE,
    as_frame,
    new_axes,
    no_data,
    require_columns,
    text_color_on,
)

PATHS = ("produce", "consume")
STATS = ("mean_ms", "p50_ms", "p99_ms", "share")
_STAT_NAMES = {"mean_ms": "mean", "p50_ms": "p50", "p99_ms": "p99", "share": "share"}
_HATCHES = ("", "//", "..", "xx")
#: Fill colours for stages: the palette without black, so value labels stay readable on every fill.
BAR_COLORS = tuple(c for c in PALETTE if c != "#000000")


def _fmt(value: float, stat: str) -> str:
    if not np.isfinite(value):
        return "n/a"
    if stat == "share":
        return f"{value:.0%}"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.3g} ms"


def latency_breakdown(
    data: Any,
    path: str | None = None,
    stat: str = "mean_ms",
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Stacked horizontal bar of stage times for ``path`` ("produce", "consume", or None for both).

    ``data`` is a Result or its ``"breakdown"`` frame. ``stat`` is one of mean_ms, p50_ms, p99_ms
    or share. Stages keep the frame's order; segments wide enough carry their value, narrower ones
    give it in the legend. Returns the Axes (one bar patch per stage).
    """
    if path is not None and path not in PATHS:
        raise ValueError(f"path={path!r} is invalid (allowed: {', '.join(PATHS)} or None for both)")
    if stat not in STATS:
        raise ValueError(f"stat={stat!r} is invalid (allowed: {', '.join(STATS)})")
    df = as_frame(data, "breakdown")
    require_columns(df, ["path", "stage", stat], "breakdown")
    if path is not None:
        if not (df["path"] == path).any():
            have = ", ".join(map(str, df["path"].unique())) or "none"
            raise ValueError(f"path {path!r} is not in the 'breakdown' frame (paths: {have})")
        paths = [path]
    else:
        paths = [p for p in dict.fromkeys(df["path"].tolist())]

    ax = new_axes(ax)
    rows = []  # (path, [(stage, value), ...])
    for p in paths:
        sub = df[df["path"] == p]
        values = sub[stat].to_numpy(dtype=float)
        rows.append((p, list(zip(sub["stage"].tolist(), values, strict=True))))
    totals = [float(np.nansum([v for _, v in stages])) for _, stages in rows]
    longest = max(totals, default=0.0)
    if longest <= 0:
        no_data(ax)

    # Colours restart on each path; the second path is hatched so its stages are not read as the
    # first path's (and so is any stage beyond the palette's length).
    for y, (p, stages) in enumerate(rows):
        left = 0.0
        for i, (stage, value) in enumerate(stages):
            width = value if np.isfinite(value) and value > 0 else 0.0
            fill = BAR_COLORS[i % len(BAR_COLORS)]
            hatch = _HATCHES[(y + i // len(BAR_COLORS)) % len(_HATCHES)]
            wide = longest > 0 and width >= 0.07 * longest
            name = stage.replace("_", " ")
            label = name if wide else f"{name} ({_fmt(value, stat)})"
            if len(paths) > 1:
                label = f"{p}: {label}"
            ax.barh(
                y,
                width,
                left=left,
                height=0.6,
                color=fill,
                hatch=hatch,
                edgecolor="white",
                linewidth=1.0,
                label=label,
            )
            if wide:
                rgba = ax.patches[-1].get_facecolor()
                ax.text(
                    left + width / 2,
                    y,
                    _fmt(value, stat),
                    ha="center",
                    va="center",
                    fontsize=9,
                    color=text_color_on(rgba),
                )
            left += width
        if stat != "share":
            ax.text(left, y, f"  {_fmt(left, stat)} total", ha="left", va="center", fontsize=9)

    ax.set_yticks(range(len(rows)), [p for p, _ in rows])
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)  # first path on top
    ax.grid(False, axis="y")
    ax.set_ylabel("path")
    if stat == "share":
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        ax.set_xlabel("share of latency (%)")
    else:
        ax.set_xlim(0, longest * 1.18 if longest > 0 else 1.0)
        ax.set_xlabel(f"time in stage (ms, {_STAT_NAMES[stat]})")
    if title is None:
        what = f"{paths[0]} latency" if len(paths) == 1 else "latency"
        title = f"Where {what} goes ({_STAT_NAMES[stat]} per stage)"
        if stat in ("p50_ms", "p99_ms"):
            title += "; percentiles do not add up"
    ax.set_title(title)
    if ax.patches:
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.18),
            ncol=min(len(ax.patches), 3),
            frameon=False,
        )
    return ax
