"""What one module declares about Django models, read with CPython's ``ast``.

A skeleton is plain data (JSON-able, cached by content): the module's
top-level imports, and for each top-level class its bases, its relation
fields, its manager assignments, its ``Meta`` flags and, for classes that
may be QuerySets or managers, what each method does (stays lazy or runs a
query).  Nothing is resolved across modules here: ``model_table.py`` joins
the skeletons of the whole project (and of installed apps) into the model
table the per-file analysis asks.
"""

from __future__ import annotations

import ast
import re

from async_lint.analysis.django_vocabulary import DJANGO_MANAGER_METHODS, EVALUATING_METHODS, FILE_FIELDS, LAZY_METHODS, RELATED_EVALUATING_METHODS, RELATION_FIELDS

SKELETON_FORMAT = 9
# Django's Model methods that load no relation onto the instance (``save``
# reads only the relations already cached): a model that does not override
# them hands a thread nothing of its relations with ``sync_to_async(obj.save)``.
RELATION_NEUTRAL_METHODS = ("delete", "save")
# The query methods of Django's own managers (``create_user``), which a
# method of a project's manager may call or define anew.
DJANGO_MANAGER_METHOD_NAMES = frozenset(name for methods in DJANGO_MANAGER_METHODS.values() for name in methods)

# A file worth reading for model facts: it defines a class on some base.
CLASS_WITH_BASES = re.compile(r"(?m)^[ \t]*class[ \t]+\w+[ \t]*\(")
# AUTH_USER_MODEL = "accounts.User" in a settings module.
AUTH_USER_MODEL_SETTING = re.compile(r"""(?m)^AUTH_USER_MODEL\s*=\s*['"]([\w]+\.[\w]+)['"]""")


def lines_matching(pattern: re.Pattern, word: str, text: str):
    """The matches of ``pattern.finditer(text)`` on the lines that contain
    ``word``, for a pattern that only matches from a line's start (``(?m)^``)
    to within that line: found without trying the pattern at every line of a
    long file (the regex engine has no literal to skip ahead to)."""
    find = text.find
    at = find(word)
    while at != -1:
        end = find("\n", at)
        if end == -1:
            end = len(text)
        match = pattern.match(text, text.rfind("\n", 0, at) + 1, end)
        if match is not None:
            yield match
        at = find(word, end)


def defines_class_with_bases(text: str) -> bool:
    return next(lines_matching(CLASS_WITH_BASES, "class", text), None) is not None


# Builtins that iterate or measure their argument.
_EVALUATING_BUILTINS = frozenset({"len", "list", "tuple", "set", "sorted", "bool", "any", "all", "sum", "max", "min"})


def resolve_relative(module: str | None, level: int, current: str, is_package: bool) -> str:
    if level == 0:
        return module or ""
    parts = current.split(".") if current else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: max(0, len(parts) - (level - 1))]
    base = ".".join(parts)
    if module:
        return f"{base}.{module}" if base else module
    return base


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class _Resolver:
    """Names of one module qualified through its top-level imports and classes."""

    def __init__(self, module: str, imports: dict[str, str], local: set[str]):
        self.module = module
        self.imports = imports
        self.local = local

    def qualify(self, node: ast.AST) -> str | None:
        while isinstance(node, ast.Subscript):
            node = node.value  # a generic class's alias (``models.Manager[T]``) is the class
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if head in self.imports:
            base = self.imports[head]
        elif head in self.local:
            base = f"{self.module}.{head}"
        else:
            return None
        return f"{base}.{rest}" if rest else base


def module_imports(tree: ast.Module, module: str, is_package: bool, star: list[str] | None = None) -> dict[str, str]:
    """Top-level (and ``if``/``try``-guarded) import bindings: local name ->
    qualified target; ``star`` gets the modules of ``from m import *``."""
    out: dict[str, str] = {}
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    out.setdefault(top, top)
        elif isinstance(node, ast.ImportFrom):
            base = resolve_relative(node.module, node.level, module, is_package)
            for alias in node.names:
                if alias.name == "*":
                    if star is not None and base and base not in star:
                        star.append(base)
                    continue
                out[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        elif isinstance(node, (ast.If, ast.Try)):
            stack.extend(node.body)
            stack.extend(getattr(node, "orelse", ()))
            for handler in getattr(node, "handlers", ()):
                stack.extend(handler.body)
    return out


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _reference(node: ast.AST | None, resolver: _Resolver) -> dict | None:
    """A relation's target: ``{"str": "app.Model"}``, ``{"q": qualified}``, or ``{"setting": name}``."""
    if node is None:
        return None
    text = _string(node)
    if text is not None:
        return {"str": text}
    qualified = resolver.qualify(node)
    if qualified == "django.conf.settings.AUTH_USER_MODEL":
        return {"setting": "AUTH_USER_MODEL"}
    if qualified is not None:
        return {"q": qualified}
    if isinstance(node, ast.Name):
        return {"str": node.id}
    return None


def _is_self_chain(node: ast.AST, self_names: set[str]) -> bool:
    """``self``, ``self.filter(...).live()``, ``super().get_queryset()``: a
    QuerySet reached from ``self`` by method calls (not ``self._cache``)."""
    if isinstance(node, ast.Name):
        return node.id in self_names
    if _is_super(node):
        return True
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        return _is_self_chain(node.value, self_names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return _is_self_chain(node.func.value, self_names)
    return False


def _is_lazy_chain(node: ast.AST, self_names: set[str]) -> bool:
    """A QuerySet built from ``self`` without running a query."""
    if isinstance(node, ast.Name):
        return node.id in self_names
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) and node.slice.step is None:
        return _is_lazy_chain(node.value, self_names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        method = node.func.attr
        if method in LAZY_METHODS or method == "get_queryset":
            return _is_lazy_chain(node.func.value, self_names) or _is_super(node.func.value)
    return False


def _is_super(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


# Per node type, the fields that can hold a statement or an expression: the
# others (names, operators, contexts, constants) hold leaves that nothing here
# asks about, and a node with no such field (a name, a constant) is a leaf
# itself, so the walks below never visit them.
_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "name", "arg", "kind", "type_comment", "is_async", "level", "module", "names", "conversion", "kwd_attrs"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    node_type: () if node_type is ast.Constant else tuple(f for f in node_type._fields if f not in _LEAF_FIELDS)
    for node_type in vars(ast).values()
    if isinstance(node_type, type) and issubclass(node_type, ast.AST)
}
_BRANCHES = frozenset(node_type for node_type, fields in _CHILD_FIELDS.items() if fields)
_SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})
_EVALUATING_ATTRIBUTES = EVALUATING_METHODS | RELATED_EVALUATING_METHODS
_SUPER = object()  # the root of a chain that starts at ``super()``


def _push_children(node: ast.AST, stack: list) -> None:
    """``stack.extend(ast.iter_child_nodes(node))``, the leaves left out."""
    for name in _CHILD_FIELDS[type(node)]:
        value = getattr(node, name)
        if type(value) is list:
            stack.extend([item for item in value if type(item) in _BRANCHES])
        elif type(value) in _BRANCHES:
            stack.append(value)


def _own_nodes(function: ast.AST):
    """Nodes of a function body, not of nested defs, classes or lambdas (the
    leaves aside), last child first."""
    stack: list = []
    _push_children(function, stack)
    while stack:
        node = stack.pop()
        if type(node) in _SCOPES:
            continue
        yield node
        _push_children(node, stack)


def _lazy_root(node: ast.AST):
    """Where the chain ``_is_lazy_chain`` follows ends: a name, ``_SUPER``, or
    None (no chain), so that ``_is_lazy_chain(node, names)`` is
    ``root is _SUPER or root in names`` for every ``names``."""
    while True:
        node_type = type(node)
        if node_type is ast.Name:
            return node.id
        if node_type is ast.Subscript and type(node.slice) is ast.Slice and node.slice.step is None:
            node = node.value
        elif node_type is ast.Call and type(node.func) is ast.Attribute and (node.func.attr in LAZY_METHODS or node.func.attr == "get_queryset"):
            node = node.func.value
            if _is_super(node):
                return _SUPER
        else:
            return None


def _method_kind(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, str | list[str] | None]:
    """("evaluates", what) when the body runs a query on ``self``'s QuerySet
    or saves a row it made (``user = self.model(...)``; ``user.save()``);
    ("lazy", None) when every return is a QuerySet built from ``self``;
    ("calls", names) when it calls other methods of ``self``, which may;
    else ("other", None).

    One walk of the body gathers what can decide it: the calls and loops that
    could run a query (the first, in walk order, that does decides), the
    returns, and the locals bound from a chain on ``self``."""
    if isinstance(function, ast.AsyncFunctionDef):
        return _async_method_kind(function)
    args = function.args.posonlyargs + function.args.args
    if not args or any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list):
        return "other", None
    if any(_thread_adapter(d) for d in function.decorator_list):
        # ``@sync_to_async def aget(self, ...)``: awaiting it runs the body in a thread.
        return "other", None
    first = args[0].arg
    evaluating: list[ast.AST] = []
    returns: list[ast.AST | None] = []
    assigns: list[ast.Assign] = []
    nested: list[ast.AST] = []
    saves: list[ast.Call] = []  # ``user.save(...)``
    own_calls: list[str] = []  # ``self.create_user(...)``: methods of the class it calls
    stack: list = []
    _push_children(function, stack)
    while stack:
        node = stack.pop()
        node_type = type(node)
        if node_type is ast.Call:
            func = node.func
            func_type = type(func)
            if func_type is ast.Attribute:
                attr = func.attr
                if attr in _EVALUATING_ATTRIBUTES:
                    evaluating.append(node)
                elif attr == "save":
                    saves.append(node)
                elif type(func.value) is ast.Name and func.value.id == first and attr not in LAZY_METHODS and attr != "get_queryset":
                    own_calls.append(attr)
            elif func_type is ast.Name and func.id in _EVALUATING_BUILTINS and node.args:
                evaluating.append(node)
        elif node_type is ast.For or node_type is ast.comprehension:
            if not getattr(node, "is_async", 0):
                evaluating.append(node)
        elif node_type is ast.Return:
            returns.append(node.value)
        elif node_type is ast.Assign:
            if len(node.targets) == 1 and type(node.targets[0]) is ast.Name:
                assigns.append(node)
        elif node_type in _SCOPES:
            nested.append(node)
            continue
        # _push_children, inlined: this loop visits every node of every method of every model-like class.
        for name in _CHILD_FIELDS[node_type]:
            value = getattr(node, name)
            if type(value) is list:
                stack.extend([item for item in value if type(item) in _BRANCHES])
            elif type(value) in _BRANCHES:
                stack.append(value)
    if not evaluating and not returns and not saves and not own_calls:
        return "other", None
    self_names = _self_names(function, first, assigns, nested)
    for node in evaluating:
        if type(node) is ast.Call:
            func = node.func
            if type(func) is ast.Attribute:
                if _is_self_chain(func.value, self_names):
                    return "evaluates", f".{func.attr}()"
            elif _is_self_chain(node.args[0], self_names):
                return "evaluates", f"{func.id}()"
        elif _is_self_chain(node.iter, self_names):
            return "evaluates", "iteration"
    if saves and _saves_a_row(saves, assigns, first):
        return "evaluates", ".save()"
    if returns and all(value is not None and _is_lazy_chain(value, self_names) for value in returns):
        # ``return self.select_related("video", ...)``: what it loads is not
        # kept, so its rows' relations count as loaded (not claimed unloaded).
        return "lazy", ("selects" if any(_selects(value) for value in returns) else None)
    if own_calls:
        # What the called methods do is read with the class's other methods (model_table.py).
        return "calls", list(dict.fromkeys(reversed(own_calls)))
    return "other", None


def _made_by_self(node: ast.AST, first: str) -> bool:
    """``self.model(...)``, ``self._create_user_object(...)``: an object a
    manager method makes through ``self``."""
    return type(node) is ast.Call and type(node.func) is ast.Attribute and type(node.func.value) is ast.Name and node.func.value.id == first


def _saves_a_row(saves: list[ast.Call], assigns: list[ast.Assign], first: str) -> bool:
    """A ``save()`` in a manager method that writes a row: of an instance the
    method made through ``self`` (``user = self.model(...)``), or saved to
    the manager's database (``user.save(using=self._db)``)."""
    made = {node.targets[0].id for node in assigns if _made_by_self(node.value, first)}
    for call in saves:
        receiver = call.func.value  # type: ignore[attr-defined]
        if _made_by_self(receiver, first) or (type(receiver) is ast.Name and receiver.id in made):
            return True
        for keyword in call.keywords:
            value = keyword.value
            if keyword.arg == "using" and type(value) is ast.Attribute and value.attr in ("_db", "db") and type(value.value) is ast.Name and value.value.id == first:
                return True
    return False


_THREAD_ADAPTERS = frozenset({"sync_to_async", "database_sync_to_async"})


def _thread_adapter(decorator: ast.expr) -> bool:
    """``@sync_to_async``, ``@database_sync_to_async``, ``@sync_to_async(thread_sensitive=...)``
    (by the name's last part: the skeleton resolves no import)."""
    if type(decorator) is ast.Call:
        decorator = decorator.func
    name = decorator.id if type(decorator) is ast.Name else decorator.attr if type(decorator) is ast.Attribute else ""
    return name in _THREAD_ADAPTERS


def _async_method_kind(function: ast.AsyncFunctionDef) -> tuple[str, str | None]:
    """("awaits", method) for ``async def aget_or_none(self, **kw): return
    await self.aget(**kw)`` (a manager's ``await self.get_queryset().m(...)``
    too): every return awaits the same method of ``self``'s QuerySet, or is
    None; the inference reads what that method gives (an instance, for
    ``aget``).  Not where the chain selects relations (what it loaded is
    not kept): else ("other", None)."""
    args = function.args.posonlyargs + function.args.args
    if not args or any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list):
        return "other", None
    first = args[0].arg
    awaited = None
    for node in _own_nodes(function):
        if type(node) is not ast.Return or node.value is None or (type(node.value) is ast.Constant and node.value.value is None):
            continue
        value = node.value
        if type(value) is not ast.Await or type(value.value) is not ast.Call or type(value.value.func) is not ast.Attribute:
            return "other", None
        func = value.value.func
        root = _lazy_root(func.value)
        if not (root is _SUPER or root == first) or _selects(func.value) or awaited not in (None, func.attr):
            return "other", None
        awaited = func.attr
    return ("awaits", awaited) if awaited is not None else ("other", None)


def _selects(chain: ast.AST) -> bool:
    """A ``select_related``/``prefetch_related`` step in a lazy chain."""
    while True:
        if type(chain) is ast.Call and type(chain.func) is ast.Attribute:
            if chain.func.attr in ("select_related", "prefetch_related"):
                return True
            chain = chain.func.value
        elif type(chain) is ast.Subscript:
            chain = chain.value
        else:
            return False


def _self_names(function: ast.AST, first: str, own_assigns: list[ast.Assign], nested: list[ast.AST]) -> set[str]:
    """``first`` and the names bound (anywhere in the function, nested defs
    included) from a chain on it, ``qs = self.filter(...)``: each assignment
    counts the names found before it in ``ast.walk`` order."""
    assigns = own_assigns
    if nested:
        assigns = own_assigns + [n for scope in nested for n in ast.walk(scope) if type(n) is ast.Assign and len(n.targets) == 1 and type(n.targets[0]) is ast.Name]
    chains = [(node.targets[0].id, root) for node in assigns if (root := _lazy_root(node.value)) is not None]
    bound = {target for target, _root in chains}
    if not any(root in bound and root != first for _target, root in chains):
        # No chain starts at a name another one binds: the walk order cannot matter.
        return {first} | {target for target, root in chains if root is _SUPER or root == first}
    self_names = {first}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and _is_lazy_chain(node.value, self_names):
            self_names.add(node.targets[0].id)
    return self_names


def _get_queryset_class(function: ast.FunctionDef, resolver: _Resolver) -> str | None:
    """``def get_queryset(self): return PublishedQuerySet(self.model, using=self._db)...``"""
    for node in _own_nodes(function):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in LAZY_METHODS:
                value = value.func.value
            if isinstance(value, ast.Call):
                qualified = resolver.qualify(value.func)
                if qualified is not None:
                    return qualified
    return None


def _manager_expression(value: ast.AST, resolver: _Resolver) -> dict | None:
    """What a class-level ``name = <value>`` builds, when it may be a manager."""
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    # QS.as_manager()
    if isinstance(func, ast.Attribute) and func.attr == "as_manager":
        return {"as_manager": resolver.qualify(func.value)}
    # Manager.from_queryset(QS)()
    if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) and func.func.attr == "from_queryset":
        queryset = resolver.qualify(func.args[0]) if func.args else None
        return {"from_queryset": queryset, "manager": resolver.qualify(func.func.value)}
    qualified = resolver.qualify(func)
    if qualified is None:
        return None
    return {"call": qualified}


def _relation(value: ast.AST, resolver: _Resolver) -> dict | None:
    if not isinstance(value, ast.Call):
        return None
    qualified = resolver.qualify(value.func) or ""
    short = qualified.rpartition(".")[2]
    kind = RELATION_FIELDS.get(short)
    if kind is None:
        return None
    target_node = _keyword(value, "to")
    if target_node is None and value.args and kind != "generic_fk":
        target_node = value.args[0]
    return {
        "kind": kind,
        "field": qualified,
        "to": _reference(target_node, resolver),
        "related_name": _string(_keyword(value, "related_name")),
    }


def _class_skeleton(node: ast.ClassDef, resolver: _Resolver) -> dict:
    bases = []
    for base in node.bases:
        if isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute) and base.func.attr == "from_queryset":
            # class Manager(BaseManager.from_queryset(QS)): a manager with QS's methods.
            bases.append({"from_queryset": resolver.qualify(base.args[0]) if base.args else None, "manager": resolver.qualify(base.func.value)})
            continue
        qualified = resolver.qualify(base)
        bases.append(qualified if qualified is not None else None)
    out: dict = {"bases": bases, "abstract": False, "proxy": False, "relations": {}, "managers": {}, "methods": {}, "get_queryset": None, "defines": []}
    own = {statement.name for statement in node.body if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for statement in node.body:
        if isinstance(statement, ast.ClassDef) and statement.name == "Meta":
            for inner in statement.body:
                if isinstance(inner, ast.Assign) and len(inner.targets) == 1 and isinstance(inner.targets[0], ast.Name):
                    flag = inner.targets[0].id
                    if flag in ("abstract", "proxy") and isinstance(inner.value, ast.Constant) and inner.value.value is True:
                        out[flag] = True
            continue
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if statement.name in RELATION_NEUTRAL_METHODS:
                out["defines"].append(statement.name)
            if isinstance(statement, ast.FunctionDef) and statement.name == "get_queryset":
                out["get_queryset"] = _get_queryset_class(statement, resolver)
            kind, what = _method_kind(statement)
            if kind == "calls":
                # Only the class's own methods, and the query methods of Django's managers it may derive from.
                what = [name for name in what if name in own or name in DJANGO_MANAGER_METHOD_NAMES]  # type: ignore[union-attr]
                kind = kind if what else "other"
            if kind != "other":
                out["methods"][statement.name] = [kind, what]
            elif statement.name in DJANGO_MANAGER_METHOD_NAMES:
                out["defines"].append(statement.name)  # hides Django's method of that name
            continue
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        relation = _relation(value, resolver)
        if relation is not None:
            out["relations"][target.id] = relation
            continue
        if isinstance(value, ast.Call) and resolver.qualify(value.func) in FILE_FIELDS:
            out.setdefault("files", []).append(target.id)
            continue
        manager = _manager_expression(value, resolver)
        if manager is not None:
            out["managers"][target.id] = manager
    return out


def build_skeleton(text: str, module: str, is_package: bool, tree: ast.Module | None = None) -> dict | None:
    """The module's model-related declarations, or None when it does not parse."""
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    star: list[str] = []
    imports = module_imports(tree, module, is_package, star)
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    resolver = _Resolver(module, imports, {c.name for c in classes})
    skeleton: dict = {"format": SKELETON_FORMAT, "module": module, "is_package": is_package, "imports": imports, "star_imports": star, "classes": {}}
    try:
        for node in classes:
            if node.bases:
                skeleton["classes"][node.name] = _class_skeleton(node, resolver)
    except RecursionError:
        return None
    # Classes without bases: no model, whatever the module is named.
    skeleton["plain"] = [node.name for node in classes if not node.bases]
    match = AUTH_USER_MODEL_SETTING.search(text) if "AUTH_USER_MODEL" in text else None
    if match is not None:
        skeleton["auth_user_model"] = match.group(1)
    return skeleton
