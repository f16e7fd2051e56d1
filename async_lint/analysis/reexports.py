"""Names the project's modules import from outside the project and other
modules import from them: ``app/services/__init__.py`` holds
``from django.shortcuts import get_object_or_404``, and a view does
``from app.services import get_object_or_404`` (or
``from app.services import *``).  The view's name is Django's function, which
a file's own analysis cannot see: the model table carries
``app.services.get_object_or_404 -> django.shortcuts.get_object_or_404``,
read from the texts of the project's files before any file is analysed.

Read from text, not parsed: only ``from ... import`` statements at a line's
start (a module's unconditional top-level imports; an import inside ``if``,
``try`` or a function is indented and left out), and a name the module binds
again at a line's start (a ``def``, a ``class``, an assignment) is not a
re-export, unless that binding is the module's one plain alias of an imported
name at a line's start (``cache = default_cache`` after ``from
django.core.cache import cache as default_cache``).  Kept only where another project module imports the name from that
module, by name or with ``*``, and where the chain of re-exports ends outside
the project (a name defined in the project is the project index's to follow).
Also asgiref's ``sync_to_async``/``async_to_sync`` imported from a library
module that has them (``from adrf.views import sync_to_async``).
"""

from __future__ import annotations

import re
from typing import Callable

from async_lint.analysis.model_skeleton import resolve_relative

# ``from X import a, b as c`` or ``from X import (a,\n b)`` (searched by its
# leading literal, fast; whether it begins a line is tested after).
_FROM_IMPORT = re.compile(r"from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n;\\]*)")
# Names a module binds again at a line's start: ``def``/``class``, and plain assignments.
_REBOUND = re.compile(r"(?m)^(?:(?:async[ \t]+)?def[ \t]+(\w+)|class[ \t]+(\w+)|(\w+)[ \t]*(?::[^=\n]*)?=(?!=))")
# ``name = other`` alone on a line's start: a plain alias of another name.
_ALIAS = re.compile(r"(?m)^(\w+)[ \t]*=[ \t]*(\w+)[ \t]*(?:#[^\n]*)?$")
MAX_CHAIN = 8
# asgiref's adapters, which libraries import and a project may import from
# them: the names mean asgiref's wherever a module outside the project has them.
ASGIREF_SYNC_NAMES = frozenset({"sync_to_async", "async_to_sync"})


def _from_imports(text: str):
    """``(dots, module, names text, at a line's start)`` of each ``from ... import``
    that begins a line (indented or not)."""
    for match in _FROM_IMPORT.finditer(text):
        at = match.start()
        if at and (text[at - 1].isalnum() or text[at - 1] == "_"):
            continue  # ``xfrom``: not the keyword
        line_start = text.rfind("\n", 0, at) + 1
        indentation = text[line_start:at]
        if indentation and indentation.strip(" \t"):
            continue  # after code on the line (``x = 1; from a import b``), or in a string
        yield match.group(1), match.group(2), match.group(3), not indentation


def _aliases(names: str) -> list[tuple[str, str]]:
    """``(name, local name)`` of an import's names (``*`` left out)."""
    if "#" in names:
        names = re.sub(r"#[^\n]*", "", names)
    out = []
    for part in names.strip().strip("()").split(","):
        words = part.split()
        if len(words) == 1 and words[0].isidentifier():
            out.append((words[0], words[0]))
        elif len(words) == 3 and words[1] == "as" and words[0].isidentifier() and words[2].isidentifier():
            out.append((words[0], words[2]))
    return out


def _rebound(path: str) -> dict[str, int]:
    """How often a module binds each name at a line's start with a def, a
    class or an assignment (its file read again: asked only of a module a
    re-export was found in)."""
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return _EVERY_NAME  # unreadable now: nothing of it is kept
    counts: dict[str, int] = {}
    for match in _REBOUND.finditer(text):
        name = match.group(1) or match.group(2) or match.group(3)
        counts[name] = counts.get(name, 0) + 1
    return counts


class _EveryName(dict):
    """Every name bound more often than any count asks."""

    def __contains__(self, name: object) -> bool:
        return True

    def get(self, name, default=None):
        return 2**31


_EVERY_NAME = _EveryName()


class ReexportScan:
    """Fed each project module's text (``add``); ``table()`` gives the
    re-exports to keep, once every module is known."""

    def __init__(self) -> None:
        self.modules: set[str] = set()
        # module -> local name -> the absolute name its top-level imports bind it to
        self.imports: dict[str, dict[str, str]] = {}
        # The absolute names imported anywhere, and the modules imported with ``*``.
        self.imported: set[str] = set()
        self.starred: set[str] = set()
        # module -> its file (read again for the names it binds itself, where asked)
        self.paths: dict[str, str] = {}
        # path -> its top-level imports (two packages may share a name: ``services``
        # of ``app/services/`` and of ``bot/services/``, each also named through its folder)
        self.imports_of: dict[str, dict[str, str]] = {}
        # path -> the names its module binds by a plain alias of an imported name
        self.aliased: dict[str, set[str]] = {}
        self._rebound_in: dict[str, dict[str, int]] = {}

    def add(self, text: str, module: str, is_package: bool, path: str) -> None:
        self.modules.add(module)
        if "import" not in text:
            return
        own: dict[str, str] = {}
        sources: dict[tuple[str, str], str] = {}
        for dots, name, names, top_level in _from_imports(text):
            source = sources.get((dots, name))
            if source is None:
                source = sources[(dots, name)] = resolve_relative(name or None, len(dots), module, is_package)
            if not source:
                continue
            if names.strip() == "*":
                self.starred.add(source)
                continue
            for imported, local in _aliases(names):
                target = f"{source}.{imported}"
                self.imported.add(target)
                if top_level:
                    own[local] = target
        if own and "=" in text:
            for alias, name in _ALIAS.findall(text):
                if name in own and alias not in own:
                    own[alias] = own[name]
                    self.aliased.setdefault(path, set()).add(alias)
        if own:
            self.imports[module] = own
            self.paths[module] = path
            self.imports_of[path] = own

    def name_also(self, aliases_of) -> None:
        """Each module that imports something is also known by the other
        names its file is imported by (``aliases_of(path)``: the project's
        namespace packages, the folders on ``sys.path``): ``app/`` without an
        ``__init__.py`` makes ``services`` also ``app.services``."""
        for path, own in list(self.imports_of.items()):
            for alias in aliases_of(path):
                if alias not in self.imports:
                    self.modules.add(alias)
                    self.imports[alias] = own
                    self.paths[alias] = path

    def table(self, keep: Callable[[str], bool] | None = None) -> dict[str, str]:
        """``module.name -> the outside name`` for each name a project module
        imports from another that re-exports it from outside the project;
        ``keep(qualified)``: also where the chain ends at such a name of the
        project (a model class: ``from app.services import Category``, which
        app/services.py imports from app/models.py), which a file's own
        analysis would not know otherwise."""
        tops = {module.partition(".")[0] for module in self.modules}
        out: dict[str, str] = {}
        for target in self.imported:
            # ``from adrf.views import sync_to_async``: a library's module
            # re-exporting asgiref's (they import it to wrap their own calls).
            module, _, name = target.rpartition(".")
            if name in ASGIREF_SYNC_NAMES and module.partition(".")[0] not in tops and module != "asgiref.sync":
                out[target] = f"asgiref.sync.{name}"
        for module, names in self.imports.items():
            starred = module in self.starred
            for local in names:
                qualified = f"{module}.{local}"
                if starred or qualified in self.imported:
                    final = self._follow(module, local, tops, keep)
                    if final is not None:
                        out[qualified] = final
        return out

    def _follow(self, module: str, name: str, tops: set[str], keep: Callable[[str], bool] | None = None) -> str | None:
        """Where the chain of re-exports of ``module.name`` ends, when outside
        the project (or at a project name ``keep`` accepts) and no module on
        the way binds the name itself."""
        for _ in range(MAX_CHAIN):
            target = self.imports.get(module, {}).get(name)
            # Bound at a line's start only by its alias, or not at all.
            allowed = 1 if name in self.aliased.get(self.paths.get(module, ""), ()) else 0
            if target is None or self._rebound(module).get(name, 0) > allowed:
                return None  # defined in the project (or not known): the index's
            module, _dot, name = target.rpartition(".")
            if module.partition(".")[0] not in tops or (keep is not None and keep(target)):
                return target
        return None

    def _rebound(self, module: str) -> dict[str, int]:
        found = self._rebound_in.get(module)
        if found is None:
            found = self._rebound_in[module] = _rebound(self.paths[module])
        return found
