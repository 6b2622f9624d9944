"""The standard set of charts for one run, written as PNG files (used by ``eventsim run --out``); a run
with followers also gets its ISR sizes and follower lag (:data:`REPLICATION_CHARTS`), and a run with
faults its leadership timeline and what happened around them (:data:`FAILOVER_CHARTS`)."""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.figure import Figure

from eventsim.plots.breakdown import latency_breakdown
from eventsim.plots.failover import around_failure, leadership_timeline
from eventsim.plots.latency import latency_cdf, latency_over_time
from eventsim.plots.replication import follower_lag_over_time, isr_over_time
from eventsim.plots.style import save, set_style
from eventsim.plots.throughput import throughput_over_time
from eventsim.plots.utilisation import utilisation_over_time

__all__ = ["write_charts", "CHARTS", "REPLICATION_CHARTS", "FAILOVER_CHARTS"]

CHARTS = {
    "latency_over_time.png": lambda r, ax: latency_over_time(r, kind="produce", ax=ax),
    "e2e_latency_over_time.png": lambda r, ax: latency_over_time(r, kind="e2e", ax=ax),
    "latency_cdf.png": lambda r, ax: latency_cdf(r, ax=ax),
    "throughput.png": lambda r, ax: throughput_over_time(r, ax=ax),
    "utilisation.png": lambda r, ax: utilisation_over_time(r, ax=ax),
    "latency_breakdown.png": lambda r, ax: latency_breakdown(r, path="produce", ax=ax),
}
REPLICATION_CHARTS = {
    "isr.png": lambda r, ax: isr_over_time(r, ax=ax),
    "follower_lag.png": lambda r, ax: follower_lag_over_time(r, ax=ax),
}
FAILOVER_CHARTS = {
    "leadership.png": lambda r, ax: leadership_timeline(r, ax=ax),
    "around_failure.png": lambda r, ax: around_failure(r, ax=ax),
}


def write_charts(result, directory: str | os.PathLike) -> list[Path]:
    """Draw every chart in :data:`CHARTS` (and :data:`REPLICATION_CHARTS` when some partition has
    followers) for ``result`` into ``directory``; returns the paths.

    Uses matplotlib's object API (no pyplot), so it needs no display and leaves the caller's backend alone.
    """
    set_style()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    charts = dict(CHARTS)
    if result.replica_rows:  # some partition has followers
        charts.update(REPLICATION_CHARTS)
    if result.fault_rows:  # faults were scheduled
        charts.update(FAILOVER_CHARTS)
    for name, draw in charts.items():
        fig = Figure()
        draw(result, fig.subplots())
        paths.append(save(fig, out / name))
    return paths
