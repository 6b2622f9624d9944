"""``Station`` and ``BoundedQueue`` against brute-force SimPy models of the same queues.

A ``Station`` computes FCFS start and end times from the servers' free times alone; a SimPy
``Resource`` with the same capacity, fed the same customers, is the reference. ``BoundedQueue`` is
Kafka's request channel (``RequestChannel``: an ``ArrayBlockingQueue`` of ``queued.max.requests``, whose
``put`` blocks); the reference is a SimPy ``Store`` with that capacity drained by handler processes.
"""

from collections import deque

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsim.core.stations import BoundedQueue, Station, _Times


def simpy_fcfs(arrivals, services, servers):
    """Start and end times of each customer at a ``servers``-server FCFS queue, simulated by SimPy."""
    env = simpy.Environment()
    res = simpy.Resource(env, capacity=servers)
    n = len(arrivals)
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)

    def customer(i):
        yield env.timeout(arrivals[i])
        with res.request() as req:
            yield req
            start[i] = env.now
            yield env.timeout(services[i])
            end[i] = env.now

    for i in range(n):
        env.process(customer(i))
    env.run()
    return start, end


def station_fcfs(arrivals, services, servers, window_ms=100.0):
    s = Station("test", servers, window_ms)
    out = np.array([s.reserve(a, x) for a, x in zip(arrivals, services, strict=True)])
    return s, out[:, 0], out[:, 1]


def customers(rng, n, rate, mean_service, zero_share=0.0):
    arrivals = np.cumsum(rng.exponential(1.0 / rate, n))
    services = rng.exponential(mean_service, n)
    services[rng.random(n) < zero_share] = 0.0
    return arrivals, services


# ---------------------------------------------------------------------------------------------- Station
@pytest.mark.parametrize("servers", [1, 2, 5])
@pytest.mark.parametrize("rho", [0.5, 0.95, 1.3])
def test_station_is_exactly_fcfs(servers, rho):
    rng = np.random.default_rng(1000 * servers + int(100 * rho))
    arrivals, services = customers(rng, 3_000, rate=rho * servers, mean_service=1.0, zero_share=0.05)
    _, start, end = station_fcfs(arrivals, services, servers)
    ref_start, ref_end = simpy_fcfs(arrivals, services, servers)
    np.testing.assert_allclose(start, ref_start, rtol=0, atol=1e-9)
    np.testing.assert_allclose(end, ref_end, rtol=0, atol=1e-9)


@settings(max_examples=40)
@given(
    st.integers(1, 4),
    st.lists(
        st.tuples(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]), st.sampled_from([0.0, 0.5, 1.0, 2.5, 4.0])),
        min_size=1,
        max_size=40,
    ),
)
def test_station_matches_simpy_with_ties(servers, jobs):
    # Coarse times make simultaneous arrivals and departures common: FCFS times must still agree.
    arrivals = np.cumsum([g for g, _ in jobs])
    services = np.array([x for _, x in jobs])
    _, start, end = station_fcfs(arrivals, services, servers)
    ref_start, ref_end = simpy_fcfs(arrivals, services, servers)
    np.testing.assert_allclose(start, ref_start, atol=1e-12)
    np.testing.assert_allclose(end, ref_end, atol=1e-12)


def test_single_server_is_lindley_recursion():
    rng = np.random.default_rng(7)
    arrivals, services = customers(rng, 5_000, rate=0.9, mean_service=1.0)
    _, start, _ = station_fcfs(arrivals, services, 1)
    wait = np.zeros(arrivals.size)
    for i in range(1, arrivals.size):  # W_i = max(0, W_{i-1} + S_{i-1} - (A_i - A_{i-1}))
        wait[i] = max(0.0, wait[i - 1] + services[i - 1] - (arrivals[i] - arrivals[i - 1]))
    np.testing.assert_allclose(start - arrivals, wait, atol=1e-9)


def test_station_bookkeeping_matches_brute_force():
    rng = np.random.default_rng(3)
    window = 50.0
    arrivals, services = customers(rng, 2_000, rate=1.6, mean_service=1.0)
    s, start, end = station_fcfs(arrivals, services, 2, window_ms=window)
    n_windows = int(np.ceil(end.max() / window))
    edges = np.arange(n_windows + 1) * window

    def overlap(a, b):  # ms of [a_i, b_i) falling in each window
        lo = np.maximum(a[:, None], edges[None, :-1])
        hi = np.minimum(b[:, None], edges[None, 1:])
        return np.clip(hi - lo, 0.0, None).sum(axis=0)

    assert s.busy.busy_ms(n_windows).sum() == pytest.approx(services.sum())  # every service counted once
    np.testing.assert_allclose(s.busy.busy_ms(n_windows), overlap(start, end), atol=1e-6)
    np.testing.assert_allclose(s.busy.utilisation(n_windows), overlap(start, end) / (2 * window), atol=1e-9)
    # Waiting time per window / window length = time-averaged number waiting.
    np.testing.assert_allclose(s.waiting.busy_ms(n_windows), overlap(arrivals, start), atol=1e-6)
    # Largest queue seen by an arrival (counting itself), per window, among arrivals that wait.
    expected = np.zeros(n_windows, dtype=np.int64)
    for i in np.nonzero(start > arrivals)[0]:
        a = arrivals[i]
        level = int(np.sum((arrivals[: i + 1] <= a) & (start[: i + 1] > a)))
        w = int(a // window)
        expected[w] = max(expected[w], level)
    np.testing.assert_array_equal(s.max_queue.per_window(n_windows), expected)


def test_queue_length_counts_those_still_waiting():
    s = Station("q", 1, 100.0)
    s.reserve(0.0, 10.0)  # serves 0..10
    s.reserve(1.0, 10.0)  # waits 1..10
    s.reserve(2.0, 10.0)  # waits 2..20
    assert s.queue_length(5.0) == 2
    assert s.queue_length(10.0) == 1
    assert s.queue_length(20.0) == 0
    assert s.free_at() == 30.0


def test_station_rejects_no_servers():
    with pytest.raises(ValueError):
        Station("none", 0, 100.0)


# ---------------------------------------------------------------------------------------------- BoundedQueue
def test_bounded_queue_admits_at_once_while_there_is_room():
    q = BoundedQueue(2)
    assert q.admit(1.0) == 1.0
    q.started(5.0)  # waits for a handler until 5
    assert q.admit(2.0) == 2.0
    q.started(8.0)
    assert q.full_events == 0
    assert q.blocked_ms == 0.0


def test_bounded_queue_blocks_until_the_oldest_waiting_request_is_picked_up():
    q = BoundedQueue(2)
    q.admit(0.0)
    q.started(5.0)
    q.admit(0.0)
    q.started(8.0)
    assert q.admit(3.0) == 5.0  # full: the put blocks until a handler takes the request due at 5
    q.started(9.0)
    assert q.admit(4.0) == 8.0
    q.started(12.0)
    assert q.full_events == 2
    assert q.blocked_ms == pytest.approx(2.0 + 4.0)
    assert q.admit(12.0) == 12.0  # everything queued has started by 12


def test_requests_that_start_at_once_never_occupy_the_queue():
    q = BoundedQueue(1)
    for t in range(10):
        assert q.admit(float(t)) == float(t)
        q.started(float(t))  # a handler was free: start = admission
    assert q.full_events == 0


def simpy_request_channel(offers, services, capacity, handlers):
    """Admission and handler start times with a blocking queue of ``capacity`` and ``handlers`` threads."""
    env = simpy.Environment()
    queue = simpy.Store(env, capacity=capacity)
    n = len(offers)
    admitted = np.full(n, np.nan)
    started = np.full(n, np.nan)

    def offerer():
        for i in range(n):  # one network thread: its blocked put holds back the requests behind it
            if offers[i] > env.now:
                yield env.timeout(offers[i] - env.now)
            yield queue.put(i)
            admitted[i] = env.now

    def handler():
        while True:
            i = yield queue.get()
            started[i] = env.now
            yield env.timeout(services[i])

    env.process(offerer())
    for _ in range(handlers):
        env.process(handler())
    env.run()
    return admitted, started


@pytest.mark.parametrize(("capacity", "handlers"), [(1, 1), (3, 1), (2, 3), (10, 2)])
def test_bounded_queue_and_handlers_match_a_blocking_simpy_store(capacity, handlers):
    rng = np.random.default_rng(capacity * 10 + handlers)
    offers, services = customers(rng, 2_000, rate=1.2 * handlers, mean_service=1.0)
    q = BoundedQueue(capacity)
    pool = Station("io-threads", handlers, 100.0)
    admitted = np.empty(offers.size)
    started = np.empty(offers.size)
    prev = 0.0
    for i, (t, x) in enumerate(zip(offers, services, strict=True)):
        a = q.admit(max(t, prev))  # the network thread is blocked until the previous put returned
        start, _ = pool.reserve(a, x)
        q.started(start)
        admitted[i], started[i] = a, start
        prev = a
    ref_admitted, ref_started = simpy_request_channel(offers, services, capacity, handlers)
    np.testing.assert_allclose(admitted, ref_admitted, atol=1e-9)
    np.testing.assert_allclose(started, ref_started, atol=1e-9)
    assert q.full_events > 0  # the scenario really exercised a full queue


def test_a_variable_station_draws_its_factors_in_growing_blocks_with_the_values_of_one_draw():
    # Blocks of 64, 128, ... up to VARY_BLOCK: the factors are those of a single draw from the same stream.
    from eventsim.core.stations import FIRST_FACTORS, VARY_BLOCK

    cv, n = 0.4, 3 * VARY_BLOCK + 17
    s = Station("s", 1, 100.0)
    s.vary(cv, np.random.default_rng(7))
    got = []
    for i in range(n):
        end = s.reserve_end(10.0 * i, 1.0)
        got.append(end - s.last_start)
    sigma = np.sqrt(np.log1p(cv * cv))
    factors = np.random.default_rng(7).lognormal(-0.5 * sigma * sigma, sigma, n)
    starts = 10.0 * np.arange(n)  # each booking finds the station idle: it starts on arrival
    assert np.array_equal(np.array(got), (starts + 1.0 * factors) - starts)
    assert FIRST_FACTORS < VARY_BLOCK and len(s._factors) == VARY_BLOCK


@given(st.lists(st.tuples(st.booleans(), st.floats(min_value=0.0, max_value=5.0)), max_size=300))
def test_waiting_times_fifo_behaves_as_a_deque(ops):
    """The stations' FIFO of start times (a ring of numbers that doubles when full) gives what a deque
    of the same times gives: its length, each time from the front, and drops through a time."""
    fifo, ref, t = _Times(2), deque(), 0.0
    for push, x in ops:
        if push:
            t += x
            fifo.push(t)
            ref.append(t)
        else:
            fifo.drop_through(t - x)
            while ref and ref[0] <= t - x:
                ref.popleft()
        assert fifo.n == len(ref)
        assert [fifo.at(k) for k in range(fifo.n)] == list(ref)
