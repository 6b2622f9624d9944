"""The wire, defined once: Kafka's record-batch format (v2, KIP-98) and the model's per-record columns.

What Kafka does: a produce request carries record batches, and a partition's log stores them as they
came (``DefaultRecordBatch``): a 61-byte header (``RECORD_BATCH_OVERHEAD``: base offset, length, leader
epoch, magic, CRC, attributes, last offset delta, timestamps, producer id and epoch, base sequence,
record count) followed by records whose fields are varints (``DefaultRecord.sizeInBytes``): length,
attributes, timestamp delta, offset delta, key length and key, value length and value, header count.
An idempotent producer's batch carries its base sequence; the last record's is ``base + count - 1``,
wrapping after ``Integer.MAX_VALUE`` to 0 (``DefaultRecordBatch.incrementSequence``).

Modelled: those sizes exactly for key and value lengths and the offset delta; a one-byte timestamp delta
(deltas under 64 ms; a batch that lingers longer is a byte or two larger per record); no headers. The
records of a batch travel as one float64 block whose columns are ``RECORD_COLUMNS``; a record id holds
its producer instance's number and that producer's sequence (``RECORD_ID_PRODUCER_SHIFT``). Clients and
brokers both import this module, never each other's: a broker sees requests and batches, not a
client's internals.

Not modelled: record headers, the batch's CRC and timestamps as bytes, magic v0/v1 message sets.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "RECORD_BATCH_OVERHEAD",
    "MAX_RECORD_OVERHEAD",
    "RECORD_COLUMNS",
    "MAX_EXACT_ID",
    "MAX_PRODUCER_INSTANCES",
    "RECORD_ID_PRODUCER_SHIFT",
    "INT_MAX",
    "NO_SEQUENCE",
    "NO_PRODUCER_ID",
    "increment_sequence",
    "varint_size",
    "record_size_in_bytes",
    "record_size_upper_bound",
    "PRODUCE_REQUEST_OVERHEAD",
    "PRODUCE_RESPONSE_BYTES",
    "FETCH_REQUEST_BYTES",
    "FETCH_RESPONSE_OVERHEAD",
]

# Requests and responses around the batches (bytes; judgement: headers, client id, topic and partition
# framing of the ProduceRequest/FetchRequest schemas for one topic).
PRODUCE_REQUEST_OVERHEAD = 80  # a produce request's header and framing, beside its batches
PRODUCE_RESPONSE_BYTES = 60  # a produce response
FETCH_REQUEST_BYTES = 120  # a fetch request for a topic's partitions
FETCH_RESPONSE_OVERHEAD = 60  # a fetch response's header and framing, beside its batches

RECORD_BATCH_OVERHEAD = 61  # DefaultRecordBatch.RECORD_BATCH_OVERHEAD
MAX_RECORD_OVERHEAD = 21  # DefaultRecord.MAX_RECORD_OVERHEAD: a record's framing at most
INT_MAX = 2**31 - 1  # Integer.MAX_VALUE: sequences wrap after it
NO_SEQUENCE = -1  # RecordBatch.NO_SEQUENCE
NO_PRODUCER_ID = -1  # RecordBatch.NO_PRODUCER_ID (and NO_PRODUCER_EPOCH)


def increment_sequence(sequence: int, increment: int) -> int:
    """``DefaultRecordBatch.incrementSequence``: ``sequence + increment``, wrapping after ``INT_MAX`` to 0."""
    if sequence > INT_MAX - increment:
        return increment - (INT_MAX - sequence) - 1
    return sequence + increment


# A zig-zag encoded value below 2**7 takes one byte, below 2**14 two, ... (ByteUtils.sizeOfVarint).
_VARINT_LIMITS = np.uint64(1) << np.arange(7, 64, 7, dtype=np.uint64)  # up to 10 bytes (varlong)


def varint_size(values: np.ndarray) -> np.ndarray:
    """Bytes of Kafka's zig-zag varint encoding of each (signed) int in ``values``."""
    v = np.asarray(values, dtype=np.int64)
    zz = ((v << 1) ^ (v >> 63)).view(np.uint64)  # zig-zag: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...
    return np.searchsorted(_VARINT_LIMITS, zz, side="right").astype(np.int64) + 1


def record_size_in_bytes(
    key_bytes: np.ndarray, value_bytes: np.ndarray, offset_delta: np.ndarray | None = None
):
    """``DefaultRecord.sizeInBytes`` for each record; ``key_bytes < 0`` means a null key."""
    key = np.asarray(key_bytes, dtype=np.int64)
    value = np.asarray(value_bytes, dtype=np.int64)
    body = (
        1  # attributes
        + 1  # timestamp delta (see module docstring)
        + (1 if offset_delta is None else varint_size(offset_delta))  # offset delta 0: one byte
        + np.where(key < 0, 1, varint_size(key) + key)
        + varint_size(value)
        + value
        + 1  # header count (0)
    )
    return body + varint_size(body)


RECORD_COLUMNS = ("create_ms", "append_ms", "record_id", "key", "value_bytes")
"""The columns of a batch's ``records`` block, in order (all float64; the integer ones are exact)."""

MAX_EXACT_ID = 2**53  # integers a float64 column holds exactly: record ids, key ids and sizes stay below
RECORD_ID_PRODUCER_SHIFT = 40  # a record id is (producer number << 40) + the producer's sequence number
MAX_PRODUCER_INSTANCES = MAX_EXACT_ID >> RECORD_ID_PRODUCER_SHIFT  # 8192: so every record id stays exact


def record_size_upper_bound(key_bytes: int | None, value_bytes: int) -> int:
    """Kafka's upper bound on a one-record batch (``estimateSizeInBytesUpperBound``, magic v2);
    ``key_bytes`` None for a null key."""
    key = -1 if key_bytes is None else key_bytes
    body = int(varint_size(np.array([key, value_bytes, 0])).sum()) + max(key, 0) + value_bytes
    return RECORD_BATCH_OVERHEAD + MAX_RECORD_OVERHEAD + body
