"""Every fixture of tests/fixtures/, copied and fixed: the result parses, the
fixed findings are gone and no finding appears that was not there before.

This covers each rule's fix as it is added, on the fixture that rule already
has; a fix that the safety net has to refuse fails here too."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from async_lint.apply_fixes import fix_paths
from async_lint.catalog import catalog
from async_lint.source import parse_source, read_source
from tests.helpers import FIXTURES, copy_entry, lint_paths, make_settings
from tests.test_fixtures import FIXTURE_ENTRIES, _options


def _compiles(path: Path) -> bool:
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def _counts(findings, root: Path) -> Counter:
    # By file and code: a fix may reword another finding of the same code.
    return Counter((str(Path(f.path).relative_to(root)), f.code) for f in findings)


@pytest.mark.parametrize("entry", FIXTURE_ENTRIES, ids=lambda p: p.name)
def test_fixing_the_fixture_is_sound(entry: Path, tmp_path: Path) -> None:
    copy = copy_entry(entry, tmp_path / entry.name)
    options = _options(entry)
    files = [copy] if copy.is_file() else sorted(copy.rglob("*.py"))
    # A fixture of code Python refuses to compile (DJA000's) compiles no better once fixed.
    compiled = {path for path in files if _compiles(path)}
    before = lint_paths([copy], **options)
    outcome = fix_paths([str(copy)], make_settings(**options), write=True)
    assert not outcome.refused_files, [(f.path, f.refused) for f in outcome.refused_files]
    for path in files:
        parse_source(read_source(str(path)))
        if path in compiled:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    after = lint_paths([copy], **options)
    fixed = Counter()
    for result in outcome.changed_files:
        fixed.update((str(Path(f.path).relative_to(tmp_path)), f.code) for f in result.fixed)
    allowed = _counts(before, tmp_path) - fixed
    surplus = _counts(after, tmp_path) - allowed
    assert not surplus, f"findings left or brought by the fixes: {sorted(surplus)}"
    unapplied = [f for f in after if f.fix is not None and f.fix.applicability == "safe"]
    assert not unapplied, f"safe fixes left unapplied: {unapplied}"


def test_the_corpus_has_fixes_to_check() -> None:
    """Each fixable rule's fix is among the findings the fixtures above are fixed of."""
    fixable = sorted(code for code, rule in catalog().items() if rule.fixable)
    fixed = {f.code for f in lint_paths([FIXTURES], select=fixable) if f.fix is not None}
    assert fixed == set(fixable)
