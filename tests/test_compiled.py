"""The optional compiled request path (eventsim/_compiled.py, setup.py): same results, edits stay live.

On a machine with a C compiler the compiled modules must run (unless EVENTSIM_PURE_PYTHON=1 asks for
pure Python); a stale build warns once, naming the modules and the command that rebuilds them; and no
build at all (no compiler) runs pure Python without a warning.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import eventsim
from eventsim._compiled import (
    COMPILED,
    PURE_PYTHON_ENV,
    compiled_modules,
    decide,
    read_module_list,
    stale_message,
    stale_modules,
    use_extensions,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
PURE = os.environ.get(PURE_PYTHON_ENV) == "1"


def c_compiler() -> str | None:
    """The C compiler Python's build uses (``sysconfig`` CC, e.g. ``gcc -pthread``), if it is on the PATH."""
    cc = sysconfig.get_config_var("CC")
    if not cc:
        return None
    return shutil.which(shlex.split(cc)[0])


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


@pytest.mark.parametrize(
    ("times", "pure", "expected"),
    [
        ({"a": (100.0, 200.0), "b": (150.0, 150.0)}, False, (True, [])),  # fresh: compiled, no warning
        ({"a": (100.0, None), "b": (150.0, None)}, False, (False, [])),  # nothing built (no compiler): quiet
        ({"a": (100.0, 200.0), "b": (300.0, 200.0)}, False, (False, ["b"])),  # b edited since: warn
        ({"a": (100.0, 200.0), "b": (100.0, None)}, False, (False, ["b"])),  # b not built: warn
        ({"a": (100.0, 200.0), "b": (300.0, None)}, True, (False, [])),  # EVENTSIM_PURE_PYTHON=1: quiet
        ({"a": (None, 200.0), "b": (None, 150.0)}, False, (True, [])),  # installed wheel: no source times
    ],
)
def test_decide_uses_warns_or_stays_quiet(times, pure, expected):
    assert decide(times, pure) == expected


def test_stale_modules_and_message():
    times = {"eventsim.a": (300.0, 200.0), "eventsim.b": (100.0, None), "eventsim.c": (100.0, 200.0)}
    assert stale_modules(times) == ["eventsim.a", "eventsim.b"]
    assert stale_modules({"eventsim.a": (300.0, None)}) == []  # nothing built is not stale
    message = stale_message(times)
    assert "eventsim.a (changed since built)" in message and "eventsim.b (not built)" in message
    assert "eventsim.c" not in message
    assert "`make`" in message and "pip install -e ." in message and PURE_PYTHON_ENV in message


def test_module_list_is_read_alike_by_package_setup_and_makefile():
    text = "# comment\neventsim.a  # trailing\n\n  eventsim.b\n"
    assert read_module_list(text) == ("eventsim.a", "eventsim.b")
    listed = (REPO_ROOT / "eventsim" / "compiled_modules.txt").read_text(encoding="utf-8")
    assert COMPILED == read_module_list(listed) and len(COMPILED) == len(set(COMPILED)) > 0
    for name in COMPILED:  # every listed module exists
        assert (REPO_ROOT / (name.replace(".", "/") + ".py")).exists(), name
    # setup.py's own reader (it does not import eventsim).
    spec = importlib.util.spec_from_file_location("_eventsim_setup", REPO_ROOT / "setup.py")
    setup_py = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setup_py)  # not run as __main__: defines its functions, builds nothing
    assert tuple(setup_py.compiled_modules()) == COMPILED
    # The Makefile's (make prints the source files it rebuilds from).
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(
        ["make", "-s", "--no-print-directory", "compiled-sources"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [name.replace(".", "/") + ".py" for name in COMPILED]


def test_compiled_modules_are_all_or_none_of_the_request_path():
    eventsim.simulate("quickstart", horizon_ms=200, progress=False)
    running = compiled_modules()
    assert running in ([], list(COMPILED))  # all or nothing
    for name in running:  # a compiled module is an extension module, not a .py file
        assert not sys.modules[name].__file__.endswith(".py")


@pytest.mark.skipif(PURE, reason=f"{PURE_PYTHON_ENV}=1 runs every module as pure Python")
def test_compiled_modules_run_when_a_c_compiler_is_present():
    # Otherwise the comparison below would compare pure Python with itself.
    compiler = c_compiler()
    if compiler is None:
        pytest.skip("no C compiler: pure Python is this machine's build")
    eventsim.simulate("quickstart", horizon_ms=200, progress=False)
    assert compiled_modules() == list(COMPILED), (
        f"a C compiler is present ({compiler}) but the compiled modules did not run; build them with "
        f"`make` (or `pip install -e .`), or set {PURE_PYTHON_ENV}=1 to test pure Python"
    )


# --- the warning, in a fresh interpreter on a copy of the package ----------------------------------------

_IMPORT = "import eventsim, pathlib; print('FILE', pathlib.Path(eventsim.__file__).parent)"


def _extension(name: str, root: Path) -> Path | None:
    stem = root.joinpath(*name.split("."))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if stem.with_name(stem.name + suffix).exists():
            return stem.with_name(stem.name + suffix)
    return None


@pytest.fixture
def package_copy(tmp_path):
    """A copy of the source checkout's package (with its extensions and file times) to make stale."""
    if _extension(COMPILED[0], REPO_ROOT) is None:
        pytest.skip("the compiled modules are not built here")
    ignore = shutil.ignore_patterns("__pycache__", "*.c")  # the generated C is not needed to import
    shutil.copytree(REPO_ROOT / "eventsim", tmp_path / "eventsim", ignore=ignore)
    shutil.copy2(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")  # marks a source checkout
    return tmp_path


def _import(root: Path, pure: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop(PURE_PYTHON_ENV, None)
    env.pop("PYTHONWARNINGS", None)
    if pure:
        env[PURE_PYTHON_ENV] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    out = subprocess.run([sys.executable, "-c", _IMPORT], cwd=root, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert f"FILE {root / 'eventsim'}" in out.stdout  # the copy was imported, not the checkout
    return out


def test_a_fresh_copy_imports_without_a_warning(package_copy):
    assert "CompiledBuildWarning" not in _import(package_copy).stderr


def test_an_edited_module_warns_once_naming_it_and_the_rebuild_command(package_copy):
    name = COMPILED[-1]
    source = package_copy.joinpath(*name.split(".")).with_suffix(".py")
    extension = _extension(name, package_copy)
    os.utime(source, (extension.stat().st_mtime + 10, extension.stat().st_mtime + 10))
    stderr = _import(package_copy).stderr
    assert stderr.count("CompiledBuildWarning") == 1, stderr
    assert f"{name} (changed since built)" in stderr and "`make`" in stderr
    # Asked for pure Python: no warning.
    assert "CompiledBuildWarning" not in _import(package_copy, pure=True).stderr


def test_a_missing_extension_warns(package_copy):
    name = COMPILED[0]
    _extension(name, package_copy).unlink()
    stderr = _import(package_copy).stderr
    assert stderr.count("CompiledBuildWarning") == 1, stderr
    assert f"{name} (not built)" in stderr


def test_no_extension_at_all_runs_pure_python_quietly(package_copy):
    for name in COMPILED:
        _extension(name, package_copy).unlink()
    assert "CompiledBuildWarning" not in _import(package_copy).stderr


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
