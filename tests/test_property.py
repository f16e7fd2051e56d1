"""Property: on any program the grammar allows, the engine returns findings;
it never raises and never reports an internal error of its own."""

from __future__ import annotations

import hypothesmith
import pytest
import libcst as cst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from async_lint.file_analysis import analyze_source
from async_lint.source import decode_source
from tests.helpers import make_settings

SETTINGS = make_settings()
# hypothesmith compiles what it generates; CPython warns about odd but valid code.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
# Generated programs are slow to build: keep the run small, and the same on every run.
FAST = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def check(code: str) -> None:
    source = decode_source("generated.py", code.encode("utf-8", "surrogatepass"))
    result = analyze_source("generated.py", source, SETTINGS)
    internal = [f for f in result.findings if f.code == "DJA000" and "Internal error" in f.message]
    assert not internal, internal
    for finding in result.findings:
        assert 1 <= finding.line <= finding.end_line
        assert finding.column >= 1 and finding.end_column >= 1


@FAST
@given(hypothesmith.from_grammar())
def test_engine_never_raises_on_grammatical_programs(code):
    check(code)


@FAST
@given(hypothesmith.from_node(cst.Module))
def test_engine_never_raises_on_generated_syntax_trees(code):
    check(code)


@FAST
@given(st.text(alphabet="async def await time.sleep():\n\t ()[]{}#'\"\\x=+-*/,.", max_size=200))
def test_engine_never_raises_on_near_python_noise(code):
    check(code)


# -- the whole engine and --fix, on generated programs, also run on the event loop ---------------
# A whole run forks a worker and --fix re-lints: fewer examples.
WHOLE = settings(FAST, max_examples=12)
FAILURE_WORDS = ("Internal error", "internal error", "worker process died", "budget")


def in_async_def(code: str) -> str:
    """The program as the body of an ``async def`` (so every rule that needs
    the event loop looks at it), after a blocking call that --fix rewrites."""
    body = "".join("    " + line if line.strip() else line for line in code.splitlines(keepends=True))
    return "import time\n\n\nasync def generated():\n    time.sleep(1)\n" + body + ("\n" if body and not body.endswith("\n") else "")


def compiles(code: str) -> bool:
    try:
        compile(code, "generated.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def check_run_and_fix(code: str) -> None:
    import ast
    import os
    import tempfile

    from async_lint.apply_fixes import fix_paths
    from async_lint.engine import run

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "generated.py")
        with open(path, "w", encoding="utf-8", errors="surrogatepass", newline="") as fh:
            fh.write(code)
        result = run([path], WHOLE_SETTINGS)
        broken = [f for f in result.findings if f.code == "DJA000" and any(word in f.message for word in FAILURE_WORDS)]
        assert not broken, broken
        assert not result.failures, result.failures
        for finding in result.findings:
            assert "\n" not in finding.message and finding.message.strip()
        outcome = fix_paths([path], WHOLE_SETTINGS, write=True)
        assert not [f.refused for f in outcome.files if f.refused and "internal error" in f.refused], outcome.files
        with open(path, "rb") as fh:
            fixed = fh.read()
        if outcome.changed_files:
            ast.parse(fixed)  # the fixed program still parses


WHOLE_SETTINGS = make_settings(jobs=1)


@WHOLE
@given(hypothesmith.from_grammar())
def test_whole_run_and_fix_on_grammatical_programs(code):
    check_run_and_fix(code)


@WHOLE
@given(hypothesmith.from_grammar().map(in_async_def).filter(compiles))
def test_whole_run_and_fix_on_programs_run_on_the_event_loop(code):
    check_run_and_fix(code)


@WHOLE
@given(hypothesmith.from_node(cst.Module).map(in_async_def).filter(compiles))
def test_whole_run_and_fix_on_generated_trees_run_on_the_event_loop(code):
    check_run_and_fix(code)
