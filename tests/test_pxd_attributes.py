"""Public attributes behave the same in both builds (ARCHITECTURE.md section 2).

Every field a ``.pxd`` declares on a compiled class must be readable and settable from Python, in the
compiled build as in pure Python: a teacher's notebook or a test may set a broker's state or a batch's
fields. A ``cdef`` field without ``public`` is invisible from Python in the compiled build, and a
``readonly`` one cannot be set, so every field is declared ``cdef public``.

The test parses the ``.pxd`` files, so a field or class added later is covered without editing it. In a
fresh interpreter per build (``EVENTSIM_PURE_PYTHON=1`` and not), it builds a small run
(``eventsim.runner.build``), advances it until an instance of every ``.pxd`` class exists, sets each
declared field to a value of its type, reads it back, restores it, and checks that the run then
finishes and delivers records. This file is also the child's script (``python test_pxd_attributes.py``).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = REPO_ROOT / "eventsim"
PURE_PYTHON_ENV = "EVENTSIM_PURE_PYTHON"

_CLASS = re.compile(r"^cdef\s+class\s+(\w+)")
# "    cdef public long long base_offset" / "    cdef readonly object a, b  # comment"
_FIELD = re.compile(
    r"^\s+cdef\s+(?:(?P<visibility>public|readonly)\s+)?(?P<type>[\w .]+?)\s+"
    r"(?P<names>\w+(?:\s*,\s*\w+)*)\s*(?:#.*)?$"
)


def pxd_fields(path: Path) -> dict[str, list[tuple[str, str, str]]]:
    """``{class: [(name, type, visibility), ...]}`` of the ``cdef`` fields declared in a ``.pxd``.

    Visibility is ``"public"``, ``"readonly"`` or ``""`` (private). Methods (``cpdef``/``cdef`` with
    parentheses) and decorators are not fields.
    """
    classes: dict[str, list[tuple[str, str, str]]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _CLASS.match(line)
        if match:
            current = match.group(1)
            classes[current] = []
            continue
        if line.strip() and not line[0].isspace():
            current = None  # a top-level statement ends the class body
            continue
        if current is None or "(" in line:
            continue
        field = _FIELD.match(line)
        if field:
            for name in re.split(r"\s*,\s*", field.group("names")):
                classes[current].append((name, field.group("type"), field.group("visibility") or ""))
    return classes


def all_pxd_fields() -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """``{(module, class): fields}`` for every ``.pxd`` of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.pxd")):
        module = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
        for cls, fields in pxd_fields(path).items():
            out[(module, cls)] = fields
    return out


def test_pxd_parser(tmp_path):
    text = (
        "cimport cython\n\ncdef class A:\n    cdef public long long x\n    cdef readonly object y, z  # c\n"
        "    cdef double _w\n\n    @cython.locals(i=Py_ssize_t)\n    cpdef long long f(self, double t)\n"
        "\n\ncdef class B:\n    cdef public Station s\n"
    )
    pxd = tmp_path / "m.pxd"
    pxd.write_text(text)
    assert pxd_fields(pxd) == {
        "A": [
            ("x", "long long", "public"),
            ("y", "object", "readonly"),
            ("z", "object", "readonly"),
            ("_w", "double", ""),
        ],
        "B": [("s", "Station", "public")],
    }


def test_every_pxd_field_is_public():
    fields = all_pxd_fields()
    assert fields, "no .pxd file found"
    hidden = [
        f"{module}.{cls}.{name} ({visibility or 'private'})"
        for (module, cls), declared in fields.items()
        for name, _, visibility in declared
        if visibility != "public"
    ]
    assert not hidden, (
        "fields not readable and settable from Python in the compiled build (declare them "
        f"`cdef public`): {', '.join(hidden)}"
    )


# --- the child: runs in a fresh interpreter, in one build --------------------------------------------

_SCENARIO = {
    "name": "pxd-attributes",
    "horizon_ms": 3000,
    "cluster": {"brokers": 2, "hardware": "laptop"},
    "topics": [
        {"name": "events", "partitions": 4, "replication.factor": 2, "config": {"segment.bytes": 1048576}}
    ],
    "producers": [
        {
            "name": "app",
            "topic": "events",
            "rate_per_s": 5000,
            "value_bytes": 200,
            "keys": {"distribution": "uniform", "count": 100},
            "config": {"linger.ms": 2},
        }
    ],
    "consumers": [{"name": "reader", "topic": "events", "count": 2}],
}

_INT_TYPES = {
    "int",
    "long",
    "long long",
    "short",
    "Py_ssize_t",
    "Py_hash_t",
    "size_t",
    "unsigned int",
    "unsigned long",
    "unsigned long long",
    "int32_t",
    "int64_t",
    "uint32_t",
    "uint64_t",
}
_FLOAT_TYPES = {"double", "float"}
_BUILTINS = {"str": str, "list": list, "dict": dict, "set": set, "tuple": tuple, "bytes": bytes}


def _value_of_type(ctype: str, current, instances: dict[str, object]):
    """A value of the declared C type, different from ``current`` where the type allows."""
    if ctype in _INT_TYPES:
        return (current + 1) if isinstance(current, int) and not isinstance(current, bool) else 7
    if ctype in _FLOAT_TYPES:
        return (current + 0.5) if isinstance(current, float) else 2.5
    if ctype == "bint":
        return not current
    if ctype in _BUILTINS:
        return {"str": "set-by-test", "list": [], "dict": {}, "set": set(), "tuple": (), "bytes": b""}[ctype]
    if ctype == "object":
        return object()
    # An extension type declared in a .pxd (Station, Host, Log, ...): another value of that class if the
    # run has one, else the current value, else None (which Cython accepts for a typed object field).
    if current is not None:
        return current
    return instances.get(ctype)


def _find_instances(classes: dict[str, type], found: dict[str, object]) -> None:
    wanted = set(classes.values())

    def note(obj) -> None:
        # An instance of a class counts for every declared class it is (a base class's fields too).
        for cls in type(obj).__mro__:
            if cls in wanted and cls.__name__ not in found:
                found[cls.__name__] = obj

    for obj in gc.get_objects():
        kind = type(obj)
        note(obj)
        # Objects of a compiled class with only C fields are not tracked by gc: look in the attributes
        # of the package's Python objects (the cluster's ``network``, say).
        module = kind.__dict__.get("__module__")
        attributes = getattr(obj, "__dict__", None)
        if isinstance(module, str) and module.startswith("eventsim") and isinstance(attributes, dict):
            for value in attributes.values():
                note(value)
    # ... and in the attributes and dicts of the objects found (a partition's follower states, a fetcher's
    # limits): a dict of such objects is not tracked by gc either.
    for obj in list(found.values()):
        for name in dir(type(obj)):
            value = getattr(obj, name, None) if not name.startswith("__") else None
            items = value.values() if isinstance(value, dict) else (value,)
            for item in items:
                note(item)


def child() -> None:
    import eventsim
    from eventsim.runner import build

    declared = all_pxd_fields()
    classes = {}
    for module, cls in declared:
        classes[cls] = getattr(importlib.import_module(module), cls)
    run = build(_SCENARIO, seed=3)
    run.start()
    env = run.env
    found: dict[str, object] = {}
    t = 0.0
    while len(found) < len(classes) and t < run.horizon_ms / 2:
        t += 25.0
        env.run(until=t)
        _find_instances(classes, found)
    for cls in sorted(set(classes) - set(found)):
        # A class this build's run does not make (the compiled kernel's heap of numbers: running as Python
        # the kernel keeps a list) is checked on an instance of its own, when it needs no arguments.
        try:
            found[cls] = classes[cls]()
        except TypeError:
            pass
    missing = sorted(set(classes) - set(found))
    checked, failures = [], []
    for (_module, cls), fields in declared.items():
        obj = found.get(cls)
        if obj is None:
            continue
        for name, ctype, _ in fields:
            label = f"{cls}.{name}"
            try:
                original = getattr(obj, name)
            except AttributeError as exc:
                failures.append(f"{label}: cannot be read ({exc})")
                continue
            value = _value_of_type(ctype, original, found)
            try:
                setattr(obj, name, value)
                back = getattr(obj, name)
            except (AttributeError, TypeError) as exc:
                failures.append(f"{label}: cannot be set to a {ctype} ({type(exc).__name__}: {exc})")
                continue
            finally:
                try:
                    setattr(obj, name, original)
                except (AttributeError, TypeError):
                    pass
            numeric = ctype in _INT_TYPES | _FLOAT_TYPES | {"bint"}
            if not (back == value if numeric else back is value):
                failures.append(f"{label}: set {value!r}, read back {back!r}")
            now = getattr(obj, name)
            if not (now == original if numeric else now is original):
                failures.append(f"{label}: not restored")
            checked.append(label)
    env.run(until=run.horizon_ms)
    result = {
        "compiled": eventsim.compiled_modules(),
        "checked": checked,
        "missing": missing,
        "failures": failures,
        "log_end_offsets": sum(
            log.log_end_offset for broker in run.cluster.brokers for log in broker.logs.values()
        ),
        "now": env.now,
    }
    print("RESULT " + json.dumps(result))


def _run_child(pure: bool) -> dict:
    env = dict(os.environ)
    env.pop(PURE_PYTHON_ENV, None)
    if pure:
        env[PURE_PYTHON_ENV] = "1"
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve())], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-4000:]
    line = [row for row in out.stdout.splitlines() if row.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


@pytest.mark.parametrize("pure", [True, False], ids=["pure-python", "compiled-if-built"])
def test_every_pxd_field_reads_and_sets_in_both_builds(pure):
    result = _run_child(pure)
    if pure:
        assert result["compiled"] == []
    declared = all_pxd_fields()
    assert not result["missing"], (
        f"no instance of {result['missing']} in the test's run: extend _SCENARIO so that they occur"
    )
    assert not result["failures"], "\n".join(result["failures"])
    assert len(result["checked"]) == sum(len(fields) for fields in declared.values())
    # The run goes on after the fields were set and restored: it reaches the horizon with records logged.
    assert result["now"] == _SCENARIO["horizon_ms"]
    assert result["log_end_offsets"] > 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))  # the eventsim whose .pxd files were parsed
    child()
