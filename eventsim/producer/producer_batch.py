"""``ProducerBatch``: the producer's batch of records (the format arithmetic: :mod:`eventsim.protocol`).

Kafka writes records in batches: a 61-byte batch header (``RECORD_BATCH_OVERHEAD``: base offset, length,
leader epoch, magic, CRC, attributes, last offset delta, timestamps, producer id/epoch, base sequence,
record count) followed by records whose fields are varints (``DefaultRecord.sizeInBytes``): length,
attributes, timestamp delta, offset delta, key length + key, value length + value, header count.
Compression (``compression.type``) applies to the records section of the whole batch.

Modelled: exact varint sizes for key and value lengths and the offset delta; a one-byte timestamp delta
(deltas under 64 ms; a batch that lingers longer is a byte or two larger per record); no headers.
A ``ProducerBatch`` holds its records as one numpy block (create and append times, record id, key id,
value size), never as Python objects per record.

The idempotent producer (KIP-98) stamps each batch with its producer id, epoch and base sequence when
the batch is first drained; the sequence of the batch's last record is ``base + count - 1``, wrapping
after ``Integer.MAX_VALUE`` to 0 (``DefaultRecordBatch.incrementSequence``).
"""

from __future__ import annotations

import numpy as np

from eventsim.protocol import (  # the wire format, defined once; re-exported here for the producer's modules
    APPEND_MS,
    CREATE_MS,
    INT_MAX,
    KEY,
    LEGACY_CRC_EXCLUDED_BYTES,
    MAX_EXACT_ID,
    MAX_PRODUCER_INSTANCES,
    NO_PRODUCER_ID,
    NO_SEQUENCE,
    NO_TIMESTAMP,
    RECORD_BATCH_OVERHEAD,
    RECORD_COLUMNS,
    RECORD_ID,
    RECORD_ID_PRODUCER_SHIFT,
    VALUE_BYTES,
    MemoryRecords,
    increment_sequence,
    record_size_in_bytes,
    varint_size,
)
from eventsim.structs import TopicPartition

__all__ = [
    "LEGACY_CRC_EXCLUDED_BYTES",
    "RECORD_BATCH_OVERHEAD",
    "RECORD_COLUMNS",
    "MAX_EXACT_ID",
    "MAX_PRODUCER_INSTANCES",
    "RECORD_ID_PRODUCER_SHIFT",
    "ProducerBatch",
    "fill_producer_batch",
    "INT_MAX",
    "NO_SEQUENCE",
    "NO_PRODUCER_ID",
    "increment_sequence",
    "varint_size",
    "record_size_in_bytes",
]

class ProducerBatch(MemoryRecords):
    """A batch of records for one partition, drained from the accumulator and sent in a produce request.

    It is the request's ``MemoryRecords`` for its partition (the fields a broker reads: partition,
    records, sizes, the idempotent producer's id, epoch and sequence) plus the producer's own
    bookkeeping: ``alloc_bytes`` taken from ``buffer.memory``, ``drained_ms``, ``attempts``,
    ``base_offset`` from the response, the producer instance, ``sequence_reset``, ``retry_backoff_ms``,
    and the idempotent producer's ``txn`` entry of its partition.

    Its records are one float64 numpy block, row per record, with the columns of ``RECORD_COLUMNS``:
    ``create_ms`` (the ``send()`` time), ``append_ms`` (entered the accumulator: later than
    ``create_ms`` when the application thread was busy or ``send()`` blocked on ``buffer.memory``),
    ``record_id``, ``key`` (key id, -1 for null) and ``value_bytes``; the integer columns are exact
    below ``MAX_EXACT_ID``. One block rather than five columns: a batch is one slice of its partition
    queue, and the metrics concatenate one array per batch. The properties ``create_ms`` …
    ``value_bytes`` give single columns (the integer ones as int64).
    """

    __slots__ = (
        "alloc_bytes",
        "drained_ms",
        "attempts",
        "base_offset",
        "producer",
        "sequence_reset",
        "retry_backoff_ms",
        "txn",
    )

    def __init__(
        self,
        tp: TopicPartition,
        records: np.ndarray,
        records_bytes: int,
        wire_bytes: int,
        alloc_bytes: int,
        producer: int,
        value_total: int | None = None,
        header_bytes: int = RECORD_BATCH_OVERHEAD,
    ):
        if value_total is None:
            value_total = int(records[:, VALUE_BYTES].sum())
        newest = records.item(-1, CREATE_MS) if len(records) else NO_TIMESTAMP
        fill_producer_batch(
            self, tp, records, records_bytes, wire_bytes, alloc_bytes, producer, value_total, header_bytes,
            newest,
        )

    @property
    def last_sequence(self) -> int:
        """Sequence of the batch's last record (``ProducerBatch.lastSequence``), or ``NO_SEQUENCE``."""
        if self.base_sequence == NO_SEQUENCE:
            return NO_SEQUENCE
        return increment_sequence(self.base_sequence, self.count - 1)

    @property
    def create_ms(self) -> np.ndarray:
        return self.records[:, CREATE_MS]

    @property
    def append_ms(self) -> np.ndarray:
        return self.records[:, APPEND_MS]

    @property
    def record_ids(self) -> np.ndarray:
        return self.records[:, RECORD_ID].astype(np.int64)

    @property
    def keys(self) -> np.ndarray:
        return self.records[:, KEY].astype(np.int64)

    @property
    def value_bytes(self) -> np.ndarray:
        return self.records[:, VALUE_BYTES].astype(np.int64)

    @property
    def first_create_ms(self) -> float:
        """``send()`` time of the batch's first record (``delivery.timeout.ms`` counts from it)."""
        return float(self.records[0, CREATE_MS])

    def __repr__(self) -> str:
        return f"ProducerBatch({self.tp}, records={self.count}, bytes={self.wire_bytes})"


def fill_producer_batch(
    b: ProducerBatch,
    tp: TopicPartition,
    records: np.ndarray,
    records_bytes: int,
    wire_bytes: int,
    alloc_bytes: int,
    producer: int,
    value_total: int,
    header_bytes: int,
    max_timestamp_ms: float,
) -> ProducerBatch:
    """Fill ``b``'s fields and return it: ``ProducerBatch.__init__``, and compiled a C call that fills a new
    batch (``fill_producer_batch(ProducerBatch.__new__(ProducerBatch), ...)``: no argument parsing and no
    number objects, as a call of the class makes; the accumulator's drain makes one per batch)."""
    b.tp = tp
    b.records = records
    b.count = len(records)
    b.header_bytes = header_bytes  # the batch header (v2) or a compressed v0/v1 set's wrapper
    b.size_bytes = header_bytes + records_bytes  # uncompressed
    b.wire_bytes = wire_bytes  # as sent (compressed with the producer's codec)
    b.alloc_bytes = alloc_bytes  # taken from buffer.memory
    b.drained_ms = 0.0
    b.attempts = 0
    b.base_offset = -1  # RecordMetadata.offset: from the produce response (-1: not known)
    b.producer = producer
    b.value_total = value_total
    b.max_timestamp_ms = max_timestamp_ms  # the newest record's create time (the batch header's maxTimestamp)
    # Idempotent producer: set when the batch is first drained (NO_SEQUENCE: not idempotent / not yet).
    b.producer_id = NO_PRODUCER_ID
    b.producer_epoch = NO_PRODUCER_ID
    b.base_sequence = NO_SEQUENCE
    b.sequence_reset = False  # Kafka's sequenceHasBeenReset: rewritten by an epoch bump
    b.retry_backoff_ms = 0.0  # drawn when the batch is re-enqueued for a retry
    # The idempotent producer's TxnPartitionEntry of its partition, set when first drained: the
    # transaction manager reads it there rather than looking the partition up.
    b.txn = None
    return b
