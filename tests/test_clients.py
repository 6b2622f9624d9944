"""Client machines in the results: the ``clients`` frame and the summary's bottleneck."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import eventsim
from eventsim.hardware import get_profile

BASE = {
    "name": "clients",
    "horizon_ms": 2000,
    "cluster": {"brokers": 1, "hardware": "commodity-2014"},
    "topics": [{"name": "t", "partitions": 2}],
    "producers": [
        {
            "name": "app",
            "topic": "t",
            "rate_per_s": 10_000,
            "arrival": "constant",
            "value_bytes": 100,
            "keys": None,
            "config": {"linger.ms": 5},
        }
    ],
    "consumers": [{"name": "reader", "topic": "t", "processing_ms": 0.05}],
    "metrics": {"window_ms": 500},
}


def run(**producer):
    data = copy.deepcopy(BASE)
    data["producers"][0].update(producer)
    return eventsim.simulate(data, seed=1)


def test_every_client_instance_has_cpu_and_nic_rows_per_window():
    r = run()
    c = r.frame("clients")
    assert sorted(c.host.unique()) == ["consumer-reader-0", "producer-app-0"]
    assert set(c.resource) == {"cpu", "nic_in", "nic_out"}
    assert (c.groupby(["host", "resource"]).size() == 4).all()  # 2 s in 500 ms windows
    assert set(c.query("host == 'producer-app-0'").role) == {"producer"}


def _producer_cpu_ms(r) -> tuple[float, float]:
    """The producer's busy CPU time over the run, and its records times the profile's cost per record."""
    cpu = r.frame("clients").query("host == 'producer-app-0' and resource == 'cpu'")
    per_record = get_profile("commodity-2014").client_record_cpu_ms
    return float((cpu.utilisation * 500).sum()), r.summary().records_offered.iloc[0] * per_record


def test_the_producers_cpu_is_its_records_times_the_per_record_cost():
    data = copy.deepcopy(BASE)
    data["variability"] = {"service_times": False}
    busy_ms, expected_ms = _producer_cpu_ms(eventsim.simulate(data, seed=1))
    assert busy_ms == pytest.approx(expected_ms, rel=1e-9)
    # With service times varied (the default), each send() takes its cost times a factor of mean 1: the
    # 20,000 records' sum is within a percent of it.
    busy_ms, expected_ms = _producer_cpu_ms(run())
    assert busy_ms == pytest.approx(expected_ms, rel=0.01) and busy_ms != expected_ms


@pytest.mark.parametrize(("version", "message_bytes"), [("0.8", 12 + 14 + 100), ("0.10", 12 + 22 + 100)])
def test_before_0_11_send_also_checksums_each_message(version, message_bytes):
    # v0/v1 (0.8-0.10): send() computes each message's CRC32 over its bytes but the log overhead (12) and
    # the CRC field (4), at the profile's client_crc_cpu_ms_per_mb; v2 (the default release) does not.
    data = copy.deepcopy(BASE)
    data["variability"] = {"service_times": False}
    busy_v2, per_record_total = _producer_cpu_ms(eventsim.simulate(data, seed=1))
    data["cluster"]["kafka_version"] = version
    busy_old, _ = _producer_cpu_ms(eventsim.simulate(data, seed=1))
    records = per_record_total / get_profile("commodity-2014").client_record_cpu_ms
    crc_ms = (message_bytes - 16) * get_profile("commodity-2014").client_crc_cpu_ms_per_mb / 2**20
    assert busy_v2 == pytest.approx(per_record_total, rel=1e-9)
    assert busy_old - busy_v2 == pytest.approx(records * crc_ms, rel=1e-9)


def test_the_consumers_cpu_is_its_processing():
    r = run()
    cpu = r.frame("clients").query("host == 'consumer-reader-0' and resource == 'cpu'")
    consumed = r.summary().records_consumed.iloc[0]
    busy_ms = float((cpu.utilisation * 500).sum())
    # All of it but the end of the last poll's processing, which runs past the horizon.
    assert consumed * 0.05 - 2.0 <= busy_ms <= consumed * 0.05


def test_the_summary_names_a_saturated_producer_nic_as_the_bottleneck():
    # 2 M records/s of 100 bytes offered from one 1 GbE client: its NIC is full. (No consumer: one at
    # 0.05 ms a record would be saturated too.)
    data = copy.deepcopy(BASE)
    data["consumers"] = []
    data["producers"][0].update(
        rate_per_s=2_000_000, config={"batch.size": 65536, "linger.ms": 5, "buffer.memory": 67108864}
    )
    r = eventsim.simulate(data, seed=1)
    s = r.summary().iloc[0]
    assert s.bottleneck == "producer-app-0 nic_out"
    assert s.bottleneck_utilisation > 0.95
    nic = r.frame("clients").query("host == 'producer-app-0' and resource == 'nic_out'")
    assert np.isclose(nic.utilisation.mean(), s.bottleneck_utilisation)


def test_a_slow_consumer_is_named_as_the_bottleneck():
    data = copy.deepcopy(BASE)
    data["consumers"][0]["processing_ms"] = 0.2  # 10,000 records/s need 2 s of work per second
    s = eventsim.simulate(data, seed=1).summary().iloc[0]
    assert s.bottleneck == "consumer-reader-0 cpu"
    assert s.bottleneck_utilisation > 0.95
