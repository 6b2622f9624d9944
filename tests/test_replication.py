"""Replication in runs: which fetcher follows a partition, one acks=all produce through two followers
event by event, behaviour under slow followers and min.insync.replicas, and invariants (hypothesis).

Kafka's rules (``AbstractFetcherManager.getFetcherId``, ``ReplicaFetcherThread``, ``Partition``,
``DelayedProduce``): a follower's fetch parked at the leader is answered as soon as the leader appends; the
follower appends what comes back and fetches again from its new log end offset; that fetch tells the
leader how far the follower has come, the high watermark moves to the smallest log end offset of the ISR,
and an ``acks=all`` request waiting in the purgatory is answered once the watermark passes its batch.
"""

from __future__ import annotations

import pytest

import eventsim
from eventsim.broker.replica_fetcher import fetcher_id, java_string_hash
from eventsim.metrics.result import Result

MIB = 1024.0 * 1024.0

# ------------------------------------------------------------------ getFetcherId


def _java_hash_by_formula(s: str) -> int:
    """``s[0]*31^(n-1) + ... + s[n-1]`` over UTF-16 code units, then to a 32-bit int."""
    units = s.encode("utf-16-be")
    codes = [units[i] << 8 | units[i + 1] for i in range(0, len(units), 2)]
    n = len(codes)
    h = sum(c * 31 ** (n - 1 - i) for i, c in enumerate(codes)) % 2**32
    return h - 2**32 if h >= 2**31 else h


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", 0),
        ("a", 97),
        ("test", 3556498),
        ("hello", 99162322),
        ("polygenelubricants", -(2**31)),  # the well-known string whose hashCode is Integer.MIN_VALUE
        ("é", 233),
        ("\U0001f600", 55357 * 31 + 56832),  # one code point, two UTF-16 units (a surrogate pair)
    ],
)
def test_java_string_hash_matches_string_hashcode(text, expected):
    assert java_string_hash(text) == expected


@pytest.mark.parametrize("text", ["posts", "events", "user-activity", "__consumer_offsets", "x" * 40])
def test_java_string_hash_of_longer_names_by_the_formula(text):
    assert java_string_hash(text) == _java_hash_by_formula(text)
    assert -(2**31) <= java_string_hash(text) < 2**31


def _utils_abs(n: int) -> int:
    return 0 if n == -(2**31) else abs(n)  # org.apache.kafka.common.utils.Utils.abs


@pytest.mark.parametrize("topic", ["posts", "events", "polygenelubricants", "user-activity"])
@pytest.mark.parametrize("fetchers", [1, 2, 3, 8])
def test_fetcher_id_is_utils_abs_of_31_hash_plus_partition_modulo_the_fetchers(topic, fetchers):
    for p in range(12):
        v = (31 * _java_hash_by_formula(topic) + p) % 2**32
        v = v - 2**32 if v >= 2**31 else v  # Java int arithmetic wraps
        assert fetcher_id(topic, p, fetchers) == _utils_abs(v) % fetchers
        assert 0 <= fetcher_id(topic, p, fetchers) < fetchers


def test_fetcher_id_of_integer_min_value_is_zero():
    # 31 * MIN_VALUE + 0 wraps to MIN_VALUE: Utils.abs gives 0 (Math.abs would stay negative, and a plain
    # absolute value 2**31 would pick fetcher 2 of 3).
    assert fetcher_id("polygenelubricants", 0, 3) == 0
    assert fetcher_id("polygenelubricants", 1, 3) == (2**31 - 1) % 3


# ------------------------------------------------------------------ one acks=all produce, event by event

ONE_BATCH = {
    "name": "one-acks-all",
    "horizon_ms": 200,
    "cluster": {"brokers": 3, "hardware": "laptop"},
    "broker": {"min.insync.replicas": 2},
    "topics": [{"name": "events", "replicas": [[0, 1, 2]]}],
    # Five records 1 ms apart, all in one batch (linger.ms 10).
    "producers": [
        {
            "name": "app",
            "topic": "events",
            "rate_per_s": 1000,
            "arrival": "constant",
            "stop_ms": 5,
            "value_bytes": 100,
            "config": {"acks": "all", "linger.ms": 10},
        }
    ],
}


def _traced(scenario, seed=1):
    """A run whose leader (broker 0) and followers log what they do, in order: (event, time, details)."""
    run = eventsim.build(scenario, seed=seed)
    env = run.env
    leader = run.cluster.brokers[0]
    events = []

    def wrap(obj, name, record):
        original = getattr(obj, name)

        def traced(*args):
            record(*args)
            return original(*args)

        setattr(obj, name, traced)

    def hw(fetch):
        return leader.logs[fetch.partitions[0][0]].high_watermark

    wrap(leader, "_append", lambda req, *a: events.append(("append", env.now, req)))

    def on_read(fetch, *a):
        if fetch.replica_id >= 0:
            events.append(
                ("follower fetch read", env.now, (fetch.replica_id, fetch.partitions[0][1], hw(fetch)))
            )

    wrap(leader, "_read", on_read)
    # The purgatories hold the callbacks they were built with: trace those.
    wrap(
        leader.purgatory,
        "_complete",
        lambda f: events.append(("parked fetch answered", env.now, f.replica_id)),
    )
    wrap(leader.produce_purgatory, "_complete", lambda req: events.append(("produce response", env.now, req)))
    for b in run.cluster.brokers[1:]:
        for f in b.fetchers:
            wrap(
                f,
                "on_fetch_response",
                lambda fetch, data, f=f: events.append(
                    (
                        "follower response",
                        env.now,
                        (f.broker.id, [(e.base_offset, e.count) for _, es in data for e in es]),
                    )
                ),
            )
    return run, events


def test_one_acks_all_produce_through_two_followers_event_by_event():
    run, events = _traced(ONE_BATCH)
    run.start()
    run.run()
    prof = run.cluster.profile
    tp = next(iter(run.cluster.brokers[0].logs))
    leader_log = run.cluster.brokers[0].logs[tp]

    # Both followers' first fetches (offset 0) find nothing and park.
    first = [e for e in events if e[0] == "follower fetch read" and e[2][1] == 0]
    assert sorted(e[2][0] for e in first) == [1, 2]
    appends = [e for e in events if e[0] == "append"]
    assert len(appends) == 1
    _, t_a, req = appends[0]
    assert req.base_offsets == [0] and req.batches[0].count == 5
    assert t_a == req.done_ms
    assert all(e[1] < t_a for e in first)
    after = events[events.index(appends[0]) + 1 :]

    # The append answers both parked fetches at once.
    answered = [e for e in after if e[0] == "parked fetch answered"]
    assert [(e[1], e[2]) for e in answered[:2]] == [(t_a, 1), (t_a, 2)]
    # Each follower gets the batch and appends it (offsets 0..4).
    responses = [e for e in after if e[0] == "follower response" and e[2][1]]
    assert sorted(e[2][0] for e in responses[:2]) == [1, 2]
    assert all(e[2][1] == [(0, 5)] for e in responses[:2])
    t_f = {e[2][0]: e[1] for e in responses[:2]}
    assert all(t > t_a for t in t_f.values())
    # Each follower's next fetch (from offset 5) reaches the leader's handler after its fetcher thread
    # appended (request CPU + append CPU per MiB), the wire, and the leader's network and I/O threads.
    reads = [e for e in after if e[0] == "follower fetch read" and e[2][1] == 5]
    assert sorted(e[2][0] for e in reads[:2]) == [1, 2]
    stored = leader_log.batches[0].stored_bytes
    for _, t_r, (follower, _, _) in reads[:2]:
        fetcher = prof.request_cpu_ms + prof.append_cpu_ms_per_mb * stored / MIB
        admit = prof.network_thread_cpu_ms + prof.request_cpu_ms
        assert t_r == pytest.approx(t_f[follower] + fetcher + prof.network_latency_ms + admit, abs=1e-9)
    # The high watermark is still 0 when the first of them is read: the ISR (all three) needs both.
    (t_r1, (_, _, hw1)), (t_r2, (_, _, hw2)) = [(e[1], e[2]) for e in reads[:2]]
    assert t_r1 <= t_r2 and hw1 == 0 and hw2 == 0
    # The second read moves it past the batch, and the produce response is sent then.
    (resp,) = [e for e in events if e[0] == "produce response"]
    assert resp[1] == t_r2 and resp[2] is req
    assert req.replicated_ms == t_r2 and req.errors is None
    assert leader_log.high_watermark == 5
    for b in run.cluster.brokers[1:]:
        # A follower learns the high watermark from its next fetch response; with nothing new to send,
        # that fetch waits replica.fetch.wait.max.ms (500 ms) at the leader: not within this run.
        assert b.logs[tp].log_end_offset == 5 and b.logs[tp].high_watermark == 0
    # The breakdown's replication stage is that wait, for each of the five records.
    result = Result.collect(run, 0.0)
    bd = result.frame("breakdown").set_index(["path", "stage"])
    row = bd.loc[("produce", "replication")]
    assert row["records"] == 5
    assert row["mean_ms"] == pytest.approx(t_r2 - t_a, abs=1e-9)
    assert bd.loc[("produce", "append"), "mean_ms"] == pytest.approx(req.done_ms - req.start_ms, abs=1e-9)
    assert result.frame("summary")["records_acked"].sum() == 5
    wait = run.scenario.broker.replica_fetch_wait_max_ms
    run.env.run(until=t_r2 + wait + 5.0)
    answered_late = [e for e in events if e[0] == "parked fetch answered" and e[1] > t_a]
    assert sorted(e[2] for e in answered_late) == [1, 2]
    # The wait counts from the fetch's arrival at the leader (before its network and I/O threads).
    for e, t_r in zip(answered_late, (t_r1, t_r2), strict=True):
        assert e[1] == pytest.approx(t_r - admit + wait, abs=1e-9)
    for b in run.cluster.brokers[1:]:
        assert b.logs[tp].high_watermark == 5
