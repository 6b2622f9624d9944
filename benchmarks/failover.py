"""What faults and the checker cost: wall time per simulated record, measured in one process.

Runs the reference scenario with every topic at ``replication.factor`` 3, ``min.insync.replicas`` 2 (and
the scenario's ``acks=all``) four ways, for ``--horizon-ms`` of simulated time each, alternating so that
the machine's drift affects all alike, ``--repeat`` times:

* ``plain``: no faults;
* ``faults``: broker 1 crashes at a quarter of the horizon and restarts at three fifths of it (the
  controller fences it, elects new leaders, and it truncates and catches up when it is back);
* ``check``: no faults, with ``metrics.check: true`` (every record's history for ``Result.check()``);
* ``faults+check``: both.

Prints the best wall time per record of each and the ratios to ``plain``: a run with faults should cost no
more per record than one without, and the checker at most 20 % more. Writes ``out/bench/failover.json``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/failover.py [--horizon-ms 20000] [--seed 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import eventsim  # noqa: E402
from eventsim.scenarios import Scenario  # noqa: E402


def variants(horizon_ms: float) -> dict:
    base = Scenario.load(ROOT / "data/scenarios/reference.yaml").to_dict()
    for topic in base["topics"]:
        topic["replication.factor"] = 3
        topic.setdefault("config", {})["min.insync.replicas"] = 2
    faults = [
        {"at_ms": round(horizon_ms * 0.25), "kind": "crash", "broker": 1},
        {"at_ms": round(horizon_ms * 0.6), "kind": "restart", "broker": 1},
    ]
    out = {}
    for name, with_faults, check in (
        ("plain", False, False),
        ("faults", True, False),
        ("check", False, True),
        ("faults+check", True, True),
    ):
        data = copy.deepcopy(base)
        if with_faults:
            data["faults"] = faults
        data["metrics"]["check"] = check
        out[name] = data
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--horizon-ms", type=float, default=20000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "out" / "bench" / "failover.json"))
    args = ap.parse_args(argv)
    runs = variants(args.horizon_ms)
    best: dict = {name: float("inf") for name in runs}
    records: dict = {}
    for _ in range(args.repeat):
        for name, data in runs.items():
            t0 = time.perf_counter()
            result = eventsim.simulate(data, seed=args.seed, horizon_ms=args.horizon_ms)
            wall = time.perf_counter() - t0
            n = int(result.summary()["records_produced"].sum())
            records[name] = n
            best[name] = min(best[name], wall / n * 1e6)
            if name.endswith("check"):
                counts = result.check()
                assert counts["lost"] == 0, counts  # acks=all, min.insync.replicas 2: nothing lost
    print(f"reference scenario, RF 3, {args.horizon_ms:,.0f} ms, seed {args.seed}, best of {args.repeat}")
    print(f"{'run':<14}{'records':>10}{'us / record':>14}{'vs plain':>10}")
    for name in runs:
        print(f"{name:<14}{records[name]:>10,}{best[name]:>14.2f}{best[name] / best['plain']:>9.2f}x")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "horizon_ms": args.horizon_ms,
        "seed": args.seed,
        "repeat": args.repeat,
        "us_per_record": best,
        "records": records,
        "faults_ratio": best["faults"] / best["plain"],
        "check_ratio": best["check"] / best["plain"],
    }
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
