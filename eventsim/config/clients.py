"""Client configs: ``ProducerConfig`` and ``ConsumerConfig`` (Kafka's ``ProducerConfig``, ``ConsumerConfig``).

See :mod:`eventsim.config` for what Kafka does, what is modelled and what is not modelled yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from eventsim.config.common import (
    BOOL,
    CLIENT_UNMODELLED,
    COMMITS,
    GROUPS,
    PRODUCER_CODECS,
    STR,
    check_socket_buffer,
    int_prop,
    long_prop,
)
from eventsim.core.errors import InvalidConfigurationError, warn_user
from eventsim.core.validation import (
    INT_MAX,
    NotModelledYet,
    Prop,
    PropertyConfig,
)

__all__ = ["ProducerConfig", "ConsumerConfig", "MAX_IN_FLIGHT_FOR_IDEMPOTENCE"]

MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5  # ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE


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
    metadata_max_age_ms: int = 300000
    send_buffer_bytes: int = 131072
    reconnect_backoff_ms: int = 50
    reconnect_backoff_max_ms: int = 1000
    client_id: str = ""

    _KIND: ClassVar[str] = "producer"
    _UNMODELLED: ClassVar[frozenset[str]] = CLIENT_UNMODELLED - {
        "send.buffer.bytes",
        "reconnect.backoff.ms",
        "reconnect.backoff.max.ms",
    }
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
        "linger_ms": long_prop(0),
        "batch_size": int_prop(0),
        "buffer_memory": long_prop(0),
        "max_block_ms": long_prop(0),
        "max_in_flight_requests_per_connection": int_prop(1),
        "request_timeout_ms": int_prop(0),
        "retries": int_prop(0),
        "retry_backoff_ms": long_prop(0),
        "retry_backoff_max_ms": long_prop(0),
        "delivery_timeout_ms": int_prop(0, nullable=True),
        "compression_type": Prop("choice", choices=PRODUCER_CODECS),
        "max_request_size": int_prop(0),
        "partitioner_ignore_keys": BOOL,
        "partitioner_adaptive_partitioning_enable": BOOL,
        "partitioner_availability_timeout_ms": long_prop(0),
        "metadata_max_age_ms": long_prop(0),
        "send_buffer_bytes": int_prop(-1),
        "reconnect_backoff_ms": long_prop(0),
        "reconnect_backoff_max_ms": long_prop(0),
        "client_id": STR,
    }

    def _resolve(self, derived: dict[str, object]) -> None:
        check_socket_buffer("send.buffer.bytes", self.send_buffer_bytes)
        # KafkaProducer.configureDeliveryTimeout (KIP-91); lingerMs is capped at Integer.MAX_VALUE there.
        floor = min(min(self.linger_ms, INT_MAX) + self.request_timeout_ms, INT_MAX)
        if self._is_unset("delivery_timeout_ms"):
            value = 120000
            if value < floor:
                warn_user(
                    f"delivery.timeout.ms should be equal to or larger than linger.ms + "
                    f"request.timeout.ms; setting it to {floor}"
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
    metadata_max_age_ms: int = 300000
    receive_buffer_bytes: int = 65536
    reconnect_backoff_ms: int = 50
    reconnect_backoff_max_ms: int = 1000
    client_id: str = ""

    _KIND: ClassVar[str] = "consumer"
    _UNMODELLED: ClassVar[frozenset[str]] = CLIENT_UNMODELLED - {
        "receive.buffer.bytes",
        "reconnect.backoff.ms",
        "reconnect.backoff.max.ms",
    }
    _NOT_MODELLED_YET: ClassVar[dict[str, NotModelledYet]] = {
        "session_timeout_ms": GROUPS,
        "heartbeat_interval_ms": GROUPS,
        "max_poll_interval_ms": GROUPS,
        "enable_auto_commit": COMMITS,
        "auto_commit_interval_ms": COMMITS,
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
        "fetch_min_bytes": int_prop(0),
        "fetch_max_wait_ms": int_prop(0),
        "fetch_max_bytes": int_prop(0),
        "max_partition_fetch_bytes": int_prop(0),
        "max_poll_records": int_prop(1),
        "max_poll_interval_ms": int_prop(1),
        "auto_offset_reset": Prop("choice", choices=("latest", "earliest", "none")),
        "group_id": Prop("str", nullable=True),
        "enable_auto_commit": Prop("bool", nullable=True),
        "auto_commit_interval_ms": int_prop(0),
        "isolation_level": Prop("choice", choices=("read_uncommitted", "read_committed")),
        "request_timeout_ms": int_prop(0),
        "session_timeout_ms": int_prop(1),
        "heartbeat_interval_ms": int_prop(1),
        "metadata_max_age_ms": long_prop(0),
        "receive_buffer_bytes": int_prop(-1),
        "reconnect_backoff_ms": long_prop(0),
        "reconnect_backoff_max_ms": long_prop(0),
        "client_id": STR,
    }

    def _resolve(self, derived: dict[str, object]) -> None:
        check_socket_buffer("receive.buffer.bytes", self.receive_buffer_bytes)
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


