"""The project model table: what the model skeletons say a QuerySet or
manager method does, and the table joined from a sample project.

``_method_kind`` reads each method in one pass over its own nodes; the
straightforward reading below (``ast.walk`` for the bound names, every
child node in turn for the rest) is the reference it must always agree
with, on real code, on odd crafted methods and on generated programs."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import django
import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings

from async_lint.analysis import model_skeleton
from async_lint.analysis.model_skeleton import CLASS_WITH_BASES, _is_lazy_chain, _is_self_chain, _method_kind, build_skeleton, defines_class_with_bases, lines_matching
from async_lint.analysis.model_table import _MODELS_IMPORT, installed_skeleton_reader, models_imports
from async_lint.project import ModuleNamer
from async_lint.project_models import project_model_table
from tests.helpers import FIXTURES, lint_paths, make_settings

EXAMPLES = Path(__file__).parent.parent / "examples"
DJANGO = Path(django.__file__).parent
# Real code with many QuerySet and manager methods, and the project's own samples.
CORPUS = [FIXTURES, EXAMPLES, Path(__file__).parent / "data", DJANGO / "db" / "models", DJANGO / "contrib" / "auth", DJANGO / "contrib" / "contenttypes"]


# -- the reference reading -------------------------------------------------------------------
def _reference_own_nodes(function: ast.AST):
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def reference_method_kind(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, str | None]:
    if isinstance(function, ast.AsyncFunctionDef):
        return reference_async_method_kind(function)
    args = function.args.posonlyargs + function.args.args
    if not args or any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list):
        return "other", None
    for decorator in function.decorator_list:
        # ``@sync_to_async``, ``@database_sync_to_async(...)``: awaited, the body runs in a thread.
        named = decorator.func if isinstance(decorator, ast.Call) else decorator
        if getattr(named, "id", getattr(named, "attr", None)) in ("sync_to_async", "database_sync_to_async"):
            return "other", None
    self_names = {args[0].arg}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and _is_lazy_chain(node.value, self_names):
            self_names.add(node.targets[0].id)
    evaluating = model_skeleton.EVALUATING_METHODS | model_skeleton.RELATED_EVALUATING_METHODS
    for node in _reference_own_nodes(function):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in evaluating and _is_self_chain(func.value, self_names):
                return "evaluates", f".{func.attr}()"
            if isinstance(func, ast.Name) and func.id in model_skeleton._EVALUATING_BUILTINS and node.args and _is_self_chain(node.args[0], self_names):
                return "evaluates", f"{func.id}()"
        elif isinstance(node, (ast.For, ast.comprehension)) and not getattr(node, "is_async", 0) and _is_self_chain(node.iter, self_names):
            return "evaluates", "iteration"
    first = args[0].arg
    own = list(_reference_own_nodes(function))
    # A save() of an object made through self, or saved to the manager's database.
    made = {n.targets[0].id for n in own if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and _reference_made(n.value, first)}
    for node in own:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "save":
            receiver = node.func.value
            using = [k.value for k in node.keywords if k.arg == "using"]
            if (
                _reference_made(receiver, first)
                or (isinstance(receiver, ast.Name) and receiver.id in made)
                or any(isinstance(u, ast.Attribute) and u.attr in ("_db", "db") and isinstance(u.value, ast.Name) and u.value.id == first for u in using)
            ):
                return "evaluates", ".save()"
    returns = [n.value for n in own if isinstance(n, ast.Return)]
    if returns and all(value is not None and _is_lazy_chain(value, self_names) for value in returns):
        return "lazy", ("selects" if any(_reference_selects(value) for value in returns) else None)
    called = []
    for node in own:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id == first:
            name = node.func.attr
            if name not in evaluating and name not in model_skeleton.LAZY_METHODS and name not in ("save", "get_queryset"):
                called.append(name)
    if called:
        return "calls", list(dict.fromkeys(reversed(called)))
    return "other", None


def _reference_made(node: ast.AST, first: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id == first


def _reference_selects(value: ast.AST) -> bool:
    """A ``select_related``/``prefetch_related`` step of the chain itself (not in its arguments)."""
    while isinstance(value, (ast.Call, ast.Subscript)):
        if isinstance(value, ast.Subscript):
            value = value.value
            continue
        if not isinstance(value.func, ast.Attribute):
            return False
        if value.func.attr in ("select_related", "prefetch_related"):
            return True
        value = value.func.value
    return False


def reference_async_method_kind(function: ast.AsyncFunctionDef) -> tuple[str, str | None]:
    """Every return awaits the same method of a lazy chain on ``self`` that
    selects nothing (or returns None): ("awaits", that method)."""
    args = function.args.posonlyargs + function.args.args
    if not args or any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list):
        return "other", None
    awaited = set()
    for node in _reference_own_nodes(function):
        if not isinstance(node, ast.Return) or node.value is None or (isinstance(node.value, ast.Constant) and node.value.value is None):
            continue
        value = node.value
        if not (isinstance(value, ast.Await) and isinstance(value.value, ast.Call) and isinstance(value.value.func, ast.Attribute)):
            return "other", None
        chain = value.value.func.value
        if not _is_lazy_chain(chain, {args[0].arg}):
            return "other", None
        steps = []
        while isinstance(chain, (ast.Call, ast.Subscript)):
            if isinstance(chain, ast.Subscript):
                chain = chain.value
            elif isinstance(chain.func, ast.Attribute):
                steps.append(chain.func.attr)
                chain = chain.func.value
            else:
                break
        if "select_related" in steps or "prefetch_related" in steps:
            return "other", None
        awaited.add(value.value.func.attr)
    return ("awaits", awaited.pop()) if len(awaited) == 1 else ("other", None)


def functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def corpus_files() -> list[Path]:
    return sorted(path for folder in CORPUS for path in folder.rglob("*.py"))


def parsed(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return None


# -- method kinds ------------------------------------------------------------------------------
def test_method_kinds_agree_with_the_reference_on_real_code():
    checked = decided = 0
    for path in corpus_files():
        tree = parsed(path)
        for function in functions(tree) if tree is not None else ():
            expected = reference_method_kind(function)
            assert _method_kind(function) == expected, f"{path}:{function.lineno} {function.name}"
            checked += 1
            decided += expected[0] != "other"
    # The corpus has both kinds to agree on, not only "other".
    assert checked > 2000 and decided > 100, (checked, decided)


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(hypothesmith.from_grammar())
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
def test_method_kinds_agree_with_the_reference_on_generated_programs(code):
    tree = ast.parse(code)
    for function in functions(tree):
        assert _method_kind(function) == reference_method_kind(function)


CRAFTED = {
    # A local bound from a chain on self counts as self ...
    "def m(self):\n    qs = self.filter(a=1)\n    return qs": ("lazy", None),
    # ... when ast.walk reaches its binding first: here the binding is deeper than its use.
    "def m(self):\n    if x:\n        qs = self.filter()\n    other = qs.filter()\n    return other": ("other", None),
    "def m(self):\n    qs = self.filter()\n    if x:\n        other = qs.filter()\n    return other": ("lazy", None),
    # Two chains at the same depth: the first in the body binds before the second reads it.
    "def m(self):\n    qs = self.all()\n    other = qs.exclude(b=2)\n    return other": ("lazy", None),
    "def m(self):\n    other = qs.exclude(b=2)\n    qs = self.all()\n    return other": ("other", None),
    # A name bound in a nested function counts too (the whole function is walked) ...
    "def m(self):\n    def inner():\n        qs = self.all()\n    return qs": ("lazy", None),
    # ... but what a nested function or lambda does is not the method's own.
    "def m(self):\n    def inner():\n        return self.count()\n    return 1": ("other", None),
    "def m(self):\n    return lambda: self.count()": ("other", None),
    # Of two evaluations, the walk (last child first) decides which is named.
    "def m(self):\n    self.count()\n    return len(self)": ("evaluates", "len()"),
    "def m(self):\n    n = self.exists()\n    for row in self:\n        pass": ("evaluates", "iteration"),
    "def m(self):\n    return [row for row in self.filter(a=1)]": ("evaluates", "iteration"),
    "async def m(self):\n    return self.count()": ("other", None),
    "def m(self):\n    return [row async for row in self]": ("other", None),
    "def m(self):\n    return super().get_queryset().filter(a=1)": ("lazy", None),
    "def m(self):\n    return self.all()[:5]": ("lazy", None),
    "def m(self):\n    return self.all()[::2]": ("other", None),
    "def m(self):\n    return list(self.filter(a=1))": ("evaluates", "list()"),
    "def m(self):\n    if x:\n        return self.filter()\n    return None": ("other", None),
    "def m(self):\n    return": ("other", None),
    "@staticmethod\ndef m(qs):\n    return qs.count()": ("other", None),
    "def m(*args):\n    return args.count()": ("other", None),
    "def m(this, /):\n    return this.filter().first()": ("evaluates", ".first()"),
    "def m(self, limit=self.count()):\n    return 1": ("evaluates", ".count()"),
    "def m(self):\n    self = self.all()\n    x = self.filter()\n    return x": ("lazy", None),
    # What a chain selects or prefetches is not kept: that it does is.
    "def m(self):\n    return self.select_related('video', 'voice')": ("lazy", "selects"),
    "def m(self):\n    return self.filter(a=1).prefetch_related('tags')[:5]": ("lazy", "selects"),
    "def m(self):\n    return self.filter(tags__in=Prefetch('tags', queryset=Tag.objects.select_related('a')))": ("lazy", None),
}


@pytest.mark.parametrize("source", sorted(CRAFTED))
def test_crafted_method_kinds(source):
    function = ast.parse(source).body[0]
    assert reference_method_kind(function) == CRAFTED[source]
    assert _method_kind(function) == CRAFTED[source]


def test_skeleton_of_a_queryset_and_manager_module():
    text = (FIXTURES / "dja2_semantic_model" / "blog" / "querysets.py").read_text(encoding="utf-8")
    skeleton = build_skeleton(text, "blog.querysets", False)
    classes = skeleton["classes"]
    assert classes["PostQuerySet"]["methods"] == {"visible": ["lazy", None], "total_words": ["evaluates", ".aggregate()"], "newest": ["lazy", None]}
    assert classes["PublishedManager"]["methods"] == {"headline": ["evaluates", ".first()"]}
    assert classes["PublishedManager"]["get_queryset"] == "blog.querysets.PostQuerySet"


# -- the line searches -------------------------------------------------------------------------
ODD_TEXTS = [
    "",
    "class A(B): pass",
    "x = 1\n  class A (B):\n",
    "'''\nclass A(B):\n'''\n",
    "s = 'class A(B)'\nclass C:\n    pass\n",
    "classy = 1\nclass\tA\t(object):\r\n    pass\r\n",
    "from app.models import A\nimport models\nfrom .models import B\nimport x.models.y, z.models\n",
    "from app.models\\\n  import A\nx = 'models'; from b.models import C\n  from c.models import D  # models\n",
    "from app.modelsx import A\nfrom app.models.sub import B\r\nimport app.models",
    "# models\nfrom models import A models",
]


def line_of(text: str, at: int) -> str:
    end = text.find("\n", at)
    return text[text.rfind("\n", 0, at) + 1 : len(text) if end == -1 else end]


def test_line_searches_find_what_the_whole_text_search_finds():
    texts = ODD_TEXTS + [path.read_bytes().decode("utf-8", "replace") for path in corpus_files()]
    for text in texts:
        assert defines_class_with_bases(text) == bool(CLASS_WITH_BASES.search(text)), text[:200]
        everywhere = [m.span() for m in _MODELS_IMPORT.finditer(text) if "models" in line_of(text, m.start())]
        assert [m.span() for m in lines_matching(_MODELS_IMPORT, "models", text)] == everywhere, text[:200]
    assert models_imports(ODD_TEXTS[6]) == {"app.models", "models", "x.models.y"}
    assert models_imports(ODD_TEXTS[7]) == {"c.models"}
    assert models_imports(ODD_TEXTS[8]) == {"app.models.sub", "app.models"}


# -- the joined table --------------------------------------------------------------------------
def table_of(root: Path):
    root_path = os.path.abspath(root)
    return project_model_table(root_path, make_settings(), ModuleNamer(root_path))


def test_table_of_a_project_with_custom_managers_and_querysets():
    table = table_of(FIXTURES / "dja2_semantic_model")
    post = table.models["core.entities.Post"]
    assert post["managers"] == {
        # inherited from an abstract base in another module
        "drafts": [None, "blog.querysets.PostQuerySet"],
        # a manager whose get_queryset returns the QuerySet
        "published": ["blog.querysets.PublishedManager", "blog.querysets.PostQuerySet"],
        "live": [None, "blog.querysets.PostQuerySet"],
        "archive": ["django.db.models.manager.Manager", "blog.querysets.PostQuerySet"],
    }
    assert post["relations"] == {
        "created_by": ["fk", "django.contrib.auth.models.User", "%(class)s_created"],
        "tags": ["m2m", "core.entities.Tag", "posts"],
        "author": ["fk", "accounts.models.Member", None],
        "reviewers": ["m2m", "accounts.models.Member", "+"],
    }
    assert table.models["core.entities.Tag"]["relations"] == {"posts": ["reverse_m2m", "core.entities.Post", None]}
    assert table.models["core.base.Publishable"]["abstract"] and table.models["core.base.Stamped"]["abstract"]
    assert "core.entities.Event" not in table.models
    # The custom user model gets the reverse accessors of the relations to it (a related_name of "+" gives none).
    assert table.user_model == "accounts.models.Member"
    assert table.models["accounts.models.Member"]["relations"]["post_set"] == ["reverse_fk", "core.entities.Post", None]
    assert table.methods["blog.querysets.PostQuerySet"] == {"visible": ["lazy", None], "total_words": ["evaluates", ".aggregate()"], "newest": ["lazy", None]}
    assert table.methods["blog.querysets.PublishedManager"] == {"headline": ["evaluates", ".first()"]}
    # Installed managers' methods are read from their source.
    assert table.methods["django.contrib.auth.models.GroupManager"] == {"get_by_natural_key": ["evaluates", ".get()"], "aget_by_natural_key": ["awaits", "aget"]}
    assert table.aliases["core.entities.Publishable"] == "core.base.Publishable"
    assert table.request_classes == frozenset({"core.http.TenantRequest"})


def test_table_of_the_example_project():
    table = table_of(EXAMPLES)
    project = {name: entry for name, entry in table.models.items() if name.startswith("shop.")}
    assert sorted(project) == ["shop.models.Category", "shop.models.Order", "shop.models.Product", "shop.models.Tag", "shop.models.TimeStamped"]
    assert project["shop.models.TimeStamped"]["abstract"]
    assert project["shop.models.Product"]["relations"] == {
        "category": ["fk", "shop.models.Category", "products"],
        "tags": ["m2m", "shop.models.Tag", None],
        "order_set": ["reverse_fk", "shop.models.Order", None],
    }
    assert project["shop.models.Order"]["relations"]["customer"] == ["fk", "django.contrib.auth.models.User", None]


def test_models_found_round_by_round_through_files_with_no_first_hint(tmp_path):
    """Each round looks for files naming a class found so far: a chain of
    subclasses, one per file, none of which says "models", is found to its end;
    a name with a character that is not a word character (``·``) too."""
    files = {
        "pyproject.toml": "[tool.async-lint]\n",
        "shop/__init__.py": "",
        "shop/things.py": "from django.db import models\n\nclass Base(models.Model):\n    pass\n",
        # The line of Mid·dle is no "class with bases" to the first filter: Helper's line makes the file one.
        "shop/a.py": "from .things import Base\n\nclass Mid\u00b7dle(Base):\n    pass\n\nclass Helper(object):\n    pass\n",
        "shop/b.py": "from .a import Mid\u00b7dle\n\nclass Leaf(Mid\u00b7dle):\n    pass\n",
        "shop/c.py": "from .b import Leaf\n\nclass Deepest(Leaf):\n    pass\n",
        "shop/d.py": "from .c import Deepest\n\nclass Plain(object):\n    x = Deepest\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    table = table_of(tmp_path)
    assert sorted(name for name in table.models if name.startswith("shop.")) == ["shop.a.Mid\u00b7dle", "shop.b.Leaf", "shop.c.Deepest", "shop.things.Base"]
    assert table.aliases["shop.d.Deepest"] == "shop.c.Deepest"
    assert table.aliases["shop.b.Mid\u00b7dle"] == "shop.a.Mid\u00b7dle"


def test_an_installed_module_is_read_once_per_run():
    read = installed_skeleton_reader(None)
    first = read("django.db.models.query")
    assert first is not None and "QuerySet" in first["classes"]
    assert read("django.db.models.query") is first
    assert read("no_such_package.models") is None


def test_a_root_given_as_a_relative_path_gives_the_same_table(monkeypatch):
    monkeypatch.chdir(EXAMPLES.parent)
    relative = project_model_table(EXAMPLES.name, make_settings(), ModuleNamer(EXAMPLES.name))
    assert relative.models and relative.models == table_of(EXAMPLES).models


@pytest.mark.parametrize("root", [FIXTURES, EXAMPLES], ids=["fixtures", "examples"])
def test_skeletons_built_by_worker_processes_make_the_same_table(root, monkeypatch, tmp_path):
    """Many skeletons to build are built by worker processes, in batches;
    the table is the one a single process builds, with and without a cache
    (which then serves the next run the same skeletons)."""
    from async_lint import project_models
    from async_lint.cache import ResultCache

    root_path = os.path.abspath(root)
    alone = project_model_table(root_path, make_settings(jobs=2), ModuleNamer(root_path), processes=False)
    assert alone.models
    monkeypatch.setattr(project_models, "PARALLEL_SKELETONS", 2)
    monkeypatch.setattr(project_models, "SKELETON_BATCH", 1)
    builders = tmp_path / "builders"
    real_build = project_models._build_one

    def build_and_say_where(item, settings=None):
        with open(builders, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real_build(item, settings)

    monkeypatch.setattr(project_models, "_build_one", build_and_say_where)
    cache = ResultCache(str(tmp_path / "cache"))
    for run in range(2):
        project_models.forget_made_skeletons()  # as in a new process: none made by the builds above
        table = project_model_table(root_path, make_settings(jobs=2), ModuleNamer(root_path), cache)
        assert (table.models, table.methods, table.aliases, table.user_model, table.request_classes) == (alone.models, alone.methods, alone.aliases, alone.user_model, alone.request_classes)
        pids = builders.read_text().split() if builders.exists() else []
        if run == 0:
            # Built in other processes, in batches.
            assert len(pids) >= 2 and str(os.getpid()) not in pids
            first_run = pids
        else:
            # The cache served every skeleton.
            assert pids == first_run


def cache_keys(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file()]


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _kept_tables(project, cache_dir, monkeypatch):
    """(the builds of the last call, table(cached=True)): the project's
    model table through a cache in ``cache_dir``, counting the builds."""
    from async_lint import project_models
    from async_lint.analysis import model_table
    from async_lint.cache import ResultCache

    builds: list[int] = []
    real_build = model_table.build_model_table

    def counting(*args, **kwargs):
        builds.append(1)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(project_models, "build_model_table", counting)
    cache = ResultCache(str(cache_dir))

    def table(cached: bool = True):
        builds.clear()
        return project_model_table(str(project), make_settings(), ModuleNamer(str(project)), cache if cached else None)

    return builds, table


def _same_table(a, b) -> bool:
    return (a.models, a.methods, a.aliases, a.user_model, a.request_classes) == (b.models, b.methods, b.aliases, b.user_model, b.request_classes)


def test_a_kept_table_serves_the_same_files_and_nothing_else(tmp_path, monkeypatch):
    """The whole table is kept in the cache: a run over the same files
    builds nothing; a changed model file, a changed or newly installed
    module the table read, another package layout each give the table a
    fresh build makes."""
    project = tmp_path / "project"
    site = project / ".venv" / "lib" / "python3.11" / "site-packages"
    _write_tree(
        project,
        {
            "pyproject.toml": "",
            "shop/__init__.py": "",
            "shop/models.py": "from django.db import models\nfrom vendorapp.models import Widget\n\nclass Order(models.Model):\n    widget = models.ForeignKey(Widget, on_delete=models.CASCADE)\n",
        },
    )
    _write_tree(site, {"vendorapp/__init__.py": "", "vendorapp/models.py": "from django.db import models\n\nclass Widget(models.Model):\n    pass\n"})
    builds, table = _kept_tables(project, tmp_path / "cache", monkeypatch)

    first = table()
    assert builds and "vendorapp.models.Widget" in first.models and "shop.models.Order" in first.models
    kept = table()
    assert builds == [] and _same_table(kept, first) and kept.digest() == first.digest()
    # A project file changed: built again, as without a cache.
    (project / "shop" / "models.py").write_text((project / "shop" / "models.py").read_text() + "\nclass Refund(models.Model):\n    pass\n")
    changed = table()
    assert builds and "shop.models.Refund" in changed.models and _same_table(changed, table(cached=False))
    # The installed module the table read changed.
    (site / "vendorapp" / "models.py").write_text("from django.db import models\n\nclass Widget(models.Model):\n    pass\n\nclass Gadget(Widget):\n    pass\n")
    vendor_changed = table()
    assert builds and "vendorapp.models.Gadget" in vendor_changed.models
    assert table() and builds == []
    # A module the table looked for and did not find is installed.
    (project / "shop" / "models.py").write_text((project / "shop" / "models.py").read_text() + "\nfrom payments.models import Charge\n")
    before_install = table()
    assert builds and not any(name.startswith("payments.") for name in before_install.models)
    _write_tree(site, {"payments/__init__.py": "", "payments/models.py": "from django.db import models\n\nclass Charge(models.Model):\n    pass\n"})
    installed = table()
    assert builds and "payments.models.Charge" in installed.models
    # Another package layout: the table a fresh build makes.
    (project / "shop" / "__init__.py").unlink()
    assert _same_table(table(), table(cached=False))


VENDOR_ORDER = (
    "from django.db import models\n\n\nclass PendingQuerySet(models.QuerySet):\n    def pending(self):\n        return self.filter(paid=False)\n\n\n"
    "class Order(models.Model):\n    paid = models.BooleanField(default=False)\n    shipping = PendingQuerySet.as_manager()\n"
)


def _vendored_views(tmp_path, installed: dict[str, str]):
    """A project of async views over an app installed in its virtualenv."""
    project = tmp_path / "project"
    _write_tree(
        project,
        {
            "pyproject.toml": "",
            "api/__init__.py": "",
            "api/views.py": "from vendorshop.models import Order\n\n\nasync def pending_count(request):\n    return Order.shipping.count()\n",
        },
    )
    _write_tree(project / ".venv" / "lib" / "python3.11" / "site-packages", installed)
    return project


def _pending_count_findings(project) -> list[tuple[int, str]]:
    from async_lint.engine import run

    return [(f.line, f.code) for f in run([str(project)], make_settings(root=str(project))).findings]


def test_installed_apps_models_count_in_a_project_that_declares_none(tmp_path):
    """A project whose own modules declare no model (views over a shared
    app installed in its virtualenv) still has that app's models, managers
    and QuerySets in its table, and its async views are checked by them."""
    project = _vendored_views(tmp_path, {"vendorshop/__init__.py": "", "vendorshop/models.py": VENDOR_ORDER})
    table = project_model_table(str(project), make_settings(), ModuleNamer(str(project)))
    assert table.models["vendorshop.models.Order"]["managers"]["shipping"][1] == "vendorshop.models.PendingQuerySet"
    assert _pending_count_findings(project) == [(5, "DJA201")]


def test_a_table_is_kept_while_the_skeletons_it_is_made_of_stay(tmp_path, monkeypatch):
    """An edit that changes no skeleton the table is made of (a method's
    body, a comment: most commits) keeps the table; one that changes a
    skeleton, or which files a round picks, builds it again."""
    project = tmp_path / "project"
    _write_tree(
        project,
        {
            "pyproject.toml": "",
            "shop/__init__.py": "",
            "shop/querysets.py": "from django.db import models\n\n\nclass OrderQuerySet(models.QuerySet):\n    def paid(self):\n        return self.filter(paid=True)\n",
            "shop/models.py": (
                "from django.db import models\n\nfrom shop.querysets import OrderQuerySet\n\n\n"
                "class Order(models.Model):\n    paid = models.BooleanField()\n    objects = OrderQuerySet.as_manager()\n\n    def total(self):\n        return 1\n"
            ),
            "shop/reports.py": "class Report(Base):\n    def title(self):\n        return 'monthly'\n",
        },
    )
    builds, table = _kept_tables(project, tmp_path / "cache", monkeypatch)

    def edit(name: str, old: str, new: str) -> None:
        path = project / "shop" / name
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new))

    first = table()
    assert builds and first.models["shop.models.Order"]["managers"]["objects"][1].endswith(".OrderQuerySet")
    # A method's body and a comment: the same skeletons, the same picks.
    edit("models.py", "return 1", "return 2")
    edit("querysets.py", "class OrderQuerySet", "# paid orders first\nclass OrderQuerySet")
    kept = table()
    assert builds == [] and _same_table(kept, first) and _same_table(kept, table(cached=False))
    assert table() and builds == []  # and now kept under the new contents too
    # A file that declares a class now names a model: a later round picks it.
    edit("reports.py", "return 'monthly'", "return 'Order'")
    picked = table()
    assert builds and _same_table(picked, table(cached=False))
    # A skeleton changed: the manager is gone.
    edit("models.py", "    objects = OrderQuerySet.as_manager()\n", "")
    changed = table()
    assert builds and "objects" not in changed.models["shop.models.Order"]["managers"] and _same_table(changed, table(cached=False))


@pytest.mark.parametrize("reexport", ["from .order import Order, PendingQuerySet\n", "from .order import *\n"])
def test_an_installed_models_package_is_read_through_its_reexports(tmp_path, reexport):
    """An installed app whose models live in a package's submodules
    (``models/__init__.py``: ``from .order import ...`` or ``import *``)
    has them in the table under both names, managers included."""
    project = _vendored_views(tmp_path, {"vendorshop/__init__.py": "", "vendorshop/models/__init__.py": reexport, "vendorshop/models/order.py": VENDOR_ORDER})
    table = project_model_table(str(project), make_settings(), ModuleNamer(str(project)))
    assert table.canonical("vendorshop.models.Order") == "vendorshop.models.order.Order"
    assert table.model("vendorshop.models.Order")["managers"]["shipping"][1] == "vendorshop.models.order.PendingQuerySet"
    assert _pending_count_findings(project) == [(5, "DJA201")]


@pytest.mark.parametrize("reexport", ["from .order import Order, PendingQuerySet\n", "from .order import *\n"])
def test_a_project_models_package_is_read_through_its_reexports(tmp_path, reexport):
    """The same layout in the project: ``shop/models/__init__.py`` holds
    only the re-export (no class of its own), the models are in a submodule;
    the views import them from the package."""
    project = tmp_path / "project"
    _write_tree(
        project,
        {
            "pyproject.toml": "",
            "shop/__init__.py": "",
            "shop/models/__init__.py": reexport,
            "shop/models/order.py": VENDOR_ORDER,
            "api/__init__.py": "",
            "api/views.py": "from shop.models import Order\n\n\nasync def pending_count(request):\n    return Order.shipping.count()\n",
        },
    )
    table = project_model_table(str(project), make_settings(), ModuleNamer(str(project)))
    assert table.canonical("shop.models.Order") == "shop.models.order.Order"
    assert table.model("shop.models.Order")["managers"]["shipping"][1] == "shop.models.order.PendingQuerySet"
    assert _pending_count_findings(project) == [(5, "DJA201")]


NAMESPACE_TREE = {
    "manage.py": "",
    "warehouse/__init__.py": "",
    # No __init__.py in models/ nor views/: namespace packages (PEP 420).
    "warehouse/models/container.py": "from django.db import models\n\n\nclass Container(models.Model):\n    number = models.CharField(max_length=20)\n",
    "warehouse/models/packing_list.py": (
        "from django.db import models\n\nfrom .container import Container\n\n\nclass PackingList(models.Model):\n    container = models.ForeignKey(Container, null=True, on_delete=models.CASCADE)\n"
    ),
    "warehouse/views/handling.py": (
        "from warehouse.models.packing_list import PackingList\n\n\n"
        "async def handle(request):\n"
        "    async for packing in PackingList.objects.filter(container__number='x'):\n"
        "        print(packing.container.number)\n"
    ),
}


def test_models_of_a_namespace_package_are_known_by_their_full_dotted_name(tmp_path):
    """``warehouse/models/`` without ``__init__.py`` inside the package
    ``warehouse``: its file is the module ``warehouse.models.packing_list``
    (a namespace package of it), the name the views import it by, and also
    ``packing_list`` (its folder on ``sys.path``).  The model and its
    relation are known by both names."""
    project = tmp_path / "project"
    _write_tree(project, NAMESPACE_TREE)
    files = [str(project / name) for name in NAMESPACE_TREE]
    table = project_model_table(str(project), make_settings(), ModuleNamer(str(project)), targets=files)
    assert table.canonical("warehouse.models.packing_list.PackingList") == "warehouse.models.packing_list.PackingList"
    assert table.canonical("packing_list.PackingList") == "warehouse.models.packing_list.PackingList"
    assert table.model("warehouse.models.packing_list.PackingList")["relations"]["container"][1] == "warehouse.models.container.Container"
    found = [(f.line, f.code) for f in lint_paths([project])]
    assert found == [(6, "DJA204")]


def test_the_project_on_the_interpreters_path_changes_nothing(tmp_path, monkeypatch):
    """``python -m async_lint`` puts the working directory (the project) on
    ``sys.path``: its modules must not be read as installed packages, or the
    findings depend on how the linter was started.  A virtualenv's
    ``site-packages`` inside the project still counts."""
    from async_lint.analysis.model_table import InstalledSource

    project = tmp_path / "project"
    _write_tree(project, NAMESPACE_TREE)
    site = project / ".venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    expected = [(f.path, f.line, f.code) for f in lint_paths([project])]
    monkeypatch.setattr(sys, "path", [str(project), str(project / "warehouse"), str(site), *sys.path])
    folders = InstalledSource(str(project)).folders
    assert str(project) not in folders and str(project / "warehouse") not in folders
    assert str(site) in folders
    assert [(f.path, f.line, f.code) for f in lint_paths([project])] == expected


def _count_taken(monkeypatch) -> list[str]:
    """The installed modules whose skeleton the join took from the first
    round's workers (``_InstalledAhead.take``), in the order taken."""
    from async_lint import project_models

    taken: list[str] = []
    real_take = project_models._InstalledAhead.take

    def counting(self, data, module, is_package):
        found = real_take(self, data, module, is_package)
        if found is not None:
            taken.append(module)
        return found

    monkeypatch.setattr(project_models._InstalledAhead, "take", counting)
    return taken


@pytest.mark.parametrize("root", [FIXTURES, EXAMPLES], ids=["fixtures", "examples"])
def test_installed_modules_built_ahead_make_the_same_table(root, monkeypatch):
    """The workers of the first round also build the installed modules the
    join will likely read (Django's models package); the join still asks
    for each and takes a skeleton so built for the file it reads.  The
    table and the installed modules it records are those of a build in one
    process, which reads each installed module when asked."""
    from async_lint import project_models

    root_path = os.path.abspath(root)
    alone = project_model_table(root_path, make_settings(jobs=2), ModuleNamer(root_path), processes=False)
    monkeypatch.setattr(project_models, "PARALLEL_SKELETONS", 2)
    taken = _count_taken(monkeypatch)
    project_models.forget_made_skeletons()  # as in a new process: none made by the build above
    table = project_model_table(root_path, make_settings(jobs=2), ModuleNamer(root_path))
    assert _same_table(table, alone) and table.installed == alone.installed
    # Built ahead, not read one by one here: the model base and the contrib apps.
    assert {"django.db.models.base", "django.contrib.auth.models"} <= set(taken), taken
    assert set(taken) <= {module for module, read in alone.installed.items() if read is not None}


def test_an_installed_package_is_built_ahead_through_its_relative_imports(tmp_path, monkeypatch):
    """``from .order import *`` in an installed models package: the guess
    follows it, and the table equals one built without the guess."""
    from async_lint import project_models

    project = _vendored_views(tmp_path, {"vendorshop/__init__.py": "", "vendorshop/models/__init__.py": "from .order import *\n", "vendorshop/models/order.py": VENDOR_ORDER})
    for index in range(3):
        _write_tree(project, {f"shop{index}/__init__.py": "", f"shop{index}/models.py": "from django.db import models\n\n\nclass Thing(models.Model):\n    pass\n"})
    alone = project_model_table(str(project), make_settings(jobs=2), ModuleNamer(str(project)), processes=False)
    monkeypatch.setattr(project_models, "PARALLEL_SKELETONS", 2)
    taken = _count_taken(monkeypatch)
    project_models.forget_made_skeletons()  # as in a new process: none made by the build above
    table = project_model_table(str(project), make_settings(jobs=2), ModuleNamer(str(project)))
    assert _same_table(table, alone) and table.installed == alone.installed
    assert {"vendorshop.models", "vendorshop.models.order"} <= set(taken)
    assert table.model("vendorshop.models.Order")["managers"]["shipping"][1] == "vendorshop.models.order.PendingQuerySet"


def test_a_skeleton_built_ahead_serves_only_the_text_it_was_built_from(tmp_path):
    from async_lint.project_models import _InstalledAhead

    ahead = _InstalledAhead(str(tmp_path), [], set(), None)
    ahead.files["/x/models.py"] = ("class A(B): pass\n", "x.models", False, b"class A(B): pass\n")
    ahead.path_of["x.models"] = "/x/models.py"
    ahead.built["/x/models.py"] = {"classes": {"A": {}}}
    assert ahead.take(b"class A(C): pass\n", "x.models", False) is None  # the file changed since
    assert ahead.take(b"class A(B): pass\n", "x.models", True) is None
    assert ahead.take(b"class A(B): pass\n", "x.models", False) == ({"classes": {"A": {}}},)
    assert ahead.take(b"class A(B): pass\n", "x.models", False) is None  # taken once: the reader keeps it
