"""``RecordAccumulator`` as pure rules: times are injected, no SimPy.

Kafka's rules (``clients/.../producer/internals/RecordAccumulator.java``): a partition is sendable when
its first batch is full (``deque.size() > 1 || batch.isFull()``) or has waited ``linger.ms``; ``drain``
takes, for a ready leader, the first batch of *every* partition it leads, starting from a per-node
``drainIndex`` and stopping before ``max.request.size`` would be exceeded (always at least one batch).
A batch holds records while ``61 + sum(record sizes) <= batch.size``; a record that does not fit alone
gets a batch of its own.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsim.producer.producer_batch import RECORD_BATCH_OVERHEAD
from eventsim.producer.record_accumulator import RecordAccumulator
from eventsim.structs import TopicPartition

HDR = RECORD_BATCH_OVERHEAD
BIG = 10**9  # a max.request.size that never binds
TP0, TP1, TP2, TP3 = (TopicPartition("t", p) for p in range(4))


def identity(raw: int) -> int:
    """``codec_wire_bytes`` for compression.type=none."""
    return raw


def make(batch_size=HDR + 300, linger_ms=10.0, leaders=None, backoff_ms=100.0):
    leaders = leaders if leaders is not None else {TP0: 0}
    return RecordAccumulator(batch_size, linger_ms, backoff_ms, 1.0, leaders)


def cols(append_ms, sizes, first_id=0):
    """Records appended at ``append_ms`` (created then too) with record sizes ``sizes``: the
    ``(records, sizes)`` ``RecordAccumulator.append`` takes."""
    append_ms = np.asarray(append_ms, dtype=np.float64)
    n = append_ms.size
    sizes = np.broadcast_to(np.asarray(sizes, dtype=np.int64), (n,)).copy()
    ids = np.arange(first_id, first_id + n)
    records = np.column_stack([append_ms, append_ms, ids, np.full(n, -1), sizes]).astype(np.float64)
    return records, sizes


def drain(acc, node, now, max_request_size=BIG):
    return acc.drain_node(node, now, max_request_size, 0, identity)


def ids(batch):
    return batch.record_ids.tolist()


# ---------------------------------------------------------------------------------------------- ready
def test_not_ready_before_linger_ready_at_linger():
    acc = make(linger_ms=10.0)
    acc.append(TP0, *cols([3.0], 100))
    early = acc.ready(12.999)
    assert early.ready_nodes == set()
    assert early.next_ready_ms == pytest.approx(13.0)
    assert acc.ready(13.0).ready_nodes == {0}  # Kafka: waitedTimeMs >= lingerMs
    assert acc.ready(50.0).ready_nodes == {0}


def test_empty_accumulator_is_never_ready():
    acc = make(leaders={TP0: 0, TP1: 1})
    r = acc.ready(1e9)
    assert r.ready_nodes == set()
    assert r.next_ready_ms == math.inf
    assert drain(acc, 0, 1e9) == []


def test_linger_zero_is_ready_on_arrival():
    acc = make(linger_ms=0.0)
    acc.append(TP0, *cols([7.0], 100))
    assert acc.ready(6.999).ready_nodes == set()
    assert acc.ready(7.0).ready_nodes == {0}


def test_full_batch_is_ready_when_the_record_that_does_not_fit_arrives():
    # Two 100-byte records fit in batch.size = 61 + 250; the third opens a second batch at t=2.
    acc = make(batch_size=HDR + 250, linger_ms=100.0)
    acc.append(TP0, *cols([0.0, 1.0, 2.0, 3.0], 100))
    r = acc.ready(1.999)
    assert r.ready_nodes == set()
    assert r.next_ready_ms == pytest.approx(2.0)
    assert acc.ready(2.0).ready_nodes == {0}
    (b,) = drain(acc, 0, 2.0)
    assert ids(b) == [0, 1]
    assert b.wire_bytes == HDR + 200
    # The rest (records 2 and 3) is a new batch whose linger starts at its first record.
    r = acc.ready(2.0)
    assert r.ready_nodes == set()
    assert r.next_ready_ms == pytest.approx(102.0)


def test_exactly_full_batch_is_ready_at_its_last_record():
    # batch.isFull(): the buffer's write limit is reached exactly by the second record.
    acc = make(batch_size=HDR + 200, linger_ms=100.0)
    acc.append(TP0, *cols([0.0, 1.0, 5.0], 100))
    assert acc.ready(0.999).ready_nodes == set()
    assert acc.ready(1.0).ready_nodes == {0}
    (b,) = drain(acc, 0, 1.0)
    assert ids(b) == [0, 1]


def test_a_batch_still_filling_drains_only_the_records_that_have_arrived():
    acc = make(batch_size=HDR + 1000, linger_ms=10.0)
    acc.append(TP0, *cols([0.0, 4.0, 10.0, 12.0], 100))
    (b,) = drain(acc, 0, 10.0)  # linger expired at 10: records appended at or before 10 only
    assert ids(b) == [0, 1, 2]
    assert b.drained_ms == 10.0
    assert acc.ready(10.0).next_ready_ms == pytest.approx(22.0)


def test_nothing_is_drained_before_the_first_record_arrives():
    acc = make()
    acc.append(TP0, *cols([5.0, 6.0], 100))
    assert drain(acc, 0, 4.0) == []
    assert [ids(b) for b in drain(acc, 0, 5.5)] == [[0]]


# ---------------------------------------------------------------------------------------------- drain
def test_drain_takes_the_first_batch_of_every_partition_led_by_the_ready_node():
    acc = make(batch_size=HDR + 200, linger_ms=100.0, leaders={TP0: 0, TP1: 0, TP2: 1})
    acc.append(TP0, *cols([0.0, 1.0, 2.0], 100, first_id=0))  # full at t=2
    acc.append(TP1, *cols([1.5], 100, first_id=10))  # lingering until 101.5
    acc.append(TP2, *cols([0.5], 100, first_id=20))  # another leader, lingering
    r = acc.ready(2.0)
    assert r.ready_nodes == {0}
    got = drain(acc, 0, 2.0)
    assert sorted(ids(b) for b in got) == [[0, 1], [10]]  # TP1 goes although not ready itself
    assert {b.tp for b in got} == {TP0, TP1}
    # Node 1 was not ready, so its partition is untouched.
    assert acc.ready(2.0).ready_nodes == set()
    assert acc.ready(100.5).ready_nodes == {1}


def test_first_batch_only_per_partition_per_drain():
    acc = make(batch_size=HDR + 100, linger_ms=0.0)
    acc.append(TP0, *cols([0.0, 1.0, 2.0], 100))
    assert [ids(b) for b in drain(acc, 0, 5.0)] == [[0]]
    assert [ids(b) for b in drain(acc, 0, 5.0)] == [[1]]
    assert [ids(b) for b in drain(acc, 0, 5.0)] == [[2]]
    assert drain(acc, 0, 5.0) == []


def test_max_request_size_stops_the_drain_but_never_below_one_batch():
    leaders = {TP0: 0, TP1: 0, TP2: 0}
    acc = make(batch_size=HDR + 100, linger_ms=0.0, leaders=leaders)
    for i, tp in enumerate(leaders):
        acc.append(tp, *cols([0.0], 100, first_id=10 * i))
    one = HDR + 100
    got = drain(acc, 0, 0.0, max_request_size=2 * one)
    assert len(got) == 2 and sum(b.wire_bytes for b in got) <= 2 * one
    # The third partition's batch was not lost: it is still queued and ready.
    assert acc.ready(0.0).ready_nodes == {0}
    rest = drain(acc, 0, 0.0, max_request_size=2 * one)
    assert len(rest) == 1
    assert sorted(ids(b)[0] for b in got + rest) == [0, 10, 20]
    # A batch larger than max.request.size still goes, alone.
    acc2 = make(batch_size=HDR + 100, linger_ms=0.0, leaders=leaders)
    for i, tp in enumerate(leaders):
        acc2.append(tp, *cols([0.0], 100, first_id=10 * i))
    got = drain(acc2, 0, 0.0, max_request_size=1)
    assert len(got) == 1


def test_drain_start_rotates_so_no_partition_is_starved():
    leaders = {TP0: 0, TP1: 0, TP2: 0, TP3: 0}
    acc = make(batch_size=HDR + 100, linger_ms=0.0, leaders=leaders)
    for i, tp in enumerate(leaders):
        acc.append(tp, *cols(np.zeros(8), 100, first_id=100 * i))
    one = HDR + 100
    firsts = []
    served = {tp: 0 for tp in leaders}
    for _ in range(8):
        got = drain(acc, 0, 0.0, max_request_size=2 * one)  # room for two of the four partitions
        assert len(got) == 2
        firsts.append(got[0].tp)
        for b in got:
            served[b.tp] += 1
    assert len(set(firsts)) > 1  # the drain does not always start at the same partition
    assert min(served.values()) >= 2  # every partition gets a turn


def test_drain_after_max_request_size_starts_at_the_partition_that_did_not_fit():
    # Kafka's drainBatchesForOneNode calls updateDrainIndex before the size check: the stored index is
    # the last partition examined, so the one that did not fit leads the next request.
    leaders = {TP0: 0, TP1: 0, TP2: 0, TP3: 0}
    acc = make(batch_size=HDR + 100, linger_ms=0.0, leaders=leaders)
    for i, tp in enumerate(leaders):
        acc.append(tp, *cols(np.zeros(4), 100, first_id=100 * i))
    one = HDR + 100
    got = drain(acc, 0, 0.0, max_request_size=3 * one)
    assert [b.tp for b in got] == [TP0, TP1, TP2]
    got = drain(acc, 0, 0.0, max_request_size=3 * one)
    assert [b.tp for b in got] == [TP3, TP0, TP1]
    # A drain that examines every partition leaves the index on the last one, which leads next time.
    got = drain(acc, 0, 0.0, max_request_size=4 * one)
    assert [b.tp for b in got] == [TP2, TP3, TP0, TP1]
    got = drain(acc, 0, 0.0, max_request_size=4 * one)
    assert [b.tp for b in got] == [TP1, TP2, TP3, TP0]


def test_record_larger_than_batch_size_goes_alone():
    acc = make(batch_size=HDR + 250, linger_ms=100.0)
    acc.append(TP0, *cols([0.0, 1.0, 2.0, 3.0], [100, 100, 1000, 100]))
    # The big record does not fit behind 0 and 1: their batch is full when it arrives.
    assert acc.ready(1.999).ready_nodes == set()
    assert acc.ready(2.0).ready_nodes == {0}
    assert [ids(b) for b in drain(acc, 0, 2.0)] == [[0, 1]]
    # It is a batch of its own, full at once.
    assert acc.ready(2.0).ready_nodes == {0}
    (big,) = drain(acc, 0, 2.0)
    assert ids(big) == [2]
    assert big.wire_bytes == HDR + 1000 > acc.batch_size
    assert big.alloc_bytes == HDR + 1000  # Kafka allocates max(batch.size, record) for it
    # Record 3 starts a new batch behind it.
    assert acc.ready(3.0).next_ready_ms == pytest.approx(103.0)


def test_batch_size_zero_means_one_record_per_batch():
    acc = make(batch_size=0, linger_ms=50.0)
    acc.append(TP0, *cols([0.0, 0.0, 1.0], 10))
    assert acc.ready(0.0).ready_nodes == {0}  # no batching: every record is a full batch
    assert [ids(b) for b in drain(acc, 0, 1.0)] == [[0]]
    assert [ids(b) for b in drain(acc, 0, 1.0)] == [[1]]
    assert [ids(b) for b in drain(acc, 0, 1.0)] == [[2]]


def test_retried_batch_waits_for_backoff_and_goes_before_new_records():
    acc = make(batch_size=HDR + 1000, linger_ms=0.0)
    acc.append(TP0, *cols([0.0, 1.0], 100))
    (b,) = drain(acc, 0, 1.0)
    assert ids(b) == [0, 1]
    acc.append(TP0, *cols([2.0], 100, first_id=2))
    acc.reenqueue(b, 5.0)
    # Kafka: a batch in backoff blocks its partition; the new record waits behind it.
    r = acc.ready(50.0)
    assert r.ready_nodes == set()
    assert r.next_ready_ms == pytest.approx(105.0)
    assert drain(acc, 0, 50.0) == []
    again = drain(acc, 0, 105.0)
    assert [ids(x) for x in again] == [[0, 1]]
    assert again[0] is b
    assert [ids(x) for x in drain(acc, 0, 105.0)] == [[2]]


# ---------------------------------------------------------------------------------------------- properties
def _run_to_empty(acc, max_request_size):
    """Call ready/drain as the Sender does, jumping to the next ready time; returns drains in order."""
    drains = []
    now = 0.0
    for _ in range(100_000):
        r = acc.ready(now)
        if r.ready_nodes:
            progressed = False
            for node in sorted(r.ready_nodes):
                got = drain(acc, node, now, max_request_size)
                if got:
                    drains.append((now, got))
                    progressed = True
            assert progressed, "a ready node drained nothing"
            continue
        if r.next_ready_ms == math.inf:
            return drains
        assert r.next_ready_ms > now
        now = r.next_ready_ms
    raise AssertionError("accumulator did not empty")


@st.composite
def workloads(draw):
    n_parts = draw(st.integers(1, 4))
    n_nodes = draw(st.integers(1, 2))
    leaders = {TopicPartition("t", p): draw(st.integers(0, n_nodes - 1)) for p in range(n_parts)}
    n = draw(st.integers(1, 60))
    gaps = draw(st.lists(st.sampled_from([0.0, 0.25, 1.0, 3.0, 7.5]), min_size=n, max_size=n))
    times = np.cumsum(gaps)
    sizes = draw(st.lists(st.integers(1, 400), min_size=n, max_size=n))
    parts = draw(st.lists(st.integers(0, n_parts - 1), min_size=n, max_size=n))
    batch_size = draw(st.sampled_from([0, HDR, HDR + 1, HDR + 150, HDR + 500, 16384]))
    linger = draw(st.sampled_from([0.0, 1.0, 5.0, 20.0]))
    max_request = draw(st.sampled_from([1, 300, 1000, BIG]))
    return leaders, times, np.array(sizes), np.array(parts), batch_size, linger, max_request


@settings(max_examples=60)
@given(workloads())
def test_accumulator_invariants(w):
    leaders, times, sizes, parts, batch_size, linger, max_request = w
    acc = RecordAccumulator(batch_size, linger, 100.0, 1.0, leaders)
    rids = np.arange(times.size)
    for tp in leaders:
        m = parts == tp.partition
        if m.any():
            records, sz = cols(times[m], sizes[m])
            records[:, 2] = rids[m]  # record_id
            acc.append(tp, records, sz)
    drains = _run_to_empty(acc, max_request)
    batches = [b for _, got in drains for b in got]

    # Every record ends in exactly one batch.
    all_ids = np.concatenate([b.record_ids for b in batches])
    assert sorted(all_ids.tolist()) == rids.tolist()

    for now, got in drains:
        # One request never exceeds max.request.size, unless it is a single batch.
        assert len(got) == 1 or sum(b.wire_bytes for b in got) <= max_request
        # At most one batch per partition per drain, all led by the same node.
        assert len({b.tp for b in got}) == len(got)
        assert len({leaders[b.tp] for b in got}) == 1
        for b in got:
            # Bytes: within batch.size, except a batch holding a single larger record.
            assert b.wire_bytes == HDR + int(sizes[b.record_ids].sum())
            assert b.count == 1 or b.wire_bytes <= batch_size
            # No record is sent before it exists, nor held past its batch's linger.ms.
            assert b.append_ms.max() <= now
            assert now <= b.append_ms[0] + linger + 1e-9

    # Per-partition order is preserved.
    for tp in leaders:
        sent = [i for b in batches if b.tp == tp for i in b.record_ids.tolist()]
        assert sent == rids[parts == tp.partition].tolist()


@settings(max_examples=60)
@given(workloads(), st.integers(0, 2**32 - 1))
def test_drain_visits_due_queues_and_takes_what_a_scan_of_every_queue_takes(w, seed):
    """Records are appended ahead of their time (as a producer's chunks are); the drain visits only the
    queues whose first record has come or that hold retried batches. The same batches, in the same order,
    with the same drain index, as a drain that visits every queue the node leads (Kafka's loop)."""
    leaders, times, sizes, parts, batch_size, linger, max_request = w
    rng = np.random.default_rng(seed)
    due_only, every = (RecordAccumulator(batch_size, linger, 100.0, 1.0, leaders) for _ in range(2))
    rids = np.arange(times.size)
    for acc in (due_only, every):
        for tp in leaders:
            m = parts == tp.partition
            if m.any():
                records, sz = cols(times[m], sizes[m])
                records[:, 2] = rids[m]
                acc.append(tp, records, sz)
    nodes = sorted(set(leaders.values()))
    now, taken = 0.0, 0
    end = times[-1] + linger + 500.0
    # Retries stop 300 ms before ``end``; a batch retried again and again waits up to the backoff's ceiling
    # (retry.backoff.max.ms, 1000 ms), so the drains go on that much longer.
    while now <= end + 1000.0:
        for node in nodes:
            np.asarray(every._due_grid)[node + 1, : len(every.by_node[node])] = 1  # visit them all
            got = [drain(acc, node, now, max_request) for acc in (due_only, every)]
            assert [(b.tp, ids(b)) for b in got[0]] == [(b.tp, ids(b)) for b in got[1]]
            assert due_only.drain_index[node] == every.drain_index[node]
            taken += sum(b.count for b in got[0])
            if got[0] and now < end - 300.0 and rng.random() < 0.2:  # a failed batch goes back: retried
                due_only.reenqueue(got[0][0], now)
                every.reenqueue(got[1][0], now)
                taken -= got[0][0].count
        now += float(rng.choice([0.25, 1.0, 3.0, 10.0]))
    assert taken == times.size


def _size_of_varint(value: int) -> int:
    """Kafka's ByteUtils.sizeOfVarint, one value at a time: 7 bits per byte of the zig-zag encoding."""
    zz = (value << 1) ^ (value >> 63)
    zz &= (1 << 64) - 1
    size = 1
    while zz >= 0x80:
        zz >>= 7
        size += 1
    return size


@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), min_size=1, max_size=50))
def test_varint_size_matches_kafka(values):
    from eventsim.producer.producer_batch import varint_size

    assert varint_size(np.array(values, dtype=np.int64)).tolist() == [_size_of_varint(v) for v in values]


@given(st.lists(st.integers(1, 20), min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_small_and_large_appends_keep_the_same_running_sums(chunks, seed):
    """A queue's append times and running byte sums are the same whether its records come a few at a
    time (filled one by one) or in blocks (filled with numpy), drains in between included."""
    rng = np.random.default_rng(seed)
    n = sum(chunks)
    times = np.cumsum(rng.uniform(0, 2, n))
    sizes = rng.integers(1, 500, n)
    records, sz = cols(times, sizes)
    records[:, 4] = rng.integers(0, 400, n)  # value bytes
    a, b = make(batch_size=HDR + 700), make(batch_size=HDR + 700)
    a.append(TP0, records, sz)
    start = 0
    for k in chunks:
        b.append(TP0, records[start : start + k], sz[start : start + k])
        start += k
        drain(b, 0, float(times[start - 1]))  # drained records are dropped when the block grows
    qa, qb = a.queues[TP0], b.queues[TP0]
    tail = qb.n  # b's block holds its last records (drained ones dropped as it grew); a holds all of them
    assert qa.n == n and tail <= n
    assert list(qa.append_times)[n - tail : n] == list(qb.append_times)[:tail]  # arrays as long as the block
    assert list(qa.cum_bytes)[n - tail : n] == list(qb.cum_bytes)[:tail]  # the sums stay absolute
    assert list(qa.cum_values)[n - tail : n] == list(qb.cum_values)[:tail]


@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=80),
    st.integers(7, 9),
)
def test_the_compiled_chunk_sort_is_numpy_stable_sort_by_partition(parts, num_partitions):
    """The producer's counting sort of a chunk (its C loop compiled; run as Python here in a pure build)
    puts the rows where a stable argsort by partition does and gives each partition's first row."""
    from eventsim.producer.producer import _sort_rows_loop
    from eventsim.protocol import APPEND_MS, CREATE_MS, KEY, RECORD_COLUMNS, RECORD_ID, VALUE_BYTES

    parts = np.array(parts, dtype=np.int64)
    n = parts.size
    rng = np.random.default_rng(n)
    create = np.sort(rng.uniform(0, 100, n))
    appended = create + rng.uniform(0, 1, n)
    rids, keys = np.arange(n, dtype=np.int64) + 2**40, rng.integers(0, 10**6, n)
    values, sizes = rng.integers(1, 2000, n), rng.integers(20, 2100, n)
    bounds = np.zeros(num_partitions + 1, dtype=np.int64)
    records = np.empty((n, len(RECORD_COLUMNS)))
    sorted_sizes, sorted_values = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    _sort_rows_loop(parts, create, appended, rids, keys, values, sizes, bounds, records, sorted_sizes,
                    sorted_values)
    order = np.argsort(parts, kind="stable")
    assert bounds.tolist() == np.searchsorted(parts[order], np.arange(num_partitions + 1)).tolist()
    for j, column in ((CREATE_MS, create), (APPEND_MS, appended), (RECORD_ID, rids), (KEY, keys),
                      (VALUE_BYTES, values)):
        assert np.array_equal(records[:, j], column[order].astype(np.float64))
    assert np.array_equal(sorted_sizes, sizes[order]) and np.array_equal(sorted_values, values[order])


@given(
    st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=2, max_size=60),
    st.floats(0.0, 1e7),
    st.floats(1e-6, 1e4),
)
def test_the_compiled_arrival_sort_is_numpy_sort(fractions, t0, span):
    """The producer's bucket sort of a chunk's arrival times (C compiled; run as Python here in a pure
    build) gives np.sort's array: the same values in order, repeated values and the window's ends too."""
    from eventsim.producer.producer import _sort_uniform_loop

    t1 = t0 + span
    u = np.minimum(t0 + np.array(fractions) * span, np.nextafter(t1, 0.0))
    u[-1] = u[0]  # a repeated value
    out = np.empty(u.size)
    _sort_uniform_loop(u, t0, t1, np.zeros(u.size + 1, dtype=np.int64), out)
    assert np.array_equal(out, np.sort(u))


@given(
    st.lists(st.floats(0.0, 1000.0), min_size=1, max_size=60),
    st.one_of(st.floats(0.0, 0.1), st.lists(st.floats(0.0, 5.0), min_size=60, max_size=60)),
    st.floats(0.0, 1200.0),
)
def test_the_compiled_application_thread_is_the_numpy_recursion(creates, service, free):
    """The producer's Lindley recursion in one loop (C compiled; run as Python here in a pure build)
    gives the numpy passes' send() returns bit for bit, with a constant or a per-record service time."""
    from eventsim.producer.producer import _lindley_loop

    create = np.sort(np.array(creates))
    n = create.size
    serv = np.broadcast_to(np.asarray(service, dtype=np.float64), (n,)) if np.ndim(service) == 0 else (
        np.array(service[:n])
    )
    out = np.empty(n)
    _lindley_loop(create, serv, free, out)
    s = np.cumsum(serv)
    expected = s + np.maximum.accumulate(np.maximum(create, free) - (s - serv))
    assert out.tobytes() == expected.tobytes()
