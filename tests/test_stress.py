"""Pathological input never costs the run: for every generated module (deep
nesting of every kind, long elif and operand chains, megabyte lines, huge
modules, thousands of findings) the run completes, the module gets its
findings or a DJA000, and the good file beside it gets its findings.

The fast sizes run by default; the full sizes are marked ``slow`` (run them
with ``pytest -m slow``).  Time and memory are measured by bench/run.py, not
asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest

from async_lint.engine import run
from tests.helpers import make_settings
from tests.pathological import CASES, MARKER

GOOD = "import time\n\n\nasync def good(request):\n    time.sleep(2)\n"


def check_beside_a_good_file(tmp_path: Path, text: str) -> None:
    (tmp_path / "bad.py").write_text(text)
    (tmp_path / "good.py").write_text(GOOD)
    result = run([str(tmp_path)], make_settings(jobs=2))
    codes = {Path(f.path).name: set() for f in result.findings}
    for finding in result.findings:
        codes[finding.path.rsplit("/", 1)[-1]].add(finding.code)
    assert codes.get("good.py") == {"DJA101"}, result.findings[:5]
    bad = codes.get("bad.py", set())
    assert "DJA000" in bad or "DJA101" in bad, result.findings[:5]
    if "DJA000" not in bad:
        # Analysed: the marker's finding is at its place.
        marker_row = MARKER.count("\n", 0, MARKER.index("time.sleep(1)")) + 1
        assert any(f.line == marker_row and f.code == "DJA101" for f in result.findings if f.path.endswith("bad.py"))
    else:
        [failure] = [f for f in result.findings if f.path.endswith("bad.py")]
        assert failure.message.strip(" :") and "\n" not in failure.message
        assert 1 <= failure.line <= text.count("\n") + 1


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_sizes(tmp_path, name):
    generate, size, _ = CASES[name]
    check_beside_a_good_file(tmp_path, generate(size))


@pytest.mark.slow
@pytest.mark.parametrize(("name", "size"), [(name, size) for name, (_, _, sizes) in sorted(CASES.items()) for size in sizes])
def test_full_sizes(tmp_path, name, size):
    generate, _, _ = CASES[name]
    check_beside_a_good_file(tmp_path, generate(size))


@pytest.mark.slow
def test_all_cases_in_one_parallel_run(tmp_path):
    """Every fast case in one run over many workers: no file costs another its findings."""
    for name, (generate, size, _) in CASES.items():
        (tmp_path / f"{name}.py").write_text(generate(size))
    (tmp_path / "good.py").write_text(GOOD)
    result = run([str(tmp_path)], make_settings(jobs=2))
    reported = {Path(f.path).stem for f in result.findings if f.code in ("DJA000", "DJA101")}
    assert reported == {*CASES, "good"}


def _counted_findings(monkeypatch, owner, method: str, module: str):
    """A function linting ``module``'s text (a file of its own) with every
    rule, giving its finding codes and how many times ``owner.method`` ran
    for it: a cost counted, not timed."""
    from async_lint.catalog import catalog
    from async_lint.file_analysis import analyze_source
    from async_lint.settings import Settings
    from async_lint.source import decode_source

    counted = {"calls": 0}
    original = getattr(owner, method)

    def counting(self, *args, **kwargs):
        counted["calls"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, method, counting)
    settings = Settings(enabled=frozenset(catalog()))

    def lint(text: str) -> tuple[list[str], int]:
        counted["calls"] = 0
        result = analyze_source(module, decode_source(module, text.encode()), settings, standalone=False)
        return [f.code for f in result.findings], counted["calls"]

    return lint


def test_optional_filters_cost_names_polynomial_in_their_number(monkeypatch):
    """A search view's ``jobs = jobs.filter(...)`` under n optional filters, a
    loop of them and ``elif`` chains: each reassignment reaches the ones
    after it, and the loop's reaches itself (a cycle).  The names are
    resolved a number of times polynomial in n (each one once per depth
    where the depth limit cuts): before names met under a cycle were
    kept, 14 filters took 430,000 resolutions and 30 exhausted the file's
    time budget.  Counted, not timed."""
    from async_lint.analysis.django_models import DjangoInference
    from tests.pathological import optional_filters

    lint = _counted_findings(monkeypatch, DjangoInference, "_infer_name", "search.py")
    costs = {}
    for count in (10, 20, 40):
        codes, costs[count] = lint(optional_filters(count))
        assert codes == ["DJA101"]
    # Doubling the filters: at most about 2**3 times the work, never 2**n.
    assert costs[20] < 10 * costs[10] and costs[40] < 10 * costs[20], costs


def test_optional_filters_cost_client_lookups_polynomial_in_their_number(monkeypatch):
    """The same search view, as the coroutine checks see it: what client
    ``jobs.filter(...)`` is called on asks what ``jobs`` is, whose every
    value is ``jobs.filter(...)`` again.  Before a name being resolved was
    left out of its own values, each level followed all n of them down to
    the depth limit: 20 filters took 18 s and 13 million lookups.  Counted,
    not timed."""
    from async_lint.checks.coroutines import CoroutineEvidence
    from tests.pathological import optional_filters

    lint = _counted_findings(monkeypatch, CoroutineEvidence, "client_kind", "search.py")
    costs: dict[int, int] = {}
    for count in (5, 10, 20, 40):
        codes, costs[count] = lint(optional_filters(count))
        assert codes == ["DJA101"]
        # Doubling the filters: at most about 2**3 times the lookups.
        assert count == 5 or costs[count] < 10 * costs[count // 2], costs


def test_self_attribute_reassignments_cost_reads_polynomial_in_their_number(monkeypatch):
    """``self.queryset = self.queryset.filter(...)`` n times in a class's
    methods: a read of the attribute while it is being read agrees on
    nothing, and is answered at once.  Before, each assignment's value read
    the attribute again through every other one: 9 assignments took 47 s
    on a real resource class (a file-budget DJA000 that hid two DJA302).
    Counted, not timed."""
    from async_lint.analysis.receivers import ReceiverInference
    from tests.pathological import self_reassignments

    lint = _counted_findings(monkeypatch, ReceiverInference, "_infer_attribute", "resource.py")
    costs = {}
    for count in (6, 12, 24):
        codes, costs[count] = lint(self_reassignments(count))
        assert codes == ["DJA101"]
    # Doubling the assignments: at most about 2**3 times the work, never n!.
    assert costs[12] < 10 * costs[6] and costs[24] < 10 * costs[12], costs
