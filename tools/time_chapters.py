"""How long each chapter of the book takes to run, measured by executing it (not a timed test).

Every chapter must run in under ``--limit`` seconds (60 by default, the book's rule; most take under 10,
the calibration chapter, which runs the published benchmarks, about 40) so that the whole book, solutions
and student copies, stays within a few minutes of CI as it grows. Each notebook is executed in a fresh
kernel with ``nbclient`` (installed with the notebook extras), nothing is written back, and the table
lists the wall time of each chapter with the slowest cells. Machines differ and other work may run at
the same time: read the figures as a measurement of this machine, and keep a margin.

Usage: python tools/time_chapters.py [--limit 60] [NOTEBOOK ...]   (default: notebooks/solutions/*.ipynb)
Exit code 0, or 1 when a chapter fails or takes longer than the limit.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def time_notebook(path: Path) -> tuple[float, list[tuple[float, int]]]:
    """Wall seconds to execute ``path`` and the three slowest cells as (seconds, cell index)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    cells: list[tuple[float, int]] = []
    where = {"metadata": {"path": str(path.parent)}}
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources=where)
    t0 = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            c0 = time.perf_counter()
            client.execute_cell(cell, index)
            cells.append((time.perf_counter() - c0, index))
    return time.perf_counter() - t0, sorted(cells, reverse=True)[:3]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds a chapter may take")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((REPO_ROOT / "notebooks" / "solutions").glob("*.ipynb"))
    os.environ.pop("MPLBACKEND", None)  # the kernel draws inline, as when the solutions were executed
    over = 0
    print(f"{'chapter':<40} {'seconds':>8}  slowest cells (s, index)")
    for path in paths:
        try:
            seconds, slow = time_notebook(path)
        except Exception as exc:  # a failing chapter is reported, and the others still run
            print(f"{path.name:<40} {'failed':>8}  {type(exc).__name__}: {str(exc).splitlines()[0][:60]}")
            over += 1
            continue
        flag = "  over the limit" if seconds > args.limit else ""
        cells = ", ".join(f"{s:.1f} s #{i}" for s, i in slow)
        print(f"{path.name:<40} {seconds:>8.1f}  {cells}{flag}")
        over += seconds > args.limit
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
