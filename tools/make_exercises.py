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

Per-student copies and the instructor's key (the classroom kit, ``eventsim.book``):

- ``--student ID --exercises DIR`` writes the exercise notebooks for one student into DIR. Each copy
  names the student in its setup cell (``eventsim.book.student("ID")``, inserted after the first code
  cell's imports, and recorded in the notebook metadata), so ``eventsim.book.params`` gives that
  student's exercise parameters and ``eventsim.book.check`` checks answers against their own numbers.
  With ``--students a,b,c`` or ``--students-file FILE`` (one id per line, ``#`` comments) instead, each
  student's copies go to ``DIR/<id>/``. Ids are letters, digits and ``._@+-``.
- ``--instructor`` with ``--students`` or ``--students-file`` writes the key as CSV (``--output FILE``,
  default standard output): one row per student and exercise with the parameters, the expected value
  and the tolerance. This mode imports ``eventsim``; everything else uses only the standard library.

Usage: python tools/make_exercises.py [--check] [--solutions DIR] [--exercises DIR]
       python tools/make_exercises.py --student ID --exercises DIR
       python tools/make_exercises.py --students a,b,c --exercises DIR
       python tools/make_exercises.py --instructor --students-file class.txt --output key.csv
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
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
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
_IMPORT = re.compile(r"(import|from)\s+\w")


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


def check_student_id(student: str) -> str:
    """A student id is used in code and as a folder name: letters, digits and ``._@+-``, at most 64."""
    if not isinstance(student, str) or not STUDENT_ID.fullmatch(student):
        raise ValueError(
            f"bad student id {student!r}: use letters, digits and ._@+- "
            "(at most 64, starting with a letter or digit)"
        )
    return student


def _after_imports(lines: list[str]) -> int:
    """Index just after the last top-level import statement (a parenthesised one counts to its close)."""
    end, depth, in_import = 0, 0, False
    for index, line in enumerate(lines):
        if depth == 0 and _IMPORT.match(line):
            in_import = True
        if in_import:
            depth += line.count("(") - line.count(")")
            if depth <= 0 and not line.rstrip().endswith("\\"):
                end, depth, in_import = index + 1, 0, False
    return end


def student_lines(student: str) -> list[str]:
    """The two setup lines a student copy gets."""
    return [
        "import eventsim.book",
        f"eventsim.book.student({json.dumps(student)})  # this copy's exercise numbers are {student}'s",
    ]


def insert_student(notebook: dict, student: str) -> dict:
    """A copy of an exercise notebook whose setup cell names ``student`` (the argument is not modified).

    The lines go after the imports of the first code cell (at its top when it has none); the notebook's
    metadata records the student under ``eventsim.student``.
    """
    check_student_id(student)
    copied = copy.deepcopy(notebook)
    copied.setdefault("metadata", {}).setdefault("eventsim", {})["student"] = student
    for cell in copied.get("cells", []):
        if cell.get("cell_type") == "code":
            text = _source_text(cell.get("source", ""))
            lines = text.splitlines()
            at = _after_imports(lines)
            lines[at:at] = student_lines(student)
            cell["source"] = _source_lines("\n".join(lines) + ("\n" if text.endswith("\n") else ""))
            break
    return copied


def build_student(solutions_dir: Path, exercises_dir: Path, student: str) -> dict[Path, str]:
    """Map each of one student's exercise paths (in ``exercises_dir``) to its generated text."""
    generated: dict[Path, str] = {}
    for solution in sorted(solutions_dir.glob("*.ipynb")):
        notebook = json.loads(solution.read_text(encoding="utf-8"))
        exercise = insert_student(scrub_notebook(notebook, name=solution.name), student)
        generated[exercises_dir / solution.name] = render(exercise)
    return generated


def write_student(solutions_dir: Path, exercises_dir: Path, student: str) -> list[Path]:
    """Write one student's exercise notebooks; return the paths written (other files are left alone)."""
    generated = build_student(solutions_dir, exercises_dir, student)
    for path, text in generated.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(generated)


def read_students(spec: str | None = None, file: Path | None = None) -> list[str]:
    """Student ids from ``a,b,c`` and/or a file of one id per line (blank lines, ``#`` comments skipped)."""
    students: list[str] = []
    if spec:
        students += [part.strip() for part in spec.split(",") if part.strip()]
    if file is not None:
        for line in file.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                students.append(line)
    seen = set()
    unique = [s for s in students if not (s in seen or seen.add(s))]
    for student in unique:
        check_student_id(student)
    return unique


INSTRUCTOR_COLUMNS = (
    "student", "exercise", "chapter", "title", "parameters", "expected", "unit", "tolerance",
)


def instructor_csv(students: Sequence[str]) -> str:
    """The instructor's key as CSV text: one row per student and exercise (imports ``eventsim.book``)."""
    try:
        from eventsim import book
    except ImportError:  # run from a checkout without installing the package
        sys.path.insert(0, str(REPO_ROOT))
        from eventsim import book
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=INSTRUCTOR_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in book.answer_key(students):
        writer.writerow({**row, "expected": f"{row['expected']:.6g}"})
    return buffer.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the exercises are out of date")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR, help="solution notebooks folder")
    parser.add_argument("--exercises", type=Path, default=None, help="exercise notebooks folder")
    parser.add_argument("--student", help="write one student's copies into --exercises")
    parser.add_argument("--students", help="comma-separated student ids (copies go to --exercises/<id>/)")
    parser.add_argument("--students-file", type=Path, help="a file of student ids, one per line")
    parser.add_argument("--instructor", action="store_true", help="write the key (CSV) for --students")
    parser.add_argument("--output", type=Path, help="the CSV file (default: stdout)")
    args = parser.parse_args(argv)

    try:
        students = read_students(args.students, args.students_file)
        if args.student is not None:
            check_student_id(args.student)
    except (ValueError, OSError) as error:
        parser.error(str(error))
    if args.instructor:
        if args.student is not None:
            students.insert(0, args.student)
        if not students:
            parser.error("--instructor needs --student, --students or --students-file")
        text = instructor_csv(list(dict.fromkeys(students)))
        if args.output is None:
            sys.stdout.write(text)
        else:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(text, encoding="utf-8")
            print(f"wrote {args.output}")
        return 0
    if args.student is not None or students:
        if args.exercises is None:
            parser.error("per-student copies need --exercises DIR (the book's exercises stay as they are)")
        if args.student is not None and students:
            parser.error("give either --student or --students/--students-file")
        if args.student is not None:
            targets = [(args.student, args.exercises)]
        else:
            targets = [(student, args.exercises / student) for student in students]
        for student, folder in targets:
            for path in write_student(args.solutions, folder, student):
                print(f"wrote {path}")
        return 0
    if args.exercises is None:
        args.exercises = EXERCISES_DIR

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
