"""``TransactionManager``: the idempotent producer's id, epoch and sequence numbers (KIP-98, KIP-360).

What Kafka does (``clients/.../producer/internals/TransactionManager.java``, ``TxnPartitionMap``, and
their callers in ``RecordAccumulator.drain`` and ``Sender.completeBatch``), for a producer with
``enable.idempotence=true`` and no ``transactional.id``:

* **InitProducerId**: the producer gets a producer id and epoch 0 from the cluster before it sends.
* **Sequences**: every partition has a next sequence. A batch gets its base sequence when it is first
  drained (``setProducerState``), and the next sequence advances by its record count (wrapping after
  ``Integer.MAX_VALUE``). The batch joins the partition's *in-flight* batches (sent, not yet completed
  or failed) and keeps its sequence across retries.
* **Ordering** (``RecordAccumulator.shouldStopDrainBatchesForPartition``): a retried batch is sent only
  when it is the partition's first in-flight batch, so after an error the partition effectively has one
  request in flight until it catches up; retried batches are re-enqueued in sequence order
  (``insertInSequenceOrder``). New batches wait while the partition has in-flight batches of an older
  epoch, or unresolved sequences.
* **Errors** (``canRetry``): ``OUT_OF_ORDER_SEQUENCE_NUMBER`` is retried; if the batch is the next one
  after the last acknowledged sequence (a real gap) and nothing is unresolved, the producer first
  **bumps its epoch** locally (KIP-360): the partition's in-flight batches are renumbered from sequence 0
  in the new epoch (``startSequencesAtBeginning``), which the broker accepts as a fresh start. A batch
  that fails for good after a definite broker error leaves a gap: the producer bumps the epoch too
  (``handleFailedBatch`` with ``adjustSequenceNumbers``). A batch that expires (``delivery.timeout.ms``)
  after it had been retried (``inRetry``) may or may not be in the log: its partition's sequence is
  *unresolved* and no new batch is drained for it until its in-flight batches complete
  (``maybeResolveSequences``); then, if the last acknowledged sequence is not the one before the next
  sequence, the epoch is bumped.
* An epoch at ``Short.MAX_VALUE`` is not bumped: the producer gets a new producer id instead.

What is modelled: all of the above, per batch (dict and list operations, never per record). The
accumulator stamps new batches and reads the partition's ``TxnPartitionEntry`` (its first in-flight
batch, ``blocked_new``) to decide what it may drain; the sender reports completions and failures and
runs ``maybe_resolve_and_bump`` at the start of each pass. Failures whose outcome the producer cannot
know (request timeout, delivery timeout; ``sender.UNKNOWN_OUTCOME``) count as expiries; any other
error that ends a batch is a definite refusal.

Not modelled: transactions (``transactional.id``, markers, abortable errors), ``UNKNOWN_PRODUCER_ID``
(brokers never lose producer state here), and InitProducerId taking time (the id is assigned at build).
"""

from __future__ import annotations

from eventsim.producer.producer_batch import INT_MAX, NO_SEQUENCE, increment_sequence

__all__ = ["TransactionManager", "TxnPartitionEntry", "SHORT_MAX"]

SHORT_MAX = 2**15 - 1  # Short.MAX_VALUE: the last epoch before a new producer id
OUT_OF_ORDER = "OUT_OF_ORDER_SEQUENCE_NUMBER"


class TxnPartitionEntry:
    """``TxnPartitionEntry``: one partition's epoch, next and last acknowledged sequence, in-flight batches.

    ``in_flight`` holds the batches in sequence order (the order they were drained); ``blocked_new`` says
    whether new batches must wait (in-flight batches of an older epoch, or unresolved sequences).
    """

    __slots__ = (
        "tp",
        "queue",
        "producer_id",
        "producer_epoch",
        "next_sequence",
        "last_acked_sequence",
        "in_flight",
        "unresolved",
        "blocked_new",
    )

    def __init__(self, tp, queue, producer_id: int, producer_epoch: int):
        self.tp = tp
        self.queue = queue  # the accumulator's PartitionQueue
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.next_sequence = 0
        self.last_acked_sequence = -1  # NO_LAST_ACKED_SEQUENCE_NUMBER
        self.in_flight: list = []
        self.unresolved = NO_SEQUENCE  # the sequence after an expired batch whose fate is unknown
        self.blocked_new = False

    def first_in_flight_sequence(self) -> int:
        return self.in_flight[0].base_sequence if self.in_flight else NO_SEQUENCE


class TransactionManager:
    """The idempotent producer's state (see module docstring)."""

    def __init__(self, init_producer_id, accumulator):
        self._init_producer_id = init_producer_id  # () -> a new producer id from the cluster
        self.accumulator = accumulator
        self.producer_id = init_producer_id()
        self.producer_epoch = 0
        self.epoch_bump_required = False
        self.partitions_to_rewrite: list = []
        self.partitions: dict = {}
        self.unresolved: dict = {}  # tp -> entry, partitions with unresolved sequences
        self.epoch_bumps = 0
        self.wake = False  # a partition became sendable again: the sender should look
        for tp, pq in accumulator.queues.items():
            e = TxnPartitionEntry(tp, pq, self.producer_id, 0)
            self.partitions[tp] = e
            pq.txn = e
        accumulator.transaction_manager = self

    # ------------------------------------------------------------------ drain (called by the accumulator)
    def maybe_update_producer_id_and_epoch(self, e: TxnPartitionEntry) -> None:
        """``maybeUpdateProducerIdAndEpoch``: the partition's first new batch since an epoch bump starts
        the new epoch at sequence 0 (the accumulator drains it only once no batch of the old epoch is in
        flight: ``blocked_new``). The accumulator then stamps the batch with the producer id, epoch and
        the partition's next sequence, advances it, and adds the batch to ``in_flight``, as Kafka's
        ``RecordAccumulator.drain`` does."""
        if not e.in_flight:
            e.producer_id, e.producer_epoch = self.producer_id, self.producer_epoch
            e.next_sequence = 0
            e.last_acked_sequence = -1

    # ------------------------------------------------------------------ outcomes (called by the sender)
    def completed(self, batch) -> None:
        """``handleCompletedBatch``: the batch is in the log (appended now or earlier)."""
        e = batch.txn  # the partition's entry in ``partitions``, set by the drain
        if e is None:
            e = self.partitions[batch.tp]
        last = batch.base_sequence + batch.count - 1
        int_max = INT_MAX
        if last > int_max:
            last -= int_max + 1
        if last > e.last_acked_sequence:  # maybeUpdateLastAckedSequence
            e.last_acked_sequence = last
        in_flight = e.in_flight
        if in_flight and in_flight[0] is batch and not e.blocked_new and not e.queue.retries:
            del in_flight[0]  # the usual case, in short: in order, and nothing waits on this partition
        else:
            self._remove(e, batch)

    def can_retry(self, error: str, batch, retriable: bool) -> bool:
        """``TransactionManager.canRetry`` for the idempotent producer."""
        if error == OUT_OF_ORDER:
            e = self.partitions[batch.tp]
            unresolved = e.unresolved != NO_SEQUENCE
            is_next = batch.base_sequence == increment_sequence(e.last_acked_sequence, 1)
            if not unresolved and (batch.sequence_reset or not is_next):
                return True  # an earlier batch is still to come: retry and see
            if not unresolved or batch.base_sequence == e.unresolved:
                self.request_epoch_bump(e)  # a real gap
            return True
        return retriable

    def failed(self, batch, definite: bool, in_retry: bool) -> None:
        """``handleFailedBatch`` (and ``markSequenceUnresolved``): the batch will not be retried.

        ``definite``: the broker refused it (it is not in the log), so its sequences leave a gap: bump the
        epoch (``adjustSequenceNumbers``). Otherwise it expired; if it had been retried (``in_retry``:
        re-enqueued at least once) it may or may not be in the log, and the partition is unresolved.
        """
        if batch.base_sequence == NO_SEQUENCE:
            return  # never drained: no sequence to account for
        e = self.partitions[batch.tp]
        if definite:
            self.request_epoch_bump(e)
        elif in_retry:
            nxt = batch.last_sequence + 1  # the sequence of the batch after the expired one
            if e.unresolved == NO_SEQUENCE or nxt > e.unresolved:
                e.unresolved = nxt
            self.unresolved[batch.tp] = e
        self._remove(e, batch)
        self._refresh(e)  # failures are rare: always recompute what the partition may send

    def request_epoch_bump(self, e: TxnPartitionEntry) -> None:
        """``requestIdempotentEpochBumpForPartition``."""
        self.epoch_bump_required = True
        if e not in self.partitions_to_rewrite:
            self.partitions_to_rewrite.append(e)

    def _remove(self, e: TxnPartitionEntry, batch) -> None:
        in_flight = e.in_flight
        if in_flight and in_flight[0] is batch:
            del in_flight[0]  # the usual case: batches complete in sequence order
        else:
            try:
                in_flight.remove(batch)
            except ValueError:
                return
        # Only a partition with retried batches waiting, or whose new batches wait, can change readiness.
        if e.blocked_new or e.queue.retries:
            self._refresh(e)

    def _refresh(self, e: TxnPartitionEntry) -> None:
        """Recompute whether new batches of ``e`` must wait, and the queue's readiness."""
        e.blocked_new = e.unresolved != NO_SEQUENCE or (
            bool(e.in_flight)
            and (e.producer_epoch != self.producer_epoch or e.producer_id != self.producer_id)
        )
        pq = e.queue
        before = pq.ready_ms
        self.accumulator._update(pq)
        if pq.ready_ms < before:
            self.wake = True

    # ------------------------------------------------------------------ the sender loop
    def maybe_resolve_and_bump(self) -> None:
        """``maybeResolveSequences`` then ``bumpIdempotentEpochAndResetIdIfNeeded`` (each sender pass)."""
        if self.unresolved:
            for tp, e in list(self.unresolved.items()):
                if e.in_flight:
                    continue
                del self.unresolved[tp]
                if increment_sequence(e.last_acked_sequence, 1) != e.next_sequence:
                    self.request_epoch_bump(e)  # every batch after the last ack expired: a gap
                e.unresolved = NO_SEQUENCE
                self._refresh(e)
        if self.epoch_bump_required:
            self._bump_epoch()

    def _bump_epoch(self) -> None:
        """``bumpIdempotentProducerEpoch``: a new epoch (a new producer id after ``Short.MAX_VALUE``);
        the partitions that asked for it renumber their in-flight batches from sequence 0."""
        if self.producer_epoch >= SHORT_MAX:
            self.producer_id = self._init_producer_id()
            self.producer_epoch = 0
        else:
            self.producer_epoch += 1
        self.epoch_bumps += 1
        rewrite, self.partitions_to_rewrite = self.partitions_to_rewrite, []
        self.epoch_bump_required = False
        for e in rewrite:
            # TxnPartitionMap.startSequencesAtBeginning
            seq = 0
            for b in e.in_flight:
                b.producer_id, b.producer_epoch = self.producer_id, self.producer_epoch
                b.base_sequence = seq
                b.sequence_reset = True
                seq = increment_sequence(seq, b.count)
            e.producer_id, e.producer_epoch = self.producer_id, self.producer_epoch
            e.next_sequence = seq
            e.last_acked_sequence = -1
            e.unresolved = NO_SEQUENCE
            self.unresolved.pop(e.tp, None)
        # Every other partition now has an older epoch: its new batches wait for its in-flight ones.
        for e in self.partitions.values():
            self._refresh(e)
