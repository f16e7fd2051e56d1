"""Rule documentation generated from the catalog (``rules/catalog``): the
README's rule table, and each rule's page for ``--explain`` and SARIF help.

    python -m async_lint.docs                 # print the rule table
    python -m async_lint.docs --write README.md   # refresh it between the markers
    python -m async_lint.docs --check README.md   # exit 1 if README is stale

The same ``--write``/``--check`` refresh the map of CONTRIBUTING.md (rule
code -> the classes that check it -> their module -> the fixtures that
expect it), generated from the check registry and a source checkout's
fixtures.
"""

from __future__ import annotations

import argparse
import re
import sys
from itertools import zip_longest
from pathlib import Path

from async_lint.catalog import Rule, catalog

START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"
# The per-rule reference the catalog's rule URLs point at (#dja101-blocking-sleep).
REF_START, REF_END = "<!-- rules-reference:start -->", "<!-- rules-reference:end -->"
FIX_TEXT = {
    "always": "Fix is always available (`--fix`).",
    "sometimes": "Fix is sometimes available (`--fix`, where it is safe).",
    "never": "No automatic fix: the change needs a decision only you can make.",
}
FIX_MARK = {"always": "yes", "sometimes": "sometimes", "never": ""}
# CONTRIBUTING.md's map from rule codes to checks, modules and fixtures.
MAP_START, MAP_END = "<!-- rule-map:start -->", "<!-- rule-map:end -->"
SOURCE_ROOT = Path(__file__).resolve().parent.parent
EXPECT_MARKER = re.compile(r"#\s*expect:\s*(DJA\d{3}(?:[\s,]+DJA\d{3})*)")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def rule_table_markdown() -> str:
    rows = ["| Code | Name | Level | Fix | Summary |", "|---|---|---|---|---|"]
    for rule in catalog().values():
        rows.append(f"| {rule.code} | {rule.name} | {rule.level} | {FIX_MARK[rule.fix]} | {_cell(rule.summary)} |")
    return "\n".join(rows) + "\n"


def _expected_in(root: Path) -> dict[str, set[str]]:
    """code -> the fixture entries (a file or folder at the top of
    tests/fixtures/ or examples/) with an ``# expect:`` marker for it."""
    out: dict[str, set[str]] = {}
    for base in (root / "tests" / "fixtures", root / "examples"):
        for path in sorted(base.rglob("*.py")) if base.is_dir() else ():
            inner = path.relative_to(base).parts
            entry = f"{base.relative_to(root).as_posix()}/{inner[0]}" + ("/" if len(inner) > 1 else "")
            for match in EXPECT_MARKER.finditer(path.read_text(encoding="utf-8", errors="replace")):
                for code in re.findall(r"DJA\d{3}", match.group(1)):
                    out.setdefault(code, set()).add(entry)
    return out


def rule_map_markdown(root: Path = SOURCE_ROOT) -> str:
    """code -> check classes (per file, over the index, over the project's
    facts) -> module -> fixtures with markers for it -> fix cases."""
    from async_lint.checks import all_checks, all_index_checks, all_project_checks

    expected = _expected_in(root)
    fix_cases = sorted(p.name for p in (root / "tests" / "data" / "fix").glob("dja*") if ".expected" not in p.name)
    rows = ["| Code | Checked by | Module | Fixtures | Fix cases |", "|---|---|---|---|---|"]
    kinds = [(all_checks(), ""), (all_index_checks(), " (index)"), (all_project_checks(), " (project)")]
    for code, rule in catalog().items():
        classes = [(cls, suffix) for registered, suffix in kinds for cls in registered if code in cls.codes]
        checked = ", ".join(f"`{cls.__name__}`{suffix}" for cls, suffix in classes) or "the engine (a file it cannot read or parse)"
        modules = ", ".join(dict.fromkeys(f"`{cls.__module__.replace('.', '/')}.py`" for cls, _ in classes)) or "`async_lint/file_analysis.py`"
        fixtures = ", ".join(f"`{entry}`" for entry in sorted(expected.get(code, ())))
        cases = ", ".join(f"`{name}`" for name in fix_cases if name.upper().startswith(code)) if rule.fixable else ""
        rows.append(f"| {code} | {checked} | {modules} | {fixtures} | {cases} |")
    return "\n".join(rows) + "\n"


def rule_reference_markdown() -> str:
    """One section a rule (its heading is the anchor of ``Rule.url``): what it
    flags, why, and what to do instead. ``--explain`` adds the examples."""
    out: list[str] = []
    for rule in catalog().values():
        out += [
            f"#### {rule.code} {rule.name}",
            "",
            f"Level: **{rule.level}**. {FIX_TEXT[rule.fix]}",
            "",
            " ".join(rule.summary.split()),
            "",
            rule.why.strip(),
            "",
            f"**Instead:** {' '.join(rule.suggest.split())}",
            "",
        ]
    return "\n".join(out)


# The catalog's longer ``why`` texts carry their own ruff-style section
# leads; the page turns them into its sections instead of repeating them.
_WHAT_LEAD = re.compile(r"^\*\*What it does[.:]\*\*\s*", re.MULTILINE)
_WHY_LEAD = re.compile(r"^\*\*Why is this bad\?\*\*\s*", re.MULTILINE)


def rule_sections(rule: Rule) -> tuple[str, str]:
    """(what it does, why it is bad) of a rule, each once."""
    text = rule.why.strip()
    what, why = rule.summary, text
    why_lead = _WHY_LEAD.search(text)
    what_lead = _WHAT_LEAD.search(text)
    if what_lead is not None:
        cut = why_lead.start() if why_lead is not None and why_lead.start() > what_lead.start() else len(text)
        what = text[what_lead.end() : cut].strip()
        why = text[cut:] if why_lead is not None else ""
        why = _WHY_LEAD.sub("", why, count=1).strip()
    elif why_lead is not None:
        why = _WHY_LEAD.sub("", text, count=1).strip()
    return what, why


def _code_block(example: str) -> list[str]:
    return ["```python", example.strip("\n"), "```", ""]


def rule_markdown(rule: Rule) -> str:
    """A rule's documentation in ruff's shape: each section once, each bad
    example followed by its fix (the rule's link is left to the caller, so
    that a terminal never wraps it)."""
    what, why = rule_sections(rule)
    out = [f"# {rule.code} {rule.name}", "", f"Level: **{rule.level}**. {FIX_TEXT[rule.fix]}", "", "## What it does", "", what, ""]
    if why:
        out += ["## Why is this bad?", "", why, ""]
    pairs = list(zip_longest(rule.bad, rule.good))
    for number, (bad, good) in enumerate(pairs, start=1):
        suffix = f" {number}" if len(pairs) > 1 else ""
        if bad is not None:
            out += [f"## Example{suffix}", "", *_code_block(bad)]
        if good is not None:
            out += ["Use instead:" if bad is not None else f"## Not flagged{suffix}", "", *_code_block(good)]
    out += ["## How to fix it", "", rule.suggest, ""]
    return "\n".join(out)


class MarkersMissing(Exception):
    pass


def split_markers(text: str, start_marker: str = START, end_marker: str = END) -> tuple[str, str, str]:
    """(before, body, after) around a pair of markers."""
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        raise MarkersMissing(f"the rule markers are missing: add a line {start_marker} and a line {end_marker}")
    body_start = start + len(start_marker)
    return text[:body_start], text[body_start:end], text[end:]


def with_table(text: str) -> str:
    """The text with the rule table, and where their markers are, the rule
    reference and the rule map, regenerated from the catalog."""
    if MAP_START in text:
        before, _, after = split_markers(text, MAP_START, MAP_END)
        text = f"{before}\n{rule_map_markdown()}{after}"
        if START not in text:
            return text
    before, _, after = split_markers(text)
    text = f"{before}\n{rule_table_markdown()}{after}"
    if REF_START in text:
        before, _, after = split_markers(text, REF_START, REF_END)
        text = f"{before}\n{rule_reference_markdown()}{after}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m async_lint.docs", description="Rule documentation from the catalog.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="README", help="replace the rule table between the markers in this file")
    group.add_argument("--check", metavar="README", help="exit 1 if the rule table in this file is not the catalog's")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        sys.stdout.write(rule_table_markdown())
        return 0
    path = args.write or args.check
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        updated = with_table(text)
    except MarkersMissing as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1
    if args.check:
        if updated != text:
            print(f"{path}: the rule table is stale; run: python -m async_lint.docs --write {path}", file=sys.stderr)
            return 1
        return 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
