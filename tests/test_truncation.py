"""Leader epochs and truncation (KIP-101, KIP-279) as pure rules on ``Log``.

Kafka's rules (``LeaderEpochFileCache.endOffsetFor``, ``AbstractFetcherThread``): the leader answers an
``OffsetsForLeaderEpoch`` request with the largest epoch it has that is not newer than the one asked for,
and where that epoch ends (the start of the next epoch, or its log end offset for the latest); a follower
truncates to the smaller of that end offset and its own end of the same epoch, asking again with an older
epoch while the leader answers with an epoch the follower does not have; a follower that has no epochs
truncates to its high watermark. ``truncate_to`` removes whole batches from an offset up.
"""

from __future__ import annotations

import numpy as np
import pytest

from eventsim.config import BrokerConfig, TopicConfig
from eventsim.log.log import UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET, Log, truncation_offset
from eventsim.producer.producer_batch import ProducerBatch
from eventsim.protocol import NO_PARTITION_LEADER_EPOCH
from eventsim.structs import TopicPartition

TP = TopicPartition("t", 0)
MIB = 1 << 20
UNDEFINED = (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)


def batch(count: int, wire_bytes: int = 1000) -> ProducerBatch:
    records = np.column_stack(
        [np.zeros(count), np.zeros(count), np.arange(count), np.full(count, -1), np.full(count, 10)]
    ).astype(np.float64)
    return ProducerBatch(TP, records, wire_bytes - 61, wire_bytes, wire_bytes, 0)


def log_with(epochs, count=5, wire_bytes=1000, **config) -> Log:
    """A log kept whole for reads, with one batch of ``count`` records per entry of ``epochs``."""
    log = Log(TP, TopicConfig(name="t", **config).resolve(BrokerConfig()), 0.0)
    log.register_reader("test", 0)
    for i, epoch in enumerate(epochs):
        log.append(batch(count, wire_bytes), float(i), epoch)
    return log


# ------------------------------------------------------------------ end_offset_for_epoch


def test_the_log_remembers_where_each_epoch_starts():
    log = log_with([0, 0, 2, 5])
    assert log.leader_epochs == [(0, 0), (2, 10), (5, 15)]
    assert log.latest_epoch() == 5
    assert log_with([]).latest_epoch() == UNDEFINED_EPOCH
    assert log_with([NO_PARTITION_LEADER_EPOCH] * 2).leader_epochs == []  # batches without an epoch


def test_end_offset_for_epoch_answers_the_largest_epoch_not_newer_and_where_it_ends():
    log = log_with([0, 0, 2, 5])  # epoch 0: 0-9, epoch 2: 10-14, epoch 5: 15-19
    assert log.end_offset_for_epoch(0) == (0, 10)
    assert log.end_offset_for_epoch(1) == (0, 10)  # epoch 1 never wrote here: epoch 0 and its end
    assert log.end_offset_for_epoch(2) == (2, 15)
    assert log.end_offset_for_epoch(4) == (2, 15)
    assert log.end_offset_for_epoch(5) == (5, 20)  # the latest epoch ends at the log end offset
    assert log_with([]).end_offset_for_epoch(3) == UNDEFINED


def test_an_epoch_older_than_the_first_ends_where_the_first_known_epoch_starts():
    log = log_with([3, 3, 4])
    assert log.end_offset_for_epoch(1) == (1, 0)


# ------------------------------------------------------------------ truncate_to


def test_truncate_to_removes_whole_batches_from_the_offset_up():
    # Six batches of 5 records, 400 KiB each: two per 1 MiB segment; epoch 0 then epoch 1 from offset 15.
    big = 400 * 1024
    log = log_with([0, 0, 0, 1, 1, 1], wire_bytes=big, segment_bytes=MIB)
    log.register_reader("consumer", 27)
    assert [s.base_offset for s in log.segments] == [0, 10, 20]
    assert (log.log_end_offset, log.high_watermark, log.size_bytes) == (30, 30, 6 * big)
    assert log.truncate_to(12) == 10  # 12 is inside the batch 10-14: the whole batch goes
    assert log.log_end_offset == 10 and log.appended_records == 10
    assert [s.base_offset for s in log.segments] == [0]
    assert log.size_bytes == sum(s.size_bytes for s in log.segments) == 2 * big
    assert log.segments[-1].next_offset == 10
    assert log.leader_epochs == [(0, 0)]  # epoch 1 started at 15: gone with its batches
    assert log.high_watermark == 10  # clamped to the new end
    assert log._readers["consumer"] == 10
    assert [(b.base_offset, b.next_offset) for b in log.read(0, 10 * MIB)] == [(0, 5), (5, 10)]
    # The log goes on from the new end.
    assert log.append(batch(5, big), 10.0, 2).base_offset == 10
    assert log.leader_epochs == [(0, 0), (2, 10)] and log.log_end_offset == 15


def test_truncate_to_a_batch_boundary_keeps_the_batch_below_and_beyond_the_end_is_a_no_op():
    log = log_with([0, 0, 0, 1, 1, 1])
    assert log.truncate_to(40) == 30 and log.log_end_offset == 30
    assert log.truncate_to(15) == 15
    assert log.leader_epochs == [(0, 0)]
    assert log.size_bytes == 3000 and log.segments[-1].size_bytes == 3000
    assert [b.base_offset for b in log.batches] == [0, 5, 10]


def test_truncate_to_below_the_entries_the_log_keeps_is_refused():
    log = log_with([0] * 4)
    log.batches[:2] = []  # as a trim leaves it: the entries and their running byte counts
    log._cum[:2] = []
    with pytest.raises(ValueError, match="entries below it are gone"):
        log.truncate_to(3)


# ------------------------------------------------------------------ truncation_offset


def test_a_follower_with_a_divergent_tail_in_an_older_epoch_truncates_to_the_leaders_end_of_it():
    # KIP-101: the follower led epoch 1 and wrote 10-14, which never replicated; the new leader (epoch 2)
    # has its own records from 10. The leader's end of epoch 1 is where its epoch 0 ends: 10.
    leader = log_with([0, 0, 2, 2])
    follower = log_with([0, 0, 1])
    assert truncation_offset(follower, leader) == 10
    follower.truncate_to(truncation_offset(follower, leader))
    follower.append_entries(leader.read(10, MIB, max_offset=leader.log_end_offset), 5.0)
    assert [b.base_offset for b in follower.batches] == [b.base_offset for b in leader.batches]
    assert follower.leader_epochs == leader.leader_epochs


def test_kip_279_the_follower_truncates_to_the_smaller_end_of_the_epoch_they_share():
    leader = log_with([0, 0, 1, 3])  # epoch 1: 10-14, then epoch 3
    follower = log_with([0, 0, 1, 1])  # epoch 1: 10-19 (its 15-19 never reached the leader)
    assert truncation_offset(follower, leader) == 15
    shorter = log_with([0, 0, 1])  # its epoch 1 ends before the leader's
    assert truncation_offset(shorter, log_with([0, 0, 1, 1, 3])) == 15


def test_epochs_the_leader_never_had_are_walked_back_until_both_agree():
    leader = log_with([0, 0, 3, 3, 3, 5])  # epoch 0: 0-9, epoch 3: 10-24, epoch 5 (its own): 25-29
    follower = log_with([0, 0, 2, 4])  # epoch 2: 10-14, epoch 4: 15-19
    # Asked for 4, the leader answers 3 (ending at 25), which the follower does not have (its floor is 2,
    # ending at 15); asked for 2, the leader answers 0, which ends at 10 on both.
    assert truncation_offset(follower, leader) == 10


def test_a_leader_asked_for_an_epoch_newer_than_its_own_answers_undefined():
    # LeaderEpochFileCache.endOffsetFor: no higher entry -> UNDEFINED; the follower keeps its high watermark.
    leader = log_with([0, 0, 3])
    assert leader.end_offset_for_epoch(4) == UNDEFINED
    follower = log_with([0, 0, 4])
    follower.high_watermark = 7
    assert truncation_offset(follower, leader) == 7


def test_identical_logs_keep_everything():
    assert truncation_offset(log_with([0, 0, 1]), log_with([0, 0, 1])) == 15


def test_a_follower_with_no_epochs_keeps_its_high_watermark():
    follower = log_with([NO_PARTITION_LEADER_EPOCH] * 3)
    follower.high_watermark = 7
    assert truncation_offset(follower, log_with([0, 0, 0, 0])) == 7
    empty = log_with([])
    assert truncation_offset(empty, log_with([0])) == 0
