"""Whole runs: exact event logs of a tiny deterministic run, determinism, and invariants of small runs.

The tiny run is one laptop broker, one single-partition topic, one producer sending 100-byte values at
a constant 100 records/s (one every 10 ms) and one consumer. With ``linger.ms`` 15 every batch holds
two records, so each stage's time can be stated exactly from the configuration and hardware profile.
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventsim import build, simulate
from eventsim.hardware import PROFILES
from eventsim.metrics.recorder import PRODUCE_STAGES
from eventsim.metrics.result import FRAMES, Result
from eventsim.producer.producer_batch import RECORD_BATCH_OVERHEAD, record_size_in_bytes
from eventsim.scenarios import Scenario
from eventsim.structs import TopicPartition

LAPTOP = PROFILES["laptop"]
CPU = LAPTOP.client_record_cpu_ms  # the producer's per-record send() cost: the accumulator wait
VALUE = 100
RECORD = int(record_size_in_bytes(np.array([-1]), np.array([VALUE]))[0])


def tiny(horizon_ms=500.0, consumer=True, producer=None, **top):
    prod = {
        "name": "p",
        "topic": "t",
        "rate_per_s": 100,
        "arrival": "constant",
        "value_bytes": VALUE,
        "config": {"linger.ms": 15},
    }
    prod.update(producer or {})
    sc = {
        "name": "tiny",
        "seed": 1,
        "horizon_ms": horizon_ms,
        "cluster": {"brokers": 1, "hardware": "laptop"},
        "topics": [{"name": "t", "partitions": 1}],
        "producers": [prod],
        "consumers": [{"name": "c", "topic": "t"}] if consumer else [],
        "metrics": {"window_ms": 100.0},
        "variability": False,  # exact stage times: an idealised cluster (every source of variability off)
    }
    sc.update(top)
    return sc


def run_collect(scenario, seed=None):
    """``simulate()`` in its phases, keeping the component tree for inspection."""
    sc = Scenario.load(scenario)
    run = build(sc, seed=sc.seed if seed is None else seed)
    run.start()
    run.run()
    return run, Result.collect(run, 0.0)


def stage_means(result, path="produce"):
    bd = result.frame("breakdown")
    return bd[bd.path == path].set_index("stage")["mean_ms"]


# ---------------------------------------------------------------------------------------------- exact
def test_arrivals_are_evenly_spaced_and_batched_by_linger():
    _, res = run_collect(tiny())
    rec = res.frame("records")
    create = rec.create_ms.to_numpy()
    np.testing.assert_allclose(np.diff(create), 10.0)
    assert 0.0 <= create[0] < 10.0
    # The first batch is drained linger.ms after its first record entered the accumulator.
    first = rec.iloc[0]
    assert first.send_ms == pytest.approx(first.create_ms + CPU + 15.0, abs=1e-9)
    # Every batch: two records (the third arrives 20 ms after the first, after the linger expired).
    per_batch = rec.groupby("send_ms").size()
    assert (per_batch == 2).all()
    for send_ms, group in rec.groupby("send_ms"):
        assert send_ms == pytest.approx(group.create_ms.min() + CPU + 15.0, abs=1e-9)
    # Linger: 15 ms for the first record of a batch, 5 ms for the second.
    means = stage_means(res)
    assert means["linger"] == pytest.approx(10.0, abs=1e-9)
    assert means["accumulator_wait"] == pytest.approx(CPU, abs=1e-12)
    assert means["request_queue"] == 0.0  # an idle broker: no request waits for an I/O thread
    summary = res.summary().iloc[0]
    assert summary.records_per_batch == 2.0
    assert summary.bytes_per_batch == RECORD_BATCH_OVERHEAD + 2 * RECORD


def test_full_batch_is_sent_without_waiting_for_linger():
    # batch.size fits exactly two records: the batch is full (and sent) when the second one arrives.
    sc = tiny(
        consumer=False,
        producer={"config": {"linger.ms": 100, "batch.size": RECORD_BATCH_OVERHEAD + 2 * RECORD}},
    )
    _, res = run_collect(sc)
    rec = res.frame("records")
    for send_ms, group in rec.groupby("send_ms"):
        assert len(group) == 2
        assert send_ms == pytest.approx(group.create_ms.max() + CPU, abs=1e-9)
    assert stage_means(res)["linger"] == pytest.approx(5.0, abs=1e-9)  # 10 ms for one, 0 for the other


def test_idle_broker_stage_times_follow_the_hardware_profile():
    _, res = run_collect(tiny(consumer=False))
    rec = res.frame("records")
    lat, proc = LAPTOP.network_latency_ms, LAPTOP.network_thread_cpu_ms
    request_bytes = 80 + RECORD_BATCH_OVERHEAD + 2 * RECORD
    wire_ms = request_bytes / LAPTOP.client_nic_bytes_per_ms
    handler = LAPTOP.request_cpu_ms + LAPTOP.append_cpu_ms_per_mb * request_bytes / 2**20
    # send -> appended: wire + one-way latency + network thread + I/O thread (nothing queues).
    np.testing.assert_allclose(
        rec.append_ms - rec.send_ms, lat + proc + handler + wire_ms, atol=wire_ms + 1e-9
    )
    assert ((rec.append_ms - rec.send_ms) >= lat + proc + handler - 1e-9).all()
    # appended -> acknowledged: network thread + latency back (plus a 60-byte response on the wire).
    np.testing.assert_allclose(rec.ack_ms - rec.append_ms, lat + proc, atol=1e-3)
    assert ((rec.ack_ms - rec.append_ms) >= lat + proc - 1e-9).all()


def test_produce_latency_is_the_sum_of_the_stages():
    _, res = run_collect(tiny())
    means = stage_means(res)
    total = sum(means[s] for s in PRODUCE_STAGES)
    assert res.latency("produce").mean == pytest.approx(total, rel=1e-9)
    rec = res.frame("records")
    assert (rec.ack_ms - rec.create_ms).mean() == pytest.approx(total, rel=1e-9)
    # Each record's timeline is ordered.
    assert (rec.create_ms <= rec.send_ms).all()
    assert (rec.send_ms < rec.append_ms).all()
    assert (rec.append_ms < rec.ack_ms).all()
    assert (rec.append_ms < rec.consume_ms).all()


def test_offsets_are_dense_and_everything_acked_is_consumed():
    run, res = run_collect(tiny(horizon_ms=500.0, producer={"stop_ms": 400.0}))
    rec = res.frame("records")
    stats = res.stats
    assert stats["records_produced"] == 40
    assert stats["records_acked"] == stats["records_consumed"] == 40
    assert stats["records_failed"] == 0
    np.testing.assert_array_equal(rec.offset.to_numpy(), np.arange(40))
    assert rec.consume_ms.notna().all()
    log = run.cluster.log(TopicPartition("t", 0))
    assert log.log_end_offset == 40
    assert log.log_start_offset == 0
    assert run.producers[0].sender.requests_sent == 20 == stats["produce_requests"]
    # Partition snapshots every window: the log end offset never goes back.
    part = res.frame("partitions")
    assert len(part) >= 4
    assert (np.diff(part.log_end_offset.to_numpy()) >= 0).all()
    assert part.log_end_offset.iloc[-1] <= 40
    assert (part.segments == 1).all()


def test_tiny_run_counts_at_the_horizon():
    # Records at 485 and 495 ms are still lingering at 500 ms; everything before is acked and consumed.
    _, res = run_collect(tiny(horizon_ms=500.0))
    s = res.stats
    assert s["records_produced"] == 50
    assert s["records_acked"] == s["records_consumed"] == 48
    assert s["produce_requests"] == 24


# ---------------------------------------------------------------------------------------------- variants
def test_acks_0_has_lower_latency_and_no_round_trip():
    _, r1 = run_collect(tiny(consumer=False, producer={"config": {"linger.ms": 15, "acks": 1}}))
    _, r0 = run_collect(tiny(consumer=False, producer={"config": {"linger.ms": 15, "acks": 0}}))
    assert r0.stats["records_acked"] == r1.stats["records_acked"] > 0
    assert r0.latency("produce").mean < r1.latency("produce").mean
    rec0, rec1 = r0.frame("records"), r1.frame("records")
    both = rec0.merge(rec1, on="record_id", suffixes=("_0", "_1"))
    assert len(both) == len(rec0)
    np.testing.assert_array_equal(both.send_ms_0, both.send_ms_1)  # the same batches, sent at the same times
    # No round trip: acks=0 completes when the request leaves the NIC, before the broker even has it.
    assert (both.ack_ms_0 < both.ack_ms_1 - 2 * LAPTOP.network_latency_ms).all()
    assert (rec0.ack_ms < rec0.append_ms).all()  # "acknowledged" once on the wire, before the append
    # The broker still appends everything that was sent.
    log0 = r0.frame("partitions").log_end_offset.to_numpy()
    np.testing.assert_array_equal(log0, r1.frame("partitions").log_end_offset.to_numpy())


def test_acks_0_records_have_offset_minus_one():
    _, r0 = run_collect(tiny(consumer=False, producer={"config": {"linger.ms": 15, "acks": 0}}))
    rec0 = r0.frame("records")
    assert len(rec0) > 0
    assert (rec0.offset == -1).all()


def test_no_consumer_consumes_nothing():
    _, res = run_collect(tiny(consumer=False))
    s = res.summary().iloc[0]
    assert s.records_consumed == 0
    assert s.records_acked > 0
    assert math.isnan(s.e2e_latency_p50_ms)
    assert res.stats["fetch_requests"] == 0


def test_a_stopped_producer_is_fully_acked_by_the_horizon():
    sc = Scenario.load("quickstart").replace(horizon_ms=1_500.0)
    sc = Scenario.load({**sc.to_dict(), "producers": [{**sc.producers[0].to_dict(), "stop_ms": 1_000.0}]})
    _, res = run_collect(sc)
    s = res.stats
    assert 900 < s["records_produced"] < 1_100  # Poisson, 1000 records/s for one second
    assert s["records_acked"] == s["records_produced"]
    assert s["records_failed"] == 0
    assert s["records_consumed"] == s["records_acked"]
    ts = res.frame("timeseries")
    assert ts.loc[ts.time_s >= 1.0, "records_produced"].sum() == 0


# ---------------------------------------------------------------------------------------------- determinism
def _quick(seed):
    sc = Scenario.load("quickstart").replace(horizon_ms=600.0, seed=seed)
    return simulate(sc, seed=seed)


def test_same_seed_same_run():
    a, b = _quick(5), _quick(5)
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    for name in FRAMES:
        pd.testing.assert_frame_equal(a.frame(name), b.frame(name), check_exact=True)
    keys = set(a.stats) - {"wall_s", "records_per_wall_s"}
    assert {k: a.stats[k] for k in keys} == {k: b.stats[k] for k in keys}


def test_different_seed_different_run():
    a, b = _quick(5), _quick(6)
    assert not a.frame("records").equals(b.frame("records"))
    assert not a.summary().equals(b.summary())


def test_adding_a_consumer_does_not_change_the_producers_arrivals():
    base = Scenario.load("quickstart").replace(horizon_ms=600.0)
    alone = Scenario.load({**base.to_dict(), "consumers": []})
    with_c = simulate(base).frame("records")
    without = simulate(alone).frame("records")
    cols = ["record_id", "partition", "key", "value_bytes", "create_ms"]
    a = with_c[cols].sort_values("record_id").reset_index(drop=True)
    b = without[cols].sort_values("record_id").reset_index(drop=True)
    n = min(len(a), len(b))
    assert n > 400
    pd.testing.assert_frame_equal(a.iloc[:n], b.iloc[:n])


# ---------------------------------------------------------------------------------------------- properties
@st.composite
def small_scenarios(draw):
    partitions = draw(st.integers(1, 3))
    acks = draw(st.sampled_from(["all", "1", "0"]))
    config = {
        "acks": acks,
        "linger.ms": draw(st.sampled_from([0, 2, 10])),
        "batch.size": draw(st.sampled_from([0, 400, 16384])),
    }
    if acks != "all":
        config["enable.idempotence"] = False
    keyed = draw(st.booleans())
    prod = {
        "name": "p",
        "topic": "t",
        "count": draw(st.integers(1, 2)),
        "rate_per_s": draw(st.sampled_from([300, 2_000, 8_000])),
        "arrival": draw(st.sampled_from(["poisson", "constant"])),
        "value_bytes": draw(st.sampled_from([10, 100, 1_000])),
        "keys": {"distribution": "uniform", "count": 20} if keyed else None,
        "config": config,
    }
    horizon = draw(st.sampled_from([150.0, 300.0]))
    stop = draw(st.sampled_from([None, horizon / 2]))
    if stop is not None:
        prod["stop_ms"] = stop
    consumers = [{"name": "c", "topic": "t"}] if draw(st.booleans()) else []
    return {
        "name": "prop",
        "seed": draw(st.integers(0, 2**16)),
        "horizon_ms": horizon,
        "cluster": {"brokers": draw(st.integers(1, 2)), "hardware": "laptop"},
        "topics": [{"name": "t", "partitions": partitions}],
        "producers": [prod],
        "consumers": consumers,
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_run_invariants(scenario):
    run, res = run_collect(scenario)
    s = res.stats
    leo = {tp: run.cluster.log(tp).log_end_offset for tp in run.cluster.topics["t"].tps()}
    appended = sum(leo.values())
    acks = scenario["producers"][0]["config"]["acks"]
    assert s["records_failed"] == 0
    assert s["records_acked"] <= s["records_produced"]
    assert appended <= s["records_produced"]
    assert s["records_consumed"] <= appended  # a consumer reads only what the log holds
    if acks != "0":
        assert s["records_acked"] <= appended  # an ack follows the append
    rec = res.frame("records")
    assert len(rec) == s["records_acked"]  # small runs keep every record
    for p, group in rec.groupby("partition"):
        off = group.offset.to_numpy()
        if acks == "0":
            continue  # see test_acks_0_records_have_offset_minus_one
        assert (np.diff(off) > 0).all()  # unique and increasing
        assert off.max() < leo[TopicPartition("t", p)]
    drained = scenario["producers"][0].get("stop_ms") is not None
    if drained:  # producers stopped at half time: everything is acked (and read, if anyone reads)
        assert s["records_acked"] == s["records_produced"] == appended
        if scenario["consumers"]:
            assert s["records_consumed"] == s["records_acked"]
        if acks != "0":
            for _, group in rec.groupby("partition"):
                np.testing.assert_array_equal(group.offset.to_numpy(), np.arange(len(group)))
    # Batches: each request carries at least one batch, and a batch of several records fits batch.size.
    summary = res.summary()
    if len(summary) and summary.batches.iloc[0]:
        assert summary.requests.iloc[0] <= summary.batches.iloc[0]
    if len(rec):
        spec = run.scenario.producers[0]
        keys = rec.key.to_numpy()
        key_len = spec.keys.key_length(keys) if spec.keys.distribution != "none" else np.full(len(rec), -1)
        rec = rec.assign(size=record_size_in_bytes(key_len, rec.value_bytes.to_numpy()))
        batch_size = scenario["producers"][0]["config"]["batch.size"]
        for _, batch in rec.groupby(["producer", "partition", "send_ms"]):
            if len(batch) > 1:
                assert RECORD_BATCH_OVERHEAD + batch["size"].sum() <= batch_size
        assert (rec.create_ms <= rec.send_ms).all()
        assert (rec.send_ms <= rec.ack_ms).all()


def _overloaded(max_block_ms, faults=()):
    d = Scenario.load("quickstart").to_dict()
    d["cluster"]["hardware"] = "laptop"
    config = {"buffer.memory": 4_000_000, "max.block.ms": max_block_ms}
    d["producers"][0].update(rate_per_s=150_000, value_bytes=1000, config=config)
    d["faults"] = list(faults)
    return simulate(d, seed=4, horizon_ms=600)


def test_a_full_buffer_blocks_send_and_the_acked_rate_plateaus_at_the_link():
    """150,000 records/s of 1 kB offered to a 1 GbE laptop: send() blocks on buffer.memory, but completed
    batches free memory far more often than every max.block.ms, so nothing fails and the acknowledged rate
    is the link's."""
    r = _overloaded(30)
    s = r.summary().iloc[0]
    ts = r.frame("timeseries")
    assert s.records_offered == ts.records_offered.sum() == pytest.approx(150_000 * 0.6, rel=0.02)
    assert s.records_failed == 0
    assert ts.send_blocked_ms.sum() > 300  # the application thread spent most of the run blocked
    link = PROFILES["laptop"].nic_bytes_per_ms * 1000 / 1000  # ~1000-byte records per second
    assert s.throughput_records_per_s == pytest.approx(link, rel=0.1)
    assert s.records_acked <= s.records_produced < s.records_offered  # the rest wait for the thread


def test_max_block_ms_zero_fails_what_does_not_fit_at_once():
    r = _overloaded(0)
    s = r.summary().iloc[0]
    in_send = r.topics["events"]["failed"].get("BUFFER_EXHAUSTED_TIMEOUT", 0)
    assert in_send == s.records_failed > 0
    assert s.records_produced <= s.records_offered - in_send
    assert s.records_acked <= s.records_produced
    assert r.frame("timeseries").records_failed.sum() == in_send
    # Failing is quick: the thread gets through more records than with blocking, and the link stays full.
    blocked = _overloaded(30).summary().iloc[0]
    assert s.throughput_records_per_s == pytest.approx(blocked.throughput_records_per_s, rel=0.02)


def test_a_blocked_send_fails_after_max_block_ms_and_holds_the_thread_meanwhile():
    """The only broker pauses for 300 ms: no batch completes, so the pool stays full. A blocked send()
    holds the application's thread for max.block.ms and then fails; the next record blocks in turn: one
    failure per 30 ms (plus the record's CPU), not every record offered meanwhile."""
    r = _overloaded(30, [{"at_ms": 200, "kind": "pause", "broker": 0, "duration_ms": 300}])
    failed = r.topics["events"]["failed"].get("BUFFER_EXHAUSTED_TIMEOUT", 0)
    assert 300 / 30 - 2 <= failed <= 300 / 30 + 1
    ts = r.frame("timeseries").set_index("time_s")
    assert ts.records_failed.sum() == failed


def test_delivery_timeout_expires_a_batch_in_flight_on_time():
    """Kafka 2.1+ (``Sender.getExpiredInflightBatches``): a batch still in flight when its
    ``delivery.timeout.ms`` runs out fails then, not when its request times out. The only broker pauses
    from 1 s to 3.5 s. The five requests in flight at 1 s time out at about 2.1 s (no retries) and the
    connection opens again 40 to 60 ms later (``reconnect.backoff.ms``, 50 ms within 20 %): the records
    queued meanwhile (created from 1.055 s) leave in one batch at about 2.15 s, whose delivery deadline,
    1.055 + 1.5 s, comes before its request's timeout at 3.15 s."""
    sc = {
        "name": "in-flight-expiry",
        "horizon_ms": 4000,
        "cluster": {"brokers": 1, "hardware": "laptop"},
        "topics": [{"name": "t", "partitions": 1}],
        "producers": [
            {
                "name": "p",
                "topic": "t",
                "rate_per_s": 100,
                "arrival": "constant",
                "value_bytes": 100,
                "keys": None,
                "config": {
                    "request.timeout.ms": 1000,
                    "delivery.timeout.ms": 1500,
                    "linger.ms": 0,
                    "retries": 0,
                    "enable.idempotence": False,
                    "acks": "1",
                },
            }
        ],
        "faults": [{"at_ms": 1000, "kind": "pause", "broker": 0, "duration_ms": 2500}],
        "metrics": {"window_ms": 10},
    }
    r = simulate(sc, seed=1)
    failed = r.topics["t"]["failed"]
    ts = r.frame("timeseries").set_index("time_s")
    expired = ts.loc[ts.records_failed > 0, "records_failed"]
    # One record per 10 ms from 1.055 s until the connection opens again.
    assert 109 <= failed["DELIVERY_TIMEOUT"] <= 111
    assert expired.loc[2.55] == failed["DELIVERY_TIMEOUT"]  # 1.055 s + 1.5 s, in its 10 ms window
    assert failed["REQUEST_TIMED_OUT"] == expired.drop(2.55).sum()
    s = r.summary().iloc[0]
    assert s.records_acked + s.records_failed <= s.records_produced


def test_records_blocks_are_stacked_as_numpy_concatenates_them():
    """The recorder joins thousands of small records blocks by their bytes; the result is
    np.concatenate's, and blocks that are not contiguous float64 rows take numpy's way."""
    import numpy as np

    from eventsim.metrics.recorder import _stack

    rng = np.random.default_rng(3)
    base = rng.uniform(0, 100, (60, 5))
    blocks = [base[0:3], base[3:4], base[10:20], base[20:20], base[40:60]]
    rows = sum(len(b) for b in blocks)
    out = _stack(blocks, rows)
    assert out.flags.writeable and np.array_equal(out, np.concatenate(blocks))
    strided = [base[0:6:2], base[7:9]]  # not contiguous: numpy's way
    assert np.array_equal(_stack(strided, 5), np.concatenate(strided))
    ints = [np.arange(10).reshape(2, 5)]  # not float64: numpy's way
    assert np.array_equal(_stack(ints, 2), np.concatenate(ints))
