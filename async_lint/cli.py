"""The command line: the only module that knows about the terminal."""

from __future__ import annotations

import contextlib
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
from async_lint.config import (
    CONFIG_NAMES,
    ConfigError,
    FileConfig,
    Options,
    build_settings,
    default_cache_dir,
    find_config,
    git_root,
    load_file,
    parse_django_version,
    parse_file_timeout,
)
from async_lint.findings import LEVEL_ORDER, at_or_above, fixable_summary
from async_lint.discovery import display_path
from async_lint.formats import FORMATS
from async_lint.output import OutputError, atomic_bytes, atomic_writer, refuse_inputs, tolerant_streams
from async_lint.suppress import Suppressions
from async_lint.source import tune_gc_for_parsing

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _split_codes(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _console(stderr: bool = False):
    from async_lint.formats.rich_format import make_console

    return make_console(stderr=stderr)


def _list_rules(fmt: str | None, output_file: str | None) -> None:
    from async_lint.formats import rule_list

    with _output(output_file) as out:
        if fmt == "json":
            rule_list.render_json(out)
        elif out.isatty() and fmt in (None, "rich"):
            rule_list.render_table(_console())
        else:
            rule_list.render_text(out)


def _explain(code: str, param_hint: str = "--explain") -> None:
    from async_lint.docs import rule_markdown

    rule = catalog().get(code.strip().upper())
    if rule is None:
        raise click.BadParameter(f"unknown rule code: {code} (see --list-rules)", param_hint=param_hint)
    text = rule_markdown(rule)
    tail = f"Suppress one finding with `# noqa: {rule.code}`. More:"
    if sys.stdout.isatty():
        from rich.markdown import Markdown

        console = _console()
        console.print(Markdown(text, code_theme="ansi_dark"))
        console.print(tail)
        # On a line of its own and never wrapped, so a terminal can open it.
        console.print(rule.url, soft_wrap=True, highlight=False)
    else:
        click.echo(f"{text}\n{tail} {rule.url}")  # plain Markdown when piped, e.g. into a file


@contextlib.contextmanager
def _output(output_file: str | None, default=None):
    """stdout (or ``default``), or ``-o FILE`` written whole or not at all: a
    crash while rendering keeps the old report (an error names the file)."""
    if not output_file:
        yield default or sys.stdout
        return
    try:
        with atomic_writer(output_file) as fh:
            yield fh
    except OSError as exc:
        _error(f"cannot write {output_file}: {exc.strerror or exc}")


def _error(message: str) -> NoReturn:
    click.echo(f"async-lint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _cli_options(select, extend_select, ignore, exclude, extend_exclude, respect_gitignore, django_version, cache_dir, fail_level, file_timeout=None, check_syntax=None) -> Options:
    def codes(flag: str, values: tuple[str, ...]) -> list[str] | None:
        if not values:
            return None
        out = []
        known = list(catalog())
        if not _split_codes(values):
            raise ConfigError(f'{flag}: empty rule code; name a code or prefix like "DJA1"')
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
        check_syntax=check_syntax,
        django_version=parse_django_version(django_version) if django_version is not None else None,
        cache_dir=os.path.abspath(os.path.expanduser(cache_dir)) if cache_dir else None,
        fail_level=fail_level,
        file_timeout=parse_file_timeout(file_timeout, "--file-timeout") if file_timeout is not None else None,
    )


def _render(findings, fmt: str, out, *, root: str, files_checked: int, quiet: bool) -> None:
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
        # The summary goes to stderr: the findings must be out first, whole
        # lines, where both streams share a terminal or a log.
        out.flush()
        if findings and not quiet:
            click.echo(f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''}.", err=True)
            fixable = fixable_summary(findings)
            if fixable:
                click.echo(fixable, err=True)
        elif not quiet:
            # A clean run says so (ruff's habit), beside the output, not in it.
            click.echo("All checks passed!", err=True)
    else:
        from async_lint.formats import rich_format

        rich_format.render(findings, out, files_checked=files_checked)


# Subcommands by name: ``async-lint NAME ...`` runs one of these instead of
# linting (a path of that name, where one exists, is still linted). Adding
# one is a click command and one entry here.
SUBCOMMANDS: dict[str, click.Command] = {}
# What people coming from ruff type first; named as a path that does not
# exist, they get a hint instead of a bare "does not exist".
RUFF_HABITS = {"check": "async-lint lints the paths it is given: `async-lint .`", "format": "async-lint does not format code"}


class _LintCommand(click.Command):
    """``async-lint [PATHS]``, and ``async-lint NAME ...`` for a subcommand."""

    def main(self, args=None, prog_name=None, **extra):
        args = list(sys.argv[1:] if args is None else args)
        if args and args[0] in SUBCOMMANDS and not os.path.lexists(args[0]):
            name = args[0]
            return SUBCOMMANDS[name].main(args[1:], prog_name=f"{prog_name or 'async-lint'} {name}", **extra)
        return super().main(args, prog_name, **extra)

    def format_epilog(self, ctx, formatter) -> None:  # noqa: ARG002 - click's signature
        with formatter.section("Subcommands"):
            formatter.write_dl([(f"async-lint {name}", command.get_short_help_str(limit=60)) for name, command in SUBCOMMANDS.items()])


def _path_hint(path: str) -> str:
    """A hint for a path that does not exist but looks like a subcommand."""
    if path in RUFF_HABITS:
        return f" ({RUFF_HABITS[path]})"
    import difflib

    close = difflib.get_close_matches(path, list(SUBCOMMANDS), n=1, cutoff=0.7)
    return f" (did you mean the subcommand `async-lint {close[0]}`?)" if close else ""


@click.command(cls=_LintCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=str),
    help="Use this config file (a pyproject.toml with [tool.async-lint], or an async-lint.toml of bare keys) instead of the nearest one.",
)
@click.option("--format", "--output-format", "output_format", type=click.Choice(FORMATS), help="Output format (default: rich on a terminal, concise otherwise).")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, path_type=str), help="Write the report (or --statistics, --list-rules) to this file instead of stdout.")
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable, replacing the config's (comma-separated; e.g. DJA1,DJA301).")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable on top of the selection.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--exclude", multiple=True, help="Gitignore-style pattern of files or folders to skip, replacing the config's (repeatable).")
@click.option("--extend-exclude", multiple=True, help="Patterns to skip on top of exclude (repeatable).")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None, help="Skip files that .gitignore ignores (default: yes).")
@click.option(
    "--check-syntax/--no-check-syntax",
    default=None,
    help="Report a syntax error (DJA000) in every file, also in files no rule looks at, which are otherwise only read (default: no; files that are analysed, stdin and editor buffers are always checked).",
)
@click.option("--django-version", help="Target Django version MAJOR.MINOR (default: from config, else detected from your dependencies, else newest).")
@click.option("--fail-level", type=click.Choice(LEVEL_ORDER), help="Exit 1 only for findings of this level or above (default: from config, else info: any finding).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=str), help="Folder for the analysis cache.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=str), help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(dir_okay=False, path_type=str), help="Record today's findings in this baseline file and exit 0.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: number of CPUs).")
@click.option("--file-timeout", type=float, metavar="SECONDS", help="Time one file's analysis may take before it is reported as DJA000 (default 10; 0: no limit).")
@click.option("--fix", is_flag=True, help="Apply the safe fixes of the enabled rules, then report what remains.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff and change nothing (exit 1 when there is a diff).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--clean-cache", is_flag=True, help="Remove the project's cache folder and exit (as `async-lint clean`).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule (fixable, level) instead of the findings.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--explain", metavar="CODE", help="Explain a rule and exit (as `async-lint rule CODE`).")
@click.option("--show-settings", is_flag=True, help="Print the configuration file, Django target, enabled rules and cache folder this run would use, and exit.")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only: no summary, notes or warnings on stderr.")
@click.option("--verbose", "-v", is_flag=True, help="Also say on stderr which configuration, Django target and cache the run uses, and show the traceback of a file whose analysis failed.")
@click.option("--stdin-filename", type=click.Path(dir_okay=False, path_type=str), help="With `-` as the path: lint stdin as this file of its project (--fix then prints the fixed text).")
@click.version_option(__version__, "--version", prog_name="async-lint")
def main_command(
    paths,
    config_file,
    output_format,
    output_file,
    select,
    extend_select,
    ignore,
    exclude,
    extend_exclude,
    respect_gitignore,
    check_syntax,
    django_version,
    fail_level,
    cache_dir,
    baseline_file,
    write_baseline_file,
    jobs,
    file_timeout,
    fix,
    diff,
    no_cache,
    clean_cache,
    exit_zero,
    statistics,
    list_rules,
    explain,
    show_settings,
    quiet,
    verbose,
    stdin_filename,
):
    """Find async anti-patterns that make Django under ASGI slow or broken."""
    from async_lint import engine
    from async_lint.file_pool import default_jobs
    from async_lint.baseline import BaselineError, read_baseline, write_baseline
    from async_lint.django_version import DeclarationError
    from async_lint.progress import progress_for

    if list_rules:
        _list_rules(output_format, output_file)
        return
    if explain:
        _explain(explain)
        return
    paths = list(paths) or ["."]
    texts = None
    if "-" in paths:
        paths, texts = _stdin_text(paths, stdin_filename)
    elif stdin_filename:
        _error("--stdin-filename needs `-` as the path")
    reports = (("--output-file", output_file), ("--write-baseline", write_baseline_file))
    # Before any analysis for the named paths, after discovery for the files found.
    _refuse_overwriting_inputs(reports, paths)
    try:
        file_config = load_file(config_file) if config_file else find_config(paths)
        cli = _cli_options(select, extend_select, ignore, exclude, extend_exclude, respect_gitignore, django_version, cache_dir, fail_level, file_timeout, check_syntax)
        # More workers than CPUs only cost memory and process start-ups.
        settings = build_settings(file_config, cli, jobs=min(jobs or default_jobs(), default_jobs()))
        django_source = "--django-version" if cli.django_version else f"django-version in {file_config.path}" if settings.django_version else None
        if settings.django_version is None:
            # Neither flag nor config: the lowest version the project's own
            # dependency declarations allow.
            version, django_source = _detected_django_version(paths)
            settings = dataclasses.replace(settings, django_version=version)
        if settings.extra.get("cache_dir") is None:
            settings.extra["cache_dir"] = default_cache_dir(file_config, paths)
        baseline = read_baseline(baseline_file) if baseline_file else None
    except (ConfigError, BaselineError) as exc:
        _error(str(exc))
    except DeclarationError as exc:
        # Read only to find the Django target: naming one skips the reading.
        _error(f"{exc} (Django's version is read from the project's dependency declarations; `--django-version` or the config's `django-version` skips that)")
    if clean_cache:
        sys.exit(_clean(settings.extra["cache_dir"]))
    if show_settings or verbose:
        lines = _settings_lines(file_config, config_file, paths, settings, django_source, cache_used=not no_cache)
        if show_settings:
            with _output(output_file) as out:
                out.write("".join(line + "\n" for line in lines))
            return
        for line in lines:
            click.echo(f"async-lint: {line}", err=True)

    # With --fix on stdin, stdout carries the fixed text: the report goes to stderr.
    out = sys.stderr if texts is not None and fix and not diff else sys.stdout
    fmt = output_format or ("rich" if out.isatty() and not output_file else "concise")
    progress = progress_for(sys.stderr.isatty() and not quiet, fmt)
    try:
        if texts is not None and fix and not diff:
            texts = _fix_stdin(paths, settings, texts, baseline)
        elif fix or diff:
            _run_fixes(paths, settings, write=not diff, quiet=quiet, texts=texts, output_file=output_file, baseline=baseline)
        result = engine.run(paths, settings, on_file_done=progress, cache_dir=settings.extra.get("cache_dir"), use_cache=not no_cache, texts=texts)
    except CacheDirError as exc:
        _error(str(exc))
    finally:
        if progress is not None:
            progress.close()

    for path, reason in result.missing:
        click.echo(f"async-lint: error: {reason}: {path}{_path_hint(path)}", err=True)
    _print_failures(result.failures, verbose)
    if not quiet:
        for path, reason in result.skipped:
            click.echo(f"async-lint: note: skipped {display_path(path)}: {reason}", err=True)
        _print_notes(result.notes)
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
        sys.exit(EXIT_ERROR if result.missing else EXIT_CLEAN)

    if not result.files and not result.missing and not quiet:
        click.echo(
            "async-lint: warning: no Python files found under the given paths (skipped by .gitignore, --exclude, or as a folder never walked unless named: build, dist, venv, .venv, site-packages, node_modules, ...?)",
            err=True,
        )
    if verbose:
        click.echo(f"async-lint: {len(result.files)} file{'s' if len(result.files) != 1 else ''} checked, {result.cache_hits} from the cache", err=True)
    with _output(output_file, default=out) as report:
        if statistics:
            from async_lint.formats import statistics as statistics_format

            statistics_format.render(findings, report, as_json=output_format == "json")
        else:
            _render(findings, fmt, report, root=git_root(root) or root, files_checked=len(result.files), quiet=quiet)
    if result.missing:
        sys.exit(EXIT_ERROR)
    failing = [f for f in findings if at_or_above(f.level, settings.extra["fail_level"])]
    if failing and not exit_zero:
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


def _detected_django_version(paths: list[str]) -> tuple[tuple[int, int] | None, str]:
    from async_lint.django_version import django_declaration

    found = django_declaration(paths)
    if found is None:
        return None, "no declaration found: the newest Django async-lint knows"
    version, where = found
    return version, f"the lowest your dependencies allow, in {display_path(str(where))}"


def _settings_lines(file_config: FileConfig, config_file: str | None, paths: list[str], settings, django_source: str | None, *, cache_used: bool = True) -> list[str]:
    """What ``--show-settings`` prints (and ``-v`` on stderr); ``cache_used``:
    False under ``--no-cache`` (no cache is read or written then)."""
    if file_config.path is None:
        config = f"none found (looked for {', '.join(CONFIG_NAMES)} upwards from the linted paths; a pyproject.toml needs [tool.async-lint])"
    elif config_file:
        config = f"{file_config.path} (--config)"
    else:
        config = f"{file_config.path} (the nearest of {', '.join(CONFIG_NAMES)})"
    version = ".".join(map(str, settings.django_version)) if settings.django_version else "newest"
    enabled = sorted(settings.enabled)
    return [
        f"config file: {config}",
        f"project root: {settings.root}",
        f"django version: {version} ({django_source})",
        f"enabled rules ({len(enabled)}): {', '.join(enabled)}",
        f"fail level: {settings.extra['fail_level']}",
        f"check syntax: {'every file' if settings.check_syntax else 'files analysed in full, and stdin or editor buffers'}",
        f"cache dir: {settings.extra['cache_dir']}" if cache_used else "cache: off (--no-cache)",
    ]


def _clean(cache_dir: str) -> int:
    """Remove the cache folder, only when it is certainly one async-lint made."""
    import shutil

    from async_lint.cache import is_cache_dir

    if not os.path.lexists(cache_dir):
        click.echo(f"async-lint: no cache at {cache_dir}", err=True)
        return EXIT_CLEAN
    if os.path.islink(cache_dir) or not is_cache_dir(cache_dir):
        click.echo(f"async-lint: error: {cache_dir} does not look like an async-lint cache (no CACHEDIR.TAG, or files of its own): not removed", err=True)
        return EXIT_ERROR
    try:
        shutil.rmtree(cache_dir)
    except OSError as exc:
        click.echo(f"async-lint: error: cannot remove {cache_dir}: {exc.strerror or exc}", err=True)
        return EXIT_ERROR
    click.echo(f"async-lint: removed {cache_dir}", err=True)
    return EXIT_CLEAN


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("code")
def rule_command(code):
    """Explain a rule (as --explain CODE)"""
    _explain(code, param_hint="CODE")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=str), help="The config file whose cache-dir to clean.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=str), help="Remove this cache folder instead.")
def clean_command(paths, config_file, cache_dir):
    """Remove the project's analysis cache (found as a run on PATHS would find it).

    Only a folder that is recognisably async-lint's cache is removed."""
    paths = list(paths) or ["."]
    try:
        file_config = load_file(config_file) if config_file else find_config(paths)
        settings = build_settings(file_config, Options(cache_dir=os.path.abspath(cache_dir) if cache_dir else None), jobs=1)
    except ConfigError as exc:
        _error(str(exc))
    sys.exit(_clean(settings.extra.get("cache_dir") or default_cache_dir(file_config, paths)))


SUBCOMMANDS.update({"rule": rule_command, "clean": clean_command})


def _stdin_text(paths: list[str], stdin_filename: str | None) -> tuple[list[str], dict[str, bytes]]:
    """``-``: the text on stdin, linted as ``--stdin-filename`` (which need
    not exist), so it belongs to the project around that path."""
    if len(paths) > 1:
        _error("`-` (stdin) cannot be combined with other paths")
    name = stdin_filename or "stdin.py"
    return [name], {os.path.abspath(name): sys.stdin.buffer.read()}


def _fix_stdin(paths: list[str], settings, texts: dict[str, bytes], baseline=None) -> dict[str, bytes]:
    """--fix on stdin: the fixed text (or the text unchanged) on stdout, as
    editors expect of a formatter; no file is written.  Returns the texts
    to report the remaining findings of."""
    from async_lint import apply_fixes

    outcome = apply_fixes.fix_paths(paths, settings, write=False, texts=texts, baseline=baseline)
    fixed = dict(texts)
    for result in outcome.changed_files:
        fixed[result.path] = apply_fixes.encode_like(result.original, result.text)
    sys.stdout.buffer.write(next(iter(fixed.values())))
    sys.stdout.flush()
    for result in outcome.refused_files:
        click.echo(f"{result.path}: not fixed: {result.refused}", err=True)
    return fixed


def _run_fixes(paths: list[str], settings, *, write: bool, quiet: bool = False, texts: dict[str, bytes] | None = None, output_file: str | None = None, baseline=None) -> None:
    """--fix writes the fixes (then the findings that remain are reported);
    --diff prints them (into ``output_file`` with -o), then "Would fix N
    problems." (as ruff), and exits: 1 when there is a diff, else 0."""
    from async_lint import apply_fixes

    outcome = apply_fixes.fix_paths(paths, settings, write=write, texts=texts, baseline=baseline)
    lines = [] if quiet else apply_fixes.summary_lines(outcome)
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
        for line in lines:
            click.echo(line, err=True)
        if not quiet:
            count = outcome.fixed_count
            click.echo(f"Would fix {count} problem{'s' if count != 1 else ''}." if count else "No fixes available.", err=True)
        sys.exit(EXIT_FINDINGS if text else EXIT_CLEAN)
    for line in lines:
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


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
def server_command():
    """Run the language server over stdio (for editors; see the README).

    Its settings come from each file's project's [tool.async-lint]."""
    try:
        from async_lint.server import serve
    except ImportError as exc:
        _error(f"the language server needs pygls: pip install 'async-lint[server]' ({exc})")
    serve()


# Listed in --help; main() starts it even where a folder named `server` exists.
SUBCOMMANDS["server"] = server_command


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
    if sys.argv[1:2] == ["server"]:
        # Always the server (a folder named `server` is linted as `./server`):
        # an editor that starts it from a project with such a folder must not get a lint.
        server_command.main(sys.argv[2:], prog_name="async-lint server")
    tolerant_streams()
    _install_signal_handlers()
    tune_gc_for_parsing()
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
