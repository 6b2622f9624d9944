"""The idempotent producer's ``TransactionManager`` with the ``RecordAccumulator``, as pure rules (no SimPy).

Kafka's rules (``TransactionManager.java``, ``RecordAccumulator.drain`` / ``insertInSequenceOrder`` /
``shouldStopDrainBatchesForPartition``): sequences are assigned per partition when a batch is first
drained; retried batches keep them, are re-enqueued in sequence order and go only as the partition's
first in-flight batch; a definite failure or an ``OUT_OF_ORDER_SEQUENCE_NUMBER`` for the next sequence
bumps the epoch and renumbers the partition's in-flight batches from 0; an expired batch that had been
retried leaves the partition unresolved (no new batches) until its in-flight batches are done.
"""

import math

import numpy as np
import pytest

from eventsim.producer.producer_batch import RECORD_BATCH_OVERHEAD
from eventsim.producer.record_accumulator import RecordAccumulator
from eventsim.producer.transaction_manager import SHORT_MAX, TransactionManager
from eventsim.structs import TopicPartition

TP0, TP1 = TopicPartition("t", 0), TopicPartition("t", 1)
BIG = 10**9
OOO = "OUT_OF_ORDER_SEQUENCE_NUMBER"


def setup(idempotent=True, leaders=None):
    acc = RecordAccumulator(RECORD_BATCH_OVERHEAD + 10_000, 0.0, 10.0, 1.0, leaders or {TP0: 0, TP1: 0})
    ids = iter(range(100))
    tm = TransactionManager(lambda: next(ids), acc) if idempotent else None
    return acc, tm


_next_id = [0]


def append(acc, tp, now, n=1):
    """``n`` records of 100 bytes for ``tp`` arriving at ``now``."""
    first = _next_id[0]
    _next_id[0] += n
    t = np.full(n, float(now))
    records = np.column_stack([t, t, np.arange(first, first + n), np.full(n, -1), np.full(n, 100)])
    acc.append(tp, records.astype(np.float64), np.full(n, 100, dtype=np.int64))


def send(acc, now, tp=None):
    """Drain node 0 at ``now`` as the Sender does (counting the attempt): the batches, or ``tp``'s."""
    batches = acc.drain_node(0, now, BIG, 0, None)
    for b in batches:
        b.attempts += 1
    if tp is None:
        return batches
    (b,) = [b for b in batches if b.tp == tp]
    return b


def test_sequences_are_assigned_per_partition_when_a_batch_is_first_drained():
    acc, tm = setup()
    append(acc, TP0, 0.0, 3)
    append(acc, TP1, 0.0, 2)
    a0, a1 = sorted(send(acc, 0.0), key=lambda b: b.tp.partition)
    assert (a0.producer_id, a0.producer_epoch, a0.base_sequence, a0.last_sequence) == (0, 0, 0, 2)
    assert (a1.base_sequence, a1.last_sequence) == (0, 1)
    append(acc, TP0, 1.0, 4)
    b0 = send(acc, 1.0, TP0)
    assert (b0.base_sequence, b0.last_sequence) == (3, 6)
    assert tm.partitions[TP0].in_flight == [a0, b0]
    assert tm.partitions[TP0].next_sequence == 7


def test_retried_batches_keep_their_sequence_and_are_reenqueued_in_sequence_order():
    acc, tm = setup()
    batches = []
    for t in range(3):
        append(acc, TP0, float(t), 2)
        batches.append(send(acc, float(t), TP0))
    b0, b1, b2 = batches
    for b in (b2, b0, b1):  # responses in any order
        acc.reenqueue(b, 5.0)
    assert list(acc.queues[TP0].retries) == [b0, b1, b2]
    assert [b.base_sequence for b in (b0, b1, b2)] == [0, 2, 4]


def test_without_idempotence_a_retried_batch_goes_to_the_front():
    acc, _ = setup(idempotent=False)
    append(acc, TP0, 0.0)
    b0 = send(acc, 0.0, TP0)
    append(acc, TP0, 1.0)
    b1 = send(acc, 1.0, TP0)
    acc.reenqueue(b0, 5.0)
    acc.reenqueue(b1, 5.0)
    assert list(acc.queues[TP0].retries) == [b1, b0]  # Kafka's addFirst: the later batch goes first
    assert b0.base_sequence == -1  # no sequences without idempotence


def test_a_retried_batch_goes_only_as_the_first_in_flight_batch():
    acc, tm = setup()
    append(acc, TP0, 0.0)
    b0 = send(acc, 0.0, TP0)
    append(acc, TP0, 1.0)
    b1 = send(acc, 1.0, TP0)
    append(acc, TP0, 2.0)  # a new record behind the retry
    acc.reenqueue(b1, 2.0)  # b1 failed while b0 is still in flight
    pq = acc.queues[TP0]
    assert pq.ready_ms == math.inf
    assert send(acc, 100.0) == []
    tm.completed(b0)
    assert tm.wake  # the partition can go again: the sender is told
    assert pq.ready_ms == pytest.approx(2.0 + b1.retry_backoff_ms)
    assert send(acc, 100.0) == [b1]
    tm.completed(b1)
    (new,) = send(acc, 100.0)
    assert new.base_sequence == 2 and new.attempts == 1


def test_a_definite_failure_bumps_the_epoch_and_renumbers_the_in_flight_batches():
    acc, tm = setup()
    batches = []
    for t in range(3):
        append(acc, TP0, float(t), 2)
        batches.append(send(acc, float(t), TP0))
    b0, b1, b2 = batches
    tm.failed(b0, definite=True, in_retry=False)  # e.g. RECORD_TOO_LARGE: not in the log
    # b1 then reaches the broker after the gap: out of order, retried (it is not the next sequence).
    assert tm.can_retry(OOO, b1, retriable=False)
    acc.reenqueue(b1, 3.0)
    tm.maybe_resolve_and_bump()
    assert tm.producer_epoch == 1 and tm.epoch_bumps == 1
    assert [(b.producer_epoch, b.base_sequence, b.sequence_reset) for b in (b1, b2)] == [
        (1, 0, True),
        (1, 2, True),
    ]
    assert tm.partitions[TP0].next_sequence == 4
    # The renumbered b1 may now go: it is the first in flight.
    assert send(acc, 100.0) == [b1]


def test_out_of_order_for_the_next_sequence_is_a_real_gap_and_bumps_the_epoch():
    acc, tm = setup()
    append(acc, TP0, 0.0)
    b0 = send(acc, 0.0, TP0)
    append(acc, TP0, 1.0)
    b1 = send(acc, 1.0, TP0)
    tm.completed(b0)
    assert tm.partitions[TP0].last_acked_sequence == 0
    assert not tm.epoch_bump_required
    assert tm.can_retry(OOO, b1, retriable=False)  # b1 is the next sequence: the broker lost something
    assert tm.epoch_bump_required


def test_other_errors_retry_as_their_kind_says():
    acc, tm = setup()
    append(acc, TP0, 0.0)
    b0 = send(acc, 0.0, TP0)
    assert tm.can_retry("REQUEST_TIMED_OUT", b0, retriable=True)
    assert not tm.can_retry("RECORD_TOO_LARGE", b0, retriable=False)


def test_an_expired_retried_batch_leaves_the_partition_unresolved_until_its_in_flight_batches_are_done():
    acc, tm = setup()
    append(acc, TP0, 0.0)
    b0 = send(acc, 0.0, TP0)
    append(acc, TP0, 1.0)
    b1 = send(acc, 1.0, TP0)
    tm.failed(b0, definite=False, in_retry=True)  # expired after a retry: maybe in the log
    e = tm.partitions[TP0]
    assert e.unresolved == 1 and e.blocked_new
    append(acc, TP0, 2.0)
    assert acc.queues[TP0].ready_ms == math.inf
    assert send(acc, 10.0) == []  # no new batch while unresolved
    tm.maybe_resolve_and_bump()
    assert e.blocked_new  # b1 still in flight
    tm.completed(b1)  # b1 made it: so did b0 (the broker checks order)
    tm.maybe_resolve_and_bump()
    assert not e.blocked_new and tm.producer_epoch == 0
    (b2,) = send(acc, 10.0)
    assert (b2.producer_epoch, b2.base_sequence) == (0, 2)


def test_an_unresolved_partition_whose_batches_all_expired_bumps_the_epoch_and_starts_again_at_zero():
    acc, tm = setup()
    append(acc, TP0, 0.0, 3)
    b0 = send(acc, 0.0, TP0)
    b0.attempts += 1  # sent twice
    tm.failed(b0, definite=False, in_retry=True)
    append(acc, TP0, 1.0)
    tm.maybe_resolve_and_bump()
    assert tm.producer_epoch == 1
    (b1,) = send(acc, 1.0)
    assert (b1.producer_id, b1.producer_epoch, b1.base_sequence) == (0, 1, 0)


def test_an_expiry_on_the_first_send_is_not_unresolved():
    """Kafka marks a sequence unresolved only for a batch that had been retried (``inRetry``)."""
    acc, tm = setup()
    append(acc, TP0, 0.0)
    b0 = send(acc, 0.0, TP0)
    tm.failed(b0, definite=False, in_retry=False)
    assert not tm.unresolved and not tm.epoch_bump_required


def test_after_a_bump_other_partitions_wait_for_their_older_epoch_in_flight_batches():
    acc, tm = setup()
    append(acc, TP0, 0.0)
    append(acc, TP1, 0.0, 2)
    a0, a1 = sorted(send(acc, 0.0), key=lambda b: b.tp.partition)
    tm.failed(a0, definite=True, in_retry=False)
    tm.maybe_resolve_and_bump()
    append(acc, TP1, 1.0)
    assert tm.partitions[TP1].blocked_new
    assert send(acc, 1.0) == []
    tm.completed(a1)
    (b1,) = send(acc, 1.0)
    assert (b1.tp, b1.producer_epoch, b1.base_sequence) == (TP1, 1, 0)


def test_the_last_epoch_gets_a_new_producer_id():
    acc, tm = setup()
    tm.producer_epoch = SHORT_MAX
    append(acc, TP0, 0.0)
    b0 = send(acc, 0.0, TP0)
    tm.failed(b0, definite=True, in_retry=False)
    tm.maybe_resolve_and_bump()
    assert (tm.producer_id, tm.producer_epoch) == (1, 0)
    append(acc, TP0, 1.0)
    (b1,) = send(acc, 1.0)
    assert (b1.producer_id, b1.producer_epoch, b1.base_sequence) == (1, 0, 0)
