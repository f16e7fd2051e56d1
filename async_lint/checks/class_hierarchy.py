"""Which files without async code the cross-module structure rules
(DJA502/DJA503/DJA506) need a full pass of.

A view or middleware class in a file with no ``async def`` can only break
through a base class: one with an ``async def`` method (or a framework view
with async handlers, adrf's generics) that it inherits through another
module.  Such files get no full pass for their text; CPython's ``ast`` reads
their classes' bases instead (``ClassBases``, a fact recorded on the light
pass), and ``subclass_files`` names the ones whose classes derive, directly
or through other classes of the project, from a class whose subclasses can
mix sync and async code.  Only those get the full pass that records their
``ClassShape`` for the cross-module checks.

No libcst here: a run served from the cache decides with plain data.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from async_lint.analysis.model_skeleton import _dotted, _Resolver, module_imports
from async_lint.facts import Fact, ProjectFacts

# A class statement whose name or bases say view, viewset, mixin or
# middleware: the classes that take part in a view or middleware hierarchy.
VIEW_CLASS_HINTS = (
    r"(?m:^\s*class\s+\w*(?:View|ViewSet|Mixin|Middleware)\w*\s*[(:])",
    r"(?m:^\s*class\s+\w+\s*\([^)]*\b\w*(?:View|ViewSet|Mixin|Middleware)\b)",
)


@dataclass(frozen=True, kw_only=True)
class ClassBases(Fact):
    """The module's classes (at any depth) and the dotted names of their
    bases as its imports spell them (a base defined in the module is
    qualified with the module's name; one that cannot be named is left
    out)."""

    kind = "structure.class_bases"
    module: str
    classes: tuple[tuple[str, tuple[str, ...]], ...]


# The fields that hold statements: a class statement is found without
# walking any expression (most of a module's nodes).
_STATEMENT_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})


def _class_statements(tree: ast.Module) -> list[ast.ClassDef]:
    """The module's class statements at any depth, in ``ast.walk``'s order."""
    out, level = [], [tree]
    while level:
        below = []
        for node in level:
            if type(node) is ast.ClassDef:
                out.append(node)
            for name in node._fields:
                if name in _STATEMENT_FIELDS:
                    below.extend(getattr(node, name))
        level = below
    return out


def class_bases(tree: ast.Module, module: str | None, is_package: bool) -> list[Fact]:
    module = module or "<module>"
    classes = _class_statements(tree)
    if not classes:
        return []
    resolver = _Resolver(module, module_imports(tree, module, is_package), {node.name for node in classes})
    out = []
    for node in classes:
        # A name the imports do not explain (a star import, a builtin) keeps its spelling.
        bases = [resolver.qualify(base) or _dotted(base) for base in node.bases]
        out.append((node.name, tuple(base for base in bases if base is not None)))
    return [ClassBases(module=module, classes=tuple(out))]


def _short(name: str) -> str:
    return name.rpartition(".")[2]


def subclass_files(facts: ProjectFacts, project, shape_kind, async_framework_bases: frozenset[str]) -> set[str]:
    """Files recorded only as ``ClassBases`` (no full pass yet) whose classes
    derive from a class whose subclasses can inherit async code across
    modules, and, for a run given a few files, the modules their bases are
    in that the run has not read (their facts decide the former).

    Base classes are matched by their last name, as ``ProjectClasses.resolve``
    also finds a class re-exported by a package: more files than needed,
    never fewer."""
    light = facts.of(ClassBases)
    if not light:
        return set()
    shapes = facts.of(shape_kind)
    # (short name, short names of its bases) of every class known.
    known: list[tuple[str, set[str]]] = []
    reaching: set[str] = set()
    for _, shape in shapes:
        if any(method[0] for method in shape.methods.values()) or any(kind == "framework" and text in async_framework_bases for kind, text in shape.bases):
            reaching.add(shape.name)
        known.append((shape.name, {_short(text) for _, text in shape.bases}))
    for _, fact in light:
        for name, bases in fact.classes:
            if any(base in async_framework_bases for base in bases):
                reaching.add(name)
            known.append((name, {_short(base) for base in bases}))
    grown = True
    while grown:
        grown = False
        for name, bases in known:
            if name not in reaching and bases & reaching:
                reaching.add(name)
                grown = True
    # Modules whose classes are known (a full pass, or their bases read on a light one).
    described = {shape.module for _, shape in shapes} | {fact.module for _, fact in light}
    out = set()
    for path, fact in light:
        if any({_short(base) for base in bases} & reaching for _, bases in fact.classes):
            out.add(path)
        for _, bases in fact.classes:
            for base in bases:
                base_module = base.rpartition(".")[0]
                if base_module and base_module not in described:
                    # Not read yet (a run given a few files), or read without
                    # a view-like class: its classes decide the chain.
                    out.update(project.paths_of(base_module))
    return out
