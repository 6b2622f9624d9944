"""Small value types with Kafka's names (``org.apache.kafka.common.TopicPartition`` and friends)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["TopicPartition", "RecordMetadata", "OffsetAndMetadata", "topic_partition"]


class TopicPartition(NamedTuple):
    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"


_ONE_OF_EACH: dict = {}


def topic_partition(topic: str, partition: int) -> TopicPartition:
    """The ``TopicPartition`` of ``topic`` and ``partition``, one object for each pair (made on first use).

    Partitions are dictionary keys all along the request path (leaders, logs, queues, positions), and a
    lookup with the very key object it was stored under stops at the identity check; an equal but
    distinct one is compared field by field every time. The model's parts build their partitions
    through this, so they all share one object per partition."""
    tp = TopicPartition(topic, partition)
    return _ONE_OF_EACH.setdefault(tp, tp)


class RecordMetadata(NamedTuple):
    """What ``send()``'s future resolves to: where the record landed and when it was acknowledged."""

    topic: str
    partition: int
    offset: int  # -1 with acks=0 (the producer never hears back)
    timestamp_ms: float
    serialized_value_size: int


class OffsetAndMetadata(NamedTuple):
    offset: int
    metadata: str = ""
