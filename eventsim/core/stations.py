"""Service stations on a virtual clock: FIFO queues whose service time is known on arrival.

Kafka's broker is a chain of queues: the NIC, the network (processor) threads, the bounded request
queue (``queued.max.requests``) and the pool of request-handler threads (``num.io.threads``). A naive
SimPy model would hold a ``Resource`` per stage and spend several events per request per stage.
Because every stage here serves requests first-come-first-served and each request's service time is
known when it arrives (it depends on its bytes), the start and end of service follow from the stage's
*free times* alone: with ``c`` servers, a request arriving at ``t`` starts at ``max(t, earliest free
time)``. That is exactly FCFS, costs no SimPy event, and lets a request cross several stages with one
event at the end. The rule requires reservations in arrival order, so a request reserves the stages
it crosses when it reaches the broker (``Broker.on_request``); stages after the first therefore see
requests in the order they reached the broker, which is Kafka's order for one connection and a close
approximation across connections.

Each station records busy intervals (utilisation) and waiting intervals (time-averaged queue depth)
into streaming per-window trackers, and the largest queue seen on arrival per window.

Service times are the caller's (bytes over a rate, a CPU cost per request) unless the station is made
variable (``Station.vary``, the scenario's ``variability.service_times``): then each booking takes the
caller's time multiplied by a factor drawn from a lognormal of mean 1 and the given coefficient of
variation, from the station's own random stream, drawn a block at a time. The mean is kept, so
utilisation is unchanged, and waits grow as M/G/1 says: by (1 + CV^2) / 2 of the M/M/1 wait at the same
load. A real server's service time varies with what else the machine does (interrupts, other
threads, the CPU caches, a disk's internal work); which of those a station's CV stands for is said
where it is set (``VariabilitySpec``).
"""

from __future__ import annotations

import math
from array import array

import numpy as np

from eventsim.metrics.timeseries import BusyTracker, window_of

try:  # compiled, a booking reads the buffers through raw pointers (``Station._point``)
    import cython
except ImportError:  # pure Python, without Cython installed
    from eventsim._compiled import cython_stand_in as cython

__all__ = ["Station", "BoundedQueue", "factor_sigma", "mean_one_factors"]

VARY_BLOCK = 4096  # service-time factors drawn at a time by a busy variable station
FIRST_FACTORS = 64  # ... and by one that has just started: the block doubles up to VARY_BLOCK
STALL_MEMORY_MS = 1000.0  # stalls that ended this long before a booking's start are forgotten
FOLD_AT = 16_384  # buffered interval ends before they are folded into the per-window trackers
FIRST_ROOM = 64  # interval ends a station's buffer holds at first; it doubles as needed up to FOLD_AT


def factor_sigma(cv: float) -> float:
    """The shape of the lognormal of mean 1 and coefficient of variation ``cv``: sqrt(ln(1 + cv^2))."""
    return math.sqrt(math.log1p(cv * cv))


def mean_one_factors(rng, sigma: float, n: int) -> np.ndarray:
    """``n`` factors from the lognormal of mean 1 and shape ``sigma`` (``factor_sigma``), drawn from ``rng``:
    a service time times one keeps its mean and varies around it."""
    return rng.lognormal(-0.5 * sigma * sigma, sigma, n)


def _interval_buffer(room: int = FIRST_ROOM) -> array:
    """Room for ``room`` interval ends and one more interval. A buffer starts small and doubles up to
    FOLD_AT (a cluster of thousands of stations, most of them lightly used, would otherwise hold a
    quarter of a MiB each from the start); the fold comes when the ends pass FOLD_AT either way."""
    return array("d", bytes(8 * (room + 2)))


class _Times:
    """A FIFO of times in the order they come (each no earlier than the last): a ring of numbers (C
    numbers compiled, so no float object per entry), doubled when full."""

    def __init__(self, room: int = 16):
        self._buf = np.empty(room, dtype=np.float64)
        self._view = self._buf
        self._room = room
        self._head = 0
        self.n = 0

    def push(self, t: float) -> None:
        if self.n == self._room:
            self._buf = np.concatenate((self._buf[self._head :], self._buf[: self._head], self._buf))
            self._view = self._buf
            self._head = 0
            self._room = 2 * self._room
        k = self._head + self.n
        if k >= self._room:
            k -= self._room
        self._view[k] = t
        self.n += 1

    def drop_through(self, t: float) -> None:
        """Drop the times at or before ``t`` from the front."""
        while self.n and self._view[self._head] <= t:
            self._head += 1
            if self._head == self._room:
                self._head = 0
            self.n -= 1

    def at(self, k: int) -> float:
        """The ``k``-th time from the front."""
        k += self._head
        if k >= self._room:
            k -= self._room
        return self._view[k]


class _WindowMax:
    """Per-window maximum of an integer level observed at arrivals (a list grown as windows come)."""

    def __init__(self, window_ms: float):
        self.window_ms = float(window_ms)
        self.values: list[int] = []
        self.n = 0

    def observe(self, t_ms: float, level: int) -> None:
        i = window_of(t_ms, self.window_ms)  # (t_ms >= 0: a simulated time)
        values = self.values
        if i >= len(values):
            values.extend([0] * (i + 1 - len(values)))
        if level > values[i]:
            values[i] = level
        if i + 1 > self.n:
            self.n = i + 1

    def per_window(self, windows: int) -> np.ndarray:
        out = np.zeros(windows, dtype=np.int64)
        k = min(windows, len(self.values))
        out[:k] = self.values[:k]
        return out


class Station:
    """``servers`` identical FCFS servers on a virtual clock.

    ``reserve(arrival_ms, service_ms)`` returns ``(start_ms, end_ms)`` and books the earliest free server.
    Invariant: a server's free time only moves forward, so FCFS order is kept among reservations made
    in nondecreasing arrival order.
    """

    def __init__(self, name: str, servers: int, window_ms: float):
        if servers < 1:
            raise ValueError(f"{name}: servers must be >= 1, got {servers}")
        self.name = name
        self.servers = servers
        # Each server's free time, in an array (compiled, C numbers: no float object per booking); a
        # booking takes the earliest, found by a scan (a station has a handful of servers).
        self._free = np.zeros(servers, dtype=np.float64)
        self._free_view = self._free
        self._busy = BusyTracker(window_ms, servers=servers)
        self._waiting = BusyTracker(window_ms, servers=1)
        # Intervals are buffered and folded into the trackers in bulk (see ``busy`` / ``waiting``): their
        # ends, start then end, in fixed arrays (``_busy_n`` / ``_wait_n`` of them used), written through
        # views (typed in the compiled build, so no Python float is made per end).
        self._busy_iv = _interval_buffer()
        self._wait_iv = _interval_buffer()
        self._busy_view = self._busy_iv
        self._wait_view = self._wait_iv
        self._busy_n = 0
        self._wait_n = 0
        self._busy_room = FIRST_ROOM
        self._wait_room = FIRST_ROOM
        self.max_queue = _WindowMax(window_ms)
        self._starts = _Times()  # start times of requests still waiting (FIFO => sorted)
        self._stalls: list[tuple[float, float]] = []  # windows when the servers do no work, sorted
        self.last_start = 0.0  # start of service of the latest booking (``reserve_end``)
        self._vary = False  # service times drawn around the caller's (``vary``)
        self._factors = None
        self._factor_view = None
        self._factor_i = 0
        self._factor_n = 0  # factors in the current block
        self._rng = None
        self._sigma = 0.0
        self._point()

    def _point(self) -> None:
        """What a booking reads the buffers through (``_free_p`` and the others), taken again whenever a
        buffer is replaced: compiled, a raw pointer to its first element, a word among the station's first
        fields (a typed view is a struct of some 200 bytes, so four of them spread a booking's reads over
        four more cache lines, each a miss on a cluster of a thousand stations booked now and then); as
        Python, the buffer itself."""
        if cython.compiled:
            self._free_p = cython.address(self._free_view[0])
            self._busy_p = cython.address(self._busy_view[0])
            self._wait_p = cython.address(self._wait_view[0])
            if self._factors is not None:
                self._factor_p = cython.address(self._factor_view[0])
        else:
            self._free_p = self._free_view
            self._busy_p = self._busy_view
            self._wait_p = self._wait_view
            self._factor_p = self._factor_view

    def vary(self, cv: float, rng) -> None:
        """From now on each booking's service time is the caller's times a lognormal factor of mean 1 and
        coefficient of variation ``cv``, drawn from ``rng`` (a numpy Generator of the station's own)."""
        if cv <= 0.0:
            return
        self._sigma = factor_sigma(cv)
        self._rng = rng
        self._factor_i = self._factor_n = 0  # the first booking draws a block
        self._vary = True

    def _draw_factors(self) -> None:
        """The next block of factors: FIRST_FACTORS at first, twice the last block after, at most VARY_BLOCK
        (the same values as blocks of VARY_BLOCK from the start: a Generator's draws do not depend on how
        they are split; but a cluster of thousands of stations, most of them lightly used, does not draw
        and hold thousands of factors for each)."""
        n = self._factor_n
        n = FIRST_FACTORS if n == 0 else min(2 * n, VARY_BLOCK)
        if self._factors is None or len(self._factors) < n:
            self._factors = array("d", bytes(8 * n))  # a new buffer: the view holds the old one's
            self._factor_view = self._factors
            self._point()
        out = np.frombuffer(self._factors, dtype=np.float64, count=n)
        out[:] = mean_one_factors(self._rng, self._sigma, n)
        self._factor_n = n
        self._factor_i = 0

    def add_stall(self, start_ms: float, end_ms: float) -> None:
        """The servers stop from ``start_ms`` to ``end_ms`` (a JVM pause, a stalled disk): service booked
        from now on that would run across the window is pushed back by its overlap with it."""
        if end_ms > start_ms:
            self._stalls.append((float(start_ms), float(end_ms)))
            self._stalls.sort()

    def _around_stalls(self, start: float, service_ms: float) -> tuple[float, float]:
        stalls = self._stalls
        # Bookings come in (nearly) nondecreasing order: a stall that ended well before this one's start
        # can delay no later booking, so it is dropped (many GC pauses would otherwise be scanned forever).
        while stalls and stalls[0][1] < start - STALL_MEMORY_MS:
            del stalls[0]
        end = start + service_ms
        for s, e in stalls:
            if e <= start:
                continue
            if s >= end:
                break
            if s <= start:  # arrives during the stall: starts when it ends
                start = e
                end = start + service_ms
            else:  # runs into the stall: finishes the stall's length later
                end += e - s
        return start, end

    @staticmethod
    def _fold(tracker: BusyTracker, iv: array, n: int) -> None:
        if n:
            a = np.frombuffer(iv, dtype=np.float64, count=n).copy()
            tracker.add_intervals(a[0::2], a[1::2])

    def _fold_busy(self) -> None:
        self._fold(self._busy, self._busy_iv, self._busy_n)
        self._busy_n = 0

    def _fold_waiting(self) -> None:
        self._fold(self._waiting, self._wait_iv, self._wait_n)
        self._wait_n = 0

    @staticmethod
    def _grown(iv: array, n: int, room: int) -> array:
        """A buffer with twice ``room`` (at most FOLD_AT) holding the first ``n`` ends of ``iv``: a new
        array, not a resized one, since the caller's view still holds the old one's buffer."""
        new = _interval_buffer(min(2 * room, FOLD_AT))
        new[:n] = iv[:n]
        return new

    def _full_busy(self) -> None:
        """The busy buffer passed its room: twice the room below FOLD_AT, else fold (the same folds as a
        buffer of FOLD_AT from the start)."""
        if self._busy_room >= FOLD_AT:
            self._fold_busy()
            return
        self._busy_iv = self._busy_view = self._grown(self._busy_iv, self._busy_n, self._busy_room)
        self._busy_room = len(self._busy_iv) - 2
        self._point()

    def _full_waiting(self) -> None:
        """As ``_full_busy``, for the waiting buffer."""
        if self._wait_room >= FOLD_AT:
            self._fold_waiting()
            return
        self._wait_iv = self._wait_view = self._grown(self._wait_iv, self._wait_n, self._wait_room)
        self._wait_room = len(self._wait_iv) - 2
        self._point()

    @property
    def busy(self) -> BusyTracker:
        """Busy intervals per window (utilisation)."""
        self._fold_busy()
        return self._busy

    @property
    def waiting(self) -> BusyTracker:
        """Waiting intervals per window (time-averaged queue length = waiting ms / window ms)."""
        self._fold_waiting()
        return self._waiting

    def queue_length(self, t_ms: float) -> int:
        self._starts.drop_through(t_ms)
        return self._starts.n

    def reserve(self, arrival_ms: float, service_ms: float) -> tuple[float, float]:
        end = self.reserve_end(arrival_ms, service_ms)
        return self.last_start, end

    def reserve_end(self, arrival_ms: float, service_ms: float) -> float:
        """``reserve`` returning only the end of service; its start is left in ``last_start``.

        The request path books several stations per request and mostly needs only the end: this spares
        it a tuple per booking.
        """
        if self._vary:
            i = self._factor_i
            if i >= self._factor_n:
                self._draw_factors()
                i = 0
            service_ms = service_ms * self._factor_p[i]
            self._factor_i = i + 1
        j = self._earliest()
        first = self._free_p[j]
        start = arrival_ms if arrival_ms >= first else first
        if self._stalls:
            start, end = self._around_stalls(start, service_ms)
        else:
            end = start + service_ms
        self._free_p[j] = end
        # (The buffers are written through the fields' pointers: a local view would be acquired and released
        # on every booking.)
        if start > arrival_ms:
            k = self._wait_n
            self._wait_p[k] = arrival_ms
            self._wait_p[k + 1] = start
            self._wait_n = k + 2
            self._starts.push(start)
            self.max_queue.observe(arrival_ms, self.queue_length(arrival_ms))
            if k + 2 > self._wait_room:
                self._full_waiting()
        if service_ms > 0.0:
            k = self._busy_n
            self._busy_p[k] = start
            self._busy_p[k + 1] = end
            self._busy_n = k + 2
            if k + 2 > self._busy_room:
                self._full_busy()
        self.last_start = start
        return end

    def free_at(self) -> float:
        """Time at which the earliest server becomes free."""
        return self._free_p[self._earliest()]

    def _earliest(self) -> int:
        """The server free first (a scan: a station has a handful)."""
        j = 0
        for i in range(1, self.servers):
            if self._free_p[i] < self._free_p[j]:
                j = i
        return j


class BoundedQueue:
    """Kafka's request channel: at most ``capacity`` requests waiting for a handler thread.

    When it is full, the network thread that tries to enqueue blocks until the oldest waiting request
    is picked up (``RequestChannel.sendRequest`` is a blocking put). ``admit(t)`` returns when a request
    offered at ``t`` actually enters the queue.
    """

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._starts = _Times()  # handler start times of queued requests (sorted)
        self.blocked_ms = 0.0
        self.full_events = 0

    def admit(self, t_ms: float) -> float:
        starts = self._starts
        starts.drop_through(t_ms)
        if starts.n < self.capacity:
            return t_ms
        # Full: wait until enough requests leave that one slot frees.
        wait_until = starts.at(starts.n - self.capacity)
        self.full_events += 1
        self.blocked_ms += wait_until - t_ms
        return wait_until

    def started(self, start_ms: float) -> None:
        self._starts.push(start_ms)
