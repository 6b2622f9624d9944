"""The page cache as Linux runs it (``variability.page_cache_writeback`` and ``page_cache_start``).

Linux's rules (``mm/page-writeback.c``, defaults in the reference notes on variability, section 4): the
flusher wakes every 5 s and writes what has been dirty for 30 s; over ``dirty_background_ratio`` (10 %)
it writes continuously, oldest first; writers pass freely up to the freerun ceiling (15 %), are slowed
by ``pos_ratio`` up to ``dirty_ratio`` (20 %) in pauses of at most 200 ms, and wait at it. The rules are
tested with an injected clock (``Clock``), then in whole runs: a warm page cache writes back within a
short run where a cold one does not, and the same seed gives the same run.
"""

from __future__ import annotations

import heapq
from collections import deque

import numpy as np
import pytest

import eventsim
from eventsim.config import BrokerConfig, TopicConfig
from eventsim.core.environment import Environment
from eventsim.core.errors import InvalidConfigurationError
from eventsim.hardware import get_profile
from eventsim.log.log import Log
from eventsim.log.log_manager import DIRTY_BUCKET_MS, MAX_PAUSE_MS, LogManager, pos_ratio
from eventsim.metrics.result import FRAMES
from eventsim.producer.producer_batch import ProducerBatch
from eventsim.scenarios import VariabilitySpec
from eventsim.structs import TopicPartition

MIB = 1 << 20
RATE = 100 * MIB / 1000.0  # bytes per ms: 100 MiB/s
# One disk, 10 000 MiB of page cache: background threshold 1000 MiB, freerun ceiling 1500 MiB, setpoint
# 1750 MiB, limit 2000 MiB; a chunk is half a second of the disk (50 MiB).
PROFILE = get_profile("laptop").with_overrides(
    disks=1, page_cache_bytes=10_000 * MIB, disk_write_bytes_per_ms=RATE, disk_read_bytes_per_ms=RATE
)


class Clock(Environment):
    """An injected clock: the calls a ``LogManager`` schedules, run by hand in time order (an
    ``Environment``, whose timers it replaces, since the compiled ``LogManager`` holds a typed one)."""

    def __init__(self):
        super().__init__()
        self._calls: list = []
        self._n = 0

    def at(self, when_ms, fn, args):
        heapq.heappush(self._calls, (max(when_ms, self.now), self._n, fn, args))
        self._n += 1

    def call_at(self, when_ms, fn, *args):
        self.at(when_ms, fn, args)

    def advance(self, until_ms: float) -> None:
        while self._calls and self._calls[0][0] <= until_ms:
            when, _, fn, args = heapq.heappop(self._calls)
            self.now = when
            fn(*args)
        self.now = until_ms


def batch(count: int, wire_bytes: int, t_ms: float) -> ProducerBatch:
    """A batch of ``count`` records created at ``t_ms`` (as ``tests/test_log.py`` makes them)."""
    records = np.column_stack(
        [np.full(count, t_ms), np.full(count, t_ms), np.arange(count), np.full(count, -1), np.full(count, 10)]
    ).astype(np.float64)
    return ProducerBatch(TopicPartition("t", 0), records, wire_bytes - 61, wire_bytes, wire_bytes, 0)


def manager(warm: bool = False, writeback: bool = True):
    clock = Clock()
    return clock, LogManager("b", PROFILE, 1000.0, clock, writeback, warm)


def dirty(lm, clock, t_ms: float, nbytes: int) -> float:
    """An append of ``nbytes`` booked at ``t_ms`` (landing then); returns when it may go on."""
    clock.advance(t_ms)
    return lm.write_back(0, nbytes, t_ms, RATE)


# ------------------------------------------------------------------------------------------- thresholds
def test_thresholds_are_linux_defaults_of_the_disks_share_of_the_page_cache():
    _, lm = manager()
    assert lm.background_bytes == 1000 * MIB
    assert lm.freerun_bytes == 1500 * MIB
    assert lm.dirty_limit_bytes == 2000 * MIB
    assert lm.flusher_chunk_bytes == 50 * MIB  # half a second of the disk, under an eighth of the limit
    assert lm.chunk_bytes == 4 * MIB  # booked a request's worth at a time: reads go in between


def test_pos_ratio_is_two_at_freerun_one_at_the_setpoint_and_zero_at_the_limit():
    assert pos_ratio(1500, 1500, 2000) == 2.0
    assert pos_ratio(1750, 1500, 2000) == 1.0
    assert pos_ratio(2000, 1500, 2000) == 0.0
    assert 1.0 < pos_ratio(1600, 1500, 2000) < 2.0


def test_writers_pass_freely_below_freerun_are_paced_above_it_and_wait_at_the_limit():
    _, lm = manager()
    lm.dirty[0] = 1500 * MIB  # at the freerun ceiling: no pause
    assert lm.throttle_ms(0, MIB, 0.0, RATE) == 0.0
    lm.dirty[0] = 1750 * MIB  # the setpoint: paced at the disk's bandwidth, the disk's writers together
    assert lm.throttle_ms(0, MIB, 100.0, RATE) == pytest.approx(10.0)
    assert lm.throttle_ms(0, MIB, 100.0, RATE) == pytest.approx(20.0)  # behind the first
    assert lm.throttle_ms(0, 100 * MIB, 1000.0, RATE) == MAX_PAUSE_MS  # one second's worth: capped
    lm.dirty[0] = 2000 * MIB  # the limit: until the flusher has written what is over it
    assert lm.throttle_ms(0, 10 * MIB, 5000.0, RATE) == pytest.approx(100.0)
    lm.dirty[0] = 2010 * MIB
    assert lm.throttle_ms(0, 10 * MIB, 5000.0, RATE) == pytest.approx(200.0)


def test_an_append_over_the_freerun_ceiling_lands_later():
    clock, lm = manager()
    lm.dirty[0] = 1750 * MIB
    lm.inflight[0] = 1  # the flusher is busy: this test watches the writer only
    assert dirty(lm, clock, 100.0, MIB) == pytest.approx(110.0)
    assert lm.throttled_ms == pytest.approx(10.0)


# ---------------------------------------------------------------------------------------------- flusher
def test_the_flusher_writes_pages_dirty_for_30_s_when_it_wakes_every_5_s():
    clock, lm = manager()
    lm.chunk_bytes = lm.flusher_chunk_bytes  # the flusher's chunk in one booking: its rule in round numbers
    dirty(lm, clock, 4990.0, 10 * MIB)  # expired at the wake at 35 s (4990 < 35000 - 30000)
    dirty(lm, clock, 5000.0, 20 * MIB)  # not then (5000 is not older than 30 s): at 40 s
    clock.advance(34_999.0)
    assert lm.written_back_bytes == [0]
    assert lm.disks[0].free_at() == 0.0  # the disk has done nothing
    clock.advance(35_000.0)
    assert list(lm.inflight) == [10 * MIB]  # one chunk: what expired
    assert lm.disks[0].last_start == 35_000.0
    clock.advance(35_100.0)  # 10 MiB at 100 MiB/s
    assert lm.written_back_bytes == [10 * MIB]
    assert list(lm.dirty) == [20 * MIB]
    clock.advance(39_999.0)
    assert lm.written_back_bytes == [10 * MIB]
    clock.advance(40_200.0)
    assert lm.written_back_bytes == [30 * MIB]
    assert list(lm.dirty) == [0]
    assert lm.writeback_chunks == [2]


def test_over_the_background_threshold_the_flusher_writes_chunks_until_below():
    clock, lm = manager()
    lm.chunk_bytes = lm.flusher_chunk_bytes  # the flusher's chunk in one booking: its rule in round numbers
    dirty(lm, clock, 0.0, 999 * MIB)
    assert list(lm.inflight) == [0]  # below the background threshold: nothing before the pages expire
    dirty(lm, clock, 1.0, 2 * MIB)  # over it: a chunk at once
    assert list(lm.inflight) == [50 * MIB]
    clock.advance(501.0)
    assert lm.written_back_bytes == [50 * MIB]
    assert list(lm.dirty) == [951 * MIB]  # below again: the flusher stops
    assert list(lm.inflight) == [0]
    clock.advance(4_999.0)
    assert lm.writeback_chunks == [1]


def test_background_write_back_continues_while_the_writers_keep_it_over_the_threshold():
    clock, lm = manager()
    dirty(lm, clock, 0.0, 1100 * MIB)  # 100 MiB over: two chunks back to back
    clock.advance(1_000.0)
    assert lm.written_back_bytes == [100 * MIB]
    assert lm.disks[0].free_at() == pytest.approx(1_000.0)


def test_a_disk_read_arriving_during_a_write_back_chunk_waits_for_it():
    """Write-back competes with reads: a read of data behind the page cache queues behind the write
    booked on the disk, a 4 MiB request of the flusher's chunk, and goes before the rest of the chunk."""
    clock, lm = manager()
    dirty(lm, clock, 0.0, 1100 * MIB)  # 100 MiB over the background threshold: 4 MiB bookings (40 ms)
    clock.advance(100.0)
    start, end = lm.disks[0].reserve(100.0, 10.0)  # a fetch reading 1 MiB from disk
    assert (start, end) == (pytest.approx(120.0), pytest.approx(130.0))  # after the booking of 80-120 ms
    clock.advance(131.0)
    assert lm.disks[0].last_start == pytest.approx(130.0)  # the flusher goes on after the read
    # Written through (the switch off), the disk has long finished the appends' bytes by then.
    clock2, through = manager(writeback=False)
    through.write_back(0, MIB, 0.0, RATE)
    start2, _ = through.disks[0].reserve(100.0, 10.0)
    assert start2 == 100.0


def test_a_warm_disk_starts_at_the_background_threshold_with_pages_of_the_last_30_s():
    clock, lm = manager(warm=True)
    lm.chunk_bytes = lm.flusher_chunk_bytes  # the flusher's chunk in one booking: its rule in round numbers
    assert lm.dirty[0] == pytest.approx(1000 * MIB, abs=8)
    buckets = lm.dirty_buckets(0)
    share = buckets[0][1]
    assert len(buckets) == 6
    clock.advance(5_000.0)  # the first wake writes the oldest sixth, a chunk at a time
    assert list(lm.inflight) == [lm.chunk_bytes]
    clock.advance(5_000.0 + share / RATE + 1)
    assert lm.written_back_bytes == [share]
    assert lm.writeback_chunks == [-(-share // lm.chunk_bytes)]
    dirty(lm, clock, 6_000.0, 200 * MIB)  # appends put it over the threshold at once
    assert list(lm.inflight) == [50 * MIB]


def test_cold_and_no_writeback_schedule_nothing():
    clock, lm = manager(writeback=False)
    assert clock._calls == []
    assert list(lm.dirty) == [0]
    with pytest.raises(ValueError):
        LogManager("b", PROFILE, 1000.0, None, True, False)


# ------------------------------------------------------------------------------------------- durability
def test_what_survives_a_power_loss_is_what_the_flusher_wrote():
    clock, lm = manager()
    log = Log(TopicPartition("t", 0), TopicConfig(name="t").resolve(BrokerConfig()), 0.0)
    log.durability = deque()
    log.writeback = lm
    lm.logs[log.tp] = log
    for t in (1_000.0, 6_000.0):
        end = dirty(lm, clock, t, 10 * MIB)
        log.append(batch(10, 10 * MIB, t), end)
    assert log.log_end_offset == 20
    assert lm.written_before(0) == 1_000.0
    assert log.durable_offset(clock.now) == 0
    clock.advance(35_050.0)  # the first 10 MiB are being written
    assert log.durable_offset(clock.now) == 0
    clock.advance(35_100.0)
    assert lm.written_before(0) == 6_000.0
    assert log.durable_offset(clock.now) == 10
    clock.advance(37_000.0)
    assert log.lose_unflushed(clock.now) == 10  # the second append was still dirty
    assert list(lm.dirty) == [0] and lm.written_back_bytes == [10 * MIB]
    clock.advance(60_000.0)
    assert lm.written_back_bytes == [10 * MIB]  # what was lost is not written later


def test_a_power_loss_mid_chunk_loses_the_chunk_for_every_log_of_the_disk():
    clock, lm = manager()
    lm.chunk_bytes = lm.flusher_chunk_bytes  # the flusher's chunk in one booking: its rule in round numbers
    logs = []
    for p in range(2):
        log = Log(TopicPartition("t", p), TopicConfig(name="t").resolve(BrokerConfig()), 0.0)
        log.durability = deque()
        log.writeback = lm
        logs.append(log)
    end = dirty(lm, clock, 1_000.0, 10 * MIB)
    logs[0].append(batch(5, 10 * MIB, 1_000.0), end)
    end = dirty(lm, clock, 1_000.0, 10 * MIB)
    logs[1].append(batch(5, 10 * MIB, 1_000.0), end)
    clock.advance(35_100.0)  # 20 MiB: 200 ms from 35 s
    assert [log.lose_unflushed(clock.now) for log in logs] == [0, 0]
    clock.advance(35_300.0)
    assert lm.written_back_bytes == [0]


def test_dirty_bytes_are_kept_per_bucket_of_booking_time_not_per_append():
    clock, lm = manager()
    for k in range(100):
        dirty(lm, clock, k * 0.05, 1000)  # 100 appends within 5 ms
    assert lm.dirty_buckets(0) == [(0, 100_000)]
    dirty(lm, clock, DIRTY_BUCKET_MS, 1000)
    assert lm.dirty_buckets(0) == [(0, 100_000), (1, 1000)]
    dirty(lm, clock, DIRTY_BUCKET_MS + 1.0, 1000)  # the newest bucket fills on after it was read
    assert lm.dirty_buckets(0) == [(0, 100_000), (1, 2000)]


# -------------------------------------------------------------------------------------------- in a run
OFF = {switch: False for switch in VariabilitySpec.SWITCHES}


def short_run(**variability) -> dict:
    return {
        "name": "page-cache",
        "horizon_ms": 2000,
        "cluster": {"brokers": 1, "hardware": "laptop"},
        "topics": [{"name": "events", "partitions": 2}],
        "producers": [{"name": "app", "topic": "events", "rate_per_s": 20000, "value_bytes": 1000}],
        "consumers": [{"name": "reader", "topic": "events"}],
        "metrics": {"window_ms": 100},
        "variability": {**OFF, **variability},  # each test switches on what it studies
    }


def run_managers(scenario):
    run = eventsim.runner.build(scenario)
    run.start()
    run.run()
    return run, run.cluster.brokers[0].log_manager


def test_warm_reaches_write_back_within_a_short_run_where_cold_does_not():
    """Two seconds of 20 MB/s: far from a cold cache's 1.2 GiB background threshold and its 30 s
    expiry; a warm one starts at the threshold, so the first appends set the flusher to work."""
    _, cold = run_managers(short_run(page_cache_writeback=True))
    _, warm = run_managers(short_run(page_cache_writeback=True, page_cache_start="warm"))
    assert cold.written_back_bytes == [0]
    assert warm.written_back_bytes[0] >= warm.chunk_bytes
    assert warm.dirty[0] <= warm.background_bytes + warm.chunk_bytes
    frames = [
        eventsim.simulate(short_run(page_cache_writeback=True, **start)).frame("brokers")
        for start in ({}, {"page_cache_start": "warm"})
    ]
    cold_busy, warm_busy = (f[f.resource == "disk"].utilisation.mean() for f in frames)
    assert cold_busy == 0.0 < warm_busy


def test_with_write_back_appends_no_longer_book_the_disk_one_by_one():
    _, through = run_managers(short_run())
    _, cold = run_managers(short_run(page_cache_writeback=True))
    assert through.disks[0].free_at() > 0.0  # written through: the disk worked
    assert cold.disks[0].free_at() == 0.0  # dirty pages only, not yet written back
    assert cold.dirty[0] > 0


def test_same_seed_same_run_with_the_page_cache_modelled():
    sc = short_run(page_cache_writeback=True, page_cache_start="warm")
    a, b = eventsim.simulate(sc, seed=3), eventsim.simulate(sc, seed=3)
    for name in FRAMES:
        assert a.frame(name).equals(b.frame(name)), name


def test_power_loss_with_write_back_keeps_what_the_flusher_wrote():
    sc = short_run(page_cache_writeback=True, page_cache_start="warm")
    sc["horizon_ms"] = 3000
    sc["faults"] = [{"at_ms": 1500, "kind": "power_loss", "brokers": [0]}]
    run = eventsim.runner.build(sc)
    run.start()
    run.env.run(until=1499.0)
    lm = run.cluster.brokers[0].log_manager
    before = {tp: log.durable_offset(run.env.now) for tp, log in lm.logs.items()}
    run.env.run(until=1501.0)
    assert list(lm.dirty) == [0]
    for tp, log in lm.logs.items():
        assert log.log_end_offset >= before[tp]  # what was on disk a moment before survived
    run.env.run(until=3000.0)


# ------------------------------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize(
    "variability, field",
    [
        ({"page_cache_start": "hot"}, "variability.page_cache_start"),
        # warm needs page_cache_writeback
        ({"page_cache_start": "warm", "page_cache_writeback": False}, "variability.page_cache_start"),
        ({"page_cache_writeback": "yes"}, "variability.page_cache_writeback"),
    ],
)
def test_bad_input_is_refused_naming_the_field(variability, field):
    with pytest.raises(InvalidConfigurationError) as err:
        eventsim.simulate(short_run(**variability))
    assert err.value.field == field
    assert field in str(err.value)
