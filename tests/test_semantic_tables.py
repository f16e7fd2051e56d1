"""One declaration per fact: rules/django_async_twins.toml drives both the
DJA2xx detection of every sync name and DJA302's knowledge of every async
twin as a coroutine; no Django async name is declared a second time in
another table; every twin is backed by a runtime example run on real Django
(tests/django_runtime/twin_examples.py, run by test_runtime.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from async_lint import _toml
from async_lint.analysis.django_twins import coroutine_twins, twin_table
from async_lint.catalog import rules_dir
from tests.django_runtime import twin_examples
from tests.django_runtime.test_runtime import EXAMPLES
from tests.helpers import lint_text

ROOT = Path(__file__).resolve().parents[1]
# The iteration row gates `for` -> `async for` (QuerySet.__aiter__); it names
# a protocol, not a method users call.
TWINS = sorted(twin for twin in twin_table() if twin[0] != "iteration")
ASYNC_ITERATORS = {(kind, name) for kind, name in TWINS if twin_table()[(kind, name)][0] not in coroutine_twins(kind) and kind != "shortcut"}


def _id(twin: tuple[str, str]) -> str:
    return f"{twin[0]}-{twin[1].rpartition('.')[2]}"


@pytest.mark.parametrize("twin", TWINS, ids=_id)
def test_every_sync_name_is_detected_in_async_code(twin: tuple[str, str]) -> None:
    kind, name = twin
    found = {f.code for f in lint_text(twin_examples.sync_example(kind, name), dedent=False, select=["DJA2"])}
    assert found == {twin_examples.rule_of(kind)}, f"{twin_examples.sync_example(kind, name)}\nfound {sorted(found)}"


@pytest.mark.parametrize("twin", TWINS, ids=_id)
def test_every_async_twin_without_await_is_dja302(twin: tuple[str, str]) -> None:
    kind, name = twin
    source = twin_examples.async_example(kind, name)
    found = [f.code for f in lint_text(source, dedent=False, select=["DJA302"])]
    # An async iterator (`aiterator()`) is no coroutine: dropping it runs nothing, but it is not DJA302.
    assert found == ([] if twin in ASYNC_ITERATORS else ["DJA302"]), source


def test_the_async_iterator_rows_are_known() -> None:
    assert ASYNC_ITERATORS == {("queryset", "iterator")}


def _strings(value, path: str):
    """Every string in a TOML document (keys of inline tables too), with where it is."""
    if isinstance(value, str):
        yield value, path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key, f"{path}.{key}"
            yield from _strings(item, f"{path}.{key}")


def _rows(value, path: str):
    """The tables of a TOML document that hold no further tables (its rows)."""
    if isinstance(value, dict):
        nested = [(key, item) for key, item in value.items() if isinstance(item, (dict, list))]
        if not any(isinstance(item, dict) or (isinstance(item, list) and item and isinstance(item[0], dict)) for _, item in nested):
            yield value, path
            return
        for key, item in value.items():
            yield from _rows(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _rows(item, f"{path}[{index}]")


def test_no_django_async_name_is_declared_twice() -> None:
    """The twin table is the only place naming Django's async twins (and its
    sync-only functions): no row of another table about a Django object
    (one naming a ``django.`` API) lists them again, and no table names a
    Django twin function. (`aclose` of an httpx client is not Django's.)"""
    twins = {async_name for async_name, _ in twin_table().values()}
    functions = {name for kind, name in twin_table() if kind == "shortcut"} | coroutine_twins("shortcut")
    repeated = []
    for path in sorted(rules_dir().glob("*.toml")):
        if path.stem == "django_async_twins":
            continue
        with path.open("rb") as fh:
            table = _toml.load(fh)
        for row, where in _rows(table, path.stem):
            strings = list(_strings(row, where))
            about_django = any(text.startswith("django.") for text, _ in strings)
            repeated += [f"{at}: {text}" for text, at in strings if text in functions or (about_django and text in twins)]
    assert not repeated, repeated


def test_no_twin_is_declared_twice_in_the_twin_table() -> None:
    with (rules_dir() / "django_async_twins.toml").open("rb") as fh:
        rows = _toml.load(fh)["twin"]
    keys = [(row["kind"], name) for row in rows for name in row["names"]]
    assert len(keys) == len(set(keys))


def test_every_sync_name_has_a_runtime_example() -> None:
    proven = {example_id for example_id, code, _ in EXAMPLES if code}
    missing = [twin for twin in TWINS if f"twin-{_id(twin)}" not in proven]
    assert not missing, missing


def test_every_coroutine_twin_is_a_coroutine_function_of_real_django() -> None:
    """Each twin DJA302 knows is an `async def` on the Django class of its kind
    (read from a configured Django in a subprocess; aiterator is an async generator)."""
    probe = """
import inspect, json, sys
from tests.django_runtime.runner import setup_django
setup_django("file:twin_probe?mode=memory&cache=shared")
from django.contrib.auth.models import User, UserManager
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache.backends.base import BaseCache
from django.db.models import QuerySet
from django.dispatch import Signal
import django.contrib.auth, django.shortcuts
owners = {
    "queryset": [QuerySet], "related": [User.groups.related_manager_cls], "model": [User], "user": [User], "user_manager": [UserManager],
    "session": [SessionStore], "cache": [BaseCache], "signal": [Signal],
}
kinds = json.loads(sys.stdin.read())
out = {}
for kind, names in kinds.items():
    for name in names:
        if kind == "shortcut":
            module, _, short = name.rpartition(".")
            value = getattr(sys.modules[module], short, None)
        elif kind == "request":
            # AuthenticationMiddleware sets request.auser = partial(auser, request).
            from django.contrib.auth import middleware
            value = getattr(middleware, name, None)
        else:
            value = next((getattr(owner, name) for owner in owners[kind] if hasattr(owner, name)), None)
        out[f"{kind}:{name}"] = "coroutine" if inspect.iscoroutinefunction(value) else repr(value)
print(json.dumps(out))
"""
    kinds = {kind: sorted(coroutine_twins(kind)) for kind in {k for k, _ in TWINS}}
    done = subprocess.run([sys.executable, "-c", probe], input=json.dumps(kinds), capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert len(result) == sum(len(names) for names in kinds.values())
    assert {key: value for key, value in result.items() if value != "coroutine"} == {}


def test_every_queryset_consumer_has_the_word_its_callers_write() -> None:
    """A module is walked for consumer calls only where one of these words is
    in its text: each consumer's name has one of them as a segment."""
    from async_lint.analysis.django_vocabulary import QUERYSET_CONSUMER_WORDS, QUERYSET_CONSUMERS

    assert QUERYSET_CONSUMERS
    for name in QUERYSET_CONSUMERS:
        assert QUERYSET_CONSUMER_WORDS & set(name.split(".")), name


def test_a_consumer_imported_under_another_name_still_takes_the_querysets() -> None:
    found = lint_text(
        """
        from channels.db import database_sync_to_async
        from reactpy_django.hooks import use_query as query_of

        from shop.models import Post


        async def get_posts():
            return await database_sync_to_async(Post.objects.all)()


        def post_list():
            return query_of(get_posts).data
        """
    )
    assert [f.code for f in found] == []
