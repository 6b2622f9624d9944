# cython: boundscheck=False
# (Compiled, the typed views' indices are not checked: extend, the one loop over them, stays inside the
# buffer it grows first.)
"""``PartitionQueue``: the records waiting in one partition of a producer's accumulator.

What Kafka does (``RecordAccumulator``'s ``ConcurrentMap<TopicPartition, Deque<ProducerBatch>>``): each
partition has a deque of batches; ``send()`` appends a record to the last one, opening a new batch when
it does not fit, and a drain takes the first. Retried batches go back to the front of the deque.

What is modelled: the records themselves, not batch objects, as one block of rows (create and append
times, record id, key id, value size: the columns of ``ProducerBatch``) with running sums of record and
value bytes, from which the accumulator finds the first batch by a search (``record_accumulator.py``);
retried batches wait in ``retries``. The block has spare capacity and drops the drained rows only when
it must grow, so appending a record or two at a time costs no copy of the backlog. Compiled, the rows
are copied and the sums continued in a C loop over typed views (``partition_queue.pxd``).

Not modelled: the batches' buffers from ``buffer.memory`` (the accumulator counts their bytes).
"""

from __future__ import annotations

import math
from array import array
from collections import deque

import numpy as np

from eventsim.producer.producer_batch import ProducerBatch
from eventsim.protocol import APPEND_MS, RECORD_COLUMNS
from eventsim.structs import TopicPartition

__all__ = ["PartitionQueue", "MIN_QUEUE_ROWS", "NO_RETRIES"]

INF = math.inf


def _column(typecode: str, n: int) -> array:
    """An ``array.array`` of ``n`` zeros (written once, by repetition: no zeroed bytes object to copy)."""
    return array(typecode, _ZERO[typecode]) * n


_ZERO = {"d": [0.0], "q": [0]}


def _running_sum(sums: array, start: int, values: np.ndarray, base: int) -> None:
    """Write the running sum of ``values``, continuing from ``base``, into ``sums`` from ``start``."""
    cum = np.cumsum(values, dtype=np.int64)
    cum += base
    np.frombuffer(sums, dtype=np.int64)[start : start + len(cum)] = cum


try:  # compiled, the appends below copy rows in a C loop; as Python, numpy does
    import cython
except ImportError:  # pure Python, without Cython installed
    from eventsim._compiled import cython_stand_in as cython
_COMPILED = cython.compiled
NUM_COLUMNS = len(RECORD_COLUMNS)


# The smallest block a partition's queue allocates (with its three arrays, 64 bytes a row). A queue drops
# its drained records only when its block must grow, so the block's spare rows set how often that happens:
# 32 rows (2 KiB) make it once per thirty-odd records on a partition that receives a record or two at a
# time, and keep a producer that writes to a thousand such partitions at 2 MiB of blocks (fifty producers
# on a thousand partitions, `large.yaml`: 100 MiB). A busy partition's appends come a chunk at a time and
# grow the block to twice the chunk, so the minimum does not matter there.
MIN_QUEUE_ROWS = 32
NO_RETRIES = ()
SMALL_EXTEND = 8  # an append of at most this many records fills the queue's sums without numpy


class PartitionQueue:
    """Records appended to one partition and not yet drained (numpy columns, head index)."""

    __slots__ = (
        "tp",
        "leader",
        "head",
        "n",
        "retries",
        "ready_ms",
        "full_end",
        "full_ms",
        "append_times",
        "cum_bytes",
        "cum_values",
        "cum_bytes_base",
        "cum_values_base",
        "records",
        "txn",
        "slot",
        "rows_view",
        "times_view",
        "bytes_view",
        "values_view",
    )

    def __init__(self, tp: TopicPartition, leader: int):
        self.tp = tp
        self.leader = leader
        self.head = 0
        self.n = 0
        self.records = np.empty((0, len(RECORD_COLUMNS)), dtype=np.float64)  # see ProducerBatch
        # A twin of append_ms and running sums of record and value bytes, index-aligned with the block and
        # as long as it (its capacity, not ``n``), as ``array.array``: scalar lookups and bisect are far
        # cheaper than on numpy arrays, and numpy fills them in place (``np.frombuffer``).
        self.append_times = array("d")
        self.cum_bytes = array("q")
        self.cum_values = array("q")
        self.cum_bytes_base = 0  # running sums just before index 0 (records dropped by compaction)
        self.cum_values_base = 0
        # No views until the first records come (``_grow``): nothing reads them while the queue is empty,
        # and a large cluster's producers hold tens of thousands of queues that mostly wait empty.
        self.rows_view = self.times_view = self.bytes_view = self.values_view = None
        # Retried batches waiting (a deque once one comes; until then the empty tuple, shared by every
        # queue: a large cluster's producers hold tens of thousands of queues that never retry, and a
        # check of an empty deque would read a deque object of each out of memory).
        self.retries: deque[ProducerBatch] | tuple = NO_RETRIES
        self.ready_ms = INF
        self.full_end = 0
        self.full_ms = INF
        self.txn = None  # the idempotent producer's TxnPartitionEntry for this partition
        self.slot = 0  # its place in its leader's list of queues (``RecordAccumulator.by_node``)

    def views(self) -> None:
        """The block and the three arrays as the drain reads them: the arrays themselves in Python;
        compiled, typed views (``partition_queue.pxd``), so that a lookup is a C read. The arrays are
        allocated at the block's capacity and replaced (never resized) when it grows, so the views are
        taken again only then."""
        self.rows_view = self.records
        self.times_view = self.append_times
        self.bytes_view = self.cum_bytes
        self.values_view = self.cum_values

    def pending(self) -> int:
        return self.n - self.head

    def pending_bytes(self) -> int:
        if self.n == self.head:
            return 0
        base = self.cum_bytes[self.head - 1] if self.head else self.cum_bytes_base
        return self.cum_bytes[self.n - 1] - base

    def _grow(self, m: int) -> None:
        """Room for ``m`` more records: a new block and arrays, twice what the live records and the new
        ones need, holding the live records from index 0 (the drained ones before ``head`` are dropped)."""
        h, n = self.head, self.n
        live = n - h
        cap = max(2 * (live + m), MIN_QUEUE_ROWS)
        buf = np.empty((cap, len(RECORD_COLUMNS)), dtype=np.float64)
        buf[:live] = self.records[h:n]
        if h:
            self.cum_bytes_base = self.cum_bytes[h - 1]  # the running sums stay absolute
            self.cum_values_base = self.cum_values[h - 1]
        times, cb, cv = _column("d", cap), _column("q", cap), _column("q", cap)
        times[:live] = self.append_times[h:n]
        cb[:live] = self.cum_bytes[h:n]
        cv[:live] = self.cum_values[h:n]
        self.records, self.append_times, self.cum_bytes, self.cum_values = buf, times, cb, cv
        self.head, self.n = 0, live
        self.views()

    def extend(self, block: np.ndarray, sizes: np.ndarray, values: np.ndarray, lo: int, hi: int) -> None:
        """Append rows ``lo .. hi - 1`` of ``block`` (records as in ``ProducerBatch``) at the tail, with
        their record and value sizes in bytes ``sizes[lo:hi]``, ``values[lo:hi]`` (int64), in amortised
        O(hi - lo).

        The block lives in a buffer with spare capacity; drained records before ``head`` are dropped only
        when the buffer must grow, so a long backlog is not copied on every append. Compiled, the rows
        are copied and the running sums continued in a C loop over typed views (no numpy call, no Python
        object per record: a producer writing to many partitions appends a record or two at a time).
        """
        m = hi - lo
        if m <= 0:
            return
        if self.n + m > self.records.shape[0]:
            self._grow(m)
        n = self.n
        total_b = self.bytes_view[n - 1] if n else self.cum_bytes_base
        total_v = self.values_view[n - 1] if n else self.cum_values_base
        if _COMPILED:
            rows, times, cb, cv = self.rows_view, self.times_view, self.bytes_view, self.values_view
            columns, at = NUM_COLUMNS, APPEND_MS
            for i in range(m):
                k = lo + i
                for j in range(columns):
                    rows[n + i, j] = block[k, j]
                times[n + i] = block[k, at]
                total_b += sizes[k]
                cb[n + i] = total_b
                total_v += values[k]
                cv[n + i] = total_v
        else:
            self.records[n : n + m] = block[lo:hi]
            if m <= SMALL_EXTEND:
                # A record or two: the same values one by one, cheaper than the numpy calls for a handful.
                times, cb, cv = self.append_times, self.cum_bytes, self.cum_values
                ats, sz, vs = block[lo:hi, APPEND_MS].tolist(), sizes[lo:hi].tolist(), values[lo:hi].tolist()
                for i, (at, size, value) in enumerate(zip(ats, sz, vs, strict=True)):
                    times[n + i] = at
                    total_b += size
                    cb[n + i] = total_b
                    total_v += value
                    cv[n + i] = total_v
            else:
                np.frombuffer(self.append_times, dtype=np.float64)[n : n + m] = block[lo:hi, APPEND_MS]
                _running_sum(self.cum_bytes, n, sizes[lo:hi], total_b)
                _running_sum(self.cum_values, n, values[lo:hi], total_v)
        self.n = n + m
