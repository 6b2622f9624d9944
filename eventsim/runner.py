"""``simulate()``: build the component tree from a scenario, run it, and collect a ``Result``.

One entry point for notebooks, the CLI, benchmarks and tests. The run's phases are build (cluster,
clients), start (their SimPy processes), run (``env.run(until=horizon_ms)``, with an optional tqdm bar
in simulated time) and collect (the ``Result``, which echoes the scenario and seed).
"""

from __future__ import annotations

import gc
import numbers
import time
from typing import Any

from eventsim import sizing
from eventsim.checker import History
from eventsim.cluster import Cluster
from eventsim.consumer.consumer import KafkaConsumer
from eventsim.core.environment import Environment
from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import check_number
from eventsim.faults import FaultInjector
from eventsim.group.assignors import range_split
from eventsim.jvm import YoungCollector
from eventsim.metrics.recorder import Recorder
from eventsim.metrics.result import Result
from eventsim.producer.partitioner import KeyPartitionTable
from eventsim.producer.producer import KafkaProducer
from eventsim.scenarios import Scenario

__all__ = ["simulate", "build"]

AUTO_SAMPLE_RECORDS = sizing.AUTO_SAMPLE_RECORDS  # with record_sample "auto": about this many rows


def _sample_rate(scenario: Scenario, horizon_ms: float) -> float:
    spec = scenario.metrics.record_sample
    if spec != "auto":
        return float(spec)
    expected = sum(p.rate_per_s for p in scenario.producers) * horizon_ms / 1000.0
    return 1.0 if expected <= AUTO_SAMPLE_RECORDS else AUTO_SAMPLE_RECORDS / expected


class Run:
    """The component tree of one run (exposed for tests that inspect processes)."""

    def __init__(self, scenario: Scenario, seed: int, horizon_ms: float):
        self.scenario = scenario
        self.seed = seed
        self.horizon_ms = horizon_ms
        self.env = Environment(seed)
        self.recorder = Recorder(scenario.metrics.window_ms, _sample_rate(scenario, horizon_ms))
        if scenario.metrics.check:
            self.recorder.history = History()
        self.cluster = Cluster(self.env, scenario, self.recorder)
        self.producers: list[KafkaProducer] = []
        self.consumers: list[KafkaConsumer] = []
        tables: dict[tuple, KeyPartitionTable] = {}
        index = 0
        for spec in scenario.producers:
            topic = self.cluster.topics[spec.topic]
            key = (spec.keys, topic.partitions)
            if spec.keys.distribution != "none" and key not in tables:
                tables[key] = KeyPartitionTable(
                    spec.keys.key_bytes, spec.keys.count, topic.partitions, key_rows=spec.keys.key_rows,
                    key_affixes=spec.keys.key_affixes(),
                )
            for i in range(spec.count):
                host = self.cluster.client_host(f"producer-{spec.name}-{i}")
                self.producers.append(
                    KafkaProducer(
                        self.env, self.cluster, spec, i, index, self.recorder, host, tables.get(key)
                    )
                )
                index += 1
        for spec in scenario.consumers:
            topic = self.cluster.topics[spec.topic]
            # The entry's partitions split among its instances as Kafka's default RangeAssignor does
            # (instance i is the member whose id sorts i-th): a static split, fixed for the run.
            listed = spec.partitions if spec.partitions is not None else range(topic.partitions)
            split = range_split(listed, range(spec.count))
            for i in range(spec.count):
                parts = split[i]
                host = self.cluster.client_host(f"consumer-{spec.name}-{i}")
                self.consumers.append(
                    KafkaConsumer(self.env, self.cluster, spec, i, parts, self.recorder, host)
                )

        self.cluster.clients = [*self.producers, *self.consumers]
        self.faults = FaultInjector(self.env, self.cluster, scenario.faults)
        variability = scenario.variability
        self.collectors: list[YoungCollector] = []  # the JVMs' young collections (eventsim.jvm)
        if variability.gc:
            self.collectors += [
                YoungCollector.for_broker(self.env, b, variability, self.env.rng(f"broker.{b.id}.gc"))
                for b in self.cluster.brokers
            ]
        if variability.service_times:  # each producer's application thread: its CPU per send() varies too
            for p in self.producers:
                p.vary_cpu(variability.service_cv_cpu, self.env.rng(f"{p.host.name}.cpu"))
        if variability.client_gc:
            # Each client's JVM: a producer's eden fills with the records its send() calls serialise, a
            # consumer's with the fetch responses its NIC receives (eventsim.jvm).
            eden = variability.client_gc_eden_mb
            for p in self.producers:
                name = p.host.name
                rng = self.env.rng(f"{name}.gc")
                p.jvm = YoungCollector(self.env, name, eden, variability, rng, p.gc_pause)
                self.collectors.append(p.jvm)
            for c in self.consumers:
                name = c.host.name
                c.jvm = YoungCollector(
                    self.env,
                    name,
                    eden,
                    variability,
                    self.env.rng(f"{name}.gc"),
                    c.gc_pause,
                    allocated=c.bytes_received,
                )
                self.collectors.append(c.jvm)

    def start(self) -> None:
        self.cluster.start()
        self.faults.start()
        for c in self.collectors:
            c.start()
        for p in self.producers:
            p.start()
        for c in self.consumers:
            c.start()
        self.env.process(self._snapshots())

    def _snapshots(self):
        env = self.env
        w = self.scenario.metrics.window_ms
        while True:
            yield env.timeout(w)
            self.recorder.snapshot_partitions(env.now, self.cluster)
            self.recorder.snapshot_lag(env.now, self.cluster, self.consumers)

    def run(self, progress: bool = False) -> None:
        # A run allocates many short-lived objects (batches, requests, timers) and almost no reference
        # cycles (a few hundred objects in a 20 s run): Python's cyclic collector would spend several per
        # cent of the run scanning the objects that live a while (a replicated run's log entries and
        # producer states, 3 % of it at RF 3). No automatic collection while running (threshold 0).
        threshold = gc.get_threshold()
        gc.set_threshold(0, *threshold[1:])
        # What the build made (tables, logs, stations, clients) lives for the whole run: keep it out of
        # the collector's scans (a large cluster's full collections otherwise rescan it again and again).
        gc.freeze()
        try:
            self._run(progress)
        finally:
            gc.freeze()  # what the run made joins the build's objects: no young collection scans it now
            gc.set_threshold(*threshold)
            gc.unfreeze()
        # An application thread that fell behind never drew what it would have sent later: count it offered.
        for p in self.producers:
            p.count_unsent_offers(self.horizon_ms)
        # env.run(until=h) stops before events at h; take the last window's snapshot by hand.
        self.recorder.snapshot_partitions(self.horizon_ms, self.cluster)
        self.recorder.snapshot_lag(self.horizon_ms, self.cluster, self.consumers)

    def _run(self, progress: bool) -> None:
        env = self.env
        if not progress:
            env.run(until=self.horizon_ms)
            return
        from tqdm.auto import tqdm

        steps = 100
        with tqdm(
            total=round(self.horizon_ms / 1000.0, 3), unit="sim s", desc=self.scenario.name, leave=False
        ) as bar:
            for k in range(1, steps + 1):
                until = self.horizon_ms * k / steps
                env.run(until=until)
                bar.n = round(until / 1000.0, 3)
                bar.refresh()


def build(
    scenario: Any,
    seed: int | None = None,
    horizon_ms: float | None = None,
    overrides: Any = (),
) -> Run:
    """The component tree of a run, ready to start (see :func:`simulate` for the arguments)."""
    sc = Scenario.load(scenario, overrides)
    if seed is None:
        seed = sc.seed
    elif isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidConfigurationError("seed", seed, "an integer >= 0 (or None: the scenario's seed)")
    if horizon_ms is None:
        horizon = float(sc.horizon_ms)
    else:
        horizon = check_number("horizon_ms", horizon_ms, lo=0, lo_open=True)
        sizing.check(sc, horizon)  # the scenario was sized for its own horizon
    # The build makes what lives for the whole run (a large cluster's logs, queues and tables: hundreds of
    # thousands of objects) and no reference cycles to speak of: the cyclic collector's automatic
    # collections would scan them again and again as they pile up (a quarter of a large cluster's build).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return Run(sc, int(seed), float(horizon))
    finally:
        if enabled:
            gc.enable()


def simulate(
    scenario: Any,
    seed: int | None = None,
    horizon_ms: float | None = None,
    progress: bool = False,
    overrides: Any = (),
) -> Result:
    """Run ``scenario`` (a ``Scenario``, a dict, a YAML path or a preset name) and return its ``Result``.

    ``seed`` None (the default) runs the scenario's own ``seed``; a number overrides it. ``horizon_ms``
    None runs the scenario's horizon. ``overrides`` change fields before validation, by the paths error
    messages use (``["producers[0].config.linger.ms=20"]`` or ``{"cluster.brokers": 5}``). The result
    echoes the seed that ran (``result.seed``). The same scenario and seed always give the same result.
    """
    run = build(scenario, seed, horizon_ms, overrides)
    t0 = time.perf_counter()
    run.start()
    run.run(progress=progress)
    wall = time.perf_counter() - t0
    return Result.collect(run, wall)
