"""Broker, topic and cluster configs: ``server.properties``, a topic's ``LogConfig``, the cluster's shape.

See :mod:`eventsim.config` for what Kafka does, what is modelled and what is not modelled yet.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from eventsim.config.common import (
    BOOL,
    BROKER_CODECS,
    STR,
    check_socket_buffer,
    int_prop,
    long_prop,
)
from eventsim.config.versions import (
    LATEST,
    VERSIONS,
    check_controller_mode,
    check_eligible_leader_replicas,
    default_controller_mode,
    default_eligible_leader_replicas,
)
from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import (
    LONG_MAX,
    MISSING,
    Prop,
    PropertyConfig,
    check_mapping,
    did_you_mean,
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


class _VersionProp(Prop):
    """``cluster.kafka_version``: a release as ``"major.minor"``; YAML's unquoted ``3.9`` (a number) is
    read as the text it was written as, except ``0.10``, which YAML reads as 0.1 and must be quoted."""

    def allowed(self) -> str:
        return "one of " + ", ".join(VERSIONS)

    def _check_version(self, name: str, value: object) -> str:
        if isinstance(value, bool):
            raise self._fail(name, value, "expected a version such as 3.9")
        text = repr(value) if isinstance(value, float) else str(value).strip()
        if text == "0.1":
            raise self._fail(name, value, 'write 0.10 in quotes ("0.10"): unquoted, YAML reads it as 0.1')
        if text not in VERSIONS:
            reason = "not a Kafka release the model knows" + did_you_mean(text, VERSIONS)
            raise self._fail(name, value, reason)
        return text


class _BrokerHardwareProp(Prop):
    """``cluster.broker_hardware``: broker id -> a profile name or a mapping of profile fields.

    Stored as a tuple of ``(broker id, override)`` pairs in broker order, each override a profile name
    or a tuple of ``(field, value)`` pairs, so that the config stays frozen and hashable. Broker ids may
    be integers or numeric strings (YAML and ``--set`` may give either)."""

    def allowed(self) -> str:
        return "a mapping of broker ids to a hardware profile name or a mapping of profile fields" + (
            " or null" if self.nullable else ""
        )

    def _check_broker_hardware(self, name: str, value: object) -> tuple:
        if isinstance(value, tuple):  # already stored form (dataclasses.replace)
            value = dict(value)
        if not isinstance(value, Mapping):
            raise self._fail(name, value, "expected a mapping of broker ids")
        out: dict[int, object] = {}
        for key, spec in value.items():
            broker = int_prop(0).check(f"{name}.{key}", key)
            where = f"{name}.{broker}"
            if broker in out:
                raise InvalidConfigurationError(
                    where, spec, "each broker once", f"broker {broker} is given twice"
                )
            if isinstance(spec, tuple):
                spec = dict(spec)
            if isinstance(spec, str):
                out[broker] = spec.strip()
            elif isinstance(spec, Mapping):
                out[broker] = tuple((str(k).strip(), v) for k, v in spec.items())
            else:
                raise InvalidConfigurationError(
                    where,
                    spec,
                    "a hardware profile name or a mapping of profile fields",
                    f"expected a name or a mapping, got {type(spec).__name__}",
                )
        return tuple(sorted(out.items()))


@dataclass(frozen=True)
class ClusterConfig(PropertyConfig):
    """The cluster's shape: broker count, hardware, racks and controller mode (eventsim's own keys).

    ``hardware`` names the profile of every host (:data:`eventsim.hardware.PROFILES`). ``racks`` gives
    each broker its ``broker.rack`` (one name per broker, broker 0 first); the KRaft controller's
    striped placement then puts a partition's replicas on different racks
    (:mod:`eventsim.controller.replica_placer`). ``broker_hardware`` lets single brokers run on other
    hardware, e.g. one slow follower: ``{2: {disk_write_bytes_per_ms: 50000}}`` changes fields of the
    cluster's profile for broker 2 (the names of :data:`eventsim.hardware.BROKER_HOST_FIELDS`), and
    ``{2: laptop}`` makes broker 2 a whole other machine (``{2: {hardware: laptop, disks: 1}}`` both).
    The network latency and the client hosts stay the cluster's. :meth:`profile_for` gives a broker's
    profile. ``eligible_leader_replicas`` is KIP-966's feature (``eligible.leader.replicas.version=1``, on
    for new clusters from Kafka 4.1): the high watermark waits while the ISR is below
    ``min.insync.replicas``, and replicas that left the ISR meanwhile stay eligible to lead.
    ``controllers`` is the size of the KRaft quorum; ``controller_nodes`` says where its voters run:
    ``dedicated`` nodes ``controller-0`` ... (``process.roles=controller``, what Kafka recommends for
    production) or ``combined`` with brokers ``0`` ... ``controllers - 1``
    (``process.roles=broker,controller``), so that a broker's crash, power loss, shutdown or long pause
    takes its voter with it.
    """

    brokers: int = 3
    hardware: str = "cloud-2020"
    racks: tuple[str, ...] | None = None
    controller_mode: str | None = None  # None: what kafka_version offers (ZooKeeper before 4.0)
    broker_hardware: tuple | None = None
    eligible_leader_replicas: bool | None = None  # None: kafka_version's (on for KRaft from 4.1)
    kafka_version: str = LATEST
    controllers: int = 3  # KRaft: the controller quorum's voters (dedicated nodes controller-0 ...)
    controller_nodes: str = "dedicated"  # KRaft: voters on nodes of their own, or inside brokers 0 ...

    _KIND: ClassVar[str] = "cluster"

    @staticmethod
    def dotted(name: str) -> str:
        """Cluster keys are eventsim's own, not Kafka properties, so they keep their underscores."""
        return name

    _PROPS: ClassVar[dict[str, Prop]] = {
        "brokers": int_prop(1),
        "hardware": STR,
        "racks": Prop("strs", nullable=True),
        "controller_mode": Prop("choice", choices=("kraft", "zookeeper"), nullable=True),
        "broker_hardware": _BrokerHardwareProp("broker_hardware", nullable=True),
        "eligible_leader_replicas": Prop("bool", nullable=True),
        "kafka_version": _VersionProp("version"),
        "controllers": int_prop(1, 9),
        "controller_nodes": Prop("choice", choices=("dedicated", "combined")),
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
        # The release's controllers and Eligible Leader Replicas (config/versions.py).
        if self._is_unset("controller_mode"):
            self._derive(derived, "controller_mode", default_controller_mode(self.kafka_version))
        check_controller_mode(self.kafka_version, self.controller_mode)
        if self._is_unset("eligible_leader_replicas"):
            elr = default_eligible_leader_replicas(self.kafka_version, self.controller_mode)
            self._derive(derived, "eligible_leader_replicas", elr)
        elr = self.eligible_leader_replicas
        check_eligible_leader_replicas(self.kafka_version, self.controller_mode, elr)
        if self.controller_mode == "zookeeper" and self.controllers != 3:
            raise InvalidConfigurationError(
                "controllers",
                self.controllers,
                "3 (unused) with controller_mode zookeeper",
                "controllers counts KRaft's voters; in ZooKeeper mode the controller is one of the brokers",
            )
        if self.controller_nodes == "combined":
            if self.controller_mode == "zookeeper":
                raise InvalidConfigurationError(
                    "controller_nodes",
                    self.controller_nodes,
                    "dedicated with controller_mode zookeeper",
                    "combined nodes (process.roles=broker,controller) are KRaft's; in ZooKeeper mode the "
                    "controller is always one of the brokers",
                )
            if self.controllers > self.brokers:
                raise InvalidConfigurationError(
                    "controllers",
                    self.controllers,
                    f"1..{self.brokers} with controller_nodes combined",
                    f"combined voters run on brokers 0..{self.controllers - 1}, and the cluster has "
                    f"{self.brokers} brokers",
                )
        if self.controller_mode == "zookeeper" and self.racks is not None:
            raise InvalidConfigurationError(
                "racks",
                list(self.racks),
                "null with controller_mode zookeeper",
                "the ZooKeeper-era rack-aware placement (AdminUtils) is not modelled yet",
            )
        if self.racks is not None and len(self.racks) != self.brokers:
            raise InvalidConfigurationError(
                "racks",
                list(self.racks),
                f"a list of {self.brokers} rack names, one per broker",
                f"{len(self.racks)} racks for {self.brokers} brokers",
            )
        for broker, override in self.broker_hardware or ():
            if broker >= self.brokers:
                raise InvalidConfigurationError(
                    f"broker_hardware.{broker}",
                    override if isinstance(override, str) else dict(override),
                    f"broker ids 0..{self.brokers - 1}",
                    f"the cluster has {self.brokers} brokers; there is no broker {broker}",
                )
            self.profile_for(broker)  # every override is checked before the run

    def profile_for(self, broker_id: int):
        """The :class:`~eventsim.hardware.HardwareProfile` of broker ``broker_id``: the cluster's, with
        its ``broker_hardware`` override applied when it has one."""
        from eventsim.hardware import broker_profile, get_profile

        cluster = get_profile(self.hardware)
        override = dict(self.broker_hardware or ()).get(broker_id)
        if override is None:
            return cluster
        return broker_profile(cluster, override, f"broker_hardware.{broker_id}")

    def to_properties(self) -> dict[str, object]:
        props = super().to_properties()
        if self.broker_hardware is not None:
            props["broker_hardware"] = {
                broker: spec if isinstance(spec, str) else dict(spec) for broker, spec in self.broker_hardware
            }
        return props
