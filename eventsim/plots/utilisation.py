"""Broker resource charts: utilisation over time, a broker x resource heatmap, queue depth.

What Kafka does: a broker has a pool of network threads (``num.network.threads``, the
``SocketServer`` processors) that read requests into one shared request queue
(``RequestChannel``, bounded by ``queued.max.requests``), and a pool of I/O (request handler)
threads (``num.io.threads``, ``KafkaRequestHandlerPool``) that execute them against the log on
disk. Operators watch ``NetworkProcessorAvgIdlePercent``, ``RequestHandlerAvgIdlePercent`` and
``RequestQueueSize`` (``kafka.network:type=RequestChannel``), plus host disk and NIC utilisation.

What is drawn, from the ``"brokers"`` frame (time_s, broker, resource, utilisation,
queue_depth_mean, queue_depth_max), one row per window, broker and resource:

* :func:`utilisation_over_time` - busy fraction (1 - idle) per broker and resource, in percent;
* :func:`utilisation_heatmap` - the run's mean utilisation, broker x resource, annotated;
* :func:`queue_depth_over_time` - mean waiting requests per window, with the window maximum dotted.

``request_queue`` is a queue, not a server: its utilisation is NaN, so it appears only in the
queue-depth chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from eventsim.plots.style import (
    HEATMAP_CMAP,
    LINESTYLES,
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


def utilisation_over_time(
    data: Any,
    resource: str | Sequence[str] | None = None,
    ax: Axes | None = None,
    broker: int | Sequence[int] | None = None,
    title: str | None = None,
) -> Axes:
    """Utilisation (busy fraction, shown as %) per window of each broker and resource.

    ``data`` is a Result or its ``"brokers"`` frame. ``resource`` is one resource, several, or
    None for every resource that has a utilisation. With one resource each broker gets a colour;
    with several, colour encodes the resource and line style the broker. Returns the Axes.
    """
    df = as_frame(data, "brokers")
    require_columns(df, ["time_s", "broker", "resource", "utilisation"], "brokers")
    df = _pick_brokers(df, broker)
    resources = _resource_list(resource, _utilised_resources(df), "utilisation")
    ax = new_axes(ax)
    width = infer_window_s(df["time_s"])
    brokers = sorted(df["broker"].unique())
    single = len(resources) == 1
    for ri, r in enumerate(resources):
        for bi, b in enumerate(brokers):
            sub = df[(df["resource"] == r) & (df["broker"] == b)].sort_values("time_s")
            if sub.empty:
                continue
            if single:
                style = {"color": color(bi), "label": f"broker {b}"}
            else:
                style = {
                    "color": color(ri),
                    "linestyle": LINESTYLES[bi % len(LINESTYLES)],
                    "label": f"broker {b} {r.replace('_', ' ')}",
                }
            step_line(ax, sub["time_s"], sub["utilisation"], width, **style)
    if not ax.get_lines():
        no_data(ax)
    elif not single:
        # Legend in two parts - colour is the resource, line style the broker - instead of one
        # entry per (broker, resource) line.
        handles = [Line2D([], [], color=color(i), label=r.replace("_", " ")) for i, r in enumerate(resources)]
        for bi, b in enumerate(brokers):
            dash = LINESTYLES[bi % len(LINESTYLES)]
            handles.append(Line2D([], [], color="#555555", linestyle=dash, label=f"broker {b}"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("utilisation (%)")
    what = resources[0].replace("_", " ") if single else "resource"
    ax.set_title(
        title if title is not None else f"Broker {what} utilisation per {format_window(width)} window"
    )
    if single:
        place_legend(ax)
    return ax


def utilisation_heatmap(data: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Mean utilisation over the run, one cell per broker (row) and resource (column), annotated in %.

    ``data`` is a Result or its ``"brokers"`` frame. Resources without utilisation (the request
    queue) are left out. Colour scale fixed at 0..100 %. Returns the Axes.
    """
    df = as_frame(data, "brokers")
    require_columns(df, ["broker", "resource", "utilisation"], "brokers")
    resources = _utilised_resources(df)
    ax = new_axes(ax)
    if not resources:
        no_data(ax)
        ax.set_title(title if title is not None else "Mean utilisation per broker and resource")
        return ax
    table = df.groupby(["broker", "resource"])["utilisation"].mean().unstack("resource")
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
                ax.text(j, i, f"{v:.0%}", ha="center", va="center", color=text_color_on(cmap(v)))
            else:
                ax.text(j, i, "n/a", ha="center", va="center", color="#777777")
    cbar = ax.figure.colorbar(im, ax=ax, format=PercentFormatter(xmax=1.0), fraction=0.05, pad=0.02)
    cbar.set_label("mean utilisation (%)")
    cbar.outline.set_visible(False)
    ax.set_xlabel("resource")
    ax.set_ylabel("broker")
    ax.set_title(title if title is not None else "Mean utilisation per broker and resource")
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
