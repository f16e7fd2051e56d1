"""The effective settings of a run, after config file and command line are merged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Settings:
    enabled: frozenset[str]
    # (major, minor) of the Django the project targets; None = newest known.
    django_version: tuple[int, int] | None = None
    exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    # Dotted names the team knows block: reported as DJA105 with their message.
    extra_blocking_calls: tuple[tuple[str, str], ...] = ()
    extra_async_contexts: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    jobs: int = 1
    # CPU seconds one file's analysis may take before it is stopped and reported
    # as DJA000 (0: no limit).  Not in the fingerprint: a file that ran out
    # of time is never cached.
    file_timeout: float = 10.0
    # The project root (folder of the config file, else the repository root):
    # exclude and per-file-ignores patterns and baseline paths are relative to it.
    root: str | None = None
    # Parse every file to report a syntax error as DJA000, also in files no
    # rule looks at (those that need no full pass).  Not in the fingerprint: a
    # cached result records whether it was syntax-checked (engine.py), so runs
    # with and without share entries.
    check_syntax: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    # Not a setting but the project's model table (analysis/model_table.py),
    # which every file's analysis reads: built once per run, before any file.
    models: Any = field(default=None, compare=False, hash=False)

    def fingerprint(self) -> str:
        """A stable string of everything that changes findings (for caches)."""
        return repr(
            (
                sorted(self.enabled),
                self.django_version,
                self.extra_blocking_calls,
                self.extra_async_contexts,
                self.per_file_ignores,
                self.models.digest() if self.models is not None else None,
            )
        )
