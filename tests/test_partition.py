"""``Partition``: the leader's replication rules (ISR, high watermark, ELR, acks=all), with an injected clock.

Kafka's rules (``core/.../cluster/Partition.scala``, ``Replica``): the high watermark is the smallest log
end offset of the leader and of the followers in the ISR (or caught up within ``replica.lag.time.max.ms``)
and never moves back; a follower is caught up when it fetches at the leader's log end offset, or at the
log end offset the leader had at its previous fetch (then as of that previous fetch); a follower not caught
up for longer than ``replica.lag.time.max.ms`` leaves the ISR, and rejoins once its log end offset reaches
the high watermark; with Eligible Leader Replicas the high watermark waits while the ISR is below
``min.insync.replicas``; ``checkEnoughReplicasReachOffset`` answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when
the ISR has shrunk below the minimum.
"""

from __future__ import annotations

import numpy as np

from eventsim.config import BrokerConfig, TopicConfig
from eventsim.log.log import Log
from eventsim.producer.producer_batch import ProducerBatch
from eventsim.replication.partition import Partition
from eventsim.structs import TopicPartition

TP = TopicPartition("t", 0)
LAG = 100.0  # replica.lag.time.max.ms


def batch(count: int, t_ms: float = 0.0) -> ProducerBatch:
    records = np.column_stack(
        [
            np.full(count, float(t_ms)),
            np.full(count, float(t_ms)),
            np.arange(count),
            np.full(count, -1),
            np.full(count, 10),
        ]
    ).astype(np.float64)
    wire = 61 + 12 * count
    return ProducerBatch(TP, records, wire - 61, wire, wire, 0)


def leader(replicas=(0, 1, 2), min_isr=1, elr=True, now=0.0) -> Partition:
    log = Log(TP, TopicConfig(name="t").resolve(BrokerConfig()), now)
    log.register_reader("test", 0)
    return Partition(TP, log, 0, list(replicas), min_isr, LAG, now, 0, elr)


def append(p: Partition, count: int, t_ms: float) -> None:
    p.log.append(batch(count, t_ms), t_ms, p.leader_epoch)
    p.maybe_increment_hw(t_ms)  # as the broker does after each produce request


# ------------------------------------------------------------------ high watermark


def test_a_new_partition_starts_with_every_replica_in_sync_and_the_hw_not_following_the_leo():
    p = leader()
    assert p.isr == [0, 1, 2] and p.isr_history == [(0.0, (0, 1, 2))]
    assert not p.log.hw_follows_leo
    append(p, 10, 1.0)
    assert (p.log.log_end_offset, p.log.high_watermark) == (10, 0)  # the followers have nothing yet
    alone = leader(replicas=(0,))
    assert alone.log.hw_follows_leo
    append(alone, 10, 1.0)
    assert alone.log.high_watermark == 10  # no followers: committed at once


def test_high_watermark_is_the_smallest_leo_of_leader_and_isr_and_never_decreases():
    p = leader()
    append(p, 10, 1.0)
    assert p.update_follower_fetch_state(1, 10, 2.0) is False  # follower 2 still holds it at 0
    assert p.log.high_watermark == 0
    assert p.update_follower_fetch_state(2, 4, 3.0) is True
    assert p.log.high_watermark == 4  # min(10, 10, 4)
    append(p, 5, 4.0)  # LEO 15
    assert p.log.high_watermark == 4
    assert p.update_follower_fetch_state(2, 10, 5.0) is True
    assert p.log.high_watermark == 10  # min(15, 10, 10)
    # A follower reporting a smaller offset does not move it back.
    assert p.update_follower_fetch_state(1, 3, 6.0) is False
    assert p.log.high_watermark == 10
    assert p.update_follower_fetch_state(1, 15, 7.0) is False  # follower 2 is at 10
    assert p.update_follower_fetch_state(2, 15, 8.0) is True
    assert p.log.high_watermark == p.log.log_end_offset == 15


def test_follower_lag_is_records_behind_the_leader_and_time_since_caught_up():
    p = leader()
    append(p, 10, 1.0)
    p.update_follower_fetch_state(1, 10, 2.0)
    p.update_follower_fetch_state(2, 3, 2.0)
    assert p.follower_lag(1, 12.0) == (0, 10.0)
    assert p.follower_lag(2, 12.0) == (7, 12.0)  # never caught up since the start at 0


# ------------------------------------------------------------------ lastCaughtUpTimeMs


def test_caught_up_at_the_leaders_leo_or_at_the_leo_of_the_previous_fetch():
    p = leader()
    r = p.remote[1]
    append(p, 10, 1.0)  # LEO 10
    p.update_follower_fetch_state(1, 0, 10.0)  # behind; the previous fetch (the start) saw LEO 0
    assert r.last_caught_up_ms == 0.0
    assert (r.last_fetch_leader_leo, r.last_fetch_ms, r.log_end_offset) == (10, 10.0, 0)
    append(p, 10, 20.0)  # LEO 20
    p.update_follower_fetch_state(1, 10, 30.0)  # reached what the leader had at the previous fetch
    assert r.last_caught_up_ms == 10.0  # caught up as of that previous fetch, not now
    p.update_follower_fetch_state(1, 15, 40.0)  # below the LEO the fetch at 30 saw (20)
    assert r.last_caught_up_ms == 10.0
    p.update_follower_fetch_state(1, 20, 50.0)  # at the leader's LEO
    assert r.last_caught_up_ms == 50.0
    p.update_follower_fetch_state(1, 20, 45.0)  # an older clock never moves it back
    assert r.last_caught_up_ms == 50.0


# ------------------------------------------------------------------ ISR shrink and expand


def test_a_follower_not_caught_up_for_the_lag_time_leaves_the_isr():
    p = leader()
    append(p, 10, 1.0)
    for t in (10.0, 50.0, 90.0):
        p.update_follower_fetch_state(1, 10, t)  # follower 1 keeps up; follower 2 never fetches
    assert p.out_of_sync_replicas(LAG) == []  # exactly the lag time: not yet (strictly more)
    assert p.maybe_shrink_isr(LAG) is False and p.isr == [0, 1, 2]
    assert p.out_of_sync_replicas(LAG + 0.5) == [2]
    # Follower 2 held the high watermark at 0; without it the watermark moves to follower 1's 10.
    assert p.maybe_shrink_isr(LAG + 0.5) is True
    assert p.isr == [0, 1] and p.log.high_watermark == 10
    assert p.isr_history[-1] == (LAG + 0.5, (0, 1))
    assert p.maybe_shrink_isr(LAG + 1.0) is False  # nothing more to remove


def test_a_follower_below_the_high_watermark_stays_out_and_rejoins_when_it_reaches_it():
    p = leader(replicas=(2, 0, 1))  # broker 0 leads; the ISR keeps the order of the replicas
    append(p, 10, 1.0)
    p.update_follower_fetch_state(1, 10, 50.0)
    p.maybe_shrink_isr(150.0)  # follower 2 never fetched
    assert p.isr == [0, 1] and p.log.high_watermark == 10
    append(p, 10, 160.0)
    p.update_follower_fetch_state(1, 20, 170.0)
    assert p.log.high_watermark == 20
    p.update_follower_fetch_state(2, 15, 180.0)  # below the high watermark: still out
    assert p.isr == [0, 1]
    assert p.log.high_watermark == 20
    p.update_follower_fetch_state(2, 20, 190.0)  # reached it: back in, in replica order
    assert p.isr == [2, 0, 1]
    assert p.isr_history[-2:] == [(150.0, (0, 1)), (190.0, (2, 0, 1))]


def test_a_follower_must_also_reach_the_start_of_the_leaders_epoch_to_rejoin():
    p = leader()
    append(p, 10, 1.0)
    p.leader_epoch_start_offset = 10  # as if this leader's epoch began at offset 10
    p.update_follower_fetch_state(1, 10, 2.0)
    p.maybe_shrink_isr(101.0)  # follower 2 (last caught up at 0) goes, follower 1 (at 2) stays
    assert p.isr == [0, 1]
    assert p.log.high_watermark == 10
    p.remote[2].log_end_offset = 8
    p.log.high_watermark = 8  # (only to isolate the epoch-start rule)
    assert p.maybe_expand_isr(2, 201.0) is False  # at the HW, below the epoch start
    p.remote[2].log_end_offset = 10
    assert p.maybe_expand_isr(2, 202.0) is True and p.isr == [0, 1, 2]


def test_a_follower_at_the_leaders_leo_never_leaves_the_isr_however_long_since_it_fetched():
    # Kafka (Partition.isFollowerOutOfSync / ReplicaState.isCaughtUp): out of sync only if its LEO differs
    # from the leader's AND it was last caught up more than replica.lag.time.max.ms ago. An idle partition
    # whose follower has everything (a paused follower, no new writes) keeps its ISR.
    p = leader()
    append(p, 10, 1.0)
    p.update_follower_fetch_state(1, 10, 2.0)
    p.update_follower_fetch_state(2, 10, 2.0)
    assert p.log.high_watermark == 10
    assert p.out_of_sync_replicas(500.0) == []
    assert p.maybe_shrink_isr(500.0) is False and p.isr == [0, 1, 2]


# ------------------------------------------------------------------ min.insync.replicas and ELR


def _shrunk_to_the_leader(elr: bool) -> Partition:
    p = leader(min_isr=2, elr=elr)
    append(p, 10, 1.0)
    p.maybe_shrink_isr(150.0)  # neither follower fetched
    assert p.isr == [0] and p.under_min_isr()
    return p


def test_with_elr_the_high_watermark_waits_while_the_isr_is_below_min_insync_replicas():
    p = _shrunk_to_the_leader(elr=True)
    assert p.log.high_watermark == 0
    append(p, 5, 160.0)
    assert p.maybe_increment_hw(170.0) is False and p.log.high_watermark == 0
    # A follower coming back (its LEO reaches the high watermark) restores the minimum: the watermark
    # moves again, to the smallest LEO of the ISR (follower 2, out and not caught up, does not count).
    assert p.update_follower_fetch_state(1, 15, 180.0) is True
    assert p.isr == [0, 1] and p.log.high_watermark == 15


def test_without_elr_the_high_watermark_follows_the_leader_alone():
    p = _shrunk_to_the_leader(elr=False)
    assert p.log.high_watermark == 10  # the shrink advanced it to the leader's LEO
    append(p, 5, 160.0)
    assert p.log.high_watermark == 15


def test_check_enough_replicas_reach_offset():
    p = leader(min_isr=2)
    append(p, 10, 1.0)
    assert p.check_enough_replicas_reach_offset(10) is None  # the HW has not passed it: wait
    p.update_follower_fetch_state(1, 10, 2.0)
    p.update_follower_fetch_state(2, 10, 2.0)
    assert p.check_enough_replicas_reach_offset(10) == (None,)
    assert p.check_enough_replicas_reach_offset(11) is None
    # The batch reached the high watermark, but the ISR shrank below min.insync.replicas before the
    # waiting request was checked: NOT_ENOUGH_REPLICAS_AFTER_APPEND.
    append(p, 10, 3.0)
    p.maybe_shrink_isr(200.0)
    assert p.isr == [0]
    assert p.check_enough_replicas_reach_offset(10) == ("NOT_ENOUGH_REPLICAS_AFTER_APPEND",)
    assert p.check_enough_replicas_reach_offset(20) is None  # ELR: the HW stays at 10
    off = _shrunk_to_the_leader(elr=False)
    assert off.check_enough_replicas_reach_offset(10) == ("NOT_ENOUGH_REPLICAS_AFTER_APPEND",)
