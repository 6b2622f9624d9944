"""Checking configuration values the way Kafka's ``ConfigDef`` does, with messages that teach.

What Kafka does (``clients/src/main/java/org/apache/kafka/common/config/ConfigDef.java``):
``ConfigDef.parseType`` coerces each property by its declared type. ``INT`` and ``LONG`` accept a Java
integer or a *string* holding one (trimmed, then ``Integer.parseInt`` / ``Long.parseLong``), so
``"5"`` is a valid ``linger.ms`` but ``5.0`` and ``true`` are not. ``BOOLEAN`` accepts a boolean or
the strings ``"true"`` / ``"false"`` in any case. ``STRING`` accepts a string and trims it. Then the
property's validator runs: ``Range.atLeast`` / ``Range.between`` or ``ValidString.in``. An unknown
property is only logged by Kafka ("supplied but isn't a known config"); eventsim rejects it with a
did-you-mean instead, because in a teaching model a typo that silently does nothing is worse.

Modelled here: those coercions and validators (:class:`Prop`), unknown and duplicated names with
:mod:`difflib` suggestions, and :class:`PropertyConfig`, the base of the frozen config dataclasses in
:mod:`eventsim.config` (``from_properties`` accepting ``linger.ms`` or ``linger_ms``, and
``to_properties``). Properties that Kafka resolves from *whether the user set them*
(``enable.idempotence``, ``delivery.timeout.ms``, ``enable.auto.commit``) default to ``None`` ("not
set") and are filled in by the config class; the filled-in values are remembered in ``_derived`` so
that ``dataclasses.replace`` re-derives them instead of treating them as explicit. A value passed
explicitly that equals the derived one is therefore treated as not set. Properties that the model
does not use yet are declared per class in ``_NOT_MODELLED_YET`` (field -> :class:`NotModelledYet`):
after Kafka's own rules, any value but the default (or, for a derived property, the derived value)
is one error that says it is not modelled yet and which capability will model it.

Also here: checks for eventsim's own scenario keys (``rate_per_s``, distribution parameters), which
are not Kafka properties and so require native YAML numbers rather than numeric strings.

Not modelled: Kafka's ``LIST``, ``CLASS``, ``PASSWORD``, ``SHORT`` and ``DOUBLE`` types (no modelled
property uses them), and ``ConfigDef``'s case-insensitive validators (all modelled values are
compared exactly, after trimming).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from eventsim.core.errors import InvalidConfigurationError

__all__ = [
    "set_field",
    "INT_MAX",
    "LONG_MAX",
    "MISSING",
    "NotModelledYet",
    "Prop",
    "PropertyConfig",
    "check_keys",
    "check_mapping",
    "check_number",
    "did_you_mean",
    "join_path",
]

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # Java int: Kafka's INT type
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1  # Java long: Kafka's LONG type
_INTEGER_TEXT = re.compile(r"[+-]?\d+")


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()
"""Stands for a required key that is absent; shown as ``<missing>`` in error messages."""


def set_field(obj: object, name: str, value: object) -> None:
    """Set a field of a frozen dataclass, as its ``__post_init__`` does with a validated value."""
    object.__setattr__(obj, name, value)


def join_path(path: str, name: str) -> str:
    """``join_path("producers[0]", "config")`` -> ``"producers[0].config"``; indexes attach directly."""
    if not path:
        return name
    return f"{path}{name}" if name.startswith("[") else f"{path}.{name}"


def did_you_mean(word: object, candidates: Iterable[str]) -> str:
    """``"; did you mean 'linger.ms'?"`` for the closest candidate, or ``""`` when none is close."""
    match = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def _canonical(name: str) -> str:
    return name.replace("_", ".")


def _type_name(value: object) -> str:
    return "boolean" if isinstance(value, bool) else type(value).__name__


@dataclass(frozen=True)
class Prop:
    """How one property is typed and ranged, as in Kafka's ``define(name, type, default, validator)``.

    kind: ``int`` (32-bit), ``long`` (64-bit), ``bool``, ``str``, ``choice`` (``ValidString.in``),
    ``acks`` (the producer's acks) or ``strs`` (a list of non-empty strings, stored as a tuple).
    """

    kind: str
    lo: int | None = None
    hi: int | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False

    def allowed(self) -> str:
        null = " or null" if self.nullable else ""
        if self.kind in ("int", "long"):
            if self.hi is not None:
                return f"integer in [{self.lo}, {self.hi}]{null}"
            return (f"integer >= {self.lo}" if self.lo is not None else f"{self.kind} integer") + null
        if self.kind == "bool":
            return "true or false" + null
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices) + null
        if self.kind == "acks":
            return "all, -1, 0 or 1"
        if self.kind == "strs":
            return "a list of non-empty strings" + null
        return "a string" + null

    def check(self, name: str, value: object) -> object:
        """The value coerced as Kafka would, or an :class:`InvalidConfigurationError`."""
        if value is None:
            if self.nullable:
                return None
            raise InvalidConfigurationError(name, value, self.allowed(), "a value is required")
        return getattr(self, "_check_" + self.kind)(name, value)

    def _fail(self, name: str, value: object, reason: str) -> InvalidConfigurationError:
        return InvalidConfigurationError(name, value, self.allowed(), reason)

    def _check_int(self, name: str, value: object, lo: int = INT_MIN, hi: int = INT_MAX) -> int:
        if isinstance(value, bool):
            raise self._fail(name, value, "expected an integer, got a boolean")
        if isinstance(value, numbers.Integral):
            number = int(value)
        elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
            number = int(value.strip())  # ConfigDef.parseType parses trimmed strings
        else:
            raise self._fail(name, value, f"expected an integer, got {_type_name(value)}")
        if not lo <= number <= hi:
            raise self._fail(name, value, f"does not fit Kafka's {'INT' if hi == INT_MAX else 'LONG'} type")
        if self.lo is not None and number < self.lo:
            raise self._fail(name, value, f"must be >= {self.lo}")
        if self.hi is not None and number > self.hi:
            raise self._fail(name, value, f"must be <= {self.hi}")
        return number

    def _check_long(self, name: str, value: object) -> int:
        return self._check_int(name, value, LONG_MIN, LONG_MAX)

    def _check_bool(self, name: str, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise self._fail(name, value, f"expected true or false, got {_type_name(value)}")

    def _check_str(self, name: str, value: object) -> str:
        if not isinstance(value, str):
            raise self._fail(name, value, f"expected a string, got {_type_name(value)}")
        return value.strip()

    def _check_choice(self, name: str, value: object) -> str:
        text = self._check_str(name, value)
        if text not in self.choices:
            raise self._fail(name, value, "not a supported value" + did_you_mean(text, self.choices))
        return text

    def _check_acks(self, name: str, value: object) -> str:
        # Kafka: define(ACKS_CONFIG, STRING, "all", in("all", "-1", "0", "1")); "-1" and "all" are the same.
        text = str(value).strip() if isinstance(value, (str, numbers.Integral)) else None
        if isinstance(value, bool) or text not in ("all", "-1", "0", "1"):
            raise self._fail(name, value, "acks is the number of acknowledgements the leader waits for")
        return "all" if text == "-1" else text

    def _check_strs(self, name: str, value: object) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise self._fail(name, value, f"expected a list, got {_type_name(value)}")
        items = tuple(value)
        if not all(isinstance(item, str) and item.strip() for item in items):
            raise self._fail(name, value, "every entry must be a non-empty string")
        return tuple(item.strip() for item in items)


def check_mapping(path: str, value: object, what: str) -> Mapping:
    """``value`` if it is a mapping, else an error saying a mapping of ``what`` was expected."""
    if not isinstance(value, Mapping):
        raise InvalidConfigurationError(
            path, value, f"a mapping of {what}", f"expected a mapping, got {_type_name(value)}"
        )
    return value


def check_keys(path: str, value: Mapping, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    """Reject unknown keys (with a did-you-mean) and report the first missing required key."""
    allowed = tuple(allowed)
    for key in value:
        if key not in allowed:
            raise InvalidConfigurationError(
                join_path(path, str(key)),
                value[key],
                "keys " + ", ".join(allowed),
                "unknown key" + did_you_mean(key, allowed),
            )
    for key in required:
        if key not in value:
            raise InvalidConfigurationError(
                join_path(path, key),
                MISSING,
                "keys " + ", ".join(allowed),
                f"required key {key!r} is missing",
            )


def check_number(
    path: str,
    value: object,
    *,
    lo: float | None = None,
    lo_open: bool = False,
    hi: float | None = None,
    integer: bool = False,
) -> float | int:
    """A native YAML/Python number within the bounds (eventsim's own keys, not Kafka properties)."""
    kind = "integer" if integer else "number"
    bounds = [
        f"{'>' if lo_open else '>='} {lo:g}" if lo is not None else "",
        f"<= {hi:g}" if hi is not None else "",
    ]
    allowed = " ".join([f"a finite {kind}", " and ".join(b for b in bounds if b)]).strip()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        reason = f"expected a {kind}, got {_type_name(value)}"
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[\d.]+[eE][+-]?\d+\s*", value):
            reason += " (YAML 1.1 reads exponent notation without a dot as text: write 1.0e+6 or 1000000)"
        raise InvalidConfigurationError(path, value, allowed, reason)
    if integer and not isinstance(value, numbers.Integral):
        raise InvalidConfigurationError(path, value, allowed, f"expected an integer, got {_type_name(value)}")
    if not math.isfinite(value):
        raise InvalidConfigurationError(path, value, allowed, "must be finite")
    if lo is not None and (value <= lo if lo_open else value < lo):
        raise InvalidConfigurationError(path, value, allowed, f"must be {bounds[0]}")
    if hi is not None and value > hi:
        raise InvalidConfigurationError(path, value, allowed, f"must be {bounds[1]}")
    return int(value) if integer else value


@dataclass(frozen=True)
class NotModelledYet:
    """A property that the model does not use yet, and the capability that will model it.

    ``what`` names the behaviour ("replication"), ``capability`` says what arrives with which
    capability ("followers, ISR, acks=all arrive with the replication capability"). ``allowed`` lists
    the values accepted meanwhile; empty means the field's default only (for a property that Kafka
    derives when it is not set, the derived value). The capability that models the property deletes
    its entry from the config class's ``_NOT_MODELLED_YET`` table.
    """

    what: str
    capability: str
    allowed: tuple = ()

    def reason(self) -> str:
        return f"{self.what} is not modelled yet ({self.capability})"


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


@dataclass(frozen=True)
class PropertyConfig:
    """Base of eventsim's frozen config dataclasses; fields are Kafka property names with ``.`` -> ``_``.

    Subclasses list their properties in ``_PROPS`` (field name -> :class:`Prop`) and may override
    ``_resolve`` for Kafka's cross-field rules, using ``_is_unset`` / ``_derive`` for properties
    whose value depends on whether the user set them. ``_NOT_MODELLED_YET`` (field name ->
    :class:`NotModelledYet`) lists the properties that the model does not use yet: any value but the
    default is refused, so nothing the schema accepts is silently ignored.
    """

    _derived: tuple = field(default=(), repr=False, compare=False, kw_only=True)

    _PROPS: ClassVar[dict[str, Prop]] = {}
    _ALIASES: ClassVar[tuple[str, ...]] = ()  # further accepted names, folded in by _fold_aliases
    _UNMODELLED: ClassVar[frozenset[str]] = frozenset()  # real Kafka properties eventsim does not model
    _NOT_MODELLED_YET: ClassVar[dict[str, NotModelledYet]] = {}  # accepted at their default only
    _KIND: ClassVar[str] = "Kafka"

    @staticmethod
    def dotted(name: str) -> str:
        """The Kafka property name of a field: ``linger_ms`` -> ``linger.ms``."""
        return name.replace("_", ".")

    def __post_init__(self) -> None:
        for name, prop in self._PROPS.items():
            value = getattr(self, name)
            checked = prop.check(self.dotted(name), value)
            if checked is not value:
                object.__setattr__(self, name, checked)
        derived: dict[str, object] = {}
        self._resolve(derived)  # Kafka's own rules first: a value Kafka refuses is refused as Kafka does
        object.__setattr__(self, "_derived", tuple(sorted(derived.items(), key=lambda kv: kv[0])))
        for name, pending in self._NOT_MODELLED_YET.items():
            self._refuse_unmodelled(name, pending)

    def _refuse_unmodelled(self, name: str, pending: NotModelledYet) -> None:
        """Refuse ``name`` unless it holds a value the model reproduces (its default, or ``allowed``)."""
        value = getattr(self, name)
        default = next(f.default for f in dataclasses.fields(self) if f.name == name)
        allowed = pending.allowed or (default,)
        if value in allowed:
            return
        if default is None and not pending.allowed:
            # Kafka derives this property when it is not set: accept it unset, or set to what it derives.
            if self._is_unset(name):
                return
            derived = getattr(dataclasses.replace(self, **{name: None}), name)
            if value == derived:
                return
            allowed = (derived,)
        raise InvalidConfigurationError(
            self.dotted(name), value, " or ".join(_show(a) for a in allowed), pending.reason()
        )

    def _resolve(self, derived: dict[str, object]) -> None:
        """Cross-field rules; the default has none."""

    def _is_unset(self, name: str) -> bool:
        value = getattr(self, name)
        previous = dict(self._derived)
        return value is None or (name in previous and previous[name] == value)

    def _derive(self, derived: dict[str, object], name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        derived[name] = value

    @classmethod
    def _normalise(
        cls, props: object, path: str, names: Iterable[str], extra: tuple[str, ...] = ()
    ) -> tuple[dict, dict]:
        """Map dotted or underscored keys to fields; returns (fields, values of aliases and ``extra``)."""
        props = check_mapping(path or cls.__name__, {} if props is None else props, f"{cls._KIND} properties")
        by_dotted = {_canonical(name): name for name in names}  # match dotted and underscored alike
        known = sorted([*(cls.dotted(name) for name in names), *cls._ALIASES, *extra])
        values: dict[str, object] = {}
        aliases: dict[str, object] = {}
        for key, value in props.items():
            dotted = _canonical(str(key).strip())
            if dotted in cls._ALIASES or dotted in extra:
                aliases[dotted] = value
                continue
            if dotted not in by_dotted:
                reason = (
                    f"{dotted} is a Kafka property that eventsim does not model"
                    if dotted in cls._UNMODELLED
                    else f"unknown {cls._KIND} property" + did_you_mean(key, known)
                )
                raise InvalidConfigurationError(
                    join_path(path, str(key)), value, "one of " + ", ".join(known), reason
                )
            name = by_dotted[dotted]
            if name in values:
                raise InvalidConfigurationError(
                    join_path(path, str(key)),
                    value,
                    "each property once",
                    f"{dotted} is given twice (dotted and underscored)",
                )
            values[name] = value
        return values, aliases

    @classmethod
    def _fold_aliases(cls, values: dict, aliases: dict) -> dict:
        """Turn alias properties (``log.retention.hours``) into fields; the default has none."""
        return values

    @classmethod
    def from_properties(cls, props: Mapping[str, object] | None, *, path: str = ""):
        """Build from Kafka properties, ``{"linger.ms": 5}`` or ``{"linger_ms": 5}``; errors name ``path``."""
        values, aliases = cls._normalise(props, path, cls._PROPS)
        try:
            return cls(**cls._fold_aliases(values, aliases))
        except InvalidConfigurationError as err:
            raise err.prefixed(path) from None

    def to_properties(self) -> dict[str, object]:
        """Effective values under their Kafka names; plain Python types (lists, not tuples)."""
        out = {}
        for name in self._PROPS:
            value = getattr(self, name)
            out[self.dotted(name)] = list(value) if isinstance(value, tuple) else value
        return out
