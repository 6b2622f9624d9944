"""Predict cells: the student commits to a number (or a choice) before a run, then compares.

A chapter's predict step stores the guess in a variable (``prediction = ...``); after the run,
``compare(prediction, actual, unit="ms", why="...")`` returns a :class:`Comparison` that a notebook
displays: what was predicted, what the run gave, how far off (in words and as a ratio), and why that
matters, in the chapter's own words. Unlike an exercise check, a comparison shows the actual value: the
run has just printed it.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from eventsim.book.registry import _fmt

__all__ = ["Comparison", "compare"]

# Verdicts by relative error |prediction - actual| / |actual|.
_BANDS = ((0.10, "spot on"), (0.25, "close"), (0.5, "the right ballpark"))


@dataclass(frozen=True)
class Comparison:
    prediction: object
    actual: object
    unit: str
    why: str
    status: str  # "missing", "exact", "spot on", "close", "the right ballpark", "off", "wrong" (choices)
    rel_error: float  # (prediction - actual) / |actual|; nan for choices, missing, or actual == 0

    @property
    def close(self) -> bool:
        """Within 25 % (numbers) or equal (choices)."""
        return self.status in ("exact", "spot on", "close")

    def _u(self, value) -> str:
        return f"{_fmt(value)}{(' ' + self.unit) if self.unit else ''}"

    def _lines(self) -> list[str]:
        if self.status == "missing":
            lines = [
                f"No prediction recorded. The run gave {self._u(self.actual)}. Next time, write your guess "
                f"in "
                "`prediction = ...` before you run the experiment: a number you committed to is what makes "
                "the result surprising, or not."
            ]
        elif isinstance(self.actual, str) or isinstance(self.actual, bool):
            verdict = "Right" if self.status == "exact" else "Not this time"
            lines = [
                f"{verdict}: you predicted {self._u(self.prediction)}; the run gave {self._u(self.actual)}."
            ]
        else:
            lines = [
                f"You predicted {self._u(self.prediction)}; the run gave {self._u(self.actual)}: "
                f"{self._off()}."
            ]
        if self.why:
            lines.append(f"Why it matters: {self.why}")
        return lines

    def _off(self) -> str:
        if self.status == "exact":
            return "exactly right"
        if math.isnan(self.rel_error):
            return "off" if self.prediction != self.actual else "exactly right"
        direction = "high" if self.rel_error > 0 else "low"
        ratio = abs(float(self.prediction) / float(self.actual)) if float(self.actual) else math.inf
        if self.status == "off":
            if float(self.prediction) * float(self.actual) < 0:
                return "the wrong sign"
            factor = ratio if ratio >= 1 else 1 / ratio if ratio else math.inf
            return f"off by a factor of {_fmt(round(factor, 1))} (too {direction})"
        return f"{self.status}, {abs(self.rel_error) * 100:.0f} % too {direction}"

    def __repr__(self) -> str:
        return "\n".join(self._lines())

    def _repr_markdown_(self) -> str:
        mark = {"missing": "✏️", "exact": "🎯", "spot on": "🎯", "close": "👍", "the right ballpark": "🤔"}
        return mark.get(self.status, "😮") + " " + "\n\n".join(self._lines())


def compare(prediction, actual, *, unit: str = "", why: str = "") -> Comparison:
    """Compare a prediction with the run's result; ``why`` says why the difference matters."""
    if hasattr(actual, "item") and getattr(actual, "size", 1) == 1:
        actual = actual.item()
    if hasattr(prediction, "item") and getattr(prediction, "size", 1) == 1:
        prediction = prediction.item()
    missing = (
        prediction is None or prediction is ... or (isinstance(prediction, float) and math.isnan(prediction))
    )
    if missing:
        return Comparison(prediction, actual, unit, why, "missing", math.nan)
    numeric = all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in (prediction, actual))
    if not numeric:
        same = str(prediction).strip().lower() == str(actual).strip().lower()
        return Comparison(prediction, actual, unit, why, "exact" if same else "wrong", math.nan)
    if prediction == actual:
        return Comparison(prediction, actual, unit, why, "exact", 0.0)
    if actual == 0:
        return Comparison(prediction, actual, unit, why, "off", math.nan)
    rel = (float(prediction) - float(actual)) / abs(float(actual))
    status = next((name for limit, name in _BANDS if abs(rel) <= limit), "off")
    return Comparison(prediction, actual, unit, why, status, rel)
