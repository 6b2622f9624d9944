"""``cluster.hardware`` as a mapping: a named profile with fields changed for every host (a slower
network, other client machines), checked before the run and written back as given."""

from __future__ import annotations

import copy
import dataclasses

import pytest

import eventsim
from eventsim.config import ClusterConfig
from eventsim.core.errors import InvalidConfigurationError
from eventsim.hardware import PROFILES, cluster_profile
from eventsim.scenarios import Scenario

BASE = {
    "name": "acks-all",
    "horizon_ms": 300,
    "cluster": {"brokers": 3, "hardware": "commodity-2014"},
    "topics": [{"name": "events", "partitions": 3, "replication.factor": 3}],
    "producers": [
        {"name": "app", "topic": "events", "rate_per_s": 2000, "value_bytes": 1000, "config": {"acks": "all"}}
    ],
    "metrics": {"window_ms": 100},
}


def scenario(hardware) -> dict:
    data = copy.deepcopy(BASE)
    data["cluster"]["hardware"] = hardware
    return data


def test_fields_change_the_named_profile_for_every_host_and_the_network():
    run = eventsim.build(scenario({"hardware": "commodity-2014", "network_latency_ms": 0.3, "disks": 2}))
    old = PROFILES["commodity-2014"]
    assert run.cluster.profile.network_latency_ms == 0.3
    assert all(b.profile.disks == 2 for b in run.cluster.brokers)
    assert run.cluster.profile.nic_bytes_per_ms == old.nic_bytes_per_ms  # the rest is the named profile's
    assert run.cluster.profile.name == "commodity-2014"
    assert "network_latency_ms=0.3" in run.cluster.profile.description


def test_without_a_name_the_fields_change_the_default_profile():
    profile = ClusterConfig.from_properties({"hardware": {"client_record_cpu_ms": 0.001}}).cluster_profile()
    assert profile == dataclasses.replace(
        PROFILES["cloud-2020"], client_record_cpu_ms=0.001, description=profile.description
    )
    assert ClusterConfig().hardware == "cloud-2020"


def test_a_mapping_with_the_name_alone_is_that_profile():
    assert ClusterConfig.from_properties({"hardware": {"hardware": "laptop"}}).cluster_profile() is PROFILES[
        "laptop"
    ]


def test_a_longer_network_latency_slows_the_acks_all_cycle():
    # Every acknowledgement waits for the followers' next fetches: each hop's latency is in the produce
    # latency, so the same records are acknowledged later.
    near = eventsim.simulate(scenario({"hardware": "commodity-2014", "network_latency_ms": 0.05}), seed=1)
    far = eventsim.simulate(scenario({"hardware": "commodity-2014", "network_latency_ms": 0.5}), seed=1)
    p50 = "produce_latency_p50_ms"
    assert far.summary()[p50].iloc[0] > near.summary()[p50].iloc[0] + 1.0


def test_broker_overrides_apply_on_top_of_the_changed_cluster_profile():
    config = ClusterConfig.from_properties(
        {"hardware": {"hardware": "laptop", "disks": 3}, "broker_hardware": {1: {"cpu_cores": 2}}}
    )
    assert config.profile_for(0).disks == 3
    assert (config.profile_for(1).disks, config.profile_for(1).cpu_cores) == (3, 2)


def test_round_trip_and_hashable():
    sc = Scenario.load(scenario({"hardware": "commodity-2014", "network_latency_ms": 0.25}))
    assert sc.to_dict()["cluster"]["hardware"] == {"hardware": "commodity-2014", "network_latency_ms": 0.25}
    assert Scenario.load(sc.to_dict()) == sc
    hash(sc.cluster)
    assert Scenario.load(BASE).to_dict()["cluster"]["hardware"] == "commodity-2014"


@pytest.mark.parametrize(
    "hardware, field, texts",
    [
        ({"hardware": "comodity-2014"}, "cluster.hardware.hardware", ("did you mean 'commodity-2014'?",)),
        ({"network_latency": 1}, "cluster.hardware.network_latency", ("did you mean 'network_latency_ms'?",)),
        ({"network_latency_ms": -1}, "cluster.hardware.network_latency_ms", ("finite number >= 0",)),
        ({"nic_bytes_per_ms": 0}, "cluster.hardware.nic_bytes_per_ms", ("> 0",)),
        ({"disks": 1.5}, "cluster.hardware.disks", ("integer >= 1",)),
        ({"name": "mine"}, "cluster.hardware.name", ("label",)),
        (5, "cluster.hardware", ("a name or a mapping",)),
        ("laptp", "cluster.hardware", ("did you mean 'laptop'?",)),
    ],
)
def test_bad_hardware_is_one_error_before_the_run(hardware, field, texts):
    with pytest.raises(InvalidConfigurationError) as info:
        eventsim.build(scenario(hardware))
    err = info.value
    assert err.field == field, str(err)
    for text in texts:
        assert text in str(err), str(err)


def test_cluster_profile_is_a_pure_function():
    assert cluster_profile("laptop") is PROFILES["laptop"]
    assert cluster_profile({}) is PROFILES["cloud-2020"]
    changed = cluster_profile({"hardware": "laptop", "cpu_cores": 4})
    assert changed.cpu_cores == 4 and PROFILES["laptop"].cpu_cores == 8
