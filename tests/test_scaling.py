"""benchmarks/scaling.py: the sizes between the reference and `large` keep its proportions, and one run
reports what the benchmark prints."""

from __future__ import annotations

from conftest import load_benchmark

from eventsim.scenarios import Scenario

scaling = load_benchmark("scaling")


def test_large_scaled_keeps_its_proportions():
    large = Scenario.load("data/scenarios/large.yaml").to_dict()
    assert (large["cluster"]["brokers"], large["topics"][0]["partitions"]) == (30, 1000)
    assert large["topics"][0]["replication.factor"] == 3
    d = scaling.scaled(large, 9)
    assert d["cluster"]["brokers"] == 9
    assert d["topics"][0]["partitions"] == 300
    assert d["producers"][0]["count"] == 15 and d["consumers"][0]["count"] == 15
    assert d["producers"][0]["rate_per_s"] == large["producers"][0]["rate_per_s"] * 9 / 30
    assert large["cluster"]["brokers"] == 30  # the original is left as it was
    Scenario.load(d)  # still a valid scenario


def test_a_run_reports_requests_events_and_memory():
    d = scaling.scaled(Scenario.load("data/scenarios/large.yaml").to_dict(), 4)
    r = scaling.child({"scenario": d, "seed": 1, "horizon_ms": 200})
    assert r["brokers"] == 4 and r["replication_factor"] == 3
    assert r["records"] > 0 and r["produce_requests"] > 0
    assert r["fetch_requests_follower"] > 0 and r["fetch_requests_client"] > 0
    assert r["events_per_record"] > 0 and r["peak_rss_mib"] > 0
    assert r["sim_s_per_wall_s"] == r["horizon_ms"] / 1000 / r["wall_s"]
