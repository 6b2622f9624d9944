"""Young collections of the clients' JVMs (``variability.client_gc``, ``eventsim.jvm``)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import eventsim
from eventsim.core.environment import Environment
from eventsim.core.errors import InvalidConfigurationError
from eventsim.jvm import YoungCollector
from eventsim.metrics.result import FRAMES, Result
from eventsim.producer.producer_batch import record_size_in_bytes
from eventsim.runner import build
from eventsim.scenarios import Scenario, VariabilitySpec

MIB = 1024 * 1024
VALUE = 500

BASE = {
    "name": "client-gc",
    "horizon_ms": 3000,
    "cluster": {"brokers": 1, "hardware": "cloud-2020"},
    "topics": [{"name": "t", "partitions": 3}],
    "producers": [
        {"name": "p", "topic": "t", "rate_per_s": 20_000, "arrival": "constant", "value_bytes": VALUE,
         "keys": None, "config": {"linger.ms": 1}}  # fmt: skip
    ],
    "consumers": [{"name": "c", "topic": "t"}],
    "metrics": {"window_ms": 500},
}
ON = {"client_gc": True, "client_gc_eden_mb": 1}


OFF = {switch: False for switch in VariabilitySpec.SWITCHES}  # each test switches on what it studies


def scenario(variability=None, **changes):
    data = copy.deepcopy(BASE)
    data.update(changes)
    data["variability"] = {**OFF, **(variability or {})}
    return data


def run(variability=None, seed=3, **changes):
    """The run's component tree after the run, and its Result."""
    r = build(scenario(variability, **changes), seed=seed)
    r.start()
    r.run()
    return r, Result.collect(r, 0.0)


def pauses_of(result, host):
    gc = result.frame("gc")
    gc = gc[gc.host == host]
    start = gc.time_s.to_numpy() * 1000.0
    return start, start + gc.pause_ms.to_numpy()


def inside(times, start, end, eps=1e-6):
    """Which of ``times`` fall inside one of the intervals ``(start, end)`` (by more than ``eps``: the
    ``gc`` frame's seconds lose the last bits of a millisecond time)."""
    i = np.searchsorted(start, times, side="left") - 1
    ok = i >= 0
    hit = np.zeros(times.size, dtype=bool)
    hit[ok] = (times[ok] > start[i[ok]] + eps) & (times[ok] < end[i[ok]] - eps)
    return hit


# ---------------------------------------------------------------------- the rule, with an injected clock
def test_a_thread_meets_a_collection_when_an_items_bytes_do_not_fit_and_the_rest_waits_for_it():
    env = Environment(0)
    paused = []
    spec = VariabilitySpec(gc_pause_p50_ms=10, gc_pause_p90_ms=10.000001)  # the pause is 10 ms
    jvm = YoungCollector(env, "producer-p-0", 1, spec, env.rng("x"), paused.append)
    jvm._eden_base = 0.0  # an empty eden (start() would draw how full it is)
    ends = np.arange(1.0, 11.0)  # ten items of 1 ms each, back to back from t = 0
    service = np.ones(10)
    nbytes = np.full(10, 0.3 * MIB)  # the fourth item does not fit
    out = jvm.schedule(ends, service, nbytes, 0.0)
    # Item 3 starts at 3 ms: a pause to 13 ms, then items 3.. follow one another; its bytes went into the
    # emptied eden, so items 3..5 fill it and item 6 starts the next pause, item 9 the third.
    assert out == pytest.approx([1, 2, 3, 14, 15, 16, 27, 28, 29, 40], abs=1e-4)
    assert ends.tolist() == list(np.arange(1.0, 11.0))  # the caller's array is left alone
    env.run(until=50)
    assert [t for t, _ in jvm.pauses] == pytest.approx([3, 16, 29], abs=1e-4)
    assert paused == [p for _, p in jvm.pauses] == [pytest.approx(10.0, rel=1e-5)] * 3
    # Eden holds item 9's bytes: one more item fits, and its end is left as it was.
    more = np.array([60.0])
    assert jvm.schedule(more, np.ones(1), np.array([0.3 * MIB]), 59.0) is more


def test_an_item_larger_than_eden_does_not_stop_the_thread_forever():
    env = Environment(0)
    jvm = YoungCollector(env, "h", 1, VariabilitySpec(), env.rng("x"), lambda ms: None)
    jvm._eden_base = 0.0
    out = jvm.schedule(np.array([1.0, 2.0, 3.0]), np.ones(3), np.full(3, 2.0 * MIB), 0.0)
    assert (np.diff(out) >= 1.0).all() and out[0] > 1.0  # a collection before each item


# ---------------------------------------------------------------------- the producer
def test_a_producers_pause_delays_the_records_sent_during_it_by_about_the_pause():
    _, r = run(ON)
    start, end = pauses_of(r, "producer-p-0")
    assert start.size > 10
    rec = r.frame("records").sort_values("create_ms", kind="stable")
    create = rec.create_ms.to_numpy()
    # Nothing is sent and no response is read while the producer's JVM is stopped.
    assert not inside(rec.send_ms.to_numpy(), start, end).any()
    assert not inside(rec.ack_ms.to_numpy(), start, end).any()
    # A record whose send() fell in a pause is sent after it: delayed by what was left of the pause.
    during = inside(create, start, end)
    assert during.sum() > 100
    i = np.searchsorted(start, create[during], side="right") - 1
    assert (rec.send_ms.to_numpy()[during] >= end[i] - 1e-6).all()
    # The first record sent after each pause began waited about the whole pause (plus linger.ms).
    first = np.searchsorted(create, start, side="left")
    waited = rec.send_ms.to_numpy()[first] - create[first]
    assert waited == pytest.approx(end - start, abs=1.5)
    # Away from the pauses the records go within a couple of milliseconds, as without collections.
    calm = ~inside(create, start - 3.0, end + 30.0)
    assert np.median(rec.send_ms.to_numpy()[calm] - create[calm]) < 1.5


def test_a_producers_collections_come_once_per_eden_of_serialised_records():
    rn, r = run(ON)
    produced = r.summary().records_produced.iloc[0]
    size = int(record_size_in_bytes(np.array([-1]), np.array([VALUE]), magic=2)[0])
    n = len(pauses_of(r, "producer-p-0")[0])
    assert n == pytest.approx(produced * size / MIB, abs=1.5)
    assert rn.producers[0].jvm._allocated == produced * size


def test_the_producers_cpu_counts_its_records_not_its_pauses():
    calm = run()[1].frame("clients")
    paused = run(ON)[1].frame("clients")

    def busy(f):
        f = f[(f.host == "producer-p-0") & (f.resource == "cpu")]
        return f.utilisation.sum()

    assert busy(paused) == pytest.approx(busy(calm), rel=1e-6)


# ---------------------------------------------------------------------- the consumer
def test_a_consumers_pause_delays_consumption():
    rn, r = run(ON)
    start, end = pauses_of(r, "consumer-c-0")
    assert start.size > 10
    rec = r.frame("records").dropna(subset=["consume_ms"])
    consume = rec.consume_ms.to_numpy()
    assert not inside(consume, start, end).any()  # poll() does not run in a pause
    # Records the broker appended during a pause are handed out after it.
    during = inside(rec.append_ms.to_numpy(), start, end)
    assert during.sum() > 100
    i = np.searchsorted(start, rec.append_ms.to_numpy()[during], side="right") - 1
    assert (consume[during] >= end[i] - 1e-6).all()
    # ... so consumption lags further behind the appends than without pauses.
    e2e = r.summary().e2e_latency_p99_ms.iloc[0]
    assert e2e > 2 * run()[1].summary().e2e_latency_p99_ms.iloc[0]


def test_a_consumers_collections_come_once_per_eden_of_received_bytes():
    rn, r = run(ON)
    received = rn.consumers[0].host.bytes_in
    assert len(pauses_of(r, "consumer-c-0")[0]) == pytest.approx(received / MIB, abs=1.5)


def test_processing_stopped_by_a_pause_finishes_later_and_its_cpu_moves_past_it():
    fixed = 0.04  # ms per record: the consumer is busy about 80 % of the time at 20k records/s
    consumers = [{"name": "c", "topic": "t", "processing_ms": fixed}]
    rn, r = run(ON, consumers=consumers)
    start, end = pauses_of(r, "consumer-c-0")
    c = rn.consumers[0]
    consumed = r.summary().records_consumed.iloc[0]
    # All the processing and none of the pauses is busy time.
    assert c.host.cpu.busy_ms().sum() == pytest.approx(consumed * fixed, rel=1e-9)
    assert (c.host.cpu.busy_ms() <= BASE["metrics"]["window_ms"] + 1e-9).all()
    assert not inside(r.frame("records").consume_ms.dropna().to_numpy(), start, end).any()


# ---------------------------------------------------------------------- determinism and switches
def test_same_seed_same_pauses_and_each_client_draws_from_its_own_stream():
    a = eventsim.simulate(scenario(ON), seed=5)
    b = eventsim.simulate(scenario(ON), seed=5)
    assert a.frame("gc").equals(b.frame("gc")) and a.frame("records").equals(b.frame("records"))
    assert not a.frame("gc").equals(eventsim.simulate(scenario(ON), seed=6).frame("gc"))
    # Without the consumer the producer's collections are the same: its stream and bytes are its own.
    alone = eventsim.simulate(scenario(ON, consumers=[]), seed=5).frame("gc")
    mine = a.frame("gc")
    assert mine[mine.host == "producer-p-0"].reset_index(drop=True).equals(alone.reset_index(drop=True))


def test_client_and_broker_collections_are_separate_switches():
    both = eventsim.simulate(scenario({**ON, "gc": True, "gc_eden_mb": 1}), seed=3).frame("gc")
    assert set(both.host) == {"broker-0", "producer-p-0", "consumer-c-0"}
    brokers = eventsim.simulate(scenario({"gc": True, "gc_eden_mb": 1}), seed=3).frame("gc")
    assert set(brokers.host) == {"broker-0"}


def test_on_by_default_and_off_leaves_every_frame_unchanged():
    assert VariabilitySpec().client_gc is True and VariabilitySpec().client_gc_eden_mb == 128
    assert Scenario.from_dict(scenario()).to_dict()["variability"] is False  # every source off here
    calm = eventsim.simulate(scenario(), seed=3)
    off = eventsim.simulate(scenario({"client_gc": False, "client_gc_eden_mb": 1}), seed=3)
    assert calm.frame("gc").empty and off.frame("gc").empty
    for name in FRAMES:
        assert calm.frame(name).equals(off.frame(name)), name


@pytest.mark.parametrize(
    "variability, field",
    [
        ({"client_gc": "yes"}, "variability.client_gc"),
        ({"client_gc": 1}, "variability.client_gc"),
        ({"client_gc_eden_mb": 0}, "variability.client_gc_eden_mb"),
        ({"client_gc_eden_mb": -4}, "variability.client_gc_eden_mb"),
        ({"client_gc_eden_mb": "big"}, "variability.client_gc_eden_mb"),
        ({"client_gc_eden": 64}, "variability"),
    ],
)
def test_bad_client_gc_settings_are_refused_naming_the_field(variability, field):
    with pytest.raises(InvalidConfigurationError) as err:
        Scenario.from_dict(scenario(variability))
    assert field in str(err.value)


def test_responses_that_arrive_in_a_pause_are_read_at_its_end_before_the_request_timeouts():
    # Pauses of 600 ms, longer than request.timeout.ms: the requests in flight when one begins are
    # answered during it; the Sender reads those answers when it ends, before it looks for timed-out
    # requests (NetworkClient.poll), so none of them times out although 600 ms have passed.
    producers = copy.deepcopy(BASE["producers"])
    producers[0]["config"]["request.timeout.ms"] = 500
    v = {**ON, "client_gc_eden_mb": 4, "gc_pause_p50_ms": 600, "gc_pause_p90_ms": 600}
    # Tens of milliseconds on the wire: a sweep of the timeouts falls between a request and its answer.
    v |= {"network_jitter": True, "network_jitter_p50_ms": 20, "network_jitter_p99_ms": 40}
    _, r = run(v, consumers=[], producers=producers)
    start, end = pauses_of(r, "producer-p-0")
    assert start.size >= 2 and end - start == pytest.approx(np.full(start.size, 600.0))
    rec = r.frame("records")
    ack = rec.ack_ms.to_numpy()
    at_end = (np.abs(ack[:, None] - end[None, :]) < 1e-6).any(axis=1)
    assert at_end.sum() > 0 and not inside(ack, start, end).any()
    s = r.summary().iloc[0]
    assert s.records_failed == 0 and r.stats["retries"] == 0
