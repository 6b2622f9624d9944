"""Simulated records per wall-second: eventsim on a scenario against the naive per-record baseline.

Runs ``eventsim.simulate`` on the scenario (default: the reference scenario) for ``--horizon-ms`` of
simulated time, then ``naive.run_naive`` (one SimPy event or more per record, see ``naive.py``) on
the same data path with the scenario's rate, brokers, partitions, client counts, ``linger.ms``, mean
value size, handler and network figures, for as many records as eventsim produced (capped by
``--naive-records``). Prints a table and the speed-up, and writes the figures to
``out/bench/throughput.json``.

The cost of replication: in the same process, the scenario again with every topic at
``replication.factor`` 3 (``--replicated-rf``), ``min.insync.replicas`` 2 and the producers' ``acks=all``;
prints the wall time per record of that run over the first (RF 3 / RF 1), and the extra wall time per
follower fetch cycle (the difference of the two runs' wall times over the follower fetches it made).
``--no-replicated`` skips it.

Usage (from the repository root)::

    .venv/bin/python benchmarks/throughput.py [--horizon-ms 60000] [--seed 0] [--min-ratio 10]

Exit code 0, or 1 when ``--min-ratio`` is given and the speed-up is below it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

try:
    from naive import run_naive  # run as a script: benchmarks/ is on sys.path
except ImportError:  # imported as benchmarks.throughput from the repository root
    from benchmarks.naive import run_naive

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = "data/scenarios/reference.yaml"


def _import_eventsim():
    """Import eventsim from this checkout (the package is not necessarily installed in the venv)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for module in ("eventsim.hardware", "eventsim.scenarios", "eventsim.runner", "eventsim.metrics.result"):
        importlib.import_module(module)
    return importlib.import_module("eventsim")


def resolve_scenario_path(path: str) -> Path:
    """The scenario file as given if it exists, else relative to the repository root."""
    candidate = Path(path)
    if candidate.exists() or candidate.is_absolute():
        return candidate
    return ROOT / candidate


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024


def naive_parameters(scenario, eventsim) -> dict:
    """Keyword arguments for ``run_naive`` that match the scenario's data path.

    The naive model has one topic: the first producer's. Rates and client counts are summed over the
    scenario's producer and consumer specs; per-record figures come from the first spec of each and
    from the cluster's hardware profile.
    """
    first = scenario.producers[0]
    profile = eventsim.hardware.get_profile(scenario.cluster.hardware)
    params = {
        "rate_per_s": float(sum(p.rate_per_s for p in scenario.producers)),
        "brokers": int(scenario.cluster.brokers),
        "partitions": int(scenario.topic(first.topic).partitions),
        "producers": int(sum(p.count for p in scenario.producers)),
        "consumers": max(1, int(sum(c.count for c in scenario.consumers))),
        "linger_ms": float(first.config.linger_ms),
        "record_bytes": float(first.value_bytes.mean),
        "handler_ms": float(profile.request_cpu_ms),
        "nic_bytes_per_ms": float(profile.nic_bytes_per_ms),
        "network_latency_ms": float(profile.network_latency_ms),
        "io_threads": int(scenario.broker.num_io_threads),
    }
    if scenario.consumers:
        params["processing_ms"] = float(scenario.consumers[0].processing_ms.mean)
    if first.keys.count and first.keys.count > 0:
        params["key_count"] = int(first.keys.count)
    return params


def format_table(rows: list[tuple[str, int, float, float]]) -> str:
    header = ("model", "simulated records", "wall s", "records / wall-s")
    lines = [f"{header[0]:<10} {header[1]:>18} {header[2]:>10} {header[3]:>18}"]
    for model, records, wall_s, rate in rows:
        lines.append(f"{model:<10} {records:>18,d} {wall_s:>10.2f} {rate:>18,.0f}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon-ms", type=float, default=60000, help="simulated time for eventsim (ms)")
    parser.add_argument("--seed", type=int, default=0, help="seed for both models")
    parser.add_argument(
        "--naive-records", type=int, default=500000, help="cap on the records the naive baseline simulates"
    )
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario YAML file")
    parser.add_argument(
        "--min-ratio",
        type=float,
        default=None,
        help="exit 1 if eventsim/naive records per wall-second is below this",
    )
    parser.add_argument(
        "--replicated-rf", type=int, default=3, help="replication factor of the replicated run (default 3)"
    )
    parser.add_argument("--no-replicated", action="store_true", help="skip the replicated run")
    parser.add_argument(
        "--out",
        default=str(ROOT / "out" / "bench" / "throughput.json"),
        help="where to write the JSON figures",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    eventsim = _import_eventsim()
    scenario_path = resolve_scenario_path(args.scenario)
    scenario = eventsim.scenarios.Scenario.load(scenario_path)

    start = time.perf_counter()
    result = eventsim.simulate(scenario, seed=args.seed, horizon_ms=args.horizon_ms, progress=False)
    es_wall = time.perf_counter() - start
    es_records = int(result.summary()["records_produced"].sum())
    rss_after_eventsim = peak_rss_mib()
    if es_records <= 0:
        print(f"eventsim produced no records in {args.horizon_ms:g} ms; nothing to compare", file=sys.stderr)
        return 2
    es_rate = es_records / es_wall

    params = naive_parameters(scenario, eventsim)
    naive_records = min(es_records, args.naive_records)
    baseline = run_naive(naive_records, seed=args.seed, **params)
    rss_end = peak_rss_mib()

    ratio = es_rate / baseline["records_per_wall_s"]
    print(
        f"scenario {scenario_path} ({scenario.name}), seed {args.seed}, "
        f"eventsim horizon {args.horizon_ms:g} ms, naive {baseline['sim_ms']:,.0f} ms simulated"
    )
    print(
        format_table(
            [
                ("eventsim", es_records, es_wall, es_rate),
                ("naive", baseline["records"], baseline["wall_s"], baseline["records_per_wall_s"]),
            ]
        )
    )
    print(f"ratio eventsim/naive (records per wall-second): {ratio:,.1f}x")
    print(f"peak RSS: {rss_after_eventsim:,.1f} MiB after eventsim, {rss_end:,.1f} MiB after both")
    compiled = eventsim.compiled_modules()
    print(
        f"compiled request path: {len(compiled)} of {len(eventsim._compiled.COMPILED)} modules "
        f"(setup.py; {eventsim._compiled.PURE_PYTHON_ENV}=1 runs them as Python)"
    )

    replicated = None
    if not args.no_replicated:
        replicated = replication_cost(eventsim, scenario, args, es_wall, es_records, result)

    stats = dict(result.stats)
    figures = {
        "benchmark": "throughput",
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scenario": str(scenario_path),
        "scenario_name": scenario.name,
        "seed": args.seed,
        "horizon_ms": args.horizon_ms,
        "eventsim": {
            "records": es_records,
            "wall_s": es_wall,
            "records_per_wall_s": es_rate,
            "sim_events": stats.get("sim_events"),
        },
        "naive": {**baseline, "parameters": params},
        "ratio": ratio,
        "replicated": replicated,
        "min_ratio": args.min_ratio,
        "peak_rss_mib_after_eventsim": rss_after_eventsim,
        "peak_rss_mib": rss_end,
        "compiled_modules": compiled,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, default=_json_default) + "\n")
    print(f"wrote {out}")

    if args.min_ratio is not None and ratio < args.min_ratio:
        print(f"FAIL: ratio {ratio:.1f} is below --min-ratio {args.min_ratio:g}", file=sys.stderr)
        return 1
    return 0


def replicated_scenario(scenario, rf: int):
    """The scenario with every topic at replication factor ``rf``, ``min.insync.replicas`` min(2, rf) and
    every producer at ``acks=all``."""
    data = scenario.to_dict()
    for t in data["topics"]:
        t["replication.factor"] = rf
        t.pop("replicas", None)
        t.setdefault("config", {})["min.insync.replicas"] = min(2, rf)
    for p in data["producers"]:
        p.setdefault("config", {})["acks"] = "all"
    data["cluster"]["brokers"] = max(data["cluster"]["brokers"], rf)
    return data


def replication_cost(eventsim, scenario, args, rf1_wall: float, rf1_records: int, rf1_result) -> dict:
    """Run the replicated scenario and compare its wall time per record with the RF 1 run's."""
    data = replicated_scenario(scenario, args.replicated_rf)
    start = time.perf_counter()
    run = eventsim.runner.build(data, seed=args.seed, horizon_ms=args.horizon_ms)
    run.start()
    run.run()
    wall = time.perf_counter() - start
    result = eventsim.metrics.result.Result.collect(run, wall)
    records = int(result.summary()["records_produced"].sum())
    follower_fetches = sum(f.fetches for b in run.cluster.brokers for f in b.fetchers)
    per_rec_1 = rf1_wall / rf1_records
    per_rec_r = wall / max(records, 1)
    cost = per_rec_r / per_rec_1
    extra_us = (wall - per_rec_1 * records) / max(follower_fetches, 1) * 1e6
    fetch_1 = int(rf1_result.stats.get("fetch_requests", 0))
    consumer_us = rf1_wall / max(fetch_1, 1) * 1e6
    print(
        f"replication: RF {args.replicated_rf} (min.insync.replicas {min(2, args.replicated_rf)}, acks=all) "
        f"{records:,} records in {wall:.2f} s; wall time per record {cost:.2f}x RF 1's"
    )
    per_k = follower_fetches / max(records, 1) * 1000
    print(
        f"  {follower_fetches:,} follower fetch cycles ({per_k:.1f} per 1000 records), {extra_us:.1f} us of "
        f"extra wall time each; the RF 1 run's wall time per consumer fetch request, everything included, "
        f"is {consumer_us:.1f} us"
    )
    return {
        "replication_factor": args.replicated_rf,
        "records": records,
        "wall_s": wall,
        "wall_per_record_ratio": cost,
        "follower_fetches": follower_fetches,
        "extra_us_per_follower_fetch": extra_us,
        "rf1_wall_us_per_fetch_request": consumer_us,
        "sim_events": result.stats.get("sim_events"),
    }


def _json_default(value):
    """numpy scalars and other number-likes in result.stats."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
