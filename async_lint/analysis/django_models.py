"""What a Django expression is: a model class, a manager, a QuerySet, a model
instance, a lazy ``request.user``, a session, a ModelForm.

One ``DjangoInference`` per file (``django_inference(ctx)``) is shared by the
DJA2xx checks. It knows the models the file defines (fields, relations,
managers) and the well-known contrib models, and infers an expression's kind
from its bindings, lazily and with memoisation. It only answers on evidence:
an expression it cannot place is ``None`` and the checks stay silent.

The models it knows are recorded as facts (``checks/django_cross_module.py``)
so that DJA204 can join models across files: a model imported from another
module of the project is recognised here by weaker evidence (a capitalised
name from a ``models`` module) and its fields are not known in this file.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

from async_lint import lazy_libcst

from async_lint.analysis.context import SYNC_TO_ASYNC_DECORATORS as THREAD_DECORATORS, RecentSubtrees
from async_lint.analysis.django_vocabulary import (
    ASYNC_INSTANCE_METHODS,
    ASYNC_PAIR_METHODS,
    DEFAULT_MANAGERS,
    DRF_MODEL_SERIALIZERS,
    EVALUATING_METHODS,  # noqa: F401 - re-exported to the checks
    FILE_FIELDS,
    INSTANCE_METHODS,
    LAZY_METHODS,
    MANAGER_CLASSES,
    MODEL_BASES,
    MODEL_FACTORIES,
    PAIR_METHODS,
    QUERYSET_CLASSES,
    RELATED_EVALUATING_METHODS,  # noqa: F401 - re-exported to the checks
    REQUEST_CLASSES,
    RELATION_FIELDS,
    ROW_METHODS,
    USER_MODEL_SETTING,
)
from async_lint.analysis.handoffs import dotted, handed_by, reads_in
from async_lint.analysis.model_table import EMPTY_TABLE, SINGLE_RELATION_KINDS, ModelTable
from async_lint.analysis.model_skeleton import RELATION_NEUTRAL_METHODS
from async_lint.analysis.reaching import is_none_literal, reaching_bindings
from async_lint.analysis.receivers import _attribute_assignments, annotation_target, function_scope
from async_lint.analysis.scopes import (
    star_imported,
    ASSIGN,
    CLASS,
    DEF,
    IMPORT,
    PARAM,
    BindingCollector,
    Binding,
    Scope,
    binding_target,
    defined_class,
    defined_function,
    lookup,
    positional_params,
    sole_binding,
)
from async_lint.facts import Fact
from async_lint.walk import NESTED_SCOPE_NAMES, children, mentions_name

cst = lazy_libcst.bind(globals())

MODELFORM_BASES = frozenset({"django.forms.ModelForm", "django.forms.models.ModelForm"})
# contrib forms whose save() writes through the ORM.
CONTRIB_SAVING_FORMS = frozenset(
    {
        "django.contrib.auth.forms.UserCreationForm",
        "django.contrib.auth.forms.BaseUserCreationForm",
        "django.contrib.auth.forms.UserChangeForm",
        "django.contrib.auth.forms.SetPasswordForm",
        "django.contrib.auth.forms.PasswordChangeForm",
        "django.contrib.auth.forms.AdminPasswordChangeForm",
        "django.contrib.auth.forms.PasswordResetForm",
    }
)
# Awaited, these set request.user and leave the request's session loaded.
AUTH_LOGINS = frozenset({"django.contrib.auth.alogin", "django.contrib.auth.alogout"})
# Awaited on a request, these read its session with ``aget`` (or write it):
# the session is then loaded (matched by the name the code calls).
SESSION_LOADING_AUTH_NAMES = frozenset({"alogin", "alogout", "aget_user"})
# Django's decorators that, on an ``async def`` view (Django 5.1+), await
# ``request.auser()`` before calling it.
AUTH_TEST_DECORATORS = frozenset(f"django.contrib.auth.decorators.{name}" for name in ("login_required", "user_passes_test", "permission_required"))
# A class-based view's handlers (``View.http_method_names``).
HTTP_HANDLERS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "trace"})
# Views of these packages get DRF's Request (its user authenticated by the view's ``initial()``).
DRF_PACKAGES = frozenset({"rest_framework", "adrf"})
# Django's mixins whose sync ``dispatch`` reads ``request.user`` before the view's handler.
LOGIN_LOADING_MIXINS = ("django.contrib.auth.mixins.LoginRequiredMixin", "django.contrib.auth.mixins.PermissionRequiredMixin")
DRF_FUNCTION_VIEWS = frozenset({"rest_framework.decorators.api_view", "adrf.decorators.api_view"})
# Packages whose view decorators never set ``request.user`` themselves
# (Django's ``login_required`` reads it; ``@wraps`` copies names).
LIBRARY_DECORATOR_PACKAGES = frozenset({"django", "rest_framework", "adrf", "ninja", "channels", "asgiref", "functools", "builtins", "typing", "contextlib"})
# Frameworks whose handlers receive their own (non-Django) request objects
# (django-bolt's is a Rust request whose ``user`` is loaded its own way).
FOREIGN_REQUEST_FRAMEWORKS = ("starlette", "fastapi", "litestar", "sanic", "aiohttp", "quart", "falcon", "flask", "tornado", "django_bolt")
USER_MODEL_GETTERS = MODEL_FACTORIES
# Django's auth functions that return the user (an instance of the user
# model, or None / AnonymousUser, whose ``save()`` is no better): sync, and
# the async twins (what awaiting them gives).
USER_RETURNING_FUNCTIONS = frozenset({"django.contrib.auth.authenticate", "django.contrib.auth.get_user"})
AWAITED_USER_FUNCTIONS = frozenset({"django.contrib.auth.aauthenticate", "django.contrib.auth.aget_user"})
# A user manager's methods that return a user: ``create_user``,
# ``get_by_natural_key`` (model_table: the "user_manager" kind), and their a-twins awaited.
USER_MANAGER_KIND = ["django", "user_manager"]
# Django's app registry's model lookup by app label and model name.
APP_REGISTRY_GET_MODEL = frozenset({"django.apps.apps.get_model", "django.apps.registry.apps.get_model"})
# Packages whose classes a project class may derive from without its own code
# running in their methods.
FRAMEWORK_PACKAGES = frozenset({"django", "channels", "rest_framework", "adrf", "ninja", "asgiref"})
# Calls that run their first argument in a worker thread and hand back its result.
THREAD_RUNNERS = frozenset({"asyncio.to_thread", "anyio.to_thread.run_sync", "trio.to_thread.run_sync"})


@dataclass(frozen=True, kw_only=True)
class AsyncUnsafeOptOut(Fact):
    """The module sets DJANGO_ALLOW_ASYNC_UNSAFE (its ORM findings are silenced)."""

    kind = "django_async_unsafe_opt_out"


@dataclass(frozen=True)
class Relation:
    name: str
    kind: str  # fk | o2o | m2m | generic_fk | generic_rel | reverse_fk | reverse_o2o | reverse_m2m
    target: str | None  # model class name
    related_name: str | None = field(default=None, compare=False)

    @property
    def is_single(self) -> bool:
        """Access yields one related object (and loads it)."""
        return self.kind in SINGLE_RELATION_KINDS


@dataclass
class ModelInfo:
    name: str
    qualified: str | None = None
    relations: dict[str, Relation] = field(default_factory=dict)
    managers: set[str] = field(default_factory=lambda: set(DEFAULT_MANAGERS))
    # False where the model is only known by an import (fields unknown here).
    defined_here: bool = True
    abstract: bool = False
    bases: tuple[str, ...] = ()
    # manager attribute -> (manager class, QuerySet class) where the project's
    # model table knows them (their custom methods' kinds are in the table).
    manager_classes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # True where the fields come from the project's model table.
    from_table: bool = False
    # Django's relation-neutral methods (``save``, ``delete``) that neither the
    # model nor a base overrides, where the table knows every base.
    plain_methods: frozenset[str] = frozenset()
    # Its ``FileField``/``ImageField`` attributes (their values are FieldFiles).
    file_fields: set[str] = field(default_factory=set)


def _well_known_models() -> dict[str, ModelInfo]:
    def model(name: str, qualified: str, *relations: Relation) -> ModelInfo:
        # None of these overrides save() or delete(), but User (AbstractBaseUser.save).
        plain = frozenset() if name == "User" else frozenset(RELATION_NEUTRAL_METHODS)
        return ModelInfo(name, qualified, {r.name: r for r in relations}, defined_here=False, plain_methods=plain)

    user = model(
        "User",
        "django.contrib.auth.models.User",
        Relation("groups", "m2m", "Group"),
        Relation("user_permissions", "m2m", "Permission"),
    )
    user.manager_classes["objects"] = ("django.contrib.auth.models.UserManager", None)
    return {
        "django.contrib.auth.models.User": user,
        "django.contrib.auth.models.Group": model("Group", "django.contrib.auth.models.Group", Relation("permissions", "m2m", "Permission"), Relation("user_set", "reverse_m2m", "User")),
        "django.contrib.auth.models.Permission": model("Permission", "django.contrib.auth.models.Permission", Relation("content_type", "fk", "ContentType")),
        "django.contrib.sessions.models.Session": model("Session", "django.contrib.sessions.models.Session"),
        "django.contrib.contenttypes.models.ContentType": model("ContentType", "django.contrib.contenttypes.models.ContentType"),
        "django.contrib.sites.models.Site": model("Site", "django.contrib.sites.models.Site"),
        "django.contrib.admin.models.LogEntry": model("LogEntry", "django.contrib.admin.models.LogEntry", Relation("user", "fk", "User"), Relation("content_type", "fk", "ContentType")),
        "django.contrib.flatpages.models.FlatPage": model("FlatPage", "django.contrib.flatpages.models.FlatPage"),
        "django.contrib.redirects.models.Redirect": model("Redirect", "django.contrib.redirects.models.Redirect"),
    }


WELL_KNOWN_MODELS = _well_known_models()
USER_MODEL = WELL_KNOWN_MODELS["django.contrib.auth.models.User"]
# Some model, which one unknown (``apps.get_model(label)``, a parameter
# annotated ``type[models.Model]``): its default managers query, its
# instances' ``save()`` writes; no relation of it is known.
ANY_MODEL = ModelInfo("Model", None, defined_here=False)
# Django's model base class, as an annotation names it.
MODEL_BASE_CLASSES = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
# ``type[X]``: the class ``X`` itself.
CLASS_OF = frozenset({"builtins.type", "typing.Type"})
WELL_KNOWN_SINGLE_RELATIONS = frozenset(name for info in WELL_KNOWN_MODELS.values() for name, relation in info.relations.items() if relation.is_single)


# -- inferred values -------------------------------------------------------------
@dataclass(frozen=True)
class ModelClass:
    model: ModelInfo


@dataclass(frozen=True)
class ManagerValue:
    model: ModelInfo | None
    # For a related manager (``post.tags``): the owning instance and the relation.
    owner: "InstanceValue | None" = None
    relation: Relation | None = None
    # The custom manager and QuerySet classes (qualified) whose methods apply.
    manager_class: str | None = None
    queryset_class: str | None = None


@dataclass(frozen=True)
class QuerySetValue:
    model: ModelInfo | None
    selected: frozenset[str] = frozenset()  # select_related/prefetch_related paths; "*" = all
    rows: bool = False  # values()/values_list(): iterating yields dicts/tuples
    # ``inst.rel.all()``: the related manager it came from (for prefetch checks).
    owner: "InstanceValue | None" = None
    relation: Relation | None = None
    # A custom QuerySet class (qualified) whose methods apply.
    queryset_class: str | None = None


@dataclass(frozen=True)
class IteratorValue:
    """``qs.iterator()``: lazy until iterated."""

    model: ModelInfo | None


@dataclass(frozen=True)
class InstanceValue:
    model: ModelInfo | None
    # Relation paths known loaded ("author", "author__profile", "*"); None when
    # the instance's origin is unknown (a parameter, self): then nothing is
    # claimed about its relations.
    loaded: frozenset[str] | None = None

    def has_loaded(self, name: str) -> bool:
        if self.loaded is None:
            return True
        return "*" in self.loaded or any(path.split("__")[0] == name for path in self.loaded)

    def loaded_below(self, name: str) -> frozenset[str]:
        assert self.loaded is not None
        # "*": the query loaded what it chose (``select_related()``, a custom
        # method that selects): nothing below is claimed unloaded either.
        below = {"*"} if "*" in self.loaded else set()
        for path in self.loaded:
            head, _, rest = path.partition("__")
            if head == name and rest:
                below.add(rest)
        return frozenset(below)


@dataclass(frozen=True)
class PairValue:
    """``get_or_create()``'s (instance, created)."""

    first: InstanceValue


# Builtins that copy an iterable's items into a list (or iterate them in a new order).
ROW_COPIES = frozenset({"builtins.list", "builtins.tuple", "builtins.sorted", "builtins.reversed"})


@dataclass(frozen=True)
class RowsListValue:
    """``list(qs)``: the rows of a QuerySet, fetched (``await
    sync_to_async(list)(qs)``); its items are instances."""

    item: InstanceValue


@dataclass(frozen=True)
class LazyUserValue:
    """``request.user`` of a Django request: a SimpleLazyObject."""


@dataclass(frozen=True)
class SessionValue:
    """``request.session`` of a Django request."""


@dataclass(frozen=True)
class ScopeSessionValue(SessionValue):
    """``self.scope["session"]`` in a Channels consumer: the session store
    Channels' SessionMiddleware made (its data loaded, with AuthMiddleware,
    by the user lookup in a thread); what it writes still runs a query."""


@dataclass(frozen=True)
class DjangoRequestValue:
    pass


@dataclass(frozen=True)
class DrfRequestValue:
    """The request a DRF or adrf view's handler gets: its ``user`` was
    authenticated before the handler runs (adrf runs ``initial()`` in a
    thread), an instance of the user model; which relations it holds is the
    authentication's choice (a project's may ``select_related`` them)."""


@dataclass(frozen=True)
class ModelFormValue:
    pass


@dataclass(frozen=True)
class FormClassValue:
    pass


@dataclass(frozen=True)
class ModelSerializerClass:
    """A DRF (or adrf) model serializer class of the project."""


@dataclass(frozen=True)
class ModelSerializerValue:
    """An instance of one: its ``save()`` writes through the ORM."""


@dataclass(frozen=True)
class ClassSelf:
    """``self`` in a method of a class that is not a model (e.g. a view)."""

    cls: cst.ClassDef
    scope: Scope  # the scope the class statement is in


@dataclass(frozen=True)
class _Cycle:
    """Marker for a name whose inference is in progress (``qs = qs.filter()``)."""


CYCLE = _Cycle()


@dataclass(frozen=True)
class _NoneLiteral:
    """Marker for ``name = None``: no kind of its own, the other bindings decide."""


NONE = _NoneLiteral()


@dataclass(frozen=True)
class _EmptyCollection:
    """Marker for ``name = []`` (or ``()``): the QuerySet or rows other
    bindings give decide (``watchers = []`` on one branch, a QuerySet on
    the other: evaluating it is a query on that path)."""


EMPTY = _EmptyCollection()


@dataclass(frozen=True)
class _UnawaitedQuery:
    """Marker for ``user = User.objects.acreate(...)`` left unawaited (its
    DJA302 is reported where it is made): a coroutine, not what the code
    after it means to use, which the other bindings decide (``user``, a
    parameter, re-bound so under ``if not user:``)."""


UNAWAITED = _UnawaitedQuery()
UNSAFE_ENV = "DJANGO_ALLOW_ASYNC_UNSAFE"
Value = object


def string_value(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def call_kwarg(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional_args(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def _from_models_module(qualified: str) -> bool:
    """A capitalised name imported from a project ``models`` module
    (``shop.models.Product``, ``.models.Product``): evidence of a model."""
    module, _, name = qualified.rpartition(".")
    if not name[:1].isupper() or module.startswith("django.") or module == "django":
        return False
    if name.endswith(("Manager", "QuerySet", "Queryset", "Mixin", "Choices", "Form", "Serializer", "Enum", "Error", "Exception", "Field")):
        return False
    return "models" in module.split(".")


class DjangoInference:
    """Model facts of one file and the kind of its expressions."""

    # How deep one inference may recurse. Each ``qs = qs.filter(...)`` a
    # read reaches costs it about two levels: 40 follows a search view's 18
    # optional filters (25 lost the QuerySet past 11). Names are kept
    # (``_names``, ``_cut_names``), so depth costs no repeated work.
    MAX_DEPTH = 40

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.module_name = ctx.module_name
        self._models: dict[int, ModelInfo | None] = {}
        self._models_by_name: dict[str, ModelInfo] | None = None
        self._returns: dict[tuple[int, bool], Value | None] = {}
        self._resolving: set[tuple[int, str]] = set()
        self._depth = 0
        # For the names resolved where no inference is under way
        # (``_infer_name``): their values, the inferences under way, how
        # often the depth limit cut one, the deepest depth reached.
        self._names: dict[tuple, tuple[list[Binding], Scope, Value | None, int]] = {}
        self._busy = 0
        self._depth_cuts = 0
        self._deepest = 0
        # How often an inference met one under way (a cycle's CYCLE, a memo's
        # placeholder): a name resolved below an inference under way is kept
        # (``_names``) only where it met none, its value then being the
        # same wherever it is read. The memos' keys whose placeholder stands.
        self._unfinished = 0
        self._placeholders: set[tuple] = set()
        # Placeholders read: a name whose resolution read one is not kept in
        # ``_cycle_names``.  Per name being resolved, innermost last: the
        # names it met under way (CYCLE) and those it resolved itself.
        self._placeholder_reads = 0
        self._frames: list[tuple[set, set]] = []
        # Names resolved below an inference under way whose cycle they met:
        # key -> (value, the names read as CYCLE, the names resolved, depth
        # used); (key, depth) -> the same, depth None, where the limit cut it.
        self._cycle_names: dict[tuple, tuple[Value | None, frozenset, frozenset, int | None]] = {}
        # Names whose resolution the depth limit cut, by (key, depth): what
        # is cut depends on the depth it starts at, and on nothing else.
        self._cut_names: dict[tuple, tuple[Value | None, list[Binding], Scope]] = {}
        self._imported_models: dict[str, ModelInfo] = {}
        self._memo: dict[tuple[int, int], Value | None] = {}
        self._self_attributes: dict[tuple[int, str], Value | None] = {}
        # id(function) -> id(a ``<x>.user`` attribute node) -> the index of its
        # top-level statement in the function's body (``_user_set_before``).
        self._user_attribute_rows: dict[int, dict[int, int]] = {}
        self._unannotated_params: dict[tuple[int, int], tuple[cst.Param, Scope, Value | None]] = {}
        self._class_assignments: dict[int, dict[str, list[tuple[cst.BaseExpression | None, Scope]]]] = {}
        # class -> attribute -> (annotation, scope) of each ``self.<attribute>: T = ...`` in its methods.
        self._self_annotations: dict[int, dict[str, list[tuple[cst.BaseExpression, Scope]]]] = {}
        self._class_handoff_scans: dict[int, tuple[list[tuple[str, bool]], set[str]]] = {}
        self._thread_returns: dict[tuple, Value | None] = {}
        self._file_field_names: frozenset[str] | None = None
        settings = ctx.settings
        table = getattr(settings, "models", None)
        # A table without models still says what the settings say (its caches).
        self.table: ModelTable = table if table is not None else EMPTY_TABLE
        self._table_models: dict[str, ModelInfo] = {}
        self._single_relation_names: frozenset[str] | None = None
        self.imports_django = False
        self.foreign_request_framework = False
        self._package_bases: dict[tuple[int, str], bool] = {}
        self._views_setting_user: dict[tuple[int, str, bool, bool], tuple[bool, tuple[str, ...]]] = {}
        # id(request expression) -> the other modules' classes among its
        # view's bases that may have set ``request.user``/``.session``
        # (``_user_replaced``): what a project check asks those modules.
        self.inherited_setters: dict[int, tuple[str, ...]] = {}
        for bindings in ctx.module_scope.bindings.values():
            for binding in bindings:
                if binding.kind == IMPORT and binding.target:
                    top = binding.target.lstrip(".").split(".")[0]
                    if top in ("django", "rest_framework", "adrf", "ninja", "channels") or _from_models_module(binding.target):
                        self.imports_django = True
                    elif top in FOREIGN_REQUEST_FRAMEWORKS:
                        self.foreign_request_framework = True
        self._enrich_from_table()
        self.async_unsafe_opt_out = self._detect_async_unsafe_opt_out()

    def _detect_async_unsafe_opt_out(self) -> bool:
        """``os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = ...`` (or setdefault,
        putenv, monkeypatch.setenv) in this file switches Django's guard off
        on purpose: the DJA2xx rules are not reported here."""
        text = getattr(self.ctx.source, "text", "")
        if UNSAFE_ENV not in text:
            return False
        for node in _walk(self.ctx.module):
            key: cst.BaseExpression | None = None
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    if isinstance(target.target, cst.Subscript) and len(target.target.slice) == 1:
                        element = target.target.slice[0].slice
                        if isinstance(element, cst.Index):
                            key = element.value
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("setdefault", "putenv", "setenv"):
                key = node.args[0].value if node.args else None
            if key is not None and string_value(key) == UNSAFE_ENV:
                self.ctx.add_fact(AsyncUnsafeOptOut(), node)
                return True
        return False

    # -- models ----------------------------------------------------------------
    def models(self) -> dict[str, ModelInfo]:
        """The models this file defines, by class name."""
        if self._models_by_name is None:
            self._models_by_name = {}
            for bindings in self.ctx.module_scope.bindings.values():
                for binding in bindings:
                    if binding.kind == CLASS:
                        info = self.model_of_class(binding.node, self.ctx.module_scope)  # type: ignore[arg-type]
                        if info is not None:
                            self._models_by_name[info.name] = info
            self._add_reverse_relations(self._models_by_name)
        return self._models_by_name

    def file_field_names(self) -> frozenset[str]:
        """The names of the file fields of the models of the table and of this file."""
        if self._file_field_names is None:
            self._file_field_names = self.table.file_field_names() | {name for info in self.models().values() for name in info.file_fields}
        return self._file_field_names

    def field_file(self, node: cst.Attribute, scope: Scope | None = None) -> bool:
        """``doc.attachment`` where ``doc`` is an instance of a model whose
        ``attachment`` is a ``FileField``/``ImageField``: a FieldFile."""
        if node.attr.value not in self.file_field_names():
            return False
        receiver = self.infer(node.value, scope)
        return isinstance(receiver, InstanceValue) and receiver.model is not None and node.attr.value in receiver.model.file_fields

    def model_of_class(self, node: cst.ClassDef, scope: Scope) -> ModelInfo | None:
        key = id(node)
        if key in self._models:
            return self._models[key]
        self._models[key] = None  # guards base cycles
        bases: list[str] = []
        inherited: list[ModelInfo] = []
        is_model = False
        for arg in node.bases:
            name = self.ctx.qualified_name(arg.value, scope)
            base_class = self._class_binding(scope, arg.value)
            if base_class is not None:
                base_info = self.model_of_class(base_class, scope)
                if base_info is not None:
                    is_model = True
                    inherited.append(base_info)
            elif name is not None and self.table.model(name) is not None:
                is_model = True
                inherited.append(self._table_model(name))
            elif name is not None and (name in MODEL_BASES or (_from_models_module(name) and name not in self.table.plain_classes)):
                is_model = True
                if name in ("django.contrib.auth.models.AbstractUser",):
                    inherited.append(USER_MODEL)
            if name:
                bases.append(name)
        if not is_model:
            return None
        info = ModelInfo(node.name.value, f"{self.module_name or '<module>'}.{node.name.value}", bases=tuple(bases))
        for base in inherited:
            info.relations.update({k: v for k, v in base.relations.items() if not v.kind.startswith("reverse")})
            info.managers |= base.managers
            info.file_fields |= base.file_fields
        self._read_class_body(node, scope, info)
        self._models[key] = info
        return info

    def _class_binding(self, scope: Scope, expr: cst.BaseExpression) -> cst.ClassDef | None:
        if not isinstance(expr, cst.Name):
            return None
        found = lookup(scope, expr.value)
        if found is None:
            return None
        for binding in found[1]:
            if binding.kind == CLASS and isinstance(binding.node, cst.ClassDef):
                return binding.node
        return None

    def _read_class_body(self, node: cst.ClassDef, scope: Scope, info: ModelInfo) -> None:
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for statement in body:
            if isinstance(statement, cst.ClassDef) and statement.name.value == "Meta":
                for inner in statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ():
                    if isinstance(inner, cst.SimpleStatementLine):
                        for small in inner.body:
                            if (
                                isinstance(small, cst.Assign)
                                and isinstance(small.targets[0].target, cst.Name)
                                and small.targets[0].target.value == "abstract"
                                and isinstance(small.value, cst.Name)
                                and small.value.value == "True"
                            ):
                                info.abstract = True
                continue
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target, value = small.targets[0].target, small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    target, value = small.target, small.value
                else:
                    continue
                if not isinstance(target, cst.Name) or not isinstance(value, cst.Call):
                    continue
                relation = self._relation_field(target.value, value, scope)
                if relation is not None:
                    info.relations[target.value] = relation
                elif self.ctx.qualified_name(value.func, scope) in FILE_FIELDS:
                    info.file_fields.add(target.value)
                elif self._is_manager_call(value, scope):
                    info.managers.add(target.value)

    def _relation_field(self, name: str, call: cst.Call, scope: Scope) -> Relation | None:
        qualified = self.ctx.qualified_name(call.func, scope) or ""
        short = qualified.rpartition(".")[2]
        kind = RELATION_FIELDS.get(short)
        if kind is None:
            return None
        if not (qualified.startswith("django.") or short in ("ParentalKey", "ParentalManyToManyField") or short.startswith("Tree")):
            return None
        target_arg = call_kwarg(call, "to")
        positional = positional_args(call)
        target_expr = target_arg.value if target_arg is not None else (positional[0].value if positional and kind not in ("generic_fk",) else None)
        target = self._relation_target(target_expr, scope)
        related_name = call_kwarg(call, "related_name")
        return Relation(name, kind, target, string_value(related_name.value) if related_name is not None else None)

    def _relation_target(self, expr: cst.BaseExpression | None, scope: Scope) -> str | None:
        if expr is None:
            return None
        text = string_value(expr)
        if text is not None:
            return text.rpartition(".")[2] or None
        if isinstance(expr, cst.Name):
            return expr.value
        qualified = self.ctx.qualified_name(expr, scope)
        if qualified == USER_MODEL_SETTING:
            return "User"
        if isinstance(expr, cst.Attribute):
            return expr.attr.value
        return None

    def _own_queryset_or_manager(self, cls: cst.ClassDef, scope: Scope) -> Value | None:
        """``self`` in a method of a QuerySet or manager subclass (Django's,
        or one the model table knows): that QuerySet or manager, of a model
        not known here, with the class's own methods."""
        qualified = f"{self.module_name}.{cls.name.value}" if self.module_name and scope.kind == "module" else None
        table = self.table
        known_querysets = frozenset(q for q in table.methods if table.is_queryset_class(q))
        known_managers = frozenset(q for q in table.methods if not table.is_queryset_class(q))
        if self._derives_from(cls, scope, MANAGER_CLASSES | known_managers):
            return ManagerValue(self._sole_model_using(qualified, 0), manager_class=qualified)
        if self._derives_from(cls, scope, QUERYSET_CLASSES | known_querysets):
            return QuerySetValue(self._sole_model_using(qualified, 1), queryset_class=qualified)
        return None

    def _sole_model_using(self, qualified: str | None, which: int) -> ModelInfo | None:
        """The one model whose managers use this manager class (``which=0``)
        or QuerySet class (1): ``objects = EndPointManager()`` in ``EndPoint``
        makes ``self`` in ``EndPointManager``'s methods EndPoint's manager.
        None where no model or several do (an abstract base's manager)."""
        if qualified is None:
            return None
        found: dict[str, ModelInfo] = {}
        for info in self.models().values():
            if any(classes[which] == qualified for classes in info.manager_classes.values()):
                found[info.qualified or info.name] = info
        for name, entry in self.table.models.items():
            if name not in found and any(classes and len(classes) > which and classes[which] == qualified for classes in (entry.get("managers") or {}).values()):
                found[name] = self._table_model(name)
        return next(iter(found.values())) if len(found) == 1 else None

    def _is_manager_call(self, call: cst.Call, scope: Scope) -> bool:
        func = call.func
        # QS.as_manager(), Manager.from_queryset(QS)()
        if isinstance(func, cst.Attribute) and func.attr.value == "as_manager":
            return True
        if isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute) and func.func.attr.value == "from_queryset":
            return True
        qualified = self.ctx.qualified_name(func, scope)
        if qualified in MANAGER_CLASSES:
            return True
        cls = self._class_binding(scope, func)
        if cls is not None:
            return self._derives_from(cls, scope, MANAGER_CLASSES, suffix="Manager")
        return bool(qualified) and qualified.rpartition(".")[2].endswith("Manager") and not qualified.startswith("builtins.")

    def _derives_from(self, cls: cst.ClassDef, scope: Scope, names: frozenset[str], suffix: str | None = None, depth: int = 0) -> bool:
        if depth > 10:
            return False
        for arg in cls.bases:
            expr = arg.value
            if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "from_queryset":
                return True
            qualified = self.ctx.qualified_name(expr, scope)
            if qualified in names:
                return True
            base = self._class_binding(scope, expr)
            if base is not None and self._derives_from(base, scope, names, suffix, depth + 1):
                return True
            if base is None and suffix and qualified and qualified.endswith(suffix) and not qualified.startswith("builtins."):
                return True
        return False

    def _add_reverse_relations(self, models: dict[str, ModelInfo]) -> None:
        for model in list(models.values()):
            for relation in list(model.relations.values()):
                if relation.kind not in ("fk", "o2o", "m2m") or relation.target is None:
                    continue
                target_name = model.name if relation.target == "self" else relation.target
                target = models.get(target_name)
                if target is None:
                    continue
                related_name = relation.related_name
                if related_name is not None and related_name.endswith("+"):
                    continue
                if related_name is None or "%(" in related_name:
                    related_name = model.name.lower() if relation.kind == "o2o" else f"{model.name.lower()}_set"
                kind = {"fk": "reverse_fk", "o2o": "reverse_o2o", "m2m": "reverse_m2m"}[relation.kind]
                target.relations.setdefault(related_name, Relation(related_name, kind, model.name))

    def single_relation_names(self) -> frozenset[str]:
        """The names of the single relations of the models this file can
        know: the project's model table's, Django's own models', this file's."""
        if self._single_relation_names is None:
            own = {name for info in self.models().values() for name, relation in info.relations.items() if relation.is_single}
            self._single_relation_names = self.table.single_relation_names() | WELL_KNOWN_SINGLE_RELATIONS | own
        return self._single_relation_names

    def _enrich_from_table(self) -> None:
        """What the project's model table adds to the models this file defines:
        reverse accessors that models of other modules give them, relations
        and managers inherited from bases elsewhere, managers' classes."""
        if not self.table:
            return
        for info in self.models().values():
            entry = self.table.model(info.qualified)
            if entry is None:
                continue
            table_info = self._table_model(info.qualified)  # type: ignore[arg-type]
            for name, relation in table_info.relations.items():
                info.relations.setdefault(name, relation)
            info.managers |= table_info.managers
            for attr, classes in table_info.manager_classes.items():
                info.manager_classes.setdefault(attr, classes)
            info.plain_methods = table_info.plain_methods

    def _table_model(self, qualified: str) -> ModelInfo:
        """A model of the project's model table (any module, or an installed app)."""
        canonical = self.table.canonical(qualified)
        known = self._table_models.get(canonical)
        if known is not None:
            return known
        entry = self.table.models[canonical]
        info = ModelInfo(
            entry["name"],
            canonical,
            {name: Relation(name, kind, target, related_name) for name, (kind, target, related_name) in entry["relations"].items()},
            defined_here=False,
            abstract=entry["abstract"],
            manager_classes={attr: (manager, queryset) for attr, (manager, queryset) in entry["managers"].items()},
            from_table=True,
            plain_methods=frozenset(entry.get("plain", ())),
            bases=("django.contrib.auth.base_user.AbstractBaseUser",) if entry.get("user") else (),
            file_fields=set(entry.get("files", ())),
        )
        info.managers |= set(entry["managers"])
        self._table_models[canonical] = info
        return info

    def model_named(self, name: str | None) -> ModelInfo | None:
        """A relation's target: a class name of this file, or a qualified name."""
        if name is None:
            return None
        if "." in name:
            local = self.models().get(name.rpartition(".")[2])
            if local is not None and local.qualified == name:
                return local
            return self._table_model(name) if self.table.model(name) is not None else None
        if name == "User":
            return self.models().get("User") or self.user_model()
        return self.models().get(name)

    def user_model(self) -> ModelInfo:
        """The project's user model (``AUTH_USER_MODEL``), else contrib's User."""
        if self.table.user_model and self.table.model(self.table.user_model) is not None:
            return self._table_model(self.table.user_model)
        if self.table.model(USER_MODEL.qualified) is not None:
            return self._table_model(USER_MODEL.qualified)  # type: ignore[arg-type]
        return USER_MODEL

    def _imported_model_named(self, name: str | None) -> ModelInfo | None:
        """A relation's target named by a model this module imports (its
        fields known only in the module that defines it)."""
        bindings = self.ctx.module_scope.bindings.get(name) if name else None
        if not bindings:
            return None
        kind, target = binding_target(bindings)
        return self.model_for_import(target) if kind == IMPORT and target else None

    def model_for_import(self, qualified: str) -> ModelInfo | None:
        # ``from app.services import Category``, re-exported from app/models.py (analysis/reexports.py).
        qualified = self.ctx.reexports.get(qualified, qualified)
        if self.table.model(qualified) is not None:
            return self._table_model(qualified)
        known = WELL_KNOWN_MODELS.get(qualified)
        if known is not None:
            return known
        if _from_models_module(qualified) and qualified not in self.table.plain_classes:
            if qualified not in self._imported_models:
                self._imported_models[qualified] = ModelInfo(qualified.rpartition(".")[2], qualified, defined_here=False)
            return self._imported_models[qualified]
        return None

    def only_imported(self, model: ModelInfo | None) -> bool:
        """``model`` is known only as a class imported from a models module
        (``model_for_import``): the table has no skeleton of it."""
        return model is not None and model.qualified is not None and self._imported_models.get(model.qualified) is model

    # -- expressions -------------------------------------------------------------
    def infer(self, node: cst.BaseExpression, scope: Scope | None = None) -> Value | None:
        """The Django kind of ``node`` (evaluated in ``scope``, by default the
        scope being visited), or None when there is no evidence."""
        scope = scope or self.ctx.scope
        key = (id(node), id(scope))
        if key in self._memo:
            return self._memo[key]
        value = self._infer(node, scope)
        value = None if value is CYCLE else value
        self._memo[key] = value
        return value

    @contextmanager
    def _under_way(self, placeholder: tuple) -> Iterator[None]:
        """An inference whose memo holds a placeholder until it is done
        (a self attribute's, a function's returns): a name read below it is
        kept only where it read no placeholder (``_infer_name``)."""
        self._busy += 1
        self._placeholders.add(placeholder)
        try:
            yield
        finally:
            self._placeholders.discard(placeholder)
            self._busy -= 1

    def _placeholder_read(self, placeholder: tuple, value: Value | None) -> Value | None:
        """A memo's value; where it is still the placeholder of an inference
        under way, what is inferred from it is not kept (``_unfinished``)."""
        if placeholder in self._placeholders:
            self._unfinished += 1
            self._placeholder_reads += 1
        return value

    def _infer(self, node: cst.BaseExpression, scope: Scope) -> Value | None:
        if self._depth > self.MAX_DEPTH:
            self._depth_cuts += 1
            return None
        if self._depth > self._deepest:
            self._deepest = self._depth
        self._depth += 1
        try:
            return self._infer_node(node, scope)
        finally:
            self._depth -= 1

    def _infer_node(self, node: cst.BaseExpression, scope: Scope) -> Value | None:
        # ``type() is``: these classes have no subclasses, and isinstance
        # against libcst's (ABC) classes goes through abc on every inference.
        kind = type(node)
        if kind is cst.Name:
            return self._infer_name(node.value, scope, node)
        if kind is cst.Attribute:
            return self._infer_attribute(node, scope)
        if kind is cst.Call:
            return self._infer_call(node, scope)
        if kind is cst.Await:
            return self._infer_await(node.expression, scope)
        if kind is cst.Subscript:
            return self._infer_subscript(node, scope)
        if kind is cst.ListComp:
            return self._fetched_rows(node, scope)
        if kind is cst.BinaryOperation and type(node.operator) is cst.Add:
            # ``list(tier1) + list(tier2)``: rows of one model.
            left, right = self._infer(node.left, scope), self._infer(node.right, scope)
            if isinstance(left, RowsListValue) and isinstance(right, RowsListValue) and left.item.model == right.item.model:
                loaded = left.item.loaded & right.item.loaded if left.item.loaded is not None and right.item.loaded is not None else None
                return RowsListValue(InstanceValue(left.item.model, loaded))
        if kind is cst.BinaryOperation and type(node.operator) in (cst.BitOr, cst.BitAnd):
            # ``qs1 | qs2``, ``qs1 & qs2``: a QuerySet of the same model (lazy);
            # what either side selects is taken as loaded.
            left, right = self._infer(node.left, scope), self._infer(node.right, scope)
            if isinstance(left, QuerySetValue) and isinstance(right, QuerySetValue) and left.model is not None and left.model == right.model and left.rows == right.rows:
                queryset_class = left.queryset_class if left.queryset_class == right.queryset_class else None
                return QuerySetValue(left.model, left.selected | right.selected, rows=left.rows, queryset_class=queryset_class)
        if (kind is cst.List or kind is cst.Tuple) and node.elements:
            # ``[await Contact.objects.acreate(...), ...]``: instances of one model.
            items = [self._infer(element.value, scope) if type(element) is cst.Element else None for element in node.elements]
            if all(isinstance(item, InstanceValue) and item.model is not None and item.model == items[0].model for item in items):  # type: ignore[union-attr]
                known = [item.loaded for item in items]  # type: ignore[union-attr]
                loaded = frozenset.intersection(*known) if all(each is not None for each in known) else None
                return RowsListValue(InstanceValue(items[0].model, loaded))  # type: ignore[union-attr]
        if kind is cst.IfExp:
            # ``qs if flag else []``: as a name bound on two paths.
            return _name_value([self._assigned_value(node.body, scope), self._assigned_value(node.orelse, scope)])
        return None

    def _assigned_value(self, node: cst.BaseExpression, scope: Scope) -> Value | None:
        """What a value bound to a name (or one side of a conditional
        expression) is: the NONE and EMPTY markers for ``None`` and ``[]``,
        which leave the kind to the other bindings (``_name_value``), else
        its inferred value."""
        if is_none_literal(node):
            return NONE
        if type(node) in (cst.List, cst.Tuple) and not node.elements:
            return EMPTY
        if type(node) is cst.Call and type(node.func) is cst.Attribute and node.func.attr.value[:1] == "a" and self._unawaited_query(node, scope):
            return UNAWAITED
        return self._infer(node, scope)

    def _unawaited_query(self, node: cst.Call, scope: Scope) -> bool:
        """``Model.objects.acreate(...)``, ``qs.aget(...)``: an async twin of a
        manager's or QuerySet's, called without ``await``."""
        if not isinstance(self._infer(node.func.value, scope), (ManagerValue, QuerySetValue)):  # type: ignore[attr-defined]
            return False
        return self._infer_await(node, scope) is not None

    def _fetched_rows(self, node: cst.ListComp, scope: Scope) -> Value | None:
        """``[m async for m in qs]``: the rows of the QuerySet, fetched (instances)."""
        comp = node.for_in
        if comp.asynchronous is None or comp.inner_for_in is not None or type(node.elt) is not cst.Name or type(comp.target) is not cst.Name or node.elt.value != comp.target.value:
            return None
        item = _element_of(self._infer(comp.iter, scope))
        return RowsListValue(item) if isinstance(item, InstanceValue) else None

    def _infer_name(self, name: str, scope: Scope, use: cst.CSTNode | None = None) -> Value | None:
        found = lookup(scope, name)
        if found is None:
            # ``from shop.models import *``: a model of the project by that name.
            reexports = self.ctx.reexports
            starred = star_imported(scope, name, lambda qualified: self.table.model(reexports.get(qualified, qualified)) is not None) if self.table else None
            return self._imported_value(starred) if starred is not None else None
        found_scope, bindings = found
        kind, target = binding_target(bindings)
        if kind == IMPORT:
            return self._imported_value(target or "")
        if kind == CLASS:
            for binding in bindings:
                if binding.kind == CLASS and isinstance(binding.node, cst.ClassDef):
                    info = self.model_of_class(binding.node, found_scope)
                    if info is not None:
                        return ModelClass(self.models().get(info.name, info))
                    if self._derives_from(binding.node, found_scope, MODELFORM_BASES | CONTRIB_SAVING_FORMS):
                        return FormClassValue()
                    if self._derives_from(binding.node, found_scope, DRF_MODEL_SERIALIZERS):
                        return ModelSerializerClass()
            return None
        if kind == DEF:
            return None
        bindings = reaching_bindings(self.ctx, found_scope, bindings, use)
        # The set of bindings, whatever order they reach the use in: the
        # reads of ``qs = qs.filter(...)`` in a loop's branches each see the
        # same set in another order, and a key by order let each one resolve
        # the others again (time exponential in the branches).
        key = (id(found_scope), name, *sorted(map(id, bindings)))
        # A name is resolved once for the same bindings: where no inference
        # is under way (no name, self attribute or function's returns being
        # resolved), since below it no cycle can meet a name resolved
        # outside and no memo is half made; below one, where it met no
        # cycle and no placeholder (``_unfinished``), its value then being
        # the same wherever it is read (``qs = qs.filter(...)`` under each
        # of 16 ``if``s read 2**16 chains of bindings otherwise).  Kept only
        # when the depth limit cut nothing, and served where it would cut
        # nothing either.
        outermost = not self._busy
        known = self._names.get(key)
        if known is not None and self._depth + known[3] <= self.MAX_DEPTH:
            self._deepest = max(self._deepest, self._depth + known[3])
            return known[2]
        frames = self._frames
        if key in self._resolving:
            self._unfinished += 1
            if frames:
                frames[-1][0].add(key)
            return CYCLE
        cut = self._cut_names.get((key, self._depth))
        if cut is not None:
            self._depth_cuts += 1  # what reads it was cut too
            return cut[0]
        # Resolved below an inference under way and met its cycle: the same
        # value wherever the names it read as CYCLE are still under way and
        # none it resolved is (a loop's ``qs = qs.filter(...)`` among a
        # search view's optional filters read 2**n chains of bindings otherwise).
        provisional = self._cycle_names.get(key) or self._cycle_names.get((key, self._depth))
        if provisional is not None:
            value, hits, resolved, deep = provisional
            if (deep is None or self._depth + deep <= self.MAX_DEPTH) and hits <= self._resolving and self._resolving.isdisjoint(resolved):
                self._unfinished += 1
                if deep is None:
                    self._depth_cuts += 1  # what reads it was cut too
                else:
                    self._deepest = max(self._deepest, self._depth + deep)
                if frames:
                    frames[-1][0].update(hits)
                    frames[-1][1].update(resolved)
                    frames[-1][1].add(key)
                return value
        cuts, start, deepest = self._depth_cuts, self._depth, self._deepest
        self._deepest = start
        unfinished, placeholders = self._unfinished, self._placeholder_reads
        self._resolving.add(key)
        self._busy += 1
        frame: tuple[set, set] = (set(), set())
        frames.append(frame)
        try:
            values = [self._binding_value(binding, name, found_scope) for binding in bindings]
        finally:
            frames.pop()
            self._resolving.discard(key)
            self._busy -= 1
        hits, resolved = frame
        hits.discard(key)
        if frames:
            frames[-1][0].update(hits)
            frames[-1][1].update(resolved)
            frames[-1][1].add(key)
        value = _name_value(values)
        if outermost or self._unfinished == unfinished:
            if self._depth_cuts == cuts:
                self._names[key] = (bindings, found_scope, value, self._deepest - start)
            else:
                # Cut by the depth limit: the same wherever it is read at this depth.
                self._cut_names[(key, start)] = (value, bindings, found_scope)
        elif self._placeholder_reads == placeholders:
            if self._depth_cuts == cuts:
                self._cycle_names[key] = (value, frozenset(hits), frozenset(resolved), self._deepest - start)
            else:
                # Cut by the depth limit: the same wherever it is read at this depth.
                self._cycle_names[(key, start)] = (value, frozenset(hits), frozenset(resolved), None)
        self._deepest = max(deepest, self._deepest)
        return value

    def _imported_value(self, target: str) -> Value | None:
        info = self.model_for_import(target)
        if info is not None:
            return ModelClass(info)
        if target in MODELFORM_BASES or target in CONTRIB_SAVING_FORMS:
            return FormClassValue()
        if self.table.model_serializers and self.table.canonical(self.ctx.reexports.get(target, target)) in self.table.model_serializers:
            return ModelSerializerClass()  # ``from .serializers import PostSerializer``
        module, _, name = target.rpartition(".")
        if name.endswith("Form") and module.rpartition(".")[2] == "forms" and not module.startswith("django."):
            # A project form with a save(): a ModelForm (plain forms have none).
            return FormClassValue()
        return None

    def _binding_value(self, binding: Binding, name: str, scope: Scope) -> Value | None:
        node = binding.node
        if binding.kind == PARAM:
            return self._param_value(binding, scope)
        if binding.kind != ASSIGN:
            return None
        if isinstance(node, (cst.Assign, cst.AnnAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            value_expr = node.value
            if value_expr is None:
                return None
            for target in targets:
                if isinstance(target, cst.Name) and target.value == name:
                    value = self._assigned_value(value_expr, scope)
                    if value is EMPTY and type(value_expr) is cst.List:
                        # ``levels = []``, then ``levels.append(level)`` of instances.
                        return self._appended_rows(name, scope) or value
                    if value is None and type(node) is cst.AnnAssign:
                        # ``post: Post = await fetch(pk)``: the annotation says what the value does not.
                        annotated = self._annotated_value(node.annotation.annotation, scope)
                        return annotated if isinstance(annotated, (InstanceValue, QuerySetValue)) else None
                    return value
                if isinstance(target, (cst.Tuple, cst.List)):
                    index = _index_in_target(target, name)
                    if index is not None:
                        value = self._infer(value_expr, scope)
                        if isinstance(value, PairValue):
                            return value.first if index == 0 else None
                        return self._returned_element(value_expr, index, len(target.elements), scope)
            return None
        if type(node) is cst.NamedExpr:  # ``if (m := await qs.afirst()) is not None:``
            return self._infer(node.value, scope)
        if isinstance(node, (cst.For, cst.CompFor)):
            if not (isinstance(node.target, cst.Name) and node.target.value == name):
                return None
            iterable = self._infer(node.iter, scope if isinstance(node, cst.For) else (scope.parent or scope))
            return _element_of(iterable)
        return None

    def _appended_rows(self, name: str, scope: Scope) -> Value | None:
        """``levels = []`` bound once in a function, then only given
        instances of one model by ``levels.append(...)`` and otherwise only
        read (iterated, indexed, measured, tested, returned): a list of
        those instances, whose origins (what they loaded) are not claimed."""
        appended = _appended_values(name, scope)
        if not appended or len(scope.bindings.get(name, ())) != 1:
            return None
        return self._rows_of([(expr, scope) for expr in appended])

    def _rows_of(self, appended: list[tuple[cst.BaseExpression, Scope]]) -> Value | None:
        """The rows of a list given each of ``appended`` (read in its scope),
        where all are instances of one model (their origins not claimed)."""
        models: dict[str, ModelInfo] = {}
        for expr, scope in appended:
            value = self._infer(expr, scope)
            if not isinstance(value, InstanceValue) or value.model is None:
                return None
            models[value.model.name] = value.model
        if len(models) != 1:
            return None
        return RowsListValue(InstanceValue(next(iter(models.values())), None))

    def _param_value(self, binding: Binding, scope: Scope) -> Value | None:
        param = binding.node
        if not isinstance(param, cst.Param):
            return None
        if param.annotation is not None:
            value = self._annotated_param_value(param, scope)
            # A DRF/adrf handler's request is DRF's, its user authenticated by
            # ``initial()`` before the handler runs, whatever the annotation says.
            return DrfRequestValue() if isinstance(value, DjangoRequestValue) and self._handler_request(param, scope) and self._in_drf_handler(scope) else value
        # Unannotated, the value follows from the parameter's place alone
        # (no inference, so no cycle or depth): read once per parameter.
        key = (id(param), id(scope))
        known = self._unannotated_params.get(key)
        if known is None:
            known = self._unannotated_params[key] = (param, scope, self._unannotated_param_value(param, scope))
        return known[2]

    def _annotated_param_value(self, param: cst.Param, scope: Scope) -> Value | None:
        return self._annotated_value(param.annotation.annotation, scope.parent or scope)  # type: ignore[union-attr]

    def _annotated_value(self, annotation: cst.BaseExpression, scope: Scope, depth: int = 0) -> Value | None:
        """What a value annotated ``annotation`` (read in ``scope``) is: a
        Django request, a QuerySet (``QuerySet[Post]``), or a model instance
        whose relations are not claimed; ``Optional``, ``| None``,
        ``Annotated``, forward references and the module's type aliases
        (``QS = QuerySet[Post]``, ``type QS = ...``) read through."""
        target = annotation_target(_forward_reference(annotation))
        if target is None:
            return None
        alias = self._type_alias(target, scope) if depth < 5 else None
        if alias is not None:
            return self._annotated_value(alias[0], alias[1], depth + 1)
        qualified = self.ctx.qualified_name(target, scope)
        if qualified in REQUEST_CLASSES or self._is_request_class(target, scope, qualified) or self._outside_http_request(target, scope, qualified):
            return DjangoRequestValue()
        if qualified in MODEL_BASE_CLASSES:
            return InstanceValue(ANY_MODEL, None)  # ``obj: models.Model``
        if isinstance(target, cst.Subscript):  # ``QuerySet[Post]``
            qualified = self.ctx.qualified_name(target.value, scope)
        if qualified in QUERYSET_CLASSES:
            return QuerySetValue(self._annotated_model(target, scope))
        if qualified in CLASS_OF and isinstance(target, cst.Subscript):
            return self._annotated_class(target, scope)
        value = self._infer(target, scope)
        if isinstance(value, ModelClass):
            return InstanceValue(value.model, None)
        return None

    def _annotated_class(self, annotation: cst.Subscript, scope: Scope) -> Value | None:
        """``type[Post]``: the model class; ``type[models.Model]``: some model class."""
        if len(annotation.slice) != 1 or not isinstance(annotation.slice[0].slice, cst.Index):
            return None
        inner = annotation_target(_forward_reference(annotation.slice[0].slice.value))
        if inner is None:
            return None
        if self.ctx.qualified_name(inner, scope) in MODEL_BASE_CLASSES:
            return ModelClass(ANY_MODEL)
        value = self._infer(inner, scope)
        return value if isinstance(value, ModelClass) else None

    @staticmethod
    def _type_alias(target: cst.BaseExpression, scope: Scope) -> tuple[cst.BaseExpression, Scope] | None:
        """(the type, its scope) a module-level name bound once to a
        subscripted type (or a forward reference to one) stands for
        (``QS = models.QuerySet[Post]``, ``QS: TypeAlias = ...``,
        ``type QS = ...``), else None."""
        if type(target) is not cst.Name:
            return None
        found = lookup(scope, target.value)
        if found is None or found[0].kind != "module" or len(found[1]) != 1:
            return None
        binding = found[1][0]
        value = binding.value
        if binding.kind != ASSIGN or type(value) not in (cst.Subscript, cst.SimpleString):
            return None
        return value, found[0]

    def _unannotated_param_value(self, param: cst.Param, scope: Scope) -> Value | None:
        function = scope.node if scope.kind == "function" else None
        if not isinstance(function, cst.FunctionDef):
            return None
        params = list(function.params.posonly_params) + list(function.params.params)
        in_class = scope.parent is not None and scope.parent.kind == "class"
        if in_class and params and params[0] is param and param.name.value == "self":
            cls = scope.parent.node  # type: ignore[union-attr]
            info = self.model_of_class(cls, scope.parent.parent or scope.parent)  # type: ignore[arg-type, union-attr]
            if info is not None:
                return InstanceValue(self.models().get(info.name, info), None)
            own = self._own_queryset_or_manager(cls, scope.parent.parent or scope.parent)  # type: ignore[arg-type, union-attr]
            if own is not None:
                return own
            return ClassSelf(cls, scope.parent.parent or scope.parent)  # type: ignore[arg-type, union-attr]
        if in_class and params and params[0] is param and any(self.ctx.qualified_name(_decorator_callee(d), scope.parent) == "builtins.classmethod" for d in function.decorators):
            # ``cls`` of a model's classmethod: ``cls.objects.get(...)``.
            info = self.model_of_class(scope.parent.node, scope.parent.parent or scope.parent)  # type: ignore[arg-type, union-attr]
            if info is not None:
                return ModelClass(self.models().get(info.name, info))
        if param.name.value == "request" and (self.imports_django or _in_django_middleware(scope)) and not self.foreign_request_framework and self._handler_request(param, scope):
            return DrfRequestValue() if self._in_drf_handler(scope) or _reads_drf_request_attributes(function, "request") else DjangoRequestValue()
        return None

    @staticmethod
    def _handler_request(param: cst.Param, scope: Scope) -> bool:
        """``param`` is where a handler takes the request: the first
        parameter of a function, the one after ``self`` of a method."""
        function = scope.node if scope.kind == "function" else None
        if not isinstance(function, cst.FunctionDef):
            return False
        params = list(function.params.posonly_params) + list(function.params.params)
        # A method's request follows ``self`` (``cls``); a static HTTP handler's
        # (``@staticmethod async def delete(request)``) comes first.
        static_handler = function.name.value in HTTP_HANDLERS and static_or_class_method(function, static_only=True)
        position = 1 if scope.parent is not None and scope.parent.kind == "class" and not static_handler else 0
        return len(params) > position and params[position] is param

    def _user_set_before(self, function: cst.FunctionDef, request: str, read: cst.Attribute | None) -> bool:
        """The function assigns ``<request>.user``, not only in top-level
        statements of its body after the one that holds ``read`` (the read
        ``request.user``, None: anywhere): an assignment after the read in
        the body's order cannot have run before it."""
        assignments = _user_assignments(function.body, request, None)
        if not assignments:
            return False
        if read is None:
            return True
        rows = self._user_attribute_rows.get(id(function))
        if rows is None:
            rows = self._user_attribute_rows[id(function)] = {}
            body = function.body.body if type(function.body) is cst.IndentedBlock else ()
            for index, statement in enumerate(body):
                for node in _walk(statement):
                    if type(node) is cst.Attribute and node.attr.value == "user":  # type: ignore[attr-defined]
                        rows[id(node)] = index
        at = rows.get(id(read))
        return at is None or any(rows.get(id(target), -1) <= at for target in assignments)

    def _in_drf_handler(self, scope: Scope) -> bool:
        """``scope`` is a method of a DRF or adrf view (an ``APIView``
        subclass) or an ``@api_view`` function: its request is DRF's."""
        if scope.parent is not None and scope.parent.kind == "class":
            cls, outer = scope.parent.node, scope.parent.parent or scope.parent
            return self._drf_view(cls, outer) or self._mixed_into_drf_view(cls)  # type: ignore[arg-type]
        return any((self.ctx.qualified_name(_decorator_callee(d), scope.parent or scope) or "") in DRF_FUNCTION_VIEWS for d in scope.node.decorators)  # type: ignore[union-attr]

    def _user_replaced(self, request: cst.BaseExpression, scope: Scope, what: str = "user", read: cst.Attribute | None = None) -> bool:
        """The code may have set the user itself, so ``request.user`` may be
        that object, not the lazy one: ``request.user = await aauthenticate(...)``
        in the function, or, in a method of a view, ``request.user = ...`` /
        ``self.request.user = ...`` in a method of the view's classes of this
        file (an async login mixin's ``dispatch`` sets it before the handler
        runs), or a base of unknown content (a class of another module) that
        may do so.  ``what="session"``: the same for the session, which such
        a ``dispatch`` loads (``await request.auser()`` reads it with
        ``aget``); in the function itself the check follows the order of
        its awaits (checks/django_request.py).  Without Django's
        AuthenticationMiddleware in the project, the user is whatever the
        project's own middleware set (``ModelTable.user_set_by_project``);
        where a sync middleware reads it before the view runs, it and the
        session may be loaded (``ModelTable.user_loaded_by_middleware``)."""
        if what == "user" and self.table.user_set_by_project:
            return True
        function = _function_scope(scope)
        if self.table.user_loaded_by_middleware and not _middleware_request_phase(function):
            return True  # loaded in a thread, with its session, before the view ran
        if function is None:
            return False
        cls = function.parent if function.parent is not None and function.parent.kind == "class" else None
        if isinstance(request, cst.Name):
            if what == "user" and self._user_set_before(function.node, request.value, read):
                return True
            # A closure's ``request`` (an SSE view's nested generator): the
            # function that binds it may set the user before the closure runs.
            found = lookup(scope, request.value)
            owner = found[0] if found is not None else None
            if (
                what == "user"
                and owner is not None
                and owner is not function
                and owner.kind == "function"
                and isinstance(owner.node, cst.FunctionDef)
                and _sets_user(owner.node.body, request.value, None)
            ):
                return True
            params = positional_params(function.node.params)
            if cls is None and params and params[0] == request.value:
                # A function view: its decorators' wrappers run first.
                return self._decorated_to_set(function, what, request)
            if cls is None or len(params) < 2 or params[1] != request.value:
                return False
            if self._decorated_to_set(function, what, request):
                return True  # a handler method's decorators' wrappers run first too
        elif not (isinstance(request, cst.Attribute) and isinstance(request.value, cst.Name) and request.attr.value == "request") or cls is None:
            return False
        if not isinstance(cls.node, cst.ClassDef):
            return False
        if self._sync_view_guarding_login(cls.node, cls.parent or cls):
            return True
        # Bases of unknown content count only for a view (``self.request``,
        # which a view's setup() keeps; a handler; a class deriving from
        # Django's views here): its dispatch prepares the request before
        # the view's methods run.
        view = isinstance(request, cst.Attribute) or function.node.name.value in HTTP_HANDLERS or self._derives_from_package(cls.node, cls.parent or cls, "django.views")
        found, foreign = self.view_sets_user(cls.node, cls.parent or cls, 0, what, view)
        if not found and foreign:
            self.inherited_setters[id(request)] = foreign
        return found or bool(foreign)

    def _decorated_to_set(self, function: Scope, what: str, request: cst.Name) -> bool:
        """A decorator of the view (a function, or a handler method) sets
        the user (``what``) before it runs, or one of another module may
        (kept for the project check: ``inherited_setters``)."""
        found, foreign = self._decorators_set_user(function, what)
        if foreign and not found:
            self.inherited_setters[id(request)] = foreign
        return found or bool(foreign)

    def _decorators_set_user(self, function: Scope, what: str) -> tuple[bool, tuple[str, ...]]:
        """(a decorator of this module wraps the view in a function that sets
        ``request.user`` (``what="session"``: loads the session) before
        calling it, the decorators of other modules that may: their
        qualified names marked ``@``, which a project check asks their
        modules about, and which count as not setting it where no module
        of the project declares them)."""
        foreign: list[str] = []
        for decorator in function.node.decorators:  # type: ignore[union-attr]
            callee = _decorator_callee(decorator)
            if type(callee) is not cst.Name:
                continue  # ``@router.get(...)``: an object's method, not a decorator function
            found = lookup(function.parent or function, callee.value)
            binding = found[1][0] if found is not None and len(found[1]) == 1 else None
            if binding is None:
                continue
            if binding.kind == DEF and isinstance(binding.node, cst.FunctionDef):
                if wrapper_sets_user(binding.node, what, auth_tested(self.ctx, self.ctx.module_scope), module_def(self.ctx.module_scope)):
                    return True, ()
            elif binding.kind == IMPORT and binding.target and binding.target.lstrip(".").partition(".")[0] not in LIBRARY_DECORATOR_PACKAGES:
                qualified = self.ctx.qualified_name(callee, function.parent or function)
                if qualified:
                    foreign.append("@" + qualified)
        return False, tuple(foreign)

    def _drf_view_sets_user(self, function: Scope) -> bool:
        """A method of the DRF view ``function`` belongs to may set
        ``request.user`` itself: one of its classes of this file does, or a
        base of unknown content that is not DRF's or adrf's own (theirs set
        the authenticated user)."""
        cls = function.parent if function.parent is not None and function.parent.kind == "class" else None
        if cls is None or not isinstance(cls.node, cst.ClassDef):
            return True
        found, foreign = self.view_sets_user(cls.node, cls.parent or cls)
        return found or any(name.partition(".")[0] not in DRF_PACKAGES for name in foreign)

    def _sync_view_guarding_login(self, cls: cst.ClassDef, scope: Scope) -> bool:
        """A view with sync handlers under Django's ``LoginRequiredMixin`` or
        ``PermissionRequiredMixin``: their sync ``dispatch`` reads
        ``request.user`` (and so the session) before any handler runs, so an
        async method a handler runs (``async_to_sync(self._get_async)(request)``)
        finds both loaded.  (Under async handlers that ``dispatch`` fails first.)"""
        if not any(self._derives_from_package(cls, scope, mixin) for mixin in LOGIN_LOADING_MIXINS):
            return False
        body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
        return not any(isinstance(s, cst.FunctionDef) and s.name.value in HTTP_HANDLERS and s.asynchronous is not None for s in body)

    def view_sets_user(self, cls: cst.ClassDef, scope: Scope, depth: int = 0, what: str = "user", view: bool = True, methods: bool = True) -> tuple[bool, tuple[str, ...]]:
        """(a method of the class, or of its bases in this file, sets
        ``request.user`` (``what="session"``: or loads the session), the
        bases of another module that may do so: their qualified names, for
        a view only, none where the first is true).  ``methods=False``: the
        file's text shows no method can (only the bases are looked at)."""
        key = (id(cls), what, view, methods)
        known = self._views_setting_user.get(key)
        if known is not None:
            return known
        self._views_setting_user[key] = (False, ())  # a cycle: not known to set it
        found = False
        foreign: list[str] = []
        body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) and methods else ()
        for statement in body:
            if isinstance(statement, cst.FunctionDef):
                params = positional_params(statement.params)
                request_name, self_name = (params[1] if len(params) > 1 else None), (params[0] if params else None)
                if (
                    _sets_user(statement.body, request_name, self_name)
                    or (what == "session" and _loads_session(statement, request_name, self_name, in_thread=statement.name.value in ("dispatch", "setup")))
                    or (what == "user" and statement.name.value in ("dispatch", "setup") and _loads_user_in_thread(statement, request_name, self_name))
                ):
                    found = True
                    break
        if not found:
            for base in cls.bases:
                local = self._local_class(base.value, scope)
                if local is not None:
                    if depth < 20:
                        below, below_foreign = self.view_sets_user(local, scope, depth + 1, what, view, methods)
                        if below:
                            found = True
                            break
                        foreign.extend(below_foreign)
                    continue
                qualified = self.ctx.qualified_name(base.value, scope) or ""
                if view and qualified.split(".")[0] not in ("django", "builtins", "typing", "abc") and qualified != "object":
                    # another module's class: it may set the user
                    foreign.append(qualified or "<unknown>")
        result = (True, ()) if found else (False, tuple(dict.fromkeys(foreign)))
        self._views_setting_user[key] = result
        return result

    def _drf_view(self, cls: cst.ClassDef, scope: Scope) -> bool:
        """A class derived from DRF's or adrf's views (directly, or through
        classes of this file): its handlers get DRF's ``Request``, whose
        ``user`` the view's ``initial()`` authenticated before the handler
        ran (adrf runs it in a thread), not Django's lazy one."""
        return any(self._derives_from_package(cls, scope, package) for package in DRF_PACKAGES)

    def _mixed_into_drf_view(self, cls: cst.ClassDef) -> bool:
        """A mixin of this file that a DRF or adrf view of this file derives
        from (``class CachedViewSet(CacheMixin, GenericViewSet)``): its
        methods get that view's ``Request``."""
        key = (id(cls), "mixed into a DRF view")
        known = self._package_bases.get(key)
        if known is None:
            module = self.ctx.module_scope
            views = [s for s in self.ctx.module.body if type(s) is cst.ClassDef and s is not cls and self._drf_view(s, module)]
            known = self._package_bases[key] = any(self._derives_from_local(view, cls, module) for view in views)
        return known

    def _derives_from_local(self, cls: cst.ClassDef, base: cst.ClassDef, scope: Scope, depth: int = 0) -> bool:
        """``base`` is a base of ``cls``, directly or through classes of this file."""
        for expr in cls.bases:
            local = self._local_class(expr.value, scope)
            if local is base or (local is not None and depth < 20 and self._derives_from_local(local, base, scope, depth + 1)):
                return True
        return False

    def _derives_from_package(self, cls: cst.ClassDef, scope: Scope, package: str, depth: int = 0) -> bool:
        """A base of ``cls`` (directly, or through classes of this file) is
        a class of ``package`` (a dotted prefix: ``django.views``)."""
        key = (id(cls), package)
        known = self._package_bases.get(key)
        if known is not None:
            return known
        self._package_bases[key] = False  # a cycle: not known to be one
        found = False
        for base in cls.bases:
            qualified = self.ctx.qualified_name(base.value, scope) or ""
            local = self._local_class(base.value, scope)
            if qualified == package or qualified.startswith(package + ".") or (local is not None and depth < 20 and self._derives_from_package(local, scope, package, depth + 1)):
                found = True
                break
        self._package_bases[key] = found
        return found

    def _local_class(self, expr: cst.BaseExpression, scope: Scope) -> cst.ClassDef | None:
        if not isinstance(expr, cst.Name):
            return None
        found = defined_class(scope, expr.value)
        return found[0] if found is not None else None

    def _infer_attribute(self, node: cst.Attribute, scope: Scope) -> Value | None:
        attr = node.attr.value
        receiver = self._infer(node.value, scope)
        if receiver is None:
            # ``models.Post`` through ``from . import models``, ``import shop.models``:
            # what ``from shop.models import Post`` would give (the table's
            # model, or a class of a models module whose bases are not read).
            qualified = self.ctx.qualified_name(node, scope)
            info = self.model_for_import(qualified) if qualified is not None and "." in qualified else None
            return ModelClass(info) if info is not None else None
        if receiver is CYCLE:
            return receiver
        if isinstance(receiver, ModelClass):
            model = receiver.model
            if attr in model.managers or (not model.defined_here and attr in DEFAULT_MANAGERS):
                manager_class, queryset_class = model.manager_classes.get(attr, (None, None))
                return ManagerValue(model, manager_class=manager_class, queryset_class=queryset_class)
            return None
        if isinstance(receiver, InstanceValue) and receiver.model is not None:
            relation = receiver.model.relations.get(attr)
            if relation is None:
                return None
            target = self.model_named(relation.target) or self._imported_model_named(relation.target)
            if relation.is_single:
                loaded = None if receiver.loaded is None else receiver.loaded_below(attr)
                back = _one_to_one_back(relation, receiver.model, target) if loaded is not None else None
                if back is not None:
                    # ``loan.harvest_schedule.loan``: Django caches the other side
                    # of a one-to-one on the object it fetched (or selected), as
                    # the very instance it came from, with all that one loaded.
                    loaded = loaded | {back} | {f"{back}__{path}" for path in receiver.loaded}  # type: ignore[union-attr]
                return InstanceValue(target, loaded)
            return ManagerValue(target, owner=receiver, relation=relation)
        if isinstance(receiver, DrfRequestValue):
            # The authenticated user, unless the function set another first.
            function = _function_scope(scope)
            if attr != "user" or function is None:
                return None
            if type(node.value) is cst.Name:
                replaced = self._user_set_before(function.node, node.value.value, node)
            else:  # ``self.request.user``: set by none of the view's methods
                replaced = self._drf_view_sets_user(function)
            return None if replaced else InstanceValue(self.model_named("User") or USER_MODEL, None)
        if isinstance(receiver, DjangoRequestValue):
            if attr == "user":
                return None if self._user_replaced(node.value, scope, read=node) else LazyUserValue()
            if attr == "session":
                return None if self._user_replaced(node.value, scope, "session") else SessionValue()
            return None
        if isinstance(receiver, ClassSelf):
            if attr == "request" and self.imports_django and not self.foreign_request_framework:
                # Django sets ``self.request`` on views (``View.setup``), DRF
                # on its views (``dispatch``); a response subclass that keeps
                # one holds whatever request its maker passed.
                if self._drf_view(receiver.cls, receiver.scope):
                    return DrfRequestValue()
                if self._derives_from_package(receiver.cls, receiver.scope, "django.http"):
                    return None
                return DjangoRequestValue()
            if attr in ("model", "queryset"):
                return self._class_attribute(receiver, attr)
            return self._self_attribute(receiver, attr)
        return None

    def _self_attribute(self, cls: ClassSelf, attr: str) -> Value | None:
        """``self.<attr>`` where every ``self.<attr> = value`` of the class's
        methods (and a class-level value other than ``None``) binds the same
        kind: ``self.room = await Room.objects.aget(...)`` in ``connect``
        makes ``self.room`` a Room instance in every method. What its
        relations hold is not claimed (another method may have loaded them)."""
        key = (id(cls.cls), attr)
        if key in self._self_attributes:
            return self._placeholder_read(("self", key), self._self_attributes[key])
        self._self_attributes[key] = None  # ``self.x = self.x.parent``: no evidence from a cycle
        assignments = _without_none_placeholders(self._assignments_on_self(cls).get(attr, ()))
        with self._under_way(("self", key)):
            if assignments and all(type(value) is cst.List and not value.elements for value, _scope in assignments):
                # ``self.levels = []``, then ``self.levels.append(level)`` in the methods.
                values = [self._self_appended_rows(cls, attr)]
            else:
                values = [self._infer(value, scope) if value is not None else None for value, scope in assignments]
        result: Value | None = None
        if not values:
            # ``queryset: QuerySet[Post]`` in the class body, set elsewhere (a dataclass field).
            annotated = self._class_annotation(cls, attr)
            result = annotated if isinstance(annotated, QuerySetValue) else None
        elif all(value is not None and is_none_literal(value) for value, _scope in assignments):
            # ``self.session: Optional[AgentSession] = None``, only reset to
            # ``None`` here (set from outside): a method called on it is the model's.
            result = self._declared_on_self(cls, attr)
        elif all(v is not None and v is not CYCLE for v in values):
            result = _merge(values)
            if isinstance(result, InstanceValue):
                loaded = None
                if result.loaded is not None and all(value is not None and (type(value) is not cst.Name or _only_tested_and_stored(value, scope)) for value, scope in assignments):
                    loaded = self._self_relations_loaded(cls, attr, result.loaded)
                result = InstanceValue(result.model, loaded)
        self._self_attributes[key] = result
        return result

    def _self_appended_rows(self, cls: ClassSelf, attr: str) -> Value | None:
        """``self.<attr>``, only ever set to ``[]``, whose every other use in
        the class's methods only reads it or appends to it, and whose
        ``append()`` calls are all given instances of one model: a list of
        those instances (their origins not claimed)."""
        class_scope = Scope("class", cls.cls, cls.scope)
        body = cls.cls.body.body if isinstance(cls.cls.body, cst.IndentedBlock) else ()
        appended: list[tuple[cst.BaseExpression, Scope]] = []
        for statement in body:
            self_name = _self_parameter(statement)
            if self_name is None:
                continue

            def is_use(node: cst.CSTNode, parent: cst.CSTNode | None, self_name: str = self_name) -> bool:
                return type(node) is cst.Attribute and node.attr.value == attr and type(node.value) is cst.Name and node.value.value == self_name

            found = _appended_to(statement.body, is_use)
            if found is None:
                return None
            if found:
                method_scope = self._scope_of(statement, class_scope)
                appended.extend((expr, method_scope) for expr in found)
        return self._rows_of(appended)

    def _class_annotation(self, cls: ClassSelf, attr: str) -> Value | None:
        """What the class body's bare annotation ``attr: T`` (no value) says ``self.attr`` is."""
        body = cls.cls.body.body if isinstance(cls.cls.body, cst.IndentedBlock) else ()
        for statement in body:
            if type(statement) is not cst.SimpleStatementLine:
                continue
            for small in statement.body:
                if type(small) is cst.AnnAssign and small.value is None and type(small.target) is cst.Name and small.target.value == attr:
                    return self._annotated_value(small.annotation.annotation, cls.scope)
        return None

    def _self_relations_loaded(self, cls: ClassSelf, attr: str, fetched: frozenset[str]) -> frozenset[str] | None:
        """The relations of ``self.<attr>`` that may be loaded, where each of
        its assignments fetched the instance (``fetched``: what those
        queries loaded): also what the class's code that may run off the
        loop reads of it, and what its async methods hand on to a thread or
        an awaited call (``handoffs.py``), in whatever order the methods
        run.  None (nothing claimed) where the instance itself, or ``self``,
        is handed on whole, or ``self.<attr>`` is also set in a nested def."""
        paths, set_in_nested_defs = self._class_handoffs(cls)
        prefix = "self." + attr
        if attr in set_in_nested_defs:
            return None
        loaded = set(fetched)
        for path, whole in paths:
            if path == "self" or (path == prefix and whole):
                return None
            if path.startswith(prefix + "."):
                below = path[len(prefix) + 1 :].replace(".", "__")
                loaded.add(below + "__*" if whole else below)
        return frozenset(loaded)

    def _class_handoffs(self, cls: ClassSelf) -> tuple[list[tuple[str, bool]], set[str]]:
        """What the class's methods may load off the loop, as paths from
        ``self`` (``handoffs.py``), and the attributes set on ``self`` inside
        nested defs and lambdas (read once per class)."""
        key = id(cls.cls)
        if key in self._class_handoff_scans:
            return self._class_handoff_scans[key]
        paths: list[tuple[str, bool]] = []
        nested_sets: set[str] = set()
        # While the scan infers the class's own attributes (a handed method's
        # instance): nothing claimed of them (``self`` handed on whole).
        self._class_handoff_scans[key] = ([("self", True)], set())
        class_scope = Scope("class", cls.cls, cls.scope)
        body = cls.cls.body.body if isinstance(cls.cls.body, cst.IndentedBlock) else ()
        async_methods = {s.name.value for s in body if isinstance(s, cst.FunctionDef) and s.asynchronous is not None}
        # Bases all from the frameworks (a Channels consumer, a Django view):
        # their methods (``await self.send(...)``) load no project relations.
        framework_bases = all((self.ctx.qualified_name(base.value, cls.scope) or "").partition(".")[0] in FRAMEWORK_PACKAGES for base in cls.cls.bases)
        defined = {s.name.value for s in body if isinstance(s, cst.FunctionDef)}

        def framework_method(call: cst.Call, self_name: str) -> bool:
            # ``await self.send(text_data=...)`` of a Channels consumer: the
            # framework's own method, which loads no relation of its arguments.
            func = call.func
            return framework_bases and type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value == self_name and func.attr.value not in defined

        for method in body:
            self_name = _self_parameter(method)
            if self_name is None:
                continue

            def from_self(found: list[tuple[str, bool]], self_name: str = self_name) -> None:
                for path, whole in found:
                    head, dot, rest = path.partition(".")
                    if head == self_name:
                        paths.append(("self" + dot + rest, whole))

            scope = self._scope_of(method, class_scope)
            if method.asynchronous is None:
                # ``Table.objects.get(restaurant=self.restaurant)``, ``Order(table=...)``:
                # the query takes the instance's id, and loads nothing of it.
                from_self(reads_in(method.body, lambda call, scope=scope: self._query_takes_ids(call, scope)))
                continue
            stack: list[tuple[cst.CSTNode, cst.CSTNode | None]] = [(method.body, None)]
            while stack:
                node, parent = stack.pop()
                kind = type(node)
                if kind is cst.FunctionDef or kind is cst.Lambda:
                    from_self(reads_in(node.body))  # runs wherever it is called
                    for _statement, target, _value in _attribute_assignments(node.body) if kind is cst.FunctionDef else ():
                        if isinstance(target.value, cst.Name) and target.value.value == self_name:
                            nested_sets.add(target.attr.value)
                    continue
                if kind is cst.Call:
                    awaited = type(parent) is cst.Await
                    func = node.func
                    if awaited and type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value == self_name and func.attr.value not in async_methods and not framework_bases:
                        paths.append(("self", True))  # a project base's or a thread-wrapped method gets self
                    from_self(
                        handed_by(
                            self.ctx,
                            node,
                            scope,
                            awaited=awaited,
                            local_def=lambda name: None,
                            is_instance=lambda value: True,
                            is_django_call=lambda call, scope=scope, self_name=self_name: (
                                framework_method(call, self_name) or (type(call.func) is cst.Attribute and isinstance(self._infer(call.func.value, scope), (ManagerValue, QuerySetValue)))
                            ),
                            loads_nothing=lambda method, self_name=self_name: self._plain_method_on_self(cls, self_name, method),
                        )
                    )
                elif kind is cst.AssignTarget or kind is cst.AugAssign or kind is cst.AnnAssign:
                    target = node.target
                    path = dotted(target) if type(target) is cst.Attribute else None
                    if path is not None and path.count(".") >= 2:
                        from_self([(path, False)])  # ``self.room.owner = user`` loads it
                stack.extend((child, node) for child in children(node))
        result = (paths, nested_sets)
        self._class_handoff_scans[key] = result
        return result

    _QUERYING = LAZY_METHODS | INSTANCE_METHODS | PAIR_METHODS | EVALUATING_METHODS

    def _query_takes_ids(self, call: cst.Call, scope: Scope) -> bool:
        """A query method of a manager or a QuerySet, or a model's
        constructor: an instance given to it is used for its id only."""
        func = call.func
        if type(func) is cst.Attribute and func.attr.value in self._QUERYING:
            return isinstance(self._infer(func.value, scope), (ManagerValue, QuerySetValue))
        return isinstance(self._infer(func, scope), ModelClass)

    def _plain_method_on_self(self, cls: ClassSelf, self_name: str, method: cst.Attribute) -> bool:
        """``self.game.save`` handed to a thread, where every value the
        class's methods set ``self.game`` to is an instance of a model whose
        ``save`` (``delete``) no class of it overrides: it loads no relation
        onto the instance."""
        owner = method.value
        if type(owner) is not cst.Attribute or type(owner.value) is not cst.Name or owner.value.value != self_name:
            return False
        assigned = [(value, scope) for value, scope in self._assignments_on_self(cls).get(owner.attr.value, ()) if value is not None and not is_none_literal(value)]
        if not assigned:
            return False
        for value, scope in assigned:
            found = self._infer(value, scope)
            if not isinstance(found, InstanceValue) or found.model is None or method.attr.value not in found.model.plain_methods:
                return False
        return True

    def _assignments_on_self(self, cls: ClassSelf) -> dict[str, list[tuple[cst.BaseExpression | None, Scope]]]:
        """attribute -> (value, scope) of every ``self.<attribute> = value`` in
        the class's methods and every class-level value other than ``None``
        (read once per class)."""
        cached = self._class_assignments.get(id(cls.cls))
        if cached is not None:
            return cached
        out: dict[str, list[tuple[cst.BaseExpression | None, Scope]]] = {}
        annotations: dict[str, list[tuple[cst.BaseExpression, Scope]]] = {}
        class_scope = Scope("class", cls.cls, cls.scope)
        body = cls.cls.body.body if isinstance(cls.cls.body, cst.IndentedBlock) else ()
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None and not is_none_literal(small.value):
                        targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                        for target in targets:
                            if isinstance(target, cst.Name):
                                out.setdefault(target.value, []).append((small.value, cls.scope))
            # ``cls.chat = Chat.objects.create(...)`` in a classmethod
            # (``setUpTestData``) sets what ``self.chat`` reads too.
            self_name = _self_parameter(statement, classmethods=True)
            if self_name is None:
                continue
            method_scope = self._scope_of(statement, class_scope)
            for node, target, value in _attribute_assignments(statement.body):
                if isinstance(target.value, cst.Name) and target.value.value == self_name:
                    if value is None and type(node) is cst.Assign:
                        value = _first_of_pair(node, target)
                    out.setdefault(target.attr.value, []).append((value, method_scope))
                    if type(node) is cst.AnnAssign:
                        annotations.setdefault(target.attr.value, []).append((node.annotation.annotation, method_scope))
        self._class_assignments[id(cls.cls)] = out
        self._self_annotations[id(cls.cls)] = annotations
        return out

    def _declared_on_self(self, cls: ClassSelf, attr: str) -> Value | None:
        """The model instance every ``self.<attr>: Model = ...`` of the class's
        methods declares (``Optional[Model]``: the same), where they agree."""
        self._assignments_on_self(cls)
        declared = self._self_annotations.get(id(cls.cls), {}).get(attr, ())
        values = [self._annotated_value(annotation, scope.parent or scope) for annotation, scope in declared]
        if values and all(isinstance(v, InstanceValue) and v.model is not None for v in values) and len({v.model.qualified for v in values}) == 1:
            return InstanceValue(values[0].model, None)
        return None

    def _returned_element(self, value: cst.BaseExpression, index: int, size: int, scope: Scope) -> Value | None:
        """``loan, total = await get_loan_and_count()``: the ``index``-th item
        of the tuples a def of this module returns (every return a tuple of
        ``size`` items), where the call gives what its body returns (awaited:
        an ``async def`` or a thread-run def; not awaited: a plain def), if
        the items there agree on an instance, its rows or a QuerySet."""
        call = value.expression if type(value) is cst.Await else value
        if type(call) is not cst.Call:
            return None
        func = call.func
        handed = type(func) is cst.Call and self.ctx.qualified_name(func.func, scope) in THREAD_DECORATORS
        if handed:
            # ``await sync_to_async(get_existing)(pk)``: the def, run in a thread.
            wrapped = positional_args(func)
            if type(value) is not cst.Await or len(wrapped) != 1:
                return None
            func = wrapped[0].value
        found = self._function_binding(func, scope)
        if found is None:
            return None
        node, parent = found
        in_thread = handed or any(self.ctx.qualified_name(_decorator_callee(d), parent) in THREAD_DECORATORS for d in node.decorators)
        if handed and (node.asynchronous is not None or node.decorators):
            return None
        if (type(value) is cst.Await) != (node.asynchronous is not None or in_thread) or (node.decorators and not in_thread):
            return None
        key = (id(node), "item", index, size)
        if key in self._thread_returns:
            return self._placeholder_read(("item", key), self._thread_returns[key])
        self._thread_returns[key] = None
        result: Value | None = None
        with self._under_way(("item", key)):
            where = self._scope_of(node, parent)
            items, exprs = [], []
            for ret in return_statements(node.body):
                returned = ret.value
                if type(returned) is not cst.Tuple or len(returned.elements) != size or any(type(e) is cst.StarredElement for e in returned.elements):
                    items = []
                    break
                if is_none_literal(returned.elements[index].value):
                    continue  # ``return None, None`` where nothing was found: the others say what it is
                exprs.append(returned.elements[index].value)
                items.append(self._infer(exprs[-1], where))
            if items and all(isinstance(v, (InstanceValue, RowsListValue, QuerySetValue)) for v in items):
                # What the def read of the instance before returning it is loaded.
                result = _with_reads(_merge(items), node.body, exprs)  # type: ignore[arg-type]
        self._thread_returns[key] = result
        return result

    def _scope_of(self, node: cst.FunctionDef, parent: Scope) -> Scope:
        return function_scope(self.ctx, node, parent)

    def _is_request_class(self, annotation: cst.BaseExpression, scope: Scope, qualified: str | None) -> bool:
        """A subclass of Django's request (``class TenantRequest(HttpRequest)``),
        defined in this file or anywhere in the project."""
        if qualified is not None and qualified in self.table.request_classes:
            return True
        cls = self._class_binding(scope, annotation)
        return cls is not None and self._derives_from(cls, scope, REQUEST_CLASSES | self.table.request_classes)

    def _outside_http_request(self, annotation: cst.BaseExpression, scope: Scope, qualified: str | None) -> bool:
        """``request: AuthenticatedHttpRequest`` imported from another module,
        perhaps of a package the project does not hold (a shared library's
        subclass of Django's, or a typing alias of it), whose source cannot
        tell: its name says it."""
        if qualified is None or "." not in qualified or not qualified.rpartition(".")[2].endswith("HttpRequest"):
            return False
        return not qualified.startswith(("django.", "starlette.", "fastapi.", "litestar.")) and self._class_binding(scope, annotation) is None

    def _annotated_model(self, annotation: cst.BaseExpression, scope: Scope) -> ModelInfo | None:
        """The model of ``QuerySet[Post]`` (None for a bare ``QuerySet``)."""
        if isinstance(annotation, cst.Subscript) and len(annotation.slice) == 1 and isinstance(annotation.slice[0].slice, cst.Index):
            value = self._infer(annotation.slice[0].slice.value, scope)
            if isinstance(value, ModelClass):
                return value.model
        return None

    def _thread_function_returns(self, node: cst.FunctionDef, parent: Scope) -> Value | None:
        """What awaiting a ``@sync_to_async``/``@database_sync_to_async`` def
        gives: what its returns agree on, else its return annotation (a model
        class: an instance whose relations are not claimed)."""
        if not any(self.ctx.qualified_name(_decorator_callee(d), parent) in THREAD_DECORATORS for d in node.decorators):
            return None
        key = (id(node), "thread")
        if key in self._thread_returns:
            return self._placeholder_read(("thread", key), self._thread_returns[key])
        self._thread_returns[key] = None
        with self._under_way(("thread", key)):
            scope = self._scope_of(node, parent)
            # ``except DoesNotExist: return None``: the other paths' value.
            returned = [ret.value for ret in return_statements(node.body) if not _is_none(ret.value)]
            values = [self._infer(value, scope) for value in returned]
            result: Value | None = None
            if values and all(v is not None and v is not CYCLE for v in values):
                result = _merge(values)
            if isinstance(result, QuerySetValue) and returns_filled_queryset(node):
                result = None  # its rows fetched in the thread: no query runs where it is read
            result = _with_reads(result, node.body, returned)
            if result is None and node.returns is not None:
                annotated = self._annotated_value(node.returns.annotation, parent)
                if isinstance(annotated, InstanceValue):
                    result = annotated
        self._thread_returns[key] = result
        return result

    def _class_attribute(self, cls: ClassSelf, attr: str) -> Value | None:
        body = cls.cls.body.body if type(cls.cls.body) is cst.IndentedBlock else ()
        for statement in body:
            # ``type() is``: read for every ``self.<attr>`` of a view; these
            # classes have no subclasses, and isinstance on them goes through abc.
            if type(statement) is cst.SimpleStatementLine:
                for small in statement.body:
                    if type(small) is cst.Assign and any(type(t.target) is cst.Name and t.target.value == attr for t in small.targets):
                        return self._infer(small.value, cls.scope)
        if attr == "queryset":
            model = self._class_attribute(cls, "model")
            if isinstance(model, ModelClass):
                return QuerySetValue(model.model)
        return None

    def _class_method(self, cls: ClassSelf, name: str) -> cst.FunctionDef | None:
        body = cls.cls.body.body if isinstance(cls.cls.body, cst.IndentedBlock) else ()
        for statement in body:
            if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
                return statement
        return None

    def _registry_model(self, node: cst.Call) -> Value | None:
        """``apps.get_model("shop", "Product")`` (or ``"shop.Product"``,
        ``model_name=``): the model of that app label and name the table
        knows (an app's default label, its package's last name)."""
        texts = [string_value(arg.value) for arg in node.args if arg.keyword is None and arg.star == ""]
        keywords = {arg.keyword.value: string_value(arg.value) for arg in node.args if arg.keyword is not None}
        label = texts[0] if texts else keywords.get("app_label")
        name = texts[1] if len(texts) > 1 else keywords.get("model_name")
        if label is not None and name is None and "." in label:
            label, _, name = label.partition(".")
        qualified = self.table.model_by_label(label, name) if label and name else None
        # Another label, or one the code computes: the registry returns a model (or raises).
        return ModelClass(self._table_model(qualified)) if qualified is not None else ModelClass(ANY_MODEL)

    def _infer_call(self, node: cst.Call, scope: Scope) -> Value | None:
        func = node.func
        if type(func) is cst.Attribute and func.attr.value == "get":
            # ``self.scope.get("user")``: as ``self.scope["user"]``.
            key = self._scope_get_key(node, scope)
            if key == "user":
                return InstanceValue(self.user_model(), frozenset())
            if key == "session":
                return ScopeSessionValue()
        if type(func) is cst.Attribute and func.attr.value == "get_model" and self.ctx.qualified_name(func, scope) in APP_REGISTRY_GET_MODEL:
            return self._registry_model(node)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = self._infer(func.value, scope)
            if receiver is CYCLE:
                return CYCLE
            if isinstance(receiver, (ManagerValue, QuerySetValue)):
                return self._method_result(receiver, method, node, scope)
            if isinstance(receiver, ClassSelf) and method == "get_queryset":
                return self._view_queryset(receiver)
            if isinstance(receiver, ClassSelf) and method == "filter_queryset" and self._class_method(receiver, method) is None:
                return self._filtered_queryset(node, scope)
            if isinstance(receiver, ClassSelf):
                return self._own_method_returns(receiver, method)  # ``self.get_orders()``
            if isinstance(func.value, cst.Call) and isinstance(func.value.func, cst.Name) and func.value.func.value == "super" and method == "get_queryset":
                cls = self._enclosing_class_self(scope)
                if cls is not None:
                    return self._class_attribute(cls, "queryset")
            if isinstance(receiver, InstanceValue):
                return self._model_method_returns(receiver, method)  # ``receptionist.get_connections()``
            if receiver is None and type(func.value) is cst.Call and type(func.value.func) is cst.Name:
                return self._constructed_method_returns(func.value.func.value, method, scope)  # ``Repo().sensors()``
            return None
        qualified = self.ctx.qualified_name(func, scope)
        if qualified in ROW_COPIES:
            # ``sync_to_async(lambda: list(qs))()``: the rows, fetched off the
            # loop; ``sorted(qs)`` on it (reported there): rows all the same.
            return self._rows_list(node, scope)
        if qualified in USER_MODEL_GETTERS:
            return ModelClass(self.model_named("User") or USER_MODEL)
        if qualified == "builtins.getattr":
            return self._getattr_of_request(node, scope)
        if qualified in ("django.shortcuts.get_object_or_404",):
            return self._shortcut_instance(node, scope)
        if qualified in USER_RETURNING_FUNCTIONS:
            return InstanceValue(self.user_model(), frozenset())
        callee = self._infer(func, scope)
        if isinstance(callee, ModelClass):
            return InstanceValue(callee.model, _kwarg_names(node))
        if isinstance(callee, FormClassValue):
            return ModelFormValue()
        if isinstance(callee, ModelSerializerClass):
            return ModelSerializerValue()
        function = self._function_binding(func, scope)
        if function is not None and function[0].asynchronous is None:
            # ``thing = get_thing(pk)``: the QuerySet, or the instance, a def of this module returns
            # (as a function of another module's is read: foreign_results.py).
            return self._function_returns(*function, instances=True)
        return None

    def _own_method_returns(self, cls: ClassSelf, method: str, *, instances: bool = False) -> Value | None:
        """The QuerySet a plain method of the class (in this file) returns
        (``instances``: or the model instance, as ``_function_returns``)."""
        node = self._class_method(cls, method)
        if node is None or node.asynchronous is not None:
            return None
        return self._function_returns(node, cls.scope, class_node=cls.cls, instances=instances)

    def _model_method_returns(self, receiver: InstanceValue, method: str) -> Value | None:
        """What a plain method of a model this module defines returns, called
        on an instance of it (a model of another module: foreign_results.py)."""
        model = receiver.model
        if model is None or not model.qualified:
            return None
        module, _, name = model.qualified.rpartition(".")
        found = defined_class(self.ctx.module_scope, name) if module in (self.ctx.module_name, "<module>") else None
        return self._own_method_returns(ClassSelf(*found), method, instances=True) if found is not None else None

    def _constructed_method_returns(self, name: str, method: str, scope: Scope) -> Value | None:
        """What a plain method of a class this module defines returns, called
        on a new instance of it (``Repo().sensors()``)."""
        found = defined_class(scope, name)
        return self._own_method_returns(ClassSelf(*found), method) if found is not None else None

    def _enclosing_class_self(self, scope: Scope) -> ClassSelf | None:
        current: Scope | None = scope
        while current is not None:
            if current.kind == "class":
                return ClassSelf(current.node, current.parent or current)  # type: ignore[arg-type]
            current = current.parent
        return None

    def _view_queryset(self, cls: ClassSelf) -> Value | None:
        method = self._class_method(cls, "get_queryset")
        if method is not None:
            value = self._function_returns(method, cls.scope, class_node=cls.cls)
            if value is not None:
                return value
        return self._class_attribute(cls, "queryset")

    def _filtered_queryset(self, node: cst.Call, scope: Scope) -> Value | None:
        """``self.filter_queryset(self.get_queryset())`` of a generic view
        (DRF's, adrf's, Channels REST framework's ``queryset=`` form) whose
        class does not define the method: the QuerySet it is given, filtered
        by the view's backends, lazy as before; anything else it is given
        stays unknown."""
        positional = positional_args(node)
        given = positional[0] if positional else call_kwarg(node, "queryset")
        if given is None:
            return None
        value = self._infer(given.value, scope)
        if isinstance(value, QuerySetValue):
            return value
        return CYCLE if value is CYCLE else None

    def _shortcut_instance(self, node: cst.Call, scope: Scope) -> Value | None:
        positional = positional_args(node)
        if not positional:
            return None
        klass = self._infer(positional[0].value, scope)
        if isinstance(klass, ModelClass):
            return InstanceValue(klass.model, frozenset())
        if isinstance(klass, (QuerySetValue, ManagerValue)) and klass.model is not None:
            return InstanceValue(klass.model, self._selected(klass) if isinstance(klass, QuerySetValue) or klass.owner is None else frozenset())
        return None

    def _selected(self, receiver: ManagerValue | QuerySetValue) -> frozenset[str]:
        """The relation paths the rows of ``receiver``'s queries have loaded:
        a QuerySet's ``select_related``/``prefetch_related``; for a manager,
        its back reference (``_back_reference``), or anything where its
        ``get_queryset()`` selects or prefetches (``objects =
        TelegramUserManager()``: what it loads is not kept, so nothing is
        claimed unloaded)."""
        if isinstance(receiver, QuerySetValue):
            return receiver.selected
        selected = _back_reference(receiver)
        if receiver.owner is None and receiver.manager_class is not None and self.table.method_kind(receiver.manager_class, "get_queryset") == ["lazy", "selects"]:
            selected = selected | {"*"}
        return selected

    def _method_result(self, receiver: ManagerValue | QuerySetValue, method: str, node: cst.Call, scope: Scope) -> Value | None:
        model = receiver.model
        selected = self._selected(receiver)
        rows = receiver.rows if isinstance(receiver, QuerySetValue) else False
        if method == "get_queryset" and isinstance(receiver, ManagerValue):
            method = "all"  # the manager's QuerySet, as ``all()`` gives it (a related manager's prefetched one too)
        if method == "db_manager" and isinstance(receiver, ManagerValue) and receiver.owner is None:
            return receiver  # a copy of the manager bound to another database
        if method == "raw" and receiver.owner is None:
            # A RawQuerySet: lazy until iterated, measured or indexed, as a QuerySet is (it has ``__aiter__`` too).
            return QuerySetValue(model, frozenset())
        if method in LAZY_METHODS:
            if method in ("select_related", "prefetch_related"):
                paths = set(selected)
                args = [a for a in node.args if a.keyword is None]
                if not args and method == "select_related":
                    paths.add("*")
                for arg in args:
                    paths |= self._prefetch_paths(arg.value, scope)
                selected = frozenset(paths)
            owner = receiver.owner if method == "all" and isinstance(receiver, ManagerValue) else None
            relation = receiver.relation if owner is not None else None
            if isinstance(receiver, QuerySetValue) and method == "all":
                owner, relation = receiver.owner, receiver.relation
            return QuerySetValue(model, selected, rows or method in ROW_METHODS, owner, relation, receiver.queryset_class)
        if method == "iterator":
            return IteratorValue(model)
        custom = self.custom_method(receiver, method)
        if custom == USER_MANAGER_KIND and not rows:
            return InstanceValue(model, frozenset())  # ``User.objects.create_user(...)``
        if custom is not None:
            # A custom manager/QuerySet method: lazy ones give the QuerySet on
            # (one that selects or prefetches: with any relation maybe loaded).
            if custom[0] != "lazy":
                return None
            return QuerySetValue(model, selected | {"*"} if custom[1] == "selects" else selected, rows, queryset_class=receiver.queryset_class)
        if rows:
            return None
        if method in INSTANCE_METHODS:
            loaded = selected | (_created_loaded(model, node) if method == "create" else frozenset())
            return InstanceValue(model, loaded)
        if method in PAIR_METHODS:
            return PairValue(InstanceValue(model, selected | _pair_loaded(method, node, scope)))
        return None

    def _awaits_instance(self, receiver: ManagerValue | QuerySetValue, method: str) -> bool:
        """A custom async method (``aget_or_none``) that returns what
        awaiting ``aget``/``afirst``... gives, maybe through the manager's
        QuerySet's method of another name (model_skeleton._async_method_kind)."""
        custom = self.custom_method(receiver, method)
        for _depth in range(4):
            if custom is None or custom[0] != "awaits":
                return False
            if custom[1] in ASYNC_INSTANCE_METHODS:
                return True
            custom = self.custom_method(receiver, custom[1])
        return False

    def custom_method(self, receiver: ManagerValue | QuerySetValue, method: str) -> list | None:
        """[kind, what] of a custom manager or QuerySet method the project
        declares: ``["lazy", None]`` or ``["evaluates", ".count()"]``."""
        found = self.table.method_kind(receiver.queryset_class, method)
        if found is None and isinstance(receiver, ManagerValue):
            found = self.table.method_kind(receiver.manager_class, method)
        return found

    def _prefetch_paths(self, expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> set[str]:
        """Relation paths a ``select_related``/``prefetch_related`` argument
        loads: a string, ``Prefetch("tags", ...)`` (its ``to_attr``), or a
        variable or list holding those.  What cannot be read is taken as
        loading anything ("*"): a relation is only reported on evidence."""
        path = string_value(expr)
        if path is not None:
            return {path}
        if isinstance(expr, cst.Call):
            to_attr = call_kwarg(expr, "to_attr")
            positional = positional_args(expr)
            lookup_arg = call_kwarg(expr, "lookup") or (positional[0] if positional else None)
            found = string_value(to_attr.value) if to_attr is not None else None
            if found is None:
                found = string_value(lookup_arg.value) if lookup_arg is not None else None
            if found is None:
                return {"*"}
            # ``Prefetch("details", queryset=Detail.objects.select_related("cargo"))``:
            # the prefetched items carry what that QuerySet selected.
            queryset_arg = call_kwarg(expr, "queryset") or (positional[1] if len(positional) > 1 else None)
            if queryset_arg is None:
                return {found}
            inner = self._infer(queryset_arg.value, scope)
            below = inner.selected if isinstance(inner, QuerySetValue) else frozenset({"*"})
            return {found, *(f"{found}__{path}" for path in below)}
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)) and depth < 5:
            out: set[str] = set()
            for element in expr.elements:
                out |= self._prefetch_paths(element.value, scope, depth + 1)
            return out
        if isinstance(expr, cst.Name) and depth < 5:
            found_binding = lookup(scope, expr.value)
            if found_binding is not None:
                out = set()
                for binding in found_binding[1]:
                    node = binding.node
                    if binding.kind == ASSIGN and isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
                        out |= self._prefetch_paths(node.value, found_binding[0], depth + 1)
                    else:
                        return {"*"}
                return out or {"*"}
        return {"*"}

    def _infer_await(self, node: cst.BaseExpression, scope: Scope) -> Value | None:
        if not isinstance(node, cst.Call):
            return None
        func = node.func
        if self.ctx.qualified_name(func, scope) in THREAD_RUNNERS:
            # ``await asyncio.to_thread(build, ...)``
            wrapped = positional_args(node)
            return self._thread_result(wrapped[0].value, node, scope) if wrapped else None
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = self._infer(func.value, scope)
            if isinstance(receiver, (ManagerValue, QuerySetValue)):
                selected = self._selected(receiver)
                if isinstance(receiver, QuerySetValue) and receiver.rows:
                    return None
                if method in ASYNC_INSTANCE_METHODS:
                    loaded = selected | (_created_loaded(receiver.model, node) if method == "acreate" else frozenset())
                    return InstanceValue(receiver.model, loaded)
                if method in ASYNC_PAIR_METHODS:
                    return PairValue(InstanceValue(receiver.model, selected | _pair_loaded(method, node, scope)))
                if self._awaits_instance(receiver, method):
                    return InstanceValue(receiver.model, selected)
                if method.startswith("a") and self.custom_method(receiver, method[1:]) == USER_MANAGER_KIND and not isinstance(receiver, QuerySetValue):
                    return InstanceValue(receiver.model, frozenset())  # ``await User.objects.acreate_user(...)``
                return None
            if isinstance(receiver, DjangoRequestValue) and method == "auser":
                return InstanceValue(self.model_named("User") or USER_MODEL, frozenset())
            if isinstance(receiver, ClassSelf):
                method_node = self._class_method(receiver, method)
                if method_node is not None and method_node.asynchronous is None:
                    return self._thread_function_returns(method_node, Scope("class", receiver.cls, receiver.scope))
                if method_node is not None and not static_or_class_method(method_node):
                    # ``qs = await self.fetch_open()``: what the class's own ``async def`` returns.
                    return self._function_returns(method_node, receiver.scope, class_node=receiver.cls, instances=True)
                if method == "aget_object" and method_node is None and self._derives_from_package(receiver.cls, receiver.scope, "adrf"):
                    # adrf's generic views: ``aget_object_or_404`` over the view's QuerySet.
                    found = self._view_queryset(receiver)
                    if isinstance(found, QuerySetValue) and found.model is not None and not found.rows:
                        return InstanceValue(found.model, found.selected)
            return None
        if type(func) is cst.Name:
            # ``aget_object_or_404 = sync_to_async(get_object_or_404)`` (bound once), then
            # ``await aget_object_or_404(Post, pk=pk)``: as the wrapper called in place.
            wrapper = self._thread_wrapper_alias(func, scope)
            if wrapper is not None:
                func, scope = wrapper
        if isinstance(func, cst.Call) and self.ctx.qualified_name(func.func, scope) in THREAD_DECORATORS:
            # ``await sync_to_async(Post.objects.filter)(...)``: what the thread hands back.
            wrapped = positional_args(func)
            return self._thread_result(wrapped[0].value, node, scope) if wrapped else None
        qualified = self.ctx.qualified_name(func, scope)
        if qualified in ("django.shortcuts.aget_object_or_404",):
            return self._shortcut_instance(node, scope)
        if qualified in AWAITED_USER_FUNCTIONS:
            return InstanceValue(self.user_model(), frozenset())
        function = self._function_binding(func, scope)
        if function is not None and function[0].asynchronous is not None:
            return self._function_returns(*function, instances=True)
        if function is not None:
            return self._thread_function_returns(*function)
        return None

    def _thread_wrapper_alias(self, name: cst.Name, scope: Scope) -> tuple[cst.Call, Scope] | None:
        """The ``sync_to_async(f)`` call (and the scope it is read in) a name
        is bound to by its one assignment, else None."""
        found = lookup(scope, name.value)
        if found is None or len(found[1]) != 1:
            return None
        binding = found[1][0]
        value = binding.value if binding.kind == ASSIGN else None
        if type(value) is not cst.Call or self.ctx.qualified_name(value.func, found[0]) not in THREAD_DECORATORS:
            return None
        return value, found[0]

    def _thread_result(self, callable_expr: cst.BaseExpression, call: cst.Call, scope: Scope) -> Value | None:
        """The value a thread hands back for ``callable_expr`` called with
        ``call``'s arguments: a lazy QuerySet stays lazy (DJA402 at the wrap;
        evaluating it afterwards in async code raises)."""
        if isinstance(callable_expr, cst.Attribute):
            receiver = self._infer(callable_expr.value, scope)
            if isinstance(receiver, (ManagerValue, QuerySetValue)):
                return self._method_result(receiver, callable_expr.attr.value, call, scope)
            if isinstance(receiver, ClassSelf):
                # ``sync_to_async(self.get_orders)()``, ``sync_to_async(self._find_agent)(pk)``:
                # the QuerySet or the instance the method hands back.
                return self._own_method_returns(receiver, callable_expr.attr.value, instances=True)
            if isinstance(receiver, InstanceValue):
                # ``sync_to_async(receptionist.connections_of)()``: a method of a model of this module.
                return self._model_method_returns(receiver, callable_expr.attr.value)
            return None
        if isinstance(callable_expr, cst.Lambda) and not callable_expr.params.params:
            # ``await sync_to_async(lambda: Game.objects.select_related("t").get(pk=pk))()``:
            # the instance the query fetched, with what it selected.
            body = callable_expr.body
            if type(body) is cst.Call and self.ctx.qualified_name(body.func, scope) == "builtins.list":
                return self._rows_list(body, scope)  # ``lambda: list(qs)``: the rows, fetched in the thread
            value = self._infer(body, scope)
            return value if isinstance(value, (QuerySetValue, ManagerValue, InstanceValue, PairValue, RowsListValue)) else None
        qualified = self.ctx.qualified_name(callable_expr, scope)
        if qualified == "builtins.list":
            return self._rows_list(call, scope)  # ``await sync_to_async(list)(qs)``
        if qualified == "django.shortcuts.get_object_or_404":
            return self._shortcut_instance(call, scope)  # ``await sync_to_async(get_object_or_404)(Post, pk=pk)``
        function = self._function_binding(callable_expr, scope)
        if function is not None and function[0].asynchronous is None:
            # ``await sync_to_async(get_course)(pk)``: the instance the def hands back too.
            return self._function_returns(*function, instances=True)
        return None

    def _getattr_of_request(self, call: cst.Call, scope: Scope) -> Value | None:
        """``getattr(request, "user", None)``: ``request.user`` (the lazy user,
        where the code did not set it), ``getattr(request, "session")`` its session."""
        read = literal_attribute_read(call)
        if read is None or read[1] not in ("user", "session") or not isinstance(self._infer(read[0], scope), DjangoRequestValue):
            return None
        request, name = read
        if self._user_replaced(request, scope, name):
            return None
        return LazyUserValue() if name == "user" else SessionValue()

    def _rows_list(self, call: cst.Call, scope: Scope) -> Value | None:
        """``list(qs)`` of a QuerySet of model rows (or of such a list:
        ``sorted(rows, key=...)``): its fetched instances."""
        positional = positional_args(call)
        if len(positional) != 1 or (len(call.args) != 1 and not (call.args[0] is positional[0] and all(arg.keyword is not None for arg in call.args[1:]))):
            return None
        item = _element_of(self._infer(positional[0].value, scope))
        return RowsListValue(item) if isinstance(item, InstanceValue) else None

    def _infer_subscript(self, node: cst.Subscript, scope: Scope) -> Value | None:
        key = self._consumer_scope_key(node, scope)
        if key == "user":
            # Channels' AuthMiddleware resolved it before the consumer runs:
            # a user (or AnonymousUser) fetched without its relations.
            return InstanceValue(self.user_model(), frozenset())
        if key == "session":
            return ScopeSessionValue()
        value = self._infer(node.value, scope)
        if value is None or value is CYCLE:
            return value
        if len(node.slice) != 1:
            return None
        element = node.slice[0].slice
        if isinstance(value, PairValue):
            if isinstance(element, cst.Index) and isinstance(element.value, cst.Integer) and element.value.value == "0":
                return value.first
            return None
        if isinstance(value, RowsListValue):
            return value.item if isinstance(element, cst.Index) else None
        if isinstance(value, QuerySetValue):
            if isinstance(element, cst.Slice):
                return value if element.step is None else None
            return None if value.rows else InstanceValue(value.model, value.selected)
        return None

    def is_consumer_scope_user(self, expr: cst.BaseExpression, scope: Scope | None = None) -> bool:
        """``self.scope["user"]``, or a local name bound only to it, in a Channels consumer."""
        scope = scope or self.ctx.scope
        if type(expr) is cst.Name:
            found = sole_binding(scope, expr.value)
            if found is None or found[0].kind != ASSIGN or type(found[0].value) not in (cst.Subscript, cst.Call):
                return False
            expr, scope = found[0].value, found[1]
        if type(expr) is cst.Call:
            return self._scope_get_key(expr, scope) == "user"
        return type(expr) is cst.Subscript and self._consumer_scope_key(expr, scope) == "user"

    def _consumer_scope_key(self, node: cst.Subscript, scope: Scope) -> str | None:
        """``"user"`` for ``self.scope["user"]`` (``"session"`` for
        ``self.scope["session"]``) in a method of a Channels consumer; else None."""
        if len(node.slice) != 1 or type(node.slice[0].slice) is not cst.Index:
            return None
        return self._scope_key_of(node.value, node.slice[0].slice.value, scope)

    def _scope_get_key(self, call: cst.Call, scope: Scope) -> str | None:
        """``"user"`` for ``self.scope.get("user")`` (``"session"``) in a
        method of a Channels consumer; else None."""
        func = call.func
        if type(func) is not cst.Attribute or func.attr.value != "get" or not call.args or call.args[0].keyword is not None:
            return None
        return self._scope_key_of(func.value, call.args[0].value, scope)

    def _scope_key_of(self, holder: cst.BaseExpression, key: cst.BaseExpression, scope: Scope) -> str | None:
        """``"user"``/``"session"`` where ``holder`` is a Channels consumer's
        ``self.scope`` and ``key`` that string (``self.scope["user"]``,
        ``self.scope.get("user")``); else None."""
        if type(holder) is not cst.Attribute or holder.attr.value != "scope":
            return None
        if type(key) is not cst.SimpleString or key.evaluated_value not in ("user", "session"):
            return None
        owner = self._infer(holder.value, scope)
        if isinstance(owner, ClassSelf) and self._derives_from_package(owner.cls, owner.scope, "channels"):
            return key.evaluated_value
        return None

    # -- functions of this file --------------------------------------------------
    def _function_binding(self, func: cst.BaseExpression, scope: Scope) -> tuple[cst.FunctionDef, Scope] | None:
        return defined_function(scope, func.value) if isinstance(func, cst.Name) else None

    def function_result(self, node: cst.FunctionDef, parent: Scope) -> Value | None:
        """What a def of this module hands back (awaited, for an ``async
        def``): the QuerySet or model instance its returns agree on, else
        its return annotation's."""
        return self._function_returns(node, parent, instances=True)

    def _function_returns(self, node: cst.FunctionDef, parent: Scope, class_node: cst.ClassDef | None = None, *, instances: bool = False) -> Value | None:
        """The QuerySet a def of this module returns; with ``instances`` (an
        awaited ``async def`` of the module: ``project = await _aget_project(key)``,
        a sync def called: ``thing = get_thing(pk)``), also the model instance
        its returns agree on, with what the def read of it taken as possibly loaded."""
        key = (id(node), instances)
        if key in self._returns:
            return self._placeholder_read(("returns", key), self._returns[key])
        self._returns[key] = None
        info = self.ctx.function_info(node)
        if info is not None:
            scope = info.scope
        else:
            if class_node is not None:
                parent = Scope("class", class_node, parent)
            scope = Scope("function", node, parent)
            collector = BindingCollector(scope, self.module_name, self.ctx.is_package)
            collector.collect_parameters(node.params)
            collector._block(node.body)
        with self._under_way(("returns", key)):
            returned = [ret.value for ret in return_statements(node.body)]
            values = [self._infer(value, scope) if value is not None else None for value in returned]
        result = None
        filled = returns_filled_queryset(node)
        if values and all(isinstance(v, QuerySetValue) for v in values) and not filled:
            result = _merge(values)
        elif instances and values:
            # ``return None`` on a path (``except DoesNotExist: return None``):
            # where the caller reads a relation, it has the instance.
            kept = [(v, r) for v, r in zip(values, returned) if not _is_none(r)]
            if kept and all(isinstance(v, InstanceValue) for v, _r in kept):
                result = _with_reads(_merge([v for v, _r in kept]), node.body, [r for _v, r in kept])
            elif kept and all(isinstance(v, RowsListValue) for v, _r in kept):
                # ``return list(qs)``: the rows, fetched where the def runs (a thread).
                item = _merge([v.item for v, _r in kept])
                result = RowsListValue(item) if isinstance(item, InstanceValue) else None
        if result is None and node.returns is not None:
            # ``def lookup(pk) -> Post`` whose returns tell nothing: its annotation does.
            annotated = self._annotated_value(node.returns.annotation, scope.parent or parent)
            if isinstance(annotated, InstanceValue) or (isinstance(annotated, QuerySetValue) and not filled):
                result = annotated
        self._returns[key] = result
        return result


# Relations whose value a new row holds itself (its own column): read on a
# row just created without them, they are None, and no query runs.
FORWARD_RELATION_KINDS = frozenset({"fk", "o2o", "generic_fk"})


def _created_loaded(model: ModelInfo | None, call: cst.Call) -> frozenset[str]:
    """What ``create(...)`` leaves loaded on the new instance: the relations
    it was given (cached: the objects passed, whose own relations are
    whatever they were, so nothing is claimed below them), and the forward
    ones it was not (their id is None: reading them returns None without a
    query)."""
    given = _kwarg_names(call)
    forward = frozenset(name for name, relation in model.relations.items() if relation.kind in FORWARD_RELATION_KINDS) if model is not None else frozenset()
    return given | frozenset(f"{name}__*" for name in given) | forward


def _name_value(values: list) -> Value | None:
    """A name's kind from the values of its reaching bindings."""
    # ``client = None`` before the assignments in branches: the name has their kind.
    if any(v is NONE for v in values) and not all(v is NONE for v in values):
        values = [v for v in values if v is not NONE]
    # A query's coroutine left unawaited on one path: the others say what is meant.
    if any(v is UNAWAITED for v in values):
        values = [v for v in values if v is not UNAWAITED] or [None]
    if any(v is EMPTY for v in values):
        # ``[]`` on one path: only rows or QuerySets on the others decide.
        others = [v for v in values if v is not EMPTY and v is not NONE and v is not CYCLE]
        if others and all(isinstance(v, (QuerySetValue, RowsListValue)) for v in others):
            values = [v for v in values if v is not EMPTY]
    values = [None if v is NONE or v is EMPTY else v for v in values]
    concrete = [v for v in values if v is not CYCLE]
    if not concrete:
        return CYCLE if values else None
    if any(v is None for v in concrete):
        return None
    return _merge(concrete)


def _only_tested_and_stored(name: cst.Name, scope: Scope) -> bool:
    """Whether the local ``name`` (``self.match = match``) is used in its
    function only to be tested (``if not match``, ``match is None``) and
    stored: nothing it reads or hands on may have loaded its relations
    before the store.  No nested def, class or lambda names it."""
    function = scope.node
    if scope.kind != "function" or type(function) is not cst.FunctionDef:
        return False
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]] = [(child, None) for child in children(function.body)]
    while stack:
        node, parent = stack.pop()
        kind = type(node)
        if kind is cst.Name and node.value == name.value:
            if (type(parent) is cst.Attribute and parent.attr is node) or (type(parent) is cst.Arg and parent.keyword is node):
                continue  # ``self.match``, ``f(match=...)``: a name, not the variable
            if not _tested_or_stored(node, parent):
                return False
            continue
        if kind.__name__ in NESTED_SCOPE_NAMES:
            if mentions_name(node, name.value):
                return False
            continue
        stack.extend((child, node) for child in children(node))
    return True


# Builtins that only read the list they are given.
_LIST_READERS = frozenset({"len", "bool", "enumerate", "reversed", "sorted", "list", "tuple", "iter", "any", "all"})


def _appended_values(name: str, scope: Scope) -> list[cst.BaseExpression] | None:
    """What ``name.append(...)`` is given in its function, where every other
    occurrence of the local only reads the list: None where one may change
    it otherwise (handed to a call, extended, assigned into) or a nested
    def, class or lambda names it."""
    function = scope.node
    if scope.kind != "function" or type(function) is not cst.FunctionDef:
        return None

    def is_use(node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
        # ``self.levels``, ``f(levels=...)``: a name, not the variable.
        return type(node) is cst.Name and node.value == name and not ((type(parent) is cst.Attribute and parent.attr is node) or (type(parent) is cst.Arg and parent.keyword is node))

    return _appended_to(function.body, is_use)


def _appended_to(body: cst.BaseSuite, is_use: Callable[[cst.CSTNode, cst.CSTNode | None], bool]) -> list[cst.BaseExpression] | None:
    """The arguments of ``<list>.append(...)`` in ``body``, where ``is_use``
    tells the list's occurrences and every other one only reads it: None
    where one may change it otherwise, or a nested def, class or lambda
    holds an occurrence."""
    appended: list[cst.BaseExpression] = []
    stack: list[tuple[cst.CSTNode, tuple[cst.CSTNode | None, ...]]] = [(child, (None, None)) for child in children(body)]
    while stack:
        node, (parent, above) = stack.pop()
        kind = type(node)
        if is_use(node, parent):
            if type(parent) is cst.Attribute and parent.value is node and parent.attr.value == "append" and type(above) is cst.Call and above.func is parent:
                if len(above.args) != 1 or above.args[0].keyword is not None or above.args[0].star:
                    return None
                appended.append(above.args[0].value)
            elif not _reads_list(node, parent, above):
                return None
            continue
        if kind.__name__ in NESTED_SCOPE_NAMES:
            if _uses_within(node, is_use):
                return None
            continue
        stack.extend((child, (node, parent)) for child in children(node))
    return appended


def _uses_within(root: cst.CSTNode, is_use: Callable[[cst.CSTNode, cst.CSTNode | None], bool]) -> bool:
    """Some node below ``root`` is an occurrence ``is_use`` tells."""
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        if is_use(node, parent):
            return True
        stack.extend((child, node) for child in children(node))
    return False


def _reads_list(node: cst.CSTNode, parent: cst.CSTNode | None, above: cst.CSTNode | None) -> bool:
    """The occurrence ``node`` of a local list only reads it (or binds it)."""
    kind = type(parent)
    if kind is cst.AssignTarget:
        return True  # the local bound (once: the caller counts its bindings)
    if kind is cst.For or kind is cst.CompFor:
        return parent.iter is node
    if kind is cst.Subscript:
        return parent.value is node and type(above) not in (cst.AssignTarget, cst.Del, cst.AugAssign)
    if kind is cst.If or kind is cst.While or kind is cst.IfExp:
        return parent.test is node
    if kind is cst.UnaryOperation:
        return type(parent.operator) is cst.Not
    if kind is cst.Return or kind is cst.BooleanOperation:
        return True  # ``return levels``, ``if levels and ...``
    if kind is cst.Arg:
        return parent.keyword is None and not parent.star and type(above) is cst.Call and type(above.func) is cst.Name and above.func.value in _LIST_READERS
    return False


def _tested_or_stored(node: cst.Name, parent: cst.CSTNode | None) -> bool:
    kind = type(parent)
    if kind is cst.AssignTarget:
        return True  # the local bound
    if kind is cst.Assign:
        # ``self.x = name``: the store (a plain value, one target an attribute).
        return parent.value is node and all(type(t.target) is cst.Attribute for t in parent.targets)
    if kind is cst.If or kind is cst.While:
        return parent.test is node
    if kind is cst.UnaryOperation:
        return type(parent.operator) is cst.Not
    if kind is cst.Comparison:
        return all(type(c.operator) in (cst.Is, cst.IsNot) and is_none_literal(c.comparator) for c in parent.comparisons) and parent.left is node
    return False


def _merge(values: list[Value]) -> Value | None:
    first = values[0]
    if all(v == first for v in values):
        return first
    if any(isinstance(v, LazyUserValue) for v in values) and all(isinstance(v, (LazyUserValue, InstanceValue)) for v in values):
        # ``user = await request.auser()`` on one path, the lazy
        # ``request.user`` handed back by a thread on another (a fallback for
        # Django < 5): reading the user forces it on the loop on that path.
        return LazyUserValue()
    if all(isinstance(v, QuerySetValue) for v in values):
        models = {id(v.model) for v in values}  # type: ignore[union-attr]
        model = first.model if len(models) == 1 else None  # type: ignore[union-attr]
        selected = frozenset().union(*(v.selected for v in values))  # type: ignore[union-attr]
        return QuerySetValue(model, selected, any(v.rows for v in values))  # type: ignore[union-attr]
    if all(isinstance(v, InstanceValue) for v in values):
        models = {id(v.model) for v in values}  # type: ignore[union-attr]
        model = first.model if len(models) == 1 else None  # type: ignore[union-attr]
        loaded_sets = [v.loaded for v in values]  # type: ignore[union-attr]
        loaded = None if any(s is None for s in loaded_sets) else frozenset().union(*loaded_sets)  # type: ignore[arg-type]
        return InstanceValue(model, loaded)
    return None


def _user_assignments(body: cst.BaseSuite, request: str | None, self_name: str | None) -> list[cst.Attribute]:
    """The targets of the body's ``<request>.user = ...`` or ``<self>.request.user = ...``."""
    return [target for _statement, target, _value in _attribute_assignments(body) if target.attr.value == "user" and _is_request(target.value, request, self_name)]


# A middleware's methods that run before the view (and before the
# middleware listed after it), where a user loaded further down is not yet.
MIDDLEWARE_REQUEST_HOOKS = frozenset({"__call__", "__acall__", "process_request", "process_view", "aprocess_request", "aprocess_view"})


def _middleware_request_phase(function: Scope | None) -> bool:
    """``function`` (or a def around it) is a middleware's request hook: a
    method so named, or the inner def of a middleware factory (a def taking
    ``get_response``)."""
    while function is not None:
        node = function.node
        if isinstance(node, cst.FunctionDef):
            if function.parent is not None and function.parent.kind == "class" and node.name.value in MIDDLEWARE_REQUEST_HOOKS:
                return True
            if "get_response" in positional_params(node.params) and function.parent is not None and function.parent.kind != "class":
                return True
        function = function.parent if function.parent is not None and function.parent.kind != "module" else None
    return False


def module_def(scope: Scope) -> Callable[[str], cst.FunctionDef | None]:
    """The def a name of ``scope`` is bound to, once, else None."""

    def found(name: str) -> cst.FunctionDef | None:
        defined = defined_function(scope, name)
        return defined[0] if defined is not None else None

    return found


def auth_tests_load_session(ctx) -> bool:
    """Django's auth test decorators await ``request.auser()`` on a coroutine
    function (5.1+), which loads the session: not under an older Django the
    settings name."""
    version = getattr(ctx.settings, "django_version", None)  # no settings: a context made for one analysis
    return version is None or tuple(version) >= (5, 1)


def auth_tested(ctx, scope: Scope) -> Callable[[cst.FunctionDef], bool]:
    """Whether an ``async def`` (read in ``scope``) is decorated with one of
    Django's auth tests, which (``auth_tests_load_session``) load the
    session before calling it."""
    loads = auth_tests_load_session(ctx)

    def tested(function: cst.FunctionDef) -> bool:
        if function.asynchronous is None or not loads:
            return False
        return any(ctx.qualified_name(_decorator_callee(d), scope) in AUTH_TEST_DECORATORS for d in function.decorators)

    return tested


def wrapper_sets_user(
    decorator: cst.FunctionDef,
    what: str = "user",
    auth_test: Callable[[cst.FunctionDef], bool] | None = None,
    module_def: Callable[[str], cst.FunctionDef | None] | None = None,
) -> bool:
    """A decorator whose wrapper (a def nested in it, or in a def nested in
    it for a decorator factory, ``@auth(backend)``, taking the request
    first) sets ``request.user`` (``what="session"``: loads the session:
    awaits ``request.auser()``, ``aget_user(request)``, ``alogin``/``alogout``,
    or is itself under ``@login_required``, by ``auth_test``) before it calls
    the view; also one that hands the view to such a decorator of the
    module (``module_def``: its def by name), ``return
    aprofile_required("client")(view)``."""
    stack = [(decorator, 0)]
    while stack:
        outer, depth = stack.pop()
        body = outer.body.body if type(outer.body) is cst.IndentedBlock else ()
        for statement in body:
            if module_def is not None and depth == 0 and type(statement) is cst.SimpleStatementLine:
                for small in statement.body:
                    delegate = _delegated_decorator(small, module_def)
                    if delegate is not None and delegate is not decorator and wrapper_sets_user(delegate, what, auth_test):
                        return True
            if type(statement) is not cst.FunctionDef:
                continue
            params = positional_params(statement.params)
            # A method's wrapper (``wrapper(self, request, ...)``) gets the request second.
            first = params[1] if len(params) > 1 and params[0] == "self" else params[0] if params else None
            if first is not None and what == "user" and any(_sets_user(statement.body, name, None) for name in (first, *_requests_from(statement, first))):
                return True
            if params and what == "session" and (_loads_session(statement, params[0], None) or (auth_test is not None and auth_test(statement))):
                return True
            if depth < 2:
                stack.append((statement, depth + 1))
    return False


def _requests_from(wrapper: cst.FunctionDef, first: str) -> list[str]:
    """The locals of ``wrapper`` bound once, at its top level, to a call
    given its first parameter (``request = _get_request(self_or_request,
    args)``: a wrapper for both views and view methods finding the request)."""
    bound: dict[str, int] = {}
    found: list[str] = []
    for node in _walk(wrapper.body):
        if type(node) is cst.AssignTarget and type(node.target) is cst.Name:  # type: ignore[attr-defined]
            bound[node.target.value] = bound.get(node.target.value, 0) + 1  # type: ignore[attr-defined]
    body = wrapper.body.body if type(wrapper.body) is cst.IndentedBlock else ()
    for statement in body:
        if type(statement) is not cst.SimpleStatementLine:
            continue
        for small in statement.body:
            if type(small) is not cst.Assign or len(small.targets) != 1 or type(small.targets[0].target) is not cst.Name or type(small.value) is not cst.Call:
                continue
            name = small.targets[0].target.value
            if bound.get(name) == 1 and any(arg.keyword is None and not arg.star and type(arg.value) is cst.Name and arg.value.value == first for arg in small.value.args):
                found.append(name)
    return found


def _delegated_decorator(small: cst.CSTNode, module_def: Callable[[str], cst.FunctionDef | None]) -> cst.FunctionDef | None:
    """``return other(view)`` / ``return factory(args)(view)``: the def of the
    module it hands the view to."""
    if type(small) is not cst.Return or type(small.value) is not cst.Call:
        return None
    callee = small.value.func
    if type(callee) is cst.Call:
        callee = callee.func
    return module_def(callee.value) if type(callee) is cst.Name else None


def _sets_user(body: cst.BaseSuite, request: str | None, self_name: str | None) -> bool:
    """The body assigns ``<request>.user`` or ``<self>.request.user``."""
    return bool(_user_assignments(body, request, self_name))


def _loads_session(function: cst.FunctionDef, request: str | None, self_name: str | None, in_thread: bool = False) -> bool:
    """The method awaits ``<request>.auser()`` (or ``self.request.auser()``),
    or ``alogin``/``alogout`` on it: the request's session is then loaded.
    ``in_thread`` (a view's ``dispatch``/``setup``, which runs before its
    handlers): also where it awaits a session method run in a thread."""
    for node in _walk(function.body):
        if type(node) is not cst.Await or type(node.expression) is not cst.Call:  # type: ignore[attr-defined]
            continue
        call = node.expression  # type: ignore[attr-defined]
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "auser" and _is_request(func.value, request, self_name):
            return True
        if _callee_name(func) in SESSION_LOADING_AUTH_NAMES and call.args and _is_request(call.args[0].value, request, self_name):
            return True
        if in_thread and type(func) is cst.Call and func.args and _session_read_in_thread(func, request, self_name):
            return True
    return False


def _session_read_in_thread(adapter: cst.Call, request: str | None, self_name: str | None) -> bool:
    """``sync_to_async(<request>.session.get)`` (a session method, or a
    lambda reading the session, handed to a thread): awaited, the session
    is loaded (``SessionBase._session`` fills its cache on the first read)."""
    wrapped = adapter.args[0].value
    if type(wrapped) is cst.Attribute and type(wrapped.value) is cst.Attribute and wrapped.value.attr.value == "session":
        return _callee_name(adapter.func) in THREAD_ADAPTER_NAMES and _is_request(wrapped.value.value, request, self_name)
    return _lambda_in_thread_reads(adapter, "session", request, self_name)


THREAD_ADAPTER_NAMES = frozenset({"sync_to_async", "database_sync_to_async"})


def _loads_user_in_thread(function: cst.FunctionDef, request: str | None, self_name: str | None) -> bool:
    """A view's ``dispatch``/``setup`` reads ``<request>.user`` in a lambda it
    runs in a thread (``await sync_to_async(lambda: request.user.is_authenticated)()``):
    the request's lazy user is loaded, and the handlers after it read it without a query."""
    return any(type(node) is cst.Call and _lambda_in_thread_reads(node, "user", request, self_name) for node in _walk(function.body))


def _lambda_in_thread_reads(adapter: cst.Call, attr: str, request: str | None, self_name: str | None) -> bool:
    """``adapter`` (``sync_to_async(lambda: ...)``) hands a thread a lambda
    that reads ``<request>.<attr>``."""
    if not adapter.args or type(adapter.args[0].value) is not cst.Lambda or _callee_name(adapter.func) not in THREAD_ADAPTER_NAMES:
        return False
    body = adapter.args[0].value.body  # type: ignore[attr-defined]
    return any(type(inner) is cst.Attribute and inner.attr.value == attr and _is_request(inner.value, request, self_name) for inner in _walk(body))


def _callee_name(func: cst.BaseExpression) -> str | None:
    """The last name of a call's callee (``sync_to_async``, ``auth.alogin``)."""
    return func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else None


def _function_scope(scope: Scope) -> Scope | None:
    """The scope of the def ``scope`` is in (itself, for a def's), or None."""
    current: Scope | None = scope
    while current is not None and current.kind != "function":
        current = current.parent
    return current if current is not None and isinstance(current.node, cst.FunctionDef) else None


def _is_request(expr: cst.BaseExpression, request: str | None, self_name: str | None) -> bool:
    if isinstance(expr, cst.Name):
        return request is not None and expr.value == request
    return self_name is not None and isinstance(expr, cst.Attribute) and expr.attr.value == "request" and isinstance(expr.value, cst.Name) and expr.value.value == self_name


def _is_none(value: cst.BaseExpression | None) -> bool:
    """A bare ``return`` or ``return None``."""
    return value is None or (type(value) is cst.Name and value.value == "None")


def _with_reads(result: Value | None, body: cst.BaseSuite, returned: list[cst.BaseExpression | None]) -> Value | None:
    """An instance a function returns, with what the function read of it
    (``room.user1``, by the names it returns) taken as possibly loaded: a
    relation read there is cached on the instance."""
    if not isinstance(result, InstanceValue) or result.loaded is None:
        return result
    names = {value.value for value in returned if isinstance(value, cst.Name)}
    if not names:
        return result
    read = frozenset(node.attr.value for node in _walk(body) if type(node) is cst.Attribute and type(node.value) is cst.Name and node.value.value in names)  # type: ignore[attr-defined]
    return InstanceValue(result.model, result.loaded | read) if read else result


def _one_to_one_back(relation: Relation, owner: ModelInfo, target: ModelInfo | None) -> str | None:
    """The name of the other side of the one-to-one ``relation`` of ``owner``
    on ``target`` (``Schedule.loan`` for ``Loan.harvest_schedule``, and
    back); None for other relations or where it is not known surely."""
    if relation.kind == "o2o":
        if (relation.related_name or "").endswith("+"):
            return None
        return relation.related_name or owner.name.lower()
    if relation.kind != "reverse_o2o" or target is None:
        return None
    back = [
        r.name
        for r in target.relations.values()
        if r.kind == "o2o" and (r.target or "").rpartition(".")[2] == owner.name and (r.related_name == relation.name or (r.related_name is None and relation.name == target.name.lower()))
    ]
    return back[0] if len(back) == 1 else None


def _back_reference(manager: ManagerValue) -> frozenset[str]:
    """``product.variants``: a reverse foreign key's manager gives rows whose
    foreign key back to ``product`` is set to it already (Django's related
    manager sets ``_known_related_objects``, which every QuerySet made from
    it keeps): that relation of its rows counts as loaded."""
    relation, owner, model = manager.relation, manager.owner, manager.model
    if relation is None or relation.kind != "reverse_fk" or owner is None or owner.model is None or model is None:
        return frozenset()
    default = f"{model.name.lower()}_set"
    back = [
        r.name
        for r in model.relations.values()
        if r.kind == "fk" and (r.target or "").rpartition(".")[2] == owner.model.name and (r.related_name == relation.name or (r.related_name is None and relation.name == default))
    ]
    return frozenset(back) if len(back) == 1 else frozenset()


def returns_filled_queryset(function: cst.FunctionDef) -> bool:
    """The def returns QuerySets whose rows it fetched first into their
    result cache, so evaluating what it returns runs no query: ``async for
    court in courts: ...`` then ``return courts``; or, in any def, ``for
    order in orders: ...``, ``if len(orders) != n:`` or ``count =
    len(orders)`` as a statement of the body itself (so it runs on every
    path) before the first statement that returns it, where the local is
    bound once, before that statement."""
    returned = [ret.value.value if type(ret.value) is cst.Name else None for ret in return_statements(function.body)]
    if not returned:
        return False
    if _returns_what_async_for_filled(function, set(filter(None, returned))):
        return True
    if None in returned or type(function.body) is not cst.IndentedBlock:
        return False
    return all(_filled_before_return(function, name) for name in set(returned))  # type: ignore[arg-type]


def _filled_before_return(function: cst.FunctionDef, name: str) -> bool:
    statements = function.body.body  # type: ignore[union-attr]
    bound = [i for i, statement in enumerate(statements) if _binds_name(statement, name)]
    is_param = name in {p.name.value for p in (*function.params.posonly_params, *function.params.params, *function.params.kwonly_params)}
    if len(bound) + is_param != 1 or any(_binds_anywhere(statement, name) for statement in statements if not _binds_name(statement, name)):
        return False
    start = bound[0] + 1 if bound else 0
    for statement in statements[start:]:
        if _evaluates_name(statement, name):
            return True
        if type(statement) in (cst.FunctionDef, cst.ClassDef):
            continue
        if any(type(ret.value) is cst.Name and ret.value.value == name for ret in _return_statements(statement)):
            return False
    return False


def _binds_name(statement: cst.CSTNode, name: str) -> bool:
    """A plain ``name = value`` statement."""
    if type(statement) is not cst.SimpleStatementLine or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if type(small) is cst.Assign:
        return len(small.targets) == 1 and type(small.targets[0].target) is cst.Name and small.targets[0].target.value == name
    if type(small) is cst.AnnAssign:
        return type(small.target) is cst.Name and small.target.value == name and small.value is not None
    return False


def _binds_anywhere(node: cst.CSTNode, name: str) -> bool:
    """``node`` binds ``name`` somewhere (an assignment, a loop or ``with``
    target, a walrus, ``global``): a rebinding a single-binding test rules out."""
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind in (cst.AssignTarget, cst.For, cst.CompFor, cst.AsName) and mentions_name(current.target if kind is not cst.AsName else current.name, name):
            return True
        if kind in (cst.AugAssign, cst.AnnAssign, cst.NamedExpr) and type(current.target) is cst.Name and current.target.value == name:
            return True
        if kind in (cst.Global, cst.Nonlocal) and any(n.name.value == name for n in current.names):
            return True
        if kind.__name__ in NESTED_SCOPE_NAMES:
            continue
        stack.extend(children(current))
    return False


# Builtins that iterate a QuerySet they are given, filling its result cache.
_FILLING_BUILTINS = frozenset({"len", "list", "tuple", "bool", "sorted", "set"})


def _evaluates_name(statement: cst.CSTNode, name: str) -> bool:
    """The statement, wherever it runs, iterates the local ``name``: a loop
    over it, or ``len(name)``/``list(name)``/``bool(name)``, or the name
    tested by an ``if``/``while``, in a part of it that always runs (not
    a branch of ``and``/``or``/``x if c else y``, a nested def or a lambda)."""
    kind = type(statement)
    if kind is cst.For:
        return type(statement.iter) is cst.Name and statement.iter.value == name or _always_evaluates(statement.iter, name)
    if kind in (cst.If, cst.While):
        test = statement.test
        if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
            test = test.expression
        return type(test) is cst.Name and test.value == name or _always_evaluates(statement.test, name)
    if kind is cst.SimpleStatementLine:
        return any(type(small) in (cst.Expr, cst.Assign, cst.AnnAssign) and small.value is not None and _always_evaluates(small.value, name) for small in statement.body)
    return False


def _always_evaluates(expr: cst.CSTNode, name: str) -> bool:
    stack = [expr]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.Call and type(current.func) is cst.Name and current.func.value in _FILLING_BUILTINS and len(current.args) == 1:
            arg = current.args[0]
            if arg.keyword is None and not arg.star and type(arg.value) is cst.Name and arg.value.value == name:
                return True
        if kind is cst.BooleanOperation:
            stack.append(current.left)  # the right side may not run
            continue
        if kind is cst.IfExp:
            stack.append(current.test)
            continue
        if kind.__name__ in NESTED_SCOPE_NAMES or kind in (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp):
            continue
        stack.extend(children(current))
    return False


def _returns_what_async_for_filled(function: cst.FunctionDef, returned: set[str]) -> bool:
    """``async for court in courts: ...`` then ``return courts``: the loop
    fetched every row into the QuerySet's result cache, so evaluating what
    the function returns runs no query."""
    if not returned or function.asynchronous is None:
        return False
    stack: list = list(children(function.body))
    while stack:
        current = stack.pop()
        if type(current) in (cst.For, cst.CompFor) and current.asynchronous is not None and type(current.iter) is cst.Name and current.iter.value in returned:
            return True
        if type(current) not in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            stack.extend(children(current))
    return False


def _element_of(iterable: Value | None) -> Value | None:
    if isinstance(iterable, QuerySetValue) and not iterable.rows:
        owner, relation = iterable.owner, iterable.relation
        if owner is not None and relation is not None and owner.has_loaded(relation.name):
            # ``project.findings.all()`` may be read from the owner's prefetch
            # cache: its items carry what that prefetch loaded (a
            # ``Prefetch("findings", Finding.objects.select_related(...))``),
            # unknown where the owner's origin is.
            loaded = None if owner.loaded is None else owner.loaded_below(relation.name) | iterable.selected
            return InstanceValue(iterable.model, loaded)
        return InstanceValue(iterable.model, iterable.selected)
    if isinstance(iterable, IteratorValue):
        return InstanceValue(iterable.model, frozenset())
    if isinstance(iterable, RowsListValue):
        return iterable.item
    return None


def _forward_reference(annotation: cst.BaseExpression) -> cst.BaseExpression:
    """``"QuerySet[Post]"`` -> the expression it spells (else as given);
    ``Annotated[Post, ...]`` -> ``Post`` (the rest is a framework's metadata)."""
    text = string_value(annotation)
    if text is not None:
        try:
            annotation = cst.parse_expression(text)
        except cst.ParserSyntaxError:
            return annotation
    if isinstance(annotation, cst.Subscript) and annotation.slice and isinstance(annotation.slice[0].slice, cst.Index):
        base = annotation.value
        if (base.attr.value if isinstance(base, cst.Attribute) else getattr(base, "value", None)) == "Annotated":
            return _forward_reference(annotation.slice[0].slice.value)
    return annotation


def _in_django_middleware(scope: Scope) -> bool:
    """``scope`` is a method of a class whose ``__init__`` takes
    ``get_response`` after ``self`` (what DJA502 takes for Django class
    middleware), or a def nested in a function that takes it (a factory, as
    ``_middleware_request_phase`` reads one): Django's middleware protocol,
    in a module that may import nothing from Django (asgiref's
    ``markcoroutinefunction`` only)."""
    outer = scope.parent
    if outer is None:
        return False
    if outer.kind == "class" and isinstance(outer.node, cst.ClassDef):
        body = outer.node.body.body if isinstance(outer.node.body, cst.IndentedBlock) else ()
        return any(isinstance(s, cst.FunctionDef) and s.name.value == "__init__" and positional_params(s.params)[1:2] == ("get_response",) for s in body)
    return outer.kind == "function" and isinstance(outer.node, cst.FunctionDef) and "get_response" in positional_params(outer.node.params)


def _self_parameter(statement: cst.CSTNode, *, classmethods: bool = False) -> str | None:
    """The name a method of a class body calls its instance (or, with
    ``classmethods``, a classmethod its class), or None for another
    statement, a static method, a classmethod or one without parameters."""
    if not isinstance(statement, cst.FunctionDef) or static_or_class_method(statement, static_only=classmethods):
        return None
    params = (*statement.params.posonly_params, *statement.params.params)
    return params[0].name.value if params else None


def literal_attribute_read(call: cst.Call) -> tuple[cst.BaseExpression, str] | None:
    """``getattr(obj, "name"[, default])`` (or ``hasattr(obj, "name")``),
    the name a string literal: (obj, name); else None (the caller has
    checked which builtin it is)."""
    args = call.args
    if len(args) not in (2, 3) or any(arg.keyword is not None or arg.star for arg in args) or type(args[1].value) is not cst.SimpleString:
        return None
    name = args[1].value.evaluated_value
    return (args[0].value, name) if isinstance(name, str) else None


def static_or_class_method(node: cst.FunctionDef, *, static_only: bool = False) -> bool:
    """``@staticmethod`` (or ``@classmethod``, unless ``static_only``) on ``node``."""
    names = ("staticmethod",) if static_only else ("staticmethod", "classmethod")
    return any(type(d.decorator) is cst.Name and d.decorator.value in names for d in node.decorators)


def _decorator_callee(decorator: cst.Decorator) -> cst.BaseExpression:
    expr = decorator.decorator
    return expr.func if isinstance(expr, cst.Call) else expr


def _pair_loaded(method: str, call: cst.Call, scope: Scope | None = None) -> frozenset[str]:
    """What ``get_or_create``/``update_or_create`` (and their twins) leave
    loaded on the instance whichever path ran: an existing row is fetched
    with ``get(**kwargs)``, which caches none of the lookups' objects (only a
    new row is made from them); ``update_or_create`` then sets its
    ``defaults`` on either (django/db/models/query.py)."""
    if method not in ("update_or_create", "aupdate_or_create"):
        return frozenset()
    defaults = call_kwarg(call, "defaults")
    value = defaults.value if defaults is not None else None
    if type(value) is cst.Name and scope is not None:
        value = _untouched_local_dict(value.value, scope) or value
    if type(value) is cst.Call and type(value.func) is cst.Name and value.func.value == "dict":
        # ``defaults=dict(scopes=...)``: its keywords, as a literal's keys.
        return _kwarg_names(value) | ({"*"} if any(arg.keyword is None for arg in value.args) else frozenset())
    if defaults is None or not isinstance(value, cst.Dict):
        return frozenset({"*"}) if defaults is not None else frozenset()
    names = {string_value(e.key) for e in value.elements if isinstance(e, cst.DictElement)}
    if any(not isinstance(e, cst.DictElement) or not string_value(e.key) for e in value.elements):
        names.add("*")
    return frozenset(n for n in names if n)


def _untouched_local_dict(name: str, scope: Scope) -> cst.Dict | None:
    """The dict literal a function's local ``name`` is bound to once and
    read only once (``defaults = {...}`` then ``defaults=defaults``): no
    key added or removed on the way."""
    bindings = scope.bindings.get(name, ())
    if scope.kind != "function" or len(bindings) != 1 or bindings[0].kind != ASSIGN or type(bindings[0].value) is not cst.Dict:
        return None
    mentions = 0
    stack: list[cst.CSTNode] = [scope.node.body]
    while stack and mentions < 3:
        current = stack.pop()
        if type(current) is cst.Name and current.value == name:
            mentions += 1
        stack.extend(children(current))
    return bindings[0].value if mentions == 2 else None  # its assignment and the one read


def _kwarg_names(call: cst.Call) -> frozenset[str]:
    """The keywords a call (a model's constructor, ``create``) is given; "*" for a ``**`` one."""
    return frozenset(arg.keyword.value if arg.keyword is not None else "*" for arg in call.args if arg.keyword is not None or arg.star == "**")


def _first_of_pair(node: cst.Assign, target: cst.Attribute) -> cst.BaseExpression | None:
    """``self.room, created = await Room.objects.aget_or_create(...)``: the
    value ``self.room`` gets, spelled as the pair's first item (``value[0]``);
    None where ``target`` is not the first item of a two-item target."""
    if len(node.targets) != 1 or type(node.targets[0].target) not in (cst.Tuple, cst.List):
        return None
    elements = node.targets[0].target.elements
    if len(elements) != 2 or elements[0].value is not target:
        return None
    return cst.Subscript(value=node.value, slice=[cst.SubscriptElement(slice=cst.Index(value=cst.Integer("0")))])


def _index_in_target(target: cst.Tuple | cst.List, name: str) -> int | None:
    for index, element in enumerate(target.elements):
        if isinstance(element.value, cst.Name) and element.value.value == name:
            return index
    return None


def _walk(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))


# Attributes of DRF's Request that Django's HttpRequest lacks: a function that
# reads one of them on its ``request`` is handed DRF's (its view authenticated
# the user before any handler ran; adrf's in a thread).
DRF_REQUEST_ATTRIBUTES = frozenset({"data", "query_params", "auth", "successful_authenticator", "accepted_renderer", "accepted_media_type", "parsers", "authenticators"})


def _reads_drf_request_attributes(function: cst.FunctionDef, name: str) -> bool:
    """``function``'s own body reads ``<name>.data`` (or another attribute
    only DRF's Request has), outside nested functions and classes."""
    stack: list = [function.body]
    while stack:
        node = stack.pop()
        if type(node) is cst.Attribute and node.attr.value in DRF_REQUEST_ATTRIBUTES and type(node.value) is cst.Name and node.value.value == name:
            return True
        if type(node).__name__ in NESTED_SCOPE_NAMES and node is not function.body:
            continue
        stack.extend(children(node))
    return False


# Per node class: is it an expression (``_returns`` does not look inside one)?
# Remembered, as isinstance against libcst's ABCs goes through abc each time.
_IS_EXPRESSION: dict[type, bool] = {}


# A body's return statements: the inference, the summary and the handoff
# rules ask about the same helpers many times per file.
_RETURNS_BY_BODY = RecentSubtrees(512)


def return_statements(body: cst.BaseSuite) -> Iterator[cst.Return]:
    """Return statements of one function body, not of nested defs/classes."""
    return iter(_RETURNS_BY_BODY.get(body, lambda node: tuple(_return_statements(node))))


def _return_statements(body: cst.BaseSuite) -> Iterator[cst.Return]:
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is cst.Return:
            yield node
            continue
        if kind.__name__ in NESTED_SCOPE_NAMES and node is not body:
            continue
        expression = _IS_EXPRESSION.get(kind)
        if expression is None:
            expression = _IS_EXPRESSION[kind] = issubclass(kind, cst.BaseExpression)
        if expression:
            continue
        stack.extend(children(node))


def django_inference(ctx) -> DjangoInference:
    """The file's shared inference (built once, on first use)."""
    return ctx.shared(DjangoInference)


def with_model(value: InstanceValue, model: ModelInfo | None) -> InstanceValue:
    return replace(value, model=model)


def _without_none_placeholders(assignments):
    """``self.<attr>``'s assignments less its ``self.<attr> = None`` (the
    placeholder a consumer's ``__init__`` sets before ``connect`` fetches
    the instance): where a method of it is called, it is not None.  All of
    them where every one is ``None``."""
    kept = [(value, scope) for value, scope in assignments if not is_none_literal(value)]
    return kept or list(assignments)
