"""The class facts read with CPython's ``ast`` (checks/class_shapes_ast.py)
are the ones a full libcst pass records (``ClassShapes``): the same names
resolved the same way, the same classes in the same order, the same
positions.  The cross-module structure rules read a base class's module this
way when nothing else needs its full pass."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest

from async_lint.checks.class_shapes_ast import class_shape_records
from async_lint.engine import Workspace, run
from async_lint.file_analysis import analyze_source
from async_lint.source import decode_source
from tests.helpers import FIXTURES, django_source, make_settings
from tests.test_demand import VIEW_BASES
from tests.test_project_index import write_project

KINDS = ("structure.class", "structure.method")
SETTINGS = make_settings()


def _plain(records: list[dict]) -> list[dict]:
    return json.loads(json.dumps(records, sort_keys=True))


def full_pass_records(text: str, module: str = "shop.views", is_package: bool = False) -> list[dict]:
    source = decode_source("views.py", text.encode("utf-8"))
    result = analyze_source("views.py", source, SETTINGS, module_name=module, is_package=is_package, standalone=False)
    return _plain([fact for fact in result.facts if fact["kind"] in KINDS])


def ast_records(text: str, module: str = "shop.views", is_package: bool = False) -> list[dict]:
    source = decode_source("views.py", text.encode("utf-8"))
    return _plain(class_shape_records(ast.parse(source.text), source.lines, module, is_package))


# What a reader of ``ast`` alone gets wrong: scopes, order, literals, one-line
# bodies, positions on lines with non-ASCII text or continuation lines.
TRICKY = {
    "middleware": """
        from asgiref.sync import iscoroutinefunction, markcoroutinefunction
        from django.utils.decorators import sync_and_async_middleware, async_only_middleware
        from django.utils.deprecation import MiddlewareMixin as Mixin

        @sync_and_async_middleware
        class Timing:
            async_capable = True
            sync_capable = False

            def __init__(self, get_response):
                super().__init__()
                self.get_response = get_response
                if iscoroutinefunction(get_response):
                    markcoroutinefunction(self)

            async def __call__(self, request):
                return await self.get_response(request)

        class Legacy(Mixin):
            def __init__(self, get_response=None):
                self._is_coroutine = asyncio.coroutines._is_coroutine if get_response else None
                super().__init__(get_response)

            async def process_request(self, request):
                pass

        class OwnFlag(Mixin):
            def __init__(self, get_response=None):
                self._is_coroutine = iscoroutinefunction(get_response)
                super().__init__(get_response)

            async def process_request(self, request):
                pass

        Timing.sync_capable = True
        if True:
            Legacy.async_capable = False
    """,
    "views_and_aliases": """
        from django.views import View
        from django.views.generic import ListView as Listing
        import rest_framework.viewsets as viewsets

        class Base(View):
            http_method_names = ["get", "head"]
            title = "a" "b"
            label = ("plain")
            raw = b"bytes"
            count = 3
            pairs: list = ("a", "b")
            mixed = ["a", 1]
            spread = [*http_method_names]

            async def get(self, request):
                pass

            head = get
            get = get

        class Page(Base, Listing, viewsets.ModelViewSet, metaclass=type):
            def post(self, request, *args, pk=None, **kwargs):
                pass

        class Late(Later):
            pass

        class Later(object):
            pass

        class Starred(*bases):
            pass
    """,
    "scopes": """
        import functools
        from django.views import View

        def factory(View, decorate):
            class Local(View):
                @decorate
                @functools.wraps(factory)
                async def get(self, request):
                    pass
            return Local

        def globals_only():
            global View
            class Global(View):
                pass

        class Outer:
            from django.views.generic import TemplateView
            View = None

            def build(self):
                class Built(View):  # the module's View: a method does not see the class body
                    pass
                return Built

            class Inner(TemplateView):
                @staticmethod
                def get(request):
                    pass

            class Twice(Inner):
                pass

        try:
            class InTry(View): pass
        except ImportError:
            class InHandler(View): ...
        else:
            class InElse(View):
                pass
        finally:
            class InFinally(View):
                pass

        class OneLine(View): get = None; x = 1
    """,
    "positions": """
        from django.views import View

        class Wide(View): title = "Ünïcödé ✓"; \u00e9 = 1

        class \\
            Continued(View):
            async \\
                def get(self, request):
                pass

        class Ärger(View):
            async  def  __call__(self, request):
                pass

            def process_response(self, request, response):
                return response

            process_request = process_response
    """,
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_the_ast_facts_are_the_full_pass_facts_on_tricky_classes(name: str) -> None:
    text = textwrap.dedent(TRICKY[name])
    expected = full_pass_records(text)
    assert expected, "the case records class facts"
    assert ast_records(text) == expected


def test_the_tricky_cases_exercise_what_they_name() -> None:
    records = {r["name"]: r for r in ast_records(textwrap.dedent(TRICKY["views_and_aliases"])) if r["kind"] == "structure.class"}
    base = records["Base"]
    # ``head = get`` is the same async handler; a concatenation, a number and a mixed list are unknown.
    assert base["methods"]["head"][0] is True
    assert base["attributes"] == {"http_method_names": ["get", "head"], "title": "?", "label": "plain", "count": "?", "pairs": ["a", "b"], "mixed": "?", "spread": "?"}
    assert records["Page"]["bases"] == [["class", "shop.views.Base"], ["framework", "django.views.generic.list.ListView"], ["framework", "rest_framework.viewsets.ModelViewSet"]]
    assert records["Late"]["bases"] == [["unknown", "shop.views.Later"]]
    scopes = {r["name"]: r for r in ast_records(textwrap.dedent(TRICKY["scopes"])) if r["kind"] == "structure.class"}
    assert scopes["Local"]["bases"] == [["unknown", "View"]]  # the parameter, not the import
    assert scopes["Global"]["bases"] == [["framework", "django.views.generic.base.View"]]
    assert scopes["Built"]["bases"] == [["framework", "django.views.generic.base.View"]]
    assert scopes["Inner"]["bases"] == [["framework", "django.views.generic.base.TemplateView"]]
    assert scopes["OneLine"]["methods"] == {} and scopes["OneLine"]["attributes"] == {}
    positions = {r["name"]: (r["line"], r["column"]) for r in ast_records(textwrap.dedent(TRICKY["positions"])) if r["kind"] == "structure.class"}
    assert positions == {"Wide": (4, 7), "Continued": (7, 5), "Ärger": (12, 7)}
    middleware = ast_records(textwrap.dedent(TRICKY["middleware"]))
    timing = next(r for r in middleware if r.get("name") == "Timing")
    legacy = next(r for r in middleware if r.get("name") == "Legacy")
    # Flags: the body's, then the decorator's, then ``Timing.sync_capable = True`` below it.
    assert timing["init"][0] is True and timing["attributes"] == {"async_capable": True, "sync_capable": True}
    assert legacy["init"] == ["legacy", True] and legacy["attributes"] == {"async_capable": False}
    # A bool of its own under the marker's name marks nothing.
    assert next(r for r in middleware if r.get("name") == "OwnFlag")["init"] == [False, True]


def _python_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*.py") if "class" in p.read_text(encoding="utf-8", errors="replace"))


@pytest.mark.parametrize("path", _python_files(FIXTURES, Path(__file__).parent.parent / "examples"), ids=str)
def test_the_ast_facts_are_the_full_pass_facts_on_the_corpus(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    try:
        ast.parse(text)
    except SyntaxError:
        pytest.skip("a fixture CPython cannot parse gets a full pass")
    assert ast_records(text, "app.module", path.name == "__init__.py") == full_pass_records(text, "app.module", path.name == "__init__.py")


DJANGO_PARTS = ("views", "middleware", "contrib/auth", "contrib/admin", "contrib/messages", "utils/deprecation.py")


def test_the_ast_facts_are_the_full_pass_facts_on_djangos_own_views_and_middleware() -> None:
    root = django_source()
    paths = [p for part in DJANGO_PARTS for p in ([root / part] if part.endswith(".py") else _python_files(root / part))]
    assert len(paths) > 50
    differ = []
    recorded = 0
    for path in paths:
        text = path.read_bytes().decode("utf-8")
        module = "django." + path.relative_to(root).with_suffix("").as_posix().replace("/", ".")
        expected = full_pass_records(text, module, path.name == "__init__.py")
        recorded += len(expected)
        if ast_records(text, module, path.name == "__init__.py") != expected:
            differ.append(str(path.relative_to(root)))
    assert differ == []
    assert recorded > 300


PROJECT = {
    **VIEW_BASES,
    "app/middleware.py": """
        from app.hooks import HooksMiddleware

        class StrictMiddleware(HooksMiddleware):
            sync_capable = True
    """,
    "app/hooks.py": """
        from asgiref.sync import markcoroutinefunction

        class HooksMiddleware:
            async_capable = True
            sync_capable = False

            def __init__(self, get_response):
                self.get_response = get_response
                markcoroutinefunction(self)

            async def __call__(self, request):
                return await self.get_response(request)
    """,
}


def test_base_classes_without_async_code_are_read_with_ast_and_give_the_same_findings(tmp_path: Path, monkeypatch) -> None:
    write_project(tmp_path, PROJECT)
    workspace = Workspace(str(tmp_path), make_settings(), use_cache=False)
    files = [str(p) for p in sorted(tmp_path.rglob("*.py"))]
    found = workspace.lint(files).findings
    results = workspace.analyzer.results
    shaped = {Path(p).relative_to(tmp_path).as_posix() for p, r in results.items() if "class" in r.ast_facts}
    full = {Path(p).relative_to(tmp_path).as_posix() for p, r in results.items() if not r.light}
    assert shaped == {"app/layers.py", "app/views.py", "app/middleware.py"}
    assert full == {"app/base.py", "app/hooks.py"}
    assert {(Path(f.path).name, f.code) for f in found} == {("views.py", "DJA503"), ("middleware.py", "DJA502")}
    # The same findings when every file the structure rules need gets a full pass.
    from async_lint.checks import django_cross_module

    monkeypatch.setattr(django_cross_module.CrossModuleViewCheck, "ast_facts", None)
    monkeypatch.setattr(django_cross_module.CrossModuleMiddlewareCheck, "ast_facts", None)
    everything = Workspace(str(tmp_path), make_settings(), use_cache=False)
    assert everything.lint(files).findings == found
    assert not any(r.ast_facts for r in everything.analyzer.results.values())


def test_a_cached_shaped_result_serves_the_next_run_and_a_full_pass_replaces_it(tmp_path: Path) -> None:
    write_project(tmp_path, PROJECT)
    cache = tmp_path / "cache"
    cold = run([str(tmp_path / "app")], make_settings(), use_cache=True, cache_dir=str(cache))
    warm = run([str(tmp_path / "app")], make_settings(), use_cache=True, cache_dir=str(cache))
    assert warm.cache_misses == 0 and warm.findings == cold.findings
    # A light result without class facts does not serve a run that needs them.
    alone = run([str(tmp_path / "app" / "views.py")], make_settings(), use_cache=True, cache_dir=str(cache))
    assert [(Path(f.path).name, f.code) for f in alone.findings] == [("views.py", "DJA503")]


def test_a_failure_reading_class_facts_costs_the_file_a_full_pass_not_its_findings(tmp_path: Path, monkeypatch) -> None:
    write_project(tmp_path, PROJECT)
    files = [str(p) for p in sorted(tmp_path.rglob("*.py"))]
    expected = Workspace(str(tmp_path), make_settings(), use_cache=False).lint(files).findings

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    from async_lint.checks import class_shapes_ast

    monkeypatch.setattr(class_shapes_ast, "class_shape_records", broken)
    workspace = Workspace(str(tmp_path), make_settings(), use_cache=False)
    assert workspace.lint(files).findings == expected
    assert not any(r.ast_facts for r in workspace.analyzer.results.values())
