"""Property: on any program the grammar allows, the engine returns findings;
it never raises and never reports an internal error of its own."""

from __future__ import annotations

import hypothesmith
import pytest
import libcst as cst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from async_lint.engine import analyze_source
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
