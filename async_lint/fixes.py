"""Autofixes: how a check describes a fix, and how it becomes text edits.

A check builds its fix while it visits the node, with the builders below, and
hands it to ``ctx.report(node, code, message, fix=...)``.  A fix is a
``NodeFix``: libcst node replacements (so the formatting and comments inside
the replaced node survive) plus the imports the new code needs.  The engine
turns it into a serializable ``findings.Fix`` of text ``Edit``s with
``FixResolver``; ``apply_fixes`` applies those edits and checks the result.

A builder returns None where the fix would not certainly be right (``await``
is not allowed there, a name it needs is shadowed, ...): then the finding is
reported without a fix.  Only certain fixes are offered, and they are "safe".

The builders for the shapes the rules need:

- ``await_call(ctx, call, new_func=None)``: ``f(a)`` -> ``await f(a)`` or
  ``await <new_func>(a)``; ``new_func`` may be a dotted name ("asyncio.sleep"),
  referenced through the file's own imports or a new ``import``.
- ``await_method_twin(ctx, call, "asave")``: ``obj.save()`` -> ``await obj.asave()``.
- ``replace_func(ctx, call, "asyncio.get_running_loop")``: no ``await`` added.
- ``wrap_sync_to_async(ctx, call)``: ``f(a)`` -> ``await sync_to_async(f)(a)``.
- ``make_async_for(ctx, for_node)``, ``make_async_comprehension(ctx, comp)``,
  ``list_to_async_comprehension(ctx, call)``: ``list(qs)`` -> ``[x async for x in qs]``.
- ``make_async_iteration(ctx, node, new_iter=...)``: a ``for``, a comprehension
  or ``list(it)`` made async, optionally with a new iterable; with
  ``fresh_name``, ``args_fit`` and ``comprehension_depth`` for its callers.
- ``replace_node(ctx, old, new, message, imports)``: anything else.
- ``reference(ctx, "asgiref.sync.sync_to_async", style="from")`` (a.k.a.
  ``ensure_import``): an expression naming an API from the call site, and the
  import to add when the file has none.

The pure node transforms (``awaited``, ``rename_method``, ``async_for``,
``async_comprehension``, ``sync_to_async_call``) need no context.
"""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence, Union

from async_lint import lazy_libcst

from async_lint.analysis.scopes import BUILTIN_NAMES, IMPORT, dotted_name, lookup
from async_lint.findings import SAFE, Edit, Fix
from async_lint.walk import children

cst = lazy_libcst.bind(globals())

if TYPE_CHECKING:
    from async_lint.analysis.context import FileContext


# Modules whose import goes in the standard-library group of the import block.
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"asyncio", "time", "os", "sys", "json", "typing"}


@dataclass(frozen=True)
class ImportRequest:
    """``import module`` (name None) or ``from module import name``."""

    module: str
    name: str | None = None

    @property
    def bound_name(self) -> str:
        return self.name if self.name is not None else self.module.split(".")[0]

    def statement(self) -> str:
        return f"from {self.module} import {self.name}" if self.name else f"import {self.module}"


@dataclass(frozen=True, eq=False)
class NodeFix:
    """A fix as node replacements, before it is turned into text edits."""

    message: str
    replacements: tuple[tuple[cst.CSTNode, cst.CSTNode], ...]
    imports: tuple[ImportRequest, ...] = ()
    applicability: str = SAFE
    # The indentation of the blocks around the replaced nodes: a node split
    # over lines is generated with it (None: the module's default indent).
    indents: tuple[str | None, ...] = ()


FuncSpec = Union[str, "cst.BaseExpression", None]


# -- pure node transforms ----------------------------------------------------------
def _strip_parens(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.with_changes(lpar=[], rpar=[]) if getattr(expr, "lpar", None) else expr


def needs_parens_when_awaited(node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
    """``await x`` binds looser than ``.attr``, ``[...]`` and ``(...)``."""
    if isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is node:
        return True
    return isinstance(parent, cst.Call) and parent.func is node


def awaited(expr: cst.BaseExpression, parent: cst.CSTNode | None = None, *, original: cst.BaseExpression | None = None) -> cst.BaseExpression:
    """``await expr``, keeping the parentheses that surrounded ``original``
    (default ``expr``) around the whole ``await``, and adding them where the
    parent would otherwise bind tighter (``(await x).attr``)."""
    source = original if original is not None else expr
    lpar, rpar = list(getattr(source, "lpar", ())), list(getattr(source, "rpar", ()))
    if not lpar and needs_parens_when_awaited(source, parent):
        lpar, rpar = [cst.LeftParen()], [cst.RightParen()]
    return cst.Await(expression=_strip_parens(expr), lpar=lpar, rpar=rpar)


def rename_method(call: cst.Call, new_attr: str) -> cst.Call:
    """``recv.m(args)`` -> ``recv.<new_attr>(args)``; the call must be a method call."""
    if not isinstance(call.func, cst.Attribute):
        raise ValueError("rename_method needs a call of the form recv.method(...)")
    return call.with_changes(func=call.func.with_changes(attr=cst.Name(new_attr)))


def sync_to_async_call(call: cst.Call, wrapper: cst.BaseExpression) -> cst.Call:
    """``f(args)`` -> ``wrapper(f)(args)``."""
    func = _strip_parens(call.func) if not isinstance(call.func, (cst.Lambda, cst.Await)) else call.func
    return call.with_changes(func=cst.Call(func=wrapper, args=[cst.Arg(func)]), lpar=[], rpar=[])


def async_for(for_node: cst.For) -> cst.For:
    return for_node.with_changes(asynchronous=cst.Asynchronous())


def async_comprehension(comp: cst.BaseComp) -> cst.BaseComp:
    """Make the outermost ``for`` of a comprehension ``async for``."""
    return comp.with_changes(for_in=comp.for_in.with_changes(asynchronous=cst.Asynchronous()))


def has_plain_args(call: cst.Call, count: int) -> bool:
    """Exactly ``count`` positional arguments, none starred or keyword."""
    return len(call.args) == count and all(a.keyword is None and not a.star for a in call.args)


# -- where a fix may go -----------------------------------------------------------
def can_await_here(ctx: "FileContext") -> bool:
    """True where an ``await`` added at the node being visited is valid and
    runs at the same moment as the code it replaces: directly in an ``async
    def`` body, possibly inside list/set/dict comprehensions; not in a lambda,
    a class body, a generator expression (lazy: it would become an async
    generator) or a sync def."""
    child: cst.CSTNode | None = ctx.stack[-1] if ctx.stack else None
    for ancestor in ctx.ancestors():
        if isinstance(ancestor, cst.FunctionDef):
            if child is ancestor.body:
                return ancestor.asynchronous is not None
        elif isinstance(ancestor, cst.Lambda):
            if child is ancestor.body:
                return False
        elif isinstance(ancestor, cst.ClassDef):
            if child is ancestor.body:
                return False
        elif isinstance(ancestor, cst.GeneratorExp):
            return False
        elif isinstance(ancestor, cst.Module):
            return False
        child = ancestor
    return False


def _top_level_imports(module: cst.Module) -> set[int]:
    """ids of the import statements that run unconditionally at import time."""
    out: set[int] = set()
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            out.update(id(small) for small in statement.body if isinstance(small, (cst.Import, cst.ImportFrom)))
    return out


def _certain_import(ctx: "FileContext", name: str) -> str | None:
    """The dotted name ``name`` certainly stands for at the node being
    visited: every binding of it is one module-level, unconditional import."""
    found = lookup(ctx.scope, name)
    if found is None:
        return None
    scope, bindings = found
    if scope.kind != "module" or any(b.kind != IMPORT for b in bindings):
        return None
    targets = {b.target for b in bindings}
    if len(targets) != 1:
        return None
    top = _top_level_imports(ctx.module)
    if not all(id(b.node) in top for b in bindings):
        return None
    return targets.pop()


def _parse_dotted(dotted: str) -> cst.BaseExpression:
    """The expression ``a.b.c``: built as libcst's parser builds it (the
    parser costs more than the rest of a reference, asked once per scope)."""
    parts = dotted.split(".")
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        return cst.parse_expression(dotted)
    expression: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        expression = cst.Attribute(value=expression, attr=cst.Name(part))
    return expression


def reference(ctx: "FileContext", qualified: str, *, style: str = "module") -> tuple[cst.BaseExpression, ImportRequest | None] | None:
    """An expression that names ``qualified`` (e.g. "asyncio.sleep") at the
    node being visited, and the import to add for it (None when the file
    already imports it).  Reuses the file's own imports and aliases
    (``import asyncio as aio`` -> ``aio.sleep``; ``from asyncio import sleep``
    -> ``sleep``) unless a local name shadows them.  ``style`` says what to add
    otherwise: "module" (``import asyncio`` + ``asyncio.sleep``) or "from"
    (``from asgiref.sync import sync_to_async`` + ``sync_to_async``).  None
    when no name can certainly be used (the name is taken, star imports)."""
    module_scope = ctx.module_scope
    parts = qualified.split(".")
    # Candidates: module-level import bindings of the API or of a module above it.
    for local, bindings in module_scope.bindings.items():
        if local == "*":
            continue
        target = bindings[0].target if bindings[0].kind == IMPORT else None
        if target is None or not (qualified == target or qualified.startswith(target + ".")):
            continue
        if _certain_import(ctx, local) != target:
            continue
        rest = qualified[len(target) :].lstrip(".")
        # ``import a.b`` binds ``a``, whose target is "a": fine for "a.b.c".
        return _parse_dotted(f"{local}.{rest}" if rest else local), None
    if "*" in module_scope.bindings:
        return None
    if style == "from":
        request = ImportRequest(".".join(parts[:-1]), parts[-1])
        expr_text = parts[-1]
    else:
        request = ImportRequest(".".join(parts[:-1]))
        expr_text = qualified
    if lookup(ctx.scope, request.bound_name) is not None or request.bound_name in BUILTIN_NAMES:
        return None
    return _parse_dotted(expr_text), request


ensure_import = reference


def _resolve_func(ctx: "FileContext", spec: FuncSpec, style: str = "module") -> tuple[cst.BaseExpression | None, tuple[ImportRequest, ...]] | None:
    if spec is None or isinstance(spec, cst.BaseExpression):
        return spec, ()
    found = reference(ctx, spec, style=style)
    if found is None:
        return None
    expr, request = found
    return expr, ((request,) if request else ())


# -- builders (node -> NodeFix) -------------------------------------------------
def block_indents(ctx: "FileContext") -> tuple[str | None, ...]:
    """The indentation of the blocks enclosing the node being visited."""
    return tuple(node.indent for node in ctx.stack if isinstance(node, cst.IndentedBlock))


def replace_node(ctx: "FileContext", old: cst.CSTNode, new: cst.CSTNode, message: str, imports: Sequence[ImportRequest] = ()) -> NodeFix:
    """Replace ``old`` (the node being visited or one inside it) with ``new``."""
    return NodeFix(message, ((old, new),), tuple(imports), indents=block_indents(ctx))


def _is_awaited(ctx: "FileContext", node: cst.CSTNode) -> bool:
    parent = _parent_of(ctx, node)
    return isinstance(parent, cst.Await) and parent.expression is node


def _parent_of(ctx: "FileContext", node: cst.CSTNode) -> cst.CSTNode | None:
    return ctx.parent if ctx.stack and ctx.stack[-1] is node else None


def _handed_to_thread(ctx: "FileContext", call: cst.Call) -> bool:
    """``sync_to_async(Model.objects.create(...))``: the call's result is what
    the code hands to a thread as its callable (a mistake of its own); an
    ``await`` added there would hand the thread an instance.  No fix."""
    if not (ctx.stack and ctx.stack[-1] is call):
        return False
    from async_lint.analysis.context import handed_callable

    ancestors = ctx.ancestors()
    arg, outer = next(ancestors, None), next(ancestors, None)
    return isinstance(arg, cst.Arg) and arg.value is call and isinstance(outer, cst.Call) and handed_callable(ctx, outer) is arg


def misplaced_await(ctx: "FileContext", call: cst.Call) -> tuple[cst.Await, cst.BaseExpression, bool] | None:
    """``await f()[0]``, ``await f().name``, ``await f().m()`` (``call`` is
    ``f()``, being visited): the ``await`` applies to the index, attribute or
    method call made on the coroutine, not to the coroutine.  The ``Await``,
    the expression it awaits and whether a call is made on the coroutine's
    value there (``.m()``: which of the two is to be awaited is the
    author's call), or None."""
    if not (ctx.stack and ctx.stack[-1] is call):
        return None
    child: cst.CSTNode = call
    called = False
    for parent in ctx.ancestors():
        kind = type(parent)
        if (kind is cst.Subscript or kind is cst.Attribute) and parent.value is child:
            child = parent
        elif kind is cst.Call and parent.func is child:
            child, called = parent, True
        elif kind is cst.Await and parent.expression is child and child is not call:
            return parent, child, called
        else:
            return None
    return None


def await_call(ctx: "FileContext", call: cst.Call, new_func: FuncSpec = None, *, message: str | None = None) -> NodeFix | None:
    """``f(args)`` -> ``await f(args)``, or ``await <new_func>(args)``.

    Call it while visiting ``call``.  A call that is already awaited only has
    its function replaced; ``await f()[0]`` becomes ``(await f())[0]``."""
    if not can_await_here(ctx) or _handed_to_thread(ctx, call):
        return None
    resolved = _resolve_func(ctx, new_func)
    if resolved is None:
        return None
    func, imports = resolved
    new_call = call.with_changes(func=func) if func is not None else call
    misplaced = misplaced_await(ctx, call)
    if misplaced is not None:
        # The await moves onto the call: ``await f()[0]`` -> ``(await f())[0]``.
        outer, chain, called = misplaced
        if called:
            return None
        inner = cst.Await(expression=_strip_parens(new_call), lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        moved = chain.deep_replace(call, inner)
        if outer.lpar:
            moved = moved.with_changes(lpar=[*outer.lpar, *moved.lpar], rpar=[*moved.rpar, *outer.rpar])
        return replace_node(ctx, outer, moved, message or "Move the `await` onto the call", imports)
    if _is_awaited(ctx, call):
        if func is None:
            return None
        replacement: cst.BaseExpression = new_call
    else:
        replacement = awaited(new_call, _parent_of(ctx, call), original=call)
    shown = cst.Module([]).code_for_node(func) if func is not None else None
    text = message or (f"Use `await {shown}(...)`" if shown else "Add `await`")
    return replace_node(ctx, call, replacement, text, imports)


def await_method_twin(ctx: "FileContext", call: cst.Call, new_attr: str, *, message: str | None = None) -> NodeFix | None:
    """``recv.m(args)`` -> ``await recv.<new_attr>(args)`` (``save`` -> ``asave``)."""
    if not isinstance(call.func, cst.Attribute):
        return None
    return await_call(ctx, call, rename_method(call, new_attr).func, message=message or f"Use `await ....{new_attr}(...)`")


def replace_func(ctx: "FileContext", call: cst.Call, new_func: str | cst.BaseExpression, *, message: str | None = None) -> NodeFix | None:
    """``f(args)`` -> ``<new_func>(args)``, no ``await`` (e.g. get_running_loop)."""
    resolved = _resolve_func(ctx, new_func)
    if resolved is None or resolved[0] is None:
        return None
    func, imports = resolved
    text = message or f"Use `{cst.Module([]).code_for_node(func)}(...)`"
    return replace_node(ctx, call.func, func, text, imports)


def wrap_sync_to_async(ctx: "FileContext", call: cst.Call, *, message: str | None = None) -> NodeFix | None:
    """``f(args)`` -> ``await sync_to_async(f)(args)``, importing sync_to_async when needed."""
    if not can_await_here(ctx) or _is_awaited(ctx, call):
        return None
    resolved = _resolve_func(ctx, "asgiref.sync.sync_to_async", style="from")
    if resolved is None:
        return None
    wrapper, imports = resolved
    new_call = sync_to_async_call(call, wrapper)  # type: ignore[arg-type]
    replacement = awaited(new_call, _parent_of(ctx, call), original=call)
    return replace_node(ctx, call, replacement, message or "Wrap in `await sync_to_async(...)(...)`", imports)


def make_async_for(ctx: "FileContext", for_node: cst.For, *, message: str = "Use `async for`") -> NodeFix | None:
    """``for x in it:`` -> ``async for x in it:``.  Call it while visiting the ``for``."""
    if for_node.asynchronous is not None or not can_await_here(ctx):
        return None
    return replace_node(ctx, for_node, async_for(for_node), message)


def make_async_comprehension(ctx: "FileContext", comp: cst.BaseComp, *, message: str = "Use an async comprehension") -> NodeFix | None:
    """``[x for x in qs]`` -> ``[x async for x in qs]`` (not generator expressions)."""
    if isinstance(comp, cst.GeneratorExp) or comp.for_in.asynchronous is not None or not can_await_here(ctx):
        return None
    return replace_node(ctx, comp, async_comprehension(comp), message)


def list_to_async_comprehension(ctx: "FileContext", call: cst.Call, *, var: str = "item", message: str = "Use `[x async for x in ...]`") -> NodeFix | None:
    """``list(qs)`` -> ``[item async for item in qs]``; the comprehension
    variable is local to the comprehension, and ``qs`` is evaluated outside it."""
    if not has_plain_args(call, 1) or not can_await_here(ctx):
        return None
    name = cst.Name(var)
    comp = cst.ListComp(
        elt=name,
        for_in=cst.CompFor(target=name, iter=_strip_parens(call.args[0].value), asynchronous=cst.Asynchronous()),
        lbracket=cst.LeftSquareBracket(),
        rbracket=cst.RightSquareBracket(),
        lpar=list(call.lpar),
        rpar=list(call.rpar),
    )
    return replace_node(ctx, call, comp, message)


# -- builders for rewriting iteration (the Django rules) -----------------------------
# By class name: a constant of libcst's classes would import libcst with this module.
_COMPREHENSIONS = frozenset({"ListComp", "SetComp", "DictComp", "GeneratorExp"})


def comprehension_depth(ctx: "FileContext") -> int:
    """How many comprehensions enclose the node being visited (itself
    included), up to its function.  Before Python 3.11 an async
    comprehension (or an ``await``, which makes one) nested in another
    comprehension is a SyntaxError, so fixes stay within depth 1."""
    depth = 0
    for node in reversed(ctx.stack):
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)):
            break
        if type(node).__name__ in _COMPREHENSIONS:
            depth += 1
    return depth


def args_fit(call: cst.Call, params: Sequence[str]) -> bool:
    """The call passes only what a signature with exactly these parameters
    (all positional-or-keyword) accepts: no ``*``/``**``, at most
    ``len(params)`` positional arguments, keywords among the rest."""
    if any(a.star for a in call.args):
        return False
    positional = [a for a in call.args if a.keyword is None]
    keywords = [a.keyword.value for a in call.args if a.keyword is not None]
    if len(positional) > len(params):
        return False
    allowed = set(params[len(positional) :])
    return all(k in allowed for k in keywords) and len(set(keywords)) == len(keywords)


def _names_in(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        stack.extend(children(current))
    return found


def fresh_name(ctx: "FileContext", candidates: Sequence[str], avoid: cst.CSTNode | None = None) -> str:
    """The first of ``candidates`` (else the first with a number) that names
    nothing visible at the node being visited, no builtin, no keyword, and
    no name inside ``avoid``: a comprehension variable that hides nothing."""
    import keyword

    used = _names_in(avoid) if avoid is not None else set()

    def free(name: str) -> bool:
        return name.isidentifier() and not keyword.iskeyword(name) and name not in used and name not in BUILTIN_NAMES and ctx.lookup(name) is None

    for name in candidates:
        if free(name):
            return name
    base, number = candidates[0], 2
    while not free(f"{base}{number}"):
        number += 1
    return f"{base}{number}"


def make_async_iteration(
    ctx: "FileContext",
    node: cst.CSTNode,
    *,
    new_iter: cst.BaseExpression | None = None,
    var: Sequence[str] = ("item",),
    message: str = "Iterate with `async for`",
) -> NodeFix | None:
    """Make the iteration at the node being visited asynchronous:

    - a ``for`` statement -> ``async for``;
    - the outermost ``for`` of a list/set/dict comprehension (visit its
      ``CompFor``) -> an async comprehension;
    - ``list(it)`` -> ``[item async for item in it]`` (``item``: the first free
      name of ``var``).

    ``new_iter`` replaces the iterable (``qs.iterator()`` -> ``qs.aiterator()``).
    None where ``async for`` would not be valid there or would run at another
    moment: outside an ``async def`` body, in a generator expression, in a
    nested comprehension."""
    if not can_await_here(ctx):
        return None
    depth = comprehension_depth(ctx)
    if isinstance(node, cst.For):
        if node.asynchronous is not None or depth:
            return None
        new_for = node.with_changes(asynchronous=cst.Asynchronous(), iter=new_iter if new_iter is not None else node.iter)
        return replace_node(ctx, node, new_for, message)
    if isinstance(node, cst.CompFor):
        comp = ctx.parent
        if not isinstance(comp, (cst.ListComp, cst.SetComp, cst.DictComp)) or comp.for_in is not node or node.asynchronous is not None or depth != 1:
            return None
        new_in = node.with_changes(asynchronous=cst.Asynchronous(), iter=new_iter if new_iter is not None else node.iter)
        return replace_node(ctx, comp, comp.with_changes(for_in=new_in), message)
    if isinstance(node, cst.Call):
        if not has_plain_args(node, 1) or depth:
            return None
        source = node.args[0].value
        if "#" in cst.Module([]).code_for_node(node.with_changes(func=cst.Name("list"))):
            return None  # a comment inside the call would be lost
        iterable = new_iter if new_iter is not None else source
        name = cst.Name(fresh_name(ctx, var, source))
        comp = cst.ListComp(
            elt=name,
            for_in=cst.CompFor(target=name, iter=_strip_parens(iterable), asynchronous=cst.Asynchronous()),
            lbracket=cst.LeftSquareBracket(),
            rbracket=cst.RightSquareBracket(),
            lpar=list(node.lpar),
            rpar=list(node.rpar),
        )
        return replace_node(ctx, node, comp, message)
    return None


# -- NodeFix -> Fix (text edits) ------------------------------------------------
def _key(module: str, is_from: bool) -> tuple[int, int, str]:
    if module == "__future__":
        section = 0
    elif module.split(".")[0] in _STDLIB:
        section = 1
    else:
        section = 2
    return section, int(is_from), module.lower()


def _statement_module(small: cst.CSTNode) -> tuple[str, bool] | None:
    if isinstance(small, cst.Import):
        return (dotted_name(small.names[0].name) or ""), False
    if isinstance(small, cst.ImportFrom):
        if small.relative:
            return "." * len(small.relative) + (dotted_name(small.module) or "" if small.module else ""), True
        return (dotted_name(small.module) or "") if small.module is not None else "", True
    return None


_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def _inclusive_positions(module: cst.Module):
    from libcst.metadata import MetadataWrapper, WhitespaceInclusivePositionProvider

    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(WhitespaceInclusivePositionProvider)


class FixResolver:
    """Turns the fixes reported on one parsed module into text edits."""

    def __init__(self, module: cst.Module, text: str):
        self.module = module
        self.text = text
        self._offsets: list[int] | None = None
        self._positions: Any = None
        self._head: Any = None
        self._spans: dict[int, tuple[int, int, int, int]] | None = None

    @property
    def positions(self):
        if self._positions is None:
            self._positions = _inclusive_positions(self.module)
        return self._positions

    def _where(self, node: cst.CSTNode):
        """``node``'s whitespace-inclusive range.  An import edit reads only
        the module's head (its docstring and leading import block, or its
        first statement when it has neither): that head is rendered alone,
        the same nodes at the same places, unless the whole module was
        rendered already."""
        if self._positions is None:
            if self._head is None:
                self._head = _inclusive_positions(self.module.with_changes(body=self._head_statements()))
            where = self._head.get(node)
            if where is not None:
                return where
        return self.positions[node]

    def _head_statements(self) -> list[cst.BaseStatement]:
        """The statements an import edit is placed by: the docstring and the
        leading import block, or the first statement when there are neither."""
        docstring, imports = self._header()
        return self.module.body[: (docstring is not None) + len(imports) or 1]

    def _statement_span(self, statement: cst.BaseStatement) -> tuple[int, int, int, int]:
        """A head statement's whitespace-inclusive (row, column, end row, end
        column): the module's header and head statements rendered in order,
        as the module renders them (a render with position metadata costs
        several milliseconds a file even for a few lines)."""
        if self._spans is None:
            from libcst._nodes.internal import CodegenState

            module = self.module
            state = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
            row, column, done = 1, 0, 0

            def advance() -> None:
                nonlocal row, column, done
                text = "".join(state.tokens[done:])
                done = len(state.tokens)
                breaks = _LINE_BREAKS.findall(text)
                if breaks:
                    row += len(breaks)
                    column = len(text) - (text.rfind(breaks[-1][-1]) + 1)
                else:
                    column += len(text)

            for line in module.header:
                line._codegen(state)
            advance()
            spans: dict[int, tuple[int, int, int, int]] = {}
            head = self._head_statements()
            for statement_ in head:
                start = (row, column)
                statement_._codegen(state)
                advance()
                spans[id(statement_)] = (*start, row, column)
            self._spans = spans
        found = self._spans.get(id(statement))
        if found is None:
            where = self._where(statement)
            return where.start.line, where.start.column, where.end.line, where.end.column
        return found

    def resolve(self, fix: Any) -> Fix | None:
        """A ``Fix`` for what a check passed as ``fix=``; None when there is none
        (or building it failed: a fix must never cost the finding)."""
        if fix is None:
            return None
        if isinstance(fix, Fix):
            return fix
        try:
            if callable(fix) and not isinstance(fix, NodeFix):
                fix = fix()
                if fix is None or isinstance(fix, Fix):
                    return fix
            if fix.applicability != SAFE:
                return None
            edits = [self._replacement(old, new, fix.indents) for old, new in fix.replacements]
            if None in edits:
                return None
            edits += [self._import_edit(request) for request in dict.fromkeys(fix.imports)]
        except Exception:  # noqa: BLE001 - report without a fix rather than lose the finding
            return None
        edits = sorted(set(edits), key=lambda e: (e.row, e.column, e.end_row, e.end_column))
        return Fix(fix.message, fix.applicability, tuple(edits))

    def _code(self, node: cst.CSTNode, indents: tuple[str | None, ...]) -> str:
        from libcst._nodes.internal import CodegenState

        state = CodegenState(default_indent=self.module.default_indent, default_newline=self.module.default_newline)
        state.indent_tokens = [self.module.default_indent if indent is None else indent for indent in indents]
        node._codegen(state)
        return "".join(state.tokens)

    def _offset(self, line: int, column: int) -> int:
        if self._offsets is None:
            self._offsets = line_offsets(self.text)
        return self._offsets[line - 1] + column

    def _replacement(self, old: cst.CSTNode, new: cst.CSTNode, indents: tuple[str | None, ...] = ()) -> Edit | None:
        """The edit replacing ``old``'s text with ``new``'s code; None when the
        old node's own code, generated the same way, is not the text at its
        position (the fix was built away from the node's indentation)."""
        where = self._where(old)
        start, end = self._offset(where.start.line, where.start.column), self._offset(where.end.line, where.end.column)
        if self._code(old, indents) != self.text[start:end]:
            return None
        return Edit(self._code(new, indents), where.start.line, where.start.column + 1, where.end.line, where.end.column + 1)

    # -- imports -------------------------------------------------------------------
    def _header(self) -> tuple[cst.SimpleStatementLine | None, list[cst.SimpleStatementLine]]:
        """The module docstring and the statements of the leading import block."""
        body = self.module.body
        docstring = None
        start = 0
        if body and isinstance(body[0], cst.SimpleStatementLine) and len(body[0].body) == 1:
            expr = body[0].body[0]
            if isinstance(expr, cst.Expr) and isinstance(expr.value, (cst.SimpleString, cst.ConcatenatedString)):
                docstring, start = body[0], 1
        imports = []
        for statement in body[start:]:
            if not (isinstance(statement, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body)):
                break
            imports.append(statement)
        return docstring, imports

    def _line_start(self, statement: cst.SimpleStatementLine) -> int:
        """The row of a statement's own first line (after its leading comments)."""
        return self._statement_span(statement)[0] + len(statement.leading_lines)

    def _insert_before(self, statement: cst.SimpleStatementLine, text: str) -> Edit:
        row = self._line_start(statement)
        return Edit(text, row, 1, row, 1)

    def _insert_after(self, statement: cst.SimpleStatementLine, text: str) -> Edit:
        _row, _column, end_row, end_column = self._statement_span(statement)
        if end_column != 0:  # the last line of a file without a final newline
            text = self.module.default_newline + text.rstrip("\r\n")
        return Edit(text, end_row, end_column + 1, end_row, end_column + 1)

    def _import_edit(self, request: ImportRequest) -> Edit:
        nl = self.module.default_newline
        line = request.statement() + nl
        docstring, header = self._header()
        if request.name is not None:
            for statement in header:
                for small in statement.body:
                    if (
                        isinstance(small, cst.ImportFrom)
                        and not small.relative
                        and small.module is not None
                        and _statement_module(small) == (request.module, True)
                        and not isinstance(small.names, cst.ImportStar)
                    ):
                        edit = self._replacement(small, _add_import_name(small, request.name))
                        if edit is not None:
                            return edit
        new_key = _key(request.module, request.name is not None)
        keyed = [(statement, _key(*_statement_module(statement.body[0]))) for statement in header]  # type: ignore[misc]
        if not keyed or all(key[0] == 0 for _, key in keyed):
            anchor = header[-1] if header else docstring
            if anchor is not None:
                return self._insert_after(anchor, nl + line)
            first = self.module.body[0]
            return self._insert_before(first, line + nl)  # type: ignore[arg-type]
        same = [(s, k) for s, k in keyed if k[0] == new_key[0]]
        if same:
            for statement, key in same:
                if key > new_key:
                    return self._insert_before(statement, line)
            return self._insert_after(same[-1][0], line)
        for statement, key in keyed:
            if key[0] > new_key[0]:
                return self._insert_before(statement, line + nl)
        return self._insert_after(keyed[-1][0], nl + line)


def _add_import_name(node: cst.ImportFrom, name: str) -> cst.ImportFrom:
    """``from m import a, c`` + b -> ``from m import a, b, c`` (sorted when the
    names are), keeping the statement's own layout (parentheses, one per line)."""
    names = list(node.names)  # type: ignore[arg-type]
    new_alias = cst.ImportAlias(name=cst.Name(name))
    plain = [cst.Module([]).code_for_node(a.name) for a in names]
    position = len(names)
    if plain == sorted(plain, key=str.lower):
        position = next((i for i, existing in enumerate(plain) if existing.lower() > name.lower()), len(names))
    trailing = names[-1].comma
    if len(names) >= 2 and isinstance(names[0].comma, cst.Comma):
        separator = names[0].comma
    elif node.lpar is not None and isinstance(node.lpar.whitespace_after, cst.ParenthesizedWhitespace):
        separator = cst.Comma(whitespace_after=node.lpar.whitespace_after)
    else:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    names.insert(position, new_alias)
    rebuilt = [alias.with_changes(comma=separator) for alias in names[:-1]]
    rebuilt.append(names[-1].with_changes(comma=trailing))
    return node.with_changes(names=rebuilt)


def line_offsets(text: str) -> list[int]:
    """Offsets of the start of each line (1-based rows index offsets[row - 1]),
    with Python's newlines: \\r\\n, \\r and \\n."""
    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
