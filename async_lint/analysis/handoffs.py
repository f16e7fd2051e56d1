"""What code that may run off the event loop can load of a model instance.

Django caches a loaded relation on its instance: once a thread has read
``post.author`` (``await sync_to_async(lambda: post.author)()``), reading
``post.author`` on the loop runs no query.  A relation is claimed unloaded
(DJA204) only where nothing handed the instance to such code first.

What a call hands on is described by paths, each (dotted path, whole):
``post.author.name`` read in a thread (not whole) may load the relations
along the path; ``post`` passed to a thread or to an awaited helper (whole)
may have anything below it loaded.
"""

from __future__ import annotations

from typing import Callable

from async_lint import lazy_libcst
from async_lint.analysis.context import handoff_callable_index
from async_lint.analysis.scopes import dotted_name as dotted
from async_lint.walk import children

cst = lazy_libcst.bind(globals())

Path = tuple[str, bool]


def root_name(expr: cst.BaseExpression) -> cst.Name | None:
    """``post`` of ``post.author.profile``, ``post.tags.all()``, ``posts[0].author``."""
    while True:
        kind = type(expr)
        if kind is cst.Attribute or kind is cst.Subscript:
            expr = expr.value
        elif kind is cst.Call:
            expr = expr.func
        else:
            return expr if kind is cst.Name else None


# The parent recorded for an argument of a call that only reads its
# arguments' ids (``reads_in``'s ``query_call``).
_QUERY_ARGUMENT = object()


def reads_in(root: cst.CSTNode, query_call: Callable[[cst.Call], bool] | None = None) -> list[Path]:
    """The paths read below ``root``: ``post.author.name`` (the relations
    along it may load); a name alone, an argument (``helper(post.author)``)
    or a method's receiver (``post.author.get_x()``), whole.  ``query_call``:
    the calls (the ORM's, a model's constructor) that use an instance they
    are given only for its id: such an argument loads nothing below it."""
    found: list[Path] = []
    stack: list[tuple[cst.CSTNode, object]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        kind = type(node)
        if kind is cst.Attribute or kind is cst.Name:
            path = dotted(node)
            if path is not None:
                if parent is _QUERY_ARGUMENT:
                    found.append((path, False))
                elif kind is cst.Name or type(parent) is cst.Arg:
                    found.append((path, True))
                elif type(parent) is cst.Call and parent.func is node:
                    found.append((path.rpartition(".")[0], True))
                else:
                    found.append((path, False))
                continue
            stack.append((node.value, node))
        elif kind is cst.Arg:
            stack.append((node.value, node))
        elif kind is cst.Call and query_call is not None and query_call(node):
            stack.append((node.func, node))
            stack.extend((arg.value, _QUERY_ARGUMENT if type(arg.value) in (cst.Name, cst.Attribute) else arg) for arg in node.args)
        else:
            stack.extend((child, node) for child in children(node))
    return found


def handed_by(
    ctx,
    call: cst.Call,
    scope,
    *,
    awaited: bool,
    local_def: Callable[[str], cst.FunctionDef | None],
    is_instance: Callable[[cst.BaseExpression], bool],
    is_django_call: Callable[[cst.Call], bool],
    loads_nothing: Callable[[cst.Attribute], bool] = lambda method: False,
    runs_in_a_thread: Callable[[cst.Attribute], bool] = lambda method: False,
    is_orm_method: Callable[[cst.BaseExpression], bool] = lambda callable_: False,
) -> list[Path]:
    """What ``call`` (made on the loop, in ``scope``) hands to code that may
    load relations off the loop: what the callable a thread runs reads (a
    lambda's or a local def's reads; a bound method's instance, whole), the
    thread's arguments (``sync_to_async(fn)(post)``, ``to_thread(fn, post)``),
    and the arguments of an awaited call (``await load_author(post)``: an
    async helper may load it in a thread), unless it is Django's own
    (``is_django_call``: ``await Comment.objects.acreate(post=post)``).
    ``loads_nothing(method)``: a bound method handed to a thread that loads
    no relation onto its instance (a model's own ``save``);
    ``runs_in_a_thread(method)``: an awaited method of a fetched instance
    that runs in a thread, where it may load the instance's relations;
    ``is_orm_method(callable)``: a manager's or QuerySet's method handed to
    a thread, which loads no relation of the values it is given."""
    index = handoff_callable_index(ctx, call, scope)
    if index is not None:
        handed = _positional(call, index)
        out = _callable_reads(handed, local_def, loads_nothing) if handed is not None else []
        if handed is not None and is_orm_method(handed):
            return out  # ``to_thread(Order.objects.create, user=u)``: the ORM loads nothing of its values
        return out + _argument_paths(call, is_instance, skip=index + 1)
    if type(call.func) is cst.Call:
        index = handoff_callable_index(ctx, call.func, scope)
        if index is not None:
            handed = _positional(call.func, index)
            if handed is not None and is_orm_method(handed):
                # ``sync_to_async(Order.objects.create)(user=profile)``: Django
                # stores the instances it is given and loads none of their relations.
                return []
            return _argument_paths(call, is_instance)
    if awaited and not is_django_call(call):
        # ``await p.aget_host()``: a method of the instance run in a thread
        # (``@database_sync_to_async``) may load anything below ``p``.
        method = call.func if type(call.func) is cst.Attribute else None
        path = dotted(method.value) if method is not None and runs_in_a_thread(method) else None
        return _argument_paths(call, is_instance) + ([(path, True)] if path is not None else [])
    return []


def _positional(call: cst.Call, index: int) -> cst.BaseExpression | None:
    """The call's ``index``-th positional argument (no ``*`` ones), if it has one."""
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    return positional[index] if index < len(positional) else None


def _callable_reads(handed: cst.BaseExpression, local_def: Callable[[str], cst.FunctionDef | None], loads_nothing: Callable[[cst.Attribute], bool] = lambda method: False) -> list[Path]:
    if type(handed) is cst.Lambda:
        return reads_in(handed.body)
    if type(handed) is cst.Attribute:  # a bound method: its instance, whole
        if loads_nothing(handed):
            return []
        path = dotted(handed.value)
        return [(path, True)] if path is not None else []
    if type(handed) is cst.Name:
        function = local_def(handed.value)
        if function is not None:
            return reads_in(function.body)
    return []


def _argument_paths(call: cst.Call, is_instance: Callable[[cst.BaseExpression], bool], skip: int = 0) -> list[Path]:
    """The values ``call`` passes on from its ``skip``-th positional argument
    on, each whole: a name, a related instance (``post.author``; not a
    field, ``post.title``), or either inside a list, tuple or set
    (``prefetch_related_objects([post], ...)``)."""
    out: list[Path] = []
    position = 0
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            position += 1
            if position <= skip:
                continue
        stack = [arg.value]
        while stack:
            value = stack.pop()
            kind = type(value)
            if kind is cst.Name or (kind is cst.Attribute and is_instance(value)):
                path = dotted(value)
                if path is not None:
                    out.append((path, True))
            elif kind is cst.List or kind is cst.Tuple or kind is cst.Set:
                stack.extend(element.value for element in value.elements)
    return out


def covers(handed: Path, path: str, relation: str | None) -> bool:
    """Whether what was handed (``handed``) may have loaded ``relation`` of
    the instance at ``path`` (None: anything below it)."""
    handed_path, whole = handed
    if whole:
        return path == handed_path or path.startswith(handed_path + ".")
    return relation is not None and (handed_path + ".").startswith(f"{path}.{relation}.")
