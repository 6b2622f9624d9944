"""``ProducerStateManager``: a partition log's memory of idempotent producers (KIP-98).

What Kafka does (``storage/.../internals/log/ProducerStateManager.java``, ``ProducerStateEntry``,
``ProducerAppendInfo``, ``UnifiedLog.analyzeAndValidateProducerState``): for every producer id that
wrote to the partition, the log keeps the producer's epoch and the metadata of its last **five**
batches (``NUM_BATCHES_TO_RETAIN``: first and last sequence, first and last offset, timestamp). Before
appending a batch from an idempotent producer the leader checks, in this order:

1. **duplicate**: same epoch, and first and last sequence equal to one of the five retained batches
   (``findDuplicateBatch``): the batch is not appended again; the response carries the original offsets;
2. **epoch**: an epoch older than the entry's is refused with ``INVALID_PRODUCER_EPOCH``
   (``checkProducerEpoch``);
3. **sequence**: a new epoch must start at sequence 0; within the epoch the first sequence must follow
   the last one (``lastSeq + 1``, or 0 after ``Integer.MAX_VALUE``); otherwise
   ``OUT_OF_ORDER_SEQUENCE_NUMBER`` (``checkSequence``). A producer the log has never seen may start at
   any sequence.

After the append, the batch's metadata is added (the oldest of five dropped; a new epoch clears them).

What is modelled: exactly those rules, per batch, as dict lookups (``check`` then ``append``, or both
at once with ``validate``, the leader's path); they take no time argument and need no SimPy. A batch
that follows the producer's last sequence in the same epoch cannot duplicate a retained batch (five
batches never span 2**31 sequences), so ``validate`` accepts it without scanning them. The retained
batches' metadata are kept in small arrays per entry (``batches`` reads them as tuples in
``BatchMetadata``'s field order, ``retained()`` names them); their timestamp is the append time (Kafka
keeps the batch's max timestamp, used only for producer-id expiration).

Not modelled: transactions (markers, the first unstable offset), ``producer.id.expiration.ms`` and the
removal of entries whose batches retention deleted (the state lives as long as the run), snapshots,
and ``UNKNOWN_PRODUCER_ID`` (the state is never lost).
"""

from __future__ import annotations

from typing import NamedTuple

from eventsim.protocol import INT_MAX  # sequences wrap after Integer.MAX_VALUE

__all__ = [
    "BatchMetadata",
    "ProducerStateEntry",
    "ProducerStateManager",
    "NUM_BATCHES_TO_RETAIN",
    "DUPLICATE_SEQUENCE",
    "INVALID_PRODUCER_EPOCH",
    "OUT_OF_ORDER_SEQUENCE_NUMBER",
]

NUM_BATCHES_TO_RETAIN = 5  # ProducerStateEntry.NUM_BATCHES_TO_RETAIN
DENSE_PIDS = 1 << 16  # producer ids below this are also kept in a list by id (ProducerStateManager._by_pid)
INVALID_PRODUCER_EPOCH = "INVALID_PRODUCER_EPOCH"
OUT_OF_ORDER_SEQUENCE_NUMBER = "OUT_OF_ORDER_SEQUENCE_NUMBER"
DUPLICATE_SEQUENCE = "DUPLICATE"  # not an error: the batch is already in the log


class BatchMetadata(NamedTuple):
    """One retained batch of a producer: its sequence range, offsets and (max) timestamp."""

    first_seq: int
    last_seq: int
    first_offset: int
    last_offset: int
    timestamp_ms: float


def _zeros(n: int, zero) -> list:
    return [zero] * n


class ProducerStateEntry:
    """A producer id's epoch, its last ``NUM_BATCHES_TO_RETAIN`` batches (oldest first) and their last
    sequence.

    The batches' metadata are numbers in the entry itself, written in place (compiled, C arrays: four
    per batch, first and last sequence and offset, in ``_meta``; timestamps in ``_ts``): a cluster of a
    thousand partitions holds an entry per producer, partition and replica, and a list of tuples would
    allocate a tuple and its numbers per appended batch and free the oldest ones, long out of the
    caches. The slots are a ring (the oldest at ``start``): a new batch is written over the oldest one,
    not behind the others shifted down, so an append touches one slot of an entry that is mostly out of
    the caches, not all five. ``batches`` reads them as tuples in ``BatchMetadata``'s field order.
    """

    __slots__ = ("producer_id", "producer_epoch", "last_seq", "count", "start", "_meta", "_ts")

    def __init__(self, producer_id: int, producer_epoch: int):
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.last_seq = -1
        self.count = 0  # batches retained, at most NUM_BATCHES_TO_RETAIN
        self.start = 0  # the oldest one's slot
        self._meta = _zeros(4 * NUM_BATCHES_TO_RETAIN, 0)
        self._ts = _zeros(NUM_BATCHES_TO_RETAIN, 0.0)

    @property
    def batches(self) -> list[tuple]:
        """The retained batches, oldest first: ``(first_seq, last_seq, first_offset, last_offset,
        timestamp_ms)`` tuples."""
        m = self._meta
        slots = [self._slot(i) for i in range(self.count)]
        return [(m[4 * k], m[4 * k + 1], m[4 * k + 2], m[4 * k + 3], self._ts[k]) for k in slots]

    def add_batch(self, epoch: int, first_seq: int, last_seq: int, first_offset: int, last_offset: int,
                  timestamp_ms: float) -> None:
        """``ProducerStateEntry.addBatch``: a new epoch clears the old batches; keep the last five."""
        if epoch != self.producer_epoch:
            self.producer_epoch = epoch
            self.count = 0
            self.start = 0
        n = self.count
        retain = NUM_BATCHES_TO_RETAIN
        if n == retain:  # the oldest leaves: the new batch takes its slot
            slot = self.start
            self.start = slot + 1 if slot + 1 < retain else 0
        else:
            slot = self.start + n
            if slot >= retain:
                slot -= retain
            self.count = n + 1
        k = 4 * slot
        self._meta[k] = first_seq
        self._meta[k + 1] = last_seq
        self._meta[k + 2] = first_offset
        self._meta[k + 3] = last_offset
        self._ts[slot] = timestamp_ms
        self.last_seq = last_seq

    def keep_below(self, offset: int) -> None:
        """Forget the batches from ``offset`` on (a truncation): they are the newest ones."""
        n = self.count
        while n and self._meta[4 * self._slot(n - 1) + 2] >= offset:
            n -= 1
        self.count = n
        if n:
            self.last_seq = self._meta[4 * self._slot(n - 1) + 1]

    def _slot(self, i: int) -> int:
        """The slot of the ``i``-th oldest retained batch."""
        return (self.start + i) % NUM_BATCHES_TO_RETAIN

    def retained(self) -> list[BatchMetadata]:
        return [BatchMetadata(*m) for m in self.batches]

    def find_duplicate(self, epoch: int, first_seq: int, last_seq: int) -> BatchMetadata | None:
        """``findDuplicateBatch``: the retained batch with this exact sequence range, same epoch."""
        if epoch != self.producer_epoch:
            return None
        for i in range(self.count):
            k = self._slot(i)
            if self._meta[4 * k] == first_seq and self._meta[4 * k + 1] == last_seq:
                return BatchMetadata(*self.batches[i])
        return None


def in_sequence(last_seq: int, next_seq: int) -> bool:
    """``ProducerAppendInfo.inSequence``: ``next`` follows ``last`` (0 follows ``Integer.MAX_VALUE``)."""
    return next_seq == last_seq + 1 or (next_seq == 0 and last_seq == INT_MAX)


class ProducerStateManager:
    """Per-producer state of one partition log (see module docstring)."""

    __slots__ = ("producers", "_by_pid")

    def __init__(self):
        self.producers: dict[int, ProducerStateEntry] = {}
        # The same entries in a list indexed by producer id, for ids below DENSE_PIDS (the cluster hands
        # them out from 0): an append's lookup reads a list slot instead of a dictionary's table, which on
        # a large cluster (thousands of logs, each appended to now and then) is out of the caches.
        self._by_pid: list = []

    def _entry(self, producer_id: int):
        """The producer's entry, or None."""
        if 0 <= producer_id < len(self._by_pid):
            return self._by_pid[producer_id]
        return self.producers.get(producer_id)

    def _add(self, producer_id: int, epoch: int) -> ProducerStateEntry:
        """A new entry for the producer."""
        entry = self.producers[producer_id] = ProducerStateEntry(producer_id, epoch)
        if 0 <= producer_id < DENSE_PIDS:
            by_pid = self._by_pid
            if producer_id >= len(by_pid):
                by_pid.extend([None] * (producer_id + 1 - len(by_pid)))
            by_pid[producer_id] = entry
        return entry

    def check(self, producer_id: int, epoch: int, first_seq: int, last_seq: int):
        """What the leader does with a batch before appending it.

        Returns None (append it), the ``BatchMetadata`` of the batch it duplicates (do not append; answer
        with those offsets), or the name of the error: ``INVALID_PRODUCER_EPOCH`` or
        ``OUT_OF_ORDER_SEQUENCE_NUMBER``.
        """
        entry = self._entry(producer_id)
        if entry is None:
            return None  # a producer this log has never seen: any sequence is accepted
        dup = entry.find_duplicate(epoch, first_seq, last_seq)
        if dup is not None:
            return dup
        if epoch < entry.producer_epoch:
            return INVALID_PRODUCER_EPOCH
        if epoch != entry.producer_epoch:
            return None if first_seq == 0 else OUT_OF_ORDER_SEQUENCE_NUMBER
        if entry.count and not in_sequence(entry.last_seq, first_seq):
            return OUT_OF_ORDER_SEQUENCE_NUMBER
        return None

    def append(
        self,
        producer_id: int,
        epoch: int,
        first_seq: int,
        last_seq: int,
        first_offset: int,
        last_offset: int,
        timestamp_ms: float,
    ) -> None:
        """Record an appended batch (``ProducerStateEntry.addBatch``; a new epoch clears the old batches)."""
        entry = self._entry(producer_id)
        if entry is None:
            entry = self._add(producer_id, epoch)
        entry.add_batch(epoch, first_seq, last_seq, first_offset, last_offset, timestamp_ms)

    def validate(
        self,
        producer_id: int,
        epoch: int,
        first_seq: int,
        last_seq: int,
        first_offset: int,
        count: int,
        timestamp_ms: float,
    ):
        """``check`` and, if the batch is to be appended at ``first_offset``, ``append`` it (one call).

        Returns what ``check`` returns. The caller appends the batch to the log when it gets None, at
        ``first_offset`` (the log end offset now).
        """
        entry = self._entry(producer_id)
        if entry is None:
            entry = self._add(producer_id, epoch)
        elif epoch != entry.producer_epoch or not in_sequence(entry.last_seq, first_seq):
            verdict = self.check(producer_id, epoch, first_seq, last_seq)  # the next batch skips the scan
            if verdict is not None:
                return verdict
        entry.add_batch(epoch, first_seq, last_seq, first_offset, first_offset + count - 1, timestamp_ms)
        return None

    def truncate(self, offset: int) -> None:
        """The log was truncated to ``offset``: batches from there on are forgotten (Kafka reloads the
        state from the log; a producer with no batch left is forgotten too, and starts afresh)."""
        for pid, entry in list(self.producers.items()):
            had = entry.count
            entry.keep_below(offset)
            if had and not entry.count:
                del self.producers[pid]
                if 0 <= pid < len(self._by_pid):
                    self._by_pid[pid] = None

    def entry(self, producer_id: int) -> ProducerStateEntry | None:
        return self._entry(producer_id)
