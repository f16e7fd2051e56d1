"""Where code turns an object into text with its ``__str__``.

``f"{conversation}"``, ``str(conversation)``, ``"{}".format(conversation)``
and ``"%s" % conversation`` call the object's ``__str__``; a model's that
reads a relation (``return f"{self.user.username}: {self.title}"``) runs a
query there, which in async code raises SynchronousOnlyOperation.  A format
spec, a ``!r`` conversion or a ``%r`` calls another method, and is left
out, as is a placeholder this module cannot read.
"""

from __future__ import annotations

import re
import string

from async_lint import lazy_libcst

cst = lazy_libcst.bind(globals())

# A ``%`` directive: its mapping key, flags, width, precision and conversion.
_PERCENT = re.compile(r"%(\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(.)")


def formatted_objects(ctx, node: cst.CSTNode) -> list[cst.BaseExpression]:
    """The expressions whose ``__str__`` ``node`` calls (names and attribute
    reads only: what the project index may know the class of)."""
    kind = type(node)
    if kind is cst.FormattedStringExpression:
        found = [node.expression] if node.format_spec is None and node.conversion in (None, "s") else []
    elif kind is cst.Call:
        found = _called(ctx, node)
    elif kind is cst.BinaryOperation and type(node.operator) is cst.Modulo:
        found = _interpolated(node)
    else:
        return []
    return [expr for expr in found if type(expr) in (cst.Name, cst.Attribute)]


def _literal(node: cst.BaseExpression) -> str | None:
    if type(node) in (cst.SimpleString, cst.ConcatenatedString):
        try:
            value = node.evaluated_value
        except (ValueError, SyntaxError, TypeError):
            return None
        return value if isinstance(value, str) else None
    return None


def _called(ctx, node: cst.Call) -> list[cst.BaseExpression]:
    args = node.args
    if any(arg.star for arg in args):
        return []
    func = node.func
    if type(func) is cst.Attribute and func.attr.value == "format":
        text = _literal(func.value)
        if text is None or not _plain_fields(text):
            return []
        return [arg.value for arg in args]
    if type(func) is cst.Name and len(args) == 1 and args[0].keyword is None and ctx.qualified_name(func) == "builtins.str":
        return [args[0].value]
    return []


def _plain_fields(text: str) -> bool:
    """Every replacement field of a ``str.format`` text has no conversion
    and no format spec (``{}``, ``{0}``, ``{name}``)."""
    try:
        return all(conversion is None and not spec for _literal_text, field, spec, conversion in string.Formatter().parse(text) if field is not None)
    except ValueError:
        return False


def _interpolated(node: cst.BinaryOperation) -> list[cst.BaseExpression]:
    text = _literal(node.left)
    if text is None:
        return []
    directives = [match for match in _PERCENT.finditer(text) if match.group(2) != "%"]
    if not directives or any(match.group(1) is not None or match.group(2) != "s" for match in directives):
        return []  # ``%r``, ``%d``, a mapping key: another method, or a dict
    right = node.right
    if type(right) is cst.Tuple:
        return [element.value for element in right.elements if type(element) is cst.Element]
    return [right] if len(directives) == 1 else []
