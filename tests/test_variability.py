"""Sources of variability (``variability:`` in a scenario): each with its switch, each changing the run."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import eventsim
from eventsim.core.errors import InvalidConfigurationError
from eventsim.jvm import Z90
from eventsim.scenarios import Scenario

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


def run(**variability):
    data = copy.deepcopy(BASE)
    data["variability"] = variability
    return eventsim.simulate(data, seed=3)


def test_no_collections_unless_switched_on():
    r = run()
    assert r.frame("gc").empty
    assert "variability" not in Scenario.from_dict(BASE).to_dict()  # the defaults are not written out


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
    ],
)
def test_bad_variability_settings_are_refused_naming_the_field(variability, field):
    data = copy.deepcopy(BASE)
    data["variability"] = variability
    with pytest.raises(InvalidConfigurationError) as err:
        Scenario.from_dict(data)
    assert field in str(err.value)
