"""DJA5xx findings match what Django, DRF and adrf really do with the same code.

Every example below is one module's source. The test lints it and runs it on
the installed framework: a rule must fire exactly on the examples the
framework mishandles.
"""

from __future__ import annotations

from pathlib import Path

import asyncio
import warnings

import pytest

from tests.helpers import lint_text
from tests.structure_runtime import async_get, atomic_requests, configure_django, load_example, serving

STRUCTURE = ["DJA5"]

VIEW = """
from django.http import HttpResponse

async def view(request):
    return HttpResponse("ok")
"""


@pytest.fixture(scope="module", autouse=True)
def django_configured():
    configure_django()


def codes_of(source: str) -> set[str]:
    return {f.code for f in lint_text(source, select=STRUCTURE)}


def middleware_request(source: str, name: str, **kwargs):
    """A GET through AsyncClient with the example's middleware ``name`` installed."""
    module = load_example(source)
    view = load_example(VIEW).view
    return async_get(view, [f"{module.__name__}.{name}"], **kwargs)


# -- DJA501: function middleware ----------------------------------------------------------
UNMARKED_FUNCTION_MIDDLEWARE = """
def timing_middleware(get_response):
    async def middleware(request):
        response = await get_response(request)
        response["X-Timed"] = "1"
        return response

    return middleware
"""
MARKED_FUNCTION_MIDDLEWARE = "from django.utils.decorators import async_only_middleware\n\n@async_only_middleware" + UNMARKED_FUNCTION_MIDDLEWARE
ASYNC_ONLY_SYNC_INNER = """
from django.utils.decorators import async_only_middleware

@async_only_middleware
def header_middleware(get_response):
    def middleware(request):
        response = get_response(request)
        response["X-Served-By"] = "shop"
        return response

    return middleware
"""
ASYNC_ONLY_PASS_THROUGH = """
from django.utils.decorators import async_only_middleware

@async_only_middleware
def passthrough_middleware(get_response):
    def middleware(request):
        request.seen = True
        return get_response(request)

    return middleware
"""


def test_unmarked_async_function_middleware_fails_every_request():
    assert codes_of(UNMARKED_FUNCTION_MIDDLEWARE) == {"DJA501"}
    with pytest.raises(TypeError, match="sync_to_async can only be applied to sync functions"):
        middleware_request(UNMARKED_FUNCTION_MIDDLEWARE, "timing_middleware")


def test_marked_async_function_middleware_works():
    assert codes_of(MARKED_FUNCTION_MIDDLEWARE) == set()
    response = middleware_request(MARKED_FUNCTION_MIDDLEWARE, "timing_middleware")
    assert response.status_code == 200 and response["X-Timed"] == "1"


def test_async_only_factory_with_sync_inner_fails():
    assert codes_of(ASYNC_ONLY_SYNC_INNER) == {"DJA501"}
    with pytest.raises(TypeError):
        middleware_request(ASYNC_ONLY_SYNC_INNER, "header_middleware")


def test_async_only_factory_passing_the_coroutine_through_works():
    assert codes_of(ASYNC_ONLY_PASS_THROUGH) == set()
    assert middleware_request(ASYNC_ONLY_PASS_THROUGH, "passthrough_middleware").status_code == 200


# -- DJA502 / DJA506: class middleware -------------------------------------------------------
CLASS_MIDDLEWARE = """
from asgiref.sync import iscoroutinefunction, markcoroutinefunction

class TimingMiddleware:
{flags}
    def __init__(self, get_response):
        self.get_response = get_response
{mark}
    async def __call__(self, request):
        if request.path == "/":
            raise ValueError("boom")
        return await self.get_response(request)
"""
FLAGS = "    async_capable = True\n    sync_capable = False\n"
MARK = "        if iscoroutinefunction(self.get_response):\n            markcoroutinefunction(self)\n"
FLAGLESS = CLASS_MIDDLEWARE.format(flags="", mark="")
FLAGGED_UNMARKED = CLASS_MIDDLEWARE.format(flags=FLAGS, mark="")
FLAGGED_MARKED = CLASS_MIDDLEWARE.format(flags=FLAGS, mark=MARK)
MIXIN_ASYNC_HOOK = """
from django.utils.deprecation import MiddlewareMixin

class AuditMiddleware(MiddlewareMixin):
    async def process_request(self, request):
        request.audited = True
"""
ASYNC_PROCESS_VIEW = """
from django.http import HttpResponse

class MaintenanceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    async def process_view(self, request, view_func, view_args, view_kwargs):
        return HttpResponse("maintenance", status=503)
"""


def test_flagless_async_class_middleware_fails_every_request():
    assert codes_of(FLAGLESS) == {"DJA502"}
    with pytest.raises(AttributeError, match="coroutine"):
        middleware_request(FLAGLESS, "TimingMiddleware", raise_request_exception=False)


def test_flagged_unmarked_middleware_lets_exceptions_escape():
    assert codes_of(FLAGGED_UNMARKED) == {"DJA506"}
    with pytest.raises(ValueError, match="boom"):
        middleware_request(FLAGGED_UNMARKED, "TimingMiddleware", raise_request_exception=False)


LEGACY_MARK = "        if asyncio.iscoroutinefunction(self.get_response):\n            self._is_coroutine = asyncio.coroutines._is_coroutine\n"
FLAGGED_LEGACY = "import asyncio\n" + CLASS_MIDDLEWARE.format(flags=FLAGS, mark=LEGACY_MARK)


def test_the_legacy_coroutine_mark_is_what_older_django_targets_use():
    """Django 3.1-4.1 (Python 3.11 at most) check ``asyncio.iscoroutinefunction``,
    which honours ``_is_coroutine``, and may run on an asgiref without
    ``markcoroutinefunction``: the legacy mark is fine there, and an unmarked
    middleware is told to use it; from 4.2 both are told to use
    ``markcoroutinefunction``."""
    older = [f.message for f in lint_text(FLAGGED_LEGACY, select=STRUCTURE, django_version=(3, 2))]
    assert older == []
    unmarked = [f.message for f in lint_text(FLAGGED_UNMARKED, select=STRUCTURE, django_version=(4, 1))]
    assert len(unmarked) == 1 and "self._is_coroutine = asyncio.coroutines._is_coroutine" in unmarked[0]
    newer = [(f.code, "markcoroutinefunction(self)" in f.message) for f in lint_text(FLAGGED_LEGACY, select=STRUCTURE, django_version=(4, 2))]
    assert newer == [("DJA506", True)]


# A flag of the middleware's own stored under the marker's name (a bool).
FLAG_NAMED_LIKE_MARK = "        self._is_coroutine = asyncio.iscoroutinefunction(self.get_response)\n"
FLAGGED_FLAG_NAMED = "import asyncio\n" + CLASS_MIDDLEWARE.format(flags=FLAGS, mark=FLAG_NAMED_LIKE_MARK)


def test_a_flag_stored_under_the_marks_name_marks_nothing():
    """``self._is_coroutine = asyncio.iscoroutinefunction(get_response)``
    stores a bool, not asyncio's marker: the instance is unmarked, on every
    Python, and exceptions raised in it escape Django's handling (measured
    below); the message asks for the mark, and older targets are not
    silenced as by the legacy mark."""
    newest = lint_text(FLAGGED_FLAG_NAMED, select=STRUCTURE)
    assert [(f.code, "never calls `markcoroutinefunction(self)`" in f.message) for f in newest] == [("DJA506", True)]
    older = lint_text(FLAGGED_FLAG_NAMED, select=STRUCTURE, django_version=(3, 2))
    assert [(f.code, "never marks it" in f.message) for f in older] == [("DJA506", True)]
    with pytest.raises(ValueError, match="boom"):
        middleware_request(FLAGGED_FLAG_NAMED, "TimingMiddleware", raise_request_exception=False)


DISPATCHING_MIDDLEWARE = """
from asgiref.sync import iscoroutinefunction, markcoroutinefunction

class DispatchingMiddleware:
{flags}
    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
{mark}
    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        return self.get_response(request)

    async def __acall__(self, request):
        if request.path == "/":
            raise ValueError("boom")
        return await self.get_response(request)
"""
BOTH_CAPABLE = "    async_capable = True\n    sync_capable = True\n"


def test_a_sync_call_returning_its_async_method_lets_exceptions_escape_unless_marked():
    """MiddlewareMixin's shape without its mark: Django wraps the instance as
    a sync callable and gets the coroutine back, so the exception raised in
    it is never turned into a 500."""
    unmarked = DISPATCHING_MIDDLEWARE.format(flags=BOTH_CAPABLE, mark="")
    assert codes_of(unmarked) == {"DJA506"}
    with pytest.raises(ValueError, match="boom"):
        middleware_request(unmarked, "DispatchingMiddleware", raise_request_exception=False)
    marked = DISPATCHING_MIDDLEWARE.format(flags=BOTH_CAPABLE, mark=MARK)
    assert codes_of(marked) == set()
    assert middleware_request(marked, "DispatchingMiddleware", raise_request_exception=False).status_code == 500
    # Not async-capable: Django hands it a sync get_response, and its sync path
    # runs (the one without the exception).
    sync_only = DISPATCHING_MIDDLEWARE.format(flags="", mark="")
    assert codes_of(sync_only) == set()
    assert middleware_request(sync_only, "DispatchingMiddleware", raise_request_exception=False).status_code == 200


def test_flagged_marked_middleware_turns_exceptions_into_500():
    assert codes_of(FLAGGED_MARKED) == set()
    response = middleware_request(FLAGGED_MARKED, "TimingMiddleware", raise_request_exception=False)
    assert response.status_code == 500


def test_async_hook_on_middleware_mixin_fails():
    assert codes_of(MIXIN_ASYNC_HOOK) == {"DJA502"}
    response = middleware_request(MIXIN_ASYNC_HOOK, "AuditMiddleware", raise_request_exception=False)
    assert response.status_code == 500


def test_async_process_view_on_sync_middleware_works():
    # Django adapts process_view by its own kind: not a finding.
    assert codes_of(ASYNC_PROCESS_VIEW) == set()
    response = middleware_request(ASYNC_PROCESS_VIEW, "MaintenanceMiddleware")
    assert response.status_code == 503


# -- DJA503: class-based views ---------------------------------------------------------------
MIXED_VIEW = """
from django.http import HttpResponse
from django.views.generic import TemplateView

class ContactView(TemplateView):
    template_name = "contact.html"

    async def post(self, request):
        return HttpResponse("sent")
"""
ALL_ASYNC_VIEW = """
from django.http import HttpResponse
from django.views.generic import TemplateView

class ContactView(TemplateView):
    async def get(self, request):
        return HttpResponse("form")

    async def post(self, request):
        return HttpResponse("sent")

    def options(self, request, *args, **kwargs):
        return super().options(request, *args, **kwargs)
"""


def test_mixed_handlers_raise_improperly_configured():
    from django.core.exceptions import ImproperlyConfigured

    assert codes_of(MIXED_VIEW) == {"DJA503"}
    with pytest.raises(ImproperlyConfigured, match="must either be all sync or all async"):
        load_example(MIXED_VIEW).ContactView.as_view()


def test_all_async_handlers_with_sync_options_work():
    assert codes_of(ALL_ASYNC_VIEW) == set()
    response = async_get(load_example(ALL_ASYNC_VIEW).ContactView.as_view())
    assert response.status_code == 200 and response.content == b"form"


# -- DJA504: DRF -------------------------------------------------------------------------------
DRF_VIEW = """
from {module} import APIView
from rest_framework.response import Response

class ProductList(APIView):
    authentication_classes = []
    permission_classes = []

    async def get(self, request):
        return Response(["tea"])
"""


def test_async_handler_on_drf_view_fails():
    source = DRF_VIEW.format(module="rest_framework.views")
    assert codes_of(source) == {"DJA504"}
    with pytest.raises((AssertionError, TypeError)):
        async_get(load_example(source).ProductList.as_view())


def test_async_handler_on_adrf_view_works():
    source = DRF_VIEW.format(module="adrf.views")
    assert codes_of(source) == set()
    response = async_get(load_example(source).ProductList.as_view())
    assert response.status_code == 200


# -- DJA505: streaming ---------------------------------------------------------------------------
STREAMING = """
from django.http import StreamingHttpResponse

{kind}def rows():
    for i in range(3):
        yield f"{{i}}\\n"

async def export(request):
    return StreamingHttpResponse(rows(), content_type="text/csv")
"""


def asgi_get(view) -> tuple[bytes, list[str]]:
    """One GET through Django's ASGI handler; the body and the warnings raised."""
    from django.core.handlers.asgi import ASGIHandler

    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": [], "server": ("testserver", 80), "client": ("127.0.0.1", 1)}
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never disconnects

    async def send(message):
        sent.append(message)

    with serving(view), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(ASGIHandler()(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return body, [str(w.message) for w in caught]


def assert_streamed(source: str, view: str, body: bytes, *, warns: bool) -> None:
    """The example's ``view`` served through the ASGI handler sends ``body``,
    with Django's warning about sync iterators exactly when the linter
    reports DJA505 (and only that) for the example."""
    assert codes_of(source) == ({"DJA505"} if warns else set())
    sent, caught = asgi_get(getattr(load_example(source), view))
    assert sent == body
    assert any("must consume synchronous iterators" in message for message in caught) == warns


def test_streaming_a_sync_generator_from_an_async_view_warns():
    assert_streamed(STREAMING.format(kind=""), "export", b"0\n1\n2\n", warns=True)


STREAMED_STRING = """
import json

from django.http import StreamingHttpResponse

async def export(request):
    return StreamingHttpResponse(json.dumps({"ok": True}), content_type="application/json")
"""


def test_streaming_a_string_from_an_async_view_warns():
    assert_streamed(STREAMED_STRING, "export", b'{"ok": true}', warns=True)


def test_streaming_an_async_generator_does_not_warn():
    assert_streamed(STREAMING.format(kind="async "), "export", b"0\n1\n2\n", warns=False)


FILE_RESPONSE = """
import django
from django.http import FileResponse

async def chunks(path):
    yield b"streamed"

async def download(request):
    {content}
"""


def test_a_file_response_over_an_opened_file_from_an_async_view_warns():
    """FileResponse wraps a file-like in ``iter(lambda: f.read(n), b"")``: a
    sync iterator, which the ASGI handler reads whole in a thread."""
    import django

    source = FILE_RESPONSE.format(content='return FileResponse(open(django.__file__, "rb"))')
    assert_streamed(source, "download", Path(django.__file__).read_bytes(), warns=True)


def test_a_file_response_over_an_async_generator_does_not_warn():
    assert_streamed(FILE_RESPONSE.format(content="return FileResponse(chunks(django.__file__))"), "download", b"streamed", warns=False)


# -- DJA507: ATOMIC_REQUESTS -----------------------------------------------------------------------
ATOMIC = """
from django.db import transaction
from django.http import JsonResponse
from django.urls import path

DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "ATOMIC_REQUESTS": True,
    }}
}}

{decorator}async def health(request):
    return JsonResponse({{"ok": True}})

urlpatterns = [path("health/", health)]
"""


def test_atomic_requests_with_an_async_view_raises():
    source = ATOMIC.format(decorator="")
    assert codes_of(source) == {"DJA507"}
    module = load_example(source)
    assert module.DATABASES["default"]["ATOMIC_REQUESTS"] is True
    with atomic_requests(), pytest.raises(RuntimeError, match="ATOMIC_REQUESTS with async views"):
        async_get(module.health)


def test_atomic_requests_with_a_non_atomic_async_view_works():
    source = ATOMIC.format(decorator="@transaction.non_atomic_requests\n")
    assert codes_of(source) == set()
    with atomic_requests():
        assert async_get(load_example(source).health).status_code == 200
