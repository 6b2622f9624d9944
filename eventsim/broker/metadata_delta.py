"""How a broker applies the controller's partition records: it leads, resigns, or follows.

What Kafka does (``ReplicaManager.applyDelta`` with ``makeLeaders`` / ``makeFollowers``, KRaft; the
``LeaderAndIsr`` request in ZooKeeper mode): a broker replays each partition record it reads from the
metadata log. If it is the new leader it starts leading from its own log end offset with the record's
ISR; if it led the partition before, the requests waiting on it are answered ``NOT_LEADER_OR_FOLLOWER``;
if it is a follower of a new leader it truncates its log where it diverges from the leader's (KIP-101,
KIP-279: ``OffsetsForLeaderEpoch``; before Kafka 0.11, to its high watermark) and fetches from it.

What is modelled: exactly that, for one partition record at a time, with the record's leader, leader
epoch, ISR and replicas. A paused broker reads the records a round trip after it wakes. What the broker
knows is its metadata cache (``metadata_cache``: tp -> (leader, leader epoch)), which answers metadata
requests (``metadata_view``) and gives the leader hints of a ``NOT_LEADER_OR_FOLLOWER`` answer
(``leader_hints``, KIP-951). Not modelled: the ``OffsetsForLeaderEpoch`` round trip's time.
"""

from __future__ import annotations

from eventsim.log.log import truncation_offset

__all__ = ["apply_partition_change", "leader_hints", "metadata_view"]


def leader_hints(broker, hints, tp) -> dict:
    """KIP-951: a NOT_LEADER_OR_FOLLOWER answer carries the leader and epoch ``broker`` knows for ``tp``
    (added to ``hints``, a new dict when None)."""
    hints = {} if hints is None else hints
    known = broker.metadata_cache.get(tp)
    hints[tp] = known if known is not None else broker.cluster.metadata_for(tp)
    return hints


def metadata_view(broker, topic: str) -> dict:
    """``{tp: (leader, leader epoch)}`` of ``topic`` from ``broker``'s metadata cache."""
    cache = broker.metadata_cache
    view = broker.cluster.metadata(topic)
    for tp in view:
        known = cache.get(tp)
        if known is not None:
            view[tp] = known
    return view


def apply_partition_change(broker, tp, state) -> None:
    """A partition record from the metadata log: ``(leader, leader epoch, ISR, replicas)``."""
    if not broker.running:
        return  # a stopped process reads nothing; it hears the current state when it registers again
    env = broker.env
    if broker.paused_until > env.now:
        # Paused, it fetches the metadata log again when it wakes: the records reach it a round trip
        # later, and until then it acts on what it believed (a zombie leader).
        wake = broker.paused_until + 2.0 * broker.cluster.network.latency_ms
        env.call_at(wake, apply_partition_change, broker, tp, state)
        return
    leader, epoch, isr, replicas = state
    known = broker.metadata_cache.get(tp)
    if known is not None and known[1] > epoch:
        return  # older than what it knows
    broker.metadata_cache[tp] = (leader, epoch)
    now = env.now
    partition = broker.partitions.get(tp)
    if leader == broker.id:
        if partition is not None and partition.leader_epoch == epoch:
            partition.take_isr(list(isr), now)  # the controller removed a fenced follower
            if partition.maybe_increment_hw(now):  # it no longer holds the high watermark back
                broker._hw_advanced(partition)
            return
        _unfollow(broker, tp)
        partition = broker.become_leader(tp, list(replicas), now, epoch, isr)
        if partition.maybe_increment_hw(now):
            broker._hw_advanced(partition)
        return
    if partition is not None:
        _resign(broker, tp)
    if leader >= 0 and broker.id in replicas:
        _follow(broker, tp, leader, epoch)
    else:
        _unfollow(broker, tp)


def _resign(broker, tp) -> None:
    """No longer the leader of ``tp``: acks=all requests waiting on it and parked consumer fetches are
    answered ``NOT_LEADER_OR_FOLLOWER`` with the leader this broker now knows."""
    del broker.partitions[tp]
    broker.led_version += 1
    broker.resigned_ms = broker.env.now
    broker.logs[tp].hw_follows_leo = False
    hints = leader_hints(broker, None, tp)
    broker.produce_purgatory.abandon(broker.logs[tp], "NOT_LEADER_OR_FOLLOWER", hints)
    purgatory = broker.purgatory
    for fetch in list(purgatory.watchers.get(tp, ())):
        if fetch.parked and fetch.replica_id < 0:
            fetch.new_leaders = leader_hints(broker, fetch.new_leaders, tp)
            fetch.drop(tp)
            purgatory.release(fetch)


def _follow(broker, tp, leader: int, epoch: int) -> None:
    if broker.following.get(tp) == (leader, epoch):
        return
    _unfollow(broker, tp)
    broker.following[tp] = (leader, epoch)
    log = broker.logs[tp]
    log.hw_follows_leo = False
    cluster = broker.cluster
    source = cluster.brokers[leader]
    # OffsetsForLeaderEpoch (KIP-101, KIP-279): drop what the new leader's log does not have; before
    # Kafka 0.11, everything above the follower's high watermark.
    if cluster.truncate_to_high_watermark:
        log.truncate_to(log.high_watermark)
    else:
        log.truncate_to(truncation_offset(log, source.logs[tp]))
    cluster.fetcher_for(broker, source, tp).add_partition(tp, log, start=True)


def _unfollow(broker, tp) -> None:
    if broker.following.pop(tp, None) is None:
        return
    for f in broker.fetchers:
        if tp in f.logs:
            f.remove_partition(tp)
