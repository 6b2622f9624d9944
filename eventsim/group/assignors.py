"""Partition assignors: how a consumer group's partitions are split among its members.

What Kafka does: the group leader runs the assignor named by ``partition.assignment.strategy``
(``ConsumerPartitionAssignor``); Kafka 4's default list is ``[RangeAssignor,
CooperativeStickyAssignor]`` and the first, ``RangeAssignor``
(``clients/.../consumer/RangeAssignor.java``), decides. It works topic by topic: the topic's
partitions in increasing order, the members subscribed to it sorted by member id (or by
``group.instance.id`` for static members); with ``n`` partitions and ``m`` members each member takes
``n // m`` consecutive partitions and the first ``n % m`` members one more. Its Javadoc example: members
C0 and C1, topics t0 and t1 of three partitions each: C0 gets t0p0, t0p1, t1p0, t1p1 and C1 gets t0p2,
t1p2. A member beyond the partition count gets nothing and stays idle.

What is modelled: :func:`range_assign`, the rule itself, a pure function. ``simulate()`` splits each
consumer entry's partitions among its ``count`` instances with it, once, before the run (a static split,
as if every member had joined before the first poll). Kafka's member ids are ``client.id`` followed by a
random UUID, so which member gets which range depends on them; the model's member id for instance ``i``
sorts as ``i``, so instance 0 of 2 on 4 partitions reads 0-1 and instance 1 reads 2-3.

Not modelled yet: the group coordinator, joining and syncing (the rebalance protocol), rebalances when a
member joins, leaves or fails, rack-aware assignment (KIP-881), the other assignors (``RoundRobin``,
``Sticky``, ``CooperativeSticky``) and KIP-848's server-side assignors. Rebalancing comes with consumer
groups.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from eventsim.structs import TopicPartition, topic_partition

__all__ = ["range_assign", "range_split"]


def range_split(partitions: Iterable[int], members: Iterable[Hashable]) -> dict[Hashable, list[int]]:
    """``RangeAssignor``'s split of one topic's ``partitions`` (numbers) among ``members`` (member ids).

    Partitions are taken in increasing order, members in sorted order; every member is in the answer,
    with an empty list if there are more members than partitions.
    """
    parts = sorted(partitions)
    ordered = sorted(members)
    out: dict[Hashable, list[int]] = {member: [] for member in ordered}
    m = len(ordered)
    if m == 0:
        return out
    per_member, extra = divmod(len(parts), m)  # the first `extra` members take one more
    for i, member in enumerate(ordered):
        start = per_member * i + min(i, extra)
        length = per_member + (1 if i < extra else 0)
        out[member] = parts[start : start + length]
    return out


def range_assign(
    partitions: Iterable[TopicPartition | int], members: Iterable[Hashable]
) -> dict[Hashable, list]:
    """Kafka's ``RangeAssignor``: ``partitions`` split among ``members``, topic by topic.

    ``partitions`` are ``TopicPartition``s (each topic is split on its own, as Kafka does; every member
    is taken to subscribe to every topic given) or plain partition numbers of one topic. Returns
    ``{member: [partitions]}`` with members in sorted order and each member's partitions by topic, then
    partition; the elements are of the kind given.
    """
    members = sorted(members)
    items = list(partitions)
    if not any(isinstance(p, TopicPartition) for p in items):
        return range_split(items, members)
    if not all(isinstance(p, TopicPartition) for p in items):
        raise TypeError("partitions must be all TopicPartitions or all partition numbers")
    topics: dict[str, list[int]] = {}
    for tp in items:
        topics.setdefault(tp.topic, []).append(tp.partition)
    out: dict[Hashable, list] = {member: [] for member in members}
    for topic in sorted(topics):
        for member, parts in range_split(topics[topic], members).items():
            out[member] += [topic_partition(topic, p) for p in parts]
    return out
