"""Log-linear latency histogram (HdrHistogram layout) for simulated latencies in milliseconds.

What Kafka does: the Java client metrics compute percentiles from a fixed-bin ``Histogram`` whose
bins are constant or linearly growing (``clients/src/main/java/org/apache/kafka/common/metrics/
stats/Percentiles.java``, ``Histogram.java``); values outside ``[min, max]`` are pinned to the
edge. The broker's request-time histograms (``RequestMetrics``) use Yammer's exponentially decaying
reservoir, and ``kafka-producer-perf-test`` sorts a sample of at most 500 000 latencies
(``tools/src/main/java/org/apache/kafka/tools/ProducerPerformance.java``). Benchmark harnesses such
as the OpenMessaging Benchmark record latencies in an HdrHistogram.

What is modelled: an HdrHistogram-style log-linear bucketing. Values are measured in units of
``LOWEST_MS`` (1 microsecond). Bucket 0 holds everything below one unit (including 0). Above that,
each power-of-two range ``[2**k, 2**(k+1))`` units is split into ``SUB_BUCKETS`` = 128 equal
buckets, so a bucket is at most 1/128 (0.78 %) of its lower edge wide: about two significant
decimal digits. ``OCTAVES`` = 37 ranges cover 0.001 ms up to ``HIGHEST_MS`` (about 1.37e8 ms, 38
hours) in ``NUM_BUCKETS`` = 4737 int64 counters (37 KiB). Count, sum, min and max are kept exactly
(the sum with compensated summation), so the mean and the extremes carry no bucket error.

Percentiles follow HdrHistogram's ``getValueAtPercentile``: the value at percentile ``q`` is the
upper edge of the bucket holding the ``ceil(q/100 * count)``-th smallest recorded value (at least
the first), clamped to the exact maximum. It is therefore never below the exact order statistic and
at most 0.78 % above it (values below 0.001 ms report 0.001 ms or the exact max if smaller); the
rank rule matches ``numpy.percentile(method="inverted_cdf")``.

What is not modelled: HdrHistogram's integer value units, auto-resizing and coordinated-omission
correction. Values at or above ``HIGHEST_MS`` are counted in the top bucket (like Kafka's pinning);
the top bucket's upper edge is treated as unbounded, so a percentile landing there reports the
exact maximum. Negative, NaN and infinite values are rejected with ``ValueError``: a latency of
that kind is a modelling bug, not an observation.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "HIGHEST_MS",
    "LOWEST_MS",
    "NUM_BUCKETS",
    "OCTAVES",
    "SUB_BUCKETS",
    "LatencyHistogram",
    "bucket_edges",
    "bucket_index",
    "bucket_lower",
    "bucket_value",
]

LOWEST_MS = 0.001
"""Width of the value unit and lower edge of bucket 1; smaller values land in bucket 0."""
_UNITS_PER_MS = 1000.0
SUB_BUCKET_BITS = 7
SUB_BUCKETS = 1 << SUB_BUCKET_BITS
"""Linear buckets per power-of-two range: relative bucket width <= 1/128."""
OCTAVES = 37
"""Power-of-two ranges above LOWEST_MS; 2**37 us = 1.37e8 ms."""
NUM_BUCKETS = 1 + OCTAVES * SUB_BUCKETS
HIGHEST_MS = float(2**OCTAVES) / _UNITS_PER_MS
"""Upper edge of the regular bucket range (values above it are pinned into the top bucket)."""

# Bucket i >= 1 covers [2**o * (128 + s), 2**o * (128 + s + 1)) / 128 units with o, s = divmod(i - 1, 128).
_j = np.arange(NUM_BUCKETS - 1, dtype=np.int64)
_o, _s = np.divmod(_j, SUB_BUCKETS)
_LOWER = np.empty(NUM_BUCKETS, dtype=np.float64)
_LOWER[0] = 0.0
_LOWER[1:] = np.ldexp((SUB_BUCKETS + _s).astype(np.float64), (_o - SUB_BUCKET_BITS).astype(np.int32))
_LOWER[1:] /= _UNITS_PER_MS
_UPPER = np.empty(NUM_BUCKETS, dtype=np.float64)
_UPPER[:-1] = _LOWER[1:]
_UPPER[-1] = HIGHEST_MS
_EDGES = np.append(_LOWER, HIGHEST_MS)
_EDGES.flags.writeable = False
# The top bucket also holds pinned values, so it has no upper edge: a percentile landing there
# reports the exact max, and no value is moved out of it.
_REPRESENTATIVE = _UPPER.copy()
_REPRESENTATIVE[-1] = np.inf
del _j, _o, _s

try:  # compiled, the per-value loops below run as C; as Python, numpy does the same in passes
    import cython
except ImportError:  # pure Python, without Cython installed
    from eventsim._compiled import cython_stand_in as cython
_COMPILED = cython.compiled
_NO_ROWS = np.zeros(1, dtype=np.int64)

_MANTISSA_SHIFT = 52 - SUB_BUCKET_BITS
_INDEX_BIAS = 1023 * SUB_BUCKETS - 1
_ADD_AT_THRESHOLD = 256  # below this many values np.add.at beats a full-length bincount


def _as_values(values) -> np.ndarray:
    """Float64 1-D view of ``values``; raises ValueError for NaN, infinite or negative values."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size and not ((v >= 0.0) & (v < np.inf)).all():
        if np.isnan(v).any():
            raise ValueError("latency values must not be NaN")
        if np.isinf(v).any():
            raise ValueError("latency values must be finite")
        raise ValueError(f"latency values must be >= 0 ms (got min {float(v.min())!r})")
    return v


def _index_unchecked(v: np.ndarray) -> np.ndarray:
    """Bucket indices for validated non-negative finite float64 values."""
    x = v * _UNITS_PER_MS
    # log2 arithmetic on the IEEE-754 bits (what np.frexp returns, without the temporaries): for a
    # normal x >= 1, bits >> 45 is (biased exponent << 7) | top 7 mantissa bits, i.e. octave and
    # sub-bucket side by side, so index = 1 + octave * 128 + sub = (bits >> 45) - 1023 * 128 + 1.
    # Computed in x's own buffer: a fold indexes tens of thousands of values, and each temporary of
    # that size costs more than the arithmetic.
    idx = x.view(np.int64)
    idx >>= _MANTISSA_SHIFT
    idx -= _INDEX_BIAS
    np.minimum(np.maximum(idx, 0, out=idx), NUM_BUCKETS - 1, out=idx)  # (np.clip is slow on small arrays)
    # x = v * 1000 is rounded, and so are the edges in ms; one comparison each way makes bucket
    # membership agree exactly with bucket_edges().
    idx -= v < _LOWER.take(idx)
    idx += v >= _REPRESENTATIVE.take(idx)
    return idx


def _add_counts(counts: np.ndarray, v: np.ndarray, c: int = 1, rows: np.ndarray | None = None) -> None:
    """``c`` more in ``counts`` at the bucket of each of ``v`` (validated); with ``rows``, at
    ``rows[i] * NUM_BUCKETS`` plus value ``i``'s bucket (a block of histograms, one per row).

    Compiled, one C loop over the values (:func:`_add_counts_loop`); as Python, numpy's passes. Both
    count the same buckets: integer counts, the same rule (:func:`_index_unchecked`).
    """
    if v.size == 0:
        return
    if _COMPILED:
        bits = (v * _UNITS_PER_MS).view(np.int64)  # x's IEEE-754 bits, as _index_unchecked reads them
        if rows is None:
            _add_counts_loop(counts, bits, v, c, _NO_ROWS, 0)
        else:
            _add_counts_loop(counts, bits, v, c, rows, 1)
        return
    idx = _index_unchecked(v)
    if rows is not None:
        idx += rows * NUM_BUCKETS
    if v.size < _ADD_AT_THRESHOLD:
        np.add.at(counts, idx, c)
    else:
        hits = np.bincount(idx, minlength=counts.size)
        counts += hits * c if c != 1 else hits


def _add_counts_loop(counts, bits, v, c, rows, use_rows) -> None:
    """The loop of :func:`_add_counts` (typed in histogram.pxd): per value, the bucket from ``bits`` as
    :func:`_index_unchecked` computes it, then ``c`` more there."""
    width = NUM_BUCKETS
    top = NUM_BUCKETS - 1
    shift = _MANTISSA_SHIFT
    bias = _INDEX_BIAS
    lower = _LOWER
    upper = _REPRESENTATIVE
    low_bits = (1 << shift) - 1  # x's mantissa bits below the sub-bucket's
    with cython.boundscheck(False), cython.wraparound(False):  # indices valid by construction
        for i in range(v.shape[0]):
            b = bits[i]
            k = (b >> shift) - bias
            r = b & low_bits  # how many of x's ulps x lies above its bucket's lower edge (in units)
            # x = v * 1000 is within half an ulp of v's exact product, and the edges in ms within half an
            # ulp of theirs: x at least 4 ulps inside its bucket (in units) puts v inside it in ms, with no
            # comparison needed; nearer an edge, or clamped, compare as _index_unchecked does.
            if k < 1 or k >= top or r < 4 or r > low_bits - 4:
                value = v[i]
                if k < 0:
                    k = 0
                elif k > top:
                    k = top
                if value < lower[k]:
                    k -= 1
                if value >= upper[k]:
                    k += 1
            if use_rows:
                k += rows[i] * width
            counts[k] += c


def _index_scalar(v: float) -> int:
    x = v * _UNITS_PER_MS
    if x < 1.0:
        i = 0
    else:
        m, e = math.frexp(x)
        i = min((e - 1) * SUB_BUCKETS + int(m * (2 * SUB_BUCKETS)) - 127, NUM_BUCKETS - 1)
    if v < _LOWER[i]:
        i -= 1
    elif i < NUM_BUCKETS - 1 and v >= _UPPER[i]:
        i += 1
    return i


def bucket_index(values) -> np.ndarray:
    """Bucket index (int64 array, same shape as ``values``) of each latency in ms.

    Values below ``LOWEST_MS`` map to 0, values at or above ``HIGHEST_MS`` to ``NUM_BUCKETS - 1``.
    Raises ValueError for NaN, infinite or negative values.
    """
    arr = np.asarray(values, dtype=np.float64)
    return _index_unchecked(_as_values(arr)).reshape(arr.shape)


def bucket_value(index) -> np.ndarray:
    """Representative value (ms) of bucket(s): the upper edge, HdrHistogram's highest equivalent value."""
    return _UPPER[np.asarray(index, dtype=np.int64)]


def bucket_lower(index) -> np.ndarray:
    """Lower edge (ms) of bucket(s)."""
    return _LOWER[np.asarray(index, dtype=np.int64)]


def bucket_edges() -> np.ndarray:
    """The ``NUM_BUCKETS + 1`` bucket edges in ms (read-only): bucket i is ``[edges[i], edges[i+1])``."""
    return _EDGES


def _check_quantiles(qs) -> np.ndarray:
    q = np.asarray(qs, dtype=np.float64)
    if q.size and not ((q >= 0.0) & (q <= 100.0)).all():
        raise ValueError(f"percentiles must lie in [0, 100], got {qs!r}")
    return q


def _values_at_ranks(cum: np.ndarray, ranks: np.ndarray, maximum: float) -> np.ndarray:
    """Values of the ranks-th smallest observations, given cumulative bucket counts ``cum``."""
    idx = np.searchsorted(cum, ranks, side="left")
    return np.minimum(_REPRESENTATIVE[idx], maximum)


def _ranks(n: int, q: np.ndarray) -> np.ndarray:
    """1-based rank of percentile q out of n values: max(1, ceil(n * q/100)), as numpy's inverted_cdf."""
    return np.clip(np.ceil(n * (q / 100.0)), 1, n)


class LatencyHistogram:
    """Streaming histogram of latencies in ms with HdrHistogram-style log-linear buckets.

    >>> h = LatencyHistogram()
    >>> h.record(np.array([1.0, 2.0, 3.0, 100.0]))
    >>> h.count, h.min, h.max, h.mean
    (4, 1.0, 100.0, 26.5)
    >>> round(h.percentile(50), 3)
    2.008
    """

    __slots__ = ("_counts", "_count", "_sum", "_comp", "_min", "_max")

    def __init__(self) -> None:
        self._counts = np.zeros(NUM_BUCKETS, dtype=np.int64)
        self.reset()

    # -- recording ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything recorded."""
        self._counts[:] = 0
        self._count = 0
        self._sum = 0.0
        self._comp = 0.0  # Neumaier compensation term for _sum
        self._min = math.inf
        self._max = -math.inf

    def _add_sum(self, s: float) -> None:
        t = self._sum + s
        if abs(self._sum) >= abs(s):
            self._comp += (self._sum - t) + s
        else:
            self._comp += (s - t) + self._sum
        self._sum = t

    def record(self, values, count=1) -> None:
        """Record latency value(s) in ms, each ``count`` times (``count`` an int or an array like ``values``).

        Raises ValueError for NaN, infinite or negative values and for negative or fractional counts.
        """
        if isinstance(values, (float, int)) and not isinstance(values, bool):
            if type(count) is int and count >= 0:
                self._record_scalar(float(values), count)
                return
        v = _as_values(values)
        if np.ndim(count) == 0:
            c = _as_count(count)
            if c == 0 or v.size == 0:
                return
            _add_counts(self._counts, v, c)
            self._count += c * v.size
            self._add_sum(float(np.sum(v)) * c)
            lo, hi = float(v.min()), float(v.max())
        else:
            c = np.asarray(count).reshape(-1)
            if c.shape != v.shape:
                raise ValueError(f"count has {c.size} entries but {v.size} values were given")
            if c.size and (c.dtype.kind not in "iub"):
                if not (np.isfinite(c).all() and (c == np.floor(c)).all()):
                    raise ValueError("counts must be whole numbers")
            c = c.astype(np.int64)
            if (c < 0).any():
                raise ValueError("counts must be >= 0")
            keep = c > 0
            if not keep.all():
                v, c = v[keep], c[keep]
            if v.size == 0:
                return
            idx = _index_unchecked(v)
            np.add.at(self._counts, idx, c)
            self._count += int(c.sum())
            # Not np.dot: BLAS may split a long dot product across threads, and then its rounding
            # depends on the machine's core count; numpy's own pairwise sum does not.
            self._add_sum(float(np.sum(v * c)))
            lo, hi = float(v.min()), float(v.max())
        if lo < self._min:
            self._min = lo
        if hi > self._max:
            self._max = hi

    def _record_scalar(self, v: float, count: int) -> None:
        if not (0.0 <= v < math.inf):
            _as_values(v)  # raises with the right message
        if count == 0:
            return
        self._counts[_index_scalar(v)] += count
        self._count += count
        self._add_sum(v * count)
        if v < self._min:
            self._min = v
        if v > self._max:
            self._max = v

    def merge(self, other: LatencyHistogram) -> LatencyHistogram:
        """Add everything recorded in ``other`` to this histogram; returns self."""
        if not isinstance(other, LatencyHistogram):
            raise TypeError(f"cannot merge {type(other).__name__} into LatencyHistogram")
        if other._count == 0:
            return self
        self._counts += other._counts
        self._count += other._count
        self._add_sum(other._sum)
        self._add_sum(other._comp)
        self._min = min(self._min, other._min)
        self._max = max(self._max, other._max)
        return self

    def __iadd__(self, other: LatencyHistogram) -> LatencyHistogram:
        return self.merge(other)

    def __add__(self, other: LatencyHistogram) -> LatencyHistogram:
        return self.copy().merge(other)

    def copy(self) -> LatencyHistogram:
        h = LatencyHistogram.__new__(LatencyHistogram)
        h._counts = self._counts.copy()
        h._count, h._sum, h._comp = self._count, self._sum, self._comp
        h._min, h._max = self._min, self._max
        return h

    @classmethod
    def from_bucket_counts(cls, counts, *, total: float, minimum: float, maximum: float) -> LatencyHistogram:
        """Rebuild a histogram from its ``bucket_counts()`` and exact sum, min and max."""
        c = np.asarray(counts)
        if c.shape != (NUM_BUCKETS,):
            raise ValueError(f"counts must have shape ({NUM_BUCKETS},), got {c.shape}")
        if (c < 0).any():
            raise ValueError("counts must be >= 0")
        h = cls()
        h._counts[:] = c
        h._count = int(h._counts.sum())
        if h._count:
            h._sum = float(total)
            h._min, h._max = float(minimum), float(maximum)
        return h

    # -- reading -----------------------------------------------------------------------------
    @property
    def count(self) -> int:
        """Number of recorded values."""
        return self._count

    @property
    def is_empty(self) -> bool:
        return self._count == 0

    @property
    def total(self) -> float:
        """Sum of recorded values in ms (compensated summation)."""
        return self._sum + self._comp

    @property
    def mean(self) -> float:
        """Exact mean in ms (NaN when empty)."""
        return self.total / self._count if self._count else math.nan

    @property
    def min(self) -> float:
        """Exact minimum in ms (NaN when empty)."""
        return self._min if self._count else math.nan

    @property
    def max(self) -> float:
        """Exact maximum in ms (NaN when empty)."""
        return self._max if self._count else math.nan

    def bucket_counts(self) -> np.ndarray:
        """Copy of the int64 counts per bucket (length ``NUM_BUCKETS``)."""
        return self._counts.copy()

    def percentile(self, q: float) -> float:
        """Smallest bucket value such that at least ``q`` % of recorded values are <= it (NaN when empty)."""
        return float(self.percentiles(np.asarray([q], dtype=np.float64))[0])

    def percentiles(self, qs) -> np.ndarray:
        """Vectorised :meth:`percentile` for an array of percentiles in [0, 100]."""
        q = _check_quantiles(qs)
        if self._count == 0:
            return np.full(q.shape, np.nan)
        cum = np.cumsum(self._counts)
        return _values_at_ranks(cum, _ranks(self._count, q), self._max)

    def cdf(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, fractions) over non-empty buckets: fraction of recorded values <= each value.

        Values are the bucket representatives (upper edges clamped to the exact max), so the last
        pair is (max, 1.0). Both arrays are non-decreasing; empty arrays when nothing is recorded.
        """
        nz = np.flatnonzero(self._counts)
        if nz.size == 0:
            return np.empty(0), np.empty(0)
        values = np.minimum(_REPRESENTATIVE[nz], self._max)
        fractions = np.cumsum(self._counts[nz]) / self._count
        fractions[-1] = 1.0
        return values, fractions

    def bucket_edges(self) -> np.ndarray:
        """The module's bucket edges in ms (``NUM_BUCKETS + 1`` values, read-only)."""
        return _EDGES

    def __len__(self) -> int:
        return self._count

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatencyHistogram):
            return NotImplemented
        return (
            self._count == other._count
            and np.array_equal(self._counts, other._counts)
            and (self._count == 0 or (self._min == other._min and self._max == other._max))
            and math.isclose(self.total, other.total, rel_tol=1e-12, abs_tol=1e-9)
        )

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        if self._count == 0:
            return "LatencyHistogram(count=0)"
        p50, p99 = self.percentiles([50.0, 99.0])
        return (
            f"LatencyHistogram(count={self._count}, mean={self.mean:.4g} ms, min={self._min:.4g}, "
            f"p50={p50:.4g}, p99={p99:.4g}, max={self._max:.4g})"
        )


def _as_count(count) -> int:
    if isinstance(count, (bool, np.bool_)):
        raise ValueError("count must be an integer, not a bool")
    c = int(count)
    if c != count or c < 0:
        raise ValueError(f"count must be a whole number >= 0, got {count!r}")
    return c
