"""The command line: the only module that knows about the terminal."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
from collections import Counter
from typing import NoReturn

import click

from async_lint import __version__
from async_lint.cache import CacheDirError
from async_lint.catalog import CatalogError, catalog
from async_lint.config import ConfigError, Options, build_settings, find_config, git_root, load_file, parse_django_version, parse_file_timeout
from async_lint.discovery import DiscoveryError, display_path
from async_lint.formats import FORMATS
from async_lint.output import OutputError, atomic_bytes, atomic_writer, refuse_inputs, tolerant_streams
from async_lint.suppress import Suppressions

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _split_codes(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _detected_django_version(paths: list[str]) -> tuple[int, int] | None:
    from async_lint.django_version import detect_django_version

    return detect_django_version(paths)


def _console(stderr: bool = False):
    from async_lint.formats.rich_format import make_console

    return make_console(stderr=stderr)


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

    from async_lint.docs import rule_markdown

    rule = catalog().get(code.strip().upper())
    if rule is None:
        raise click.BadParameter(f"unknown rule code: {code} (see --list-rules)", param_hint="--explain")
    text = rule_markdown(rule) + f"\nSuppress one finding with `# noqa: {rule.code}`. More: {rule.url}\n"
    if sys.stdout.isatty():
        _console().print(Markdown(text, code_theme="ansi_dark"))
    else:
        click.echo(text, nl=False)  # plain Markdown when piped, e.g. into a file


def _error(message: str) -> NoReturn:
    click.echo(f"async-lint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _cli_options(select, extend_select, ignore, exclude, extend_exclude, respect_gitignore, django_version, cache_dir, file_timeout=None) -> Options:
    def codes(flag: str, values: tuple[str, ...]) -> list[str] | None:
        if not values:
            return None
        out = []
        known = list(catalog())
        if not _split_codes(values):
            raise ConfigError(f"{flag}: empty rule code; name a code or prefix like \"DJA1\"")
        for code in _split_codes(values):
            code = code.upper()
            if code != "ALL" and not any(c.startswith(code) for c in known):
                raise ConfigError(f"{flag}: unknown rule code or prefix {code!r}")
            out.append(code)
        return out

    return Options(
        select=codes("--select", select),
        extend_select=codes("--extend-select", extend_select),
        ignore=codes("--ignore", ignore),
        exclude=list(exclude) or None,
        extend_exclude=list(extend_exclude) or None,
        respect_gitignore=respect_gitignore,
        django_version=parse_django_version(django_version) if django_version is not None else None,
        cache_dir=os.path.abspath(os.path.expanduser(cache_dir)) if cache_dir else None,
        file_timeout=parse_file_timeout(file_timeout, "--file-timeout") if file_timeout is not None else None,
    )


def _render(findings, fmt: str, out, *, root: str, files_checked: int) -> None:
    if fmt == "json":
        from async_lint.formats import json_format

        json_format.render(findings, out)
    elif fmt == "sarif":
        from async_lint.formats import sarif

        sarif.render(findings, out, root=root)
    elif fmt == "github":
        from async_lint.formats import github

        github.render(findings, out, root=root)
    elif fmt == "concise":
        from async_lint.formats import concise

        concise.render(findings, out)
        if findings:
            click.echo(f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''}.", err=True)
    else:
        from async_lint.formats import rich_format

        rich_format.render(findings, out, files_checked=files_checked)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=str), help="Use this config file (pyproject.toml or a file of [tool.async-lint] keys) instead of the nearest pyproject.toml.")
@click.option("--format", "output_format", type=click.Choice(FORMATS), help="Output format (default: rich on a terminal, concise otherwise).")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, path_type=str), help="Write the report to this file instead of stdout.")
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable, replacing the config's (comma-separated; e.g. DJA1,DJA301).")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable on top of the selection.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--exclude", multiple=True, help="Gitignore-style pattern of files or folders to skip, replacing the config's (repeatable).")
@click.option("--extend-exclude", multiple=True, help="Patterns to skip on top of exclude (repeatable).")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None, help="Skip files that .gitignore ignores (default: yes).")
@click.option("--django-version", help="Target Django version MAJOR.MINOR (default: from config, else newest).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=str), help="Folder for the analysis cache.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=str), help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(dir_okay=False, path_type=str), help="Record today's findings in this baseline file and exit 0.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: number of CPUs).")
@click.option("--file-timeout", type=float, metavar="SECONDS", help="Time one file's analysis may take before it is reported as DJA000 (default 10; 0: no limit).")
@click.option("--verbose", "-v", is_flag=True, help="Show the traceback of a file whose analysis failed.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes of the enabled rules, then report what remains.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff and change nothing (exit 1 when there is a diff).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--explain", metavar="CODE", help="Explain a rule and exit.")
@click.version_option(__version__, "--version", prog_name="async-lint")
def main_command(paths, config_file, output_format, output_file, select, extend_select, ignore, exclude, extend_exclude, respect_gitignore,
                 django_version, cache_dir, baseline_file, write_baseline_file, jobs, file_timeout, verbose, fix, diff, no_cache, exit_zero, statistics, list_rules, explain):
    """Find async anti-patterns that make Django under ASGI slow or broken."""
    from async_lint import engine
    from async_lint.baseline import BaselineError, read_baseline, write_baseline
    from async_lint.django_version import DeclarationError
    from async_lint.progress import progress_for

    if list_rules:
        _list_rules()
        return
    if explain:
        _explain(explain)
        return
    paths = list(paths) or ["."]
    try:
        file_config = load_file(config_file) if config_file else find_config(paths)
        cli = _cli_options(select, extend_select, ignore, exclude, extend_exclude, respect_gitignore, django_version, cache_dir, file_timeout)
        # More workers than CPUs only cost memory and process start-ups.
        settings = build_settings(file_config, cli, jobs=min(jobs or engine.default_jobs(), engine.default_jobs()))
        if settings.django_version is None:
            # Neither flag nor config: the lowest version the project's own
            # dependency declarations allow.
            settings = dataclasses.replace(settings, django_version=_detected_django_version(paths))
        baseline = read_baseline(baseline_file) if baseline_file else None
    except (ConfigError, BaselineError, DeclarationError) as exc:
        _error(str(exc))

    reports = (("--output-file", output_file), ("--write-baseline", write_baseline_file))
    # Before any analysis for the named paths, after discovery for the files found.
    _refuse_overwriting_inputs(reports, paths)

    out = sys.stdout
    fmt = output_format or ("rich" if out.isatty() and not output_file else "concise")
    progress = progress_for(sys.stderr.isatty(), fmt)
    try:
        if fix or diff:
            _run_fixes(paths, settings, write=not diff, output_file=output_file, baseline=baseline)
        result = engine.run(paths, settings, on_file_done=progress, cache_dir=settings.extra.get("cache_dir"), use_cache=not no_cache)
    except (DiscoveryError, CacheDirError) as exc:
        _error(str(exc))
    finally:
        if progress is not None:
            progress.close()

    _print_notes(result.notes)
    _print_failures(result.failures, verbose)
    for path, why in result.skipped:
        click.echo(f"async-lint: {display_path(path)}: skipped: {why}", err=True)
    root = settings.root or os.getcwd()
    # A new baseline records what is there today, whatever the old one hid.
    findings = Suppressions(settings, root, None if write_baseline_file else baseline, result.orm_opt_outs).visible(result.findings)
    _refuse_overwriting_inputs(reports, result.files)
    if write_baseline_file:
        try:
            count = write_baseline(write_baseline_file, findings, root)
        except BaselineError as exc:
            _error(str(exc))
        click.echo(f"async-lint: recorded {count} finding{'s' if count != 1 else ''} in {write_baseline_file}", err=True)
        sys.exit(EXIT_CLEAN)

    if not result.files:
        click.echo("async-lint: warning: no Python files found under the given paths (skipped by .gitignore or --exclude?)", err=True)
    if statistics:
        counts = Counter(f.code for f in findings)
        rules = catalog()
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            click.echo(f"{count:>5}\t{code}\t{rules[code].name if code in rules else ''}")
    elif output_file:
        try:
            with atomic_writer(output_file) as fh:
                _render(findings, fmt, fh, root=git_root(root) or root, files_checked=len(result.files))
        except OSError as exc:
            _error(f"cannot write {output_file}: {exc.strerror or exc}")
    else:
        _render(findings, fmt, out, root=git_root(root) or root, files_checked=len(result.files))
    if findings and not exit_zero:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


def _refuse_overwriting_inputs(reports: tuple[tuple[str, str | None], ...], inputs: list[str]) -> None:
    """A report written over a linted file would lose the user's code: exit 2."""
    try:
        for flag, target in reports:
            if target:
                refuse_inputs(target, inputs, flag)
    except OutputError as exc:
        _error(str(exc))


def _run_fixes(paths: list[str], settings, *, write: bool, output_file: str | None = None, baseline=None) -> None:
    """--fix writes the fixes (then the findings that remain are reported);
    --diff prints them (into ``output_file`` with -o) and exits: 1 when there
    is a diff, else 0."""
    from async_lint import apply_fixes

    outcome = apply_fixes.fix_paths(paths, settings, write=write, baseline=baseline)
    if not write:
        # Bytes: each file's hunks in its own encoding, so that they apply.
        text = apply_fixes.diff_text(outcome)
        if output_file:
            try:
                atomic_bytes(output_file, text)
            except OSError as exc:
                _error(f"cannot write {output_file}: {exc.strerror or exc}")
        else:
            click.echo(text, nl=False)
        for line in apply_fixes.summary_lines(outcome):
            click.echo(line, err=True)
        sys.exit(EXIT_FINDINGS if text else EXIT_CLEAN)
    for line in apply_fixes.summary_lines(outcome):
        click.echo(line, err=True)


def _print_failures(failures: dict[str, tuple[str, str | None]], verbose: bool) -> None:
    """One line a file whose analysis failed (its DJA000 is in the report); the traceback with -v."""
    for path, (cause, trace) in sorted(failures.items()):
        click.echo(f"async-lint: {display_path(path)}: not analysed: {cause}", err=True)
        if verbose and trace:
            click.echo(trace.rstrip("\n"), err=True)


def _print_notes(notes: dict[str, list[str]]) -> None:
    """The run summary's notes: how many files had rules skipped, and why."""
    reasons = Counter(note for file_notes in notes.values() for note in file_notes)
    for reason, count in sorted(reasons.items()):
        click.echo(f"async-lint: {count} file{'s' if count != 1 else ''}: {reason}", err=True)


class Interrupted(BaseException):
    """Ctrl-C.  Not a KeyboardInterrupt, which click turns into "Aborted!" and exit 1."""


def _interrupt(signum, frame) -> None:
    raise Interrupted


def _install_signal_handlers() -> None:
    signal.signal(signal.SIGINT, _interrupt)
    if hasattr(signal, "SIGPIPE"):
        # `async-lint . | head`: end quietly when the reader goes away, as
        # Unix tools do, instead of a BrokenPipeError on every later write.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def main() -> None:
    tolerant_streams()
    _install_signal_handlers()
    try:
        main_command.main(standalone_mode=True)
    except Interrupted:
        click.echo("async-lint: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except CatalogError as exc:
        click.echo(f"async-lint: internal error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # never a bare traceback for the user
        click.echo(f"async-lint: internal error: {type(exc).__name__}: {exc}", err=True)
        if os.environ.get("ASYNC_LINT_DEBUG"):
            raise
        sys.exit(EXIT_ERROR)
