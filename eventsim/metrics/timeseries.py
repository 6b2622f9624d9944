"""Fixed windows of simulated time: counters, per-window latency percentiles, levels and utilisation.

What Kafka does: client metrics are ``SampledStat`` s over time windows (``metrics.sample.window.ms``
= 30000 ms, ``metrics.num.samples`` = 2; ``clients/src/main/java/org/apache/kafka/common/metrics/
stats/SampledStat.java``): ``Rate``/``WindowedCount`` for ``record-send-rate`` and
``outgoing-byte-rate``, ``Avg``/``Max`` for ``request-latency-avg``/``-max``. The broker exposes
gauges sampled at scrape time (``RequestChannel`` ``RequestQueueSize``, log ``Size``), meters
(``BrokerTopicMetrics`` ``MessagesInPerSec``, ``BytesInPerSec``) and idle ratios of its thread
pools (``KafkaRequestHandlerPool`` ``RequestHandlerAvgIdlePercent``, ``SocketServer``
``NetworkProcessorAvgIdlePercent``). ``kafka-producer-perf-test`` prints one line per 5 s window.

What is modelled: non-overlapping windows ``[k * window_ms, (k + 1) * window_ms)`` of simulated
time, window 0 starting at t = 0 ms. Storage grows by amortised doubling with the number of windows
actually touched, so an hour of 1 s windows costs a few tens of KiB per dense series.

- ``WindowedCounter``: sums of amounts per window (records, bytes), vectorised with ``np.bincount``.
- ``WindowedHistogram`` (in :mod:`eventsim.metrics.windowed_histogram`): per-window latency
  percentiles, stored sparsely.
- ``LevelSeries`` (in :mod:`eventsim.metrics.levels`): a piecewise-constant level (queue depth, bytes
  stored); exact time-weighted mean and maximum per window, instead of Kafka's point-in-time gauge
  samples.
- ``BusyTracker``: busy time of a pool of identical servers, split exactly across window
  boundaries; utilisation = busy time / (window x servers) = 1 - Kafka's idle ratio.

What is not modelled: Kafka's two-sample rolling rotation and its decaying (Yammer) reservoirs; we
report exact per-window statistics. Times are simulated milliseconds and must be finite and >= 0.
"""

from __future__ import annotations

import math

import numpy as np

try:  # compiled, the per-interval loops below run as C; as Python, numpy does the same in passes
    import cython
except ImportError:  # pure Python, without Cython installed
    from eventsim._compiled import cython_stand_in as cython
_COMPILED = cython.compiled

_INF = math.inf  # (compiled: a C number, where math.inf is a module attribute looked up per call)

__all__ = ["BusyTracker", "WindowedCounter", "windows_for"]


# --------------------------------------------------------------------------------------------
# growable storage
class _Dense:
    """A per-window numpy array whose length grows (by doubling capacity) to the highest window touched."""

    __slots__ = ("_buf", "_n", "_fill")

    def __init__(self, dtype, fill=0) -> None:
        self._fill = fill
        self._buf = np.full(16, fill, dtype=dtype)
        self._n = 0

    def ensure(self, n: int) -> np.ndarray:
        """Make windows ``0..n-1`` addressable; returns the backing buffer (valid up to index n-1)."""
        if n > self._buf.size:
            cap = max(n, 2 * self._buf.size)
            buf = np.full(cap, self._fill, dtype=self._buf.dtype)
            buf[: self._buf.size] = self._buf
            self._buf = buf
        if n > self._n:
            self._n = n
        return self._buf

    @property
    def buf(self) -> np.ndarray:
        return self._buf

    def __len__(self) -> int:
        return self._n

    def view(self) -> np.ndarray:
        return self._buf[: self._n]

    def fitted(self, n: int) -> np.ndarray:
        """A copy of the first n windows, padded with the fill value."""
        out = np.full(n, self._fill, dtype=self._buf.dtype)
        k = min(n, self._n)
        out[:k] = self._buf[:k]
        return out

    @property
    def nbytes(self) -> int:
        return self._buf.nbytes


class _Flat:
    """An append-only numpy array with amortised doubling."""

    __slots__ = ("_buf", "_n")

    def __init__(self, dtype, capacity: int = 64) -> None:
        self._buf = np.empty(capacity, dtype=dtype)
        self._n = 0

    def extend(self, values: np.ndarray) -> None:
        n = self._n + values.size
        if n > self._buf.size:
            buf = np.empty(max(n, 2 * self._buf.size), dtype=self._buf.dtype)
            buf[: self._n] = self._buf[: self._n]
            self._buf = buf
        self._buf[self._n : n] = values
        self._n = n

    def append(self, value) -> None:
        if self._n == self._buf.size:
            self.extend(np.asarray([value], dtype=self._buf.dtype))
        else:
            self._buf[self._n] = value
            self._n += 1

    def view(self) -> np.ndarray:
        return self._buf[: self._n]

    def __len__(self) -> int:
        return self._n

    def shrink(self) -> None:
        if self._buf.size > max(self._n, 64):
            self._buf = self._buf[: max(self._n, 64)].copy()

    @property
    def nbytes(self) -> int:
        return self._buf.nbytes


def _times(t_ms) -> np.ndarray:
    t = np.asarray(t_ms, dtype=np.float64).reshape(-1)
    if t.size and not ((t >= 0.0) & (t < np.inf)).all():
        raise ValueError("simulated times must be finite and >= 0 ms")
    return t


class _Windowed:
    """Shared window arithmetic."""

    def __init__(self, window_ms: float) -> None:
        window_ms = float(window_ms)
        if not (0.0 < window_ms < math.inf):
            raise ValueError(f"window_ms must be a finite number > 0, got {window_ms!r}")
        self.window_ms = window_ms

    def _window(self, t: float) -> int:
        if not (0.0 <= t < math.inf):
            raise ValueError(f"simulated time must be finite and >= 0 ms, got {t!r}")
        return int(t // self.window_ms)

    def _windows(self, t: np.ndarray) -> np.ndarray:
        return (t // self.window_ms).astype(np.int64)

    @property
    def n_windows(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def _n(self, n_windows: int | None) -> int:
        if n_windows is None:
            return self.n_windows
        if n_windows < 0:
            raise ValueError(f"n_windows must be >= 0, got {n_windows}")
        return int(n_windows)

    def window_starts_ms(self, n_windows: int | None = None) -> np.ndarray:
        """Start time (ms) of each window: ``k * window_ms``."""
        return np.arange(self._n(n_windows), dtype=np.float64) * self.window_ms


def window_of(t: float, window_ms: float) -> int:
    """``int(t // window_ms)`` for ``t >= 0`` and ``window_ms > 0``: Python's floor division of floats
    (``float_floor_div``: the quotient of ``t`` less its remainder, rounded), written out so that compiled
    it is C arithmetic with the same result; compiled, ``//`` on two C doubles is floor(t / window_ms), whose
    rounded quotient can reach the next integer (1.0 // 0.1 is 9, floor(1.0 / 0.1) is 10).

    The rounded quotient ``q`` is within ``q * 2**-52`` of the exact one, so when its fraction is farther
    than that from a whole number, its integer part is the exact floor, which is what Python's division
    gives: the remainder (``fmod``, an exact but slow loop) is needed only near a window's edge."""
    q = t / window_ms
    if q < 1e15:
        k = int(q)
        f = q - k  # exact (q and k within a factor of 2, or k = 0)
        tol = q * 4.5e-16  # more than q * 2**-52
        if tol < f < 1.0 - tol:
            return k
    mod = t % window_ms
    div = (t - mod) / window_ms
    k = int(div)
    if div - k > 0.5:
        k += 1
    return k


def _last_window(end: float, window_ms: float) -> int:
    """Last window with positive overlap with ``[.., end)`` (``end >= 0``): floor division, not
    ceil(end / w) - 1, whose rounded quotient can drop a sliver just past a window start."""
    k = window_of(end, window_ms)
    return k - 1 if k * window_ms >= end else k


def windows_for(end_ms: float, window_ms: float) -> int:
    """Number of windows needed to cover ``[0, end_ms)``."""
    return _last_window(end_ms, window_ms) + 1 if end_ms > 0 else 0


# --------------------------------------------------------------------------------------------
class WindowedCounter(_Windowed):
    """Sum of amounts (records, bytes) per window of simulated time.

    ``dtype`` is ``np.float64`` (default) or ``np.int64``; integer totals are exact in both up to 2**53.

    >>> c = WindowedCounter(1000)
    >>> c.add(np.array([10.0, 999.0, 1000.0, 2500.0]), np.array([1, 2, 3, 4]))
    >>> c.values()
    array([3., 3., 4.])
    """

    def __init__(self, window_ms: float, dtype=np.float64) -> None:
        super().__init__(window_ms)
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float64), np.dtype(np.int64)):
            raise ValueError(f"dtype must be float64 or int64, got {dtype}")
        self._values = _Dense(dtype, 0)

    def add(self, t_ms, amount=1) -> None:
        """Add ``amount`` (scalar, or one per time) at simulated time(s) ``t_ms``."""
        if isinstance(t_ms, (float, int)) and np.ndim(amount) == 0:
            w = self._window(float(t_ms))
            self._values.ensure(w + 1)[w] += amount
            return
        t = _times(t_ms)
        if t.size == 0:
            return
        first = t[0] // self.window_ms
        if first == t[-1] // self.window_ms and (t[1:] >= t[:-1]).all():
            # Times in order (records by send() time, acknowledgements, polls), from one window to the
            # same window: they all fall in it (floor division is monotonic), so no window per time.
            lo = hi = int(first)
            rel = None  # every time in window lo
        else:
            w = self._windows(t)
            lo, hi = int(w.min()), int(w.max())
            rel = w - lo
        buf = self._values.ensure(hi + 1)
        if np.ndim(amount) == 0:
            if lo == hi:
                buf[lo] += amount * t.size
                return
            sums = np.bincount(rel, minlength=hi - lo + 1) * amount
        else:
            a = np.asarray(amount, dtype=np.float64).reshape(-1)
            if a.shape != t.shape:
                raise ValueError(f"amount has {a.size} entries but {t.size} times were given")
            if rel is None:
                rel = np.zeros(t.size, dtype=np.int64)
            sums = np.bincount(rel, weights=a, minlength=hi - lo + 1)
        if buf.dtype.kind == "i":
            sums = np.rint(sums).astype(np.int64)
        buf[lo : hi + 1] += sums

    @property
    def n_windows(self) -> int:
        """Windows up to the last one touched."""
        return len(self._values)

    def values(self, n_windows: int | None = None) -> np.ndarray:
        """Sum per window (a copy), padded with zeros or cut to ``n_windows``."""
        return self._values.fitted(self._n(n_windows))

    def rates_per_s(self, n_windows: int | None = None) -> np.ndarray:
        """Sum per window divided by the window length in seconds."""
        return self.values(n_windows) / (self.window_ms / 1000.0)

    @property
    def total(self):
        return self._values.view().sum()

    @property
    def nbytes(self) -> int:
        return self._values.nbytes


# --------------------------------------------------------------------------------------------
class BusyTracker(_Windowed):
    """Busy time and utilisation per window of a resource with ``servers`` identical servers.

    Each busy interval ``[start, end)`` is one server busy for ``end - start`` ms; intervals may end
    in the future (a disk or NIC reserved ahead). Utilisation of window k = busy ms in k /
    (window_ms x servers). If ``horizon_ms`` is given, intervals are cut at the horizon and the last
    partial window is normalised by its covered length. Overlap beyond ``servers`` is not checked.

    >>> b = BusyTracker(1000, servers=2)
    >>> b.add_interval(500, 2250)
    >>> b.utilisation()
    array([0.25 , 0.5  , 0.125])
    """

    def __init__(self, window_ms: float, servers: int = 1, horizon_ms: float | None = None) -> None:
        super().__init__(window_ms)
        if int(servers) != servers or servers < 1:
            raise ValueError(f"servers must be an integer >= 1, got {servers!r}")
        self.servers = int(servers)
        if horizon_ms is not None and not (0.0 < float(horizon_ms) < math.inf):
            raise ValueError(f"horizon_ms must be finite and > 0, got {horizon_ms!r}")
        self.horizon_ms = None if horizon_ms is None else float(horizon_ms)
        self._busy = _Dense(np.float64, 0.0)
        # Intervals within one window add up in ``_open_sum``, the busy time of window ``_open_w`` so far: a
        # float, so the same sums in the same order as adding to the array, without a numpy scalar each;
        # written back (``_settle``) before anything else reads or changes the array.
        self._open_w = -1
        self._open_sum = 0.0

    def _settle(self) -> None:
        if self._open_w >= 0:
            self._busy.buf[self._open_w] = self._open_sum
            self._open_w = -1

    def add_interval(self, start_ms: float, end_ms: float) -> None:
        """One server busy on ``[start_ms, end_ms)``."""
        s, e = float(start_ms), float(end_ms)
        if not (0.0 <= s <= e < _INF):
            raise ValueError(f"busy interval needs 0 <= start <= end < inf, got [{start_ms}, {end_ms})")
        if self.horizon_ms is not None and e > self.horizon_ms:
            e = self.horizon_ms
        if e <= s:
            return
        W = self.window_ms
        wa = window_of(s, W)
        wz = _last_window(e, W)
        if wa == wz:
            if wa == self._open_w:
                self._open_sum += e - s
            else:
                self._settle()
                busy = self._busy.ensure(wa + 1)
                self._open_w = wa
                self._open_sum = float(busy[wa]) + (e - s)
            return
        self._settle()
        busy = self._busy.ensure(wz + 1)
        busy[wa] += (wa + 1) * W - s
        busy[wa + 1 : wz] += W
        busy[wz] += e - wz * W

    def add_short(self, ends_ms: np.ndarray, durations_ms: np.ndarray, total_ms: float) -> None:
        """Busy intervals far shorter than a window (a client's per-record CPU work), each counted in the
        window where it ends: ``ends_ms`` nondecreasing, ``durations_ms`` summing to ``total_ms``. Exact
        but for an interval that straddles a window's edge, which counts whole in the later window."""
        W = self.window_ms
        n = ends_ms.size
        if n == 0:
            return
        self._settle()
        first = int(ends_ms[0] // W)
        last = int(ends_ms[n - 1] // W)
        busy = self._busy.ensure(last + 1)
        if first == last:
            busy[first] += total_ms
        else:
            idx = (ends_ms // W).astype(np.int64) - first
            busy[first : last + 1] += np.bincount(idx, weights=durations_ms, minlength=last - first + 1)

    def add_intervals(self, starts_ms, ends_ms) -> None:
        """Vectorised :meth:`add_interval` over arrays of starts and ends."""
        if _COMPILED and self._add_intervals_compiled(starts_ms, ends_ms):
            return
        self._add_intervals_numpy(starts_ms, ends_ms)

    def _add_intervals_numpy(self, starts_ms, ends_ms) -> None:
        s = _times(starts_ms)
        e = np.asarray(ends_ms, dtype=np.float64).reshape(-1)
        if s.shape != e.shape:
            raise ValueError(f"{s.size} starts but {e.size} ends")
        if s.size and not ((e >= s) & (e < np.inf)).all():
            raise ValueError("busy intervals must satisfy start <= end < inf")
        if self.horizon_ms is not None:
            e = np.minimum(e, self.horizon_ms)
        keep = e > s
        if not keep.all():
            s, e = s[keep], e[keep]
        if s.size == 0:
            return
        self._settle()
        W = self.window_ms
        wa = (s // W).astype(np.int64)
        wz = np.floor_divide(e, W).astype(np.int64)
        wz -= wz * W >= e  # last window with positive overlap
        lo, hi = int(wa.min()), int(wz.max())
        m = hi - lo + 1
        same = wa == wz
        # partial first and last windows
        first = np.where(same, e, (wa + 1) * W) - s
        partial = np.bincount(wa - lo, weights=first, minlength=m)
        multi = ~same
        if multi.any():
            partial += np.bincount(wz[multi] - lo, weights=e[multi] - wz[multi] * W, minlength=m)
            # full windows wa+1 .. wz-1: a difference array of covering intervals
            d = np.bincount(wa[multi] + 1 - lo, minlength=m + 1)
            d -= np.bincount(wz[multi] - lo, minlength=m + 1)
            partial += np.cumsum(d[:m]) * W
        self._busy.ensure(hi + 1)[lo : hi + 1] += partial

    def _add_intervals_compiled(self, starts_ms, ends_ms) -> bool:
        """:meth:`add_intervals` in C loops, compiled (typed in timeseries.pxd): the same windows and the
        same sums in the same order as numpy's passes (each window's partial sums in the intervals' order,
        as ``np.bincount`` adds them, then the later passes' terms). False, with nothing done, for input
        the numpy passes must refuse (they raise with the message)."""
        s = np.asarray(starts_ms, dtype=np.float64).reshape(-1)
        e0 = np.asarray(ends_ms, dtype=np.float64).reshape(-1)
        n = s.shape[0]
        if e0.shape[0] != n:
            return False
        W = self.window_ms
        horizon = _INF if self.horizon_ms is None else self.horizon_ms
        ends = np.empty(n, dtype=np.float64)
        wins = np.empty(2 * n, dtype=np.int64)  # each kept interval's first and last window
        e_v = ends
        w_v = wins
        kept = 0
        lo = hi = -1
        with cython.boundscheck(False), cython.wraparound(False):  # indices valid by construction
            for i in range(n):  # (nothing is changed before the last interval is checked)
                a = s[i]
                b = e0[i]
                if not (a >= 0.0 and a < _INF and b >= a and b < _INF):
                    return False
                if b > horizon:
                    b = horizon
                if not b > a:
                    e_v[i] = -1.0  # empty within the horizon: dropped
                    continue
                wa = window_of(a, W)
                wz = window_of(b, W)
                if wz * W >= b:
                    wz -= 1  # last window with positive overlap
                e_v[i] = b
                w_v[2 * i] = wa
                w_v[2 * i + 1] = wz
                if lo < 0 or wa < lo:
                    lo = wa
                if wz > hi:
                    hi = wz
                kept += 1
            if not kept:
                return True
            self._settle()
            m = hi - lo + 1
            partial = np.zeros(m, dtype=np.float64)
            last = np.zeros(m, dtype=np.float64)  # the last windows' parts, added after the first ones'
            d = np.zeros(m + 1, dtype=np.int64)  # full windows between: a difference array
            p_v = partial
            l_v = last
            d_v = d
            multi = 0
            for i in range(n):
                b = e_v[i]
                if b < 0.0:
                    continue
                a = s[i]
                wa = w_v[2 * i]
                wz = w_v[2 * i + 1]
                if wa == wz:
                    p_v[wa - lo] += b - a
                else:
                    p_v[wa - lo] += (wa + 1) * W - a
                    l_v[wz - lo] += b - wz * W
                    d_v[wa + 1 - lo] += 1
                    d_v[wz - lo] -= 1
                    multi += 1
            if multi:
                c = 0
                for j in range(m):
                    p_v[j] += l_v[j]
                for j in range(m):
                    c += d_v[j]
                    p_v[j] += c * W
        self._busy.ensure(hi + 1)[lo : hi + 1] += partial
        return True

    @property
    def n_windows(self) -> int:
        """``ceil(horizon_ms / window_ms)`` if a horizon is set, else windows up to the last busy one."""
        if self.horizon_ms is not None:
            return windows_for(self.horizon_ms, self.window_ms)
        return len(self._busy)

    def busy_ms(self, n_windows: int | None = None) -> np.ndarray:
        """Busy server-milliseconds per window."""
        self._settle()
        return self._busy.fitted(self._n(n_windows))

    def utilisation(self, n_windows: int | None = None) -> np.ndarray:
        """Busy fraction of the servers' capacity per window (0..1 unless more than ``servers`` overlap)."""
        self._settle()
        n = self._n(n_windows)
        span = np.full(n, self.window_ms)
        if self.horizon_ms is not None and n:
            starts = np.arange(n, dtype=np.float64) * self.window_ms
            span = np.clip(self.horizon_ms - starts, 0.0, self.window_ms)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(span > 0, self._busy.fitted(n) / (span * self.servers), np.nan)

    @property
    def total_busy_ms(self) -> float:
        self._settle()
        return float(self._busy.view().sum())

    @property
    def nbytes(self) -> int:
        return self._busy.nbytes
