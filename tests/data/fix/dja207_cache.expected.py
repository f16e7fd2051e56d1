"""Cached views calling Django's cache synchronously, fixed to the a-methods."""
# fixture: select=DJA201,DJA202,DJA203,DJA207
# fixture: declined=marked
from django.core.cache import cache as default_cache, caches
from django.http import JsonResponse

sessions_cache = caches["sessions"]


async def dashboard(request):
    hits = await default_cache.aget("hits", 0)  # page hits
    await default_cache.aset("hits", hits + 1, timeout=60)
    await default_cache.aget_or_set(
        "banner",
        "welcome",
        300,
    )
    many = await sessions_cache.aget_many(["a", "b"])
    await caches["default"].adelete("stale")
    default_cache.incr("counter")  # aincr is not atomic: no fix
    default_cache.set("k", 1, nx=True)  # a backend's extra argument: no fix
    default_cache.set_many({"a": 1})  # aset_many loses the failed keys: no fix
    if await default_cache.ahas_key("flag"):
        await default_cache.atouch("flag")
    return JsonResponse({"hits": hits, "many": many})


def warm_cache():
    default_cache.set("warm", True)  # sync code: not flagged
