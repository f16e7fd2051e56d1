"""Writing reports: atomically, never over an input, whatever the file names.

A report file (``-o``, ``--write-baseline``) is rendered into a temporary
file beside it and renamed over it only when rendering finished, so a crash
leaves the old file (or none), never an empty or half-written one.

File names are bytes on POSIX; Python shows the ones that are not UTF-8
with surrogate escapes, which no codec accepts.  ``OUTPUT_ERRORS`` writes
those as the original bytes (the name the user's shell shows) and any
other character the output's encoding lacks as a backslash escape, so no
locale or output format crashes on a file name.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import stat
import sys
from typing import Any, Iterator

OUTPUT_ERRORS = "async_lint_output"


class OutputError(Exception):
    """A report cannot be written where asked; the message says why."""


def _escape_unencodable(error: UnicodeError) -> tuple[str | bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start : error.end]
    if all(0xDC80 <= ord(ch) <= 0xDCFF for ch in chunk):
        return bytes(ord(ch) - 0xDC00 for ch in chunk), error.end
    return "".join(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}" for ch in chunk), error.end


codecs.register_error(OUTPUT_ERRORS, _escape_unencodable)


def tolerant_streams() -> None:
    """stdout and stderr that never raise on a character they cannot encode."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors=OUTPUT_ERRORS)


def refuse_inputs(output: str, inputs: list[str], flag: str) -> None:
    """OutputError when ``output`` is one of the files being linted: an input
    file, or a Python file under an input folder (checked before discovery)."""
    try:
        target = os.path.realpath(output)
    except (OSError, ValueError):
        return
    for path in inputs:
        with contextlib.suppress(OSError, ValueError):
            named = os.path.realpath(path)
            folder = os.path.isdir(path)
            if (named == target and not folder) or (folder and target.endswith(".py") and target.startswith(named.rstrip(os.sep) + os.sep)):
                raise OutputError(f"{flag} {output} is one of the files being linted; refusing to overwrite it (name another file)")


def atomic_bytes(path: str, data: bytes) -> None:
    with atomic_writer(path, binary=True) as fh:
        fh.write(data)


@contextlib.contextmanager
def atomic_writer(path: str, *, newline: str | None = None, binary: bool = False) -> Iterator[Any]:
    """A text (or ``binary``) handle whose content replaces ``path`` only when
    the block ends without an exception; the file keeps its permission bits
    if it existed."""
    target = os.path.realpath(path)
    folder = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    import tempfile  # an output file only: a report to stdout does not import it

    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".async-lint-tmp", dir=folder)
    try:
        handle = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", errors=OUTPUT_ERRORS, newline=newline)
        with handle as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
