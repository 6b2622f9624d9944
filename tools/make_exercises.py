"""Generate the exercise notebooks from the solution notebooks.

``notebooks/solutions/*.ipynb`` are the book: executed, outputs committed, the source of truth.
``notebooks/exercises/<same name>`` are derived from them by this tool and never edited by hand:

- a code cell with a line starting with ``# Solution`` (leading whitespace allowed) keeps the code
  above that line; the marker and everything after it become ``# Your code here``. When the marker
  is indented (inside a ``def`` or loop) a ``pass`` at the same indentation keeps the cell runnable;
- in Markdown cells every ``<!-- solution -->`` ... ``<!-- /solution -->`` block is removed;
- every code cell loses its outputs and execution count (exercises are checked with
  ``pytest --nbval-lax``, which only runs them), and per-cell execution timestamps and saved widget
  state are dropped.

Output is deterministic (JSON with sorted keys, indent=1, trailing newline, as nbformat writes),
so ``--check`` can compare bytes: it exits 1 when an exercise is missing, out of date, or has no
solution notebook. Only the standard library is used.

Usage: python tools/make_exercises.py [--check] [--solutions DIR] [--exercises DIR]
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS_DIR = REPO_ROOT / "notebooks" / "solutions"
EXERCISES_DIR = REPO_ROOT / "notebooks" / "exercises"

SOLUTION_MARKER = "# Solution"
PLACEHOLDER = "# Your code here"
_MD_OPEN = "<!-- solution -->"
_MD_CLOSE = "<!-- /solution -->"
_MD_BLOCK = re.compile(re.escape(_MD_OPEN) + r".*?" + re.escape(_MD_CLOSE), re.DOTALL)


def _source_text(source: str | list[str]) -> str:
    """nbformat stores a cell source as one string or as a list of lines; return one string."""
    return source if isinstance(source, str) else "".join(source)


def _source_lines(text: str) -> list[str]:
    """The on-disk nbformat layout: a list of lines, each keeping its newline."""
    return text.splitlines(keepends=True)


def scrub_code_source(text: str) -> str:
    """Replace the code from the first ``# Solution`` line on with a runnable placeholder.

    Text without a marker line is returned unchanged.
    """
    lines = text.splitlines()
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(SOLUTION_MARKER):
            indent = line[: len(line) - len(stripped)]
            kept = lines[:index]
            kept.append(indent + PLACEHOLDER)
            if indent:
                kept.append(indent + "pass")
            return "\n".join(kept)
    return text


def scrub_markdown_source(text: str, *, where: str = "markdown cell") -> str:
    """Remove every ``<!-- solution -->`` ... ``<!-- /solution -->`` block (markers included)."""
    scrubbed = _MD_BLOCK.sub("", text)
    if _MD_OPEN in scrubbed or _MD_CLOSE in scrubbed:
        raise ValueError(f"{where}: unbalanced {_MD_OPEN} / {_MD_CLOSE} markers")
    if scrubbed == text:
        return text
    scrubbed = re.sub(r"\n{3,}", "\n\n", scrubbed)
    return scrubbed.strip("\n")


def scrub_notebook(notebook: dict, *, name: str = "notebook") -> dict:
    """Return the exercise version of a solution notebook (the argument is not modified)."""
    exercise = copy.deepcopy(notebook)
    exercise.get("metadata", {}).pop("widgets", None)
    for index, cell in enumerate(exercise.get("cells", [])):
        where = f"{name}: cell {index}"
        text = _source_text(cell.get("source", ""))
        cell_type = cell.get("cell_type")
        if cell_type == "code":
            text = scrub_code_source(text)
            cell["outputs"] = []
            cell["execution_count"] = None
            cell.get("metadata", {}).pop("execution", None)
        elif cell_type == "markdown":
            text = scrub_markdown_source(text, where=where)
        cell["source"] = _source_lines(text)
    return exercise


def render(notebook: dict) -> str:
    """Serialise a notebook the way nbformat does, so files are stable under re-generation."""
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def build(solutions_dir: Path, exercises_dir: Path) -> dict[Path, str]:
    """Map each exercise path to its generated text, one per solution notebook (sorted by name)."""
    generated: dict[Path, str] = {}
    for solution in sorted(solutions_dir.glob("*.ipynb")):
        notebook = json.loads(solution.read_text(encoding="utf-8"))
        generated[exercises_dir / solution.name] = render(scrub_notebook(notebook, name=solution.name))
    return generated


def _orphans(exercises_dir: Path, generated: dict[Path, str]) -> list[Path]:
    """Exercise notebooks whose solution notebook no longer exists."""
    return sorted(path for path in exercises_dir.glob("*.ipynb") if path not in generated)


def check(solutions_dir: Path, exercises_dir: Path) -> list[str]:
    """Problems with the exercises on disk; an empty list means they are up to date."""
    generated = build(solutions_dir, exercises_dir)
    problems = []
    for path, text in generated.items():
        if not path.exists():
            problems.append(f"missing: {path}")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"out of date: {path}")
    problems.extend(f"no solution notebook for: {path}" for path in _orphans(exercises_dir, generated))
    return problems


def write(solutions_dir: Path, exercises_dir: Path) -> list[Path]:
    """Write every exercise notebook that changed and delete orphans; return the paths touched."""
    generated = build(solutions_dir, exercises_dir)
    touched = []
    for path, text in generated.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            touched.append(path)
    for path in _orphans(exercises_dir, generated):
        path.unlink()
        touched.append(path)
    return touched


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the exercises are out of date")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR, help="solution notebooks folder")
    parser.add_argument("--exercises", type=Path, default=EXERCISES_DIR, help="exercise notebooks folder")
    args = parser.parse_args(argv)

    if args.check:
        problems = check(args.solutions, args.exercises)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python tools/make_exercises.py", file=sys.stderr)
            return 1
        return 0

    for path in write(args.solutions, args.exercises):
        print(f"{'removed' if not path.exists() else 'wrote'} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
