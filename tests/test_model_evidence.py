"""A project with no code the model table can change a finding in (no async
code, no ``sync_to_async``, no Django async twin) gets an empty table, and
the same findings as with the table; any such code, wherever the run finds
it, gets the table."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from async_lint.analysis.model_evidence import may_use_models
from async_lint.engine import run
from tests.helpers import codes, make_settings


@pytest.mark.parametrize(
    "source",
    [
        "async def view(request):\n    return 1\n",
        "class V:\n    @decorator\n    async  def get(self):\n        pass\n",
        "from asgiref.sync import sync_to_async\n",
        "import asgiref.sync\nf = asgiref.sync.sync_to_async(len)\n",
        "from channels.db import database_sync_to_async\n",
        "def f(order):\n    order.asave()\n",
        "def f(user):\n    signal.asend(sender=None)\n",
        "from django.shortcuts import aget_object_or_404 as get\n",
        "def f(request):\n    aget_object_or_404(Post, pk=1)\n",
        # CPython cannot read it: counted, the full pass says why.
        "async def view(request:\n",
    ],
)
def test_code_the_table_can_matter_to(source):
    assert may_use_models(source.encode())


@pytest.mark.parametrize(
    "source",
    [
        "def view(request):\n    return 1\n",
        # The words in prose, comments and strings are not code.
        '"""Use sync_to_async, or write an async def view."""\n',
        "x = 1  # async def, obj.asave(), aget_object_or_404(\n",
        "MESSAGE = 'call obj.asave() from async code'\n",
        # Names that only begin like a twin, and a sync twin.
        "def f(order):\n    order.asave_later()\n    order.save()\n    asynchronous = True\n",
        "from asgiref.sync import async_to_sync\n",
    ],
)
def test_code_the_table_cannot_matter_to(source):
    assert not may_use_models(source.encode())


MODELS = """
    from django.db import models


    class PublishedManager(models.Manager):
        def get_queryset(self):
            return super().get_queryset().filter(published=True)


    class Post(models.Model):
        published = models.BooleanField()
        posts = PublishedManager()
"""
SYNC_VIEW = """
    from blog.models import Post


    def index(request):
        return Post.posts.count()
"""
ASYNC_VIEW = """
    from blog.models import Post


    async def latest(request):
        return Post.posts.get(pk=1)
"""


def _project(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text("[tool.async-lint]\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_project_with_no_async_code_gets_an_empty_table(tmp_path):
    root = _project(tmp_path, {"blog/__init__.py": "", "blog/models.py": MODELS, "blog/views.py": SYNC_VIEW})
    result = run([str(root)], make_settings())
    assert result.models is not None and not result.models.models
    assert result.findings == []


@pytest.mark.parametrize(
    "where",
    [
        "blog/async_views.py",
        # Files the table itself does not read are still asked.
        "blog/migrations/0002_backfill.py",
    ],
)
def test_async_code_anywhere_in_the_project_gets_the_table(tmp_path, where):
    root = _project(tmp_path, {"blog/__init__.py": "", "blog/models.py": MODELS, "blog/views.py": SYNC_VIEW, where: ASYNC_VIEW})
    result = run([str(root)], make_settings())
    assert "blog.models.Post" in result.models.models
    # The custom manager is known from the table only.
    assert codes(result.findings) == ["DJA201"]


def test_a_text_linted_in_place_of_a_file_counts(tmp_path):
    root = _project(tmp_path, {"blog/__init__.py": "", "blog/models.py": MODELS, "blog/views.py": SYNC_VIEW})
    stdin = str(root / "blog" / "api.py")
    result = run([stdin], make_settings(), texts={stdin: textwrap.dedent(ASYNC_VIEW).encode()})
    assert "blog.models.Post" in result.models.models
    assert [(f.path, f.code) for f in result.findings] == [(stdin, "DJA201")]


def test_sync_to_async_in_sync_code_gets_the_table(tmp_path):
    # DJA402 reads the wrapped function's QuerySet, which the table names.
    helper = """
        from asgiref.sync import sync_to_async

        from blog.models import Post


        @sync_to_async
        def published():
            return Post.posts.all()
    """
    root = _project(tmp_path, {"blog/__init__.py": "", "blog/models.py": MODELS, "blog/queries.py": helper})
    result = run([str(root)], make_settings())
    assert codes(result.findings) == ["DJA402"]


# -- a project with no async code at all (ModelTable.async_free) -----------------------------
MIDDLEWARE = """
    class TimingMiddleware:
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request):
            return self.get_response(request)


    class BrokenMiddleware:
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request, get_response):
            return get_response(request)
"""
ADRF_BASE = """
    from adrf.generics import ListAPIView


    class BaseListView(ListAPIView):
        pass
"""
ADRF_VIEW = """
    from blog.base import BaseListView


    class PostListView(BaseListView):
        def post(self, request):
            return None
"""


def test_a_project_with_no_async_code_is_async_free_and_keeps_its_sync_findings(tmp_path):
    root = _project(tmp_path, {"blog/__init__.py": "", "blog/models.py": MODELS, "blog/views.py": SYNC_VIEW, "blog/middleware.py": MIDDLEWARE})
    result = run([str(root)], make_settings())
    assert result.models.async_free
    # A rule that reports in sync code still does: the middleware check is not skipped.
    assert [(Path(f.path).name, f.code, f.line) for f in result.findings] == [("middleware.py", "DJA502", 14)]


SYNC_ASYNCIO = """
    import asyncio
    import time

    import requests
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient, TestCase

    from blog.models import Post
    from blog.views import index


    def refresh(pk):
        post = Post.posts.get(pk=pk)
        time.sleep(1)
        requests.get("https://example.com")
        for other in Post.posts.all():
            print(other.published)
        post.save()
        return post


    def schedule():
        asyncio.ensure_future(asyncio.sleep(1))
        asyncio.sleep(2)


    def wrapped():
        return async_to_sync(refresh)(1), async_to_sync(index)(None)


    class PostTests(TestCase):
        def test_list(self):
            client = AsyncClient()
            client.get("/posts/")
            self.async_client.post("/posts/", {})
"""


def test_an_async_free_project_keeps_the_findings_its_sync_code_can_have(tmp_path):
    """With no async code in the project, a full pass leaves out the DJA1xx
    and DJA2xx checks (they report only on the event loop, and what they
    record feeds only chains from async code): the sync ORM, sleep and HTTP
    calls stay silent, and the rules that report in sync code (a dropped
    task, a dropped coroutine, an adapter the wrong way, in this module or
    through another's def) still do."""
    import dataclasses

    from async_lint.analysis.model_table import ModelTable
    from async_lint.catalog import blocking_codes
    from async_lint.file_analysis import pass_checks

    files = {"blog/__init__.py": "", "blog/models.py": MODELS, "blog/views.py": SYNC_VIEW, "blog/tasks.py": SYNC_ASYNCIO, "blog/middleware.py": MIDDLEWARE}
    root = _project(tmp_path, files)
    result = run([str(root)], make_settings())
    assert result.models.async_free
    found = [(Path(f.path).name, f.code, f.line) for f in result.findings]
    assert found == [
        ("middleware.py", "DJA502", 14),
        ("tasks.py", "DJA301", 24),
        ("tasks.py", "DJA302", 25),
        ("tasks.py", "DJA404", 29),
        ("tasks.py", "DJA404", 29),
        ("tasks.py", "DJA302", 35),
        ("tasks.py", "DJA302", 36),
    ]
    settings = make_settings()
    free = {entry.name for entry in pass_checks(dataclasses.replace(settings, models=ModelTable(async_free=True)))}
    busy = {entry.name for entry in pass_checks(dataclasses.replace(settings, models=ModelTable()))}
    assert {"SyncOrmCheck", "BlockingCallCheck"} <= busy - free
    assert {"UnawaitedCoroutineCheck", "DanglingTaskCheck", "SyncToAsyncCheck", "MiddlewareCheck"} <= free
    assert not any(set(entry.codes) <= blocking_codes() for entry in pass_checks(dataclasses.replace(settings, models=ModelTable(async_free=True))))


@pytest.mark.parametrize("where", ["blog/async_views.py", "blog/migrations/0002_backfill.py"])
def test_async_code_anywhere_makes_the_project_not_async_free(tmp_path, where):
    root = _project(tmp_path, {"blog/__init__.py": "", "blog/models.py": MODELS, "blog/views.py": SYNC_VIEW, where: ASYNC_VIEW})
    assert not run([str(root)], make_settings()).models.async_free


def test_a_view_of_an_async_framework_makes_the_project_not_async_free(tmp_path):
    """No ``async def`` in the project, but adrf's generic views have async
    handlers: a subclass's sync ``post`` in another module mixes them (DJA503
    through the class facts an async-free project skips)."""
    root = _project(tmp_path, {"blog/__init__.py": "", "blog/base.py": ADRF_BASE, "blog/views.py": ADRF_VIEW})
    result = run([str(root)], make_settings())
    assert not result.models.async_free
    assert [(Path(f.path).name, f.code) for f in result.findings] == [("views.py", "DJA503")]


def test_an_async_free_project_gives_no_pass_for_the_checks_that_need_async_code():
    """``ATOMIC_REQUESTS`` alone asks for DJA507's full pass, and a view
    class for the structure rules' class facts: neither matters without async
    views or an async ``__call__``."""
    import dataclasses

    from async_lint.analysis.model_table import ModelTable
    from async_lint.file_analysis import _needs_full_pass, light_fact_checks

    settings = make_settings()
    free = dataclasses.replace(settings, models=ModelTable(async_free=True))
    busy = dataclasses.replace(settings, models=ModelTable())
    text = "DATABASES = {'default': {'ATOMIC_REQUESTS': True}}\n"
    assert _needs_full_pass(text, busy) and not _needs_full_pass(text, free)
    view = "class PostView(View):\n    def get(self, request):\n        pass\n"
    assert any(pattern.search(view) for pattern, _ in light_fact_checks(busy))
    assert not any(pattern.search(view) for pattern, _ in light_fact_checks(free))
    # A sync middleware still gets the middleware check's pass (DJA502 on a sync ``__call__``).
    assert _needs_full_pass("def __init__(self, get_response):\n    pass\n", free)


def test_a_root_that_is_a_package_gives_no_async_free_verdict():
    """``config/`` with its own setup.py is the root of a run given its
    settings file, but Python imports it from the folder above, where the
    async views are that DJA507 reads (tests/test_partial_runs.py)."""
    fixture = Path(__file__).parent / "fixtures" / "dja5_atomic_packaged_config"
    result = run([str(fixture / "config" / "settings" / "base.py")], make_settings())
    assert Path(result.root).name == "config"
    assert not result.models.async_free
    assert codes(result.findings) == ["DJA507"]
