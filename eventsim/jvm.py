"""Garbage-collection pauses of the JVMs: G1 young collections that stop the process.

What Kafka does: a broker is a JVM process, and so is every application that uses Kafka's clients (the
producer and consumer run in the application's own JVM, on its heap). Kafka's documentation (§6.6, "Java
Version") recommends G1 (``-XX:+UseG1GC -XX:MaxGCPauseMillis=20``; ``bin/kafka-run-class.sh`` sets both,
for the brokers and for the tools it starts, the perf-test clients among them) and reports, for one of
LinkedIn's busiest clusters, "a 90% GC pause time of about 21ms with less than 1 young GC per second".
A young collection runs when eden is full; while it runs every application thread stops. In a broker:
network threads, request handlers, replica fetchers, the heartbeat. A broker allocates chiefly the bytes it
reads from the network: produce requests and, as a follower, fetch responses land in heap buffers, while
the fetch responses it serves go out by ``sendfile`` without passing through the heap. In a producer: the
application's thread in ``send()`` and the ``Sender`` thread; ``send()`` serialises each record's key and
value into new byte arrays before it copies them into a batch (the batches' buffers come from the
``buffer.memory`` pool and are reused, so they are not garbage). In a consumer: the thread that calls
``poll()`` and processes the records, which also reads the fetch responses into heap buffers.

What is modelled. ``variability.gc``, per broker: eden (``gc_eden_mb``) fills with the bytes its NIC has
received; when it is full the broker pauses (``broker.lifecycle.pause``: the same stop as a ``pause`` fault,
so work booked across the pause finishes later and heartbeats wait). The collector checks a broker's eden
when it expects it to be full at the rate bytes arrived since the last check (at least every millisecond
and at most every 100 ms), so a pause comes at most that late. ``variability.client_gc``, per client, with
eden ``client_gc_eden_mb``: a producer's eden fills with the serialised size of the records its application
hands to ``send()`` (the records the accumulator takes; a record refused in ``send()`` is not counted), each
at the moment its ``send()`` starts on the application's thread, so the pauses are placed on that thread's
timeline when its records are drawn (``YoungCollector.schedule``): the ``send()`` calls behind a pause
start when it ends, and the ``Sender`` neither drains nor sends nor reads responses until then
(``eventsim.producer``). A consumer's eden fills with the bytes its NIC has received (its fetch responses),
checked as each response is read; a pause stops its poll loop and the processing of the records it
returned, and responses arriving meanwhile are read when it ends (``eventsim.consumer``). Timeouts the
clients measure (``request.timeout.ms``, ``delivery.timeout.ms``) keep counting through a pause, as the
JVM's clock does, and take effect when the pause ends.

Each pause is drawn from a lognormal whose median is ``gc_pause_p50_ms`` and whose 90th percentile is
``gc_pause_p90_ms``, from the process's own random stream (``broker.<id>.gc``, ``<host>.gc`` for a client).
The 21 ms 90th percentile is the documented figure (for brokers; the clients use the same figures, since
Kafka's scripts give their JVMs the same G1 flags and a young pause's length depends chiefly on what
survives, which a client keeps little of: judgement). The lognormal shape, the 12 ms median and the edens
are judgement: no published distribution of Kafka's GC pauses was found. A broker's eden is 256 MiB,
about a quarter of the 1 GiB heap ``kafka-server-start.sh`` gives a broker, within G1's 5-60 %
young-generation range; a client's is 128 MiB, the same quarter of the 512 MiB heap
``kafka-producer-perf-test.sh`` and ``kafka-consumer-perf-test.sh`` give the perf-test clients (an
application's own heap and its own allocation are its business: set ``client_gc_eden_mb`` to the eden
its records' bytes may fill). At the start each JVM's eden is already as full as a uniform draw (judgement:
a process that has run for a while is anywhere in its cycle), so processes that allocate alike do not
pause in step. Pauses are listed per host in the ``gc`` frame.

Not modelled: mixed and full collections; allocation other than the bytes above (request and response
objects, metrics, TLS buffers, the application's own objects, a consumer's deserialised records); a
client's metadata refreshes during a pause; and the CPU the collector's own threads use around a pause.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["YoungCollector", "Z90"]

Z90 = 1.2815515655446004  # the standard normal's 90th percentile
MIB = 1024 * 1024
CHECK_MIN_MS = 1.0
CHECK_MAX_MS = 100.0


class YoungCollector:
    """One JVM's young collections (see module docstring): eden fed by a byte counter, and an action that
    stops the process for a pause.

    ``pause(duration_ms)`` stops the process from now. ``allocated()`` is the bytes the process has
    allocated so far (a counter that only grows); without it the process reports its allocation through
    :meth:`schedule`. ``poll``: the collector checks the counter on its own timer (a broker, whose bytes
    arrive in many places); otherwise the process asks :meth:`collect_if_full` where it allocates.
    ``running()`` and ``paused_until()`` say whether the process can collect now (a crashed broker cannot;
    a paused one collects once it is awake).
    """

    def __init__(
        self,
        env,
        host_name: str,
        eden_mb: float,
        spec,
        rng,
        pause,
        allocated=None,
        poll: bool = False,
        running=None,
        paused_until=None,
    ):
        self.env = env
        self.host_name = host_name  # the ``gc`` frame's host
        self.eden_bytes = float(eden_mb) * MIB
        self.mu = math.log(float(spec.gc_pause_p50_ms))
        self.sigma = (math.log(float(spec.gc_pause_p90_ms)) - self.mu) / Z90
        self.rng = rng
        self.pause = pause
        self._allocated = 0.0  # what schedule() has been told of
        self.allocated = allocated if allocated is not None else self._reported
        self.poll = poll
        self.running = running
        self.paused_until = paused_until
        self.pauses: list[tuple[float, float]] = []  # (start_ms, duration_ms)
        self._eden_base = 0  # the allocated bytes when eden was last emptied
        self._seen_bytes = 0
        self._seen_ms = 0.0

    @classmethod
    def for_broker(cls, env, broker, spec, rng) -> YoungCollector:
        """A broker's collector: eden fills with the bytes its NIC receives; a pause is
        ``broker.lifecycle.pause`` (``variability.gc``)."""
        from eventsim.broker import lifecycle  # the run's side: the scenario layer imports no brokers

        host = broker.host
        return cls(
            env,
            f"broker-{broker.id}",
            spec.gc_eden_mb,
            spec,
            rng,
            lambda ms: lifecycle.pause(broker, ms),
            allocated=lambda: host.bytes_in,
            poll=True,
            running=lambda: broker.running,
            paused_until=lambda: broker.paused_until,
        )

    def _reported(self) -> float:
        return self._allocated

    def start(self) -> None:
        self._seen_ms = self.env.now
        self._seen_bytes = self.allocated()
        # A process that has run for a while is somewhere in its collection cycle: eden starts as full as a
        # uniform draw, so the processes of a cluster do not all collect at the same moment.
        self._eden_base = self._seen_bytes - float(self.rng.uniform()) * self.eden_bytes
        if self.poll:
            self.env.call_at(self.env.now + CHECK_MIN_MS, self._check)

    def _draw(self) -> float:
        return float(math.exp(self.mu + self.sigma * float(self.rng.standard_normal())))

    def _begin(self, pause: float) -> None:
        """A pause of ``pause`` ms starts now."""
        self.pauses.append((self.env.now, pause))
        self.pause(pause)

    def collect_if_full(self, allocated: float) -> float:
        """Where the process allocates, ``allocated`` being its ``allocated()`` bytes now (the caller's own
        counter, read as a C number compiled: a consumer asks on every fetch response): if eden is full, a
        young collection starts now; returns its pause (0: none). The caller's ``pause`` action has run when
        this returns."""
        if allocated - self._eden_base >= self.eden_bytes:
            pause = self._draw()
            self._eden_base = allocated
            self._begin(pause)
            return pause
        return 0.0

    def schedule(self, ends: np.ndarray, service: np.ndarray, nbytes: np.ndarray, now: float) -> np.ndarray:
        """A thread that works through items one after the other, item ``i`` taking ``service[i]`` ms and
        ending at ``ends[i]`` (a FIFO: ``ends[i] >= ends[i-1] + service[i]``), and allocating ``nbytes[i]``
        as it starts it: the young collections it meets.

        Item ``j`` whose bytes do not fit in eden starts a pause when it starts (not before ``now``), and its
        bytes go into the emptied eden; the items from ``j`` on start no earlier than the pause's end.
        Returns the ends pushed past the pauses (``ends`` itself when there is none); each pause is booked
        to begin at its start (``pause``, the ``gc`` frame).
        """
        cum = self._allocated + np.cumsum(nbytes, dtype=np.float64)
        n = cum.size
        if n == 0:
            return ends
        lo = 0
        out = ends
        env = self.env
        while True:
            j = int(np.searchsorted(cum, self._eden_base + self.eden_bytes, side="left"))
            if j < lo:
                j = lo  # one item larger than eden: the next one starts a collection again
            if j >= n:
                break
            if out is ends:
                out = np.array(ends, dtype=np.float64)
            start = float(out[j] - service[j])
            if start < now:
                start = now
            pause = self._draw()
            out[j:] = np.maximum(out[j:], start + pause + np.cumsum(service[j:]))
            env.call_at(start, self._begin, pause)
            self._eden_base = float(cum[j - 1]) if j else self._allocated
            lo = j + 1
        self._allocated = float(cum[-1])
        return out

    def _check(self) -> None:
        env = self.env
        now = env.now
        received = self.allocated()
        paused_until = self.paused_until()
        if self.running() and paused_until <= now and received - self._eden_base >= self.eden_bytes:
            pause = self._draw()
            self._eden_base = received
            self._begin(pause)
            self._seen_bytes, self._seen_ms = received, now
            env.call_at(now + pause + CHECK_MIN_MS, self._check)
            return
        # When will eden be full at the rate bytes came in since the last check?
        rate = (received - self._seen_bytes) / (now - self._seen_ms) if now > self._seen_ms else 0.0
        self._seen_bytes, self._seen_ms = received, now
        left = self.eden_bytes - (received - self._eden_base)
        wait = left / rate if rate > 0 else CHECK_MAX_MS
        wait = min(max(wait, CHECK_MIN_MS), CHECK_MAX_MS)
        if paused_until > now:
            wait = max(wait, paused_until - now)
        env.call_at(now + wait, self._check)
