"""``KafkaController``: the ZooKeeper-mode controller (Kafka before 4.0), its sessions and elections.

What Kafka does (``core/.../controller/KafkaController.scala``, ``ControllerChannelManager``,
``PartitionStateMachine``): every broker holds a ZooKeeper session and an ephemeral node
``/brokers/ids/N``; a broker whose session is not renewed for ``zookeeper.session.timeout.ms`` (18000
since 2.5, 6000 before: KIP-537) is gone for the controller. The controller is one of the brokers, the one
that created the ephemeral ``/controller`` node. For every partition the dead broker led it elects a
leader from the live ISR (``OfflinePartitionLeaderElectionStrategy``; unclean from any live replica when
``unclean.leader.election.enable``), writes the partition's new leader and ISR to ZooKeeper, one znode per
partition, and sends ``LeaderAndIsr`` and ``UpdateMetadata`` requests to the brokers. When the controller's
own broker dies, the others race for ``/controller``; the winner reads the state of every partition from
ZooKeeper before it can act. A controlled shutdown asks the controller to move the broker's leaderships
first. There are no Eligible Leader Replicas: the last member of the ISR stays in it.

Per-partition costs, which make ZooKeeper-mode failover slower as partitions grow (the reason for
KRaft, KIP-500): J. Rao, "Apache Kafka Supports 200K Partitions Per Cluster" (Confluent blog, 2018), measured
a controlled shutdown of a broker leading 10,000 partitions at 6.5 minutes in Kafka 1.0 and 3 seconds in
1.1 (ZooKeeper's asynchronous API, batched requests), and a controller failover that reloads 100,000
partitions at 28 s in 1.0 and 14 s in 1.1. The model takes those figures per partition: a partition change
costs 39 ms before 1.1 and 0.3 ms from 1.1 (the controller's ZooKeeper writes are serialized), and a new
controller reads 0.28 ms per partition before 1.1 and 0.14 ms from 1.1. A change reaches the brokers one
network latency after it is written.

What is modelled: sessions as pings every third of the session timeout (as the ZooKeeper client sends
them), the session's expiry, elections and ISR changes as ``QuorumController`` does them without ELR
(the model shares the election rules), the serialized per-partition writes, the controller's own broker
dying (the lowest live broker id wins the race) and its loading time, controlled shutdown, and the
automatic preferred-leader rebalance with its per-broker threshold
(``leader.imbalance.per.broker.percentage``, which KRaft does not have).

Not modelled: ZooKeeper's own ensemble and its failures, the controller epoch's fencing of a zombie
controller, ``LeaderAndIsr`` request batching beyond the per-partition figure, and the broker's wait for
its old session to expire when it restarts faster than that (its new registration counts at once).
"""

from __future__ import annotations

from eventsim.config.versions import parse_version
from eventsim.controller.quorum_controller import QuorumController

__all__ = ["KafkaController", "change_ms_per_partition", "load_ms_per_partition"]


def change_ms_per_partition(version: str) -> float:
    """A partition change's ZooKeeper write and requests, per partition (see module docstring)."""
    return 39.0 if parse_version(version) < (1, 1) else 0.3


def load_ms_per_partition(version: str) -> float:
    """A new controller's reading of one partition's state from ZooKeeper (see module docstring)."""
    return 0.28 if parse_version(version) < (1, 1) else 0.14


class KafkaController(QuorumController):
    """The ZooKeeper-mode controller of a cluster (see module docstring)."""

    def __init__(self, env, cluster, broker_config, version: str):
        super().__init__(env, cluster, broker_config, eligible_leader_replicas=False)
        self.session_timeout_ms = float(broker_config.zookeeper_session_timeout_ms)
        self.heartbeat_interval_ms = self.session_timeout_ms / 3.0  # the ZooKeeper client's pings
        self.change_ms = change_ms_per_partition(version)
        self.load_ms = load_ms_per_partition(version)
        self.controller_id = 0  # the broker holding /controller (the first to start)
        self.busy_until = 0.0  # the controller's ZooKeeper writes are serialized
        self.controller_changes: list = []  # (time_ms, new controller id, ready_ms)
        self.imbalance_pct = float(broker_config.leader_imbalance_per_broker_percentage)

    def _write(self, now: float, record: bool = True) -> tuple[float, float]:
        t = (now if now > self.busy_until else self.busy_until) + self.change_ms
        self.busy_until = t
        return t, t + self.cluster.network.latency_ms

    def _commit_ms(self) -> float:
        return 0.0

    def fence(self, broker_id: int) -> None:
        """``broker_id``'s session expired: if it held ``/controller``, another broker takes over and loads
        every partition's state first; then the dead broker's partitions are moved."""
        if broker_id == self.controller_id:
            self._elect_controller(broker_id)
        super().fence(broker_id)

    def controlled_shutdown(self, broker_id: int) -> float:
        done = super().controlled_shutdown(broker_id)
        if broker_id == self.controller_id:  # it resigns when it stops: its session closes at once
            self.env.call_at(done, self._elect_controller, broker_id)
        return done

    def _rebalance(self) -> None:
        """``checkAndTriggerAutoLeaderRebalance``: for each broker, when more than
        ``leader.imbalance.per.broker.percentage`` of the partitions it prefers to lead are led by others,
        those whose preferred replica is in sync move back to it."""
        now = self.env.now
        by_preferred: dict = {}
        for tp, reg in self.partitions.items():
            by_preferred.setdefault(reg.replicas[0], []).append((tp, reg))
        for _broker, regs in sorted(by_preferred.items()):
            imbalanced = [(tp, reg) for tp, reg in regs if reg.leader != reg.replicas[0]]
            if 100.0 * len(imbalanced) / len(regs) <= self.imbalance_pct:
                continue
            for tp, reg in imbalanced:
                if self._preferred_ready(reg):
                    self._elect_preferred(tp, reg, now)

    def _elect_controller(self, gone: int) -> None:
        if gone != self.controller_id:
            return
        now = self.env.now
        live = [
            b.id for b in self.cluster.brokers if b.id != gone and b.running and b.id not in self.fenced
        ]
        if not live:
            return  # no broker to take over: nothing changes until one registers
        self.controller_id = min(live)
        ready = now + self.load_ms * len(self.partitions)
        if ready > self.busy_until:
            self.busy_until = ready
        self.controller_changes.append((now, self.controller_id, ready))
