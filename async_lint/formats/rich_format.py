"""The human format: findings grouped by file, each with a code frame that
underlines the offending span, the rule, the message and what to do instead;
then a table of counts by rule."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from async_lint.catalog import catalog
from async_lint.discovery import display_path
from async_lint.findings import Finding

LEVEL_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
CONTEXT_LINES = 1


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return []
    return data.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()


def _code_frame(f: Finding, lines: list[str]) -> Text:
    frame = Text()
    if not lines or f.line > len(lines):
        return frame
    first = max(1, f.line - CONTEXT_LINES)
    last = min(len(lines), f.end_line if f.end_line - f.line < 4 else f.line)
    last = min(len(lines), last + CONTEXT_LINES) if f.end_line == f.line else last
    width = len(str(last))
    style = LEVEL_STYLE.get(f.level, "red")
    for row in range(first, last + 1):
        text = lines[row - 1].expandtabs(1)
        frame.append(f" {row:>{width}} │ ", style="dim")
        line = Text(text)
        if f.line <= row <= f.end_line:
            start = f.column - 1 if row == f.line else len(text) - len(text.lstrip())
            end = f.end_column - 1 if row == f.end_line else len(text)
            end = max(end, start + 1)
            line.stylize("underline " + style, start, min(end, len(text)))
        frame.append(line)
        frame.append("\n")
        if row == f.end_line or (row == last and f.line <= row):
            if row == f.line:
                start = f.column - 1
                end = f.end_column - 1 if f.end_line == f.line else len(text)
                frame.append(" " * (width + 4) + " " * start, style="dim")
                frame.append("^" * max(1, end - start), style=style)
                frame.append("\n")
    return frame


def render(findings: list[Finding], out, *, console: Console | None = None, files_checked: int = 0, **_: object) -> None:
    console = console or Console(file=out, highlight=False, soft_wrap=False)
    rules = catalog()
    for path, group in groupby(findings, key=lambda f: f.path):
        items = list(group)
        lines = _read_lines(path)
        console.print(Text(display_path(path), style="bold underline"), f"({len(items)})")
        for f in items:
            rule = rules.get(f.code)
            style = LEVEL_STYLE.get(f.level, "red")
            head = Text()
            head.append(f"  {display_path(f.path)}:{f.line}:{f.column} ", style="dim")
            head.append(f.code, style=style)
            head.append(f" [{f.level}] ", style=style)
            head.append(f.message)
            parts = [head, _code_frame(f, lines)]
            if rule is not None and rule.suggest:
                parts.append(Text.assemble(("  help: ", "green bold"), (rule.suggest, "green")))
            console.print(Group(*parts))
            console.print()
    if findings:
        counts = Counter(f.code for f in findings)
        table = Table(title="Findings by rule", title_justify="left", show_edge=False)
        table.add_column("rule")
        table.add_column("name")
        table.add_column("level")
        table.add_column("count", justify="right")
        for code, count in sorted(counts.items()):
            rule = rules.get(code)
            level = rule.level if rule else "error"
            table.add_row(Text(code, style=LEVEL_STYLE.get(level, "red")), rule.name if rule else "", level, str(count))
        console.print(table)
        files = len({f.path for f in findings})
        console.print(Text(f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''} in {files} file{'s' if files != 1 else ''}"
                           + (f" ({files_checked} checked)." if files_checked else "."), style="bold"))
    else:
        console.print(Text(f"All checks passed{f' ({files_checked} files)' if files_checked else ''}.", style="bold green"))
