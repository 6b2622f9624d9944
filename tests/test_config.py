"""Config dataclasses: Kafka 4.2 defaults, ConfigDef parsing, ranges and Kafka's cross-field rules."""

import dataclasses
import pickle
import warnings

import pytest

from eventsim.config import BrokerConfig, ClusterConfig, ConsumerConfig, ProducerConfig, TopicConfig
from eventsim.core.errors import InvalidConfigurationError, KafkaError, RecordTooLargeError
from eventsim.core.validation import LONG_MAX

# (config class, properties, expected field, value as shown, text of the allowed values, further text)
BAD = [
    (ProducerConfig, {"lingr.ms": 5}, "lingr.ms", "5", "linger.ms", "did you mean 'linger.ms'?"),
    (ProducerConfig, {"batch_sise": 5}, "batch_sise", "5", "batch.size", "did you mean 'batch.size'?"),
    (ProducerConfig, {"linger.ms": "five"}, "linger.ms", "'five'", "integer >= 0", "expected an integer"),
    (ProducerConfig, {"batch.size": True}, "batch.size", "True", "integer >= 0", "got a boolean"),
    (ProducerConfig, {"linger.ms": 5.0}, "linger.ms", "5.0", "integer >= 0", "got float"),
    (ProducerConfig, {"acks": 2}, "acks", "2", "all, -1, 0 or 1", ""),
    (ProducerConfig, {"acks": "leader"}, "acks", "'leader'", "all, -1, 0 or 1", ""),
    (ProducerConfig, {"linger.ms": -1}, "linger.ms", "-1", "integer >= 0", "must be >= 0"),
    (ProducerConfig, {"batch.size": -1}, "batch.size", "-1", "integer >= 0", "must be >= 0"),
    (ProducerConfig, {"batch.size": 2**31}, "batch.size", "2147483648", "integer >= 0", "INT"),
    (
        ProducerConfig,
        {"max.in.flight.requests.per.connection": 0},
        "max.in.flight.requests.per.connection",
        "0",
        "integer >= 1",
        "",
    ),
    (
        ProducerConfig,
        {"delivery.timeout.ms": 1000},
        "delivery.timeout.ms",
        "1000",
        "integer >= 30005",
        "linger.ms (5) + request.timeout.ms (30000)",
    ),
    (
        ProducerConfig,
        {"enable.idempotence": True, "acks": 1},
        "acks",
        "'1'",
        "all while enable.idempotence=true",
        "idempotent",
    ),
    (
        ProducerConfig,
        {"enable.idempotence": "true", "retries": 0},
        "retries",
        "0",
        "integer >= 1",
        "idempotent",
    ),
    (
        ProducerConfig,
        {"max.in.flight.requests.per.connection": 6},
        "max.in.flight.requests.per.connection",
        "6",
        "integer in [1, 5] unless enable.idempotence=false",
        "KAFKA-17927",
    ),
    (
        ProducerConfig,
        {"max.in.flight.requests.per.connection": 6, "acks": "1"},
        "max.in.flight.requests.per.connection",
        "6",
        "integer in [1, 5]",
        "",
    ),
    (
        ProducerConfig,
        {"compression.type": "brotli"},
        "compression.type",
        "'brotli'",
        "none, gzip, snappy, lz4, zstd",
        "",
    ),
    (ProducerConfig, {"compression.type": "lz5"}, "compression.type", "'lz5'", "lz4", "did you mean 'lz4'?"),
    (
        ProducerConfig,
        {"transactional.id": "tx-1"},
        "transactional.id",
        "'tx-1'",
        "linger.ms",
        "does not model",
    ),
    (ProducerConfig, {"linger.ms": 1, "linger_ms": 2}, "linger_ms", "2", "each property once", "twice"),
    (ProducerConfig, {"enable.idempotence": "yes"}, "enable.idempotence", "'yes'", "true or false", ""),
    (
        ConsumerConfig,
        {"enable.auto.commit": True},
        "enable.auto.commit",
        "True",
        "false while group.id is null",
        "",
    ),
    (
        ConsumerConfig,
        {"heartbeat.interval.ms": 45000},
        "heartbeat.interval.ms",
        "45000",
        "integer < session.timeout.ms (45000)",
        "lower than the session timeout",
    ),
    (
        ConsumerConfig,
        {"auto.offset.reset": "earlist"},
        "auto.offset.reset",
        "'earlist'",
        "latest, earliest, none",
        "did you mean 'earliest'?",
    ),
    (ConsumerConfig, {"max.poll.records": 0}, "max.poll.records", "0", "integer >= 1", ""),
    (
        ConsumerConfig,
        {"isolation.level": "serializable"},
        "isolation.level",
        "'serializable'",
        "read_committed",
        "",
    ),
    (ConsumerConfig, {"group.id": ""}, "group.id", "''", "non-empty string", ""),
    (BrokerConfig, {"log.segment.bytes": 1000}, "log.segment.bytes", "1000", "integer >= 1048576", ""),
    (BrokerConfig, {"num.io.threads": 0}, "num.io.threads", "0", "integer >= 1", ""),
    (
        BrokerConfig,
        {"replica.fetch.wait.max.ms": 40000},
        "replica.fetch.wait.max.ms",
        "40000",
        "integer <= replica.lag.time.max.ms (30000)",
        "",
    ),
    (BrokerConfig, {"compression.type": "none"}, "compression.type", "'none'", "uncompressed", ""),
    (BrokerConfig, {"log.roll.hours": 0}, "log.roll.hours", "0", "integer >= 1", ""),
    (
        BrokerConfig,
        {"log.retention.hourz": 1},
        "log.retention.hourz",
        "1",
        "log.retention.hours",
        "did you mean 'log.retention.hours'?",
    ),
    (TopicConfig, {"name": "bad topic!"}, "name", "'bad topic!'", "a-z A-Z 0-9 . _ -", "illegal characters"),
    (TopicConfig, {"name": ".."}, "name", "'..'", "not '.' or '..'", ""),
    (TopicConfig, {"name": "x" * 250}, "name", "'xxx", "1-249 characters", ""),
    (TopicConfig, {"name": "t", "partitions": 0}, "partitions", "0", "integer >= 1", ""),
    (
        TopicConfig,
        {"name": "t", "config": {"retention.ms": -5}},
        "config.retention.ms",
        "-5",
        "integer >= -1",
        "",
    ),
    (
        TopicConfig,
        {"name": "t", "config": {"segment.bytes": 14}},
        "config.segment.bytes",
        "14",
        "integer >= 1048576",
        "",
    ),
    (TopicConfig, {"name": "t", "retention.ms": 5}, "retention.ms", "5", "config", "under config"),
    (
        TopicConfig,
        {"name": "t", "config": {"retention.msec": 5}},
        "config.retention.msec",
        "5",
        "retention.ms",
        "did you mean 'retention.ms'?",
    ),
    (
        ClusterConfig,
        {"hardware": "cloud2020"},
        "hardware",
        "'cloud2020'",
        "cloud-2020, commodity-2014, laptop",
        "did you mean 'cloud-2020'?",
    ),
    (ClusterConfig, {"brokers": 2, "racks": ["a"]}, "racks", "['a']", "a list of 2 rack names", ""),
    (ClusterConfig, {"brokers": 0}, "brokers", "0", "integer >= 1", ""),
    (
        ClusterConfig,
        {"controller_mode": "raft"},
        "controller_mode",
        "'raft'",
        "kraft, zookeeper",
        "did you mean 'kraft'?",
    ),
]


@pytest.mark.parametrize("cls, props, field, shown, allowed, extra", BAD, ids=lambda v: str(v)[:40])
def test_bad_property_gives_one_error_naming_field_value_and_allowed(
    cls, props, field, shown, allowed, extra
):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the error must not come with (or as) a warning
        with pytest.raises(InvalidConfigurationError) as info:
            cls.from_properties(props, path="x")
    err = info.value
    message = str(err)
    assert err.field == f"x.{field}"
    assert message.startswith(f"x.{field}={shown}")
    assert allowed in err.allowed and f"(allowed: {err.allowed})" in message
    assert extra in message
    assert isinstance(err, ValueError) and isinstance(err, KafkaError)


def test_bad_inputs_are_distinct_and_numerous():
    keys = {(cls.__name__, repr(sorted(props.items()))) for cls, props, *_ in BAD}
    assert len(keys) == len(BAD) >= 24


def test_error_in_direct_construction_has_plain_kafka_name():
    with pytest.raises(
        InvalidConfigurationError,
        match=r"^linger\.ms=-1 is invalid: must be >= 0 "
        r"\(allowed: integer >= 0\)$",
    ):
        ProducerConfig(linger_ms=-1)


def test_defaults_are_kafka_42_defaults():
    # Kafka 4.2's defaults: clients/.../producer/ProducerConfig.java, consumer/ConsumerConfig.java,
    # CommonClientConfigs.java, and the server's ServerLogConfigs.java / LogConfig.java (apache/kafka).
    p = ProducerConfig()
    assert (p.acks, p.enable_idempotence, p.linger_ms, p.batch_size) == ("all", True, 5, 16384)
    assert (p.buffer_memory, p.max_block_ms, p.max_in_flight_requests_per_connection) == (33554432, 60000, 5)
    assert (p.retries, p.delivery_timeout_ms, p.request_timeout_ms) == (2147483647, 120000, 30000)
    assert (p.retry_backoff_ms, p.retry_backoff_max_ms, p.max_request_size) == (100, 1000, 1048576)
    assert (p.compression_type, p.partitioner_ignore_keys, p.partitioner_adaptive_partitioning_enable) == (
        "none",
        False,
        True,
    )
    assert p.partitioner_availability_timeout_ms == 0
    c = ConsumerConfig()
    assert (c.fetch_min_bytes, c.fetch_max_wait_ms, c.fetch_max_bytes) == (1, 500, 52428800)
    assert (c.max_partition_fetch_bytes, c.max_poll_records, c.max_poll_interval_ms) == (1048576, 500, 300000)
    assert (c.session_timeout_ms, c.heartbeat_interval_ms, c.auto_commit_interval_ms) == (45000, 3000, 5000)
    assert (c.auto_offset_reset, c.isolation_level, c.request_timeout_ms) == (
        "latest",
        "read_uncommitted",
        30000,
    )
    assert c.group_id is None and c.enable_auto_commit is False  # forced off without a group id
    b = BrokerConfig()
    assert (b.num_network_threads, b.num_io_threads, b.queued_max_requests) == (3, 8, 500)
    assert (b.message_max_bytes, b.log_segment_bytes) == (1048588, 1073741824)
    assert (b.log_retention_ms, b.log_retention_bytes, b.log_roll_ms) == (168 * 3600_000, -1, 604800000)
    assert (b.log_retention_check_interval_ms, b.log_flush_interval_messages) == (300000, 2**63 - 1)
    assert b.log_flush_interval_ms is None and b.unclean_leader_election_enable is False
    assert (b.min_insync_replicas, b.default_replication_factor, b.num_partitions) == (1, 1, 1)
    assert (b.replica_lag_time_max_ms, b.replica_fetch_wait_max_ms, b.replica_fetch_min_bytes) == (
        30000,
        500,
        1,
    )
    assert (b.replica_fetch_max_bytes, b.num_replica_fetchers) == (1048576, 1)
    assert (b.socket_request_max_bytes, b.fetch_max_bytes, b.compression_type) == (
        104857600,
        57671680,
        "producer",
    )
    assert ClusterConfig() == ClusterConfig(
        brokers=3, hardware="cloud-2020", racks=None, controller_mode="kraft"
    )


def test_dotted_and_underscored_names_are_the_same_property():
    dotted = ProducerConfig.from_properties({"linger.ms": 20, "batch.size": 65536, "compression.type": "lz4"})
    underscored = ProducerConfig.from_properties(
        {"linger_ms": 20, "batch_size": 65536, "compression_type": "lz4"}
    )
    assert dotted == underscored == ProducerConfig(linger_ms=20, batch_size=65536, compression_type="lz4")
    assert BrokerConfig.from_properties({"num_io_threads": 16}).num_io_threads == 16


def test_values_are_parsed_as_kafka_configdef_parses_them():
    p = ProducerConfig.from_properties(
        {"linger.ms": " 10 ", "enable.idempotence": "TRUE", "client.id": " app "}
    )
    assert (p.linger_ms, p.enable_idempotence, p.client_id) == (10, True, "app")
    for given, stored in ((-1, "all"), ("-1", "all"), ("all", "all"), (1, "1"), ("0", "0")):
        assert ProducerConfig.from_properties({"acks": given, "enable.idempotence": False}).acks == stored


@pytest.mark.parametrize("cls", [ProducerConfig, ConsumerConfig, BrokerConfig, ClusterConfig])
def test_to_properties_round_trip(cls):
    cfg = cls.from_properties({"client.id": "c-1"} if cls in (ProducerConfig, ConsumerConfig) else {})
    props = cfg.to_properties()
    assert all("_" not in key for key in props) or cls is ClusterConfig
    assert cls.from_properties(props) == cfg


def test_topic_round_trip_and_resolve_from_broker():
    topic = TopicConfig.from_properties(
        {"name": "posts", "partitions": 12, "replication_factor": 1, "config": {"retention.ms": 3600000}}
    )
    assert topic.to_properties() == {
        "name": "posts",
        "partitions": 12,
        "replication.factor": 1,
        "config": {"retention.ms": 3600000},
    }
    assert TopicConfig.from_properties(topic.to_properties()) == topic
    broker = BrokerConfig.from_properties({"num.partitions": 6, "log.segment.bytes": 2**24})
    resolved = topic.resolve(broker)
    assert resolved.retention_ms == 3600000  # the topic's own override wins
    assert (resolved.partitions, resolved.min_insync_replicas, resolved.segment_bytes) == (12, 1, 2**24)
    inherits = TopicConfig("clicks").resolve(broker)  # no partitions / replication.factor: the broker's
    assert (inherits.partitions, inherits.replication_factor) == (6, 1)
    assert (resolved.max_message_bytes, resolved.compression_type) == (1048588, "producer")
    assert resolved.flush_ms == LONG_MAX  # log.flush.interval.ms unset -> scheduler interval Long.MAX_VALUE
    # Everything is filled in but the manual assignment: None there means the controller places replicas.
    assert all(
        getattr(resolved, f.name) is not None for f in dataclasses.fields(TopicConfig) if f.name != "replicas"
    )
    assert resolved.replicas is None


def test_idempotence_follows_kafka_rules():
    assert ProducerConfig(acks="1").enable_idempotence is False  # unset + acks != all -> off, silently
    assert ProducerConfig(retries=0).enable_idempotence is False
    relaxed = ProducerConfig(acks="1")
    assert dataclasses.replace(relaxed, acks="all").enable_idempotence is True  # re-derived, not frozen in
    assert ProducerConfig(enable_idempotence=False, max_in_flight_requests_per_connection=10).acks == "all"


def test_delivery_timeout_from_defaults_is_raised_with_a_warning():
    with pytest.warns(UserWarning, match="delivery.timeout.ms"):
        cfg = ProducerConfig.from_properties({"linger.ms": 100000})
    assert cfg.delivery_timeout_ms == 130000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dataclasses.replace(cfg, linger_ms=5).delivery_timeout_ms == 120000
        assert (
            ProducerConfig(delivery_timeout_ms=30005).delivery_timeout_ms == 30005
        )  # explicit, large enough


def test_auto_commit_follows_group_id():
    assert ConsumerConfig(group_id="g").enable_auto_commit is True
    assert ConsumerConfig(group_id="g", enable_auto_commit=True).enable_auto_commit is True
    assert ConsumerConfig(enable_auto_commit=False).enable_auto_commit is False  # what Kafka derives
    with pytest.raises(InvalidConfigurationError, match="committing offsets is not modelled yet"):
        ConsumerConfig(group_id="g", enable_auto_commit=False)  # off its derived default
    assert dataclasses.replace(ConsumerConfig(), group_id="g").enable_auto_commit is True


def test_broker_retention_precedence_ms_minutes_hours():
    assert BrokerConfig.from_properties({"log.retention.hours": 1}).log_retention_ms == 3600_000
    assert (
        BrokerConfig.from_properties({"log.retention.hours": 1, "log.retention.minutes": 5}).log_retention_ms
        == 300_000
    )
    both = {"log.retention.hours": 1, "log.retention.minutes": 5, "log.retention.ms": 7}
    assert BrokerConfig.from_properties(both).log_retention_ms == 7
    assert BrokerConfig.from_properties({"log.retention.hours": -3}).log_retention_ms == -1  # forever
    assert BrokerConfig.from_properties({"log.roll.hours": 2}).log_roll_ms == 7200_000


def test_configs_are_frozen_and_hashable():
    cfg = ProducerConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.linger_ms = 10
    assert len({ProducerConfig(), ProducerConfig(), ProducerConfig(linger_ms=1)}) == 2


def test_errors_pickle_and_prefix():
    err = RecordTooLargeError("value_bytes", 2_000_000, "at most 1048576 bytes", "too big", source="a.yaml")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is RecordTooLargeError and str(back) == str(err) and back.source == "a.yaml"
    moved = err.prefixed("producers[0]")
    assert moved.field == "producers[0].value_bytes" and isinstance(moved, RecordTooLargeError)
    assert str(InvalidConfigurationError("linger.ms", -1, "integer >= 0", "must be >= 0")) == (
        "linger.ms=-1 is invalid: must be >= 0 (allowed: integer >= 0)"
    )


def test_a_scenario_warning_points_at_the_line_that_loaded_the_scenario():
    # Not at eventsim's own code: the reader sees which of their lines asked for what Kafka adjusts.
    import warnings

    import eventsim

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        eventsim.Scenario.load("quickstart", ["producers[0].config.linger.ms=2147483647"])
    assert [w.filename for w in caught] == [__file__]
