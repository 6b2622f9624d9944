"""House style and shared helpers for eventsim charts.

Kafka itself draws no charts: it exposes JMX metrics (``kafka.producer:type=producer-metrics``,
``kafka.server:type=KafkaRequestHandlerPool`` ...) that operators graph in Grafana or similar. The
plots in this package graph the simulated equivalents, read from the frames of a ``Result``
(``Result.frame(name)``, built in ``eventsim/metrics/frames.py``).

What is here:

* :func:`set_style` - one readable look for every chart in the book: figure about 8 x 4.5 in at
  100 dpi, light grid, no top/right spines, the Okabe-Ito colour-blind-safe palette
  (:data:`PALETTE`), constrained layout so legends placed outside the axes are not clipped.
  It only sets ``matplotlib.rcParams`` entries, so calling it twice has the same effect as once.
* :func:`save` - write a figure as PNG at 120 dpi with a tight bounding box.
* :func:`as_frame`, :func:`new_axes` and the other small helpers used by the plot modules, so every
  plot function accepts either a Result-like object (anything with ``.frame(name)``) or the pandas
  DataFrame of that frame directly.

What is not here: pandas is never imported in this package (it lives only in
``eventsim/metrics/frames.py``); the helpers use the methods of the DataFrames they are given.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision
# deficiencies. Ordered for lines on white: the low-contrast yellow comes last.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)

#: Line styles used to tell apart a second dimension (e.g. brokers) when colour already encodes one.
LINESTYLES: tuple[str, ...] = ("-", "--", ":", "-.")

#: Sequential colour map for heatmaps; cividis is designed to read the same with colour-vision deficiency.
HEATMAP_CMAP = "cividis"

STYLE: dict[str, Any] = {
    "figure.figsize": (8.0, 4.5),
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "savefig.dpi": 120,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 9.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.7,
    "grid.alpha": 1.0,
    "lines.linewidth": 1.8,
    "lines.markersize": 5.5,
    "image.cmap": HEATMAP_CMAP,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
}

SAVE_DPI = 120


def set_style() -> None:
    """Apply the eventsim house style to ``matplotlib.rcParams`` (idempotent)."""
    mpl.rcParams.update(STYLE)


def plain_log_axis(axis) -> None:
    """Label a log-scaled axis with plain numbers (0.5, 1, 2, 5, 10) instead of powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    fmt = FuncFormatter(lambda v, _pos: f"{v:g}")
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(fmt)
    axis.set_minor_formatter(FuncFormatter(lambda v, _pos: ""))


def color(i: int) -> str:
    """The i-th palette colour, cycling."""
    return PALETTE[i % len(PALETTE)]


def save(fig_or_ax: Figure | Axes | Sequence[Axes], path: str | os.PathLike) -> Path:
    """Write the figure holding ``fig_or_ax`` to ``path`` as PNG (120 dpi, tight bounding box).

    Accepts a Figure, an Axes, or a tuple of Axes (as returned by ``compare.tradeoff_twin``).
    A path without a suffix gets ``.png``; missing parent directories are created. Returns the path.
    """
    if isinstance(fig_or_ax, Figure):
        fig = fig_or_ax
    elif isinstance(fig_or_ax, Axes):
        fig = fig_or_ax.figure
    elif isinstance(fig_or_ax, Sequence) and fig_or_ax and isinstance(fig_or_ax[0], Axes):
        fig = fig_or_ax[0].figure
    else:
        raise TypeError(f"save() needs a matplotlib Figure or Axes, got {type(fig_or_ax).__name__}")
    out = Path(path)
    if not out.suffix:
        out = out.with_suffix(".png")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=SAVE_DPI, bbox_inches="tight")
    return out


# --------------------------------------------------------------------------------------------------
# Helpers shared by the plot modules
# --------------------------------------------------------------------------------------------------


def as_frame(data: Any, name: str) -> Any:
    """Return the DataFrame ``name`` from ``data``.

    ``data`` is either a DataFrame (anything with ``.columns``), returned as is, or a Result-like
    object with a ``.frame(name)`` method.
    """
    if hasattr(data, "columns"):
        return data
    frame = getattr(data, "frame", None)
    if callable(frame):
        return frame(name)
    raise TypeError(
        f"expected a Result (with .frame({name!r})) or the {name!r} DataFrame, got {type(data).__name__}"
    )


def require_columns(df: Any, columns: Iterable[str], frame_name: str) -> None:
    """Raise ValueError naming the missing columns if ``df`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"the {frame_name!r} frame is missing column(s) {', '.join(missing)}; "
            f"it has: {', '.join(map(str, df.columns))}"
        )


def new_axes(ax: Axes | None) -> Axes:
    """``ax`` itself, or the Axes of a new figure sized by the current rcParams."""
    if ax is not None:
        return ax
    _, ax = plt.subplots()
    return ax


def select_topic(df: Any, topic: str | None, frame_name: str) -> Any:
    """Rows of ``df`` for ``topic`` (all rows if None); ValueError listing topics if it is unknown."""
    if topic is None or "topic" not in df.columns:
        return df
    sub = df[df["topic"] == topic]
    if sub.empty:
        topics = ", ".join(map(str, sorted(df["topic"].unique()))) or "none"
        raise ValueError(f"topic {topic!r} is not in the {frame_name!r} frame (topics: {topics})")
    return sub


def topics_of(df: Any) -> list[Any]:
    """Sorted distinct topics of ``df`` ([None] when the frame has no topic column)."""
    if "topic" not in df.columns:
        return [None]
    return sorted(df["topic"].unique(), key=str)


def infer_window_s(times: Any, default: float = 1.0) -> float:
    """Window length in seconds inferred from the spacing of window start times.

    The smallest positive gap between distinct start times; ``default`` if there is only one window.
    """
    t = np.unique(np.asarray(times, dtype=float))
    t = t[np.isfinite(t)]
    if t.size < 2:
        return float(default)
    gaps = np.diff(t)
    gaps = gaps[gaps > 0]
    return float(gaps.min()) if gaps.size else float(default)


def format_window(seconds: float) -> str:
    """'1 s', '250 ms', '1.5 s' - a window length for titles."""
    if seconds < 1:
        return f"{seconds * 1000:g} ms"
    return f"{seconds:g} s"


def step_line(ax: Axes, t: Any, y: Any, width_s: float, **kwargs: Any):
    """Draw per-window values as a step line: each value is flat across its window [t, t + width).

    Returns the single Line2D drawn.
    """
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    if t.size:
        t = np.append(t, t[-1] + width_s)
        y = np.append(y, y[-1])
    (line,) = ax.plot(t, y, drawstyle="steps-post", **kwargs)
    return line


def floor_at_zero(ax: Axes, headroom: float = 0.08) -> None:
    """Start the y axis at 0 and leave ``headroom`` above the highest plotted line value.

    (``set_ylim(bottom=0)`` alone freezes the current top, which can sit exactly on a flat line.)
    """
    peaks = [
        np.nanmax(y)
        for y in (np.asarray(ln.get_ydata(), dtype=float) for ln in ax.get_lines())
        if np.isfinite(y).any()
    ]
    top = max(peaks, default=0.0)
    ax.set_ylim(0.0, top * (1.0 + headroom) if top > 0 else 1.0)


def place_legend(ax: Axes, max_inside: int = 6, max_entries: int = 24, **kwargs: Any) -> None:
    """A legend inside the axes for few entries, outside on the right for more, none for very many."""
    handles, labels = ax.get_legend_handles_labels()
    n = len(labels)
    if n == 0 or n > max_entries:
        return
    if n <= max_inside:
        ax.legend(**kwargs)
    else:
        kwargs.pop("loc", None)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), ncol=1 if n <= 14 else 2, **kwargs)


def no_data(ax: Axes, message: str = "no data") -> None:
    """Mark an empty chart so that it is not mistaken for a chart of zeros."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="#777777")


def column_label(name: str) -> str:
    """Axis label from a column name with its unit suffix: 'linger_ms' -> 'linger (ms)'.

    Knows the suffixes used in eventsim frames: _ms, _s, _bytes, _records_per_s, _mb_per_s, _per_s,
    _pct, _share.
    """
    suffixes = (
        ("_records_per_s", "records/s"),
        ("_mb_per_s", "MiB/s"),
        ("_per_s", "/s"),
        ("_ms", "ms"),
        ("_s", "s"),
        ("_bytes", "bytes"),
        ("_pct", "%"),
    )
    for suffix, unit in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)].replace("_", " ")
            if unit == "/s":
                return f"{stem} per s"
            return f"{stem} ({unit})"
    return name.replace("_", " ")


def column_name(name: str) -> str:
    """A column's name without its unit, for titles: 'produce_latency_p99_ms' -> 'produce latency p99'."""
    label = column_label(name)
    return label.rsplit(" (", 1)[0] if label.endswith(")") else label


def format_number(value: Any) -> str:
    """Compact number for annotations: 950, 12.5, 14k, 1.2M."""
    if isinstance(value, bool | str) or not isinstance(value, int | float | np.integer | np.floating):
        return str(value)
    v = float(value)
    if not np.isfinite(v):
        return "n/a"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.3g}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.3g}k"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def text_color_on(rgba: Sequence[float]) -> str:
    """Black or white, whichever reads better on a fill of colour ``rgba`` (relative luminance)."""
    r, g, b = rgba[:3]
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.45 else "white"
