"""Lazy public names for jazzgen's packages: a package names what it offers without importing the
modules behind the names until one is used, so that `import jazzgen.tokens` (or the CLI's
start-up) does not load numpy, mido or music21 for a command that never needs them.

    # in jazzgen/tokens/__init__.py
    __getattr__, __dir__, __all__ = lazy_names(__name__, {"encode": "values", "prepare": "preparation"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_names(package: str, names: dict[str, str]) -> tuple[Callable, Callable, list[str]]:
    """A module __getattr__ and __dir__ for package, and its __all__: names[name] is the module
    (relative to package) that defines name, imported on first use. The value is read from that
    module each time, so it is always the module's own (a test may replace it there)."""

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{names[name]}"), name)

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__, sorted(names)
