"""Cached views calling Django's cache synchronously, fixed to the a-methods."""
# fixture: select=DJA201,DJA202,DJA203,DJA207
# fixture: declined=marked
from django.core.cache import cache as default_cache, caches
from django.http import JsonResponse

sessions_cache = caches["sessions"]


async def dashboard(request):
    hits = default_cache.get("hits", 0)  # page hits
    default_cache.set("hits", hits + 1, timeout=60)
    default_cache.get_or_set(
        "banner",
        "welcome",
        300,
    )
    many = sessions_cache.get_many(["a", "b"])
    caches["default"].delete("stale")
    default_cache.incr("counter")  # aincr is not atomic: no fix
    default_cache.set("k", 1, nx=True)  # a backend's extra argument: no fix
    default_cache.set_many({"a": 1})  # aset_many loses the failed keys: no fix
    if default_cache.has_key("flag"):
        default_cache.touch("flag")
    return JsonResponse({"hits": hits, "many": many})


def warm_cache():
    default_cache.set("warm", True)  # sync code: not flagged
