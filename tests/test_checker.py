"""The checker (``Result.check()``): counts from the records' history, on the failure analyses it exists for.

Each case is a published failure mode with its configuration and the outcome the analysis reports, and the
configuration that prevents it: a zombie leader after a pause loses ``acks=1`` writes and no ``acks=all``
ones; an unclean election after the ISR shrank to the leader loses acknowledged records (Jepsen, 2013) and
makes a consumer skip offsets; ``min.insync.replicas=2`` refuses writes instead; retries after lost
acknowledgements duplicate records without idempotence and not with it.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eventsim
from eventsim.core.errors import InvalidConfigurationError

BASE = {
    "name": "check",
    "horizon_ms": 6000,
    "cluster": {"brokers": 3, "hardware": "cloud-2020"},
    "broker": {"broker.heartbeat.interval.ms": 100, "broker.session.timeout.ms": 400},
    "topics": [{"name": "events", "partitions": 3, "replication.factor": 3, "config": {}}],
    "producers": [
        {
            "name": "app",
            "topic": "events",
            "rate_per_s": 3000,
            "value_bytes": 200,
            "keys": {"distribution": "uniform", "count": 100},
            "config": {},
            "stop_ms": 4000,
        }
    ],
    "consumers": [{"name": "reader", "topic": "events"}],
    "metrics": {"window_ms": 500, "check": True},
}
ZOMBIE = [{"at_ms": 1050, "kind": "pause", "broker": 0, "duration_ms": 1500}]


def run(faults=(), producer=None, topic=None, broker=None, seed=1, **top):
    data = copy.deepcopy(BASE)
    data["faults"] = list(faults)
    data["producers"][0]["config"].update(producer or {})
    data["topics"][0]["config"].update(topic or {})
    data["broker"].update(broker or {})
    data.update(top)
    return eventsim.simulate(data, seed=seed)


def test_without_faults_every_record_is_acked_once_and_nothing_is_lost():
    r = run()
    c = r.check()
    assert c["acked"] == r.summary().records_acked.sum() == r.summary().records_produced.sum()
    assert (c["lost"], c["duplicate"], c["poll_skip"], c["nonmonotonic_poll"]) == (0, 0, 0, 0)
    assert c["unavailable_ms"] == {"events-0": 0.0, "events-1": 0.0, "events-2": 0.0}


def test_a_zombie_leader_loses_acks_1_writes_and_no_acks_all_ones():
    lossy = run(ZOMBIE, producer={"acks": "1"}).check()
    safe = run(ZOMBIE, producer={"acks": "all"}, topic={"min.insync.replicas": 2}).check()
    assert lossy["lost"] > 0
    assert safe["lost"] == 0 and safe["acked"] == lossy["acked"]
    # Broker 0 led events-2: unavailable from the pause until the controller fenced it.
    assert safe["unavailable_ms"]["events-2"] == pytest.approx(350.0, abs=1.0)


def test_the_unclean_election_of_an_out_of_sync_replica_loses_acknowledged_records():
    # Broker 2 follows through a NIC too slow to keep up and leaves the ISR; then the leader, broker 0,
    # crashes while broker 1 is down too: only broker 2 can lead, and only an unclean election lets it.
    faults = [
        {"at_ms": 1500, "kind": "crash", "broker": 1},
        {"at_ms": 2000, "kind": "crash", "broker": 0},
    ]
    common = dict(
        cluster={"brokers": 3, "hardware": "cloud-2020", "broker_hardware": {2: {"nic_bytes_per_ms": 200}}},
        topics=[{"name": "events", "partitions": 1, "replicas": [[0, 1, 2]], "config": {}}],
    )
    broker = {"replica.lag.time.max.ms": 200, "replica.fetch.wait.max.ms": 100}
    clean = run(faults, producer={"acks": "1"}, broker=broker, **common).check()
    unclean = run(
        faults, producer={"acks": "1"}, broker={**broker, "unclean.leader.election.enable": True}, **common
    ).check()
    assert clean["lost"] == 0 and clean["unavailable_ms"]["events-0"] > 3000  # no leader to the end
    assert unclean["lost"] > 0 and unclean["unavailable_ms"]["events-0"] < clean["unavailable_ms"]["events-0"]


def test_retries_without_idempotence_duplicate_records_and_idempotence_prevents_it():
    # The leader pauses for 1.5 s, longer than the producer's request timeout and shorter than the
    # controller's session timeout: the producer sends its batches again to the same, still paused,
    # leader, which appends both copies when it wakes, unless the idempotent producer's sequence numbers
    # tell it the second is a duplicate.
    slow_fence = {"broker.session.timeout.ms": 9000, "broker.heartbeat.interval.ms": 2000}
    plain = run(ZOMBIE, producer={"request.timeout.ms": 1000, "enable.idempotence": False}, broker=slow_fence)
    idem = run(ZOMBIE, producer={"request.timeout.ms": 1000, "enable.idempotence": True}, broker=slow_fence)
    assert plain.check()["duplicate"] > 0
    assert plain.check()["duplicate"] == plain.summary().records_consumed_duplicate.sum()
    assert idem.check()["duplicate"] == 0 and idem.check()["lost"] == 0
    assert plain.check()["unavailable_ms"]["events-2"] == 1500.0  # the paused leader's partition


def test_check_needs_the_history():
    data = copy.deepcopy(BASE)
    data["metrics"]["check"] = False
    r = eventsim.simulate(data, seed=1, horizon_ms=500)
    with pytest.raises(InvalidConfigurationError, match="metrics.check"):
        r.check()


def test_the_history_counts_in_a_run_s_size_and_a_run_too_big_for_it_is_refused():
    from eventsim import sizing
    from eventsim.scenarios import Scenario

    small = Scenario.from_dict(BASE)
    assert "records' history (metrics.check)" in sizing.estimate(small).parts
    with pytest.raises(InvalidConfigurationError, match="records' history") as info:
        Scenario.load("reference", ["metrics.check=true", "horizon_ms=36000000"])
    assert info.value.field == "metrics.check"


def test_a_long_run_keeps_its_records_history_in_a_fraction_of_a_byte_per_record():
    # The acknowledged records are a bit per record (two at most, as the bit arrays grow by doubling),
    # and what retention deletes from a log is a bit per record of the producers writing to it.
    from eventsim.metrics.result import Result
    from eventsim.runner import build

    data = copy.deepcopy(BASE)
    data["producers"][0].update(rate_per_s=30000, stop_ms=None)
    data["topics"][0]["config"].update({"segment.ms": 500, "retention.ms": 1000})
    data["broker"]["log.retention.check.interval.ms"] = 500
    run_ = build(data, seed=1)
    run_.start()
    run_.run()
    c = Result.collect(run_, 0.0).check()
    assert c["acked"] > 150_000 and (c["lost"], c["duplicate"]) == (0, 0)
    assert run_.recorder.history.nbytes / c["acked"] <= 0.25
    logs = [log for b in run_.cluster.brokers for log in b.log_manager.logs.values()]
    deleted = [log.expired for log in logs if log.expired is not None]
    assert len(deleted) == len(logs) == 9
    assert all(e.nbytes <= 0.25 * c["acked"] for e in deleted)


def _brute_force(acked, logs):
    """Today's definition on arrays: per partition, the final log's records as they were appended (what
    retention deleted, then what the log keeps)."""
    acked_n = lost = duplicate = 0
    for tp, (deleted, kept) in logs.items():
        present = np.concatenate([*deleted, kept]).astype(np.int64)
        held = np.unique(present)
        duplicate += present.size - held.size
        mine = np.unique(np.asarray(acked.get(tp, []), dtype=np.int64))
        acked_n += mine.size
        lost += mine.size - np.count_nonzero(np.isin(mine, held))
    return acked_n, lost, duplicate


@settings(max_examples=60, deadline=None)
@given(
    producers=st.integers(1, 4),
    partitions=st.integers(1, 4),
    records=st.integers(0, 3000),
    gaps=st.integers(0, 5000),  # spread of a producer's sequences (sparse and dense)
    seed=st.integers(0, 2**32 - 1),
)
def test_the_bit_sets_count_what_arrays_of_record_ids_count(producers, partitions, records, gaps, seed):
    from eventsim.checker import IdSet, record_counts
    from eventsim.protocol import RECORD_ID_PRODUCER_SHIFT

    rng = np.random.default_rng(seed)
    # Each record belongs to one partition; a log appends some records twice (retries) and misses some.
    producer = rng.integers(0, producers, records)
    seq = rng.integers(0, max(records + gaps, 1), records)
    ids = np.unique((producer.astype(np.int64) + 7 * (producer > 1)) << RECORD_ID_PRODUCER_SHIFT | seq)
    tp_of = rng.integers(0, partitions, ids.size)
    acked, logs, finals, history = {}, {}, [], IdSet()
    for tp in range(partitions):
        mine = ids[tp_of == tp]
        appended = rng.permutation(np.concatenate([mine[rng.random(mine.size) < 0.9],
                                                   mine[rng.random(mine.size) < 0.1]]))  # fmt: skip
        cut = int(rng.integers(0, appended.size + 1))  # retention deleted the first cut appends
        chunks = np.split(appended[:cut], np.sort(rng.integers(0, cut + 1, 3)))
        expired, expired_dup = (None, 0) if cut == 0 else (IdSet(), 0)
        for chunk in chunks if expired is not None else ():
            expired_dup += expired.add(chunk)
        logs[tp] = (chunks, appended[cut:])
        finals.append((expired, expired_dup, appended[cut:]))
        acked[tp] = mine[rng.random(mine.size) < 0.8]
        for chunk in np.array_split(acked[tp], 3):
            history.add(chunk)
    assert record_counts(history, finals) == _brute_force(acked, logs)


def test_retention_bounds_the_history_a_run_keeps_and_its_size_says_so():
    from eventsim import sizing
    from eventsim.scenarios import Scenario

    part = "records' history (metrics.check)"
    kept = sizing.estimate(Scenario.from_dict(BASE)).parts[part][0]
    short = copy.deepcopy(BASE)
    short["topics"][0]["config"].update({"segment.ms": 500, "retention.ms": 1000})
    short["broker"]["log.retention.check.interval.ms"] = 500
    deleted = sizing.estimate(Scenario.from_dict(short)).parts[part][0]
    assert deleted < kept / 2  # entries go when retention deletes them; their records stay as bits


@settings(max_examples=40, deadline=None)
@given(
    dense=st.booleans(),
    chunks=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 400), st.integers(1, 40_000)), max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_set_of_record_ids_holds_what_a_python_set_holds(dense, chunks, seed):
    # Sparse sets keep runs of sequences, dense ones bits; both answer as a set does.
    from eventsim.checker import IdSet
    from eventsim.protocol import RECORD_ID_PRODUCER_SHIFT

    rng = np.random.default_rng(seed)
    ids, seen = IdSet(dense=dense), set()
    for producers, n, spread in chunks:
        chunk = (rng.integers(0, producers + 1, n) << RECORD_ID_PRODUCER_SHIFT) | rng.integers(0, spread, n)
        copies = 0
        for x in chunk.tolist():
            copies += x in seen
            seen.add(x)
        assert ids.add(chunk) == copies
    assert len(ids) == len(seen)
    other = set(rng.integers(0, 40_000, 300).tolist())
    others = IdSet()
    others.add(np.array(sorted(other), dtype=np.int64))
    assert ids.missing_from(others) == len(seen - other)
    others.update(ids)
    assert len(others) == len(seen | other) and others.missing_from(ids) == len(other - seen)
