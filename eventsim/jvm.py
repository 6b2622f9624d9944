"""Garbage-collection pauses of the brokers' JVMs: G1 young collections that stop the process.

What Kafka does: a broker is a JVM process. Kafka's documentation (§6.6, "Java Version") recommends G1
(``-XX:+UseG1GC -XX:MaxGCPauseMillis=20``; ``bin/kafka-run-class.sh`` sets both) and reports, for one of
LinkedIn's busiest clusters, "a 90% GC pause time of about 21ms with less than 1 young GC per second".
A young collection runs when eden is full; while it runs every application thread stops (network
threads, request handlers, replica fetchers, the heartbeat). A broker allocates chiefly the bytes it reads
from the network: produce requests and, as a follower, fetch responses land in heap buffers, while the
fetch responses it serves go out by ``sendfile`` without passing through the heap.

What is modelled (``variability.gc``): per broker, eden (``gc_eden_mb``) fills with the bytes its NIC has
received; when it is full the broker pauses (``broker.lifecycle.pause``: the same stop as a ``pause``
fault, so work booked across the pause finishes later and heartbeats wait) for a time drawn from a
lognormal distribution whose median is ``gc_pause_p50_ms`` and whose 90th percentile is
``gc_pause_p90_ms``, from the broker's own random stream. The 21 ms 90th percentile is the documented
figure; the lognormal shape, the 12 ms median and the 256 MiB eden (about a quarter of the 1 GiB heap
``kafka-server-start.sh`` gives a broker, within G1's 5-60 % young-generation range) are judgement: no
published distribution of Kafka's GC pauses was found. The collector checks a broker's eden when it
expects it to be full at the rate bytes arrived since the last check (at least every millisecond and at
most every 100 ms), so a pause comes at most that late. At the start each broker's eden is already as full
as a uniform draw (judgement: a broker that has run for a while is anywhere in its cycle), so brokers
that receive the same bytes do not pause in step. Pauses are listed per broker in the ``gc`` frame.

Not modelled: pauses of the clients' JVMs, mixed and full collections, allocation other than received
bytes (request objects, metrics, TLS buffers), and the CPU the collector's own threads use around a pause.
"""

from __future__ import annotations

import math

__all__ = ["YoungCollector", "Z90"]

Z90 = 1.2815515655446004  # the standard normal's 90th percentile
MIB = 1024 * 1024
CHECK_MIN_MS = 1.0
CHECK_MAX_MS = 100.0


class YoungCollector:
    """One broker's young collections (see module docstring)."""

    def __init__(self, env, broker, spec, rng):
        self.env = env
        self.broker = broker
        self.eden_bytes = float(spec.gc_eden_mb) * MIB
        self.mu = math.log(float(spec.gc_pause_p50_ms))
        self.sigma = (math.log(float(spec.gc_pause_p90_ms)) - self.mu) / Z90
        self.rng = rng
        self.pauses: list[tuple[float, float]] = []  # (start_ms, duration_ms)
        self._eden_base = 0  # the NIC's received bytes when eden was last emptied
        self._seen_bytes = 0
        self._seen_ms = 0.0

    def start(self) -> None:
        self._seen_ms = self.env.now
        self._seen_bytes = self.broker.host.bytes_in
        # A broker that has run for a while is somewhere in its collection cycle: eden starts as full as a
        # uniform draw, so the brokers of a cluster do not all collect at the same moment.
        self._eden_base = self._seen_bytes - float(self.rng.uniform()) * self.eden_bytes
        self.env.call_at(self.env.now + CHECK_MIN_MS, self._check)

    def _check(self) -> None:
        from eventsim.broker import lifecycle  # the run's side: the scenario layer imports no brokers

        env = self.env
        now = env.now
        broker = self.broker
        received = broker.host.bytes_in
        if broker.running and broker.paused_until <= now and received - self._eden_base >= self.eden_bytes:
            pause = float(math.exp(self.mu + self.sigma * float(self.rng.standard_normal())))
            self.pauses.append((now, pause))
            lifecycle.pause(broker, pause)
            self._eden_base = received
            self._seen_bytes, self._seen_ms = received, now
            env.call_at(now + pause + CHECK_MIN_MS, self._check)
            return
        # When will eden be full at the rate bytes came in since the last check?
        rate = (received - self._seen_bytes) / (now - self._seen_ms) if now > self._seen_ms else 0.0
        self._seen_bytes, self._seen_ms = received, now
        left = self.eden_bytes - (received - self._eden_base)
        wait = left / rate if rate > 0 else CHECK_MAX_MS
        wait = min(max(wait, CHECK_MIN_MS), CHECK_MAX_MS)
        if broker.paused_until > now:
            wait = max(wait, broker.paused_until - now)
        env.call_at(now + wait, self._check)
