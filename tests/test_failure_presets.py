"""The published failure analyses, reproduced by the ``failure-*`` presets with the checker's counts.

Each preset shows one way Kafka loses (or duplicates) acknowledged records, or keeps them at a cost, and
each test asserts the outcome the analysis reports and the configuration that prevents it (the same
preset with one setting changed).
"""

from __future__ import annotations

import pytest

import eventsim


def run(name, *overrides):
    result = eventsim.simulate(name, overrides=list(overrides))
    return result, result.check(), result.summary().iloc[0]


def test_acks_1_with_lagging_followers_loses_records_when_the_leader_crashes():
    _, lossy, _ = run("failure-acks1-leader-crash")
    _, safe, _ = run("failure-acks1-leader-crash", "producers[0].config.acks=all")
    assert lossy["lost"] > 0 and lossy["duplicate"] == 0
    assert safe["lost"] == 0
    assert safe["acked"] < lossy["acked"]  # acks=all pays in throughput on the saturated NICs


def test_an_unclean_election_after_the_isr_shrank_to_the_leader_loses_acknowledged_records():
    _, unclean, _ = run("failure-unclean-election")
    _, clean, _ = run("failure-unclean-election", "broker.unclean.leader.election.enable=false")
    assert unclean["lost"] > 0
    assert clean["lost"] == 0
    # Clean: no in-sync replica comes back, so the partition stays without a leader to the end.
    assert clean["unavailable_ms"]["events-0"] > 3500 > unclean["unavailable_ms"]["events-0"]


def test_min_insync_replicas_2_refuses_what_a_lone_leader_would_acknowledge_and_lose():
    result, refused, s = run("failure-min-isr-refuses")
    _, lone, lone_s = run("failure-min-isr-refuses", "topics[0].config.min.insync.replicas=1")
    assert refused["lost"] == 0
    assert lone["lost"] > 0
    assert lone_s.records_acked > s.records_acked  # the lone leader's acknowledgements are the lost ones
    # With Eligible Leader Replicas, broker 1 (out of the ISR while it was below 2) leads cleanly.
    last = result.frame("leadership").iloc[-1]
    assert (last.leader, last.isr) == (1, "1")


def test_losing_two_of_three_brokers_stops_acks_all_writes_and_loses_nothing():
    result, counts, s = run("failure-two-of-three")
    assert counts["lost"] == 0 and s.records_failed == 0
    assert s.records_acked == s.records_produced  # every refused write succeeds once broker 2 is back
    ts = result.frame("timeseries")
    stalled = ts[(ts.time_s >= 2.5) & (ts.time_s < 4.0)]
    assert (stalled.records_acked == 0).all()
    assert s.produce_latency_p99_ms > 1000


def test_a_zombie_leader_loses_the_acks_1_writes_it_takes_after_its_pause():
    _, lossy, _ = run("failure-zombie-leader")
    _, safe, _ = run("failure-zombie-leader", "producers[0].config.acks=all")
    assert lossy["lost"] > 0
    assert safe["lost"] == 0 and safe["acked"] == lossy["acked"]


def test_eligible_leader_replicas_bring_the_last_replica_standing_back_without_loss():
    _, elr, _ = run("failure-last-replica-standing")
    _, old, _ = run("failure-last-replica-standing", "cluster.eligible_leader_replicas=false")
    assert elr["lost"] == old["lost"] == 0
    assert elr["unavailable_ms"]["events-0"] == pytest.approx(500, abs=1)  # broker 1 leads when back
    assert old["unavailable_ms"]["events-0"] > 3500  # offline until broker 0 returns (never, here)


def test_retries_without_idempotence_write_records_twice_and_the_idempotent_producer_once():
    _, plain, s = run("failure-retries-duplicates")
    _, idem, _ = run("failure-retries-duplicates", "producers[0].config.enable.idempotence=true")
    assert plain["duplicate"] > 0 and plain["duplicate"] == s.records_consumed_duplicate
    assert idem["duplicate"] == 0
    assert plain["lost"] == idem["lost"] == 0


def test_a_power_loss_of_every_replica_loses_what_the_page_caches_had_not_written_back():
    result, lossy, s = run("failure-power-loss")
    _, fsynced, _ = run("failure-power-loss", "topics[0].config.flush.messages=1")
    # The kernel writes a page back once it is 30 s old, when its flusher wakes (every 5 s): at 40 s what
    # was appended after 10 s was only in the page caches (the producer writes 1,000 records/s).
    assert lossy["lost"] == pytest.approx(30 * 1000, rel=0.02)
    assert fsynced["lost"] == 0
    # Consumers past the shorter logs start over (OFFSET_OUT_OF_RANGE), once their fetches to the machines
    # that lost power have timed out (request.timeout.ms, 30 s: no reset comes from a dead machine).
    assert lossy["nonmonotonic_poll"] > 0
    assert min(lossy["unavailable_ms"].values()) >= 2000  # powered off at 40 s, back at 42 s
