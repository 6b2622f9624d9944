"""``Partition``: the leader's view of one partition's replicas: the ISR, the high watermark, acks=all.

What Kafka does (``core/.../cluster/Partition.scala``, ``Replica``): the leader keeps, for every
follower, the log end offset its last fetch asked from and when it was last caught up
(``lastCaughtUpTimeMs``: the time of a fetch at or past the leader's log end offset, or of the fetch
before, if this one reached the log end offset that fetch saw). A follower not caught up for
``replica.lag.time.max.ms`` leaves the in-sync replica set (ISR) when the leader's ``isr-expiration``
task runs (every half of that time); a follower whose log end offset reaches the high watermark (and the
start of the leader's epoch) rejoins it (``maybeExpandIsr``). The high watermark is the smallest log end
offset of the leader and of every follower that is in the ISR or caught up (``maybeIncrementLeaderHW``);
with Eligible Leader Replicas (KIP-966, on by default from Kafka 4.1) it does not advance while the ISR
is smaller than ``min.insync.replicas``. A produce request with ``acks=all`` is refused with
``NOT_ENOUGH_REPLICAS`` when the ISR is below ``min.insync.replicas`` before it is appended; once
appended it waits (``DelayedProduce``) until the high watermark passes its last offset, and is answered
``NOT_ENOUGH_REPLICAS_AFTER_APPEND`` if by then the ISR has shrunk below the minimum
(``checkEnoughReplicasReachOffset``).

What is modelled: those rules exactly, on the leader, with the ISR's history kept for the metrics.
An ISR change is committed with the controller (``AlterPartition``), which refuses it from a leader it
has replaced (``controller/quorum_controller.py``); a new leadership starts with the controller's ISR, and
followers outside it count as not caught up.

Not modelled: the ``AlterPartition`` round trip's time (Kafka uses the "maximal" ISR meanwhile, which
is what takes effect here) and the high-watermark checkpoint file.
"""

from __future__ import annotations

import math

__all__ = ["Partition", "ReplicaState"]


class ReplicaState:
    """What the leader knows of one follower (Kafka's ``Replica`` / ``ReplicaState``)."""

    __slots__ = ("broker_id", "log_end_offset", "last_caught_up_ms", "last_fetch_leader_leo", "last_fetch_ms")

    def __init__(self, broker_id: int, now_ms: float):
        self.broker_id = broker_id
        self.log_end_offset = 0
        self.last_caught_up_ms = now_ms  # a new partition starts with every replica in sync
        self.last_fetch_leader_leo = 0
        self.last_fetch_ms = now_ms


class Partition:
    """One partition as its leader sees it (see module docstring). ``log`` is the leader's log."""

    def __init__(
        self,
        tp,
        log,
        leader: int,
        replicas: list[int],
        min_insync_replicas: int,
        replica_lag_time_max_ms: float,
        now_ms: float = 0.0,
        leader_epoch: int = 0,
        eligible_leader_replicas: bool = True,
    ):
        self.tp = tp
        self.log = log
        self.leader = leader
        self.replicas = list(replicas)
        self.leader_epoch = leader_epoch
        self.leader_epoch_start_offset = log.log_end_offset
        self.min_insync_replicas = min_insync_replicas
        self.lag_time_max_ms = float(replica_lag_time_max_ms)
        self.elr = eligible_leader_replicas
        self.isr: list[int] = list(replicas)
        self.remote: dict[int, ReplicaState] = {
            b: ReplicaState(b, now_ms) for b in replicas if b != leader
        }
        # The same states in a tuple, for what every follower fetch does (find its state, recompute the
        # high watermark): a scan of two or so without the dictionary's memory.
        self._followers = tuple(self.remote.values())
        self.isr_history: list[tuple[float, tuple[int, ...]]] = [(now_ms, tuple(self.isr))]
        log.hw_follows_leo = not self.remote
        # AlterPartition: ``alter(tp, leader, leader epoch, new ISR)`` commits an ISR change with the
        # controller, which refuses one from a leader it has replaced (None: always committed).
        self.alter = None
        self.fenced = ()  # the controller's fenced (and shutting-down) brokers: not eligible for the ISR

    def take_isr(self, isr: list[int], now_ms: float) -> None:
        """The ISR as the controller has it (a new leadership, or a fenced follower removed). A follower
        outside it has not been caught up since the leadership began."""
        if isr == self.isr:
            return
        self.isr = list(isr)
        self.isr_history.append((now_ms, tuple(self.isr)))
        for b, r in self.remote.items():
            if b not in isr:
                r.last_caught_up_ms = -math.inf

    def _commit(self, isr: list[int]) -> bool:
        alter = self.alter
        return alter is None or alter(self.tp, self.leader, self.leader_epoch, isr)

    # ------------------------------------------------------------------ followers
    def update_follower_fetch_state(self, broker: int, fetch_offset: int, now_ms: float) -> bool:
        """A fetch from follower ``broker`` at ``fetch_offset`` (its log end offset); returns whether the
        high watermark advanced (``Partition.updateFollowerFetchState``)."""
        r = None
        for state in self._followers:
            if state.broker_id == broker:
                r = state
                break
        if r is None:
            r = self.remote[broker]  # (a KeyError, as for a broker that is no follower)
        leo = self.log.log_end_offset
        if fetch_offset >= leo:
            if now_ms > r.last_caught_up_ms:
                r.last_caught_up_ms = now_ms
        elif fetch_offset >= r.last_fetch_leader_leo:
            if r.last_fetch_ms > r.last_caught_up_ms:
                r.last_caught_up_ms = r.last_fetch_ms
        r.last_fetch_leader_leo = leo
        r.last_fetch_ms = now_ms
        r.log_end_offset = fetch_offset
        in_isr = False
        for b in self.isr:  # (a loop: compiled, C numbers compared, where ``in`` boxes the id)
            if b == broker:
                in_isr = True
                break
        if not in_isr:
            self.maybe_expand_isr(broker, now_ms)
        return self.maybe_increment_hw(now_ms)

    def maybe_expand_isr(self, broker: int, now_ms: float) -> bool:
        """``maybeExpandIsr``: a follower at or past the high watermark and the epoch start rejoins."""
        r = self.remote[broker]
        hw = self.log.high_watermark
        if broker in self.isr or r.log_end_offset < hw or r.log_end_offset < self.leader_epoch_start_offset:
            return False
        isr = sorted(self.isr + [broker], key=self.replicas.index)
        if not self._commit(isr):
            return False
        self.isr = isr
        self.isr_history.append((now_ms, tuple(self.isr)))
        return True

    def out_of_sync_replicas(self, now_ms: float) -> list[int]:
        """Followers in the ISR behind the leader's log end offset and not caught up for more than
        ``replica.lag.time.max.ms`` (``Partition.getOutOfSyncReplicas``)."""
        lag = self.lag_time_max_ms
        leo = self.log.log_end_offset
        out = []
        for b in self.isr:
            if b == self.leader:
                continue
            r = self.remote[b]
            # ReplicaState.isCaughtUp: a follower at the leader's log end offset is in sync however long
            # ago it fetched (an idle partition keeps its ISR).
            if r.log_end_offset != leo and now_ms - r.last_caught_up_ms > lag:
                out.append(b)
        return out

    def maybe_shrink_isr(self, now_ms: float) -> bool:
        """``maybeShrinkIsr``; returns whether the high watermark advanced (a slow follower no longer
        holds it back)."""
        out = self.out_of_sync_replicas(now_ms)
        if not out:
            return False
        isr = [b for b in self.isr if b not in out]
        if not self._commit(isr):
            return False  # refused: this leader has been replaced (it learns so from the metadata log)
        self.isr = isr
        self.isr_history.append((now_ms, tuple(self.isr)))
        return self.maybe_increment_hw(now_ms)

    # ------------------------------------------------------------------ high watermark
    def under_min_isr(self) -> bool:
        return len(self.isr) < self.min_insync_replicas

    def maybe_increment_hw(self, now_ms: float) -> bool:
        """``maybeIncrementLeaderHW``: the smallest log end offset of the leader and of the followers in
        the ISR or caught up; never moves back. Returns whether it advanced."""
        log = self.log
        if self.elr and len(self.isr) < self.min_insync_replicas:
            return False
        hw = log.log_end_offset
        lag = self.lag_time_max_ms
        isr = self.isr
        fenced = self.fenced
        for r in self._followers:
            leo = r.log_end_offset
            # A follower out of the ISR but caught up lately holds the high watermark back while it may join
            # (isReplicaIsrEligible: not a fenced or shutting-down broker).
            b = r.broker_id
            if leo < hw and (b in isr or (now_ms - r.last_caught_up_ms <= lag and b not in fenced)):
                hw = leo
        if hw > log.high_watermark:
            log.high_watermark = hw
            return True
        return False

    def check_enough_replicas_reach_offset(self, required_offset: int):
        """``checkEnoughReplicasReachOffset``: None while the high watermark is below ``required_offset``;
        else the batch's error (None for success, or ``NOT_ENOUGH_REPLICAS_AFTER_APPEND``) in a tuple."""
        if self.log.high_watermark < required_offset:
            return None
        if len(self.isr) < self.min_insync_replicas:
            return ("NOT_ENOUGH_REPLICAS_AFTER_APPEND",)
        return (None,)

    # ------------------------------------------------------------------ describe
    def follower_lag(self, broker: int, now_ms: float) -> tuple[int, float]:
        """A follower's lag: records behind the leader's log end offset, and ms since it was caught up."""
        r = self.remote[broker]
        return self.log.log_end_offset - r.log_end_offset, now_ms - r.last_caught_up_ms
