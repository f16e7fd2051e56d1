"""The command line: the only module that knows about the terminal."""

from __future__ import annotations

import os
import sys
from collections import Counter

import click

from async_lint import __version__
from async_lint.catalog import CatalogError, catalog, select_codes
from async_lint.discovery import DiscoveryError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split_codes(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _parse_django_version(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        major, minor = value.strip().split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        raise click.BadParameter(f"expected MAJOR.MINOR (like 4.2), got {value!r}", param_hint="--django-version")


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _list_rules() -> None:
    from rich.table import Table

    from async_lint.formats.rich_format import LEVEL_STYLE

    table = Table(title="async-lint rules", title_justify="left")
    for column in ("code", "name", "level", "fix", "summary"):
        table.add_column(column)
    for rule in catalog().values():
        table.add_row(rule.code, rule.name, f"[{LEVEL_STYLE[rule.level]}]{rule.level}[/]", rule.fix, rule.summary)
    _console().print(table)


def _explain(code: str) -> None:
    from rich.markdown import Markdown

    rule = catalog().get(code.upper())
    if rule is None:
        raise click.BadParameter(f"unknown rule code: {code}", param_hint="--explain")
    text = [f"# {rule.code} {rule.name} ({rule.level})", "", rule.summary, "", "## Why is this bad?", "", rule.why, ""]
    for example in rule.bad:
        text += ["## Example", "", "```python", example.strip("\n"), "```", ""]
    for example in rule.good:
        text += ["## Use instead", "", "```python", example.strip("\n"), "```", ""]
    text += ["## Fix", "", rule.suggest, "", f"Autofix: {rule.fix}."]
    _console().print(Markdown("\n".join(text)))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "output_format", type=click.Choice(["rich", "concise", "json"]), help="Output format (default: rich on a terminal, concise otherwise).")
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated; e.g. DJA1,DJA301).")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable on top of --select.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--exclude", multiple=True, help="Gitignore-style pattern of files or folders to skip (repeatable).")
@click.option("--respect-gitignore/--no-respect-gitignore", default=True, show_default=True, help="Skip files that .gitignore ignores.")
@click.option("--django-version", help="Target Django version MAJOR.MINOR (default: detected, else newest).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: number of CPUs).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=str), help="Where to keep the result cache (default: .async_lint_cache at the project root).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--explain", metavar="CODE", help="Explain a rule and exit.")
@click.version_option(__version__, "--version", prog_name="async-lint")
def main_command(paths, output_format, select, extend_select, ignore, exclude, respect_gitignore, django_version, jobs, no_cache, cache_dir, exit_zero, statistics, list_rules, explain):
    """Find async anti-patterns that make Django under ASGI slow or broken."""
    from async_lint import engine
    from async_lint.settings import Settings

    if list_rules:
        _list_rules()
        return
    if explain:
        _explain(explain)
        return
    try:
        enabled = select_codes(_split_codes(select), _split_codes(ignore), _split_codes(extend_select))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--select/--ignore")
    settings = Settings(
        enabled=enabled,
        django_version=_parse_django_version(django_version),
        exclude=tuple(exclude),
        respect_gitignore=respect_gitignore,
        jobs=jobs or engine.default_jobs(),
    )
    try:
        result = engine.run(list(paths) or ["."], settings, cache_dir=cache_dir, use_cache=not no_cache)
    except DiscoveryError as exc:
        click.echo(f"async-lint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)

    _print_notes(result.notes)
    out = click.get_text_stream("stdout")
    fmt = output_format or ("rich" if out.isatty() else "concise")
    if statistics:
        counts = Counter(f.code for f in result.findings)
        rules = catalog()
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            click.echo(f"{count:>5}\t{code}\t{rules[code].name if code in rules else ''}")
    elif fmt == "json":
        from async_lint.formats import json_format

        json_format.render(result.findings, out)
    elif fmt == "concise":
        from async_lint.formats import concise

        concise.render(result.findings, out)
        if result.findings:
            click.echo(f"Found {len(result.findings)} problem{'s' if len(result.findings) != 1 else ''}.", err=True)
    else:
        from async_lint.formats import rich_format

        rich_format.render(result.findings, out, console=_console(), files_checked=len(result.files))
    if result.findings and not exit_zero:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


def _print_notes(notes: dict[str, list[str]]) -> None:
    """The run summary's notes: how many files had rules skipped, and why."""
    reasons = Counter(note for file_notes in notes.values() for note in file_notes)
    for reason, count in sorted(reasons.items()):
        click.echo(f"async-lint: {count} file{'s' if count != 1 else ''}: {reason}", err=True)


def main() -> None:
    try:
        main_command.main(standalone_mode=True)
    except CatalogError as exc:
        click.echo(f"async-lint: internal error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # never a bare traceback for the user
        click.echo(f"async-lint: internal error: {type(exc).__name__}: {exc}", err=True)
        if os.environ.get("ASYNC_LINT_DEBUG"):
            raise
        sys.exit(EXIT_ERROR)
