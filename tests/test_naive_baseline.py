"""The naive one-event-per-record baseline in benchmarks/naive.py: complete, positive, deterministic."""

from __future__ import annotations

import math

import pytest
from conftest import load_benchmark

naive = load_benchmark("naive")

N = 2000


@pytest.fixture(scope="module")
def baseline() -> dict:
    return naive.run_naive(N, seed=3)


def test_every_record_is_consumed(baseline):
    assert baseline["records"] == N
    assert baseline["wall_s"] > 0
    assert baseline["records_per_wall_s"] == pytest.approx(N / baseline["wall_s"])


def test_latencies_are_positive_and_bounded_below_by_the_fixed_path(baseline):
    # Every record waits linger.ms plus the one-way latency, the NIC transfer, the handler and processing.
    floor_e2e = 5 + 0.1 + 300 / 1_250_000 + 0.01 + 0.01
    assert baseline["mean_e2e_ms"] >= floor_e2e
    # The ack also pays the return trip.
    assert baseline["mean_produce_ms"] >= 5 + 2 * 0.1
    # At 50k records/s nothing is saturated, so queueing adds little.
    assert baseline["mean_e2e_ms"] < floor_e2e + 1.0


def test_simulated_time_matches_the_arrival_rate(baseline):
    # 2000 Poisson arrivals at 50k/s total take about 40 ms; consumption ends shortly after.
    assert 30 < baseline["sim_ms"] < 60


def test_same_seed_same_run_and_different_seed_differs(baseline):
    again = naive.run_naive(N, seed=3)
    assert again["mean_e2e_ms"] == baseline["mean_e2e_ms"]
    assert again["sim_ms"] == baseline["sim_ms"]
    other = naive.run_naive(N, seed=4)
    assert other["sim_ms"] != baseline["sim_ms"]


def test_an_overloaded_consumer_builds_a_backlog():
    # One consumer at 0.05 ms per record against 50k records/s is 2.5x overloaded: e2e grows with the backlog.
    fast = naive.run_naive(N, consumers=3, processing_ms=0.01, seed=1)
    slow = naive.run_naive(N, consumers=1, processing_ms=0.05, seed=1)
    assert slow["records"] == N
    assert slow["mean_e2e_ms"] > fast["mean_e2e_ms"] + 10
    # Producing does not depend on the consumer.
    assert slow["mean_produce_ms"] == pytest.approx(fast["mean_produce_ms"])
    assert math.isfinite(slow["mean_produce_ms"])


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match="num_records"):
        naive.run_naive(0)
    with pytest.raises(ValueError, match="partitions"):
        naive.run_naive(10, partitions=0)


def test_the_lean_model_delivers_every_record_with_about_five_events_each():
    lean = naive.run_lean(N, partitions=12, rate_per_s=50_000, seed=3)
    assert lean["records"] == N and lean["wall_s"] > 0
    assert lean["records_per_wall_s"] == pytest.approx(N / lean["wall_s"])
