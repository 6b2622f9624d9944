"""Replica placement: KRaft's StripedReplicaPlacer as a pure rule, racks, and manual assignments.

The exact layouts below are those of Kafka's own ``StripedReplicaPlacerTest``, reproduced by feeding
the placer the draws of Kafka's test random source (``KafkaMockRandom``).
"""

from __future__ import annotations

import copy
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eventsim
from eventsim.config import BrokerConfig, TopicConfig
from eventsim.controller.replica_placer import StripedReplicaPlacer
from eventsim.core.errors import InvalidConfigurationError
from eventsim.scenarios import Scenario

PLACER = StripedReplicaPlacer()


class KafkaMockRandom:
    """Kafka's test ``MockRandom`` (a fixed LCG under ``java.util.Random``) with the two calls the placer
    makes: ``integers(n)`` as ``Random.nextInt(n)``, ``shuffle(list)`` as ``Collections.shuffle``."""

    _MASK = (1 << 64) - 1

    def __init__(self):
        self.state = 17

    def _next(self, bits: int) -> int:
        self.state = (self.state * 2862933555777941757 + 3037000493) & self._MASK
        return self.state >> (64 - bits)

    def integers(self, bound: int) -> int:
        r = self._next(31)
        m = bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        while True:
            r = u % bound
            if u - r + m < 2**31:  # Java's int overflow check
                return r
            u = self._next(31)

    def shuffle(self, items: list) -> None:
        for i in range(len(items), 1, -1):
            j = self.integers(i)
            items[i - 1], items[j] = items[j], items[i - 1]


# ------------------------------------------------------------------ Kafka's own cases


def test_fenced_broker_is_used_only_when_nothing_else_is_left_single_rack():
    # StripedReplicaPlacerTest.testAvoidFencedReplicaIfPossibleOnSingleRack (the fifth after the shuffle)
    racks = {3: None, 1: None, 0: None, 4: None, 2: None}
    assert PLACER.place(5, 4, racks, KafkaMockRandom(), fenced={1}) == [
        [3, 4, 0, 2], [4, 0, 2, 3], [0, 2, 3, 4], [2, 3, 4, 0], [0, 4, 3, 2],
    ]  # fmt: skip


def test_fenced_broker_holds_a_follower_when_needed_never_a_leader():
    # testPlacementOnFencedReplicaOnSingleRack
    racks = {3: None, 1: None, 2: None}
    assert PLACER.place(4, 3, racks, KafkaMockRandom(), fenced={1}) == [[3, 2, 1], [2, 3, 1]] * 2


def test_multiple_racks_stripe():
    # testRackListWithMultipleRacks
    racks = {11: "1", 10: "1", 30: "3", 31: "3", 21: "2", 20: "2"}
    assert PLACER.place(3, 4, racks, KafkaMockRandom(), fenced={20}) == [
        [11, 21, 31, 10], [21, 30, 10, 20], [31, 11, 21, 30],
    ]  # fmt: skip


def test_racks_with_only_fenced_brokers():
    # testRackListWithInvalidRacks
    racks = {11: "1", 10: "1", 30: "3", 31: "3", 20: "2", 21: "2", 41: "4", 40: "4"}
    fenced = {30, 31, 20, 21, 40}
    assert PLACER.place(3, 4, racks, KafkaMockRandom(), fenced=fenced) == [
        [41, 11, 21, 30], [10, 20, 31, 41], [41, 21, 30, 11],
    ]  # fmt: skip


def test_new_topic_layouts():
    # The first placements of testPlaceShiftsInitialOffsetsRackUnaware / RackAware / ...UsesUnusedRacks
    # and testMultiPartitionTopicPlacementOnSingleUnfencedBroker.
    assert PLACER.place(2, 3, [None] * 12, KafkaMockRandom()) == [[7, 8, 9], [8, 9, 10]]
    racks = {b: str(1 + b // 4) for b in range(12)}
    assert PLACER.place(2, 3, racks, KafkaMockRandom()) == [[6, 8, 2], [9, 3, 7]]
    assert PLACER.place(1, 2, ["1", "2", "3", "4"], KafkaMockRandom()) == [[0, 1]]
    assert PLACER.place(3, 1, {0: None, 1: None}, KafkaMockRandom(), fenced={1}) == [[0], [0], [0]]


@pytest.mark.parametrize(
    "rf, brokers, fenced, text",
    [
        (0, 3, (), "must be positive"),
        (4, 3, (), "only 3 broker"),
        (1, 2, (0, 1), "fenced"),
    ],
)
def test_placement_refuses_what_kafka_refuses(rf, brokers, fenced, text):
    with pytest.raises(InvalidConfigurationError, match=text):
        PLACER.place(3, rf, [None] * brokers, np.random.default_rng(0), fenced=fenced)


# ------------------------------------------------------------------ pure rules, seeded


def _rng(seed: int = 0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("brokers, partitions, rf", [(3, 6, 3), (5, 10, 2), (4, 12, 1), (6, 30, 3)])
def test_every_partition_has_rf_distinct_brokers_and_leaders_are_even(brokers, partitions, rf):
    layout = PLACER.place(partitions, rf, [None] * brokers, _rng())
    assert len(layout) == partitions
    assert all(len(r) == rf == len(set(r)) and set(r) <= set(range(brokers)) for r in layout)
    leaders = Counter(r[0] for r in layout)
    assert set(leaders.values()) == {partitions // brokers}  # partitions is a multiple of brokers


def test_each_block_of_brokers_partitions_has_every_broker_lead_once():
    layout = PLACER.place(20, 2, [None] * 5, _rng(3))
    for start in range(0, 20, 5):
        assert sorted(r[0] for r in layout[start : start + 5]) == list(range(5))


def test_with_racks_a_partitions_replicas_are_on_distinct_racks():
    racks = ["a", "b", "c"] * 3
    for seed in range(20):
        for replicas in PLACER.place(30, 3, racks, _rng(seed)):
            assert sorted(racks[b] for b in replicas) == ["a", "b", "c"]


def test_without_racks_replicas_may_share_a_rack_that_racks_would_separate():
    # The same brokers, told nothing about racks: some partition ends up with two replicas in one rack.
    racks = ["a", "a", "b", "b"]
    blind = [PLACER.place(8, 2, [None] * 4, _rng(seed)) for seed in range(10)]
    assert any(racks[r[0]] == racks[r[1]] for layout in blind for r in layout)
    for seed in range(10):
        assert all(racks[r[0]] != racks[r[1]] for r in PLACER.place(8, 2, racks, _rng(seed)))


def test_same_seed_same_layout_and_the_seed_matters():
    a = PLACER.place(12, 3, [None] * 6, _rng(7))
    assert a == PLACER.place(12, 3, [None] * 6, _rng(7))
    assert any(PLACER.place(12, 3, [None] * 6, _rng(s)) != a for s in range(8, 12))


def test_a_sequence_of_racks_is_read_as_brokers_0_1_2():
    assert PLACER.place(6, 2, ["x", "y", "z"], _rng(1)) == PLACER.place(
        6, 2, {0: "x", 1: "y", 2: "z"}, _rng(1)
    )


@settings(max_examples=150, deadline=None)
@given(
    brokers=st.integers(1, 12),
    partitions=st.integers(1, 60),
    data=st.data(),
    seed=st.integers(0, 2**32 - 1),
)
def test_placement_invariants_without_racks(brokers, partitions, data, seed):
    rf = data.draw(st.integers(1, brokers))
    layout = PLACER.place(partitions, rf, [None] * brokers, np.random.default_rng(seed))
    assert len(layout) == partitions
    for replicas in layout:
        # Invariant: RF distinct brokers of the cluster per partition.
        assert len(replicas) == rf == len(set(replicas)) and all(0 <= b < brokers for b in replicas)
    leaders = Counter(r[0] for r in layout)
    counts = [leaders.get(b, 0) for b in range(brokers)]
    assert max(counts) - min(counts) <= 1  # every block of `brokers` partitions has each broker lead once
    assert layout == PLACER.place(partitions, rf, [None] * brokers, np.random.default_rng(seed))


@settings(max_examples=150, deadline=None)
@given(
    rack_of=st.lists(st.sampled_from("abcd"), min_size=1, max_size=12),
    partitions=st.integers(1, 40),
    data=st.data(),
    seed=st.integers(0, 2**32 - 1),
)
def test_placement_invariants_with_racks(rack_of, partitions, data, seed):
    brokers = len(rack_of)
    rf = data.draw(st.integers(1, brokers))
    layout = PLACER.place(partitions, rf, rack_of, np.random.default_rng(seed))
    spread = min(rf, len(set(rack_of)))
    for replicas in layout:
        assert len(replicas) == rf == len(set(replicas)) and all(0 <= b < brokers for b in replicas)
        # As far as the racks allow, every replica of a partition is on a rack of its own.
        assert len({rack_of[b] for b in replicas}) == spread


# ------------------------------------------------------------------ in a run

BASE = {
    "name": "placement",
    "horizon_ms": 100,
    "cluster": {"brokers": 3, "hardware": "laptop"},
    "topics": [{"name": "events", "partitions": 6}],
    "producers": [{"name": "app", "topic": "events", "rate_per_s": 1000}],
}


def _with(**changes) -> dict:
    """BASE with ``cluster__brokers=4``-style changes; a bare key replaces a top-level entry."""
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        if "__" not in path:
            data[path] = value
            continue
        where, key = path.split("__")
        (data[where][0] if where == "topics" else data[where])[key] = value
    return data


def _layout(data, seed=0):
    return eventsim.build(data, seed=seed).cluster.topics["events"].replicas


def test_the_cluster_places_with_the_striped_placer_from_its_placement_stream():
    run = eventsim.build(BASE, seed=5)
    rng = run.env.rng("cluster.placement")  # a fresh stream of the same scope and seed
    assert run.cluster.topics["events"].replicas == PLACER.place(6, 1, [None] * 3, rng)
    for p, replicas in enumerate(run.cluster.topics["events"].replicas):
        assert ("events", p) in {(tp.topic, tp.partition) for tp in run.cluster.brokers[replicas[0]].logs}


def test_racks_change_the_placement():
    racked = _with(cluster__racks=["r1", "r2", "r1", "r2"], cluster__brokers=4)
    blind = _with(cluster__brokers=4)
    assert any(_layout(racked, s) != _layout(blind, s) for s in range(5))


def test_a_manual_assignment_is_used_as_given():
    data = _with(topics__replicas=[[2], [2], [0], [1], [2], [0]])
    del data["topics"][0]["partitions"]
    run = eventsim.build(data)
    assert run.cluster.topics["events"].replicas == [[2], [2], [0], [1], [2], [0]]
    assert len(run.cluster.brokers[2].logs) == 3
    eventsim.simulate(data)  # and it runs


def test_manual_assignment_round_trip():
    data = _with(topics__replicas=[[1], [0], [2]])
    del data["topics"][0]["partitions"]
    sc = Scenario.load(data)
    out = sc.to_dict()
    assert out["topics"][0]["replicas"] == [[1], [0], [2]]
    assert out["topics"][0]["partitions"] == 3 and out["topics"][0]["replication.factor"] == 1
    assert Scenario.load(out) == sc
    # kafka-topics' text form is the same assignment
    assert Scenario.load(_with(topics__replicas="1,0,2", topics__partitions=3)) == sc


def test_manual_assignment_with_followers_round_trips_once_replication_is_modelled(monkeypatch):
    monkeypatch.setattr(TopicConfig, "_NOT_MODELLED_YET", {})
    data = _with(topics__replicas=[[0, 1, 2], [1, 2, 0]])
    del data["topics"][0]["partitions"]
    sc = Scenario.load(data)
    topic = sc.topic("events")
    assert (topic.partitions, topic.replication_factor) == (2, 3)
    assert Scenario.load(sc.to_dict()) == sc
    assert TopicConfig.from_properties({"name": "t", "replicas": "0:1:2,1:2:0"}).replicas == (
        (0, 1, 2),
        (1, 2, 0),
    )


def test_a_topic_without_partitions_takes_them_from_the_assignment_not_the_broker():
    data = _with(topics__replicas=[[0], [1]], broker={"num.partitions": 5})
    del data["topics"][0]["partitions"]
    assert Scenario.load(data).topic("events").resolve(Scenario.load(data).broker).partitions == 2


# ------------------------------------------------------------------ bad input, before the run


def _bad(data, field, *texts):
    with pytest.raises(InvalidConfigurationError) as info:
        eventsim.build(data)
    err = info.value
    assert err.field == field, str(err)
    for text in texts:
        assert text in str(err)
    return err


@pytest.mark.parametrize(
    "replicas, field, texts",
    [
        ([[0], [3]], "topics[0].replicas[1]", ("no broker 3", "broker ids 0..2")),
        ([[0], [-1]], "topics[0].replicas[1][0]", ("must be >= 0",)),
        ([[0, 0]], "topics[0].replicas[0]", ("broker 0 holds two replicas",)),
        ([[0], [1, 2]], "topics[0].replicas[1]", ("same replication factor",)),
        ([], "topics[0].replicas", ("at least one partition",)),
        ([[0], []], "topics[0].replicas[1]", ("no replica",)),
        ("0,x", "topics[0].replicas[1][0]", ("expected an integer",)),
        (7, "topics[0].replicas", ("list of lists",)),
        ([[0], [True]], "topics[0].replicas[1][0]", ("boolean",)),
    ],
)
def test_bad_assignment_is_one_error_naming_the_path(replicas, field, texts):
    data = _with(topics__replicas=replicas)
    del data["topics"][0]["partitions"]
    _bad(data, field, *texts)


def test_assignment_that_disagrees_with_partitions():
    _bad(_with(topics__replicas=[[0], [1]], topics__partitions=3), "topics[0].replicas",
         "implies partitions 2 but partitions is 3", "3 partition lists")  # fmt: skip


def test_assignment_that_disagrees_with_replication_factor():
    data = _with(topics__replicas=[[0, 1], [1, 2]], topics__partitions=2)
    data["topics"][0]["replication.factor"] = 1
    _bad(data, "topics[0].replicas", "implies replication.factor 2 but replication.factor is 1")


def test_assignment_with_followers_runs_and_places_a_log_on_every_replica():
    data = _with(topics__replicas=[[0, 1], [1, 2]])
    del data["topics"][0]["partitions"]
    data["horizon_ms"] = 300
    run = eventsim.build(data, seed=1)
    cluster = run.cluster
    assert cluster.topics["events"].replicas == [[0, 1], [1, 2]]
    holders = {p: [] for p in range(2)}
    for b in cluster.brokers:
        for tp in b.logs:
            holders[tp.partition].append(b.id)
    assert holders == {0: [0, 1], 1: [1, 2]}
    # The first replica leads; the other follows with a fetcher thread of its own broker.
    for p, (leader, follower) in enumerate([[0, 1], [1, 2]]):
        tp = next(tp for tp in cluster.brokers[leader].logs if tp.partition == p)
        assert tp in cluster.brokers[leader].partitions and tp not in cluster.brokers[follower].partitions
        assert any(tp in f.logs for f in cluster.brokers[follower].fetchers)
    run.start()
    run.run()
    for p, replicas in enumerate([[0, 1], [1, 2]]):
        tp = next(tp for tp in cluster.brokers[replicas[0]].logs if tp.partition == p)
        leader_log = cluster.brokers[replicas[0]].logs[tp]
        assert leader_log.log_end_offset > 0
        # The follower copied the leader's log, and the partition stayed fully in sync.
        assert cluster.brokers[replicas[1]].logs[tp].log_end_offset > 0
        assert cluster.partition(tp).isr == replicas


@pytest.fixture
def replication_lifted(monkeypatch):
    """The refusal tables emptied: Kafka's own replication checks do not depend on them."""
    monkeypatch.setattr(TopicConfig, "_NOT_MODELLED_YET", {})
    monkeypatch.setattr(BrokerConfig, "_NOT_MODELLED_YET", {})


def test_replication_factor_above_the_broker_count(replication_lifted):
    data = _with()
    data["topics"][0]["replication.factor"] = 4
    _bad(data, "topics[0].replication.factor", "InvalidReplicationFactorException", "[1, 3]")
    data = _with(broker={"default.replication.factor": 5})
    _bad(data, "broker.default.replication.factor", "more than the cluster's 3 brokers")


def test_unknown_broker_is_named_before_the_replication_factor(replication_lifted):
    data = _with(topics__replicas=[[0, 1, 2, 3]], cluster__brokers=3)
    del data["topics"][0]["partitions"]
    _bad(data, "topics[0].replicas[0]", "no broker 3")


def test_min_insync_replicas_above_the_replication_factor(replication_lifted):
    data = _with(topics__replicas=[[0, 1], [1, 2]])
    del data["topics"][0]["partitions"]
    data["topics"][0]["config"] = {"min.insync.replicas": 3}
    _bad(data, "topics[0].config.min.insync.replicas", "NOT_ENOUGH_REPLICAS", "[1, 2]")
    data = _with(broker={"min.insync.replicas": 2})
    _bad(data, "broker.min.insync.replicas", "NOT_ENOUGH_REPLICAS")


@pytest.mark.parametrize("lifted", [False, True], ids=["refusals-in-place", "followers-modelled"])
def test_replica_fetch_wait_above_the_lag_limit(monkeypatch, lifted):
    # Kafka's rule is checked before the not-modelled-yet refusals, so it fires either way.
    if lifted:
        monkeypatch.setattr(BrokerConfig, "_NOT_MODELLED_YET", {})
    data = _with(broker={"replica.lag.time.max.ms": 1000, "replica.fetch.wait.max.ms": 2000})
    _bad(data, "broker.replica.fetch.wait.max.ms", "replica.lag.time.max.ms (1000)", "ISR")
    data = _with(broker={"replica.fetch.wait.max.ms": 40000})  # above the default 30000
    _bad(data, "broker.replica.fetch.wait.max.ms", "replica.lag.time.max.ms (30000)")
