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
that source. The import finder this module installs when imported (``eventsim/__init__.py`` imports
it first) therefore loads the ``.py`` file whenever it is newer than the extension, and always when
the environment variable ``EVENTSIM_PURE_PYTHON`` is ``1`` (for debugging, profiling with Python
tools, or comparing the two). ``make`` rebuilds the extensions when a source changes.
:func:`compiled_modules` tells which modules run compiled.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

__all__ = ["COMPILED", "PURE_PYTHON_ENV", "compiled_modules", "install", "prefer_source"]

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


def prefer_source(source_mtime: float | None, extension_mtime: float, pure_python: bool) -> bool:
    """Whether to load a module's ``.py`` rather than its compiled extension.

    The source wins when pure Python is asked for, or when it was modified after the extension was
    built (the extension is stale); an extension without its source is used as it is.
    """
    if pure_python:
        return source_mtime is not None
    return source_mtime is not None and source_mtime > extension_mtime


class _FreshSourceFinder(importlib.abc.MetaPathFinder):
    """Finds the modules of ``COMPILED``: the extension if it is current, else the ``.py`` source."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in COMPILED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            return spec
        extension = Path(spec.origin)
        source = extension.with_name(fullname.rpartition(".")[2] + ".py")
        source_mtime = source.stat().st_mtime if source.exists() else None
        pure = os.environ.get(PURE_PYTHON_ENV) == "1"
        if prefer_source(source_mtime, extension.stat().st_mtime, pure):
            return importlib.util.spec_from_file_location(fullname, source)
        return spec


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
