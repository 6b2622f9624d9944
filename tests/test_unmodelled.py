"""The "not modelled yet" mechanism: one declarative table per config class, lifted by a capability."""

import dataclasses
import pickle

import pytest

from eventsim.config import BrokerConfig, ClusterConfig, ConsumerConfig, ProducerConfig, TopicConfig
from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import NotModelledYet, PropertyConfig
from eventsim.scenarios import Scenario

CLASSES = (ProducerConfig, ConsumerConfig, BrokerConfig, TopicConfig, ClusterConfig)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_table_entry_is_a_property_with_a_reason(cls):
    for name, pending in cls._NOT_MODELLED_YET.items():
        assert name in cls._PROPS, f"{cls.__name__}._NOT_MODELLED_YET names no property {name!r}"
        assert isinstance(pending, NotModelledYet)
        assert "capability" in pending.capability and pending.what
    assert cls() if cls is not TopicConfig else cls("t")  # every default is accepted


def test_message_names_field_value_reason_capability_and_the_allowed_default():
    with pytest.raises(InvalidConfigurationError) as info:
        Scenario.from_dict(
            {
                "name": "groups",
                "cluster": {"brokers": 3},
                "topics": [{"name": "events"}],
                "consumers": [{"name": "reader", "topic": "events", "config": {"session.timeout.ms": 10000}}],
            }
        )
    assert str(info.value) == (
        "consumers[0].config.session.timeout.ms=10000 is invalid: group membership is not modelled yet "
        "(heartbeats, session expiry and rebalances arrive with the consumer-group capability) "
        "(allowed: 45000)"
    )
    err = pickle.loads(pickle.dumps(info.value))  # sweeps across processes keep the fields
    assert (err.field, err.value, err.allowed) == ("consumers[0].config.session.timeout.ms", 10000, "45000")


def test_replication_settings_are_no_longer_refused():
    # The replication capability lifted these refusals: the values reach the config.
    assert TopicConfig.from_properties({"name": "t", "replication.factor": 3}).replication_factor == 3
    assert BrokerConfig.from_properties({"num.replica.fetchers": 4}).num_replica_fetchers == 4
    assert BrokerConfig.from_properties({"min.insync.replicas": 2}).min_insync_replicas == 2
    assert "replication_factor" not in TopicConfig._NOT_MODELLED_YET
    assert not {"min_insync_replicas", "replica_lag_time_max_ms", "num_replica_fetchers"} & set(
        BrokerConfig._NOT_MODELLED_YET
    )


@pytest.mark.parametrize(
    "cls, props",
    [
        (ConsumerConfig, {"session.timeout.ms": 10000}),
        (ProducerConfig, {"partitioner.availability.timeout.ms": 50}),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_a_capability_lifts_a_refusal_by_deleting_its_entry(monkeypatch, cls, props):
    with pytest.raises(InvalidConfigurationError, match="not modelled yet"):
        cls.from_properties(props)
    (name,) = (key for key in props if key != "name")
    field = name if cls is ClusterConfig else name.replace(".", "_")
    monkeypatch.setattr(
        cls, "_NOT_MODELLED_YET", {k: v for k, v in cls._NOT_MODELLED_YET.items() if k != field}
    )
    assert getattr(cls.from_properties(props), field) == props[name]


def test_kafka_rules_come_first():
    # Kafka itself refuses a heartbeat interval >= the session timeout: that error, not "not modelled yet".
    with pytest.raises(InvalidConfigurationError, match="heartbeat must be set lower"):
        ConsumerConfig(session_timeout_ms=3000)
    with pytest.raises(InvalidConfigurationError, match="default group id"):
        ConsumerConfig(enable_auto_commit=True)


def test_derived_properties_are_accepted_at_the_value_kafka_derives():
    assert ConsumerConfig(group_id="g", enable_auto_commit=True).enable_auto_commit is True
    assert ConsumerConfig(enable_auto_commit=False).enable_auto_commit is False
    # replace() re-derives: a group id given later turns the derived auto-commit on, not into an error.
    assert dataclasses.replace(ConsumerConfig(), group_id="g").enable_auto_commit is True
    with pytest.raises(InvalidConfigurationError) as info:
        dataclasses.replace(ConsumerConfig(enable_auto_commit=False), group_id="g")
    assert info.value.allowed == "true" and "consumer-group capability" in str(info.value)


def test_a_consumer_spec_names_its_group_before_kafka_rules_run():
    s = Scenario.from_dict(
        {
            "name": "auto",
            "topics": [{"name": "events"}],
            "consumers": [{"name": "reader", "topic": "events", "config": {"enable.auto.commit": True}}],
        }
    )
    assert (s.consumers[0].config.group_id, s.consumers[0].config.enable_auto_commit) == ("reader", True)


def test_topics_take_partitions_and_replication_factor_from_the_broker():
    s = Scenario.from_dict(
        {
            "name": "inherit",
            "broker": {"num.partitions": 5},
            "topics": [{"name": "events"}, {"name": "orders", "partitions": 2}],
            "consumers": [{"name": "reader", "topic": "events", "partitions": [4]}],
        }
    )
    events, orders = (t.resolve(s.broker) for t in s.topics)
    assert (events.partitions, events.replication_factor, orders.partitions) == (5, 1, 2)
    assert Scenario.from_dict(s.to_dict()) == s  # the echo keeps "inherit" (null), not a copied value


def test_property_config_base_has_no_refusals():
    assert PropertyConfig._NOT_MODELLED_YET == {}
