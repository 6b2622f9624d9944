"""The ``eventsim`` command line: run a scenario, print its summary, write charts and CSV; validate one.

    eventsim run SCENARIO [--seed N] [--horizon-ms N] [--out DIR] [--json] [--quiet]
    eventsim validate SCENARIO
    eventsim presets

SCENARIO is a YAML path or a preset name (``eventsim presets`` lists them). Errors in the scenario are
reported as one line naming the field, the value and what is allowed, with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="eventsim", description="Simulate an Apache Kafka cluster.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario and print its summary")
    run.add_argument("scenario", help="YAML path or preset name")
    run.add_argument("--seed", type=int, default=None, help="run seed (default: the scenario's)")
    run.add_argument("--horizon-ms", type=float, default=None, help="simulated time in ms")
    run.add_argument("--out", type=Path, default=None, help="write charts (PNG) and frames (CSV) here")
    run.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    val = sub.add_parser("validate", help="check a scenario without running it")
    val.add_argument("scenario")
    sub.add_parser("presets", help="list the scenario presets")
    return p


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return _clean(v.item())
    return v


def _fmt(v) -> str:
    v = _clean(v)
    if v is None:
        return "-"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def _table(summary) -> str:
    """The summary as a metric-per-row table, one column per topic."""
    rows = summary.to_dict("records")
    names = [str(r["topic"]) for r in rows]
    keys = [k for k in summary.columns if k != "topic"]
    width = max(len(k) for k in keys)
    cols = [[_fmt(r[k]) for k in keys] for r in rows]
    col_w = [max(len(n), *(len(c) for c in col)) for n, col in zip(names, cols, strict=True)]
    lines = ["topic".ljust(width) + "".join(f"  {n:>{w}}" for n, w in zip(names, col_w, strict=True))]
    for i, k in enumerate(keys):
        lines.append(k.ljust(width) + "".join(f"  {col[i]:>{w}}" for col, w in zip(cols, col_w, strict=True)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from eventsim.core.errors import KafkaError
    from eventsim.scenarios import Scenario, presets

    if args.command == "presets":
        for name, path in sorted(presets().items()):
            print(f"{name}\t{path}")
        return 0
    try:
        scenario = Scenario.load(args.scenario)
    except (KafkaError, FileNotFoundError) as exc:
        print(f"eventsim: {exc}", file=sys.stderr)
        return 2
    if args.command == "validate":
        print(
            f"{scenario.name}: valid ({len(scenario.topics)} topics, {len(scenario.producers)} producer "
            f"specs, {len(scenario.consumers)} consumer specs, {scenario.cluster.brokers} brokers)"
        )
        return 0
    from eventsim.runner import simulate

    seed = args.seed if args.seed is not None else scenario.seed
    try:
        result = simulate(scenario, seed=seed, horizon_ms=args.horizon_ms, progress=not args.quiet)
    except KafkaError as exc:
        print(f"eventsim: {exc}", file=sys.stderr)
        return 2
    summary = result.summary()
    if args.json:
        payload = {
            "scenario": scenario.name,
            "seed": seed,
            "horizon_ms": result.horizon_ms,
            "topics": [{k: _clean(v) for k, v in row.items()} for row in summary.to_dict("records")],
        }
        print(json.dumps(payload, indent=2))
    else:
        print(f"scenario {scenario.name}, seed {seed}, {result.horizon_ms / 1000:g} s simulated")
        print(_table(summary))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        csvs = result.to_csv(args.out)
        from eventsim.plots import write_charts

        pngs = write_charts(result, args.out)
        if not args.json:
            print(f"wrote {len(pngs)} charts and {len(csvs)} tables to {args.out}/")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
