"""Streaming metrics for simulated Kafka runs: latency histograms and fixed-window time series.

What Kafka does: clients and brokers keep *streaming* statistics rather than every observation.
The Java clients' ``org.apache.kafka.common.metrics`` package records rates, averages and maxima
in ``SampledStat`` windows (``metrics.sample.window.ms`` = 30000, ``metrics.num.samples`` = 2) and
percentiles in a fixed-bin ``Histogram`` (``clients/.../metrics/stats/Percentiles.java``); the broker
reports request time histograms (``RequestMetrics``: ``TotalTimeMs``, ``RequestQueueTimeMs``,
``LocalTimeMs``, ...), gauges such as ``RequestQueueSize`` and idle ratios such as
``RequestHandlerAvgIdlePercent``. ``kafka-producer-perf-test`` (``tools/.../ProducerPerformance.java``)
prints per-5 s windows of count, average and max latency and, at the end, percentiles from a sample
of at most 500 000 latencies.

What is modelled here, in simulated time (milliseconds) and with numpy only:

- :mod:`eventsim.metrics.histogram` -- ``LatencyHistogram``, an HdrHistogram-style log-linear
  histogram (relative bucket error below 1 %) with exact count, sum, min and max.
- :mod:`eventsim.metrics.timeseries` -- fixed windows of simulated time: ``WindowedCounter``
  (records, bytes) and ``BusyTracker`` (utilisation of a pool of identical servers: threads, disks,
  NICs); :mod:`eventsim.metrics.levels` -- ``LevelSeries`` (time-weighted mean and max of a queue depth
  or a byte count) in the same windows.
- :mod:`eventsim.metrics.windowed_histogram` -- ``WindowedHistogram``, per-window latency
  percentiles in a compact sparse form.
- :mod:`eventsim.metrics.recorder`, ``result`` and ``frames`` -- where the model reports, what a run
  returns, and the pandas tables built from it.

What is not modelled: Kafka's own sampling artefacts (the 2 x 30 s sample rotation, the decaying
reservoir of the broker's Yammer histograms, the perf tool's every-n-th latency sampling). We report
the exact streams those tools approximate. pandas conversion lives only in ``frames.py``.
"""
