"""The optional compiled request path (eventsim/_compiled.py, setup.py): same results, edits stay live."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import eventsim
from eventsim._compiled import COMPILED, PURE_PYTHON_ENV, compiled_modules, use_extensions


@pytest.mark.parametrize(
    ("modules", "pure", "expected"),
    [
        ([(100.0, 200.0), (150.0, 150.0)], False, True),  # every extension built after its last edit
        ([(100.0, 200.0), (300.0, 200.0)], False, False),  # one source edited since: all from source
        ([(100.0, 200.0), (100.0, None)], False, False),  # one module without an extension
        ([(100.0, 200.0), (None, 200.0)], False, True),  # an extension without its source is used
        ([(100.0, 200.0), (150.0, 150.0)], True, False),  # EVENTSIM_PURE_PYTHON=1
    ],
)
def test_extensions_are_used_all_or_nothing(modules, pure, expected):
    assert use_extensions(modules, pure) is expected


def test_compiled_modules_are_all_or_none_of_the_request_path():
    eventsim.simulate("quickstart", horizon_ms=200, progress=False)
    running = compiled_modules()
    assert running in ([], list(COMPILED))  # all or nothing
    for name in running:  # a compiled module is an extension module, not a .py file
        assert not sys.modules[name].__file__.endswith(".py")


# In a fresh interpreter: the CLI's JSON summary, a digest of every result frame of a second run that
# exercises compression, retention and a full buffer.memory, and the modules that ran compiled.
_CHILD = """
import hashlib, sys, eventsim, eventsim.cli
from eventsim.metrics.result import FRAMES
rc = eventsim.cli.main({args!r})
sc = eventsim.Scenario.load("quickstart").to_dict()
sc["producers"][0].update(rate_per_s=20000, value_bytes=500, keys={{"distribution": "none"}})
sc["producers"][0]["config"] = {{"compression.type": "lz4", "linger.ms": 2, "buffer.memory": 2000000}}
sc["topics"][0]["config"] = {{
    "compression.type": "gzip", "segment.bytes": 1048576, "retention.bytes": 2000000
}}
sc["broker"] = {{"log.retention.check.interval.ms": 500}}
r = eventsim.simulate(sc, seed=2, horizon_ms=2000, progress=False)
digest = hashlib.sha256()
for name in FRAMES:
    digest.update(r.frame(name).to_csv().encode())
print("DIGEST", digest.hexdigest())
print("COMPILED", ",".join(eventsim.compiled_modules()))
sys.exit(rc)
"""


def _run(pure: bool) -> tuple[str, str, list[str]]:
    env = dict(os.environ)
    env.pop(PURE_PYTHON_ENV, None)
    if pure:
        env[PURE_PYTHON_ENV] = "1"
    args = ["run", "reference", "--horizon-ms", "1500", "--seed", "4", "--json", "--quiet"]
    code = _CHILD.format(args=args)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    summary, _, rest = out.stdout.partition("DIGEST ")
    digest, _, compiled = rest.partition("COMPILED ")
    return summary, digest.strip(), [m for m in compiled.strip().split(",") if m]


def test_pure_python_and_compiled_give_identical_results():
    pure_summary, pure_digest, pure_compiled = _run(pure=True)
    summary, digest, _ = _run(pure=False)
    assert pure_compiled == []  # EVENTSIM_PURE_PYTHON=1 loads every module from source
    assert '"records_produced"' in summary and len(digest) == 64
    # Bit for bit, whether or not this machine built the extensions.
    assert summary == pure_summary
    assert digest == pure_digest
