"""Files that cannot be read or parsed become DJA000 with the reason; the run
goes on and every other file's findings are kept, at the right positions."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from async_lint import engine, file_pool, source
from tests.helpers import lint_paths

SLEEPY = "import time\n\n\nasync def view(request):\n    time.sleep(1)\n"


def where(findings, code=None):
    return [(Path(f.path).name, f.line, f.column, f.code) for f in findings if code is None or f.code == code]


def lint_one(tmp_path: Path, data: bytes, name: str = "mod.py", **settings):
    """Lint ``data`` as a file beside a clean-but-flagged neighbour, checking the neighbour survives."""
    (tmp_path / "neighbour.py").write_text(SLEEPY)
    (tmp_path / name).write_bytes(data)
    findings = lint_paths([tmp_path], **settings)
    assert ("neighbour.py", 5, 5, "DJA101") in where(findings), "another file's finding was lost"
    return [f for f in findings if Path(f.path).name == name]


def only_dja000(findings) -> str:
    assert [f.code for f in findings] == ["DJA000"], findings
    return findings[0].message


def build_bad_tree(root: Path) -> None:
    """A project folder with one of every kind of unreadable file, and two good files with findings."""
    root.mkdir(exist_ok=True)
    (root / "good.py").write_text(SLEEPY)
    (root / "also_good.py").write_text("import time\nasync def f():\n    time.sleep(2)\n")
    (root / "broken.py").write_text("def view(request:\n    pass\n")
    (root / "latin.py").write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    (root / "empty.py").write_bytes(b"")
    (root / "nul.py").write_bytes(b"x = 1\n\x00\n")
    (root / "py2.py").write_text("print 'hello'\n")
    (root / "deep.py").write_text("x = " + "[" * 1000 + "]" * 1000 + "\n")
    (root / "loop").symlink_to(root / "loop", target_is_directory=True)


@pytest.mark.parametrize(
    "data, reason, line",
    [
        (b"def view(request:\n    pass\n", "syntax error", 1),
        (b"x = 1\nprint 'hello'\n", "Missing parentheses in call to 'print'", 2),
        (b"exec 'code'\n", "Missing parentheses in call to 'exec'", 1),
        (b"x = 1\ny = 'caf\xe9'\n", "cannot decode file as utf-8", 2),
        (b"# -*- coding: klingon -*-\nx = 1\n", "unknown encoding: klingon", 1),
        (b"x = 1\ny = 2\n\x00\n", "NUL byte", 3),
        (b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nx = 1\n", "encoding problem", 1),
        (b"if x:\n\tpass\n        pass\n", "inconsistent use of tabs and spaces", 3),
        # A macOS AppleDouble file (``._views.py``): its header, then Finder's entries.
        (b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02\x00\x00\x00\x09", "a macOS AppleDouble file", 1),
        # An editor's "Unicode" save: UTF-16 (or UTF-32) with its byte-order mark.
        ("async def view(request):\n    return 1\n".encode("utf-16"), "it is UTF-16", 1),
        ("x = 1\n".encode("utf-32"), "it is UTF-32", 1),
    ],
    ids=["syntax", "python2-print", "python2-exec", "not-utf8", "unknown-cookie", "nul", "bom-vs-cookie", "tabs-and-spaces", "apple-double", "utf-16", "utf-32"],
)
def test_unreadable_file_is_dja000_with_the_reason(tmp_path, data, reason, line):
    # These files hold no async code: their syntax is checked when asked.
    (finding,) = lint_one(tmp_path, data, check_syntax=True)
    assert finding.code == "DJA000"
    assert reason in finding.message
    assert finding.line == line


def test_coding_cookie_latin1_is_valid_and_positions_are_right(tmp_path):
    data = "# -*- coding: latin-1 -*-\nimport time\n\n\nasync def café(request):\n    label = 'déjà'; time.sleep(1)\n".encode("latin-1")
    assert where(lint_one(tmp_path, data)) == [("mod.py", 6, 21, "DJA101")]


def test_bom_does_not_shift_columns(tmp_path):
    data = b"\xef\xbb\xbfimport time\nasync def view(request): time.sleep(1)\n"
    assert where(lint_one(tmp_path, data)) == [("mod.py", 2, 26, "DJA101")]


def test_crlf_positions_and_noqa(tmp_path):
    text = "import time\r\n\r\nasync def view(request):\r\n    time.sleep(1)\r\n    time.sleep(2)  # noqa: DJA101\r\n    time.sleep(3)\r\n"
    assert where(lint_one(tmp_path, text.encode())) == [("mod.py", 4, 5, "DJA101"), ("mod.py", 6, 5, "DJA101")]


def test_old_mac_line_endings(tmp_path):
    text = "import time\rasync def view(request):\r    time.sleep(1)\r"
    assert where(lint_one(tmp_path, text.encode())) == [("mod.py", 3, 5, "DJA101")]


def test_tab_counts_as_one_column(tmp_path):
    text = "import time\nasync def view(request):\n\tif request:\n\t\ttime.sleep(1)\n"
    assert where(lint_one(tmp_path, text.encode())) == [("mod.py", 4, 3, "DJA101")]


def test_form_feed_and_unicode_line_separators_do_not_shift_rows(tmp_path):
    # str.splitlines() breaks at \f and \u2028; Python does not, so a noqa
    # must be read from the row the finding is on.
    text = "import time\n\f\nLABEL = 'a\u2028b'  # \x85\nasync def view(request):\n    time.sleep(1)  # noqa: DJA101\n    time.sleep(2)\n"
    assert where(lint_one(tmp_path, text.encode())) == [("mod.py", 6, 5, "DJA101")]


def test_empty_and_blank_files_are_clean(tmp_path):
    assert lint_one(tmp_path, b"") == []
    assert lint_one(tmp_path, b"\n\n   \n", name="blank.py") == []
    assert lint_one(tmp_path, b"\xef\xbb\xbf", name="bom_only.py") == []


def test_huge_file(tmp_path):
    filler = "".join(f"def helper_{i}(value):\n    return value + {i}\n\n\n" for i in range(1500))
    started = time.perf_counter()
    findings = lint_one(tmp_path, ("import time\n" + filler + "async def view(request):\n    time.sleep(1)\n").encode())
    assert where(findings) == [("mod.py", 6003, 5, "DJA101")]
    assert time.perf_counter() - started < 60


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "(" * 1000 + "1" + ")" * 1000 + "\n",
        "x = " + "[" * 1000 + "]" * 1000 + "\n",
        "x = " + "{'k': " * 500 + "1" + "}" * 500 + "\n",
        "x = " + " + ".join(["1"] * 20000) + "\n",
        "x = a" + ".b" * 20000 + "\n",
        "x = " + "not " * 5000 + "y\n",
        "".join("    " * i + "if x:\n" for i in range(120)) + "    " * 120 + "pass\n",
    ],
    ids=["parens", "brackets", "dicts", "binop-chain", "attribute-chain", "not-chain", "indentation"],
)
def test_deep_nesting_is_dja000_quickly(tmp_path, text):
    # libcst's native parser has no depth bound: these take minutes or kill
    # the process with a stack overflow unless refused first.
    started = time.perf_counter()
    message = only_dja000(lint_one(tmp_path, text.encode(), check_syntax=True))
    assert "nested" in message or "too many" in message or "too deeply" in message
    assert time.perf_counter() - started < 20


def test_nesting_python_accepts_is_analysed_or_refused_but_never_crashes(tmp_path):
    text = "import time\nasync def view(request):\n    x = " + "[" * 150 + "]" * 150 + "\n    time.sleep(1)\n"
    findings = lint_one(tmp_path, text.encode())
    assert [f.code for f in findings] in (["DJA101"], ["DJA000"])


def test_symlink_loop_named_on_the_command_line(tmp_path):
    (tmp_path / "ping.py").symlink_to(tmp_path / "pong.py")
    (tmp_path / "pong.py").symlink_to(tmp_path / "ping.py")
    (tmp_path / "good.py").write_text(SLEEPY)
    findings = lint_paths([tmp_path / "ping.py", tmp_path / "good.py"])
    assert where(findings) == [("good.py", 5, 5, "DJA101"), ("ping.py", 1, 1, "DJA000")]
    assert "symbolic links" in findings[1].message


def test_unreadable_file_is_reported(tmp_path, monkeypatch):
    real_open = open

    def refusing_open(path, *args, **kwargs):
        if os.path.basename(path) == "secret.py":
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(source, "open", refusing_open, raising=False)
    monkeypatch.setattr(engine, "open", refusing_open, raising=False)  # the project run reads and hashes files itself
    message = only_dja000(lint_one(tmp_path, SLEEPY.encode(), name="secret.py"))
    assert message == "Cannot analyse this file: cannot read file: Permission denied"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_file_without_permissions_is_reported(tmp_path):
    path = tmp_path / "secret.py"
    path.write_text(SLEEPY)
    path.chmod(0)
    only_dja000(lint_one(tmp_path, SLEEPY.encode(), name="secret.py"))


def crashing_analyze_task(task, settings):
    if task.path.endswith("crash_07.py"):
        os._exit(70)  # what a segfault in native code looks like to the pool
    return ANALYZE_TASK(task, settings)


ANALYZE_TASK = file_pool.analyze_task


def test_a_worker_that_dies_costs_only_its_file(tmp_path, monkeypatch):
    count = file_pool.PARALLEL_THRESHOLD + 4
    for i in range(count):
        (tmp_path / f"crash_{i:02}.py").write_text(SLEEPY)
    # Worker processes are forked, so they inherit the patched function.
    monkeypatch.setattr(file_pool, "analyze_task", crashing_analyze_task)
    findings = lint_paths([tmp_path], jobs=2)
    assert [(name, code) for name, _, _, code in where(findings)] == sorted((f"crash_{i:02}.py", "DJA000" if i == 7 else "DJA101") for i in range(count))
    assert "worker process died" in findings[7].message


def test_bad_tree_through_lint_paths(tmp_path):
    build_bad_tree(tmp_path / "proj")
    findings = lint_paths([tmp_path / "proj"], check_syntax=True)
    assert sorted((name, code) for name, _, _, code in where(findings)) == [
        ("also_good.py", "DJA101"),
        ("broken.py", "DJA000"),
        ("deep.py", "DJA000"),
        ("good.py", "DJA101"),
        ("latin.py", "DJA000"),
        ("nul.py", "DJA000"),
        ("py2.py", "DJA000"),
    ]


def test_bad_tree_through_the_cli(tmp_path):
    build_bad_tree(tmp_path / "proj")
    proc = subprocess.run([sys.executable, "-m", "async_lint", "--format", "concise", "--check-syntax", "proj"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert "proj/good.py:5:5: DJA101" in "\n".join(lines)
    assert any(line.startswith("proj/also_good.py:3:5: DJA101") for line in lines)
    assert any(line.startswith("proj/py2.py:1:1: DJA000") and "print" in line for line in lines)
    assert len(lines) == 7, proc.stdout
    assert "Traceback" not in proc.stderr


def test_a_file_python_accepts_and_libcst_rejects_says_so(tmp_path):
    """A method body indented with a tab then spaces under a 4-space def:
    Python compiles it, libcst's tokenizer refuses it. The file is still
    reported (nothing in it is checked), but not as the code's syntax error."""
    path = tmp_path / "models.py"
    path.write_text('class Shop:\n    def __str__(self):\n\t    return "shop"\n\n\nasync def view(request):\n    return request\n', encoding="utf-8")
    compile(path.read_text(encoding="utf-8"), str(path), "exec")
    (found,) = lint_paths([tmp_path])
    assert found.code == "DJA000"
    assert "which Python accepts" in found.message and "syntax error" not in found.message, found.message
