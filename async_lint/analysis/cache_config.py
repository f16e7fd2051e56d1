"""Which of the project's Django caches do no I/O, read from its settings.

Django's cache calls block the event loop only where the backend talks to a
server (Redis, Memcached, the database, files).  A project whose settings
never set ``CACHES`` runs on Django's default, ``LocMemCache``: a dict in the
process, no I/O, no error (DJANGO-ASYNC-FACTS); so does an alias configured
with ``LocMemCache`` or ``DummyCache`` in every ``CACHES`` the project writes.

Read with CPython's ``ast`` from the few files that mention ``CACHES``: each
module-level ``CACHES = {...}`` and each ``CACHES={...}`` keyword (``override_settings``,
``settings.configure``) must be a literal whose backends are strings, else
nothing is known (an environment-built ``CACHES = env.cache()``, an update
``CACHES["default"]["BACKEND"] = ...``).  ``"*"`` stands for every alias.
"""

from __future__ import annotations

import ast
import re

LOCAL_BACKENDS = frozenset({"django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"})
ALL_ALIASES = "*"
# A settings module: the project's own configuration is in the tree
# (``INSTALLED_APPS = [``, ``+=``, annotated: ``INSTALLED_APPS: list[str] = [``).
SETTINGS_MODULE = re.compile(rb"(?m)^INSTALLED_APPS\s*(?::[^=\n]*)?[+]?=")
# Folders of a project's tests, examples and docs (``is_sample_path``).
SAMPLE_FOLDERS = frozenset(
    {"tests", "test", "testing", "testproject", "test_project", "testapp", "test_app", "example", "examples", "example_project", "demo", "demos", "sample", "samples", "sandbox", "docs"}
)
# ``from base.settings import *`` (absolute: a relative one stays in the package).
STAR_IMPORT = re.compile(rb"(?m)^from\s+([A-Za-z_][\w.]*)\s+import\s+\*")


class _Unknown(Exception):
    """The project writes CACHES in a way this cannot read."""


def _definition(value: ast.AST) -> dict[str, str]:
    """alias -> backend of a ``CACHES`` literal."""
    if not isinstance(value, ast.Dict):
        raise _Unknown
    out: dict[str, str] = {}
    for key, entry in zip(value.keys, value.values):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(entry, ast.Dict)):
            raise _Unknown
        backend = None
        for field, field_value in zip(entry.keys, entry.values):
            if field is None:
                raise _Unknown  # ``**base``: fields of unknown value
            if isinstance(field, ast.Constant) and field.value == "BACKEND":
                if not (isinstance(field_value, ast.Constant) and isinstance(field_value.value, str)):
                    raise _Unknown
                backend = field_value.value
        if backend is None:
            raise _Unknown
        out[key.value] = backend
    return out


def _definitions(text: str) -> list[dict[str, str]]:
    """The ``CACHES`` literals a module writes; raises ``_Unknown`` where it
    writes or changes ``CACHES`` otherwise."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise _Unknown from None
    found: list[dict[str, str]] = []
    top_level = {id(statement) for statement in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "CACHES" for t in targets):
                if id(node) not in top_level or isinstance(node, ast.AugAssign) or node.value is None:
                    raise _Unknown
                found.append(_definition(node.value))
            elif any(isinstance(t, ast.Attribute) and t.attr == "CACHES" for t in targets):
                raise _Unknown  # settings.CACHES = ...
        elif isinstance(node, ast.keyword) and node.arg == "CACHES":
            found.append(_definition(node.value))
        elif isinstance(node, ast.Dict):  # settings.configure(**{"CACHES": {...}})
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "CACHES":
                    found.append(_definition(value))
        elif isinstance(node, ast.ImportFrom) and any("CACHES" in (alias.name, alias.asname) for alias in node.names):
            raise _Unknown  # from shared.settings import CACHES
        elif isinstance(node, ast.Name) and node.id == "CACHES" and isinstance(node.ctx, ast.Load):
            raise _Unknown  # CACHES["default"][...] = ..., CACHES.update(...), passed on
    return found


def is_sample_path(relative: str) -> bool:
    """A file of a project's tests, examples or docs (``relative`` to its
    root): settings there configure a test run or a demo, not the project."""
    parts = relative.replace("\\", "/").split("/")
    name = parts[-1]
    return bool(SAMPLE_FOLDERS.intersection(parts[:-1])) or name.startswith("test_") or name in ("tests.py", "conftest.py")


def sample_project_folder(relative: str) -> str | None:
    """The folder of the demo project whose settings module is ``relative``
    (a file under a sample folder: ``sandbox/sandbox/settings.py`` ->
    ``sandbox``, ``examples/shop/shop/settings.py`` -> ``examples/shop``):
    the settings package's parent, but never above the outermost sample
    folder; None for a file under no sample folder."""
    parts = relative.replace("\\", "/").split("/")
    outermost = next((i for i, part in enumerate(parts[:-1]) if part in SAMPLE_FOLDERS), None)
    if outermost is None:
        return None
    return "/".join(parts[: max(outermost + 1, len(parts) - 2)])


def local_cache_aliases(texts: list[str], has_settings: bool) -> tuple[str, ...] | None:
    """The cache aliases that do no I/O (``("*",)``: all of them), from the
    texts of the project's files that mention ``CACHES`` (its tests' and
    examples' too: they can only make an alias less local); None where that
    is not known: the project has no settings module of its own outside its
    tests and examples (``has_settings``: a library, whose caches are its
    users'), or it writes ``CACHES`` in a way this cannot read."""
    if not has_settings:
        return None  # a library's: the caches are its users' (its test settings are not)
    try:
        definitions = [definition for text in texts for definition in _definitions(text)]
    except _Unknown:
        return None
    if not definitions:
        return (ALL_ALIASES,)  # Django's default: one LocMemCache
    local: dict[str, bool] = {}
    for definition in definitions:
        for alias, backend in definition.items():
            local[alias] = local.get(alias, True) and backend in LOCAL_BACKENDS
    if all(local.values()):
        return (ALL_ALIASES,)
    return tuple(sorted(alias for alias, is_local in local.items() if is_local))
