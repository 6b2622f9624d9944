"""The clients of a scenario: what each producer entry sends and what each consumer entry reads.

What Kafka does: a producer application calls ``send()`` with records (a key, a value) at its own pace,
through a ``KafkaProducer`` configured by producer properties; a consumer application polls a
``KafkaConsumer`` configured by consumer properties and processes what it gets.

What is here: ``ProducerSpec`` (the records' rate, arrival process, value sizes and keys, the instance
count, start and stop, and the ``ProducerConfig``) and ``ConsumerSpec`` (the instance count, the
partitions, the processing time per record, the ``ConsumerConfig``), validated field by field with the
error naming the field; and the helpers the scenario's other sections validate with. ``Scenario``
(``eventsim.scenarios``) checks them against each other and against the topics.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field

from eventsim.config import ConsumerConfig, ProducerConfig
from eventsim.core.errors import InvalidConfigurationError, RecordTooLargeError
from eventsim.core.validation import check_keys, check_mapping, check_number, did_you_mean
from eventsim.core.validation import set_field as _set
from eventsim.protocol import record_size_upper_bound
from eventsim.workload.distributions import Distribution
from eventsim.workload.keys import KeySpec

__all__ = ["ProducerSpec", "ConsumerSpec"]

_NAME = re.compile(r"[A-Za-z0-9._-]+")


def _name(path: str, value: object, what: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InvalidConfigurationError(
            path, value, "letters, digits, '.', '_' and '-'", f"not a valid {what} name"
        )
    return value


def _coerce(path: str, value: object, build) -> object:
    """Run ``build`` and put ``path`` in front of the field of any error it raises."""
    try:
        return build(value)
    except InvalidConfigurationError as err:
        raise (
            err.prefixed(path) if err.field else type(err)(path, err.value, err.allowed, err.reason)
        ) from None


def _spec(cls, path: str, item: object, required: tuple[str, ...]):
    if isinstance(item, cls):
        return item
    check_mapping(path, item, f"{cls.__name__} keys")
    check_keys(path, item, [f.name for f in dataclasses.fields(cls)], required)
    return _coerce(path, item, lambda data: cls(**data))


@dataclass(frozen=True, kw_only=True)
class ProducerSpec:
    """``count`` producer instances writing ``rate_per_s`` records per second in total to ``topic``.

    ``rate_per_s: 0`` is a producer that only sends what a program hands to ``KafkaProducer.send()``.
    """

    name: str
    topic: str
    count: int = 1
    rate_per_s: float
    arrival: str = "poisson"  # poisson: exponential gaps; constant: evenly spaced
    value_bytes: Distribution = field(default_factory=lambda: Distribution.fixed(100))
    keys: KeySpec = field(default_factory=KeySpec)
    config: ProducerConfig = field(default_factory=ProducerConfig)
    start_ms: float = 0
    stop_ms: float | None = None

    def __post_init__(self) -> None:
        _name("name", self.name, "producer")
        _name("topic", self.topic, "topic")
        _set(self, "count", check_number("count", self.count, lo=1, integer=True))
        _set(self, "rate_per_s", check_number("rate_per_s", self.rate_per_s, lo=0))
        if self.arrival not in ("poisson", "constant"):
            raise InvalidConfigurationError(
                "arrival",
                self.arrival,
                "poisson or constant",
                "unknown arrival process" + did_you_mean(self.arrival, ("poisson", "constant")),
            )
        _set(self, "value_bytes", Distribution.from_spec(self.value_bytes, "value_bytes"))
        _set(self, "keys", KeySpec.from_spec(self.keys, "keys"))
        if not isinstance(self.config, ProducerConfig):
            _set(self, "config", ProducerConfig.from_properties(self.config, path="config"))
        _set(self, "start_ms", check_number("start_ms", self.start_ms, lo=0))
        if self.stop_ms is not None:
            _set(self, "stop_ms", check_number("stop_ms", self.stop_ms, lo=self.start_ms, lo_open=True))
        largest = self.max_record_bytes()
        for prop, limit in (
            ("max.request.size", self.config.max_request_size),
            ("buffer.memory", self.config.buffer_memory),
        ):
            if largest > limit:
                raise RecordTooLargeError(
                    "value_bytes",
                    self.value_bytes.to_spec(),
                    f"values whose records fit {prop} ({limit} bytes)",
                    f"the largest record would be {largest} bytes with batch and record overhead; "
                    f"lower the value size or raise config.{prop}",
                )

    def max_record_bytes(self) -> int:
        """Upper bound of one record as a batch on the wire (key, value and Kafka's overheads)."""
        upper = self.value_bytes.max
        if math.isinf(upper):
            raise InvalidConfigurationError(
                "value_bytes",
                self.value_bytes.to_spec(),
                "a distribution with a finite max",
                "record sizes need an upper bound; add max (bytes)",
            )
        key = None if self.keys.distribution == "none" else self.keys.max_key_length()
        return record_size_upper_bound(key, math.ceil(upper))

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name, "topic": self.topic, "count": self.count, "rate_per_s": self.rate_per_s,
            "arrival": self.arrival, "value_bytes": self.value_bytes.to_spec(), "keys": self.keys.to_spec(),
            "config": self.config.to_properties(), "start_ms": self.start_ms, "stop_ms": self.stop_ms,
        }  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ConsumerSpec:
    """One consumer group of ``count`` members reading ``topic`` (``partitions`` None = all of them).

    The partitions are split among the members as Kafka's default ``RangeAssignor`` splits them
    (:mod:`eventsim.group.assignors`): in increasing order, each member a contiguous range, the first
    ``n % count`` members one partition more (member 0 of 2 on 4 partitions reads 0-1, member 1 reads
    2-3); members beyond the partition count stay idle. The split is static, made once before the run
    (each member then uses ``assign()``); rebalancing comes with consumer groups.
    """

    name: str
    topic: str
    count: int = 1
    partitions: tuple[int, ...] | None = None
    processing_ms: Distribution = field(default_factory=lambda: Distribution.fixed(0))  # per record
    config: ConsumerConfig = field(default_factory=ConsumerConfig)
    start_ms: float = 0

    def __post_init__(self) -> None:
        _name("name", self.name, "consumer")
        _name("topic", self.topic, "topic")
        _set(self, "count", check_number("count", self.count, lo=1, integer=True))
        if self.partitions is not None:
            if isinstance(self.partitions, (str, bytes)) or not hasattr(self.partitions, "__iter__"):
                raise InvalidConfigurationError(
                    "partitions", self.partitions, "null or a list of partition numbers", "expected a list"
                )
            parts = tuple(
                check_number(f"partitions[{i}]", p, lo=0, integer=True) for i, p in enumerate(self.partitions)
            )
            if not parts or len(set(parts)) != len(parts):
                raise InvalidConfigurationError(
                    "partitions", list(parts), "a non-empty list of distinct partitions", "empty or repeated"
                )
            _set(self, "partitions", parts)
        _set(self, "processing_ms", Distribution.from_spec(self.processing_ms, "processing_ms"))
        config = self.config
        if not isinstance(config, ConsumerConfig):
            props = check_mapping("config", {} if config is None else config, "consumer properties")
            if not {str(key).strip().replace("_", ".") for key in props} & {"group.id"}:
                props = {**props, "group.id": self.name}  # a consumer spec is a group; name it after the spec
            config = ConsumerConfig.from_properties(props, path="config")
        if config.group_id is None:  # a consumer spec is a group; name it after the spec
            config = _coerce("config", config, lambda c: dataclasses.replace(c, group_id=self.name))
        _set(self, "config", config)
        _set(self, "start_ms", check_number("start_ms", self.start_ms, lo=0))

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name, "topic": self.topic, "count": self.count,
            "partitions": None if self.partitions is None else list(self.partitions),
            "processing_ms": self.processing_ms.to_spec(), "config": self.config.to_properties(),
            "start_ms": self.start_ms,
        }  # fmt: skip
