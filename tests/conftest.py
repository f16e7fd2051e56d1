"""The test session's set-up."""

from __future__ import annotations

import compileall
from pathlib import Path

import async_lint


def pytest_sessionstart(session) -> None:
    """Byte-compile the engine once, before any test starts a process.

    Many tests run the installed ``async-lint`` command (and pre-commit,
    flake8, worker pools started afresh) in processes of their own; where
    ``PYTHONDONTWRITEBYTECODE`` is set (container and CI images often set it), each compiled the
    engine's modules from source again, about 0.4 s a process.  The files
    written are the ``__pycache__`` folders Python writes itself elsewhere
    (ignored by git); where they are up to date this reads only their stamps."""
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller compiled them
    compileall.compile_dir(str(Path(async_lint.__file__).parent), quiet=1)
