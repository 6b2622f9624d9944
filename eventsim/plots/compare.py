"""Trade-off charts for parameter sweeps: one metric (or two) against one varied setting.

What Kafka does: its tuning guidance is a set of trade-offs - a larger ``linger.ms`` or
``batch.size`` buys throughput with latency, ``acks=all`` buys durability with latency,
compression buys network and disk with CPU (see the producer configs in the Kafka documentation
and the ``ProducerPerformance`` tool used to measure them).

What is drawn: a sweep summary DataFrame - one row per run, one column per setting and metric,
as built by ``eventsim.sweep`` from ``Result.summary()`` - as line-and-marker charts:

* :func:`tradeoff` - ``y`` (one column or several) against ``x``, optionally one line per value of
  a ``hue`` column (e.g. ``acks``), optionally annotating each point;
* :func:`tradeoff_twin` - two metrics with different units on left and right axes against ``x``;
* :func:`sweep` - ``y`` against ``x`` from ``eventsim.sweep``: replicated runs as their mean with an
  error bar (or a given ``yerr`` column), one line per ``hue`` value, and an optional labelled theory
  curve to check the runs against;
* :func:`bars` - grouped bars of one or more columns per row label (e.g. per codec or per run), with
  each bar's value written on it.

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


def sweep(
    frame: Any,
    x: str,
    y: str,
    hue: str | None = None,
    yerr: str | None = None,
    theory: Any = None,
    theory_label: str = "theory",
    ax: Axes | None = None,
    logx: bool = False,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """``y`` against ``x`` from a sweep DataFrame (``eventsim.sweep``), one line per ``hue`` value.

    Rows with the same ``x`` (and ``hue``) - replications over seeds - are drawn as their mean with an
    error bar of 1.96 standard errors (a 95 % confidence interval, labelled so); ``yerr`` names a column
    of half-widths to use instead. ``theory`` is a callable of x (drawn as a smooth curve over the swept
    range) or a pair ``(xs, ys)``, labelled ``theory_label``. Returns the Axes.
    """
    df = _summary_frame(frame)
    require_columns(df, [x, y] + ([hue] if hue else []) + ([yerr] if yerr else []), "sweep")
    ax = new_axes(ax)
    groups = [(None, df)] if hue is None else list(df.groupby(hue, sort=True))
    replicated = False
    for gi, (key, sub) in enumerate(groups):
        agg = sub.groupby(x, sort=True)[y].agg(["mean", "std", "count"])
        xs = agg.index.to_numpy()
        ys = agg["mean"].to_numpy(dtype=float)
        if yerr is not None:
            err = sub.groupby(x, sort=True)[yerr].mean().to_numpy(dtype=float)
        elif (agg["count"] > 1).any():
            replicated = True
            err = (1.96 * agg["std"] / np.sqrt(agg["count"])).fillna(0.0).to_numpy(dtype=float)
        else:
            err = None
        name = f"{hue}={key}" if hue is not None else column_label(y)
        if err is not None:
            ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, color=color(gi), label=name)
        else:
            ax.plot(xs, ys, marker="o", color=color(gi), label=name)
    if theory is not None and not df.empty:
        if callable(theory):
            lo, hi = float(np.min(df[x])), float(np.max(df[x]))
            grid = np.geomspace(lo, hi, 200) if logx and lo > 0 else np.linspace(lo, hi, 200)
            tx, ty = grid, np.asarray([theory(v) for v in grid], dtype=float)
        else:
            tx, ty = (np.asarray(v, dtype=float) for v in theory)
        ax.plot(tx, ty, color="#444444", linestyle="--", linewidth=1.4, label=theory_label)
    if df.empty:
        no_data(ax)
    if logx:
        ax.set_xscale("log")
        plain_log_axis(ax.xaxis)
    ax.set_xlabel(xlabel if xlabel is not None else column_label(x))
    ax.set_ylabel(ylabel if ylabel is not None else column_label(y))
    if title is None:
        title = f"{column_name(y)} vs {column_name(x)}"
        title = title[0].upper() + title[1:]
        if replicated:
            title += " (mean, 95 % CI over seeds)"
    ax.set_title(title)
    if hue is not None or theory is not None or yerr is not None or replicated:
        place_legend(ax, loc="best")
    return ax


def bars(
    frame: Any,
    label: str,
    y: str | Sequence[str],
    horizontal: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    values: bool = True,
) -> Axes:
    """Grouped bars: one group per row (named by its ``label`` column), one bar per column of ``y``.

    For comparing a few runs or settings side by side (codecs, acks, partitioners). The columns of ``y``
    should share a unit; each bar's value is written at its end (``values=False`` leaves them off).
    Horizontal by default, so long labels stay readable. Returns the Axes.
    """
    df = _summary_frame(frame)
    ys = [y] if isinstance(y, str) else list(y)
    if not ys:
        raise ValueError("y must name at least one column")
    require_columns(df, [label, *ys], "comparison")
    ax = new_axes(ax)
    n = len(ys)
    pos = np.arange(len(df))
    width = 0.8 / n
    for i, col in enumerate(ys):
        vals = df[col].to_numpy(dtype=float)
        offset = pos + (i - (n - 1) / 2) * width
        draw = ax.barh if horizontal else ax.bar
        container = draw(offset, vals, width, color=color(i), label=column_label(col) if n > 1 else None)
        if values:
            ax.bar_label(container, labels=[format_number(v) for v in vals], padding=3, fontsize=9)
    names = [str(v) for v in df[label]]
    if horizontal:
        ax.set_yticks(pos, names)
        ax.invert_yaxis()
        ax.grid(False, axis="y")
        ax.margins(x=0.15)
        ax.set_ylabel(column_label(label))
        ax.set_xlabel(xlabel if xlabel is not None else _shared_label(ys))
    else:
        ax.set_xticks(pos, names)
        ax.grid(False, axis="x")
        ax.margins(y=0.15)
        ax.set_xlabel(column_label(label))
        ax.set_ylabel(xlabel if xlabel is not None else _shared_label(ys))
    if df.empty:
        no_data(ax)
    if title is None:
        title = f"{', '.join(column_name(c) for c in ys)} by {column_name(label)}"
        title = title[0].upper() + title[1:]
    ax.set_title(title)
    if n > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def _shared_label(columns: Sequence[str]) -> str:
    """One axis label for columns sharing a unit: their common leading words and the unit
    (``produce_latency_p50_ms``, ``produce_latency_p99_ms`` -> 'produce latency (ms)')."""
    if len(columns) == 1:
        return column_label(columns[0])
    labels = [column_label(c) for c in columns]
    units = {lab.rsplit(" (", 1)[1] if lab.endswith(")") else "" for lab in labels}
    words = [column_name(c).split() for c in columns]
    common = []
    for group in zip(*words, strict=False):
        if len(set(group)) > 1:
            break
        common.append(group[0])
    stem = " ".join(common) or "value"
    unit = units.pop() if len(units) == 1 else ""
    return f"{stem} ({unit}" if unit else stem
