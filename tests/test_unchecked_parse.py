"""A text CPython's parser accepted is parsed by libcst without checking each
node it builds (``lazy_libcst.nodes_unchecked``): the same tree, and the
check back for every node built afterwards, also where parses overlap in
threads."""

from __future__ import annotations

import threading
from pathlib import Path

import libcst as cst
import pytest

from async_lint import lazy_libcst
from async_lint.source import SourceError, decode_source, parse_source

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.joinpath("async_lint").rglob("*.py"), *ROOT.joinpath("examples").rglob("*.py")])[::5]


def _checked() -> bool:
    try:
        cst.Name("not a name")
    except cst.CSTValidationError:
        return True
    return False


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_unchecked_parse_is_the_checked_parse(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    module = parse_source(decode_source(str(path), text.encode("utf-8")))
    assert module.deep_equals(cst.parse_module(text))
    assert module.code == text
    assert _checked()


def test_nodes_are_checked_again_once_every_unchecked_parse_is_done() -> None:
    assert _checked()
    with lazy_libcst.nodes_unchecked():
        assert not _checked()
        with lazy_libcst.nodes_unchecked():
            assert not _checked()
        assert not _checked()  # the outer parse still runs
    assert _checked()


def test_overlapping_parses_in_threads_leave_nodes_checked() -> None:
    inside = threading.Barrier(2)
    leave = threading.Event()

    def parse() -> None:
        with lazy_libcst.nodes_unchecked():
            inside.wait()
            leave.wait()

    threads = [threading.Thread(target=parse) for _ in range(2)]
    for thread in threads:
        thread.start()
    leave.set()
    for thread in threads:
        thread.join()
    assert _checked()


def test_a_text_only_libcst_reads_is_still_checked(monkeypatch) -> None:
    """Where CPython's parser refuses the text (a syntax newer than the
    interpreter), libcst's parse is the only judge: its checks stay on."""
    seen: list[bool] = []
    real = cst.parse_module

    def recording(text: str):
        seen.append(_checked())
        return real(text)

    monkeypatch.setattr(cst, "parse_module", recording)
    parse_source(decode_source("m.py", b"x = 1\n"))
    with pytest.raises(SourceError):
        parse_source(decode_source("m.py", b"def f(:\n"))
    assert seen == [False, True]
