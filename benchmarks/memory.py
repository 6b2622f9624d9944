"""Peak memory against run length: the reference scenario at horizon H and at 10 x H.

eventsim streams its metrics (log-bucketed histograms, fixed windows, a sampled per-record frame),
so memory should stay nearly flat as a run grows. Each run happens in a fresh Python subprocess, so
one run's allocations cannot hide in the other's peak; the child reads its own peak resident set
size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) and prints its figures as JSON. This script
prints a table, the ratio of the long run's peak to the short run's, and writes
``out/bench/memory.json``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/memory.py [--horizon-ms 30000] [--factor 10] [--max-ratio 1.2]

Exit code 0, or 1 when the ratio is above ``--max-ratio`` (default 1.2), or 2 when a child run fails.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = "data/scenarios/reference.yaml"

# Runs in the child: argv = [root, scenario, seed, horizon_ms]; prints one JSON line on stdout.
CHILD = """
import json, resource, sys, time
root, scenario_path, seed, horizon_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
sys.path.insert(0, root)
import eventsim
import eventsim.scenarios

def peak_mib():
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024

import pandas  # summary() needs it; loaded up front so the import baseline includes it
scenario = eventsim.scenarios.Scenario.load(scenario_path)
rss_import = peak_mib()
start = time.perf_counter()
result = eventsim.simulate(scenario, seed=seed, horizon_ms=horizon_ms, progress=False)
wall_s = time.perf_counter() - start
records = int(result.summary()["records_produced"].sum())
print(json.dumps({
    "horizon_ms": horizon_ms,
    "records": records,
    "wall_s": wall_s,
    "peak_rss_mib_after_import": rss_import,
    "peak_rss_mib": peak_mib(),
}))
"""


def resolve_scenario_path(path: str) -> Path:
    """The scenario file as given if it exists, else relative to the repository root."""
    candidate = Path(path)
    if candidate.exists() or candidate.is_absolute():
        return candidate
    return ROOT / candidate


def run_child(scenario: Path, seed: int, horizon_ms: float) -> dict:
    """Run one simulation in a fresh interpreter and return the figures it printed."""
    cmd = [sys.executable, "-c", CHILD, str(ROOT), str(scenario), str(seed), repr(float(horizon_ms))]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(
            f"child run at horizon {horizon_ms:g} ms failed with exit code {proc.returncode}:\n{proc.stderr}"
        )
    # The last non-empty stdout line is the child's JSON.
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if not lines:
        raise RuntimeError(f"child run at horizon {horizon_ms:g} ms printed nothing:\n{proc.stderr}")
    return json.loads(lines[-1])


def format_table(runs: list[dict]) -> str:
    header = ("horizon ms", "records", "wall s", "RSS after import MiB", "peak RSS MiB")
    lines = [f"{header[0]:>12} {header[1]:>14} {header[2]:>8} {header[3]:>20} {header[4]:>13}"]
    for run in runs:
        lines.append(
            f"{run['horizon_ms']:>12,.0f} {run['records']:>14,d} {run['wall_s']:>8.2f} "
            f"{run['peak_rss_mib_after_import']:>20,.1f} {run['peak_rss_mib']:>13,.1f}"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon-ms", type=float, default=30000, help="the short run's horizon H (ms)")
    parser.add_argument("--factor", type=float, default=10, help="the long run's horizon is factor x H")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario YAML file")
    parser.add_argument(
        "--max-ratio",
        type=float,
        default=1.2,
        help="exit 1 if peak RSS(factor x H) / peak RSS(H) is above this",
    )
    parser.add_argument(
        "--out", default=str(ROOT / "out" / "bench" / "memory.json"), help="where to write the JSON figures"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenario = resolve_scenario_path(args.scenario)
    horizons = [args.horizon_ms, args.horizon_ms * args.factor]
    try:
        runs = [run_child(scenario, args.seed, h) for h in horizons]
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2

    short, long = runs
    ratio = long["peak_rss_mib"] / short["peak_rss_mib"]
    print(f"scenario {scenario}, seed {args.seed}, each run in a fresh subprocess")
    print(format_table(runs))
    print(f"peak RSS ratio ({args.factor:g} x H / H): {ratio:.3f} (limit {args.max_ratio:g})")

    figures = {
        "benchmark": "memory",
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scenario": str(scenario),
        "seed": args.seed,
        "factor": args.factor,
        "runs": runs,
        "ratio": ratio,
        "max_ratio": args.max_ratio,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {out}")

    if ratio > args.max_ratio:
        print(f"FAIL: peak RSS grew {ratio:.3f}x, above --max-ratio {args.max_ratio:g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
