"""``Log``: one partition replica's log — offsets, segments, retention, and the batches readers need.

What Kafka does (``storage/.../internals/log/UnifiedLog.java``, ``LogSegment``): appends record batches
at the log end offset (LEO), assigning consecutive offsets; the active segment rolls when it would
exceed ``segment.bytes`` or is older than ``segment.ms``; a background task every
``log.retention.check.interval.ms`` deletes whole non-active segments older than ``retention.ms`` or
beyond ``retention.bytes`` (per partition), advancing the log start offset. Fetches return whole
batches from the one containing the fetch offset, up to the byte limits (at least one batch when the
reader asks for it: ``minOneMessage``, KIP-74).

What is modelled: exactly those rules on batch metadata (base offset, record count, bytes, append
time). Per-record columns (create time, record id) are kept only while some reader still needs them
(``register_reader``/``advance_reader``), so memory stays flat however long the run. The high
watermark equals the LEO until replication arrives (``high_watermark`` is the read limit).

Each log also keeps its ``ProducerStateManager`` (``producer_state``): the idempotent producers' last
batches, which the leader checks before an append (see ``log/producer_state.py``).

Not modelled: indexes, log cleaner (compaction), tiered storage, and segment files' fixed overheads.
"""

from __future__ import annotations

import math
from bisect import bisect_right

from eventsim.log.producer_state import ProducerStateManager

__all__ = ["Log", "Segment"]


class Segment:
    """A log segment's bookkeeping: offsets, bytes, and the timestamps that drive roll and retention."""

    __slots__ = (
        "base_offset",
        "size_bytes",
        "created_ms",
        "first_timestamp_ms",
        "max_timestamp_ms",
        "next_offset",
    )

    def __init__(self, base_offset: int, created_ms: float):
        self.base_offset = base_offset
        self.next_offset = base_offset
        self.size_bytes = 0
        self.created_ms = created_ms
        self.first_timestamp_ms = None  # Kafka's rollingBasedTimestamp: the first batch's max timestamp
        self.max_timestamp_ms = -math.inf

    def largest_timestamp_ms(self) -> float:
        """What time-based retention compares: the newest record, or the creation time when empty."""
        return self.max_timestamp_ms if self.size_bytes else self.created_ms


class Log:
    """A partition replica's log (see module docstring). ``config`` is a resolved ``TopicConfig``."""

    def __init__(self, tp, config, now_ms: float = 0.0, disk: int = 0):
        self.tp = tp
        self.config = config
        self.disk = disk
        self.log_start_offset = 0
        self.log_end_offset = 0
        self.size_bytes = 0
        self.segments: list[Segment] = [Segment(0, now_ms)]
        self.batches: list = []  # kept for readers, oldest first
        self._bases: list[int] = []
        self._cum: list[int] = []  # stored bytes up to and including each kept batch
        self._stored = 0  # bytes of all batches ever kept for readers
        self._readers: dict[object, int] = {}
        self.appended_records = 0
        self.deleted_segments = 0
        self.unflushed_messages = 0
        self.last_flush_ms = now_ms
        # flush.messages / flush.ms below Long.MAX_VALUE force fsyncs (Kafka's default: never).
        self.codec = None  # the topic's compression.type as a Codec; None keeps the producer's
        self.flush_policy = config.flush_messages < 2**63 - 1 or config.flush_ms < 2**63 - 1
        self.producer_state = ProducerStateManager()

    @property
    def high_watermark(self) -> int:
        # Invariant: high_watermark <= log_end_offset (equal while there is no replication).
        return self.log_end_offset

    # ------------------------------------------------------------------ append / roll
    def append(self, batch, now_ms: float) -> int:
        """Append a record batch (setting its ``base_offset``); returns its base offset.

        While someone reads the log, the batch itself is kept as the log's entry (its record columns are
        what a fetch returns), with ``next_offset`` and ``log_append_ms`` set. An entry never changes once
        written (fetch responses and consumers hold it): a batch object appended again (a retry whose
        first append succeeded, without idempotence) is written as a copy with its own offsets, and the
        producer's batch keeps the offsets of its first append.
        """
        base = self.log_end_offset
        seg = self.segments[-1]
        cfg = self.config
        batch_ts = float(batch.records[-1, 0])  # the newest record's create_ms (CreateTime)
        # LogSegment.shouldRoll: full, or older than segment.ms (strictly) since its first batch.
        if seg.size_bytes > 0 and (
            seg.size_bytes + batch.stored_bytes > cfg.segment_bytes
            or now_ms - seg.first_timestamp_ms > cfg.segment_ms
        ):
            seg = Segment(base, now_ms)
            self.segments.append(seg)
        if seg.first_timestamp_ms is None:
            seg.first_timestamp_ms = batch_ts
        seg.size_bytes += batch.stored_bytes
        seg.next_offset = base + batch.count
        if batch_ts > seg.max_timestamp_ms:
            seg.max_timestamp_ms = batch_ts
        self.log_end_offset = base + batch.count
        self.size_bytes += batch.stored_bytes
        self.appended_records += batch.count
        if batch.next_offset >= 0:
            batch = batch.copy()  # already appended once: the records go in again as a new entry
        batch.base_offset = base  # what the producer's RecordMetadata reports (of the first append)
        batch.next_offset = base + batch.count
        batch.log_append_ms = now_ms
        if self._readers:
            self.batches.append(batch)
            self._bases.append(base)
            self._stored += batch.stored_bytes
            self._cum.append(self._stored)
        return base

    # ------------------------------------------------------------------ retention
    def enforce_retention(self, now_ms: float) -> int:
        """Delete expired segments (``retention.ms``, ``retention.bytes``); returns bytes deleted."""
        cfg = self.config
        deleted = 0
        while self.segments:
            seg = self.segments[0]
            last = len(self.segments) == 1
            if last and seg.size_bytes == 0:
                break  # Kafka never deletes an empty active segment
            by_time = cfg.retention_ms >= 0 and now_ms - seg.largest_timestamp_ms() > cfg.retention_ms
            by_size = cfg.retention_bytes >= 0 and self.size_bytes - seg.size_bytes >= cfg.retention_bytes
            if not (by_time or by_size):
                break
            if last:  # deleting every segment: roll an empty active segment first (UnifiedLog.deleteSegments)
                self.segments.append(Segment(self.log_end_offset, now_ms))
            self.segments.pop(0)
            self.size_bytes -= seg.size_bytes
            deleted += seg.size_bytes
            self.deleted_segments += 1
            self.log_start_offset = self.segments[0].base_offset
        if deleted:
            self._trim()
        return deleted

    # ------------------------------------------------------------------ readers
    def register_reader(self, reader, offset: int) -> None:
        self._readers[reader] = offset

    def advance_reader(self, reader, offset: int) -> None:
        self._readers[reader] = offset
        if len(self.batches) > 256 and self.batches[0].next_offset <= offset:
            self._trim()

    def _trim(self) -> None:
        low = min(self._readers.values()) if self._readers else self.log_end_offset
        low = max(low, self.log_start_offset)
        k = bisect_right(self._bases, low) - 1
        if k > 0 or (k == 0 and self.batches and self.batches[0].next_offset <= low):
            cut = k if self.batches[k].next_offset > low else k + 1
            if cut:
                del self.batches[:cut]
                del self._bases[:cut]
                del self._cum[:cut]

    def bytes_after(self, offset: int) -> int:
        """Bytes readable from ``offset`` up to the high watermark (whole batches)."""
        if offset >= self.high_watermark:
            return 0
        bases = self._bases
        if not bases:
            return 0
        i = bisect_right(bases, offset) - 1
        if i <= 0:
            return self._stored - self._cum[0] + self.batches[0].stored_bytes
        return self._stored - self._cum[i - 1]

    def read(self, offset: int, max_bytes: int, min_one: bool = True) -> list:
        """Whole batches from the one containing ``offset``, up to ``max_bytes``.

        ``min_one`` (Kafka's ``minOneMessage``): the first batch is returned even if it is larger than
        ``max_bytes``; without it, only batches that fit (possibly none).
        """
        return self.read_sized(offset, max_bytes, min_one)[0]

    def read_sized(
        self, offset: int, max_bytes: int, min_one: bool = True
    ) -> tuple[list, int]:
        """``read`` and the stored bytes of what it returns."""
        hw = self.high_watermark
        batches = self.batches
        if offset >= hw or not batches:
            return [], 0
        i = bisect_right(self._bases, offset) - 1
        if i < 0:
            i = 0
        out = []
        size = 0
        for k in range(i, len(batches)):
            b = batches[k]
            if b.base_offset >= hw:
                break
            if size + b.stored_bytes > max_bytes and (out or not min_one):
                break
            out.append(b)
            size += b.stored_bytes
        return out, size
