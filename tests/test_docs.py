"""Rule docs come from the catalog: README's rule table and --explain."""

from __future__ import annotations

from pathlib import Path

from async_lint import docs
from async_lint.catalog import catalog
from tests.cli_helpers import run_cli

README = Path(__file__).resolve().parent.parent / "README.md"
REGENERATE = "python -m async_lint.docs --write README.md"


def test_readme_rule_table_matches_the_catalog():
    text = README.read_text(encoding="utf-8")
    assert docs.START in text and docs.END in text, f"README.md lacks the rule table markers {docs.START} / {docs.END}; add them and run: {REGENERATE}"
    assert docs.with_table(text) == text, f"README.md's rule table is stale; run: {REGENERATE}"


def test_readme_has_a_reference_section_for_every_rule_url():
    text = README.read_text(encoding="utf-8")
    assert docs.REF_START in text and docs.REF_END in text
    for rule in catalog().values():
        heading = f"#### {rule.code} {rule.name}\n"
        assert heading in text, heading
        # GitHub's anchor for that heading is the fragment of the rule's URL.
        assert rule.url.endswith("#" + f"{rule.code} {rule.name}".lower().replace(" ", "-"))


def test_rule_table_lists_every_rule():
    table = docs.rule_table_markdown().splitlines()
    assert table[0] == "| Code | Name | Level | Fix | Summary |"
    assert [row.split(" | ")[0].lstrip("| ") for row in table[2:]] == list(catalog())


def test_write_and_check_keep_the_text_around_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nintro\n\n{docs.START}\nold table\n{docs.END}\n\nafter\n")
    assert docs.main(["--check", str(readme)]) == 1
    assert docs.main(["--write", str(readme)]) == 0
    assert docs.main(["--check", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("# Title\n\nintro\n\n") and text.endswith(f"{docs.END}\n\nafter\n")
    assert "old table" not in text and "| DJA101 | blocking-sleep |" in text
    readme.write_text("no markers\n")
    assert docs.main(["--write", str(readme)]) == 1


def test_explain_shows_why_examples_and_fix():
    result = run_cli(["--explain", "dja101"])
    assert result.exit_code == 0
    out = result.stdout
    for part in (
        "DJA101 blocking-sleep",
        "Level: **warning**",
        "Fix is sometimes available",
        "## Why is this bad?",
        "## Example",
        "time.sleep(1)",
        "Use instead:",
        "await asyncio.sleep(1)",
        "# noqa: DJA101",
    ):
        assert part in out, part
    unknown = run_cli(["--explain", "DJA999"])
    assert unknown.exit_code == 2 and "unknown rule code: DJA999" in unknown.stderr


def test_readme_names_every_folder_never_walked():
    from async_lint.discovery import SKIP_DIRS

    text = README.read_text(encoding="utf-8")
    missing = sorted(name for name in SKIP_DIRS if f"`{name}`" not in text)
    assert not missing, f"README.md's Configuration section does not name the folders discovery skips: {missing}"
