"""Charts of simulation results (the only package that imports matplotlib).

Kafka publishes its behaviour as JMX metrics that operators graph; these functions graph the
simulated equivalents from ``Result.frame(name)``. Every plot function takes ``data`` - a Result
(anything with ``.frame(name)``) or the pandas DataFrame of that frame - and ``ax=None`` (a new
figure when None), sets a default title and unit-labelled axes (``title=`` overrides the title, so
a chapter can state its finding), and returns the Axes. ``compare.tradeoff_twin`` and
``failover.around_failure`` return both Axes.

What a chapter needs, by frame: ``timeseries`` - :func:`throughput_over_time`, :func:`latency_over_time`;
several runs' ``summary`` at rising offered load - :func:`saturation`;
``brokers`` - :func:`utilisation_over_time`, :func:`utilisation_heatmap`, :func:`queue_depth_over_time`;
``partitions`` - :func:`partition_bars`, :func:`partitions_over_time`, :func:`partition_imbalance_over_time`,
:func:`partition_skew`, :func:`partition_sizes_over_time`; ``lag`` - :func:`lag_over_time`;
``latency_cdf`` - :func:`latency_cdf` (``label=`` to compare runs); ``breakdown`` - :func:`latency_breakdown`;
``records`` - :func:`log_layout`, :func:`key_placement`; ``isr`` - :func:`isr_over_time`; ``replicas`` -
:func:`follower_lag_over_time`; ``partitions`` (high watermark against log end offset) -
:func:`watermarks_over_time`; ``leadership`` (and ``faults``) - :func:`leadership_timeline`;
``timeseries`` with ``faults`` - :func:`around_failure`; ``Result.check()`` of several runs -
:func:`check_counts`, :func:`unavailability`; a sweep DataFrame (``eventsim.sweep``) - :func:`sweep`,
:func:`tradeoff`, :func:`tradeoff_twin`, :func:`bars`.

Typical notebook use::

    from eventsim.plots import set_style, latency_over_time, save
    set_style()
    ax = latency_over_time(result, kind="e2e", title="p99 end-to-end latency doubles at 80% load")
    save(ax, "figures/e2e.png")
"""

from eventsim.plots.breakdown import latency_breakdown
from eventsim.plots.compare import bars, sweep, tradeoff, tradeoff_twin
from eventsim.plots.failover import around_failure, check_counts, leadership_timeline, unavailability
from eventsim.plots.lag import lag_over_time
from eventsim.plots.latency import latency_cdf, latency_over_time
from eventsim.plots.partitions import partition_bars, partition_imbalance_over_time, partitions_over_time
from eventsim.plots.records import key_placement, log_layout
from eventsim.plots.replication import follower_lag_over_time, isr_over_time, watermarks_over_time
from eventsim.plots.report import write_charts
from eventsim.plots.storage import partition_sizes_over_time, partition_skew
from eventsim.plots.style import PALETTE, save, set_style
from eventsim.plots.throughput import saturation, throughput_over_time
from eventsim.plots.utilisation import queue_depth_over_time, utilisation_heatmap, utilisation_over_time

__all__ = [
    "PALETTE",
    "around_failure",
    "bars",
    "check_counts",
    "follower_lag_over_time",
    "isr_over_time",
    "key_placement",
    "log_layout",
    "lag_over_time",
    "leadership_timeline",
    "partition_bars",
    "partition_imbalance_over_time",
    "partitions_over_time",
    "sweep",
    "latency_breakdown",
    "latency_cdf",
    "latency_over_time",
    "partition_sizes_over_time",
    "partition_skew",
    "queue_depth_over_time",
    "saturation",
    "save",
    "set_style",
    "throughput_over_time",
    "tradeoff",
    "tradeoff_twin",
    "unavailability",
    "utilisation_heatmap",
    "utilisation_over_time",
    "watermarks_over_time",
    "write_charts",
]
