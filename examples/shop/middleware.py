import logging
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils.decorators import async_only_middleware

logger = logging.getLogger(__name__)


def request_timer(get_response):  # expect: DJA501
    async def middleware(request):
        started = time.monotonic()
        response = await get_response(request)
        response["X-Elapsed"] = f"{time.monotonic() - started:.3f}"
        return response

    return middleware


@async_only_middleware
def cart_cookie(get_response):
    async def middleware(request):
        response = await get_response(request)
        if "cart" in request.COOKIES:
            response["Vary"] = "Cookie"
        return response

    return middleware


class MaintenanceModeMiddleware:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(self.get_response):
            markcoroutinefunction(self)

    async def __call__(self, request):
        return await self.get_response(request)


class AuditLogMiddleware:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response):  # expect: DJA506
        self.get_response = get_response

    async def __call__(self, request):
        response = await self.get_response(request)
        logger.info("%s %s -> %s", request.method, request.path, response.status_code)
        return response
