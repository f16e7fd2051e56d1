"""DJA301-DJA304: cases the fixtures do not show, and the API table checked
against the libraries it describes."""

from __future__ import annotations

import importlib
import inspect

from asgiref.sync import iscoroutinefunction as asgiref_iscoroutinefunction

import pytest

from async_lint.catalog import get_rule
from async_lint.checks.coroutines import coroutine_apis
from tests.helpers import codes, lint_text

DJA3 = ["DJA301", "DJA302", "DJA303", "DJA304"]


def lint(src: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in lint_text(src, select=DJA3)]


def _resolve(dotted: str):
    """Import the longest importable module prefix and walk the rest; None if absent."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            value = getattr(value, attr, None)
        return value
    return None


def test_levels_follow_the_catalog_defaults() -> None:
    assert [get_rule(code).level for code in DJA3] == ["warning", "error", "info", "error"]
    assert [get_rule(code).fix for code in DJA3] == ["never", "sometimes", "sometimes", "never"]


def test_table_coroutines_are_coroutine_functions() -> None:
    apis = coroutine_apis()
    checked = 0
    for name in apis.coroutines:
        value = _resolve(name)
        if value is not None:
            # asgiref's test also knows a ``@database_sync_to_async`` object for one (channels.auth.login).
            assert inspect.iscoroutinefunction(value) or asgiref_iscoroutinefunction(value), name
            checked += 1
    assert checked >= 10  # asyncio's and Django's are always installed


def test_table_client_classes_have_those_coroutine_methods() -> None:
    # Where a client row's constructor is an installed class (asyncio's
    # primitives and queues always are), each method it lists is a coroutine function.
    apis = coroutine_apis()
    checked = 0
    for name, client in apis.clients.items():
        value = _resolve(name)
        if not inspect.isclass(value):
            continue
        for method in client.methods:
            # ``Condition.acquire`` is its lock's, set on each instance.
            found = getattr(value, method, None) or getattr(value(), method)
            assert inspect.iscoroutinefunction(found), f"{name}.{method}"
            checked += 1
    assert checked >= 10


def test_table_django_methods_are_coroutine_functions() -> None:
    from django.core.cache.backends.base import BaseCache
    from django.db.models import Model, QuerySet
    from django.dispatch import Signal

    apis = coroutine_apis()
    for method in apis.django_twins["queryset"]:
        assert inspect.iscoroutinefunction(getattr(QuerySet, method)), method
    for method in apis.django_twins["model"]:
        assert inspect.iscoroutinefunction(getattr(Model, method)), method
    # The cache and signal rows take their methods from the twin table (every
    # kind is checked in tests/test_semantic_tables.py).
    assert apis.objects["django.core.cache.cache"].methods == apis.clients["django.core.cache.caches"].methods
    for method in apis.objects["django.core.cache.cache"].methods:
        assert inspect.iscoroutinefunction(getattr(BaseCache, method)), method
    assert "aincr_version" in apis.objects["django.core.cache.cache"].methods
    for method in apis.clients["django.dispatch.Signal"].methods:
        assert inspect.iscoroutinefunction(getattr(Signal, method)), method


def test_table_channels_consumers_match_channels() -> None:
    pytest.importorskip("channels")
    from channels.layers import BaseChannelLayer, InMemoryChannelLayer

    apis = coroutine_apis()
    for base, methods in apis.consumers.items():
        cls = _resolve(base)
        assert cls is not None, base
        for method in methods:
            assert inspect.iscoroutinefunction(getattr(cls, method)), f"{base}.{method}"
    for method in apis.clients["channels.layers.get_channel_layer"].methods:
        layer = InMemoryChannelLayer if method == "close" else BaseChannelLayer
        assert inspect.iscoroutinefunction(getattr(layer, method)), method
    # Sync consumers' own methods are plain: `self.send()` there is no coroutine.
    from channels.generic.websocket import WebsocketConsumer

    assert not inspect.iscoroutinefunction(WebsocketConsumer.send)


def test_dropped_channel_layer_call_in_a_sync_consumer() -> None:
    src = """
        from channels.generic.websocket import JsonWebsocketConsumer

        class Feed(JsonWebsocketConsumer):
            def connect(self):
                self.channel_layer.group_add("feed", self.channel_name)
                self.accept()
                self.send_json({"hello": True})
    """
    assert lint(src) == [(6, "DJA302")]


def test_own_class_overrides_win_over_consumer_bases() -> None:
    src = """
        from channels.generic.websocket import AsyncWebsocketConsumer

        class Mixin:
            async def notify(self):
                pass

        class Quiet(AsyncWebsocketConsumer):
            def send(self, text_data=None, bytes_data=None, close=False):
                return None

            async def receive(self, text_data=None, bytes_data=None):
                self.send(text_data)
                self.close()

        class Unknown(SomeExternalMixin, AsyncWebsocketConsumer):
            async def receive(self, text_data=None, bytes_data=None):
                self.send(text_data)

        class Mixed(Mixin, AsyncWebsocketConsumer):
            async def receive(self, text_data=None, bytes_data=None):
                self.notify()
    """
    # Quiet.send is sync (no finding); Quiet.close is inherited async; an
    # unknown external base could define `send`: no evidence.
    assert lint(src) == [(14, "DJA302"), (22, "DJA302")]


def test_decorated_and_generator_defs_are_not_known_coroutines() -> None:
    src = """
        import functools
        from myapp.tasks import app

        @app.task
        async def crunch():
            pass

        @functools.lru_cache
        async def cached():
            pass

        async def ticks():
            yield 1

        class Pump:
            async def items(self):
                yield 1

            @property
            async def ready(self):
                return True

            async def run(self):
                crunch()
                cached()
                ticks()
                self.items()
    """
    assert lint(src) == []


def test_reentrant_loops_opted_in_with_nest_asyncio() -> None:
    src = """
        import asyncio
        import nest_asyncio

        nest_asyncio.apply()

        async def fetch():
            return 1

        async def notebook_cell():
            return asyncio.run(fetch())
    """
    assert lint(src) == []
    plain = src.replace("import nest_asyncio", "").replace("nest_asyncio.apply()", "")
    assert lint(plain) == [(11, "DJA304")]


def test_unused_task_variables() -> None:
    src = """
        import asyncio

        async def job():
            pass

        _ = asyncio.ensure_future(job())
        module_task = asyncio.ensure_future(job())

        def start():
            started = asyncio.create_task(job())

        def start_and_keep():
            kept = asyncio.create_task(job())
            return lambda: kept

        async def store_twice():
            first = asyncio.create_task(job())
            first = asyncio.create_task(job())
            return first
    """
    # A module-level name may be read by other modules: only `_` is a discard there.
    assert lint(src) == [(7, "DJA301"), (11, "DJA301")]


def test_run_until_complete_on_any_receiver_only_in_async_code() -> None:
    src = """
        async def handler(runner, coro):
            runner.loop.run_until_complete(coro)

        def cli(runner, coro):
            runner.loop.run_until_complete(coro)
    """
    assert lint(src) == [(3, "DJA304")]


def test_messages_name_the_call_and_the_fix() -> None:
    src = """
        import asyncio

        async def save(order):
            asyncio.sleep(1)
    """
    [finding] = lint_text(src, select=DJA3)
    assert "`asyncio.sleep(...)`" in finding.message and "add `await`" in finding.message
    assert codes(lint_text(src, select=["DJA301"])) == []


def test_coroutines_of_other_modules_get_their_await_added(tmp_path) -> None:
    """Cross-module DJA302 (from the project index) carries the same `await`
    fix as the per-file rule, where an `await` is valid at once."""
    import shutil
    from pathlib import Path

    from async_lint.apply_fixes import fix_paths
    from tests.helpers import FIXTURES, lint_paths, make_settings

    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "dja302_cross_module", project)
    result = fix_paths([str(project)], make_settings(select=["DJA302"]), write=True)
    assert not result.refused_files
    views = (project / "views.py").read_text(encoding="utf-8")
    for fixed in (
        'if await is_allowed(user, "view"):',
        'if not await permissions.is_allowed(user, "edit"):',
        'title = f"Profile of {await display_name(user)}"',
        "print(await load_profile(user))",
        "    await count_sessions(user)  #",
        "if user and await count_sessions(user):",
        '"name": str(await display_name(user))',
        "allowed = await self.check(user)  #",
        "name = await display_name(user)  #",
    ):
        assert fixed in views, fixed
    sessions = (project / "sessions.py").read_text(encoding="utf-8")
    for fixed in ("        await self.store.forget(user)  #", "    await store.forget(user)  #", "    if await store.forget(user):  #"):
        assert fixed in sessions, fixed
    remaining = lint_paths([project], select=["DJA302"])
    # Only the sync functions' are left, where `await` is not possible, and
    # the decorator factories called as decorators, which `await` does not fix.
    assert sorted((Path(f.path).name, f.line, f.fix) for f in remaining) == [
        ("retrying.py", 34, None),
        ("scrapers.py", 7, None),
        ("scrapers.py", 11, None),
        ("sessions.py", 18, None),
        ("views.py", 40, None),
    ]


def test_dja302_says_the_same_and_offers_the_same_fix_whether_the_coroutine_function_is_here_or_imported(tmp_path) -> None:
    from tests.cli_helpers import write_tree
    from tests.helpers import lint_paths

    write_tree(
        tmp_path,
        {
            "manage.py": "",
            "accounts/__init__.py": "",
            "accounts/audit.py": "async def record(event):\n    return event\n",
            "accounts/views.py": (
                "from accounts.audit import record\n\n\nasync def local_record(event):\n    return event\n\n\nasync def view(request):\n    record(request)\n    local_record(request)\n"
            ),
        },
    )
    found = {f.line: f for f in lint_paths([tmp_path / "accounts" / "views.py"], select=["DJA302"])}
    imported, local = found[9], found[10]
    assert local.message == "`local_record(...)` returns a coroutine that is never awaited: its body never runs; add `await`"
    said = "returns a coroutine that is never awaited: its body never runs; add `await`"
    # The same words: only where the coroutine function is defined is added.
    assert imported.message.startswith(f"`record(...)` {said} (`async def` in ") and imported.message.endswith("accounts/audit.py)")
    from async_lint.apply_fixes import apply_edits

    text = (tmp_path / "accounts" / "views.py").read_text(encoding="utf-8")
    assert imported.fix.message == local.fix.message == "Add `await`"
    assert apply_edits(text, list(imported.fix.edits)).splitlines()[8] == "    await record(request)"
    assert apply_edits(text, list(local.fix.edits)).splitlines()[9] == "    await local_record(request)"


def test_a_coroutine_of_another_module_held_in_a_local_is_reported_at_its_call(tmp_path) -> None:
    """A permission check inherited from a mixin of another module, stored
    and then only tested: always true, so everyone passes (a real consumer's
    bug), reported as the file's own held coroutines are."""
    from tests.cli_helpers import write_tree
    from tests.helpers import lint_paths

    write_tree(
        tmp_path,
        {
            "manage.py": "",
            "orgs/__init__.py": "",
            "orgs/mixins.py": ("from asgiref.sync import sync_to_async\n\n\nclass OrgMixin:\n    @sync_to_async\n    def has_perms(self, user, perms):\n        return user.has_perms(perms)\n"),
            "orgs/ws.py": (
                "from orgs.mixins import OrgMixin\n\n\n"
                "class Tools(OrgMixin):\n"
                "    async def local_perms(self, user):\n        return True\n\n"
                "    async def connect(self, user, enabled):\n"
                "        has_perm = self.has_perms(user, ['view'])\n"
                "        local = self.local_perms(user)\n"
                "        if enabled and has_perm and local:\n"
                "            return True\n"
            ),
        },
    )
    found = {f.line: f for f in lint_paths([tmp_path / "orgs" / "ws.py"], select=["DJA302"])}
    assert sorted(found) == [9, 10]
    held = "returns a coroutine that is stored in `{}`, which is only tested for truth (always true) and never awaited: its body never runs; add `await`"
    assert found[10].message == "`self.local_perms(...)` " + held.format("local")
    assert found[9].message.startswith("`self.has_perms(...)` " + held.format("has_perm") + " (a `@sync_to_async` def in ")
    assert found[9].fix.message == "Add `await`"
    from async_lint.apply_fixes import apply_edits

    text = (tmp_path / "orgs" / "ws.py").read_text(encoding="utf-8")
    assert apply_edits(text, list(found[9].fix.edits)).splitlines()[8] == "        has_perm = await self.has_perms(user, ['view'])"


THREAD_TASK = """
import asyncio

from asgiref.sync import sync_to_async


async def notify():
    await asyncio.sleep(0)


@sync_to_async
def record_download():
    asyncio.create_task(notify())


async def view():
    await record_download()
"""


@pytest.mark.filterwarnings("ignore:coroutine 'notify' was never awaited:RuntimeWarning")
def test_a_task_created_in_a_worker_thread_is_worded_as_the_runtime_error_it_is(tmp_path):
    """In a def handed to a thread there is no running loop: create_task
    raises RuntimeError (checked on the installed asgiref), so the finding
    says that, not that the task may be garbage-collected."""
    import asyncio
    import importlib.util

    [finding] = lint_text(THREAD_TASK, select=["DJA301"])
    assert finding.line == 13 and "raises RuntimeError" in finding.message and "garbage-collected" not in finding.message
    path = tmp_path / "thread_task.py"
    path.write_text(THREAD_TASK)
    spec = importlib.util.spec_from_file_location("thread_task", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(RuntimeError, match="no running event loop"):
        asyncio.run(module.view())
