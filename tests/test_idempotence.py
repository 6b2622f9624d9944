"""Whole runs with lost acknowledgements and retries: the idempotent producer against its absence.

What Kafka guarantees with ``enable.idempotence=true`` (the default, KIP-98/679): a retry never writes a
record twice and, with up to five requests in flight, never reorders a partition. Without idempotence a
retry after a lost acknowledgement writes the batch again, and retries of several in-flight batches may
go out in another order. The tests read the partition logs' batches (every record id, in log order) and
the summary's ``records_consumed_duplicate`` / ``records_offered`` columns.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventsim import build, simulate
from eventsim.metrics.duplicates import SeenRecords
from eventsim.metrics.result import Result
from eventsim.producer.producer_batch import RECORD_ID_PRODUCER_SHIFT
from eventsim.scenarios import Scenario

RETRYING = {  # acknowledgements that take longer than request.timeout.ms under load: lost, then retried
    "request.timeout.ms": 2,
    "linger.ms": 1,
    "retry.backoff.ms": 1,
    "retry.backoff.max.ms": 5,
}
RETRYING_MS = 600.0  # each timeout closes the connection, and the next opens reconnect.backoff.ms (50) later


def scenario(config, rate=120_000, value_bytes=1000, partitions=3, horizon_ms=300.0, consumers=1, **prod):
    p = {
        "name": "app",
        "topic": "events",
        "rate_per_s": rate,
        "value_bytes": value_bytes,
        "keys": {"distribution": "uniform", "count": 100},
        "config": dict(config),
    }
    p.update(prod)
    return {
        "name": "retries",
        "horizon_ms": horizon_ms,
        "cluster": {"brokers": 1, "hardware": "laptop"},
        "topics": [{"name": "events", "partitions": partitions}],
        "producers": [p],
        "consumers": [{"name": f"reader{i}", "topic": "events"} for i in range(consumers)],
    }


def run_logs(sc, seed=1):
    """Run ``sc`` keeping every batch its logs received; returns (run, result, record ids per log)."""
    run = build(Scenario.load(sc), seed=seed)
    logs = {}
    for topic in run.cluster.topics.values():
        for tp in topic.tps():
            logs[tp] = run.cluster.log(tp)
            logs[tp].register_reader("test", 0)  # keep every batch for inspection
    run.start()
    run.run()
    res = Result.collect(run, 0.0)
    ids = {
        tp: np.concatenate([b.record_ids for b in log.batches]) if log.batches else np.empty(0, np.int64)
        for tp, log in logs.items()
    }
    return run, res, ids


def duplicates(ids) -> int:
    return sum(v.size - np.unique(v).size for v in ids.values())


def reorders(ids) -> int:
    """Places where a log holds a record its producer sent before the producer's record just ahead of it."""
    n = 0
    for v in ids.values():
        producers = v >> RECORD_ID_PRODUCER_SHIFT
        for p in np.unique(producers):
            n += int((np.diff(v[producers == p]) < 0).sum())
    return n


# ---------------------------------------------------------------------------------------------- event logs
def test_with_idempotence_every_record_is_in_its_log_once_in_send_order():
    run, res, ids = run_logs(scenario(RETRYING, horizon_ms=RETRYING_MS))
    assert res.stats["retries"] > 100  # acknowledgements were lost and batches sent again
    assert duplicates(ids) == 0
    assert reorders(ids) == 0
    written = np.concatenate(list(ids.values()))
    assert written.size == sum(log.appended_records for log in run.cluster.brokers[0].logs.values())
    # The brokers recognised retried batches as duplicates and answered them without appending.
    assert res.stats["records_consumed_duplicate"] == 0
    s = res.summary().iloc[0]
    assert s.records_consumed_duplicate == 0
    assert s.records_consumed <= s.records_produced


def test_without_idempotence_a_retry_after_a_lost_ack_writes_the_records_again_and_may_reorder():
    _, res, ids = run_logs(scenario(dict(RETRYING, **{"enable.idempotence": False}), horizon_ms=RETRYING_MS))
    assert res.stats["retries"] > 100
    assert duplicates(ids) > 100
    assert reorders(ids) > 0  # five requests in flight: retries go out in another order
    assert res.summary().iloc[0].records_consumed_duplicate > 0


def test_retried_duplicates_are_answered_from_the_producer_state_without_appending():
    run, res, ids = run_logs(scenario(RETRYING))
    producer = run.producers[0]
    tm = producer.transaction_manager
    assert tm is not None and tm.producer_id == 0
    for tp, log in run.cluster.brokers[0].logs.items():
        entry = log.producer_state.entry(tm.producer_id)
        assert entry is not None and 1 <= len(entry.batches) <= 5
        last = entry.retained()[-1]
        assert last.last_offset == log.log_end_offset - 1  # the last batch of the log is the producer's
        assert ids[tp].size == log.log_end_offset


def test_broker_rejections_bump_the_epoch_and_the_log_stays_in_order():
    """Batches over the topic's max.message.bytes fail (RECORD_TOO_LARGE): a gap in the sequences. The
    producer bumps its epoch and renumbers its in-flight batches, which the broker accepts from 0."""
    sc = scenario({"linger.ms": 0, "batch.size": 16384}, rate=10_000, value_bytes=1000, horizon_ms=300.0)
    sc["topics"][0]["config"] = {"max.message.bytes": 2600}  # two records fit, three do not
    # Batches of one or two records as they come: no pause that would let batches grow past the limit.
    sc["variability"] = False
    run, res, ids = run_logs(sc)
    failed = res.topics["events"]["failed"]
    assert failed.get("RECORD_TOO_LARGE", 0) > 0
    tm = run.producers[0].transaction_manager
    assert tm.epoch_bumps > 0 and tm.producer_epoch > 0
    assert duplicates(ids) == 0 and reorders(ids) == 0
    s = res.summary().iloc[0]
    assert s.records_acked > failed["RECORD_TOO_LARGE"] > 0  # most batches fit: a mix
    assert s.records_acked + failed["RECORD_TOO_LARGE"] <= s.records_produced


def test_expired_batches_leave_no_duplicate_with_idempotence():
    """request.timeout.ms 0: no acknowledgement ever arrives in time; batches are retried (each attempt on
    a new connection, reconnect.backoff.ms apart) until delivery.timeout.ms, then expire, and the producer
    bumps its epoch for the unresolved sequences."""
    cfg = {
        "request.timeout.ms": 0,
        "retry.backoff.ms": 1,
        "retry.backoff.max.ms": 1,
        "linger.ms": 0,
        "delivery.timeout.ms": 500,
    }
    run, res, ids = run_logs(scenario(cfg, rate=1000, value_bytes=100, horizon_ms=2000.0))
    s = res.summary().iloc[0]
    assert s.records_acked == 0 and res.topics["events"]["failed"]["DELIVERY_TIMEOUT"] > 0
    assert run.producers[0].transaction_manager.epoch_bumps > 0
    assert duplicates(ids) == 0 and reorders(ids) == 0
    assert s.records_consumed_duplicate == 0
    assert 0 < s.records_consumed <= s.records_produced
    off = simulate(scenario(dict(cfg, **{"enable.idempotence": False}), 1000, 100, horizon_ms=2000.0), seed=1)
    assert off.summary().iloc[0].records_consumed_duplicate > 500  # hundreds of records written again


def test_a_producer_that_stops_still_resolves_its_sequences_and_empties_its_queues():
    """After the last send() nothing wakes the sender but its own timers and responses: expired batches
    must still be resolved (epoch bump) so the records queued behind them go out or expire too."""
    cfg = {
        "request.timeout.ms": 0,
        "retry.backoff.ms": 1,
        "retry.backoff.max.ms": 1,
        "delivery.timeout.ms": 50,
    }
    run, res, ids = run_logs(scenario(cfg, rate=1000, value_bytes=100, horizon_ms=1500.0, stop_ms=300.0))
    queues = run.producers[0].accumulator.queues.values()
    assert all(pq.pending() == 0 and not pq.retries for pq in queues)
    assert not run.producers[0].transaction_manager.unresolved
    s = res.summary().iloc[0]
    assert s.records_failed == s.records_produced  # nothing is acknowledged in time; all expire
    assert duplicates(ids) == 0


# ---------------------------------------------------------------------------------------------- the summary
def test_records_consumed_duplicate_is_what_each_group_read_more_than_once():
    """Production stops half-way so the consumers read everything: the count is exact, per group."""
    cfg = dict(RETRYING, **{"enable.idempotence": False})
    sc = scenario(cfg, horizon_ms=1000.0, consumers=2, stop_ms=150.0)
    _, res, ids = run_logs(sc)
    s = res.summary().iloc[0]
    written = sum(v.size for v in ids.values())
    assert s.records_consumed == 2 * written  # both groups read every record in the logs
    assert s.records_consumed_duplicate == 2 * duplicates(ids) > 0
    assert res.stats["records_consumed_duplicate"] == s.records_consumed_duplicate


def test_seen_records_counts_repeats_across_and_within_calls():
    seen = SeenRecords()
    p1 = 1 << RECORD_ID_PRODUCER_SHIFT
    assert seen.add(np.array([0, 1, 2, p1 + 5])) == 0
    assert seen.add(np.array([2, 3, 3, p1 + 5, p1 + 6])) == 3  # 2 and p1+5 again, 3 twice
    assert seen.add(np.array([], dtype=np.int64)) == 0
    far = np.array([10, 5_000_000, 9_000_000, 10])  # sparse: the distinct-record path
    assert seen.add(far) == 1
    assert seen.add(np.array([9_000_000, 123_456_789])) == 1
    assert seen.bits[0].nbytes <= 2 * 123_456_789 // 8 + 1024  # a bit per record, grown by doubling


_RIDS = st.lists(
    st.tuples(st.sampled_from([0, 1, 100]), st.integers(0, 3000)).map(
        lambda t: (t[0] << RECORD_ID_PRODUCER_SHIFT) + t[1]
    ),
    max_size=200,
)


@given(_RIDS, _RIDS, _RIDS)
def test_seen_records_matches_a_python_set(a, b, c):
    """Any mix of producer instances (near each other or far apart) and record numbers."""
    seen, reference = SeenRecords(), set()
    for chunk in (a, b, c):
        expected = 0
        for r in chunk:
            expected += r in reference
            reference.add(r)
        assert seen.add(np.array(chunk, dtype=np.int64)) == expected


def test_records_offered_counts_every_send_including_those_send_fails():
    sc = scenario({}, rate=1000, value_bytes=100, horizon_ms=1000.0, stop_ms=500.0)
    run = build(Scenario.load(sc), seed=3)
    producer = run.producers[0]

    def too_large():
        yield run.env.timeout(100)
        yield producer.send(key=1, value_bytes=2_000_000)  # over max.request.size: fails in send()

    run.env.process(too_large())
    run.start()
    run.run()
    res = Result.collect(run, 0.0)
    s = res.summary().iloc[0]
    assert res.topics["events"]["failed"] == {"RECORD_TOO_LARGE": 1}
    assert s.records_offered == s.records_produced + 1
    assert s.records_acked == s.records_produced
    ts = res.frame("timeseries")
    assert ts.records_offered.sum() == s.records_offered
    assert ts.records_produced.sum() == s.records_produced
    assert res.stats["records_offered"] == s.records_offered
    assert list(res.summary().columns[:7]) == [
        "topic",
        "records_offered",
        "records_produced",
        "records_acked",
        "records_failed",
        "records_consumed",
        "records_consumed_duplicate",
    ]


# ---------------------------------------------------------------------------------------------- backoff
def test_thousands_of_retries_run_to_the_horizon():
    """Kafka's backoff caps its exponent: ``retry.backoff.ms * 2 ** attempts`` would overflow after ~1000.
    Every attempt times out at once and closes the connection; the next opens ``reconnect.backoff.ms``
    (50 ms) later, so a minute holds some 1,200 attempts."""
    cfg = {"request.timeout.ms": 0, "retry.backoff.ms": 0, "retry.backoff.max.ms": 0, "linger.ms": 0}
    sc = scenario(cfg, rate=5, value_bytes=100, partitions=1, horizon_ms=60_000.0)
    run, res, _ = run_logs(sc)
    assert run.env.now == pytest.approx(60_000.0)
    producer = run.producers[0]
    waiting = [b for pq in producer.accumulator.queues.values() for b in pq.retries]
    in_flight = [b for q in producer.sender.in_flight.values() for r in q for b in r.batches]
    attempts = max(b.attempts for b in waiting + in_flight)
    assert attempts > 1100
    assert res.stats["retries"] > 1100


def test_a_connection_closed_by_a_timeout_opens_again_after_the_reconnect_backoff():
    """request.timeout.ms 0: every request times out at once and its connection closes; the next opens
    reconnect.backoff.ms later, 50 ms within 20 % either way (Kafka's jitter), so one request goes out every
    40 to 60 ms whatever retry.backoff.ms allows."""
    cfg = {"request.timeout.ms": 0, "linger.ms": 0, "retry.backoff.ms": 1, "retry.backoff.max.ms": 1}
    sc = Scenario.load(scenario(cfg, rate=1000, value_bytes=100, partitions=1, horizon_ms=1000.0))
    for seed in (1, 2):
        run = build(sc, seed=seed)
        run.start()
        run.run()
        assert 1000 / 60 <= run.producers[0].sender.requests_sent - 1 <= 1000 / 40


def test_retry_jitter_is_deterministic_for_a_seed_and_differs_between_seeds():
    sc = scenario(RETRYING, horizon_ms=200.0)
    a, b = simulate(sc, seed=4), simulate(sc, seed=4)
    assert a.stats["retries"] == b.stats["retries"] > 0
    assert a.summary().equals(b.summary())
    backoffs = []
    for seed in (4, 5):
        run, _, _ = run_logs(sc, seed=seed)
        backoffs.append(run.producers[0].accumulator.rng.bit_generator.state["state"]["state"])
    assert backoffs[0] != backoffs[1]


# ---------------------------------------------------------------------------------------------- fetch limits
@pytest.mark.parametrize("prop", ["fetch.max.bytes", "max.partition.fetch.bytes"])
def test_fetch_limits_of_zero_still_return_the_first_batch(prop):
    """KIP-74: the first partition with data returns its first batch whatever the limits."""
    sc = scenario({}, rate=1000, value_bytes=100, horizon_ms=2000.0)
    sc["consumers"][0]["config"] = {prop: 0}
    s = simulate(sc, seed=1).summary().iloc[0]
    assert s.records_consumed >= 0.9 * s.records_produced


class _Client:
    """Stands in for a consumer: keeps what the broker sends back."""

    def __init__(self):
        self.responses = []
        self.response_cb = self.on_fetch_response  # what a broker answers through

    def on_fetch_response(self, fetch, data):
        self.responses.append(data)


@pytest.mark.parametrize(
    "fetch_max, partition_max, expected",
    [
        (0, 0, [1, 0]),  # the first partition with data: one batch whatever the limits
        (0, 10**6, [1, 0]),  # nothing left of fetch.max.bytes after it
        (10**6, 0, [1, 0]),  # later partitions respect max.partition.fetch.bytes strictly
        (10**6, 10**6, [None, None]),  # room for everything
    ],
)
def test_only_the_first_partition_with_data_may_exceed_the_fetch_limits(fetch_max, partition_max, expected):
    from types import SimpleNamespace

    from eventsim.protocol import FetchRequest

    sc = scenario({}, rate=1000, value_bytes=100, horizon_ms=500.0, consumers=0)
    run = build(Scenario.load(sc), seed=2)
    for log in run.cluster.brokers[0].logs.values():
        log.register_reader("test", 0)  # keep the batches for reads
    run.start()
    run.run()
    broker = run.cluster.brokers[0]
    tps = sorted(broker.logs, key=lambda tp: tp.partition)
    empty = tps[0]
    cfg = SimpleNamespace(
        fetch_min_bytes=1,
        fetch_max_wait_ms=500,
        fetch_max_bytes=fetch_max,
        max_partition_fetch_bytes=partition_max,
    )
    # The first partition asked for has no data at its position (the log end): the next one is "first".
    parts = [(empty, broker.logs[empty].log_end_offset)] + [(tp, 0) for tp in tps[1:]]
    client = _Client()
    fetch = FetchRequest(client, 0, parts, cfg, run.env.now, broker.connect(), run.cluster.client_host("c"))
    broker._respond_fetch(fetch)  # reads now; the response arrives later
    whole = {tp: len(broker.logs[tp].read(0, 10**9)) for tp in tps}
    run.env.run(until=run.env.now + 100.0)
    (data,) = client.responses
    got = {tp: len(batches) for tp, batches in data}
    assert empty not in got
    for tp, n in zip(tps[1:], expected, strict=True):
        assert got.get(tp, 0) == (whole[tp] if n is None else n)
    assert sum(got.values()) > 0


# ---------------------------------------------------------------------------------------------- property
@st.composite
def retrying_scenarios(draw):
    cfg = {
        "request.timeout.ms": draw(st.sampled_from([0, 1, 2, 3])),
        "retry.backoff.ms": draw(st.sampled_from([0, 1, 5])),
        "retry.backoff.max.ms": draw(st.sampled_from([0, 2, 20])),
        "linger.ms": draw(st.sampled_from([0, 1, 5])),
        "max.in.flight.requests.per.connection": draw(st.integers(1, 5)),
        "batch.size": draw(st.sampled_from([2000, 16384])),
    }
    if draw(st.booleans()):
        cfg["delivery.timeout.ms"] = draw(st.sampled_from([20, 60]))
    sc = scenario(
        cfg,
        rate=draw(st.sampled_from([20_000, 80_000, 120_000])),
        value_bytes=draw(st.sampled_from([200, 1000])),
        partitions=draw(st.integers(1, 3)),
        horizon_ms=400.0,  # several reconnect backoffs (50 ms) after the timeouts
        count=draw(st.integers(1, 2)),  # two instances: two producer ids writing to the same logs
    )
    return sc, draw(st.integers(0, 2**16))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(retrying_scenarios())
def test_with_idempotence_no_log_ever_holds_a_duplicate_or_a_reordered_record(case):
    sc, seed = case
    _, res, ids = run_logs(sc, seed=seed)
    assert duplicates(ids) == 0
    assert reorders(ids) == 0
    assert res.stats["records_consumed_duplicate"] == 0


def test_the_brokers_fetch_max_bytes_caps_a_consumers_fetch():
    from eventsim.protocol import FetchRequest
    from eventsim.runner import build

    run = build({**scenario({}), "broker": {"fetch.max.bytes": 2048}})
    broker = run.cluster.brokers[0]
    consumer = run.consumers[0]
    fetch = FetchRequest(consumer, 0, [], consumer.config, 0.0, broker.connect(), consumer.host)
    assert fetch.max_bytes == consumer.config.fetch_max_bytes > 2048
    broker.handle_fetch(fetch)
    assert fetch.max_bytes == 2048
