"""One runtime example for every row of rules/django_async_twins.toml: the
sync name used in an async view, on a receiver of its kind.

test_runtime.py runs each on a real Django (it must raise
SynchronousOnlyOperation or block the loop) and lints it (exactly the kind's
DJA2xx rule); tests/test_semantic_tables.py also lints the async twin in the
same place, called without ``await`` (DJA302). ``STMT`` in a kind's module
is replaced by the statement.
"""

from __future__ import annotations

from async_lint.analysis.django_twins import twin_table

# kind -> (the rule that reports its sync names, the module around the statement)
KINDS: dict[str, tuple[str, str]] = {
    "queryset": (
        "DJA201",
        "from django.db.models import Count\nfrom shop.models import Product, Tag\n\nasync def view(request, pk, product):\n    STMT\n",
    ),
    "related": (
        "DJA201",
        "from django.contrib.auth.models import Group, User\n\n"
        "async def view(request, username):\n"
        "    user = await User.objects.aget(username=username)\n"
        '    group = await Group.objects.aget(name="buyers")\n'
        "    STMT\n",
    ),
    "model": ("DJA203", 'from shop.models import Tag\n\nasync def view(request):\n    tag = await Tag.objects.aget(name="sale")\n    STMT\n'),
    "shortcut": (
        "DJA206",
        "from MODULE import FUNCTION\nfrom django.contrib.auth.models import User\n"
        "from shop.models import Product\n\n"
        "async def view(request, pk, username):\n    user = await User.objects.aget(username=username)\n    STMT\n",
    ),
    "user": (
        "DJA206",
        "from django.contrib.auth.models import User\n\nasync def view(request, username):\n    user = await User.objects.aget(username=username)\n    STMT\n",
    ),
    "user_manager": (
        "DJA201",
        "from django.contrib.auth.models import User\n\nasync def view(request, username):\n    STMT\n",
    ),
    "request": ("DJA205", "from django.http import HttpRequest\n\nasync def view(request: HttpRequest):\n    STMT\n"),
    "session": ("DJA205", "from django.http import HttpRequest\n\nasync def view(request: HttpRequest):\n    STMT\n"),
    "cache": ("DJA207", 'from django.core.cache import cache\n\nasync def view(request):\n    await cache.aset("hits", 1)\n    STMT\n'),
    "signal": (
        "DJA209",
        "from django.db.models.signals import post_save\nfrom django.dispatch import receiver\nfrom shop.models import Order, Product\n\n"
        "@receiver(post_save, sender=Order)\ndef count_orders(sender, instance, **kwargs):\n"
        "    Product.objects.filter(pk=instance.product_id).exists()\n\n"
        "async def view(request, order):\n    STMT\n",
    ),
}

# (kind, sync name) -> the statement using it. Its twin replaces ``.<name>(``
# (or the function's name) unless ASYNC_STATEMENTS says otherwise.
STATEMENTS: dict[tuple[str, str], str] = {
    ("queryset", "get"): "Product.objects.get(pk=pk)",
    ("queryset", "first"): "Product.objects.first()",
    ("queryset", "last"): "Product.objects.last()",
    ("queryset", "latest"): 'Product.objects.latest("created")',
    ("queryset", "earliest"): 'Product.objects.earliest("created")',
    ("queryset", "count"): "Product.objects.count()",
    ("queryset", "exists"): "Product.objects.filter(pk=pk).exists()",
    ("queryset", "contains"): "Product.objects.contains(product)",
    ("queryset", "create"): 'Tag.objects.create(name="gift")',
    ("queryset", "get_or_create"): 'Tag.objects.get_or_create(name="gift")',
    ("queryset", "update_or_create"): 'Tag.objects.update_or_create(name="gift")',
    ("queryset", "update"): "Product.objects.filter(pk=pk).update(in_stock=False)",
    ("queryset", "delete"): 'Tag.objects.filter(name="sale").delete()',
    ("queryset", "bulk_create"): 'Tag.objects.bulk_create([Tag(name="gift")])',
    ("queryset", "bulk_update"): 'Product.objects.bulk_update([product], ["name"])',
    ("queryset", "in_bulk"): "Product.objects.in_bulk([pk])",
    ("queryset", "aggregate"): 'Product.objects.aggregate(n=Count("pk"))',
    ("queryset", "explain"): "Product.objects.filter(pk=pk).explain()",
    ("queryset", "iterator"): "for item in Product.objects.iterator():\n        pass",
    ("related", "create"): 'user.groups.create(name="staff")',
    ("related", "get_or_create"): 'user.groups.get_or_create(name="staff")',
    ("related", "update_or_create"): 'user.groups.update_or_create(name="staff")',
    ("related", "add"): "user.groups.add(group)",
    ("related", "remove"): "user.groups.remove(group)",
    ("related", "set"): "user.groups.set([group])",
    ("related", "clear"): "user.groups.clear()",
    ("model", "save"): "tag.save()",
    ("model", "delete"): "tag.delete()",
    ("model", "refresh_from_db"): "tag.refresh_from_db()",
    ("shortcut", "django.shortcuts.get_object_or_404"): "get_object_or_404(Product, pk=pk)",
    ("shortcut", "django.shortcuts.get_list_or_404"): "get_list_or_404(Product, in_stock=True)",
    ("shortcut", "django.contrib.auth.authenticate"): 'authenticate(request, username=username, password="s3cret")',
    ("shortcut", "django.contrib.auth.login"): "login(request, user)",
    ("shortcut", "django.contrib.auth.logout"): "logout(request)",
    ("shortcut", "django.contrib.auth.get_user"): "get_user(request)",
    ("shortcut", "django.contrib.auth.update_session_auth_hash"): "update_session_auth_hash(request, user)",
    ("user", "check_password"): 'user.check_password("s3cret")',
    ("user", "has_perm"): 'user.has_perm("shop.change_product")',
    ("user", "has_perms"): 'user.has_perms(["shop.change_product"])',
    ("user", "has_module_perms"): 'user.has_module_perms("shop")',
    ("user", "get_all_permissions"): "user.get_all_permissions()",
    ("user", "get_user_permissions"): "user.get_user_permissions()",
    ("user", "get_group_permissions"): "user.get_group_permissions()",
    ("user_manager", "create_user"): 'User.objects.create_user(username="ann", password="s3cret")',
    ("user_manager", "create_superuser"): 'User.objects.create_superuser("root", "root@example.com", "s3cret")',
    ("user_manager", "get_by_natural_key"): "User.objects.get_by_natural_key(username)",
    ("request", "user"): "return request.user.is_authenticated",
    ("session", "get"): 'request.session.get("cart")',
    ("session", "pop"): 'request.session.pop("cart", None)',
    ("session", "setdefault"): 'request.session.setdefault("cart", [])',
    ("session", "update"): 'request.session.update({"cart": []})',
    ("session", "keys"): "request.session.keys()",
    ("session", "values"): "request.session.values()",
    ("session", "items"): "request.session.items()",
    ("session", "has_key"): 'request.session.has_key("cart")',
    ("session", "flush"): "request.session.flush()",
    ("session", "cycle_key"): "request.session.cycle_key()",
    ("session", "save"): "request.session.save()",
    ("session", "delete"): "request.session.delete()",
    ("session", "exists"): 'request.session.exists("no-such-session")',
    ("session", "create"): "request.session.create()",
    ("session", "set_expiry"): "request.session.set_expiry(60)",
    ("session", "get_expiry_age"): "request.session.get_expiry_age()",
    ("session", "get_expiry_date"): "request.session.get_expiry_date()",
    ("session", "get_expire_at_browser_close"): "request.session.get_expire_at_browser_close()",
    ("session", "set_test_cookie"): "request.session.set_test_cookie()",
    ("session", "test_cookie_worked"): "request.session.test_cookie_worked()",
    ("session", "delete_test_cookie"): "request.session.delete_test_cookie()",
    ("session", "load"): "request.session.load()",
    ("session", "__getitem__"): 'return request.session["cart"]',
    ("session", "__setitem__"): 'request.session["cart"] = []',
    ("session", "__delitem__"): 'del request.session["cart"]',
    ("session", "__contains__"): 'return "cart" in request.session',
    ("cache", "get"): 'cache.get("hits")',
    ("cache", "set"): 'cache.set("hits", 2)',
    ("cache", "add"): 'cache.add("misses", 1)',
    ("cache", "delete"): 'cache.delete("hits")',
    ("cache", "get_or_set"): 'cache.get_or_set("hits", 1)',
    ("cache", "get_many"): 'cache.get_many(["hits"])',
    ("cache", "set_many"): 'cache.set_many({"hits": 2})',
    ("cache", "delete_many"): 'cache.delete_many(["hits"])',
    ("cache", "incr"): 'cache.incr("hits")',
    ("cache", "decr"): 'cache.decr("hits")',
    ("cache", "touch"): 'cache.touch("hits")',
    ("cache", "clear"): "cache.clear()",
    ("cache", "has_key"): 'cache.has_key("hits")',
    ("cache", "incr_version"): 'cache.incr_version("hits")',
    ("cache", "decr_version"): 'cache.decr_version("hits")',
    ("cache", "close"): "cache.close()",
    ("signal", "send"): "post_save.send(sender=Order, instance=order, created=False)",
    # send_robust() catches the receivers' exceptions and returns them.
    ("signal", "send_robust"): ("for _, response in post_save.send_robust(sender=Order, instance=order, created=False):\n        if isinstance(response, Exception):\n            raise response"),
}

# The twin in the same place, where replacing the name is not enough.
ASYNC_STATEMENTS: dict[tuple[str, str], str] = {
    ("queryset", "iterator"): "Product.objects.aiterator()",
    ("request", "user"): "request.auser()",
    ("session", "__getitem__"): 'request.session.aget("cart")',
    ("session", "__setitem__"): 'request.session.aset("cart", [])',
    ("session", "__delitem__"): 'request.session.apop("cart")',
    ("session", "__contains__"): 'request.session.ahas_key("cart")',
    ("signal", "send_robust"): "post_save.asend_robust(sender=Order, instance=order, created=False)",
}


def _module(kind: str, statement: str, function: str = "") -> str:
    """The kind's module around ``statement``; for a shortcut, importing
    ``function`` (a qualified name)."""
    module, _, short = function.rpartition(".")
    return KINDS[kind][1].replace("MODULE", module).replace("FUNCTION", short).replace("STMT", statement)


def _function(name: str) -> str:
    return name.rpartition(".")[2]


def sync_example(kind: str, name: str) -> str:
    return _module(kind, STATEMENTS[(kind, name)], name if kind == "shortcut" else "")


def async_example(kind: str, name: str) -> str:
    """The twin called without ``await`` where the sync name was used."""
    async_name = twin_table()[(kind, name)][0]
    statement = ASYNC_STATEMENTS.get((kind, name))
    if statement is None:
        statement = STATEMENTS[(kind, name)]
        if kind == "shortcut":
            statement = statement.replace(f"{_function(name)}(", f"{async_name}(", 1)
        else:
            statement = statement.replace(f".{name}(", f".{async_name}(", 1)
        statement = statement.removeprefix("return ")
    return _module(kind, statement, f"{name.rpartition('.')[0]}.{async_name}" if kind == "shortcut" else "")


def rule_of(kind: str) -> str:
    return KINDS[kind][0]


def runtime_examples() -> list[tuple[str, str, str]]:
    """(id, expected code, module source) for test_runtime.py."""
    return [
        (f"twin-{kind}-{_function(name)}", rule_of(kind), sync_example(kind, name))
        for kind, name in sorted(twin_table())
        # A new twin without a statement is reported by tests/test_semantic_tables.py.
        if (kind, name) in STATEMENTS
    ]
