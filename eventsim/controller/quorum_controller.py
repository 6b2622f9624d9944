"""``QuorumController``: the KRaft controller's view of brokers and partitions, and its leader elections.

What Kafka does (``metadata/.../controller/QuorumController.java``, ``ReplicationControlManager``,
``BrokerHeartbeatManager``, ``PartitionChangeBuilder``): every broker registers with the active
controller and sends a ``BrokerHeartbeat`` every ``broker.heartbeat.interval.ms``; a broker the
controller has not heard from for ``broker.session.timeout.ms`` is *fenced* (the controller schedules
that check for the stalest broker's deadline). Fencing a broker removes it from the ISR of every
partition it is in and elects a new leader for the partitions it led. The election
(``PartitionChangeBuilder.electLeader``) keeps the current leader if it is still in the ISR and
unfenced, else takes the first replica, in assignment order, that is in the ISR and unfenced. When
none is, the partition has no leader (-1) until one comes back, except that

* with Eligible Leader Replicas (KIP-966, on for new clusters from Kafka 4.1) the replicas that left
  the ISR while it was below ``min.insync.replicas`` are kept as *eligible* (ELR): they have every
  committed record, and one of them can lead cleanly when the ISR is empty; without ELR the last
  member of the ISR stays in it even when fenced ("last replica standing"), and only it can lead again;
* with ``unclean.leader.election.enable`` any unfenced replica may lead (records it lacks are lost), and
  the ISR becomes that replica alone.

With ``auto.leader.rebalance.enable`` the controller moves a partition back to its preferred replica (the
first of its assignment) when that replica is in the ISR again, checking every
``leader.imbalance.check.interval.seconds`` (300 s by default), so a restarted broker leads again.

Every change is a record in the metadata log, with a new leader epoch when the leader changes (and a
new partition epoch on every change); brokers replay the log and act on it: the new leader starts
leading from its own log end offset, followers truncate to where their log agrees with the new leader's
(KIP-101, KIP-279) and fetch from it. Leaders report ISR changes with ``AlterPartition``; the controller
refuses one sent with an old leader epoch (a zombie leader cannot shrink the ISR). A broker that starts
again registers, is unfenced with its first heartbeat and follows the partitions it holds. A controlled
shutdown (SIGTERM) moves the broker's leaderships away before it stops.

What is modelled: those rules on one active controller, with the heartbeats as timed messages over the
network; a change reaches each broker one network latency after the controller commits it, which is one
network round trip (the quorum's majority) after it decides. ``history`` is the metadata log's
partition records (time, leader, leader epoch, ISR, ELR).

The quorum (``cluster.controllers`` voters): the active controller is its Raft leader; when it dies, the
others notice after ``controller.quorum.fetch.timeout.ms`` (2 s) and elect one of them after
``controller.quorum.election.timeout.ms`` (1 s) and a random backoff (up to 1 s), if a majority is up; a
leader that stops gracefully resigns first (``EndQuorumEpoch``), so only the backoff remains. Meanwhile
nothing is fenced or elected; the new controller has the metadata log already and starts every broker's
session afresh. Its changes are shown as ``quorum`` rows of the ``faults`` frame. The voters run on
dedicated nodes ``controller-0`` ... (``cluster.controller_nodes: dedicated``, ``process.roles=controller``)
or inside brokers ``0`` ... (``combined``, ``process.roles=broker,controller``): then a broker's crash, power
loss or controlled shutdown stops its voter too, and a pause longer than the fetch timeout costs its
leadership. When the active controller's broker dies, the new controller starts that broker's session
afresh as well, so its partitions wait for the quorum's failover *and* a whole session timeout.

Not modelled: the quorum's own replication latency beyond one
round trip, the time a broker takes to recover its logs and replay the metadata log on startup, and the
``AlterPartition`` round trip (an ISR change takes effect when the leader decides it).
"""

from __future__ import annotations

__all__ = ["QuorumController", "PartitionRegistration", "NO_LEADER", "CONTROLLER_NODE"]

NO_LEADER = -1  # LeaderConstants.NO_LEADER
CONTROLLER_NODE = "controller-0"  # the controller (or ZooKeeper) as faults name it, when there is one
# KRaft's Raft timeouts (QuorumConfig defaults): a voter that has not heard from the leader for the fetch
# timeout starts an election, which takes the election timeout plus a random backoff of up to its maximum.
QUORUM_FETCH_TIMEOUT_MS = 2000.0
QUORUM_ELECTION_TIMEOUT_MS = 1000.0
QUORUM_ELECTION_BACKOFF_MAX_MS = 1000.0


class PartitionRegistration:
    """A partition as the controller's metadata has it (Kafka's ``PartitionRegistration``)."""

    __slots__ = ("replicas", "isr", "elr", "leader", "leader_epoch", "partition_epoch", "min_isr")

    def __init__(self, replicas: list[int], min_isr: int):
        self.replicas = list(replicas)
        self.isr = list(replicas)
        self.elr: list[int] = []
        self.leader = replicas[0]
        self.leader_epoch = 0
        self.partition_epoch = 0
        self.min_isr = min_isr


class QuorumController:
    """The active KRaft controller of a cluster (see module docstring)."""

    def __init__(
        self,
        env,
        cluster,
        broker_config,
        eligible_leader_replicas: bool,
        voters: int = 1,
        rng=None,
        combined: bool = False,
    ):
        self.env = env
        self.cluster = cluster
        self.heartbeat_interval_ms = float(broker_config.broker_heartbeat_interval_ms)
        self.session_timeout_ms = float(broker_config.broker_session_timeout_ms)
        self.unclean = bool(broker_config.unclean_leader_election_enable)
        self.rebalance = bool(broker_config.auto_leader_rebalance_enable)
        self.rebalance_interval_ms = 1000.0 * broker_config.leader_imbalance_check_interval_seconds
        self.elr = eligible_leader_replicas
        self.partitions: dict = {}  # tp -> PartitionRegistration
        self.fenced: set[int] = set()
        self.shutting_down: set[int] = set()  # in a controlled shutdown: fenced until they register again
        self.last_contact: dict[int, float] = {}
        self.history: list = []  # (time_ms, tp, leader, leader epoch, isr, elr): the metadata log
        # The quorum: voters controller-0 .. controller-(n-1); the active controller is its Raft leader.
        self.voters = voters
        self.combined = combined  # voter v runs in broker v's process (process.roles=broker,controller)
        self.voter_up = [True] * voters
        self.active = 0  # None while the quorum has no leader (no controller acts)
        self.quorum_changes: list = []  # (time_ms, the active controller's node name, or "none")
        self._rng = rng
        self._last_publish = 0.0  # when the latest change reaches the brokers
        self._undelivered: list = []  # (broker id, tp, state) cut off from the controller by a partition
        self.heartbeats = False  # heartbeats are simulated once a fault can make a broker miss them

    # ------------------------------------------------------------------ topics
    def create_partition(self, tp, replicas: list[int], min_isr: int) -> PartitionRegistration:
        reg = PartitionRegistration(replicas, min_isr)
        self.partitions[tp] = reg
        self._record(tp, reg, self.env.now)
        return reg

    def _record(self, tp, reg: PartitionRegistration, now: float) -> None:
        self.history.append((now, tp, reg.leader, reg.leader_epoch, tuple(reg.isr), tuple(reg.elr)))

    # ------------------------------------------------------------------ heartbeats
    def start_heartbeats(self) -> None:
        """Every running broker heartbeats from now on, and leaders are rebalanced to their preferred
        replicas every ``leader.imbalance.check.interval.seconds`` (called when a run has faults: without
        them nothing is ever out of balance)."""
        if self.heartbeats:
            return
        self.heartbeats = True
        now = self.env.now
        if self.rebalance:
            self.env.call_at(now + self.rebalance_interval_ms, self._rebalance_due)
        for broker in self.cluster.brokers:
            self.last_contact[broker.id] = now
            self._schedule_fence_check(broker.id, now)
            self.env.call_at(now + self.heartbeat_interval_ms, self._heartbeat_due, broker, broker.epoch)

    def _heartbeat_due(self, broker, epoch: int) -> None:
        """The broker's heartbeat timer: it sends a ``BrokerHeartbeat`` if its process is running."""
        if epoch != broker.epoch or not broker.running:
            return  # a stopped process sends nothing; a restarted one has timers of its own
        now = self.env.now
        late = broker.paused_until - now
        if late > 0.0:  # a paused process sends when it wakes
            self.env.call_at(broker.paused_until, self._heartbeat_due, broker, epoch)
            return
        network = self.cluster.network
        if network.reachable(broker.host.name, self.node):  # else lost (a partition, or no active controller)
            self.env.call_at(now + network.latency_ms, self._on_heartbeat, broker.id)
        self.env.call_at(now + self.heartbeat_interval_ms, self._heartbeat_due, broker, epoch)

    def register(self, broker) -> None:
        """A broker process that started again registers (``BrokerRegistration``, a new incarnation): the
        controller fences what the old incarnation held, and unfences it with its first heartbeat."""
        at = self.env.now + self.cluster.network.latency_ms
        self.env.call_at(at, self._on_registration, broker, broker.epoch)

    def _on_registration(self, broker, epoch: int) -> None:
        if epoch != broker.epoch or not broker.running:
            return
        if self.active is None:  # no controller to register with yet: try again
            self.env.call_at(self.env.now + QUORUM_ELECTION_TIMEOUT_MS, self._on_registration, broker, epoch)
            return
        self.shutting_down.discard(broker.id)
        if broker.id not in self.fenced:
            self.fence(broker.id)
        self.heartbeats = True
        now = self.env.now
        self.env.call_at(now, self._heartbeat_due, broker, epoch)

    def _on_heartbeat(self, broker_id: int) -> None:
        if self.active is None:
            return  # no controller hears it
        now = self.env.now
        self.last_contact[broker_id] = now
        self._schedule_fence_check(broker_id, now)
        if (
            broker_id in self.fenced
            and broker_id not in self.shutting_down
            and self.cluster.brokers[broker_id].running
        ):
            self.unfence(broker_id)  # (a broker shutting down stays fenced: KIP-841)

    def _schedule_fence_check(self, broker_id: int, contact_ms: float) -> None:
        self.env.call_at(contact_ms + self.session_timeout_ms, self._fence_check, broker_id, contact_ms)

    def _fence_check(self, broker_id: int, contact_ms: float) -> None:
        if self.active is None:
            return  # the next active controller starts every session afresh
        if self.last_contact.get(broker_id) == contact_ms and broker_id not in self.fenced:
            self.fence(broker_id)  # no heartbeat for broker.session.timeout.ms

    # ------------------------------------------------------------------ the quorum
    @property
    def node(self) -> str:
        """The active controller's node name (what heartbeats and records cross the network to)."""
        if self.active is None:
            return "no active controller"
        return f"broker-{self.active}" if self.combined else f"controller-{self.active}"

    def voter_down(self, voter: int, resigned: bool = False) -> None:
        """Controller ``voter``'s process died: if it was the active one, the others elect a leader once
        they have missed it for the fetch timeout (and a majority of voters is up). A leader that stops
        gracefully ``resigned`` (Raft's ``EndQuorumEpoch``): the others need not wait for the timeout."""
        self.voter_up[voter] = False
        if voter == self.active:
            self.active = None
            now = self.env.now
            self.quorum_changes.append((now, "none"))
            self._schedule_election(now if resigned else now + QUORUM_FETCH_TIMEOUT_MS, resigned)

    def voter_restarted(self, voter: int) -> None:
        self.voter_up[voter] = True
        if self.active is None:
            self._schedule_election(self.env.now)

    def _schedule_election(self, start_ms: float, resigned: bool = False) -> None:
        """A candidate stands after the election timeout and a random backoff; after a resignation only
        the backoff (the resigning leader's ``EndQuorumEpoch`` starts the election at once)."""
        backoff = QUORUM_ELECTION_BACKOFF_MAX_MS * (self._rng.random() if self._rng is not None else 0.5)
        timeout = 0.0 if resigned else QUORUM_ELECTION_TIMEOUT_MS
        self.env.call_at(start_ms + timeout + backoff, self._elect)

    def _elect(self) -> None:
        """A Raft election among the live voters; it needs a majority. The new active controller has the
        metadata log already (every voter replicates it) and starts every broker's session afresh
        (``BrokerHeartbeatManager`` on activation), then delivers the records brokers could not read."""
        if self.active is not None:
            return
        alive = [v for v in range(self.voters) if self.voter_up[v]]
        if 2 * len(alive) <= self.voters:
            return  # no majority: no leader until more voters come back
        self.active = alive[0] if self._rng is None else alive[int(self._rng.integers(len(alive)))]
        now = self.env.now
        self.quorum_changes.append((now, self.node))
        for broker in self.cluster.brokers:
            if broker.id not in self.fenced:  # every unfenced broker it knows, alive or not
                self.last_contact[broker.id] = now
                self._schedule_fence_check(broker.id, now)
        self.redeliver()

    # ------------------------------------------------------------------ fencing
    def fence(self, broker_id: int) -> None:
        """Fence ``broker_id``: out of every ISR, and new leaders for what it led."""
        self.fenced.add(broker_id)
        self._move_away(broker_id)

    def controlled_shutdown(self, broker_id: int) -> float:
        """A broker asks to shut down: its leaderships and ISR places go first (it is fenced); returns
        when the last change reaches it, after which it may stop."""
        if self.active is None:  # no controller to ask: it stops after waiting for one, uncontrolled
            return self.env.now + QUORUM_FETCH_TIMEOUT_MS
        self.fenced.add(broker_id)
        self.shutting_down.add(broker_id)
        self._last_publish = self.env.now + self._commit_ms() + self.cluster.network.latency_ms
        self._move_away(broker_id)
        return self._last_publish

    def _move_away(self, broker_id: int) -> None:
        now = self.env.now
        for tp, reg in self.partitions.items():
            if broker_id not in reg.isr and reg.leader != broker_id:
                continue
            isr = [b for b in reg.isr if b != broker_id]
            elr = list(reg.elr)
            if self.elr:
                if len(isr) < reg.min_isr and broker_id in reg.isr and broker_id not in elr:
                    elr.append(broker_id)  # it has every committed record: eligible to lead
            elif not isr:
                isr = [broker_id]  # the last replica standing stays in the ISR
            self._change(tp, reg, isr, elr, now)

    def unfence(self, broker_id: int) -> None:
        """A registered broker's heartbeat: it may lead and follow again; partitions without a leader that
        it can lead get one."""
        self.fenced.discard(broker_id)
        now = self.env.now
        for tp, reg in self.partitions.items():
            if broker_id not in reg.replicas:
                continue
            if reg.leader == NO_LEADER:
                self._change(tp, reg, list(reg.isr), list(reg.elr), now)
            else:
                _, publish = self._write(now, record=False)
                self._publish_to(broker_id, tp, reg, publish)  # it learns who leads and follows

    # ------------------------------------------------------------------ elections
    def _acceptable(self, b: int) -> bool:
        return b not in self.fenced and self.cluster.brokers[b].registered

    def elect(self, reg: PartitionRegistration, isr: list[int], elr: list[int]) -> tuple[int, list, list]:
        """``PartitionChangeBuilder.electLeader``: the new leader, ISR and ELR."""
        if reg.leader in isr and self._acceptable(reg.leader):
            return reg.leader, isr, elr
        for b in reg.replicas:
            if b in isr and self._acceptable(b):
                return b, isr, elr
        if self.elr:
            for b in reg.replicas:
                if b in elr and self._acceptable(b):
                    return b, [b], [e for e in elr if e != b]  # a clean election from the ELR
        if self.unclean:
            for b in reg.replicas:
                if self._acceptable(b):
                    return b, [b], []  # unclean: what it lacks is lost
        return NO_LEADER, isr, elr

    def _change(self, tp, reg: PartitionRegistration, isr: list[int], elr: list[int], now: float) -> None:
        leader, isr, elr = self.elect(reg, isr, elr)
        if self.elr and len(isr) >= reg.min_isr:
            elr = []  # the ISR is large enough again: no replica needs to be eligible outside it
        if leader == reg.leader and isr == reg.isr and elr == reg.elr:
            return
        if leader != reg.leader:
            reg.leader_epoch += 1
        reg.leader = leader
        reg.isr = isr
        reg.elr = elr
        reg.partition_epoch += 1
        record, publish = self._write(now)
        self._record(tp, reg, record)
        for b in reg.replicas:
            self._publish_to(b, tp, reg, publish)
        if publish > self._last_publish:
            self._last_publish = publish

    def _commit_ms(self) -> float:
        return 2.0 * self.cluster.network.latency_ms  # a round trip to the quorum's majority

    def _write(self, now: float, record: bool = True) -> tuple[float, float]:
        """When a partition change decided ``now`` is in the metadata log, and when it reaches the brokers
        (KRaft: the controller batches records and replicates them to the quorum; its per-partition work
        is in memory and is taken as free)."""
        return now, now + self._commit_ms() + self.cluster.network.latency_ms

    def _publish_to(self, broker_id: int, tp, reg: PartitionRegistration, at: float) -> None:
        state = (reg.leader, reg.leader_epoch, tuple(reg.isr), tuple(reg.replicas))
        broker = self.cluster.brokers[broker_id]
        if not self.cluster.network.reachable(self.node, broker.host.name):
            self._undelivered.append((broker_id, tp, state))  # it reads the records once it can
            return
        self.env.call_at(at, broker.apply_partition_change, tp, state)

    def redeliver(self) -> None:
        """A partition healed: the records a broker could not read reach it now, in order."""
        pending, self._undelivered = self._undelivered, []
        at = self.env.now + self.cluster.network.latency_ms
        for broker_id, tp, state in pending:
            broker = self.cluster.brokers[broker_id]
            if self.cluster.network.reachable(self.node, broker.host.name):
                self.env.call_at(at, broker.apply_partition_change, tp, state)
            else:
                self._undelivered.append((broker_id, tp, state))

    # ------------------------------------------------------------------ preferred leaders
    def _rebalance_due(self) -> None:
        if self.active is not None:
            self._rebalance()
        self.env.call_at(self.env.now + self.rebalance_interval_ms, self._rebalance_due)

    def _preferred_ready(self, reg: PartitionRegistration) -> bool:
        """The preferred replica (the first one) does not lead, is in the ISR and may lead."""
        preferred = reg.replicas[0]
        return reg.leader != preferred and preferred in reg.isr and self._acceptable(preferred)

    def _rebalance(self) -> None:
        """``auto.leader.rebalance.enable``: the KRaft controller moves every partition whose preferred
        replica is in sync back to it (``maybeBalancePartitionLeaders``; no per-broker threshold)."""
        now = self.env.now
        for tp, reg in self.partitions.items():
            if self._preferred_ready(reg):
                self._elect_preferred(tp, reg, now)

    def _elect_preferred(self, tp, reg: PartitionRegistration, now: float) -> None:
        reg.leader = reg.replicas[0]
        reg.leader_epoch += 1
        reg.partition_epoch += 1
        record, publish = self._write(now)
        self._record(tp, reg, record)
        for b in reg.replicas:
            self._publish_to(b, tp, reg, publish)

    # ------------------------------------------------------------------ AlterPartition
    def alter_partition(self, tp, leader: int, leader_epoch: int, isr: list[int]) -> bool:
        """A leader's ISR change; refused when sent under an old leader epoch (``FENCED_LEADER_EPOCH``),
        by a broker that no longer leads, or adding a fenced or shutting-down broker (KIP-841)."""
        reg = self.partitions[tp]
        if leader != reg.leader or leader_epoch != reg.leader_epoch:
            return False
        if self.active is None or not self.cluster.network.reachable(f"broker-{leader}", self.node):
            return False  # the request cannot reach the controller (a network partition)
        if any(b not in reg.isr and b in self.fenced for b in isr):
            return False  # INELIGIBLE_REPLICA (KIP-841): no fenced or shutting-down broker joins the ISR
        elr = list(reg.elr)
        if self.elr:
            if len(isr) < reg.min_isr:
                elr += [b for b in reg.isr if b not in isr and b not in elr]
            else:
                elr = []
            elr = [b for b in elr if b not in isr]
        reg.isr = list(isr)
        reg.elr = elr
        reg.partition_epoch += 1
        self._record(tp, reg, self.env.now)
        return True

    # ------------------------------------------------------------------ queries
    def leader_and_epoch(self, tp) -> tuple[int, int]:
        reg = self.partitions[tp]
        return reg.leader, reg.leader_epoch
