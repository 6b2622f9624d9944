"""Replica placement for new topics, as the KRaft controller's ``StripedReplicaPlacer`` does it.

What Kafka does (``metadata/src/main/java/org/apache/kafka/metadata/placement/StripedReplicaPlacer.java``,
used by ``ReplicationControlManager.createTopic`` in KRaft mode, the only mode since 4.0): the
controller groups the registered brokers into racks (brokers without ``broker.rack`` form one rack of
their own), each rack holding a sorted list of unfenced and a sorted list of fenced brokers with a
random start offset, and the racks in sorted order (no rack first) with a random start offset of
their own. Each partition then takes

* its first replica, the preferred leader, from the next rack (round-robin from the rack offset) that
  still has an unfenced broker to give in this *epoch*;
* its followers round-robin over the racks from the same offset, skipping the leader's rack once, so
  that with ``replication.factor`` at most the number of racks every replica is on a different rack;

and each rack hands out its brokers round-robin too: a new epoch (one per partition) resets the
rack's index and moves its offset on by one. The rack offset moves on by one per partition, which
gives the "striped" pattern (racks A, B, C: partition 0 on A B C, partition 1 on B C A, ...). When
as many partitions have been placed as there are unfenced brokers, the rack order and every rack's
broker lists are shuffled and the epochs start again, so that the next block of partitions does not
repeat the same replica sets. Without racks, the result is that every block of ``n`` partitions
(``n`` brokers) has each broker as leader exactly once. A fenced broker gets a follower only when
the unfenced ones of its rack are used up in the epoch, and never a leader.

What is modelled: exactly that algorithm for a new topic, with the random draws (``Random.nextInt``
and ``Collections.shuffle`` in Kafka) taken from the numpy ``Generator`` the caller passes (the
cluster passes its ``cluster.placement`` stream), so the same seed gives the same placement. The
racks' offsets are drawn in sorted rack order (Kafka draws them in ``HashMap`` order), so the layouts
are Kafka's kind, not Kafka's bit for bit. The first replica of each list is the preferred leader.

In ZooKeeper mode (Kafka 3.x and earlier) topics were placed by ``AdminUtils.assignReplicasToBrokers``
(``admin_utils_assignment``), without racks: the first replica of partition ``p`` is broker
``(p + start) % n`` for a random ``start``; the followers come after it at a distance ``1 + (shift + j) %
(n - 1)``, with a random ``shift`` that grows by one every ``n`` partitions, so the replica sets of
consecutive blocks differ.

What is not modelled: placement for partitions added to an existing topic (``CreatePartitions``
continues from the topic's last assignment: ``tryGetPreviousRackOffset``), brokers that register or
are fenced while a topic is being created, and the ZooKeeper-era rack-aware placement (refused).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from eventsim.core.errors import InvalidConfigurationError

__all__ = ["StripedReplicaPlacer", "admin_utils_assignment"]


class _BrokerList:
    """A rack's brokers, handed out round-robin from an offset that moves on with every new epoch."""

    __slots__ = ("brokers", "index", "offset", "epoch")

    def __init__(self) -> None:
        self.brokers: list[int] = []
        self.index = 0  # brokers handed out in the current epoch
        self.offset = 0  # added to the index, modulo the list size
        self.epoch = 0  # the last epoch seen; another one resets the index and moves the offset

    def initialize(self, rng) -> None:
        if self.brokers:
            self.brokers.sort()
            self.offset = int(rng.integers(len(self.brokers)))

    def shuffle(self, rng) -> None:
        rng.shuffle(self.brokers)

    def next(self, epoch: int) -> int:
        """The next broker of this epoch, or -1 when every broker has been handed out in it."""
        size = len(self.brokers)
        if size == 0:
            return -1
        if self.epoch != epoch:
            self.epoch = epoch
            self.index = 0
            self.offset = (self.offset + 1) % size
        if self.index >= size:
            return -1
        broker = self.brokers[(self.index + self.offset) % size]
        self.index += 1
        return broker


class _Rack:
    __slots__ = ("fenced", "unfenced")

    def __init__(self) -> None:
        self.fenced = _BrokerList()
        self.unfenced = _BrokerList()

    def next(self, epoch: int) -> int:
        """The next unfenced broker of this epoch, or else the next fenced one, or -1."""
        broker = self.unfenced.next(epoch)
        return broker if broker >= 0 else self.fenced.next(epoch)


def _rack_key(name: str | None) -> tuple[int, str]:
    return (0, "") if name is None else (1, name)  # OptionalStringComparator: no rack sorts first


class _RackList:
    """The racks, visited round-robin from an offset that moves on by one per partition."""

    def __init__(self, rng, broker_racks: Mapping[int, str | None], fenced: frozenset[int]):
        self.rng = rng
        self.racks: dict[str | None, _Rack] = {}
        for broker, rack_name in broker_racks.items():
            rack = self.racks.setdefault(rack_name, _Rack())
            (rack.fenced if broker in fenced else rack.unfenced).brokers.append(broker)
        self.rack_names = sorted(self.racks, key=_rack_key)
        for name in self.rack_names:
            self.racks[name].fenced.initialize(rng)
            self.racks[name].unfenced.initialize(rng)
        self.total = len(broker_racks)
        self.unfenced = self.total - sum(len(r.fenced.brokers) for r in self.racks.values())
        self.epoch = 0
        self.offset = int(rng.integers(len(self.rack_names))) if self.rack_names else 0

    def shuffle(self) -> None:
        self.rng.shuffle(self.rack_names)
        for name in self.rack_names:
            rack = self.racks[name]
            rack.fenced.shuffle(self.rng)
            rack.unfenced.shuffle(self.rng)

    def place(self, replication_factor: int) -> list[int]:
        # After as many partitions as unfenced brokers, shuffle so the next block does not repeat this
        # one (not with a single unfenced broker: the epoch would never advance past it).
        if self.epoch == self.unfenced and self.unfenced > 1:
            self.shuffle()
            self.epoch = 0
        if self.offset == len(self.rack_names):
            self.offset = 0
        names = self.rack_names
        # The leader: the first rack from the offset with an unfenced broker left in this epoch.
        first = self.offset
        while True:
            leader = self.racks[names[first]].unfenced.next(self.epoch)
            if leader >= 0:
                break
            first = (first + 1) % len(names)
        replicas = [leader]
        # The followers: round-robin over the racks from the offset, skipping the leader's rack once.
        index = self.offset
        for _ in range(1, replication_factor):
            broker = -1
            while broker < 0:
                if index == first:
                    first = -1
                else:
                    broker = self.racks[names[index]].next(self.epoch)
                index = (index + 1) % len(names)
            replicas.append(broker)
        self.epoch += 1
        self.offset += 1
        # Invariant: a partition's replicas are distinct brokers (a rack hands each out once per epoch).
        return replicas


class StripedReplicaPlacer:
    """KRaft's replica placer for a new topic (see the module docstring)."""

    def place(
        self,
        partitions: int,
        replication_factor: int,
        broker_racks: Mapping[int, str | None] | Sequence[str | None],
        rng,
        fenced: Iterable[int] = (),
    ) -> list[list[int]]:
        """One replica list per partition, the preferred leader first.

        ``broker_racks`` maps each broker id to its rack (``None``: no ``broker.rack``); a sequence is
        read as the racks of brokers ``0, 1, ...``. ``rng`` is a numpy ``Generator``; ``fenced`` lists
        brokers that may hold followers only when nothing else is left. Raises
        :class:`~eventsim.core.errors.InvalidConfigurationError` where Kafka raises
        ``InvalidReplicationFactorException``.
        """
        if not isinstance(broker_racks, Mapping):
            broker_racks = dict(enumerate(broker_racks))
        fenced = frozenset(fenced)
        if replication_factor <= 0:
            raise InvalidConfigurationError(
                "replication.factor",
                replication_factor,
                "integer >= 1",
                "the replication factor must be positive",
            )
        if replication_factor > len(broker_racks):
            raise InvalidConfigurationError(
                "replication.factor",
                replication_factor,
                f"integer in [1, {len(broker_racks)}]",
                f"only {len(broker_racks)} broker(s) are registered (InvalidReplicationFactorException)",
            )
        if not set(broker_racks) - fenced:
            raise InvalidConfigurationError(
                "brokers", sorted(fenced), "at least one unfenced broker", "all brokers are currently fenced"
            )
        racks = _RackList(rng, broker_racks, fenced)
        return [racks.place(replication_factor) for _ in range(partitions)]


def admin_utils_assignment(
    partitions: int, replication_factor: int, brokers: Sequence[int], rng
) -> list[list[int]]:
    """``AdminUtils.assignReplicasToBrokersRackUnaware``: ZooKeeper-mode placement (see module docstring);
    ``rng`` draws Kafka's two ``rand.nextInt(brokers)`` (start index, then replica shift)."""
    ids = sorted(brokers)
    n = len(ids)
    if replication_factor > n:
        raise InvalidConfigurationError(
            "replication.factor", replication_factor, f"integer <= {n}", f"only {n} brokers"
        )
    start = int(rng.integers(n))
    shift = int(rng.integers(n))
    out = []
    for p in range(partitions):
        if p > 0 and p % n == 0:
            shift += 1
        first = (p + start) % n
        replicas = [ids[first]]
        for j in range(replication_factor - 1):
            replicas.append(ids[(first + 1 + (shift + j) % (n - 1)) % n])
        out.append(replicas)
    return out
