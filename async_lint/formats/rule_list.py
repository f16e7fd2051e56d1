"""``--list-rules``: a table on a terminal; piped or written to a file, one
whole tab-separated line a rule (never cut to a terminal's width), or JSON."""

from __future__ import annotations

import json
from typing import Any, TextIO

from async_lint.catalog import catalog

COLUMNS = ("code", "name", "level", "fix", "summary")


def rows() -> list[dict[str, Any]]:
    return [{"code": r.code, "name": r.name, "level": r.level, "fix": r.fix, "fixable": r.fixable, "summary": " ".join(r.summary.split()), "url": r.url} for r in catalog().values()]


def render_json(out: TextIO) -> None:
    json.dump(rows(), out, indent=2)
    out.write("\n")


def render_text(out: TextIO) -> None:
    out.write("\t".join(COLUMNS) + "\n")
    for row in rows():
        out.write("\t".join(str(row[column]) for column in COLUMNS) + "\n")


def render_table(console) -> None:
    from rich.table import Table

    from async_lint.formats.rich_format import LEVEL_STYLE

    table = Table(title="async-lint rules", title_justify="left")
    for column in COLUMNS:
        table.add_column(column)
    for row in rows():
        table.add_row(row["code"], row["name"], f"[{LEVEL_STYLE[row['level']]}]{row['level']}[/]", row["fix"], row["summary"])
    console.print(table)
