"""eventsim.metrics.timeseries: windowed counters, histograms, levels and busy time."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsim.metrics import timeseries
from eventsim.metrics.histogram import NUM_BUCKETS, LatencyHistogram
from eventsim.metrics.levels import LevelSeries
from eventsim.metrics.timeseries import BusyTracker, WindowedCounter
from eventsim.metrics.windowed_histogram import WindowedHistogram

W = 1000.0
times = st.floats(min_value=0.0, max_value=20_000.0, allow_nan=False)
latency = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)


def reference_window_histograms(t, v, window_ms, n):
    """One LatencyHistogram per window, built directly from that window's values."""
    w = np.floor_divide(t, window_ms).astype(int)
    out = []
    for k in range(n):
        h = LatencyHistogram()
        h.record(v[w == k])
        out.append(h)
    return out


# -- WindowedCounter -----------------------------------------------------------------------------
@given(st.lists(st.tuples(times, st.integers(min_value=0, max_value=1000)), min_size=1, max_size=200))
def test_counter_matches_direct_binning(events):
    t = np.array([e[0] for e in events])
    a = np.array([e[1] for e in events], dtype=np.float64)
    c = WindowedCounter(W)
    half = len(events) // 2
    c.add(t[:half], a[:half])  # vectorised
    for ti, ai in zip(t[half:], a[half:], strict=True):  # scalar path
        c.add(float(ti), float(ai))
    expected = np.bincount((t // W).astype(int), weights=a)
    assert np.array_equal(c.values(), expected)
    assert c.total == a.sum()
    assert c.n_windows == int(t.max() // W) + 1


def test_counter_hand_example_and_alignment():
    c = WindowedCounter(W, dtype=np.int64)
    c.add(np.array([0.0, 999.999, 1000.0, 3500.0]))  # amount 1 each
    c.add(2999.0, 5)
    c.add(np.array([10.0, 20.0]), 2)  # same window, scalar amount
    assert c.values().dtype == np.int64
    assert c.values().tolist() == [6, 1, 5, 1]
    assert c.values(6).tolist() == [6, 1, 5, 1, 0, 0]
    assert c.values(2).tolist() == [6, 1]
    assert c.window_starts_ms(3).tolist() == [0.0, 1000.0, 2000.0]
    assert c.rates_per_s().tolist() == [6.0, 1.0, 5.0, 1.0]
    assert c.total == 13
    with pytest.raises(ValueError):
        c.add(-1.0)
    with pytest.raises(ValueError):
        c.add(np.array([1.0, np.nan]))
    with pytest.raises(ValueError):
        c.add(np.array([1.0, 2.0]), np.array([1.0]))
    with pytest.raises(ValueError):
        WindowedCounter(0)


def test_counter_memory_grows_with_windows_not_records():
    c = WindowedCounter(W)
    for k in range(3600):
        c.add(k * W + np.arange(0, 1000, 10.0), 100.0)
    assert c.values().shape == (3600,)
    assert np.all(c.values() == 10_000.0)
    assert c.nbytes <= 2 * 3600 * 8


# -- WindowedHistogram --------------------------------------------------------------------------
def _late_stream(rng, n_windows, per_window, late_fraction=0.05):
    """Completion times roughly in order, some values arriving a window or two late."""
    t = np.sort(rng.uniform(0, n_windows * W, n_windows * per_window))
    v = rng.lognormal(np.log(15.0), 0.8, t.size)
    order = np.arange(t.size)
    late = rng.random(t.size) < late_fraction
    # a late record is delivered to the histogram up to ~1.5 windows after its time
    delivery = t + np.where(late, rng.uniform(0, 1.5 * W, t.size), 0.0)
    order = np.argsort(delivery, kind="stable")
    return t[order], v[order]


def test_windowed_histogram_matches_per_window_histograms():
    rng = np.random.default_rng(11)
    t, v = _late_stream(rng, 40, 200)
    wh = WindowedHistogram(W)
    for chunk in np.array_split(np.arange(t.size), 300):
        wh.record(t[chunk], v[chunk])
    for i in range(0, 200):  # the scalar path, in the same stream
        wh.record(float(i * 37.0), float(v[i]))
    t_all = np.concatenate([t, np.arange(200) * 37.0])
    v_all = np.concatenate([v, v[:200]])
    qs = [0, 10, 50, 90, 99, 100]
    n = wh.n_windows
    assert n == 40
    got = wh.percentiles(qs)
    refs = reference_window_histograms(t_all, v_all, W, n)
    for k, ref in enumerate(refs):
        assert np.array_equal(got[k], ref.percentiles(qs))
        assert wh.histogram(k) == ref
        exact = np.percentile(v_all[(t_all // W) == k], qs, method="inverted_cdf")
        assert np.all(got[k] >= exact) and np.all(got[k] <= exact * 1.01)
    assert wh.counts().tolist() == [r.count for r in refs]
    assert np.allclose(wh.means(), [r.mean for r in refs], rtol=1e-12)
    assert wh.maxima().tolist() == [r.max for r in refs]
    assert wh.minima().tolist() == [r.min for r in refs]
    overall = LatencyHistogram()
    overall.record(v_all)
    assert wh.overall() == overall
    assert wh.total_count == v_all.size


@given(st.lists(st.tuples(times, latency), min_size=1, max_size=120), st.integers(0, 3))
def test_windowed_histogram_any_order(events, lateness):
    t = np.array([e[0] for e in events])
    v = np.array([e[1] for e in events])
    wh = WindowedHistogram(W, lateness_windows=lateness)
    for ti, vi in events:  # arbitrary arrival order, every window reopened as needed
        wh.record(ti, vi)
    qs = [25, 50, 99.9]
    refs = reference_window_histograms(t, v, W, wh.n_windows)
    got = wh.percentiles(qs)
    for k, ref in enumerate(refs):
        assert np.array_equal(got[k], ref.percentiles(qs), equal_nan=True)
    assert wh.counts().sum() == len(events)
    wh.compact()
    assert np.array_equal(wh.percentiles(qs), got, equal_nan=True)


@given(st.integers(0, 2**32 - 1), st.integers(0, 3), st.integers(1, 12))
def test_windowed_histogram_blocks_in_any_order(seed, lateness, n_blocks):
    """Blocks of values (small ones counted one by one, large ones by bincount), with times that jump
    ahead, fall back into open windows or into compacted ones, and a compaction between them: every
    window holds exactly the values recorded for it."""
    rng = np.random.default_rng(seed)
    wh = WindowedHistogram(W, lateness_windows=lateness)
    ts, vs = [], []
    clock = 0.0
    for _ in range(n_blocks):
        size = int(rng.choice([1, 5, 300, 1200]))
        clock += rng.choice([0.0, 0.4, 1.0, 3.7]) * W
        t = np.maximum(clock + rng.uniform(-2.5 * W, 1.5 * W, size), 0.0)
        v = rng.lognormal(np.log(15.0), 1.0, size)
        if rng.random() < 0.3:  # one time per run of values, as an acknowledged batch's
            runs = np.diff(np.flatnonzero(np.concatenate(([True], rng.random(size - 1) < 0.2, [True]))))
            at = np.sort(rng.uniform(max(clock - W, 0.0), clock + W, runs.size))
            wh.record(at, v, repeats=runs)
            t = np.repeat(at, runs)
        else:
            wh.record(t, v)
        ts.append(t)
        vs.append(v)
        if rng.random() < 0.2:
            wh.compact()
    t_all, v_all = np.concatenate(ts), np.concatenate(vs)
    qs = [0, 50, 99, 100]
    refs = reference_window_histograms(t_all, v_all, W, wh.n_windows)
    got = wh.percentiles(qs)
    for k, ref in enumerate(refs):
        assert wh.histogram(k) == ref
        assert np.array_equal(got[k], ref.percentiles(qs), equal_nan=True)
    assert wh.counts().tolist() == [r.count for r in refs]
    wh.compact()
    assert np.array_equal(wh.percentiles(qs), got, equal_nan=True)


def test_empty_windows_are_nan_and_late_update_reopens_window():
    wh = WindowedHistogram(W)
    wh.record(np.array([100.0, 200.0]), np.array([5.0, 7.0]))
    wh.record(5500.0, 3.0)  # windows 1..4 stay empty; window 0 is compacted
    p = wh.percentiles([50, 100])
    assert p.shape == (6, 2)
    assert np.isnan(p[1:5]).all()
    assert p[5].tolist() == [3.0, 3.0]
    assert wh.counts().tolist() == [2, 0, 0, 0, 0, 1]
    assert np.isnan(wh.means()[1]) and np.isnan(wh.maxima()[2])
    wh.record(np.array([999.0]), np.array([100.0]))  # late value for the compacted window 0
    assert wh.percentiles([100])[0, 0] == 100.0
    assert wh.counts()[0] == 3
    assert wh.percentiles([50], n_windows=8).shape == (8, 1)
    assert np.isnan(wh.percentiles([50], n_windows=8)[6:]).all()
    assert wh.histogram(3).is_empty
    assert WindowedHistogram(W).percentiles([50]).shape == (0, 1)
    assert WindowedHistogram(W).overall().is_empty


def test_windowed_histogram_escape_codes():
    # large gaps between buckets, counts above 15 and above 65535 in one bucket of one window
    wh = WindowedHistogram(W)
    spread = np.array([0.0, 0.0005, 0.002, 1.0, 50.0, 7e4, 1e8, 5e9])
    heavy = np.full(70_000, 12.5)
    medium = np.full(300, 40.0)
    values = np.concatenate([spread, heavy, medium])
    wh.record(np.full(values.size, 10.0), values)
    wh.record(np.full(values.size, 1010.0), values[::-1])
    wh.record(5000.0, 1.0)  # closes windows 0 and 1
    wh.compact()
    ref = LatencyHistogram()
    ref.record(values)
    assert wh.histogram(0) == ref
    assert wh.histogram(1) == ref
    qs = np.linspace(0, 100, 41)
    assert np.array_equal(wh.percentiles(qs)[0], ref.percentiles(qs))
    assert wh.overall().bucket_counts().sum() == 2 * values.size + 1


def test_windowed_histogram_broadcast_and_errors():
    wh = WindowedHistogram(W)
    wh.record(1500.0, np.array([1.0, 2.0, 3.0]))  # one time for a batch of values
    assert wh.counts().tolist() == [0, 3]
    with pytest.raises(ValueError):
        wh.record(np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError):
        wh.record(1.0, math.nan)
    with pytest.raises(ValueError):
        wh.record(-5.0, 1.0)
    with pytest.raises(ValueError):
        wh.percentiles([101])
    with pytest.raises(ValueError):
        WindowedHistogram(W, lateness_windows=-1)


def test_windowed_histogram_memory_for_an_hour_of_one_second_windows():
    rng = np.random.default_rng(5)
    wh = WindowedHistogram(W)
    n_windows, per_window = 3600, 1000
    offsets = np.sort(rng.uniform(0, W, per_window))
    for k in range(n_windows):
        wh.record(k * W + offsets, rng.lognormal(np.log(20.0), 0.6, per_window))
    assert wh.n_windows == n_windows
    assert wh.total_count == n_windows * per_window
    dense_equivalent = n_windows * NUM_BUCKETS * 8  # one full int64 histogram per window: 136 MB
    assert wh.nbytes < 3_500_000 < dense_equivalent / 30
    wh.compact()
    assert wh.nbytes < 2_500_000
    p = wh.percentiles([50, 99])
    assert p.shape == (n_windows, 2)
    assert np.all((p[:, 0] > 15) & (p[:, 0] < 25))


# -- LevelSeries ---------------------------------------------------------------------------------
def test_level_series_hand_example():
    q = LevelSeries(W)
    q.set(250.0, 2.0)  # 0 on [0, 250), 2 on [250, 1500)
    q.add(1500.0, 4.0)  # 6 on [1500, 1500): zero duration, still a maximum
    q.set(1500.0, 1.0)  # 1 on [1500, 3200)
    q.set(3200.0, 3.0)  # 3 on [3200, 3600)
    q.finalize(3600.0)
    assert q.n_windows == 4
    mean = q.mean_per_window()
    assert mean.tolist() == [
        (0 * 250 + 2 * 750) / 1000,
        (2 * 500 + 1 * 500) / 1000,
        1.0,
        (1 * 200 + 3 * 400) / 600,  # last window observed for 600 ms
    ]
    assert q.max_per_window().tolist() == [2.0, 6.0, 1.0, 3.0]
    assert q.area_per_window().tolist() == [1500.0, 1500.0, 1000.0, 1400.0]
    assert np.isnan(q.mean_per_window(5)[4]) and np.isnan(q.max_per_window(5)[4])
    with pytest.raises(RuntimeError):
        q.set(4000.0, 1.0)


def test_level_series_rules():
    q = LevelSeries(W, initial=5.0, start_ms=1500.0)
    q.set(1750.0, 1.0)
    with pytest.raises(ValueError):
        q.set(1700.0, 2.0)  # time went backwards
    with pytest.raises(ValueError):
        q.set(1800.0, math.nan)
    # before finalize, means cover the observed span [1500, 1750)
    m = q.mean_per_window()
    assert np.isnan(m[0]) and m[1] == 5.0
    assert q.level == 1.0 and q.time_ms == 1750.0
    q.finalize(2000.0)
    assert q.mean_per_window().tolist()[1] == (5 * 250 + 1 * 250) / 500
    assert q.n_windows == 2
    with pytest.raises(ValueError):
        LevelSeries(W).finalize(-1.0)


@given(st.lists(st.tuples(st.floats(0, 500, allow_nan=False), st.integers(-5, 5)), min_size=1, max_size=60))
def test_level_series_matches_direct_integration(steps):
    # a queue depth driven by +/- deltas at nondecreasing times
    t = np.cumsum([dt for dt, _ in steps])
    levels = np.cumsum([d for _, d in steps]).astype(float)
    end = float(t[-1]) + 123.0
    q = LevelSeries(W)
    for ti, d in zip(t, (d for _, d in steps), strict=True):
        q.add(float(ti), float(d))
    q.finalize(end)
    # reference: integrate each constant piece clipped to each window
    bounds = np.concatenate([[0.0], t, [end]])
    piece_levels = np.concatenate([[0.0], levels])
    n = q.n_windows
    area = np.zeros(n)
    peak = np.full(n, -np.inf)
    for lo, hi, lv in zip(bounds[:-1], bounds[1:], piece_levels, strict=True):
        for k in range(n):
            overlap = min(hi, (k + 1) * W) - max(lo, k * W)
            if overlap > 0:
                area[k] += lv * overlap
            if k * W <= lo < (k + 1) * W or overlap > 0:
                peak[k] = max(peak[k], lv)
    assert np.allclose(q.area_per_window(), area, rtol=1e-12, atol=1e-9)
    assert np.array_equal(q.max_per_window(), peak)
    span = np.minimum(np.arange(1, n + 1) * W, end) - np.arange(n) * W
    assert np.allclose(q.mean_per_window(), area / span, rtol=1e-12, atol=1e-9)


# -- BusyTracker ---------------------------------------------------------------------------------
def reference_busy(starts, ends, n):
    busy = np.zeros(n)
    for s, e in zip(starts, ends, strict=True):
        for k in range(n):
            busy[k] += max(0.0, min(e, (k + 1) * W) - max(s, k * W))
    return busy


def test_busy_tracker_splits_across_windows_exactly():
    b = BusyTracker(W, servers=2)
    b.add_interval(250.0, 3100.0)  # 750 + 1000 + 1000 + 100
    b.add_interval(1000.0, 2000.0)  # exactly window 1
    b.add_interval(2999.5, 3000.0)
    b.add_interval(500.0, 500.0)  # zero length: ignored
    assert b.busy_ms().tolist() == [750.0, 2000.0, 1000.5, 100.0]
    assert b.utilisation().tolist() == [0.375, 1.0, 1000.5 / 2000, 0.05]
    v = BusyTracker(W, servers=2)
    v.add_intervals([250.0, 1000.0, 2999.5, 500.0], [3100.0, 2000.0, 3000.0, 500.0])
    assert np.array_equal(v.busy_ms(), b.busy_ms())
    assert b.total_busy_ms == 750 + 2000 + 1000.5 + 100


def test_busy_tracker_future_reservations_and_horizon():
    b = BusyTracker(W, horizon_ms=2500.0)
    b.add_interval(2000.0, 9000.0)  # reserved past the horizon: cut at 2500
    b.add_intervals(np.array([3000.0]), np.array([4000.0]))  # entirely after the horizon
    assert b.n_windows == 3
    assert b.busy_ms().tolist() == [0.0, 0.0, 500.0]
    assert b.utilisation().tolist() == [0.0, 0.0, 1.0]  # last window covers 500 ms
    free = BusyTracker(W)
    free.add_interval(2000.0, 9000.0)  # without a horizon the future windows fill in
    assert free.utilisation().tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 1]
    with pytest.raises(ValueError):
        free.add_interval(5.0, 4.0)
    with pytest.raises(ValueError):
        free.add_intervals([5.0], [math.inf])
    with pytest.raises(ValueError):
        BusyTracker(W, servers=0)


@given(
    st.lists(
        st.tuples(st.floats(0, 9000, allow_nan=False), st.floats(0, 3000, allow_nan=False)),
        min_size=1,
        max_size=80,
    ),
    st.integers(1, 8),
)
def test_busy_tracker_vectorised_equals_scalar_and_reference(intervals, servers):
    s = np.array([a for a, _ in intervals])
    e = s + np.array([d for _, d in intervals])
    vec, sca = BusyTracker(W, servers=servers), BusyTracker(W, servers=servers)
    vec.add_intervals(s, e)
    for a, z in zip(s, e, strict=True):
        sca.add_interval(float(a), float(z))
    n = max(vec.n_windows, sca.n_windows)
    ref = reference_busy(s, e, n)
    assert np.allclose(vec.busy_ms(n), ref, rtol=1e-12, atol=1e-9)
    assert np.allclose(sca.busy_ms(n), ref, rtol=1e-12, atol=1e-9)
    assert np.allclose(vec.utilisation(n), ref / (W * servers), rtol=1e-12, atol=1e-12)
    assert vec.total_busy_ms == pytest.approx((e - s).sum(), rel=1e-12, abs=1e-9)


def test_windowed_histogram_repeats_equal_explicit_times():
    rng = np.random.default_rng(7)
    runs = rng.integers(0, 6, size=300)
    t_runs = np.sort(rng.uniform(0, 9_000, size=300))
    v = rng.exponential(3.0, size=int(runs.sum()))
    a, b = WindowedHistogram(1000), WindowedHistogram(1000)
    a.record(t_runs, v, repeats=runs)
    b.record(np.repeat(t_runs, runs), v)
    np.testing.assert_array_equal(a.counts(), b.counts())
    np.testing.assert_array_equal(a.percentiles([50, 99, 100]), b.percentiles([50, 99, 100]))
    np.testing.assert_array_equal(a.means(), b.means())
    with pytest.raises(ValueError, match="repeats"):
        a.record(t_runs, v, repeats=runs[:-1])
    with pytest.raises(ValueError, match="repeats"):
        a.record(t_runs[:2], v[:3], repeats=np.array([2, 2]))


def test_short_intervals_count_in_the_window_where_they_end():
    b = BusyTracker(100)
    ends = np.array([10.0, 20.0, 99.0, 100.5, 250.0])
    durations = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    b.add_short(ends, durations, float(durations.sum()))
    assert b.busy_ms(3).tolist() == [6.0, 4.0, 5.0]
    b.add_short(np.array([260.0, 270.0]), np.array([1.0, 1.0]), 2.0)  # one window: the total at once
    assert b.busy_ms(3).tolist() == [6.0, 4.0, 7.0]
    b.add_short(np.array([]), np.array([]), 0.0)
    assert b.busy_ms(3).tolist() == [6.0, 4.0, 7.0]


@given(st.integers(0, 2**32 - 1))
def test_busy_tracker_sums_in_the_order_of_its_calls(seed):
    """Short intervals accumulate in a float for their window; mixed with long intervals, add_short,
    add_intervals and reads, every window's busy time is bit for bit the sum in call order."""
    rng = np.random.default_rng(seed)
    b = BusyTracker(W, horizon_ms=30 * W)
    ref = np.zeros(40)
    clock = 0.0
    for _ in range(rng.integers(1, 60)):
        clock += rng.exponential(0.2 * W)
        kind = rng.integers(0, 5)
        if kind <= 2:  # short (within one window, mostly) or long (several windows)
            s = clock
            e = s + (rng.exponential(3.0) if kind <= 1 else rng.uniform(0, 3 * W))
            b.add_interval(s, e)
            e = min(e, 30 * W)
            if e > s:
                wa, wz = int(s // W), int(e // W) - (1 if (e // W) * W >= e else 0)
                if wa == wz:
                    ref[wa] += e - s
                else:
                    ref[wa] += (wa + 1) * W - s
                    ref[wa + 1 : wz] += W
                    ref[wz] += e - wz * W
        elif kind == 3:  # a client's per-record work, in the window where each piece ends
            ends = np.sort(clock + rng.uniform(0, 5.0, 3))
            durs = np.full(3, 0.5)
            b.add_short(ends, durs, 1.5)
            first, last = int(ends[0] // W), int(ends[-1] // W)
            if first == last:
                ref[first] += 1.5
            else:
                ref[first : last + 1] += np.bincount(
                    (ends // W).astype(np.int64) - first, weights=durs, minlength=last - first + 1
                )
        else:  # a read settles the running sum; recording goes on after it
            n = b.n_windows
            assert np.array_equal(b.busy_ms(n), ref[:n])
    n = b.n_windows
    assert np.array_equal(b.busy_ms(n), ref[:n])
    assert math.isclose(b.total_busy_ms, float(ref.sum()), rel_tol=1e-12)


# ---------------------------------------------------------------------- window arithmetic, both builds
@given(
    st.floats(min_value=0.0, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.sampled_from([1000.0, 100.0, 250.0, 0.1, 7.3, 1e-3]),
)
def test_window_of_is_pythons_floor_division_of_floats(t, w):
    # Compiled, the window index is C arithmetic: it must give Python's float floor division, not
    # floor(t / w) (1.0 // 0.1 is 9.0 where floor(1.0 / 0.1) is 10).
    for x in (t, math.nextafter(t, 0.0), math.nextafter(t, math.inf)):
        assert timeseries.window_of(x, w) == int(x // w)


def test_window_of_near_every_edge_is_pythons_floor_division():
    # Away from an edge the rounded quotient's integer part is taken; near one, the exact remainder decides.
    # Multiples of the window and their neighbours a few ulps away, where the two can differ.
    for w in (1000.0, 100.0, 0.1, 7.3, 1.0 / 3.0, 1e-3):
        for k in list(range(0, 2000)) + [10**6 + 7, 2**40 + 3]:
            x = k * w
            for _ in range(4):
                x = math.nextafter(x, 0.0)
            for _ in range(9):
                assert timeseries.window_of(x, w) == int(x // w), (x, w)
                x = math.nextafter(x, math.inf)


def test_window_of_at_a_quotient_that_rounds_up():
    assert timeseries.window_of(1.0, 0.1) == int(1.0 // 0.1) == 9  # the rounded quotient 1.0 / 0.1 is 10.0
    assert timeseries.window_of(0.0, 0.1) == 0
    assert timeseries._last_window(1.0, 0.1) == 9


@given(
    st.lists(
        st.tuples(st.floats(0.0, 5000.0), st.floats(0.0, 2500.0)), min_size=1, max_size=40
    ),
    st.sampled_from([None, 3000.0]),
    st.sampled_from([1000.0, 100.0, 0.1]),
)
def test_busy_interval_loops_add_as_numpy_does(pairs, horizon, window):
    """The compiled build's interval folds (C loops; run as Python here in a pure build) give the same
    busy time per window, bit for bit, as numpy's passes: intervals in one window, across many, past the
    horizon and empty."""
    starts = np.array([a for a, _ in pairs])
    ends = starts + np.array([d for _, d in pairs])
    ends[::3] = starts[::3]  # some empty
    a = BusyTracker(window, horizon_ms=horizon)
    b = BusyTracker(window, horizon_ms=horizon)
    assert a._add_intervals_compiled(starts, ends)
    b._add_intervals_numpy(starts, ends)
    assert a.busy_ms().tobytes() == b.busy_ms().tobytes()
    assert not a._add_intervals_compiled(starts, starts - 1.0)  # refused: numpy's passes raise
