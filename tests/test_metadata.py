"""Leaders are metadata: each client's ``Metadata`` and how producers and consumers follow a leader change.

Pure rules with an injected clock (epochs only forward, refresh timing), and runs in which a client is
told a wrong leader: the broker answers ``NOT_LEADER_OR_FOLLOWER`` with the leader it knows (KIP-951),
the client takes it, and no record is lost.
"""

from __future__ import annotations

import simpy

import eventsim
from eventsim.metadata import Metadata
from eventsim.runner import build
from eventsim.structs import TopicPartition

TP0, TP1 = TopicPartition("t", 0), TopicPartition("t", 1)


class _Cluster:
    def __init__(self, view):
        self.view = view
        self.brokers = []

    def metadata(self, topic):
        return dict(self.view)


def _metadata(view, max_age=1000.0, backoff=100.0):
    env = simpy.Environment()
    return env, Metadata(env, _Cluster(view), "t", max_age, None, backoff, lambda node: node)


def test_an_update_never_takes_a_partition_back_to_an_older_epoch():
    env, md = _metadata({TP0: (0, 3), TP1: (1, 0)})
    moves = []
    md.listeners.append(lambda tp, old, new: moves.append((tp.partition, old, new)))
    assert md.update({TP0: (2, 2), TP1: (2, 1)}, env.now) == [TP1]  # TP0's epoch 2 < 3: ignored
    assert (md.leader_for(TP0), md.leader_epoch(TP0)) == (0, 3)
    assert (md.leader_for(TP1), md.leader_epoch(TP1)) == (2, 1)
    assert moves == [(1, 1, 2)]
    assert md.update_leader(TP0, 1, 4) and md.leader_for(TP0) == 1  # a KIP-951 hint with a newer epoch
    assert not md.update_leader(TP0, 2, 3)  # an older one is not
    assert moves == [(1, 1, 2), (0, 0, 1)]


def test_refresh_timing_follows_max_age_and_the_backoff():
    env, md = _metadata({TP0: (0, 0)}, max_age=1000.0, backoff=100.0)
    assert md.time_to_next_update(0.0) == 1000.0  # the view expires after metadata.max.age.ms
    assert md.time_to_next_update(400.0) == 600.0
    md.request_update()
    assert md.time_to_next_update(40.0) == 60.0  # requested: as soon as retry.backoff.ms allows
    assert md.time_to_next_update(150.0) == 0.0


SCENARIO = {
    "name": "metadata",
    "horizon_ms": 3000,
    "cluster": {"brokers": 3, "hardware": "laptop"},
    "topics": [{"name": "t", "partitions": 3, "replicas": [[0, 1], [1, 2], [2, 0]]}],
    "producers": [
        {"name": "p", "topic": "t", "rate_per_s": 3000, "value_bytes": 100, "keys": None,
         "config": {"linger.ms": 5}}
    ],
    "consumers": [{"name": "c", "topic": "t", "config": {"auto.offset.reset": "earliest"}}],
}


def test_producer_told_a_wrong_leader_follows_the_brokers_hint_and_loses_nothing():
    run = build(SCENARIO, seed=4)
    run.start()
    producer = run.producers[0]
    run.env.run(until=500)
    assert producer.metadata.update_leader(TP0, 2, 0)  # the client now believes broker 2 leads t-0
    assert producer.accumulator.queues[TP0].leader == 2
    run.env.run(until=run.horizon_ms)
    # Broker 2 answered NOT_LEADER_OR_FOLLOWER with the leader it knows; the producer went back to it.
    assert producer.metadata.leader_for(TP0) == 0
    assert producer.accumulator.queues[TP0].leader == 0
    assert run.recorder.retries > 0
    res = eventsim.metrics.result.Result.collect(run, 1.0)
    s = res.summary().iloc[0]
    assert s["records_failed"] == 0
    assert s["records_acked"] > 0


def test_consumer_told_a_wrong_leader_follows_the_hint_and_reads_everything():
    run = build(SCENARIO, seed=4)
    run.start()
    consumer = run.consumers[0]
    run.env.run(until=500)
    consumer.metadata.update_leader(TP1, 0, 0)  # t-1 is led by broker 1
    assert TP1 in consumer.by_node[0]
    run.env.run(until=run.horizon_ms)
    assert consumer.metadata.leader_for(TP1) == 1 and TP1 in consumer.by_node[1]
    res = eventsim.metrics.result.Result.collect(run, 1.0)
    s = res.summary().iloc[0]
    assert s["records_consumed"] >= s["records_acked"] - 3000 * 0.1  # all but the last ~100 ms


def test_metadata_max_age_sends_metadata_requests_through_the_brokers():
    data = {**SCENARIO, "producers": [{**SCENARIO["producers"][0], "config": {"metadata.max.age.ms": 100}}]}
    run = build(data, seed=4)
    run.start()
    run.run()
    md = run.producers[0].metadata
    assert 25 <= md.requests <= 31  # one every 100 ms for 3 s
    assert sum(b.metadata_requests for b in run.cluster.brokers) >= md.requests - 1
