"""Kafka configuration as frozen dataclasses: producer, consumer, broker, topic and cluster.

What Kafka does: every client and broker setting is a named property declared with a type, a
default and a validator (``ProducerConfig.java``, ``ConsumerConfig.java`` in
``clients/src/main/java/org/apache/kafka/clients/``; ``LogConfig.java``, ``ServerLogConfigs.java``,
``ReplicationConfigs.java``, ``SocketServerConfigs.java`` on the broker). Some rules span properties:

* the producer's ``delivery.timeout.ms`` must be >= ``linger.ms + request.timeout.ms``; an explicit
  smaller value is a ``ConfigException``, a smaller value from defaults is raised with a warning
  (``KafkaProducer.configureDeliveryTimeout``, KIP-91);
* ``enable.idempotence`` (default true since 3.0, KIP-679) is turned off silently when the user
  leaves it unset and sets ``acks`` other than ``all`` or ``retries=0``, and is an error when set
  explicitly with them; ``max.in.flight.requests.per.connection`` above 5 while idempotence is
  configured on is an error from 4.0 (KAFKA-17927), even when acks turns idempotence off
  (``ProducerConfig.postProcessAndValidateIdempotenceConfigs``); set ``enable.idempotence=false``
  to use more in-flight requests;
* a consumer without ``group.id`` has ``enable.auto.commit`` forced to false, and setting it to true
  explicitly is an error (``ConsumerConfig.maybeOverrideEnableAutoCommit``); ``heartbeat.interval.ms``
  must be below ``session.timeout.ms`` (``consumer/internals/Heartbeat``);
* the broker's ``log.retention.ms`` wins over ``log.retention.minutes``, which wins over
  ``log.retention.hours``, and a negative result means unlimited (``KafkaConfig`` / ``LogConfig``);
  ``log.roll.ms`` wins over ``log.roll.hours``; ``replica.fetch.wait.max.ms`` must not exceed
  ``replica.lag.time.max.ms`` (``KafkaConfig.validateValues``);
* a topic's properties (``retention.ms``, ``min.insync.replicas``...) override the broker's
  ``log.*`` defaults (``LogConfig.fromProps``), and topic names follow ``Topic.validate``.

Modelled: the properties the simulation uses, with Kafka 4.2's defaults (the ``define()`` calls of
the classes named above and ``CommonClientConfigs``, and Kafka's upgrade notes for older defaults)
and the ranges of those ``define()`` calls; where Kafka declares no range but a negative value is
meaningless to the model (``session.timeout.ms``, ``replica.lag.time.max.ms``, ...) eventsim
requires >= 0 or >= 1 and says so in the message. Values are parsed as ``ConfigDef`` parses them
(numeric strings for integers, ``"true"``/``"false"`` for booleans; see
:mod:`eventsim.core.validation`). A topic that gives no ``partitions`` or ``replication.factor``
takes the broker's ``num.partitions`` / ``default.replication.factor``, as a ``CreateTopics`` request
without them does (KIP-464). Unknown property names are errors with a did-you-mean; real Kafka
properties that are not modelled (serializers, TLS, transactions, buffer sizes) are errors that say
so.

Not modelled yet, so accepted only at their default (each class's ``_NOT_MODELLED_YET`` table; any
other value is an error naming the capability that will model it):

* replication: a topic's ``replication.factor`` above 1, ``min.insync.replicas`` (topic and broker),
  the broker's ``default.replication.factor``, ``replica.lag.time.max.ms``,
  ``replica.fetch.wait.max.ms``, ``replica.fetch.min.bytes``, ``replica.fetch.max.bytes`` and
  ``num.replica.fetchers``;
* failover: ``unclean.leader.election.enable``, the cluster's ``controller_mode`` (``zookeeper``) and
  ``racks``, the producer's ``partitioner.availability.timeout.ms`` and the consumer's
  ``request.timeout.ms``;
* consumer groups: ``session.timeout.ms``, ``heartbeat.interval.ms``, ``max.poll.interval.ms``,
  ``enable.auto.commit`` (accepted as Kafka derives it: true for a group), ``auto.commit.interval.ms``
  and ``isolation.level`` (``read_committed``).

Accepted and deliberately without effect: ``client.id`` (a label); ``group.id`` (names the group;
each consumer spec is one group); ``acks=1``, the same as ``acks=all``
while every topic has one replica (both are Kafka's behaviour). The broker's
``socket.request.max.bytes`` acts only on requests larger than it; the scenario refuses values a
client's requests could exceed (:mod:`eventsim.scenarios`). The broker's ``fetch.max.bytes`` caps every
consumer's ``fetch.max.bytes``, as in Kafka.

Not modelled: transactions (``transactional.id``), compression levels, socket buffers, metadata
refresh, SASL/SSL, the KIP-848 ``group.protocol`` settings, ``auto.offset.reset=by_duration:``,
and the broker-side check of ``session.timeout.ms`` against ``group.min/max.session.timeout.ms``.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass
from typing import ClassVar

from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import (
    INT_MAX,
    LONG_MAX,
    MISSING,
    NotModelledYet,
    Prop,
    PropertyConfig,
    check_mapping,
    did_you_mean,
    join_path,
)

__all__ = ["ProducerConfig", "ConsumerConfig", "BrokerConfig", "TopicConfig", "ClusterConfig"]

PRODUCER_CODECS = ("none", "gzip", "snappy", "lz4", "zstd")  # CompressionType.java
BROKER_CODECS = ("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")  # BrokerCompressionType
MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5  # ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE
_CLIENT_UNMODELLED = frozenset(
    "bootstrap.servers key.serializer value.serializer key.deserializer "
    "value.deserializer send.buffer.bytes receive.buffer.bytes metadata.max.age.ms "
    "connections.max.idle.ms reconnect.backoff.ms reconnect.backoff.max.ms "
    "security.protocol interceptor.classes transactional.id transaction.timeout.ms "
    "partitioner.class compression.gzip.level compression.lz4.level "
    "compression.zstd.level group.protocol group.instance.id "
    "partition.assignment.strategy default.api.timeout.ms client.rack check.crcs".split()
)


def _int(lo: int | None = None, hi: int | None = None, nullable: bool = False) -> Prop:
    return Prop("int", lo, hi, nullable=nullable)


def _long(lo: int | None = None, hi: int | None = None, nullable: bool = False) -> Prop:
    return Prop("long", lo, hi, nullable=nullable)


_BOOL = Prop("bool")
_STR = Prop("str")

# What arrives with which capability. A capability that models a property deletes its entry from the
# _NOT_MODELLED_YET table of its config class; tests/test_settings_walk.py then expects it to change a run.
_REPLICATION = NotModelledYet(
    "replication", "followers, the ISR and acks=all waiting for them arrive with the replication capability"
)
_FOLLOWERS = NotModelledYet(
    "follower fetching", "followers copying the leader's log arrive with the replication capability"
)
_GROUPS = NotModelledYet(
    "group membership",
    "heartbeats, session expiry and rebalances arrive with the consumer-group capability",
)
_COMMITS = NotModelledYet(
    "committing offsets", "committed offsets and auto-commit arrive with the consumer-group capability"
)
_FAILOVER_ELECTION = NotModelledYet(
    "unclean leader election",
    "broker failures and the leader elections after them arrive with the failover capability",
)


@dataclass(frozen=True)
class ProducerConfig(PropertyConfig):
    """The ``KafkaProducer`` properties the model uses (Kafka 4.2 defaults).

    ``enable_idempotence`` and ``delivery_timeout_ms`` left as ``None`` mean "not set": after
    construction they hold the effective values Kafka would compute.
    """

    acks: str = "all"
    enable_idempotence: bool | None = None  # not set -> true unless acks != all or retries == 0
    linger_ms: int = 5
    batch_size: int = 16384
    buffer_memory: int = 33554432
    max_block_ms: int = 60000
    max_in_flight_requests_per_connection: int = 5
    request_timeout_ms: int = 30000
    retries: int = INT_MAX
    retry_backoff_ms: int = 100
    retry_backoff_max_ms: int = 1000
    delivery_timeout_ms: int | None = None  # not set -> 120000, raised to linger + request timeout
    compression_type: str = "none"
    max_request_size: int = 1048576
    partitioner_ignore_keys: bool = False
    partitioner_adaptive_partitioning_enable: bool = True
    partitioner_availability_timeout_ms: int = 0
    client_id: str = ""

    _KIND: ClassVar[str] = "producer"
    _UNMODELLED: ClassVar[frozenset[str]] = _CLIENT_UNMODELLED
    _NOT_MODELLED_YET: ClassVar[dict[str, NotModelledYet]] = {
        "partitioner_availability_timeout_ms": NotModelledYet(
            "the partitioner's availability timeout (KIP-794)",
            "skipping the partitions of a broker that has not taken a batch for that long arrives with "
            "the failover capability",
        ),
    }
    _PROPS: ClassVar[dict[str, Prop]] = {
        "acks": Prop("acks"),
        "enable_idempotence": Prop("bool", nullable=True),
        "linger_ms": _long(0),
        "batch_size": _int(0),
        "buffer_memory": _long(0),
        "max_block_ms": _long(0),
        "max_in_flight_requests_per_connection": _int(1),
        "request_timeout_ms": _int(0),
        "retries": _int(0),
        "retry_backoff_ms": _long(0),
        "retry_backoff_max_ms": _long(0),
        "delivery_timeout_ms": _int(0, nullable=True),
        "compression_type": Prop("choice", choices=PRODUCER_CODECS),
        "max_request_size": _int(0),
        "partitioner_ignore_keys": _BOOL,
        "partitioner_adaptive_partitioning_enable": _BOOL,
        "partitioner_availability_timeout_ms": _long(0),
        "client_id": _STR,
    }

    def _resolve(self, derived: dict[str, object]) -> None:
        # KafkaProducer.configureDeliveryTimeout (KIP-91); lingerMs is capped at Integer.MAX_VALUE there.
        floor = min(min(self.linger_ms, INT_MAX) + self.request_timeout_ms, INT_MAX)
        if self._is_unset("delivery_timeout_ms"):
            value = 120000
            if value < floor:
                warnings.warn(
                    f"delivery.timeout.ms should be equal to or larger than linger.ms + "
                    f"request.timeout.ms; setting it to {floor}",
                    UserWarning,
                    stacklevel=4,
                )
                value = floor
            self._derive(derived, "delivery_timeout_ms", value)
        elif self.delivery_timeout_ms < floor:
            raise InvalidConfigurationError(
                "delivery.timeout.ms",
                self.delivery_timeout_ms,
                f"integer >= {floor} (linger.ms + request.timeout.ms)",
                f"must be >= linger.ms ({self.linger_ms}) + request.timeout.ms ({self.request_timeout_ms})",
            )
        # ProducerConfig.postProcessAndValidateIdempotenceConfigs (Kafka 4.x), in Kafka's order.
        explicit = not self._is_unset("enable_idempotence")
        if explicit and not self.enable_idempotence:
            return
        if explicit and self.retries == 0:
            raise InvalidConfigurationError(
                "retries",
                0,
                "integer >= 1 while enable.idempotence=true",
                "the idempotent producer needs retries",
            )
        if explicit and self.acks != "all":
            raise InvalidConfigurationError(
                "acks",
                self.acks,
                "all while enable.idempotence=true",
                "the idempotent producer needs acks=all",
            )
        if self.max_in_flight_requests_per_connection > MAX_IN_FLIGHT_FOR_IDEMPOTENCE:
            raise InvalidConfigurationError(
                "max.in.flight.requests.per.connection",
                self.max_in_flight_requests_per_connection,
                f"integer in [1, {MAX_IN_FLIGHT_FOR_IDEMPOTENCE}] unless enable.idempotence=false",
                "the idempotent producer (enable.idempotence, true by default) keeps order for at most 5 "
                "in-flight requests; set enable.idempotence=false to allow more (KAFKA-17927)",
            )
        if not explicit:
            self._derive(derived, "enable_idempotence", self.acks == "all" and self.retries != 0)


@dataclass(frozen=True)
class ConsumerConfig(PropertyConfig):
    """The ``KafkaConsumer`` properties the model uses (Kafka 4.2 defaults, classic group protocol).

    ``enable_auto_commit`` left as ``None`` means "not set": true when ``group_id`` is set, else false.
    """

    fetch_min_bytes: int = 1
    fetch_max_wait_ms: int = 500
    fetch_max_bytes: int = 52428800
    max_partition_fetch_bytes: int = 1048576
    max_poll_records: int = 500
    max_poll_interval_ms: int = 300000
    auto_offset_reset: str = "latest"
    group_id: str | None = None
    enable_auto_commit: bool | None = None
    auto_commit_interval_ms: int = 5000
    isolation_level: str = "read_uncommitted"
    request_timeout_ms: int = 30000
    session_timeout_ms: int = 45000
    heartbeat_interval_ms: int = 3000
    client_id: str = ""

    _KIND: ClassVar[str] = "consumer"
    _UNMODELLED: ClassVar[frozenset[str]] = _CLIENT_UNMODELLED
    _NOT_MODELLED_YET: ClassVar[dict[str, NotModelledYet]] = {
        "session_timeout_ms": _GROUPS,
        "heartbeat_interval_ms": _GROUPS,
        "max_poll_interval_ms": _GROUPS,
        "enable_auto_commit": _COMMITS,
        "auto_commit_interval_ms": _COMMITS,
        "isolation_level": NotModelledYet(
            "read_committed",
            "reading up to the last stable offset, with the transaction markers it skips, arrives with the "
            "consumer-group capability (together with committed offsets); without transactions it would "
            "read what read_uncommitted reads",
        ),
        "request_timeout_ms": NotModelledYet(
            "the consumer's request timeout",
            "cancelling and re-sending a fetch left unanswered for request.timeout.ms arrives with the "
            "failover capability",
        ),
    }
    _PROPS: ClassVar[dict[str, Prop]] = {
        "fetch_min_bytes": _int(0),
        "fetch_max_wait_ms": _int(0),
        "fetch_max_bytes": _int(0),
        "max_partition_fetch_bytes": _int(0),
        "max_poll_records": _int(1),
        "max_poll_interval_ms": _int(1),
        "auto_offset_reset": Prop("choice", choices=("latest", "earliest", "none")),
        "group_id": Prop("str", nullable=True),
        "enable_auto_commit": Prop("bool", nullable=True),
        "auto_commit_interval_ms": _int(0),
        "isolation_level": Prop("choice", choices=("read_uncommitted", "read_committed")),
        "request_timeout_ms": _int(0),
        "session_timeout_ms": _int(1),
        "heartbeat_interval_ms": _int(1),
        "client_id": _STR,
    }

    def _resolve(self, derived: dict[str, object]) -> None:
        if self.group_id == "":
            raise InvalidConfigurationError(
                "group.id",
                "",
                "a non-empty string or null",
                "the empty group id is not usable for group management (KIP-289)",
            )
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            raise InvalidConfigurationError(
                "heartbeat.interval.ms",
                self.heartbeat_interval_ms,
                f"integer < session.timeout.ms ({self.session_timeout_ms})",
                "heartbeat must be set lower than the session timeout",
            )
        if self._is_unset("enable_auto_commit"):
            self._derive(derived, "enable_auto_commit", self.group_id is not None)
        elif self.enable_auto_commit and self.group_id is None:
            raise InvalidConfigurationError(
                "enable.auto.commit",
                True,
                "false while group.id is null",
                "cannot be true when the default group id (null) is used",
            )


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
    num_replica_fetchers: int = 1
    socket_request_max_bytes: int = 104857600
    fetch_max_bytes: int = 57671680
    compression_type: str = "producer"

    _KIND: ClassVar[str] = "broker"
    _ALIASES: ClassVar[tuple[str, ...]] = ("log.retention.hours", "log.retention.minutes", "log.roll.hours")
    _NOT_MODELLED_YET: ClassVar[dict[str, NotModelledYet]] = {
        "min_insync_replicas": _REPLICATION,
        "default_replication_factor": _REPLICATION,
        "unclean_leader_election_enable": _FAILOVER_ELECTION,
        "replica_lag_time_max_ms": _FOLLOWERS,
        "replica_fetch_wait_max_ms": _FOLLOWERS,
        "replica_fetch_min_bytes": _FOLLOWERS,
        "replica_fetch_max_bytes": _FOLLOWERS,
        "num_replica_fetchers": _FOLLOWERS,
    }
    _UNMODELLED: ClassVar[frozenset[str]] = frozenset(
        "broker.id node.id process.roles listeners advertised.listeners log.dirs log.dir "
        "socket.send.buffer.bytes socket.receive.buffer.bytes "
        "num.recovery.threads.per.data.dir offsets.topic.replication.factor "
        "transaction.state.log.replication.factor log.cleanup.policy "
        "auto.create.topics.enable background.threads group.initial.rebalance.delay.ms".split()
    )
    _PROPS: ClassVar[dict[str, Prop]] = {
        "num_network_threads": _int(1),
        "num_io_threads": _int(1),
        "queued_max_requests": _int(1),
        "message_max_bytes": _int(0),
        "log_segment_bytes": _int(1048576),  # atLeast(1 MiB) since 4.0 (KIP-1030)
        "log_retention_ms": _long(),  # negative = unlimited, stored as -1
        "log_retention_bytes": _long(),  # negative = unlimited
        "log_retention_check_interval_ms": _long(1),
        "log_roll_ms": _long(1),
        "log_flush_interval_messages": _long(1),
        "log_flush_interval_ms": _long(0, nullable=True),
        "min_insync_replicas": _int(1),
        "default_replication_factor": _int(1, 32767),
        "num_partitions": _int(1),
        "unclean_leader_election_enable": _BOOL,
        "replica_lag_time_max_ms": _long(0),
        "replica_fetch_wait_max_ms": _int(0),
        "replica_fetch_min_bytes": _int(0),
        "replica_fetch_max_bytes": _int(0),
        "num_replica_fetchers": _int(1),
        "socket_request_max_bytes": _int(1),
        "fetch_max_bytes": _int(1024),
        "compression_type": Prop("choice", choices=BROKER_CODECS),
    }

    @classmethod
    def _fold_aliases(cls, values: dict, aliases: dict) -> dict:
        if "log_retention_ms" not in values:
            if "log.retention.minutes" in aliases:
                minutes = _int().check("log.retention.minutes", aliases["log.retention.minutes"])
                values["log_retention_ms"] = minutes * 60_000
            elif "log.retention.hours" in aliases:
                hours = _int().check("log.retention.hours", aliases["log.retention.hours"])
                values["log_retention_ms"] = hours * 3_600_000
        if "log.roll.hours" in aliases:
            hours = _int(1).check("log.roll.hours", aliases["log.roll.hours"])
            values.setdefault("log_roll_ms", hours * 3_600_000)
        return values

    def _resolve(self, derived: dict[str, object]) -> None:
        if self.log_retention_ms < 0:  # KafkaConfig: any negative retention means "keep forever"
            object.__setattr__(self, "log_retention_ms", -1)
        if self.replica_fetch_wait_max_ms > self.replica_lag_time_max_ms:
            raise InvalidConfigurationError(
                "replica.fetch.wait.max.ms",
                self.replica_fetch_wait_max_ms,
                f"integer <= replica.lag.time.max.ms ({self.replica_lag_time_max_ms})",
                "a follower waiting longer than the lag limit would keep dropping out of the ISR",
            )


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
    """

    name: str
    partitions: int | None = None
    replication_factor: int | None = None
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
    _NOT_MODELLED_YET: ClassVar[dict[str, NotModelledYet]] = {
        "replication_factor": dataclasses.replace(_REPLICATION, allowed=(None, 1)),
        "min_insync_replicas": dataclasses.replace(_REPLICATION, allowed=(None, 1)),
    }
    _PROPS: ClassVar[dict[str, Prop]] = {
        "name": _STR,
        "partitions": _int(1, nullable=True),  # None: the broker's num.partitions
        "replication_factor": _int(1, 32767, nullable=True),  # a Java short on the wire; None: broker default
        "retention_ms": _long(-1, nullable=True),
        "retention_bytes": _long(nullable=True),
        "segment_bytes": _int(1048576, nullable=True),
        "segment_ms": _long(1, nullable=True),
        "min_insync_replicas": _int(1, nullable=True),
        "max_message_bytes": _int(0, nullable=True),
        "compression_type": Prop("choice", choices=BROKER_CODECS, nullable=True),
        "flush_messages": _long(1, nullable=True),
        "flush_ms": _long(0, nullable=True),
    }
    _TOP_LEVEL: ClassVar[tuple[str, ...]] = ("name", "partitions", "replication_factor")

    def _resolve(self, derived: dict[str, object]) -> None:
        # org.apache.kafka.common.internals.Topic.validate
        allowed = "1-249 characters from a-z A-Z 0-9 . _ -, not '.' or '..'"
        if not self.name or self.name in (".", "..") or len(self.name) > 249:
            raise InvalidConfigurationError("name", self.name, allowed, "illegal topic name")
        if not _TOPIC_NAME.fullmatch(self.name):
            bad = sorted(set(re.sub(r"[a-zA-Z0-9._-]", "", self.name)))
            raise InvalidConfigurationError(
                "name", self.name, allowed, f"illegal characters {''.join(bad)!r}"
            )

    @classmethod
    def from_properties(cls, props, *, path: str = "") -> TopicConfig:
        """From ``{"name": ..., "partitions": 12, "replication.factor": 3, "config": {topic properties}}``."""
        props = check_mapping(path or "topic", {} if props is None else props, "topic keys")
        for key, value in props.items():
            if str(key).strip().replace("_", ".") in {cls.dotted(name) for name in _TOPIC_OVERRIDES}:
                raise InvalidConfigurationError(
                    join_path(path, str(key)),
                    value,
                    "name, partitions, replication.factor, config",
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
            if err.field not in ("name", "partitions", "replication.factor"):
                err = type(err)(f"config.{err.field}", err.value, err.allowed, err.reason)
            raise err.prefixed(path) from None

    def to_properties(self) -> dict[str, object]:
        props = super().to_properties()
        head = {key: props.pop(key) for key in ("name", "partitions", "replication.factor")}
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


@dataclass(frozen=True)
class ClusterConfig(PropertyConfig):
    """The cluster's shape: broker count, hardware profile, racks and controller mode (eventsim's own)."""

    brokers: int = 3
    hardware: str = "cloud-2020"
    racks: tuple[str, ...] | None = None
    controller_mode: str = "kraft"

    _KIND: ClassVar[str] = "cluster"
    _NOT_MODELLED_YET: ClassVar[dict[str, NotModelledYet]] = {
        "racks": NotModelledYet(
            "rack-aware replica placement",
            "racks decide where followers go and which failures a partition survives; they arrive with "
            "the failover capability",
        ),
        "controller_mode": NotModelledYet(
            "the ZooKeeper controller",
            "controller failover and ZooKeeper-mode leader elections arrive with the failover capability",
        ),
    }

    @staticmethod
    def dotted(name: str) -> str:
        """Cluster keys are eventsim's own, not Kafka properties, so they keep their underscores."""
        return name

    _PROPS: ClassVar[dict[str, Prop]] = {
        "brokers": _int(1),
        "hardware": _STR,
        "racks": Prop("strs", nullable=True),
        "controller_mode": Prop("choice", choices=("kraft", "zookeeper")),
    }

    def _resolve(self, derived: dict[str, object]) -> None:
        from eventsim.hardware import PROFILES  # imported here: hardware profiles import nothing from config

        if self.hardware not in PROFILES:
            raise InvalidConfigurationError(
                "hardware",
                self.hardware,
                "one of " + ", ".join(sorted(PROFILES)),
                "unknown hardware profile" + did_you_mean(self.hardware, PROFILES),
            )
        if self.racks is not None and len(self.racks) != self.brokers:
            raise InvalidConfigurationError(
                "racks",
                list(self.racks),
                f"a list of {self.brokers} rack names, one per broker",
                f"{len(self.racks)} racks for {self.brokers} brokers",
            )
