"""Build hook: compile the request-path modules with Cython when a C compiler is available.

Everything else about the package is in pyproject.toml. The list of modules is ``COMPILED`` in
eventsim/_compiled.py (read here without importing eventsim). The extensions are optional: if
Cython or a compiler is missing, or a module fails to build, the install goes on and that module runs
as Python. ``EVENTSIM_PURE_PYTHON=1`` at install time skips the build altogether.
"""

import ast
import os
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).resolve().parent


def _compiled_modules() -> list[str]:
    tree = ast.parse((HERE / "eventsim" / "_compiled.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "COMPILED" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise RuntimeError("COMPILED not found in eventsim/_compiled.py")


def _extensions() -> list:
    if os.environ.get("EVENTSIM_PURE_PYTHON") == "1":
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        return []
    # The modules compile unchanged: annotations are not used as C types, so the semantics (and the
    # results) are Python's; a module's .pxd, if any, only gives its classes C-level fields.
    directives = {"language_level": 3, "binding": True, "annotation_typing": False}
    extensions = []
    for name in _compiled_modules():
        module = Extension(name, [name.replace(".", "/") + ".py"], optional=True)
        try:
            extensions += cythonize([module], compiler_directives=directives, quiet=True)
        except Exception as exc:  # a module Cython cannot translate stays pure Python
            print(f"eventsim: not compiling {name}: {exc}")
    for ext in extensions:
        ext.optional = True  # no C compiler (or a failed build): the install goes on, pure Python
    return extensions


setup(ext_modules=_extensions())
