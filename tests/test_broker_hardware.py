"""``cluster.broker_hardware``: one broker on other hardware (a slow follower, a bigger leader)."""

from __future__ import annotations

import copy
import dataclasses
import math

import pytest

import eventsim
from eventsim.config import ClusterConfig
from eventsim.core.errors import InvalidConfigurationError
from eventsim.hardware import BROKER_HOST_FIELDS, PROFILES, broker_profile
from eventsim.scenarios import Scenario

BASE = {
    "name": "slow-follower",
    "horizon_ms": 300,
    "cluster": {"brokers": 3, "hardware": "cloud-2020"},
    "topics": [{"name": "events", "partitions": 3}],
    "producers": [{"name": "app", "topic": "events", "rate_per_s": 2000, "value_bytes": 1000}],
    "metrics": {"window_ms": 100},
}


def scenario(broker_hardware) -> dict:
    data = copy.deepcopy(BASE)
    data["cluster"]["broker_hardware"] = broker_hardware
    return data


def test_a_field_override_changes_that_brokers_profile_only():
    run = eventsim.build(scenario({2: {"disk_write_bytes_per_ms": 50_000}}))
    cloud = PROFILES["cloud-2020"]
    assert run.cluster.brokers[2].profile.disk_write_bytes_per_ms == 50_000
    assert run.cluster.brokers[2].profile.disks == cloud.disks  # the rest is the cluster's
    assert run.cluster.brokers[0].profile == run.cluster.brokers[1].profile == cloud
    assert run.cluster.profile == cloud  # clients and the network keep the cluster's profile


def test_a_profile_name_makes_the_broker_another_machine_on_the_same_network():
    run = eventsim.build(scenario({"1": "commodity-2014"}))  # YAML may give the id as text
    slow, old = run.cluster.brokers[1].profile, PROFILES["commodity-2014"]
    assert all(getattr(slow, f) == getattr(old, f) for f in BROKER_HOST_FIELDS)
    assert slow.name == "commodity-2014"
    cloud = PROFILES["cloud-2020"]
    assert slow.network_latency_ms == cloud.network_latency_ms
    assert (slow.client_nic_bytes_per_ms, slow.client_record_cpu_ms) == (
        cloud.client_nic_bytes_per_ms,
        cloud.client_record_cpu_ms,
    )


def test_a_named_machine_with_changes():
    profile = ClusterConfig.from_properties(
        {"hardware": "cloud-2020", "broker_hardware": {0: {"hardware": "laptop", "disks": 2}}}
    ).profile_for(0)
    assert profile.disks == 2 and profile.nic_bytes_per_ms == PROFILES["laptop"].nic_bytes_per_ms


def test_profile_for_a_broker_without_override_is_the_clusters():
    config = ClusterConfig.from_properties({"brokers": 2, "hardware": "laptop"})
    assert config.profile_for(0) is PROFILES["laptop"] and config.profile_for(1) is PROFILES["laptop"]


def test_the_override_changes_the_run():
    # A 1 MB/s NIC on broker 0 (the 2 MB/s of this producer go a third to each leader) slows its appends.
    fast = eventsim.simulate(BASE)
    slow = eventsim.simulate(scenario({0: {"nic_bytes_per_ms": 1000}}))
    assert not fast.frame("brokers").equals(slow.frame("brokers"))
    assert not fast.frame("records").equals(slow.frame("records"))


def test_round_trip_and_hashable():
    sc = Scenario.load(scenario({2: {"disk_write_bytes_per_ms": 50_000}, 0: "laptop"}))
    out = sc.to_dict()["cluster"]["broker_hardware"]
    assert out == {0: "laptop", 2: {"disk_write_bytes_per_ms": 50_000}}
    assert Scenario.load(sc.to_dict()) == sc
    hash(sc.cluster)  # frozen config stays hashable
    assert dataclasses.replace(sc.cluster, brokers=4) == ClusterConfig.from_properties(
        {**sc.to_dict()["cluster"], "brokers": 4}
    )


def test_no_override_writes_null_back():
    assert Scenario.load(BASE).to_dict()["cluster"]["broker_hardware"] is None


@pytest.mark.parametrize(
    "broker_hardware, field, texts",
    [
        ({3: "laptop"}, "cluster.broker_hardware.3", ("no broker 3", "broker ids 0..2")),
        ({-1: "laptop"}, "cluster.broker_hardware.-1", (">= 0",)),
        ({"two": "laptop"}, "cluster.broker_hardware.two", ("expected an integer",)),
        ({2: "lapto"}, "cluster.broker_hardware.2", ("did you mean 'laptop'?",)),
        ({2: {"hardware": "cloud"}}, "cluster.broker_hardware.2.hardware", ("unknown hardware profile",)),
        (
            {2: {"disk_write_byte_per_ms": 50}},
            "cluster.broker_hardware.2.disk_write_byte_per_ms",
            ("did you mean 'disk_write_bytes_per_ms'?",),
        ),
        ({2: {"network_latency_ms": 5}}, "cluster.broker_hardware.2.network_latency_ms", ("one network",)),
        (
            {2: {"client_nic_bytes_per_ms": 5}},
            "cluster.broker_hardware.2.client_nic_bytes_per_ms",
            ("client",),
        ),
        ({2: {"name": "x"}}, "cluster.broker_hardware.2.name", ("label",)),
        ({2: {"disk_write_bytes_per_ms": 0}}, "cluster.broker_hardware.2.disk_write_bytes_per_ms", ("> 0",)),
        ({2: {"disk_write_bytes_per_ms": -5}}, "cluster.broker_hardware.2.disk_write_bytes_per_ms", ("> 0",)),
        (
            {2: {"disk_write_bytes_per_ms": "fast"}},
            "cluster.broker_hardware.2.disk_write_bytes_per_ms",
            ("> 0",),
        ),
        ({2: {"disks": 1.5}}, "cluster.broker_hardware.2.disks", ("integer >= 1",)),
        (
            {2: {"request_cpu_ms": math.nan}},
            "cluster.broker_hardware.2.request_cpu_ms",
            ("finite number >= 0",),
        ),
        ({2: {"cpu_cores": True}}, "cluster.broker_hardware.2.cpu_cores", ("integer >= 1",)),
        ({2: 5}, "cluster.broker_hardware.2", ("a name or a mapping",)),
        ([2], "cluster.broker_hardware", ("mapping of broker ids",)),
        ({2: "laptop", "2": "laptop"}, "cluster.broker_hardware.2", ("given twice",)),
    ],
)
def test_bad_override_is_one_error_before_the_run(broker_hardware, field, texts):
    with pytest.raises(InvalidConfigurationError) as info:
        eventsim.build(scenario(broker_hardware))
    err = info.value
    assert err.field == field, str(err)
    for text in texts:
        assert text in str(err), str(err)


def test_broker_profile_is_a_pure_function():
    cloud = PROFILES["cloud-2020"]
    assert broker_profile(cloud, {}) is cloud
    changed = broker_profile(cloud, {"disks": 1})
    assert changed.disks == 1 and "disks=1" in changed.description
    assert broker_profile(cloud, "cloud-2020") == cloud
