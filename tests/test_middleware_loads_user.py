"""DJA205 where a sync middleware the settings list after
AuthenticationMiddleware reads ``request.user`` before the view runs: under
ASGI that middleware runs in a thread, which evaluates the lazy user and the
session it is read from, so an async view's later reads query nothing
(analysis/middleware_config.py).  Each case is a project of its own: the
settings decide for every view."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import write_tree
from tests.helpers import lint_paths

VIEW = """from django.http import HttpResponse


async def dashboard(request):
    name = request.user.username
    flash = request.session.pop("flash", None)
    return HttpResponse(f"{name} {flash}")
"""

LOGIN_REDIRECT = """from django.shortcuts import redirect


class LoginRedirect:
    EXEMPT = ("/auth/",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(self.EXEMPT):
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect("/auth/login/")
        return self.get_response(request)
"""

THEME_HOOK = """from django.utils.deprecation import MiddlewareMixin


class Theme(MiddlewareMixin):
    def process_request(self, request):
        request.theme = request.user.theme if request.user.is_authenticated else "light"
"""

FACTORY = """def timezone_middleware(get_response):
    def middleware(request):
        if request.user.is_authenticated:
            request.tz = request.user.timezone
        return get_response(request)

    return middleware
"""

AFTER_THE_VIEW = """class AuditLog:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-User"] = str(request.user.pk)
        return response
"""

ASYNC_CAPABLE = """from asgiref.sync import iscoroutinefunction, markcoroutinefunction


class Theme:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request):
        user = await request.auser()
        request.theme = user.theme
        return await self.get_response(request)
"""


def _settings(*middleware: str) -> str:
    listed = "".join(f'    "{name}",\n' for name in middleware)
    return f'INSTALLED_APPS = ["django.contrib.auth", "django.contrib.sessions", "web"]\n\nMIDDLEWARE = [\n{listed}]\n'


SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"


def _findings(root: Path, files: dict[str, str]) -> list[tuple[str, int]]:
    write_tree(root, {"pyproject.toml": "[project]\nname = 'web'\n", "web/__init__.py": "", "web/views.py": VIEW, **files})
    return sorted((f.code, f.line) for f in lint_paths([root], select=["DJA205"]))


BOTH_FLAGGED = [("DJA205", 5), ("DJA205", 6)]


@pytest.mark.parametrize(
    "middleware,listed",
    [
        (LOGIN_REDIRECT, "web.middleware.LoginRedirect"),
        (THEME_HOOK, "web.middleware.Theme"),
        (FACTORY, "web.middleware.timezone_middleware"),
    ],
    ids=["call-before-handing-on", "mixin-process-request", "function-factory"],
)
def test_a_sync_middleware_reading_the_user_first_silences_the_views(tmp_path, middleware, listed) -> None:
    files = {"web/middleware.py": middleware, "proj/__init__.py": "", "proj/settings.py": _settings(SESSION, AUTH, listed)}
    assert _findings(tmp_path, files) == []


def test_djangos_login_required_middleware_loads_the_user(tmp_path) -> None:
    files = {"proj/__init__.py": "", "proj/settings.py": _settings(SESSION, AUTH, "django.contrib.auth.middleware.LoginRequiredMiddleware")}
    assert _findings(tmp_path, files) == []


@pytest.mark.parametrize(
    "middleware,order",
    [
        (AFTER_THE_VIEW, "after-auth"),  # reads the user once the view has run
        (ASYNC_CAPABLE, "after-auth"),  # runs on the loop: its own read is async
        (LOGIN_REDIRECT, "before-auth"),  # request.user is not there yet
        (LOGIN_REDIRECT, "not-listed"),
    ],
    ids=["read-after-the-view", "async-middleware", "listed-before-auth", "not-listed"],
)
def test_other_middleware_leaves_the_views_flagged(tmp_path, middleware, order) -> None:
    name = "web.middleware." + ("AuditLog" if middleware is AFTER_THE_VIEW else "Theme" if middleware is ASYNC_CAPABLE else "LoginRedirect")
    listed = {"after-auth": (SESSION, AUTH, name), "before-auth": (SESSION, name, AUTH), "not-listed": (SESSION, AUTH)}[order]
    files = {"web/middleware.py": middleware, "proj/__init__.py": "", "proj/settings.py": _settings(*listed)}
    assert _findings(tmp_path, files) == BOTH_FLAGGED


def test_the_settings_star_imported_from_another_package_say_nothing(tmp_path) -> None:
    files = {
        "web/middleware.py": LOGIN_REDIRECT,
        "proj/__init__.py": "",
        "proj/settings.py": "from shared_settings.base import *\n\n" + _settings(SESSION, AUTH, "web.middleware.LoginRedirect"),
    }
    assert _findings(tmp_path, files) == BOTH_FLAGGED


# -- against Django itself ---------------------------------------------------------------
RUN = """
import asyncio, sys

import django
from django.conf import settings

settings.configure(
    SECRET_KEY="x", ROOT_URLCONF="web.urls", ALLOWED_HOSTS=["*"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[1]}},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"],
    MIDDLEWARE=sys.argv[2:],
)
django.setup()

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import AsyncClient, Client

call_command("migrate", verbosity=0)
user = User.objects.create_user("u", password="p")
client = Client()
client.force_login(user)


async def main():
    async_client = AsyncClient(raise_request_exception=True)
    async_client.cookies["sessionid"] = client.cookies["sessionid"].value
    try:
        response = await async_client.get("/")
        print(response.status_code)
    except Exception as exc:
        print(type(exc).__name__)


asyncio.run(main())
"""


@pytest.mark.parametrize(
    "middleware,listed,outcome",
    [
        (LOGIN_REDIRECT, "web.middleware.LoginRedirect", "200"),
        (THEME_HOOK.replace("request.user.theme", "request.user.username"), "web.middleware.Theme", "200"),
        (AFTER_THE_VIEW, "web.middleware.AuditLog", "SynchronousOnlyOperation"),
    ],
    ids=["call-before-handing-on", "mixin-process-request", "read-after-the-view"],
)
def test_django_runs_the_view_as_the_linter_says(tmp_path, middleware, listed, outcome) -> None:
    """The view's reads raise exactly where the linter keeps them flagged."""
    import subprocess
    import sys

    files = {
        "web/middleware.py": middleware,
        "web/urls.py": "from django.urls import path\n\nfrom web.views import dashboard\n\nurlpatterns = [path('', dashboard)]\n",
        "proj/__init__.py": "",
        "proj/settings.py": _settings(SESSION, AUTH, listed),
    }
    found = _findings(tmp_path, files)
    (tmp_path / "run.py").write_text(RUN)
    done = subprocess.run([sys.executable, "run.py", str(tmp_path / "db.sqlite3"), SESSION, AUTH, listed], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == outcome, done.stderr
    assert found == ([] if outcome == "200" else BOTH_FLAGGED)


EARLY_ASYNC_MIDDLEWARE = """from asgiref.sync import markcoroutinefunction
from django.http import HttpRequest


class Audit:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest):
        name = request.user.username
        response = await self.get_response(request)
        return await self.process_response(request, response, name)

    async def process_response(self, request: HttpRequest, response, name):
        response["X-User"] = f"{name} {request.user.pk}"
        return response
"""


def test_a_middlewares_own_request_phase_stays_flagged(tmp_path) -> None:
    """The loading middleware runs after the one being read: its request
    hook meets the lazy user; its response hook runs once the view (and
    the middleware below it) has."""
    files = {
        "web/middleware.py": LOGIN_REDIRECT,
        "web/audit.py": EARLY_ASYNC_MIDDLEWARE,
        "proj/__init__.py": "",
        "proj/settings.py": _settings(SESSION, AUTH, "web.audit.Audit", "web.middleware.LoginRedirect"),
    }
    write_tree(tmp_path, {"pyproject.toml": "[project]\nname = 'web'\n", "web/__init__.py": "", "web/views.py": VIEW, **files})
    found = sorted((Path(f.path).name, f.line) for f in lint_paths([tmp_path], select=["DJA205"]))
    assert found == [("audit.py", 14)]
