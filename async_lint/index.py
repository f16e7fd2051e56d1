"""The project index: module summaries joined, calls resolved across modules.

It answers, for any project function, whether it blocks the event loop when
called there (directly or through further project calls, cycles included),
with one shortest chain as evidence; whether it returns a lazy QuerySet;
whether it touches the ORM.  It holds no rule: the checks that ask it
(``checks.base.IndexCheck``) word the findings.

Summaries are loaded on demand: ``resolve`` notes every project module it
needed and did not have (``missing``), so the engine can parse just those
and build the index again (a pre-commit run on 3 files loads only the
modules their async code reaches).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any, Callable

from async_lint.catalog import orm_codes

# The end of a class name that stands for what a method of a class returns
# (``shop.Index.load()``, analysis/instances.py): the class, where the
# method's summary marks it a factory (``_class``).
FACTORY_CALL = "()"
# ``<function>->``: what a call of that project function gives, by its return
# annotation (the summary's ``returns_class``).
RETURNED_BY = "->"

# A function key: "module:qualname".
FunctionKey = str
# A function reached through calls, with the class ``self`` is there (or None).
State = tuple[FunctionKey, "tuple[str, str] | None"]
MAX_REEXPORT_DEPTH = 12
# The relation name a summary's ``relation_reads`` and a site's ``unloaded``
# give a lazy QuerySet: the helper evaluates the one it is passed (its
# parameter, or a QuerySet it built from it), the call passes one.
PASSED_QUERYSET = "<QuerySet>"
# The same for a model instance, whatever its relations: the helper writes
# it (``client.save()``, ``delete()``, ``refresh_from_db()`` on its parameter).
PASSED_INSTANCE = "<instance>"
# ``<call>get``: a helper calls ``get()`` on its parameter; ``<type>redis.client.Redis``:
# the call on the loop passes an object of that type there (a DJA1xx
# operation where the blocking table says that method of the type blocks).
PASSED_CALL = "<call>"
PASSED_TYPE = "<type>"
# ``<object>app.redis_connection.get_redis_client()``: an object of another
# module passed, whose type the index reads there (``_object_type``).
PASSED_OBJECT = "<object>"
# The guards a summary gives a session read, and a read of the lazy user,
# on a request parameter (``request.session.get()``, ``request.user.pk`` in
# a helper): each holds unless the call passes a request value saying that
# part is loaded (``loaded_request``): a view's request whose session a
# decorator loaded (``login_required`` on an ``async def``, Django 5.1+), or
# one whose user or session a thread read earlier on the loop.
SESSION_NOT_LOADED = "session"
USER_NOT_LOADED = "user"
# A guard's key for a module-level name, not a parameter (``if not DEBUG:
# return``): ``=`` and the name's absolute name, whose value is known where
# its module binds it once to a literal (summary ``constants``).
CONSTANT_GUARD = "="


# What a coroutine function's reads of what it is passed can be (``relation_chain``).
RELATION_CHAIN_CODES = frozenset({"DJA202", "DJA203", "DJA204"})


def add_passed_name(positional: list, keywords: dict, where: str, name: str) -> None:
    """Add ``name`` to what a site's ``unloaded`` says of its argument at
    ``where`` (a position, "0", or a keyword)."""
    if where.isdigit():
        at = int(where)
        positional.extend([None] * (at + 1 - len(positional)))
        positional[at] = [*(positional[at] or ()), name]
    else:
        keywords[where] = [*keywords.get(where, ()), name]


def _test_fails(value, test: str) -> bool:
    """Whether a guard's test (summary.py's ``_guard_test``) fails on a literal value."""
    return {"truthy": not value, "falsy": bool(value), "none": value is not None, "notnone": value is None}[test]


def loaded_request(parts) -> dict[str, str]:
    """The value of a request whose ``parts`` ("session", "user") are loaded."""
    return {part: "loaded" for part in parts}


# Which blocking operation a chain ends at: the most severe reachable.
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def _forwarded(args: list, known: list | None, shift: int | None = None) -> list | None:
    """A call's literal arguments (summary ``call_args``) with each value the
    calling function takes from its ``**kwargs`` (``{"kwarg": name,
    "default": ...}``) or hands on from a parameter (``{"param": name,
    "position": ..., "default": ...}``) read from the one call that reached
    it (``known``: [[ref, args]], parsed): the value that call passed, else
    the default; unknown (None) where more calls, or none with known
    arguments, reached it; ``shift``: how many leading parameters that
    call filled itself (a bound method's ``self``; None: unknown, so no
    parameter is read by its position).  ``**kwargs`` handed on whole (the
    keyword ``"**"``) brings that call's keywords; unknown ones make the
    whole call unknown (None)."""
    given = known[0][1] if known is not None and len(known) == 1 and known[0][1] is not None else None
    keywords = given[1] if given is not None else None

    def resolved(value):
        if not isinstance(value, dict):
            return value
        if keywords is None:
            return None
        if "param" in value:
            name, position = value["param"], value["position"]
            if name in keywords:
                return keywords[name]
            if position is None:
                return value["default"]
            if shift is None or position < shift:
                return None
            if position - shift < len(given[0]):
                return given[0][position - shift]
            return value["default"]
        return keywords[value["kwarg"]] if value["kwarg"] in keywords else value["default"]

    positional, named = args
    out_named = {k: resolved(v) for k, v in named.items() if k != "**"}
    if "**" in named:
        if keywords is None:
            return None
        out_named = {**{k: v for k, v in keywords.items() if k != "**"}, **out_named}
    return [[resolved(v) for v in positional], out_named]


def _path_to(parents: dict, state: Any) -> list:
    """The states from a search's start to ``state``, by their ``parents``."""
    path = [state]
    while parents[path[-1]] is not None:
        path.append(parents[path[-1]])
    path.reverse()
    return path


def blocking_code(type_name: str, method: str) -> str | None:
    """The DJA1xx code of ``type_name.method()`` in the blocking table, if it blocks."""
    from async_lint.checks.blocking import blocking_table

    entry = blocking_table().match_method(type_name, method)
    return entry.code if entry is not None else None


def _key(module: str, qualname: str) -> FunctionKey:
    return f"{module}:{qualname}"


def split_key(key: FunctionKey) -> tuple[str, str]:
    module, _, qualname = key.partition(":")
    return module, qualname


class ProjectIndex:
    def __init__(self, summaries: dict[str, dict], known_modules: Any = None, level_of: Callable[[str], str] | None = None, display: Callable[[str], str] | None = None):
        """``summaries``: path -> summary; ``known_modules``: module name -> paths
        of project files, loaded or not (a dict, or project.ModuleLocator)."""
        self.by_path = summaries
        self.paths_of: dict[str, list[str]] = {}
        self.known = known_modules or {}
        # A module may also be imported by other names (project.ModuleNamer.aliases).
        aliases = getattr(self.known, "aliases", lambda path: ())
        # In path order, not the order the files were analysed in (workers
        # finish in any order): where two files are the same module (two
        # projects' ``shop`` in one tree), the same one answers every run.
        for path, summary in sorted(summaries.items()):
            for module in (summary["module"], *aliases(path)):
                self.paths_of.setdefault(module, []).append(path)
        # Files that share a module name (``views/pal.py`` and
        # ``views/sub/pal.py`` in folders without ``__init__.py``, each its
        # own ``pal``): each resolves its own names under a name only it has
        # (one of its other names), so that ``self.handle()`` in one is not
        # the other's method.
        self._own_module: dict[str, str] = {}
        for path, summary in sorted(summaries.items()):
            module = summary["module"]
            if len(self.paths_of.get(module, ())) > 1 and self.paths_of[module][0] != path:
                own = next((alias for alias in aliases(path) if self.paths_of.get(alias) == [path]), None)
                if own is None:
                    own = f"{module}#{len(self._own_module) + 1}"
                    self.paths_of[own] = [path]
                self._own_module[path] = own
        # Where files share a module name under different import roots (two
        # services' ``lib`` in one repository), a reference resolves to the
        # one under the importing file's root: ``_near_root`` is that root
        # while ``resolve``/``receiver_of`` run (None: no such names).
        namer = getattr(self.known, "namer", None)
        self._import_root: Callable[[str], str] | None = namer.import_root if namer is not None else None
        self._roots: dict[str, str] = {}
        self._near_root: str | None = None
        self.missing: set[str] = set()
        self.level_of = level_of or (lambda code: "warning")
        self.display = display or (lambda path: path)
        self._chains: dict[bool, dict[FunctionKey, tuple[int, FunctionKey | None]]] = {}
        self._qs: dict[FunctionKey, bool] = {}
        self._chain_memo: dict[tuple[FunctionKey, bool, Any, str | None], list[Any] | None] = {}
        self._failed_dotted: dict[tuple[str, str | None, bool], int] = {}

    # -- modules and names --------------------------------------------------------
    def module_of(self, path: str, summary: dict) -> str:
        """The name the file's own references resolve under."""
        return self._own_module.get(path, summary["module"])

    def summary_of(self, module: str) -> dict | None:
        paths = self.paths_of.get(module)
        if paths:
            return self.by_path[paths[0]]
        for path in self.known.get(module, ()):
            self.missing.add(path)
        return None

    def _has_module(self, module: str) -> bool:
        return module in self.paths_of or module in self.known

    def resolve(self, ref: str | None, module: str, receiver: tuple[str, str] | None = None) -> FunctionKey | None:
        """The project function a ref of ``module`` calls, or None.
        ``receiver``: the (module, class) that ``self`` really is, when known
        (a method of a base class calling ``self.step()`` runs the subclass's ``step``)."""
        if not ref:
            return None
        self._near(module)
        kind, _, rest = ref.partition(":")
        if kind == "l":
            return _key(module, rest) if self.function(_key(module, rest)) is not None else None
        if kind in ("s", "S"):
            cls, _, method = rest.rpartition(":")
            if kind == "s" and receiver is not None:
                found = self._method(receiver[0], receiver[1], method)
                if found is not None:
                    return found
            return self._method(module, cls, method, skip_self=kind == "S")
        if kind == "q":
            return self._resolve_dotted(rest, 0)
        if kind in ("c", "p"):
            cls, _, name = rest.rpartition(":")
            return self._instance_method(cls, name, read=kind == "p")
        return None

    def _instance_method(self, cls: str, name: str, read: bool) -> FunctionKey | None:
        """What ``obj.name`` runs on an instance of the dotted class ``cls``:
        read, a property's getter; called, a method that is not a property."""
        found = self._class(cls)
        target = self._method(found[0], found[1], name) if found is not None else None
        if target is None:
            return None
        is_property = (self.function(target) or {}).get("binding") == "property"
        return target if is_property == read else None

    def receiver_of(self, ref: str, module: str, receiver: tuple[str, str] | None = None) -> tuple[str, str] | None:
        """The (module, class) ``self`` is in the function a ref calls, where
        the ref says: ``self.method()`` keeps the caller's, a call through an
        object is its class's."""
        if ref.startswith("s:"):
            return receiver if receiver is not None else (module, ref[2:].rpartition(":")[0])
        if ref.startswith(("c:", "p:")):
            self._near(module)
            return self._class(ref[2:].rpartition(":")[0])
        return None

    def _root_of(self, path: str) -> str:
        found = self._roots.get(path)
        if found is None:
            found = self._roots[path] = self._import_root(path)  # type: ignore[misc]
        return found

    def _near(self, module: str) -> None:
        """Resolve what follows from ``module``'s import root (see ``_nearest``)."""
        if self._import_root is None:
            return
        paths = self.paths_of.get(module)
        self._near_root = self._root_of(paths[0]) if paths else None

    def _nearest(self, module: str) -> str:
        """``module``, or, where several files of the project are that module
        (two services' ``lib`` in one repository), the name of the one under
        the importing file's import root (asked to be loaded if it is not)."""
        if self._near_root is None:
            return module
        paths = self.paths_of.get(module, ())
        candidates = paths if len(paths) > 1 else self.known.get(module, ())
        if len(candidates) < 2:
            return module
        for path in candidates:
            if self._root_of(path) == self._near_root:
                if path not in self.by_path:
                    self.missing.add(path)  # the next round resolves to it
                    return module
                return module if path == paths[0] else self._own_module.get(path, module)
        return module

    def _resolve_dotted(self, dotted: str, depth: int) -> FunctionKey | None:
        # A name that failed to resolve with at least this much depth left
        # fails again: star imports that import each other (Django's gis
        # packages) would otherwise be explored again at every depth, a
        # search exponential in MAX_REEXPORT_DEPTH.
        memo = (dotted, self._near_root, depth == 0)
        failed_at = self._failed_dotted.get(memo)
        if failed_at is not None and failed_at <= depth:
            return None
        found = self._module_prefix(dotted, depth)
        result = self._resolve_in_module(*found, depth) if found is not None else None
        if result is None and found is not None and depth == 0 and "." in found[1]:
            # ``from pkg import name`` where ``pkg/__init__.py`` binds ``name``
            # to an object of its submodule ``pkg.name`` (``from .name import
            # name``): the package's attribute is that object, not the
            # submodule (asked only where the submodule has no answer, so a
            # package's ``__init__`` is read only then).
            package, _, last = found[1].rpartition(".")
            shadowing = self._package_binding(package, last, found[1])
            if shadowing is not None:
                result = self._resolve_in_module(*shadowing, [last, *found[2]], depth)
        if result is None:
            self._failed_dotted[memo] = min(depth, self._failed_dotted.get(memo, depth))
        return result

    def _module_prefix(self, dotted: str, depth: int) -> tuple[dict, str, list[str]] | None:
        """The loaded summary of the longest project module prefixing ``dotted``,
        its name, and the rest of the dotted name (None past the re-export depth)."""
        if depth > MAX_REEXPORT_DEPTH:
            return None
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if not self._has_module(module):
                continue
            module = self._nearest(module)
            summary = self.summary_of(module)
            return (summary, module, parts[cut:]) if summary is not None else None
        return None

    def _package_binding(self, package: str, name: str, submodule: str) -> tuple[dict, str] | None:
        """(the summary of ``package``, its name) where its ``__init__``
        binds ``name`` to something other than the submodule ``submodule``."""
        if not self._has_module(package):
            return None
        package = self._nearest(package)
        summary = self.summary_of(package)
        if summary is None or not summary.get("is_package"):
            return None
        target = summary["imports"].get(name)
        binds = (target is not None and target != submodule) or name in summary["classes"] or name in summary.get("instances", {}) or name in summary.get("bound", {})
        function = summary["functions"].get(name)
        if binds or (function is not None and function.get("class") is None):
            return summary, package
        return None

    def _resolve_in_module(self, summary: dict, module: str, rest: list[str], depth: int) -> FunctionKey | None:
        head = rest[0]
        functions = summary["functions"]
        if head in summary["classes"]:
            if len(rest) == 1:
                return self._constructor(module, head, summary["classes"][head])
            if len(rest) == 2:
                return self._method(module, head, rest[1])
            return None
        if head in functions and functions[head].get("class") is None:
            return _key(module, head) if len(rest) == 1 else None
        instance = summary.get("instances", {}).get(head)
        if instance is not None:
            # A module-level object (``gateway = PaymentGateway()``) imported elsewhere.
            return self._instance_method(instance, rest[1], read=False) if len(rest) == 2 else None
        bound = summary.get("bound", {}).get(head)
        if bound is not None:
            # ``is_admin = IsAdmin().check``: the method, on an instance of its class.
            return self.resolve(bound, module) if len(rest) == 1 else None
        target = summary["imports"].get(head)
        if target is not None:
            return self._resolve_dotted(".".join([target, *rest[1:]]), depth + 1)
        for star in summary.get("star_imports", ()):
            found = self._resolve_dotted(".".join([star, *rest]), depth + 1)
            if found is not None:
                return found
        return None

    def _constructor(self, module: str, cls: str, info: dict) -> FunctionKey | None:
        """What calling the class runs: its ``__init__`` (through its bases),
        or, where a dataclass or attrs decorator generates that ``__init__``,
        the hook the generated one calls (``__post_init__``)."""
        hook = info.get("post_init")
        if hook is not None and "__init__" not in info["methods"]:
            return self._method(module, cls, hook)
        return self._method(module, cls, "__init__")

    def _class(self, dotted: str, depth: int = 0) -> tuple[str, str] | None:
        """(module, class qualname) of a dotted class name, through re-exports;
        ``Class.method()`` (FACTORY_CALL): the class, where that
        method is a factory of its own class."""
        if dotted.endswith(RETURNED_BY):
            function = self._resolve_dotted(dotted[: -len(RETURNED_BY)], depth)
            made = (self.function(function) or {}).get("returns_class") if function is not None else None
            return self._class(made, depth + 1) if isinstance(made, str) and depth < 8 else None
        if dotted.endswith(FACTORY_CALL):
            factory = self._resolve_dotted(dotted[: -len(FACTORY_CALL)], depth)
            if factory is None or not (self.function(factory) or {}).get("factory"):
                return None
            module, qualname = split_key(factory)
            return module, qualname.rpartition(".")[0]
        found = self._module_prefix(dotted, depth)
        if found is None:
            return None
        summary, module, rest = found
        name = ".".join(rest)
        if name in summary["classes"]:
            return module, name
        target = summary["imports"].get(rest[0])
        if target is not None:
            return self._class(".".join([target, *rest[1:]]), depth + 1)
        if depth < MAX_REEXPORT_DEPTH:
            # ``from app.services.client import *``: a class the module star-imports.
            for star in summary.get("star_imports", ()):
                found = self._class(".".join([star, *rest]), depth + 1)
                if found is not None:
                    return found
        return None

    def _method(self, module: str, cls: str, method: str, skip_self: bool = False) -> FunctionKey | None:
        """Method lookup through the project's class hierarchy (depth-first, left
        to right: Python's MRO for the usual single-inheritance and mixin cases)."""
        seen: set[tuple[str, str]] = set()
        stack = [(module, cls, skip_self)]
        while stack:
            mod, name, skip = stack.pop(0)
            if (mod, name) in seen:
                continue
            seen.add((mod, name))
            summary = self.summary_of(mod)
            if summary is None:
                continue
            info = summary["classes"].get(name)
            if info is None:
                continue
            if not skip and method in info["methods"]:
                key = _key(mod, f"{name}.{method}")
                return key if self.function(key) is not None else None
            bases = []
            for base in info["bases"]:
                found = self._class(base)
                if found is not None:
                    bases.append((found[0], found[1], False))
            stack[0:0] = bases
        return None

    def function(self, key: FunctionKey) -> dict | None:
        module, qualname = split_key(key)
        summary = self.summary_of(module)
        if summary is None:
            return None
        return summary["functions"].get(qualname)

    def display_module(self, module: str) -> str:
        """A module as findings name it: its file's path as shown, else its name."""
        paths = self.paths_of.get(module)
        return self.display(paths[0]) if paths else module

    # -- blocking chains ------------------------------------------------------------
    def callable_sync(self, function: dict | None) -> bool:
        """A function whose body runs in the caller's thread when called."""
        return function is not None and not function["async"] and not function.get("thread") and not function.get("generator") and not self._deferred(function)

    def _deferred(self, function: dict) -> bool:
        """A project decorator of the function hands its body on instead of
        calling it (``_defers_wrapped``): calling the function does not run it."""
        refs = function.get("decorators")
        if not refs:
            return False
        for ref in refs:
            target = self.resolve(ref, "")
            if target is not None and (self.function(target) or {}).get("defers"):
                return True
        return False

    def _edges(self, state: State) -> list[State]:
        """The sync project functions a function calls directly, each with the
        class ``self`` is in it (kept along ``self.method()`` calls)."""
        return [edge for _, edge in self._calls_out(state)]

    def _calls_out(self, state: State) -> list[tuple[str, State]]:
        """``_edges`` with the ref of each call."""
        key, receiver = state
        module, _ = split_key(key)
        function = self.function(key)
        out = []
        entered = (function or {}).get("entered", ())
        consumed = (function or {}).get("consumed", ())
        for ref in (function or {}).get("calls", ()):
            target = self.resolve(ref, module, receiver)
            callee = self.function(target) if target is not None and target != key else None
            # ``with cm():`` of a @contextmanager def runs its body to the ``yield`` here;
            # ``list(gen())`` a generator function's body, to its end.
            if self.runs_at(callee, {"entered": ref in entered, "consumed": ref in consumed}):
                out.append((ref, (target, receiver if ref.startswith("s:") else self.receiver_of(ref, module))))
            if ref in entered:
                out.extend((ref, state) for state in self.entered_methods(ref, module) if state[0] != key)
                if callee is not None:
                    out.extend((ref, state) for state in self.returned_contexts(target) if state[0] != key)
        return out

    def returned_contexts(self, key: FunctionKey) -> list[State]:
        """``with factory():`` where ``factory`` is a plain def that returns
        the call of a ``@contextmanager`` def of the project (``return
        opened(path)``): entering what it returns runs that def's body to
        its ``yield`` in the caller's thread.  Those defs (``self.x()``
        calls left out)."""
        function = self.function(key)
        if not function or function.get("context_manager") or function["async"] or function.get("generator") or not self.callable_sync(function):
            return []
        module, _ = split_key(key)
        out = []
        for value in function.get("returns", ()):
            if value in ("qs", "other") or value.startswith(("s:", "S:")):
                continue
            target = self.resolve(value, module)
            if target is not None and target != key and self.entered_at(self.function(target), {"entered": True}):
                out.append((target, self.receiver_of(value, module)))
        return out

    def entered_methods(self, ref: str, module: str) -> list[State]:
        """``with Cls(...)``: the sync ``__enter__`` and ``__exit__`` that the
        statement calls on the new object, where ``ref`` constructs a class
        of the project, each with that class as ``self``."""
        if not ref.startswith("q:"):
            return []
        self._near(module)
        found = self._class(ref[2:])
        if found is None:
            return []
        out = []
        for name in ("__enter__", "__exit__"):
            key = self._method(found[0], found[1], name)
            if key is not None and self.callable_sync(self.function(key)):
                out.append((key, found))
        return out

    def callees(self, key: FunctionKey) -> list[FunctionKey]:
        """The sync project functions ``key`` calls directly (whatever ``key`` is itself)."""
        return [edge[0] for edge in self._edges((key, None))]

    def reachable(self, starts: list[State]) -> list[FunctionKey]:
        """Every sync function reachable from ``starts`` through direct calls."""
        seen: set[State] = set()
        order = []
        queue = deque(starts)
        while queue:
            state = queue.popleft()
            if state in seen or not self.callable_sync(self.function(state[0])):
                continue
            seen.add(state)
            order.append(state[0])
            queue.extend(self._edges(state))
        return order

    def _severity(self, code: str) -> int:
        return SEVERITY_RANK.get(self.level_of(code), len(SEVERITY_RANK))

    def entered_at(self, function: dict | None, site: dict | None) -> bool:
        """A ``@contextmanager`` function that ``site`` enters (``with fn():``):
        its body runs in the caller's thread."""
        return site is not None and bool(site.get("entered")) and function is not None and bool(function.get("context_manager")) and not function["async"] and not function.get("thread")

    def consumed_at(self, function: dict | None, site: dict | None) -> bool:
        """A sync generator function whose result ``site`` iterates where it
        is (``list(gen())``, ``for x in gen():``): its body runs there."""
        return (
            site is not None
            and bool(site.get("consumed"))
            and function is not None
            and bool(function.get("generator"))
            and not function["async"]
            and not function.get("thread")
            and not self._deferred(function)
        )

    def runs_at(self, function: dict | None, site: dict | None) -> bool:
        """A function whose body runs in the caller's thread at ``site``."""
        return self.callable_sync(function) or self.entered_at(function, site) or self.consumed_at(function, site)

    def chain(self, key: FunctionKey, orm_ok: bool = True, receiver: tuple[str, str] | None = None, site: dict | None = None, module: str | None = None) -> list[Any] | None:
        """The chain [key, ..., op] by which ``key`` blocks, or None: the one
        ending at the most severe operation reachable, the shortest of those.
        ``site``: the call site, whose literal arguments may rule out
        branches of ``key`` (its ops and calls under them are skipped); the
        same holds further down for calls whose arguments the summary keeps.
        ``module``: the site's, where its refs resolve."""
        function = self.function(key)
        if not self.runs_at(function, site):
            return None
        start_args = json.dumps([[site["ref"], site["args"]]]) if site is not None and "args" in site else None
        # The call's ref and the relations not loaded on the instances it
        # passes (summary ``unloaded``), which the function may read: kept
        # along ``self.method()`` calls for the instance ``self`` stands for.
        unloaded = self._passed_unloaded(site, module) if site is not None else None
        start_unloaded = json.dumps([site["ref"], unloaded]) if unloaded is not None else None  # type: ignore[index]
        # ``with factory():`` also enters the context managers it returns (``returned_contexts``).
        entered = site is not None and bool(site.get("entered"))
        memo_key = (key, orm_ok, receiver, start_args, start_unloaded, entered)
        if memo_key in self._chain_memo:
            return self._chain_memo[memo_key]
        usable = (lambda op: True) if orm_ok else (lambda op: op[0] not in orm_codes())
        # Breadth-first from the start, so depths only grow: a function's op
        # replaces the best so far only when more severe; an op of the top
        # severity ends the search.  A state seen before is not queued again
        # (cycles); a state is a function, its ``self`` class, the arguments
        # it is called with where they are kept, and the relations not
        # loaded on its instances where known.
        start = (key, receiver, start_args, start_unloaded)
        parents: dict[Any, Any] = {start: None}
        best: tuple[int, Any, Any] | None = None
        queue = deque([start])
        while queue:
            current = queue.popleft()
            function = self.function(current[0]) or {}
            by_arguments = self._ruled_out_by(current[2], function, current[0]) if current[2] is not None else None
            ruled_out = self._with_constants(by_arguments)
            unloaded = json.loads(current[3]) if current[3] is not None else None
            own = [*function.get("ops", ()), *self._relation_ops(*unloaded, function, current[0])] if unloaded is not None else function.get("ops", ())
            ops = [op for op in own if usable(op) and not (len(op) > 3 and ruled_out(op[3]))]
            ops.extend(self._task_ops(current[0], function))
            ops.extend(self._object_ops(function))
            if ops:
                op = min(ops, key=lambda op: (self._severity(op[0]), op[1]))
                if best is None or self._severity(op[0]) < best[0]:
                    best = (self._severity(op[0]), current, op)
                    if best[0] == 0:
                        break
            skipped = {ref for ref, guards in function.get("guarded_calls", {}).items() if ruled_out(guards)}
            arguments = function.get("call_args", {})
            # The relations not loaded on the instance ``self`` is here, for its own methods.
            own_self = self._own_self(unloaded, function, current[0]) if unloaded is not None else None
            edges = self._calls_out(current[:2])
            if current is start and entered:
                # ``with factory():`` on the loop: the context manager it returns is entered there.
                edges = [*edges, *((site["ref"], state) for state in self.returned_contexts(key))]
            for ref, (target, target_receiver) in edges:
                if ref in skipped:
                    continue
                calls = arguments.get(ref)
                if calls and None not in calls:
                    incoming = json.loads(current[2]) if current[2] is not None else None
                    shift = self._bound_shift(incoming[0][0], function, current[0]) if incoming is not None and len(incoming) == 1 else None
                    calls = [_forwarded(args, incoming, shift) for args in calls]
                receiver_unloaded = own_self if ref[:2] in ("s:", "S:") else None
                # The lazy QuerySets this function's calls by ``ref`` pass, which the callee may evaluate.
                positional, keywords = function.get("querysets_passed", {}).get(ref, ([], {}))
                passed = json.dumps([ref, [positional, keywords, receiver_unloaded]]) if receiver_unloaded is not None or positional or keywords else None
                nxt = (target, target_receiver, json.dumps([[ref, args] for args in calls]) if calls and None not in calls else None, passed)
                if nxt not in parents:
                    parents[nxt] = current
                    queue.append(nxt)
        found = None
        if best is not None:
            found = [*(state[0] for state in _path_to(parents, best[1])), best[2]]
        self._chain_memo[memo_key] = found
        return found

    def _passed_unloaded(self, site: dict, module: str | None) -> list | None:
        """The site's ``unloaded`` (what its file knows of the instances and
        QuerySets the call passes), with each argument that is the result
        of a project function returning a lazy QuerySet (summary
        ``results``: ``images = get_images(pk)`` then ``album(images)``,
        the helper in another module) counted as one; None: nothing known."""
        unloaded = site.get("unloaded")
        results = site.get("results")
        if not results or module is None:
            return unloaded
        positional, keywords, receiver = json.loads(json.dumps(unloaded)) if unloaded is not None else [[], {}, None]
        added = False
        for where, ref in results.items():
            target = self.resolve(ref, module)
            if target is None or not self.returns_queryset(target):
                continue
            added = True
            add_passed_name(positional, keywords, where, PASSED_QUERYSET)
        return [positional, keywords, receiver] if added else unloaded

    def _own_self(self, unloaded: list, function: dict, key: FunctionKey) -> list | None:
        """The relations not loaded on the instance ``self`` stands for in
        ``function`` (its call's receiver, where the call bound it), for the
        ``self.method()`` calls it makes; None where unknown."""
        return unloaded[1][2] if unloaded[1][2] and self._bound_shift(unloaded[0], function, key) == 1 else None

    def relation_chain(self, key: FunctionKey, receiver: tuple[str, str] | None, site: dict) -> list[Any] | None:
        """A coroutine function called on the loop (``await
        conversation.end()``) with instances fetched without some relations
        (the site's ``unloaded``): the chain [key, ..., op] by which it reads
        one (summary ``relation_reads``, not under a guard), in its own body
        or through the ``self.method()`` calls it makes on the instance, sync
        or async; None where it reads none.  Its other operations are the
        file's own findings (or its sync calls' DJA401), not followed here."""
        if "unloaded" not in site:
            return None
        start = (key, receiver, json.dumps([site["ref"], site["unloaded"]]))
        parents: dict[Any, Any] = {start: None}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            function = self.function(current[0]) or {}
            unloaded = json.loads(current[2])
            ops = [op for op in self._relation_ops(*unloaded, function, current[0]) if len(op) == 3 and op[0] in RELATION_CHAIN_CODES]
            if ops:
                return [*(state[0] for state in _path_to(parents, current)), min(ops, key=lambda op: op[1])]
            own_self = self._own_self(unloaded, function, current[0])
            if own_self is None:
                continue
            module, qualname = split_key(current[0])
            calls = function.get("calls", ())
            if function.get("async"):
                # A coroutine function's calls are its module's call sites on the loop.
                summary = self.summary_of(module) or {}
                calls = [site["ref"] for site in summary.get("sites", ()) if site.get("function") == qualname]
            for ref in calls:
                if ref[:2] not in ("s:", "S:"):
                    continue
                target = self.resolve(ref, module, current[1])
                if target is None or target == current[0] or self.function(target) is None:
                    continue
                nxt = (target, current[1] if ref.startswith("s:") else self.receiver_of(ref, module), json.dumps([ref, [[], {}, own_self]]))
                if nxt not in parents:
                    parents[nxt] = current
                    queue.append(nxt)
        return None

    # -- QuerySets and the ORM -------------------------------------------------------------
    def returns_queryset(self, key: FunctionKey, depth: int = 0) -> bool:
        """Every value the function returns is a lazy QuerySet chain (at least one)."""
        if key in self._qs:
            return self._qs[key]
        self._qs[key] = False  # cycles: not proven
        function = self.function(key)
        returns = (function or {}).get("returns", ())
        module, _ = split_key(key)
        result = bool(returns) and depth < MAX_REEXPORT_DEPTH
        for value in returns:
            if value == "qs":
                continue
            if value == "other":
                result = False
                break
            target = self.resolve(value, module)
            if target is None or not self.returns_queryset(target, depth + 1):
                result = False
                break
        self._qs[key] = result
        return result

    def returns_awaitable(self, key: FunctionKey) -> bool:
        """Every value the function returns is the call of a coroutine
        function of the project (``return Interactor().execute(x)``, where
        ``execute`` is ``@sync_to_async``) or a coroutine the file knows
        (``return channel_layer.group_send(...)``): what ``async_to_sync`` awaits."""
        function = self.function(key)
        returns = (function or {}).get("returns", ())
        module, _ = split_key(key)
        if not returns:
            return False
        for value in returns:
            if value == "coro":
                continue  # a library's coroutine (``channel_layer.group_send(...)``)
            target = self.resolve(value, module) if value not in ("qs", "other") else None
            called = self.function(target) if target is not None else None
            if called is None or not called.get("coroutine"):
                return False
        return True

    def _task_ops(self, key: FunctionKey, function: dict) -> list[list]:
        """The function's ``name.delay()`` calls whose ``name`` the index
        finds to be a Celery task of the project: DJA105 operations."""
        module, _ = split_key(key)
        out = []
        for ref, line, what in function.get("task_ops", ()):
            target = self.resolve(ref, module)
            if target is not None and (self.function(target) or {}).get("celery_task"):
                out.append(["DJA105", line, what])
        return out

    @staticmethod
    def _passed_names(site: dict) -> list[list[str]]:
        """The names of a site's ``unloaded`` that are passed objects."""
        unloaded = site.get("unloaded")
        if not unloaded:
            return []
        positional, keywords, _receiver = unloaded
        return [[n for n in names if n.startswith(PASSED_OBJECT)] for names in (*positional, *keywords.values()) if names]

    def _passed_type(self, name: str) -> str | None:
        """The type a site's ``PASSED_TYPE``/``PASSED_OBJECT`` name says an argument is."""
        if name.startswith(PASSED_TYPE):
            return name[len(PASSED_TYPE) :]
        if name.startswith(PASSED_OBJECT):
            ref = name[len(PASSED_OBJECT) :]
            return self._returned_type(ref[:-2], 0) if ref.endswith("()") else self._module_object(ref, 0)
        return None

    def _object_ops(self, function: dict) -> list[list]:
        """The function's ``name.method()`` calls whose ``name`` the index
        finds to be a module-level object of the project whose type's
        method blocks (``redis_client = redis.Redis(...)`` in another module):
        the DJA1xx operations the per-file rule would report on it."""
        out = []
        for ref, method, line, what in function.get("object_ops", ()):
            # ``make_client().get(k)``: what the function (or class) returns.
            type_name = self._returned_type(ref[2:-2], 0) if ref.endswith("()") else self._module_object(ref[2:], 0)
            code = blocking_code(type_name, method) if type_name is not None else None
            if code is not None:
                out.append([code, line, what])
        return out

    def _module_object(self, dotted: str, depth: int) -> str | None:
        """The type of the module-level object ``dotted`` names (``objects``
        of its module's summary, or what the function that made it returns),
        through imports and star imports."""

        def object_type(summary: dict, _module: str, name: str, depth: int) -> str | None:
            type_name = summary.get("objects", {}).get(name)
            if type_name is not None:
                return type_name
            made_by = summary.get("made", {}).get(name)
            return self._returned_type(made_by, depth + 1) if made_by is not None else None  # ``redis = get_redis_connection()``

        return self._module_level_name(dotted, depth, object_type, through_stars=True)

    def _returned_type(self, dotted: str, depth: int) -> str | None:
        """The type with blocking methods the project function (or class)
        ``dotted`` names returns (its summary's ``return_type``)."""
        maker = self._resolve_dotted(dotted, depth)
        return (self.function(maker) or {}).get("return_type") if maker is not None else None

    def coroutine_object(self, dotted: str, depth: int = 0) -> str | None:
        """What made the module-level object ``dotted`` names, where its
        methods are coroutine functions (summary ``coroutine_objects``: a
        ``redis.asyncio`` client), through imports; else None."""
        return self._module_level_name(dotted, depth, lambda summary, _module, name, _depth: summary.get("coroutine_objects", {}).get(name))

    def loop_wrapper_module(self, dotted: str, depth: int = 0) -> str | None:
        """The module whose module-level ``async_to_sync`` wrapper ``dotted``
        names (summary ``loop_wrappers``), through imports; else None."""
        return self._module_level_name(dotted, depth, lambda summary, module, name, _depth: module if name in summary.get("loop_wrappers", ()) else None)

    def _module_level_name(self, dotted: str, depth: int, found_in: Callable[[dict, str, str, int], Any], *, through_stars: bool = False) -> Any:
        """What ``found_in(summary, module, name, depth)`` says of the
        module-level name ``dotted`` in the module that defines it, followed
        through imports (and star imports where asked); None where no module
        of the project says anything (``from pkg import submodule`` names a
        module, not a name of one)."""
        if self._has_module(dotted):
            return None
        found = self._module_prefix(dotted, depth)
        if found is None:
            return None
        summary, module, rest = found
        if len(rest) != 1:
            return None
        name = rest[0]
        value = found_in(summary, module, name, depth)
        if value is not None:
            return value
        target = summary["imports"].get(name)
        if target is not None:
            return self._module_level_name(target, depth + 1, found_in, through_stars=through_stars)
        for star in summary.get("star_imports", ()) if through_stars else ():
            value = self._module_level_name(f"{star}.{name}", depth + 1, found_in, through_stars=True)
            if value is not None:
                return value
        return None

    def touches_orm(self, key: FunctionKey) -> bool:
        for node in self.reachable([(key, None)]):
            function = self.function(node) or {}
            if function.get("orm"):
                return True
        return False

    def _with_constants(self, by_arguments: Callable[[list], bool] | None) -> Callable[[list], bool]:
        """Whether guards fail: by the call's arguments (``by_arguments``,
        where known), or by a module constant one of them tests
        (``if not DEBUG: return`` where the module says ``DEBUG = False``)."""

        def fails(guards: list) -> bool:
            return (by_arguments is not None and by_arguments(guards)) or any(self._constant_fails(guard) for guard in guards)

        return fails

    def _constant_fails(self, guard: list) -> bool:
        name, test = guard
        if not name.startswith(CONSTANT_GUARD):
            return False
        found = self._module_level_name(name[len(CONSTANT_GUARD) :], 0, lambda summary, _module, local, _depth: [summary["constants"][local]] if local in summary.get("constants", {}) else None)
        return found is not None and _test_fails(found[0], test)

    def _constant_guards_known(self, function: dict) -> None:
        """Load what the module constants the function's guards test need
        (``demand``: the module that binds each)."""
        for guards in (*(op[3] for op in function.get("ops", ()) if len(op) > 3), *function.get("guarded_calls", {}).values()):
            for guard in guards:
                self._constant_fails(guard)

    def _ruled_out_by(self, calls: str, function: dict, target: FunctionKey) -> Callable[[list], bool]:
        """Whether the calls of a function (JSON: [[ref, args], ...], the
        literal arguments each passes, see summary.py) all rule out guards
        of it: a guard holds unless the parameter's value in every call is a
        literal that fails its test."""
        checks = [self._call_rules_out(ref, args, function, target) for ref, args in json.loads(calls)]
        return lambda guards: all(check(guards) for check in checks)

    @staticmethod
    def _bound_shift(ref: str, function: dict, target: FunctionKey) -> int | None:
        """How many leading parameters a call by ``ref`` fills itself: 1 for
        a bound call (through an object, self, or a classmethod or
        constructor by name), 0 for a plain one, None when unknown."""
        binding = function.get("binding")
        if binding == "static" or function.get("class") is None:
            return 0
        if ref[:2] in ("c:", "s:", "S:", "p:"):
            return 1
        constructor = target.endswith(".__init__") and not ref.endswith(".__init__")
        return 1 if binding == "class" or constructor else None

    def _relation_ops(self, ref: str, unloaded: list, function: dict, target: FunctionKey) -> list[list]:
        """DJA204 ops of ``function`` called by ``ref``: each relation it
        reads on a parameter (summary ``relation_reads``) where the call
        passes an instance fetched without it (``unloaded``, as a site's:
        the receiver of a bound call fills the first parameter)."""
        reads = function.get("relation_reads")
        if not reads:
            return []
        positional, keywords, receiver = unloaded
        shift = self._bound_shift(ref, function, target)
        out = []
        for param, at, relation, line, what, *guards in reads:
            names = None
            if at is not None and shift is not None:
                if shift and at == 0:
                    names = receiver
                elif 0 <= at - shift < len(positional):
                    names = positional[at - shift]
            if names is None and (at is None or shift is not None):
                names = keywords.get(param)
            if names and relation.startswith(PASSED_CALL):
                method = relation[len(PASSED_CALL) :]
                for name in names:
                    type_name = self._passed_type(name)
                    code = blocking_code(type_name, method) if type_name is not None else None
                    if code is not None:
                        out.append([code, line, f"{what} (a blocking `{method}()` of the `{type_name.rpartition('.')[2]}` passed as `{param}`)", *guards])
                        break
            elif names and relation in names:
                if relation == PASSED_QUERYSET:
                    out.append(["DJA202", line, f"{what} (evaluates the QuerySet passed as `{param}`)", *guards])
                elif relation == PASSED_INSTANCE:
                    out.append(["DJA203", line, f"{what} (queries with the model instance passed as `{param}`)", *guards])
                else:
                    out.append(["DJA204", line, f"{what} (loads the related `{relation}` with a query)", *guards])
        return out

    def _call_rules_out(self, ref: str, args: list, function: dict, target: FunctionKey) -> Callable[[list], bool]:
        positional, keywords = args
        params = function.get("params", [])
        defaults = function.get("defaults", {})
        shift = self._bound_shift(ref, function, target)

        def value(param: str) -> list | None:
            if shift is None:
                return None
            if param in params:
                at = params.index(param) - shift
                if at < 0:
                    return None
                if at < len(positional):
                    return positional[at]
            if param in keywords:
                return keywords[param]
            return [defaults[param]] if param in defaults else None

        def fails(guard: list) -> bool:
            param, test = guard
            found = value(param)
            if test in (SESSION_NOT_LOADED, USER_NOT_LOADED):
                return isinstance(found, dict) and found.get(test) == "loaded"  # a request with that part loaded
            if not isinstance(found, list):
                return False  # unknown, or a ``**kwargs`` value not read (``_forwarded``)
            return _test_fails(found[0], test)

        return lambda guards: any(fails(guard) for guard in guards)

    # -- demand ------------------------------------------------------------------------------
    def demand(self, paths: list[str], sync_calls_of: Callable[[str], bool] = lambda path: True, may_reach_coroutine: Callable[[str], bool] | None = None) -> set[str]:
        """Resolve everything the findings of ``paths`` depend on; return the
        project files whose summaries that needed and are not loaded.
        ``sync_calls_of(path)``: whether the calls that ``path`` makes in
        sync code are resolved too (only for DJA302, so only the callee, not
        what it calls in turn); a module loaded only because async code
        reaches it asks nothing of the modules its sync code calls.
        ``may_reach_coroutine(ref)``: False where a call in sync code cannot
        run a coroutine function of the project (coroutine_names.py), so
        DJA302 has nothing to find there."""
        for path in paths:
            summary = self.by_path.get(path)
            if summary is None:
                continue
            module = self.module_of(path, summary)
            starts = []
            follow_sync = None
            for site in summary["sites"]:
                if not site["async"]:
                    if follow_sync is None:
                        follow_sync = sync_calls_of(path)
                    if not follow_sync or (may_reach_coroutine is not None and not may_reach_coroutine(site["ref"])):
                        continue
                receiver = self.receiver_of(site["ref"], module)
                target = self.resolve(site["ref"], module, receiver)
                if site["async"] and site.get("entered"):
                    starts.extend(self.entered_methods(site["ref"], module))
                if target is None:
                    if site.get("object_coroutine"):
                        self.coroutine_object(site["ref"][2:].rpartition(".")[0])  # loads the module that made it
                    continue
                if site["async"]:
                    starts.append((target, receiver))
                    if site.get("entered"):
                        starts.extend(self.returned_contexts(target))
                    for names in self._passed_names(site):
                        for name in names:
                            self._passed_type(name)  # loads the module that makes the object
                    for ref in site.get("results", {}).values():
                        # Whether a result it is passed is a lazy QuerySet (``_passed_unloaded``).
                        made_by = self.resolve(ref, module)
                        if made_by is not None:
                            self.returns_queryset(made_by)
                else:
                    self.function(target)
            for fact in summary.get("handoffs", ()):
                target = self.resolve(fact["ref"], module)
                if target is not None:
                    # DJA402-DJA404 read the wrapped function and what it
                    # returns; only DJA403 (thread_sensitive=False) reads
                    # what it calls, down to any ORM use.
                    self.function(target)
                    self.returns_queryset(target)
                    if fact.get("unsafe_thread") and not fact.get("orm"):
                        starts.append((target, None))
            for key in self.reachable(starts):
                function = self.function(key) or {}
                self._constant_guards_known(function)
                self._task_ops(key, function)  # loads the modules the refs name
                self._object_ops(function)
        self._qs.clear()
        return set(self.missing)
