"""The rules, one module per rule family.

Every ``Check`` (per file), ``IndexCheck`` (per file, over the project
index) and ``ProjectCheck`` (over the facts of the project) subclass defined
in a module of this package is registered (a module whose name begins with
``_`` holds helpers of one, e.g. its libcst visitors, and is not searched).

What a run reads of the checks before it analyses a file (each one's codes,
text hints, light-fact hints) is also kept as data, in ``_manifest.py``:
importing every check module only for those costs a run 0.13 s, more than
discovering and prefiltering a 900-file tree.  ``python -m async_lint.checks
--write`` makes it from the classes; a test holds it equal to them.
"""

from __future__ import annotations

import dataclasses
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
    """The project checks of ``codes`` (only their modules imported)."""
    return [entry.load() for entry in entries_for(codes, "project")]


def checks_for(codes: frozenset[str]) -> list[type[Check]]:
    """The per-file checks of ``codes`` (only their modules imported)."""
    return [entry.load() for entry in entries_for(codes, "file")]


def all_index_checks() -> tuple[type[IndexCheck], ...]:
    return _registered()[2]


@functools.lru_cache(maxsize=None)
def index_checks_for(codes: frozenset[str]) -> tuple[type[IndexCheck], ...]:
    """The index checks of ``codes`` (only their modules imported)."""
    return tuple(entry.load() for entry in entries_for(codes, "index"))


def index_findings(index, path: str, codes: frozenset[str], orm_opt_out: bool = False) -> list:
    """The findings of the enabled index checks on one file the index holds
    (``orm_opt_out``: DJANGO_ALLOW_ASYNC_UNSAFE is set for it, which silences
    the rules ``async_unsafe_codes`` names)."""
    from async_lint.catalog import async_unsafe_codes

    summary = index.by_path.get(path)
    if summary is None:
        return []
    if orm_opt_out:
        codes = codes - async_unsafe_codes()
    return [f for check in index_checks_for(codes) for f in check(index).findings_for(path, summary, orm_opt_out) if f.code in codes]


# -- the manifest ----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class CheckEntry:
    """What the engine reads of one check class before it runs it."""

    module: str
    name: str
    kind: str  # "file", "index" or "project"
    codes: tuple[str, ...]
    # The regular expressions one of which a file's text must match for the
    # check to matter there (file_analysis._check_hints, resolved); None: any file.
    text_hints: tuple[str, ...] | None = None
    text_hints_after_fact: tuple[str, tuple[str, ...]] | None = None
    light_fact_hints: tuple[str, ...] = ()
    light_facts_reader: str | None = None
    follows_blocking_calls: bool = False
    # A project check's: the kinds of the facts it reads (``Fact.kind``).
    fact_kinds: tuple[str, ...] = ()
    # ``Check.async_code_only``: skipped in a project with no async code.
    async_code_only: bool = False

    def load(self) -> type:
        """The class itself (its module imported)."""
        return getattr(importlib.import_module(self.module), self.name)

    def light_facts_function(self):
        """The function ``light_facts_reader`` names (its module imported), or None."""
        if self.light_facts_reader is None:
            return None
        module, _, function = self.light_facts_reader.partition(":")
        return getattr(importlib.import_module(module), function)

    def light_facts(self, tree, module_name: str | None, is_package: bool) -> list:
        """The facts ``light_facts_reader`` reads from a file's ``ast`` tree."""
        reader = self.light_facts_function()
        return reader(tree, module_name, is_package) if reader is not None else []


_KINDS = (("file", 0), ("project", 1), ("index", 2))


def computed_manifest() -> tuple[CheckEntry, ...]:
    """The manifest read from the check classes (every check module imported)."""
    from async_lint.file_analysis import _check_hints

    entries = []
    for kind, position in _KINDS:
        for cls in _registered()[position]:
            entries.append(
                CheckEntry(
                    module=cls.__module__,
                    name=cls.__name__,
                    kind=kind,
                    codes=tuple(cls.codes),
                    text_hints=_check_hints(cls) if kind == "file" else None,
                    text_hints_after_fact=getattr(cls, "text_hints_after_fact", None),
                    light_fact_hints=tuple(getattr(cls, "light_fact_hints", ())),
                    light_facts_reader=getattr(cls, "light_facts_reader", None),
                    follows_blocking_calls=bool(getattr(cls, "follows_blocking_calls", False)),
                    fact_kinds=tuple(fact.kind for fact in getattr(cls, "fact_kinds", ())),
                    async_code_only=bool(getattr(cls, "async_code_only", False)),
                )
            )
    return tuple(entries)


@functools.lru_cache(maxsize=None)
def manifest() -> tuple[CheckEntry, ...]:
    """The stored manifest (``_manifest.py``); read from the classes where
    there is none (a checkout that has not made it yet)."""
    try:
        from async_lint.checks._manifest import ENTRIES
    except ImportError:
        return computed_manifest()
    return tuple(CheckEntry(*entry) for entry in ENTRIES)


def entries_for(codes: frozenset[str], kind: str = "file") -> tuple[CheckEntry, ...]:
    """The manifest's checks of ``kind`` with one of ``codes``, in the order the classes run."""
    return tuple(entry for entry in manifest() if entry.kind == kind and set(entry.codes) & codes)


def manifest_source() -> str:
    """The text of ``_manifest.py``, made from the check classes."""
    lines = [
        '"""What the engine reads of each check before it runs one (checks/__init__.py).',
        "",
        "Made by ``python -m async_lint.checks --write``; do not edit.",
        '"""',
        "",
        "ENTRIES = (",
    ]
    lines.extend(f"    {dataclasses.astuple(entry)!r}," for entry in computed_manifest())
    lines.append(")")
    return "\n".join(lines) + "\n"


def _manifest_path() -> str:
    import os

    return os.path.join(os.path.dirname(__file__), "_manifest.py")


def stored_manifest() -> tuple[CheckEntry, ...] | None:
    """The entries ``_manifest.py`` holds, read as data; None: no such file."""
    import ast

    try:
        with open(_manifest_path(), encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except OSError:
        return None
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and [getattr(t, "id", None) for t in statement.targets] == ["ENTRIES"]:
            return tuple(CheckEntry(*entry) for entry in ast.literal_eval(statement.value))
    return None


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m async_lint.checks", description="The checks' manifest (_manifest.py).")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="write _manifest.py from the check classes")
    group.add_argument("--check", action="store_true", help="exit 1 if _manifest.py does not hold what the classes give")
    args = parser.parse_args(argv)
    if args.write:
        with open(_manifest_path(), "w", encoding="utf-8") as fh:
            fh.write(manifest_source())
        return 0
    if args.check:
        if stored_manifest() != computed_manifest():
            print(f"{_manifest_path()} is stale; run: python -m async_lint.checks --write", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(manifest_source())
    return 0
