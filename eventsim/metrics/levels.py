"""``LevelSeries``: the time-weighted mean and maximum per window of a piecewise-constant level.

What Kafka does: the broker exposes gauges sampled at scrape time (``RequestChannel``
``RequestQueueSize``, a log's ``Size``): a point-in-time value, whatever the level did between scrapes.

What is modelled: the level (a queue depth, bytes stored) in the windows of
:mod:`eventsim.metrics.timeseries`, exactly: its integral over each window and the highest value it
took there. What is not: the scrape itself; the exact per-window statistics are what a gauge samples.
"""

from __future__ import annotations

import math

import numpy as np

from eventsim.metrics.timeseries import _Dense, _last_window, _Windowed, windows_for

__all__ = ["LevelSeries"]


class LevelSeries(_Windowed):
    """Time-weighted mean and maximum per window of a piecewise-constant level.

    The level starts at ``initial`` at ``start_ms`` and changes with :meth:`set` / :meth:`add`
    (times nondecreasing). It holds on ``[t_i, t_(i+1))``. The max of a window includes every
    level set inside it, even one that lasted zero time (several changes at the same instant).
    Means cover the observed part of each window: from ``start_ms`` to the last update, or to
    ``end_ms`` once :meth:`finalize` is called.

    >>> q = LevelSeries(1000)
    >>> q.set(500, 4); q.set(1500, 1); q.finalize(2000)
    >>> q.mean_per_window(), q.max_per_window()
    (array([2. , 2.5]), array([4., 4.]))
    """

    def __init__(self, window_ms: float, initial: float = 0.0, start_ms: float = 0.0) -> None:
        super().__init__(window_ms)
        self.start_ms = float(start_ms)
        w0 = self._window(self.start_ms)
        self._t = self.start_ms
        self._level = float(initial)
        self._area = _Dense(np.float64, 0.0)
        self._max = _Dense(np.float64, -np.inf)
        self._max.ensure(w0 + 1)[w0] = self._level
        self._area.ensure(w0 + 1)
        self._end: float | None = None

    @property
    def level(self) -> float:
        """The current level."""
        return self._level

    @property
    def time_ms(self) -> float:
        """Time of the last update (or the end once finalised)."""
        return self._t

    def _advance(self, t: float) -> None:
        """Integrate the current level over [self._t, t)."""
        t0, level, W = self._t, self._level, self.window_ms
        if t > t0:
            wa = int(t0 // W)
            wz = _last_window(t, W)  # last window with positive overlap
            area = self._area.ensure(wz + 1)
            mx = self._max.ensure(wz + 1)
            if wa == wz:
                area[wa] += level * (t - t0)
                if level > mx[wa]:
                    mx[wa] = level
            else:
                area[wa] += level * ((wa + 1) * W - t0)
                area[wa + 1 : wz] += level * W
                area[wz] += level * (t - wz * W)
                np.maximum(mx[wa : wz + 1], level, out=mx[wa : wz + 1])
        self._t = t

    def set(self, t_ms: float, level: float) -> None:
        """The level becomes ``level`` at ``t_ms`` (>= the previous update time)."""
        t = float(t_ms)
        if self._end is not None:
            raise RuntimeError("LevelSeries is finalised; no further updates")
        if not (t >= self._t and t < math.inf):
            raise ValueError(f"time {t_ms!r} ms is not finite or before the previous update at {self._t} ms")
        level = float(level)
        if math.isnan(level):
            raise ValueError("level must not be NaN")
        self._advance(t)
        self._level = level
        w = int(t // self.window_ms)
        mx = self._max.ensure(w + 1)
        self._area.ensure(w + 1)
        if level > mx[w]:
            mx[w] = level

    def add(self, t_ms: float, delta: float) -> None:
        """Change the level by ``delta`` at ``t_ms``."""
        self.set(t_ms, self._level + delta)

    def finalize(self, end_ms: float) -> None:
        """Hold the current level until ``end_ms`` (the horizon) and close the series."""
        end = float(end_ms)
        if not (end >= self._t and end < math.inf):
            raise ValueError(f"end_ms {end_ms!r} is before the last update at {self._t} ms (or not finite)")
        self._advance(end)
        self._end = end

    @property
    def n_windows(self) -> int:
        """``ceil(end_ms / window_ms)`` once finalised, else windows up to the last update."""
        if self._end is not None:
            return max(windows_for(self._end, self.window_ms), int(self.start_ms // self.window_ms) + 1)
        return len(self._max)

    def _observed(self, n: int) -> np.ndarray:
        """Observed duration (ms) of each of the first n windows."""
        starts = np.arange(n, dtype=np.float64) * self.window_ms
        lo = np.maximum(starts, self.start_ms)
        hi = np.minimum(starts + self.window_ms, self._t)
        return np.maximum(hi - lo, 0.0)

    def mean_per_window(self, n_windows: int | None = None) -> np.ndarray:
        """Time-weighted mean level per window over its observed part (NaN where nothing was observed)."""
        n = self._n(n_windows)
        dur = self._observed(n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(dur > 0, self._area.fitted(n) / dur, np.nan)

    def max_per_window(self, n_windows: int | None = None) -> np.ndarray:
        """Maximum level per window (NaN where the level was never in effect)."""
        m = self._max.fitted(self._n(n_windows))
        m[m == -np.inf] = np.nan
        return m

    def area_per_window(self, n_windows: int | None = None) -> np.ndarray:
        """Integral of the level over each window (level x ms)."""
        return self._area.fitted(self._n(n_windows))

    @property
    def nbytes(self) -> int:
        return self._area.nbytes + self._max.nbytes
