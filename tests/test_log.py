"""``Log``: offsets, segment rolling, retention and reads, as pure rules on batch metadata.

Kafka's rules (``storage/.../internals/log/UnifiedLog.java``, ``LogSegment.shouldRoll``): batches get
consecutive offsets from the log end offset; the active segment rolls when ``size > segment.bytes -
batch size`` or, for a non-empty segment, when the time waited exceeds ``segment.ms``; retention deletes
whole segments, oldest first, while they are older than ``retention.ms`` (largest timestamp) or the
log without them is still at least ``retention.bytes``, and moves the log start offset; a read returns
whole batches from the one holding the fetch offset, at least one, then up to the byte limit.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from eventsim.config import BrokerConfig, TopicConfig
from eventsim.log.log import Log
from eventsim.producer.producer_batch import ProducerBatch
from eventsim.structs import TopicPartition

TP = TopicPartition("t", 0)
MIB = 1 << 20


def config(**overrides):
    return TopicConfig(name="t", **overrides).resolve(BrokerConfig())


def batch(count: int, wire_bytes: int, t_ms: float = 0.0, first_id: int = 0) -> ProducerBatch:
    records = np.column_stack(
        [
            np.full(count, float(t_ms)),  # create_ms
            np.full(count, float(t_ms)),  # append_ms
            np.arange(first_id, first_id + count),  # record_id
            np.full(count, -1),  # key (null)
            np.full(count, 10),  # value_bytes
        ]
    ).astype(np.float64)
    return ProducerBatch(
        TP,
        records,
        wire_bytes - 61,
        wire_bytes,
        wire_bytes,
        0,
    )


def reading_log(cfg=None) -> Log:
    """A log with a reader registered at offset 0, so it keeps every batch for reads."""
    log = Log(TP, cfg or config(), 0.0)
    log.register_reader("reader", 0)
    return log


# ---------------------------------------------------------------------------------------------- offsets
def test_a_retried_batch_appended_twice_is_two_entries_with_their_own_offsets():
    """Without idempotence a retry after a lost response writes the records again (duplicates)."""
    log = reading_log()
    b = batch(3, 300)
    other = batch(2, 200, first_id=3)
    assert log.append(b, 1.0).base_offset == 0
    assert log.append(other, 2.0).base_offset == 3
    first = log.read(0, 10**6)[0]  # a reader holds the first entry
    assert log.append(b, 3.0).base_offset == 5  # the same batch object, retried
    assert (first.base_offset, first.next_offset) == (0, 3)  # entries never change once written
    assert b.base_offset == -1  # the log never writes into the producer's batch
    read = log.read(0, 10**6)
    assert [(x.base_offset, x.next_offset) for x in read] == [(0, 3), (3, 5), (5, 8)]
    assert [x.log_append_ms for x in read] == [1.0, 2.0, 3.0]
    assert read[0] is first and read[2] is not b
    np.testing.assert_array_equal(read[0].record_ids, read[2].record_ids)


def test_offsets_are_dense_and_increasing():
    log = Log(TP, config(), 0.0)
    counts = [3, 1, 7, 2]
    bases = [log.append(batch(c, 100 * c, float(i)), float(i)).base_offset for i, c in enumerate(counts)]
    assert bases == [0, 3, 4, 11]
    assert log.log_end_offset == 13
    assert log.high_watermark == log.log_end_offset  # no replication: HW = LEO
    assert log.log_start_offset == 0
    assert log.size_bytes == 100 * sum(counts)
    assert log.appended_records == 13


@given(st.lists(st.tuples(st.integers(1, 50), st.integers(62, 400_000)), min_size=1, max_size=40))
def test_offsets_and_segments_invariants(items):
    log = Log(TP, config(segment_bytes=MIB, segment_ms=1_000), 0.0)
    expected = 0
    for i, (count, wire) in enumerate(items):
        assert log.append(batch(count, wire, t_ms=100.0 * i), 100.0 * i).base_offset == expected
        expected += count
    assert log.log_end_offset == expected
    segs = log.segments
    assert segs[0].base_offset == 0
    for a, b in zip(segs, segs[1:], strict=False):
        assert a.next_offset == b.base_offset  # segments tile the offsets
        assert 0 < a.size_bytes <= MIB  # a closed segment never exceeds segment.bytes
    assert segs[-1].next_offset == log.log_end_offset
    assert sum(s.size_bytes for s in segs) == log.size_bytes == sum(w for _, w in items)


# ---------------------------------------------------------------------------------------------- rolling
def test_segment_rolls_when_the_next_batch_would_exceed_segment_bytes():
    log = Log(TP, config(segment_bytes=MIB), 0.0)
    third = MIB // 4
    for i in range(4):  # exactly segment.bytes: Kafka rolls only when size > segment.bytes - batch size
        log.append(batch(10, third, first_id=10 * i), 0.0)
    assert len(log.segments) == 1
    assert log.segments[0].size_bytes == MIB
    log.append(batch(10, 1), 0.0)
    assert len(log.segments) == 2
    assert log.segments[1].base_offset == 40
    assert log.segments[1].size_bytes == 1


def test_segment_rolls_after_segment_ms():
    log = Log(TP, config(segment_ms=1_000), 0.0)
    log.append(batch(1, 100, 0.0), 0.0)
    log.append(batch(1, 100, 500.0), 500.0)
    assert len(log.segments) == 1
    log.append(batch(1, 100, 1_500.0), 1_500.0)
    assert [s.base_offset for s in log.segments] == [0, 2]
    log.append(batch(1, 100, 2_000.0), 2_000.0)  # 500 ms into the new segment
    assert len(log.segments) == 2
    log.append(batch(1, 100, 2_600.0), 2_600.0)
    assert [s.base_offset for s in log.segments] == [0, 2, 4]


def test_an_empty_segment_does_not_roll_on_time():
    log = Log(TP, config(segment_ms=1_000), 0.0)
    log.append(batch(2, 100, 5_000.0), 5_000.0)  # the first append, long after segment.ms
    assert len(log.segments) == 1
    assert log.segments[0].base_offset == 0


def test_segment_ms_counts_from_the_first_batch_of_the_segment():
    # LogSegment.timeWaitedForRoll measures from the segment's first batch timestamp, not its creation.
    log = Log(TP, config(segment_ms=1_000), 0.0)
    log.append(batch(1, 100, 5_000.0), 5_000.0)
    log.append(batch(1, 100, 5_500.0), 5_500.0)
    assert len(log.segments) == 1


def test_segment_ms_boundary_is_strict():
    # LogSegment.shouldRoll: timeWaitedForRoll > segment.ms - jitter (strictly greater; jitter 0).
    log = Log(TP, config(segment_ms=1_000), 0.0)
    log.append(batch(1, 100, 0.0), 0.0)
    log.append(batch(1, 100, 1_000.0), 1_000.0)
    assert len(log.segments) == 1


# ---------------------------------------------------------------------------------------------- retention
def _three_segments(cfg):
    """Segments [0,10) at t=0, [10,20) at t=2000, and the active [20,30) at t=4000, 400 kB each."""
    log = reading_log(cfg)
    for i in range(3):
        t = 2_000.0 * i
        log.append(batch(10, 400_000, t, first_id=10 * i), t)
    assert [s.base_offset for s in log.segments] == [0, 10, 20]
    return log


def test_retention_by_time_deletes_whole_expired_segments_oldest_first():
    log = _three_segments(config(segment_ms=1_000, retention_ms=3_000))
    assert log.enforce_retention(3_000.0) == 0  # 3000 - 0 is not > retention.ms
    assert log.enforce_retention(3_000.5) == 400_000
    assert log.log_start_offset == 10
    assert [s.base_offset for s in log.segments] == [10, 20]
    assert log.size_bytes == 800_000
    assert log.log_end_offset == 30  # deleting never touches the log end
    assert log.enforce_retention(5_000.5) == 400_000
    assert log.log_start_offset == 20
    assert log.enforce_retention(5_000.5) == 0
    assert [s.base_offset for s in log.segments] == [20]
    assert log.deleted_segments == 2


def test_retention_by_bytes_keeps_at_least_retention_bytes():
    log = _three_segments(config(segment_ms=1_000, retention_bytes=700_000))
    # 1.2 MB stored: without the oldest segment 0.8 MB >= 0.7 MB remain -> delete; 0.4 MB would not.
    assert log.enforce_retention(0.0) == 400_000
    assert log.log_start_offset == 10
    assert log.size_bytes == 800_000
    assert log.enforce_retention(0.0) == 0
    log2 = _three_segments(config(segment_ms=1_000, retention_bytes=800_000))
    assert log2.enforce_retention(0.0) == 400_000  # exactly retention.bytes left is allowed
    log3 = _three_segments(config(segment_ms=1_000, retention_bytes=800_001))
    assert log3.enforce_retention(0.0) == 0


def test_retention_stops_at_the_first_segment_that_is_kept():
    # Kafka deletes a prefix: a young segment protects the older-looking ones behind it.
    log = reading_log(config(segment_ms=1_000, retention_ms=1_000))
    log.append(batch(1, 100, 0.0), 0.0)
    log.append(batch(1, 100, 9_000.0), 9_000.0)  # rolls: segment 2 has timestamp 9000
    log.append(batch(1, 100, 10_500.0), 10_500.0)  # rolls: active segment
    assert len(log.segments) == 3
    assert log.enforce_retention(9_500.0) == 100
    assert log.log_start_offset == 1


def test_unlimited_retention_deletes_nothing():
    log = _three_segments(config(segment_ms=1_000, retention_ms=-1, retention_bytes=-1))
    assert log.enforce_retention(1e12) == 0
    assert log.log_start_offset == 0


def test_retention_releases_deleted_batches_for_readers():
    log = _three_segments(config(segment_ms=1_000, retention_ms=3_000))
    assert log.enforce_retention(5_500.0) == 800_000
    got = log.read(0, 10**9)  # the reader fell behind the log start: it gets what is left
    assert got and got[0].base_offset == log.log_start_offset == 20


def test_retention_deletes_an_expired_active_segment_after_rolling():
    # UnifiedLog.deleteSegments: "we must always have at least one segment", so when every segment is
    # deletable Kafka rolls an empty active segment at the log end first; an idle partition empties.
    log = Log(TP, config(retention_ms=1_000), 0.0)
    log.append(batch(5, 100, 0.0), 0.0)
    assert log.enforce_retention(1_000.0) == 0
    assert log.enforce_retention(5_000.0) == 100
    assert log.log_start_offset == log.log_end_offset == 5
    assert log.size_bytes == 0
    assert [(s.base_offset, s.size_bytes) for s in log.segments] == [(5, 0)]
    assert log.enforce_retention(1e9) == 0  # the empty active segment is never deleted
    assert log.append(batch(2, 100, 6_000.0), 6_000.0).base_offset == 5  # offsets continue from the log end
    assert len(log.segments) == 1 and log.log_end_offset == 7


def test_retention_by_time_reaches_the_active_segment_last():
    log = _three_segments(config(segment_ms=1_000, retention_ms=3_000))
    assert log.enforce_retention(1e9) == 1_200_000
    assert log.log_start_offset == log.log_end_offset == 30
    assert [(s.base_offset, s.size_bytes) for s in log.segments] == [(30, 0)]
    assert log.read(0, 10**9) == []


# ---------------------------------------------------------------------------------------------- reads
def _four_batches():
    log = reading_log()
    for i in range(4):
        log.append(batch(5, 100, float(i), first_id=5 * i), float(i))
    return log


def test_read_returns_whole_batches_from_the_one_holding_the_offset():
    log = _four_batches()
    got = log.read(7, 250)
    assert [(b.base_offset, b.next_offset) for b in got] == [(5, 10), (10, 15)]
    assert got[0].record_ids.tolist() == [5, 6, 7, 8, 9]  # the whole batch, offsets 5 and 6 included
    assert [b.base_offset for b in log.read(0, 10**9)] == [0, 5, 10, 15]
    assert [b.base_offset for b in log.read(19, 10**9)] == [15]


def test_read_returns_at_least_one_batch():
    log = _four_batches()
    got = log.read(12, 1)
    assert [b.base_offset for b in got] == [10]


def test_read_without_min_one_returns_only_batches_that_fit():
    """KIP-74: only the first partition with data of a fetch gets a batch above the limit (minOneMessage)."""
    log = _four_batches()
    assert log.read(12, 1, min_one=False) == []
    assert log.read(12, 0, min_one=False) == []
    assert [b.base_offset for b in log.read(12, 199, min_one=False)] == [10]
    assert [b.base_offset for b in log.read(12, 200, min_one=False)] == [10, 15]
    assert len(log.read_counted(0, 250, min_one=False)) == 2 and log.last_read_bytes == 200
    assert [b.base_offset for b in log.read(12, 0)] == [10]  # min_one (the default): one batch anyway


def test_read_at_or_beyond_the_high_watermark_is_empty():
    log = _four_batches()
    assert log.read(20, 10**9) == []
    assert log.read(25, 10**9) == []
    assert log.bytes_after(20) == 0


def test_bytes_after_counts_whole_batches_from_the_offset():
    log = _four_batches()
    assert log.bytes_after(0) == 400
    assert log.bytes_after(7) == 300
    assert log.bytes_after(15) == 100


@given(
    st.lists(st.tuples(st.integers(1, 20), st.integers(62, 5_000)), min_size=1, max_size=30),
    st.data(),
)
def test_read_property(items, data):
    log = reading_log()
    for i, (count, wire) in enumerate(items):
        log.append(batch(count, wire, float(i)), float(i))
    leo = log.log_end_offset
    offset = data.draw(st.integers(0, leo - 1))
    max_bytes = data.draw(st.integers(1, 20_000))
    got = log.read(offset, max_bytes)
    assert got
    assert got[0].base_offset <= offset < got[0].next_offset
    for a, b in zip(got, got[1:], strict=False):
        assert a.next_offset == b.base_offset
    size = sum(b.stored_bytes for b in got)
    assert size <= max_bytes or len(got) == 1
    if got[-1].next_offset < leo:  # stopped early: the next batch would not have fitted
        nxt = next(b for b in log.read(got[-1].next_offset, 10**9))
        assert size + nxt.stored_bytes > max_bytes
    everything = log.read(offset, 10**12)
    assert log.bytes_after(offset) == sum(b.stored_bytes for b in everything)
    assert everything[-1].next_offset == leo


def test_what_survives_a_power_loss_is_what_the_flusher_wrote_back_or_an_fsync_forced():
    from collections import deque

    log = Log(TP, config(), 0.0)
    log.durability = deque()
    for i in range(60):  # a batch of one record every second
        log.append(batch(1, 100, i * 1000.0, i), i * 1000.0)
    # At 44 s the flusher last woke at 40 s and wrote what was dirty for 30 s: appended by 10 s.
    assert log.durable_offset(44_000.0) == 11
    log.flushed_offset = 20
    assert log.durable_offset(44_000.0) == 20
    assert log.lose_unflushed(44_000.0) == 20 and log.log_end_offset == 20
