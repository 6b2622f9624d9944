"""The compiled hot path: which modules may run as C extensions, and the guard that keeps edits live.

eventsim is pure Python. When the machine it is installed on has a C compiler, ``setup.py`` also
compiles the modules that every produce request, fetch and metrics fold goes through (``COMPILED``)
with Cython, *unchanged*: the same source, the same Python semantics (no type annotations are used
for typing), the same results bit for bit. The classes on the request path (``ProducerBatch``, the
accumulator's queues, ``Log``, ``Station``, ``Broker``, ``Sender``, ``KafkaConsumer``, ...) also get
C-level fields from an augmenting ``.pxd`` file next to their module: types only, the ``.py`` stays
the source of truth. Together that is about 1.6x the pure-Python speed (``benchmarks/README.md``).
Without a compiler the install still succeeds and those modules run as Python; nothing else differs.

A compiled module sits next to its source, so in an editable install it would hide later edits of
that source. And the compiled modules belong together: one that uses another's C-level fields reads
them at fixed offsets, so a mix of compiled and source modules would read garbage. The import finder
this module installs when imported (``eventsim/__init__.py`` imports it first) therefore decides once,
for all of ``COMPILED``: the extensions are used only if every module has one built after its source
(``.py``, ``.pxd`` or generated ``.c``) was last changed, and the environment variable
``EVENTSIM_PURE_PYTHON`` is not ``1`` (for debugging, profiling with Python tools, or comparing the
two); otherwise every module loads from source. ``make`` rebuilds the extensions when a source
changes. :func:`compiled_modules` tells which modules run compiled.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

__all__ = ["COMPILED", "PURE_PYTHON_ENV", "compiled_modules", "install", "use_extensions"]

# The request path (kernel, stations and wire, producer, broker, log, consumer) and what runs with it on
# every chunk of records and every metrics fold (workload draws, partitioner, recorder, histograms,
# windows). setup.py reads this tuple (without importing eventsim) to know what to compile.
COMPILED = (
    "eventsim.core.environment",
    "eventsim.core.stations",
    "eventsim.network",
    "eventsim.producer.producer",
    "eventsim.producer.producer_batch",
    "eventsim.producer.record_accumulator",
    "eventsim.producer.sender",
    "eventsim.broker.broker",
    "eventsim.broker.purgatory",
    "eventsim.log.log",
    "eventsim.consumer.consumer",
    "eventsim.metrics.recorder",
    "eventsim.metrics.histogram",
    "eventsim.metrics.windowed_histogram",
    "eventsim.metrics.timeseries",
    "eventsim.workload.keys",
    "eventsim.workload.distributions",
    "eventsim.producer.partitioner",
    "eventsim.runner",
    "eventsim.cluster",
)

PURE_PYTHON_ENV = "EVENTSIM_PURE_PYTHON"


def use_extensions(modules, pure_python: bool) -> bool:
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


def _newest(paths) -> float | None:
    times = [p.stat().st_mtime for p in paths if p.exists()]
    return max(times) if times else None


def _stem(name: str) -> Path:
    """The path of module ``name`` of this package, without suffix (``.../eventsim/log/log``)."""
    return Path(__file__).resolve().parent.joinpath(*name.split(".")[1:])


def _file_times(name: str) -> tuple[float | None, float | None]:
    """(source mtime, extension mtime) of module ``name`` of this package, None if missing.

    The source is the newest of the ``.py``, its ``.pxd`` and the ``.c`` Cython made of them: an
    extension older than any of them is stale (an edit, or a build that failed after translation).
    """
    stem = _stem(name)
    sources = [stem.with_suffix(suffix) for suffix in (".py", ".pxd", ".c")]
    extensions = [stem.parent / (stem.name + suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES]
    return _newest(sources), _newest(extensions)


class _FreshSourceFinder(importlib.abc.MetaPathFinder):
    """Loads every module of ``COMPILED`` from its ``.py`` source unless the extensions are to be used."""

    def __init__(self):
        self.compiled: bool | None = None  # decided at the first import of a module of COMPILED

    def find_spec(self, fullname, path, target=None):
        if fullname not in COMPILED:
            return None
        if self.compiled is None:
            pure = os.environ.get(PURE_PYTHON_ENV) == "1"
            self.compiled = use_extensions([_file_times(name) for name in COMPILED], pure)
        if self.compiled:
            return None  # the normal path finder: an extension takes precedence over its source
        source = _stem(fullname).with_suffix(".py")
        return importlib.util.spec_from_file_location(fullname, source) if source.exists() else None


_FINDER = _FreshSourceFinder()


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (idempotent; done when this module is imported)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


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
