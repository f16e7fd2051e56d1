"""``async-lint examples/`` reports every planted finding and nothing else."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import expected_markers, lint_paths

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_example_project_findings_match_markers() -> None:
    expected = set().union(*(expected_markers(p) for p in EXAMPLES.rglob("*.py")))
    actual = {(f.path, f.line, f.code) for f in lint_paths([EXAMPLES])}
    assert actual == expected
