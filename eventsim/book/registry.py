"""The exercise registry: every auto-checked exercise of the book, keyed by concept.

An :class:`Exercise` has a stable key (``"producers.linger-latency"``), the chapter it belongs to today,
its parameters with the values the solution notebook uses and the ranges a student's variant is drawn
from, a solver that computes the expected answer from those parameters, a stated tolerance and a hint.
Keys name the concept, never a chapter number, so they survive renumbering.

Per-student variants: each parameter with a range is drawn from SHA-256 of (student id, exercise key,
parameter name). The derivation uses only ``hashlib``, so it is the same on every machine, Python and
numpy version; each parameter has its own draw, so adding a parameter to an exercise does not change
the others. When an exercise has a ``constraint`` (say, a partition count that is not a multiple of the
broker count), all its parameters are drawn again with the next attempt number until it holds. With no
student set, :func:`params` returns the defaults, so the solution notebooks are unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "Range",
    "Choice",
    "Param",
    "Tolerance",
    "Exercise",
    "Params",
    "register",
    "exercises",
    "get",
    "keys",
    "student",
    "current_student",
    "params",
    "expected",
    "answer_key",
]

SEED = 17
"""The seed every chapter uses (``SEED = 17`` in its setup cell); simulation solvers run with it."""

_EXERCISE_MODULES = (
    "events", "queueing", "topics", "producers", "keys", "replication", "controllers", "failover",
    "calibration",
)
_MAX_ATTEMPTS = 1000


@dataclass(frozen=True)
class Range:
    """Values ``lo, lo + step, ..., hi`` (both ends included); whole numbers stay ``int``."""

    lo: float
    hi: float
    step: float = 1

    def values(self) -> tuple:
        if self.step <= 0 or self.hi < self.lo:
            raise ValueError(f"bad range {self.lo}..{self.hi} step {self.step}")
        lo, hi, step = (Decimal(str(x)) for x in (self.lo, self.hi, self.step))
        count = int((hi - lo) / step) + 1
        as_int = all(float(x).is_integer() for x in (self.lo, self.step))
        return tuple(int(lo + k * step) if as_int else float(lo + k * step) for k in range(count))

    def __str__(self) -> str:
        return f"{self.lo:g} to {self.hi:g} in steps of {self.step:g}"


@dataclass(frozen=True)
class Choice:
    """One of a fixed list of values (codecs, settings)."""

    options: tuple

    def values(self) -> tuple:
        return tuple(self.options)

    def __str__(self) -> str:
        return "one of " + ", ".join(str(o) for o in self.options)


@dataclass(frozen=True)
class Param:
    """A parameter: the solution notebook's value, and the range student variants are drawn from."""

    default: object
    vary: Range | Choice | None = None  # None: the same for every student
    unit: str = ""
    doc: str = ""


@dataclass(frozen=True)
class Tolerance:
    """An answer passes when ``|answer - expected| <= max(abs, rel * |expected|)``."""

    abs: float = 0.0
    rel: float = 0.0

    def allowed(self, expected: float) -> float:
        return max(self.abs, self.rel * abs(expected))

    def accepts(self, value: float, expected: float) -> bool:
        return abs(value - expected) <= self.allowed(expected) * (1 + 1e-12) + 1e-12

    def describe(self, unit: str = "") -> str:
        parts = []
        if self.rel:
            parts.append(f"{self.rel * 100:g} %")
        if self.abs:
            parts.append(f"{self.abs:g}{(' ' + unit) if unit else ''}")
        if not parts:
            return "exactly"
        return "within " + " or ".join(parts) + (" (whichever is larger)" if len(parts) > 1 else "")


class Params(dict):
    """One exercise's parameters for one student: a dict that also reads as attributes (``p.linger_ms``)."""

    def __init__(self, values: Mapping, *, key: str = "", student: str | None = None, units=None):
        super().__init__(values)
        self.key = key
        self.student = student
        self.units = dict(units or {})

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"exercise {self.key!r} has no parameter {name!r}; it has: {', '.join(self)}"
            ) from None

    def frozen(self) -> tuple:
        return tuple(sorted(self.items()))

    def _repr_markdown_(self) -> str:
        who = f" for student `{self.student}`" if self.student else " (the book's values)"
        rows = [f"Parameters of `{self.key}`{who}:", "", "| parameter | value |", "|---|---|"]
        for name, value in self.items():
            unit = self.units.get(name, "")
            rows.append(f"| `{name}` | {_fmt(value)}{(' ' + unit) if unit else ''} |")
        return "\n".join(rows)


@dataclass(frozen=True)
class Exercise:
    """One auto-checked exercise. ``solve(params) -> expected answer`` must be deterministic and fast."""

    key: str
    title: str
    chapter: (
        str  # the notebook it belongs to today, e.g. "04_producer_batching" (keys never depend on it)
    )
    source: str  # where in the chapter: "Exercise 2", "section 4 check", or "new exercise"
    question: str  # Markdown; {name} is the student's value for prose (6,000), {name_raw} for code (6000)
    params: Mapping[str, Param]
    solve: Callable[[Params], float]
    tolerance: Tolerance
    hint: str
    unit: str = ""
    solver: str = "closed form"  # or "simulation"
    answer: str = "number"  # "number" or "integer"
    constraint: Callable[[Params], bool] | None = field(default=None, compare=False)

    def defaults(self) -> Params:
        return self._params({name: p.default for name, p in self.params.items()}, None)

    def _params(self, values: Mapping, who: str | None) -> Params:
        return Params(values, key=self.key, student=who, units={n: p.unit for n, p in self.params.items()})

    def params_for(self, who: str | None) -> Params:
        """The defaults when ``who`` is None, else that student's variant."""
        if who is None:
            return self.defaults()
        for attempt in range(_MAX_ATTEMPTS):
            values = {
                name: (
                    _draw(p.vary.values(), who, self.key, name, attempt) if p.vary is not None else p.default
                )
                for name, p in self.params.items()
            }
            candidate = self._params(values, who)
            if self.constraint is None or self.constraint(candidate):
                return candidate
        raise RuntimeError(f"{self.key}: no parameters satisfy the constraint after {_MAX_ATTEMPTS} draws")

    def expected(self, who: str | None = None) -> float:
        return _solve(self.key, self.params_for(who).frozen())

    def varies(self) -> bool:
        return any(p.vary is not None for p in self.params.values())

    def question_text(self, who: str | None = None) -> str:
        p = self.params_for(who)
        fields = {f"{name}_raw": value for name, value in p.items()}  # for code: 6000, not 6,000
        fields.update({name: _fmt(value) for name, value in p.items()})
        return self.question.format(**fields)


def _draw(options: Sequence, who: str, key: str, name: str, attempt: int):
    text = f"eventsim.book|{who}|{key}|{name}|{attempt}".encode()
    index = int.from_bytes(hashlib.sha256(text).digest()[:8], "big") % len(options)
    return options[index]


def _fmt(value) -> str:
    """A number as a reader wants it: 20,000 · 0.373 · 1.2; anything else as str."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    digits = max(0, 2 - int(math.floor(math.log10(abs(value)))))
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"


# --- the registry -------------------------------------------------------------------------------------

_REGISTRY: dict[str, Exercise] = {}
_loaded = False


def register(*items: Exercise) -> None:
    """Add exercises; a key may be registered once."""
    for item in items:
        if item.key in _REGISTRY and _REGISTRY[item.key] is not item:
            raise ValueError(f"exercise key {item.key!r} is registered twice")
        for name, param in item.params.items():
            if not name.isidentifier():
                raise ValueError(f"{item.key}: parameter name {name!r} is not an identifier")
            if param.vary is not None and not param.vary.values():
                raise ValueError(f"{item.key}: parameter {name!r} has an empty range")
        _REGISTRY[item.key] = item


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in _EXERCISE_MODULES:
            importlib.import_module(f"eventsim.book.exercises.{module}")
        _loaded = True


def exercises() -> list[Exercise]:
    """Every registered exercise, in book order (chapter, then registration order)."""
    _load()
    order = {key: i for i, key in enumerate(_REGISTRY)}
    return sorted(_REGISTRY.values(), key=lambda e: (e.chapter, order[e.key]))


def keys() -> list[str]:
    return [e.key for e in exercises()]


def get(key: str) -> Exercise:
    _load()
    try:
        return _REGISTRY[key]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(key, list(_REGISTRY), n=3)
        also = f"; did you mean {', '.join(repr(k) for k in close)}?" if close else ""
        raise KeyError(f"no exercise {key!r}{also}") from None


@functools.lru_cache(maxsize=512)
def _solve(key: str, frozen: tuple) -> float:
    exercise = get(key)
    return exercise.solve(exercise._params(dict(frozen), None))


# --- the current student ------------------------------------------------------------------------------

_student: str | None = None


def _checked_id(who) -> str | None:
    if who is None:
        return None
    if not isinstance(who, str) or not who.strip() or any(c in who for c in "\r\n\t"):
        raise ValueError(f"a student id is a non-empty one-line string, not {who!r}")
    return who.strip()


def student(who: str | None) -> None:
    """Set the student whose exercise numbers :func:`params` and ``check.exercise`` use (None: the book's)."""
    global _student
    _student = _checked_id(who)


def current_student() -> str | None:
    return _student


def _who(who):
    return _student if who is ... else _checked_id(who)


def params(key: str, *, student=...) -> Params:
    """This student's parameters for exercise ``key`` (the book's values when no student is set)."""
    return get(key).params_for(_who(student))


def expected(key: str, *, student=...) -> float:
    """The expected answer for this student (what the checker compares with; for instructors and tests)."""
    return get(key).expected(_who(student))


def answer_key(students: Iterable[str], exercise_keys: Iterable[str] | None = None) -> list[dict]:
    """One row per student and exercise: parameters, expected value and tolerance (the instructor's key)."""
    chosen = [get(k) for k in exercise_keys] if exercise_keys is not None else exercises()
    rows = []
    for who in students:
        who = _checked_id(who)
        for exercise in chosen:
            p = exercise.params_for(who)
            rows.append(
                {
                    "student": who,
                    "exercise": exercise.key,
                    "chapter": exercise.chapter,
                    "title": exercise.title,
                    "parameters": "; ".join(f"{name}={value}" for name, value in p.items()),
                    "expected": exercise.expected(who),
                    "unit": exercise.unit,
                    "tolerance": exercise.tolerance.describe(exercise.unit),
                }
            )
    return rows
