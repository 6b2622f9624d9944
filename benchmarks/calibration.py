"""The model against the published benchmarks: each published row, simulated on its hardware profile.

Runs the scenario presets that reproduce the published rows (``eventsim.published``: today J. Kreps,
"Benchmarking Apache Kafka: 2 Million Writes Per Second (On Three Cheap Machines)", LinkedIn, 2014,
``data/scenarios/kreps-2014-*.yaml`` on the ``commodity-2014`` profile, run as Kafka 0.8, the post's
version) and prints, per row, the published and simulated records/s and MB/s (MB = 2^20 bytes of
payload, as the post counts them), the deviation, and the model's bottleneck (the run's busiest
resource, ``Result.summary()``'s ``bottleneck``). Then sweeps the post's record-size test (one producer,
no replication, 10 bytes to 100 KB values) and prints records/s and MB/s per size.

Nothing here is fitted: the presets carry the post's settings and the profile the post's hardware; a row
that misses says so in the table, with its deviation. Writes ``out/bench/calibration.json``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/calibration.py [--seed 1] [--horizon-ms 2000] [--no-sweep]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eventsim.published import KREPS_2014, rows, size_sweep  # noqa: E402

KAFKA_VERSION = "0.8"  # the presets' release: the post ran 0.8.1


def run_rows(seed: int, horizon_ms: float) -> list[dict]:
    out = []
    for row in KREPS_2014:
        t0 = time.perf_counter()
        frame = rows(seed, horizon_ms, published=(row,))
        wall = time.perf_counter() - t0
        out.append({"row": row.label, "preset": row.preset, **frame.iloc[0].to_dict(), "wall_s": wall})
    return out


def run_sweep(seed: int, horizon_ms: float) -> list[dict]:
    return size_sweep(seed, horizon_ms).to_dict("records")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--horizon-ms", type=float, default=2000.0)
    ap.add_argument("--no-sweep", action="store_true", help="only the published rows")
    ap.add_argument("--out", default=str(ROOT / "out/bench/calibration.json"))
    args = ap.parse_args(argv)
    if args.horizon_ms <= 0:
        ap.error(f"--horizon-ms must be > 0, got {args.horizon_ms:g}")

    rows = run_rows(args.seed, args.horizon_ms)
    print(f"published rows, Kafka {KAFKA_VERSION}, seed {args.seed}, {args.horizon_ms:g} ms simulated each")
    head = f"{'row':34} {'published':>11} {'simulated':>11} {'deviation':>9}  {'MB/s pub':>8} {'MB/s sim':>8}"
    print(head + "  bottleneck")
    for r in rows:
        print(
            f"{r['row']:34} {r['published_records_per_s']:>11,} {r['simulated_records_per_s']:>11,.0f} "
            f"{r['deviation']:>+9.0%}  {r['published_mb_per_s']:>8.1f} {r['simulated_mb_per_s']:>8.1f}  "
            f"{r['bottleneck']} {r['bottleneck_utilisation']:.0%}"
        )
    within = sum(abs(r["deviation"]) <= 0.20 for r in rows)
    print(f"{within} of {len(rows)} rows within +-20 % (goal +-15 %)")
    sweep = [] if args.no_sweep else run_sweep(args.seed, args.horizon_ms)
    if sweep:
        print("\nrecord-size sweep (1 producer, no replication)")
        print(f"{'value bytes':>11} {'records/s':>12} {'MB/s':>8}  bottleneck")
        for r in sweep:
            line = f"{r['value_bytes']:>11,} {r['records_per_s']:>12,.0f} {r['mb_per_s']:>8.1f}"
            print(f"{line}  {r['bottleneck']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"seed": args.seed, "horizon_ms": args.horizon_ms, "kafka_version": KAFKA_VERSION,
               "rows": rows, "sweep": sweep}  # fmt: skip
    out.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
