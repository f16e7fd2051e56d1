"""Runs the DJA5xx examples on the real Django (and DRF) in this process.

Each example is one module source text: the tests lint that text and also
execute it as a module, wire it into a throwaway urlconf/MIDDLEWARE through
``override_settings`` and send it a real request, so a rule is checked
against what the framework does with the very same code.

Django is configured once per process, lazily (only when a runtime test
runs) and only if nothing configured it before; everything specific to an
example goes through ``override_settings``, so other runtime tests in the
same process are not disturbed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import textwrap
import types
from typing import Any, Iterator

_counter = itertools.count()


def configure_django() -> None:
    import django
    from django.apps import apps
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="structure-runtime-tests",
            ALLOWED_HOSTS=["*"],
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
            MIDDLEWARE=[],
            ROOT_URLCONF=__name__,
            USE_TZ=True,
        )
    if not apps.ready:
        django.setup()


urlpatterns: list = []


def load_example(source: str) -> types.ModuleType:
    """Execute an example's source as a fresh importable module."""
    name = f"structure_runtime_example_{next(_counter)}"
    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    sys.modules[name] = module
    exec(compile(textwrap.dedent(source), module.__file__, "exec"), module.__dict__)
    return module


def urlconf_for(view: Any) -> types.ModuleType:
    from django.urls import path

    module = types.ModuleType(f"structure_runtime_urls_{next(_counter)}")
    module.urlpatterns = [path("", view)]
    return module


@contextlib.contextmanager
def serving(view: Any, middleware: list[str] = (), **extra_settings: Any) -> Iterator[None]:
    from django.test.utils import override_settings

    with override_settings(ROOT_URLCONF=urlconf_for(view), MIDDLEWARE=list(middleware), **extra_settings):
        yield


def async_get(view: Any, middleware: list[str] = (), *, raise_request_exception: bool = True, **extra_settings: Any):
    """One GET through Django's ASGI request path (``AsyncClient``)."""
    from django.test import AsyncClient

    async def go():
        return await AsyncClient(raise_request_exception=raise_request_exception).get("/")

    with serving(view, middleware, **extra_settings):
        return asyncio.run(go())


@contextlib.contextmanager
def atomic_requests() -> Iterator[None]:
    """``ATOMIC_REQUESTS = True`` on the default database, for one block.

    ``override_settings(DATABASES=...)`` is not supported by Django (the
    connection handler caches its settings), so the cached settings dict is
    switched and restored."""
    from django.db import connections

    database = connections.settings["default"]
    previous = database.get("ATOMIC_REQUESTS", False)
    database["ATOMIC_REQUESTS"] = True
    try:
        yield
    finally:
        database["ATOMIC_REQUESTS"] = previous
