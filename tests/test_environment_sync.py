"""environment.yml (conda) must list the same packages as pyproject.toml (pip), section by section.

Compared: pyproject's [project] dependencies with environment.yml's ``# [runtime]`` section, and each
[project.optional-dependencies] extra with the section of the same name (``# [notebooks]``, ``# [dev]``);
an extra that includes another (``eventsim[notebooks]``) lists only its own packages in its section.
Names are normalised (PEP 503: lower case, runs of ``-``/``_``/``.`` become ``-``) and mapped through
CONDA_TO_PYPI where conda-forge spells a package differently. ``python``, ``pip`` and the nested
``pip:`` list are not packages to compare.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

REPO_ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = REPO_ROOT / "pyproject.toml"
ENVIRONMENT = REPO_ROOT / "environment.yml"

# conda-forge name -> PyPI name, where they differ (after normalisation).
CONDA_TO_PYPI = {"pyyaml": "pyyaml"}
IGNORED = {"python", "pip"}

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_SECTION = re.compile(r"^\s*#\s*\[([A-Za-z0-9_-]+)\]")
_ITEM = re.compile(r"^\s*-\s+(\S.*?)\s*$")
_SELF_EXTRAS = re.compile(r"^\s*eventsim\s*\[([^\]]*)\]")


def normalise(name: str) -> str:
    name = re.sub(r"[-_.]+", "-", name).lower()
    return CONDA_TO_PYPI.get(name, name)


def requirement_name(spec: str) -> str:
    """``"pandas>=2.0"`` / ``"numpy =1.26"`` / ``"pyyaml[extra]; python_version<'3.12'"`` -> name."""
    match = _NAME.match(spec)
    if match is None:
        raise ValueError(f"cannot read a package name from {spec!r}")
    return normalise(match.group(1))


def project() -> dict:
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11+; pyproject.toml is not parsed on this interpreter")
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]


def pyproject_sections() -> dict[str, set[str]]:
    """``{"runtime": dependencies, extra: its own packages}``, without the package's own extras."""
    proj = project()
    sections = {"runtime": {requirement_name(spec) for spec in proj.get("dependencies", [])}}
    for extra, specs in proj.get("optional-dependencies", {}).items():
        sections[extra] = {requirement_name(spec) for spec in specs if not _SELF_EXTRAS.match(spec)}
    return sections


def pyproject_names() -> set[str]:
    return set().union(*pyproject_sections().values())


def environment() -> dict:
    return yaml.safe_load(ENVIRONMENT.read_text(encoding="utf-8"))


def environment_sections() -> dict[str, set[str]]:
    """The conda dependencies under each ``# [name]`` comment of environment.yml (top-level items only)."""
    sections: dict[str, set[str]] = {}
    current = None
    in_dependencies = False
    for line in ENVIRONMENT.read_text(encoding="utf-8").splitlines():
        if not line.startswith(" ") and line.strip():
            in_dependencies = line.startswith("dependencies:")
            continue
        if not in_dependencies:
            continue
        marker = _SECTION.match(line)
        if marker:
            current = marker.group(1)
            sections.setdefault(current, set())
            continue
        item = _ITEM.match(line)
        if item and line.startswith("  - ") and not item.group(1).endswith(":"):
            name = requirement_name(item.group(1))
            if current is not None and name not in IGNORED:
                sections[current].add(name)
    return sections


def environment_names() -> set[str]:
    names = set()
    for entry in environment()["dependencies"]:
        if isinstance(entry, str):  # dicts are nested installers such as {"pip": [...]}
            names.add(requirement_name(entry))
    return names - IGNORED


def test_requirement_name_parsing():
    assert requirement_name("pandas>=2.0") == "pandas"
    assert requirement_name("PyYAML>=6.0") == "pyyaml"
    assert requirement_name("python=3.11") == "python"
    assert requirement_name("typing_extensions >=4") == "typing-extensions"
    assert requirement_name("jupyter.server[all]; python_version<'3.12'") == "jupyter-server"


def test_dependency_names_match():
    pip_names = pyproject_names()
    conda_names = environment_names()
    missing_in_env = sorted(pip_names - conda_names)
    missing_in_pyproject = sorted(conda_names - pip_names)
    assert not (missing_in_env or missing_in_pyproject), (
        "pyproject.toml and environment.yml list different packages:\n"
        f"  missing from environment.yml: {', '.join(missing_in_env) or '-'}\n"
        f"  missing from pyproject.toml:  {', '.join(missing_in_pyproject) or '-'}"
    )


def test_environment_uses_conda_forge_and_installs_the_package():
    env = environment()
    assert env["channels"] == ["conda-forge"]
    strings = [entry for entry in env["dependencies"] if isinstance(entry, str)]
    assert [entry for entry in strings if requirement_name(entry) == "python"] == ["python=3.11"]
    assert "pip" in strings
    nested = [entry for entry in env["dependencies"] if isinstance(entry, dict)]
    pip_sections = [entry["pip"] for entry in nested if "pip" in entry]
    assert pip_sections == [["-e ."]]


def test_each_extra_matches_its_environment_section():
    pip_sections = pyproject_sections()
    conda_sections = environment_sections()
    assert sorted(conda_sections) == sorted(pip_sections), "environment.yml: one # [name] section per extra"
    for name, packages in pip_sections.items():
        assert conda_sections[name] == packages, (
            f"section [{name}]: pyproject.toml has {sorted(packages)}, "
            f"environment.yml has {sorted(conda_sections[name])}"
        )
    # Every package of environment.yml is in a section (nothing listed before the first marker).
    assert set().union(*conda_sections.values()) == environment_names()


def test_extras_that_include_extras_name_existing_ones():
    extras = project().get("optional-dependencies", {})
    for name, specs in extras.items():
        for spec in specs:
            included = _SELF_EXTRAS.match(spec)
            if included:
                for other in included.group(1).split(","):
                    assert other.strip() in extras, f"extra {name} includes unknown extra {other.strip()!r}"


def test_runtime_dependencies_leave_out_notebook_and_test_tools():
    # `make demo` installs only [project] dependencies: no JupyterLab, no test tools.
    runtime = pyproject_sections()["runtime"]
    assert not runtime & {"jupyterlab", "ipywidgets", "nbval", "pytest", "hypothesis", "ruff"}


def test_makefile_build_tools_are_the_build_system_requirements():
    # `make` compiles in place with the venv's setuptools and Cython: the versions pip builds with.
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11+")
    requires = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["build-system"]["requires"]
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    line = re.search(r"^BUILD_TOOLS\s*:=\s*(.+)$", makefile, re.MULTILINE)
    assert line is not None, "BUILD_TOOLS not found in the Makefile"
    tools = re.findall(r'"([^"]+)"', line.group(1))
    assert sorted(tools) == sorted(spec for spec in requires if requirement_name(spec) != "wheel")
