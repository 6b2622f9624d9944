"""Sources of variability (``variability:`` in a scenario): each with its switch, each changing the run."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import eventsim
from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.stations import Station
from eventsim.hardware import get_profile
from eventsim.jvm import Z90
from eventsim.scenarios import Scenario, VariabilitySpec

MIB = 1024 * 1024

BASE = {
    "name": "variability",
    "horizon_ms": 4000,
    "cluster": {"brokers": 1, "hardware": "cloud-2020"},
    "topics": [{"name": "t", "partitions": 3}],
    "producers": [
        {"name": "p", "topic": "t", "rate_per_s": 20_000, "arrival": "constant", "value_bytes": 500,
         "keys": None, "config": {"linger.ms": 1}}  # fmt: skip
    ],
    "metrics": {"window_ms": 500},
}


OFF = {switch: False for switch in VariabilitySpec.SWITCHES}  # each test switches on what it studies


def run(**variability):
    data = copy.deepcopy(BASE)
    data["variability"] = {**OFF, **variability}
    return eventsim.simulate(data, seed=3)


def test_every_source_is_on_by_default_and_false_switches_them_all_off():
    spec = Scenario.from_dict(BASE).variability
    assert all(getattr(spec, switch) for switch in VariabilitySpec.SWITCHES)
    assert "variability" not in Scenario.from_dict(BASE).to_dict()  # the defaults are not written out
    off = Scenario.from_dict({**BASE, "variability": False})
    assert off.variability == VariabilitySpec.off() and off.to_dict()["variability"] is False
    assert Scenario.from_dict({**BASE, "variability": True}).variability == VariabilitySpec()
    assert eventsim.simulate({**BASE, "variability": False}, seed=3).summary().equals(run().summary())


def test_no_collections_unless_switched_on():
    assert run().frame("gc").empty


def test_a_young_collection_comes_each_time_eden_fills_with_received_bytes():
    r = run(gc=True, gc_eden_mb=1)
    gc = r.frame("gc")
    received = r.frame("brokers")  # the broker's NIC: nearly all it receives is the produce traffic
    wire = r.summary().bytes_produced.iloc[0]
    assert len(gc) == pytest.approx(wire / MIB, rel=0.15)
    assert set(gc.host) == {"broker-0"}
    assert (np.diff(gc.time_s) > 0).all() and not received.empty


def test_pauses_follow_the_lognormal_of_the_documented_90th_percentile():
    r = run(gc=True, gc_eden_mb=0.05, gc_pause_p50_ms=2, gc_pause_p90_ms=4)
    pauses = r.frame("gc").pause_ms.to_numpy()
    assert pauses.size > 500
    assert np.median(pauses) == pytest.approx(2, rel=0.1)
    assert np.quantile(pauses, 0.9) == pytest.approx(4, rel=0.1)
    sigma = math.log(2) / Z90
    assert np.std(np.log(pauses)) == pytest.approx(sigma, rel=0.1)


def test_pauses_stretch_the_tail_not_the_median():
    calm = run().summary().iloc[0]
    paused = run(gc=True, gc_eden_mb=0.5).summary().iloc[0]
    assert paused.produce_latency_p50_ms == pytest.approx(calm.produce_latency_p50_ms, rel=0.2)
    assert paused.produce_latency_p99_ms > 2 * calm.produce_latency_p99_ms
    assert paused.records_acked == pytest.approx(calm.records_acked, rel=0.02)  # nothing is lost


def test_same_seed_same_pauses():
    a = run(gc=True, gc_eden_mb=1).frame("gc")
    b = run(gc=True, gc_eden_mb=1).frame("gc")
    assert a.equals(b)


@pytest.mark.parametrize(
    "variability, field",
    [
        ({"gc": "yes"}, "variability.gc"),
        ({"gc_eden_mb": 0}, "variability.gc_eden_mb"),
        ({"gc_pause_p50_ms": 30, "gc_pause_p90_ms": 20}, "variability.gc_pause_p90_ms"),
        ({"young_gc": True}, "variability"),
        ("off", "variability"),
        ({"service_times": 1}, "variability.service_times"),
        ({"service_cv_cpu": -0.5}, "variability.service_cv_cpu"),
        ({"service_cv_disk": "high"}, "variability.service_cv_disk"),
        ({"network_jitter": "on"}, "variability.network_jitter"),
        ({"network_jitter_p50_ms": 0}, "variability.network_jitter_p50_ms"),
        ({"network_jitter_p50_ms": 1, "network_jitter_p99_ms": 0.5}, "variability.network_jitter_p99_ms"),
    ],
)
def test_bad_variability_settings_are_refused_naming_the_field(variability, field):
    data = copy.deepcopy(BASE)
    data["variability"] = variability
    with pytest.raises(InvalidConfigurationError) as err:
        Scenario.from_dict(data)
    assert field in str(err.value)


# Service times around their means (variability.service_times, Station.vary).


def _mg1_mean_wait(cv: float, rho: float = 0.7, service: float = 1.0, n: int = 200_000):
    """A variable single-server station fed Poisson arrivals: its mean wait and mean service time."""
    rng = np.random.default_rng(11)
    arrivals = np.cumsum(rng.exponential(service / rho, n))
    st = Station("mg1", 1, 1e9)
    st.vary(cv, np.random.default_rng(12))
    waits = np.empty(n)
    busy = 0.0
    for k, t in enumerate(arrivals.tolist()):
        end = st.reserve_end(t, service)
        waits[k] = st.last_start - t
        busy += end - st.last_start
    return float(waits[n // 10 :].mean()), busy / n


@pytest.mark.parametrize("cv", [0.37, 1.0, 2.0])
def test_a_variable_station_waits_as_m_g_1_says(cv):
    """Pollaczek-Khinchine: Wq = rho / (1 - rho) * E[S] * (1 + CV^2) / 2, the mean service kept."""
    rho = 0.7
    wait, mean_service = _mg1_mean_wait(cv, rho)
    assert mean_service == pytest.approx(1.0, rel=0.02)
    theory = rho / (1 - rho) * (1 + cv * cv) / 2
    assert wait == pytest.approx(theory, rel=0.08 if cv < 2 else 0.2)


def test_without_variation_a_station_is_m_d_1():
    station = Station("md1", 1, 1e9)
    station.vary(0.0, np.random.default_rng(0))  # a CV of 0 leaves the station deterministic
    assert not station._vary
    wait, mean_service = _mg1_mean_wait(0.0)
    assert mean_service == 1.0
    assert wait == pytest.approx(0.7 / 0.3 / 2, rel=0.05)


LOADED = {"producers": [{**BASE["producers"][0], "rate_per_s": 100_000, "value_bytes": 1000}]}


def run_loaded(**variability):
    data = {**copy.deepcopy(BASE), **copy.deepcopy(LOADED)}
    data["cluster"] = {"brokers": 1, "hardware": "commodity-2014"}
    data["variability"] = {**OFF, **variability}
    return eventsim.simulate(data, seed=3)


def test_service_times_stretch_the_waits_of_a_loaded_broker_and_keep_its_work():
    calm = run_loaded()
    varied = run_loaded(service_times=True, service_cv_cpu=1.5, service_cv_disk=1.5)
    c, v = calm.summary().iloc[0], varied.summary().iloc[0]
    assert v.produce_latency_p99_ms > c.produce_latency_p99_ms
    assert v.records_acked == pytest.approx(c.records_acked, rel=0.02)
    calm_busy, varied_busy = (
        r.frame("brokers").groupby("resource")["utilisation"].mean() for r in (calm, varied)
    )
    assert varied_busy["io_threads"] == pytest.approx(calm_busy["io_threads"], rel=0.1)  # the same mean work
    again = run_loaded(service_times=True, service_cv_cpu=1.5, service_cv_disk=1.5)
    assert again.summary().equals(varied.summary())  # the same seed draws the same service times


def test_jitter_adds_its_delay_to_each_message_of_a_produce_round_trip():
    calm = run().summary().iloc[0]
    # An almost constant 1 ms extra each way: the request's transfer and the response's control message.
    late = run(network_jitter=True, network_jitter_p50_ms=1.0, network_jitter_p99_ms=1.0001).summary().iloc[0]
    assert late.produce_latency_p50_ms - calm.produce_latency_p50_ms == pytest.approx(2.0, abs=0.3)


def test_jitter_spreads_the_tail():
    calm = run().summary().iloc[0]
    spread = run(network_jitter=True, network_jitter_p50_ms=0.05, network_jitter_p99_ms=5).summary().iloc[0]
    assert spread.produce_latency_p99_ms > calm.produce_latency_p99_ms + 2
    assert spread.produce_latency_p50_ms < calm.produce_latency_p50_ms + 1


def run_busy_producer(**variability):
    """One producer whose application thread is about 60 % busy with its send() calls (commodity-2014 as
    Kafka 0.8: 0.5 us of CPU per record and the CRC32 of its 126-byte v0 message, 1,000,000 records/s)."""
    data = copy.deepcopy(BASE)
    data["horizon_ms"] = 500
    data["cluster"] = {"brokers": 1, "hardware": "commodity-2014", "kafka_version": "0.8"}
    data["producers"][0].update(rate_per_s=1_000_000, value_bytes=100)
    data["variability"] = {**OFF, **variability}
    return eventsim.simulate(data, seed=3)


def test_service_times_vary_the_producers_cpu_per_send_and_keep_its_mean():
    calm = run_busy_producer()
    varied = run_busy_producer(service_times=True, service_cv_cpu=1.5)

    def waits_and_cpu(result):
        stages = result.frame("breakdown").set_index(["path", "stage"])["mean_ms"]
        clients = result.frame("clients")
        cpu = clients[clients.resource == "cpu"]["utilisation"].mean()
        return stages["produce", "accumulator_wait"], cpu

    (calm_wait, calm_cpu), (varied_wait, varied_cpu) = waits_and_cpu(calm), waits_and_cpu(varied)
    profile = get_profile("commodity-2014")
    send_ms = profile.client_record_cpu_ms + (126 - 16) * profile.client_crc_cpu_ms_per_mb / 2**20
    assert calm_cpu == pytest.approx(send_ms * 1000, rel=0.05)
    assert varied_cpu == pytest.approx(calm_cpu, rel=0.05)  # the same work on the thread, on average
    # Constant arrivals at a constant service time never wait: the stage is the send() itself, 0.6 us.
    # Varied service times queue (D/G/1): records wait behind long send() calls.
    assert calm_wait == pytest.approx(send_ms)
    assert varied_wait > 2 * calm_wait
    again = run_busy_producer(service_times=True, service_cv_cpu=1.5)
    assert again.summary().equals(varied.summary())  # the same seed draws the same CPU times
