"""``ExponentialBackoff``: how long a client waits before it retries (KIP-580).

What Kafka does (``clients/.../common/utils/ExponentialBackoff.java``, used by the producer's
``RecordAccumulator`` with ``retry.backoff.ms``, base 2, ``retry.backoff.max.ms`` and jitter 0.2):

    backoff(attempts) = min((long) (random(1 - jitter, 1 + jitter) * initial * 2 ** min(attempts, exp_max)),
                            max)

where ``initial = min(retry.backoff.ms, retry.backoff.max.ms)`` and ``exp_max = log(max / max(initial, 1))
/ log(2)`` (0 when ``max <= initial``, and then the backoff is the constant ``initial``, without jitter).
The exponent is capped, so the power never overflows however many retries a batch has had; the
producer asks for ``backoff(attempts - 1)``: the first retry waits about ``retry.backoff.ms``.

What is modelled: exactly that formula, in milliseconds, truncated to a whole millisecond as Kafka's
``(long)`` cast does. The jitter factor is drawn from the caller's random stream (the producer's
``producer.<client.id>.backoff``), never from global randomness, so a seed gives the same run.

Not modelled: Kafka draws a new factor each time the accumulator checks a waiting batch; eventsim draws
one per retry (when the batch is re-enqueued), which gives the same distribution of waits.

``ReconnectBackoff``: when a client connects again to a broker it lost (``ClusterConnectionStates``): a
disconnection (a reset, a request timeout) or a refused attempt sets the next attempt ``backoff(failed
attempts)`` later, with ``reconnect.backoff.ms``, base 2, ``reconnect.backoff.max.ms`` and jitter 0.2; a
connection that succeeds forgets the failures. Used by the producer's sender and by the consumer.
"""

from __future__ import annotations

import math

__all__ = [
    "ExponentialBackoff", "ReconnectBackoff", "RETRY_BACKOFF_EXP_BASE", "RETRY_BACKOFF_JITTER",
    "RECONNECT_BACKOFF_EXP_BASE", "RECONNECT_BACKOFF_JITTER",
]  # fmt: skip

RETRY_BACKOFF_EXP_BASE = 2  # CommonClientConfigs.RETRY_BACKOFF_EXP_BASE
RETRY_BACKOFF_JITTER = 0.2  # CommonClientConfigs.RETRY_BACKOFF_JITTER
RECONNECT_BACKOFF_EXP_BASE = 2  # CommonClientConfigs: each refused attempt doubles the wait
RECONNECT_BACKOFF_JITTER = 0.2  # CommonClientConfigs: each wait drawn within 20 % either way


class ExponentialBackoff:
    """Kafka's ``ExponentialBackoff(initialInterval, multiplier, maxInterval, jitter)`` (module docstring)."""

    __slots__ = ("initial_ms", "multiplier", "max_ms", "jitter", "exp_max")

    def __init__(
        self,
        initial_ms: float,
        multiplier: int = RETRY_BACKOFF_EXP_BASE,
        max_ms: float = 1000.0,
        jitter: float = RETRY_BACKOFF_JITTER,
    ):
        if not 0.0 <= jitter <= 1.0:
            raise ValueError(f"jitter must be between 0 and 1, got {jitter!r}")
        self.initial_ms = float(min(max_ms, initial_ms))
        self.multiplier = multiplier
        self.max_ms = float(max_ms)
        self.jitter = float(jitter)
        if self.max_ms > self.initial_ms:
            self.exp_max = math.log(self.max_ms / max(self.initial_ms, 1.0)) / math.log(multiplier)
        else:
            self.exp_max = 0.0

    def backoff(self, attempts: int, factor: float = 1.0) -> float:
        """The wait after ``attempts`` (0 for the first retry), with jitter ``factor`` in [1-j, 1+j)."""
        if self.exp_max == 0.0:
            return self.initial_ms
        exp = attempts if attempts < self.exp_max else self.exp_max
        term = self.initial_ms * self.multiplier**exp
        value = float(math.floor(factor * term))  # Kafka's (long) cast
        return value if value < self.max_ms else self.max_ms

    def draw(self, attempts: int, rng) -> float:
        """``backoff(attempts)`` with the jitter drawn from ``rng`` (a numpy Generator; None: no jitter)."""
        if self.exp_max == 0.0:
            return self.initial_ms
        if rng is None or self.jitter < 2.2250738585072014e-308:  # Double.MIN_NORMAL
            return self.backoff(attempts, 1.0)
        return self.backoff(attempts, rng.uniform(1.0 - self.jitter, 1.0 + self.jitter))


class ReconnectBackoff:
    """A client's connection attempts per broker after it lost the connection (module docstring)."""

    __slots__ = ("backoff", "rng", "waiting")

    def __init__(self, initial_ms: float, max_ms: float, rng):
        self.backoff = ExponentialBackoff(
            initial_ms, RECONNECT_BACKOFF_EXP_BASE, max_ms, RECONNECT_BACKOFF_JITTER
        )
        self.rng = rng
        self.waiting: dict = {}  # broker -> (next attempt ms, failed attempts), while disconnected

    def disconnected(self, node: int, now: float) -> None:
        """The connection to ``node`` closed at ``now``: the next one waits a backoff."""
        self.waiting[node] = (now + self.backoff.draw(0, self.rng), 1)

    def next_attempt(self, node: int, now: float, running: bool) -> float:
        """When ``node`` may be connected to (``now``: go). Once the backoff has passed, a running broker
        takes the connection and the failures are forgotten; a stopped one refuses it, and the next attempt
        waits the next, doubled backoff."""
        at, failed = self.waiting.get(node, (0.0, 0))
        if at > now:
            return at
        if running:
            self.waiting.pop(node, None)
            return now
        at = now + self.backoff.draw(failed, self.rng)
        self.waiting[node] = (at, failed + 1)
        return at
