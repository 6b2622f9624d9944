"""The classroom kit: per-student exercise parameters, auto-checks and predict-then-compare.

A chapter's setup cell may name the student (student copies made by ``tools/make_exercises.py --student``
do it for them)::

    import eventsim.book as book
    book.student("alice")                      # omit it and every number is the book's

A predict cell, then the run, then the comparison::

    prediction = ...                           # your guess, in ms
    # ... the run ...
    book.compare(prediction, measured, unit="ms", why="linger.ms, not the broker, sets the latency")

An exercise's starter cell::

    p = book.params("producers.linger-latency")   # your numbers: p.rate_per_s, p.linger_ms
    book.question("producers.linger-latency")     # the question, with your numbers
    answer = ...                                  # your value
    book.check.exercise("producers.linger-latency", answer)

Library code here prints nothing: the results are objects a notebook displays.
"""

from eventsim.book import check
from eventsim.book.predict import Comparison, compare
from eventsim.book.registry import (
    SEED,
    Choice,
    Exercise,
    Param,
    Params,
    Range,
    Tolerance,
    answer_key,
    current_student,
    exercises,
    expected,
    get,
    keys,
    params,
    student,
)


class Question:
    """An exercise's question with this student's numbers; a notebook shows it as Markdown."""

    def __init__(self, exercise: Exercise, who: str | None):
        self.exercise = exercise
        self.student = who
        self.text = exercise.question_text(who)

    def _repr_markdown_(self) -> str:
        ex = self.exercise
        return (
            f"**{ex.title}** (`{ex.key}`)\n\n{self.text}\n\n*Answer in {ex.unit or 'the units asked for'}; "
            f"the check accepts {_accepted(ex.tolerance.describe(ex.unit))}.*"
        )

    def __repr__(self) -> str:
        return f"{self.exercise.title} ({self.exercise.key})\n{self.text}"


def _accepted(tolerance: str) -> str:
    return "only the exact value" if tolerance == "exactly" else f"{tolerance} of the expected value"


def question(key: str, *, student=...) -> Question:
    """The question of exercise ``key`` with the current student's parameters filled in."""
    from eventsim.book.registry import _who

    return Question(get(key), _who(student))


__all__ = [
    "SEED",
    "check",
    "compare",
    "Comparison",
    "Choice",
    "Exercise",
    "Param",
    "Params",
    "Question",
    "Range",
    "Tolerance",
    "answer_key",
    "current_student",
    "exercises",
    "expected",
    "get",
    "keys",
    "params",
    "question",
    "student",
]
