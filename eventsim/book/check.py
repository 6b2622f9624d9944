"""Checking a student's answer: ``check.exercise("producers.linger-latency", answer)``.

The checker recomputes the expected value for the current student (:func:`eventsim.book.student`) from
the exercise's solver, compares it with the stated tolerance, and returns a :class:`CheckResult` that a
notebook displays: correct, or how far off and in which direction, with the exercise's hint.

A wrong answer's display never shows the expected value, nor an error precise enough to work it out
from: it says "about 20 % too high", "about 3x too low", "close, just outside the tolerance". The
expected value is on the result object (``result.expected``) for graders and tests.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from eventsim.book.registry import _fmt, _who, get

__all__ = ["CheckResult", "exercise"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check. ``bool(result)`` is ``result.correct``."""

    key: str
    title: str
    student: str | None
    value: object
    expected: float
    correct: bool
    status: str  # "correct", "wrong" or "missing" (no answer given yet)
    abs_error: float  # answer - expected (nan when missing)
    rel_error: float  # (answer - expected) / |expected| (nan when missing or expected == 0)
    tolerance: str
    hint: str
    unit: str = ""

    def __bool__(self) -> bool:
        return self.correct

    @property
    def feedback(self) -> str:
        """How far off, in words, without giving the expected value away."""
        if self.status == "missing":
            return "No answer yet: replace `...` with your value and run the cell again."
        if self.correct:
            if self.tolerance == "exactly":
                return f"Correct: {_fmt(self.value)}{self._unit} is exactly the expected value."
            return f"Correct: {_fmt(self.value)}{self._unit} is {self.tolerance} of the expected value."
        return f"Not yet: your answer {_fmt(self.value)}{self._unit} is {_how_far(self)}."

    @property
    def _unit(self) -> str:
        return f" {self.unit}" if self.unit else ""

    def _lines(self) -> list[str]:
        lines = [self.feedback]
        if self.status == "wrong":
            exact = self.tolerance == "exactly"
            accepted = "only the exact value" if exact else f"answers {self.tolerance} of it"
            lines.append(f"The check accepts {accepted}.")
            if self.hint:
                lines.append(f"Hint: {self.hint}")
        return lines

    def __repr__(self) -> str:
        mark = {"correct": "PASS", "wrong": "FAIL", "missing": "TODO"}[self.status]
        return f"[{mark}] {self.key}: {self.title}\n" + "\n".join(self._lines())

    def _repr_markdown_(self) -> str:
        mark = {"correct": "✅", "wrong": "❌", "missing": "✏️"}[self.status]
        return f"{mark} **{self.title}** (`{self.key}`)\n\n" + "\n\n".join(self._lines())


def _how_far(result: CheckResult) -> str:
    expected, value = result.expected, float(result.value)
    if expected == 0 or math.isnan(result.rel_error):
        return "too high" if value > expected else "too low"
    if value * expected < 0:
        return "of the wrong sign"
    direction = "high" if value > expected else "low"
    ratio = abs(value / expected)
    factor = ratio if ratio >= 1 else 1 / ratio
    for units in (1000, 60, 1024, 100):  # ms vs s, s vs min, KiB vs bytes, percent vs fraction
        if abs(factor / units - 1) < 0.15:
            return f"about {units}x too {direction}: check the units"
    if factor >= 2:
        return f"about {_fmt(round(factor, 1) if factor < 10 else round(factor))}x too {direction}"
    percent = abs(result.rel_error) * 100
    accepted = get(result.key).tolerance.allowed(expected) / abs(expected) * 100
    if percent <= 2 * accepted:
        return f"close, but just outside the tolerance (too {direction})"
    for band in (5, 10, 25, 50, 100):
        if percent <= band:
            return f"up to {band} % too {direction}"
    return f"too {direction}"


def _missing(value) -> bool:
    return value is None or value is ... or (isinstance(value, float) and math.isnan(value))


def exercise(key: str, value, *, student=...) -> CheckResult:
    """Check ``value`` against exercise ``key`` for the current student (or ``student=``)."""
    ex = get(key)
    who = _who(student)
    expected = float(ex.expected(who))
    tol = ex.tolerance.describe(ex.unit)
    common = dict(
        key=key, title=ex.title, student=who, expected=expected, tolerance=tol, hint=ex.hint, unit=ex.unit
    )
    if _missing(value):
        return CheckResult(
            value=value, correct=False, status="missing", abs_error=math.nan, rel_error=math.nan, **common
        )
    if hasattr(value, "item") and getattr(value, "size", 1) == 1:  # numpy scalars and 1-element arrays
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{key}: the answer is a number, not {type(value).__name__} ({value!r})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{key}: the answer must be a finite number, not {value}")
    abs_error = value - expected
    rel_error = abs_error / abs(expected) if expected else math.nan
    correct = ex.tolerance.accepts(value, expected)
    if ex.answer == "integer" and not value.is_integer():
        correct = False
    return CheckResult(
        value=value,
        correct=correct,
        status="correct" if correct else "wrong",
        abs_error=abs_error,
        rel_error=rel_error,
        **common,
    )
