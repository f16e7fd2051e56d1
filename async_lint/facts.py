"""Facts: what a per-file check records for the project-wide checks.

A fact is a small frozen dataclass declared beside the check that records it
(``checks/django_structure_atomic.py`` declares ``AtomicRequestsSetting``...).
It is plain data, so it travels between worker processes and is cached as
JSON: ``record()`` writes it as a dict tagged with its ``kind``, and
``ProjectFacts`` turns the cached dicts back into the dataclasses, so that a
project check reads typed fields instead of string keys.

A fact recorded at a node carries that node's position (filled in by the
engine, which resolves positions for the whole file at once).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterator, TypeVar

# Groups of facts a light pass reads with CPython's ``ast``, for the
# project-wide checks that need a file with no async code for them alone
# (``ProjectCheck.ast_facts``, ``FileResult.ast_facts``).
CLASS_FACTS = "class"  # ClassShape, MethodAt: checks/class_shapes_ast.py
ATOMIC_FACTS = "atomic"  # DJA507's settings, URLconf and router facts: checks/atomic_facts_ast.py
AST_FACTS = (CLASS_FACTS, ATOMIC_FACTS)

F = TypeVar("F", bound="Fact")

# kind -> fact class, filled as the modules declaring facts are imported.
_KINDS: dict[str, type[Fact]] = {}
POSITION_FIELDS = ("line", "column", "end_line", "end_column")
# Fact class -> the names of its fields (read once: the facts of every file
# are turned back into dataclasses at each round of a run).
_FIELD_NAMES: dict[type, frozenset[str]] = {}


@dataclass(frozen=True, kw_only=True)
class Fact:
    kind: ClassVar[str] = ""
    # Facts whose kind names a key of the module summary go there instead of
    # to the project checks: the project index reads them (e.g. "handoffs").
    summary_key: ClassVar[str | None] = None

    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("kind"):
            _KINDS[cls.kind] = cls

    @property
    def positioned(self) -> bool:
        return self.line is not None

    def record(self, position: tuple[int, int, int, int] | None = None) -> dict:
        """The fact as plain data, at ``position`` (line, column, end line, end column: 1-based)."""
        out: dict[str, Any] = {"kind": self.kind}
        for item in dataclasses.fields(self):
            if item.name not in POSITION_FIELDS:
                out[item.name] = getattr(self, item.name)
        if position is not None:
            out.update(zip(POSITION_FIELDS, position))
        return out

    @property
    def where(self) -> dict:
        """The position as the findings helpers read it."""
        return {name: getattr(self, name) for name in POSITION_FIELDS if getattr(self, name) is not None}


def fact_from_record(record: dict) -> Fact | None:
    """The fact a cached record is, or None (an unknown kind: a cache entry of
    an older version, which the cache key normally rules out)."""
    cls = _KINDS.get(record.get("kind", ""))
    if cls is None:
        return None
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(item.name for item in dataclasses.fields(cls))
    try:
        return cls(**{k: _frozen(v) for k, v in record.items() if k in names})
    except TypeError:
        return None


def _frozen(value: Any) -> Any:
    # JSON gives lists; fact fields that hold sequences are tuples.
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


class UndeclaredFact(Exception):
    """A project check read a kind of fact it does not list in ``fact_kinds``."""


class ProjectFacts:
    """The facts of the files analysed in a run, by path, as dataclasses."""

    def __init__(self, records: dict[str, list[dict]], kinds: tuple[type[Fact], ...] | None = None, aliases: Callable[[str], list[str]] | None = None):
        self.records = records
        # The fact classes a check declared it reads (None: any).
        self.kinds = kinds
        # path -> the other names its module is imported by (project.ModuleNamer.aliases).
        self.aliases = aliases
        self._by_kind: dict[type[Fact], list[tuple[str, Fact]]] | None = None

    def only(self, kinds: tuple[type[Fact], ...]) -> ProjectFacts:
        """The same facts, readable only as ``kinds`` (what a check declared)."""
        narrowed = ProjectFacts(self.records, kinds, self.aliases)
        narrowed._by_kind = self._grouped()
        return narrowed

    def names_of(self, path: str, module: str) -> list[str]:
        """The names the module of ``path`` (named ``module`` by its facts) is
        imported by: a package holding manage.py has its modules imported
        without the package's name (``services.mixins``)."""
        return [module, *(self.aliases(path) if self.aliases is not None else ())]

    def by_qualified_name(self, kind: type[F], pairs: Callable[[F], Any]) -> dict[str, Any]:
        """``module.name`` -> value, of the (name, value) ``pairs`` of each
        fact of ``kind`` (one with a ``module``), under every name its module
        goes by."""
        return {f"{module}.{name}": value for path, fact in self.of(kind) for module in self.names_of(path, fact.module) for name, value in pairs(fact)}  # type: ignore[attr-defined]

    def of(self, cls: type[F]) -> list[tuple[str, F]]:
        """(path, fact) for every fact of this class, in path order then in recording order."""
        if self.kinds is not None and cls not in self.kinds:
            raise UndeclaredFact(f"{cls.__name__} is not among the fact kinds the check declares")
        return self._grouped().get(cls, [])  # type: ignore[return-value]

    def _grouped(self) -> dict[type[Fact], list[tuple[str, Fact]]]:
        if self._by_kind is None:
            self._by_kind = {}
            for path in sorted(self.records):
                for record in self.records[path]:
                    fact = fact_from_record(record)
                    if fact is not None:
                        self._by_kind.setdefault(type(fact), []).append((path, fact))
        return self._by_kind

    def paths(self) -> Iterator[str]:
        return iter(self.records)

    def __bool__(self) -> bool:
        return bool(self.records)
