"""The class facts of a file (``ClassShape``, ``MethodAt``) read with
CPython's ``ast`` instead of a libcst pass.

The cross-module structure rules (DJA502/DJA503/DJA506) need the classes of
the modules their views' and middleware's base classes live in: most of
those modules have no async code and need nothing else, so a full libcst
pass of each (parse, walk, every check) was most of what they cost.  This
module records the same facts as ``ClassShapes`` does in a full pass, with
the same name resolution (``analysis/scopes.py``'s bindings, rebuilt here
over ``ast``), the same class order and the same positions;
``tests/test_class_shapes_ast.py`` holds the two equal over the fixtures,
the example project and Django's own source.

No libcst here: a worker that only reads class facts never imports it.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Any, Iterator, NamedTuple

from async_lint.analysis.model_skeleton import _dotted
from async_lint.analysis.scopes import ASSIGN, BUILTIN_NAMES, CLASS, DEF, GLOBAL, IMPORT, NONLOCAL, PARAM, STAR, Binding, Scope, binding_target, lookup, resolve_relative
from async_lint.checks.django_structure_classes import LEGACY_MARKER, MARK_COROUTINE, MARK_COROUTINE_NAME, MIDDLEWARE_MIXIN, UNKNOWN, own_flags
from async_lint.positions import char_column

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Scopes ``nodes_in`` does not enter (``walk.NESTED_SCOPE_NAMES`` in libcst's terms).
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


# -- bindings (analysis/scopes.py's BindingCollector over ast, into its Scope) -------------
class _Bindings:
    def __init__(self, scope: Scope, module_name: str | None, is_package: bool):
        self.scope = scope
        self.module_name = module_name
        self.is_package = is_package
        self._depth = 0  # how many blocks deep (see Binding.unconditional)

    def add(self, name: str, kind: str, node: Any = None, target: str | None = None) -> None:
        self.scope.add(Binding(name, kind, node, target, unconditional=kind == IMPORT and not self._depth))

    def statements(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self._statement(statement)

    def _nested(self, *bodies: list[ast.stmt]) -> None:
        self._depth += 1
        try:
            for body in bodies:
                self.statements(body)
        finally:
            self._depth -= 1

    def parameters(self, args: ast.arguments) -> None:
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            self.add(arg.arg, PARAM)
        for star in (args.vararg, args.kwarg):
            if star is not None:
                self.add(star.arg, PARAM)

    def target(self, target: ast.expr) -> None:
        kind = type(target)
        if kind is ast.Name:
            self.add(target.id, ASSIGN)
        elif kind is ast.Tuple or kind is ast.List:
            for element in target.elts:
                self.target(element)
        elif kind is ast.Starred:
            self.target(target.value)

    def _statement(self, statement: ast.stmt) -> None:
        kind = type(statement)
        if kind is ast.Assign:
            for target in statement.targets:
                self.target(target)
        elif kind is ast.AnnAssign or kind is ast.AugAssign:
            self.target(statement.target)
        elif kind is ast.Import:
            for alias in statement.names:
                if alias.asname:
                    self.add(alias.asname, IMPORT, statement, alias.name)
                else:
                    top = alias.name.split(".")[0]
                    self.add(top, IMPORT, statement, top)
        elif kind is ast.ImportFrom:
            module = resolve_relative(statement.module or "", statement.level, self.module_name, self.is_package)
            for alias in statement.names:
                if alias.name == "*":
                    self.add("*", STAR, statement, module)
                    return
                self.add(alias.asname or alias.name, IMPORT, statement, f"{module}.{alias.name}" if module else alias.name)
        elif kind is ast.Global:
            for name in statement.names:
                self.add(name, GLOBAL)
        elif kind is ast.Nonlocal:
            for name in statement.names:
                self.add(name, NONLOCAL)
        elif kind in _FUNCTIONS:
            self.add(statement.name, DEF, statement)
        elif kind is ast.ClassDef:
            self.add(statement.name, CLASS, statement)
        elif kind is ast.If or kind is ast.While:
            self._nested(statement.body, statement.orelse)
        elif kind is ast.For or kind is ast.AsyncFor:
            self.target(statement.target)
            self._nested(statement.body, statement.orelse)
        elif kind is ast.Try or kind.__name__ == "TryStar":
            self._nested(statement.body)
            for handler in statement.handlers:
                if handler.name:
                    self.add(handler.name, ASSIGN)
                self._nested(handler.body)
            self._nested(statement.orelse, statement.finalbody)
        elif kind is ast.With or kind is ast.AsyncWith:
            for item in statement.items:
                if item.optional_vars is not None:
                    self.target(item.optional_vars)
            self._nested(statement.body)
        elif kind.__name__ == "Match":
            self._nested(*(case.body for case in statement.cases))


class _Names:
    """``FileContext.qualified_name`` over the bindings above."""

    def __init__(self, module_name: str | None):
        self.module_name = module_name

    def resolve(self, name: str, scope: Scope) -> str | None:
        found = lookup(scope, name)
        if found is None:
            return f"builtins.{name}" if name in BUILTIN_NAMES else None
        where, bindings = found
        kind, target = binding_target(bindings)
        if kind == IMPORT:
            return target
        if where.kind == "module" and kind in (DEF, CLASS):
            return f"{self.module_name or '<module>'}.{name}"
        return None

    def qualified(self, node: ast.expr, scope: Scope) -> str | None:
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        base = self.resolve(head, scope)
        if base is None:
            return None
        return f"{base}.{rest}" if rest else base


# -- literals (django_structure_classes.literal_value over ast) ----------------------------
def _single_string(node: ast.Constant, lines: list[str]) -> bool:
    """The constant is one string literal, not an implicit concatenation (which libcst keeps apart)."""
    segment = _segment(node, lines)
    if segment is None:
        return False
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(segment).readline) if t.type == tokenize.STRING]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    return len(tokens) == 1


def _segment(node: ast.AST, lines: list[str]) -> str | None:
    if node.end_lineno is None or node.end_col_offset is None:
        return None
    first, last = node.lineno - 1, node.end_lineno - 1
    chosen = [line.encode("utf-8", "surrogatepass") for line in lines[first : last + 1]]
    if not chosen:
        return None
    if first == last:
        chosen[0] = chosen[0][node.col_offset : node.end_col_offset]
    else:
        chosen[0] = chosen[0][node.col_offset :]
        chosen[-1] = chosen[-1][: node.end_col_offset]
    return "\n".join(part.decode("utf-8", "surrogatepass") for part in chosen)


def literal_value(node: ast.expr | None, lines: list[str]) -> Any:
    if type(node) is ast.Constant:
        value = node.value
        if value is None or value is True or value is False:
            return value
        if isinstance(value, (str, bytes)):
            return value if _single_string(node, lines) else UNKNOWN
        return UNKNOWN
    if type(node) in (ast.List, ast.Tuple):
        values = [literal_value(e, lines) for e in node.elts if type(e) is not ast.Starred]
        if len(values) == len(node.elts) and all(isinstance(v, str) for v in values):
            return values
    return UNKNOWN


# -- the classes ---------------------------------------------------------------------------
class _Method(NamedTuple):
    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    is_async: bool
    decorators: tuple[str, ...]
    params: tuple[str, ...]


class _Class:
    def __init__(self, node: ast.ClassDef, decorators: tuple[str, ...]):
        self.node = node
        self.name = node.name
        self.bases: list[tuple[str, Any]] = []  # ("class", _Class) | ("framework"|"mixin"|"unknown", name)
        self.methods: dict[str, _Method] = {}
        self.attributes: dict[str, Any] = {}
        self.decorators = decorators
        self.subclassed = False


def _indented(node: ast.ClassDef, lines: list[str]) -> bool:
    """The body is an indented block (a one-line ``class A: x = 1`` is not, and libcst reads no members there)."""
    first = node.body[0]
    line = lines[first.lineno - 1].encode("utf-8", "surrogatepass")[: first.col_offset]
    return not line.strip()


_GAP = r"(?:[ \t\f]|\\(?:\r\n|\r|\n))+"
_CLASS_NAME = re.compile(rf"class{_GAP}(\w+)")
_DEF_NAME = re.compile(rf"(?:async{_GAP})?def{_GAP}(\w+)")


def _name_position(node: ast.stmt, lines: list[str], pattern: re.Pattern) -> tuple[int, int, int, int] | None:
    """(line, column, end line, end column), 1-based, of a def's or class's name."""
    row = node.lineno - 1
    column = char_column(lines[row], node.col_offset)
    window = "\n".join(lines[row : row + 8])[column:]
    found = pattern.match(window)
    if found is None:
        return None
    before = window[: found.start(1)]
    line = node.lineno + before.count("\n")
    start = column + len(before) if "\n" not in before else len(before) - before.rfind("\n") - 1
    return line, start + 1, line, start + len(found.group(1)) + 1


class _Recorder:
    def __init__(self, tree: ast.Module, lines: list[str], module_name: str | None, is_package: bool):
        self.lines = lines
        self.module_name = module_name
        self.is_package = is_package
        self.names = _Names(module_name)
        self.module_scope = Scope("module", tree, None)
        _Bindings(self.module_scope, module_name, is_package).statements(tree.body)
        self.classes: dict[int, _Class] = {}
        self.assigned: dict[str, dict[str, Any]] = {}
        self._block(tree.body, self.module_scope)

    def _block(self, body: list[ast.stmt], scope: Scope) -> None:
        """Classes in traversal order and module-level ``Name.attr = value``."""
        for statement in body:
            kind = type(statement)
            if kind is ast.ClassDef:
                self._class(statement, scope)
                inner = Scope("class", statement, scope)
                _Bindings(inner, self.module_name, self.is_package).statements(statement.body)
                self._block(statement.body, inner)
            elif kind in _FUNCTIONS:
                inner = Scope("function", statement, scope)
                bindings = _Bindings(inner, self.module_name, self.is_package)
                bindings.parameters(statement.args)
                bindings.statements(statement.body)
                self._block(statement.body, inner)
            else:
                if kind is ast.Assign and scope.kind == "module":
                    self._module_assignment(statement)
                for block in _blocks(statement):
                    self._block(block, scope)

    def _decorators(self, decorators: list[ast.expr], scope: Scope) -> tuple[str, ...]:
        return tuple(self.names.qualified(d.func if type(d) is ast.Call else d, scope) or "" for d in decorators)

    def _class(self, node: ast.ClassDef, scope: Scope) -> None:
        from async_lint.checks.django_structure_classes import view_table

        facts = _Class(node, self._decorators(node.decorator_list, scope))
        for base in node.bases:
            if type(base) is ast.Starred:
                continue
            facts.bases.append(self._base(base, scope, view_table()))
        for kind, base in facts.bases:
            if kind == "class":
                base.subclassed = True
        if node.body and _indented(node, self.lines):
            for statement in node.body:
                kind = type(statement)
                if kind in _FUNCTIONS:
                    a = statement.args
                    facts.methods[statement.name] = _Method(
                        statement.name, statement, kind is ast.AsyncFunctionDef, self._decorators(statement.decorator_list, scope), tuple(p.arg for p in (*a.posonlyargs, *a.args))
                    )
                elif kind is ast.Assign:
                    for target in statement.targets:
                        if type(target) is ast.Name:
                            self._attribute(facts, target.id, statement.value)
                elif kind is ast.AnnAssign and type(statement.target) is ast.Name and statement.value is not None:
                    self._attribute(facts, statement.target.id, statement.value)
        self.classes[id(node)] = facts

    def _attribute(self, facts: _Class, name: str, value: ast.expr) -> None:
        if type(value) is ast.Name and value.id in facts.methods:
            alias = facts.methods[value.id]
            facts.methods[name] = _Method(name, alias.node, alias.is_async, alias.decorators, alias.params)
            return
        facts.methods.pop(name, None)
        facts.attributes[name] = literal_value(value, self.lines)

    def _base(self, expr: ast.expr, scope: Scope, table) -> tuple[str, Any]:
        if type(expr) is ast.Name:
            found = lookup(scope, expr.id)
            if found is not None and len(found[1]) == 1 and found[1][0].kind == CLASS:
                local = self.classes.get(id(found[1][0].node))
                if local is not None:
                    return "class", local
        name = self.names.qualified(expr, scope)
        if name == "builtins.object":
            return "unknown", "object"
        if name == MIDDLEWARE_MIXIN:
            return "mixin", MIDDLEWARE_MIXIN
        known = table.classes.get(name or "")
        if known is not None:
            return "framework", known.name
        return "unknown", name or _segment(expr, self.lines) or ""

    def _module_assignment(self, node: ast.Assign) -> None:
        for target in node.targets:
            if type(target) is ast.Attribute and type(target.value) is ast.Name:
                self.assigned.setdefault(target.value.id, {})[target.attr] = literal_value(node.value, self.lines)

    def init_summary(self, node: ast.FunctionDef | ast.AsyncFunctionDef, methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] | None = None) -> tuple[Any, bool]:
        """``django_structure_middleware.init_summary``, names resolved at module level as there."""
        delegates = False
        for call in _nodes_in(node.body, ast.Call):
            if self._marks_self(call):
                return True, delegates
            func = call.func
            if type(func) is ast.Attribute and func.attr == "__init__" and _calls_base_init(call):
                delegates = True
        for assign in _nodes_in(node.body, ast.Assign):
            for target in assign.targets:
                if type(target) is ast.Attribute and target.attr == LEGACY_MARKER and _is_marker(assign.value):
                    return "legacy", delegates
        for call in _nodes_in(node.body, ast.Call):
            func = call.func
            if methods and type(func) is ast.Attribute and type(func.value) is ast.Name and func.value.id == "self" and func.attr != "__init__":
                helper = methods.get(func.attr)
                if helper is not None and any(self._marks_self(inner) for inner in _nodes_in(helper.body, ast.Call)):
                    return True, delegates
        return False, delegates

    def _marks_self(self, call: ast.Call) -> bool:
        """``django_structure_middleware._marks_self``."""
        if not call.args or type(call.args[0]) is not ast.Name or call.args[0].id != "self" or _first_argument(call) is not call.args[0]:
            return False
        func = call.func
        last = func.id if type(func) is ast.Name else func.attr if type(func) is ast.Attribute else None
        return last == MARK_COROUTINE_NAME or self.names.qualified(func, self.module_scope) in MARK_COROUTINE


def _blocks(statement: ast.stmt) -> list[list[ast.stmt]]:
    """A compound statement's blocks in source order."""
    handlers = getattr(statement, "handlers", None)
    if handlers is not None:  # try, try*
        return [statement.body, *(h.body for h in handlers), statement.orelse, statement.finalbody]
    cases = getattr(statement, "cases", None)
    if cases is not None:
        return [case.body for case in cases]
    return [block for block in (getattr(statement, "body", None), getattr(statement, "orelse", None)) if block]


def call_arguments(call: ast.Call) -> list[ast.expr]:
    """libcst's ``Call.args`` values: positional, ``*``, keyword and ``**``
    arguments in the order they are written (``ast`` lists the keywords
    after the ``*`` arguments)."""
    items: list[tuple[tuple[int, int], ast.expr]] = [((a.lineno, a.col_offset), a.value if type(a) is ast.Starred else a) for a in call.args]
    items += [((k.lineno, k.col_offset), k.value) for k in call.keywords]
    items.sort(key=lambda item: item[0])
    return [value for _, value in items]


def _first_argument(call: ast.Call) -> ast.expr | None:
    """The value of the call's first argument as written (positional, ``*``, or keyword)."""
    arguments = call_arguments(call)
    return arguments[0] if arguments else None


def _is_marker(value: ast.expr) -> bool:
    """``django_structure_middleware._is_marker``."""
    if type(value) is ast.Name:
        return value.id == LEGACY_MARKER
    if type(value) is ast.Attribute:
        return value.attr == LEGACY_MARKER
    return type(value) is ast.IfExp and (_is_marker(value.body) or _is_marker(value.orelse))


def _nodes_in(body: list[ast.stmt], kind: type) -> Iterator[Any]:
    """``django_structure_classes.nodes_in`` over ast: the same stack order, no nested scopes."""
    stack: list[ast.AST] = list(body)
    while stack:
        current = stack.pop()
        if type(current) is kind:
            yield current
        if isinstance(current, _NESTED):
            continue
        stack.extend(ast.iter_child_nodes(current))


def class_shape_records(tree: ast.Module, lines: list[str], module_name: str | None, is_package: bool) -> list[dict]:
    """The ``ClassShape`` and ``MethodAt`` records of a module, as a full pass records them."""
    from async_lint.checks.django_cross_module import MIDDLEWARE_METHODS, MethodAt, class_shape

    recorder = _Recorder(tree, lines, module_name, is_package)
    if not recorder.classes:
        return []
    module = module_name or "<module>"
    out = []
    for facts in recorder.classes.values():
        bases = [(kind, f"{module}.{base.name}") if kind == "class" else (kind, base) for kind, base in facts.bases]
        init = facts.methods.get("__init__")
        methods = {name: method.node for name, method in facts.methods.items()}
        shape = class_shape(module, facts, bases, own_flags(facts, recorder.assigned), recorder.init_summary(init.node, methods) if init is not None else None)
        out.append(shape.record(_name_position(facts.node, lines, _CLASS_NAME)))
        for name in MIDDLEWARE_METHODS:
            method = facts.methods.get(name)
            if method is not None and method.node.name == name:
                out.append(MethodAt(owner=f"{module}.{facts.name}", name=name).record(_name_position(method.node, lines, _DEF_NAME)))
    return out


def _calls_base_init(call: ast.Call) -> bool:
    """``django_structure_middleware._is_super_init`` over ast: ``super().__init__(...)``
    or ``Base.__init__(self, ...)``."""
    owner = call.func.value  # type: ignore[attr-defined]
    if type(owner) is ast.Call:
        return type(owner.func) is ast.Name and owner.func.id == "super"
    first = call.args[0] if call.args else None
    return type(owner) in (ast.Name, ast.Attribute) and type(first) is ast.Name and first.id == "self"
