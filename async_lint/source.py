"""Reading a Python source file into text and a libcst tree, or a reason why not."""

from __future__ import annotations

import codecs
import re
import io
import tokenize
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

# libcst's parser is recursive; pathological nesting must become a parse
# error for that file, not a crash of the run.
_ERROR_AT = re.compile(r"error at (\d+):(\d+):?\s*")
MAX_NESTING_HINT = "the file is nested too deeply to analyse"


@dataclass
class SourceFile:
    path: str
    data: bytes
    text: str
    encoding: str
    has_bom: bool
    newline: str

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


class SourceError(Exception):
    """The file cannot be read or parsed; ``line``/``column`` are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def read_source(path: str) -> SourceFile:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from exc
    return decode_source(path, data)


def decode_source(path: str, data: bytes) -> SourceFile:
    has_bom = data.startswith(codecs.BOM_UTF8)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"cannot decode file: {exc.msg if hasattr(exc, 'msg') else exc}") from exc
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        line = data[: getattr(exc, "start", 0)].count(b"\n") + 1
        raise SourceError(f"cannot decode file as {encoding}: {exc.reason if hasattr(exc, 'reason') else exc}", line) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise SourceError("file contains a NUL byte", line)
    newline = "\r\n" if "\r\n" in text[:4096] else "\n"
    return SourceFile(path=path, data=data, text=text, encoding=encoding, has_bom=has_bom, newline=newline)


def parse_source(source: SourceFile) -> cst.Module:
    # Imported here: a run served from the cache never needs the parser.
    import libcst as cst

    try:
        return cst.parse_module(source.text)
    except cst.ParserSyntaxError as exc:
        message = str(getattr(exc, "message", exc)).splitlines()[0]
        line, column = exc.raw_line, exc.raw_column + 1
        where = _ERROR_AT.search(message)
        if where:
            line, column = int(where.group(1)), int(where.group(2))
            message = message[: where.start()] + message[where.end():]
        message = message.replace("parser error:", "").strip(" :")
        raise SourceError(f"syntax error: {message}", line, column) from exc
    except RecursionError as exc:
        raise SourceError(MAX_NESTING_HINT) from exc
    except Exception as exc:  # the native parser reports some failures as plain exceptions
        raise SourceError(f"syntax error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc
