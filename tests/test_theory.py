"""Queueing theory the model must agree with: M/M/1, Little's law, and conservation of throughput.

(a) A ``Station`` fed Poisson arrivals and exponential service is an M/M/1 queue, whose mean sojourn
    time is ``W = 1 / (mu - lambda)``; the estimate's 95 % batch-means confidence interval must cover it.
(b) Little's law ``L = lambda W`` on a broker's request queue in a whole run: the time-averaged number of
    requests waiting for an I/O thread (``brokers`` frame) against the request rate times the mean
    ``request_queue`` wait (``breakdown`` frame) — two different code paths measuring one queue.
(c) Below saturation, what goes in comes out: acknowledged records per second equal the offered rate.
"""

import numpy as np
import pytest

from eventsim import simulate
from eventsim.core.stations import Station
from eventsim.hardware import PROFILES
from eventsim.scenarios import Scenario, VariabilitySpec

T_975 = {39: 2.0227}  # Student t quantile, 0.975, 39 degrees of freedom


def batch_means_ci(x: np.ndarray, batches: int = 40) -> tuple[float, float]:
    """Mean and 95 % half-width from ``batches`` non-overlapping batch means."""
    m = x[: x.size - x.size % batches].reshape(batches, -1).mean(axis=1)
    return float(m.mean()), T_975[batches - 1] * float(m.std(ddof=1)) / np.sqrt(batches)


@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_mm1_sojourn_time_matches_theory(rho):
    rng = np.random.default_rng(20240 + int(10 * rho))
    n, warmup = 200_000, 10_000
    mu, lam = 1.0, rho  # per ms
    arrivals = np.cumsum(rng.exponential(1.0 / lam, n))
    services = rng.exponential(1.0 / mu, n)
    station = Station("mm1", 1, 1_000.0)
    reserve = station.reserve
    end = np.fromiter(
        (reserve(a, s)[1] for a, s in zip(arrivals.tolist(), services.tolist(), strict=True)), float, n
    )
    sojourn = (end - arrivals)[warmup:]
    mean, half = batch_means_ci(sojourn)
    expected = 1.0 / (mu - lam)
    assert half < 0.1 * expected  # the interval is tight enough to mean something
    assert abs(mean - expected) <= half, f"W={mean:.4f} ± {half:.4f}, theory {expected:.4f}"
    # Utilisation is rho, the busy share of the time.
    windows = int(np.ceil(end.max() / 1_000.0))
    assert station.busy.busy_ms(windows).sum() / arrivals[-1] == pytest.approx(rho, rel=0.02)


# ---------------------------------------------------------------------------------------------- whole runs
def queueing_broker(rate_per_s=32_000, horizon_ms=1_000.0):
    """One laptop broker with one I/O thread and one record per produce request, at about 80 % load."""
    return {
        "name": "little",
        "seed": 11,
        "horizon_ms": horizon_ms,
        "cluster": {"brokers": 1, "hardware": "laptop"},
        "broker": {"num.io.threads": 1},
        "topics": [{"name": "t", "partitions": 1}],
        # batch.size 0 and one partition: every request carries exactly one record, so the breakdown's
        # per-record request_queue mean is also the per-request mean.
        "producers": [
            {
                "name": "p",
                "topic": "t",
                # Many producers: a broker reads one request per connection at a time (it mutes the
                # connection until it responds), so few connections would make arrivals less random
                # than Poisson and the queue shorter than M/D/1's.
                "count": 64,
                "rate_per_s": rate_per_s,
                "value_bytes": 100,
                "config": {"linger.ms": 0, "batch.size": 0},
            }
        ],
        "metrics": {"window_ms": 250.0},
        # Service times drawn around their means, nothing else: the handler is M/G/1 with CV 0.37.
        "variability": {**{switch: False for switch in VariabilitySpec.SWITCHES}, "service_times": True},
    }


@pytest.fixture(scope="module")
def queueing_run():
    return simulate(queueing_broker())


def test_littles_law_on_the_request_queue(queueing_run):
    res = queueing_run
    brokers = res.frame("brokers")
    io = brokers[brokers.resource == "io_threads"]
    depth = io.queue_depth_mean.mean()  # time-averaged requests waiting for the I/O thread
    bd = res.frame("breakdown").set_index(["path", "stage"])
    wait_ms = bd.loc[("produce", "request_queue"), "mean_ms"]
    rate_per_ms = res.stats["produce_requests"] / res.horizon_ms
    summary = res.summary().iloc[0]
    assert summary.records_per_batch == 1.0 and summary.requests == summary.batches
    assert depth > 0.5  # the queue really queues
    assert depth == pytest.approx(rate_per_ms * wait_ms, rel=0.10)


def test_request_queue_wait_is_near_pollaczek_khinchine(queueing_run):
    # Lognormal handler service (CV 0.37) and near-Poisson arrivals: M/G/1, Pollaczek-Khinchine:
    # Wq = rho (1 + CV^2) / (2 mu (1 - rho)).
    res = queueing_run
    prof = PROFILES["laptop"]
    request_bytes = 80 + 61 + 109  # request overhead, batch header, one 100-byte record
    service = prof.request_cpu_ms + prof.append_cpu_ms_per_mb * request_bytes / 2**20
    brokers = res.frame("brokers")
    rho = brokers[brokers.resource == "io_threads"].utilisation.mean()
    rate_per_ms = res.stats["produce_requests"] / res.horizon_ms
    assert rho == pytest.approx(rate_per_ms * service, rel=0.01)  # utilisation = lambda / mu
    cv = VariabilitySpec().service_cv_cpu
    wq = rho * service * (1 + cv * cv) / (2 * (1 - rho))
    bd = res.frame("breakdown").set_index(["path", "stage"])
    assert bd.loc[("produce", "request_queue"), "mean_ms"] == pytest.approx(wq, rel=0.15)


def test_throughput_is_conserved_below_saturation(queueing_run):
    res = queueing_run
    brokers = res.frame("brokers")
    assert brokers.utilisation.max() < 1.0
    s = res.stats
    assert s["records_failed"] == 0
    assert s["records_acked"] >= 0.999 * s["records_produced"]
    offered = 32_000 * res.horizon_ms / 1000.0
    assert s["records_produced"] == pytest.approx(offered, rel=0.02)  # Poisson: sd 0.6 %
    assert res.summary().iloc[0].throughput_records_per_s == pytest.approx(32_000, rel=0.03)


def test_quickstart_throughput_equals_its_rate():
    sc = Scenario.load("quickstart").replace(horizon_ms=4_000.0)
    res = simulate(sc)
    s = res.summary().iloc[0]
    assert s.throughput_records_per_s == pytest.approx(1_000, rel=0.05)  # Poisson: sd 1.6 % over 4 s
    assert s.records_acked >= 0.995 * s.records_produced
    assert s.records_consumed >= 0.995 * s.records_acked
    ts = res.frame("timeseries")
    # Window by window too, once past the first window.
    steady = ts[ts.time_s >= 1.0]
    np.testing.assert_allclose(steady.records_acked, steady.records_produced, rtol=0.05)
