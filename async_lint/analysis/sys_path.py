"""Folders a project puts on ``sys.path`` at start-up.

Django projects often keep their apps in a folder of their own and make it
an import root in the settings (or ``manage.py``, ``wsgi.py``, ``asgi.py``)::

    BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(BASE_DIR, "apps"))

after which ``apps/core/utils.py`` is imported as ``core.utils`` even where
``apps/`` holds an ``__init__.py``.  ``start_up_path_folders`` reads those
folders from the module's top-level code with CPython's ``ast``: the path is
evaluated where it is built from ``__file__`` with ``os.path`` and
``pathlib`` (``dirname``, ``abspath``, ``join``, ``Path(...).parent``,
``.resolve()``, ``/``, ``str()``) and the module's own names bound to such
paths; a path it cannot evaluate adds nothing.
"""

from __future__ import annotations

import ast
import os
import re

# Modules run when the project starts: settings, manage.py, the server entry points, pytest's conftest.
_START_UP_NAMES = frozenset({"manage.py", "wsgi.py", "asgi.py", "conftest.py"})
_SYS_PATH = re.compile(r"\bsys\.path\b")
# Calls that give their path argument back unchanged, as far as the folder goes.
_SAME_PATH = frozenset({"abspath", "realpath", "normpath", "fspath", "str", "Path", "PurePath", "PosixPath", "WindowsPath", "resolve", "absolute", "expanduser"})


def is_start_up_module(path: str, text: str) -> bool:
    """A module the project runs when it starts: its settings (a file or a
    package named ``settings``, or one that sets ``INSTALLED_APPS``),
    ``manage.py``, ``wsgi.py``, ``asgi.py`` or a ``conftest.py``."""
    folder, name = os.path.split(path)
    if name in _START_UP_NAMES or name.startswith("settings") or os.path.basename(folder) == "settings":
        return True
    return "INSTALLED_APPS" in text


def start_up_path_folders(path: str, text: str) -> list[str]:
    """The folders (absolute, normalized) that the top-level code of the
    module at ``path`` adds to ``sys.path`` (``insert``, ``append``,
    ``extend``), in order; [] where it adds none that can be evaluated."""
    if _SYS_PATH.search(text) is None:
        return []
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    names: dict[str, str] = {}
    out: list[str] = []
    for statement in _top_level(tree.body):
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            value = _path_of(statement.value, path, names)
            for target in statement.targets if isinstance(statement, ast.Assign) else [statement.target]:
                if isinstance(target, ast.Name):
                    if value is None:
                        names.pop(target.id, None)
                    else:
                        names[target.id] = value
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            for argument in _added_paths(statement.value):
                folder = _path_of(argument, path, names)
                if folder is not None and folder not in out:
                    out.append(folder)
    return out


def _top_level(body: list[ast.stmt]):
    """The module's statements, also inside top-level ``if``/``try``/``with``
    blocks (``if APPS_DIR not in sys.path: sys.path.insert(...)``), never in
    a def or a class."""
    for statement in body:
        yield statement
        if isinstance(statement, (ast.If, ast.With, ast.For, ast.While)):
            yield from _top_level(statement.body)
            yield from _top_level(getattr(statement, "orelse", []))
        elif isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
            yield from _top_level(statement.body)
            for handler in statement.handlers:
                yield from _top_level(handler.body)
            yield from _top_level(statement.orelse)
            yield from _top_level(statement.finalbody)


def _added_paths(call: ast.Call) -> list[ast.expr]:
    """The paths a ``sys.path.insert/append/extend`` call adds."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and _is_sys_path(func.value)):
        return []
    if func.attr == "insert" and len(call.args) == 2:
        return [call.args[1]]
    if func.attr == "append" and len(call.args) == 1:
        return [call.args[0]]
    if func.attr == "extend" and len(call.args) == 1 and isinstance(call.args[0], (ast.List, ast.Tuple)):
        return list(call.args[0].elts)
    return []


def _is_sys_path(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name) and node.value.id == "sys"


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _path_of(node: ast.expr, path: str, names: dict[str, str]) -> str | None:
    """The absolute folder or file ``node`` evaluates to, or None."""
    if isinstance(node, ast.Name):
        if node.id == "__file__":
            return os.path.abspath(path)
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        if node.attr == "parent":
            inner = _path_of(node.value, path, names)
            return os.path.dirname(inner) if inner is not None else None
        return None
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents":
        # Path(__file__).resolve().parents[1]
        inner = _path_of(node.value.value, path, names)
        index = node.slice
        if inner is None or not (isinstance(index, ast.Constant) and isinstance(index.value, int)) or index.value < 0:
            return None
        for _ in range(index.value + 1):
            inner = os.path.dirname(inner)
        return inner
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        base = _path_of(node.left, path, names)
        part = _part(node.right)
        return os.path.normpath(os.path.join(base, part)) if base is not None and part is not None else None
    if not isinstance(node, ast.Call):
        return None
    name = _called_name(node.func)
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    if name in ("resolve", "absolute", "expanduser") and receiver is not None and not node.args:
        # Path(...).resolve(): the method of a path.
        return _path_of(receiver, path, names)
    if name == "joinpath" and receiver is not None:
        base = _path_of(receiver, path, names)
        parts = [_part(arg) for arg in node.args]
        return os.path.normpath(os.path.join(base, *parts)) if base is not None and parts and None not in parts else None
    if name == "dirname" and len(node.args) == 1:
        inner = _path_of(node.args[0], path, names)
        return os.path.dirname(inner) if inner is not None else None
    if name == "join" and node.args:
        base = _path_of(node.args[0], path, names)
        parts = [_part(arg) for arg in node.args[1:]]
        return os.path.normpath(os.path.join(base, *parts)) if base is not None and None not in parts else None
    if name in _SAME_PATH and len(node.args) == 1:
        inner = _path_of(node.args[0], path, names)
        return os.path.normpath(inner) if inner is not None else None
    return None


def _part(node: ast.expr) -> str | None:
    """A relative path part: a string literal (``"apps"``, ``".."``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and not os.path.isabs(node.value):
        return node.value
    return None
