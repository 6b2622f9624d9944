"""Scenarios: a whole experiment (cluster, topics, producers, consumers, horizon) in one validated value.

What Kafka does: nothing checks a *deployment* as a whole; the errors surface one by one at run time.
Creating a topic with more replicas than brokers fails with ``InvalidReplicationFactorException``
(``ReplicationControlManager.createTopic``), and a manual replica assignment naming a broker that is
not registered with ``InvalidReplicaAssignmentException``; a producer sending to a missing topic
waits for metadata and times out; a record larger than ``max.request.size`` or ``buffer.memory`` fails with
``RecordTooLargeException`` in ``KafkaProducer.ensureValidRecordSize``, and a batch larger than the
topic's ``max.message.bytes`` is rejected by the broker with ``RECORD_TOO_LARGE``; a topic whose
``min.insync.replicas`` exceeds its replication factor accepts no ``acks=all`` write
(``NOT_ENOUGH_REPLICAS``); names differing only in ``.`` versus ``_`` collide in metric names
(``Topic.hasCollision``); a request larger than the broker's ``socket.request.max.bytes`` closes
the connection, and the broker's ``fetch.max.bytes`` caps what a consumer's fetch returns.

Modelled: a :class:`Scenario` catches all of these before the run, each as one
:class:`~eventsim.core.errors.InvalidConfigurationError` whose field is the path in the scenario
(``producers[0].config.linger.ms``) and, when loaded from YAML, whose message names the file. A
:class:`ProducerSpec` is ``count`` identical producer instances sharing ``rate_per_s``; a
:class:`ConsumerSpec` is one consumer group of ``count`` members (its ``group.id`` defaults to the
spec's name). Record sizes are bounded with Kafka's own estimate
(``AbstractRecords.estimateSizeInBytesUpperBound``: 61-byte batch header, 21-byte maximum record
overhead, varint lengths), before compression, so the check is conservative for compressed topics.
Scenarios load from a dict, a YAML file (``data/scenarios/README.md`` documents the schema) or a
preset name (:func:`presets`), and :meth:`Scenario.to_dict` writes the effective configuration back.

Not modelled: record headers, topics created automatically on first use, and checks that depend on
the run (a consumer group larger than the partition count is allowed; the extra members stay idle).
The broker limits above are refused where a client's requests could reach them, since what Kafka
then does (closed connections, capped fetches) is not modelled yet; below that they change nothing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from eventsim import sizing
from eventsim.client_specs import ConsumerSpec, ProducerSpec, _name, _set, _spec
from eventsim.config import BrokerConfig, ClusterConfig, TopicConfig
from eventsim.config.versions import LATEST, apply_version, check_version
from eventsim.core.errors import (
    InvalidConfigurationError,
    RecordTooLargeError,
    UnknownTopicOrPartitionError,
    counted,
)
from eventsim.core.validation import check_keys, check_mapping, check_number, did_you_mean
from eventsim.faults import check_faults, node_names
from eventsim.protocol import MAX_PRODUCER_INSTANCES
from eventsim.scenario_io import apply_overrides, parse_override, read_document
from eventsim.variability import VariabilitySpec

__all__ = [
    "Scenario",
    "ProducerSpec",
    "ConsumerSpec",
    "MetricsSpec",
    "VariabilitySpec",
    "presets",
    "SCENARIO_DIR",
]

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "data" / "scenarios"
def presets() -> dict[str, Path]:
    """The bundled scenario files, ``data/scenarios/*.yaml``, by name (file stem)."""
    return {path.stem: path for path in sorted(SCENARIO_DIR.glob("*.yaml"))}


@dataclass(frozen=True, kw_only=True)
class MetricsSpec:
    """Metric collection: time-series window, per-record sampling ("auto" = all records of small runs),
    and ``check``: keep every record's history for ``Result.check()`` (what was acknowledged, what the
    logs hold at the end, what consumers skipped): a bit per acknowledged record, and every log entry kept
    in memory until retention deletes it (about 95 bytes a record), its records then kept as bits."""

    window_ms: float = 1000
    record_sample: str | float = "auto"
    check: bool = False

    def __post_init__(self) -> None:
        _set(self, "window_ms", check_number("window_ms", self.window_ms, lo=0, lo_open=True))
        if self.record_sample != "auto":
            _set(self, "record_sample", check_number("record_sample", self.record_sample, lo=0, hi=1))
        if not isinstance(self.check, bool):
            raise InvalidConfigurationError("check", self.check, "true or false", "expected a boolean")

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"window_ms": self.window_ms, "record_sample": self.record_sample}
        if self.check:
            out["check"] = True
        return out


_TOP_KEYS = ("name", "description", "seed", "horizon_ms", "cluster", "broker", "topics", "producers",
             "consumers", "metrics", "faults", "variability")  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A complete, validated experiment. Nested values may be given as plain dicts and lists."""

    name: str
    description: str = ""
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    topics: tuple[TopicConfig, ...] = ()
    producers: tuple[ProducerSpec, ...] = ()
    consumers: tuple[ConsumerSpec, ...] = ()
    horizon_ms: float = 60000
    seed: int = 0
    metrics: MetricsSpec = field(default_factory=MetricsSpec)
    faults: tuple = ()  # eventsim.faults.Fault, in time order
    variability: VariabilitySpec = field(default_factory=VariabilitySpec)

    def __post_init__(self) -> None:
        _name("name", self.name, "scenario")
        if not isinstance(self.description, str):
            raise InvalidConfigurationError("description", self.description, "a string", "expected text")
        _set(self, "horizon_ms", check_number("horizon_ms", self.horizon_ms, lo=0, lo_open=True))
        _set(self, "seed", check_number("seed", self.seed, lo=0, integer=True))
        if not isinstance(self.cluster, ClusterConfig):
            _set(self, "cluster", ClusterConfig.from_properties(self.cluster, path="cluster"))
        version = self.cluster.kafka_version
        if version != LATEST:  # the release's defaults for what the scenario leaves unset
            broker, producers, consumers = apply_version(version, self.broker, self.producers, self.consumers)
            _set(self, "broker", broker)
            _set(self, "producers", producers)
            _set(self, "consumers", consumers)
        if not isinstance(self.broker, BrokerConfig):
            _set(self, "broker", BrokerConfig.from_properties(self.broker, path="broker"))
        if not isinstance(self.metrics, MetricsSpec):
            _set(self, "metrics", _spec(MetricsSpec, "metrics", self.metrics, ()))
        if self.variability is False:  # variability: false, every source off
            _set(self, "variability", VariabilitySpec.off())
        elif self.variability is True:  # variability: true, the defaults
            _set(self, "variability", VariabilitySpec())
        elif not isinstance(self.variability, VariabilitySpec):
            if not isinstance(self.variability, Mapping):
                raise InvalidConfigurationError(
                    "variability",
                    self.variability,
                    "true (every source, the default), false (none) or a mapping of switches and parameters ("
                    + ", ".join(f.name for f in dataclasses.fields(VariabilitySpec))
                    + ")",
                    "expected true, false or a mapping",
                )
            _set(self, "variability", _spec(VariabilitySpec, "variability", self.variability, ()))
        for key, build in (
            ("topics", self._topic),
            ("producers", self._producer),
            ("consumers", self._consumer),
        ):
            items = getattr(self, key)
            if isinstance(items, (str, Mapping)) or not hasattr(items, "__iter__"):
                raise InvalidConfigurationError(key, items, f"a list of {key}", "expected a list")
            _set(self, key, tuple(build(f"{key}[{i}]", item) for i, item in enumerate(items)))
        self._check_topics()
        self._check_clients()
        partitions = {t.name: t.resolve(self.broker).partitions for t in self.topics}
        nodes = node_names(self.cluster, self.producers, self.consumers)
        faults = check_faults(self.faults, self.cluster.brokers, self.horizon_ms, partitions, nodes)
        _set(self, "faults", faults)
        check_version(self.cluster.kafka_version, self.producers)
        sizing.check(self)  # absurd sizes are refused here, with the estimate that makes them absurd

    @staticmethod
    def _topic(path: str, item: object) -> TopicConfig:
        return item if isinstance(item, TopicConfig) else TopicConfig.from_properties(item, path=path)

    @staticmethod
    def _producer(path: str, item: object) -> ProducerSpec:
        return _spec(ProducerSpec, path, item, ("name", "topic", "rate_per_s"))

    @staticmethod
    def _consumer(path: str, item: object) -> ConsumerSpec:
        return _spec(ConsumerSpec, path, item, ("name", "topic"))

    def _check_topics(self) -> None:
        if not self.topics:
            raise InvalidConfigurationError(
                "topics", [], "a list of at least one topic", "a scenario needs a topic"
            )
        seen: dict[str, str] = {}
        for i, topic in enumerate(self.topics):
            path = f"topics[{i}]"
            collision = topic.name.replace(".", "_")  # Topic.hasCollision / unifyCollisionChars
            if collision in seen:
                raise InvalidConfigurationError(
                    f"{path}.name",
                    topic.name,
                    "names unique after replacing '.' with '_'",
                    "duplicate topic"
                    if seen[collision] == topic.name
                    else f"collides with topic {seen[collision]!r}",
                )
            seen[collision] = topic.name
            resolved = topic.resolve(self.broker)
            for p, assigned in enumerate(topic.replicas or ()):
                unknown = [b for b in assigned if b >= self.cluster.brokers]
                if unknown:
                    raise InvalidConfigurationError(
                        f"{path}.replicas[{p}]",
                        list(assigned),
                        f"broker ids 0..{self.cluster.brokers - 1}",
                        f"no broker {unknown[0]} in a cluster of {self.cluster.brokers} brokers",
                    )
            replicas = resolved.replication_factor
            if replicas > self.cluster.brokers:
                where = f"{path}.replication.factor"
                if topic.replication_factor is None:
                    where = "broker.default.replication.factor"
                raise InvalidConfigurationError(
                    where,
                    replicas,
                    f"integer in [1, {self.cluster.brokers}]",
                    f"more than the cluster's {counted(self.cluster.brokers, 'broker')} "
                    "(InvalidReplicationFactorException)",
                )
            if resolved.min_insync_replicas > replicas:
                where = f"{path}.config" if topic.min_insync_replicas is not None else "broker"
                raise InvalidConfigurationError(
                    f"{where}.min.insync.replicas",
                    resolved.min_insync_replicas,
                    f"integer in [1, {replicas}] (the replication factor of {topic.name!r})",
                    "no acks=all write could ever succeed (NOT_ENOUGH_REPLICAS)",
                )
        self._check_request_limits()

    def _check_request_limits(self) -> None:
        """Refuse broker limits that a client's requests could exceed: what Kafka then does is not modelled.

        A request larger than the broker's ``socket.request.max.bytes`` makes the broker close the
        connection (``InvalidReceiveException``). Within that bound the limit changes nothing, in Kafka as
        in the model. (The broker's ``fetch.max.bytes`` is modelled: it caps each fetch, in ``Broker``.)
        """
        from eventsim.protocol import FETCH_REQUEST_BYTES, PRODUCE_REQUEST_OVERHEAD  # the model's wire sizes

        broker = self.broker
        limit = broker.socket_request_max_bytes
        broker_set = limit != BrokerConfig.socket_request_max_bytes
        why = (
            "would exceed the broker's socket.request.max.bytes and the broker would close the "
            "connection; that is not modelled yet (lost connections arrive with the failover capability)"
        )
        if self.consumers and FETCH_REQUEST_BYTES > limit:
            raise InvalidConfigurationError(
                "broker.socket.request.max.bytes",
                limit,
                f"integer >= {FETCH_REQUEST_BYTES} (a fetch request)",
                f"a {FETCH_REQUEST_BYTES}-byte fetch request {why}",
            )
        for i, spec in enumerate(self.producers):
            # A request holds batches up to max.request.size, or one batch of up to batch.size.
            cfg = spec.config
            prop, size = max(("max.request.size", cfg.max_request_size), ("batch.size", cfg.batch_size),
                             key=lambda item: item[1])  # fmt: skip
            largest = size + PRODUCE_REQUEST_OVERHEAD
            if largest > limit:
                where = f"producers[{i}].config.{prop}"
                framing = f"{PRODUCE_REQUEST_OVERHEAD} bytes of request framing"
                if broker_set:
                    field, value = "broker.socket.request.max.bytes", limit
                    allowed = f"integer >= {largest} ({where} + {framing})"
                else:
                    field, value = where, size
                    most = limit - PRODUCE_REQUEST_OVERHEAD
                    allowed = f"integer <= {most} (the broker's socket.request.max.bytes - {framing})"
                raise InvalidConfigurationError(
                    field, value, allowed, f"a produce request of up to {largest} bytes {why}"
                )

    def _unique(self, key: str, names: list[str], what: str) -> None:
        for i, name in enumerate(names):
            if name in names[:i]:
                raise InvalidConfigurationError(
                    f"{key}[{i}].{what}", name, f"a {what} not used before", "duplicate"
                )

    def _known_topic(self, path: str, name: str) -> TopicConfig:
        try:
            return self.topic(name)
        except InvalidConfigurationError as err:
            raise type(err)(path, err.value, err.allowed, err.reason) from None

    def _check_clients(self) -> None:
        self._unique("producers", [p.name for p in self.producers], "name")
        self._unique("consumers", [c.name for c in self.consumers], "name")
        self._unique("consumers", [c.config.group_id for c in self.consumers], "config.group.id")
        total = sum(p.count for p in self.producers)
        if total > MAX_PRODUCER_INSTANCES:
            raise InvalidConfigurationError(
                "producers[].count",
                total,
                f"at most {MAX_PRODUCER_INSTANCES} producer instances in all",
                "each record id holds its producer's number",
            )
        for i, spec in enumerate(self.producers):
            topic = self._known_topic(f"producers[{i}].topic", spec.topic).resolve(self.broker)
            largest = spec.max_record_bytes()
            if largest > topic.max_message_bytes:
                raise RecordTooLargeError(
                    f"producers[{i}].value_bytes",
                    spec.value_bytes.to_spec(),
                    f"records within max.message.bytes of {topic.name!r} ({topic.max_message_bytes} bytes)",
                    f"the broker would reject a {largest}-byte record batch with RECORD_TOO_LARGE",
                )
            self._check_start(f"producers[{i}].start_ms", spec.start_ms)
        for i, spec in enumerate(self.consumers):
            topic = self._known_topic(f"consumers[{i}].topic", spec.topic).resolve(self.broker)
            for p in spec.partitions or ():
                if p >= topic.partitions:
                    raise UnknownTopicOrPartitionError(
                        f"consumers[{i}].partitions",
                        list(spec.partitions),
                        f"partitions 0..{topic.partitions - 1} of {topic.name!r}",
                        f"{topic.name}-{p} does not exist",
                    )
            self._check_start(f"consumers[{i}].start_ms", spec.start_ms)

    def _check_start(self, path: str, start_ms: float) -> None:
        if start_ms >= self.horizon_ms:
            raise InvalidConfigurationError(
                path, start_ms, f"a time < horizon_ms ({self.horizon_ms:g})", "would never start"
            )

    def topic(self, name: str) -> TopicConfig:
        """The topic called ``name`` as declared (call ``.resolve(scenario.broker)`` for effective values)."""
        for topic in self.topics:
            if topic.name == name:
                return topic
        names = [t.name for t in self.topics]
        raise UnknownTopicOrPartitionError(
            "topic",
            name,
            "one of " + ", ".join(names),
            "no such topic in this scenario" + did_you_mean(name, names),
        )

    def replace(self, **changes: object) -> Scenario:
        """A copy with some fields changed, validated again (``scenario.replace(horizon_ms=5000)``)."""
        return dataclasses.replace(self, **changes)

    def with_(self, *overrides: object, **fields: object) -> Scenario:
        """A copy with fields changed by the paths of the CLI's ``--set``, validated again.

        Each positional argument is a ``{path: value}`` mapping, a ``"PATH=VALUE"`` string (the value read
        as YAML, as on the command line) or a list of such strings; keyword arguments change top-level
        keys. Later changes win. For example::

            sc.with_({"producers[0].config.linger.ms": 20, "cluster.brokers": 5})
            sc.with_("producers[0].rate_per_s=2000", horizon_ms=5000)

        The paths are those error messages use (``data/scenarios/README.md``); a path that names no field
        is refused with the closest one. The scenario itself is unchanged (it is frozen).
        """
        changes: dict[str, object] = {}
        for item in overrides:
            if isinstance(item, Mapping):
                pairs = list(item.items())
            elif isinstance(item, str):
                pairs = [parse_override(item)]
            elif hasattr(item, "__iter__"):
                pairs = [parse_override(text) for text in item]
            else:
                raise InvalidConfigurationError(
                    "overrides", item, "{path: value}, 'PATH=VALUE' or a list of 'PATH=VALUE'", "not a change"
                )
            for path, value in pairs:
                changes.pop(str(path), None)  # re-insert: the latest change is applied last
                changes[str(path)] = value
        for key, value in fields.items():
            changes.pop(key, None)
            changes[key] = value
        if not changes:
            return self
        return type(self).from_dict(apply_overrides(self.as_given(), changes))

    @classmethod
    def from_dict(cls, data: Mapping[str, object], *, source: str | None = None) -> Scenario:
        """Build from a plain mapping (the YAML schema); ``source`` names the file in error messages."""
        try:
            check_mapping("(document)", data, "scenario keys")
            check_keys("", data, _TOP_KEYS, ("name", "topics"))
            values = {key: value for key, value in data.items()}
            for key in ("cluster", "broker", "metrics", "variability"):
                if values.get(key, "") is None:
                    values[key] = {}
            for key in ("producers", "consumers", "faults"):
                if key in values and values[key] is None:
                    values[key] = ()
            return cls(**values)
        except InvalidConfigurationError as err:
            raise (err.in_file(source) if source else err) from None

    @classmethod
    def from_yaml(cls, path: str | os.PathLike, overrides=()) -> Scenario:
        """Load a YAML scenario file; any problem is one InvalidConfigurationError naming the file.

        ``overrides`` (``["cluster.brokers=5"]`` or ``{"cluster.brokers": 5}``) change fields of the file's
        document before it is validated (see :func:`eventsim.scenario_io.apply_overrides`).
        """
        data = read_document(path)
        if overrides:
            data = apply_overrides(data, overrides)
        return cls.from_dict(data, source=str(path))

    @classmethod
    def load(cls, obj: Scenario | Mapping | str | os.PathLike, overrides=()) -> Scenario:
        """A Scenario from a Scenario, a dict, a YAML path, or a preset name such as ``"reference"``.

        ``overrides`` change fields first, by the paths error messages use: ``["producers[0].rate_per_s=2000",
        "producers[0].config.linger.ms=20"]``, or the same as a ``{path: value}`` mapping.
        """
        if isinstance(obj, Scenario):
            return cls.from_dict(apply_overrides(obj.as_given(), overrides)) if overrides else obj
        if isinstance(obj, Mapping):
            return cls.from_dict(apply_overrides(obj, overrides) if overrides else obj)
        if isinstance(obj, (str, os.PathLike)):
            path = Path(obj)
            if path.exists() or path.suffix in (".yaml", ".yml"):
                return cls.from_yaml(path, overrides)
            found = presets()
            if str(obj) in found:
                return cls.from_yaml(found[str(obj)], overrides)
            raise InvalidConfigurationError(
                "scenario",
                str(obj),
                "a preset (" + ", ".join(found) + "), a YAML file, a dict or a Scenario",
                "no such preset or file" + did_you_mean(str(obj), found),
            )
        raise InvalidConfigurationError(
            "scenario",
            obj,
            "a preset name, a YAML path, a dict or a Scenario",
            f"cannot load a {type(obj).__name__}",
        )

    def as_given(self) -> dict[str, object]:
        """``to_dict`` without the values Kafka derives from unset properties (``enable.idempotence``,
        ``delivery.timeout.ms``, ``enable.auto.commit``): the document to change a field of, so that a change
        (``acks: 0``) re-derives them as Kafka would instead of meeting them as explicit settings."""
        data = self.to_dict()
        for key, specs in (("producers", self.producers), ("consumers", self.consumers)):
            for entry, spec in zip(data[key], specs, strict=True):
                for name, _ in spec.config._derived:
                    entry["config"].pop(spec.config.dotted(name), None)
        return data

    def to_dict(self) -> dict[str, object]:
        """Plain, YAML-ready data with Kafka property names and effective values; ``from_dict`` inverts it."""
        return {
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "horizon_ms": self.horizon_ms,
            "cluster": self.cluster.to_properties(),
            "broker": self.broker.to_properties(),
            "topics": [topic.to_properties() for topic in self.topics],
            "producers": [spec.to_dict() for spec in self.producers],
            "consumers": [spec.to_dict() for spec in self.consumers],
            "metrics": self.metrics.to_dict(),
        } | ({"faults": [f.to_dict() for f in self.faults]} if self.faults else {}) | self._variability_dict()

    def _variability_dict(self) -> dict:
        """``variability`` as written: nothing for the defaults, ``false`` for every source off."""
        if self.variability == VariabilitySpec():
            return {}
        if self.variability == VariabilitySpec.off():
            return {"variability": False}
        return {"variability": self.variability.to_dict()}
