"""The catalog's examples are true: bad examples trigger their rule, good ones do not."""

from __future__ import annotations

import pytest

from async_lint.catalog import catalog
from async_lint.checks import all_checks
from tests.helpers import lint_text

RULES = list(catalog().values())
BAD = [(r.code, i, ex) for r in RULES for i, ex in enumerate(r.bad)]
GOOD = [(r.code, i, ex) for r in RULES for i, ex in enumerate(r.good)]


@pytest.mark.parametrize("code,index,example", BAD, ids=[f"{c}-bad{i}" for c, i, _ in BAD])
def test_bad_example_triggers_its_rule(code: str, index: int, example: str) -> None:
    found = [f.code for f in lint_text(example, dedent=False)]
    assert code in found, f"{code} bad example #{index} not flagged; got {found}"


@pytest.mark.parametrize("code,index,example", GOOD, ids=[f"{c}-good{i}" for c, i, _ in GOOD])
def test_good_example_is_clean_of_its_rule(code: str, index: int, example: str) -> None:
    found = [f.code for f in lint_text(example, dedent=False)]
    assert code not in found, f"{code} good example #{index} flagged: {found}"


def test_every_rule_has_examples_and_docs() -> None:
    for rule in RULES:
        assert rule.bad and rule.good, rule.code
        assert rule.why and rule.summary and rule.suggest, rule.code


def test_every_check_code_is_in_the_catalog() -> None:
    known = set(catalog())
    for check in all_checks():
        assert set(check.codes) <= known, (check.__name__, set(check.codes) - known)


def test_every_rule_has_a_family_and_the_engine_reads_families_not_prefixes(tmp_path) -> None:
    from async_lint.catalog import FAMILIES, CatalogError, _load_catalog, blocking_codes, orm_codes

    assert all(rule.family in FAMILIES for rule in RULES)
    assert "DJA101" in blocking_codes() and "DJA201" in blocking_codes() and "DJA302" not in blocking_codes()
    assert orm_codes() == {r.code for r in RULES if r.code.startswith("DJA2")}
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "X.toml").write_text('[[rule]]\ncode = "DJA999"\nname = "x"\nlevel = "error"\nsummary = "s"\nwhy = "w"\nsuggest = "g"\nfix = "never"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="family"):
        _load_catalog(str(tmp_path))
