"""DJA507's facts read with CPython's ``ast`` (checks/atomic_facts_ast.py)
are the ones a full libcst pass records (``AtomicRequestsFacts``): the same
names resolved in the same scopes, in the same order, at the same positions;
and where they might not be, the file gets the full pass.  Once a settings
module sets ATOMIC_REQUESTS, the project's URLconfs, routers, settings and
views modules without async code are read this way."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest

from async_lint.checks.atomic_facts_ast import atomic_request_records
from async_lint.engine import Workspace, run
from async_lint.file_analysis import analyze_source
from async_lint.source import decode_source
from tests.helpers import FIXTURES, django_source, make_settings
from tests.test_project_index import write_project

KINDS = (
    "structure.databases",
    "structure.atomic_requests",
    "structure.settings_module",
    "structure.root_urlconf",
    "structure.url_include",
    "structure.url_view",
    "structure.async_view",
)
SETTINGS = make_settings()


def _plain(records: list[dict]) -> list[dict]:
    return json.loads(json.dumps(records, sort_keys=True))


def full_pass_records(text: str, module: str = "shop.urls", is_package: bool = False, path: str = "urls.py") -> list[dict]:
    source = decode_source(path, text.encode("utf-8"))
    result = analyze_source(path, source, SETTINGS, module_name=module, is_package=is_package, standalone=False)
    return _plain([fact for fact in result.facts if fact["kind"] in KINDS])


def ast_records(text: str, module: str = "shop.urls", is_package: bool = False, path: str = "urls.py") -> list[dict] | None:
    source = decode_source(path, text.encode("utf-8"))
    found = atomic_request_records(ast.parse(source.text), source.text, source.lines, module, is_package)
    return None if found is None else _plain(found)


# What a reader of ``ast`` alone gets wrong: scopes (a local ``path``, a
# comprehension's), aliases, the order of a call's arguments and of a dict's
# keys and values, routers bound before and after their registrations,
# calls in functions, decorators, defaults and class bodies, literals that
# are not one string, positions on lines with non-ASCII text.
TRICKY = {
    "urlconf": """
        from django.urls import include, path as route, re_path
        from django.db.transaction import non_atomic_requests
        from shop import views
        import shop.api

        urlpatterns = [
            route("", views.home, name="home"),
            route("a/", view=views.about, name="about"),
            re_path(r"^é/$", views.Détail.as_view()),  # é
            route("n/", non_atomic_requests(views.quiet)),
            route("m/", non_atomic_requests (
                views.Quieter.as_view()
            )),
            route("api/", include("shop.api.urls")),
            route("api2/", include(shop.api)),
            route("b/", include("shop" ".b")),
            route("c/", include(f"shop.{views}")),
            route("d/", include(b"shop.d")),
            route(*["e/", views.star]),
            route("f/", **{"view": views.kw}),
            route(views.kw_first, view=views.not_second, *["g/"]),
        ]
    """,
    "scopes": """
        from django.urls import path, include

        def local():
            path = lambda *a: None
            return [path("x/", views.one)]

        def uses_module_path(view=path("default/", include("shop.defaults"))):
            return [path("y/", views.two)]

        patterns = [path(p, v) for p, v in [("z/", None)]]
        shadowed = [path("w/", path) for path in ("a",)]
        lam = lambda path: path("v/", views.three)

        class Routes:
            urlpatterns = [path("u/", views.four)]

            @staticmethod
            def routes(path=include("shop.inner")):
                return path

        from shop import views
    """,
    "settings": """
        import os
        from os import environ

        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3"}}
        DATABASES = OTHER = {}
        ROOT_URLCONF = "shop.urls"
        ROOT_URLCONF = "shop" ".urls"
        ROOT_URLCONF: str = "shop.annotated"
        if True:
            ROOT_URLCONF = ("shop.paren")

        class Config:
            ROOT_URLCONF = "shop.in_class"
            DATABASES = {}

        def configure():
            DATABASES = {}
            ROOT_URLCONF = "shop.in_function"
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
            environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.other")
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"shop.{x}")
            os.environ.setdefault("OTHER", "shop.settings")
    """,
    "routers": """
        from rest_framework import routers
        from rest_framework.routers import DefaultRouter as Router
        from shop.api import OrderViewSet, ItemViewSet

        early.register("early", OrderViewSet)
        early = routers.SimpleRouter()
        router = Router()
        router.register("orders", OrderViewSet)
        router.register(prefix="items", viewset=ItemViewSet)
        router.register("one")
        router.register(r"x", {"a": ItemViewSet}["a"])
        other = make_router()
        other.register("items", ItemViewSet)
        {"k": router.register("y", OrderViewSet), router.register("z", ItemViewSet): "v"}

        def later():
            early.register("late", ItemViewSet)
    """,
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_the_ast_facts_are_the_full_pass_facts_on_tricky_files(name: str) -> None:
    text = textwrap.dedent(TRICKY[name])
    assert ast_records(text) == full_pass_records(text)


def test_the_tricky_cases_exercise_what_they_name() -> None:
    urls = ast_records(textwrap.dedent(TRICKY["urlconf"]))
    assert [(r["kind"], r.get("target") or r.get("module"), r.get("non_atomic")) for r in urls] == [
        ("structure.url_view", "shop.views.home", False),
        ("structure.url_view", "shop.views.about", False),
        ("structure.url_view", "shop.views.Détail", False),
        ("structure.url_view", "shop.views.quiet", True),
        ("structure.url_view", "shop.views.Quieter", True),
        ("structure.url_include", "shop.api.urls", None),
        ("structure.url_include", "shop.api", None),
        ("structure.url_view", "shop.views.not_second", False),  # libcst's arguments in written order
    ]
    scopes = ast_records(textwrap.dedent(TRICKY["scopes"]))
    assert [(r["kind"], r.get("target") or r.get("module")) for r in scopes] == [
        ("structure.url_include", "shop.defaults"),
        ("structure.url_view", "shop.views.two"),
        ("structure.url_view", "shop.views.four"),
        ("structure.url_include", "shop.inner"),
    ]
    settings = ast_records(textwrap.dedent(TRICKY["settings"]))
    assert [(r["kind"], r.get("module")) for r in settings] == [
        ("structure.databases", None),
        ("structure.databases", None),
        ("structure.root_urlconf", "shop.urls"),
        ("structure.root_urlconf", "shop.paren"),
        ("structure.settings_module", "shop.settings"),
        ("structure.settings_module", "shop.other"),
    ]
    routers = ast_records(textwrap.dedent(TRICKY["routers"]))
    assert [r["target"] for r in routers] == ["shop.api.OrderViewSet", "shop.api.ItemViewSet", "shop.api.OrderViewSet", "shop.api.ItemViewSet", "shop.api.ItemViewSet"]


# Where libcst's reading may differ (a fact's node in parentheses of its
# own, a statement ending in a semicolon) or the full pass decides (an async
# view, adrf's views, a setting of ATOMIC_REQUESTS however spelled): no
# records, so the file gets the full pass.
UNSURE = {
    "parenthesized view": 'from django.urls import path\nurlpatterns = [path("", (views.home))]\nfrom shop import views\n',
    "wrapped parenthesized view": 'from django.urls import path\nfrom shop import views\nfrom django.db.transaction import non_atomic_requests as na\nurlpatterns = [path("", na((views.home)))]\n',
    "wrapped view and another argument": 'from django.urls import path\nfrom shop import views\nfrom django.db.transaction import non_atomic_requests as na\nurlpatterns = [path("", na(1, (views.home)))]\n',
    "semicolon": 'ROOT_URLCONF = "shop.urls"; DEBUG = True\n',
    "async view": "async def home(request):\n    pass\n",
    "spaced async view": "async \\\n def home(request):\n    pass\n",
    "adrf": "from adrf.generics import ListAPIView\n\nclass Page(ListAPIView):\n    pass\n",
    "setting": 'DATABASES = {"default": {"ATOMIC_REQUESTS": True}}\n',
    "escaped setting": 'DATABASES = {"default": {"ATOMIC\\x5fREQUESTS": True}}\n',
    "subscript setting": 'DATABASES["default"]["ATOMIC\\x5fREQUESTS"] = True\n',
    "f-string": "from django.urls import path\nfrom shop import views\nx = f\"{path('a', views.home)}\"\n",
    "comment before": 'from django.urls import path\nfrom shop import views\nurlpatterns = [path("",\n  (  # why\n    views.home))]\n',
}


@pytest.mark.parametrize("name", sorted(UNSURE))
def test_a_file_ast_may_read_otherwise_gets_the_full_pass(name: str) -> None:
    text = UNSURE[name]
    try:
        ast.parse(text)
    except SyntaxError:
        pytest.skip("this Python cannot parse it")
    assert ast_records(text) is None


def _python_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*.py"))


@pytest.mark.parametrize("path", _python_files(FIXTURES, Path(__file__).parent.parent / "examples"), ids=str)
def test_the_ast_facts_are_the_full_pass_facts_on_the_corpus(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    try:
        ast.parse(text)
    except SyntaxError:
        pytest.skip("a fixture CPython cannot parse gets a full pass")
    module, package = "app.module", path.name == "__init__.py"
    found = ast_records(text, module, package, str(path))
    if found is not None:
        assert found == full_pass_records(text, module, package, str(path))


# Django's URLconfs, settings templates, entry points and views: where its facts are.
DJANGO_PARTS = ("urls", "conf", "contrib/admin", "contrib/auth", "contrib/admindocs", "contrib/flatpages", "contrib/sitemaps", "contrib/staticfiles", "views", "core/management")


def test_the_ast_facts_are_the_full_pass_facts_on_djangos_own_source() -> None:
    root = django_source()
    paths = [p for part in DJANGO_PARTS for p in _python_files(root / part)]
    assert len(paths) > 150
    differ, read, recorded = [], 0, 0
    for path in paths:
        text = path.read_bytes().decode("utf-8")
        module = "django." + path.relative_to(root).with_suffix("").as_posix().replace("/", ".")
        package = path.name == "__init__.py"
        found = ast_records(text, module, package, str(path))
        if found is None:
            continue
        read += 1
        expected = full_pass_records(text, module, package, str(path))
        recorded += len(expected)
        if found != expected:
            differ.append(str(path.relative_to(root)))
    assert differ == []
    assert read > 150 and recorded > 8


ATOMIC_PROJECT = {
    "manage.py": """
        import os

        def main():
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    """,
    "shop/__init__.py": "",
    "shop/settings.py": """
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db", "ATOMIC_REQUESTS": True}}
        ROOT_URLCONF = "shop.urls"
    """,
    "shop/urls.py": """
        from django.urls import include, path
        from shop import views

        urlpatterns = [path("", views.home), path("api/", include("shop.api.urls"))]
    """,
    "shop/api/__init__.py": "",
    "shop/api/urls.py": """
        from django.urls import path
        from django.db.transaction import non_atomic_requests
        from shop.api import handlers

        urlpatterns = [path("quiet/", non_atomic_requests(handlers.quiet)), path("loud/", handlers.loud)]
    """,
    "shop/api/handlers.py": """
        async def quiet(request):
            pass

        async def loud(request):
            pass
    """,
    "shop/views/__init__.py": """
        from django.shortcuts import render

        def home(request):
            return render(request, "home.html")
    """,
    "shop/views/reports.py": """
        def report(request):
            return None
    """,
}


def test_a_project_with_atomic_requests_reads_its_urlconfs_and_views_modules_with_ast(tmp_path: Path, monkeypatch) -> None:
    write_project(tmp_path, ATOMIC_PROJECT)
    files = [str(p) for p in sorted(tmp_path.rglob("*.py"))]
    workspace = Workspace(str(tmp_path), make_settings(), use_cache=False)
    found = workspace.lint(files).findings
    results = workspace.analyzer.results
    read = {Path(p).relative_to(tmp_path).as_posix() for p, r in results.items() if "atomic" in r.ast_facts}
    full = {Path(p).relative_to(tmp_path).as_posix() for p, r in results.items() if not r.light}
    # The entry point, the URLconfs, the modules a route's view may be
    # defined in, and the views modules: read with ``ast``.
    assert read == {"manage.py", "shop/__init__.py", "shop/urls.py", "shop/api/__init__.py", "shop/api/urls.py", "shop/views/__init__.py", "shop/views/reports.py"}
    assert full == {"shop/settings.py", "shop/api/handlers.py"}
    assert [(Path(f.path).name, f.code, f.line) for f in found] == [("settings.py", "DJA507", 1)]
    assert "`loud`" in found[0].message
    # The same findings when every file DJA507 needs gets a full pass.
    from async_lint.checks import django_structure_atomic

    monkeypatch.setattr(django_structure_atomic.AtomicRequestsCheck, "ast_facts", None)
    everything = Workspace(str(tmp_path), make_settings(), use_cache=False)
    assert everything.lint(files).findings == found
    assert not any(r.ast_facts for r in everything.analyzer.results.values())


def test_a_file_wanted_for_class_and_atomic_facts_is_read_once_with_both(tmp_path: Path) -> None:
    project = {
        **ATOMIC_PROJECT,
        "shop/views/__init__.py": """
            from django.views import View

            class Base(View):
                def get(self, request):
                    return None
        """,
        "shop/views/pages.py": """
            from shop.views import Base

            class Page(Base):
                async def post(self, request):
                    return None
        """,
    }
    write_project(tmp_path, project)
    files = [str(p) for p in sorted(tmp_path.rglob("*.py"))]
    workspace = Workspace(str(tmp_path), make_settings(), use_cache=False)
    found = workspace.lint(files).findings
    base = workspace.analyzer.results[str(tmp_path / "shop" / "views" / "__init__.py")]
    assert base.light and sorted(base.ast_facts) == ["atomic", "class"]
    assert {(Path(f.path).name, f.code) for f in found} >= {("pages.py", "DJA503")}


def test_a_cached_light_result_serves_a_warm_run_and_the_findings_stay(tmp_path: Path) -> None:
    write_project(tmp_path, ATOMIC_PROJECT)
    cache = tmp_path / "cache"
    cold = run([str(tmp_path)], make_settings(), use_cache=True, cache_dir=str(cache))
    warm = run([str(tmp_path)], make_settings(), use_cache=True, cache_dir=str(cache))
    assert warm.cache_misses == 0 and warm.findings == cold.findings
    assert [(Path(f.path).name, f.code) for f in cold.findings] == [("settings.py", "DJA507")]
    # Given only the settings file (a pre-commit run), the rest is read as needed.
    alone = run([str(tmp_path / "shop" / "settings.py")], make_settings(), use_cache=True, cache_dir=str(cache))
    assert [(Path(f.path).name, f.code) for f in alone.findings] == [("settings.py", "DJA507")]


@pytest.mark.parametrize("failure", ["unsure", "bug"])
def test_a_file_the_facts_cannot_be_read_of_gets_a_full_pass_and_the_findings_stay(tmp_path: Path, monkeypatch, failure: str) -> None:
    """Unsure (None) or a bug in the reader (an exception): the full pass runs instead."""
    write_project(tmp_path, ATOMIC_PROJECT)
    urls = str(tmp_path / "shop" / "urls.py")
    expected = run([str(tmp_path)], make_settings()).findings
    from async_lint.checks import atomic_facts_ast

    reader = atomic_facts_ast.atomic_request_records

    def failing(tree, text, *args):
        if "urlpatterns" not in text:
            return reader(tree, text, *args)
        if failure == "bug":
            raise RuntimeError("a bug")
        return None

    monkeypatch.setattr(atomic_facts_ast, "atomic_request_records", failing)
    workspace = Workspace(str(tmp_path), make_settings(), use_cache=False)
    assert workspace.lint([str(p) for p in sorted(tmp_path.rglob("*.py"))]).findings == expected
    results = workspace.analyzer.results
    assert not results[urls].light and "atomic" in results[str(tmp_path / "manage.py")].ast_facts
