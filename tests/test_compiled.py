"""The optional compiled request path (eventsim/_compiled.py, setup.py): same results, edits stay live."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import eventsim
from eventsim._compiled import COMPILED, PURE_PYTHON_ENV, compiled_modules, prefer_source


@pytest.mark.parametrize(
    ("source_mtime", "extension_mtime", "pure", "expected"),
    [
        (100.0, 200.0, False, False),  # extension built after the last edit: use it
        (300.0, 200.0, False, True),  # source edited since the build: the extension is stale
        (200.0, 200.0, False, False),
        (100.0, 200.0, True, True),  # EVENTSIM_PURE_PYTHON=1: always the source
        (None, 200.0, False, False),  # no source next to the extension: nothing else to load
        (None, 200.0, True, False),
    ],
)
def test_prefer_source_rule(source_mtime, extension_mtime, pure, expected):
    assert prefer_source(source_mtime, extension_mtime, pure) is expected


def test_compiled_modules_are_a_subset_of_the_request_path():
    eventsim.simulate("quickstart", horizon_ms=200, progress=False)
    running = compiled_modules()
    assert set(running) <= set(COMPILED)
    for name in running:  # a compiled module is an extension module, not a .py file
        assert not sys.modules[name].__file__.endswith(".py")


def _run_cli(pure: bool) -> tuple[str, list[str]]:
    env = dict(os.environ)
    env.pop(PURE_PYTHON_ENV, None)
    if pure:
        env[PURE_PYTHON_ENV] = "1"
    args = ["run", "reference", "--horizon-ms", "1500", "--seed", "4", "--json", "--quiet"]
    code = (
        "import sys, eventsim.cli, eventsim;"
        f"rc = eventsim.cli.main({args!r});"
        "print('COMPILED', ','.join(eventsim.compiled_modules()));"
        "sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    summary, _, compiled = out.stdout.rpartition("COMPILED ")
    return summary, [m for m in compiled.strip().split(",") if m]


def test_pure_python_and_compiled_give_identical_results():
    pure_summary, pure_compiled = _run_cli(pure=True)
    summary, _ = _run_cli(pure=False)
    assert pure_compiled == []  # EVENTSIM_PURE_PYTHON=1 loads every module from source
    assert '"records_produced"' in summary
    assert summary == pure_summary  # bit for bit, whether or not this machine built the extensions
