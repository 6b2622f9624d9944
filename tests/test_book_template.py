"""Every chapter of the book follows one template (ARCHITECTURE.md §4.10; docs/teaching.md).

Title line ``# NN · Title`` matching the file, objectives, a setup cell that imports the book's helpers
and sets ``SEED``, at least two predict steps each compared after its run, "What happened?" explanations
hidden from the student copy, exercises with starter code and at least two auto-checks, a summary and a
link to the next chapter; code cells executed once each, in order, without errors; every figure drawn by
``eventsim.plots``. The preface (00) is an introduction and only needs the title, setup and order.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "tools" / "make_exercises.py")
make_exercises = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_exercises)

SOLUTIONS = ROOT / "notebooks" / "solutions"
CHAPTERS = sorted(SOLUTIONS.glob("*.ipynb"))
TAUGHT = [p for p in CHAPTERS if not p.name.startswith("00")]


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _src(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def test_the_book_has_its_chapters():
    """Every chapter is one the preface plans, under its planned number (chapters may be written ahead of
    an earlier one: the replication chapter comes before the consumer-group chapter's capability)."""
    numbers = [p.name[:2] for p in CHAPTERS]
    preface = "".join(_src(c) for c in _cells(SOLUTIONS / "00_preface.ipynb"))
    planned = re.findall(r"^\| (\d\d) \|", preface, flags=re.M)
    assert planned == [f"{i:02d}" for i in range(len(planned))], "the preface plans chapters 00, 01, ..."
    assert len(set(numbers)) == len(numbers) and set(numbers) <= set(planned), (
        f"chapters {numbers} must each be a planned chapter ({planned}), once"
    )
    assert numbers[:7] == [f"{i:02d}" for i in range(7)]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_title_setup_and_execution_order(path):
    cells = _cells(path)
    title = _src(cells[0])
    assert cells[0]["cell_type"] == "markdown"
    assert re.match(rf"# {path.name[:2]} · \S", title), f"title line must be '# {path.name[:2]} · ...'"
    code = [c for c in cells if c["cell_type"] == "code" and _src(c).strip()]
    setup = _src(code[0])
    assert "SEED = " in setup and "import eventsim" in setup, "the first code cell is the setup cell"
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        "every code cell executed once, in order, from a fresh kernel"
    )
    for c in code:
        assert not any(o.get("output_type") == "error" for o in c.get("outputs", [])), _src(c)[:80]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_figures_come_from_eventsim_plots(path):
    for c in _cells(path):
        if c["cell_type"] == "code":
            assert not re.search(r"plt\.(subplots|figure)\(", _src(c)), (
                "draw with eventsim.plots: " + _src(c)[:80]
            )


@pytest.mark.parametrize("path", TAUGHT, ids=lambda p: p.stem)
def test_chapter_follows_the_template(path):
    cells = _cells(path)
    texts = [_src(c) for c in cells]
    markdown = "\n".join(t for c, t in zip(cells, texts, strict=True) if c["cell_type"] == "markdown")
    assert re.search(r"In this chapter you will|Learning objectives", texts[0]), (
        "objectives in the first cell"
    )
    assert "import eventsim.book as book" in next(t for c, t in zip(cells, texts, strict=True)
                                                  if c["cell_type"] == "code")  # fmt: skip
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    order = [next((i for i, h in enumerate(headings) if h.startswith(f"## {name}")), -1)
             for name in ("Summary", "Exercises", "Next")]  # fmt: skip
    assert -1 not in order and order == sorted(order), f"Summary, Exercises, Next in that order: {headings}"
    # Predict steps: a markdown prompt, a cell that stores the guess, and a comparison after the run.
    prompts = [i for i, t in enumerate(texts) if cells[i]["cell_type"] == "markdown" and "**Predict.**" in t]
    assert len(prompts) >= 2, "at least two predict steps"
    for i in prompts:
        guess = next(j for j in range(i + 1, len(cells)) if cells[j]["cell_type"] == "code")
        assert re.match(r"prediction = \.\.\.", texts[guess]), (
            "the cell after a predict prompt stores the guess"
        )
        assert any("book.compare(" in t and "prediction" in t for t in texts[guess + 1 :]), (
            "compared after the run"
        )
    assert markdown.count("<!-- solution -->") >= 1, (
        "'What happened?' explanations hidden in the student copy"
    )
    checks = [t for t in texts if "book.check.exercise(" in t]
    assert len(checks) >= 2, "at least two auto-checked exercises"


@pytest.mark.parametrize("path", TAUGHT, ids=lambda p: p.stem)
def test_student_copy_has_starter_code_and_no_answers(path):
    student = make_exercises.scrub_notebook(json.loads(path.read_text()), name=path.name)
    cells = student["cells"]
    for c in cells:
        text = _src(c)
        if c["cell_type"] == "code":
            assert text.strip() not in ("# Your code here", "# Your code here\npass"), (
                "starter code, not a bare cell"
            )
            assert not c.get("outputs"), "no outputs (answers) in the student copy"
        else:
            assert "<!-- solution -->" not in text
    for c in cells:  # every exercise answer is left for the student to fill in
        text = _src(c)
        if c["cell_type"] == "code" and re.match(r"answer = ", text):
            assert text.startswith("answer = ...")
