"""``Cluster``: brokers, topics with their partition placement, client hosts and the network.

Builds the component tree of one run from a ``Scenario``: the hardware profile sets every host's
numbers (``cluster.broker_hardware`` may give a broker other hardware: ``ClusterConfig.profile_for``);
topics get KRaft's striped replica placement over the brokers' racks (``controller/replica_placer.py``)
or the scenario's own ``replicas`` assignment, and each partition's log is created on its leader
(followers arrive with replication). Producers and consumers each run on
their own client host (NIC at the profile's client rate).
"""

from __future__ import annotations

from eventsim.broker.broker import Broker
from eventsim.controller.replica_placer import StripedReplicaPlacer
from eventsim.hardware import get_profile
from eventsim.network import Host, Network
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
        for tcfg in scenario.topics:
            resolved = tcfg.resolve(scenario.broker)
            replicas = [list(r) for r in resolved.replicas] if resolved.replicas else placer.place(
                resolved.partitions, resolved.replication_factor, dict(enumerate(racks)), rng
            )
            topic = TopicState(resolved, replicas)
            self.topics[resolved.name] = topic
            for tp in topic.tps():
                self.brokers[topic.leader(tp.partition)].add_log(tp, resolved)
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
        return self.brokers[self.topics[tp.topic].leader(tp.partition)].logs[tp]

    def start(self) -> None:
        for b in self.brokers:
            b.start()
