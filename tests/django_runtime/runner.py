"""Run example modules' async functions on a real Django with a real database.

Run as a subprocess (``python -m tests.django_runtime.runner``) so the Django
set up here (the example project's ``shop`` app, an in-memory SQLite database)
never meets another test's settings. Reads a JSON list of ``{"id", "source"}``
on stdin; prints ``{id: outcome}``. Each module's top-level ``async def``
functions (also those a decorator turned into plain functions) are called
inside ``asyncio.run`` with arguments chosen by parameter name, after the
database is reseeded. Outcomes:

- ``SynchronousOnlyOperation``: Django's async guard fired;
- ``AsyncToSync-in-loop``: ``async_to_sync`` refused to run in the loop's
  thread (``Signal.send`` with an async receiver);
- ``blocking:<api>``: a sync API Django does not guard (the cache, password
  hashing) ran on the event loop's thread (seen by a spy);
- ``ok``; or ``error:<type>: <message>`` for anything else.
"""

from __future__ import annotations

import ast
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup_django(db_name: str) -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="runtime-tests-only",
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "shop"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_name, "TEST": {"NAME": db_name}}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        SESSION_ENGINE="django.contrib.sessions.backends.db",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        # Templates that read what their context holds (the DJA202 examples that render).
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {"products.html": "{% for product in products %}{{ product.name }}{% endfor %}"})]},
            }
        ],
    )
    django.setup()
    from django.apps import apps
    from django.db import connection

    with connection.schema_editor() as editor:
        for model in apps.get_models():
            editor.create_model(model)


CONNECTED: list = []


def track_receivers() -> None:
    """Remember the receivers examples connect, to disconnect them after."""
    from django.dispatch import Signal

    original = Signal.connect

    def connect(self, receiver, sender=None, weak=True, dispatch_uid=None):
        CONNECTED.append((self, receiver, sender, dispatch_uid))
        return original(self, receiver, sender, weak, dispatch_uid)

    Signal.connect = connect


class Spies:
    """Record sync APIs that run on a thread with a running event loop."""

    def __init__(self) -> None:
        self.hits: list[str] = []

    def install(self) -> None:
        from django.contrib.auth import base_user
        from django.core.cache.backends.locmem import LocMemCache

        # close() does nothing on the local-memory cache, but disconnects on network ones.
        for name in ("get", "set", "add", "delete", "get_or_set", "get_many", "set_many", "delete_many", "incr", "decr", "touch", "clear", "has_key", "close"):
            self._wrap(LocMemCache, name, f"cache.{name}")
        self._wrap(base_user, "check_password", "check_password")

    def _wrap(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name)
        hits = self.hits

        def spy(*args, **kwargs):
            try:
                asyncio.get_running_loop()
                hits.append(label)
            except RuntimeError:
                pass
            return original(*args, **kwargs)

        setattr(owner, name, spy)


def seed() -> dict:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, Permission, User
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.cache import cache
    from shop.models import Category, Order, Product, Tag

    for model in (Order, Product, Category, Tag, Session, User, Group):
        model.objects.all().delete()
    cache.clear()
    user = User.objects.create_user("alice", "alice@example.com", "s3cret")
    group = Group.objects.create(name="buyers")
    user.groups.add(group)
    content_type, _ = ContentType.objects.get_or_create(app_label="shop", model="product")
    permission, _ = Permission.objects.get_or_create(codename="change_product", content_type=content_type, defaults={"name": "Can change product"})
    group.permissions.add(permission)
    category = Category.objects.create(name="Books")
    tags = [Tag.objects.create(name=name) for name in ("sale", "new")]
    product = Product.objects.create(name="Dune", price="9.99", category=category)
    product.tags.set(tags)
    Product.objects.create(name="Emma", price="5.00", category=category)
    order = Order.objects.create(customer=user, product=product)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["cart"] = [product.pk]
    session.save()
    return {
        "session_key": session.session_key,
        "pk": product.pk,
        "product_id": product.pk,
        "order_id": order.pk,
        "category_id": category.pk,
        "username": user.username,
        "codename": permission.codename,
        "user": User.objects.get(pk=user.pk),
        "product": Product.objects.get(pk=product.pk),
        "order": Order.objects.get(pk=order.pk),
    }


def make_request(session_key: str):
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = SessionStore(session_key=session_key)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    return request


def entry_points(source: str) -> list[str]:
    tree = ast.parse(source)
    return [node.name for node in tree.body if isinstance(node, ast.AsyncFunctionDef) and node.args.args and node.args.args[0].arg == "request"]


def run_example(example_id: str, source: str, spies: Spies) -> str:
    data = seed()
    namespace: dict = {"__name__": f"runtime_example_{example_id.replace('-', '_')}"}
    try:
        exec(compile(source, f"<{example_id}>", "exec"), namespace)
        names = entry_points(source)
        if not names:
            return "error:no async function to run"
        for name in names:
            outcome = call(namespace[name], data, spies)
            if outcome != "ok":
                return outcome
        return "ok"
    finally:
        for signal, receiver, sender, dispatch_uid in CONNECTED:
            signal.disconnect(receiver, sender, dispatch_uid)
        CONNECTED.clear()
        namespace.clear()


def call(function, data: dict, spies: Spies) -> str:
    import inspect

    from django.core.exceptions import SynchronousOnlyOperation

    wrapped = inspect.unwrap(function)
    kwargs = {}
    for name, param in inspect.signature(wrapped).parameters.items():
        if name == "request":
            kwargs[name] = make_request(data["session_key"])
        elif name in data:
            kwargs[name] = data[name]
        elif param.default is inspect.Parameter.empty:
            return f"error:no value for parameter {name!r}"

    async def main():
        result = function(**kwargs)
        if inspect.isawaitable(result):
            await result

    spies.hits.clear()
    try:
        asyncio.run(main())
    except SynchronousOnlyOperation:
        return "SynchronousOnlyOperation"
    except RuntimeError as exc:
        if "AsyncToSync" in str(exc):
            return "AsyncToSync-in-loop"
        return f"error:RuntimeError: {exc}"
    except Exception as exc:  # reported, not raised: the test names the example
        return f"error:{type(exc).__name__}: {exc}"
    if spies.hits:
        return f"blocking:{spies.hits[0]}"
    return "ok"


def main() -> None:
    examples = json.load(sys.stdin)
    # A shared-cache in-memory database: every thread's connection (the
    # loop's executor threads included) sees the same data while the main
    # thread's connection stays open.
    setup_django("file:async_lint_runtime?mode=memory&cache=shared")
    track_receivers()
    spies = Spies()
    spies.install()
    results = {example["id"]: run_example(example["id"], example["source"], spies) for example in examples}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
