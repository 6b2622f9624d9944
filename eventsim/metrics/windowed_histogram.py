"""``WindowedHistogram``: latency percentiles per window of simulated time, stored sparsely.

Kafka's clients report latency percentiles from sampled windows (see :mod:`eventsim.metrics.timeseries`
for the windowing). Here each window keeps ``LatencyHistogram`` buckets without a dense histogram per
window: each closed window is stored as its non-empty buckets, delta-encoded in about one byte per
non-empty bucket (gap and count nibbles, rare large ones in ``uint16`` overflow arrays): 3600 windows of
1000 latencies take about 2 MB instead of 136 MB. The most recent windows stay open for late records,
and any window may still be updated later. Percentiles per window are exactly those of a
``LatencyHistogram`` of that window's values.
"""

from __future__ import annotations

import math

import numpy as np

from eventsim.metrics.histogram import (
    _REPRESENTATIVE,
    NUM_BUCKETS,
    LatencyHistogram,
    _add_counts,
    _as_values,
    _check_quantiles,
    _index_scalar,
    _index_unchecked,
)
from eventsim.metrics.timeseries import _Dense, _Flat, _times, _Windowed

try:  # compiled, the per-value loop below runs as C; as Python, numpy does the same in passes
    import cython
except ImportError:  # pure Python, without Cython installed
    from eventsim._compiled import cython_stand_in as cython
_COMPILED = cython.compiled

__all__ = ["WindowedHistogram"]


# --------------------------------------------------------------------------------------------
# Sparse encoding of per-window bucket counts. A segment (one window's buckets from one compaction)
# stores its first non-empty bucket in the segment table and then one byte per non-empty bucket:
# high nibble = gap to the previous bucket (0 for the first; 15 = "read the next entry of the
# uint16 gap-overflow array"), low nibble = count (1..15; 0 = "read the next entry of the uint16
# count-overflow array"). Counts above 65535 are split into extra entries with gap 0. Overflow
# entries are consumed in order, so decoding is a few vectorised passes.
_NIBBLE_ESCAPE = 15
_COUNT_SPLIT = 0xFFFF


def _encode(buckets: np.ndarray, counts: np.ndarray, first: np.ndarray):
    """Encode sorted (bucket, count) items; ``first`` marks each segment's first item.

    Returns (codes uint8, gap overflow uint16, count overflow uint16, entries per item int64).
    """
    g = np.empty_like(buckets)
    g[0] = 0
    np.subtract(buckets[1:], buckets[:-1], out=g[1:])
    g[first] = 0
    pieces = np.maximum((counts + _COUNT_SPLIT - 1) // _COUNT_SPLIT, 1)
    if (pieces > 1).any():  # split huge counts into (gap, 65535), (0, 65535), ..., (0, rest)
        item = np.repeat(np.arange(g.size), pieces)
        k = np.arange(item.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        g = np.where(k == 0, g[item], 0)
        rest = counts[item] - _COUNT_SPLIT * (pieces[item] - 1)
        counts = np.where(k == pieces[item] - 1, rest, _COUNT_SPLIT)
    big_gap = g >= _NIBBLE_ESCAPE
    big_count = counts > _NIBBLE_ESCAPE
    codes = (np.where(big_gap, _NIBBLE_ESCAPE, g) << 4) | np.where(big_count, 0, counts)
    return codes.astype(np.uint8), g[big_gap].astype(np.uint16), counts[big_count].astype(np.uint16), pieces


def _aggregate(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum counts of equal keys; returns sorted unique keys with positive counts."""
    if keys.size == 0:
        return keys.astype(np.int64), counts.astype(np.int64)
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo < 4 * keys.size + 65536:  # a narrow key range: count with bincount instead of sorting
        c = np.bincount(keys - lo, weights=counts, minlength=hi - lo + 1)
        k = np.flatnonzero(c > 0)
        return k + lo, np.rint(c[k]).astype(np.int64)
    if keys.size > 1 and (keys[1:] < keys[:-1]).any():
        order = np.argsort(keys, kind="stable")
        keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    k = keys[starts]
    c = np.add.reduceat(counts.astype(np.int64), starts)
    keep = c > 0
    return k[keep], c[keep]


def _window_stats_loop(w, v, lo, part_cnt, part_sum, mn, mx) -> None:
    """The compiled build's per-window count, sum and extremes of values ``v`` in windows ``w``
    (typed in windowed_histogram.pxd): the sums add each window's values in order, as ``np.bincount``
    with weights does."""
    with cython.boundscheck(False), cython.wraparound(False):  # indices valid by construction
        for i in range(v.shape[0]):
            k = w[i]
            x = v[i]
            part_cnt[k - lo] += 1
            part_sum[k - lo] += x
            if x < mn[k]:
                mn[k] = x
            if x > mx[k]:
                mx[k] = x


class WindowedHistogram(_Windowed):
    """Latency percentiles per window of simulated time, stored sparsely.

    ``record(t_ms, values)`` files each latency under the window of its time ``t_ms`` (typically
    the completion time). The newest ``lateness_windows + 1`` windows stay open as dense bucket
    counts (a value is one increment there); older ones are compacted into the sparse store as soon as
    a later window starts. A late record for a compacted window is accepted and stored as an extra
    segment for it.

    >>> wh = WindowedHistogram(1000)
    >>> wh.record(np.array([100.0, 200.0, 1500.0]), np.array([5.0, 7.0, 30.0]))
    >>> wh.counts()
    array([2, 1])
    >>> wh.percentiles([50, 100]).round(3)
    array([[ 5.024,  7.   ],
           [30.   , 30.   ]])
    """

    _CONSOLIDATE_AT = 1 << 15  # pending raw entries before they are merged in place

    def __init__(self, window_ms: float, lateness_windows: int = 1) -> None:
        super().__init__(window_ms)
        if lateness_windows < 0:
            raise ValueError(f"lateness_windows must be >= 0, got {lateness_windows}")
        self.lateness_windows = int(lateness_windows)
        # exact per-window statistics
        self._count = _Dense(np.int64, 0)
        self._sum = _Dense(np.float64, 0.0)
        self._min = _Dense(np.float64, np.inf)
        self._max = _Dense(np.float64, -np.inf)
        # compacted sparse store: segments of (gap, count) entries
        self._codes = _Flat(np.uint8, 1024)
        self._gap_over = _Flat(np.uint16)
        self._count_over = _Flat(np.uint16)
        self._seg_window = _Flat(np.int64)
        self._seg_base = _Flat(np.uint16)  # first non-empty bucket of the segment
        self._seg_len = _Flat(np.int32)
        # open windows (``_open_lo`` on, not compacted yet): their bucket counts, dense, one row of
        # NUM_BUCKETS per window, ``_open_rows`` rows in use
        self._open_lo = 0
        self._open = np.zeros((self.lateness_windows + 2) * NUM_BUCKETS, dtype=np.int64)
        self._open_rows = 0
        # late values, for windows already compacted: keys = window * NUM_BUCKETS + bucket
        self._pending_scalar: dict[int, int] = {}
        self._pending: list[tuple[np.ndarray, np.ndarray | None]] = []
        self._pending_size = 0
        self._hi = -1  # highest window seen

    # -- recording ---------------------------------------------------------------------------
    def record(self, t_ms, values, repeats=None) -> None:
        """Record latency value(s) in ms at simulated time(s) ``t_ms`` (scalars or arrays that broadcast).

        With ``repeats``, ``t_ms[i]`` is the time of the next ``repeats[i]`` values (a run of values
        sharing one time, such as the records of one acknowledged batch).
        """
        if repeats is None and isinstance(t_ms, (float, int)) and isinstance(values, (float, int)):
            self._record_scalar(float(t_ms), float(values))
            return
        v = _as_values(values)
        t = _times(t_ms)
        if repeats is not None:
            r = np.asarray(repeats, dtype=np.int64).reshape(-1)
            if r.size != t.size or (r < 0).any() or int(r.sum()) != v.size:
                raise ValueError(f"repeats must give one count >= 0 per time, summing to {v.size} values")
            if v.size == 0:
                return
            first = t[0] // self.window_ms
            if first == t[-1] // self.window_ms and (t[1:] >= t[:-1]).all():
                # Times in order within one window (floor division is monotonic): every value is in it.
                self._record_window(int(first), v)
                return
            w = np.repeat(self._windows(t), r)
        else:
            if t.size != v.size:
                if t.size != 1:
                    raise ValueError(f"{t.size} times for {v.size} values")
                t = np.full(v.size, t[0])
            if v.size == 0:
                return
            w = self._windows(t)
        lo, hi = int(w.min()), int(w.max())
        n = hi + 1
        cnt, sm = self._count.ensure(n), self._sum.ensure(n)
        mn, mx = self._min.ensure(n), self._max.ensure(n)
        if lo == hi:
            cnt[lo] += v.size
            sm[lo] += float(np.sum(v))
            mn[lo] = min(mn[lo], float(v.min()))
            mx[lo] = max(mx[lo], float(v.max()))
        else:
            m = hi - lo + 1
            if _COMPILED:  # one C loop: the same counts, sums (each window's in the values' order), extremes
                part_cnt = np.zeros(m, dtype=np.int64)
                part_sum = np.zeros(m, dtype=np.float64)
                _window_stats_loop(w, v, lo, part_cnt, part_sum, mn, mx)
                cnt[lo:n] += part_cnt
                sm[lo:n] += part_sum
            else:
                rel = w - lo
                cnt[lo:n] += np.bincount(rel, minlength=m)
                sm[lo:n] += np.bincount(rel, weights=v, minlength=m)  # each window's sum in the values' order
                # Extremes per run of equal windows (times mostly come in order, so runs are long), then
                # per window: np.minimum.at over every value is far slower and gives the same values.
                starts = np.flatnonzero(np.concatenate(([True], w[1:] != w[:-1])))
                ws = w[starts]
                np.minimum.at(mn, ws, np.minimum.reduceat(v, starts))
                np.maximum.at(mx, ws, np.maximum.reduceat(v, starts))
        self._file(w, v, lo, hi)
        self._after_record(hi)

    def _record_window(self, w: int, v: np.ndarray) -> None:
        """``record`` of values ``v`` (validated, not empty) that all fall in window ``w``."""
        n = w + 1
        cnt, sm = self._count.ensure(n), self._sum.ensure(n)
        mn, mx = self._min.ensure(n), self._max.ensure(n)
        cnt[w] += v.size
        sm[w] += float(np.sum(v))
        mn[w] = min(mn[w], float(v.min()))
        mx[w] = max(mx[w], float(v.max()))
        lo = self._open_lo
        if w < lo:
            self._late(_index_unchecked(v) + w * NUM_BUCKETS)
        else:
            start = (w - lo) * NUM_BUCKETS
            _add_counts(self._rows(w - lo + 1)[start : start + NUM_BUCKETS], v)
        self._after_record(w)

    def _file(self, w: np.ndarray, v: np.ndarray, lo: int, hi: int) -> None:
        """Count values ``v`` of windows ``w`` (from ``lo`` to ``hi``) in their buckets."""
        first = self._open_lo
        if lo < first:  # late values, for compacted windows
            late = w < first
            self._late(w[late] * NUM_BUCKETS + _index_unchecked(v[late]))
            if hi < first:
                return
            keep = ~late
            w, v = w[keep], v[keep]
        rows = hi - first + 1
        _add_counts(self._rows(rows)[: rows * NUM_BUCKETS], v, 1, w - first)

    def _rows(self, n: int) -> np.ndarray:
        """The open block with rows for windows ``_open_lo`` to ``_open_lo + n - 1``."""
        if n > self._open_rows:
            if n * NUM_BUCKETS > self._open.size:
                grown = np.zeros(n * NUM_BUCKETS, dtype=np.int64)
                grown[: self._open.size] = self._open
                self._open = grown
            self._open_rows = n
        return self._open

    def _late(self, keys: np.ndarray) -> None:
        self._pending.append((keys, None))
        self._pending_size += keys.size

    def _record_scalar(self, t: float, v: float) -> None:
        if not (0.0 <= v < math.inf):
            _as_values(v)  # raises with the right message
        w = self._window(t)
        n = w + 1
        self._count.ensure(n)[w] += 1
        self._sum.ensure(n)[w] += v
        mn, mx = self._min.ensure(n), self._max.ensure(n)
        if v < mn[w]:
            mn[w] = v
        if v > mx[w]:
            mx[w] = v
        lo = self._open_lo
        if w >= lo:
            self._rows(w - lo + 1)[(w - lo) * NUM_BUCKETS + _index_scalar(v)] += 1
        else:
            key = w * NUM_BUCKETS + _index_scalar(v)
            self._pending_scalar[key] = self._pending_scalar.get(key, 0) + 1
        self._after_record(w)

    def _after_record(self, hi: int) -> None:
        if hi > self._hi:
            self._hi = hi
            self._compact(self._hi - self.lateness_windows)
        if self._pending_size >= self._CONSOLIDATE_AT:
            keys, counts = self._take_pending()
            self._pending = [(keys, counts)]
            self._pending_size = keys.size

    def _take_pending(self) -> tuple[np.ndarray, np.ndarray]:
        """Remove and return all late entries, aggregated."""
        keys = [k for k, _ in self._pending]
        counts = [np.ones(k.size, dtype=np.int64) if c is None else c for k, c in self._pending]
        if self._pending_scalar:
            keys.append(np.fromiter(self._pending_scalar.keys(), dtype=np.int64))
            counts.append(np.fromiter(self._pending_scalar.values(), dtype=np.int64))
        self._pending, self._pending_size, self._pending_scalar = [], 0, {}
        if not keys:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return _aggregate(np.concatenate(keys), np.concatenate(counts))

    def _compact(self, before_window: int) -> None:
        """Move the counts of windows < before_window into the sparse store: the late entries', then the
        open windows' (whose keys are all above the late ones), in one sorted run."""
        if before_window <= 0:
            return
        keys_parts, counts_parts = [], []
        if self._pending or self._pending_scalar:
            keys, counts = self._take_pending()
            split = int(np.searchsorted(keys, before_window * NUM_BUCKETS, side="left"))
            if split < keys.size:
                self._pending = [(keys[split:], counts[split:])]
                self._pending_size = keys.size - split
            keys_parts.append(keys[:split])
            counts_parts.append(counts[:split])
        first = self._open_lo
        k = before_window - first  # open rows that close
        if k > 0:
            rows = self._open_rows
            closing = min(k, rows) * NUM_BUCKETS
            block = self._open
            if closing:
                nz = np.flatnonzero(block[:closing])
                keys_parts.append(nz + first * NUM_BUCKETS)
                counts_parts.append(block[nz])
            if k < rows:
                rest = (rows - k) * NUM_BUCKETS
                block[:rest] = block[closing : closing + rest]
                block[rest : rows * NUM_BUCKETS] = 0
                self._open_rows = rows - k
            else:
                block[:closing] = 0
                self._open_rows = 0
            self._open_lo = before_window
        if keys_parts:
            keys = keys_parts[0] if len(keys_parts) == 1 else np.concatenate(keys_parts)
            if keys.size:
                counts = counts_parts[0] if len(counts_parts) == 1 else np.concatenate(counts_parts)
                self._store(keys, counts)

    def _store(self, keys: np.ndarray, counts: np.ndarray) -> None:
        windows, buckets = np.divmod(keys, NUM_BUCKETS)
        first = np.concatenate(([True], windows[1:] != windows[:-1]))
        codes, gap_over, count_over, pieces = _encode(buckets, counts, first)
        starts = np.flatnonzero(first)
        self._codes.extend(codes)
        self._gap_over.extend(gap_over)
        self._count_over.extend(count_over)
        self._seg_window.extend(windows[starts])
        self._seg_base.extend(buckets[starts])
        self._seg_len.extend(np.add.reduceat(pieces, starts))

    def _sparse_arrays(self) -> tuple[_Flat, ...]:
        return (
            self._codes,
            self._gap_over,
            self._count_over,
            self._seg_window,
            self._seg_base,
            self._seg_len,
        )

    def compact(self) -> None:
        """Move every open window into the sparse store and release spare capacity.

        Not needed for correctness (queries read open windows too); call at the end of a run to
        minimise memory. Later records are still accepted.
        """
        self._compact(self._hi + 1)
        for arr in self._sparse_arrays():
            arr.shrink()

    # -- reading -----------------------------------------------------------------------------
    def _entries(self) -> tuple[np.ndarray, np.ndarray]:
        """All recorded (key, count) pairs, aggregated and sorted by key = window * NUM_BUCKETS + bucket."""
        parts_k, parts_c = [], []
        if len(self._codes):
            codes = self._codes.view()
            gaps = (codes >> 4).astype(np.int64)
            gaps[gaps == _NIBBLE_ESCAPE] = self._gap_over.view()
            counts = (codes & 0x0F).astype(np.int64)
            counts[counts == 0] = self._count_over.view()
            seg_len = self._seg_len.view().astype(np.int64)
            run = np.cumsum(gaps)
            seg_start = np.cumsum(seg_len) - seg_len
            # bucket = segment base + running sum of gaps since the segment's first entry
            offset = self._seg_base.view().astype(np.int64) - run[seg_start]
            buckets = run + np.repeat(offset, seg_len)
            windows = np.repeat(self._seg_window.view(), seg_len)
            parts_k.append(windows * NUM_BUCKETS + buckets)
            parts_c.append(counts)
        for k, c in self._pending:
            parts_k.append(k)
            parts_c.append(np.ones(k.size, dtype=np.int64) if c is None else c)
        if self._pending_scalar:
            parts_k.append(np.fromiter(self._pending_scalar.keys(), dtype=np.int64))
            parts_c.append(np.fromiter(self._pending_scalar.values(), dtype=np.int64))
        if self._open_rows:
            block = self._open[: self._open_rows * NUM_BUCKETS]
            nz = np.flatnonzero(block)
            parts_k.append(nz + self._open_lo * NUM_BUCKETS)
            parts_c.append(block[nz])
        if not parts_k:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return _aggregate(np.concatenate(parts_k), np.concatenate(parts_c))

    @property
    def n_windows(self) -> int:
        """Windows up to the last one that received a record."""
        return len(self._count)

    def counts(self, n_windows: int | None = None) -> np.ndarray:
        """Number of recorded values per window (int64)."""
        return self._count.fitted(self._n(n_windows))

    def means(self, n_windows: int | None = None) -> np.ndarray:
        """Exact mean per window (NaN for empty windows)."""
        n = self._n(n_windows)
        c = self._count.fitted(n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(c > 0, self._sum.fitted(n) / c, np.nan)

    def maxima(self, n_windows: int | None = None) -> np.ndarray:
        """Exact maximum per window (NaN for empty windows)."""
        m = self._max.fitted(self._n(n_windows))
        m[m == -np.inf] = np.nan
        return m

    def minima(self, n_windows: int | None = None) -> np.ndarray:
        """Exact minimum per window (NaN for empty windows)."""
        m = self._min.fitted(self._n(n_windows))
        m[m == np.inf] = np.nan
        return m

    def percentiles(self, qs, n_windows: int | None = None) -> np.ndarray:
        """Percentiles per window as a 2-D array ``[window, q]`` (NaN rows for empty windows).

        Same semantics as :meth:`LatencyHistogram.percentiles` applied to each window's values.
        """
        q = np.atleast_1d(_check_quantiles(qs)).astype(np.float64)
        n = self._n(n_windows)
        out = np.full((n, q.size), np.nan)
        m = min(n, self.n_windows)
        if m == 0:
            return out
        keys, counts = self._entries()
        cum = np.cumsum(counts)
        wcount = self._count.view()
        base = np.concatenate(([0], np.cumsum(wcount)))[:m]
        wc = wcount[:m]
        ranks = np.clip(np.ceil(wc[:, None] * (q[None, :] / 100.0)), 1, np.maximum(wc, 1)[:, None])
        idx = np.searchsorted(cum, base[:, None] + ranks.astype(np.int64), side="left")
        np.minimum(idx, max(keys.size - 1, 0), out=idx)
        values = np.minimum(_REPRESENTATIVE[keys[idx] % NUM_BUCKETS], self._max.view()[:m, None])
        out[:m] = np.where(wc[:, None] > 0, values, np.nan)
        return out

    def histogram(self, window: int) -> LatencyHistogram:
        """The full LatencyHistogram of one window."""
        keys, counts = self._entries()
        lo, hi = np.searchsorted(keys, [window * NUM_BUCKETS, (window + 1) * NUM_BUCKETS])
        dense = np.zeros(NUM_BUCKETS, dtype=np.int64)
        dense[keys[lo:hi] - window * NUM_BUCKETS] = counts[lo:hi]
        if hi == lo:
            return LatencyHistogram()
        return LatencyHistogram.from_bucket_counts(
            dense,
            total=float(self._sum.view()[window]),
            minimum=float(self._min.view()[window]),
            maximum=float(self._max.view()[window]),
        )

    def overall(self) -> LatencyHistogram:
        """All windows merged into one LatencyHistogram (exact count, sum, min and max)."""
        keys, counts = self._entries()
        if keys.size == 0:
            return LatencyHistogram()
        dense = np.bincount(keys % NUM_BUCKETS, weights=counts, minlength=NUM_BUCKETS)
        c = self._count.view() > 0
        return LatencyHistogram.from_bucket_counts(
            np.rint(dense).astype(np.int64),
            total=math.fsum(self._sum.view()[c]),
            minimum=float(self._min.view()[c].min()),
            maximum=float(self._max.view()[c].max()),
        )

    @property
    def total_count(self) -> int:
        return int(self._count.view().sum())

    @property
    def nbytes(self) -> int:
        """Bytes held in numpy arrays (capacity, including the pending open windows)."""
        dense = self._count.nbytes + self._sum.nbytes + self._min.nbytes + self._max.nbytes
        sparse = sum(arr.nbytes for arr in self._sparse_arrays())
        pending = sum(k.nbytes + (0 if c is None else c.nbytes) for k, c in self._pending)
        return dense + sparse + self._open.nbytes + pending + 16 * len(self._pending_scalar)
