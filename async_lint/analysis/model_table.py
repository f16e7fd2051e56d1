"""The project's Django models, managers and QuerySets, resolved across modules.

Built once per run, before any file is analysed, from the ``ast`` skeletons
(``model_skeleton.py``) of every project module that defines a class, and of
the installed apps' modules they lean on (read from their source on disk,
never imported).  The result is plain data that the per-file analysis asks:
is ``core.entities.Post`` a model, what are its relations (forward, inherited
from abstract bases in other modules, and the reverse accessors other models
give it), which managers it has and what their custom methods do.

Where an installed package's source cannot be found, the per-file inference
falls back to its bundled table of the contrib models.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable

from async_lint.analysis.cache_config import ALL_ALIASES
from async_lint.analysis.django_vocabulary import DJANGO_MANAGER_METHODS, DRF_MODEL_SERIALIZERS, MANAGER_CLASSES, MODEL_BASES, NON_ORM_MODEL_BASES, QUERYSET_CLASSES, REQUEST_CLASSES, USER_BASES
from async_lint.analysis.model_skeleton import RELATION_NEUTRAL_METHODS, build_skeleton, lines_matching

# Contrib apps whose models real projects use without declaring them.
CONTRIB_MODEL_MODULES = (
    "django.contrib.auth.models",
    "django.contrib.contenttypes.models",
    "django.contrib.sessions.models",
    "django.contrib.sites.models",
    "django.contrib.admin.models",
    "django.contrib.flatpages.models",
    "django.contrib.redirects.models",
)
# ``from x.y.models import ...`` / ``import x.models``: modules whose models the project uses.
_MODELS_IMPORT = re.compile(r"(?m)^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import|import[ \t]+([\w.]+))")
MAX_EXTERNAL_MODULES = 300
MAX_DEPTH = 30


def _is_django_class(qualified: str) -> bool:
    """One of Django's own QuerySet and manager classes: its methods are the
    vocabulary's (``DJANGO_MANAGER_METHODS``), not read from its source."""
    return qualified in DJANGO_MANAGER_METHODS or qualified in MANAGER_CLASSES or qualified in QUERYSET_CLASSES


def app_label(module: str) -> str:
    """Django's default app label for a model's module: the app package's last
    component (``shop.models`` -> ``shop``, ``apps.shop.models.orders`` -> ``shop``,
    ``core.entities`` -> ``core``)."""
    parts = module.split(".")
    if "models" in parts[1:]:
        parts = parts[: parts.index("models", 1)]
    elif len(parts) > 1:
        parts = parts[:-1]
    return parts[-1] if parts else module


# Relations whose access yields one related object (and loads it with a query).
SINGLE_RELATION_KINDS = frozenset({"fk", "o2o", "generic_fk", "reverse_o2o"})


@dataclass
class ModelTable:
    """Plain data: models by qualified name, QuerySet/manager method kinds, re-exports."""

    # qualified -> {"name", "module", "abstract", "relations": {name: [kind, target, related_name]},
    #               "managers": {attr: [manager_class, queryset_class]}}
    models: dict[str, dict] = field(default_factory=dict)
    # QuerySet or manager class -> {method: [kind, what]} (own and inherited)
    methods: dict[str, dict[str, list]] = field(default_factory=dict)
    # re-exported name -> the qualified name of the class it is
    aliases: dict[str, str] = field(default_factory=dict)
    user_model: str | None = None
    # Project subclasses of Django's request classes.
    request_classes: frozenset[str] = frozenset()
    # Classes of the project's ``models`` modules that are no models
    # (``class Cart:`` in shop/models.py): where they are imported, the
    # module's name is no evidence of a model (django_models._from_models_module).
    plain_classes: frozenset[str] = frozenset()
    # The project's DRF model serializers (classes deriving, through project
    # classes too, from ``rest_framework``'s or adrf's ``ModelSerializer``):
    # their ``save()`` writes the model instance through the ORM.
    model_serializers: frozenset[str] = frozenset()
    # The cache aliases that do no I/O by the project's settings (ALL_ALIASES: all),
    # None where not known (analysis/cache_config.py).
    local_caches: tuple[str, ...] | None = None
    # The project's settings modules that set DJANGO_ALLOW_ASYNC_UNSAFE (for
    # the whole process they are imported into: ``engine.orm_opt_outs``).
    async_unsafe_settings: tuple[str, ...] = field(default=(), compare=False)
    # Names project modules re-export from outside the project, where another
    # module imports them from there: ``app.services.get_object_or_404`` ->
    # ``django.shortcuts.get_object_or_404`` (analysis/reexports.py).
    reexports: dict[str, str] = field(default_factory=dict)
    # The project's settings list MIDDLEWARE and nothing in the project names
    # Django's AuthenticationMiddleware: ``request.user`` is what the project's
    # own middleware set (a user it loaded), not Django's lazy user.
    user_set_by_project: bool = False
    # A sync middleware the settings list after AuthenticationMiddleware reads
    # ``request.user`` before the view runs (in a thread under ASGI): the
    # user, and the session it was read from, may be loaded when a view
    # reads them (analysis/middleware_config.py).
    user_loaded_by_middleware: bool = False
    # The project's settings modules (not its tests' or examples'): what
    # ``django.conf.settings.NAME`` reads (foreign_objects.py).
    settings_paths: tuple[str, ...] = field(default=(), compare=False)
    # The project has no async code at all: no ``async def`` nor any other
    # code the table could change a finding in (model_evidence.py), and no
    # view of an async framework (adrf): the checks that need async code
    # (``Check.async_code_only``) are skipped.
    async_free: bool = False
    # The project's settings choose the signed-cookie session store, whose
    # data lives in the cookie: reading or saving a session does no I/O.
    session_without_io: bool = False
    # A module of the project imports django-ninja: an async function's
    # request may be an operation's, whose auth ran first
    # (checks/django_ninja.py, ``HelperRequestUse``).
    ninja_api: bool = False
    _digest: str | None = None
    # The installed modules the table was made from: module -> [path, content
    # digest], or None where the module was looked for and not found; None
    # when not known (a table not built from the project).  What a kept
    # result of the table must check is still there.
    installed: dict[str, list | None] | None = field(default=None, compare=False, repr=False)
    _single_relations: frozenset[str] | None = field(default=None, compare=False, repr=False)
    _labels: dict[tuple[str, str], str] | None = field(default=None, compare=False, repr=False)
    _file_fields: frozenset[str] | None = field(default=None, compare=False, repr=False)

    def single_relation_names(self) -> frozenset[str]:
        """The names of the single relations of every model the table knows
        (an attribute of an unknown value read by another name is no relation
        of an instance a function returned)."""
        if self._single_relations is None:
            self._single_relations = frozenset(name for entry in self.models.values() for name, relation in entry.get("relations", {}).items() if relation and relation[0] in SINGLE_RELATION_KINDS)
        return self._single_relations

    def canonical(self, qualified: str) -> str:
        return self.aliases.get(qualified, qualified)

    def model(self, qualified: str | None) -> dict | None:
        if not qualified:
            return None
        return self.models.get(self.canonical(qualified))

    def file_field_names(self) -> frozenset[str]:
        """The names of the file fields of every model the table knows."""
        if self._file_fields is None:
            self._file_fields = frozenset(name for entry in self.models.values() for name in entry.get("files", ()))
        return self._file_fields

    def model_by_label(self, label: str, name: str) -> str | None:
        """The qualified name of the model ``apps.get_model(label, name)``
        gives (Django matches the model name in any case), by its app's
        default label."""
        if self._labels is None:
            self._labels = {}
            for qualified in self.models:
                module, _, model = qualified.rpartition(".")
                self._labels.setdefault((app_label(module), model.lower()), qualified)
        return self._labels.get((label, name.lower()))

    def method_kind(self, cls: str | None, method: str) -> list | None:
        if cls is None:
            return None
        # Django's own managers' query methods are known without a table.
        return self.methods.get(cls, DJANGO_MANAGER_METHODS.get(cls, {})).get(method)

    def is_queryset_class(self, qualified: str) -> bool:
        qualified = self.canonical(qualified)
        return qualified in QUERYSET_CLASSES or (qualified in self.methods and not qualified.endswith("Manager"))

    def digest(self) -> str:
        if self._digest is None:
            blob = json.dumps(
                [
                    self.models,
                    self.methods,
                    self.aliases,
                    self.user_model,
                    sorted(self.request_classes),
                    sorted(self.plain_classes),
                    self.local_caches,
                    self.reexports,
                    self.user_set_by_project,
                    self.user_loaded_by_middleware,
                    sorted(self.model_serializers),
                    self.async_free,
                    self.session_without_io,
                    self.ninja_api,
                ],
                sort_keys=True,
            )
            self._digest = hashlib.blake2b(blob.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()
        return self._digest

    def __bool__(self) -> bool:
        return bool(self.models)

    def cache_is_local(self, alias: str | None) -> bool:
        """The cache of that alias (None: unknown) does no I/O."""
        local = self.local_caches
        return local is not None and (ALL_ALIASES in local or (alias is not None and alias in local))


EMPTY_TABLE = ModelTable()


# -- installed packages -------------------------------------------------------------------
def _project_folder(folder: str, root: str | None) -> bool:
    """Whether a folder on this interpreter's path holds the project's own
    code, not installed packages: the project root or a folder in it other
    than a virtualenv's ``site-packages`` (``python -m async_lint`` puts the
    working directory there).  Its modules are the project's, read as such;
    found there too, they would be read as a library's, and the results
    would depend on how the linter was started."""
    if not root:
        return False
    folder, root = os.path.realpath(folder), os.path.realpath(root)
    if folder != root and not folder.startswith(root.rstrip(os.sep) + os.sep):
        return False
    return os.path.basename(folder) not in ("site-packages", "dist-packages")


class InstalledSource:
    """Source files of installed packages, found on disk without importing them:
    the project's own virtualenvs first, then this interpreter's path."""

    def __init__(self, root: str | None):
        folders: list[str] = []
        if root:
            for venv in (".venv", "venv", "env", ".env"):
                folders.extend(sorted(glob.glob(os.path.join(root, venv, "lib", "python3*", "site-packages"))))
        folders.extend(p for p in sys.path if p and os.path.isdir(p) and not _project_folder(p, root))
        self.folders = list(dict.fromkeys(folders))
        self._found: dict[str, tuple[str, bool] | None] = {}

    def locate(self, module: str) -> tuple[str, bool] | None:
        """(path, is_package) of ``module``'s source, or None."""
        if module in self._found:
            return self._found[module]
        found = None
        parts = module.split(".")
        if all(part.isidentifier() for part in parts):
            for folder in self.folders:
                base = os.path.join(folder, *parts)
                if os.path.isfile(base + ".py"):
                    found = (base + ".py", False)
                    break
                if os.path.isfile(os.path.join(base, "__init__.py")):
                    found = (os.path.join(base, "__init__.py"), True)
                    break
        self._found[module] = found
        return found


# -- the join ------------------------------------------------------------------------------
class _Builder:
    def __init__(self, skeletons: dict[str, dict], external: Callable[[str], dict | None], project_modules: frozenset[str], module_aliases: dict[str, str] | None = None):
        self.skeletons = dict(skeletons)
        self.external = external
        self.project_modules = project_modules
        # Other names of project modules (a namespace package's ``app.models.order``
        # for the file named ``order``): the module's own name.
        self.module_aliases = module_aliases or {}
        self.external_loaded = 0
        self._model_memo: dict[str, bool] = {}
        self._kind_memo: dict[tuple[str, str], bool] = {}

    def skeleton(self, module: str) -> dict | None:
        module = self.module_aliases.get(module, module)
        found = self.skeletons.get(module)
        if found is None and module not in self.skeletons and self._may_read_installed(module):
            found = self.external(module)
            self.external_loaded += 1
            self.skeletons[module] = found  # type: ignore[assignment]
        return found

    def _may_read_installed(self, module: str) -> bool:
        """Installed modules are read where models live by convention (a
        ``models`` module or package, the contrib apps), never a project module."""
        if module in self.project_modules or self.external_loaded >= MAX_EXTERNAL_MODULES:
            return False
        return models_module(module)

    def resolve(self, qualified: str | None, depth: int = 0) -> tuple[str, dict] | None:
        """The class a qualified name is (following re-exports): (canonical name, class skeleton)."""
        if not qualified or depth > MAX_DEPTH or "." not in qualified:
            return None
        module, _, name = qualified.rpartition(".")
        module = self.module_aliases.get(module, module)
        skeleton = self.skeleton(module)
        if skeleton is not None:
            cls = skeleton["classes"].get(name)
            if cls is not None:
                return f"{module}.{name}", cls
            target = skeleton["imports"].get(name)
            if target is not None and target != qualified:
                return self.resolve(target, depth + 1)
            # ``from .order import *`` in a models package: the name may come from there.
            for star in skeleton.get("star_imports") or ():
                if star != module:
                    found = self.resolve(f"{star}.{name}", depth + 1)
                    if found is not None:
                        return found
        return None

    def load_reexported(self, module: str) -> None:
        """Load the installed modules an installed models module re-exports
        from (``from .order import Order``, ``from .order import *``), so that
        the models a package's submodules define are joined too."""
        skeleton = self.skeleton(module)
        # Django's own models packages (``django.db.models``) gather the
        # framework's classes, not models: its models are the contrib
        # modules, each read whole.
        if skeleton is None or module in self.project_modules or module.split(".")[0] == "django":
            return
        for target in skeleton["imports"].values():
            self.skeleton(target.rpartition(".")[0])
        for star in skeleton.get("star_imports") or ():
            self.skeleton(star)

    def _derives(self, qualified: str | None, roots: frozenset[str], depth: int = 0) -> bool:
        if not qualified or depth > MAX_DEPTH:
            return False
        if qualified in roots:
            return True
        key = (qualified, ",".join(sorted(roots)))
        if key in self._kind_memo:
            return self._kind_memo[key]
        self._kind_memo[key] = False  # guards cycles
        found = self.resolve(qualified)
        result = False
        if found is not None:
            canonical, cls = found
            if canonical in roots:
                result = True
            else:
                for base in cls["bases"]:
                    if isinstance(base, dict):
                        result = roots is MANAGER_CLASSES
                    else:
                        result = self._derives(base, roots, depth + 1)
                    if result:
                        break
        self._kind_memo[key] = result
        return result

    def is_model(self, qualified: str | None) -> bool:
        return self._derives(qualified, MODEL_BASES)

    def is_manager(self, qualified: str | None) -> bool:
        return self._derives(qualified, MANAGER_CLASSES)

    def is_queryset(self, qualified: str | None) -> bool:
        return self._derives(qualified, QUERYSET_CLASSES)

    def is_request(self, qualified: str | None) -> bool:
        return self._derives(qualified, REQUEST_CLASSES)

    def class_methods(self, qualified: str | None) -> dict[str, list]:
        """Method kinds of a project or installed QuerySet/manager class,
        inherited ones included; a method that calls others of the class
        (``return self.create_user(...)``) runs a query where one of them does."""
        out = self._class_methods(qualified, 0)
        calls = {name: kind[1] for name, kind in out.items() if kind[0] == "calls"}
        for name in calls:
            del out[name]
        for _round in range(4):  # chains of calls, a few deep
            found = {name: next((callee for callee in callees if out.get(callee, [None])[0] in ("evaluates", "django")), None) for name, callees in calls.items()}
            found = {name: callee for name, callee in found.items() if callee is not None}
            if not found:
                break
            for name, callee in found.items():
                out[name] = ["evaluates", out[callee][1] if out[callee][0] == "evaluates" else f".{callee}()"]
                del calls[name]
        return out

    def _class_methods(self, qualified: str | None, depth: int) -> dict[str, list]:
        if not qualified or depth > MAX_DEPTH:
            return {}
        if _is_django_class(qualified):
            return dict(DJANGO_MANAGER_METHODS.get(qualified, {}))
        found = self.resolve(qualified)
        if found is None:
            return {}
        canonical, cls = found
        if _is_django_class(canonical):
            return dict(DJANGO_MANAGER_METHODS.get(canonical, {}))
        out: dict[str, list] = {}
        for base in reversed(cls["bases"]):
            if isinstance(base, dict):
                out.update(self._class_methods(base.get("from_queryset"), depth + 1))
                out.update(self._class_methods(base.get("manager"), depth + 1))
            else:
                out.update(self._class_methods(base, depth + 1))
        for name in cls.get("defines", ()):
            if out.get(name, [None])[0] == "django":
                del out[name]  # the class's own method of that name, which runs no query
        out.update(cls["methods"])
        return out

    def manager_queryset(self, manager: str | None, depth: int = 0) -> str | None:
        """The QuerySet class whose methods a manager class proxies or returns."""
        if not manager or depth > MAX_DEPTH:
            return None
        found = self.resolve(manager)
        if found is None:
            return None
        _canonical, cls = found
        if cls.get("get_queryset") and self.is_queryset(cls["get_queryset"]):
            return self.canonical(cls["get_queryset"])
        for base in cls["bases"]:
            if isinstance(base, dict) and base.get("from_queryset"):
                return self.canonical(base["from_queryset"])
            if isinstance(base, str):
                inherited = self.manager_queryset(base, depth + 1)
                if inherited is not None:
                    return inherited
        return None

    def canonical(self, qualified: str) -> str:
        found = self.resolve(qualified)
        return found[0] if found is not None else qualified

    def manager_of(self, spec: dict) -> list | None:
        """[manager class, QuerySet class] of a class-level manager assignment, or None."""
        if "as_manager" in spec:
            queryset = spec["as_manager"]
            return [None, self.canonical(queryset) if queryset else None]
        if "from_queryset" in spec:
            queryset = spec["from_queryset"]
            manager = spec.get("manager")
            return [self.canonical(manager) if manager else None, self.canonical(queryset) if queryset else None]
        call = spec.get("call")
        if call and (self.is_manager(call) or (self.resolve(call) is None and call.rpartition(".")[2].endswith("Manager") and not call.startswith("builtins."))):
            canonical = self.canonical(call)
            return [canonical, self.manager_queryset(call)]
        return None

    def model_classes(self) -> Iterable[tuple[str, str, dict]]:
        for module, skeleton in list(self.skeletons.items()):
            if skeleton is None:
                continue
            for name, cls in skeleton["classes"].items():
                qualified = f"{module}.{name}"
                if self.is_model(qualified):
                    yield module, name, cls


def build_model_table(
    skeletons: dict[str, dict],
    external: Callable[[str], dict | None],
    extra_modules: Iterable[str] = (),
    project_modules: Iterable[str] = (),
    module_aliases: dict[str, str] | None = None,
) -> ModelTable:
    """Join module skeletons into the model table.  ``external(module)`` gives
    an installed module's skeleton (or None); ``extra_modules`` are installed
    modules whose models the project uses by import; ``project_modules`` are
    never looked for among the installed packages; ``module_aliases``: other
    names project modules are imported by (alias -> the module's name)."""
    module_aliases = {alias: module for alias, module in (module_aliases or {}).items() if alias not in skeletons}
    builder = _Builder(skeletons, external, frozenset(project_modules) | frozenset(skeletons) | frozenset(module_aliases), module_aliases)
    for module in (*CONTRIB_MODEL_MODULES, *extra_modules):
        builder.load_reexported(module)
    table = ModelTable()
    models = list(builder.model_classes())
    by_label: dict[tuple[str, str], str] = {}
    by_name: dict[str, list[str]] = {}
    for module, name, _cls in models:
        qualified = f"{module}.{name}"
        by_label.setdefault((app_label(module), name), qualified)
        by_name.setdefault(name, []).append(qualified)

    user_setting = next((s["auth_user_model"] for s in skeletons.values() if s and s.get("auth_user_model")), None)
    user_model = None
    if user_setting:
        label, _, name = user_setting.partition(".")
        user_model = by_label.get((label, name)) or (by_name.get(name, [None])[0] if len(by_name.get(name, [])) == 1 else None)
    table.user_model = user_model or ("django.contrib.auth.models.User" if "django.contrib.auth.models.User" in {f"{m}.{n}" for m, n, _ in models} else None)

    def target_of(reference: dict | None, module: str, name: str) -> str | None:
        if reference is None:
            return None
        if "setting" in reference:
            return table.user_model
        if "q" in reference:
            found = builder.resolve(reference["q"])
            return found[0] if found is not None and builder.is_model(found[0]) else None
        text = reference["str"]
        if text == "self":
            return f"{module}.{name}"
        label, _, model_name = text.rpartition(".")
        if label:
            found = by_label.get((label, model_name))
            if found is not None:
                return found
        else:
            same_module = f"{module}.{model_name}"
            if any(q == same_module for q in by_name.get(model_name, ())):
                return same_module
            found = by_label.get((app_label(module), model_name))
            if found is not None:
                return found
        candidates = by_name.get(model_name, [])
        return candidates[0] if len(candidates) == 1 else None

    def own_entry(module: str, name: str, cls: dict) -> dict:
        relations = {field_name: [rel["kind"], target_of(rel.get("to"), module, name), rel.get("related_name")] for field_name, rel in cls["relations"].items()}
        managers = {}
        for attr, spec in cls["managers"].items():
            manager = builder.manager_of(spec)
            if manager is not None:
                managers[attr] = manager
        entry = {"name": name, "module": module, "abstract": bool(cls["abstract"]), "relations": relations, "managers": managers}
        if cls.get("files"):
            entry["files"] = list(cls["files"])
        return entry

    entries = {f"{module}.{name}": own_entry(module, name, cls) for module, name, cls in models}

    # Inherited relations and managers, bases first (any module).
    def bases_of(qualified: str, depth: int = 0) -> list[str]:
        found = builder.resolve(qualified)
        out: list[str] = []
        if found is None or depth > MAX_DEPTH:
            return out
        for base in found[1]["bases"]:
            if isinstance(base, str):
                resolved = builder.resolve(base)
                if resolved is not None and resolved[0] in entries:
                    out.extend(bases_of(resolved[0], depth + 1))
                    out.append(resolved[0])
        return out

    def plain_methods(chain: list[str]) -> list[str]:
        """Django's relation-neutral methods no class of the model's chain
        overrides; none where a base is not a model the table knows (a
        mixin may define them)."""
        defined: set[str] = set()
        for qualified in chain:
            found = builder.resolve(qualified)
            if found is None:
                return []
            defined.update(found[1].get("defines", ()))
            for base in found[1]["bases"]:
                resolved = builder.resolve(base) if isinstance(base, str) else None
                if not (isinstance(base, str) and (base in MODEL_BASES or (resolved is not None and resolved[0] in entries))):
                    return []
        return [name for name in RELATION_NEUTRAL_METHODS if name not in defined]

    def derives_from_user(chain: list[str]) -> bool:
        """A class of the chain names one of Django's user bases."""
        for qualified in chain:
            found = builder.resolve(qualified)
            if found is not None and any(isinstance(base, str) and base in USER_BASES for base in found[1]["bases"]):
                return True
        return False

    merged: dict[str, dict] = {}
    for qualified, entry in entries.items():
        relations: dict[str, list] = {}
        managers: dict[str, list] = {}
        chain = bases_of(qualified)
        for base in chain:
            relations.update(entries[base]["relations"])
            managers.update(entries[base]["managers"])
        relations.update(entry["relations"])
        managers.update(entry["managers"])
        merged[qualified] = {**entry, "relations": relations, "managers": managers, "plain": plain_methods([*chain, qualified])}
        files = sorted({name for q in [*chain, qualified] for name in entries[q].get("files", ())})
        if files:
            merged[qualified]["files"] = files
        if derives_from_user([*chain, qualified]):
            merged[qualified]["user"] = True  # a user model: its password and permission methods

    # Reverse accessors, given by the concrete models' relations.
    for qualified, entry in merged.items():
        if entry["abstract"]:
            continue
        for relation_kind, target, related_name in list(entry["relations"].values()):
            if relation_kind not in ("fk", "o2o", "m2m") or target not in merged:
                continue
            if related_name is not None and related_name.endswith("+"):
                continue
            lower = entry["name"].lower()
            if related_name is not None:
                accessor = related_name.replace("%(class)s", lower).replace("%(app_label)s", app_label(entry["module"]).lower())
            else:
                accessor = lower if relation_kind == "o2o" else f"{lower}_set"
            reverse = {"fk": "reverse_fk", "o2o": "reverse_o2o", "m2m": "reverse_m2m"}[relation_kind]
            merged[target]["relations"].setdefault(accessor, [reverse, qualified, None])
    table.models = merged

    # Method kinds of every QuerySet/manager class a model's managers name.
    for entry in merged.values():
        for manager, queryset in entry["managers"].values():
            for cls in (manager, queryset):
                if cls and cls not in table.methods:
                    table.methods[cls] = builder.class_methods(cls)

    table.request_classes = frozenset(
        f"{module}.{name}"
        for module, skeleton in list(builder.skeletons.items())
        if skeleton is not None and module in builder.project_modules
        for name in skeleton["classes"]
        if builder.is_request(f"{module}.{name}")
    )

    # Re-exports: names the project imports a model by that are not where it is defined.
    for module, skeleton in list(builder.skeletons.items()):
        if skeleton is None:
            continue
        for local, target in skeleton["imports"].items():
            found = builder.resolve(target)
            if found is not None and found[0] in merged:
                table.aliases.setdefault(f"{module}.{local}", found[0])
                if target != found[0]:
                    table.aliases.setdefault(target, found[0])
        for star in skeleton.get("star_imports") or ():
            for qualified in merged:
                if qualified.rpartition(".")[0] == star:
                    table.aliases.setdefault(f"{module}.{qualified.rpartition('.')[2]}", qualified)
    plain = _plain_classes(builder, merged)
    serializers = _model_serializers(builder)
    # The classes of a module imported by another name, by that name too.
    if module_aliases:
        by_module: dict[str, list[str]] = {}
        for alias, module in module_aliases.items():
            by_module.setdefault(module, []).append(alias)
        for qualified in (*merged, *table.methods, *table.request_classes, *sorted(serializers)):
            module, _, name = qualified.rpartition(".")
            for alias in by_module.get(module, ()):
                table.aliases.setdefault(f"{alias}.{name}", qualified)
        plain |= {f"{alias}.{qualified.rpartition('.')[2]}" for qualified in list(plain) for alias in by_module.get(qualified.rpartition(".")[0], ())}
    table.plain_classes = frozenset(plain)
    table.model_serializers = frozenset(serializers)
    return table


def _model_serializers(builder: "_Builder") -> set[str]:
    """The classes of the project's skeletons that derive from a DRF (or
    adrf) model serializer, directly or through other such classes."""
    derived = {
        f"{module}.{name}": cls["bases"]
        for module, skeleton in list(builder.skeletons.items())
        if skeleton is not None and module in builder.project_modules
        for name, cls in skeleton["classes"].items()
    }
    return _grown(set(), derived, lambda bases, found: any(isinstance(base, str) and (base in DRF_MODEL_SERIALIZERS or base in found) for base in bases))


def _plain_classes(builder: "_Builder", models: dict) -> set[str]:
    """The classes of the project's ``models`` modules that are known to be
    no models: without bases, or deriving only from such classes (or
    ``object``, or another mapper's model base: ``DjangoCassandraModel``).
    A class with a base the table cannot read (an installed mixin) is not
    among them: it may be a model."""
    skeletons = [(module, skeleton) for module, skeleton in list(builder.skeletons.items()) if skeleton is not None and module in builder.project_modules and "models" in module.split(".")]
    plain = {f"{module}.{name}" for module, skeleton in skeletons for name in skeleton.get("plain", ())}
    derived = {f"{module}.{name}": cls["bases"] for module, skeleton in skeletons for name, cls in skeleton["classes"].items() if f"{module}.{name}" not in models}
    return _grown(plain, derived, lambda bases, found: bool(bases) and all(isinstance(base, str) and (base in found or base == "builtins.object" or base in NON_ORM_MODEL_BASES) for base in bases))


def _grown(found: set[str], derived: dict[str, list], joins: Callable[[list, set[str]], bool]) -> set[str]:
    """``found`` grown by each class of ``derived`` (qualified name -> its
    bases) whose bases ``joins`` accepts, given the classes found so far,
    until no more join (a class's bases may be found after it)."""
    changed = True
    while changed:
        changed = False
        for qualified, bases in derived.items():
            if qualified not in found and joins(bases, found):
                found.add(qualified)
                changed = True
    return found


def models_module(module: str) -> bool:
    """Whether an installed module is one the join may read: where models
    live by convention (a ``models`` module or package, the contrib apps)."""
    return module in CONTRIB_MODEL_MODULES or "models" in module.split(".") or module == "django.contrib.auth.base_user"


def models_imports(text: str) -> set[str]:
    """Modules a file imports whose path names ``models`` (where models live by convention)."""
    out = set()
    if "models" not in text:
        return out
    for match in lines_matching(_MODELS_IMPORT, "models", text):
        module = match.group(1) or match.group(2)
        if module and "models" in module.split(".") and not module.startswith("."):
            out.add(module)
    return out


def installed_skeleton_reader(root: str | None, build: Callable[[str, bytes, str, bool], dict | None] | None = None, read: dict[str, list | None] | None = None) -> Callable[[str], dict | None]:
    """An installed module's skeleton by its name, read once: every round of
    the project's join asks again for the modules it leaned on before.
    ``build(text, data, module, is_package)`` makes it from the file (e.g.
    through a cache).  ``read``: filled with each module looked for, as
    [path, content digest], or None where it was not found or not read."""
    source = InstalledSource(root)
    read_before: dict[str, dict | None] = {}

    def skeleton(module: str) -> dict | None:
        if module not in read_before:
            read_before[module] = _read_installed(source, module, build, read)
        return read_before[module]

    return skeleton


def _read_installed(source: InstalledSource, module: str, build: Callable[[str, bytes, str, bool], dict | None] | None, read: dict[str, list | None] | None = None) -> dict | None:
    found = source.locate(module)
    if read is not None:
        read[module] = None
    if found is None:
        return None
    path, is_package = found
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    if read is not None:
        from async_lint.cache import content_digest

        read[module] = [path, content_digest(data)]
    text = data.decode("utf-8", "replace")
    return build(text, data, module, is_package) if build is not None else build_skeleton(text, module, is_package)
