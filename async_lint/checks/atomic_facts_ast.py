"""DJA507's facts of a file with no async code, read with CPython's ``ast``
instead of a libcst pass.

Once a settings module sets ``ATOMIC_REQUESTS``, ``AtomicRequestsCheck``
needs the project's URLconfs, routers, settings and views modules
(``needs``), most of which have no async code: a full libcst pass of each
(parse, walk, every check) was most of what such a project's cold run cost
(a 1,000-file project: 39 modules, 3 CPU-s, for the facts of a handful of
``path()`` calls).  This module records the facts ``AtomicRequestsFacts``
records in such a file: ``DATABASES`` assigned, ``ROOT_URLCONF``,
``os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...)``, ``include()``,
the views ``path()``/``re_path()``/``url()`` and DRF routers point at, with
the same name resolution (scopes rebuilt over ``ast`` as
``class_shapes_ast`` does), in the same order and at the same positions.

A file whose reading here could differ from the full pass's gets that pass
instead (``atomic_request_records`` returns None): one with an ``async def``
(an async view), one naming adrf (whose generic views are async views
without an ``async def``), one setting ``ATOMIC_REQUESTS`` (however spelled),
and one where a fact's node may be in parentheses of its own or end in a
semicolon (libcst's range holds them; CPython's does not).
``tests/test_atomic_facts_ast.py`` holds the two equal over the fixtures,
the example project and Django's own source.

No libcst here: a worker that only reads these facts never imports it.
"""

from __future__ import annotations

import ast
from typing import Any

from async_lint.analysis.scopes import Scope
from async_lint.checks.class_shapes_ast import _Bindings, _Names, call_arguments, literal_value
from async_lint.checks.django_structure_atomic import (
    INCLUDE_FUNCTIONS,
    NON_ATOMIC,
    ROUTER_SUFFIX,
    URL_FUNCTIONS,
    DatabasesSetting,
    RootUrlconf,
    SettingsModuleNamed,
    UrlInclude,
    UrlRoute,
)
from async_lint.positions import char_column

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_SETTING = "ATOMIC_REQUESTS"


class _Unsure(Exception):
    """The file's facts may differ from a full pass's here: it gets that pass."""


def atomic_request_records(tree: ast.Module, text: str, lines: list[str], module_name: str | None, is_package: bool) -> list[dict] | None:
    """The DJA507 fact records of a module as a full pass records them, or
    None where this reading may differ from it (the file then gets a full pass)."""
    if "adrf" in text or _SETTING in text:
        return None
    try:
        return _Recorder(tree, lines, module_name, is_package).records
    except (_Unsure, RecursionError):
        return None


class _Recorder:
    def __init__(self, tree: ast.Module, lines: list[str], module_name: str | None, is_package: bool):
        self.lines = lines
        self.module_name = module_name
        self.is_package = is_package
        self.names = _Names(module_name)
        self.records: list[dict] = []
        # Inside an f-string, whose nodes' positions CPython before 3.12 does not keep.
        self.in_fstring = 0
        # Module-level names bound to a router (``router = DefaultRouter()``), as the traversal meets them.
        self.routers: set[str] = set()
        scope = Scope("module", tree, None)
        _Bindings(scope, module_name, is_package).statements(tree.body)
        for statement in tree.body:
            self._visit(statement, scope)

    # -- the traversal: libcst's order (each node before what it holds, in
    # source order), each part of a def, lambda, class or comprehension in
    # the scope FileContext puts it in ---------------------------------------------------------
    def _visit(self, node: ast.AST, scope: Scope) -> None:
        kind = type(node)
        if kind in _FUNCTIONS:
            if kind is ast.AsyncFunctionDef:
                raise _Unsure("an async def: the full pass decides whether it is a view")
            for part in _ordered([*node.decorator_list, node.args, *([node.returns] if node.returns is not None else [])]):
                self._visit(part, scope)
            inner = Scope("function", node, scope)
            bindings = _Bindings(inner, self.module_name, self.is_package)
            bindings.parameters(node.args)
            bindings.statements(node.body)
            for statement in node.body:
                self._visit(statement, inner)
            return
        if kind is ast.ClassDef:
            for part in _ordered([*node.decorator_list, *node.bases, *node.keywords]):
                self._visit(part, scope)
            inner = Scope("class", node, scope)
            _Bindings(inner, self.module_name, self.is_package).statements(node.body)
            for statement in node.body:
                self._visit(statement, inner)
            return
        if kind is ast.Lambda:
            self._visit(node.args, scope)
            inner = Scope("lambda", node, scope)
            _Bindings(inner, self.module_name, self.is_package).parameters(node.args)
            self._visit(node.body, inner)
            return
        if kind in _COMPREHENSIONS:
            inner = Scope("comprehension", node, scope)
            bindings = _Bindings(inner, self.module_name, self.is_package)
            for generator in node.generators:
                bindings.target(generator.target)
            scope = inner
        elif kind is ast.Assign:
            if scope.kind == "module":
                self._assign(node, scope)
        elif kind is ast.Call:
            self._call(node, scope)
        elif kind is ast.JoinedStr:
            self.in_fstring += 1
            for child in _ordered(list(ast.iter_child_nodes(node))):
                self._visit(child, scope)
            self.in_fstring -= 1
            return
        for child in _ordered(list(ast.iter_child_nodes(node))):
            self._visit(child, scope)

    # -- AtomicRequestsFacts.visit_Assign ---------------------------------------------------------
    def _assign(self, node: ast.Assign, scope: Scope) -> None:
        for target in node.targets:
            if type(target) is ast.Name and target.id == "DATABASES":
                self.records.append(DatabasesSetting().record())
            elif type(target) is ast.Name and target.id == "ROOT_URLCONF" and isinstance(literal_value(node.value, self.lines), str):
                self.records.append(RootUrlconf(module=literal_value(node.value, self.lines)).record(self._statement_position(node)))
            elif type(target) is ast.Name and type(node.value) is ast.Call and (self.names.qualified(node.value.func, scope) or "").endswith(ROUTER_SUFFIX):
                self.routers.add(target.id)
            elif type(target) is ast.Subscript and _names_setting(target.slice):
                raise _Unsure("a subscript may set ATOMIC_REQUESTS")
        if type(node.value) is ast.Dict and _sets_atomic(node.value):
            raise _Unsure("a dict may set ATOMIC_REQUESTS")

    # -- AtomicRequestsFacts.visit_Call -------------------------------------------------------------
    def _call(self, node: ast.Call, scope: Scope) -> None:
        name = self.names.qualified(node.func, scope)
        args = call_arguments(node)
        if name == "os.environ.setdefault" and len(args) >= 2 and literal_value(args[0], self.lines) == "DJANGO_SETTINGS_MODULE":
            module = literal_value(args[1], self.lines)
            if isinstance(module, str):
                self.records.append(SettingsModuleNamed(module=module).record(self._position(node)))
        elif name in URL_FUNCTIONS and len(args) >= 2:
            self._url_target(args[1], scope, non_atomic=False)
        elif name in INCLUDE_FUNCTIONS and args:
            included = args[0]
            if type(included) is ast.Constant and isinstance(included.value, (str, bytes)):
                # libcst's SimpleString; an implicit concatenation is not one, nor a name.
                module = literal_value(included, self.lines)
                module = module if isinstance(module, (str, bytes)) else None
            else:
                module = self.names.qualified(included, scope)
            if isinstance(module, str):
                self.records.append(UrlInclude(module=module).record(self._position(node)))
        elif self._router_registration(node, args):
            self._url_target(args[1], scope, non_atomic=False)

    def _router_registration(self, node: ast.Call, args: list[ast.expr]) -> bool:
        func = node.func
        return type(func) is ast.Attribute and type(func.value) is ast.Name and func.value.id in self.routers and func.attr == "register" and len(args) >= 2

    def _url_target(self, expr: ast.expr, scope: Scope, *, non_atomic: bool, call: ast.Call | None = None) -> None:
        if type(expr) is ast.Call:
            args = call_arguments(expr)
            if self.names.qualified(expr.func, scope) == NON_ATOMIC and args:
                self._url_target(args[-1], scope, non_atomic=True, call=expr)
                return
            if type(expr.func) is ast.Attribute and expr.func.attr == "as_view":
                expr = expr.func.value
            else:
                return
        target = self.names.qualified(expr, scope)
        if target:
            self.records.append(UrlRoute(target=target, non_atomic=non_atomic).record(self._position(expr, call)))

    # -- positions ------------------------------------------------------------------------------------
    def _position(self, node: ast.expr, call: ast.Call | None = None) -> tuple[int, int, int, int]:
        """(line, column, end line, end column), 1-based, of an expression as
        libcst places it: unsure where parentheses may be its own (not the
        ones of ``call``, a call it is the only argument of)."""
        if self.in_fstring:
            raise _Unsure("inside an f-string")
        start, end = self._span(node)
        before, after = self._char_before(*start), self._char_after(*end)
        if before[0] == "(" and after[0] == ")":
            opening = self._char_after(*self._span(call.func)[1]) if call is not None and len(call_arguments(call)) == 1 else None
            if opening != before:
                raise _Unsure("the expression may be parenthesized")
        return start[0], start[1] + 1, end[0], end[1] + 1

    def _statement_position(self, node: ast.stmt) -> tuple[int, int, int, int]:
        """An assignment's range as libcst places it: unsure where a semicolon ends it (libcst's range holds it)."""
        start, end = self._span(node)
        if self._char_after(*end)[0] == ";":
            raise _Unsure("a semicolon ends the statement")
        return start[0], start[1] + 1, end[0], end[1] + 1

    def _span(self, node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
        if node.end_lineno is None or node.end_col_offset is None:
            raise _Unsure("no end position")
        lines = self.lines
        return (node.lineno, char_column(lines[node.lineno - 1], node.col_offset)), (node.end_lineno, char_column(lines[node.end_lineno - 1], node.end_col_offset))

    def _char_before(self, line: int, column: int) -> tuple[str, int, int]:
        """The last character before (line, column) that is not a space, and
        where it is, across line ends; unsure where a comment or a line
        continuation may be in between."""
        text = self.lines[line - 1][:column]
        while True:
            stripped = text.rstrip(" \t\f\r\n")
            if stripped:
                if stripped.endswith("\\"):
                    raise _Unsure("a line continuation before the expression")
                return stripped[-1], line, len(stripped) - 1
            line -= 1
            if line < 1:
                return "", 0, 0
            text = self.lines[line - 1]
            if "#" in text or "\\" in text:
                raise _Unsure("a comment or continuation before the expression")

    def _char_after(self, line: int, column: int) -> tuple[str, int, int]:
        """The first character after (line, column) that is not a space, and
        where it is, across line ends; unsure where a comment or a line
        continuation may be in between."""
        text = self.lines[line - 1]
        at = column
        while True:
            rest = text[at:]
            stripped = rest.lstrip(" \t\f\r\n")
            if stripped:
                if stripped[0] in "#\\":
                    raise _Unsure("a comment or continuation after the expression")
                return stripped[0], line, at + len(rest) - len(stripped)
            line += 1
            if line > len(self.lines):
                return "", 0, 0
            text, at = self.lines[line - 1], 0


def _names_setting(node: ast.AST) -> bool:
    return type(node) is ast.Constant and node.value == _SETTING


def _sets_atomic(node: ast.Dict) -> bool:
    """A key of the dict, or of a dict in it, may be ``ATOMIC_REQUESTS``."""
    for key, value in zip(node.keys, node.values):
        if key is not None and _names_setting(key):
            return True
        if type(value) is ast.Dict and _sets_atomic(value):
            return True
    return False


def _start(node: ast.AST) -> tuple[float, float]:
    line = getattr(node, "lineno", None)
    if line is not None:
        return line, node.col_offset
    starts = [_start(child) for child in ast.iter_child_nodes(node)]
    return min(starts) if starts else (float("inf"), float("inf"))


def _ordered(nodes: list[ast.AST]) -> list[Any]:
    """The nodes in source order (``ast`` lists a dict's keys before its
    values, and a call's keywords after its ``*`` arguments)."""
    return sorted(nodes, key=_start)
