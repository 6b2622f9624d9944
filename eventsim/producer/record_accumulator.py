"""``RecordAccumulator``: per-partition queues of records waiting to be batched and sent.

What Kafka does (``clients/.../producer/internals/RecordAccumulator.java``): ``send()`` appends each
record to the last open ``ProducerBatch`` of its partition, opening a new one (allocated from the
``buffer.memory`` pool, at least ``batch.size`` bytes) when it does not fit. ``ready(now)`` finds the
leaders with a *sendable* partition: its first batch is full (``deque.size() > 1 || batch.isFull()``),
or has waited ``linger.ms`` (``retry.backoff.ms`` for a retried batch), or the pool is exhausted.
``drain(nodes, maxRequestSize, now)`` then takes, for every ready leader, the **first batch of each
partition it leads** (ready or not), rotating the starting partition, until the request would exceed
``max.request.size``. One produce request per broker per drain.

What is modelled: exactly that, on numpy arrays. Records waiting in a partition are one block, row per
record (create and append times, record id, key id, value size; see ``ProducerBatch``) plus running
sums of bytes (a ``PartitionQueue``, ``partition_queue.py``);
the batches are implicit: the first batch is the run of records from the head whose bytes fit in
``batch.size``, so finding it is one ``searchsorted``, and "full" is the arrival of the first record
that does not fit. Nothing is done per record in Python. With compression, a batch holds
``batch.size`` of *compressed* bytes at the codec's ratio (Kafka estimates that ratio as it goes).
Retried batches wait in front of new records of their partition, each for its own backoff (Kafka's
``ExponentialBackoff``, KIP-580: ``retry.backoff.ms`` doubling up to ``retry.backoff.max.ms``, ±20 %
jitter drawn once per retry from the producer's random stream; see ``core/backoff.py``). Without
idempotence a retried batch goes to the front of its partition (``addFirst``: several retried batches
of one partition go out in reverse, so a retry can reorder records); with it, batches are re-enqueued in
sequence order (``insertInSequenceOrder``) and the partition's ``TxnPartitionEntry`` decides what may be
drained (``shouldStopDrainBatchesForPartition``: only the first in-flight batch is retried; new batches
wait while an older epoch is in flight or sequences are unresolved; see ``transaction_manager.py``).
A partition that must wait has ``ready_ms`` infinite until the transaction manager frees it.

Not modelled: transactions, ``flush()``/``close()`` (the run simply ends), and the exact adaptive
compression-ratio estimator.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from eventsim.core.backoff import ExponentialBackoff
from eventsim.producer.partition_queue import MIN_QUEUE_ROWS, NO_RETRIES, PartitionQueue
from eventsim.producer.producer_batch import ProducerBatch, fill_producer_batch
from eventsim.protocol import (
    CREATE_MS,
    INT_MAX,
    RECORD_BATCH_OVERHEAD,
    VALUE_BYTES,
)
from eventsim.structs import TopicPartition

__all__ = ["PartitionQueue", "RecordAccumulator", "ReadyCheckResult", "MIN_QUEUE_ROWS"]

INF = math.inf
FIRST_BATCH_SPAN = 128  # records searched first for the end of a partition's first batch


def _first_above(a, x, lo: int, hi: int) -> int:
    """``bisect_right(a, x, lo, hi)``: the first index of ``lo .. hi - 1`` whose value is above ``x`` (or
    ``hi``), ``a`` sorted. A loop, not ``bisect``: compiled, ``a`` is a typed view of a queue's array
    (``PartitionQueue.views``) and the search runs without a Python object per probe."""
    while lo < hi:
        mid = (lo + hi) // 2
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


class ReadyCheckResult:
    __slots__ = ("ready_nodes", "next_ready_ms")

    def __init__(self, ready_nodes: set[int], next_ready_ms: float):
        self.ready_nodes = ready_nodes
        self.next_ready_ms = next_ready_ms


def _widened(grid, rows: int, width: int, fill) -> np.ndarray:
    """``grid`` (a row per leader; one number per row when 1-D) in a new array of ``rows`` rows, ``width``
    wide, of its dtype: its values kept, the new places ``fill``."""
    old = np.asarray(grid)
    if old.ndim == 1:
        new = np.full(rows, fill, dtype=old.dtype)
        new[: old.shape[0]] = old
        return new
    new = np.full((rows, width), fill, dtype=old.dtype)
    new[: old.shape[0], : old.shape[1]] = old
    return new


class RecordAccumulator:
    """Batches records per partition and drains them per leader (see module docstring)."""

    def __init__(
        self,
        batch_size: int,
        linger_ms: float,
        retry_backoff_ms: float,
        compression_ratio: float,
        leaders: dict[TopicPartition, int],
        retry_backoff_max_ms: float = 1000.0,
        rng=None,
        header_bytes: int = RECORD_BATCH_OVERHEAD,
    ):
        """``rng``: the producer's random stream for the retry backoff's jitter (None: no jitter);
        ``header_bytes``: what a batch adds to its records in the message format (``batch_header_bytes``)."""
        self.batch_size = batch_size
        self.header_bytes = header_bytes
        self.linger_ms = float(linger_ms)
        self.retry_backoff_ms = float(retry_backoff_ms)
        self.retry_backoff_max_ms = float(retry_backoff_max_ms)
        self.backoff = ExponentialBackoff(self.retry_backoff_ms, max_ms=self.retry_backoff_max_ms)
        self.rng = rng
        self.transaction_manager = None  # set by the idempotent producer's TransactionManager
        self.compression_ratio = float(compression_ratio)
        # Records' bytes that fit in one batch: batch.size less the header, at the codec's ratio.
        self.fill_limit = max(batch_size - header_bytes, 0) * self.compression_ratio
        self.queues: dict[TopicPartition, PartitionQueue] = {}
        self.by_node: dict[int, list[PartitionQueue]] = {}
        self.drain_index: dict[int, int] = {}
        for tp, leader in leaders.items():
            pq = PartitionQueue(tp, leader)
            self.queues[tp] = pq
            pqs = self.by_node.setdefault(leader, [])
            pq.slot = len(pqs)
            pqs.append(pq)
        # Per leader, what a drain visits: the due queues (``_due_grid``, a row per leader, node id + 1, of a
        # flag per slot), those whose first record was appended by the time of the last drain, or that hold
        # retried batches; the other queues' first records wait in ``_arrival_grid`` (each slot's first
        # append time; INF: none awaited), from which each drain takes those that have come. A producer's
        # records are drawn ahead of time, so on a large cluster most of its queues hold only records still
        # to come: the drain passes over them without visiting them, and finds the ones that came, and the
        # due ones in slot order, in scans of a few contiguous cache lines.
        for node in self.by_node:
            self.drain_index[node] = 0
        # Per leader, its partitions' earliest ready_ms and whether that must be recomputed, in arrays indexed
        # by the node id + 1 (-1, no leader known, has a place too): a sender pass reads them for every
        # leader (numbers: a list of float objects would have it read an object per leader).
        self._ready_at = np.full(0, INF)
        self._dirty = np.zeros(0, dtype=np.uint8)
        # Each queue's ready_ms again, in a row per leader (node id + 1) indexed by the queue's slot: what
        # a recomputation of a leader's earliest time scans, a few contiguous cache lines instead of a
        # line of every queue that holds something (INF for the others).
        self._ready_grid = np.full((1, 1), INF)
        self._arrival_grid = np.full((1, 1), INF)
        # And the ``send()`` time of each queue's oldest waiting record or retried batch (INF: none), for
        # ``oldest_create_ms``: a scan of contiguous numbers instead of a visit to every queue holding one.
        self._oldest_grid = np.full((1, 1), INF)
        self._due_grid = np.zeros((1, 1), dtype=np.uint8)
        self._arrival_min = np.full(1, INF)  # per row, the earliest of its awaited times (INF: none)
        for node in self.by_node:
            self._node_slot(node)
        self.exhausted = False

    def _node_slot(self, node) -> None:
        """Room in the per-leader lists for leader ``node`` (nothing ready yet)."""
        rows = len(self._ready_at)
        if rows < node + 2:
            rows = node + 2
            self._ready_at = _widened(self._ready_at, rows, 1, INF)
            self._dirty = _widened(self._dirty, rows, 1, 0)
        width = max(self._ready_grid.shape[1], len(self.by_node.get(node, ())))
        if self._ready_grid.shape[0] < rows or width > self._ready_grid.shape[1]:
            self._ready_grid = _widened(self._ready_grid, rows, width, INF)
            self._arrival_grid = _widened(self._arrival_grid, rows, width, INF)
            self._oldest_grid = _widened(self._oldest_grid, rows, width, INF)
            self._due_grid = _widened(self._due_grid, rows, width, 0)
            self._arrival_min = _widened(self._arrival_min, rows, 1, INF)

    def move_partition(self, tp: TopicPartition, leader: int) -> None:
        """``tp``'s leader changed (the producer's metadata): drain its queue to ``leader`` from now on."""
        pq = self.queues[tp]
        if pq.leader == leader:
            return
        self.by_node[pq.leader].remove(pq)
        self._renumber(pq.leader)
        self._dirty[pq.leader + 1] = 1
        self.by_node.setdefault(leader, []).append(pq)
        self._node_slot(leader)
        self._renumber(leader)
        self.drain_index.setdefault(leader, 0)
        self._dirty[leader + 1] = 1
        pq.leader = leader

    def _renumber(self, node) -> None:
        """``node``'s queues moved in its list: their slots, which of them are due and when the others'
        first records come."""
        k = node + 1
        for i in range(self._ready_grid.shape[1]):
            self._ready_grid[k, i] = INF
            self._arrival_grid[k, i] = INF
            self._oldest_grid[k, i] = INF
            self._due_grid[k, i] = 0
        for i, pq in enumerate(self.by_node[node]):
            pq.slot = i
            self._ready_grid[k, i] = pq.ready_ms
            self._oldest_grid[k, i] = self._oldest_of(pq)
            if pq.retries:
                self._due_grid[k, i] = 1
            elif pq.head < pq.n:
                self._arrival_grid[k, i] = pq.times_view[pq.head]
        self._arrival_min[k] = INF
        for i in range(self._arrival_grid.shape[1]):
            if self._arrival_grid[k, i] < self._arrival_min[k]:
                self._arrival_min[k] = self._arrival_grid[k, i]

    # ------------------------------------------------------------------ append
    def append(self, tp: TopicPartition, records: np.ndarray, sizes: np.ndarray) -> None:
        """Append records (a block as in ``ProducerBatch``, sorted by ``append_ms``) to ``tp``'s queue."""
        block = np.ascontiguousarray(records, dtype=np.float64)
        values = block[:, VALUE_BYTES].astype(np.int64)
        sizes = np.ascontiguousarray(sizes, dtype=np.int64)
        self._append_rows(self.queues[tp], block, sizes, values, 0, len(block))

    def append_sorted(
        self, tps: list, bounds: list, block: np.ndarray, sizes: np.ndarray, values: np.ndarray
    ) -> None:
        """Append a chunk of records sorted by partition: rows ``bounds[p] .. bounds[p + 1] - 1`` of
        ``block`` (float64, C order) go to ``tps[p]``, each run sorted by ``append_ms``; ``sizes`` and
        ``values`` their record and value sizes (int64). One call per chunk, so that compiled the
        chunk's views are taken once."""
        queues = self.queues
        for p in range(len(tps)):
            lo = bounds[p]
            hi = bounds[p + 1]
            if lo < hi:
                self._append_rows(queues[tps[p]], block, sizes, values, lo, hi)

    def _append_rows(self, pq: PartitionQueue, block, sizes, values, lo: int, hi: int) -> None:
        was_empty = pq.head >= pq.n
        pq.extend(block, sizes, values, lo, hi)
        if was_empty:  # its new first record: due from its append time
            self._await(pq.leader + 1, pq.slot, pq.times_view[pq.head])
        self._update(pq)

    def _await(self, k: int, slot: int, t: float) -> None:
        """Queue ``slot`` of leader row ``k`` is due from ``t`` (the earlier time if it awaited one)."""
        if t < self._arrival_grid[k, slot]:
            self._arrival_grid[k, slot] = t
            if t < self._arrival_min[k]:
                self._arrival_min[k] = t

    def oldest_create_ms(self) -> float:
        """The ``send()`` time of the oldest record or retried batch waiting (inf: none): the least of the
        queues' (each the first retried batch's, else its first record's), kept as they change."""
        first = INF
        for k in range(self._oldest_grid.shape[0]):
            for i in range(self._oldest_grid.shape[1]):
                if self._oldest_grid[k, i] < first:
                    first = self._oldest_grid[k, i]
        return first

    def _oldest_of(self, pq: PartitionQueue) -> float:
        """``pq``'s oldest waiting ``send()`` time: its first retried batch's, or its first record's."""
        first = INF
        if pq.retries:
            first = pq.retries[0].first_create_ms
        if pq.head < pq.n and pq.rows_view[pq.head, CREATE_MS] < first:
            first = pq.rows_view[pq.head, CREATE_MS]
        return first

    def pending_alloc_bytes(self) -> int:
        """``buffer.memory`` the queued records take: whole ``batch.size`` buffers per batch."""
        total = 0
        per_batch = max(self.fill_limit, 1.0)
        for pq in self.queues.values():
            b = pq.pending_bytes()
            if b:
                total += math.ceil(b / per_batch) * max(self.batch_size, 1)
        return total

    def _update(self, pq: PartitionQueue) -> None:
        """Recompute ``pq.ready_ms`` (``_refresh_ready``) and keep its leader's earliest ready time."""
        old = pq.ready_ms
        self._refresh_ready(pq)
        new = pq.ready_ms
        self._oldest_grid[pq.leader + 1, pq.slot] = self._oldest_of(pq)
        if new != old:
            i = pq.leader + 1
            self._ready_grid[i, pq.slot] = new
            cur = self._ready_at[i]
            if new < cur:
                self._ready_at[i] = new
            elif old <= cur:
                self._dirty[i] = 1  # it held the earliest time: the node's minimum may have moved

    def node_ready_ms(self, node) -> float:
        """The earliest ``ready_ms`` of the partitions ``node`` leads (kept as they change, not scanned)."""
        k = node + 1
        if k >= len(self._ready_at):
            return INF  # it leads none of the producer's partitions
        if self._dirty[k]:
            best = INF
            n = len(self.by_node[node])
            for i in range(n):  # the empty queues' INF included
                t = self._ready_grid[k, i]
                if t < best:
                    best = t
            self._ready_at[k] = best
            self._dirty[k] = 0
        return self._ready_at[k]

    def _refresh_ready(self, pq: PartitionQueue) -> None:
        """Recompute ``pq.ready_ms``, the first batch's extent (``full_end``) and fill time (``full_ms``)."""
        e = pq.txn
        if pq.retries:
            b = pq.retries[0]
            if e is not None and e.in_flight and e.in_flight[0] is not b:
                pq.ready_ms = INF  # a retried batch goes only as the first in flight
                return
            pq.ready_ms = b.drained_ms + b.retry_backoff_ms
            return
        h, n = pq.head, pq.n
        if h >= n or (e is not None and e.blocked_new):
            pq.ready_ms = INF
            return
        # The first batch if nothing is drained first: the records from the head whose bytes fit.
        # (The views are read through the queue's fields, not acquired as locals.)
        base = pq.bytes_view[h - 1] if h else pq.cum_bytes_base
        limit = self.fill_limit
        # Searched with a whole number of bytes (the sums are whole): the same index, and comparisons of
        # ints with ints, which are cheaper than of a float with ints. A batch holds a few dozen records
        # while a queue may hold a whole chunk of future ones: the first FIRST_BATCH_SPAN are searched
        # first, and the rest only when the batch reaches beyond them (the same index either way).
        fill = int(base + limit)
        top = h + FIRST_BATCH_SPAN
        if top < n:
            j = _first_above(pq.bytes_view, fill, h, top)
            if j == top:
                j = _first_above(pq.bytes_view, fill, top, n)
        else:
            j = _first_above(pq.bytes_view, fill, h, n)
        if j <= h:
            j = h + 1  # a record larger than batch.size goes alone in its own batch
        pq.full_end = j
        if pq.bytes_view[j - 1] - base >= limit:
            full_ms = pq.times_view[j - 1]  # exactly full, or one oversized record
        elif j < n:
            full_ms = pq.times_view[j]  # the record that does not fit opens a second batch
        else:
            full_ms = INF
        pq.full_ms = full_ms
        linger_at = pq.times_view[h] + self.linger_ms
        pq.ready_ms = linger_at if linger_at <= full_ms else full_ms

    def _backoff(self, batch: ProducerBatch) -> float:
        """The wait before ``batch`` is retried: ``backoff(attempts - 1)`` with jitter, drawn once."""
        return self.backoff.draw(max(batch.attempts - 1, 0), self.rng)

    # ------------------------------------------------------------------ ready / drain
    def ready(self, now: float, sendable_nodes=None) -> ReadyCheckResult:
        """Leaders with a sendable partition at ``now``; the next time another may become sendable.

        ``sendable_nodes``, if given, limits the next-ready search to nodes that can take a request
        (Kafka ignores linger timers of a node whose in-flight window is full).
        """
        ready_nodes = {node for node in self.by_node if self.node_ready(node, now)}
        waiting = [
            node
            for node in self.by_node
            if node not in ready_nodes and (sendable_nodes is None or node in sendable_nodes)
        ]
        return ReadyCheckResult(ready_nodes, self.next_ready_ms(waiting))

    def node_ready(self, node: int, now: float) -> bool:
        """Whether ``node`` leads a sendable partition at ``now`` (the per-node half of ``ready``)."""
        if self.node_ready_ms(node) <= now:
            return True
        if self.exhausted:
            return any(pq.head < pq.n and pq.append_times[pq.head] <= now for pq in self.by_node[node])
        return False

    def next_ready_ms(self, nodes) -> float:
        """The earliest time a partition led by one of ``nodes`` becomes sendable."""
        best = INF
        for node in nodes:
            r = self.node_ready_ms(node)
            if r < best:
                best = r
        return best

    def drain_node(
        self, node: int, now: float, max_request_size: int, producer: int, codec_wire_bytes=None
    ) -> list[ProducerBatch]:
        """The first batch of each partition led by ``node``, up to ``max.request.size``.

        ``codec_wire_bytes(raw)`` gives a batch's compressed records bytes; None when uncompressed.
        """
        pqs = self.by_node[node]
        k = len(pqs)
        if not k:
            return []
        start = self.drain_index[node] % k
        batches: list[ProducerBatch] = []
        size = 0
        batch_size = self.batch_size
        header = self.header_bytes
        int_max = INT_MAX
        # Kafka looks at every partition from the drain index on, in order; only the queues that are due
        # are visited here, in that same order (the others would be passed over: empty, or holding only
        # records appended later than now).
        row = node + 1
        if self._arrival_min[row] <= now:  # some queue's awaited first record has come: which
            least = INF
            for i in range(k):
                t = self._arrival_grid[row, i]
                if t <= now:
                    self._arrival_grid[row, i] = INF
                    self._due_grid[row, i] = 1
                elif t < least:
                    least = t
            self._arrival_min[row] = least
        idx = start + k - 1  # where a full pass ends (updateDrainIndex)
        for step in range(k):
            idx_ = start + step
            if idx_ >= k:
                idx_ -= k
            if not self._due_grid[row, idx_]:
                continue
            pq = pqs[idx_]
            h = pq.head
            if h >= pq.n and not pq.retries:
                self._due_grid[row, idx_] = 0  # found empty: not due until something is added
                continue
            e = pq.txn
            if pq.retries:
                b = pq.retries[0]
                if b.drained_ms + b.retry_backoff_ms > now:
                    continue
                if e is not None and e.in_flight and e.in_flight[0] is not b:
                    continue  # shouldStopDrainBatchesForPartition: not the first in flight
                if batches and size + b.wire_bytes > max_request_size:
                    idx = idx_
                    break
                pq.retries.popleft()
                batch = b
            else:
                if e is not None and e.blocked_new:
                    continue
                # (The views are read through the queue's fields: a local view would be acquired and
                # released for every partition visited.)
                if pq.times_view[h] > now:  # its first record comes later: due then
                    self._due_grid[row, idx_] = 0
                    self._await(row, idx_, pq.times_view[h])
                    continue
                end = pq.full_end
                if pq.times_view[end - 1] > now:  # the batch is still filling: take what has arrived
                    end = _first_above(pq.times_view, now, h, end)
                # The batch: records h..end-1, their bytes from the running sums.
                if h:
                    raw = pq.bytes_view[end - 1] - pq.bytes_view[h - 1]
                    value_total = pq.values_view[end - 1] - pq.values_view[h - 1]
                else:
                    raw = pq.bytes_view[end - 1] - pq.cum_bytes_base
                    value_total = pq.values_view[end - 1] - pq.cum_values_base
                wire = header + raw if codec_wire_bytes is None else header + codec_wire_bytes(raw)
                if batches and size + wire > max_request_size:
                    idx = idx_
                    break  # it stays in the queue for the next request
                alloc = header + raw
                if alloc < batch_size:
                    alloc = batch_size
                batch = fill_producer_batch(
                    ProducerBatch.__new__(ProducerBatch),
                    pq.tp,
                    pq.records[h:end],
                    raw,
                    wire,
                    alloc,
                    producer,
                    value_total,
                    header,
                    pq.rows_view[end - 1, CREATE_MS],  # the newest record's create time
                )
                pq.head = end
                if e is not None:
                    # Kafka's drain: setProducerState, incrementSequenceNumber, addInFlightBatch.
                    tm = self.transaction_manager
                    if e.producer_epoch != tm.producer_epoch or e.producer_id != tm.producer_id:
                        tm.maybe_update_producer_id_and_epoch(e)
                    batch.producer_id = tm.producer_id
                    batch.producer_epoch = tm.producer_epoch
                    seq = e.next_sequence
                    batch.base_sequence = seq
                    seq += batch.count
                    if seq > int_max:
                        seq -= int_max + 1  # DefaultRecordBatch.incrementSequence: wraps to 0
                    e.next_sequence = seq
                    e.in_flight.append(batch)
                    batch.txn = e
            size += batch.wire_bytes
            batch.drained_ms = now
            batches.append(batch)
            self._update(pq)
            if not pq.retries:
                # Whether it is still due, read now while the queue is in the caches (the next drain would
                # visit it only to find the same): empty, or its next record comes later (due then).
                h = pq.head
                if h >= pq.n:
                    self._due_grid[row, idx_] = 0
                elif pq.times_view[h] > now:
                    self._due_grid[row, idx_] = 0
                    self._await(row, idx_, pq.times_view[h])
        # Kafka's updateDrainIndex: remember the last partition examined, so a drain cut short by
        # max.request.size resumes at the partition that did not fit.
        if idx >= k:
            idx -= k
        self.drain_index[node] = idx
        return batches

    def reenqueue(self, batch: ProducerBatch, now: float) -> None:
        """A failed batch goes back to its partition, to be retried after its backoff (drawn now).

        Kafka's ``reenqueue``: at the front (``addFirst``), or, for the idempotent producer, in sequence
        order among the partition's retried batches (``insertInSequenceOrder``).
        """
        pq = self.queues[batch.tp]
        batch.drained_ms = now
        batch.retry_backoff_ms = self._backoff(batch)
        retries = pq.retries
        if retries is NO_RETRIES:
            retries = pq.retries = deque()
        if pq.txn is None:
            retries.appendleft(batch)
        else:
            seq = batch.base_sequence
            i = 0
            for r in retries:
                if r.base_sequence >= seq:
                    break
                i += 1
            retries.insert(i, batch)
        self._due_grid[pq.leader + 1, pq.slot] = 1
        self._update(pq)
