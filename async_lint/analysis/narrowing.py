"""``isinstance`` narrowing: where a name is known to hold a builtin value.

``if isinstance(queryset, list): return len(queryset)`` measures a list,
whatever the parameter's annotation says; so do the ``else`` of
``if not isinstance(queryset, list)`` and the code after
``if not isinstance(queryset, (list, tuple)): return ...``.  Only builtin
types narrow: a class of the project or a library may be a QuerySet.
"""

from __future__ import annotations

import re

from async_lint import lazy_libcst
from async_lint.analysis.reaching import ends_in

cst = lazy_libcst.bind(globals())

# Builtin types no QuerySet, Manager or model instance is an instance of.
_BUILTIN_TYPES = frozenset(f"builtins.{name}" for name in ("list", "tuple", "set", "frozenset", "dict", "str", "bytes", "int", "float", "bool"))
_TESTED_NAME = re.compile(r"\bisinstance\s*\([\s(]*([A-Za-z_]\w*)[\s)]*,")
_RENAMED = re.compile(r"\bisinstance\s+as\b")


def _tested_names(ctx) -> frozenset[str]:
    """The names the file's text tests with ``isinstance(name, ...)``: only
    those may be narrowed (asked at every evaluation, a walk up the stack
    would cost a deep expression the square of its depth)."""
    text = getattr(ctx.source, "text", None)
    if text is None or _RENAMED.search(text) is not None:
        return frozenset({"*"})
    return frozenset(_TESTED_NAME.findall(text)) if "isinstance" in text else frozenset()


def narrowed_to_builtin(ctx, name: str) -> bool:
    """Whether, at the node being visited (``ctx.stack``), an enclosing
    ``isinstance`` test says ``name`` holds a value of a builtin type."""
    tested = ctx.shared(_tested_names)
    if name not in tested and "*" not in tested:
        return False
    stack = ctx.stack
    for depth in range(len(stack) - 2, -1, -1):
        node, child = stack[depth], stack[depth + 1]
        if type(node) is cst.If:
            if child is node.body and _narrows(ctx, node.test, name) is True:
                return True
            if child is node.orelse and _narrows(ctx, node.test, name) is False:
                return True
        elif type(node) in (cst.IndentedBlock, cst.Module):
            for statement in node.body:
                if statement is child:
                    break
                if (
                    type(statement) is cst.If
                    and statement.orelse is None
                    and _narrows(ctx, statement.test, name) is False
                    and ends_in(statement.body, (cst.Return, cst.Raise, cst.Continue, cst.Break))
                ):
                    return True
        elif type(node) in (cst.FunctionDef, cst.Lambda, cst.ClassDef):
            return False
    return False


def _narrows(ctx, test: cst.BaseExpression, name: str) -> bool | None:
    """True: ``test`` holds only where ``name`` is of a builtin type
    (``isinstance(name, list)``); False: only where it is not (``not
    isinstance(...)``), so its failing branch has one; None: neither."""
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        inner = _narrows(ctx, test.expression, name)
        return None if inner is None else not inner
    if type(test) is not cst.Call or len(test.args) != 2 or any(arg.keyword is not None or arg.star for arg in test.args):
        return None
    if ctx.qualified_name(test.func) != "builtins.isinstance":
        return None
    subject, types = test.args[0].value, test.args[1].value
    if type(subject) is not cst.Name or subject.value != name:
        return None
    elements = [element.value for element in types.elements] if type(types) is cst.Tuple else [types]
    return True if elements and all(ctx.qualified_name(element) in _BUILTIN_TYPES for element in elements) else None
