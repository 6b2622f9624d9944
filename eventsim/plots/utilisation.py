"""Broker resource charts: utilisation over time, a broker x resource heatmap, queue depth.

What Kafka does: a broker has a pool of network threads (``num.network.threads``, the
``SocketServer`` processors) that read requests into one shared request queue
(``RequestChannel``, bounded by ``queued.max.requests``), and a pool of I/O (request handler)
threads (``num.io.threads``, ``KafkaRequestHandlerPool``) that execute them against the log on
disk. Operators watch ``NetworkProcessorAvgIdlePercent``, ``RequestHandlerAvgIdlePercent`` and
``RequestQueueSize`` (``kafka.network:type=RequestChannel``), plus host disk and NIC utilisation.

What is drawn, from the ``"brokers"`` frame (time_s, broker, resource, utilisation,
queue_depth_mean, queue_depth_max), one row per window, broker and resource:

* :func:`utilisation_over_time` - busy fraction (1 - idle) per window, in percent: by default one line
  per resource type (mean over brokers, band from the least to the busiest broker), the busiest types
  only; or the busiest (broker, resource) pairs; or one resource per broker. At normal load (every
  resource far below saturation) the axis zooms to the data and says so, instead of fifteen lines
  overlapping near 1 %;
* :func:`utilisation_heatmap` - the run's mean (or peak) utilisation, broker x resource, annotated;
* :func:`queue_depth_over_time` - mean waiting requests per window, with the window maximum dotted.

``request_queue`` is a queue, not a server: its utilisation is NaN, so it appears only in the
queue-depth chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from eventsim.plots.style import (
    HEATMAP_CMAP,
    as_frame,
    color,
    floor_at_zero,
    format_window,
    infer_window_s,
    new_axes,
    no_data,
    place_legend,
    require_columns,
    step_line,
    text_color_on,
)

#: Resources in the order a produce request meets them.
RESOURCES = ("network_threads", "request_queue", "io_threads", "disk", "nic_in", "nic_out")


def _ordered(found: Sequence[str]) -> list[str]:
    known = [r for r in RESOURCES if r in found]
    return known + sorted(r for r in found if r not in RESOURCES)


def _utilised_resources(df: Any) -> list[str]:
    """Resources with at least one non-NaN utilisation value, in RESOURCES order."""
    has_value = df.groupby("resource")["utilisation"].apply(lambda s: s.notna().any())
    return _ordered([r for r, ok in has_value.items() if ok])


def _pick_brokers(df: Any, broker: int | Sequence[int] | None) -> Any:
    if broker is None:
        return df
    wanted = [broker] if np.isscalar(broker) else list(broker)
    unknown = [b for b in wanted if b not in set(df["broker"].unique())]
    if unknown:
        have = ", ".join(map(str, sorted(df["broker"].unique())))
        raise ValueError(f"broker(s) {unknown} not in the 'brokers' frame (brokers: {have})")
    return df[df["broker"].isin(wanted)]


def _resource_list(resource: str | Sequence[str] | None, allowed: list[str], what: str) -> list[str]:
    if resource is None:
        return allowed
    wanted = [resource] if isinstance(resource, str) else list(resource)
    bad = [r for r in wanted if r not in allowed]
    if bad:
        hint = ""
        if "request_queue" in bad and what == "utilisation":
            hint = " (request_queue has no utilisation: use queue_depth_over_time)"
        raise ValueError(f"resource(s) {', '.join(bad)} have no {what}{hint}; allowed: {', '.join(allowed)}")
    return wanted


def percent(v: float) -> str:
    """A utilisation for a label: '0.18 %', '2.1 %', '52 %' (never a bare '0 %' for a small busy share)."""
    if not np.isfinite(v):
        return "n/a"
    pct = 100.0 * v
    if pct == 0:
        return "0 %"
    if pct < 1:
        return f"{pct:.2g} %"
    if pct < 10:
        return f"{pct:.1f} %"
    return f"{pct:.0f} %"


def _nice_top(peak: float) -> float:
    """A round upper limit a little above ``peak`` (a fraction): 0.0025, 0.005, 0.01, 0.02, 0.05 ..."""
    target = max(peak * 1.15, 1e-4)
    scale = 10.0 ** np.floor(np.log10(target))
    for step in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if step * scale >= target:
            return float(step * scale)
    return float(10 * scale)


def _finish_scale(ax: Axes, peak: float, zoom: bool) -> None:
    """0..100 % with the saturation line labelled, or - when everything is far below it - an axis zoomed
    to the data with a note saying so, so that a 2 % line does not read as a busy resource."""
    ax.set_ylabel("utilisation (% of time busy)")
    if zoom and np.isfinite(peak) and peak < ZOOM_BELOW:
        top = _nice_top(peak)
        ax.set_ylim(0, top)
        ax.yaxis.set_major_formatter(PERCENT_TICKS)
        ax.text(
            0.995,
            0.98,
            f"axis zoomed to 0-{percent(top)}: 100 % (saturated) is far above",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
            color="#555555",
        )
    else:
        ax.set_ylim(0, 1.08)
        ax.yaxis.set_major_formatter(PERCENT_TICKS)
        ax.axhline(1.0, color="#444444", linestyle="--", linewidth=1.0, label="saturated (100 %)")


#: Tick labels of a utilisation axis (a fraction): '0.5 %', '2 %', '100 %'.
PERCENT_TICKS = FuncFormatter(lambda v, _pos: f"{100 * v:.4g} %")

#: Below this peak utilisation the time chart zooms its axis to the data (with a note).
ZOOM_BELOW = 0.5


def utilisation_over_time(
    data: Any,
    resource: str | Sequence[str] | None = None,
    ax: Axes | None = None,
    broker: int | Sequence[int] | None = None,
    title: str | None = None,
    by: str = "type",
    top: int = 5,
    zoom: bool = True,
) -> Axes:
    """Utilisation (share of time busy, in %) per window of the brokers' resources.

    ``data`` is a Result or its ``"brokers"`` frame. ``by`` chooses what a line is:

    * ``"type"`` (the default): one line per resource type (network threads, I/O threads, disk, NIC in,
      NIC out), the mean over the brokers, with a band from the least to the busiest broker; the legend
      gives each type's mean over the run, busiest first, and only the ``top`` busiest types are drawn.
    * ``"busiest"``: the ``top`` busiest (broker, resource) pairs, one line each.
    * ``"broker"``: one line per broker (the ``top`` busiest brokers if there are more) for one
      resource; the default when ``resource`` names a single resource.

    ``resource`` limits the chart to one resource or a list; ``broker`` to some brokers. When every
    value is far below saturation (peak under 50 %) the axis is zoomed to the data and a note says so
    (``zoom=False`` keeps 0-100 %); otherwise 100 % is drawn as a labelled line. The default title names
    the busiest resource and its mean. For the run's means at a glance, see :func:`utilisation_heatmap`.
    Returns the Axes.
    """
    df = as_frame(data, "brokers")
    require_columns(df, ["time_s", "broker", "resource", "utilisation"], "brokers")
    df = _pick_brokers(df, broker)
    resources = _resource_list(resource, _utilised_resources(df), "utilisation")
    if isinstance(resource, str) and by == "type":
        by = "broker"
    if by not in ("type", "busiest", "broker"):
        raise ValueError(f"by={by!r} is invalid (allowed: type, busiest, broker)")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"top={top!r} is invalid: an integer >= 1")
    ax = new_axes(ax)
    df = df[df["resource"].isin(resources)]
    width = infer_window_s(df["time_s"])
    brokers = sorted(df["broker"].unique())
    slot = {r: i for i, r in enumerate(RESOURCES)}
    peak = 0.0
    busiest = None  # (label, mean) for the title
    if not df.empty:
        if by == "type":
            per = df.groupby(["resource", "time_s"])["utilisation"]
            mean, low, high = per.mean(), per.min(), per.max()
            run_mean = df.groupby("resource")["utilisation"].mean()
            order = sorted(resources, key=lambda r: -run_mean.get(r, 0.0))[:top]
            for r in order:
                t = mean[r].index.to_numpy(dtype=float)
                tint = color(slot.get(r, len(RESOURCES) + resources.index(r)))
                name = r.replace("_", " ")
                step_line(ax, t, mean[r].to_numpy(dtype=float), width, color=tint,
                          label=f"{name} ({percent(run_mean[r])})")  # fmt: skip
                if len(brokers) > 1:
                    lo = np.append(low[r].to_numpy(dtype=float), low[r].iloc[-1])
                    hi = np.append(high[r].to_numpy(dtype=float), high[r].iloc[-1])
                    edges = np.append(t, t[-1] + width)
                    ax.fill_between(edges, lo, hi, step="post", color=tint, alpha=0.18, linewidth=0)
                peak = max(peak, float(np.nanmax(high[r].to_numpy(dtype=float))))
            busiest = (order[0].replace("_", " "), float(run_mean[order[0]]))
            what = f"mean of {len(brokers)} brokers, band: least to busiest" if len(brokers) > 1 else None
        else:
            run_mean = df.groupby(["broker", "resource"])["utilisation"].mean().dropna()
            if by == "broker":
                run_mean = run_mean[run_mean.index.get_level_values("resource").isin(resources[:1])]
            pairs = sorted(run_mean.index, key=lambda k: (-run_mean[k], k))[:top]
            shown_brokers = sorted({b for b, _ in pairs})
            for b, r in sorted(pairs, key=lambda k: -run_mean[k]):
                sub = df[(df["resource"] == r) & (df["broker"] == b)].sort_values("time_s")
                if by == "broker":
                    label, tint = f"broker {b}", color(shown_brokers.index(b))
                else:
                    label, tint = f"broker {b} {r.replace('_', ' ')}", color(pairs.index((b, r)))
                step_line(ax, sub["time_s"], sub["utilisation"], width, color=tint,
                          label=f"{label} ({percent(run_mean[(b, r)])})")  # fmt: skip
                peak = max(peak, float(np.nanmax(sub["utilisation"].to_numpy(dtype=float))))
            b, r = pairs[0]
            busiest = (f"{r.replace('_', ' ')} of broker {b}", float(run_mean[(b, r)]))
            total = len(brokers) if by == "broker" else len(run_mean)
            what = f"the {len(pairs)} busiest of {total}" if len(pairs) < total else None
    if not ax.get_lines():
        no_data(ax)
    _finish_scale(ax, peak, zoom)
    ax.set_xlabel("simulated time (s)")
    if title is None:
        if busiest is None:
            title = "Broker resource utilisation"
        else:
            state = "saturated" if peak >= 0.95 else ("busy" if peak >= ZOOM_BELOW else "far from saturated")
            title = f"Busiest: {busiest[0]}, {percent(busiest[1])} busy on average ({state})"
    ax.set_title(title)
    if ax.get_lines():
        ax.legend(
            loc="upper left", bbox_to_anchor=(1.01, 1.0), title=what, title_fontsize=9, alignment="left"
        )
    return ax


def utilisation_heatmap(
    data: Any, ax: Axes | None = None, title: str | None = None, stat: str = "mean"
) -> Axes:
    """Utilisation over the run, one cell per broker (row) and resource (column), annotated in %.

    ``data`` is a Result or its ``"brokers"`` frame. ``stat`` is ``"mean"`` (the run's mean) or
    ``"max"`` (the busiest window). Resources without utilisation (the request queue) are left out.
    The colour scale is fixed at 0-100 %, so an idle cluster looks idle; the annotations keep small
    shares readable (0.18 %, not 0 %). The default title names the busiest cell. Returns the Axes.
    """
    if stat not in ("mean", "max"):
        raise ValueError(f"stat={stat!r} is invalid (allowed: mean, max)")
    df = as_frame(data, "brokers")
    require_columns(df, ["broker", "resource", "utilisation"], "brokers")
    resources = _utilised_resources(df)
    ax = new_axes(ax)
    word = "Mean" if stat == "mean" else "Peak (busiest window)"
    if not resources:
        no_data(ax)
        ax.set_xlabel("resource")
        ax.set_ylabel("broker")
        ax.set_title(title if title is not None else f"{word} utilisation per broker and resource")
        return ax
    table = df.groupby(["broker", "resource"])["utilisation"].agg(stat).unstack("resource")
    table = table.reindex(columns=resources).sort_index()
    values = table.to_numpy(dtype=float)
    brokers = list(table.index)

    im = ax.imshow(values, cmap=HEATMAP_CMAP, vmin=0.0, vmax=1.0, aspect="auto")
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(range(len(resources)), [r.replace("_", " ") for r in resources])
    ax.set_yticks(range(len(brokers)), [f"broker {b}" for b in brokers])
    ax.tick_params(length=0)
    cmap = im.get_cmap()
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if np.isfinite(v):
                ax.text(j, i, percent(v), ha="center", va="center", color=text_color_on(cmap(v)))
            else:
                ax.text(j, i, "n/a", ha="center", va="center", color="#777777")
    cbar = ax.figure.colorbar(im, ax=ax, format=PERCENT_TICKS, fraction=0.05, pad=0.02)
    cbar.set_label(f"{stat} utilisation (% of time busy)")
    cbar.outline.set_visible(False)
    ax.set_xlabel("resource")
    ax.set_ylabel("broker")
    if title is None:
        if np.isfinite(values).any():
            i, j = np.unravel_index(np.nanargmax(values), values.shape)
            where = f"{resources[j].replace('_', ' ')} of broker {brokers[i]}"
            title = f"{word} utilisation: busiest is {where}, {percent(values[i, j])}"
        else:
            title = f"{word} utilisation per broker and resource"
    ax.set_title(title)
    return ax


def queue_depth_over_time(
    data: Any,
    resource: str = "request_queue",
    ax: Axes | None = None,
    broker: int | Sequence[int] | None = None,
    show_max: bool = True,
    title: str | None = None,
) -> Axes:
    """Mean queue depth per window for ``resource``, one line per broker.

    ``data`` is a Result or its ``"brokers"`` frame. With ``show_max`` each window's
    maximum (``queue_depth_max``) is drawn as a dotted line in the broker's colour (unlabelled, so the
    legend lists brokers only). Returns the Axes.
    """
    df = as_frame(data, "brokers")
    needed = ["time_s", "broker", "resource", "queue_depth_mean"] + (["queue_depth_max"] if show_max else [])
    require_columns(df, needed, "brokers")
    df = _pick_brokers(df, broker)
    if not df.empty:
        _resource_list(resource, _ordered(list(df["resource"].unique())), "rows")
    df = df[df["resource"] == resource]
    ax = new_axes(ax)
    width = infer_window_s(df["time_s"])
    for bi, b in enumerate(sorted(df["broker"].unique())):
        sub = df[df["broker"] == b].sort_values("time_s")
        t = sub["time_s"].to_numpy(dtype=float)
        mean = sub["queue_depth_mean"].to_numpy(dtype=float)
        step_line(ax, t, mean, width, color=color(bi), label=f"broker {b}")
        if show_max:
            peak = sub["queue_depth_max"].to_numpy(dtype=float)
            step_line(ax, t, peak, width, color=color(bi), linestyle=":", linewidth=1.2, label=f"_max {b}")
    if df.empty:
        no_data(ax)
    floor_at_zero(ax)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("queue depth (requests)")
    if resource == "request_queue":
        name = "Request queue"
    else:
        name = f"{resource.replace('_', ' ').capitalize()} queue"
    band = " (dotted: window max)" if show_max else ""
    ax.set_title(title if title is not None else f"{name} depth per {format_window(width)} window{band}")
    place_legend(ax)
    return ax
