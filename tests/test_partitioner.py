"""Tests for eventsim.producer.partitioner: Kafka's murmur2 vectors and the KIP-794 sticky partitioner."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsim.producer.partitioner import (
    BuiltInPartitioner,
    KeyPartitionTable,
    murmur2,
    murmur2_many,
    partition_for_key,
    partitions_for_keys,
    to_positive,
)

# Apache Kafka, clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java (testMurmur2).
KAFKA_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
    b"": 275646681,
}


# --- murmur2 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "expected"), list(KAFKA_VECTORS.items()))
def test_murmur2_matches_kafka_vectors(key, expected):
    assert murmur2(key) == expected


def test_murmur2_many_matches_kafka_vectors():
    keys = list(KAFKA_VECTORS)
    got = murmur2_many(keys)
    assert got.dtype == np.int32
    assert got.tolist() == list(KAFKA_VECTORS.values())
    # Order is preserved whatever the grouping by length does.
    assert murmur2_many(keys[::-1]).tolist() == list(KAFKA_VECTORS.values())[::-1]


def test_worked_example_foobar_with_50_partitions():
    assert to_positive(-790332482) == 1357151166
    assert partition_for_key(b"foobar", 50) == 16
    assert partitions_for_keys([b"foobar"], 50).tolist() == [16]


def test_to_positive_on_ints_and_arrays():
    assert to_positive(-1) == 0x7FFFFFFF
    assert to_positive(-(2**31)) == 0
    assert to_positive(5) == 5
    arr = np.array([-1, -(2**31), 7], dtype=np.int32)
    assert to_positive(arr).tolist() == [0x7FFFFFFF, 0, 7]


def test_murmur2_many_empty_and_accepts_bytes_like():
    assert murmur2_many([]).shape == (0,)
    assert murmur2_many([bytearray(b"foobar"), b""]).tolist() == [-790332482, 275646681]


@given(st.lists(st.binary(min_size=0, max_size=64), min_size=0, max_size=40))
def test_murmur2_many_equals_scalar(keys):
    assert murmur2_many(keys).tolist() == [murmur2(k) for k in keys]


@given(st.lists(st.binary(max_size=64), min_size=1, max_size=20), st.integers(1, 1000))
def test_partitions_in_range_and_equal_scalar(keys, num_partitions):
    parts = partitions_for_keys(keys, num_partitions)
    assert parts.dtype == np.int32
    assert parts.tolist() == [partition_for_key(k, num_partitions) for k in keys]
    assert ((parts >= 0) & (parts < num_partitions)).all()


def test_murmur2_many_on_many_user_keys_matches_scalar_sample():
    keys = [f"user-{i}".encode() for i in range(200_000)]
    hashes = murmur2_many(keys)
    sample = np.random.default_rng(5).integers(0, len(keys), 500)
    assert all(int(hashes[i]) == murmur2(keys[i]) for i in sample)


def test_bad_partition_counts_rejected():
    with pytest.raises(ValueError):
        partition_for_key(b"k", 0)
    with pytest.raises(ValueError):
        partitions_for_keys([b"k"], -3)


# --- KeyPartitionTable ---------------------------------------------------------------------------


class CountingKeys:
    """key_bytes callable that records which ids it was asked to serialise."""

    def __init__(self):
        self.requested: list[int] = []

    def __call__(self, ids):
        self.requested.extend(int(i) for i in ids)
        return [f"user-{int(i)}".encode() for i in ids]


def test_key_partition_table_matches_direct_hashing_and_hashes_each_key_once():
    keys = CountingKeys()
    table = KeyPartitionTable(keys, num_keys=1000, num_partitions=12)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 1000, 5000)
    parts = table.lookup(ids)
    expected = partitions_for_keys([f"user-{i}".encode() for i in ids], 12)
    assert parts.dtype == np.int32
    np.testing.assert_array_equal(parts, expected)
    # Every distinct id was hashed exactly once.
    assert sorted(keys.requested) == sorted(set(ids.tolist()))
    assert table.computed == len(set(ids.tolist()))

    # A second lookup of seen ids hashes nothing and gives the same answer.
    keys.requested.clear()
    np.testing.assert_array_equal(table.lookup(ids[::-1]), expected[::-1])
    assert keys.requested == []

    # New ids are hashed, old ones are not.
    more = np.array([ids[0], 999, 998, 999])
    unseen = {999, 998} - set(ids.tolist())
    table.lookup(more)
    assert set(keys.requested) == unseen


def test_key_partition_table_rejects_null_and_out_of_range_ids():
    table = KeyPartitionTable(CountingKeys(), num_keys=10, num_partitions=3)
    with pytest.raises(ValueError, match="BuiltInPartitioner"):
        table.lookup(np.array([-1, 2]))
    with pytest.raises(ValueError):
        table.lookup(np.array([10]))
    assert table.lookup(np.array([], dtype=np.int64)).shape == (0,)


# --- BuiltInPartitioner --------------------------------------------------------------------------


def naive_switch_points(sizes, batch_size, produced=0):
    """Per-record reference of Kafka's rule with an empty open batch: switch once produced >= batch.size."""
    points = []
    for i, s in enumerate(sizes):
        produced += int(s)
        if produced >= batch_size:
            points.append(i)
            produced = 0
    return points, produced


def changes(parts):
    """Indices i where parts[i] != parts[i + 1]."""
    return np.flatnonzero(parts[1:] != parts[:-1]).tolist()


def test_sticky_is_deterministic_for_a_seed():
    sizes = np.random.default_rng(1).integers(50, 2000, 20_000)
    a = BuiltInPartitioner(6, 16384, np.random.default_rng(42)).assign(sizes)
    b = BuiltInPartitioner(6, 16384, np.random.default_rng(42)).assign(sizes)
    c = BuiltInPartitioner(6, 16384, np.random.default_rng(43)).assign(sizes)
    assert a.dtype == np.int32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_sticky_partition_is_lazy_and_tracks_produced_bytes():
    p = BuiltInPartitioner(8, 1000, np.random.default_rng(0))
    assert p.sticky_partition is None
    out = p.assign(np.full(9, 100))  # 900 bytes: no switch yet
    assert len(set(out.tolist())) == 1
    assert p.sticky_partition == out[0]
    assert p.produced_bytes == 900
    first = p.sticky_partition
    out = p.assign(np.array([100]))  # reaches 1000 >= batch.size: this record stays, then switch
    assert out.tolist() == [first]
    assert p.produced_bytes == 0


@given(
    st.lists(st.integers(0, 3000), min_size=1, max_size=300),
    st.integers(1, 5000),
    st.lists(st.integers(1, 300), min_size=0, max_size=4),
)
def test_sticky_switches_only_after_batch_size_bytes(sizes, batch_size, cuts):
    # Many partitions so that a switch almost always shows as a change of partition.
    p = BuiltInPartitioner(1000, batch_size, np.random.default_rng(7), adaptive=False)
    bounds = sorted({c for c in cuts if c < len(sizes)})
    chunks = np.split(np.array(sizes), bounds)
    out = np.concatenate([p.assign(chunk) for chunk in chunks])
    points, produced = naive_switch_points(sizes, batch_size)
    # The partition may change only right after a record that brought produced bytes to >= batch.size.
    assert set(changes(out)) <= set(points)
    assert p.produced_bytes == produced
    assert p.sticky_partition is not None
    if not points or points[-1] != len(sizes) - 1:
        assert p.sticky_partition == out[-1]


def test_sticky_run_lengths_between_batch_size_and_one_record_more():
    sizes = np.random.default_rng(2).integers(100, 400, 50_000)
    out = BuiltInPartitioner(1000, 16384, np.random.default_rng(3)).assign(sizes)
    points, _ = naive_switch_points(sizes, 16384)
    assert len(changes(out)) >= 0.99 * len(points) > 0
    cum = np.concatenate([[0], np.cumsum(sizes)])
    run_starts = [0] + [i + 1 for i in changes(out)][:-1]
    run_ends = [i + 1 for i in changes(out)]
    for s, e in zip(run_starts, run_ends, strict=True):
        nbytes = cum[e] - cum[s]
        if nbytes < 2 * 16384:  # one stint, not two stints that drew the same partition
            assert 16384 <= nbytes < 16384 + 400
            assert nbytes - sizes[e - 1] < 16384  # the switching record is the first to reach batch.size


def test_sticky_spreads_uniformly_over_many_switches():
    # batch.size = 1 byte (Kafka's batch.size=0): a switch after every record.
    n, parts = 40_000, 5
    out = BuiltInPartitioner(parts, 1, np.random.default_rng(11)).assign(np.full(n, 50))
    counts = np.bincount(out, minlength=parts)
    expected = n / parts
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 20.5  # p ~ 0.0004 for 4 degrees of freedom


def test_adaptive_avoids_partition_with_huge_queue():
    n = 20_000
    queues = np.array([0, 0, 1000, 0])
    adaptive = BuiltInPartitioner(4, 1, np.random.default_rng(5), adaptive=True)
    out = adaptive.assign(np.full(n, 10), queue_sizes=queues)
    share = np.bincount(out, minlength=4) / n
    assert share[2] < 0.005  # weight 1 against 1001 for each of the others
    # Without adaptive partitioning the same queues are ignored.
    uniform = BuiltInPartitioner(4, 1, np.random.default_rng(5), adaptive=False)
    share_u = np.bincount(uniform.assign(np.full(n, 10), queue_sizes=queues), minlength=4) / n
    assert 0.22 < share_u[2] < 0.28


def test_adaptive_weights_follow_kafka_example():
    # BuiltInPartitioner.updatePartitionLoadStats: queues 0 3 1 -> weights 4 1 3 (out of 8).
    n = 40_000
    p = BuiltInPartitioner(3, 1, np.random.default_rng(9))
    out = p.assign(np.ones(n, dtype=np.int64), queue_sizes=np.array([0, 3, 1]))
    share = np.bincount(out, minlength=3) / n
    np.testing.assert_allclose(share, [4 / 8, 1 / 8, 3 / 8], atol=0.015)


def test_equal_queues_mean_uniform_and_unavailable_partitions_are_skipped():
    n = 20_000
    p = BuiltInPartitioner(4, 1, np.random.default_rng(1))
    out = p.assign(np.ones(n, dtype=np.int64), queue_sizes=np.full(4, 3))
    assert (np.abs(np.bincount(out, minlength=4) / n - 0.25) < 0.02).all()

    available = np.array([True, False, True, True])
    out = p.assign(np.ones(n, dtype=np.int64), queue_sizes=np.array([0, 0, 5, 0]), available=available)
    counts = np.bincount(out[1:], minlength=4)  # out[0] is the partition chosen before this call
    assert counts[1] == 0
    assert counts[2] < counts[0] / 2

    # No partition available: Kafka picks among all partitions.
    out = p.assign(np.ones(4000, dtype=np.int64), available=np.zeros(4, dtype=bool))
    assert set(out[1:].tolist()) == {0, 1, 2, 3}


def test_partly_filled_open_batch_delays_switch_to_next_batch_boundary():
    # batch.size 1000, open batch already holds 500 bytes: Kafka switches when the append that
    # crosses batch.size also starts a new batch, here at 1500 produced bytes (between 1x and 2x).
    p = BuiltInPartitioner(4, 1000, np.random.default_rng(0))
    fill = np.full(4, 500)
    p.assign(np.full(10, 100), open_batch_bytes=fill)
    assert p.produced_bytes == 1000  # reached batch.size, but no new batch yet
    p.assign(np.full(4, 100), open_batch_bytes=fill)
    assert p.produced_bytes == 1400
    p.assign(np.full(1, 100), open_batch_bytes=fill)
    assert p.produced_bytes == 0  # switched after the record that starts the next batch
    # With empty open batches the switch comes as soon as produced reaches batch.size.
    q = BuiltInPartitioner(4, 1000, np.random.default_rng(0))
    q.assign(np.full(10, 100), open_batch_bytes=np.zeros(4, dtype=np.int64))
    assert q.produced_bytes == 0


def test_invalid_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        BuiltInPartitioner(3, 0, rng)
    with pytest.raises(ValueError):
        BuiltInPartitioner(0, 100, rng)
    p = BuiltInPartitioner(3, 100, rng)
    with pytest.raises(ValueError):
        p.assign(np.array([10, -1]))
    with pytest.raises(ValueError):
        p.assign(np.array([10]), queue_sizes=np.array([1, 2]))
    assert p.assign(np.array([], dtype=np.int64)).shape == (0,)
    assert p.sticky_partition is None


def test_single_partition_always_zero():
    p = BuiltInPartitioner(1, 10, np.random.default_rng(0))
    assert set(p.assign(np.full(1000, 7), queue_sizes=np.array([50])).tolist()) == {0}


@given(
    st.lists(st.integers(0, 700), min_size=1, max_size=200),
    st.integers(1, 1000),
    st.lists(st.integers(0, 999), min_size=3, max_size=3),
)
def test_open_batch_switch_points_match_per_record_reference(sizes, batch_size, fills):
    fill = np.array(fills) % batch_size
    p = BuiltInPartitioner(3, batch_size, np.random.default_rng(4))
    out = p.assign(np.array(sizes), open_batch_bytes=fill)
    # Per-record replay of the rule, taking each new partition from the output (a redraw of the same
    # partition is invisible in the output but behaves identically in the replay).
    fill = fill.copy()
    part, produced = int(out[0]), 0
    o = int(fill[part])
    for i, s in enumerate(sizes):
        assert out[i] == part
        prev, produced = produced, produced + s
        new_batch = (o + produced) // batch_size > (o + prev) // batch_size
        if produced >= batch_size and new_batch:
            fill[part] = (o + produced) % batch_size
            part = int(out[i + 1]) if i + 1 < len(sizes) else p.sticky_partition
            produced, o = 0, int(fill[part])
        assert produced < 2 * batch_size  # Kafka's 2x cap is never needed
    assert p.produced_bytes == produced
    assert p.sticky_partition == part


@given(st.lists(st.integers(min_value=0, max_value=999_999), min_size=1, max_size=50),
       st.sampled_from(["user-{}", "{}", "k{}-x", "u{:07d}"]))
def test_key_rows_fast_path_matches_key_bytes(ids, fmt):
    from eventsim.workload.keys import KeySpec

    spec = KeySpec(distribution="uniform", count=1_000_000, format=fmt)
    arr = np.array(ids, dtype=np.int64)
    fast = KeyPartitionTable(spec.key_bytes, spec.count, 12, key_rows=spec.key_rows)
    np.testing.assert_array_equal(fast.lookup(arr), partitions_for_keys(spec.key_bytes(arr), 12))


@given(st.lists(st.integers(min_value=0, max_value=9_999_999), min_size=1, max_size=50),
       st.sampled_from(["user-{}", "{}", "k{}-x", "é{}ü", "abc{}"]),
       st.sampled_from([1, 3, 12, 1000]))
def test_key_lookup_loop_hashes_keys_from_their_digits_as_kafka(ids, fmt, num_partitions):
    """The compiled build's lookup loop (run as Python here in a pure build) writes each unseen id's key
    from its digits and gives the partition Kafka's murmur2 gives the key's bytes; seen ids come from
    the table."""
    from eventsim.producer.partitioner import _lookup_loop
    from eventsim.workload.keys import KeySpec

    spec = KeySpec(distribution="uniform", count=10**7, format=fmt)
    prefix, suffix = spec.key_affixes()
    arr = np.array(ids, dtype=np.int64)
    expected = partitions_for_keys(spec.key_bytes(arr), num_partitions)
    table = np.full(int(arr.max()) + 1, -1, dtype=np.int32)
    key = np.zeros(len(prefix) + 20 + len(suffix), dtype=np.uint8)
    key[: len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
    suffix_bytes = np.frombuffer(suffix, dtype=np.uint8).copy()
    for _ in range(2):  # unseen, then from the table
        out = np.empty(arr.size, dtype=np.int32)
        _lookup_loop(table, arr, out, key, len(prefix), suffix_bytes, num_partitions)
        np.testing.assert_array_equal(out, expected)
    assert KeySpec(distribution="uniform", count=5, format="k{:03d}").key_affixes() is None


def test_the_producer_gives_the_adaptive_partitioner_queued_batches_not_records(monkeypatch):
    """KIP-794 weighs partitions by the length of their batch deques; a partition holding one full batch
    of 160 records must weigh as one batch queued, not as 160."""
    import eventsim
    from eventsim.producer.partitioner import BuiltInPartitioner

    seen = []
    original = BuiltInPartitioner.assign

    def spy(self, record_sizes, queue_sizes=None, **kw):
        if queue_sizes is not None:
            seen.append(np.asarray(queue_sizes).copy())
        return original(self, record_sizes, queue_sizes, **kw)

    monkeypatch.setattr(BuiltInPartitioner, "assign", spy)
    sc = {
        "name": "adaptive",
        "horizon_ms": 300,
        "cluster": {"brokers": 1, "hardware": "laptop"},
        "topics": [{"name": "t", "partitions": 3}],
        "producers": [
            {"name": "p", "topic": "t", "rate_per_s": 200_000, "value_bytes": 100, "keys": None,
             "config": {"linger.ms": 50, "batch.size": 16384}}  # fmt: skip
        ],
    }
    eventsim.simulate(sc, seed=1)
    assert seen, "the adaptive partitioner was never given load stats"
    most = max(int(q.max()) for q in seen)
    # 200,000 records/s for a 50 ms linger queue up ~10,000 records: ~60 batches of ~160, never thousands.
    assert 1 <= most <= 100
