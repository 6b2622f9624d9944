"""Small value types with Kafka's names (``org.apache.kafka.common.TopicPartition`` and friends)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["TopicPartition", "RecordMetadata", "OffsetAndMetadata"]


class TopicPartition(NamedTuple):
    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"


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
