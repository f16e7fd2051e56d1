"""The human format: findings grouped by file, each with a code frame that
underlines the offending span, the rule, the message and what to do instead;
then a table of counts by rule."""

from __future__ import annotations

import os

from collections import Counter
from itertools import groupby

from rich.cells import cell_len
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from async_lint.catalog import catalog
from async_lint.discovery import display_path
from async_lint.findings import Finding, fixable_summary
from async_lint.source import SourceError, read_source, split_lines

LEVEL_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
CONTEXT_LINES = 1  # rows shown above and below the flagged span
MAX_SPAN_ROWS = 4  # a longer span shows its first rows, an ellipsis and its last row
TAB_SIZE = 4


def _read_lines(path: str) -> list[str]:
    """The file's rows as the engine numbered them (same decoding, same line breaks)."""
    try:
        return read_source(path).lines
    except SourceError:
        try:
            with open(path, "rb") as fh:
                return split_lines(fh.read().decode("utf-8", errors="replace").lstrip("\ufeff"))
        except OSError:
            return []


# Control characters in quoted source are shown as their Unicode pictures
# (one character for one, so the span's offsets hold), never sent to the terminal.
_CONTROL_PICTURES = {**{code: 0x2400 + code for code in range(0x20)}, 0x7F: 0x2421, **{code: 0xFFFD for code in range(0x80, 0xA0)}}


def _display(line: str, start: int, end: int, max_cells: int) -> tuple[str, int, int]:
    """The row as shown (tabs expanded, control characters made visible, cut
    to a window around [start, end) when too wide) and the span's character
    offsets in it."""
    start, end = min(start, len(line)), min(max(end, start), len(line))
    start, end = len(line[:start].expandtabs(TAB_SIZE)), len(line[:end].expandtabs(TAB_SIZE))
    text = line.expandtabs(TAB_SIZE).translate(_CONTROL_PICTURES)
    if cell_len(text) <= max_cells:
        return text, start, end
    left = max(0, start - max_cells // 4)
    right = left + max_cells - 2
    cut = ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")
    shift = left - (1 if left else 0)
    return cut, start - shift, min(end, right) - shift


def _code_frame(f: Finding, lines: list[str], width_available: int = 100) -> Text:
    """Rows around the finding with the flagged span underlined, and carets
    under it when it sits on one row. A span longer than MAX_SPAN_ROWS shows
    its first rows, an ellipsis and its last row."""
    frame = Text()
    if not lines:
        return frame
    line, column, end_line, end_column = f.line, f.column, max(f.end_line, f.line), f.end_column
    if line > len(lines):  # an error at end of file points past the last row: show its end
        line = end_line = len(lines)
        column = end_column = len(lines[-1]) + 1
    end_line = min(end_line, len(lines))
    rows = list(range(max(1, line - CONTEXT_LINES), min(end_line, line + MAX_SPAN_ROWS - 1) + 1))
    if rows[-1] < end_line:
        rows.append(end_line)
    rows += range(end_line + 1, min(len(lines), end_line + CONTEXT_LINES) + 1)
    width = len(str(rows[-1]))
    max_cells = max(20, width_available - width - 4)
    style = LEVEL_STYLE.get(f.level, "red")
    previous = rows[0] - 1
    for row in rows:
        if row != previous + 1:
            frame.append(f" {'…':>{width}} │\n", style="dim")
        previous = row
        raw = lines[row - 1]
        flagged = line <= row <= end_line
        # The span on this row: from the finding's column on its first row (else
        # the first non-blank character) to its end column on its last row (else the line end).
        start = column - 1 if row == line else len(raw) - len(raw.lstrip())
        end = end_column - 1 if row == end_line and end_line >= f.end_line else len(raw)
        text, start, end = _display(raw, start, end if flagged else start, max_cells)
        frame.append(f" {row:>{width}} │ ", style="dim")
        code = Text(text)
        if flagged and end > start:
            code.stylize(f"underline {style}", start, end)
        frame.append(code)
        frame.append("\n")
        if flagged and line == end_line:
            frame.append(" " * (width + 4 + cell_len(text[:start])))
            frame.append("^" * max(1, cell_len(text[start:end])), style=style)
            frame.append("\n")
    return frame


def split_remedy(message: str) -> tuple[str, str | None]:
    """A message's problem and its own remedy (``...; use X``): the help line
    shows the remedy the check chose for the target Django version, never the
    rule's generic one beside it."""
    problem, sep, remedy = message.partition("; use ")
    return (problem, "use " + remedy) if sep else (message, None)


def make_console(**options) -> Console:
    """A console for async-lint's output. NO_COLOR (no-color.org) wins over
    FORCE_COLOR: plain text without any escape sequence, not even bold, so the
    output can be diffed or parsed."""
    plain = {"color_system": None} if os.environ.get("NO_COLOR") else {}
    return Console(highlight=False, **options, **plain)


def render(findings: list[Finding], out, *, console: Console | None = None, files_checked: int = 0, **_: object) -> None:
    if console is None:
        console = make_console(file=out, soft_wrap=False)
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
            if f.fixable:
                head.append(" [*]", style="green bold")
            head.append(f" [{f.level}] ", style=style)
            problem, remedy = split_remedy(f.message)
            head.append(problem)
            parts = [head, _code_frame(f, lines, console.width)]
            help_text = remedy or (rule.suggest if rule is not None else "")
            if help_text:
                parts.append(Text.assemble(("  help: ", "green bold"), (help_text, "green")))
            console.print(Group(*parts))
            console.print()
    if findings:
        counts = Counter(f.code for f in findings)
        fixable = Counter(f.code for f in findings if f.fixable)
        table = Table(title="Findings by rule", title_justify="left", show_edge=False)
        table.add_column("rule")
        table.add_column("name")
        table.add_column("level")
        table.add_column("count", justify="right")
        table.add_column("fixable", justify="right")
        for code, count in sorted(counts.items()):
            rule = rules.get(code)
            level = rule.level if rule else "error"
            table.add_row(Text(code, style=LEVEL_STYLE.get(level, "red")), rule.name if rule else "", level, str(count), str(fixable[code] or ""))
        console.print(table)
        files = len({f.path for f in findings})
        console.print(
            Text(
                f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''} in {files} file{'s' if files != 1 else ''}" + (f" ({files_checked} checked)." if files_checked else "."),
                style="bold",
            )
        )
        fixable = fixable_summary(findings)
        if fixable:
            console.print(Text(fixable, style="green"))
    else:
        console.print(Text(f"All checks passed{f' ({files_checked} files)' if files_checked else ''}.", style="bold green"))
