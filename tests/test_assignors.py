"""RangeAssignor: the pure rule against Kafka's documented examples, and the split simulate() uses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import eventsim
from eventsim.group.assignors import range_assign, range_split
from eventsim.structs import TopicPartition as TP


def test_kafka_javadoc_example_two_topics_three_partitions():
    # RangeAssignor's Javadoc: C0 and C1 subscribe to t0 and t1, three partitions each.
    parts = [TP(t, p) for t in ("t0", "t1") for p in range(3)]
    got = range_assign(parts, ["C1", "C0"])
    assert got == {
        "C0": [TP("t0", 0), TP("t0", 1), TP("t1", 0), TP("t1", 1)],
        "C1": [TP("t0", 2), TP("t1", 2)],
    }


def test_member_0_of_2_on_4_partitions_reads_0_and_1():
    assert range_split(range(4), [0, 1]) == {0: [0, 1], 1: [2, 3]}


def test_first_n_mod_m_members_get_one_extra():
    # RangeAssignorTest.testOneConsumerMultipleTopics-style: 7 partitions over 3 members -> 3, 2, 2.
    assert range_split(range(7), ["a", "b", "c"]) == {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6]}


def test_more_members_than_partitions_leaves_the_last_idle():
    assert range_split([0, 1], ["c0", "c1", "c2"]) == {"c0": [0], "c1": [1], "c2": []}


def test_members_and_partitions_are_sorted_first():
    assert range_split([5, 1, 3], ["z", "a"]) == {"a": [1, 3], "z": [5]}


def test_no_members():
    assert range_split(range(3), []) == {}


def test_mixed_kinds_refused():
    with pytest.raises(TypeError):
        range_assign([0, TP("t", 1)], ["a"])


@given(st.integers(0, 60), st.integers(1, 20))
def test_every_partition_once_contiguous_and_balanced(n, m):
    split = range_split(range(n), range(m))
    flat = [p for i in range(m) for p in split[i]]
    assert flat == list(range(n))  # contiguous ranges in member order, each partition once
    sizes = [len(split[i]) for i in range(m)]
    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)  # the extra ones go to the first members


def _assignment(count, partitions, listed=None):
    consumer = {"name": "app", "topic": "t", "count": count}
    if listed is not None:
        consumer["partitions"] = listed
    run = eventsim.build(
        {
            "name": "split",
            "horizon_ms": 100,
            "cluster": {"brokers": 1},
            "topics": [{"name": "t", "partitions": partitions}],
            "producers": [{"name": "p", "topic": "t", "rate_per_s": 10}],
            "consumers": [consumer],
        }
    )
    return [[tp.partition for tp in c.assignment] for c in run.consumers]


def test_simulate_splits_consumer_entries_with_the_range_assignor():
    assert _assignment(2, 4) == [[0, 1], [2, 3]]
    assert _assignment(3, 8) == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert _assignment(3, 2) == [[0], [1], []]
    assert _assignment(2, 6, listed=[5, 1, 3]) == [[1, 3], [5]]
