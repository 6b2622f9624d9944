"""benchmarks/cost_split.py: its variant runs change what they should and nothing else."""

from __future__ import annotations

from conftest import load_benchmark

import eventsim


def test_variants_keep_the_records_and_change_requests_fetches_and_batches():
    cost_split = load_benchmark("cost_split")  # it imports its sibling throughput.py
    scenario = eventsim.Scenario.load("reference").to_dict()
    s = cost_split.split(eventsim, scenario, seed=1, horizon_ms=300, repeat=1)
    runs = s["runs"]
    records = {r["records"] for r in runs.values()}
    assert len(records) == 1 and records.pop() > 10_000  # every variant produces the same records
    a = runs["as_given"]
    assert runs["linger_doubled"]["produce_requests"] < 0.7 * a["produce_requests"]
    assert runs["no_consumers"]["fetch_requests"] == 0
    assert runs["no_consumers"]["produce_requests"] == a["produce_requests"]
    narrow = runs["one_partition_per_broker"]
    # Three brokers leading one partition each: one batch per request, against four in the reference.
    assert narrow["batches"] == narrow["produce_requests"]
    assert a["batches"] > 3 * a["produce_requests"]
    assert abs(narrow["produce_requests"] - a["produce_requests"]) < 0.1 * a["produce_requests"]
    # The per-unit costs are differences of wall times: the benchmark reports them; a test only checks
    # that they are computed (their sign depends on the machine's noise in a 300 ms run).
    for key in ("us_per_produce_request", "us_per_fetch_cycle_with_its_records", "us_per_batch_end_to_end"):
        assert isinstance(s[key], float)
