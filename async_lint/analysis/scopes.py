"""Scopes, bindings and qualified-name resolution through imports.

Names are resolved with our own binding tables, built by a shallow scan of
each scope's statements when the traversal enters it, rather than with
libcst's ScopeProvider/QualifiedNameProvider: those cost a full extra pass per
file, and a linter that runs on every commit cannot pay for that.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from async_lint import lazy_libcst

cst = lazy_libcst.bind(globals())

BUILTIN_NAMES = frozenset(dir(builtins))

# Kinds of binding.
IMPORT = "import"
DEF = "def"
CLASS = "class"
ASSIGN = "assign"
PARAM = "param"
GLOBAL = "global"
NONLOCAL = "nonlocal"
STAR = "star"


@dataclass(eq=False)
class Binding:
    name: str
    kind: str
    node: cst.CSTNode
    # For imports: the dotted name the binding stands for ("time.sleep").
    target: str | None = None
    # For assignments: the assigned value (used by receiver inference).
    value: cst.BaseExpression | None = None
    # For imports and assignments: made by a statement of the scope's own
    # body, not one under an ``if``, ``try``, loop or ``with`` (it always
    # runs, in order).
    unconditional: bool = False


@dataclass(eq=False)
class Scope:
    kind: str  # "module" | "function" | "lambda" | "class" | "comprehension"
    node: cst.CSTNode
    parent: Scope | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    # True where code in this scope runs on the event loop.
    is_async_context: bool = False

    def add(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)

    @property
    def module_scope(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope


def positional_params(params: cst.Parameters) -> tuple[str, ...]:
    """The names of a def's positional parameters, in order."""
    return tuple(p.name.value for p in (*params.posonly_params, *params.params))


def dotted_name(node: cst.BaseExpression | cst.Attribute | cst.Name) -> str | None:
    """``a.b.c`` for an Attribute/Name chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _import_module_name(node: cst.ImportFrom) -> str:
    module = dotted_name(node.module) if node.module is not None else ""
    return module or ""


def resolve_relative(module: str, level: int, current_module: str | None, is_package: bool) -> str:
    """The absolute module for ``from <level dots><module> import``."""
    if level == 0:
        return module
    if current_module:
        parts = current_module.split(".")
        if not is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
        base = ".".join(parts)
        if base and module:
            return f"{base}.{module}"
        return base or module
    return "." * level + module


class BindingCollector:
    """Collects the names a block of statements binds, without entering nested scopes."""

    def __init__(self, scope: Scope, module_name: str | None, is_package: bool):
        self.scope = scope
        self.module_name = module_name
        self.is_package = is_package
        # How many blocks (an ``if``'s, a ``try``'s...) deep the statement being collected is.
        self._depth = 0

    # -- entry points -------------------------------------------------------
    def collect_statements(self, body: Sequence[cst.CSTNode]) -> None:
        for statement in body:
            self._statement(statement)

    def collect_parameters(self, params: cst.Parameters) -> None:
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            self.scope.add(Binding(param.name.value, PARAM, param))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.scope.add(Binding(star.name.value, PARAM, star))

    def collect_target(self, target: cst.BaseExpression, node: cst.CSTNode, value: cst.BaseExpression | None = None, unconditional: bool = False) -> None:
        if isinstance(target, cst.Name):
            self.scope.add(Binding(target.value, ASSIGN, node, value=value, unconditional=unconditional))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.collect_target(element.value, node)
        elif isinstance(target, cst.StarredElement):
            self.collect_target(target.value, node)

    # -- statements ------------------------------------------------------------
    def _block(self, block: cst.BaseSuite | None) -> None:
        if block is None:
            return
        self._depth += 1
        try:
            if isinstance(block, cst.IndentedBlock):
                self.collect_statements(block.body)
            elif isinstance(block, cst.SimpleStatementSuite):
                for small in block.body:
                    self._small(small)
        finally:
            self._depth -= 1

    def _statement(self, statement: cst.CSTNode) -> None:
        # ``type() is``: run for every statement of every function; these
        # classes have no subclasses, and isinstance on them goes through abc.
        kind = type(statement)
        if kind is cst.SimpleStatementLine:
            for small in statement.body:  # type: ignore[attr-defined]
                self._small(small)
        elif kind is cst.FunctionDef:
            self.scope.add(Binding(statement.name.value, DEF, statement))  # type: ignore[attr-defined]
        elif kind is cst.ClassDef:
            self.scope.add(Binding(statement.name.value, CLASS, statement))  # type: ignore[attr-defined]
        elif kind is cst.If:
            self._walrus_targets(statement.test)  # type: ignore[attr-defined]
            self._block(statement.body)  # type: ignore[attr-defined]
            orelse = statement.orelse
            if orelse is not None:
                if type(orelse) is cst.If:
                    self._statement(orelse)
                else:
                    self._block(orelse.body)
        elif kind is cst.For:
            self.collect_target(statement.target, statement)
            self._block(statement.body)
            if statement.orelse is not None:
                self._block(statement.orelse.body)
        elif kind is cst.While:
            self._walrus_targets(statement.test)
            self._block(statement.body)
            if statement.orelse is not None:
                self._block(statement.orelse.body)
        elif kind is cst.Try or kind is cst.TryStar:
            self._block(statement.body)
            for handler in statement.handlers:
                if handler.name is not None and isinstance(handler.name.name, cst.Name):
                    self.scope.add(Binding(handler.name.name.value, ASSIGN, handler))
                self._block(handler.body)
            if statement.orelse is not None:
                self._block(statement.orelse.body)
            if statement.finalbody is not None:
                self._block(statement.finalbody.body)
        elif kind is cst.With:
            for item in statement.items:
                if item.asname is not None:
                    self.collect_target(item.asname.name, statement, value=item.item)
            self._block(statement.body)
        elif kind is cst.Match:
            for case in statement.cases:
                self._block(case.body)

    def _walrus_targets(self, test: cst.BaseExpression) -> None:
        """``if (m := await qs.afirst()) is not None:`` binds ``m`` in the scope:
        a ``:=`` that is the test, negated, compared, or an operand of
        ``and``/``or`` (the usual places; run for every test of every scope,
        so no walk of the whole expression)."""
        stack: list[cst.BaseExpression] = [test]
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is cst.NamedExpr:
                if type(node.target) is cst.Name:
                    self.scope.add(Binding(node.target.value, ASSIGN, node, value=node.value))
            elif kind is cst.Comparison:
                stack.append(node.left)
            elif kind is cst.BooleanOperation:
                stack.extend((node.left, node.right))
            elif kind is cst.UnaryOperation:
                stack.append(node.expression)

    def _small(self, small: cst.BaseSmallStatement) -> None:
        # ``type() is``: run for every small statement of the file; these
        # classes have no subclasses, and isinstance on them goes through abc.
        kind = type(small)
        if kind is cst.Assign:
            for target in small.targets:
                self.collect_target(target.target, small, value=small.value, unconditional=not self._depth)
        elif kind is cst.AnnAssign:
            self.collect_target(small.target, small, value=small.value, unconditional=not self._depth and small.value is not None)
        elif kind is cst.AugAssign:
            self.collect_target(small.target, small)
        elif kind.__name__ == "TypeAlias":  # ``type QS = QuerySet[Post]`` (PEP 695)
            self.scope.add(Binding(small.name.value, ASSIGN, small, value=small.value))
        elif kind is cst.Import:
            for alias in small.names:
                full = dotted_name(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.scope.add(Binding(alias.asname.name.value, IMPORT, small, target=full, unconditional=not self._depth))
                else:
                    top = full.split(".")[0]
                    self.scope.add(Binding(top, IMPORT, small, target=top, unconditional=not self._depth))
        elif kind is cst.ImportFrom:
            module = resolve_relative(_import_module_name(small), len(small.relative), self.module_name, self.is_package)
            if isinstance(small.names, cst.ImportStar):
                self.scope.add(Binding("*", STAR, small, target=module))
                return
            for alias in small.names:
                name = dotted_name(alias.name) or ""
                local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
                target = f"{module}.{name}" if module else name
                self.scope.add(Binding(local, IMPORT, small, target=target, unconditional=not self._depth))
        elif kind is cst.Global:
            for item in small.names:
                self.scope.add(Binding(item.name.value, GLOBAL, small))
        elif kind is cst.Nonlocal:
            for item in small.names:
                self.scope.add(Binding(item.name.value, NONLOCAL, small))


def iter_visible_scopes(scope: Scope) -> Iterator[Scope]:
    """Python's lookup order: the scope itself, then enclosing function scopes
    (class bodies are skipped unless they are the current scope), then the module."""
    yield scope
    current = scope.parent
    while current is not None:
        if current.kind != "class":
            yield current
        current = current.parent


def lookup(scope: Scope, name: str) -> tuple[Scope, list[Binding]] | None:
    for candidate in iter_visible_scopes(scope):
        bindings = candidate.bindings.get(name)
        if bindings:
            if bindings[0].kind == GLOBAL:
                module = scope.module_scope
                found = module.bindings.get(name)
                return (module, found) if found else None
            if bindings[0].kind == NONLOCAL:
                continue
            return candidate, bindings
    return None


def parameter_for(function: cst.FunctionDef, call: cst.Call, arg: cst.Arg, bound: int = 0) -> str | None:
    """The parameter of ``function`` that ``arg`` of ``call`` binds, or None
    (after a ``*args``, or no such parameter).  ``bound``: how many leading
    parameters the call does not pass (1 for a method called through its
    instance, ``self.method(...)``)."""
    params = [*function.params.posonly_params, *function.params.params][bound:]
    if arg.keyword is not None:
        names = {p.name.value for p in (*params, *function.params.kwonly_params)}
        return arg.keyword.value if arg.keyword.value in names else None
    index = 0
    for other in call.args:
        if other.star:
            return None
        if other is arg:
            break
        if other.keyword is None:
            index += 1
    return params[index].name.value if index < len(params) else None


def sole_binding(scope: Scope, name: str) -> tuple[Binding, Scope] | None:
    """The one binding ``name``, seen from ``scope``, has (None: unbound, or
    bound more than once), with the scope that holds it."""
    found = lookup(scope, name)
    if found is None or len(found[1]) != 1:
        return None
    return found[1][0], found[0]


def defined_function(scope: Scope, name: str) -> tuple[cst.FunctionDef, Scope] | None:
    """The ``def`` that ``name``, seen from ``scope``, is bound to (and only
    to), with the scope that binds it."""
    found = sole_binding(scope, name)
    if found is None or found[0].kind != DEF or type(found[0].node) is not cst.FunctionDef:
        return None
    return found[0].node, found[1]


def own_function(scope: Scope, name: str) -> tuple[cst.FunctionDef, Scope] | None:
    """The ``def`` that ``scope`` itself (a class's: its method) binds
    ``name`` to, and only to, with ``scope``; None for a name bound there
    otherwise, more than once, or not at all (no enclosing scope is asked)."""
    bindings = scope.bindings.get(name, [])
    if len(bindings) != 1 or bindings[0].kind != DEF or type(bindings[0].node) is not cst.FunctionDef:
        return None
    return bindings[0].node, scope


def defined_class(scope: Scope, name: str) -> tuple[cst.ClassDef, Scope] | None:
    """The ``class`` that ``name``, seen from ``scope``, is bound to (and
    only to), with the scope that binds it."""
    found = sole_binding(scope, name)
    if found is None or found[0].kind != CLASS or type(found[0].node) is not cst.ClassDef:
        return None
    return found[0].node, found[1]


def final_assignment(bindings: list[Binding]) -> Binding | None:
    """The name's last binding where it is an assignment of the scope's own
    body (not under an ``if``, ``try``, loop or ``with``): what the name
    holds once the body has run (``check = sync_to_async(check)``)."""
    last = bindings[-1] if bindings else None
    return last if last is not None and last.kind == ASSIGN and last.unconditional else None


def binding_target(bindings: list[Binding], final: bool = False) -> tuple[str, str | None]:
    """Reduce a name's bindings to (kind, import target).

    A ``def``/``class`` anywhere shadows imports of the same name; otherwise an
    import wins over plain assignments (the ``try: import x / except: x = None``
    pattern).  Of several imports, one that always runs after the others
    (a plain statement of the scope's body, the last import of the name) is
    what the name is once the module has loaded; else the first.

    ``final``: the name as code run after the scope's body sees it (a
    function reading a module's name): where the last binding is an
    assignment of the body itself (``check = sync_to_async(check)``,
    ``redis = redis.Redis()`` after the import), the name is what it made."""
    kinds = {b.kind for b in bindings}
    if DEF in kinds or CLASS in kinds:
        return (DEF if DEF in kinds else CLASS), None
    if final and IMPORT in kinds and final_assignment(bindings) is not None:
        return ASSIGN, None
    imports = [b for b in bindings if b.kind == IMPORT]
    if len(imports) > 1 and imports[-1].unconditional:
        return IMPORT, imports[-1].target
    for binding in bindings:
        if binding.kind == IMPORT:
            return IMPORT, binding.target
    return bindings[0].kind, None


def star_candidates(scope: Scope, name: str) -> list[str]:
    """``module.name`` for each ``from module import *`` of the module
    ``scope`` is in: where ``name``, bound nowhere, may come from."""
    while scope.parent is not None:
        scope = scope.parent
    return [f"{binding.target}.{name}" for binding in scope.bindings.get("*", ()) if binding.kind == STAR and binding.target]


def star_imported(scope: Scope, name: str, known: Callable[[str], bool]) -> str | None:
    """``name``, bound nowhere, as a name a ``from module import *`` of the
    module brings: the first such module's ``module.name`` that ``known``
    accepts (a model the project's model table has), else None."""
    return next((candidate for candidate in star_candidates(scope, name) if known(candidate)), None)
