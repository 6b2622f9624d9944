"""Broker and topic configs: ``server.properties`` and a topic's ``LogConfig`` (the cluster's shape is in
:mod:`eventsim.config.cluster`, re-exported here).

See :mod:`eventsim.config` for what Kafka does, what is modelled and what is not modelled yet.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from eventsim.config.cluster import ClusterConfig
from eventsim.config.common import (
    BOOL,
    BROKER_CODECS,
    STR,
    check_socket_buffer,
    int_prop,
    long_prop,
)
from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import (
    LONG_MAX,
    MISSING,
    Prop,
    PropertyConfig,
    check_mapping,
    join_path,
)

__all__ = ["BrokerConfig", "TopicConfig", "ClusterConfig"]

@dataclass(frozen=True)
class BrokerConfig(PropertyConfig):
    """Broker properties (``server.properties``) the model uses, Kafka 4.2 defaults.

    ``from_properties`` also accepts ``log.retention.hours``, ``log.retention.minutes`` and
    ``log.roll.hours`` and folds them into the millisecond fields with Kafka's precedence.
    """

    num_network_threads: int = 3
    num_io_threads: int = 8
    queued_max_requests: int = 500
    message_max_bytes: int = 1048588
    log_segment_bytes: int = 1073741824
    log_retention_ms: int = 604800000
    log_retention_bytes: int = -1
    log_retention_check_interval_ms: int = 300000
    log_roll_ms: int = 604800000
    log_flush_interval_messages: int = LONG_MAX
    log_flush_interval_ms: int | None = None
    min_insync_replicas: int = 1
    default_replication_factor: int = 1
    num_partitions: int = 1
    unclean_leader_election_enable: bool = False
    replica_lag_time_max_ms: int = 30000
    replica_fetch_wait_max_ms: int = 500
    replica_fetch_min_bytes: int = 1
    replica_fetch_max_bytes: int = 1048576
    replica_fetch_response_max_bytes: int = 10485760
    replica_socket_receive_buffer_bytes: int = 65536
    socket_send_buffer_bytes: int = 102400
    socket_receive_buffer_bytes: int = 102400
    num_replica_fetchers: int = 1
    replica_fetch_backoff_ms: int = 1000
    broker_heartbeat_interval_ms: int = 2000
    broker_session_timeout_ms: int = 9000
    zookeeper_session_timeout_ms: int = 18000
    auto_leader_rebalance_enable: bool = True
    leader_imbalance_check_interval_seconds: int = 300
    leader_imbalance_per_broker_percentage: int = 10
    socket_request_max_bytes: int = 104857600
    fetch_max_bytes: int = 57671680
    compression_type: str = "producer"

    _KIND: ClassVar[str] = "broker"
    _ALIASES: ClassVar[tuple[str, ...]] = ("log.retention.hours", "log.retention.minutes", "log.roll.hours")
    _UNMODELLED: ClassVar[frozenset[str]] = frozenset(
        "broker.id node.id process.roles listeners advertised.listeners log.dirs log.dir "
        "num.recovery.threads.per.data.dir offsets.topic.replication.factor "
        "transaction.state.log.replication.factor log.cleanup.policy "
        "auto.create.topics.enable background.threads group.initial.rebalance.delay.ms "
        "controller.quorum.voters controller.quorum.bootstrap.servers controller.listener.names "
        "controller.quorum.election.timeout.ms controller.quorum.fetch.timeout.ms".split()
    )
    _PROPS: ClassVar[dict[str, Prop]] = {
        "num_network_threads": int_prop(1),
        "num_io_threads": int_prop(1),
        "queued_max_requests": int_prop(1),
        "message_max_bytes": int_prop(0),
        "log_segment_bytes": int_prop(1048576),  # atLeast(1 MiB) since 4.0 (KIP-1030)
        "log_retention_ms": long_prop(),  # negative = unlimited, stored as -1
        "log_retention_bytes": long_prop(),  # negative = unlimited
        "log_retention_check_interval_ms": long_prop(1),
        "log_roll_ms": long_prop(1),
        "log_flush_interval_messages": long_prop(1),
        "log_flush_interval_ms": long_prop(0, nullable=True),
        "min_insync_replicas": int_prop(1),
        "default_replication_factor": int_prop(1, 32767),
        "num_partitions": int_prop(1),
        "unclean_leader_election_enable": BOOL,
        # The isr-expiration task runs every replica.lag.time.max.ms / 2 (integer ms): below 2 its period
        # is 0 and the broker does not start (ScheduledThreadPoolExecutor refuses a period of 0).
        "replica_lag_time_max_ms": long_prop(2),
        "replica_fetch_wait_max_ms": int_prop(0),
        "replica_fetch_min_bytes": int_prop(0),
        "replica_fetch_max_bytes": int_prop(0),
        "replica_fetch_response_max_bytes": int_prop(0),
        "replica_socket_receive_buffer_bytes": int_prop(-1),
        "socket_send_buffer_bytes": int_prop(-1),
        "socket_receive_buffer_bytes": int_prop(-1),
        "num_replica_fetchers": int_prop(1),
        "replica_fetch_backoff_ms": int_prop(0),
        "broker_heartbeat_interval_ms": int_prop(1),
        "broker_session_timeout_ms": int_prop(1),
        "zookeeper_session_timeout_ms": int_prop(1),
        "auto_leader_rebalance_enable": BOOL,
        "leader_imbalance_check_interval_seconds": long_prop(1),
        "leader_imbalance_per_broker_percentage": int_prop(0),
        "socket_request_max_bytes": int_prop(1),
        "fetch_max_bytes": int_prop(1024),
        "compression_type": Prop("choice", choices=BROKER_CODECS),
    }

    @classmethod
    def _fold_aliases(cls, values: dict, aliases: dict) -> dict:
        if "log_retention_ms" not in values:
            if "log.retention.minutes" in aliases:
                minutes = int_prop().check("log.retention.minutes", aliases["log.retention.minutes"])
                values["log_retention_ms"] = minutes * 60_000
            elif "log.retention.hours" in aliases:
                hours = int_prop().check("log.retention.hours", aliases["log.retention.hours"])
                values["log_retention_ms"] = hours * 3_600_000
        if "log.roll.hours" in aliases:
            hours = int_prop(1).check("log.roll.hours", aliases["log.roll.hours"])
            values.setdefault("log_roll_ms", hours * 3_600_000)
        return values

    def _resolve(self, derived: dict[str, object]) -> None:
        for name in (
            "replica_socket_receive_buffer_bytes",
            "socket_send_buffer_bytes",
            "socket_receive_buffer_bytes",
        ):
            check_socket_buffer(self.dotted(name), getattr(self, name))
        if self.log_retention_ms < 0:  # KafkaConfig: any negative retention means "keep forever"
            object.__setattr__(self, "log_retention_ms", -1)
        if self.replica_fetch_wait_max_ms > self.replica_lag_time_max_ms:
            raise InvalidConfigurationError(
                "replica.fetch.wait.max.ms",
                self.replica_fetch_wait_max_ms,
                f"integer <= replica.lag.time.max.ms ({self.replica_lag_time_max_ms})",
                "a follower waiting longer than the lag limit would keep dropping out of the ISR",
            )
        if self.broker_heartbeat_interval_ms >= self.broker_session_timeout_ms:
            raise InvalidConfigurationError(
                "broker.heartbeat.interval.ms",
                self.broker_heartbeat_interval_ms,
                f"integer < broker.session.timeout.ms ({self.broker_session_timeout_ms})",
                "the controller would fence every broker between two of its heartbeats",
            )


class _ReplicaAssignmentProp(Prop):
    """A manual replica assignment: a list of lists of broker ids (``[[0, 1], [1, 2]]``), or the text
    ``kafka-topics --replica-assignment`` takes (``"0:1,1:2"``: partitions by commas, brokers by colons).
    Stored as a tuple of tuples."""

    def allowed(self) -> str:
        return "a non-empty list with one list of broker ids (integers >= 0) per partition" + (
            " or null" if self.nullable else ""
        )

    def _check_replica_assignment(self, name: str, value: object) -> tuple[tuple[int, ...], ...]:
        if isinstance(value, str):
            text = value.strip()
            value = [part.split(":") for part in text.split(",")] if text else []
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise self._fail(name, value, "expected a list of lists of broker ids")
        lists = list(value)
        if not lists:
            raise self._fail(name, [], "a topic needs at least one partition")
        out = []
        for p, replicas in enumerate(lists):
            where = f"{name}[{p}]"
            if isinstance(replicas, (str, bytes, Mapping)) or not isinstance(replicas, Iterable):
                raise InvalidConfigurationError(
                    where, replicas, "a list of broker ids", f"expected a list, got {type(replicas).__name__}"
                )
            replicas = list(replicas)
            if not replicas:
                raise InvalidConfigurationError(
                    where, [], "a non-empty list of broker ids", f"partition {p} has no replica"
                )
            ids = int_prop(0)
            out.append(tuple(ids.check(f"{where}[{i}]", broker) for i, broker in enumerate(replicas)))
        return tuple(out)


_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]+")
_TOPIC_OVERRIDES = {  # topic property -> the broker property it defaults to (ServerTopicConfigSynonyms)
    "retention_ms": "log_retention_ms",
    "retention_bytes": "log_retention_bytes",
    "segment_bytes": "log_segment_bytes",
    "segment_ms": "log_roll_ms",
    "min_insync_replicas": "min_insync_replicas",
    "max_message_bytes": "message_max_bytes",
    "compression_type": "compression_type",
    "flush_messages": "log_flush_interval_messages",
    "flush_ms": "log_flush_interval_ms",
}


@dataclass(frozen=True)
class TopicConfig(PropertyConfig):
    """A topic: name, partition count, replication factor, and topic-level overrides (None = inherit).

    ``partitions`` and ``replication_factor`` left as ``None`` take the broker's ``num.partitions`` and
    ``default.replication.factor``, as a ``CreateTopics`` request without them does (KIP-464).

    ``replicas`` is a manual replica assignment, as ``kafka-topics --create --replica-assignment``
    sends it (``CreatableTopic.assignments``): one list of broker ids per partition, the first id the
    preferred leader (``[[0, 1], [1, 2], [2, 0]]``, or kafka-topics' text ``"0:1,1:2,2:0"``). The
    controller then places nothing itself. ``partitions`` and ``replication.factor`` may be left out
    and are implied by the assignment; given, they must agree with it (Kafka's ``CreateTopics`` refuses
    them next to an assignment altogether; eventsim accepts agreeing values so that a scenario written
    back by ``to_dict`` loads again). Every partition needs the same number of distinct brokers;
    whether the ids name brokers of the cluster is checked by the scenario, which knows the cluster.
    """

    name: str
    partitions: int | None = None
    replication_factor: int | None = None
    replicas: tuple[tuple[int, ...], ...] | None = None
    retention_ms: int | None = None
    retention_bytes: int | None = None
    segment_bytes: int | None = None
    segment_ms: int | None = None
    min_insync_replicas: int | None = None
    max_message_bytes: int | None = None
    compression_type: str | None = None
    flush_messages: int | None = None
    flush_ms: int | None = None

    _KIND: ClassVar[str] = "topic"
    _UNMODELLED: ClassVar[frozenset[str]] = frozenset(
        "cleanup.policy delete.retention.ms message.timestamp.type preallocate "
        "segment.jitter.ms unclean.leader.election.enable min.compaction.lag.ms "
        "max.compaction.lag.ms index.interval.bytes".split()
    )
    _PROPS: ClassVar[dict[str, Prop]] = {
        "name": STR,
        "partitions": int_prop(1, nullable=True),  # None: the broker's num.partitions
        # A Java short on the wire; None: the broker's default.replication.factor.
        "replication_factor": int_prop(1, 32767, nullable=True),
        "replicas": _ReplicaAssignmentProp("replica_assignment", nullable=True),
        "retention_ms": long_prop(-1, nullable=True),
        "retention_bytes": long_prop(nullable=True),
        "segment_bytes": int_prop(1048576, nullable=True),
        "segment_ms": long_prop(1, nullable=True),
        "min_insync_replicas": int_prop(1, nullable=True),
        "max_message_bytes": int_prop(0, nullable=True),
        "compression_type": Prop("choice", choices=BROKER_CODECS, nullable=True),
        "flush_messages": long_prop(1, nullable=True),
        "flush_ms": long_prop(0, nullable=True),
    }
    _TOP_LEVEL: ClassVar[tuple[str, ...]] = ("name", "partitions", "replication_factor", "replicas")

    def _resolve(self, derived: dict[str, object]) -> None:
        if self.replicas is not None:
            self._check_assignment(derived)
        # org.apache.kafka.common.internals.Topic.validate
        allowed = "1-249 characters from a-z A-Z 0-9 . _ -, not '.' or '..'"
        if not self.name or self.name in (".", "..") or len(self.name) > 249:
            raise InvalidConfigurationError("name", self.name, allowed, "illegal topic name")
        if not _TOPIC_NAME.fullmatch(self.name):
            bad = sorted(set(re.sub(r"[a-zA-Z0-9._-]", "", self.name)))
            raise InvalidConfigurationError(
                "name", self.name, allowed, f"illegal characters {''.join(bad)!r}"
            )

    def _check_assignment(self, derived: dict[str, object]) -> None:
        """Kafka's rules for a manual assignment (``ReplicationControlManager.createTopic``), and the
        partition count and replication factor it implies."""
        lists = self.replicas
        for p, replicas in enumerate(lists):
            if len(set(replicas)) != len(replicas):
                twice = sorted({b for b in replicas if replicas.count(b) > 1})
                raise InvalidConfigurationError(
                    f"replicas[{p}]",
                    list(replicas),
                    "distinct broker ids",
                    f"broker {twice[0]} holds two replicas of partition {p} (a broker holds one replica "
                    "of a partition)",
                )
            if len(replicas) != len(lists[0]):
                raise InvalidConfigurationError(
                    f"replicas[{p}]",
                    list(replicas),
                    f"a list of {len(lists[0])} broker ids, as partition 0 has",
                    f"partition {p} has {len(replicas)} replicas and partition 0 has {len(lists[0])}; "
                    "all partitions of a topic have the same replication factor",
                )
        implied = {"partitions": len(lists), "replication_factor": len(lists[0])}
        for name, value in implied.items():
            if self._is_unset(name):
                self._derive(derived, name, value)
            elif getattr(self, name) != value:
                given = getattr(self, name)
                want = (
                    f"{given} partition lists"
                    if name == "partitions"
                    else f"{given} broker ids per partition"
                )
                raise InvalidConfigurationError(
                    "replicas",
                    [list(r) for r in lists],
                    f"{want} (as {self.dotted(name)} says), or {self.dotted(name)} left out",
                    f"the assignment implies {self.dotted(name)} {value} but {self.dotted(name)} is "
                    f"{getattr(self, name)}; leave {self.dotted(name)} out or make them agree",
                )

    @classmethod
    def from_properties(cls, props, *, path: str = "") -> TopicConfig:
        """From ``{"name": ..., "partitions": 12, "replication.factor": 3, "config": {topic properties}}``
        (or ``"replicas": [[0, 1], [1, 2], ...]`` instead of the partition count and replication factor)."""
        props = check_mapping(path or "topic", {} if props is None else props, "topic keys")
        for key, value in props.items():
            if str(key).strip().replace("_", ".") in {cls.dotted(name) for name in _TOPIC_OVERRIDES}:
                raise InvalidConfigurationError(
                    join_path(path, str(key)),
                    value,
                    "name, partitions, replication.factor, replicas, config",
                    f"put {key} under config:",
                )
        top, nested = cls._normalise(props, path, cls._TOP_LEVEL, extra=("config",))
        overrides, _ = cls._normalise(nested.get("config"), join_path(path, "config"), _TOPIC_OVERRIDES)
        try:
            if "name" not in top:
                cls(**top, **overrides, name="placeholder")  # report any other bad property first
                raise InvalidConfigurationError("name", MISSING, "a topic name", "every topic needs a name")
            return cls(**top, **overrides)
        except InvalidConfigurationError as err:
            if err.field.split("[")[0] not in ("name", "partitions", "replication.factor", "replicas"):
                err = type(err)(f"config.{err.field}", err.value, err.allowed, err.reason)
            raise err.prefixed(path) from None

    def to_properties(self) -> dict[str, object]:
        props = super().to_properties()
        head = {key: props.pop(key) for key in ("name", "partitions", "replication.factor")}
        replicas = props.pop("replicas")
        if replicas is not None:
            head["replicas"] = [list(r) for r in replicas]
        return {**head, "config": {key: value for key, value in props.items() if value is not None}}

    def resolve(self, broker: BrokerConfig) -> TopicConfig:
        """This topic with every ``None`` override filled in from the broker's defaults.

        ``flush.ms`` falls back to ``log.flush.interval.ms`` and, when that is unset too, to Kafka's
        ``log.flush.scheduler.interval.ms`` default of ``Long.MAX_VALUE`` (no periodic fsync).
        ``partitions`` and ``replication.factor`` fall back to ``num.partitions`` and
        ``default.replication.factor`` (``ReplicationControlManager.createTopic``).
        """
        filled = {}
        if self.partitions is None:
            filled["partitions"] = broker.num_partitions
        if self.replication_factor is None:
            filled["replication_factor"] = broker.default_replication_factor
        for topic_field, broker_field in _TOPIC_OVERRIDES.items():
            if getattr(self, topic_field) is None:
                value = getattr(broker, broker_field)
                filled[topic_field] = LONG_MAX if value is None else value
        return dataclasses.replace(self, **filled) if filled else self
