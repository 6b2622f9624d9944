"""The log's ``ProducerStateManager`` as pure rules (no SimPy).

Kafka's rules (``storage/.../internals/log/ProducerStateManager.java``, ``ProducerStateEntry``,
``ProducerAppendInfo``): a batch whose epoch and sequence range equal one of the producer's last five
batches is a duplicate (answered with its original offsets, not appended); an older epoch is
``INVALID_PRODUCER_EPOCH``; a new epoch must start at sequence 0; within an epoch the first sequence must
follow the last (0 follows ``Integer.MAX_VALUE``), else ``OUT_OF_ORDER_SEQUENCE_NUMBER``.
"""

from hypothesis import given
from hypothesis import strategies as st

from eventsim.log.producer_state import (
    INVALID_PRODUCER_EPOCH,
    NUM_BATCHES_TO_RETAIN,
    OUT_OF_ORDER_SEQUENCE_NUMBER,
    BatchMetadata,
    ProducerStateManager,
    in_sequence,
)
from eventsim.producer.producer_batch import INT_MAX, increment_sequence

PID = 7


def write(psm: ProducerStateManager, epoch: int, first: int, count: int, offset: int, pid: int = PID):
    """Check then, if accepted, append a batch of ``count`` records at ``offset``; returns the verdict."""
    last = increment_sequence(first, count - 1)
    verdict = psm.check(pid, epoch, first, last)
    if verdict is None:
        psm.append(pid, epoch, first, last, offset, offset + count - 1, 0.0)
    return verdict


def test_a_producer_the_log_has_never_seen_may_start_at_any_sequence():
    psm = ProducerStateManager()
    assert write(psm, 0, 42, 3, 0) is None
    assert psm.entry(PID).last_seq == 44
    assert write(psm, 0, 45, 1, 3) is None


def test_a_duplicate_of_a_retained_batch_is_answered_with_its_original_offsets_and_not_appended():
    psm = ProducerStateManager()
    assert write(psm, 0, 0, 3, 100) is None
    assert write(psm, 0, 3, 2, 103) is None
    dup = psm.check(PID, 0, 0, 2)
    assert isinstance(dup, BatchMetadata)
    assert (dup.first_offset, dup.last_offset) == (100, 102)
    dup = psm.check(PID, 0, 3, 4)
    assert (dup.first_offset, dup.last_offset) == (103, 104)
    assert len(psm.entry(PID).batches) == 2  # checking appends nothing


def test_only_the_last_five_batches_are_retained():
    psm = ProducerStateManager()
    for i in range(NUM_BATCHES_TO_RETAIN + 1):
        assert write(psm, 0, i, 1, i) is None
    assert NUM_BATCHES_TO_RETAIN == 5
    assert [m.first_seq for m in psm.entry(PID).retained()] == [1, 2, 3, 4, 5]
    # The oldest batch fell out of the window: a retry of it is no longer recognised, and it is out of order.
    assert psm.check(PID, 0, 0, 0) == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert isinstance(psm.check(PID, 0, 1, 1), BatchMetadata)


def test_a_gap_or_a_repeat_of_a_different_range_is_out_of_order():
    psm = ProducerStateManager()
    assert write(psm, 0, 0, 5, 0) is None
    assert write(psm, 0, 6, 1, 5) == OUT_OF_ORDER_SEQUENCE_NUMBER  # sequence 5 is missing
    assert write(psm, 0, 2, 3, 5) == OUT_OF_ORDER_SEQUENCE_NUMBER  # overlaps, but not a retained range
    assert write(psm, 0, 5, 1, 5) is None


def test_epochs_old_is_refused_new_must_start_at_zero_and_clears_the_batches():
    psm = ProducerStateManager()
    assert write(psm, 3, 0, 2, 0) is None
    assert write(psm, 2, 2, 1, 2) == INVALID_PRODUCER_EPOCH
    assert write(psm, 4, 2, 1, 2) == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert write(psm, 4, 0, 1, 2) is None
    entry = psm.entry(PID)
    assert entry.producer_epoch == 4
    assert [(m.first_seq, m.first_offset) for m in entry.retained()] == [(0, 2)]
    # The old epoch's batch is no longer a duplicate: its epoch is gone.
    assert psm.check(PID, 3, 0, 1) == INVALID_PRODUCER_EPOCH


def test_sequences_wrap_after_integer_max_value():
    assert increment_sequence(INT_MAX - 1, 1) == INT_MAX
    assert increment_sequence(INT_MAX, 1) == 0
    assert increment_sequence(INT_MAX - 2, 5) == 2
    assert in_sequence(INT_MAX, 0)
    assert not in_sequence(INT_MAX, 1)
    psm = ProducerStateManager()
    assert write(psm, 0, INT_MAX - 1, 2, 0) is None
    assert psm.entry(PID).last_seq == INT_MAX
    assert write(psm, 0, 0, 3, 2) is None
    assert isinstance(psm.check(PID, 0, INT_MAX - 1, INT_MAX), BatchMetadata)


def test_producers_are_independent():
    psm = ProducerStateManager()
    assert write(psm, 0, 0, 2, 0, pid=1) is None
    assert write(psm, 0, 0, 2, 2, pid=2) is None
    assert isinstance(psm.check(1, 0, 0, 1), BatchMetadata)
    assert psm.check(1, 0, 0, 1).first_offset == 0
    assert psm.check(2, 0, 0, 1).first_offset == 2


@given(st.lists(st.integers(1, 20), min_size=1, max_size=30), st.data())
def test_any_retry_of_a_recent_batch_is_a_duplicate_and_nothing_is_appended_twice(counts, data):
    """Writing batches in order, with retries of any of the last five interleaved: every retry is
    recognised, every new batch accepted, and the log's offsets stay dense."""
    psm = ProducerStateManager()
    seq = offset = 0
    sent: list[tuple[int, int, int]] = []  # (first seq, count, offset)
    for c in counts:
        assert write(psm, 0, seq, c, offset) is None
        sent.append((seq, c, offset))
        seq, offset = seq + c, offset + c
        for first, n, off in data.draw(st.lists(st.sampled_from(sent[-NUM_BATCHES_TO_RETAIN:]), max_size=3)):
            dup = psm.check(PID, 0, first, first + n - 1)
            assert isinstance(dup, BatchMetadata)
            assert dup.first_offset == off
    assert offset == sum(counts)


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 12), st.integers(1, 3)), max_size=40))
def test_validate_is_check_then_append(batches):
    """The leader's one-call path gives the same verdicts and state as ``check`` then ``append``."""
    fast, slow = ProducerStateManager(), ProducerStateManager()
    offset = 0
    for epoch, first, count in batches:
        last = increment_sequence(first, count - 1)
        verdict = slow.check(PID, epoch, first, last)
        if verdict is None:
            slow.append(PID, epoch, first, last, offset, offset + count - 1, 0.0)
        assert fast.validate(PID, epoch, first, last, offset, count, 0.0) == verdict
        if verdict is None:
            offset += count
        assert fast.entry(PID).retained() == slow.entry(PID).retained()
        assert fast.entry(PID).producer_epoch == slow.entry(PID).producer_epoch
