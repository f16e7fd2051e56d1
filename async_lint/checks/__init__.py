"""The per-file checks, one module per rule family.

Every ``Check`` subclass defined in a module of this package is registered.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from async_lint.checks.base import Check


@functools.lru_cache(maxsize=None)
def all_checks() -> tuple[type[Check], ...]:
    found: list[type[Check]] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Check) and value is not Check and value.codes and value.__module__ == module.__name__:
                found.append(value)
    return tuple(found)


def checks_for(codes: frozenset[str]) -> list[type[Check]]:
    return [check for check in all_checks() if set(check.codes) & codes]
