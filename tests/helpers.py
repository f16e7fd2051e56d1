"""Shared test helpers: lint source text or files through the real engine."""

from __future__ import annotations

import dataclasses
import re
import shutil
import textwrap
from pathlib import Path

from libcst import CSTNode

from async_lint.catalog import catalog, select_codes
from async_lint.checks import project_checks_for
from async_lint.engine import run
from async_lint.file_analysis import analyze_source
from async_lint.facts import ProjectFacts
from async_lint.findings import Finding
from async_lint.settings import Settings
from async_lint.source import decode_source

FIXTURES = Path(__file__).parent / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>DJA\d{3}(?:[\s,]+DJA\d{3})*)")
FIXTURE_OPTION = re.compile(r"^#\s*fixture:\s*(?P<key>[\w-]+)\s*=\s*(?P<value>\S+)", re.MULTILINE)


def forget_kept_runs(cache_dir: str | Path) -> None:
    """Drop the whole-run entries (run_memo.py) from a cache, so the next run
    is served file by file: what a test of the per-file entries looks at."""
    for entry in Path(cache_dir).rglob("run-*.json"):
        entry.unlink()


def django_source() -> Path:
    """The installed Django's package folder (the test extras install it)."""
    import django

    return Path(django.__file__).parent


def make_settings(select: list[str] | None = None, ignore: list[str] | None = None, django_version: tuple[int, int] | None = None, **kwargs) -> Settings:
    return Settings(enabled=select_codes(select, ignore), django_version=django_version, **kwargs)


def lint_text(text: str, *, path: str = "example.py", dedent: bool = True, **settings_kwargs) -> list[Finding]:
    """Lint one module's source text on its own (no project around it)."""
    if dedent:
        text = textwrap.dedent(text)
    source = decode_source(path, text.encode("utf-8"))
    settings = make_settings(**settings_kwargs)
    result = analyze_source(path, source, settings)
    findings = list(result.findings)
    # Project-wide checks see this one module as the whole project.
    for check_class in project_checks_for(settings.enabled):
        findings.extend(f for f in check_class(settings).run(ProjectFacts({path: result.facts}, check_class.fact_kinds)) if f.code in settings.enabled)
    return sorted(findings, key=lambda f: f.sort_key)


def copy_entry(source: Path, target: Path) -> Path:
    """Copy a fixture file or project folder to ``target``."""
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copyfile(source, target)
    return target


def lint_paths(paths: list[str | Path], **settings_kwargs) -> list[Finding]:
    return run([str(p) for p in paths], make_settings(**settings_kwargs)).findings


def expected_markers(path: Path) -> set[tuple[str, int, str]]:
    """(path, line, code) for every ``# expect: CODE`` marker in a file."""
    out = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            for code in re.findall(r"DJA\d{3}", match.group("codes")):
                out.add((str(path), number, code))
    return out


def fixture_options(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return {m.group("key"): m.group("value") for m in FIXTURE_OPTION.finditer(text)}


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def all_rule_codes() -> list[str]:
    return list(catalog())


_COMPARED_FIELDS: dict[type, tuple[str, ...]] = {}


def same_tree(a: object, b: object) -> bool:
    """``a.deep_equals(b)`` of two libcst trees, computed faster: the fields
    libcst compares are read once per node type, and sequences are tested
    by their concrete types (libcst's test goes through the ``Sequence`` ABC
    for every value, most of an oracle's time on a whole file)."""
    if a is b:
        return True
    kind = type(a)
    if isinstance(a, CSTNode):
        if kind is not type(b):
            return False
        names = _COMPARED_FIELDS.get(kind)
        if names is None:
            names = _COMPARED_FIELDS[kind] = tuple(f.name for f in dataclasses.fields(a) if f.compare is True)
        for name in names:  # noqa: SIM110 (a loop: all() over a generator is 1.7x slower here)
            if not same_tree(getattr(a, name), getattr(b, name)):
                return False
        return True
    if kind in (tuple, list) and type(b) in (tuple, list):
        if len(a) != len(b):
            return False
        for x, y in zip(a, b):  # noqa: SIM110
            if not same_tree(x, y):
                return False
        return True
    return a == b
