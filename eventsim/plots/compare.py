"""Trade-off charts for parameter sweeps: one metric (or two) against one varied setting.

What Kafka does: its tuning guidance is a set of trade-offs - a larger ``linger.ms`` or
``batch.size`` buys throughput with latency, ``acks=all`` buys durability with latency,
compression buys network and disk with CPU (see the producer configs in the Kafka documentation
and the ``ProducerPerformance`` tool used to measure them).

What is drawn: a sweep summary DataFrame - one row per run, one column per setting and metric,
as built by ``eventsim.sweep`` from ``Result.summary()`` - as line-and-marker charts:

* :func:`tradeoff` - ``y`` (one column or several) against ``x``, optionally one line per value of
  a ``hue`` column (e.g. ``acks``), optionally annotating each point;
* :func:`tradeoff_twin` - two metrics with different units on left and right axes against ``x``.

Axis labels come from the column names and their unit suffixes (``linger_ms`` -> "linger (ms)").
Points are drawn in increasing ``x``; several rows with the same ``x`` (replications) are all drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from eventsim.plots.style import (
    LINESTYLES,
    color,
    column_label,
    column_name,
    format_number,
    new_axes,
    no_data,
    place_legend,
    plain_log_axis,
    require_columns,
)


def _summary_frame(frame: Any) -> Any:
    if hasattr(frame, "columns"):
        return frame
    summary = getattr(frame, "summary", None)
    if callable(summary):
        return summary()
    raise TypeError(f"expected a sweep summary DataFrame, got {type(frame).__name__}")


def _annotate(ax: Axes, xs: Any, ys: Any, texts: Any, tint: str) -> None:
    for xv, yv, tv in zip(xs, ys, texts, strict=True):
        if isinstance(yv, float | np.floating) and not np.isfinite(yv):
            continue
        ax.annotate(
            format_number(tv),
            (xv, yv),
            xytext=(4, 5),
            textcoords="offset points",
            fontsize=8.5,
            color=tint,
        )


def tradeoff(
    frame: Any,
    x: str,
    y: str | Sequence[str],
    hue: str | None = None,
    ax: Axes | None = None,
    annotate: str | bool | None = None,
    logx: bool = False,
    logy: bool = False,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Line-and-marker plot of ``y`` against ``x`` from a sweep summary DataFrame.

    ``y`` is a column or a list of columns sharing a unit (one line each). ``hue`` names a column
    whose distinct values each get a line (colour by hue value, line style by y column).
    ``annotate`` is None, True (write each point's y value) or a column name (write that column's
    value, e.g. ``"throughput_records_per_s"``). Returns the Axes.
    """
    df = _summary_frame(frame)
    ys = [y] if isinstance(y, str) else list(y)
    if not ys:
        raise ValueError("y must name at least one column")
    needed = [x, *ys] + ([hue] if hue else []) + ([annotate] if isinstance(annotate, str) else [])
    require_columns(df, needed, "sweep summary")
    ax = new_axes(ax)
    groups = [(None, df)] if hue is None else list(df.groupby(hue, sort=True))
    for gi, (key, sub) in enumerate(groups):
        sub = sub.sort_values(x, kind="stable")
        for yi, col in enumerate(ys):
            parts = []
            if hue is not None:
                parts.append(f"{hue}={key}")
            if len(ys) > 1:
                parts.append(column_label(col))
            tint = color(gi if hue is not None else yi)
            style = LINESTYLES[yi % len(LINESTYLES)] if hue is not None else "-"
            ax.plot(
                sub[x].to_numpy(),
                sub[col].to_numpy(dtype=float),
                marker="o",
                color=tint,
                linestyle=style,
                label=", ".join(parts) if parts else column_label(col),
            )
            if annotate:
                texts = sub[col if annotate is True else annotate].to_numpy()
                _annotate(ax, sub[x].to_numpy(), sub[col].to_numpy(dtype=float), texts, tint)
    if df.empty:
        no_data(ax)
    if logx:
        ax.set_xscale("log")
        plain_log_axis(ax.xaxis)
    if logy:
        ax.set_yscale("log")
        plain_log_axis(ax.yaxis)
    ax.set_xlabel(xlabel if xlabel is not None else column_label(x))
    ax.set_ylabel(ylabel if ylabel is not None else (column_label(ys[0]) if len(ys) == 1 else "value"))
    if title is None:
        title = f"{', '.join(column_name(c) for c in ys)} vs {column_name(x)}"
        title = title[0].upper() + title[1:]
    ax.set_title(title)
    if hue is not None or len(ys) > 1:
        place_legend(ax)
    return ax


def tradeoff_twin(
    frame: Any,
    x: str,
    y1: str,
    y2: str,
    ax: Axes | None = None,
    logx: bool = False,
    title: str | None = None,
    xlabel: str | None = None,
) -> tuple[Axes, Axes]:
    """Two metrics against ``x``: ``y1`` on the left axis, ``y2`` on a right-hand twin axis.

    For two units on one chart, e.g. throughput (records/s) and p99 latency (ms) against
    ``linger_ms``. Each axis label is coloured like its line. Returns ``(left_axes, right_axes)``.
    """
    df = _summary_frame(frame)
    require_columns(df, [x, y1, y2], "sweep summary")
    ax = new_axes(ax)
    ax2 = ax.twinx()
    sub = df.sort_values(x, kind="stable")
    xs = sub[x].to_numpy()
    (l1,) = ax.plot(xs, sub[y1].to_numpy(dtype=float), marker="o", color=color(0), label=column_label(y1))
    (l2,) = ax2.plot(
        xs, sub[y2].to_numpy(dtype=float), marker="s", linestyle="--", color=color(1), label=column_label(y2)
    )
    if df.empty:
        no_data(ax)
    if logx:
        ax.set_xscale("log")
        plain_log_axis(ax.xaxis)
    ax.set_xlabel(xlabel if xlabel is not None else column_label(x))
    ax.set_ylabel(column_label(y1), color=color(0))
    ax2.set_ylabel(column_label(y2), color=color(1))
    ax.tick_params(axis="y", colors=color(0))
    ax2.tick_params(axis="y", colors=color(1))
    ax2.spines["right"].set_visible(True)
    ax2.spines["top"].set_visible(False)
    ax2.grid(False)
    if title is None:
        title = f"{column_name(y1)} and {column_name(y2)} vs {column_name(x)}"
        title = title[0].upper() + title[1:]
    ax.set_title(title)
    ax.legend(handles=[l1, l2], loc="best")
    return ax, ax2
