"""The ``eventsim`` command line: run a scenario, print its summary, write charts and CSV; validate one.

    eventsim run SCENARIO [--set PATH=VALUE ...] [--seed N] [--horizon-ms N] [--out DIR] [--json] [--quiet]
    eventsim validate SCENARIO [--set PATH=VALUE ...]
    eventsim presets

SCENARIO is a YAML path or a preset name (``eventsim presets`` lists them). ``--set`` changes one field
before validation, by the path error messages use (``--set producers[0].config.linger.ms=20``,
``--set cluster.brokers=5``); repeat it for more. Every problem with the input (the scenario, a
``--set``, an option, ``--out``) is reported before the run as one line naming the field, the value and
what is allowed, with exit code 2 and no traceback. Warnings (such as ``delivery.timeout.ms`` raised to
``linger.ms + request.timeout.ms``) are printed once each as a plain line on standard error. Ctrl-C
stops a run with one line and exit code 130.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import warnings
from pathlib import Path

__all__ = ["main"]

INTERRUPTED = 130  # the shell's code for a process stopped by SIGINT


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``eventsim: error: ...``), exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed={text!r} is invalid: expected an integer >= 0") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed={value} is invalid: must be >= 0 (allowed: an integer >= 0)")
    return value


def _horizon(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"horizon_ms={text!r} is invalid (allowed: a finite number of milliseconds > 0)"
        )
    return value


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="eventsim", description="Simulate an Apache Kafka cluster.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    over = {
        "action": "append",
        "default": [],
        "metavar": "PATH=VALUE",
        "help": "change one field first, e.g. producers[0].config.linger.ms=20 (repeatable)",
    }
    run = sub.add_parser("run", help="run a scenario and print its summary")
    run.add_argument("scenario", help="YAML path or preset name")
    run.add_argument("--set", dest="overrides", **over)
    run.add_argument("--seed", type=_seed, default=None, help="run seed (default: the scenario's)")
    run.add_argument("--horizon-ms", type=_horizon, default=None, help="simulated time in ms")
    run.add_argument("--out", type=Path, default=None, help="write charts (PNG) and frames (CSV) here")
    run.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    val = sub.add_parser("validate", help="check a scenario without running it; print its expected size")
    val.add_argument("scenario")
    val.add_argument("--set", dest="overrides", **over)
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


def _fail(message: object) -> int:
    print(f"eventsim: {message}", file=sys.stderr)
    return 2


def _check_out(out: Path) -> None:
    """``--out`` must be a directory this process can write, checked before the run."""
    from eventsim.core.errors import InvalidConfigurationError

    allowed = "a directory that exists or can be created, and is writable"
    if out.exists() and not out.is_dir():
        raise InvalidConfigurationError("--out", str(out), allowed, "is a file, not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidConfigurationError("--out", str(out), allowed, f"cannot write there: {reason}") from None


def _load(args):
    """The scenario with its overrides, and the warnings its validation raised (each once)."""
    from eventsim.scenarios import Scenario

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario = Scenario.load(args.scenario, args.overrides)
    said = list(dict.fromkeys(str(w.message) for w in caught))
    return scenario, said


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("eventsim: interrupted", file=sys.stderr)
        return INTERRUPTED


def _main(argv: list[str] | None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # a usage error (already printed, one line) or --help
        return exc.code if isinstance(exc.code, int) else 0
    from eventsim.core.errors import KafkaError, counted
    from eventsim.scenarios import presets

    if args.command == "presets":
        for name, path in sorted(presets().items()):
            print(f"{name}\t{path}")
        return 0
    try:
        scenario, said = _load(args)
        if args.command == "run" and args.out is not None:
            _check_out(args.out)
    except KafkaError as exc:
        return _fail(exc)
    for line in said:
        print(f"eventsim: warning: {line}", file=sys.stderr)
    if args.command == "validate":
        from eventsim.sizing import GIB, MEMORY_SHARE, estimate, physical_memory_bytes

        counts = (
            (len(scenario.topics), "topic"),
            (len(scenario.producers), "producer spec"),
            (len(scenario.consumers), "consumer spec"),
            (scenario.cluster.brokers, "broker"),
        )
        said_counts = ", ".join(counted(n, w) for n, w in counts)
        print(f"{scenario.name}: valid ({said_counts})")
        limit = MEMORY_SHARE * physical_memory_bytes() / GIB
        print(f"expected size: {estimate(scenario).describe()} (limit here {limit:,.1f} GiB)")
        return 0
    return _run(args, scenario)


def _run(args, scenario) -> int:
    from eventsim.core.errors import KafkaError
    from eventsim.metrics.result import Result
    from eventsim.runner import build

    seed = args.seed if args.seed is not None else scenario.seed
    try:  # build() sizes the run for an overridden horizon (the scenario sized itself when it loaded)
        run = build(scenario, seed=seed, horizon_ms=args.horizon_ms)
    except KafkaError as exc:
        return _fail(exc)
    horizon_s = run.horizon_ms / 1000
    import time

    t0 = time.perf_counter()
    run.start()
    try:
        run.run(progress=not args.quiet)
    except KeyboardInterrupt:
        done = f"{run.env.now / 1000:g} s of {horizon_s:g} s"
        print(f"eventsim: interrupted at {done} simulated; nothing written", file=sys.stderr)
        return INTERRUPTED
    result = Result.collect(run, time.perf_counter() - t0)
    summary = result.summary()
    if args.json:
        payload = {
            "scenario": scenario.name,
            "seed": result.seed,
            "horizon_ms": result.horizon_ms,
            "topics": [{k: _clean(v) for k, v in row.items()} for row in summary.to_dict("records")],
        }
        if result.check_counts is not None:
            payload["check"] = result.check()
        print(json.dumps(payload, indent=2))
    else:
        print(f"scenario {scenario.name}, seed {result.seed}, {horizon_s:g} s simulated")
        print(_table(summary))
        if result.check_counts is not None:  # metrics.check: what happened to every record
            c = result.check()
            worst = max(c["unavailable_ms"].values(), default=0.0)
            print(
                f"check: {c['acked']:,} acknowledged, {c['lost']:,} lost, {c['duplicate']:,} duplicated, "
                f"{c['poll_skip']:,} skipped, {c['nonmonotonic_poll']:,} polls going back; "
                f"longest without a leader {worst:,.0f} ms"
            )
    if args.out is not None:
        try:
            csvs = result.to_csv(args.out)
            from eventsim.plots import write_charts

            pngs = write_charts(result, args.out)
        except OSError as exc:
            return _fail(f"--out={os.fspath(args.out)!r}: cannot write: {exc.strerror or exc}")
        if not args.json:
            print(f"wrote {len(pngs)} charts and {len(csvs)} tables to {args.out}/")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
