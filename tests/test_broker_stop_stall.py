"""A broker's booked work when it stops or stalls: epochs drop stale work, stall windows delay it."""

from __future__ import annotations

import eventsim
from eventsim.core.stations import Station

SCENARIO = {
    "name": "stop-stall",
    "horizon_ms": 3000,
    "cluster": {"brokers": 1, "hardware": "laptop"},
    "topics": [{"name": "events", "partitions": 2}],
    "producers": [{"name": "app", "topic": "events", "rate_per_s": 20_000, "config": {"linger.ms": 1}}],
    "consumers": [{"name": "reader", "topic": "events"}],
}


def test_a_stall_pushes_service_across_it_back_by_its_overlap():
    s = Station("handler", 1, 1000)
    s.add_stall(10, 15)
    assert s.reserve(5, 10) == (5, 20)  # running when the stall begins: 5 ms later
    t = Station("handler", 1, 1000)
    t.add_stall(10, 15)
    assert t.reserve(12, 2) == (15, 17)  # arrives during the stall: starts when it ends
    assert t.reserve(20, 1) == (20, 21)  # after it: untouched
    assert Station("idle", 1, 1000).reserve(0, 5) == (0, 5)


def _logs_end(run):
    return sum(log.log_end_offset for log in run.cluster.brokers[0].logs.values())


def test_a_stopped_broker_appends_nothing_it_had_booked_and_answers_nothing():
    # A short request timeout: the producer gives up on requests the stopped broker never reads, and retries.
    run = eventsim.build(SCENARIO, seed=1, overrides={"producers[0].config.request.timeout.ms": 200})
    run.start()
    run.env.run(until=1000)
    broker = run.cluster.brokers[0]
    before = _logs_end(run)
    requests = broker.produce_requests
    broker.stop()
    run.recorder.flush()
    acked_before = run.recorder.topic("events").acked.values().sum()
    run.env.run(until=3000)
    assert _logs_end(run) == before  # appends booked before the stop were dropped, none came after
    assert broker.produce_requests == requests  # it read no request after the stop
    run.recorder.flush()
    acked_after = run.recorder.topic("events").acked.values().sum()
    # Only responses already on the wire (within one round trip of the stop) can still arrive.
    assert acked_after - acked_before < 0.01 * acked_before
    broker.resume()
    # Running again: the producer's retries reach the log once its reconnect backoff, doubled per refused
    # attempt up to reconnect.backoff.max.ms (1 s), lets it connect.
    run.env.run(until=3500)
    assert _logs_end(run) == before
    run.env.run(until=4000)
    assert _logs_end(run) > before


def test_a_stall_delays_exactly_the_work_booked_across_it():
    plain = eventsim.build(SCENARIO, seed=1)
    plain.start()
    plain.env.run(until=1000)
    stalled = eventsim.build(SCENARIO, seed=1)
    stalled.start()
    stalled.env.run(until=1000)
    stalled.cluster.brokers[0].stall(1000, 1200)
    plain.env.run(until=3000)
    stalled.env.run(until=3000)
    for log in stalled.cluster.brokers[0].logs.values():
        times = [b.log_append_ms for b in log.batches]
        assert not [t for t in times if 1000 < t < 1200], "no append while the threads are stopped"
        assert any(t >= 1200 for t in times)
    # Before the stall the two runs are the same, to the append.
    for tp, log in plain.cluster.brokers[0].logs.items():
        a = [b.log_append_ms for b in log.batches if b.log_append_ms <= 1000]
        b = [x.log_append_ms for x in stalled.cluster.brokers[0].logs[tp].batches if x.log_append_ms <= 1000]
        assert a == b
