"""libcst, imported on first use.

A run served from the cache (nothing changed, or a pre-commit run whose
files did not change) runs the project-index and project-wide checks over
plain data: it imports every check module, but parses nothing.  libcst's
import alone was 0.13 s of such a run, a fifth of it.  So the modules that
use libcst write::

    cst = lazy_libcst.bind(globals())

instead of ``import libcst as cst``: their ``cst`` is a stand-in that imports
libcst on its first attribute read and then puts libcst itself in place of
the stand-in in every module that bound one, so the analysis's hot paths
read libcst's names exactly as with a plain import.  Such a module keeps
libcst out of what runs at its import: no class deriving from a libcst class
(those live in modules imported where they are used), no constant built
from libcst's names.
"""

from __future__ import annotations

import contextlib
import threading
import types
from collections.abc import Iterator
from typing import Any

_bound: list[dict[str, Any]] = []
_lock = threading.Lock()


def load() -> types.ModuleType:
    """libcst, imported, and in place in every module that bound a stand-in."""
    import libcst

    with _lock:
        while _bound:
            namespace = _bound.pop()
            if isinstance(namespace.get("cst"), _StandIn):
                namespace["cst"] = libcst
    return libcst


class _StandIn(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        return getattr(load(), name)


_STAND_IN = _StandIn("libcst", "libcst, imported on first use (async_lint.lazy_libcst)")


def bind(namespace: dict[str, Any]) -> Any:
    """The ``cst`` of a module (its ``globals()``): libcst when it is
    imported already, else a stand-in replaced by libcst on first use."""
    import sys

    libcst = sys.modules.get("libcst")
    if libcst is not None:
        return libcst
    with _lock:
        _bound.append(namespace)
    return _STAND_IN


_unchecked_depth = 0
_checked_post_init: Any = None


@contextlib.contextmanager
def nodes_unchecked() -> Iterator[None]:
    """libcst builds nodes without checking each one while this is open.

    Every node's constructor checks its fields (``CSTNode.__post_init__``
    calls ``_validate``): about a tenth of parsing a file.  A tree parsed from a
    text CPython's parser accepted needs no such check (libcst's own note
    there says as much), so that parse is made without it; nodes built
    elsewhere (fixes) are checked as before once every such parse is done.
    Counted, so that parses in threads (the language server's) overlap
    safely: the check is back when the last one ends."""
    global _unchecked_depth, _checked_post_init
    node = load().CSTNode
    with _lock:
        if _unchecked_depth == 0:
            _checked_post_init = node.__dict__.get("__post_init__")
            if _checked_post_init is not None:
                node.__post_init__ = _unchecked_post_init
        _unchecked_depth += 1
    try:
        yield
    finally:
        with _lock:
            _unchecked_depth -= 1
            if _unchecked_depth == 0 and _checked_post_init is not None:
                node.__post_init__ = _checked_post_init


def _unchecked_post_init(self) -> None:
    return None
