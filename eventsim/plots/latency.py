"""Latency charts: per-window percentiles over time, and the whole-run latency CDF.

What Kafka does: the producer reports request latency (``request-latency-avg``/``-max`` in
``producer-metrics``), and Kafka's own ``ProducerPerformance`` tool reports the time from ``send()``
to the completion callback as avg/p50/p95/p99/p99.9 (``tools/.../ProducerPerformance.java``).
End-to-end latency (produce call to the record being consumed) is measured by Kafka's
``EndToEndLatency`` tool and, for Streams, by the ``record-e2e-latency`` metrics of KIP-613.

What is drawn: the simulated equivalents from the eventsim frames - ``produce`` latency (record
creation to acknowledgement) and ``e2e`` latency (record creation to consumption):

* :func:`latency_over_time` - ``{kind}_latency_{p}_ms`` of the ``"timeseries"`` frame per window, as
  step lines (a window's percentile holds across its window);
* :func:`latency_cdf` - the ``"latency_cdf"`` frame on a log latency axis, with p50 and p99 marked.

Not drawn: percentiles are never averaged or combined across topics or windows (a mean of p99s is
not a p99); with several topics each topic gets its own lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from eventsim.plots.style import (
    LINESTYLES,
    as_frame,
    color,
    floor_at_zero,
    format_window,
    infer_window_s,
    new_axes,
    no_data,
    place_legend,
    plain_log_axis,
    require_columns,
    select_topic,
    step_line,
    topics_of,
)

KINDS = ("produce", "e2e")
KIND_LABELS = {"produce": "Produce", "e2e": "End-to-end"}


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is invalid (allowed: {', '.join(KINDS)})")


def latency_over_time(
    data: Any,
    kind: str = "produce",
    percentiles: Sequence[str] = ("p50", "p99"),
    topic: str | None = None,
    ax: Axes | None = None,
    logy: bool = False,
    title: str | None = None,
) -> Axes:
    """Per-window latency percentiles of ``kind`` ("produce" or "e2e") against simulated time.

    ``data`` is a Result or its ``"timeseries"`` frame. One line per percentile (and per topic when
    ``topic`` is None and the frame has several). Windows without records are gaps. Returns the Axes.
    """
    _check_kind(kind)
    if isinstance(percentiles, str):
        percentiles = (percentiles,)
    df = as_frame(data, "timeseries")
    columns = [f"{kind}_latency_{p}_ms" for p in percentiles]
    available = sorted(c for c in df.columns if c.startswith(f"{kind}_latency_") and c.endswith("_ms"))
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"percentile column(s) {', '.join(missing)} not in the 'timeseries' frame "
            f"(available: {', '.join(available) or 'none'})"
        )
    require_columns(df, ["time_s"], "timeseries")
    df = select_topic(df, topic, "timeseries")
    ax = new_axes(ax)
    width = infer_window_s(df["time_s"])

    topics = topics_of(df)
    several = len(topics) > 1
    for ti, t in enumerate(topics):
        sub = df if t is None else df[df["topic"] == t]
        sub = sub.sort_values("time_s")
        for pi, (p, col) in enumerate(zip(percentiles, columns, strict=True)):
            if several:
                label = f"{t} {p}"
                style = {"color": color(ti), "linestyle": LINESTYLES[pi % len(LINESTYLES)]}
            else:
                label = p
                style = {"color": color(pi)}
            step_line(ax, sub["time_s"], sub[col], width, label=label, **style)

    if df.empty:
        no_data(ax)
    if logy:
        ax.set_yscale("log")
        plain_log_axis(ax.yaxis)
    else:
        floor_at_zero(ax)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("latency (ms)")
    where = f" on {topic}" if topic is not None else ""
    if title is None:
        shown = ", ".join(percentiles)
        title = f"{KIND_LABELS[kind]} latency{where} ({shown}) per {format_window(width)} window"
    ax.set_title(title)
    place_legend(ax)
    return ax


def quantile_from_cdf(latency_ms: Any, cdf: Any, q: float) -> float:
    """The latency at cumulative fraction ``q`` of a tabulated CDF, by linear interpolation.

    Points are sorted by latency; NaN if the table is empty.
    """
    x = np.asarray(latency_ms, dtype=float)
    y = np.asarray(cdf, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    x, y = x[order], np.maximum.accumulate(y[order])
    return float(np.interp(q, y, x))


def _fmt_ms(v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    if v >= 100:
        return f"{v:,.0f} ms"
    return f"{v:.3g} ms"


def latency_cdf(
    data: Any,
    kinds: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    label: str | None = None,
) -> Axes:
    """Cumulative distribution of latency for each of ``kinds`` on a log latency axis.

    ``label`` names the run in the legend, to compare runs on one Axes (``latency_cdf(r, ax=ax,
    label="acks=all")`` for each run): each call takes the next colour and line style.

    ``data`` is a Result or its ``"latency_cdf"`` frame (kind, latency_ms, cdf). ``kinds=None`` draws
    every kind the frame has (a run without consumers has no e2e latency); naming a kind the frame
    lacks is an error. p50 and p99 of each kind are marked on its curve and given in the legend.
    Latencies <= 0 cannot sit on a log axis and are left out. Returns the Axes.
    """
    if isinstance(kinds, str):
        kinds = (kinds,)
    for k in kinds or ():
        _check_kind(k)
    df = as_frame(data, "latency_cdf")
    require_columns(df, ["kind", "latency_ms", "cdf"], "latency_cdf")
    present = set(df["kind"].unique())
    if kinds is None:
        kinds = [k for k in KINDS if k in present]
    absent = [k for k in kinds if k not in present]
    if absent:
        raise ValueError(
            f"kind(s) {', '.join(absent)} not in the 'latency_cdf' frame "
            f"(present: {', '.join(sorted(map(str, present))) or 'none'})"
        )
    ax = new_axes(ax)
    first = len([ln for ln in ax.get_lines() if not ln.get_label().startswith("_")])
    if "p50" not in {t.get_text() for t in ax.texts}:  # the reference lines once per Axes, labelled
        for q, name in ((0.5, "p50"), (0.99, "p99")):
            ax.axhline(q, color="#999999", linewidth=0.8, linestyle=":", zorder=1)
            ax.annotate(name, (1.0, q), xycoords=("axes fraction", "data"), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=9, color="#777777")  # fmt: skip
    for j, k in enumerate(kinds):
        i = first + j
        sub = df[df["kind"] == k].sort_values("latency_ms")
        x = sub["latency_ms"].to_numpy(dtype=float)
        y = sub["cdf"].to_numpy(dtype=float)
        if callable(getattr(data, "latency", None)):  # a Result: the same percentiles as summary()
            hist = data.latency(k)
            p50, p99 = hist.percentile(50), hist.percentile(99)
        else:
            p50 = quantile_from_cdf(x, y, 0.5)
            p99 = quantile_from_cdf(x, y, 0.99)
        positive = x > 0
        what = KIND_LABELS[k].lower() if label is None or len(kinds) > 1 else ""
        name = ", ".join(part for part in (label, what) if part)
        text = f"{name} (p50 {_fmt_ms(p50)}, p99 {_fmt_ms(p99)})"
        ax.plot(x[positive], y[positive], color=color(i), label=text, zorder=3,
                linestyle=LINESTYLES[i % len(LINESTYLES)] if label is not None else "-")  # fmt: skip
        marks = np.array([p50, p99])
        ok = np.isfinite(marks) & (marks > 0)
        ax.scatter(
            marks[ok],
            np.array([0.5, 0.99])[ok],
            color=color(i),
            edgecolor="white",
            s=40,
            zorder=4,
        )
    if not kinds:
        no_data(ax)
    ax.set_xscale("log")
    plain_log_axis(ax.xaxis)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("fraction of records")
    ax.set_title(title if title is not None else "Latency distribution (dotted lines: p50, p99)")
    place_legend(ax, loc="upper left")  # a CDF rises to the right: the upper left stays empty
    return ax
