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
import sys
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Bindings:
    """What a module binds at a line's start, read again from its file (asked
    only of a module a re-export may pass through): how often each name is
    bound (None: the file could not be read again, every name counts as
    bound, nothing of it is kept), and its plain aliases of an imported name
    (``cache = default_cache``: alias -> the import's target)."""

    counts: dict[str, int] | None
    aliases: dict[str, str]

    def bound(self, name: str) -> int:
        return self.counts.get(name, 0) if self.counts is not None else sys.maxsize


def _bindings(path: str, own: dict[str, str]) -> _Bindings:
    """``_Bindings`` of the module at ``path`` whose top-level imports are ``own``."""
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return _Bindings(None, {})
    counts: dict[str, int] = {}
    for match in _REBOUND.finditer(text):
        name = match.group(1) or match.group(2) or match.group(3)
        counts[name] = counts.get(name, 0) + 1
    aliases: dict[str, str] = {}
    if "=" in text:
        # In the text's order: an alias of an alias is the first one's import.
        for alias, name in _ALIAS.findall(text):
            target = own.get(name) or aliases.get(name)
            if target is not None and alias not in own and alias not in aliases:
                aliases[alias] = target
    return _Bindings(counts, aliases)


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
        self._bindings_of: dict[str, _Bindings] = {}

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
        # The names imported from each module that its imports do not bind:
        # perhaps its aliases (read from its file only then).
        other_names: dict[str, set[str]] = {}
        for target in self.imported:
            module, _, name = target.rpartition(".")
            own = self.imports.get(module)
            if own is not None and name not in own:
                other_names.setdefault(module, set()).add(name)
        for module, names in self.imports.items():
            starred = module in self.starred
            wanted = [local for local in names if starred or f"{module}.{local}" in self.imported]
            if starred or module in other_names:
                wanted += [alias for alias in self._bindings(module).aliases if starred or alias in other_names[module]]
            for local in wanted:
                final = self._follow(module, local, tops, keep)
                if final is not None:
                    out[f"{module}.{local}"] = final
        return out

    def _follow(self, module: str, name: str, tops: set[str], keep: Callable[[str], bool] | None = None) -> str | None:
        """Where the chain of re-exports of ``module.name`` ends, when outside
        the project (or at a project name ``keep`` accepts) and no module on
        the way binds the name itself."""
        for _ in range(MAX_CHAIN):
            own = self.imports.get(module)
            if own is None:
                return None  # not a project module that imports anything
            target = own.get(name)
            bindings = self._bindings(module)
            # Bound at a line's start only by its alias, or not at all.
            allowed = 0
            if target is None:
                target, allowed = bindings.aliases.get(name), 1
            if target is None or bindings.bound(name) > allowed:
                return None  # defined in the project (or not known): the index's
            module, _dot, name = target.rpartition(".")
            if module.partition(".")[0] not in tops or (keep is not None and keep(target)):
                return target
        return None

    def _bindings(self, module: str) -> _Bindings:
        path = self.paths[module]
        found = self._bindings_of.get(path)
        if found is None:
            found = self._bindings_of[path] = _bindings(path, self.imports_of[path])
        return found
