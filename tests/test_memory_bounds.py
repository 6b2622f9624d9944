"""What a run keeps stays bounded by what is still needed, not by how long the run has been going.

A completed ``acks=all`` produce request or fetch leaves its purgatory's deadline queue when the next
operation is parked (not at its own 30 s or 500 ms deadline), a log drops the entries every reader
has passed (beyond ``2 * KEEP_ENTRIES``), and a station's interval buffer starts small and grows only
with its use.
"""

from eventsim import runner
from eventsim.broker.purgatory import COMPACT_SLACK
from eventsim.core.stations import FIRST_ROOM, FOLD_AT, Station
from eventsim.log.log import KEEP_ENTRIES
from eventsim.scenarios import Scenario


def _replicated_run(horizon_ms: float):
    d = Scenario.load("data/scenarios/reference.yaml").to_dict()
    for t in d["topics"]:
        t["replication.factor"] = 3
        t.setdefault("config", {})["min.insync.replicas"] = 2
    run = runner.build(d, 2, horizon_ms)
    run.start()
    run.run()
    return run


def test_purgatories_and_logs_hold_only_what_is_still_needed():
    run = _replicated_run(3000)
    for b in run.cluster.brokers:
        assert b.produce_requests > 1000  # thousands of acks=all requests, each parked until replicated
        # A request's timeout is 30 s: without the early exit every one of them would still be queued.
        assert len(b.produce_purgatory._in_order) + len(b.produce_purgatory._deadlines) < 50
        assert len(b.purgatory._in_order) + len(b.purgatory._deadlines) < 50
        # ``parked`` counts the operations still waiting: those the purgatory keeps by seq (an answered
        # one is let go at once), each with its entry in the deadline queues
        for p in (b.purgatory, b.produce_purgatory):
            seqs = {e[1] for e in list(p._in_order) + list(p._deadlines)}
            parked = p.parked_seqs()
            assert p.parked == len(parked) and set(parked) <= seqs
            # The parked ones by seq: from the oldest parked to the newest, finished ones before it dropped
            # once they are the larger part (at most about twice that span, and a slack)
            assert p._base + len(p._ops) == p._seq + 1
            if parked:
                assert len(p._ops) <= 2 * (p._seq - parked[0] + 1) + COMPACT_SLACK + 1
        for log in b.logs.values():
            assert log.log_end_offset > 10 * KEEP_ENTRIES
            assert len(log.batches) <= 2 * KEEP_ENTRIES + 1


def test_a_station_buffer_grows_with_use_and_folds_as_before():
    s = Station("s", 1, 100.0)
    assert len(s._busy_iv) == FIRST_ROOM + 2
    t = 0.0
    for _ in range(FOLD_AT):  # 2 * FOLD_AT interval ends: the buffer grows to FOLD_AT, then folds
        s.reserve_end(t, 1.0)
        t += 2.0
    assert len(s._busy_iv) == FOLD_AT + 2
    n = int(t // 100.0) + 1
    assert s.busy.busy_ms(n).sum() == FOLD_AT * 1.0  # every booking counted once, across the fold
    assert s.busy.busy_ms(n)[0] == 50.0  # half of each 100 ms window busy
