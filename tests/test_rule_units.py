"""Each rule is a unit a newcomer can find: a registered check produces it,
fixtures expect it, and CONTRIBUTING.md's map says where its pieces are."""

from __future__ import annotations

from pathlib import Path

from async_lint import docs
from async_lint.catalog import catalog
from async_lint.checks import all_checks, all_index_checks, all_project_checks
from tests.helpers import FIXTURES, expected_markers

ROOT = Path(__file__).resolve().parent.parent
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
# The parse-error code is the engine's own (a file it cannot read or parse;
# tests/test_bad_input.py), not a rule a check can produce.
ENGINE_FAMILIES = {"parse"}


def _rules() -> list[str]:
    return [code for code, rule in catalog().items() if rule.family not in ENGINE_FAMILIES]


def test_every_catalog_code_is_produced_by_a_registered_check() -> None:
    registered = {code for check in (*all_checks(), *all_index_checks(), *all_project_checks()) for code in check.codes}
    assert set(_rules()) <= registered, sorted(set(_rules()) - registered)


def test_every_code_has_an_expect_marker_in_the_fixtures() -> None:
    marked = {code for root in (FIXTURES, ROOT / "examples") for path in root.rglob("*.py") for _, _, code in expected_markers(path)}
    assert set(_rules()) <= marked, f"no `# expect:` marker for {sorted(set(_rules()) - marked)}"


def test_contributing_map_is_current() -> None:
    text = CONTRIBUTING.read_text(encoding="utf-8")
    assert docs.MAP_START in text and docs.MAP_END in text
    assert docs.with_table(text) == text, "CONTRIBUTING.md's rule map is stale; run: python -m async_lint.docs --write CONTRIBUTING.md"
    for code in catalog():
        assert f"| {code} |" in text, code


def test_facts_are_typed_and_a_check_reads_only_the_kinds_it_declares() -> None:
    import pytest

    from async_lint.checks.django_structure_atomic import AtomicRequestsCheck, AtomicRequestsSetting, UrlRoute
    from async_lint.checks.django_cross_module import ModelDeclared
    from async_lint.facts import ProjectFacts, UndeclaredFact

    route = UrlRoute(target="shop.views.home", non_atomic=False)
    record = route.record((3, 5, 3, 15))
    assert record == {"kind": "structure.url_view", "target": "shop.views.home", "non_atomic": False, "line": 3, "column": 5, "end_line": 3, "end_column": 15}
    facts = ProjectFacts({"urls.py": [record]}, AtomicRequestsCheck.fact_kinds)
    assert facts.of(UrlRoute) == [("urls.py", UrlRoute(target="shop.views.home", non_atomic=False, line=3, column=5, end_line=3, end_column=15))]
    assert facts.of(AtomicRequestsSetting) == []
    with pytest.raises(UndeclaredFact):
        facts.of(ModelDeclared)
