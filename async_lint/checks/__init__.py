"""The per-file checks, one module per rule family.

Every ``Check`` subclass defined in a module of this package is registered.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from async_lint.checks.base import Check, ProjectCheck


@functools.lru_cache(maxsize=None)
def _registered() -> tuple[tuple[type[Check], ...], tuple[type[ProjectCheck], ...]]:
    found: list[type[Check]] = []
    project: list[type[ProjectCheck]] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if not (isinstance(value, type) and value.__module__ == module.__name__ and getattr(value, "codes", None)):
                continue
            if issubclass(value, Check):
                found.append(value)
            elif issubclass(value, ProjectCheck):
                project.append(value)
    return tuple(found), tuple(project)


def all_checks() -> tuple[type[Check], ...]:
    return _registered()[0]


def all_project_checks() -> tuple[type[ProjectCheck], ...]:
    return _registered()[1]


def project_checks_for(codes: frozenset[str]) -> list[type[ProjectCheck]]:
    return [check for check in all_project_checks() if set(check.codes) & codes]


def checks_for(codes: frozenset[str]) -> list[type[Check]]:
    return [check for check in all_checks() if set(check.codes) & codes]
