"""tools/make_exercises.py: solution notebooks -> exercise notebooks."""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
_ids = itertools.count()


def _load_tool():
    path = REPO_ROOT / "tools" / "make_exercises.py"
    spec = importlib.util.spec_from_file_location("make_exercises", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


make_exercises = _load_tool()


def code_cell(source, outputs=None, execution_count=3):
    return {
        "cell_type": "code",
        "execution_count": execution_count,
        "id": f"cell-{next(_ids)}",
        "metadata": {"execution": {"iopub.execute_input": "2025-01-01T00:00:00Z"}, "tags": ["keep"]},
        "outputs": outputs if outputs is not None else [],
        "source": source,
    }


def markdown_cell(source):
    return {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": source}


STREAM = {"name": "stdout", "output_type": "stream", "text": ["42\n"]}


def notebook(*cells):
    return {
        "cells": list(cells),
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                     "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def sources(nb):
    return ["".join(cell["source"]) for cell in nb["cells"]]


def test_solution_code_is_replaced_and_everything_is_cleared():
    solution = notebook(
        code_cell(["SEED = 17\n", "print(SEED)"], outputs=[STREAM]),
        code_cell(["rate = 1000\n", "# Solution\n", "print(rate * 2)"], outputs=[STREAM]),
        code_cell("# Solution: the whole cell\nx = 1\n"),
    )
    before = json.dumps(solution, sort_keys=True)
    exercise = make_exercises.scrub_notebook(solution)

    assert json.dumps(solution, sort_keys=True) == before  # input untouched
    expected = ["SEED = 17\nprint(SEED)", "rate = 1000\n# Your code here", "# Your code here"]
    assert sources(exercise) == expected
    for cell in exercise["cells"]:
        assert cell["outputs"] == []
        assert cell["execution_count"] is None
        assert "execution" not in cell["metadata"]
        assert cell["metadata"]["tags"] == ["keep"]
    assert "widgets" not in exercise["metadata"]
    assert exercise["metadata"]["kernelspec"]["name"] == "python3"
    assert [cell["id"] for cell in exercise["cells"]] == [cell["id"] for cell in solution["cells"]]


def test_indented_marker_keeps_the_cell_runnable():
    text = "def throughput(records, seconds):\n    # Solution\n    return records / seconds\n"
    scrubbed = make_exercises.scrub_code_source(text)
    assert scrubbed == "def throughput(records, seconds):\n    # Your code here\n    pass"
    namespace = {}
    exec(compile(scrubbed, "<exercise>", "exec"), namespace)
    assert namespace["throughput"](10, 2) is None


def test_code_without_marker_is_unchanged():
    assert make_exercises.scrub_code_source("x = 1\n# a comment\n") == "x = 1\n# a comment\n"
    # Only a line *starting* with the marker counts; text after '#' elsewhere does not.
    assert make_exercises.scrub_code_source("y = 2  # Solution\n") == "y = 2  # Solution\n"


def test_markdown_solution_blocks_are_removed():
    text = (
        "**Exercise 1.** Double the rate.\n\n"
        "<!-- solution -->\nThe answer is 2000 records/s.\n<!-- /solution -->\n\n"
        "**Exercise 2.** Halve it. <!-- solution -->500<!-- /solution -->\n"
    )
    exercise = make_exercises.scrub_notebook(notebook(markdown_cell(text)))
    assert sources(exercise) == ["**Exercise 1.** Double the rate.\n\n**Exercise 2.** Halve it. "]
    plain = "No solutions here.\n\nJust text."
    assert sources(make_exercises.scrub_notebook(notebook(markdown_cell(plain)))) == [plain]


def test_unbalanced_markdown_markers_are_an_error():
    with pytest.raises(ValueError, match="cell 0"):
        unclosed = notebook(markdown_cell("<!-- solution -->\nleft open\n"))
        make_exercises.scrub_notebook(unclosed, name="ch.ipynb")


def test_render_is_deterministic_nbformat_layout():
    exercise = make_exercises.scrub_notebook(notebook(code_cell("b = 2\na = 1\n")))
    text = make_exercises.render(exercise)
    assert text.endswith("}\n")
    assert text == make_exercises.render(json.loads(text))
    assert text.splitlines()[1].startswith(' "cells"')  # indent=1, keys sorted
    assert json.loads(text)["cells"][0]["source"] == ["b = 2\n", "a = 1\n"]


def test_write_then_check_round_trip(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nb = notebook(code_cell(["# Solution\n", "print(42)"], outputs=[STREAM]))
    (solutions / "01-events.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    args = ["--solutions", str(solutions), "--exercises", str(exercises)]

    assert make_exercises.main([*args, "--check"]) == 1  # missing
    assert make_exercises.main(args) == 0
    assert make_exercises.main([*args, "--check"]) == 0
    written = json.loads((exercises / "01-events.ipynb").read_text(encoding="utf-8"))
    assert sources(written) == ["# Your code here"]

    (exercises / "01-events.ipynb").write_text("{}\n", encoding="utf-8")
    assert make_exercises.main([*args, "--check"]) == 1  # out of date
    (exercises / "99-orphan.ipynb").write_text("{}\n", encoding="utf-8")
    assert make_exercises.main(args) == 0
    assert sorted(p.name for p in exercises.iterdir()) == ["01-events.ipynb"]
    assert make_exercises.main([*args, "--check"]) == 0


def test_repository_exercises_are_up_to_date():
    if not any(make_exercises.SOLUTIONS_DIR.glob("*.ipynb")):
        pytest.skip("no solution notebooks yet in notebooks/solutions")
    problems = make_exercises.check(make_exercises.SOLUTIONS_DIR, make_exercises.EXERCISES_DIR)
    assert problems == [], "\n".join([*problems, "run: make exercises"])


# --- per-student copies and the instructor's key ---------------------------------------------------------


SETUP = [
    "%matplotlib inline\n",
    "import numpy as np\n",
    "from eventsim.producer.partitioner import (\n",
    "    murmur2,\n",
    "    to_positive,\n",
    ")\n",
    "\n",
    "import eventsim\n",
    "\n",
    "SEED = 17\n",
    "plots.set_style()",
]


def test_insert_student_goes_after_the_setup_imports():
    nb = notebook(markdown_cell("# Title"), code_cell(SETUP), code_cell("x = 1\n"))
    before = json.dumps(nb, sort_keys=True)
    copy = make_exercises.insert_student(nb, "alice")
    assert json.dumps(nb, sort_keys=True) == before  # input untouched
    setup = sources(copy)[1].splitlines()
    assert setup[setup.index("import eventsim") + 1 :][:2] == make_exercises.student_lines("alice")
    assert setup[-2:] == ["SEED = 17", "plots.set_style()"]
    assert sources(copy)[2] == "x = 1\n"  # only the first code cell changes
    trailing = make_exercises.insert_student(notebook(code_cell("import os\nx = 1\n")), "bob")
    assert sources(trailing)[0].endswith("x = 1\n")
    assert copy["metadata"]["eventsim"] == {"student": "alice"}


def test_insert_student_without_imports_goes_first_and_the_lines_run():
    copy = make_exercises.insert_student(notebook(code_cell("SEED = 17\n")), "grace.h@uni-1")
    lines = sources(copy)[0].splitlines()
    assert lines[:2] == make_exercises.student_lines("grace.h@uni-1") and lines[2] == "SEED = 17"
    from eventsim import book

    try:
        exec(compile("\n".join(lines[:2]), "<setup>", "exec"), {})
        assert book.current_student() == "grace.h@uni-1"
    finally:
        book.student(None)


@pytest.mark.parametrize("bad", ["", "a b", "../x", 'a"b', "x" * 65, "-lead"])
def test_bad_student_ids_are_refused(bad):
    with pytest.raises(ValueError, match="bad student id"):
        make_exercises.check_student_id(bad)


def test_student_copies_of_two_ids_differ_only_in_the_student(tmp_path):
    solutions = make_exercises.SOLUTIONS_DIR
    if not any(solutions.glob("*.ipynb")):
        pytest.skip("no solution notebooks yet in notebooks/solutions")
    args = ["--solutions", str(solutions)]
    assert make_exercises.main([*args, "--student", "alice", "--exercises", str(tmp_path / "alice")]) == 0
    assert make_exercises.main([*args, "--student", "bob", "--exercises", str(tmp_path / "bob")]) == 0
    plain = make_exercises.build(solutions, tmp_path)
    names = sorted(p.name for p in solutions.glob("*.ipynb"))
    assert sorted(p.name for p in (tmp_path / "alice").iterdir()) == names
    for name in names:
        alice = (tmp_path / "alice" / name).read_text(encoding="utf-8")
        bob = (tmp_path / "bob" / name).read_text(encoding="utf-8")
        assert alice != bob
        assert 'eventsim.book.student(\\"alice\\")' in alice and 'eventsim.book.student(\\"bob\\")' in bob
        # Take the student out again and the copy is the book's exercise notebook.
        nb = json.loads(alice)
        del nb["metadata"]["eventsim"]
        first = next(c for c in nb["cells"] if c["cell_type"] == "code")
        inserted = make_exercises.student_lines("alice")
        kept = [line for line in first["source"] if line.rstrip("\n") not in inserted]
        first["source"] = make_exercises._source_lines("".join(kept).rstrip("\n"))
        original = json.loads(plain[tmp_path / name])
        original_first = next(c for c in original["cells"] if c["cell_type"] == "code")
        text = "".join(original_first["source"]).rstrip("\n")
        original_first["source"] = make_exercises._source_lines(text)
        assert make_exercises.render(nb) == make_exercises.render(original), name


def test_students_list_writes_one_folder_each(tmp_path):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "01-events.ipynb").write_text(json.dumps(notebook(code_cell(SETUP))), encoding="utf-8")
    roster = tmp_path / "class.txt"
    roster.write_text("# period 2\nalice\n\nbob  # late joiner\nalice\n", encoding="utf-8")
    assert make_exercises.read_students("carol, dave", roster) == ["carol", "dave", "alice", "bob"]
    out = tmp_path / "copies"
    assert make_exercises.main(["--solutions", str(solutions), "--exercises", str(out), "--students-file",
                                str(roster)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["alice", "bob"]
    bob = json.loads((out / "bob" / "01-events.ipynb").read_text(encoding="utf-8"))
    assert bob["metadata"]["eventsim"]["student"] == "bob"


def test_student_copies_need_an_explicit_folder(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        make_exercises.main(["--student", "alice"])
    assert stop.value.code == 2
    assert "--exercises" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        make_exercises.main(["--student", "not ok", "--exercises", str(tmp_path)])
    with pytest.raises(SystemExit):
        make_exercises.main(["--instructor"])


def test_instructor_key_has_one_row_per_student_and_exercise(tmp_path):
    import csv

    from eventsim import book

    output = tmp_path / "key" / "instructor.csv"
    args = ["--instructor", "--students", "alice,bob,carol", "--output", str(output)]
    assert make_exercises.main(args) == 0
    with output.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(make_exercises.INSTRUCTOR_COLUMNS)
    keys = book.keys()
    assert len(rows) == 3 * len(keys)
    pairs = {(s, k) for s in ("alice", "bob", "carol") for k in keys}
    assert {(r["student"], r["exercise"]) for r in rows} == pairs
    for row in rows:
        expected = book.expected(row["exercise"], student=row["student"])
        assert float(row["expected"]) == pytest.approx(expected, rel=1e-5)
        assert row["tolerance"].startswith(("within", "exactly"))
    alice = {r["exercise"]: r["parameters"] for r in rows if r["student"] == "alice"}
    bob = {r["exercise"]: r["parameters"] for r in rows if r["student"] == "bob"}
    assert all(alice[k] != bob[k] for k in keys)
