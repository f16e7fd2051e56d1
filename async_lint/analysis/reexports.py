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
re-export.  Kept only where another project module imports the name from that
module, by name or with ``*``, and where the chain of re-exports ends outside
the project (a name defined in the project is the project index's to follow).
"""

from __future__ import annotations

import re

from async_lint.analysis.model_skeleton import resolve_relative

# ``from X import a, b as c`` or ``from X import (a,\n b)``, matched at a line's start.
_FROM_IMPORT = re.compile(r"from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n;\\]*)")
# Names a module binds again at a line's start: ``def``/``class``, and plain assignments.
_REBOUND = re.compile(r"(?m)^(?:(?:async[ \t]+)?def[ \t]+(\w+)|class[ \t]+(\w+)|(\w+)[ \t]*(?::[^=\n]*)?=(?!=))")
_ALIAS = re.compile(r"([A-Za-z_]\w*)(?:\s+as\s+([A-Za-z_]\w*))?$")
MAX_CHAIN = 8


def _from_imports(text: str, indented: bool):
    """``(dots, module, names text, at a line's start)`` of each ``from ... import``."""
    at = 0
    while True:
        at = text.find("from", at)
        if at == -1:
            return
        line_start = text.rfind("\n", 0, at) + 1
        prefix = text[line_start:at]
        if (not prefix or (indented and prefix.isspace() and "\n" not in prefix)) and (at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_")):
            match = _FROM_IMPORT.match(text, at)
            if match is not None:
                yield match.group(1), match.group(2), match.group(3), not prefix
                at = match.end()
                continue
        at += 4


def _aliases(names: str) -> list[tuple[str, str]]:
    """``(name, local name)`` of an import's names (``*`` left out)."""
    out = []
    for part in re.sub(r"#[^\n]*", "", names).strip().strip("()").split(","):
        match = _ALIAS.match(part.strip())
        if match is not None:
            out.append((match.group(1), match.group(2) or match.group(1)))
    return out


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

    def add(self, text: str, module: str, is_package: bool) -> None:
        self.modules.add(module)
        if "import" not in text:
            return
        own: dict[str, str] = {}
        for dots, name, names, top_level in _from_imports(text, indented=True):
            source = resolve_relative(name or None, len(dots), module, is_package)
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
            for match in _REBOUND.finditer(text):
                own.pop(match.group(1) or match.group(2) or match.group(3), None)
            if own:
                self.imports[module] = own

    def table(self) -> dict[str, str]:
        """``module.name -> the outside name`` for each name a project module
        imports from another that re-exports it from outside the project."""
        tops = {module.partition(".")[0] for module in self.modules}
        out: dict[str, str] = {}
        for module, names in self.imports.items():
            starred = module in self.starred
            for local, target in names.items():
                qualified = f"{module}.{local}"
                if not starred and qualified not in self.imported:
                    continue
                final = self._follow(target, tops)
                if final is not None:
                    out[qualified] = final
        return out

    def _follow(self, target: str, tops: set[str]) -> str | None:
        """Where a chain of re-exports from ``target`` ends, when outside the project."""
        for _ in range(MAX_CHAIN):
            module, _dot, name = target.rpartition(".")
            if module.partition(".")[0] not in tops:
                return target
            following = self.imports.get(module, {}).get(name)
            if following is None:
                return None  # defined in the project (or not known): the index's
            target = following
        return None
