"""A progress bar on stderr while files are analysed, for long runs only.

It appears only when stderr is a real terminal, and only once the run has
taken ``delay`` seconds or has at least ``min_files`` files: a short run on
every commit stays quiet. It is transient: it disappears when the run ends.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


class ProgressBar:
    """The ``on_file_done(done, total)`` callback of ``engine.run``."""

    def __init__(self, console: Console, *, delay: float = 1.0, min_files: int = 400, clock: Callable[[], float] = time.monotonic):
        self.console = console
        self.delay = delay
        self.min_files = min_files
        self.clock = clock
        self.started_at = clock()
        self._progress: Progress | None = None
        self._task = None

    def __call__(self, done: int, total: int) -> None:
        if self._progress is None:
            if total < self.min_files and self.clock() - self.started_at < self.delay:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]async-lint[/] analysing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("files", total=total)
        self._progress.update(self._task, completed=done, total=total)

    @property
    def shown(self) -> bool:
        return self._progress is not None

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_for(stderr_is_tty: bool, output_format: str) -> ProgressBar | None:
    """A progress bar when one is wanted: stderr a terminal (not a pipe, not a
    dumb terminal; FORCE_COLOR does not fake one) and a human output format."""
    if not stderr_is_tty or output_format not in ("rich", "concise"):
        return None
    # rich honours NO_COLOR (a bar without colour) and FORCE_COLOR itself.
    # Imported here: a run whose output is piped never loads rich.
    from rich.console import Console

    console = Console(stderr=True)
    if console.is_dumb_terminal:
        return None
    return ProgressBar(console)
