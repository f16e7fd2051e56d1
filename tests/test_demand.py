"""What a run analyses in full (a libcst pass) and what it only
syntax-checks: the cost of a cold run follows the async code and what it
reaches, with the same findings as a full pass over every file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from async_lint.engine import run
from async_lint.source import decode_source
from tests.helpers import FIXTURES, forget_kept_runs, make_settings
from tests.test_project_index import write_project

MODELS = """
    from django.db import models

    class Author(models.Model):
        name = models.CharField(max_length=10)

    class Book(models.Model):
        author = models.ForeignKey(Author, on_delete=models.CASCADE)

        class Meta:
            ordering = ["pk"]
"""

MIGRATION = """
    from django.db import migrations, models

    class Migration(migrations.Migration):
        operations = [migrations.AddField("book", "title", models.CharField(max_length=5))]
"""


# helpers.tidy() -> deep.wait() -> time.sleep()
SYNC_CHAIN = {
    "manage.py": "",
    "app/__init__.py": "",
    "app/deep.py": """
        import time

        def wait():
            time.sleep(1)
    """,
    "app/helpers.py": """
        from app import deep

        def tidy():
            deep.wait()
    """,
}


def analysed(result) -> set[str]:
    """The project files the run gave a full pass (their summaries are in the index)."""
    return {Path(path).relative_to(result.root).as_posix() for path in result.index.by_path}


def test_model_modules_wait_until_async_code_reads_a_relation(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "manage.py": "",
            "shop/__init__.py": "",
            "shop/models.py": MODELS,
            "shop/migrations/__init__.py": "",
            "shop/migrations/0002_title.py": MIGRATION,
            "shop/views.py": """
                async def ping(request):
                    return None
            """,
        },
    )
    result = run([str(tmp_path)], make_settings())
    assert result.findings == []
    assert "shop/views.py" in analysed(result)
    assert "shop/models.py" not in analysed(result)
    assert "shop/migrations/0002_title.py" not in analysed(result)


def test_a_relation_read_in_async_code_brings_the_model_facts(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "manage.py": "",
            "shop/__init__.py": "",
            "shop/models.py": MODELS,
            "shop/views.py": """
                from shop.models import Book

                async def title(request):
                    book = await Book.objects.aget(pk=1)
                    return book.author.name
            """,
        },
    )
    result = run([str(tmp_path)], make_settings())
    assert [(Path(f.path).name, f.line, f.code) for f in result.findings] == [("views.py", 5, "DJA204")]
    assert "shop/models.py" in analysed(result)


def test_a_discarded_call_in_sync_code_is_not_followed_further(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            **SYNC_CHAIN,
            "app/jobs.py": """
                import asyncio
                from app import helpers

                def nightly():
                    helpers.tidy()
            """,
            "app/views.py": """
                async def ping(request):
                    return None
            """,
        },
    )
    result = run([str(tmp_path)], make_settings())
    assert result.findings == []
    # jobs.py is read for its asyncio use; its discarded call asks only
    # whether helpers.tidy is a coroutine function (DJA302), not what it
    # calls; and no module of the project spells a coroutine function by
    # that name, so not even that (coroutine_names.py).
    assert "app/jobs.py" in analysed(result)
    assert "app/helpers.py" not in analysed(result) and "app/deep.py" not in analysed(result)
    # A run given one file does not read every module's text: it asks.
    partial = run([str(tmp_path / "app" / "jobs.py")], make_settings())
    assert partial.findings == [] and "app/helpers.py" in analysed(partial)


# jobs.py (sync code) drops the coroutine of mail.notify, re-exported by app.api as send.
RENAMED_COROUTINE = {
    "manage.py": "",
    "app/__init__.py": "",
    "app/api/__init__.py": """
        from app.api.mail import notify as send
        from app.api.meta import version
    """,
    "app/api/mail.py": """
        async def notify(user):
            return user
    """,
    "app/jobs.py": """
        import asyncio
        from app.api import send, version

        def nightly():
            send("admin")
            version()
    """,
    "app/api/meta.py": """
        def version():
            return 1
    """,
}


@pytest.mark.parametrize("ignored", [False, True], ids=["whole-tree", "module-gitignored"])
def test_a_call_in_sync_code_is_followed_where_a_coroutine_may_answer_to_its_name(tmp_path: Path, ignored: bool) -> None:
    """``send`` is a coroutine function's name through an import's ``as``:
    followed, and DJA302 found; ``version`` is no such name.  Where the walk
    passed a module over (here the coroutine's, gitignored), the names are
    not all known and every call is followed, as on a run given a few files."""
    write_project(tmp_path, RENAMED_COROUTINE)
    if ignored:
        (tmp_path / ".git").mkdir()
        (tmp_path / ".gitignore").write_text("app/api/mail.py\n")
    result = run([str(tmp_path)], make_settings(root=str(tmp_path)))
    assert [(Path(f.path).name, f.line, f.code) for f in result.findings] == [("jobs.py", 5, "DJA302")]
    assert "app/api/__init__.py" in analysed(result)
    assert ("app/api/meta.py" in analysed(result)) is ignored


def test_a_call_on_the_loop_is_still_followed_through_every_module(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            **SYNC_CHAIN,
            "app/views.py": """
                from app import helpers

                async def ping(request):
                    helpers.tidy()
            """,
        },
    )
    result = run([str(tmp_path)], make_settings())
    assert [(Path(f.path).name, f.code) for f in result.findings] == [("views.py", "DJA401")]
    assert "app/deep.py" in analysed(result)


ORM_CHAIN = {
    "manage.py": "",
    "app/__init__.py": "",
    "app/models.py": """
        from django.db import models

        class Order(models.Model):
            total = models.IntegerField()
    """,
    "app/store.py": """
        from app.models import Order

        def count_orders():
            return Order.objects.count()
    """,
    "app/reports.py": """
        from app import store

        def summary():
            count = store.count_orders()
            return {"orders": count}
    """,
}


@pytest.mark.parametrize(
    ("arguments", "codes", "store_read"),
    [
        # DJA402/DJA404 read summary() itself: whether it is async, what it returns.
        ("reports.summary", [], False),
        # DJA403 follows what it calls, down to the ORM.
        ("reports.summary, thread_sensitive=False", [("views.py", 5, "DJA403")], True),
    ],
)
def test_a_function_handed_to_a_thread_is_followed_only_for_thread_sensitive_false(tmp_path: Path, arguments: str, codes: list, store_read: bool) -> None:
    views = f"""
        from asgiref.sync import sync_to_async
        from app import reports

        async def page(request):
            return await sync_to_async({arguments})()
    """
    write_project(tmp_path, {**ORM_CHAIN, "app/views.py": views})
    result = run([str(tmp_path)], make_settings())
    assert [(Path(f.path).name, f.line, f.code) for f in result.findings] == codes
    assert "app/reports.py" in analysed(result)
    assert ("app/store.py" in analysed(result)) is store_read


def test_every_check_declares_the_text_its_findings_need() -> None:
    """No check sends every file to a full pass: each says which text a file
    must contain for it to report or record anything there."""
    from async_lint.checks import all_checks
    from async_lint.file_analysis import _check_hints

    for check_class in all_checks():
        hints = _check_hints(check_class)
        assert hints is not None, check_class.__name__
        for pattern in (*hints, *(check_class.text_hints_after_fact or ("", ()))[1]):
            re.compile(pattern)


CORPUS = sorted([*FIXTURES.rglob("*.py"), *(Path(__file__).parent.parent / "examples").rglob("*.py")])


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_a_check_whose_hints_miss_a_file_reports_nothing_there(path: Path) -> None:
    """What the prefilter skips, each check run alone in a full pass reports
    nothing in either: the hints are sound on the corpus.  (Facts are not
    compared: a check records the classes or models of any file it is run
    on, and the project-wide checks ask for the files they need.)"""
    from async_lint.analysis.context import FileContext
    from async_lint.checks import all_checks
    from async_lint.file_analysis import _check_hints
    from async_lint.source import parse_source
    from async_lint.traversal import FileTraversal
    from async_lint.walk import walk

    source = decode_source(str(path), path.read_bytes())
    settings = make_settings()
    missed = [check_class for check_class in all_checks() if not any(re.search(p, source.text) for p in (*_check_hints(check_class), *(check_class.text_hints_after_fact or ("", ()))[1]))]
    for check_class in missed:
        ctx = FileContext(path=str(path), module=parse_source(source), source=source, module_name=path.stem, is_package=False, settings=settings, index=None, enabled=settings.enabled)
        traversal = FileTraversal(ctx, [check_class(ctx)])
        walk(ctx.module, traversal.on_visit, traversal.on_leave, traversal)
        assert not traversal.crashes
        assert (check_class.__name__, ctx.reports) == (check_class.__name__, [])


VIEW_BASES = {
    "manage.py": "",
    "app/__init__.py": "",
    "app/base.py": """
        from django.http import JsonResponse
        from django.views import View

        class AsyncBase(View):
            async def get(self, request):
                return JsonResponse({})
    """,
    "app/layers.py": """
        from app.base import AsyncBase

        class Layer(AsyncBase):
            template_name = "layer.html"
    """,
    "app/views.py": """
        from django.http import JsonResponse
        from app.layers import Layer

        class PageView(Layer):
            def post(self, request):
                return JsonResponse({})
    """,
    "app/plain.py": """
        from django.http import JsonResponse
        from django.views import View

        class PlainView(View):
            def get(self, request):
                return JsonResponse({})
    """,
}


def test_a_view_class_without_async_code_is_analysed_only_when_it_inherits_some(tmp_path: Path) -> None:
    write_project(tmp_path, VIEW_BASES)
    result = run([str(tmp_path)], make_settings())
    assert [(Path(f.path).name, f.line, f.code) for f in result.findings] == [("views.py", 4, "DJA503")]
    # views.py inherits async get() through layers.py; only base.py, with
    # async code, gets a full pass: the class facts of layers.py and views.py
    # are read with CPython's ast (test_class_shapes_ast.py), and plain.py's
    # classes reach no async code and cost an ast parse only.
    assert analysed(result) == {"app/base.py"}
    # Named alone (a pre-commit run), views.py still finds its bases.
    alone = run([str(tmp_path / "app" / "views.py")], make_settings())
    assert [(Path(f.path).name, f.line, f.code) for f in alone.findings] == [("views.py", 4, "DJA503")]


ATOMIC_PROJECT = {
    "manage.py": "",
    "shop/__init__.py": "",
    "shop/settings.py": """
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db"}}
        ROOT_URLCONF = "shop.urls"
    """,
    "shop/urls.py": """
        from django.urls import path
        from shop import pages

        urlpatterns = [path("", pages.PageView.as_view())]
    """,
    "shop/pages.py": """
        from adrf.generics import ListAPIView

        class PageView(ListAPIView):
            pass
    """,
}


def test_urlconfs_and_settings_wait_for_atomic_requests(tmp_path: Path) -> None:
    write_project(tmp_path, ATOMIC_PROJECT)
    result = run([str(tmp_path)], make_settings())
    assert result.findings == []
    assert not {"shop/settings.py", "shop/urls.py"} & analysed(result)
    (tmp_path / "shop" / "settings.py").write_text('DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db", "ATOMIC_REQUESTS": True}}\nROOT_URLCONF = "shop.urls"\n')
    result = run([str(tmp_path)], make_settings())
    assert [(Path(f.path).name, f.code) for f in result.findings] == [("settings.py", "DJA507")]
    # The settings set ATOMIC_REQUESTS, and the view is adrf's (an async view
    # with no ``async def``): full passes.  The URLconf's route is read with
    # ``ast`` (test_atomic_facts_ast.py).
    assert {"shop/settings.py", "shop/pages.py"} <= analysed(result)
    assert "shop/urls.py" not in analysed(result)


def test_the_names_are_kept_with_each_files_cached_result(tmp_path: Path) -> None:
    """A warm run knows the names from the cache (no file is read with
    libcst again) and so follows exactly the calls a cold run does."""
    project = write_project(tmp_path / "project", RENAMED_COROUTINE)
    settings = make_settings(root=str(project))
    cache = str(tmp_path / "cache")
    cold = run([str(project)], settings, cache_dir=cache, use_cache=True)
    forget_kept_runs(cache)  # served file by file, so the index is built from the cached results
    warm = run([str(project)], settings, cache_dir=cache, use_cache=True)
    assert warm.cache_misses == 0 and warm.cache_hits
    assert [(f.path, f.line, f.code) for f in warm.findings] == [(f.path, f.line, f.code) for f in cold.findings] == [(str(project / "app" / "jobs.py"), 5, "DJA302")]
    assert analysed(warm) == analysed(cold) and "app/api/meta.py" not in analysed(warm)
