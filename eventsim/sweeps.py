"""``sweep()``: a small grid of scenario variants, run one after another, summarised as one DataFrame.

What Kafka does: nothing; its tuning advice is a set of trade-offs that operators measure by running
``kafka-producer-perf-test`` and ``kafka-consumer-perf-test`` again with one setting changed. A sweep is
that loop: every combination of the given values, each run with :func:`eventsim.simulate` on
``scenario.with_(...)`` (the paths of the CLI's ``--set``), one row per run and topic with the varied
values and the run's summary (``Result.summary()``).

What is modelled: a full grid over the given paths, in the order given (the first path varies slowest),
each combination run with the same seeds (common random numbers: two rows differ by their settings, not
by their luck), ``replicate`` seeds per combination. The runs are sequential; a parallel (Dask) version
can come later with the same signature. The DataFrame is assembled in ``eventsim/metrics/frames.py``
(:func:`eventsim.metrics.frames.sweep_frame`), the one module that imports pandas.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from eventsim.core.errors import InvalidConfigurationError
from eventsim.runner import simulate
from eventsim.scenarios import Scenario

__all__ = ["sweep", "column_names"]


def column_names(paths: Sequence[str]) -> dict[str, str]:
    """The column each varied path gets: its field name with ``.`` as ``_``.

    ``producers[0].config.linger.ms`` -> ``linger_ms`` (a property: everything after ``config.``),
    ``broker.num.io.threads`` -> ``num_io_threads``, ``cluster.brokers`` -> ``brokers``,
    ``topics[0].replication.factor`` -> ``replication_factor``, ``producers[0].rate_per_s`` -> ``rate_per_s``;
    the whole path where two paths of the grid would share a name.
    """
    short = {}
    for p in paths:
        rest = p.rsplit("]", 1)[-1].lstrip(".")  # after the list element: producers[0].
        if "config." in rest:
            rest = rest.split("config.", 1)[1]  # a property: its Kafka name
        else:
            head, _, tail = rest.partition(".")
            if head in ("cluster", "broker", "metrics") and tail:
                rest = tail
        short[p] = rest.replace(".", "_")
    counts: dict[str, int] = {}
    for s in short.values():
        counts[s] = counts.get(s, 0) + 1
    return {p: (s if s and counts[s] == 1 else p) for p, s in short.items()}


def sweep(
    scenario: Any,
    grid: Mapping[str, Sequence[Any]],
    seed: int | None = None,
    horizon_ms: float | None = None,
    metrics: Sequence[str] | None = None,
    replicate: int = 1,
    names: Mapping[str, str] | None = None,
    progress: bool = False,
):
    """Run every combination of ``grid`` (``{path: [values, ...]}``) and return one pandas DataFrame.

    ``scenario`` is anything :func:`eventsim.simulate` takes. Each path is one of ``--set``
    (``"producers[0].config.linger.ms"``, ``"cluster.brokers"``). The result has one row per run and
    topic: a column per varied path (named by :func:`column_names`, or by ``names={path: column}``),
    ``seed``, then the summary's columns (``topic``, counts, latency percentiles, throughput, batching),
    or only ``metrics`` of them. ``seed`` None runs the scenario's own seed; ``replicate=n`` runs seeds
    ``seed, seed + 1, ..., seed + n - 1`` for every combination. ``horizon_ms`` as in ``simulate``.
    ``progress`` shows a tqdm bar over the runs. Example::

        df = eventsim.sweep("quickstart", {"producers[0].config.linger.ms": [0, 5, 20]},
                            metrics=["throughput_records_per_s", "produce_latency_p99_ms"])
    """
    from eventsim.metrics import frames

    if not isinstance(grid, Mapping) or not grid:
        raise InvalidConfigurationError(
            "grid", grid, "a non-empty {path: [values, ...]} mapping", "nothing to vary"
        )
    paths = [str(p) for p in grid]
    values = []
    for p in paths:
        v = grid[p]
        if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
            raise InvalidConfigurationError(f"grid[{p!r}]", v, "a list of values", "expected a list")
        v = list(v)
        if not v:
            raise InvalidConfigurationError(f"grid[{p!r}]", v, "at least one value", "empty list")
        values.append(v)
    if isinstance(replicate, bool) or not isinstance(replicate, int) or replicate < 1:
        raise InvalidConfigurationError("replicate", replicate, "an integer >= 1", "runs per combination")
    columns = column_names(paths)
    if names:
        unknown = [p for p in names if p not in columns]
        if unknown:
            raise InvalidConfigurationError(
                "names", unknown, "paths of the grid: " + ", ".join(paths), "not varied"
            )
        columns.update({p: str(n) for p, n in names.items()})
    base = Scenario.load(scenario)
    first = base.seed if seed is None else seed
    combos = list(itertools.product(*values))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(combos) * replicate, unit="run", desc=f"sweep {base.name}", leave=False)
    runs = []
    try:
        for combo in combos:
            variant = base.with_(dict(zip(paths, combo, strict=True)))
            for k in range(replicate):
                result = simulate(variant, seed=first + k, horizon_ms=horizon_ms)
                varied = {columns[p]: v for p, v in zip(paths, combo, strict=True)}
                runs.append((varied, result))
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return frames.sweep_frame(runs, [columns[p] for p in paths], metrics)
