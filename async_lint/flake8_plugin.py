"""``flake8 --select DJA``: async-lint's rules as a flake8 plugin.

flake8 hands a plugin one file at a time, so by default each file is its own
project: every per-file rule runs, and DJA401 follows calls into helpers of
the same module only.  ``--async-lint-project`` lints each file inside the
project around it instead (cross-module chains and facts, as the command
line finds them, with its on-disk cache); that reads the modules the file's
calls reach, so it is slower on a cold cache.  flake8's own ``# noqa`` and
``--select``/``--ignore``/``--extend-ignore`` apply on top of the
``[tool.async-lint]`` settings, which are read as the command line reads
them.  Fixes are not applied (flake8 does not apply fixes), and a file that
does not parse is flake8's E999 (flake8 runs no plugin on it), not DJA000.
"""

from __future__ import annotations

import functools
import os
from typing import Iterator

from async_lint import __version__
from async_lint.config import ConfigError, folder_settings
from async_lint.findings import Finding
from async_lint.suppress import Suppressions

# flake8 reads files without a name from stdin; they have no project.
STDIN_NAMES = ("stdin", "-")


# flake8 calls the plugin once per file: look the configuration up once per folder.
_settings_for = functools.lru_cache(maxsize=64)(folder_settings)


def findings_for(filename: str, text: str, *, in_project: bool) -> list[Finding]:
    """async-lint's findings for one file's text (flake8's view of the file)."""
    from async_lint import engine, file_analysis
    from async_lint.source import SourceError, decode_source, encode_text

    path = os.path.abspath(filename) if filename not in STDIN_NAMES else os.path.abspath("stdin.py")
    try:
        settings = _settings_for(os.path.dirname(path))
    except ConfigError as exc:
        return [Finding(path, "DJA000", f"Cannot analyse this file: {exc}", 1, 1, 1, 1, "error")]
    data = encode_text(text)
    if in_project and filename not in STDIN_NAMES:
        result = engine.run([path], settings, cache_dir=settings.extra.get("cache_dir"), use_cache=True, texts={path: data})
        findings = result.findings
    else:
        try:
            source = decode_source(path, data)
        except SourceError as exc:
            return [file_analysis.parse_error_finding(path, exc)]
        # Like a run's: the blocking rules DJA401 needs run, but report only if enabled.
        findings = [f for f in file_analysis.analyze_path(path, settings, source).findings if f.code in settings.enabled]
    root = settings.root or os.path.dirname(path)
    # What a command-line run hides (per-file-ignores, the ORM opt-out), in the same one step.
    return Suppressions(settings, root, None, engine.orm_opt_outs([path], {path: data}, root)).visible(findings)


class AsyncLintChecker:
    """The flake8 plugin (entry point ``DJA`` in ``flake8.extension``)."""

    name = "async-lint"
    version = __version__
    in_project = False

    def __init__(self, tree, filename: str, lines: list[str]):
        # ``tree`` is unused but asked for: flake8 runs plugins that take it
        # once per file (a plugin of only ``lines`` would run per line).
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager) -> None:
        manager.add_option(
            "--async-lint-project",
            default=False,
            action="store_true",
            parse_from_config=True,
            help="async-lint: lint each file inside its project, following calls into other modules (DJA401 across modules).",
        )

    @classmethod
    def parse_options(cls, options) -> None:
        cls.in_project = bool(getattr(options, "async_lint_project", False))

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        for finding in findings_for(self.filename, "".join(self.lines), in_project=self.in_project):
            # flake8's columns start at 0.
            yield finding.line, max(0, finding.column - 1), f"{finding.code} {finding.message}", type(self)
