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

from eventsim.broker.broker import Broker
from eventsim.controller.replica_placer import StripedReplicaPlacer
from eventsim.hardware import get_profile
from eventsim.network import Host, Network
from eventsim.replication.replica_fetcher import ReplicaFetcherThread, fetcher_id
from eventsim.structs import TopicPartition

__all__ = ["Cluster", "TopicState"]


class TopicState:
    def __init__(self, config, replicas: list[list[int]]):
        self.name = config.name
        self.config = config
        self.partitions = config.partitions
        self.replicas = replicas

    def leader(self, partition: int) -> int:
        return self.replicas[partition][0]

    def tps(self) -> list[TopicPartition]:
        return [TopicPartition(self.name, p) for p in range(self.partitions)]


class Cluster:
    def __init__(self, env, scenario, recorder):
        self.env = env
        self.scenario = scenario
        self.profile = get_profile(scenario.cluster.hardware)
        prof = self.profile
        window = scenario.metrics.window_ms
        self.network = Network(prof.network_latency_ms)
        self.brokers = [
            Broker(env, i, scenario.broker, scenario.cluster.profile_for(i), self, recorder, window)
            for i in range(scenario.cluster.brokers)
        ]
        rng = env.rng("cluster.placement")
        racks = scenario.cluster.racks or (None,) * len(self.brokers)
        placer = StripedReplicaPlacer()
        self.topics: dict[str, TopicState] = {}
        # KIP-966's Eligible Leader Replicas, on in new clusters from Kafka 4.1: the high watermark waits
        # while the ISR is below min.insync.replicas.
        self.eligible_leader_replicas = True
        fetchers: dict[tuple[int, int, int], ReplicaFetcherThread] = {}
        for tcfg in scenario.topics:
            resolved = tcfg.resolve(scenario.broker)
            replicas = [list(r) for r in resolved.replicas] if resolved.replicas else placer.place(
                resolved.partitions, resolved.replication_factor, dict(enumerate(racks)), rng
            )
            topic = TopicState(resolved, replicas)
            self.topics[resolved.name] = topic
            nfetch = scenario.broker.num_replica_fetchers
            for tp in topic.tps():
                replicas = topic.replicas[tp.partition]
                for b in replicas:
                    self.brokers[b].add_log(tp, resolved)
                leader = self.brokers[replicas[0]]
                leader.become_leader(tp, replicas, env.now)
                for b in replicas[1:]:
                    follower = self.brokers[b]
                    follower.logs[tp].hw_follows_leo = False  # a follower's high watermark is the leader's
                    key = (b, leader.id, fetcher_id(tp.topic, tp.partition, nfetch))
                    f = fetchers.get(key)
                    if f is None:
                        f = fetchers[key] = ReplicaFetcherThread(follower, leader, key[2], window)
                        follower.fetchers.append(f)
                    f.add_partition(tp, follower.logs[tp])
        self.window_ms = window
        self._next_producer_id = 0

    def init_producer_id(self) -> int:
        """InitProducerId: a new producer id for an idempotent producer (the brokers' id block, here one
        counter for the cluster)."""
        pid = self._next_producer_id
        self._next_producer_id += 1
        return pid

    def client_host(self, name: str) -> Host:
        host = Host(name, self.profile.client_nic_bytes_per_ms, self.window_ms)
        host.record_cpu_ms = self.profile.client_record_cpu_ms
        return host

    def log(self, tp: TopicPartition):
        """The leader's log of ``tp``."""
        return self.brokers[self.topics[tp.topic].leader(tp.partition)].logs[tp]

    def metadata_for(self, tp: TopicPartition) -> tuple[int, int]:
        """``tp``'s leader and leader epoch, as the controller last published them."""
        p = self.partition(tp)
        return p.leader, p.leader_epoch

    def metadata(self, topic: str) -> dict:
        """A metadata response for ``topic``: ``{tp: (leader, leader epoch)}`` as its leaders have it."""
        return {tp: self.metadata_for(tp) for tp in self.topics[topic].tps()}

    def partition(self, tp: TopicPartition):
        """The leader's ``Partition`` of ``tp`` (ISR, high watermark)."""
        return self.brokers[self.topics[tp.topic].leader(tp.partition)].partitions[tp]

    def start(self) -> None:
        for b in self.brokers:
            b.start()
