"""``Log``: one partition replica's log — offsets, segments, retention, and the batches readers need.

What Kafka does (``storage/.../internals/log/UnifiedLog.java``, ``LogSegment``): appends record batches
at the log end offset (LEO), assigning consecutive offsets; the active segment rolls when it would
exceed ``segment.bytes`` or is older than ``segment.ms``; a background task every
``log.retention.check.interval.ms`` deletes whole non-active segments older than ``retention.ms`` or
beyond ``retention.bytes`` (per partition), advancing the log start offset. Fetches return whole
batches from the one containing the fetch offset, up to the byte limits (at least one batch when the
reader asks for it: ``minOneMessage``, KIP-74).

What is modelled: exactly those rules on batch metadata (base offset, record count, bytes, append
time). A log stores ``RecordBatch`` entries (``eventsim.protocol``): the leader makes one per appended
batch (``append``), stamped with the partition's leader epoch; a follower appends the leader's entries
as its fetches bring them (``append_entries``), at the same offsets. Entries are kept while a reader (a
consumer, or a replica, which reads as its own log) still needs them, and above the high watermark
(what a truncation could remove), so memory stays flat however long the run. The replicas of a partition
share their readers (``share_readers``), so a follower keeps what the leader's readers still need and
can serve them if it becomes the leader.

The high watermark (``high_watermark``) is the read limit of consumers: on a partition without
followers it follows the log end offset; on a replicated partition the leader's ``Partition`` sets it
(``replication/partition.py``) and a follower takes it from fetch responses. Followers read up to the log end
offset (``read(..., max_offset=...)``).

Leader epochs (KIP-101, ``LeaderEpochFileCache``): the log remembers the first offset written in each
leader epoch (``leader_epochs``); ``end_offset_for_epoch`` answers ``OffsetsForLeaderEpoch`` and
``truncate_to`` removes whole batches from an offset up, as a follower does when it rejoins a leader
whose log diverged (``truncation_offset`` is the rule, KIP-279).

Each log also keeps its ``ProducerStateManager`` (``producer_state``): the idempotent producers' last
batches, which the leader checks before an append (see ``log/producer_state.py``). A follower updates it
from the entries it appends, as Kafka's ``appendAsFollower`` does, so a new leader recognises a retried
batch; a truncation forgets the batches it removed.

Not modelled: indexes, log cleaner (compaction), tiered storage, and segment files' fixed overheads.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from functools import partial
from operator import attrgetter

import numpy as np

from eventsim.checker import IdSet
from eventsim.log.producer_state import ProducerStateManager
from eventsim.protocol import INT_MAX, NO_PARTITION_LEADER_EPOCH, RECORD_ID, RecordBatch, fill_record_batch

__all__ = ["Log", "Segment", "truncation_offset", "UNDEFINED_EPOCH", "UNDEFINED_EPOCH_OFFSET"]

UNDEFINED_EPOCH = -1  # OffsetsForLeaderEpoch's answer for an epoch older than the log's first
UNDEFINED_EPOCH_OFFSET = -1
# Entries below every reader and the high watermark are dropped once a log holds twice this many: a few per
# log keep a 1,000-partition cluster's logs small (each entry holds its records' block, and what is kept
# long drops out of the caches before it is freed), and dropping them a few at a time keeps trims rare.
KEEP_ENTRIES = 3
_TRIM_AT = 2 * KEEP_ENTRIES  # (compiled, a C number: the test runs on every append)
# Linux writes a dirty page back once it is DIRTY_EXPIRE_MS old, when its flusher wakes (every
# DIRTY_WRITEBACK_MS): vm.dirty_expire_centisecs = 3000, vm.dirty_writeback_centisecs = 500.
DIRTY_EXPIRE_MS = 30000.0
DIRTY_WRITEBACK_MS = 5000.0
DURABILITY_HISTORY_MS = 2 * (DIRTY_EXPIRE_MS + DIRTY_WRITEBACK_MS)


def _bisect_right(a: list, x: int) -> int:
    """``bisect.bisect_right`` of the entries ``a`` by their base offsets, for ``x``: compiled, a C loop
    reading each probed entry's offset (the log keeps no list of offsets beside its entries: one number
    object fewer per append; a call of the bisect module's function would box ``x`` and go through
    Python's call protocol, on every read of a log)."""
    lo = 0
    hi = len(a)
    while lo < hi:
        mid = (lo + hi) >> 1
        b = a[mid]
        if x < b.base_offset:
            hi = mid
        else:
            lo = mid + 1
    return lo


if type(_bisect_right).__name__ == "function":  # running as Python: the bisect module's C function
    _bisect_right = partial(bisect_right, key=attrgetter("base_offset"))  # noqa: F811


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
        self.segment_bytes = config.segment_bytes  # read on every append: fields (compiled, C numbers)
        self.segment_ms = config.segment_ms
        self.max_message_bytes = config.max_message_bytes  # checked by the leader on every batch
        self.disk = disk
        self.log_start_offset = 0
        self.log_end_offset = 0
        self.size_bytes = 0
        self.segments: list[Segment] = [Segment(0, now_ms)]
        self._active = self.segments[-1]  # the active segment (segments[-1]), which every append reads
        self.batches: list = []  # kept for readers, oldest first
        self._cum: list[int] = []  # stored bytes up to and including each kept batch
        self._stored = 0  # bytes of all batches ever kept for readers
        self.last_read_bytes = 0  # the stored bytes of the last ``read_counted``
        self._readers: dict[object, int] = {}
        # The leader's purgatories keep here what waits on this partition (broker/purgatory.py): the parked
        # fetches (a list) and the acks=all batches (a queue), found by an append or a high watermark's move
        # without a lookup by partition; None until something waits.
        self.fetch_watchers = None
        self.produce_waiters = None
        self.appended_records = 0
        self.deleted_segments = 0
        self.unflushed_messages = 0
        self.last_flush_ms = now_ms
        # flush.messages / flush.ms below Long.MAX_VALUE force fsyncs (Kafka's default: never).
        self.codec = None  # the topic's compression.type as a Codec; None keeps the producer's
        self.flush_policy = config.flush_messages < 2**63 - 1 or config.flush_ms < 2**63 - 1
        self.producer_state = ProducerStateManager()
        # Invariant: log_start_offset <= high_watermark <= log_end_offset.
        self.high_watermark = 0
        self.hw_follows_leo = True  # no followers: every append is committed at once
        self.leader_epochs: list = []  # (epoch, start offset), oldest first (LeaderEpochFileCache)
        self._epoch_top = -1  # the latest epoch in leader_epochs (-1: none), which every append compares
        # With power losses scheduled: (local append ms, next offset) of recent appends, and the log end
        # offset at the last fsync, to tell what reached the disk (``durable_offset``).
        self.durability = None
        self.flushed_offset = 0
        self._pruned_end = 0
        # With the kernel's write-back modelled (variability.page_cache_writeback): the broker's LogManager,
        # which tells what its disk's flusher has written (``written_before``).
        self.writeback = None
        # With the run's history kept (metrics.check): every entry stays until retention deletes it, and the
        # deleted entries' record ids are remembered (``expired``, an ``IdSet``: bits, or runs of sequences),
        # with how many of them were copies of a record deleted before (``expired_duplicates``).
        self.pinned = False
        self.expired = None
        self.expired_duplicates = 0

    # ------------------------------------------------------------------ append / roll
    def append(
        self, batch, now_ms: float, leader_epoch: int = NO_PARTITION_LEADER_EPOCH, stored_bytes: int = -1
    ) -> RecordBatch:
        """Append a batch of a produce request as a new entry at the log end offset; returns the entry.

        ``batch`` is what the request carried (records block, count, bytes on the wire, value bytes and
        the idempotent producer's id, epoch and base sequence); ``stored_bytes`` its size as stored when
        the broker recompressed it (default: as it came). The entry the log keeps is its own.
        """
        entry = fill_record_batch(
            RecordBatch.__new__(RecordBatch),
            self.log_end_offset,
            batch.records,
            batch.count,
            batch.wire_bytes if stored_bytes < 0 else stored_bytes,
            batch.value_total,
            now_ms,
            leader_epoch,
            batch.producer_id,
            batch.producer_epoch,
            batch.base_sequence,
            batch.max_timestamp_ms,
        )
        self._add(entry, now_ms)
        return entry

    def append_entries(self, entries, now_ms: float) -> None:
        """A follower appends the leader's entries (from a fetch response) at the same offsets."""
        for entry in entries:
            if entry.base_offset != self.log_end_offset:
                raise ValueError(
                    f"{self.tp}: entry at offset {entry.base_offset} does not follow the log end offset "
                    f"{self.log_end_offset}"
                )
            self._add(entry, now_ms)
            pid = entry.producer_id
            if pid >= 0:  # a follower keeps the producers' state too (it may lead, and check retries)
                last = entry.base_sequence + entry.count - 1
                int_max = INT_MAX
                if last > int_max:
                    last -= int_max + 1
                state = self.producer_state
                state.append(
                    pid, entry.producer_epoch, entry.base_sequence, last, entry.base_offset,
                    entry.next_offset - 1, now_ms,
                )

    def _add(self, entry: RecordBatch, now_ms: float) -> None:
        base = entry.base_offset
        seg = self._active
        nbytes = entry.stored_bytes
        batch_ts = entry.max_timestamp_ms  # the newest record's create_ms (CreateTime)
        # LogSegment.shouldRoll: full, or older than segment.ms (strictly) since its first batch (a segment
        # that holds bytes has its first batch's time; read into a number, the test is C arithmetic compiled).
        if seg.size_bytes > 0:
            first_ts = seg.first_timestamp_ms
            roll = seg.size_bytes + nbytes > self.segment_bytes or now_ms - first_ts > self.segment_ms
        else:
            roll = False
        if roll:
            seg = Segment(base, now_ms)
            self.segments.append(seg)
            self._active = seg
        if seg.first_timestamp_ms is None:
            seg.first_timestamp_ms = batch_ts
        seg.size_bytes += nbytes
        seg.next_offset = entry.next_offset
        if batch_ts > seg.max_timestamp_ms:
            seg.max_timestamp_ms = batch_ts
        self.log_end_offset = entry.next_offset
        self.size_bytes += nbytes
        self.appended_records += entry.count
        epoch = entry.partition_leader_epoch
        if epoch >= 0 and self._epoch_top < epoch:
            self.leader_epochs.append((epoch, base))
            self._epoch_top = epoch
        if self.hw_follows_leo:
            self.high_watermark = self.log_end_offset
        d = self.durability
        if d is not None:
            d.append((now_ms, entry.next_offset))
            if self.writeback is None:
                while d[0][0] < now_ms - DURABILITY_HISTORY_MS:
                    self._pruned_end = d.popleft()[1]  # long written back
            else:
                written = self.writeback.written_before(self.disk)
                while d and d[0][0] < written:
                    self._pruned_end = d.popleft()[1]  # on the disk
        self.batches.append(entry)
        self._stored += nbytes
        self._cum.append(self._stored)
        if len(self.batches) > _TRIM_AT and not self.pinned:  # pinned: only retention deletes
            self._trim()

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
        self._active = self.segments[-1]
        if deleted:
            self._trim()
        return deleted

    # ------------------------------------------------------------------ readers
    def register_reader(self, reader, offset: int) -> None:
        self._readers[reader] = offset

    def advance_reader(self, reader, offset: int) -> None:
        self._readers[reader] = offset
        if len(self.batches) > _TRIM_AT:
            first = self.batches[0]
            if first.next_offset <= offset and not self.pinned:
                self._trim()

    def remove_reader(self, reader) -> None:
        self._readers.pop(reader, None)

    def share_readers(self, readers: dict) -> None:
        """Use ``readers``, the registry of every replica of this partition: a replica keeps what any
        reader (a consumer, wherever it reads; another replica, which reads as its log) still needs, so
        that the follower that becomes the leader can serve it."""
        readers.update(self._readers)
        self._readers = readers

    def _trim(self) -> None:
        """Drop entries below every reader and below the high watermark (a truncation stops there)."""
        if self.pinned:
            self._expire_pinned()
            return
        low = self.high_watermark
        for pos in self._readers.values():
            if pos < low:
                low = pos
        low = max(low, self.log_start_offset)
        k = _bisect_right(self.batches, low) - 1
        if k < 0 or not self.batches:
            return
        kth = self.batches[k]
        if k > 0 or kth.next_offset <= low:
            cut = k if kth.next_offset > low else k + 1
            if cut:
                del self.batches[:cut]
                del self._cum[:cut]

    def _expire_pinned(self) -> None:
        """A pinned log drops only what retention deleted, and remembers its records."""
        cut = 0
        batches = self.batches
        start = self.log_start_offset
        while cut < len(batches) and batches[cut].next_offset <= start:
            cut += 1
        if cut:
            if self.expired is None:
                self.expired = IdSet()
            ids = np.concatenate([e.records[:, RECORD_ID] for e in batches[:cut]]).astype(np.int64)
            self.expired_duplicates += self.expired.add(ids)
            del self.batches[:cut]
            del self._cum[:cut]

    def record_ids(self):
        """The record ids of the entries this log keeps, in log order (pinned: every record it holds;
        ``expired`` has those retention deleted)."""
        parts = [e.records[:, RECORD_ID] for e in self.batches]
        return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)

    def bytes_after(self, offset: int, max_offset: int = -1) -> int:
        """Bytes readable from ``offset`` up to the high watermark, or ``max_offset`` (the log end
        offset for a follower), in whole batches."""
        hw = self.high_watermark if max_offset < 0 else max_offset
        if offset >= hw:
            return 0
        batches = self.batches
        if not batches:
            return 0
        i = _bisect_right(batches, offset) - 1
        top = self._stored
        if hw < self.log_end_offset:  # stop at the batch holding the limit
            j = _bisect_right(batches, hw - 1) - 1
            top = self._cum[j] if j >= 0 else 0
        if i <= 0:
            return top - self._cum[0] + self.batches[0].stored_bytes
        return top - self._cum[i - 1]

    def read(self, offset: int, max_bytes: int, min_one: bool = True, max_offset: int = -1) -> list:
        """Whole batches from the one containing ``offset``, up to ``max_bytes``, below the high watermark
        (or ``max_offset``: a follower reads up to the log end offset).

        ``min_one`` (Kafka's ``minOneMessage``): the first batch is returned even if it is larger than
        ``max_bytes``; without it, only batches that fit (possibly none).
        """
        return self.read_counted(offset, max_bytes, min_one, max_offset)

    def read_counted(self, offset: int, max_bytes: int, min_one: bool = True, max_offset: int = -1) -> list:
        """``read``, its stored bytes left in ``last_read_bytes`` (compiled, a C number: a broker's read of
        each partition of each fetch makes no tuple and no number object)."""
        hw = self.high_watermark if max_offset < 0 else max_offset
        batches = self.batches
        self.last_read_bytes = 0
        if offset >= hw or not batches:
            return []
        i = _bisect_right(batches, offset) - 1
        if i < 0:
            i = 0
        j = i  # the entries i .. j - 1 are read: a slice, one list of their number (no list grown by appends)
        size = 0
        for k in range(i, len(batches)):
            b = batches[k]
            if b.base_offset >= hw:
                break
            if size + b.stored_bytes > max_bytes and (k > i or not min_one):
                break
            size += b.stored_bytes
            j = k + 1
        self.last_read_bytes = size
        return batches[i:j]

    # ------------------------------------------------------------------ leader epochs and truncation
    def latest_epoch(self) -> int:
        return self.leader_epochs[-1][0] if self.leader_epochs else UNDEFINED_EPOCH

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """``OffsetsForLeaderEpoch`` (``LeaderEpochFileCache.endOffsetFor``): for the latest epoch, it and the
        log end offset; for an older one, the largest epoch of this log not above it (or the requested
        epoch itself when it is older than them all) and the start offset of the next epoch; for an epoch
        newer than the latest, or none, ``(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)``."""
        epochs = self.leader_epochs
        if epoch == UNDEFINED_EPOCH or not epochs:
            return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET
        if epoch == epochs[-1][0]:
            return epoch, self.log_end_offset
        higher = next((k for k in range(len(epochs)) if epochs[k][0] > epoch), None)
        if higher is None:
            return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET  # newer than the latest
        if higher == 0:
            return epoch, epochs[0][1]  # older than the first: it ends where the first known one starts
        return epochs[higher - 1][0], epochs[higher][1]

    def durable_offset(self, now_ms: float) -> int:
        """The end of what is on disk at ``now_ms``: the last fsync (``flush.messages`` / ``flush.ms``), or
        what the kernel's flusher has written back.

        Without ``writeback`` (write-through, the default): pages dirty for ``DIRTY_EXPIRE_MS`` when it last
        woke (every ``DIRTY_WRITEBACK_MS``); background write-back, which can write pages sooner, is not
        counted, so this is the least that survived. With it (``variability.page_cache_writeback``): the
        appends booked before what the disk's flusher has written through, as of now
        (``LogManager.written_before``; ``now_ms`` is the simulation's present there)."""
        wb = self.writeback
        if wb is not None:
            before = wb.written_before(self.disk)
        else:
            woke = (now_ms // DIRTY_WRITEBACK_MS) * DIRTY_WRITEBACK_MS
            before = woke - DIRTY_EXPIRE_MS
        written = self._pruned_end
        for t, end in self.durability or ():
            if (t >= before) if wb is not None else (t > before):
                break
            written = end
        return max(written, self.flushed_offset)

    def lose_unflushed(self, now_ms: float) -> int:
        """The machine lost power: what the page cache had not written back is gone. Returns the new log end
        offset."""
        offset = self.durable_offset(now_ms)
        if self.writeback is not None:
            self.writeback.lose_dirty(self.disk)  # the disk's dirty pages go with the machine
        return self.truncate_lost(offset)

    def truncate_lost(self, offset: int) -> int:
        """``truncate_to``, also below the entries the log still keeps in memory (their records are gone
        with the page cache: the log simply ends at ``offset``)."""
        if offset >= self.log_end_offset:
            return self.log_end_offset
        if self.batches and self.batches[0].base_offset <= offset:
            return self.truncate_to(offset)
        gone = self.log_end_offset - offset
        span = max(self.log_end_offset - self.log_start_offset, 1)
        lost_bytes = int(self.size_bytes * gone / span)  # the kept entries do not cover it: in proportion
        self.batches.clear()
        self._cum.clear()
        self.log_end_offset = offset
        self.size_bytes -= lost_bytes
        while len(self.segments) > 1 and self.segments[-1].base_offset >= offset:
            self.segments.pop()
        seg = self._active = self.segments[-1]
        seg.next_offset = offset
        seg.size_bytes = max(0, seg.size_bytes - lost_bytes)
        self._epochs_below(offset)
        self.producer_state.truncate(offset)
        if self.high_watermark > offset:
            self.high_watermark = offset
        if self.log_start_offset > offset:
            self.log_start_offset = offset
        for reader, pos in self._readers.items():
            if pos > offset:
                self._readers[reader] = offset
        return offset

    def _epochs_below(self, offset: int) -> None:
        """A truncation to ``offset``: the leader epochs that start at or above it go (and the latest one
        an append compares with is what is left)."""
        self.leader_epochs = [(e, start) for e, start in self.leader_epochs if start < offset]
        self._epoch_top = self.leader_epochs[-1][0] if self.leader_epochs else -1

    def truncate_to(self, offset: int) -> int:
        """Remove every batch at or above ``offset`` (a whole batch when ``offset`` falls inside it);
        returns the new log end offset. Only entries the log still keeps can go: a truncation never
        reaches below the high watermark of a replica that was in sync."""
        if offset >= self.log_end_offset:
            return self.log_end_offset
        batches = self.batches
        if not batches or batches[0].base_offset > offset:
            raise ValueError(f"{self.tp}: cannot truncate to {offset}: the entries below it are gone")
        k = _bisect_right(batches, offset) - 1  # the batch holding offset (it goes, unless it starts there)
        if batches[k].next_offset <= offset:
            k += 1
        new_end = batches[k].base_offset
        removed = self.batches[k:]
        gone = sum(e.stored_bytes for e in removed)
        del self.batches[k:]
        del self._cum[k:]
        self._stored = self._cum[-1] if self._cum else self._stored - gone
        self.log_end_offset = new_end
        self.size_bytes -= gone
        self.appended_records -= sum(e.count for e in removed)
        # Segments above the new end go; the last one keeps what is left of it.
        left = gone
        while len(self.segments) > 1 and self.segments[-1].base_offset >= new_end:
            left -= self.segments.pop().size_bytes
        seg = self._active = self.segments[-1]
        seg.size_bytes -= left
        seg.next_offset = new_end
        self._epochs_below(new_end)
        self.producer_state.truncate(new_end)
        if self.high_watermark > new_end:
            self.high_watermark = new_end
        for reader, pos in self._readers.items():
            if pos > new_end:
                self._readers[reader] = new_end
        return new_end


def truncation_offset(follower: Log, leader: Log) -> int:
    """Where a follower truncates before fetching from a new leader (KIP-101, KIP-279,
    ``AbstractFetcherThread.getOffsetTruncationState``).

    The follower asks for the end offset of its latest epoch; the leader answers with the largest epoch
    it has that is not newer, and where that epoch ends. The follower truncates to the smaller of that
    offset and its own end offset for the same epoch; if its own largest epoch not above the leader's is
    a different one, it asks again for that epoch (the logs diverged earlier), until both agree. A leader
    that knows no epoch at all, or a follower with none, leaves the follower at its high watermark."""
    bound = follower.log_end_offset
    epoch = follower.latest_epoch()
    if epoch == UNDEFINED_EPOCH:
        return min(follower.high_watermark, bound)
    while True:
        leader_epoch, leader_end = leader.end_offset_for_epoch(epoch)
        if leader_end == UNDEFINED_EPOCH_OFFSET:
            return min(follower.high_watermark, bound)  # nothing in common: KIP-101's fallback
        mine, my_end = follower.end_offset_for_epoch(leader_epoch)
        if my_end == UNDEFINED_EPOCH_OFFSET:
            return min(leader_end, bound)
        bound = min(bound, leader_end, my_end)
        if mine == leader_epoch or mine >= epoch:
            return bound
        epoch = mine  # the follower's own older epoch: another round
