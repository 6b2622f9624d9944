"""Where a run's CPU time goes: per produce request, per consumer fetch cycle, and per record.

eventsim's cost has three parts that scale with different counts: work per *record* (drawing keys and
sizes, partitioning, numpy columns, latency histograms), work per *produce request* (the sender's
drain, the batches it carries through the broker's stations and the log, the response), and work per
*fetch cycle* of a consumer (fetch request, purgatory, response, ``poll()``). This benchmark separates
them with runs of the same scenario that keep the records and change the other counts:

* the scenario as given (``R`` records, ``Q`` produce requests, ``F`` fetch requests);
* the same with ``linger.ms`` doubled: the same records in about half the requests and fetches;
* the same without consumers: the same produce side, no fetches (and both linger settings);
* the same with each topic cut to one partition per broker: the same records, about the same requests
  and fetches, but one batch per request and per fetch response instead of several.

Each run's CPU time is ``time.process_time`` around ``simulate`` (best of ``--repeat``). The two runs
without consumers have the same records and different request counts, so their difference gives the
cost of one produce request with its batches (``q``) and the rest the cost per record on the produce
side; the run with consumers less the one without gives the consumers' share, reported per fetch
cycle (each cycle's records included: with consumers waiting on every partition, fetches follow
produce requests one for one, so the two cannot be told apart by changing ``linger.ms``). The
linger-doubled run with consumers is printed for reference. The run with one partition per broker,
against the scenario as given, prices a *batch* (partition) in a request and in a fetch response: its
share of the run is the part that grows with the partition count. Figures are CPU microseconds on the
machine at hand; the shares are what carries over to other machines.

Usage (from the repository root)::

    .venv/bin/python benchmarks/cost_split.py [--scenario data/scenarios/reference.yaml] [--horizon-ms 8000]

Writes ``out/bench/cost_split.json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

try:
    from throughput import _import_eventsim, resolve_scenario_path  # run as a script
except ImportError:  # imported as benchmarks.cost_split from the repository root
    from benchmarks.throughput import _import_eventsim, resolve_scenario_path


def _timed(eventsim, scenario: dict, seed: int, horizon_ms: float, repeat: int) -> tuple[float, dict]:
    best = float("inf")
    stats: dict = {}
    for _ in range(repeat):
        t0 = time.process_time()
        result = eventsim.simulate(scenario, seed=seed, horizon_ms=horizon_ms)
        best = min(best, time.process_time() - t0)
        stats = {**result.stats, "batches": int(result.summary()["batches"].sum())}
    return best, stats


def split(eventsim, scenario: dict, seed: int, horizon_ms: float, repeat: int) -> dict:
    """Run the three variants and solve for the per-request, per-fetch and per-record costs."""
    slow = copy.deepcopy(scenario)
    for p in slow["producers"]:
        cfg = p.setdefault("config", {})
        linger = int(cfg.pop("linger_ms", cfg.get("linger.ms", 5)))
        cfg["linger.ms"] = 2 * linger if linger > 0 else 5
    brokers = int(scenario.get("cluster", {}).get("brokers", 1))
    narrow = copy.deepcopy(scenario)
    for t in narrow["topics"]:
        t["partitions"] = brokers
    runs = {}
    for name, sc in (
        ("as_given", scenario),
        ("linger_doubled", slow),
        ("no_consumers", {**scenario, "consumers": []}),
        ("no_consumers_linger_doubled", {**slow, "consumers": []}),
        ("one_partition_per_broker", narrow),
    ):
        cpu, stats = _timed(eventsim, sc, seed, horizon_ms, repeat)
        runs[name] = {
            "cpu_s": cpu,
            "records": int(stats["records_produced"]),
            "produce_requests": int(stats["produce_requests"]),
            "fetch_requests": int(stats["fetch_requests"]),
            "batches": stats["batches"],
            "sim_events": int(stats["sim_events"]),
        }
    a = runs["as_given"]
    p, p2 = runs["no_consumers"], runs["no_consumers_linger_doubled"]
    q = (p["cpu_s"] - p2["cpu_s"]) / (p["produce_requests"] - p2["produce_requests"])
    record_produce = (p["cpu_s"] - q * p["produce_requests"]) / p["records"]
    consume_side = a["cpu_s"] - p["cpu_s"]
    total = a["cpu_s"]
    n = runs["one_partition_per_broker"]
    extra_batches = a["batches"] - n["batches"]
    per_batch = (a["cpu_s"] - n["cpu_s"]) / extra_batches if extra_batches > 0 else float("nan")
    return {
        "runs": runs,
        "us_per_produce_request": 1e6 * q,
        "us_per_record_produce_side": 1e6 * record_produce,
        "us_per_fetch_cycle_with_its_records": 1e6 * consume_side / max(a["fetch_requests"], 1),
        "share_produce_requests": q * a["produce_requests"] / total,
        "share_records_produce_side": record_produce * a["records"] / total,
        "share_consumers": consume_side / total,
        "us_per_batch_end_to_end": 1e6 * per_batch,
        "share_batches_beyond_one_per_request": per_batch * extra_batches / total,
        "records_per_cpu_s": a["records"] / total,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="data/scenarios/reference.yaml")
    parser.add_argument("--horizon-ms", type=float, default=8000.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default="out/bench/cost_split.json")
    args = parser.parse_args(argv)

    eventsim = _import_eventsim()
    path = resolve_scenario_path(args.scenario)
    scenario = eventsim.Scenario.load(str(path)).to_dict()
    s = split(eventsim, scenario, args.seed, args.horizon_ms, args.repeat)
    print(f"scenario {path}, seed {args.seed}, horizon {args.horizon_ms:,.0f} ms, best of {args.repeat}")
    print(
        f"{'run':30s} {'cpu s':>7s} {'records':>10s} {'requests':>9s} {'fetches':>8s} {'batches':>8s} "
        f"{'events':>8s}"
    )
    for name, r in s["runs"].items():
        print(
            f"{name:30s} {r['cpu_s']:7.3f} {r['records']:10,d} {r['produce_requests']:9,d} "
            f"{r['fetch_requests']:8,d} {r['batches']:8,d} {r['sim_events']:8,d}"
        )
    print(
        f"per produce request (its batches through accumulator, broker, log and response): "
        f"{s['us_per_produce_request']:.1f} us, {100 * s['share_produce_requests']:.0f}% of the run"
    )
    print(
        f"per record, produce side (draws, partitioning, columns, produce metrics): "
        f"{s['us_per_record_produce_side']:.2f} us, {100 * s['share_records_produce_side']:.0f}% of the run"
    )
    print(
        f"consumers (fetch, purgatory, response, poll and consume metrics): "
        f"{s['us_per_fetch_cycle_with_its_records']:.1f} us per fetch cycle, "
        f"{100 * s['share_consumers']:.0f}% of the run"
    )
    print(
        f"per batch beyond one per request (drain, log entry, fetch response, poll, metrics; from the run "
        f"with one partition per broker): {s['us_per_batch_end_to_end']:.1f} us, "
        f"{100 * s['share_batches_beyond_one_per_request']:.0f}% of the run"
    )
    print(f"simulated records per CPU second: {s['records_per_cpu_s']:,.0f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"scenario": str(path), "seed": args.seed, "horizon_ms": args.horizon_ms, **s}, indent=2)
        + "\n"
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
