"""DJA503, DJA504, DJA505: views Django or DRF will run the wrong way.

DJA503 follows ``View.view_is_async`` (django/views/generic/base.py): every
name in ``http_method_names`` but ``options`` that the class has, own or
inherited, must be all sync or all async, or ``as_view()`` raises
ImproperlyConfigured. Inherited handlers of Django/DRF/adrf classes come from
rules/django_generic_views.toml.
"""

from __future__ import annotations

import dataclasses

from async_lint import lazy_libcst

from async_lint.analysis.django_models import DRF_FUNCTION_VIEWS
from async_lint.analysis.django_vocabulary import REQUEST_CLASSES
from async_lint.checks.base import Check
from async_lint.checks.foreign_generators import streamed_message
from async_lint.checks.django_structure_classes import (
    UNKNOWN,
    ClassFacts,
    ClassRegistry,
    FrameworkClass,
    UnknownClass,
    nodes_in,
    positional_params,
    view_table,
)

cst = lazy_libcst.bind(globals())

DRF_VIEWSET = "rest_framework.viewsets.ViewSetMixin"
DRF_ACTION = "rest_framework.decorators.action"
DRF_API_VIEW = "rest_framework.decorators.api_view"
METHOD_DECORATOR = "django.utils.decorators.method_decorator"
# Decorators that set attributes on the function and return it as it is.
MARKING_DECORATORS = frozenset({DRF_ACTION, "drf_spectacular.utils.extend_schema", "drf_yasg.utils.swagger_auto_schema"})
STREAMING_RESPONSE = frozenset({"django.http.StreamingHttpResponse", "django.http.response.StreamingHttpResponse"})
# A StreamingHttpResponse whose file-like content becomes ``iter(lambda: f.read(n), b"")``.
FILE_RESPONSE = frozenset({"django.http.FileResponse", "django.http.response.FileResponse"})
OPEN_FUNCTIONS = frozenset({"builtins.open", "io.open"})
# QuerySet-returning manager methods: iterating their result is a sync query.
QUERYSET_METHODS = frozenset({"all", "filter", "exclude", "order_by", "values", "values_list", "select_related", "prefetch_related", "iterator", "only", "defer", "distinct", "annotate"})


class ViewHandlersCheck(Check):
    codes = ("DJA503", "DJA504")
    # Django's and DRF's own handlers are all sync: a mix needs an async def
    # here, or adrf's generic views (their handlers are async).
    text_hints = (r"\basync\s+def\b", r"\badrf\b")

    def __init__(self, ctx):
        super().__init__(ctx)
        self.registry = ClassRegistry.of(ctx)
        self.table = view_table()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.registry.add_class(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None:
            return
        for decorator in node.decorators:
            expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            if self.ctx.qualified_name(expr) == DRF_API_VIEW:
                self.ctx.report(
                    node.name,
                    "DJA504",
                    f"`@api_view` runs `{node.name.value}` as a sync DRF handler and gets a coroutine back instead of a Response; use `adrf.decorators.api_view`, or a plain `def`",
                )

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        facts = self.registry.add_class(node)
        frameworks = self.registry.frameworks(facts)
        if not frameworks:
            return
        # DRF's ViewSetMixin.as_view() routes to actions and skips View.view_is_async.
        is_viewset = self.registry.has_framework_class(facts, DRF_VIEWSET)
        if not is_viewset:
            self._check_mixed(facts)
        if "drf" in frameworks and "adrf" not in frameworks:
            self._check_drf(facts, is_viewset)

    # -- DJA503 --------------------------------------------------------------------
    def _check_mixed(self, facts: ClassFacts) -> None:
        message = mixed_handlers_message(self.registry, facts, self.ctx.settings)
        if message is not None:
            self.ctx.report(facts.node.name, "DJA503", message)

    # -- DJA504 --------------------------------------------------------------------
    def _check_drf(self, facts: ClassFacts, is_viewset: bool) -> None:
        if self._awaits_handlers(facts):
            return
        for name, method in facts.methods.items():
            if not method.is_async or method.node.name.value != name:
                continue
            # Another decorator (a project's) may hand DRF a sync function
            # that runs the coroutine itself (``async_to_sync``).
            unmarked = tuple(d for d in method.decorators if d not in MARKING_DECORATORS)
            if unmarked and effective_async(dataclasses.replace(method, decorators=unmarked), self.ctx.settings) is not True:
                continue
            is_action = DRF_ACTION in method.decorators
            if name in self.table.http_method_names or is_action or (is_viewset and name in self.table.viewset_actions):
                what = "action" if is_action or name not in self.table.http_method_names else "handler"
                self.ctx.report(
                    method.node.name,
                    "DJA504",
                    f"DRF calls the {what} `{facts.name}.{name}` synchronously and gets a coroutine back instead of "
                    "a Response; derive the view from `adrf` (adrf.views.APIView, adrf.viewsets.*, adrf.generics.*) "
                    "or make it a plain `def`",
                )

    def _awaits_handlers(self, facts: ClassFacts) -> bool:
        """DRF's sync ``dispatch``, which would call a handler without
        awaiting it, may not be the one that runs: the view's ``dispatch`` is
        the project's (its own or a base's in this file), an ``async def``
        or one that never calls the base's, which may await the handlers
        as adrf's ``APIView`` does; or a base of
        unknown content (a project class of another module, often one
        derived from adrf's views, whose ``dispatch`` then comes first in
        the MRO) may bring one."""
        if any(isinstance(entry, UnknownClass) and entry.text != "object" for entry in self.registry.mro(facts)):
            return True
        found = self.registry.method(facts, "dispatch")
        if found is None or found[1] is None:
            return False
        method = found[1]
        # A sync ``dispatch`` that hands on to the base's (``super().dispatch()``)
        # still runs DRF's; one that does not calls the handlers itself.
        return effective_async(method, self.ctx.settings) is True or not _calls_base_dispatch(method.node)


def _calls_base_dispatch(function: cst.FunctionDef) -> bool:
    """``super().dispatch(...)`` or ``Base.dispatch(self, ...)`` in the body."""
    for call in nodes_in(function.body, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "dispatch" and isinstance(func.value, (cst.Call, cst.Name, cst.Attribute)):
            return True
    return False


def mixed_handlers_message(registry: ClassRegistry, facts: ClassFacts, settings) -> str | None:
    """DJA503's message when the class makes a mix of sync and async handlers."""
    own_handlers = [n for n in facts.methods if n in view_table().http_method_names]
    if not own_handlers or not registry.frameworks(facts) or registry.has_framework_class(facts, DRF_VIEWSET):
        return None  # a mix is reported on the class that makes it; viewsets route to actions
    overridden = registry.method(facts, "view_is_async")
    if overridden is not None and not isinstance(overridden[0], FrameworkClass):
        return None  # the project's own ``view_is_async`` decides, not Django's test
    kinds = handler_kinds(registry, facts, settings)
    if not kinds:
        return None
    async_names = [n + ("" if w == facts.name else f" from {w}") for n, (a, w) in kinds.items() if a]
    sync_names = [n + ("" if w == facts.name else f" from {w}") for n, (a, w) in kinds.items() if not a]
    if not (async_names and sync_names):
        return None
    return (
        f"`{facts.name}` mixes async handlers ({', '.join(async_names)}) with sync handlers "
        f"({', '.join(sync_names)}): Django raises ImproperlyConfigured in `as_view()`; make them all "
        "`async def` (override the inherited ones) or all `def`"
    )


def handler_kinds(registry: ClassRegistry, facts: ClassFacts, settings) -> dict[str, tuple[bool, str]] | None:
    """handler name -> (is async, the class defining it) for the handlers of a
    class-based view whose kind is known, as ``View.view_is_async`` sees them
    (``options`` left out); None when ``http_method_names`` is not known."""
    table = view_table()
    names = registry.attribute(facts, "http_method_names", list(table.http_method_names))
    if names is UNKNOWN or not isinstance(names, list):
        return None
    out: dict[str, tuple[bool, str]] = {}
    for name in names:
        if name in table.excluded_from_async_test:
            continue
        found = registry.method(facts, name)
        if found is None:
            continue
        entry, method = found
        if isinstance(entry, FrameworkClass):
            out[name] = (name in entry.async_handlers, entry.short)
        elif method is not None:
            is_async = effective_async(method, settings)
            if is_async is not None:
                out[name] = (is_async, entry.short)
    return out


def effective_async(method, settings) -> bool | None:
    """Whether Django sees a handler as a coroutine function; None if unknown."""
    if not method.decorators:
        return method.is_async
    if all(d == METHOD_DECORATOR for d in method.decorators):
        # method_decorator keeps async methods marked only since Django 5.2.
        version = getattr(settings, "django_version", None)
        if not method.is_async or version is None or tuple(version) >= (5, 2):
            return method.is_async
    return None


# A string is a sync iterable too: Django streams it a character at a time,
# after buffering it in a thread (``StreamingHttpResponse(json.dumps(data))``).
STRING_CONTENT = "a string (a sync iterable, sent one character at a time)"
STRING_MAKERS = frozenset({"builtins.str", "json.dumps", "builtins.repr", "builtins.format"})


class StreamingResponseCheck(Check):
    codes = ("DJA505",)
    text_hints = (r"\basync\s+def\b",)

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_context or not self._in_view():
            return
        response = self.ctx.qualified_name(node.func)
        if response not in STREAMING_RESPONSE and response not in FILE_RESPONSE:
            if not self._streaming_subclass(node.func):
                return
            response = "django.http.StreamingHttpResponse"
        version = getattr(self.ctx.settings, "django_version", None)
        if version is not None and tuple(version) < (4, 2):
            return  # before 4.2 StreamingHttpResponse takes no async iterator at all
        content = None
        for arg in node.args:
            if arg.keyword is None and arg.star == "":
                content = arg.value
                break
            if arg.keyword is not None and arg.keyword.value in ("streaming_content", "filelike"):
                content = arg.value
                break
        if content is None:
            return
        if response in FILE_RESPONSE:
            what = self._opened_file(content, follow=True)
            message = (
                f"FileResponse over {what} in an async view: it streams the file through a sync iterator, which under "
                "ASGI Django warns about and reads whole into memory in a thread before sending anything; stream "
                "the file from an async generator (`async def` with `yield`, reading chunks in a thread), or let "
                "the web server send it"
            )
        else:
            what = self._sync_iterable(content, follow=True)
            if what is None:
                self._imported_generator(node, content)
            message = streamed_message(what or "")
        if what:
            self.ctx.report(node, "DJA505", message)

    def _imported_generator(self, node: cst.Call, content: cst.BaseExpression) -> None:
        """``StreamingHttpResponse(frames())``, ``frames`` imported from another
        module of the project: whether it is a sync generator is that
        module's to say (foreign_generators.py)."""
        if type(content) is not cst.Call or type(content.func) is not cst.Name:
            return
        target = self.ctx.imported_from_elsewhere(content.func)
        if target is not None:
            from async_lint.checks.foreign_generators import StreamedCall

            self.ctx.add_fact(StreamedCall(target=target, spelled=content.func.value), node)

    def _in_view(self) -> bool:
        """In an async function taking the request (a view, or a handler
        method), or a function view by its decorator (``@api_view``, whatever
        its first parameter is named: ``async def download(_, pk)``)."""
        function = self.ctx.current_function
        if function is None:
            return False
        params = [*function.node.params.posonly_params, *function.node.params.params]
        if function.class_name is not None:
            params = params[1:]
        first = params[0] if params else None
        if first is not None and first.name.value == "request":
            return True
        # Any name, annotated as Django's request: ``async def feed(_request: HttpRequest)``.
        if first is not None and first.annotation is not None and self.ctx.qualified_name(first.annotation.annotation) in REQUEST_CLASSES:
            return True
        return function.class_name is None and any(self.ctx.qualified_name(d.decorator.func if type(d.decorator) is cst.Call else d.decorator) in DRF_FUNCTION_VIEWS for d in function.node.decorators)

    def _opened_file(self, expr: cst.BaseExpression, *, follow: bool) -> str | None:
        """A description of ``expr`` when it is a file opened for reading:
        ``open(...)``, ``x.open(...)`` (a storage's, a FieldFile's, a Path's),
        or a name bound once to one."""
        if isinstance(expr, cst.Name) and follow:
            bindings = self.ctx.lookup(expr.value)
            if bindings and len(bindings) == 1:
                binding = bindings[0]
                value = binding.value
                if value is None and isinstance(binding.node, cst.With):
                    # ``with open(path, "rb") as fh:``
                    value = next((item.item for item in binding.node.items if item.asname is not None and isinstance(item.asname.name, cst.Name) and item.asname.name.value == expr.value), None)
                if value is not None:
                    return self._opened_file(value, follow=False)
            return None
        if not isinstance(expr, cst.Call):
            return None
        if self.ctx.qualified_name(expr.func) in OPEN_FUNCTIONS:
            return "a file opened with `open()`"
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "open":
            return f"a file opened with `{cst.Module([]).code_for_node(expr.func)}()`"
        return None

    def _sync_iterable(self, expr: cst.BaseExpression, *, follow: bool) -> str | None:
        """A description of ``expr`` when it is known to be a sync iterable."""
        opened = self._opened_file(expr, follow=False)
        if opened is not None:
            return f"{opened} (a sync iterator)"
        if isinstance(expr, (cst.List, cst.Tuple, cst.ListComp, cst.SetComp, cst.Set)):
            return "a list/tuple (a sync iterable)"
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return STRING_CONTENT
        if isinstance(expr, cst.GeneratorExp):
            comp = expr.for_in
            while comp is not None:
                if comp.asynchronous is not None:
                    return None
                comp = comp.inner_for_in
            return "a sync generator expression"
        if isinstance(expr, cst.Name) and follow:
            bindings = self.ctx.lookup(expr.value)
            if bindings and len(bindings) == 1 and bindings[0].value is not None:
                return self._sync_iterable(bindings[0].value, follow=False)
            return None
        if not isinstance(expr, cst.Call):
            return None
        func = expr.func
        qualified = self.ctx.qualified_name(func)
        if qualified == "builtins.iter":
            return "`iter(...)` (a sync iterator)"
        if qualified in STRING_MAKERS:
            return STRING_CONTENT
        if isinstance(func, cst.Name):
            generator = self._local_function(func.value)
            if generator is not None and generator.asynchronous is None and yields(generator):
                return f"the sync generator `{func.value}()`"
            return None
        if type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value == "self":
            method = self._own_method(func.attr.value)
            if method is not None and method.asynchronous is None and yields(method):
                return f"the sync generator method `self.{func.attr.value}()`"
            return None
        if _is_queryset_chain(func):
            return "a QuerySet (iterating it runs a sync query)"
        return None

    def _own_method(self, name: str) -> cst.FunctionDef | None:
        """The method ``name`` the enclosing class itself defines (once, not
        a static or class method); None where it is inherited or unsure."""
        cls = self.ctx.enclosing_class()
        if cls is None or type(cls.body) is not cst.IndentedBlock:
            return None
        found = [s for s in cls.body.body if type(s) is cst.FunctionDef and s.name.value == name]
        if len(found) != 1 or any(self.ctx.qualified_name(d.decorator) in ("builtins.staticmethod", "builtins.classmethod") for d in found[0].decorators):
            return None
        return found[0]

    def _streaming_subclass(self, func: cst.BaseExpression) -> bool:
        """``func`` names a class of this module that derives directly from
        ``StreamingHttpResponse`` (``class EventStream(StreamingHttpResponse)``)
        and takes its content first, as its base does (no ``__init__`` of its
        own, or one whose first parameter it hands on first to the base's)."""
        if type(func) is not cst.Name:
            return False
        bindings = self.ctx.lookup(func.value)
        if not bindings or len(bindings) != 1 or type(bindings[0].node) is not cst.ClassDef:
            return False
        cls = bindings[0].node
        if not any(self.ctx.qualified_name(base.value) in STREAMING_RESPONSE for base in cls.bases if base.keyword is None):
            return False
        body = cls.body.body if type(cls.body) is cst.IndentedBlock else ()
        init = [s for s in body if type(s) is cst.FunctionDef and s.name.value == "__init__"]
        if not init:
            return True
        params = positional_params(init[0].params)
        if len(init) != 1 or not params:
            return False
        # ``__init__(self, content, ...)`` handing ``content`` on first, or
        # ``__init__(self, *args, **kwargs)`` handing ``*args`` on.
        star = init[0].params.star_arg
        content, spread = (params[1], False) if len(params) >= 2 else (star.name.value if type(star) is cst.Param else None, True)
        if content is None:
            return False
        for call in nodes_in(init[0].body, cst.Call):
            if (
                type(call.func) is cst.Attribute
                and call.func.attr.value == "__init__"
                and type(call.func.value) is cst.Call
                and type(call.func.value.func) is cst.Name
                and call.func.value.func.value == "super"
            ):
                first = next((a for a in call.args if a.keyword is None and (a.star == "*" if spread else not a.star)), None)
                if spread and (not call.args or first is not call.args[0]):
                    return False  # none handed on, or a positional argument of its own comes first
                return first is not None and type(first.value) is cst.Name and first.value.value == content
        return False

    def _local_function(self, name: str) -> cst.FunctionDef | None:
        bindings = self.ctx.lookup(name)
        if bindings and len(bindings) == 1 and isinstance(bindings[0].node, cst.FunctionDef):
            return bindings[0].node
        return None


def yields(function: cst.FunctionDef) -> bool:
    return any(True for _ in nodes_in(function.body, cst.Yield))


def _is_queryset_chain(func: cst.BaseExpression) -> bool:
    """``Model.objects.<lazy method>`` possibly followed by more lazy methods."""
    if not (isinstance(func, cst.Attribute) and func.attr.value in QUERYSET_METHODS):
        return False
    receiver = func.value
    while isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute) and receiver.func.attr.value in QUERYSET_METHODS:
        receiver = receiver.func.value
    return isinstance(receiver, cst.Attribute) and receiver.attr.value == "objects" and isinstance(receiver.value, cst.Name) and receiver.value.value[:1].isupper()
