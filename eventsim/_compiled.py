"""The compiled hot path: which modules may run as C extensions, and the guard that keeps edits live.

eventsim is pure Python. When the machine it is installed on has a C compiler, ``setup.py`` also
compiles the modules that every produce request, fetch and metrics fold goes through (``COMPILED``,
read from ``compiled_modules.txt`` next to this file, the one list that setup.py and the Makefile read
too) with Cython, *unchanged*: the same source, the same Python semantics (no type annotations are
used for typing), the same results bit for bit. The classes on the request path (``ProducerBatch``,
the accumulator's queues, ``Log``, ``Station``, ``Broker``, ``Sender``, ``KafkaConsumer``, ...) also
get C-level fields from an augmenting ``.pxd`` file next to their module: types only, the ``.py`` stays
the source of truth, and every field is ``cdef public`` so that it can be read and set from Python as
in the pure-Python build. Together that is about 1.5x the pure-Python speed (``benchmarks/README.md``).

A compiled module sits next to its source, so in an editable install it would hide later edits of
that source. And the compiled modules belong together: one that uses another's C-level fields reads
them at fixed offsets, so a mix of compiled and source modules would read garbage. The import finder
this module installs when imported (``eventsim/__init__.py`` imports it first) therefore decides once,
for all of ``COMPILED``, with :func:`decide`:

* every module has an extension built after its source (``.py``, ``.pxd`` or generated ``.c``) last
  changed: the extensions are used;
* ``EVENTSIM_PURE_PYTHON=1`` (for a debugger, a Python profiler, or comparing the two builds), or no
  module has an extension at all (a machine without a C compiler): every module loads from source,
  silently, so that the output (a notebook's, say) does not depend on the machine;
* otherwise the build is *stale* (a source edited since the build, or some extensions missing): every
  module loads from source and a :class:`CompiledBuildWarning` names the stale modules and the command
  that rebuilds them (``make``, or ``pip install -e .``).

The warning is a ``warnings`` warning rather than a log record because it concerns the installation,
not a run: with no configuration it reaches a notebook cell's output and the CLI's stderr, ``pytest``
lists it, and a user may silence or escalate it by its category. The decision is taken once per
process, so it is issued once.

Staleness by modification time applies to a source checkout (``pyproject.toml`` next to the package);
in an installed wheel the files' times say nothing about edits, so there only a missing extension
counts. :func:`compiled_modules` tells which modules run compiled.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = [
    "COMPILED",
    "PURE_PYTHON_ENV",
    "REBUILD_COMMAND",
    "CompiledBuildWarning",
    "compiled_modules",
    "cython_stand_in",
    "decide",
    "install",
    "read_module_list",
    "stale_modules",
    "use_extensions",
]

_PACKAGE_DIR = Path(__file__).resolve().parent


class _CythonStandIn:
    """What a compiled module's per-value loops use of ``cython`` when Cython is not installed (the module
    then runs as Python): ``compiled`` is False and the loops' directives do nothing. Compiled, Cython
    replaces ``import cython`` itself, so this is never used there."""

    compiled = False

    @staticmethod
    def boundscheck(flag: bool) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    wraparound = boundscheck


cython_stand_in = _CythonStandIn()
MODULE_LIST = _PACKAGE_DIR / "compiled_modules.txt"
PURE_PYTHON_ENV = "EVENTSIM_PURE_PYTHON"
REBUILD_COMMAND = "`make` (or `pip install -e .`)"


def read_module_list(text: str) -> tuple[str, ...]:
    """Module names from the text of ``compiled_modules.txt``: one per line, ``#`` starts a comment.

    setup.py applies the same rule (it does not import eventsim), and so does the Makefile.
    """
    names = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(name for name in names if name)


COMPILED = read_module_list(MODULE_LIST.read_text(encoding="utf-8"))


class CompiledBuildWarning(UserWarning):
    """The compiled build is stale, so eventsim runs as pure Python (same results, slower) until rebuilt."""


Times = tuple  # (source mtime or None, extension mtime or None)


def stale_modules(times: Mapping[str, Times]) -> list[str]:
    """The modules whose extension is missing or older than their source, given ``{name: (source
    mtime, extension mtime)}`` with ``None`` for a missing file.

    Empty when no module has an extension at all: nothing was built (no C compiler), which is not stale.
    """
    if all(extension is None for _, extension in times.values()):
        return []
    return [
        name
        for name, (source, extension) in times.items()
        if extension is None or (source is not None and source > extension)
    ]


def use_extensions(modules: Iterable[Times], pure_python: bool) -> bool:
    """Whether to load the compiled extensions: ``modules`` gives, for each module of ``COMPILED``,
    ``(source_mtime, extension_mtime)`` with ``None`` for a missing file.

    All or nothing: every module needs an extension at least as new as its source (a source edited
    since the build makes the extension stale), and pure Python must not have been asked for.
    """
    if pure_python:
        return False
    for source_mtime, extension_mtime in modules:
        if extension_mtime is None:
            return False
        if source_mtime is not None and source_mtime > extension_mtime:
            return False
    return True


def decide(times: Mapping[str, Times], pure_python: bool) -> tuple[bool, list[str]]:
    """``(use the extensions, the stale modules to warn about)`` for ``{name: (source, extension)}``.

    Pure Python asked for, or nothing built: ``(False, [])``, no warning. A stale build:
    ``(False, stale)``. Otherwise ``(True, [])``.
    """
    if pure_python:
        return False, []
    if use_extensions(times.values(), pure_python=False):
        return True, []
    return False, stale_modules(times)


def stale_message(times: Mapping[str, Times]) -> str:
    """The warning's text for the stale modules of ``times``."""
    stale = stale_modules(times)
    reasons = [
        f"{name} ({'not built' if times[name][1] is None else 'changed since built'})" for name in stale
    ]
    return (
        f"eventsim's compiled build is stale, so all {len(times)} compiled modules run as pure Python "
        f"(the same results, slower): {', '.join(reasons)}. Rebuild with {REBUILD_COMMAND}; "
        f"{PURE_PYTHON_ENV}=1 runs pure Python without this warning."
    )


def _newest(paths) -> float | None:
    times = [p.stat().st_mtime for p in paths if p.exists()]
    return max(times) if times else None


def _stem(name: str) -> Path:
    """The path of module ``name`` of this package, without suffix (``.../eventsim/log/log``)."""
    return _PACKAGE_DIR.joinpath(*name.split(".")[1:])


def _in_source_tree() -> bool:
    return (_PACKAGE_DIR.parent / "pyproject.toml").exists()


def _file_times(name: str, source_tree: bool = True) -> Times:
    """(source mtime, extension mtime) of module ``name`` of this package, None if missing.

    The source is the newest of the ``.py``, its ``.pxd`` and the ``.c`` Cython made of them: an
    extension older than any of them is stale (an edit, or a build that failed after translation).
    Outside a source checkout the source time is not used (``None``).
    """
    stem = _stem(name)
    extensions = [stem.parent / (stem.name + suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES]
    if not source_tree:
        return None, _newest(extensions)
    sources = [stem.with_suffix(suffix) for suffix in (".py", ".pxd", ".c")]
    return _newest(sources), _newest(extensions)


def build_times() -> dict[str, Times]:
    """``{module: (source mtime, extension mtime)}`` for every module of ``COMPILED``, as installed."""
    source_tree = _in_source_tree()
    return {name: _file_times(name, source_tree) for name in COMPILED}


class _FreshSourceFinder(importlib.abc.MetaPathFinder):
    """Loads every module of ``COMPILED`` from its ``.py`` source unless the extensions are to be used."""

    def __init__(self):
        self.compiled: bool | None = None  # decided once, when this module is imported
        self.stale: list[str] = []

    def decide(self) -> None:
        if self.compiled is not None:
            return
        times = build_times()
        self.compiled, self.stale = decide(times, os.environ.get(PURE_PYTHON_ENV) == "1")
        if self.stale:
            warnings.warn(stale_message(times), CompiledBuildWarning, stacklevel=2)

    def find_spec(self, fullname, path, target=None):
        if fullname not in COMPILED:
            return None
        self.decide()
        if self.compiled:
            return None  # the normal path finder: an extension takes precedence over its source
        source = _stem(fullname).with_suffix(".py")
        return importlib.util.spec_from_file_location(fullname, source) if source.exists() else None


_FINDER = _FreshSourceFinder()


def install() -> None:
    """Put the finder first on ``sys.meta_path`` and decide (idempotent; done when this is imported)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    _FINDER.decide()


install()  # eventsim/__init__.py imports this module first, before any module of COMPILED


def compiled_modules() -> list[str]:
    """The modules of ``COMPILED`` that are imported and running as compiled extensions."""
    out = []
    for name in COMPILED:
        module = sys.modules.get(name)
        spec = getattr(module, "__spec__", None)
        if spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            out.append(name)
    return out
