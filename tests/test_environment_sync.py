"""environment.yml (conda) must list the same packages as pyproject.toml (pip).

Compared: pyproject's [project] dependencies plus every [project.optional-dependencies] extra,
against environment.yml's conda dependencies; names are normalised (PEP 503: lower case, runs of
``-``/``_``/``.`` become ``-``) and mapped through CONDA_TO_PYPI where conda-forge spells a package
differently. ``python``, ``pip`` and the nested ``pip:`` list are not packages to compare.
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


def normalise(name: str) -> str:
    name = re.sub(r"[-_.]+", "-", name).lower()
    return CONDA_TO_PYPI.get(name, name)


def requirement_name(spec: str) -> str:
    """``"pandas>=2.0"`` / ``"numpy =1.26"`` / ``"pyyaml[extra]; python_version<'3.12'"`` -> name."""
    match = _NAME.match(spec)
    if match is None:
        raise ValueError(f"cannot read a package name from {spec!r}")
    return normalise(match.group(1))


def pyproject_names() -> set[str]:
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11+; pyproject.toml is not parsed on this interpreter")
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    specs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        specs.extend(extra)
    return {requirement_name(spec) for spec in specs}


def environment() -> dict:
    return yaml.safe_load(ENVIRONMENT.read_text(encoding="utf-8"))


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
