"""Throughput over time: records (or MiB) per second in each metrics window.

What Kafka does: the producer reports ``record-send-rate`` and ``byte-rate`` (``producer-metrics``),
the broker ``MessagesInPerSec`` / ``BytesInPerSec`` (``kafka.server:type=BrokerTopicMetrics``) and
the consumer ``records-consumed-rate`` (``consumer-fetch-manager-metrics``); all are rates over a
sampled window (``Sensor`` + ``Rate`` in ``clients/.../common/metrics``).

What is drawn: the ``"timeseries"`` frame holds counts per window (``records_produced``,
``records_acked``, ``records_consumed``, ``bytes_produced``, ``bytes_consumed``) and the derived
``throughput_records_per_s`` / ``throughput_mb_per_s`` (acked). :func:`throughput_over_time`
divides counts by the window length (inferred from the spacing of ``time_s``) and plots columns
already ending in ``_per_s`` as they are. With ``topic=None`` the topics are summed: the cluster-wide
rate. Large rates are shown in thousands or millions, and the axis label says so.

Not drawn: rates finer than a window; a window's rate is its count divided by its length, drawn
flat across the window.
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
    column_label,
    floor_at_zero,
    format_number,
    format_window,
    infer_window_s,
    new_axes,
    no_data,
    place_legend,
    require_columns,
    select_topic,
    step_line,
)

DEFAULT_COLUMNS = ("records_produced", "records_acked", "records_consumed")
MIB = 1024 * 1024
KEEPS_UP = 0.95  # consumed / produced at or above this: the title says the consumers keep up


def _unit_of(column: str) -> str:
    if column.startswith("records_") or column == "throughput_records_per_s":
        return "records"
    if column.startswith("bytes_") or column == "throughput_mb_per_s":
        return "MiB"
    raise ValueError(
        f"cannot plot {column!r} as throughput: use records_* / bytes_* counts or "
        "throughput_records_per_s / throughput_mb_per_s"
    )


def _series_label(column: str) -> str:
    for prefix in ("records_", "bytes_"):
        if column.startswith(prefix):
            return column[len(prefix) :]
    return f"{column_label(column)} (acked)"


def _scale(peak: float) -> tuple[float, str]:
    if peak >= 10_000_000:
        return 1e6, "million "
    if peak >= 10_000:
        return 1e3, "thousand "
    return 1.0, ""


def throughput_over_time(
    data: Any,
    ax: Axes | None = None,
    topic: str | None = None,
    columns: Sequence[str] = DEFAULT_COLUMNS,
    window_s: float | None = None,
    title: str | None = None,
) -> Axes:
    """Rate per window of each of ``columns`` against simulated time.

    ``data`` is a Result or its ``"timeseries"`` frame. Counts are divided by ``window_s`` (inferred
    from ``time_s`` spacing when None; for a single window, from ``records_acked /
    throughput_records_per_s`` if available, else 1 s). Byte counts are shown in MiB/s. All
    columns must share a unit (records or bytes). One line per column. Returns the Axes.
    """
    if isinstance(columns, str):
        columns = (columns,)
    if not columns:
        raise ValueError("columns must name at least one column")
    units = {_unit_of(c) for c in columns}
    if len(units) > 1:
        raise ValueError(f"columns mix records and bytes ({', '.join(columns)}); plot them separately")
    unit = units.pop()
    df = as_frame(data, "timeseries")
    require_columns(df, ["time_s", *columns], "timeseries")
    df = select_topic(df, topic, "timeseries")

    per_window = df.groupby("time_s", sort=True)[list(columns)].sum(min_count=1)
    times = per_window.index.to_numpy(dtype=float)
    if window_s is None:
        window_s = _window_from(df, times)
    if window_s <= 0:
        raise ValueError(f"window_s={window_s} is invalid: must be > 0")

    rates = {}
    for c in columns:
        values = per_window[c].to_numpy(dtype=float)
        if not c.endswith("_per_s"):
            values = values / window_s
            if unit == "MiB":
                values = values / MIB
        rates[c] = values
    peak = max((float(np.nanmax(v)) for v in rates.values() if np.isfinite(v).any()), default=0.0)
    factor, prefix = _scale(peak) if unit == "records" else (1.0, "")

    ax = new_axes(ax)
    per_s = "records/s" if unit == "records" else "MiB/s"
    means = {c: float(np.nanmean(rates[c])) if np.isfinite(rates[c]).any() else float("nan") for c in columns}
    for i, c in enumerate(columns):
        # Produced, acked and consumed usually coincide: distinct dashes and widths keep each visible.
        style = {"linestyle": LINESTYLES[i % len(LINESTYLES)], "linewidth": 2.6 if i == 0 else 1.8}
        label = f"{_series_label(c)} ({format_number(means[c])} {per_s} on average)"
        step_line(ax, times, rates[c] / factor, window_s, label=label, color=color(i), **style)
    if df.empty:
        no_data(ax)
    floor_at_zero(ax)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(f"throughput ({prefix}records/s)" if unit == "records" else "throughput (MiB/s)")
    where = f" on {topic}" if topic is not None else ""
    if title is None:
        first = columns[0]
        title = f"Throughput{where} per {format_window(window_s)} window"
        if np.isfinite(means[first]):
            title += f": {_series_label(first)} {format_number(means[first])} {per_s} on average"
        made, read = means.get("records_produced"), means.get("records_consumed")
        # No consumed record at all: a run without consumers (nothing to say about keeping up).
        known = made is not None and read is not None and np.isfinite(made) and np.isfinite(read)
        if known and made > 0 and read > 0:
            share = read / made
            title += ", consumers keep up" if share >= KEEPS_UP else f", consumers read {share:.0%} of it"
    ax.set_title(title)
    place_legend(ax, loc="lower right")
    return ax


def _window_from(df: Any, times: Any) -> float:
    if len(times) >= 2:
        return infer_window_s(times)
    if {"records_acked", "throughput_records_per_s"} <= set(df.columns):
        acked = df["records_acked"].to_numpy(dtype=float)
        rate = df["throughput_records_per_s"].to_numpy(dtype=float)
        ok = (acked > 0) & (rate > 0)
        if ok.any():
            return float(np.median(acked[ok] / rate[ok]))
    return 1.0


def saturation(results: Sequence[Any], ax: Axes | None = None, title: str | None = None) -> Axes:
    """Offered against acknowledged throughput, one point per run: the saturation curve.

    ``results`` are Results (anything with ``.summary()`` and ``horizon_ms``) of the same scenario at
    different offered rates. Each run is a point at (records offered per second, records acknowledged
    per second), joined in order of offered load; the dotted diagonal is "everything offered is
    acknowledged", and failed records per second are drawn below when any run has them. Past the
    bottleneck the curve leaves the diagonal and runs flat at its capacity; the title names the
    bottleneck of the most loaded run (the summary's busiest resource). Returns the Axes.
    """
    if not results:
        raise ValueError("results must hold at least one run")
    points = []
    for r in results:
        s = r.summary()
        seconds = float(r.horizon_ms) / 1000.0
        points.append(
            (
                float(s["records_offered"].sum()) / seconds,
                float(s["throughput_records_per_s"].sum()),
                float(s["records_failed"].sum()) / seconds,
                str(s["bottleneck"].iloc[0]) if "bottleneck" in s.columns and len(s) else "",
                float(s["bottleneck_utilisation"].iloc[0]) if "bottleneck_utilisation" in s.columns and len(s)
                else float("nan"),
            )
        )
    points.sort(key=lambda p: p[0])
    offered = np.array([p[0] for p in points])
    acked = np.array([p[1] for p in points])
    failed = np.array([p[2] for p in points])
    factor, prefix = _scale(float(max(offered.max(), acked.max())))
    ax = new_axes(ax)
    top = float(offered.max()) / factor
    ax.plot([0, top], [0, top], linestyle=":", color="0.5", linewidth=1.2, label="acknowledged = offered")
    ax.plot(offered / factor, acked / factor, marker="o", color=color(0), linewidth=2.4, label="acknowledged")
    if (failed > 0).any():
        ax.plot(offered / factor, failed / factor, marker="x", linestyle="--", color=color(3), linewidth=1.8,
                label="failed")  # fmt: skip
    floor_at_zero(ax)
    ax.set_xlim(left=0)
    ax.set_xlabel(f"offered ({prefix}records/s)")
    ax.set_ylabel(f"acknowledged ({prefix}records/s)")
    if title is None:
        _, peak, _, where, busy = points[-1]
        title = f"Saturation: at most {format_number(float(acked.max()))} records/s acknowledged"
        if where:
            title += f"; bottleneck {where} ({busy:.0%} busy)"
    ax.set_title(title)
    place_legend(ax, loc="upper left")
    return ax
