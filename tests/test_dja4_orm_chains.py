"""ORM-based DJA401 chains across modules (tests/fixtures/dja4_orm_chains):
the finding's level comes from the rule at the chain's end."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import FIXTURES, lint_paths

PROJECT = FIXTURES / "dja4_orm_chains"


def test_levels_follow_the_end_of_each_chain() -> None:
    found = {(Path(f.path).name, f.line): (f.level, f.extra["blocking_code"], f.extra["chain"]) for f in lint_paths([PROJECT]) if f.code == "DJA401"}
    assert found == {
        ("views.py", 8): ("error", "DJA201", ["blog.reports.dashboard_numbers", "blog.stats.post_count"]),
        ("services.py", 6): ("error", "DJA203", ["blog.base.PostWriter.persist"]),
        # ``cls.objects`` in a model's classmethod.
        ("views.py", 21): ("error", "DJA201", ["blog.models.Post.by_title"]),
        # DJANGO_ALLOW_ASYNC_UNSAFE in tests/conftest.py: ORM chains skipped there, not this one.
        ("test_dashboard.py", 13): ("warning", "DJA101", ["tests.test_dashboard.wait_for_search_index"]),
    }
