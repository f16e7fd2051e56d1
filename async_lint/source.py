"""Reading a Python source file into text and a libcst tree, or a reason why not."""

from __future__ import annotations

import ast
import codecs
import errno
import functools
import io
import os
import re
import stat
import sys
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

_ERROR_AT = re.compile(r"error at (\d+):(\d+):?\s*")
# Python's own line breaks. str.splitlines() also breaks at \f, \v, \x1c-\x1e,
# \x85, \u2028 and \u2029, which would shift every row after such a character.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
TOO_DEEP = "the file is nested too deeply to analyse"
PYTHON_RECURSION_LIMIT = 1000  # CPython's default


def one_line(value: object) -> str:
    """A message on one line (a finding is one line of output)."""
    return " ".join(str(value).split())


@dataclass
class SourceFile:
    path: str
    data: bytes
    text: str
    encoding: str
    has_bom: bool
    newline: str
    # CPython's tree of ``text``, kept by ``parse_source`` for cheap positions.
    python_tree: ast.Module | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def lines(self) -> list[str]:
        """The physical lines as Python counts them (row N is ``lines[N - 1]``)."""
        return split_lines(self.text)


def split_lines(text: str) -> list[str]:
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class SourceError(Exception):
    """The file cannot be read or parsed; ``line``/``column`` are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def special_kind(mode: int) -> str | None:
    """What a file that is not a regular file is ("a FIFO"); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _open_without_blocking(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def read_bytes(path: str) -> bytes:
    """A regular file's content.  Anything else (a FIFO that would block
    forever, /dev/zero that never ends) raises OSError without being read:
    opened without blocking, then checked on the open file, so a file swapped
    for a FIFO after discovery is refused too."""
    with open(path, "rb", opener=_open_without_blocking) as fh:
        kind = special_kind(os.fstat(fh.fileno()).st_mode)
        if kind is not None:
            raise OSError(errno.EINVAL, f"not a regular file ({kind})")
        return fh.read()


def read_source(path: str) -> SourceFile:
    try:
        data = read_bytes(path)
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from exc
    return decode_source(path, data)


# The first bytes of a macOS AppleDouble file (``._views.py`` beside
# ``views.py``, left by copies from a Mac to another file system or an archive).
APPLE_DOUBLE_MAGIC = b"\x00\x05\x16\x07"


# UTF-32's marks first: UTF-32-LE's begins with UTF-16-LE's.
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def decode_source(path: str, data: bytes) -> SourceFile:
    """Decode as Python does: a BOM or a PEP 263 coding cookie, else UTF-8."""
    has_bom = data.startswith(codecs.BOM_UTF8)
    if data.startswith(APPLE_DOUBLE_MAGIC):
        raise SourceError("not Python source: a macOS AppleDouble file (Finder metadata of the file named without `._`); exclude `._*` files")
    wide = next((name for bom, name in _WIDE_BOMS if data.startswith(bom)), None)
    if wide is not None:
        # Python reads source as UTF-8 (or a declared ASCII-compatible encoding): it cannot run this file.
        raise SourceError(f"cannot decode file: it is {wide} (its byte-order mark says so), which Python cannot read as source; save it as UTF-8")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"cannot decode file: {getattr(exc, 'msg', exc)}") from exc
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        line = data[: getattr(exc, "start", 0)].count(b"\n") + 1
        reason = getattr(exc, "reason", exc)
        raise SourceError(f"cannot decode file as {encoding} ({reason}); declare its encoding with a coding comment or save it as UTF-8", line) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        before = text[: text.index("\x00")]
        line = len(split_lines(before + "x"))
        raise SourceError("file contains a NUL byte", line)
    newline = "\r\n" if "\r\n" in text[:4096] else "\n"
    return SourceFile(path=path, data=data, text=text, encoding=encoding, has_bom=has_bom, newline=newline)


def encode_text(text: str) -> bytes:
    """Text that an editor or flake8 holds decoded, as the bytes of the file:
    in the encoding its coding cookie declares, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(text.encode("utf-8", "surrogatepass")).readline)
        return text.encode(encoding)
    except (SyntaxError, LookupError, UnicodeError):
        return text.encode("utf-8", "surrogatepass")


def python_parse(text: str) -> tuple[ast.Module | None, SourceError | None]:
    """CPython's own verdict on the text, from its fast C parser.

    It runs before libcst for two reasons. CPython bounds nesting (200 open
    brackets, 100 indentation levels, a recursion limit while building the
    tree), while libcst's native parser recurses without a bound and can take
    minutes or overflow its stack (killing the process) on a file CPython
    refuses anyway. And its messages are the ones users know ("Missing
    parentheses in call to 'print'").

    Returns (tree, None) or (None, the syntax error); raises SourceError for a
    file too deeply nested for Python itself."""
    # The interpreter's verdict is the one under its default recursion limit
    # (the analysis may run with a higher one, see workers.py).
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(min(limit, PYTHON_RECURSION_LIMIT))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes and the like
            return ast.parse(text), None
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = exc.offset or 1
        return None, SourceError(f"syntax error: {exc.msg}", line, max(column, 1))
    except (RecursionError, MemoryError) as exc:
        raise SourceError(f"{TOO_DEEP} (Python itself cannot compile it: {one_line(exc) or type(exc).__name__})") from exc
    except (ValueError, OverflowError) as exc:  # e.g. a lone surrogate the decoder let through
        return None, SourceError(f"syntax error: {exc}")
    finally:
        sys.setrecursionlimit(limit)


# CPython limits that are the same in every version: past them libcst must not be tried.
# ("too many nested parentheses", "too many levels of indentation", "too complex").
_NESTING_LIMITS = ("too many", "too complex")


def parse_source(source: SourceFile, parses=None) -> cst.Module:
    """libcst's module of the file (``parses``: a ``reparse.ParseMemory``
    that may build it from the tree of the file's previous text)."""
    try:
        return _parse(source, parses)
    except SourceError as exc:
        raise _within(exc, source.lines) from exc


def _within(error: SourceError, lines: list[str]) -> SourceError:
    """The error at a position the file has: parsers report an unexpected
    end of file on the line after the last, or past the end of a line."""
    line = min(max(error.line, 1), max(len(lines), 1))
    column = error.column
    if line != error.line:
        column = len(lines[line - 1]) + 1 if lines else 1
    elif lines:
        column = min(max(column, 1), len(lines[line - 1]) + 1)
    error.line, error.column = line, max(column, 1)
    return error


def _parse(source: SourceFile, parses=None) -> cst.Module:
    import libcst as cst

    from async_lint.lazy_libcst import nodes_unchecked

    source.python_tree, python_error = python_parse(source.text) if parses is None else parses.python_parse(source.path, source.text)
    if python_error is not None and any(limit in python_error.message for limit in _NESTING_LIMITS):
        raise python_error
    try:
        if parses is not None:
            return parses.parse(source.path, source.text, source.python_tree)
        if python_error is None:
            with nodes_unchecked():
                return cst.parse_module(source.text)
        return cst.parse_module(source.text)
    except cst.ParserSyntaxError as exc:
        # The interpreter running async-lint may be older than the code's
        # syntax, so its error alone is not trusted; when both agree the file
        # is broken, its message is the clearer one.
        if python_error is not None:
            raise python_error from exc
        message = str(getattr(exc, "message", exc)).splitlines()[0]
        line, column = exc.raw_line, exc.raw_column + 1
        where = _ERROR_AT.search(message)
        if where:
            # The native parser's "error at L:C" column is 0-based.
            line, column = int(where.group(1)), int(where.group(2)) + 1
            message = message[: where.start()] + message[where.end() :]
        message = message.replace("parser error:", "").replace("tokenizer error:", "").strip(" :")
        if python_error is None and source.python_tree is not None:
            # Python compiles it: not the code's error, the parser's (libcst's
            # tokenizer rejects some indentation that mixes tabs and spaces).
            hint = "; indentation that mixes tabs and spaces?" if "dedent" in message or "indent" in message else ""
            raise SourceError(f"async-lint's parser (libcst) rejects this file, which Python accepts ({message}{hint}); none of its code is checked", line, column) from exc
        raise SourceError(f"syntax error: {message}", line, column) from exc
    except RecursionError as exc:
        raise SourceError(TOO_DEEP) from exc
    except Exception as exc:  # the native parser reports some failures as plain exceptions
        if python_error is not None:
            raise python_error from exc
        raise SourceError(f"syntax error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc


# A parsed file is hundreds of thousands of small objects that all live until
# the file is done: with CPython's default threshold (700) the collector runs
# thousands of times per file and finds nothing to free, since syntax trees
# hold no cycles that outlive them.
PARSE_GC_THRESHOLD = 100_000


def tune_gc_for_parsing() -> None:
    """Collect young objects less often: in a command-line run and in the
    language server, whose every edit parses a file again (a few megabytes
    more may wait for a collection; the trees themselves hold no cycles)."""
    import gc

    first, second, third = gc.get_threshold()
    gc.set_threshold(max(first, PARSE_GC_THRESHOLD), second, third)
