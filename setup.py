"""Build hook: compile the request-path modules with Cython when a C compiler is available.

Everything else about the package is in pyproject.toml. The modules to compile are listed in
``eventsim/compiled_modules.txt``, the one list that this file, the Makefile and
``eventsim/_compiled.py`` read. The extensions are optional: if Cython or a compiler is missing, or a
module fails to build, the install goes on and that module runs as Python (and importing eventsim
then warns if some modules were built and others not; see eventsim/_compiled.py).
``EVENTSIM_PURE_PYTHON=1`` at install time skips the build altogether.

``pip install -e .`` builds everything in a fresh build environment; ``make`` (or
``python setup.py build_ext --inplace`` with Cython installed) rebuilds only what changed.
"""

import os
import sys
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).resolve().parent
MODULE_LIST = HERE / "eventsim" / "compiled_modules.txt"


def compiled_modules() -> list[str]:
    """The module names in eventsim/compiled_modules.txt: ``#`` starts a comment, blank lines are skipped.

    The same rule as ``eventsim._compiled.read_module_list`` (eventsim is not imported here: its
    dependencies need not be installed while building).
    """
    names = (line.split("#", 1)[0].strip() for line in MODULE_LIST.read_text(encoding="utf-8").splitlines())
    return [name for name in names if name]


def _extensions() -> list:
    if os.environ.get("EVENTSIM_PURE_PYTHON") == "1":
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("eventsim: Cython is not installed, so no module is compiled (pure Python)", file=sys.stderr)
        return []
    # The modules compile unchanged: annotations are not used as C types, so the semantics (and the
    # results) are Python's; a module's .pxd, if any, only gives its classes C-level fields.
    directives = {"language_level": 3, "binding": True, "annotation_typing": False}
    extensions = []
    for name in compiled_modules():
        module = Extension(name, [name.replace(".", "/") + ".py"], optional=True)
        try:
            extensions += cythonize([module], compiler_directives=directives, quiet=True)
        except Exception as exc:  # a module Cython cannot translate stays pure Python
            print(f"eventsim: not compiling {name}: {exc}", file=sys.stderr)
    for ext in extensions:
        ext.optional = True  # no C compiler (or a failed build): the install goes on, pure Python
    return extensions


if __name__ == "__main__":  # as pip (setuptools.build_meta) and `python setup.py` run it
    setup(ext_modules=_extensions())
