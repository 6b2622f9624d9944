"""eventsim.metrics.histogram: log-linear latency histogram."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsim.metrics.histogram import (
    HIGHEST_MS,
    LOWEST_MS,
    NUM_BUCKETS,
    LatencyHistogram,
    _add_counts_loop,
    _index_unchecked,
    bucket_edges,
    bucket_index,
    bucket_lower,
    bucket_value,
)

# Latencies from 1 us to 1e8 ms, the documented range with <= 1 % relative error.
latency = st.floats(min_value=LOWEST_MS, max_value=1e8, allow_nan=False, allow_infinity=False)
latencies = st.lists(latency, min_size=1, max_size=300)
any_latency = st.one_of(latency, st.floats(min_value=0.0, max_value=LOWEST_MS), st.just(0.0))
percentile_q = st.floats(min_value=0.0, max_value=100.0)


def exact_percentile(data, q):
    return float(np.percentile(np.asarray(data, dtype=np.float64), q, method="inverted_cdf"))


# -- bucket layout -----------------------------------------------------------------------------
def test_layout_is_small_and_covers_the_range():
    edges = bucket_edges()
    assert NUM_BUCKETS == edges.size - 1 < 5000
    assert edges[0] == 0.0 and edges[1] == LOWEST_MS
    assert edges[-1] == HIGHEST_MS >= 1e8
    assert np.all(np.diff(edges) > 0)
    # relative bucket width <= 1/128 < 1 % everywhere above the lowest bucket
    assert np.max(np.diff(edges[1:]) / edges[1:-1]) <= 1 / 128 + 1e-12
    assert not edges.flags.writeable


def test_bucket_index_known_values():
    assert bucket_index(0.0) == 0
    assert bucket_index(LOWEST_MS / 2) == 0
    assert bucket_index(LOWEST_MS) == 1
    assert bucket_index(2 * LOWEST_MS) == 1 + 128  # second octave starts after 128 sub-buckets
    assert bucket_index(HIGHEST_MS * 10) == NUM_BUCKETS - 1  # pinned into the top bucket
    assert bucket_index(np.array([[1.0, 2.0]])).shape == (1, 2)
    # 5 ms = 5000 us: octave 12 (4096 us), sub-bucket floor((5000/4096 - 1) * 128) = 28
    assert bucket_index(5.0) == 1 + 12 * 128 + 28
    assert bucket_lower(bucket_index(5.0)) == 4.992
    assert bucket_value(bucket_index(5.0)) == 5.024


@given(st.lists(any_latency, min_size=1, max_size=50))
def test_bucket_index_agrees_with_edges_and_scalar_path(values):
    v = np.asarray(values)
    idx = bucket_index(v)
    edges = bucket_edges()
    assert np.all(edges[idx] <= v)
    assert np.all((v < edges[idx + 1]) | (idx == NUM_BUCKETS - 1))
    # the scalar fast path of record() files each value in the same bucket
    for x, i in zip(values, idx, strict=True):
        h = LatencyHistogram()
        h.record(float(x))
        assert h.bucket_counts()[i] == 1


@given(
    st.lists(st.one_of(any_latency, st.floats(min_value=1e8, max_value=1e300)), min_size=1, max_size=60),
    st.integers(min_value=1, max_value=5),
)
def test_counting_loop_files_values_as_the_index_rule(values, c):
    """The compiled build's counting loop puts every value in the bucket numpy's index rule gives it,
    alone and in a block of per-row histograms (it runs as Python here when the build is pure)."""
    v = np.asarray(values, dtype=np.float64)
    bits = (v * 1000.0).view(np.int64)
    idx = _index_unchecked(v)
    counts = np.zeros(NUM_BUCKETS, dtype=np.int64)
    _add_counts_loop(counts, bits, v, c, np.zeros(1, dtype=np.int64), False)
    assert np.array_equal(counts, np.bincount(idx, minlength=NUM_BUCKETS) * c)
    rows = np.arange(v.size, dtype=np.int64) % 3
    block = np.zeros(3 * NUM_BUCKETS, dtype=np.int64)
    _add_counts_loop(block, bits, v, 1, rows, True)
    assert np.array_equal(block, np.bincount(rows * NUM_BUCKETS + idx, minlength=3 * NUM_BUCKETS))


def test_counting_loop_near_every_edge():
    """The loop skips the edge comparisons for values well inside their bucket: values within a dozen ulps
    of every edge, on both sides, land where the index rule puts them."""
    edges = bucket_edges()[1:-1]
    near = [edges]
    for direction in (0.0, np.inf):
        x = edges.copy()
        for _ in range(12):
            x = np.nextafter(x, direction)
            near.append(x)
    v = np.concatenate(near + [np.array([0.0, 5e-324, 1e-3, HIGHEST_MS, 1e300])])
    counts = np.zeros(NUM_BUCKETS, dtype=np.int64)
    _add_counts_loop(counts, (v * 1000.0).view(np.int64), v, 1, np.zeros(1, dtype=np.int64), False)
    assert np.array_equal(counts, np.bincount(_index_unchecked(v), minlength=NUM_BUCKETS))


def test_values_exactly_on_edges():
    edges = bucket_edges()[1:-1]
    assert np.array_equal(bucket_index(edges), np.arange(1, NUM_BUCKETS))
    below = np.nextafter(edges, 0)
    assert np.array_equal(bucket_index(below), np.arange(0, NUM_BUCKETS - 1))


@pytest.mark.parametrize("bad", [np.nan, -1.0, -1e-300, np.inf])
def test_invalid_values_rejected(bad):
    h = LatencyHistogram()
    with pytest.raises(ValueError):
        h.record(bad)
    with pytest.raises(ValueError):
        h.record(np.array([1.0, bad]))
    with pytest.raises(ValueError):
        bucket_index([bad])
    assert h.is_empty and h.count == 0


def test_invalid_counts_rejected():
    h = LatencyHistogram()
    with pytest.raises(ValueError):
        h.record(1.0, count=-1)
    with pytest.raises(ValueError):
        h.record(np.array([1.0, 2.0]), count=np.array([1, 2, 3]))
    with pytest.raises(ValueError):
        h.record(np.array([1.0]), count=np.array([0.5]))
    with pytest.raises(ValueError):
        h.record(np.array([1.0]), count=1.5)
    assert h.is_empty


# -- exact statistics --------------------------------------------------------------------------
@given(st.lists(any_latency, min_size=1, max_size=300))
def test_count_sum_min_max_exact(values):
    h = LatencyHistogram()
    h.record(np.asarray(values))
    assert h.count == len(values) == len(h)
    assert h.min == min(values)
    assert h.max == max(values)
    assert h.total == pytest.approx(math.fsum(values), rel=1e-12, abs=1e-12)
    assert h.mean == pytest.approx(math.fsum(values) / len(values), rel=1e-12, abs=1e-12)
    assert h.bucket_counts().sum() == len(values)


def test_sum_is_compensated_across_batches():
    h = LatencyHistogram()
    h.record(1e8)
    for _ in range(1000):
        h.record(np.full(10, 1e-3))
    assert h.total == math.fsum([1e8] + [1e-3] * 10_000)


def test_empty_histogram():
    h = LatencyHistogram()
    assert h.is_empty and h.count == 0
    assert math.isnan(h.mean) and math.isnan(h.min) and math.isnan(h.max)
    assert math.isnan(h.percentile(50))
    assert np.isnan(h.percentiles([1, 99])).all()
    values, fractions = h.cdf()
    assert values.size == 0 and fractions.size == 0
    h.record(np.empty(0))
    h.record(np.array([3.0]), count=0)
    assert h.is_empty


# -- percentiles -------------------------------------------------------------------------------
@given(latencies, percentile_q)
def test_percentile_within_one_percent_and_never_below(values, q):
    h = LatencyHistogram()
    h.record(np.asarray(values))
    exact = exact_percentile(values, q)
    got = h.percentile(q)
    assert exact <= got <= exact * 1.01
    assert got <= h.max


def test_percentiles_on_large_random_sample():
    rng = np.random.default_rng(7)
    data = np.concatenate([rng.lognormal(np.log(20), 1.0, 200_000), rng.exponential(2.0, 50_000)])
    h = LatencyHistogram()
    for chunk in np.array_split(data, 37):  # mix of bincount and add.at paths
        h.record(chunk)
    qs = np.array([0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100])
    exact = np.percentile(data, qs, method="inverted_cdf")
    got = h.percentiles(qs)
    assert np.all(got >= exact)
    assert np.all(got <= np.maximum(exact * (1 + 1 / 128), LOWEST_MS))  # sub-microsecond values report 1 us
    assert got[-1] == data.max()


def test_percentile_semantics_hand_example():
    h = LatencyHistogram()
    h.record(np.array([1.0, 2.0, 3.0, 4.0]))
    # smallest value with at least q % of values <= it: rank ceil(q/100 * 4)
    assert h.percentile(25) == bucket_value(bucket_index(1.0))
    assert h.percentile(25.1) == bucket_value(bucket_index(2.0))
    assert h.percentile(50) == bucket_value(bucket_index(2.0))
    assert h.percentile(100) == 4.0  # clamped to the exact max
    assert h.percentile(0) == bucket_value(bucket_index(1.0))


def test_tiny_and_huge_values():
    h = LatencyHistogram()
    h.record(np.array([0.0, 0.0, 0.0]))
    assert h.percentile(50) == 0.0  # bucket 0's edge (0.001) clamped to the exact max
    h.record(2e9)  # above HIGHEST_MS: pinned into the top bucket, exact max kept
    assert h.max == 2e9
    assert h.percentile(100) == 2e9
    assert h.bucket_counts()[-1] == 1


@pytest.mark.parametrize("q", [-0.1, 100.1, np.nan])
def test_percentile_out_of_range(q):
    h = LatencyHistogram()
    h.record(1.0)
    with pytest.raises(ValueError):
        h.percentile(q)


# -- merge, counts, copies -----------------------------------------------------------------------
@given(latencies, latencies)
def test_merge_equals_recording_all(a, b):
    ha, hb, hall = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
    ha.record(np.asarray(a))
    hb.record(np.asarray(b))
    hall.record(np.asarray(a + b))
    summed = ha + hb
    assert summed == hall
    assert ha.count == len(a)  # __add__ leaves its operands alone
    ha += hb
    assert ha == hall
    assert np.array_equal(ha.bucket_counts(), hall.bucket_counts())
    assert ha.min == hall.min and ha.max == hall.max and ha.count == hall.count
    assert np.array_equal(ha.percentiles([5, 50, 95, 100]), hall.percentiles([5, 50, 95, 100]))


def test_merge_with_empty_and_type_check():
    h = LatencyHistogram()
    h.record(5.0)
    h.merge(LatencyHistogram())
    assert h.count == 1 and h.min == 5.0
    empty = LatencyHistogram()
    empty.merge(h)
    assert empty == h
    with pytest.raises(TypeError):
        h.merge([1.0])


@given(st.lists(st.tuples(latency, st.integers(min_value=0, max_value=20)), min_size=1, max_size=60))
def test_weighted_record_equals_repetition(pairs):
    values = np.array([v for v, _ in pairs])
    counts = np.array([c for _, c in pairs])
    weighted, repeated = LatencyHistogram(), LatencyHistogram()
    weighted.record(values, count=counts)
    repeated.record(np.repeat(values, counts))
    assert weighted == repeated
    scalar = LatencyHistogram()
    for v, c in pairs:
        scalar.record(float(v), count=int(c))
    assert scalar == repeated


def test_scalar_count_and_large_batches_match():
    rng = np.random.default_rng(3)
    data = rng.lognormal(1.0, 2.0, 5000)
    small, big = LatencyHistogram(), LatencyHistogram()
    for chunk in np.array_split(data, 100):  # 50 values per call: np.add.at path
        small.record(chunk, count=3)
    big.record(np.tile(data, 3))  # bincount path
    assert small == big


def test_copy_reset_and_from_bucket_counts():
    h = LatencyHistogram()
    h.record(np.array([1.0, 10.0, 100.0]))
    c = h.copy()
    h.record(1000.0)
    assert c.count == 3 and c.max == 100.0
    rebuilt = LatencyHistogram.from_bucket_counts(
        c.bucket_counts(), total=c.total, minimum=c.min, maximum=c.max
    )
    assert rebuilt == c
    h.reset()
    assert h.is_empty and h.bucket_counts().sum() == 0 and math.isnan(h.max)
    with pytest.raises(ValueError):
        LatencyHistogram.from_bucket_counts(np.zeros(3), total=0, minimum=0, maximum=0)


# -- cdf -----------------------------------------------------------------------------------------
@given(latencies)
def test_cdf_monotone_ending_at_one(values):
    h = LatencyHistogram()
    h.record(np.asarray(values))
    xs, fs = h.cdf()
    assert xs.size == fs.size == np.count_nonzero(h.bucket_counts())
    assert np.all(np.diff(xs) >= 0) and np.all(np.diff(fs) > 0)
    assert fs[-1] == 1.0 and xs[-1] == max(values)
    data = np.sort(values)
    # at least the reported fraction of values is <= each reported value, and within one bucket
    at_most = np.searchsorted(data, xs, side="right") / data.size
    assert np.all(fs <= at_most + 1e-12)
    assert np.all(xs <= np.maximum(bucket_lower(bucket_index(xs)) * (1 + 1 / 128), LOWEST_MS))


def test_repr_mentions_percentiles():
    h = LatencyHistogram()
    assert "count=0" in repr(h)
    h.record(np.arange(1.0, 101.0))
    assert "p99=" in repr(h) and "count=100" in repr(h)
