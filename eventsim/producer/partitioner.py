"""The producer's partitioner: Kafka's murmur2 for keyed records, the built-in sticky partitioner otherwise.

What Kafka does
---------------
*Keyed records* go to ``toPositive(murmur2(keyBytes)) % numPartitions`` where ``murmur2`` is Kafka's
32-bit MurmurHash2 variant (``org.apache.kafka.common.utils.Utils.murmur2``: seed ``0x9747b28c``,
``m = 0x5bd1e995``, ``r = 24``, little-endian 4-byte blocks, tail bytes folded in, final mix) and
``toPositive(x) = x & 0x7fffffff``. Since Kafka 3.3 this lives in ``BuiltInPartitioner.partitionForKey``
(``clients/src/main/java/org/apache/kafka/clients/producer/internals/BuiltInPartitioner.java``).

*Records without a key* use sticky partitioning: KIP-480 (Kafka 2.4) sticks to one partition until a
batch is sent; KIP-794 (Kafka 3.3, the built-in "uniform sticky" partitioner) instead counts the bytes
produced to the current partition and switches when ``producedBytes >= batch.size`` and the append
created a new batch (or filled the last one), or unconditionally once ``producedBytes >= 2 * batch.size``
(``BuiltInPartitioner.updatePartitionInfo``; ``RecordAccumulator.append`` passes
``enableSwitch = allBatchesFull(deque)`` for appends to an existing batch). The next partition is drawn
uniformly among partitions with a leader, or, with ``partitioner.adaptive.partitioning.enable=true``
(the default), weighted by ``max_queue + 1 - queue`` over the per-partition batch-queue lengths that
``RecordAccumulator.partitionReady`` collects ("partition load stats"; partitions whose leader has not
drained for ``partitioner.availability.timeout.ms`` are left out).

What is modelled
----------------
* :func:`murmur2` (scalar, exact) and :func:`murmur2_many` (numpy, bit-identical, ~10^6 keys per
  fraction of a second), :func:`partition_for_key` and :func:`partitions_for_keys`.
* :class:`KeyPartitionTable`: the key-id -> partition cache the workload uses, so each distinct key
  is hashed once per run.
* :class:`BuiltInPartitioner`: the KIP-794 switch rule and the uniform / adaptive choice of the next
  partition, applied to a block of records at once (one loop iteration per partition switch).

What is not
-----------
* The exact "a new batch was created" test: records are assigned in bulk before the accumulator forms
  batches, so batch boundaries are approximated as multiples of ``batch.size`` (see
  :meth:`BuiltInPartitioner.assign`). Per-batch record overhead and the slack left when a record does
  not fit in the open batch are ignored.
* Adaptive partitioning is used whenever queue sizes are supplied; Kafka waits until the accumulator
  has a deque for every partition of the topic. Load stats are a snapshot per :meth:`assign` call,
  where Kafka refreshes them on every ``ready()`` pass of the ``Sender``.
* Custom ``partitioner.class`` implementations (and the removed ``DefaultPartitioner`` /
  ``UniformStickyPartitioner``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "MURMUR2_SEED",
    "MURMUR2_M",
    "murmur2",
    "murmur2_many",
    "to_positive",
    "partition_for_key",
    "partitions_for_keys",
    "KeyPartitionTable",
    "BuiltInPartitioner",
    "RoundRobinPartitioner",
]

MURMUR2_SEED = 0x9747B28C
MURMUR2_M = 0x5BD1E995
_R = 24
_MASK32 = 0xFFFFFFFF

_U32_SEED = np.uint32(MURMUR2_SEED)
try:  # compiled, the per-key loop below runs as C; as Python, numpy does the same in passes
    import cython
except ImportError:  # pure Python, without Cython installed
    from eventsim._compiled import cython_stand_in as cython
_COMPILED = cython.compiled
_U32_M = np.uint32(MURMUR2_M)


def _to_int32(x: int) -> int:
    """Reinterpret an unsigned 32-bit value as a Java ``int``."""
    return x - 0x1_0000_0000 if x & 0x8000_0000 else x


def murmur2(data: bytes) -> int:
    """Kafka's ``Utils.murmur2``: the 32-bit MurmurHash2 of ``data`` as a Java signed ``int``."""
    data = bytes(data)
    length = len(data)
    m = MURMUR2_M
    h = (MURMUR2_SEED ^ length) & _MASK32
    length4 = length & ~3
    for i in range(0, length4, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & _MASK32
        k ^= k >> _R
        k = (k * m) & _MASK32
        h = (h * m) & _MASK32
        h ^= k
    tail = length & 3
    # Java's switch falls through: case 3 -> case 2 -> case 1, and only case 1 multiplies.
    if tail >= 3:
        h ^= data[length4 + 2] << 16
    if tail >= 2:
        h ^= data[length4 + 1] << 8
    if tail >= 1:
        h ^= data[length4]
        h = (h * m) & _MASK32
    h ^= h >> 13
    h = (h * m) & _MASK32
    h ^= h >> 15
    return _to_int32(h)


def to_positive(x):
    """Kafka's ``Utils.toPositive``: clear the sign bit (``x & 0x7fffffff``); works on ints and arrays."""
    return x & 0x7FFFFFFF


def _check_num_partitions(num_partitions: int) -> int:
    if isinstance(num_partitions, bool) or not isinstance(num_partitions, (int, np.integer)):
        raise TypeError(f"num_partitions must be an integer, got {num_partitions!r}")
    if num_partitions < 1:
        raise ValueError(f"num_partitions must be >= 1, got {num_partitions}")
    return int(num_partitions)


def partition_for_key(key: bytes, num_partitions: int) -> int:
    """The partition Kafka's built-in partitioner picks for a record with a non-null ``key``."""
    return to_positive(murmur2(key)) % _check_num_partitions(num_partitions)


def _murmur2_rows(rows: np.ndarray) -> np.ndarray:
    """murmur2 of every row of a ``(count, length)`` uint8 array (all keys the same length) -> uint32."""
    count, length = rows.shape
    h = np.full(count, (MURMUR2_SEED ^ length) & _MASK32, dtype=np.uint32)
    length4 = length & ~3
    if length4:
        # Little-endian 4-byte blocks, one column per block.
        words = np.ascontiguousarray(rows[:, :length4]).view("<u4").astype(np.uint32, copy=False)
        for j in range(words.shape[1]):
            k = words[:, j] * _U32_M
            k ^= k >> np.uint32(_R)
            k *= _U32_M
            h *= _U32_M
            h ^= k
    tail = length & 3
    if tail >= 3:
        h ^= rows[:, length4 + 2].astype(np.uint32) << np.uint32(16)
    if tail >= 2:
        h ^= rows[:, length4 + 1].astype(np.uint32) << np.uint32(8)
    if tail >= 1:
        h ^= rows[:, length4].astype(np.uint32)
        h *= _U32_M
    h ^= h >> np.uint32(13)
    h *= _U32_M
    h ^= h >> np.uint32(15)
    return h


def murmur2_many(keys: Sequence[bytes]) -> np.ndarray:
    """:func:`murmur2` of every key, vectorised; returns an int32 array (Java ``int`` values).

    Keys are grouped by length and concatenated group by group, so each group is one contiguous
    ``(count, length)`` byte matrix; the 4-byte blocks are then mixed column by column with uint32
    arithmetic (which wraps modulo 2**32 exactly like Java ``int`` multiplication).
    """
    n = len(keys)
    out = np.empty(n, dtype=np.int32)
    if n == 0:
        return out
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=n)
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    buf = np.frombuffer(b"".join([keys[i] for i in order.tolist()]), dtype=np.uint8)
    # Group boundaries in the length-sorted order.
    starts = np.flatnonzero(np.r_[True, sorted_lengths[1:] != sorted_lengths[:-1]])
    ends = np.r_[starts[1:], n]
    byte_pos = 0
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        length = int(sorted_lengths[s])
        nbytes = (e - s) * length
        rows = buf[byte_pos : byte_pos + nbytes].reshape(e - s, length)
        byte_pos += nbytes
        out[order[s:e]] = _murmur2_rows(rows).view(np.int32)
    return out


def partitions_for_keys(keys: Sequence[bytes], num_partitions: int) -> np.ndarray:
    """:func:`partition_for_key` for every key (int32 array)."""
    num_partitions = _check_num_partitions(num_partitions)
    return (to_positive(murmur2_many(keys)) % np.int32(num_partitions)).astype(np.int32, copy=False)


def _lookup_loop(table, ids, out, key, pre, suffix, num_partitions) -> None:
    """The compiled build's :meth:`KeyPartitionTable.lookup` for keys ``prefix + decimal id + suffix``
    (typed in partitioner.pxd): each id's partition from the table, or, for an id not seen yet, from
    murmur2 of its key written into ``key`` (the prefix already there), stored in the table."""
    mask = 0xFFFFFFFF
    m = MURMUR2_M
    seed = MURMUR2_SEED
    suf = suffix.shape[0]
    missing = 0
    with cython.boundscheck(False), cython.wraparound(False):  # indices valid by construction
        for i in range(ids.shape[0]):  # the table's entries first: their memory reads overlap ...
            p = table[ids[i]]
            out[i] = p
            if p < 0:
                missing += 1
        for i in range(ids.shape[0] if missing else 0):  # ... then the ids not seen yet, hashed once each
            if out[i] >= 0:
                continue
            kid = int(ids[i])
            p = table[kid]
            if p < 0:
                digits = 1
                q = kid
                while q >= 10:
                    q //= 10
                    digits += 1
                q = kid
                for j in range(pre + digits - 1, pre - 1, -1):
                    key[j] = 48 + q % 10
                    q //= 10
                for j in range(suf):
                    key[pre + digits + j] = suffix[j]
                length = pre + digits + suf
                h = (seed ^ length) & mask
                length4 = length - (length & 3)
                for j in range(0, length4, 4):
                    k = int(key[j + 3])  # a little-endian word, in 64-bit numbers (Python ints as Python)
                    b = int(key[j + 2])
                    k = (k << 8) | b
                    b = int(key[j + 1])
                    k = (k << 8) | b
                    b = int(key[j])
                    k = (k << 8) | b
                    k = (k * m) & mask
                    k ^= k >> 24
                    k = (k * m) & mask
                    h = (h * m) & mask
                    h ^= k
                tail = length & 3
                if tail >= 3:
                    k = int(key[length4 + 2])
                    h ^= k << 16
                if tail >= 2:
                    k = int(key[length4 + 1])
                    h ^= k << 8
                if tail >= 1:
                    k = int(key[length4])
                    h ^= k
                    h = (h * m) & mask
                h ^= h >> 13
                h = (h * m) & mask
                h ^= h >> 15
                p = (h & 0x7FFFFFFF) % num_partitions
                table[kid] = p
            out[i] = p


class KeyPartitionTable:
    """Lazy key-id -> partition table for one topic: each distinct key is hashed once.

    ``key_bytes`` turns an array of key ids into the serialized keys (e.g. ``KeySpec.key_bytes``).
    :meth:`lookup` hashes only ids it has not seen, so after warm-up a lookup is one numpy gather.
    Null keys (id ``-1``) are not keyed records; they go through :class:`BuiltInPartitioner`.
    """

    def __init__(
        self,
        key_bytes: Callable[[np.ndarray], list[bytes]],
        num_keys: int,
        num_partitions: int,
        key_rows: Callable | None = None,
        key_affixes: tuple[bytes, bytes] | None = None,
    ):
        if isinstance(num_keys, bool) or not isinstance(num_keys, (int, np.integer)) or num_keys < 0:
            raise ValueError(f"num_keys must be a non-negative integer, got {num_keys!r}")
        self.key_bytes = key_bytes
        # Optional fast path: ids -> [(ids_group, uint8 key matrix)], e.g. ``KeySpec.key_rows``.
        self.key_rows = key_rows
        # Optional: keys are prefix + the id in decimal + suffix (``KeySpec.key_affixes``); compiled, a
        # lookup then hashes unseen ids in its one C loop, from the id's digits.
        self._affixes = key_affixes
        if key_affixes is not None:
            prefix, suffix = key_affixes
            self._key = np.zeros(len(prefix) + 20 + len(suffix), dtype=np.uint8)  # 20 digits: any int64
            self._key[: len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
            self._suffix = np.frombuffer(suffix, dtype=np.uint8).copy()
        self.num_keys = int(num_keys)
        self.num_partitions = _check_num_partitions(num_partitions)
        # Negative = not computed yet (-1, or a mark of ``lookup``); a computed partition is always >= 0.
        self._table = np.full(self.num_keys, -1, dtype=np.int32)

    @property
    def computed(self) -> int:
        """How many distinct keys have been hashed so far."""
        return int(np.count_nonzero(self._table >= 0))

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """Partitions (int32) of the keys with the given ids, hashing unseen ids on the way."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return np.empty(ids.shape, dtype=np.int32)
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= self.num_keys:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"key id {bad} outside [0, {self.num_keys}); records without a key (id -1) are "
                "partitioned by BuiltInPartitioner, not by key"
            )
        if _COMPILED and self._affixes is not None:
            parts = np.empty(ids.shape, dtype=np.int32)
            _lookup_loop(
                self._table, ids.reshape(-1), parts.reshape(-1), self._key, len(self._affixes[0]),
                self._suffix, self.num_partitions,
            )
            return parts
        parts = self._table[ids]
        missing = parts < 0
        if missing.any():
            seen = ids[missing]
            # The distinct ones among them, without a sort: each occurrence writes its own mark into its
            # id's (still unset) entry, and the mark that stays picks one occurrence per id.
            marks = -2 - np.arange(seen.size, dtype=np.int32)
            self._table[seen] = marks
            new_ids = seen[self._table[seen] == marks]
            if self.key_rows is not None:
                for group, rows in self.key_rows(new_ids):
                    h = _murmur2_rows(rows).view(np.int32)
                    self._table[group] = (h & 0x7FFFFFFF) % self.num_partitions
            else:
                self._table[new_ids] = partitions_for_keys(self.key_bytes(new_ids), self.num_partitions)
            parts[missing] = self._table[seen]
        return parts


class RoundRobinPartitioner:
    """Records without a key before Kafka 2.4 (``DefaultPartitioner``; the 0.8 producer's
    ``Partitioner``): each record goes to the next partition, from a counter that starts at a random
    value (``Utils.toPositive(counter.getAndIncrement()) % partitions``), applied in bulk."""

    def __init__(self, num_partitions: int, rng: np.random.Generator):
        self.num_partitions = _check_num_partitions(num_partitions)
        self._next = int(rng.integers(num_partitions))  # ThreadLocalRandom.nextInt() % partitions

    def assign(self, record_sizes: np.ndarray, queue_sizes=None, **_) -> np.ndarray:
        """Partitions (int32) for a block of key-less records, in arrival order."""
        n = len(record_sizes)
        parts = ((self._next + np.arange(n, dtype=np.int64)) % self.num_partitions).astype(np.int32)
        self._next = (self._next + n) % self.num_partitions
        return parts


class BuiltInPartitioner:
    """Kafka 3.3+'s sticky partitioner for records without a key (KIP-480, KIP-794), applied in bulk.

    ``sticky_batch_size`` is ``batch.size`` (Kafka passes ``max(1, batch.size)``, so ``batch.size=0``
    means 1 byte: switch after every record). ``adaptive`` is
    ``partitioner.adaptive.partitioning.enable``. All randomness comes from ``rng``; the same seed and
    the same sequence of :meth:`assign` calls give the same partitions.
    """

    def __init__(
        self,
        num_partitions: int,
        sticky_batch_size: int,
        rng: np.random.Generator,
        adaptive: bool = True,
    ):
        self.num_partitions = _check_num_partitions(num_partitions)
        if isinstance(sticky_batch_size, bool) or not isinstance(sticky_batch_size, (int, np.integer)):
            raise TypeError(f"sticky_batch_size must be an integer, got {sticky_batch_size!r}")
        if sticky_batch_size < 1:
            # Kafka: IllegalArgumentException("stickyBatchSize must be >= 1 ...")
            raise ValueError(f"sticky_batch_size must be >= 1, got {sticky_batch_size}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy.random.Generator")
        self.sticky_batch_size = int(sticky_batch_size)
        self.adaptive = bool(adaptive)
        self._rng = rng
        self._partition: int | None = None  # chosen lazily, like peekCurrentPartitionInfo
        self._produced_bytes = 0  # StickyPartitionInfo.producedBytes; invariant: < 2 * sticky_batch_size
        self._open_fill = 0  # assumed fill of the open batch when the current stint began

    @property
    def sticky_partition(self) -> int | None:
        """The current sticky partition (``None`` before the first record)."""
        return self._partition

    @property
    def produced_bytes(self) -> int:
        """Bytes produced to the current sticky partition since the last switch."""
        return self._produced_bytes

    def _next_partitions(self, count: int, queue_sizes, available) -> np.ndarray:
        """Draw ``count`` successive "next partition" choices (``BuiltInPartitioner.nextPartition``)."""
        n = self.num_partitions
        if available is None:
            candidates = np.arange(n)
        else:
            available = np.asarray(available, dtype=bool)
            if available.shape != (n,):
                raise ValueError(f"available must have shape ({n},), got {available.shape}")
            candidates = np.flatnonzero(available)
            if candidates.size == 0:
                # Kafka: no available partitions -> pick among all partitions.
                candidates = np.arange(n)
        u = self._rng.random(count)
        if self.adaptive and queue_sizes is not None and n >= 2:
            queues = np.asarray(queue_sizes, dtype=np.int64)
            if queues.shape != (n,):
                raise ValueError(f"queue_sizes must have shape ({n},), got {queues.shape}")
            if (queues < 0).any():
                raise ValueError("queue_sizes must be >= 0")
            q = queues[candidates]
            all_equal = bool((q == q[0]).all())
            if not (all_equal and candidates.size == n):
                # Partition load stats: invert the queue sizes (max + 1 - queue) and build the
                # cumulative frequency table; a uniform draw in [0, total) maps to the first entry
                # strictly greater than it.
                cft = np.cumsum(q.max() + 1 - q)
                idx = np.searchsorted(cft, u * cft[-1], side="right")
                return candidates[np.minimum(idx, candidates.size - 1)]
        idx = (u * candidates.size).astype(np.int64)
        return candidates[np.minimum(idx, candidates.size - 1)]

    def assign(
        self,
        record_sizes: np.ndarray,
        queue_sizes: np.ndarray | None = None,
        *,
        available: np.ndarray | None = None,
        open_batch_bytes: np.ndarray | None = None,
    ) -> np.ndarray:
        """Partitions (int32) for a block of key-less records, in arrival order.

        ``record_sizes`` are the bytes each append adds (Kafka's ``appendedBytes``). ``queue_sizes``
        (length ``num_partitions``) are the accumulator's batch-deque lengths per partition, used for
        adaptive partitioning when ``adaptive`` is on; ``None`` means no load stats (uniform choice).
        ``available`` (bool mask) marks partitions that have a leader and are not excluded by
        ``partitioner.availability.timeout.ms``; ``None`` means all.

        Switch rule (``updatePartitionInfo``): after appending a record, switch if
        ``produced >= batch.size`` and that append started a new batch, or if
        ``produced >= 2 * batch.size``. The switching record stays on the old partition.

        Approximation: records are assigned before the accumulator forms batches, so "the append
        started a new batch" is taken to be "``open + produced`` crossed a multiple of ``batch.size``",
        where ``open`` is the fill of the partition's open batch when the stint began
        (``open_batch_bytes[p] % batch.size``; 0 when ``open_batch_bytes`` is None, and then the rule
        reduces to "switch after the first record that brings ``produced`` to ``>= batch.size``").
        With a partly filled open batch (typical with a long ``linger.ms``) the switch lands on the
        next batch boundary, between ``batch.size`` and ``2 * batch.size`` bytes, as in Kafka.
        Within one call, a partition revisited after a switch is assumed to keep the fill the
        previous stint left. Record overhead and the slack of records that do not fit are ignored.

        The loop runs once per partition switch, using the cumulative sum of sizes and
        ``searchsorted``; the random draws for the block are made up front.
        """
        sizes = np.asarray(record_sizes)
        if sizes.ndim != 1:
            raise ValueError("record_sizes must be a 1-D array")
        if sizes.size and not np.issubdtype(sizes.dtype, np.integer):
            if not np.all(np.equal(np.mod(sizes, 1), 0)):
                raise ValueError("record_sizes must be whole bytes")
        sizes = sizes.astype(np.int64, copy=False)
        n = sizes.size
        out = np.empty(n, dtype=np.int32)
        if n == 0:
            return out
        if (sizes < 0).any():
            raise ValueError("record_sizes must be >= 0")
        B = self.sticky_batch_size
        if open_batch_bytes is None:
            fill = None
        else:
            fill = np.asarray(open_batch_bytes, dtype=np.int64) % B
            if fill.shape != (self.num_partitions,):
                raise ValueError(f"open_batch_bytes must have shape ({self.num_partitions},)")
            fill = fill.copy()

        cum = np.cumsum(sizes)
        total = int(cum[-1])
        # Each switch needs >= B bytes on the current partition, so this bounds the draws needed.
        n_draws = (self._produced_bytes + total) // B + (2 if self._partition is None else 1)
        choices = self._next_partitions(n_draws, queue_sizes, available).tolist()
        next_choice = 0

        if self._partition is None:
            self._partition = int(choices[next_choice])
            next_choice += 1
            self._produced_bytes = 0
            self._open_fill = 0 if fill is None else int(fill[self._partition])

        start = 0
        base = 0  # cumulative bytes before record `start`
        while start < n:
            p = self._partition
            o = self._open_fill
            # produced after record i = cum[i] - shift
            shift = base - self._produced_bytes
            # first i with produced >= B (never before `start`: earlier records are on other stints)
            end = max(start, int(np.searchsorted(cum, shift + B, side="left")))
            if end < n and o:
                prev = int(cum[end - 1]) if end > 0 else base
                produced_prev = prev - shift
                produced_end = int(cum[end]) - shift
                if (o + produced_end) // B == (o + produced_prev) // B:
                    # No batch boundary at this record: switch on the next one. With 0 < o < B that
                    # boundary comes at produced < 2 * B, so Kafka's 2x cap never binds in this model.
                    boundary = ((o + produced_end) // B + 1) * B
                    end = max(start, int(np.searchsorted(cum, boundary - o + shift, side="left")))
            if end >= n:
                out[start:] = p
                self._produced_bytes = total - shift
                break
            out[start : end + 1] = p
            if fill is not None:
                fill[p] = (o + int(cum[end]) - shift) % B
            # Switch (a fresh StickyPartitionInfo, even if the draw returns the same partition).
            self._partition = int(choices[next_choice])
            next_choice += 1
            self._produced_bytes = 0
            self._open_fill = 0 if fill is None else int(fill[self._partition])
            base = int(cum[end])
            start = end + 1
        return out
