"""Shared pytest setup: a headless matplotlib backend and the hypothesis "ci" profile.

The profile is loaded by default; set HYPOTHESIS_PROFILE (e.g. "default") to pick another, or pass
``--hypothesis-profile``.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def load_benchmark(name: str):
    """``benchmarks/<name>.py`` as a module (``benchmarks/`` is a folder of scripts, not a package), with
    its sibling scripts importable while it loads, as they are when it runs as a script."""
    import importlib.util
    import sys
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "benchmarks"
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    return module
