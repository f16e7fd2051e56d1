"""DJA2xx details the fixtures do not show: version-aware suggestions, the
opt-out fact, model facts for the project index, ops in sync functions."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

import libcst as cst

from async_lint.analysis.context import FileContext
from async_lint.checks.django_orm import SyncOrmCheck
from async_lint.file_analysis import analyze_source
from async_lint.source import decode_source
from async_lint.traversal import FileTraversal
from tests.helpers import lint_text, make_settings

SAVE = """
from shop.models import Product

async def rename(request, pk):
    product = await Product.objects.aget(pk=pk)
    product.save()
    product.tags.all()
"""


def _messages(src: str, version):
    return [f.message for f in lint_text(src, select=["DJA2"], django_version=version)]


def test_suggests_the_twin_only_where_the_target_version_has_it():
    assert "await product.asave()" in _messages(SAVE, (4, 2))[0]
    old = _messages(SAVE, (4, 1))[0]
    assert "sync_to_async(product.save)" in old and "needs Django 4.2" in old
    assert "asave" in _messages(SAVE, None)[0]


LOGIN_REQUIRED_VIEW = """
from django.contrib.auth.decorators import login_required

@login_required
async def account(request):
    request.session["seen"] = True
"""


def test_login_required_loads_the_session_of_an_async_view_from_django_5_1():
    """Django 5.1 made ``user_passes_test`` await ``request.auser()`` before
    an async view; before it the decorator did not support async views."""
    found = {version: [f.line for f in lint_text(LOGIN_REQUIRED_VIEW, select=["DJA205"], django_version=version)] for version in ((5, 0), (5, 1), None)}
    assert found == {(5, 0): [6], (5, 1): [], None: []}


def test_related_manager_twins_follow_patch_releases():
    src = """
    from django.contrib.auth.models import User

    async def join(request, username):
        user = await User.objects.aget(username=username)
        user.groups.create(name="x")
        user.groups.add(1)
    """
    at_41, add_41 = _messages(src, (4, 1))
    assert "needs Django 4.1.4" in at_41 and "needs Django 4.2" in add_41
    at_42, add_42 = _messages(src, (4, 2))
    assert "user.groups.acreate" in at_42 and "user.groups.aadd" in add_42


def _analyze(src: str):
    src = textwrap.dedent(src)
    return analyze_source("m.py", decode_source("m.py", src.encode()), make_settings(select=["DJA2"]), module_name="shop.views")


def test_opt_out_silences_the_file_and_records_a_fact():
    result = _analyze(
        """
        import os
        from shop.models import Product
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"

        async def view(request):
            return Product.objects.count()
        """
    )
    assert result.findings == []
    assert [f["kind"] for f in result.facts] == ["django_async_unsafe_opt_out"]


@pytest.mark.parametrize(
    "setting",
    [
        'os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = ""',
        'os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "")',
        'os.environ.update(DJANGO_ALLOW_ASYNC_UNSAFE="")',
        'PATCH = {"DJANGO_ALLOW_ASYNC_UNSAFE": ""}',
    ],
)
def test_an_empty_value_is_not_an_opt_out(setting):
    """Django's guard reads ``if not os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")``:
    an empty value keeps it on (django/utils/asyncio.py)."""
    from async_lint.project import sets_allow_async_unsafe

    assert not sets_allow_async_unsafe(f"import os\n{setting}\n")
    switched_off = setting.replace('""', '"false"')
    assert sets_allow_async_unsafe(f"import os\n{switched_off}\n")


def test_mentioning_the_variable_is_not_an_opt_out():
    found = lint_text(
        """
        from shop.models import Product
        NOTE = "never set DJANGO_ALLOW_ASYNC_UNSAFE in production"

        async def view(request):
            return Product.objects.count()
        """,
        select=["DJA2"],
    )
    assert [f.code for f in found] == ["DJA201"]


@pytest.mark.parametrize(
    "settings_text,scope",
    [
        ('import os, sys\nif "test" in sys.argv:\n    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")\n', "tests"),
        ('import os\nTESTING = True\nif TESTING and os.name:\n    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"\n', "tests"),
        ('import os\nTESTING = False\nif not TESTING:\n    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"\n', "all"),
        ('import os, sys\nif "test" in sys.argv:\n    pass\nelse:\n    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"\n', "all"),
        ('import os, sys\nos.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"\nif "test" in sys.argv:\n    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"\n', "all"),
        ('import os\nos.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"\n', "all"),
    ],
    ids=["argv", "flag", "negated", "else-branch", "also-unguarded", "plain"],
)
def test_settings_that_set_the_variable_for_a_test_run_only(settings_text: str, scope: str) -> None:
    from async_lint.project import opts_out_for

    assert opts_out_for("proj/settings.py", settings_text) == scope
    assert opts_out_for("proj/settings/local.py", settings_text) is None


# A project with sync ORM calls in served async code and in an async test.
CHATS_PROJECT = {
    "shop/__init__.py": "",
    "shop/models.py": "from django.db import models\n\n\nclass Chat(models.Model):\n    title = models.CharField(max_length=50)\n",
    "shop/consumers.py": "from shop.models import Chat\n\n\nasync def open_chat(pk):\n    return Chat.objects.get(pk=pk)\n",
    "tests/__init__.py": "",
    "tests/test_chats.py": "from shop.models import Chat\n\n\nasync def test_open_chat():\n    assert Chat.objects.get(pk=1)\n",
}


def _orm_findings(root: Path) -> list[tuple[str, str]]:
    from tests.helpers import lint_paths

    return [(Path(f.path).relative_to(root).as_posix(), f.code) for f in lint_paths([root], select=["DJA2"])]


def test_a_test_run_opt_out_in_the_settings_holds_for_the_tests_only(tmp_path) -> None:
    """Settings that set the variable under ``if RUNNING_TESTS:`` leave the
    served code's ORM rules on (PROCOLLAB's shape), and the tests' off."""
    from tests.cli_helpers import write_tree

    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'chats'\n",
            "proj/__init__.py": "",
            "proj/settings.py": """
                import os
                import sys

                INSTALLED_APPS = ["django.contrib.contenttypes", "shop"]
                RUNNING_TESTS = "test" in sys.argv
                if RUNNING_TESTS:
                    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
            """,
            **CHATS_PROJECT,
        },
    )
    assert _orm_findings(tmp_path) == [("shop/consumers.py", "DJA201")]


def test_an_example_projects_opt_out_holds_for_that_project_only(tmp_path) -> None:
    """A demo project under ``sandbox/`` (or ``examples/shop/``) that sets
    the variable in its settings runs with the guard off: its own files are
    opted out, the library beside it and another example are not."""
    from tests.cli_helpers import write_tree
    from tests.helpers import lint_paths

    consumer = "from {app}.models import Chat\n\n\nasync def open_chat(pk):\n    return Chat.objects.get(pk=pk)\n"
    models = "from django.db import models\n\n\nclass Chat(models.Model):\n    title = models.CharField(max_length=50)\n"
    settings = 'import os\n\nINSTALLED_APPS = ["{app}"]\nos.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"\n'
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'chats'\n",
            "sandbox/manage.py": "",
            "sandbox/sandbox/__init__.py": "",
            "sandbox/sandbox/settings.py": settings.format(app="worker"),
            "sandbox/worker/__init__.py": "",
            "sandbox/worker/models.py": models,
            "sandbox/worker/consumers.py": consumer.format(app="worker"),
            "examples/shop/shop/__init__.py": "",
            "examples/shop/shop/settings.py": settings.format(app="orders"),
            "examples/shop/orders/__init__.py": "",
            "examples/shop/orders/models.py": models,
            "examples/shop/orders/consumers.py": consumer.format(app="orders"),
            "examples/blog/posts/__init__.py": "",
            "examples/blog/posts/models.py": models,
            "examples/blog/posts/consumers.py": consumer.format(app="posts"),
            "chats/__init__.py": "",
            "chats/models.py": models,
            "chats/consumers.py": consumer.format(app="chats"),
        },
    )
    found = sorted(Path(f.path).relative_to(tmp_path).as_posix() for f in lint_paths([tmp_path], select=["DJA2"]))
    assert found == ["chats/consumers.py", "examples/blog/posts/consumers.py"]


def test_model_facts_for_the_project_index():
    result = _analyze(
        """
        from django.db import models

        class Base(models.Model):
            class Meta:
                abstract = True

        class Shelf(Base):
            pass

        class Book(Base):
            shelf = models.ForeignKey(Shelf, on_delete=models.CASCADE, related_name="books")
            on_sale = models.Manager()
        """
    )
    models = {f["name"]: f for f in result.facts if f["kind"] == "django_model"}
    assert set(models) == {"Base", "Shelf", "Book"} and models["Base"]["abstract"]
    assert {"name": "books", "kind": "reverse_fk", "target": "Book", "related_name": None} in models["Shelf"]["relations"]
    assert "on_sale" in models["Book"]["managers"]


def test_sync_functions_record_ops_not_findings():
    src = """
    from shop.models import Product

    def helper():
        return Product.objects.count()

    def lazy_helper():
        return Product.objects.filter(in_stock=True)
    """
    source = decode_source("m.py", textwrap.dedent(src).encode())
    module = cst.parse_module(source.text)
    ctx = FileContext(path="m.py", module=module, source=source, enabled=frozenset({"DJA201", "DJA202"}))
    module.visit(FileTraversal(ctx, [SyncOrmCheck(ctx)]))
    ops = {f.name: [op.code for op in f.ops] for f in ctx.functions}
    assert ops == {"helper": ["DJA201"], "lazy_helper": []}
    assert ctx.reports == []


def test_foreign_framework_requests_are_not_django():
    src = """
    from fastapi import FastAPI, Request
    from shop.models import Product

    app = FastAPI()

    @app.get("/")
    async def home(request):
        if request.user.is_authenticated:
            return request.session.get("x")
    """
    assert lint_text(src, select=["DJA2"]) == []


def test_view_get_queryset_defined_later_with_self_model():
    # From django/views/generic/detail.py: get_queryset uses self.model, read
    # before the traversal reaches the method.
    src = """
    from django.views import View
    from shop.models import Product

    class Detail(View):
        model = Product

        async def get(self, request):
            return [p async for p in self.get_queryset()], len(self.get_queryset())

        def get_queryset(self):
            return self.model._default_manager.all()
    """
    assert [f.code for f in lint_text(src, select=["DJA2"])] == ["DJA202"]


def test_the_lazy_user_read_through_an_attribute_split_over_lines_is_found():
    # The check passes over a file with no ``.user`` attribute in its text;
    # whitespace, a line continuation or a comment may sit between the dot and the name.
    for spelling in ("request.user", "(request.\n        user)", "(request.  # the visitor\n        user)", "request.\\\n        user"):
        src = f"""
from django.http import HttpResponse

async def home(request):
    if {spelling}:
        return HttpResponse("hi")
"""
        assert [f.code for f in lint_text(src, select=["DJA205"], dedent=False)] == ["DJA205"], spelling
    assert lint_text("from django.http import HttpResponse\n\nasync def home(request):\n    if request.user_id:\n        return HttpResponse()\n", select=["DJA205"], dedent=False) == []


class _KeepsNothing(dict):
    def __setitem__(self, key, value) -> None:
        pass


def _inferred(path, settings) -> list[str]:
    """The Django kind inferred for every name, attribute and call of the
    file, in the traversal's order, with every check running as in a run."""
    from pathlib import Path

    from async_lint.checks import checks_for
    from async_lint.file_analysis import checked_codes

    class Probe(SyncOrmCheck):
        codes = ()

        def __init__(self, ctx):
            super().__init__(ctx)
            self.seen: list[str] = []

        def _note(self, node) -> None:
            value = self.inference.infer(node)
            model = getattr(value, "model", None)
            self.seen.append(f"{type(value).__name__}:{getattr(model, 'qualified', None)}:{sorted(getattr(value, 'selected', ()) or ())}")

        visit_Name = visit_Attribute = visit_Call = _note

    source = decode_source(str(path), Path(path).read_bytes())
    module = cst.parse_module(source.text)
    ctx = FileContext(path=str(path), module=module, source=source, settings=settings, enabled=settings.enabled)
    probe = Probe(ctx)
    FileTraversal(ctx, [*(cls(ctx) for cls in checks_for(checked_codes(settings.enabled))), probe]).run(module)
    return probe.seen


def test_a_name_resolved_once_gives_what_resolving_it_at_every_read_gives(monkeypatch, tmp_path):
    """The inference keeps a name's value where no other inference is under
    way, or where resolving it met none under way (``DjangoInference._names``),
    and one the depth limit cut, by its depth (``_cut_names``); every name, attribute and call has
    the kind an inference that resolves the name at every read gives it,
    on the fixtures, the example project and Django's models, views and auth."""
    import os
    from pathlib import Path

    import django

    from async_lint.analysis import django_models
    from tests.helpers import FIXTURES

    root = Path(os.path.dirname(django.__file__))
    django_files = sorted(p for part in ("db/models", "views", "contrib/auth", "contrib/sessions") for p in (root / part).rglob("*.py"))
    examples = Path(__file__).parent.parent / "examples"
    # Resolved at every read, a name reassigned from itself under n optional
    # ``if``s costs 2**n: the many-filters fixture's 16 took 80 s of the suite
    # that way.  Its first 8 keep the shape at a 256th of the cost.
    many = FIXTURES / "dja2_many_filters.py"
    fewer = tmp_path / many.name
    fewer.write_text(re.sub(r"    if f(?:[89]|1\d) is not None:\n        queryset = queryset\.filter\(sku=f\d+\)\n", "", many.read_text()))
    assert fewer.read_text().count("queryset.filter(") == 8
    files = [*(fewer if path == many else path for path in sorted(FIXTURES.rglob("*.py"))), *sorted(examples.rglob("*.py")), *django_files[::2]]
    settings = make_settings()
    kept = {path: _inferred(path, settings) for path in files}
    assert sum(not kind.startswith("NoneType") for kinds in kept.values() for kind in kinds) > 500
    original_init = django_models.DjangoInference.__init__

    def resolving_init(self, ctx):
        original_init(self, ctx)
        self._names = _KeepsNothing()
        self._cut_names = _KeepsNothing()

    monkeypatch.setattr(django_models.DjangoInference, "__init__", resolving_init)
    for path in files:
        assert _inferred(path, settings) == kept[path], path


def test_the_request_user_suggestion_names_the_request_as_the_code_does() -> None:
    src = """
from django.http import HttpRequest
from django.views import View

async def view(django_request: HttpRequest):
    if django_request.user.is_authenticated:
        return django_request.session.get("x")

class Page(View):
    async def get(self, request):
        user = request.user
        return self.request.user.username, user.email
"""
    found = [(f.line, f.column, f.message.rpartition("; use ")[2]) for f in lint_text(src) if f.code == "DJA205"]
    assert found == [
        (6, 8, "`user = await django_request.auser()` and use `user`"),
        (7, 16, "`await django_request.session.aget(...)`"),
        (12, 16, "`user = await self.request.auser()` and use `user`"),
        (12, 44, "`user = await request.auser()` and use `user`"),  # ``user`` bound to it: the usual name
    ]


def test_dja204_suggests_the_lookup_from_the_instance_the_query_fetched() -> None:
    findings = lint_text(
        """
        from django.db import models

        class Project(models.Model):
            key = models.CharField(max_length=10)

        class Issue(models.Model):
            project = models.ForeignKey(Project, on_delete=models.CASCADE)

        class Comment(models.Model):
            issue = models.ForeignKey(Issue, on_delete=models.CASCADE)

        async def view(pk):
            comment = await Comment.objects.select_related("issue").aget(pk=pk)
            other = await Comment.objects.aget(pk=pk)
            return comment.issue.project.key, other.issue
        """,
        select=["DJA204"],
    )
    assert [f.message.partition(": ")[2] for f in findings] == [
        'add `select_related("issue__project")` to the query that fetched `comment`',
        'add `select_related("issue")` to the query that fetched `other`',
    ]


GENERIC_MODELS = """
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Comment(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    target = GenericForeignKey("content_type", "object_id")
"""


def test_a_generic_foreign_key_is_prefetched_not_selected(tmp_path):
    """select_related("target") raises FieldError for a GenericForeignKey:
    DJA204 names prefetch_related, in the file and across modules; a query
    that prefetched it loads it."""
    from tests.cli_helpers import write_tree
    from tests.helpers import lint_paths

    same_file = lint_text(GENERIC_MODELS + "\n\nasync def view(request, pk):\n    comment = await Comment.objects.aget(pk=pk)\n    return comment.target\n")
    assert [(f.code, 'add `prefetch_related("target")`' in f.message) for f in same_file] == [("DJA204", True)]
    project = write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/models.py": GENERIC_MODELS,
            "app/views.py": """
                from app.models import Comment


                async def view(request, pk):
                    comment = await Comment.objects.aget(pk=pk)
                    prefetched = await Comment.objects.prefetch_related("target").aget(pk=pk)
                    return comment.target, prefetched.target
            """,
        },
    )
    found = [(f.line, f.code, 'add `prefetch_related("target")`' in f.message) for f in lint_paths([project])]
    assert found == [(8, "DJA204", True)]


def test_a_pep_695_type_alias_is_read_through():
    """``type Posts = QuerySet[Post]`` (Python 3.12), parsed by libcst
    whatever the Python that runs the linter."""
    source = textwrap.dedent(
        """
        from django.db import models
        from django.db.models import QuerySet


        class Post(models.Model):
            title = models.CharField(max_length=10)


        type Posts = QuerySet[Post]
        type Titles = list[str]


        async def view(posts: Posts, titles: Titles):
            return [p.title for p in posts], [t for t in titles]
        """
    )
    assert [(f.code, f.line) for f in lint_text(source)] == [("DJA202", 15)]


def test_a_user_method_handed_to_a_thread_is_read_on_the_loop():
    """``sync_to_async(request.user.has_perms)`` reads the bound method (and
    loads the lazy user) before the thread starts: the message says where
    to read it instead."""
    source = textwrap.dedent(
        """
        from asgiref.sync import sync_to_async
        from django.http import JsonResponse


        async def view(request, perms):
            allowed = await sync_to_async(request.user.has_perms)(perms)
            also = await sync_to_async(lambda: request.user.has_perms(perms))()
            return JsonResponse({"allowed": allowed, "also": also})
        """
    )
    found = lint_text(source)
    assert [(f.code, f.line) for f in found] == [("DJA205", 7)]
    assert "read it in the thread: `sync_to_async(lambda: request.user.has_perms(...))`" in found[0].message


def test_reassignments_in_a_loops_branches_are_resolved_once_each(monkeypatch) -> None:
    """``qs = qs.filter(...)`` in each arm of an if/elif chain inside a loop:
    each arm's read sees the same bindings (in another order); the
    inference resolves each binding a bounded number of times, not once per
    combination of arms (a 7-arm helper took over 100 s: glitchtip's
    issue filters, reported as DJA000)."""
    import async_lint.analysis.django_models as django_models

    def source(arms: int) -> str:
        lines = ["def filter_issues(qs, queries):", "    for name, value in queries:"]
        for i in range(arms):
            lines += [f"        {'if' if i == 0 else 'elif'} name == 'a{i}':", "            qs = qs.filter(level=value)"]
        lines += ["    return qs", "", "", "async def view(request):", "    return filter_issues(1, [])", ""]
        return "\n".join(lines)

    resolved = []
    original = django_models.DjangoInference._binding_value

    def counting(self, *args, **kwargs):
        resolved.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(django_models.DjangoInference, "_binding_value", counting)
    for arms in (4, 12):
        resolved.clear()
        analyze_source("filters.py", decode_source("filters.py", source(arms).encode()), make_settings())
        assert len(resolved) <= 3 * (arms + 1), (arms, len(resolved))


def test_a_queryset_reassigned_under_many_ifs_is_resolved_in_polynomial_work(monkeypatch):
    """``queryset = queryset.filter(...)`` under each of many ``if``s (a
    search form's optional filters): each read of ``queryset`` reaches every
    earlier assignment, and resolving each of those anew read 2**n chains of
    bindings (OneSila's 14 filters took 21 s, a DJA000 past the budget).
    The work now grows with the square of the filters, and is counted here,
    not timed."""
    from async_lint.analysis import django_models

    calls = 0
    original = django_models.DjangoInference._infer_name

    def counting(self, *args, **kwargs):
        nonlocal calls
        calls += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(django_models.DjangoInference, "_infer_name", counting)
    blocks = 14
    lines = [
        "from asgiref.sync import sync_to_async",
        "from django.db import models",
        "",
        "",
        "class Product(models.Model):",
        "    sku = models.CharField(max_length=20)",
        "",
        "",
        "def search(" + ", ".join(f"a{i}=None" for i in range(blocks)) + "):",
        "    queryset = Product.objects.all()",
    ]
    for i in range(blocks):
        lines += [f"    if a{i} is not None:", f"        queryset = queryset.filter(sku=a{i})"]
    lines += ["    return queryset.count()", ""]
    assert lint_text("\n".join(lines), dedent=False) == []
    assert 0 < calls <= 20 * blocks**2


@pytest.mark.parametrize(
    ("config_file", "config"),
    [
        ("pyproject.toml", "[project]\nname = 'chats'\n\n[tool.pytest.ini_options]\nenv = [\"D:DJANGO_ALLOW_ASYNC_UNSAFE=true\"]\n"),
        ("pyproject.toml", "[project]\nname = 'chats'\n\n[tool.pytest_env]\nDJANGO_ALLOW_ASYNC_UNSAFE = \"1\"\n"),
        ("pytest.ini", "[pytest]\nenv =\n    DJANGO_SETTINGS_MODULE=proj.settings\n    DJANGO_ALLOW_ASYNC_UNSAFE=true\n"),
        ("setup.cfg", "[tool:pytest]\nenv =\n    DJANGO_ALLOW_ASYNC_UNSAFE=yes\n"),
    ],
)
def test_a_pytest_env_opt_out_holds_for_the_tests_only(tmp_path, config_file, config) -> None:
    """pytest-env sets the variable for the test run (radiofeed's
    pyproject.toml): the tests' ORM rules are off, the served code's on."""
    from tests.cli_helpers import write_tree

    write_tree(tmp_path, {"pyproject.toml": "[project]\nname = 'chats'\n", **CHATS_PROJECT, config_file: config})
    assert _orm_findings(tmp_path) == [("shop/consumers.py", "DJA201")]


@pytest.mark.parametrize("env", ['["DJANGO_ALLOW_ASYNC_UNSAFE="]', '["DJANGO_SETTINGS_MODULE=proj.settings"]'])
def test_a_pytest_env_without_the_variable_opts_nothing_out(tmp_path, env) -> None:
    from tests.cli_helpers import write_tree

    write_tree(tmp_path, {"pyproject.toml": f"[project]\nname = 'chats'\n\n[tool.pytest.ini_options]\nenv = {env}\n", **CHATS_PROJECT})
    assert _orm_findings(tmp_path) == [("shop/consumers.py", "DJA201"), ("tests/test_chats.py", "DJA201")]
