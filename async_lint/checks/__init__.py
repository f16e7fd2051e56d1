"""The rules, one module per rule family.

Every ``Check`` (per file), ``IndexCheck`` (per file, over the project
index) and ``ProjectCheck`` (over the facts of the project) subclass defined
in a module of this package is registered (a module whose name begins with
``_`` holds helpers of one, e.g. its libcst visitors, and is not searched).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from async_lint.checks.base import Check, IndexCheck, ProjectCheck


@functools.lru_cache(maxsize=None)
def _registered() -> tuple[tuple[type[Check], ...], tuple[type[ProjectCheck], ...], tuple[type[IndexCheck], ...]]:
    found: list[type[Check]] = []
    project: list[type[ProjectCheck]] = []
    indexed: list[type[IndexCheck]] = []
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
            elif issubclass(value, IndexCheck):
                indexed.append(value)
    return tuple(found), tuple(project), tuple(indexed)


def all_checks() -> tuple[type[Check], ...]:
    return _registered()[0]


def all_project_checks() -> tuple[type[ProjectCheck], ...]:
    return _registered()[1]


def project_checks_for(codes: frozenset[str]) -> list[type[ProjectCheck]]:
    return [check for check in all_project_checks() if set(check.codes) & codes]


def checks_for(codes: frozenset[str]) -> list[type[Check]]:
    return [check for check in all_checks() if set(check.codes) & codes]


def all_index_checks() -> tuple[type[IndexCheck], ...]:
    return _registered()[2]


@functools.lru_cache(maxsize=None)
def index_checks_for(codes: frozenset[str]) -> tuple[type[IndexCheck], ...]:
    return tuple(check for check in all_index_checks() if set(check.codes) & codes)


def index_findings(index, path: str, codes: frozenset[str], orm_opt_out: bool = False) -> list:
    """The findings of the enabled index checks on one file the index holds."""
    summary = index.by_path.get(path)
    if summary is None:
        return []
    return [f for check in index_checks_for(codes) for f in check(index).findings_for(path, summary, orm_opt_out) if f.code in codes]
