"""Replication in runs: which fetcher follows a partition, one acks=all produce through two followers
event by event, behaviour under slow followers and min.insync.replicas, and invariants (hypothesis).

Kafka's rules (``AbstractFetcherManager.getFetcherId``, ``ReplicaFetcherThread``, ``Partition``,
``DelayedProduce``): a follower's fetch parked at the leader is answered as soon as the leader appends; the
follower appends what comes back and fetches again from its new log end offset; that fetch tells the
leader how far the follower has come, the high watermark moves to the smallest log end offset of the ISR,
and an ``acks=all`` request waiting in the purgatory is answered once the watermark passes its batch.
"""

from __future__ import annotations

import copy

import pytest

import eventsim
from eventsim.metrics.result import Result
from eventsim.protocol import LEGACY_FOLLOWER_PASSES, LEGACY_LEADER_PASSES
from eventsim.replication.replica_fetcher import fetcher_id, java_string_hash

# These tests trace the broker by wrapping its methods, which compiled classes do not allow; the suite's
# pure-Python run (make test runs both) covers them.
traced = pytest.mark.skipif(
    bool(eventsim.compiled_modules()), reason="wraps broker methods: runs in the pure-Python pass"
)

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
    "variability": False,  # exact stage times: an idealised cluster
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
        # The callbacks an object schedules on every request are bound once (``_read_cb``, ``response_cb``
        # ...): the ones bound to this method now go through the trace too.
        for alias in [a for a in dir(obj) if a.endswith("_cb")]:
            if getattr(obj, alias) == original:
                setattr(obj, alias, traced)

    def hw(fetch):
        return leader.logs[fetch.partitions[0]].high_watermark

    wrap(leader, "_append", lambda req, *a: events.append(("append", env.now, req)))

    def on_read(fetch, *a):
        if fetch.replica_id >= 0:
            events.append(
                ("follower fetch read", env.now, (fetch.replica_id, fetch.offsets[0], hw(fetch)))
            )

    wrap(leader, "_read", on_read)
    # A parked fetch leaves the purgatory when it is answered (by an append, or when its wait is over); the
    # produce purgatory holds the callback it was built with: trace those.
    wrap(
        leader.purgatory,
        "leave",
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


@traced
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


@pytest.mark.parametrize("version", ["0.10", "3.9"])
def test_before_0_11_the_leader_and_the_followers_pass_over_every_message(version):
    # v0/v1 (before 0.11): the leader's append passes over each message three times and a follower's fetch
    # and append four (Kafka 0.8.1's Log.append and AbstractFetcherThread), at message_pass_cpu_ms each;
    # with v2 that work is in the per-MiB figure alone.
    run = eventsim.build({**ONE_BATCH, "cluster": {**ONE_BATCH["cluster"], "kafka_version": version}}, seed=1)
    per_pass = run.cluster.profile.message_pass_cpu_ms if version == "0.10" else 0.0
    assert per_pass > 0 or version != "0.10"
    assert run.cluster.brokers[0].leader_pass_ms == pytest.approx(LEGACY_LEADER_PASSES * per_pass)
    for b in run.cluster.brokers[1:]:
        assert [f.pass_ms for f in b.fetchers] == pytest.approx([LEGACY_FOLLOWER_PASSES * per_pass])


@traced
@pytest.mark.parametrize(("compression", "messages"), [("none", 5), ("gzip", 1)])
def test_a_v1_produce_pays_the_passes_on_the_leader_and_on_each_follower(compression, messages):
    # The passes are shallow: five uncompressed messages, or one compressed set (its wrapper message).
    producer = {**ONE_BATCH["producers"][0]}
    producer["config"] = {**producer["config"], "compression.type": compression}
    cluster = {**ONE_BATCH["cluster"], "kafka_version": "0.10"}
    scenario = {**ONE_BATCH, "cluster": cluster, "producers": [producer]}
    run, events = _traced(scenario)
    run.start()
    run.run()
    prof = run.cluster.profile
    (_, t_a, req), *_ = [e for e in events if e[0] == "append"]
    assert req.records == 5 and len(req.batches) == 1
    handler = prof.request_cpu_ms + prof.append_cpu_ms_per_mb * req.wire_bytes / MIB
    if compression != "none":  # the leader decompresses to validate (v1: no recompression)
        handler += req.batches[0].size_bytes / req.codec.decompress_bytes_per_ms
    passes = 3 * messages * prof.message_pass_cpu_ms
    assert req.done_ms - req.start_ms == pytest.approx(handler + passes, abs=1e-9)
    t_f = {e[2][0]: e[1] for e in events if e[0] == "follower response" and e[2][1]}
    reads = [e for e in events if e[0] == "follower fetch read" and e[2][1] == 5]
    stored = run.cluster.brokers[0].logs[req.batches[0].tp].batches[0].stored_bytes
    passes = 4 * messages * prof.message_pass_cpu_ms  # four passes over the stored messages
    fetcher = prof.request_cpu_ms + prof.append_cpu_ms_per_mb * stored / MIB + passes
    admit = prof.network_thread_cpu_ms + prof.request_cpu_ms
    assert len(reads) == 2
    for _, t_r, (follower, _, _) in reads:
        assert t_r == pytest.approx(t_f[follower] + fetcher + prof.network_latency_ms + admit, abs=1e-9)


# ------------------------------------------------------------------ behaviour

RF3 = {
    "name": "rf3",
    "horizon_ms": 1000,
    "cluster": {"brokers": 3, "hardware": "laptop"},
    "broker": {"replica.lag.time.max.ms": 100, "replica.fetch.wait.max.ms": 50},
    "topics": [{"name": "events", "replicas": [[0, 1, 2]]}],
    "producers": [{"name": "app", "topic": "events", "rate_per_s": 2000, "config": {"acks": "all"}}],
    "consumers": [{"name": "reader", "topic": "events"}],
    "metrics": {"window_ms": 100},
}
SLOW_NIC = {2: {"nic_bytes_per_ms": 100}}  # broker 2 cannot keep up with the leader: it leaves the ISR


def _rf3(acks="all", producer_config=None, **top):
    data = copy.deepcopy(RF3)
    data["producers"][0]["config"] = {"acks": acks, **(producer_config or {})}
    for key, value in top.items():
        section, name = key.split("__")
        data[section][name] = value
    return data


def test_acks_all_waits_for_the_followers_acks_1_for_the_leader_acks_0_for_nobody():
    p50 = {
        acks: eventsim.simulate(_rf3(acks), seed=2).frame("summary")["produce_latency_p50_ms"].iloc[0]
        for acks in ("0", "1", "all")
    }
    assert p50["all"] > p50["1"] >= p50["0"]


def test_a_stalled_follower_leaves_the_isr_and_rejoins_when_it_has_caught_up():
    run = eventsim.build(_rf3(), seed=2)
    run.start()
    run.cluster.brokers[2].stall(200, 600)
    run.run()
    result = Result.collect(run, 0.0)
    isr = result.frame("isr")
    assert isr["isr"].tolist() == ["0,1,2", "0,1", "0,1,2"]
    left, back = isr["time_s"].iloc[1], isr["time_s"].iloc[2]
    # Out once not caught up for replica.lag.time.max.ms (checked every half of it); back after the stall.
    assert 0.3 <= left <= 0.3 + 0.05 + 1e-9 and 0.6 < back < 0.7
    parts = result.frame("partitions").set_index("time_s")
    assert parts.loc[0.4, "under_replicated"] and parts.loc[0.4, "isr_size"] == 2
    assert not parts.loc[0.2, "under_replicated"] and not parts.loc[1.0, "under_replicated"]
    replicas = result.frame("replicas")
    gone = replicas[(replicas["broker"] == 2) & (replicas["time_s"] == 0.5)].iloc[0]
    assert not gone["in_isr"] and gone["lag_records"] > 0 and gone["lag_ms"] > 100
    # Without broker 2 the high watermark follows brokers 0 and 1: writes keep being committed.
    assert parts.loc[0.5, "high_watermark"] > parts.loc[0.3, "high_watermark"]
    assert result.frame("summary")["records_failed"].iloc[0] == 0


def test_a_follower_fetch_carries_the_leaders_partitions_while_its_leadership_is_unchanged():
    # A follower's fetch carries the leader's Partition of each partition it asks for, valid while the
    # leader's ``led_version`` is unchanged; any change to what the leader leads makes it look them up again.
    from eventsim.broker import metadata_delta

    run = eventsim.build(_rf3(), seed=2)
    run.start()
    run.env.run(until=300)
    fetcher = next(f for b in run.cluster.brokers for f in b.fetchers if f.logs)
    source = fetcher.source
    assert fetcher._leaders == [source.partitions[tp] for tp in fetcher._tps]
    assert fetcher._leaders_version == source.led_version
    before = source.led_version
    metadata_delta._resign(source, fetcher._tps[0])  # no longer leads one of the fetched partitions
    assert source.led_version == before + 1
    fetcher._leaders_now()
    assert fetcher._leaders is None and fetcher._leaders_version == source.led_version
    run.env.run(until=600)  # its fetches are looked up by partition again, the resigned one left out


def _stalled_follower(acks, producer_config=None):
    """min.insync.replicas = RF = 3, and broker 2 stalled from 200 to 900 ms: out of the ISR meanwhile."""
    run = eventsim.build(_rf3(acks, producer_config, **{"broker__min.insync.replicas": 3}), seed=2)
    run.start()
    run.cluster.brokers[2].stall(200, 900)
    run.run()
    return Result.collect(run, 0.0)


def test_min_insync_replicas_equal_to_rf_refuses_acks_all_while_a_follower_is_out():
    quick = {"retries": 0, "request.timeout.ms": 100, "delivery.timeout.ms": 200}
    strict = _stalled_follower("all", quick)
    isr = strict.frame("isr")
    assert isr["isr"].tolist()[:2] == ["0,1,2", "0,1"]
    failed = strict.topics["events"]["failed"]
    assert failed.get("NOT_ENOUGH_REPLICAS", 0) > 0  # refused before the append
    s = strict.frame("summary").iloc[0]
    assert s["records_failed"] > 0.3 * s["records_produced"]
    leader_only = _stalled_follower("1", quick)
    s1 = leader_only.frame("summary").iloc[0]
    assert s1["records_failed"] == 0 and s1["records_acked"] > 0.95 * s1["records_produced"]
    # With Eligible Leader Replicas the high watermark stops while the ISR is below the minimum: acks=1
    # writes succeed, but consumers cannot read them until the follower is back.
    parts = leader_only.frame("partitions").set_index("time_s")
    assert parts.loc[0.5, "isr_size"] == 2
    assert parts.loc[0.5, "high_watermark"] == parts.loc[0.8, "high_watermark"]
    assert parts.loc[0.8, "high_watermark"] < parts.loc[0.8, "log_end_offset"]


def test_consumer_lag_is_measured_against_the_high_watermark_which_trails_the_leo():
    data = _rf3("all", cluster__broker_hardware=SLOW_NIC)
    data["broker"] = {"replica.lag.time.max.ms": 30000}  # the slow follower stays in the ISR
    result = eventsim.simulate(data, seed=2)
    lag = result.frame("lag")
    parts = result.frame("partitions")
    merged = lag.merge(parts, on=["time_s", "topic", "partition"], suffixes=("", "_leader"))
    assert len(merged) == len(lag) > 0
    assert (merged["high_watermark"] == merged["high_watermark_leader"]).all()
    assert (merged["lag"] == merged["high_watermark"] - merged["position"]).all()
    assert (parts["high_watermark"] <= parts["log_end_offset"]).all()
    assert (parts["high_watermark"] < parts["log_end_offset"]).sum() >= len(parts) // 2
    assert (merged["position"] <= merged["high_watermark"]).all()


# ------------------------------------------------------------------ invariants (hypothesis)

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from eventsim.broker.broker import Broker  # noqa: E402


@st.composite
def small_clusters(draw):
    brokers = draw(st.integers(2, 4))
    rf = draw(st.integers(1, brokers))
    data = {
        "name": "prop",
        "horizon_ms": 300,
        "cluster": {"brokers": brokers, "hardware": "laptop"},
        "broker": {
            "min.insync.replicas": draw(st.integers(1, rf)),
            "replica.lag.time.max.ms": draw(st.sampled_from([40, 30000])),
            "replica.fetch.wait.max.ms": 20,
        },
        "topics": [{"name": "events", "partitions": draw(st.integers(1, 4)), "replication.factor": rf}],
        "producers": [
            {
                "name": "app",
                "topic": "events",
                "rate_per_s": draw(st.sampled_from([300, 2000, 8000])),
                "config": {"acks": draw(st.sampled_from(["0", "1", "all"]))},
            }
        ],
        "consumers": [{"name": "reader", "topic": "events"}],
    }
    if draw(st.booleans()):  # a slow follower: ISR changes
        data["cluster"]["broker_hardware"] = {1: {"nic_bytes_per_ms": 200}}
    return data, draw(st.integers(0, 3))


def _checked_run(data, seed):
    """Run ``data`` with the invariants checked as it goes; returns the run."""
    violations = []
    with pytest.MonkeyPatch.context() as mp:
        respond, send = Broker._respond_fetch, Broker._send_produce_response

        def checked_respond(self, fetch):
            if fetch.replica_id < 0:  # a consumer: never above the high watermark at this moment
                hws = {tp: self.logs[tp].high_watermark for tp in fetch.partitions}
                ship = self._ship_fetch

                def checked_ship(fetch_, data_, *a):
                    for tp, entries in data_:
                        if entries and entries[-1].next_offset > hws[tp]:
                            violations.append(("read above HW", tp, entries[-1].next_offset, hws[tp]))
                    return ship(fetch_, data_, *a)

                self._ship_fetch = checked_ship
                try:
                    return respond(self, fetch)
                finally:
                    del self._ship_fetch
            return respond(self, fetch)

        def checked_send(self, req):
            if req.acks == -1:  # every acknowledged batch is on every member of the ISR
                cluster = self.cluster
                for i, b in enumerate(req.batches):
                    if (req.errors is not None and req.errors[i] is not None) or req.base_offsets[i] < 0:
                        continue
                    end = req.base_offsets[i] + b.count
                    for member in self.partitions[b.tp].isr:
                        leo = cluster.brokers[member].logs[b.tp].log_end_offset
                        if leo < end:
                            violations.append(("acked not on ISR member", b.tp, member, leo, end))
            return send(self, req)

        mp.setattr(Broker, "_respond_fetch", checked_respond)
        mp.setattr(Broker, "_send_produce_response", checked_send)
        run = eventsim.build(data, seed=seed)
        for b in run.cluster.brokers:  # keep every follower's entries, to compare offsets at the end
            for tp in b.logs:
                if tp not in b.partitions:
                    b.logs[tp].register_reader("test", 0)
        run.start()
        last_hw = {}
        t = 0.0
        while t < run.horizon_ms:
            t += 10.0
            run.env.run(until=t)
            for b in run.cluster.brokers:
                for tp, log in b.logs.items():
                    if not log.log_start_offset <= log.high_watermark <= log.log_end_offset:
                        violations.append(
                            ("HW outside the log", b.id, tp, log.high_watermark, log.log_end_offset)
                        )
                    if log.high_watermark < last_hw.get((b.id, tp), 0):
                        violations.append(("HW went back", b.id, tp))
                    last_hw[(b.id, tp)] = log.high_watermark
                    leader_log = run.cluster.log(tp)
                    if log.high_watermark > leader_log.high_watermark:
                        violations.append(("follower HW above the leader's", b.id, tp))
    assert violations == []
    return run


@traced
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_clusters())
def test_replication_invariants_hold_in_small_random_clusters(case):
    data, seed = case
    run = _checked_run(data, seed)
    cluster = run.cluster
    for topic in cluster.topics.values():
        for tp in topic.tps():
            leader_log = cluster.log(tp)
            leader_entries = [(e.base_offset, e.next_offset) for e in leader_log.batches]
            for b in topic.replicas[tp.partition][1:]:
                log = cluster.brokers[b].logs[tp]
                mine = [(e.base_offset, e.next_offset) for e in log.batches]
                # A follower's log is a prefix of the leader's, entry for entry, at the same offsets.
                assert mine == leader_entries[: len(mine)]
                assert log.log_end_offset == (mine[-1][1] if mine else 0) <= leader_log.log_end_offset
                for e, l_e in zip(log.batches, leader_log.batches, strict=False):
                    assert e is l_e  # the leader's entry itself (immutable, shared)
