"""DJA401 through objects (tests/fixtures/dja4_objects): methods called on
model instances and project service objects, properties, classmethods,
methods inherited across modules; the chain ends at the most severe
operation reachable; branches ruled out by the call's literal arguments."""

from __future__ import annotations

import textwrap
from pathlib import Path

from async_lint.file_analysis import analyze_source
from async_lint.index import ProjectIndex
from async_lint.source import decode_source
from tests.helpers import FIXTURES, lint_paths, make_settings
from tests.test_project_index import write_project

PROJECT = FIXTURES / "dja4_objects"
VIEWS = PROJECT / "shop" / "views.py"


def dja401(paths) -> dict[int, object]:
    return {f.line: f for f in lint_paths(paths) if f.code == "DJA401" and f.path == str(VIEWS)}


def summary_of(text: str, module: str = "app.views") -> dict:
    source = decode_source("views.py", textwrap.dedent(text).encode("utf-8"))
    result = analyze_source("views.py", source, make_settings(), module_name=module, standalone=False)
    assert result.summary is not None
    return result.summary


def test_chains_through_objects_name_the_class_and_end_at_the_query() -> None:
    found = dja401([PROJECT])
    # A model instance from ``await Order.objects.aget()``.
    assert "Order.recalculate_total() -> OrderLine.objects.filter(order=self).aggregate() at" in found[12].message
    assert found[12].level == "error" and found[12].extra["blocking_code"] == "DJA201"
    assert found[12].extra["chain"] == ["shop.models.Order.recalculate_total"]
    # A method inherited from a mixin in another module, with a function-local import.
    assert "AuditMixin.write_audit() -> AuditEntry.objects.create() at" in found[21].message
    assert found[21].message.endswith("`await sync_to_async(order.write_audit)(...)`")
    # A classmethod called on the class.
    assert "Order.from_payload() -> Order.objects.create()" in found[28].message
    # A service object built by a function-local import, its method inherited.
    assert "PaymentGateway.charge() -> BaseGateway.post() -> requests.post()" in found[67].message
    assert found[67].level == "warning"


def test_the_most_severe_end_wins_over_a_nearer_milder_one() -> None:
    # invoice_path() checks os.path.exists itself (info) and calls
    # recalculate_total() (a query): the chain shown is the query's.
    finding = dja401([PROJECT])[33]
    assert "Order.invoice_path() -> Order.recalculate_total() -> OrderLine.objects.filter(order=self).aggregate()" in finding.message
    assert finding.level == "error"


def test_reading_a_blocking_property_is_a_call() -> None:
    found = dja401([PROJECT])
    assert "reading `order.line_count`" in found[15].message
    assert "Order.line_count -> OrderLine.objects.filter(order=self).count()" in found[15].message
    assert "`await sync_to_async(lambda: order.line_count)()`" in found[15].message
    assert found[15].fix is None  # no safe rewrite of an attribute read
    assert (found[15].column, found[15].end_column) == (13, 29)
    assert "Order.heaviest_line ->" in found[17].message  # a cached_property
    assert 14 not in found and 16 not in found  # a pure property; the same property read again


def test_a_run_on_the_view_alone_still_follows_objects_into_other_modules() -> None:
    assert sorted(dja401([VIEWS])) == sorted(dja401([PROJECT]))


def test_calls_through_objects_are_recorded_only_where_they_can_matter() -> None:
    summary = summary_of(
        """
        import weasyprint
        from app.services import Gateway

        def settle(amount):
            gateway = Gateway()
            gateway.charge(amount)
            return gateway.total

        def fire_and_forget():
            Gateway().charge(1)

        async def view(request):
            document = weasyprint.HTML(string="")
            document.write_pdf()
            gateway = Gateway()
            gateway.charge(1)
            return gateway.total + gateway.total
        """
    )
    assert summary["functions"]["settle"]["calls"] == ["c:app.services.Gateway:charge", "p:app.services.Gateway:total", "q:app.services.Gateway"]
    # A discarded call in sync code only feeds cross-module DJA302, which
    # objects do not: no site, so no module is loaded for it.
    sync_sites = [s for s in summary["sites"] if s["function"] == "fire_and_forget"]
    assert [s["ref"] for s in sync_sites] == []
    view_sites = [s["ref"] for s in summary["sites"] if s["function"] == "view"]
    # One site per property read and function.
    assert view_sites == ["q:weasyprint.HTML", "c:weasyprint.HTML:write_pdf", "q:app.services.Gateway", "c:app.services.Gateway:charge", "p:app.services.Gateway:total"]
    # A class of another package is not the project's: nothing to load.
    index = ProjectIndex({"views.py": summary}, known_modules={"app.views": ["views.py"]})
    assert index.demand(["views.py"]) == set()


def test_unknown_or_disagreeing_receivers_are_not_followed() -> None:
    summary = summary_of(
        """
        from app.services import Gateway, Other, make_gateway

        async def view(request, flag, given):
            a = make_gateway()
            a.charge()
            b = Gateway() if flag else None
            b.charge()
            c = Gateway()
            if flag:
                c = Other()
            c.charge()
            given.charge()
            with Gateway() as d:
                d.charge()
        """
    )
    # ``make_gateway()``'s result is what its return annotation says, which
    # only the project index reads (``->``); the others are not followed.
    assert [s["ref"] for s in summary["sites"]] == [
        "q:app.services.make_gateway",
        "c:app.services.make_gateway->:charge",
        "q:app.services.Gateway",
        "q:app.services.Gateway",
        "q:app.services.Other",
        "q:app.services.Gateway",
    ]


def test_literal_arguments_rule_out_guarded_branches(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/helpers.py": """
                import time
                import requests

                def wait(seconds=None, *, force=False):
                    if seconds is None:
                        return None
                    elif force:
                        time.sleep(seconds)
                    else:
                        requests.get("https://example.com", timeout=seconds)

                def reassigned(verbose=False):
                    verbose = not verbose
                    if verbose:
                        time.sleep(1)

                def nested(mode=0, verbose=False):
                    if mode:
                        if verbose:
                            time.sleep(1)

                def slow():
                    time.sleep(1)

                def guarded_call(skip=True):
                    if not skip:
                        slow()

                def called_twice(skip=True):
                    if not skip:
                        slow()
                    slow()

                def called_before(skip=True):
                    slow()
                    if not skip:
                        slow()

                def chatty(message, verbose=False):
                    if verbose:
                        time.sleep(1)

                def save_all():
                    chatty("saving")

                def save_loud():
                    chatty("saving", verbose=True)

                def save_mixed(flag):
                    chatty("a")
                    chatty("b", verbose=flag)

                class Cache:
                    def load(self, warm=False):
                        if warm:
                            time.sleep(1)

                    @staticmethod
                    def build(warm=False):
                        if warm:
                            time.sleep(1)
            """,
            "app/views.py": """
                from app.helpers import Cache, called_before, called_twice, guarded_call, nested, reassigned, save_all, save_loud, save_mixed, wait

                async def view(request, n):
                    wait()
                    wait(None, force=True)
                    wait(3)  # a real wait: requests.get in the else branch
                    wait(3, force=True)
                    wait(n)
                    wait(*request.args)
                    reassigned()
                    nested()
                    nested(1)
                    nested(1, True)
                    nested("", True)
                    guarded_call()
                    guarded_call(False)
                    called_twice()
                    cache = Cache()
                    cache.load()
                    cache.load(True)
                    Cache.build()
                    Cache.build(1)
                    called_before()
                    save_all()  # further down the chain, too
                    save_loud()
                    save_mixed(True)
            """,
        },
    )
    lines = sorted(f.line for f in lint_paths([root]) if f.code == "DJA401")
    assert lines == [6, 7, 8, 9, 10, 13, 16, 17, 20, 22, 23, 25, 26]


def test_and_or_tests_rule_out_branches_by_each_parameter_they_read(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/config.py": """
                import time

                def get_config(persona=None, crawl=None, other=None):
                    if persona is None and crawl is not None and other.ready:
                        time.sleep(1)
                    else:
                        return {}

                def get_either(a=None, b=None):
                    if a or b:
                        return {}
                    else:
                        time.sleep(1)

                def get_unread(a=None, items=()):
                    if a or len(items) > 3:
                        return {}
                    time.sleep(1)

                def get_grouped(a=None, b=None):
                    if (a or b) and a:
                        time.sleep(1)
            """,
            "app/views.py": """
                from app.config import get_config, get_either, get_grouped, get_unread

                async def view(request):
                    get_config()
                    get_config(crawl=1)
                    get_config(persona=1, crawl=1)
                    get_either(a=1)
                    get_either()
                    get_unread(a=1)  # the test's other half cannot be read: not ruled out
                    get_grouped()
                    get_grouped(b=1)
            """,
        },
    )
    lines = sorted(f.line for f in lint_paths([root]) if f.code == "DJA401")
    assert lines == [5, 8, 9]


def test_boolean_operands_and_conditional_expressions_guard_by_parameter(tmp_path: Path) -> None:
    """``elif me and me.friends.filter(...).exists():`` and ``... if me else
    False`` run the query only where ``me`` was given (a consumer's user
    serialised with ``me`` left out: no query)."""
    root = write_project(
        tmp_path,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/helpers.py": """
                import time

                def is_friend(user, me=None):
                    if me and me.id == user.id:
                        return False
                    elif me and time.sleep(1):
                        return True
                    return False

                def ternary(user, me=None):
                    return time.sleep(1) if me else False

                def negated(user, me=None):
                    return {} if me is None else time.sleep(1)

                def either(user, cached=None):
                    return cached or time.sleep(1)

                def rebound(user, me=None):
                    me = me or user
                    return me and time.sleep(1)

                def left_side(user, me=None):
                    return time.sleep(1) and me

                def unread(user, me=None):
                    return user.ready and time.sleep(1)
            """,
            "app/views.py": """
                from app.helpers import either, is_friend, left_side, negated, rebound, ternary, unread

                async def view(request, user):
                    is_friend(user)
                    is_friend(user, None)
                    is_friend(user, me=user)
                    ternary(user)
                    ternary(user, user)
                    negated(user)
                    negated(user, me=user)
                    either(user, cached=1)
                    either(user)
                    rebound(user)
                    left_side(user)
                    unread(user)
            """,
        },
    )
    lines = sorted(f.line for f in lint_paths([root]) if f.code == "DJA401")
    assert lines == [6, 8, 10, 12, 13, 14, 15]


def test_a_parameter_or_kwargs_handed_on_carries_the_callers_value(tmp_path: Path) -> None:
    """``get_credential_data(**kwargs)`` -> ``decrypt_data(**kwargs)``, whose
    audit write runs only ``if user:``; ``via(user=None)`` ->
    ``decrypt_data(user=user)``: a call leaving ``user`` out runs no write."""
    root = write_project(
        tmp_path,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/credentials.py": """
                import time

                class Credential:
                    def decrypt_data(self, user=None, note=""):
                        if user:
                            time.sleep(1)  # the audit log's write, say
                        return {}

                    def get_credential_data(self, **kwargs):
                        return self.decrypt_data(**kwargs)

                    def via(self, user=None):
                        return self.decrypt_data(user=user)

                    def positional(self, user=None):
                        return self.decrypt_data(user)

                    def rebound(self, user=None):
                        user = user or "admin"
                        return self.decrypt_data(user=user)

                    def computed(self, user=None, fallback=object()):
                        return self.decrypt_data(user=fallback)
            """,
            "app/views.py": """
                from app.credentials import Credential

                async def view(request):
                    credential = Credential()
                    credential.get_credential_data()
                    credential.get_credential_data(note="x")
                    credential.get_credential_data(user=request.user)
                    credential.via()
                    credential.via(request.user)
                    credential.positional()
                    credential.positional(user=1)
                    credential.rebound()
                    credential.computed()
            """,
        },
    )
    lines = sorted(f.line for f in lint_paths([root]) if f.code == "DJA401")
    assert lines == [7, 9, 11, 12, 13]


def test_a_keyword_forwarded_from_kwargs_rules_out_its_branch(tmp_path: Path) -> None:
    """``self._extract(kwargs.pop("request", None))``: the value is the
    keyword the function itself was called with, else the default."""
    root = write_project(
        tmp_path,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/audit.py": """
                import time

                class AuditLogger:
                    def info(self, message, *args, **kwargs):
                        return self._extract(kwargs.pop("request", None), kwargs.get("response"))

                    def _extract(self, request, response):
                        if request is not None:
                            time.sleep(1)  # loads the user, say
                        return {}

                audit_logger = AuditLogger()
            """,
            "app/views.py": """
                from app.audit import audit_logger

                async def view(request, other):
                    audit_logger.info("seen %s", 1)
                    audit_logger.info("seen", request=None)
                    audit_logger.info("seen", request=request)
                    audit_logger.info("seen", request=1)
                    audit_logger.info("seen", **other)
            """,
        },
    )
    lines = sorted(f.line for f in lint_paths([root]) if f.code == "DJA401")
    assert lines == [6, 7, 8]


def test_chain_end_severity_first_then_length() -> None:
    def fn(calls=(), ops=()):
        entry = {"async": False}
        if calls:
            entry["calls"] = [f"q:app.m.{c}" for c in calls]
        if ops:
            entry["ops"] = [list(op) for op in ops]
        return entry

    summary = {
        "module": "app.m",
        "is_package": False,
        "imports": {},
        "star_imports": [],
        "classes": {},
        "functions": {
            "start": fn(["exists", "far", "near"], [("DJA106", 3, "os.path.exists()")]),
            "exists": fn(ops=[("DJA106", 10, "os.path.isdir()")]),
            "far": fn(["deeper"]),
            "deeper": fn(ops=[("DJA201", 20, "Post.objects.count()")]),
            "near": fn(["sleepy"], [("DJA201", 30, "Post.objects.get()")]),
            "sleepy": fn(ops=[("DJA101", 40, "time.sleep()")]),
        },
        "sites": [],
    }
    levels = {"DJA201": "error", "DJA101": "warning", "DJA106": "info"}
    index = ProjectIndex({"m.py": summary}, level_of=lambda code: levels[code])
    assert index.chain("app.m:start")[:-1] == ["app.m:start", "app.m:near"]
    assert index.chain("app.m:start")[-1][2] == "Post.objects.get()"
    # Without the ORM (DJANGO_ALLOW_ASYNC_UNSAFE): the warning, though further than the info.
    assert index.chain("app.m:start", orm_ok=False)[:-1] == ["app.m:start", "app.m:near", "app.m:sleepy"]
    assert index.chain("app.m:exists")[-1][2] == "os.path.isdir()"


def test_a_method_reading_its_own_blocking_property() -> None:
    found = dja401([PROJECT])[45]
    assert "Order.summary_line() -> Order.line_count -> OrderLine.objects.filter(order=self).count()" in found.message


def test_a_property_setter_does_not_hide_the_getter() -> None:
    summary = summary_of(
        """
        import functools
        import time

        class Thermostat:
            @property
            def reading(self):
                time.sleep(1)
                return 20

            @reading.setter
            def reading(self, value):
                self.target = value

            @functools.cached_property
            def sensor(self):
                return object()

            @classmethod
            def default(cls):
                return cls()

            @staticmethod
            def scale():
                return "C"
        """
    )
    functions = summary["functions"]
    assert functions["Thermostat.reading"]["binding"] == "property"
    assert functions["Thermostat.reading"]["ops"][0][0] == "DJA101"
    assert functions["Thermostat.sensor"]["binding"] == "property"
    assert (functions["Thermostat.default"]["binding"], functions["Thermostat.scale"]["binding"]) == ("class", "static")


def test_code_that_runs_only_without_a_running_loop_is_not_followed(tmp_path: Path) -> None:
    """``try: asyncio.get_running_loop() except RuntimeError: <sync path>``:
    the sync path runs only where no loop is running (daiv's cached
    settings hand the lookup to a thread pool when one is)."""
    root = write_project(
        tmp_path,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/conf.py": """
                import asyncio
                import time
                from concurrent.futures import ThreadPoolExecutor

                from django.core.cache import cache

                EXECUTOR = ThreadPoolExecutor(1)

                def load():
                    time.sleep(1)

                def cached():
                    try:
                        asyncio.get_running_loop()
                    except RuntimeError:
                        time.sleep(1)
                        return load()
                    return EXECUTOR.submit(load).result()

                def cached_after_a_read():
                    value = cache.get("conf")
                    try:
                        loop = asyncio.get_running_loop()
                    except (ValueError, RuntimeError):
                        return load()
                    return value, loop

                def other_error():
                    try:
                        asyncio.get_running_loop()
                    except ValueError:
                        return load()
            """,
            "app/views.py": """
                from app.conf import cached, cached_after_a_read, other_error

                async def view(request):
                    cached()
                    cached_after_a_read()
                    other_error()
            """,
        },
    )
    found = [(f.line, f.message.partition(": ")[2].partition(" at ")[0]) for f in lint_paths([root]) if f.code == "DJA401"]
    assert found == [(5, "cached_after_a_read() -> cache.get()"), (6, "other_error() -> load() -> time.sleep()")]
