"""``Cluster``: brokers, topics with their partition placement, client hosts and the network.

Builds the component tree of one run from a ``Scenario``: the hardware profile sets every host's
numbers (``cluster.broker_hardware`` may give a broker other hardware: ``ClusterConfig.profile_for``);
topics get KRaft's striped replica placement over the brokers' racks (``controller/replica_placer.py``)
or the scenario's own ``replicas`` assignment. Each partition has a log on every replica; its first
replica leads it (the preferred leader, leader epoch 0, every replica in sync), and each follower broker
fetches it with the ``ReplicaFetcherThread`` that ``getFetcherId`` picks (``replication/replica_fetcher.py``).
Producers and consumers each run on their own client host (NIC at the profile's client rate).
"""

from __future__ import annotations

from collections import deque

from eventsim.broker.broker import Broker
from eventsim.config.versions import message_format, truncates_to_high_watermark
from eventsim.controller.kafka_controller import KafkaController
from eventsim.controller.quorum_controller import QuorumController
from eventsim.controller.replica_placer import StripedReplicaPlacer, admin_utils_assignment
from eventsim.metrics.timeseries import BusyTracker
from eventsim.network import Host, Network
from eventsim.replication.replica_fetcher import ReplicaFetcherThread, fetcher_id
from eventsim.structs import TopicPartition, topic_partition

__all__ = ["Cluster", "TopicState"]

# The consumer's request.timeout.ms and the follower's replica.socket.timeout.ms defaults (30 s): how long
# a client waits for an answer from a machine that went silent before it gives the connection up.
SILENT_TIMEOUT_MS = 30000.0


class TopicState:
    def __init__(self, config, replicas: list[list[int]]):
        self.name = config.name
        self.config = config
        self.partitions = config.partitions
        self.replicas = replicas

    def leader(self, partition: int) -> int:
        """The preferred leader: the first replica (``Cluster.leader_of`` is the current one)."""
        return self.replicas[partition][0]

    def tps(self) -> list[TopicPartition]:
        return [topic_partition(self.name, p) for p in range(self.partitions)]


class Cluster:
    def __init__(self, env, scenario, recorder):
        self.env = env
        self.scenario = scenario
        self.profile = scenario.cluster.cluster_profile()
        prof = self.profile
        window = scenario.metrics.window_ms
        self.network = Network(prof.network_latency_ms)
        self.network.env = env
        # KIP-966's Eligible Leader Replicas (cluster.eligible_leader_replicas; on in new clusters from Kafka
        # 4.1): the high watermark waits while the ISR is below min.insync.replicas, and elections may take
        # an eligible replica.
        self.eligible_leader_replicas = scenario.cluster.eligible_leader_replicas
        # Before Kafka 0.11 a follower truncated to its high watermark, not by leader epoch (KIP-101).
        self.truncate_to_high_watermark = truncates_to_high_watermark(scenario.cluster.kafka_version)
        # The record format its release writes (v0 before 0.10, v1 in 0.10, v2 from 0.11): sizes on the wire.
        self.magic = message_format(scenario.cluster.kafka_version)
        # The topics some producer compresses for (with compression.type "producer" the log keeps its sets).
        self.compressing_topics = {p.topic for p in scenario.producers if p.config.compression_type != "none"}
        if scenario.cluster.controller_mode == "zookeeper":
            self.controller = KafkaController(env, self, scenario.broker, scenario.cluster.kafka_version)
        else:
            self.controller = QuorumController(
                env,
                self,
                scenario.broker,
                self.eligible_leader_replicas,
                scenario.cluster.controllers,
                env.rng("controller.quorum"),
                combined=scenario.cluster.controller_nodes == "combined",
            )
        self.leader_partition: dict = {}  # tp -> the Partition of its current (or last) leader
        self.window_ms = window
        self.clients: list = []  # producers and consumers, told when a broker's connections reset
        self.brokers = [
            Broker(env, i, scenario.broker, scenario.cluster.profile_for(i), self, recorder, window)
            for i in range(scenario.cluster.brokers)
        ]
        # Variability (the scenario's ``variability:``): service times around their means at the brokers'
        # threads and disks, and latency jitter on the wire; each station and the network draw from their
        # own streams.
        self.variability = scenario.variability
        if self.variability.network_jitter:
            v = self.variability
            self.network.jitter(v.network_jitter_p50_ms, v.network_jitter_p99_ms, env.rng("network.jitter"))
        if self.variability.service_times:
            for b in self.brokers:
                for station in (*b.processors, b.handlers):
                    self._vary(station, self.variability.service_cv_cpu)
                for disk in b.disks:
                    self._vary(disk, self.variability.service_cv_disk)
        rng = env.rng("cluster.placement")
        racks = scenario.cluster.racks or (None,) * len(self.brokers)
        placer = StripedReplicaPlacer()
        self.topics: dict[str, TopicState] = {}
        self._fetchers: dict[tuple[int, int, int], ReplicaFetcherThread] = {}
        # What reached the disks matters only when a machine may lose power.
        track_durability = any(f.kind == "power_loss" for f in scenario.faults)
        for tcfg in scenario.topics:
            resolved = tcfg.resolve(scenario.broker)
            if resolved.replicas:
                replicas = [list(r) for r in resolved.replicas]
            elif scenario.cluster.controller_mode == "zookeeper":  # AdminUtils, as ZooKeeper-era Kafka
                replicas = admin_utils_assignment(
                    resolved.partitions, resolved.replication_factor, range(len(self.brokers)), rng
                )
            else:
                replicas = placer.place(
                    resolved.partitions, resolved.replication_factor, dict(enumerate(racks)), rng
                )
            topic = TopicState(resolved, replicas)
            self.topics[resolved.name] = topic
            for tp in topic.tps():
                replicas = topic.replicas[tp.partition]
                readers: dict = {}  # one registry of readers for the partition's replicas
                for b in replicas:
                    log = self.brokers[b].add_log(tp, resolved)
                    log.share_readers(readers)
                    log.pinned = scenario.metrics.check  # entries stay until retention deletes them (checker)
                    if track_durability:
                        log.durability = deque()
                self.controller.create_partition(tp, replicas, resolved.min_insync_replicas)
                leader = self.brokers[replicas[0]]
                leader.become_leader(tp, replicas, env.now)
                for broker in self.brokers:
                    broker.metadata_cache[tp] = (leader.id, 0)
                for b in replicas[1:]:
                    follower = self.brokers[b]
                    follower.logs[tp].hw_follows_leo = False  # a follower's high watermark is the leader's
                    follower.following[tp] = (leader.id, 0)
                    self.fetcher_for(follower, leader, tp).add_partition(tp, follower.logs[tp])
        self._next_producer_id = 0

    def fetcher_for(self, follower, leader, tp) -> ReplicaFetcherThread:
        """The ``ReplicaFetcherThread`` of ``follower`` fetching ``tp`` from ``leader`` (``getFetcherId``)."""
        index = fetcher_id(tp.topic, tp.partition, self.scenario.broker.num_replica_fetchers)
        key = (follower.id, leader.id, index)
        f = self._fetchers.get(key)
        if f is None:
            f = self._fetchers[key] = ReplicaFetcherThread(follower, leader, key[2], self.window_ms)
            follower.fetchers.append(f)
            if self.variability.service_times:
                self._vary(f.thread, self.variability.service_cv_cpu)
        return f

    def _vary(self, station, cv: float) -> None:
        """``station``'s service times drawn around their means (``Station.vary``), from its own stream."""
        station.vary(cv, self.env.rng(f"{station.name}.service"))

    def disconnected(self, broker, silent: bool = False) -> None:
        """``broker``'s process died: one network latency later its clients and the followers fetching
        from it see their connections reset. ``silent`` (the machine lost power): nothing resets them,
        and each gives up after its request timeout instead (a consumer's ``request.timeout.ms``, a
        follower's ``replica.socket.timeout.ms``, both 30 s by default; a producer's own sweep)."""
        now = self.env.now
        at = now + (SILENT_TIMEOUT_MS if silent else self.network.latency_ms)
        for client in self.clients:
            self.env.call_at(at, client.on_broker_disconnected, broker.id)
        for other in self.brokers:
            for f in other.fetchers:
                if f.source is broker:
                    self.env.call_at(at, f.on_source_disconnected)

    def partition_network(self, pairs) -> None:
        """A network partition: messages from the first name of each pair to the second are lost. The
        connections across it are not reset: clients and followers give up on what they sent after their
        request timeouts (``SILENT_TIMEOUT_MS``), again and again while it lasts."""
        net = self.network
        net.blocked = (net.blocked or frozenset()) | frozenset(pairs)
        self.env.call_at(self.env.now + SILENT_TIMEOUT_MS, self._partition_timeouts)

    def heal_network(self, pairs=None) -> None:
        """The partition (these pairs, or every one) heals; the controller's records that could not reach a
        broker reach it now, and what was sent across it and not answered is given up and sent again (the
        model loses what crossed a partition, where TCP would retransmit it)."""
        net = self.network
        was = net.blocked or frozenset()
        rest = frozenset() if pairs is None else was - frozenset(pairs)
        net.blocked = rest or None
        self.controller.redeliver()
        self._give_up(lambda a, b: ((a, b) in was or (b, a) in was))

    def _partition_timeouts(self) -> None:
        net = self.network
        if net.blocked is None:
            return
        self._give_up(lambda a, b: not (net.reachable(a, b) and net.reachable(b, a)))
        self.env.call_at(self.env.now + SILENT_TIMEOUT_MS, self._partition_timeouts)

    def _give_up(self, cut) -> None:
        """Clients and followers drop their connections to the brokers ``cut(name, name)`` says are cut."""
        for client in self.clients:
            for broker in self.brokers:
                if cut(client.host.name, broker.host.name):
                    client.on_broker_disconnected(broker.id)
        for broker in self.brokers:
            for f in broker.fetchers:
                if f.running and cut(broker.host.name, f.source.host.name):
                    f.on_source_disconnected()

    def leader_of(self, tp: TopicPartition) -> int:
        """``tp``'s leader as the controller has it (-1: none)."""
        return self.controller.partitions[tp].leader

    def init_producer_id(self) -> int:
        """InitProducerId: a new producer id for an idempotent producer (the brokers' id block, here one
        counter for the cluster)."""
        pid = self._next_producer_id
        self._next_producer_id += 1
        return pid

    def client_host(self, name: str) -> Host:
        host = Host(name, self.profile.client_nic_bytes_per_ms, self.window_ms)
        host.record_cpu_ms = self.profile.client_record_cpu_ms
        host.cpu = BusyTracker(self.window_ms)  # the application thread: send() or poll() and processing
        return host

    def log(self, tp: TopicPartition):
        """The log of ``tp``'s current leader (or of its last one, while it has none)."""
        return self.leader_partition[tp].log

    def metadata_for(self, tp: TopicPartition) -> tuple[int, int]:
        """``tp``'s leader and leader epoch, as the controller has them."""
        return self.controller.leader_and_epoch(tp)

    def metadata(self, topic: str) -> dict:
        """A metadata response for ``topic``: ``{tp: (leader, leader epoch)}`` as its leaders have it."""
        return {tp: self.metadata_for(tp) for tp in self.topics[topic].tps()}

    def partition(self, tp: TopicPartition):
        """The ``Partition`` (ISR, high watermark) of ``tp``'s current leader, or of its last one while it
        has none."""
        return self.leader_partition[tp]

    def start(self) -> None:
        for b in self.brokers:
            b.start()
