"""Hardware profiles: numbers match the published testbeds, units are right, overrides validate."""

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsim.core.errors import InvalidConfigurationError
from eventsim.hardware import (
    GIB,
    MB,
    MIB,
    PROFILES,
    TCP_PAYLOAD_SHARE,
    HardwareProfile,
    bytes_per_ms,
    get_profile,
    tcp_payload_bytes_per_ms,
)

COMMODITY = PROFILES["commodity-2014"]
CLOUD = PROFILES["cloud-2020"]
LAPTOP = PROFILES["laptop"]


def mb_per_s(bytes_per_ms_value: float) -> float:
    return bytes_per_ms_value * 1000 / MB


# ---- units --------------------------------------------------------------------------------------------


def test_one_decimal_megabyte_per_second_is_one_thousand_bytes_per_ms():
    assert bytes_per_ms(1) == 1000.0
    assert MB == 10**6 and MIB == 2**20 and GIB == 2**30
    assert bytes_per_ms(MIB / MB) == pytest.approx(1048.576)


def test_tcp_payload_share_is_1448_of_1538_wire_bytes():
    assert TCP_PAYLOAD_SHARE == pytest.approx(0.9415, abs=1e-4)
    assert mb_per_s(tcp_payload_bytes_per_ms(1)) == pytest.approx(117.7, abs=0.1)
    assert mb_per_s(tcp_payload_bytes_per_ms(10)) == pytest.approx(1176.9, abs=0.5)
    assert mb_per_s(tcp_payload_bytes_per_ms(25)) == pytest.approx(2941, rel=1e-3)


# ---- the published testbeds -------------------------------------------------------------------------


def test_profiles_are_keyed_by_their_names():
    assert {"commodity-2014", "cloud-2020", "laptop"} <= set(PROFILES)
    for key, profile in PROFILES.items():
        assert isinstance(profile, HardwareProfile)
        assert profile.name == key
        assert profile.description and profile.source


def test_commodity_2014_matches_kreps_testbed():
    assert COMMODITY.cpu_cores == 6
    assert mb_per_s(COMMODITY.nic_bytes_per_ms) == pytest.approx(117, abs=1)  # 1 GbE TCP payload
    assert COMMODITY.client_nic_bytes_per_ms == COMMODITY.nic_bytes_per_ms
    assert COMMODITY.disks == 6
    assert mb_per_s(COMMODITY.disk_write_bytes_per_ms) == pytest.approx(137)
    assert mb_per_s(COMMODITY.disks * COMMODITY.disk_write_bytes_per_ms) == pytest.approx(822)
    # 32 GB of RAM less heap and OS.
    assert 24 * GIB <= COMMODITY.page_cache_bytes < 32 * GIB


def test_cloud_2020_matches_confluent_testbed():
    assert CLOUD.cpu_cores == 8
    assert CLOUD.disks == 2
    assert mb_per_s(CLOUD.disk_write_bytes_per_ms) == pytest.approx(327, abs=1)
    assert mb_per_s(CLOUD.disks * CLOUD.disk_write_bytes_per_ms) == pytest.approx(655)
    assert mb_per_s(CLOUD.nic_bytes_per_ms) == pytest.approx(2941, rel=1e-3)  # 25 Gbps payload
    # 64 GB of RAM less the 6 GB heap and the OS.
    assert 48 * GIB <= CLOUD.page_cache_bytes <= 58 * GIB


def test_cloud_2020_disks_not_network_are_the_write_limit():
    # The Confluent post: the network "is not the bottleneck"; the two disks (655 MB/s) are.
    assert CLOUD.disks * CLOUD.disk_write_bytes_per_ms < CLOUD.nic_bytes_per_ms / 4


def test_kreps_small_records_cpu_bound_large_records_nic_bound():
    # Kreps 2014: 10-byte records are CPU-bound in the producer, 100-byte ones saturate the 1 GbE NIC.
    overhead = 22  # bytes per record on the wire
    cpu_limit = 1 / COMMODITY.client_record_cpu_ms  # records per ms for one producer thread
    assert cpu_limit < COMMODITY.client_nic_bytes_per_ms / (10 + overhead)
    assert cpu_limit > COMMODITY.client_nic_bytes_per_ms / (100 + overhead)


@pytest.mark.parametrize("profile", list(PROFILES.values()), ids=list(PROFILES))
def test_cpu_costs_are_plausible(profile):
    # One producer thread tops out in the low millions of tiny records per second.
    assert 1e6 <= 1000 / profile.client_record_cpu_ms <= 5e6
    # Per-request CPU is tens of microseconds.
    assert 0.005 <= profile.network_thread_cpu_ms <= 0.1
    assert 0.01 <= profile.request_cpu_ms <= 0.1
    # Appending validates and copies at hundreds of MB/s to GB/s per thread; zero-copy fetch is cheaper.
    assert 300 <= mb_per_s(MIB / profile.append_cpu_ms_per_mb) <= 10_000
    assert profile.fetch_cpu_ms_per_mb < profile.append_cpu_ms_per_mb
    # A pass over a v0/v1 message reads it into a few objects: tens of nanoseconds.
    assert 5e-6 <= profile.message_pass_cpu_ms <= 1e-4
    # One-way latency within a datacentre or rack.
    assert 0.05 <= profile.network_latency_ms <= 0.25
    assert profile.disk_read_bytes_per_ms >= profile.disk_write_bytes_per_ms


def test_laptop_is_a_small_box_on_1gbe_with_nvme():
    assert LAPTOP.cpu_cores == 8
    assert LAPTOP.disks == 1
    assert LAPTOP.nic_bytes_per_ms == COMMODITY.nic_bytes_per_ms
    assert LAPTOP.disk_write_bytes_per_ms > 10 * COMMODITY.disk_write_bytes_per_ms  # NVMe vs SATA disk
    assert LAPTOP.page_cache_bytes < COMMODITY.page_cache_bytes


# ---- lookup -------------------------------------------------------------------------------------------


def test_get_profile_returns_the_registered_profile():
    assert get_profile("cloud-2020") is CLOUD
    assert get_profile(LAPTOP) is LAPTOP


def test_get_profile_unknown_lists_the_names():
    with pytest.raises(InvalidConfigurationError) as info:
        get_profile("cloud2020")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.field == "cluster.hardware"
    assert err.value == "cloud2020"
    for name in PROFILES:
        assert name in err.allowed and name in str(err)
    assert "did you mean 'cloud-2020'" in str(err)


def test_get_profile_unhashable_name_is_a_config_error():
    with pytest.raises(InvalidConfigurationError):
        get_profile(["laptop"])


# ---- overrides and validation ------------------------------------------------------------------------


def test_with_overrides_returns_a_changed_copy():
    two = COMMODITY.with_overrides(disks=2, name="commodity-2disk")
    assert two.disks == 2 and two.name == "commodity-2disk"
    assert two.disk_write_bytes_per_ms == COMMODITY.disk_write_bytes_per_ms
    assert COMMODITY.disks == 6  # the original is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        two.disks = 3  # type: ignore[misc]


def test_with_overrides_allows_infinite_bandwidth_and_zero_costs():
    ideal = CLOUD.with_overrides(nic_bytes_per_ms=math.inf, request_cpu_ms=0, network_latency_ms=0)
    assert ideal.nic_bytes_per_ms == math.inf
    assert ideal.request_cpu_ms == 0.0 and isinstance(ideal.request_cpu_ms, float)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("disks", 0),
        ("disks", 1.5),
        ("cpu_cores", True),
        ("page_cache_bytes", -1),
        ("nic_bytes_per_ms", 0),
        ("disk_write_bytes_per_ms", -5.0),
        ("disk_read_bytes_per_ms", math.nan),
        ("client_nic_bytes_per_ms", "fast"),
        ("request_cpu_ms", -0.01),
        ("client_record_cpu_ms", math.inf),
        ("network_latency_ms", math.nan),
        ("name", ""),
    ],
)
def test_with_overrides_rejects_bad_values(field, value):
    with pytest.raises(InvalidConfigurationError) as info:
        LAPTOP.with_overrides(**{field: value})
    assert info.value.field == f"hardware.{field}"


def test_with_overrides_rejects_unknown_fields_with_a_suggestion():
    with pytest.raises(InvalidConfigurationError) as info:
        LAPTOP.with_overrides(disk=2)
    assert info.value.field == "hardware.disk"
    assert "did you mean 'disks'" in str(info.value)


@given(
    field=st.sampled_from(["nic_bytes_per_ms", "disk_write_bytes_per_ms", "request_cpu_ms", "disks"]),
    value=st.integers(min_value=1, max_value=10**9),
)
def test_with_overrides_round_trips_valid_values(field, value):
    changed = CLOUD.with_overrides(**{field: value})
    assert getattr(changed, field) == value
    others = {f.name for f in dataclasses.fields(HardwareProfile)} - {field}
    assert all(getattr(changed, f) == getattr(CLOUD, f) for f in others)
