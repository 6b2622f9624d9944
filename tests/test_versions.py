"""``cluster.kafka_version``: a release's defaults, controllers and behaviours (config/versions.py).

The defaults are those of ``kafka-defaults.md``'s version history; a setting the release did not have is
refused unless it holds the value standing for its absence; the controller mode and Eligible Leader
Replicas follow what the release offers; ZooKeeper-mode clusters place topics as ``AdminUtils`` did.
"""

from __future__ import annotations

import pytest

import eventsim
from eventsim.config import ClusterConfig
from eventsim.config.versions import VERSIONS, truncates_to_high_watermark
from eventsim.controller.replica_placer import admin_utils_assignment
from eventsim.core.environment import RandomStreams
from eventsim.core.errors import InvalidConfigurationError
from eventsim.runner import build
from eventsim.scenarios import Scenario

BASE = {
    "name": "v",
    "horizon_ms": 1000,
    "cluster": {"brokers": 3, "hardware": "laptop"},
    "topics": [{"name": "events", "partitions": 3, "replication.factor": 3}],
    "producers": [
        {
            "name": "app",
            "topic": "events",
            "rate_per_s": 1000,
            "keys": {"distribution": "uniform", "count": 10},
        }
    ],
    "consumers": [{"name": "reader", "topic": "events"}],
}


def load(version, producer=None, broker=None, **cluster):
    data = {**BASE, "cluster": {**BASE["cluster"], "kafka_version": version, **cluster}}
    data["producers"] = [{**BASE["producers"][0], "config": producer or {}}]
    data["broker"] = broker or {}
    return Scenario.from_dict(data)


@pytest.mark.parametrize(
    "version, acks, idempotent, linger, retries, unclean, lag",
    [
        ("0.8", "1", False, 0, 0, True, 10000),
        ("0.11", "1", False, 0, 0, False, 10000),
        ("2.1", "1", False, 0, 2**31 - 1, False, 10000),
        ("2.8", "1", False, 0, 2**31 - 1, False, 30000),
        ("3.9", "all", True, 0, 2**31 - 1, False, 30000),
        ("4.2", "all", True, 5, 2**31 - 1, False, 30000),
    ],
)
def test_each_release_brings_its_defaults(version, acks, idempotent, linger, retries, unclean, lag):
    sc = load(version)
    p = sc.producers[0].config
    assert (str(p.acks), p.enable_idempotence, p.linger_ms, p.retries) == (acks, idempotent, linger, retries)
    assert (sc.broker.unclean_leader_election_enable, sc.broker.replica_lag_time_max_ms) == (unclean, lag)


def test_an_explicit_property_wins_over_the_release_default():
    p = load("2.0", producer={"linger.ms": 7, "acks": "all"}).producers[0].config
    assert (p.linger_ms, str(p.acks)) == (7, "all")


def test_settings_a_release_did_not_have_hold_the_value_of_their_absence_or_are_refused():
    p = load("2.0").producers[0].config
    assert p.delivery_timeout_ms == 2**31 - 1  # no delivery timeout before KIP-91
    assert p.retry_backoff_max_ms == p.retry_backoff_ms  # a constant backoff before KIP-580
    with pytest.raises(
        InvalidConfigurationError, match=r"Kafka 2.0 has no delivery.timeout.ms: it arrived in 2.1"
    ):
        load("2.0", producer={"delivery.timeout.ms": 5000})
    with pytest.raises(InvalidConfigurationError, match=r"it arrived in 3.7 \(KIP-580\)") as info:
        load("3.6", producer={"retry.backoff.max.ms": 5000})
    assert info.value.field == "producers[0].config.retry.backoff.max.ms"


def test_the_controller_mode_and_elr_follow_the_release():
    assert (ClusterConfig().controller_mode, ClusterConfig().eligible_leader_replicas) == ("kraft", True)
    c = ClusterConfig(kafka_version="3.9")
    assert (c.controller_mode, c.eligible_leader_replicas) == ("zookeeper", False)
    assert ClusterConfig(kafka_version="4.0").eligible_leader_replicas is False  # available, off by default
    assert ClusterConfig(kafka_version="4.0", eligible_leader_replicas=True).eligible_leader_replicas
    with pytest.raises(InvalidConfigurationError, match="no KRaft controller: it arrived in 2.8"):
        ClusterConfig(kafka_version="2.7", controller_mode="kraft")
    with pytest.raises(InvalidConfigurationError, match="no ZooKeeper mode: it was removed in 4.0"):
        ClusterConfig(kafka_version="4.0", controller_mode="zookeeper")
    with pytest.raises(InvalidConfigurationError, match="Eligible Leader Replicas"):
        ClusterConfig(kafka_version="3.9", eligible_leader_replicas=True)


def test_versions_parse_from_yaml_numbers_and_0_10_must_be_quoted():
    assert ClusterConfig.from_properties({"kafka_version": 3.9}).kafka_version == "3.9"
    assert ClusterConfig.from_properties({"kafka_version": "0.10"}).kafka_version == "0.10"
    with pytest.raises(InvalidConfigurationError, match="write 0.10 in quotes"):
        ClusterConfig.from_properties({"kafka_version": 0.10})
    with pytest.raises(InvalidConfigurationError, match="did you mean '4.0'"):
        ClusterConfig.from_properties({"kafka_version": "5.0"})
    assert VERSIONS[0] == "0.8" and VERSIONS[-1] == "4.2"


def test_what_the_model_does_not_reproduce_of_an_old_release_is_refused():
    data = {**BASE, "cluster": {**BASE["cluster"], "kafka_version": "3.2"}}
    data["producers"] = [{**BASE["producers"][0], "keys": None}]
    with pytest.raises(InvalidConfigurationError, match="sticky partitioner of Kafka 2.4-3.2"):
        Scenario.from_dict(data)
    with pytest.raises(InvalidConfigurationError, match="rack-aware placement"):
        ClusterConfig(kafka_version="3.9", racks=("a", "b", "c"))
    with pytest.raises(InvalidConfigurationError, match="it was removed in 4.0"):
        load("4.0", broker={"zookeeper.session.timeout.ms": 6000})
    assert load("2.4").broker.zookeeper_session_timeout_ms == 6000  # 18000 from 2.5 (KIP-537)


def test_a_release_round_trips_through_to_dict_and_runs():
    sc = load("2.0")
    assert Scenario.from_dict(sc.to_dict()) == sc
    result = eventsim.simulate(sc)
    assert result.summary().records_acked.sum() > 0
    assert result.config["cluster"]["kafka_version"] == "2.0"


def test_zookeeper_mode_places_topics_as_admin_utils_does():
    class Fixed:  # fixedStartIndex = 0: Kafka's AdminZkClientTest / AdminRackAwareTest layout
        def integers(self, n):
            return 0

    layout = admin_utils_assignment(10, 3, range(5), Fixed())
    assert layout == [
        [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1],
        [0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2],
    ]  # fmt: skip
    data = {**BASE, "cluster": {**BASE["cluster"], "brokers": 5, "kafka_version": "3.9"}}
    data["topics"] = [{"name": "events", "partitions": 10, "replication.factor": 3}]
    run = build(Scenario.from_dict(data), seed=4)
    expected = admin_utils_assignment(10, 3, range(5), RandomStreams(4).stream("cluster.placement"))
    assert run.cluster.topics["events"].replicas == expected


def test_followers_before_0_11_truncate_to_their_high_watermark():
    assert truncates_to_high_watermark("0.10") and not truncates_to_high_watermark("0.11")


def test_records_without_keys_go_round_robin_before_kafka_2_4():
    data = {**BASE, "cluster": {**BASE["cluster"], "kafka_version": "2.3"}}
    data["producers"] = [{**BASE["producers"][0], "keys": None}]
    run = build(Scenario.from_dict(data), seed=1)
    part = run.producers[0].partitioner
    first = part.assign([100] * 7).tolist()
    assert first == [(first[0] + i) % 3 for i in range(7)]
    assert part.assign([100])[0] == (first[-1] + 1) % 3  # the counter carries on
    assert eventsim.simulate(data).summary().records_acked.sum() > 0


# ---------------------------------------------------------------------- message formats
def test_each_release_writes_its_message_format():
    from eventsim.config.versions import message_format

    assert [message_format(v) for v in ("0.8", "0.9", "0.10", "0.11", "2.8", "4.2")] == [0, 0, 1, 2, 2, 2]


def test_legacy_messages_carry_their_own_log_overhead_and_header():
    import numpy as np

    from eventsim.protocol import batch_header_bytes, record_size_in_bytes

    keys, values = np.array([-1, 8]), np.array([100, 100])
    assert record_size_in_bytes(keys, values, magic=0).tolist() == [126, 134]  # 12 + 14 + key + value
    assert record_size_in_bytes(keys, values, magic=1).tolist() == [134, 142]  # and an 8-byte timestamp
    assert record_size_in_bytes(keys, values).tolist() == [109, 117]  # v2: varints, in a batch
    assert batch_header_bytes(0, False) == 0 and batch_header_bytes(1, False) == 0
    assert batch_header_bytes(0, True) == 26 and batch_header_bytes(1, True) == 34
    assert batch_header_bytes(2, False) == batch_header_bytes(2, True) == 61


def _kreps_rf1(version):
    import yaml

    data = yaml.safe_load(open("data/scenarios/kreps-2014-rf1.yaml"))
    data["cluster"]["kafka_version"] = version
    data["horizon_ms"] = 2000  # past the first second, while buffer.memory fills at the CPU's pace
    return data


def test_a_full_nic_carries_fewer_legacy_messages_by_their_size():
    v2 = eventsim.simulate(_kreps_rf1("3.9"), seed=1).summary().iloc[0]
    v0 = eventsim.simulate(_kreps_rf1("0.8"), seed=1).summary().iloc[0]
    assert v2.bottleneck == v0.bottleneck == "producer-perf-0 nic_out"
    # 100-byte values: 126 bytes a message in v0; in v2 109 per record plus a 61-byte header per ~600.
    assert v0.throughput_records_per_s / v2.throughput_records_per_s == pytest.approx(109.1 / 126, rel=0.02)


def test_v0_brokers_recompress_every_compressed_set():
    def handlers_busy(version):
        data = _kreps_rf1(version)
        data["producers"][0]["config"].update({"compression.type": "gzip", "linger.ms": 20})
        data["producers"][0]["rate_per_s"] = 100_000
        b = eventsim.simulate(data, seed=1).frame("brokers")
        return b.query("resource == 'io_threads'").utilisation.mean()

    # Validating decompresses; a v0 broker also compresses again, and gzip compresses ten times slower.
    assert handlers_busy("0.8") > 5 * handlers_busy("0.10")


def test_record_sizes_loop_is_the_varint_formula():
    """The compiled build's per-record size loop (run as Python here in a pure build) gives
    DefaultRecord.sizeInBytes as the numpy formula does, null keys and 7-bit boundaries included."""
    import numpy as np
    from hypothesis import given
    from hypothesis import strategies as st

    from eventsim.protocol import _record_sizes_loop, varint_size

    @given(st.lists(st.tuples(st.integers(-1, 10**12), st.integers(0, 10**9)), min_size=1, max_size=40))
    def check(pairs):
        key = np.array([k for k, _ in pairs] + [-1, 0, 63, 64, 8191, 8192], dtype=np.int64)
        value = np.array([v for _, v in pairs] + [0, 63, 64, 8191, 8192, 1], dtype=np.int64)
        out = np.empty(key.size, dtype=np.int64)
        _record_sizes_loop(key, value, out)
        body = 4 + np.where(key < 0, 1, varint_size(key) + key) + varint_size(value) + value
        assert np.array_equal(out, body + varint_size(body))

    check()
