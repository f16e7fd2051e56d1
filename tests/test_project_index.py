"""Whole-project analysis: call chains across modules (DJA401), sync_to_async
misuse through project helpers (DJA402-DJA404), cross-module DJA302, project
root and module names, the DJANGO_ALLOW_ASYNC_UNSAFE opt-out."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from async_lint.catalog import catalog
from async_lint.checks import index_findings
from async_lint.index import ProjectIndex
from async_lint.project import ModuleNamer, find_project_root, sets_allow_async_unsafe
from tests.cli_helpers import write_tree
from tests.helpers import FIXTURES, lint_paths, lint_text, make_settings

PROJECT = FIXTURES / "dja4_project"


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def by_line(findings, code):
    return {(Path(f.path).name, f.line): f for f in findings if f.code == code}


def test_chain_messages_name_every_call_down_to_the_blocking_line(monkeypatch) -> None:
    monkeypatch.chdir(PROJECT)  # chain paths are relative to the working folder, like the findings' own
    found = by_line(lint_paths([PROJECT]), "DJA401")
    assert "build_report() -> fetch_rows() -> _load() -> time.sleep() at shop/services.py:17" in found[("views.py", 13)].message
    assert "fetch_rows() -> _load() -> time.sleep() at shop/services.py:17" in found[("views.py", 14)].message
    # Mutual recursion (walk_tree <-> expand) ends at the blocking call.
    assert "tree_report() -> walk_tree() -> expand() -> subprocess.run() at shop/services.py:39" in found[("views.py", 15)].message
    # self.method() resolved through the project base class in the same module.
    assert "PriceClient.current_price() -> BaseClient.get_json() -> time.sleep() at shop/clients.py:10" in found[("clients.py", 26)].message
    # A nested plain def called directly on the loop.
    assert "load_config() -> ping_upstream() -> requests.get() at shop/services.py:46" in found[("views.py", 39)].message
    finding = found[("views.py", 13)]
    assert finding.level == "warning"  # the chain ends in a DJA1xx warning
    assert finding.extra["callee"] == "make_report"
    assert finding.extra["callee_qualname"] == "shop.reporting.summary.build_report"
    assert "await sync_to_async(make_report)(...)" in finding.message


def test_a_run_on_one_file_still_follows_calls_into_unchanged_modules() -> None:
    findings = lint_paths([PROJECT / "shop" / "views.py"])
    assert {f.path for f in findings} == {str(PROJECT / "shop" / "views.py")}
    assert sorted(f.line for f in findings if f.code == "DJA401") == [13, 14, 15, 27, 39]


def test_classes_across_modules_relative_imports_and_reexports(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_project(
        tmp_path,
        {
            "pyproject.toml": "",
            "src/app/__init__.py": "from .core.base import Exporter as Exporter\n",
            "src/app/core/__init__.py": "",
            "src/app/core/io.py": """
                import time

                def slow_write(rows):
                    time.sleep(1)
            """,
            "src/app/core/base.py": """
                from . import io

                class Exporter:
                    def export(self, rows):
                        return self.write(rows)

                    def write(self, rows):
                        io.slow_write(rows)

                    @classmethod
                    def build(cls):
                        return cls.prepare()

                    @classmethod
                    def prepare(cls):
                        io.slow_write([])
            """,
            "src/app/views.py": """
                from app import Exporter

                class CsvExporter(Exporter):
                    async def run(self, rows):
                        self.export(rows)
                        super().write(rows)
                        Exporter.build()
                        return rows

                class Quiet(Exporter):
                    def write(self, rows):
                        return rows

                    async def run(self, rows):
                        self.export(rows)
            """,
        },
    )
    found = by_line(lint_paths([tmp_path / "src" / "app" / "views.py"]), "DJA401")
    assert sorted(found) == [("views.py", 5), ("views.py", 6), ("views.py", 7)]
    assert "Exporter.export() -> Exporter.write() -> slow_write() -> time.sleep() at src/app/core/io.py:4" in found[("views.py", 5)].message
    assert "Exporter.build() -> Exporter.prepare() -> slow_write()" in found[("views.py", 7)].message


def test_lazy_queryset_helpers_and_threads_are_not_blocking(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "manage.py": "",
            "shop/__init__.py": "",
            "shop/queries.py": """
                import time
                from shop.models import Post

                def recent_posts():
                    return Post.objects.filter(published=True).order_by("-created")

                def slow():
                    time.sleep(1)
            """,
            "shop/views.py": """
                import asyncio
                from asgiref.sync import sync_to_async
                from shop.queries import recent_posts, slow

                async def feed(request):
                    qs = recent_posts()
                    posts = [p async for p in qs]
                    await sync_to_async(slow)()
                    await asyncio.to_thread(slow)
                    runner = lambda: slow()
                    return posts, runner
            """,
        },
    )
    assert [f for f in lint_paths([tmp_path]) if f.code == "DJA401"] == []


def test_sync_to_async_misuse_through_project_helpers(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "manage.py": "",
            "shop/__init__.py": "",
            "shop/queries.py": """
                from shop.models import Order

                def open_orders():
                    return Order.objects.filter(paid=False)

                def chained():
                    return open_orders().order_by("pk")

                def mark_paid(pk):
                    return _update(pk)

                def _update(pk):
                    Order.objects.filter(pk=pk).update(paid=True)

                def render(pk):
                    return str(pk)

                async def notify(pk):
                    return pk
            """,
            "shop/views.py": """
                from inspect import iscoroutinefunction
                from asgiref.sync import async_to_sync, sync_to_async
                from shop import queries
                from shop.queries import chained, open_orders

                async def orders(request):
                    qs = await sync_to_async(open_orders)()
                    more = await sync_to_async(chained)()
                    fine = await sync_to_async(open_orders)()
                    names = [o.pk async for o in fine]
                    await sync_to_async(queries.mark_paid, thread_sensitive=False)(1)
                    await sync_to_async(queries.render, thread_sensitive=False)(1)
                    await sync_to_async(queries.notify)(1)
                    return qs, more, names

                def sync_side(fn):
                    async_to_sync(queries.render)(1)
                    async_to_sync(queries.notify)(1)
                    if iscoroutinefunction(queries.notify):
                        return queries.notify
                    else:
                        return sync_to_async(queries.notify)
            """,
        },
    )
    findings = lint_paths([tmp_path / "shop" / "views.py"])
    got = sorted((f.line, f.code) for f in findings if f.code.startswith("DJA4"))
    assert got == [(7, "DJA402"), (8, "DJA402"), (11, "DJA403"), (13, "DJA404"), (17, "DJA404")]


@pytest.mark.skipif("DJA302" not in catalog(), reason="DJA302 is not in the catalog")
def test_unawaited_coroutine_from_another_module(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "manage.py": "",
            "app/__init__.py": "",
            "app/tasks.py": """
                async def refresh(key):
                    return key

                async def stream():
                    yield 1
            """,
            "app/views.py": """
                from app import tasks

                async def view(request):
                    tasks.refresh("a")
                    await tasks.refresh("b")
                    tasks.stream()
                    return None
            """,
        },
    )
    found = [f for f in lint_paths([tmp_path]) if f.code == "DJA302"]
    assert [(Path(f.path).name, f.line) for f in found] == [("views.py", 4)]
    assert "app/tasks.py" in found[0].message


def test_standalone_module_nested_def_and_noqa() -> None:
    found = lint_text(
        """
        import time

        async def view(request):
            def helper():
                time.sleep(1)

            def quiet():
                time.sleep(1)

            helper()
            quiet()  # noqa: DJA401
            return None
        """
    )
    assert [(f.code, f.line) for f in found] == [("DJA401", 11)]
    assert "helper() -> time.sleep() at example.py:6" in found[0].message


def test_opt_out_in_conftest_skips_orm_chains_only(tmp_path: Path) -> None:
    # ORM ops reach the index as DJA2xx ops; chains through them are skipped in
    # opted-out files, chains ending in other blocking calls still count.
    summary = {
        "module": "app.services",
        "is_package": False,
        "imports": {},
        "star_imports": [],
        "classes": {},
        "functions": {
            "count": {"async": False, "ops": [["DJA201", 5, "Post.objects.count()"]]},
            "both": {"async": False, "calls": ["q:app.services.count"], "ops": [["DJA101", 9, "time.sleep()"]]},
            "view": {"async": True},
        },
        "sites": [
            {"ref": "q:app.services.count", "line": 20, "column": 5, "end_line": 20, "end_column": 12, "function": "view", "async": True, "discarded": False, "callee": "count()"},
            {"ref": "q:app.services.both", "line": 21, "column": 5, "end_line": 21, "end_column": 12, "function": "view", "async": True, "discarded": False, "callee": "both()"},
        ],
    }
    levels = {"DJA201": "error", "DJA101": "warning"}
    index = ProjectIndex({"services.py": summary}, level_of=lambda code: levels.get(code, "warning"))
    normal = index_findings(index, "services.py", frozenset({"DJA401"}))
    # both() sleeps itself but also reaches a query: the chain ends at the
    # more severe of the two, one call further.
    assert [(f.line, f.level) for f in normal] == [(20, "error"), (21, "error")]
    assert "both() -> count() -> Post.objects.count()" in normal[1].message
    opted_out = index_findings(index, "services.py", frozenset({"DJA401"}), orm_opt_out=True)
    assert [(f.line, "time.sleep()" in f.message) for f in opted_out] == [(21, True)]

    write_project(
        tmp_path,
        {
            "manage.py": "",
            "tests/conftest.py": 'import os\nos.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"\n',
            "tests/unit/test_views.py": "import time\n\ndef helper():\n    time.sleep(1)\n\nasync def test_it():\n    helper()\n",
            "app.py": "# DJANGO_ALLOW_ASYNC_UNSAFE is never set here\n",
        },
    )
    from async_lint.engine import run
    from tests.helpers import make_settings

    result = run([str(tmp_path)], make_settings())
    assert [f.code for f in result.findings] == ["DJA401"]  # not an ORM chain: still reported
    assert sorted(result.notes) == [str(tmp_path / "tests" / "conftest.py"), str(tmp_path / "tests" / "unit" / "test_views.py")]
    assert "tests/conftest.py" in result.notes[str(tmp_path / "tests" / "unit" / "test_views.py")][0]


def test_opt_out_in_a_package_init_covers_the_package(tmp_path: Path) -> None:
    """``pkg/__init__.py`` sets DJANGO_ALLOW_ASYNC_UNSAFE: Python runs it
    before any module of the package, so the guard is off there; a module
    of another package is not covered."""
    from async_lint.engine import run
    from tests.helpers import make_settings

    view = "from django.contrib.auth.models import User\n\nasync def count(request):\n    return User.objects.count()\n"
    write_project(
        tmp_path,
        {
            "manage.py": "",
            "pkg/__init__.py": 'import os\nos.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"\n',
            "pkg/sub/__init__.py": "",
            "pkg/sub/views.py": view,
            "other/__init__.py": "",
            "other/views.py": view,
        },
    )
    result = run([str(tmp_path)], make_settings())
    assert [(Path(f.path).relative_to(tmp_path).as_posix(), f.code) for f in result.findings] == [("other/views.py", "DJA201")]
    assert "pkg/__init__.py" in result.notes[str(tmp_path / "pkg" / "sub" / "views.py")][0]


SETTINGS_TEXT = 'import os\n\nINSTALLED_APPS = ["django.contrib.auth"]\n'
UNSAFE = 'os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"\n'


@pytest.mark.parametrize(
    ("settings_files", "reported"),
    [
        # The project's settings turn the guard off for the whole process.
        ({"config/settings/base.py": SETTINGS_TEXT + UNSAFE}, []),
        ({"config/settings.py": SETTINGS_TEXT + UNSAFE}, []),
        # Settings written with annotations are settings too.
        ({"config/settings/base.py": 'import os\n\nINSTALLED_APPS: list[str] = [\n    "shop",\n]\n' + UNSAFE}, []),
        # Test settings turn it off for the tests only.
        ({"config/settings.py": SETTINGS_TEXT, "config/test_settings.py": SETTINGS_TEXT + UNSAFE}, ["shop/views.py"]),
        ({"config/settings.py": SETTINGS_TEXT, "shop/tests/settings.py": SETTINGS_TEXT + UNSAFE}, ["shop/views.py"]),
        # A developer's local settings are not where the project runs.
        ({"config/settings/base.py": SETTINGS_TEXT, "config/settings/local.py": SETTINGS_TEXT + UNSAFE}, ["shop/tests/test_views.py", "shop/views.py"]),
        # A module with no INSTALLED_APPS is no settings module, nor is one of a sample project.
        ({"config/settings.py": SETTINGS_TEXT, "config/bots.py": "import os\n" + UNSAFE}, ["shop/tests/test_views.py", "shop/views.py"]),
        ({"config/settings.py": SETTINGS_TEXT, "examples/demo/settings.py": SETTINGS_TEXT + UNSAFE}, ["shop/tests/test_views.py", "shop/views.py"]),
        # A setting of that name sets no environment variable: Django's guard stays on.
        ({"config/settings.py": SETTINGS_TEXT + "DJANGO_ALLOW_ASYNC_UNSAFE = True\n"}, ["shop/tests/test_views.py", "shop/views.py"]),
        # Only mentioned, never set.
        ({"config/settings.py": SETTINGS_TEXT + "# DJANGO_ALLOW_ASYNC_UNSAFE stays unset\n"}, ["shop/tests/test_views.py", "shop/views.py"]),
    ],
)
def test_opt_out_in_the_settings_covers_the_process_that_imports_them(tmp_path: Path, settings_files: dict[str, str], reported: list[str]) -> None:
    """Settings that set DJANGO_ALLOW_ASYNC_UNSAFE are imported before any
    request or test runs: the ORM rules are skipped in every file (test
    settings: in the test files), and the run says where it was set."""
    from async_lint.engine import run
    from tests.helpers import make_settings

    view = "from django.contrib.auth.models import User\n\nasync def count(request):\n    return User.objects.count()\n"
    files = {"manage.py": "", "shop/__init__.py": "", "shop/views.py": view, "shop/tests/__init__.py": "", "shop/tests/test_views.py": view, **settings_files}
    write_project(tmp_path, files)
    result = run([str(tmp_path)], make_settings())
    assert sorted(Path(f.path).relative_to(tmp_path).as_posix() for f in result.findings if f.code == "DJA201") == reported
    if "shop/views.py" not in reported:
        [unsafe] = [name for name, text in settings_files.items() if UNSAFE in text]
        assert unsafe in result.notes[str(tmp_path / "shop" / "views.py")][0]


def test_allow_async_unsafe_text_test() -> None:
    assert sets_allow_async_unsafe('os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"')
    assert sets_allow_async_unsafe('monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")')
    assert sets_allow_async_unsafe("os.environ.update(DJANGO_ALLOW_ASYNC_UNSAFE='1')")
    assert not sets_allow_async_unsafe("# we never set DJANGO_ALLOW_ASYNC_UNSAFE")
    assert sets_allow_async_unsafe('with mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "1"}):')
    assert not sets_allow_async_unsafe('if os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE"):')
    assert not sets_allow_async_unsafe('unsafe = os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] == "true"')
    assert not sets_allow_async_unsafe("x = 1")
    # A docstring or string that only mentions the setting opts nothing out
    # (a real consumer module's docstring: "first method(DJANGO_ALLOW_ASYNC_UNSAFE=True)").
    assert not sets_allow_async_unsafe('"""\nAsync consumers with first method(DJANGO_ALLOW_ASYNC_UNSAFE=True).\n"""\nimport json\n')
    assert not sets_allow_async_unsafe('HELP = "export DJANGO_ALLOW_ASYNC_UNSAFE=True"\n')
    assert sets_allow_async_unsafe('"""Tests."""\nimport os\n\nos.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"\n')
    # A settings variable of that name is no environment variable: Django reads only os.environ.
    assert not sets_allow_async_unsafe("DJANGO_ALLOW_ASYNC_UNSAFE = True\n")
    assert not sets_allow_async_unsafe("DJANGO_ALLOW_ASYNC_UNSAFE: bool = env.bool('X', default=True)\n")


def test_project_root_and_module_names(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "pyproject.toml": "",
            "src/pkg/__init__.py": "",
            "src/pkg/sub/__init__.py": "",
            "src/pkg/sub/mod.py": "",
            "site/manage.py": "",
            "site/blog/__init__.py": "",
            "site/blog/views.py": "",
            "scripts/tool.py": "",
        },
    )
    assert find_project_root([str(tmp_path / "src" / "pkg" / "sub" / "mod.py")]) == str(tmp_path)
    assert find_project_root([str(tmp_path / "site" / "blog")]) == str(tmp_path / "site")
    namer = ModuleNamer(str(tmp_path))
    assert namer.module_name(str(tmp_path / "src" / "pkg" / "sub" / "mod.py")) == ("pkg.sub.mod", False)
    assert namer.module_name(str(tmp_path / "src" / "pkg" / "sub" / "__init__.py")) == ("pkg.sub", True)
    assert namer.module_name(str(tmp_path / "site" / "blog" / "views.py")) == ("blog.views", False)
    assert namer.module_name(str(tmp_path / "scripts" / "tool.py")) == ("tool", False)


def test_excluded_modules_are_not_followed() -> None:
    lines = sorted(f.line for f in lint_paths([PROJECT / "shop" / "views.py"], exclude=("**/shop/services.py",)) if f.code == "DJA401")
    assert lines == [27]  # every chain of views.py but the PriceClient one (clients.py) ends in services.py


def test_every_check_declares_where_it_can_report_so_the_prefilter_stays_on():
    # One check without text hints makes every file take the full libcst pass.
    from async_lint.catalog import select_codes
    from async_lint.checks import checks_for
    from async_lint.file_analysis import _check_hints, _prefilter

    everything = select_codes(None, None)
    unhinted = [c.__name__ for c in checks_for(everything) if _check_hints(c) is None]
    assert not unhinted, f"checks without text_hints: {unhinted}"
    assert _prefilter(everything) is not None


@pytest.mark.parametrize(
    "given",
    [
        "dja2_cross_module/blog/views.py",  # models from other modules (DJA204)
        "dja5_cross_module/api/views.py",  # a view base class from another module (DJA503)
        "dja5_cross_module_middleware/shop/middleware/timing.py",  # middleware bases (DJA502/DJA506)
    ],
)
def test_a_run_on_one_file_still_knows_what_other_modules_define(given):
    # The pre-commit shape: only this file is given; the models and base
    # classes it relies on are defined in modules of the project that were not.
    from tests.helpers import FIXTURES, expected_markers, lint_paths

    path = FIXTURES / given
    found = {(f.path, f.line, f.code) for f in lint_paths([path])}
    assert found == expected_markers(path)


def test_a_target_first_only_syntax_checked_then_loaded_for_facts_is_indexed(tmp_path):
    # `shop/__init__.py` holds nothing the checks look for (so it is only
    # syntax-checked at first), but a view's base class is imported through
    # it, so the project-wide checks load it in full afterwards.
    from tests.helpers import lint_paths

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("from shop.bases import Handler\n")
    (shop / "bases.py").write_text("class Handler:\n    pass\n")
    (shop / "views.py").write_text("import time\n\nimport shop\n\n\nclass Page(shop.Handler):\n    async def get(self, request):\n        time.sleep(1)\n")
    findings = lint_paths([tmp_path])
    assert [(f.code, f.line) for f in findings] == [("DJA101", 8)]


def test_packages_that_star_import_each_other_resolve_in_bounded_time() -> None:
    # Django's gis packages star-import each other: a name none of them
    # defines was explored again along every path of re-exports, a search
    # exponential in the re-export depth (a run on part of Django's tree
    # never finished).
    modules = ["pkg.a", "pkg.b", "pkg.c"]
    summaries = {
        f"{name}.py": {
            "module": name,
            "is_package": False,
            "imports": {},
            "classes": {},
            "functions": {},
            "sites": [],
            "star_imports": [other for other in modules if other != name],
        }
        for name in modules
    }
    summaries["pkg/a.py"] = {**summaries.pop("pkg.a.py"), "functions": {"real": {"async": False}}}

    class CountingIndex(ProjectIndex):
        lookups = 0

        def summary_of(self, module):
            CountingIndex.lookups += 1
            return super().summary_of(module)

    index = CountingIndex(summaries)
    assert index.resolve("q:pkg.b.missing", "pkg.c") is None
    assert index.resolve("q:pkg.c.real", "pkg.b") == index.resolve("q:pkg.a.real", "pkg.b") is not None
    assert CountingIndex.lookups < 500


# manage.py inside a package folder: ``python apps/manage.py`` puts apps/ first
# on sys.path, so the project imports ``orgs.mixins`` for apps/orgs/mixins.py.
MANAGE_IN_A_PACKAGE = {
    "pyproject.toml": "",
    "apps/__init__.py": "",
    "apps/manage.py": "",
    "apps/common/__init__.py": "",
    "apps/common/utils.py": """
        import time

        def settle():
            time.sleep(1)
    """,
    "apps/orgs/__init__.py": "",
    "apps/orgs/mixins.py": """
        from asgiref.sync import sync_to_async

        class OrgMixin:
            @sync_to_async
            def has_perms(self, user, perms):
                return user.has_perms(perms)
    """,
    "apps/settings/__init__.py": "",
    "apps/settings/ws.py": """
        from common.utils import settle
        from orgs.mixins import OrgMixin

        class ToolsConsumer(OrgMixin):
            async def connect(self, user, enabled):
                has_perm = self.has_perms(user, ["rbac.view_systemtools"])
                if enabled and has_perm:
                    settle()
    """,
}


@pytest.mark.parametrize("given", ["project", "one file"])
def test_modules_below_a_package_that_holds_manage_py_are_found_by_the_names_the_project_imports(tmp_path: Path, given: str) -> None:
    write_project(tmp_path, MANAGE_IN_A_PACKAGE)
    namer = ModuleNamer(str(tmp_path))
    mixins = str(tmp_path / "apps" / "orgs" / "mixins.py")
    assert namer.module_name(mixins) == ("apps.orgs.mixins", False)
    assert namer.aliases(mixins) == ["orgs.mixins"]
    assert namer.aliases(str(tmp_path / "apps" / "orgs" / "__init__.py")) == ["orgs"]
    assert namer.aliases(str(tmp_path / "apps" / "manage.py")) == ["manage"]
    target = tmp_path if given == "project" else tmp_path / "apps" / "settings" / "ws.py"
    found = sorted((Path(f.path).name, f.line, f.code) for f in lint_paths([target]))
    assert found == [("ws.py", 6, "DJA302"), ("ws.py", 8, "DJA401")]


SYS_PATH_ROOT = FIXTURES / "dja401_sys_path_root"


@pytest.mark.parametrize(
    "code",
    [
        'BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\nsys.path.insert(0, os.path.join(BASE_DIR, "apps"))',
        'BASE_DIR = Path(__file__).resolve().parent.parent\nsys.path.append(str(BASE_DIR / "apps"))',
        'sys.path.insert(0, str(Path(__file__).resolve().parents[1].joinpath("apps")))',
        'APPS = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "apps"))\nif APPS not in sys.path:\n    sys.path.insert(0, APPS)',
        'ROOT = Path(__file__).parent.parent\ntry:\n    import apps\nexcept ImportError:\n    pass\nsys.path.extend([os.fspath(ROOT / "apps")])',
    ],
)
def test_the_folders_start_up_code_puts_on_sys_path_are_evaluated(code: str) -> None:
    from async_lint.analysis.sys_path import start_up_path_folders

    settings = "/site/config/settings.py"
    assert start_up_path_folders(settings, "import os\nimport sys\nfrom pathlib import Path\n" + code) == ["/site/apps"]


@pytest.mark.parametrize(
    "code",
    [
        'sys.path.insert(0, "apps")',  # relative to wherever the process starts: not known
        'sys.path.insert(0, os.path.join(os.environ["ROOT"], "apps"))',
        'def setup():\n    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "apps"))',
        "class Config:\n    sys.path.append(os.path.dirname(__file__))",
        'BASE = os.path.dirname(__file__)\nBASE = get_base()\nsys.path.insert(0, os.path.join(BASE, "apps"))',
        "paths = sys.path\npaths.insert(0, os.path.dirname(__file__))",
    ],
)
def test_start_up_code_that_adds_no_known_folder_adds_none(code: str) -> None:
    from async_lint.analysis.sys_path import start_up_path_folders

    assert start_up_path_folders("/site/config/settings.py", "import os\nimport sys\n" + code) == []


def test_files_below_a_folder_put_on_sys_path_are_named_from_it_too() -> None:
    web = SYS_PATH_ROOT / "web"
    namer = ModuleNamer(str(find_project_root([str(SYS_PATH_ROOT)])))
    prices = str(web / "apps" / "core" / "prices.py")
    assert namer.module_name(prices) == ("apps.core.prices", False)
    assert "core.prices" not in namer.aliases(prices)
    namer.set_path_roots([str(web / "apps"), "/elsewhere/apps", str(web / "missing")])
    assert namer.path_roots == (str(web / "apps"),)
    assert "core.prices" in namer.aliases(prices)
    assert "core" in namer.aliases(str(web / "apps" / "core" / "__init__.py"))
    assert not any(alias.startswith("apps") for alias in namer.aliases(str(web / "apps" / "__init__.py")))
    # The settings changed (a language server's next run): the names follow.
    namer.set_path_roots([])
    assert "core.prices" not in namer.aliases(prices)


@pytest.mark.parametrize("given", ["project", "one file"])
def test_a_call_into_an_app_of_a_folder_the_settings_put_on_sys_path_is_followed(given: str) -> None:
    target = SYS_PATH_ROOT if given == "project" else SYS_PATH_ROOT / "web" / "apps" / "exchange" / "consumers.py"
    found = sorted((Path(f.path).name, f.line, f.code) for f in lint_paths([target]))
    assert found == [("consumers.py", 8, "DJA401")]


NAMESPACE_PACKAGES = {
    "pyproject.toml": "",
    "app/models.py": """
        from django.db import models

        class Thing(models.Model):
            name = models.CharField(max_length=10)

        def count_things():
            return Thing.objects.count()
    """,
    "app/views.py": """
        from app.models import count_things
        from pkg.sub.tools import slow

        async def view(request):
            count_things()
            slow()
    """,
    "src/pkg/__init__.py": "",
    "src/pkg/sub/tools.py": """
        import time

        def slow():
            time.sleep(1)
    """,
    "scripts/deep/run.py": "",
}


@pytest.mark.parametrize("given", ["project", "one file"])
def test_modules_in_folders_without_init_are_found_as_namespace_packages(tmp_path: Path, given: str) -> None:
    write_project(tmp_path, NAMESPACE_PACKAGES)
    namer = ModuleNamer(str(tmp_path))
    assert namer.module_name(str(tmp_path / "app" / "models.py")) == ("models", False)
    assert namer.aliases(str(tmp_path / "app" / "models.py")) == ["app.models"]
    # Within a regular package: a namespace package of it (its relative
    # imports resolve so); also a top-level module, and below the root.
    assert namer.module_name(str(tmp_path / "src" / "pkg" / "sub" / "tools.py")) == ("pkg.sub.tools", False)
    assert namer.aliases(str(tmp_path / "src" / "pkg" / "sub" / "tools.py")) == ["tools", "src.pkg.sub.tools"]
    assert namer.aliases(str(tmp_path / "scripts" / "deep" / "run.py")) == ["scripts.deep.run"]
    target = tmp_path if given == "project" else tmp_path / "app" / "views.py"
    found = sorted((Path(f.path).name, f.line, f.code) for f in lint_paths([target]))
    assert found == [("views.py", 5, "DJA401"), ("views.py", 6, "DJA401")]


def test_import_roots_are_computed_once_for_the_same_files_and_src_is_always_looked_for(tmp_path: Path, monkeypatch) -> None:
    from async_lint.project import ModuleNamer, import_roots

    write_project(tmp_path, {"site/manage.py": "", "site/shop/__init__.py": "", "site/shop/views.py": "", "tools/run.py": ""})
    namer = ModuleNamer(str(tmp_path))
    files = [str(tmp_path / "site" / "shop" / "views.py"), str(tmp_path / "tools" / "run.py")]
    first = import_roots(str(tmp_path), files, namer)
    assert str(tmp_path / "site") in first and str(tmp_path / "tools") in first
    asked = []
    monkeypatch.setattr(namer, "import_root", lambda path: asked.append(path) or str(tmp_path))
    assert import_roots(str(tmp_path), files, namer) == first
    assert asked == []  # the same files: their roots are known
    assert import_roots(str(tmp_path), files[:1], namer) == [str(tmp_path), str(tmp_path)]
    assert asked == files[:1]  # other files: computed for them
    (tmp_path / "src").mkdir()
    assert import_roots(str(tmp_path), files, namer) == [first[0], str(tmp_path / "src"), *first[1:]]


@pytest.mark.parametrize("order", [sorted, lambda results: sorted(results, reverse=True)], ids=["in-path-order", "reversed"])
def test_two_files_of_one_module_name_give_the_same_findings_whatever_order_they_finish_in(tmp_path: Path, monkeypatch, order) -> None:
    """Two projects in one tree, each with its own ``shop`` package: which
    file answers for ``shop.services`` does not depend on which worker
    finished first (it did: a run over tests/fixtures reported 332 or 333),
    and each project's views get their own project's file (the one under
    their import root)."""
    from async_lint import engine, file_pool

    blocking = "import time\n\ndef fetch():\n    time.sleep(1)\n"
    quiet = "def fetch():\n    return 1\n"
    views = "from shop.services import fetch\n\nasync def page(request):\n    fetch()\n"
    (tmp_path / "pyproject.toml").write_text("")
    for name, services in (("one", blocking), ("two", quiet)):
        write_project(tmp_path / name, {"manage.py": "", "shop/__init__.py": "", "shop/services.py": services, "shop/views.py": views})
    real_run = file_pool.FileWorkers.run

    def finishing_in_order(self, tasks):
        results = real_run(self, tasks)
        return [r for _, r in order([(r.path, r) for r in results])]

    monkeypatch.setattr(file_pool.FileWorkers, "run", finishing_in_order)
    result = engine.run([str(tmp_path)], make_settings(root=str(tmp_path)))
    # Both views call "shop.services.fetch": each project's own; only one's blocks.
    assert [(Path(f.path).relative_to(tmp_path).as_posix(), f.code) for f in result.findings] == [("one/shop/views.py", "DJA401")]


def test_a_context_manager_entered_by_with_gets_no_thread_fix() -> None:
    """``await sync_to_async(scratch_dir)()`` would still enter the context
    manager on the loop: the finding says to move the block, with no fix."""
    found = [f for f in lint_paths([FIXTURES / "dja4_context_managers"]) if f.code == "DJA401" and f.path.endswith("workspace.py")]
    entered = [f for f in found if f.line in (36, 39, 70)]
    assert [(f.line, f.extra["chain"], f.extra["blocking_code"]) for f in entered] == [
        (36, ["shop.workspace.scratch_dir"], "DJA104"),
        (39, ["shop.workspace.throttled"], "DJA101"),
        (70, ["shop.workspace.scratch_dir"], "DJA104"),  # stack.enter_context(scratch_dir())
    ]
    for finding in entered:
        assert finding.fix is None
        assert "move the `with` block into a sync function" in finding.message
    # A sync helper that enters it can be run in a thread whole: the usual fix.
    helpers = [(f.line, f.extra["chain"], f.fix is not None) for f in found if f not in entered]
    assert helpers == [
        (67, ["shop.workspace.build_archive", "shop.workspace.scratch_dir"], True),
        (68, ["shop.workspace.build_with_stack", "shop.workspace.scratch_dir"], True),
    ]


def test_a_class_entered_by_with_runs_its_enter_and_exit_on_the_loop() -> None:
    """``with Cls(...)`` calls the class's sync ``__enter__`` and ``__exit__``
    (inherited ones too) in the caller's thread; ``async with`` calls
    ``__aenter__``, and a class made but not entered runs only ``__init__``."""
    found = [f for f in lint_paths([FIXTURES / "dja4_context_managers"]) if f.code == "DJA401" and f.path.endswith("downloads.py")]
    assert [(f.line, f.extra["chain"], f.extra["blocking_code"], f.fix is not None) for f in found] == [
        (5, ["shop.clients.FtpSession.__enter__"], "DJA105", False),
        (7, ["shop.clients.FileLock.__enter__"], "DJA104", False),
        (9, ["shop.clients.SlowExit.__exit__"], "DJA101", False),
        # A sync helper that enters it can run in a thread whole.
        (16, ["shop.clients.fetch_listing", "shop.clients.FtpSession.__enter__"], "DJA105", True),
    ]
    assert "`with FtpSession()` runs sync code that blocks the event loop: FtpSession.__enter__() -> ftplib.FTP()" in found[0].message
    assert "move the `with` block into a sync function" in found[0].message


def test_files_sharing_a_module_name_each_resolve_their_own_methods(tmp_path: Path) -> None:
    # Folders without __init__.py: both files are a module `pal`. The async
    # class's `self.handle()` is its own coroutine method, not the sync
    # method of the other file's class of the same name.
    root = tmp_path / "site"
    files = {
        "pyproject.toml": '[project]\nname = "site"\nversion = "1"\n',
        "views/pal.py": "import time\n\nclass Pal:\n    def handle(self):\n        time.sleep(1)\n\n    async def run(self):\n        self.handle()\n",
        "views/sub/pal.py": "class Pal:\n    async def run(self):\n        await self.handle()\n\n    async def handle(self):\n        pass\n",
    }
    write_tree(root, files)
    found = sorted((Path(f.path).relative_to(root).as_posix(), f.line, f.code) for f in lint_paths([root]))
    # The sync class's own call still is one.
    assert found == [("views/pal.py", 8, "DJA401")]
    assert lint_paths([root / "views" / "sub" / "pal.py"]) == []


def test_dja402_does_not_say_no_query_runs_where_the_helper_queries(tmp_path: Path) -> None:
    root = tmp_path / "site"
    files = {
        "pyproject.toml": '[project]\nname = "site"\nversion = "1"\n',
        "app/__init__.py": "",
        "app/models.py": "from django.db import models\n\n\nclass Provider(models.Model):\n    key = models.CharField(max_length=10)\n",
        "app/services.py": (
            "from app.models import Provider\n\n\n"
            "def available():\n    Provider.objects.filter(key='default').first()\n    return Provider.objects.filter(key__startswith='a')\n\n\n"
            "def lazy_only():\n    return Provider.objects.filter(key='x')\n\n\n"
            "def through_a_call():\n    lazy_only().first()\n    return Provider.objects.filter(key__startswith='b')\n"
        ),
        "app/threads.py": (
            "from asgiref.sync import sync_to_async\nfrom django.db.models import QuerySet\n\nfrom app.models import Provider\n\n"
            "@sync_to_async\ndef made(keys):\n    rows = Provider.objects.bulk_create([Provider(key=k) for k in keys])\n    return Provider.objects.filter(pk__in=[r.pk for r in rows])\n\n\n"
            "@sync_to_async\ndef built():\n    return Provider.objects.filter(key='y')\n\n\n"
            "def narrowed(providers: QuerySet) -> QuerySet:\n    for provider in providers.filter(key='z'):\n        providers = providers.exclude(pk=provider.pk)\n    return providers\n\n\n"
            "@sync_to_async\ndef delegated(providers: QuerySet) -> QuerySet:\n    return narrowed(providers)\n\n\n"
            "@sync_to_async\ndef guessed(holder):\n    extra = holder.groups.exists()\n    return Provider.objects.filter(key='y' if extra else 'z')\n"
        ),
        "app/views.py": (
            "from asgiref.sync import sync_to_async\n\nfrom app.services import available, lazy_only, through_a_call\n\n\n"
            "async def view(request):\n    qs = await sync_to_async(available)()\n    other = await sync_to_async(lazy_only)()\n    called = await sync_to_async(through_a_call)()\n    return qs.first, other.first, called.first\n"
        ),
    }
    write_tree(root, files)
    messages = {f.line: f.message for f in lint_paths([root]) if f.code == "DJA402" and f.path.endswith("views.py")}
    assert set(messages) == {7, 8, 9}
    # Its query runs one project call down: the thread is not for nothing.
    assert "hands back a lazy QuerySet (`through_a_call()` returns one)" in messages[9] and "no query runs" not in messages[9]
    assert "hands back a lazy QuerySet (`available()` returns one)" in messages[7] and "no query runs" not in messages[7]
    assert "only builds a lazy QuerySet: no query runs in the thread" in messages[8]
    # The same for a def decorated @sync_to_async (reported at the decorator).
    decorated = {f.line: f.message for f in lint_paths([root]) if f.code == "DJA402" and f.path.endswith("threads.py")}
    assert set(decorated) == {6, 12, 23, 28}
    assert "returns a lazy QuerySet: its query runs later" in decorated[6] and "no query runs" not in decorated[6]
    assert "only builds a lazy QuerySet: no query runs there" in decorated[12]
    # Its queries run in a helper it calls, over the QuerySet it was given.
    assert "returns a lazy QuerySet: its query runs later" in decorated[23] and "no query runs" not in decorated[23]
    # A query on a value of unknown type may run there: no claim that none does.
    assert "returns a lazy QuerySet: its query runs later" in decorated[28] and "no query runs" not in decorated[28]


def test_services_of_one_repository_resolve_their_own_same_named_packages(tmp_path: Path) -> None:
    """Two services in one repository (no ``__init__.py`` above them), each
    with a package ``lib``: a service's import of ``lib.net`` is its own
    package's, whichever sorts first, also on a run given one file."""
    files = {
        "pyproject.toml": "",
        "a_svc/lib/__init__.py": "",
        "a_svc/lib/net.py": "import requests\n\ndef fetch(url):\n    return requests.get(url)\n",
        "b_svc/lib/__init__.py": "",
        "b_svc/lib/net.py": "def fetch(url):\n    return url.upper()\n",
        "a_svc/server.py": "from lib.net import fetch\n\nasync def handler(url):\n    return fetch(url)\n",
        "b_svc/server.py": "from lib.net import fetch\n\nasync def handler(url):\n    return fetch(url)\n",
    }
    write_tree(tmp_path, files)
    found = [(Path(f.path).relative_to(tmp_path).as_posix(), f.code, f.extra["chain"]) for f in lint_paths([tmp_path])]
    assert found == [("a_svc/server.py", "DJA401", ["lib.net.fetch"])]
    assert lint_paths([tmp_path / "b_svc" / "server.py"]) == []
    assert [f.code for f in lint_paths([tmp_path / "a_svc" / "server.py"])] == ["DJA401"]


def test_project_checks_know_modules_by_the_names_the_project_imports_them_by(tmp_path: Path) -> None:
    """A package holding manage.py (``site/__init__.py`` beside
    ``site/manage.py``): its modules are ``site.services.mixins`` and, as the
    project imports them, ``services.mixins``. The facts of the module a
    view's base comes from are found by either name."""
    files = {
        "pyproject.toml": "",
        "site/__init__.py": "",
        "site/manage.py": "",
        "site/services/__init__.py": "",
        "site/services/mixins.py": "class PlainMixin:\n    title = 'x'\n",
        "site/shop/__init__.py": "",
        "site/shop/views.py": (
            "from django.http import JsonResponse\nfrom django.views import View\n\nfrom services.mixins import PlainMixin\n\n\n"
            "class Orders(View, PlainMixin):\n    async def get(self, request):\n        return JsonResponse({'id': request.user.pk})\n"
        ),
    }
    write_tree(tmp_path, files)
    found = [(Path(f.path).relative_to(tmp_path).as_posix(), f.line, f.code) for f in lint_paths([tmp_path])]
    assert found == [("site/shop/views.py", 9, "DJA205")]


PACKAGE_DIR_FILES = {
    "__init__.py": "",
    "models/__init__.py": "from agent_runtime.models.base import AgentConversation, AgentDefinition\n",
    "models/base.py": """
        from django.db import models


        class AgentDefinition(models.Model):
            slug = models.SlugField()


        class AgentConversation(models.Model):
            agent_key = models.SlugField()

            def storage_mode(self):
                return AgentDefinition.objects.filter(slug=self.agent_key).first()
        """,
    "runtime/__init__.py": "",
    "runtime/runner.py": """
        from asgiref.sync import sync_to_async

        from agent_runtime.models import AgentConversation


        async def finish(conversation_id):
            conversation = await sync_to_async(AgentConversation.objects.get)(id=conversation_id)
            return conversation.storage_mode()
        """,
}


@pytest.mark.parametrize(
    ("package_dir", "found"),
    [
        ('package-dir = {"agent_runtime" = "."}', [8]),
        # Without the mapping the folder's own name is the package's: the import names nothing here.
        ("", []),
        # A folder of top-level packages names no package.
        ('package-dir = {"" = "."}', []),
    ],
)
def test_setuptools_package_dir_names_the_package_a_folder_installs(tmp_path: Path, package_dir: str, found: list[int]) -> None:
    """``[tool.setuptools] package-dir = {"agent_runtime" = "."}``: the
    repository root is the package ``agent_runtime``, whatever its folder is
    called, and the project's imports of it resolve (DJA401 through them)."""
    root = write_project(tmp_path / "django-agent-runtime", {**PACKAGE_DIR_FILES, "pyproject.toml": f'[project]\nname = "x"\n\n[tool.setuptools]\n{package_dir}\n'})
    namer = ModuleNamer(str(root))
    assert namer.module_name(str(root / "models" / "base.py"))[0] == ("agent_runtime.models.base" if found else "django-agent-runtime.models.base")
    assert sorted(line for _name, line in by_line(lint_paths([root]), "DJA401")) == found
