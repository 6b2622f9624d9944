"""What a simulated second costs as the cluster grows: the reference scenario, `large`, and sizes between.

Runs, each in a fresh Python process (so that each reports its own peak RSS):

* ``data/scenarios/reference.yaml`` (3 brokers, 12 partitions, RF 1, 2 producers, 3 consumers), and in
  the same process the lean naive model (``naive.run_lean``: one process per record, one shared
  ``Resource`` for the append, a ``Store`` per partition), for the ratio of the two rates measured side
  by side: three alternating pairs of the two, the median pair's ratio (see ``child``);
* ``data/scenarios/large.yaml`` (30 brokers, 1,000 partitions, RF 3, 50 producers at 200,000
  records/s, a group of 50 consumers) and the same scenario scaled down to ``--sizes`` brokers
  (partitions, producers, consumers and the produce rate in proportion).

Per run it prints simulated seconds per wall-second, records produced, produce requests, fetch
requests (clients' and followers'), SimPy events per wall-second (timers and SimPy's own events), wall
time per request (produce and fetch) and peak RSS, writes them to ``out/bench/scaling.json``, and
draws wall seconds per simulated second against the broker count (``--chart``, default
``out/bench/scaling.png``).

Usage (from the repository root)::

    .venv/bin/python benchmarks/scaling.py [--horizon-ms 2000] [--reference-horizon-ms 20000]
                                           [--sizes 9 18] [--seed 5] [--min-speed 0.1]

``--min-speed X``: exit 1 when ``large`` runs below X simulated seconds per wall-second.
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
REFERENCE = "data/scenarios/reference.yaml"
LARGE = "data/scenarios/large.yaml"


def scaled(scenario: dict, brokers: int) -> dict:
    """``scenario`` (a dict) with ``brokers`` brokers and its partitions, clients and rates in proportion."""
    d = json.loads(json.dumps(scenario))
    f = brokers / d["cluster"]["brokers"]
    d["cluster"]["brokers"] = brokers
    d["name"] = f"{d['name']}-{brokers}"
    for t in d["topics"]:
        t["partitions"] = max(1, round(t["partitions"] * f))
    for p in d["producers"]:
        p["count"] = max(1, round(p.get("count", 1) * f))
        p["rate_per_s"] = p["rate_per_s"] * f
    for c in d.get("consumers", []):
        c["count"] = max(1, round(c.get("count", 1) * f))
    return d


def _run_once(spec: dict) -> tuple:
    """Build and run ``spec``'s scenario; returns the run and its wall time (the run only, not the build)."""
    import time

    from eventsim import runner

    run = runner.build(spec["scenario"], spec["seed"], spec["horizon_ms"])
    run.start()
    t0 = time.perf_counter()
    run.run()
    return run, time.perf_counter() - t0


def child(spec: dict) -> dict:
    """One run in this process: the figures of ``spec`` (a scenario dict, seed, horizon, naive flag).

    With ``naive``, the run and the lean naive model alternate ``pairs`` times (default 3) in this
    process, the naive model on a quarter as many records (its rate does not depend on the count): the
    ratio is the median of the pairs' ratios, each of two rates measured a few seconds apart, so that a
    change in the machine's speed between them moves one pair, not the figure. The run's other figures
    are those of the pair with the median ratio (every run of a scenario and seed is the same run).
    """
    import resource

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from eventsim.metrics.result import Result

    rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # noqa: E731 (MiB, Linux)
    run, wall = _run_once(spec)
    brokers = run.cluster.brokers
    produce = sum(b.produce_requests for b in brokers)
    fetches = sum(b.fetch_requests for b in brokers)
    follower = sum(f.fetches for b in brokers for f in b.fetchers)
    records = int(Result.collect(run, wall).summary()["records_produced"].sum())
    env = run.env
    events = env.events_scheduled + env._simpy_events
    sc = spec["scenario"]
    out = {
        "name": sc["name"],
        "brokers": sc["cluster"]["brokers"],
        "partitions": sum(t["partitions"] for t in sc["topics"]),
        "replication_factor": max(t.get("replication.factor", 1) for t in sc["topics"]),
        "producers": sum(p.get("count", 1) for p in sc["producers"]),
        "consumers": sum(c.get("count", 1) for c in sc.get("consumers", [])),
        "horizon_ms": spec["horizon_ms"],
        "records": records,
        "produce_requests": produce,
        "fetch_requests_client": fetches - follower,
        "fetch_requests_follower": follower,
        "events": events,
    }
    del run, env, brokers
    peak_rss = rss()  # the first run's peak (the repeated runs below stay in memory: the run froze the GC)
    walls = [wall]
    if spec.get("naive"):
        try:
            from naive import run_lean  # run as a script: benchmarks/ is on sys.path
        except ImportError:  # imported as benchmarks.scaling from the repository root
            from benchmarks.naive import run_lean

        rate = sum(p["rate_per_s"] for p in sc["producers"])
        pairs = []
        for k in range(spec.get("pairs", 3)):
            if k:
                walls.append(_run_once(spec)[1])
            lean = run_lean(max(records // 4, 1), partitions=out["partitions"], rate_per_s=rate)
            lean_rate = lean["records_per_wall_s"]
            pairs.append((records / walls[-1] / lean_rate, walls[-1], lean_rate))
        ratio, wall, lean_rate = sorted(pairs)[len(pairs) // 2]
        out["lean_naive_records_per_wall_s"] = lean_rate
        out["vs_lean_naive"] = ratio
        out["vs_lean_naive_pairs"] = [p[0] for p in pairs]
    out.update(
        wall_s=wall,
        sim_s_per_wall_s=spec["horizon_ms"] / 1000 / wall,
        records_per_wall_s=records / wall,
        events_per_wall_s=out.pop("events") / wall,
        events_per_record=events / max(records, 1),
        wall_us_per_request=1e6 * wall / max(produce + fetches, 1),
        peak_rss_mib=peak_rss,
    )
    return out


def run_child(spec: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"the run of {spec['scenario']['name']} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def chart(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    rep = [r for r in rows if r["replication_factor"] > 1]
    ax.plot(
        [r["brokers"] for r in rep],
        [1 / r["sim_s_per_wall_s"] for r in rep],
        "o-",
        label="large.yaml scaled (RF 3)",
    )
    for r in rows:
        if r["replication_factor"] == 1:
            ax.plot([r["brokers"]], [1 / r["sim_s_per_wall_s"]], "s", color="C1", label="reference (RF 1)")
        ax.annotate(
            f"{r['partitions']:,} partitions",
            (r["brokers"], 1 / r["sim_s_per_wall_s"]),
            textcoords="offset points",
            xytext=(6, -10),
            fontsize=8,
        )
    ax.axhline(10, color="grey", ls="--", lw=1, label="0.1 simulated s per wall-s")
    ax.axhline(1, color="grey", ls=":", lw=1, label="real time")
    ax.set_yscale("log")
    ax.set_xlabel("brokers (partitions, producers, consumers and rate in proportion)")
    ax.set_ylabel("wall seconds per simulated second")
    ax.set_title("What a simulated second costs as the cluster grows")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--horizon-ms", type=float, default=2000, help="simulated time of large and the sizes between"
    )
    ap.add_argument(
        "--reference-horizon-ms", type=float, default=20000, help="simulated time of the reference run"
    )
    ap.add_argument("--sizes", type=int, nargs="*", default=[9, 18], help="broker counts between 3 and 30")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--out", default="out/bench/scaling.json")
    ap.add_argument("--chart", default="out/bench/scaling.png")
    ap.add_argument(
        "--min-speed", type=float, default=None, help="exit 1 if large is below this sim-s per wall-s"
    )
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(sys.stdin.read()))))
        return 0
    for name, value in (
        ("--horizon-ms", args.horizon_ms),
        ("--reference-horizon-ms", args.reference_horizon_ms),
    ):
        if not value > 0:
            ap.error(f"{name} must be > 0, got {value}")
    if any(not 3 < b < 30 for b in args.sizes):
        ap.error(f"--sizes must be broker counts between 4 and 29, got {args.sizes}")

    sys.path.insert(0, str(ROOT))
    from eventsim.scenarios import Scenario

    reference = Scenario.load(str(ROOT / REFERENCE)).to_dict()
    large = Scenario.load(str(ROOT / LARGE)).to_dict()
    specs = [
        {"scenario": reference, "seed": args.seed, "horizon_ms": args.reference_horizon_ms, "naive": True}
    ]
    specs += [
        {"scenario": scaled(large, b), "seed": args.seed, "horizon_ms": args.horizon_ms}
        for b in sorted(args.sizes)
    ]
    specs.append({"scenario": large, "seed": args.seed, "horizon_ms": args.horizon_ms})

    # (header, key, width, format): each column right-aligned after a space, wide enough for an hour of
    # `large` (about a billion follower fetches), so long horizons keep their columns apart.
    columns = [
        ("brokers", "brokers", 7, ""), ("parts", "partitions", 5, ""), ("RF", "replication_factor", 2, ""),
        ("sim s/wall s", "sim_s_per_wall_s", 12, ".3f"), ("records", "records", 13, ","),
        ("produce req", "produce_requests", 13, ","), ("fetch cli", "fetch_requests_client", 13, ","),
        ("fetch fol", "fetch_requests_follower", 13, ","), ("events/wall s", "events_per_wall_s", 13, ",.0f"),
        ("us/request", "wall_us_per_request", 10, ".1f"), ("RSS MiB", "peak_rss_mib", 7, ".0f"),
    ]
    print(f"{'scenario':<12}" + "".join(f" {head:>{width}}" for head, _, width, _ in columns))
    rows = []
    for spec in specs:
        r = run_child(spec)
        rows.append(r)
        cells = "".join(f" {r[key]:>{width}{fmt}}" for _, key, width, fmt in columns)
        print(f"{r['name']:<12}{cells}", flush=True)
    ref = rows[0]
    print(
        f"reference: {ref['records_per_wall_s']:,.0f} records per wall-second = {ref['vs_lean_naive']:.1f}x "
        f"the lean naive model ({ref['lean_naive_records_per_wall_s']:,.0f}) in the same process: the median "
        + "of "
        + ", ".join(f"{x:.1f}x" for x in ref["vs_lean_naive_pairs"])
        + " in alternating pairs"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "runs": rows,
            },
            indent=2,
        )
    )
    chart(rows, Path(args.chart))
    print(f"wrote {out} and {args.chart}")
    speed = rows[-1]["sim_s_per_wall_s"]
    if args.min_speed is not None and speed < args.min_speed:
        print(f"large: {speed:.3f} simulated s per wall-s, below --min-speed {args.min_speed}")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C: the run under way stops with its process; nothing is written
        print("scaling.py: interrupted", file=sys.stderr)
        sys.exit(130)
