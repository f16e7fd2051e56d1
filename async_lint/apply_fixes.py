"""Applying fixes: ``--fix`` (write) and ``--diff`` (show), with a safety net.

Per file: take the safe fixes of the enabled rules, apply the ones that do not
overlap, re-lint and repeat for the rest (a bounded number of rounds).  The
result is kept only if it parses (and compiles, when the original did), and
re-linting it shows the fixed findings gone and no finding that was not there
before; otherwise the file is left as it was and the reason is reported.  A
changed file is written atomically (a temporary file in the same folder, then
a rename), in its own encoding, BOM and line endings, with its permissions.
"""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import os
import re
import stat
import tempfile
from collections import Counter
from dataclasses import dataclass, field

from async_lint.catalog import catalog
from async_lint.findings import Edit, Finding
from async_lint.fixes import line_offsets
from async_lint.settings import Settings
from async_lint.source import SourceError, SourceFile, decode_source, parse_source, read_source
from async_lint.suppress import Suppressions
from async_lint.workers import Failure, run_guarded

MAX_ROUNDS = 10


@dataclass
class FileFix:
    """What fixing one file gave."""

    path: str
    original: SourceFile | None = None
    text: str | None = None  # the fixed text; None when nothing changed
    fixed: list[Finding] = field(default_factory=list)
    refused: str | None = None  # why the file was left as it was
    written: bool = False

    @property
    def changed(self) -> bool:
        return self.text is not None and self.refused is None


@dataclass
class FixOutcome:
    files: list[FileFix]

    @property
    def fixed_count(self) -> int:
        return sum(len(f.fixed) for f in self.files if f.changed)

    @property
    def changed_files(self) -> list[FileFix]:
        return [f for f in self.files if f.changed]

    @property
    def refused_files(self) -> list[FileFix]:
        return [f for f in self.files if f.refused]


# -- edits -------------------------------------------------------------------------
def _span(offsets: list[int], text: str, edit: Edit) -> tuple[int, int]:
    def at(row: int, column: int) -> int:
        if row > len(offsets):
            return len(text)
        return min(offsets[row - 1] + column - 1, len(text))

    return at(edit.row, edit.column), at(edit.end_row, edit.end_column)


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits (an insertion at the start of a replaced
    range goes before it)."""
    offsets = line_offsets(text)
    spans = sorted(((*_span(offsets, text, e), e.content) for e in set(edits)), key=lambda s: (s[0], s[1]), reverse=True)
    for start, end, content in spans:
        text = text[:start] + content + text[end:]
    return text


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a == b:  # the same range: two insertions at one point, or two replacements
        return True
    if a[0] == a[1]:
        return b[0] < a[0] < b[1]
    if b[0] == b[1]:
        return a[0] < b[0] < a[1]
    return a[0] < b[1] and b[0] < a[1]


def select_fixes(text: str, findings: list[Finding]) -> tuple[list[Finding], list[Edit]]:
    """The findings whose fixes can be applied together (in source order; a
    fix is all its edits or none), and their edits.  Identical edits (the same
    import added by two fixes) are shared, not conflicting."""
    offsets = line_offsets(text)
    chosen: list[Finding] = []
    taken: dict[Edit, tuple[int, int]] = {}
    for finding in sorted(findings, key=lambda f: f.sort_key):
        edits = [e for e in finding.fix.edits if e not in taken]  # type: ignore[union-attr]
        spans = [_span(offsets, text, e) for e in edits]
        if any(_overlaps(s, t) for s in spans for t in taken.values()):
            continue
        if any(_overlaps(s, t) for i, s in enumerate(spans) for t in spans[i + 1 :]):
            continue
        chosen.append(finding)
        taken.update(zip(edits, spans))
    return chosen, list(taken)


def fixable(findings: list[Finding], enabled: frozenset[str]) -> list[Finding]:
    return [f for f in findings if f.fixable and f.code in enabled]


# -- the safety net ------------------------------------------------------------------
def _verification_settings(settings: Settings) -> Settings:
    """Re-lint with every rule: a fix must not bring in a finding of a rule the
    user did not select either."""
    return dataclasses.replace(settings, enabled=frozenset(catalog()) | settings.enabled, jobs=1)


def _lint(path: str, source: SourceFile, settings: Settings, project=None) -> list[Finding]:
    """The file's findings; with ``project`` (the ``RunResult`` of the run that
    asked for the fix), as that project run would give them, so the
    project-index rules (DJA401 across modules) are counted too."""
    from async_lint.engine import analyze_in_project
    from async_lint.file_analysis import analyze_source

    if project is not None:
        return analyze_in_project(path, source, settings, project)
    return analyze_source(path, source, settings).findings


def _compiles(text: str, path: str) -> bool:
    try:
        compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    except RecursionError:
        return False
    return True


def _key(f: Finding) -> str:
    # Counted by code alone: a fix may change how another finding of the same
    # code is worded (`get_event_loop().run_until_complete()` becomes
    # `get_running_loop().run_until_complete()`), which is not a new finding.
    return f.code


def encode_like(original: SourceFile, text: str) -> bytes:
    """``text`` in the original's encoding, with its BOM if it had one."""
    data = text.encode(original.encoding)
    if original.has_bom and not data.startswith(codecs.BOM_UTF8):
        data = codecs.BOM_UTF8 + data
    elif not original.has_bom and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    return data


def fix_source(path: str, source: SourceFile, settings: Settings, first: list[Finding] | None = None, project=None, suppressions: Suppressions | None = None) -> FileFix:
    """Fix one file in memory.  ``first``: the findings (with fixes) of the run
    that asked for the fix, used for the first round; later rounds re-lint
    (within ``project``, that run's ``RunResult``, when given) and fix only
    what ``suppressions`` leaves visible."""
    result = FileFix(path, original=source)
    if suppressions is None:
        suppressions = Suppressions(settings, settings.root or os.getcwd(), orm_opt_outs=getattr(project, "orm_opt_outs", {}))
    check = _verification_settings(settings)
    before = _lint(path, source, check, project)
    if any(f.code == "DJA000" for f in before):
        return result
    try:
        if encode_like(source, source.text) != source.data:
            result.refused = f"its text does not round-trip through {source.encoding}"
            return result
    except UnicodeError:
        result.refused = f"its text does not round-trip through {source.encoding}"
        return result
    compiled_before = _compiles(source.text, path)
    expected = Counter(_key(f) for f in before)
    candidates = fixable(first if first is not None else suppressions.visible(before), settings.enabled)
    text = source.text
    fixed: list[Finding] = []
    for _ in range(MAX_ROUNDS):
        chosen, edits = select_fixes(text, candidates)
        if not chosen:
            break
        new_text = apply_edits(text, edits)
        fixed += chosen
        expected.subtract(_key(f) for f in chosen)
        try:
            new_source = decode_source(path, encode_like(source, new_text))
            parse_source(new_source)
        except (SourceError, UnicodeError) as exc:
            result.refused = f"the fixed code would not parse ({getattr(exc, 'message', exc)}); fixes: {_codes(chosen)}"
            return result
        if compiled_before and not _compiles(new_text, path):
            result.refused = f"the fixed code would not compile; fixes: {_codes(chosen)}"
            return result
        after = _lint(path, new_source, check, project)
        surplus = Counter(_key(f) for f in after) - +expected
        if surplus:
            code = next(iter(surplus))
            message = next((f.message for f in after if f.code == code), "")
            result.refused = f"fixing would leave or bring a finding ({code} {message}); fixes: {_codes(chosen)}"
            return result
        text = new_text
        candidates = fixable(suppressions.visible(after, lines_of={path: new_source.lines}), settings.enabled)
    if text != source.text:
        result.text = text
        result.fixed = fixed
    return result


def _codes(findings: list[Finding]) -> str:
    return ", ".join(f"{f.code} at {f.line}:{f.column}" for f in findings)


# -- files -------------------------------------------------------------------------
def _is_read_only(path: str) -> bool:
    mode = os.stat(path).st_mode
    # root may write anywhere; a file without any write bit is still meant read-only.
    return not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path``'s content: temporary file in the same folder, then rename,
    keeping the permission bits (and owner, where allowed).  Through a symlink,
    the file it points to is replaced."""
    target = os.path.realpath(path)
    info = os.stat(target)
    folder = os.path.dirname(target) or "."
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".async-lint-tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        if hasattr(os, "chown"):
            try:
                os.chown(temporary, info.st_uid, info.st_gid)
            except OSError:
                pass
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def write_fix(result: FileFix) -> None:
    """Write one fixed file, or say why not (``result.refused``)."""
    assert result.original is not None and result.text is not None
    path = result.path
    try:
        if _is_read_only(path):
            result.refused = "the file is read-only"
            return
        with open(path, "rb") as fh:
            if fh.read() != result.original.data:
                result.refused = "the file changed while it was being fixed"
                return
        write_atomic(path, encode_like(result.original, result.text))
        result.written = True
    except OSError as exc:
        result.refused = f"cannot write the file: {exc.strerror or exc}"


def _patch_lines(data: bytes) -> list[bytes]:
    """Lines as patch and git apply count them: ended by ``\n`` only.  A form
    feed, U+2028 or a lone ``\r`` is part of its line, as it is to them."""
    return data.splitlines(keepends=True) if b"\r" not in data else [line for line in re.split(rb"(?<=\n)", data) if line]


def unified_diff(result: FileFix) -> bytes:
    """A patch ``git apply`` and ``patch -p1`` accept: ``a/``/``b/`` paths,
    and the file's own bytes (its encoding, BOM and line endings), so that
    the hunks match the file on disk."""
    assert result.original is not None and result.text is not None
    shown = os.path.relpath(result.path)
    if shown.startswith(".."):
        shown = result.path.lstrip(os.sep)
    name = os.fsencode(shown.replace(os.sep, "/"))
    old = _patch_lines(result.original.data)
    new = _patch_lines(encode_like(result.original, result.text))
    lines = difflib.diff_bytes(difflib.unified_diff, old, new, fromfile=b"a/" + name, tofile=b"b/" + name)
    return b"".join(line if line.endswith(b"\n") else line + b"\n\\ No newline at end of file\n" for line in lines)


def fix_paths(paths: list[str], settings: Settings, *, write: bool, texts: dict[str, bytes] | None = None, baseline: Counter[str] | None = None) -> FixOutcome:
    """Lint ``paths``, fix what can be fixed (writing it when ``write``):
    only findings the report would show, not the ones per-file-ignores, the
    DJANGO_ALLOW_ASYNC_UNSAFE opt-out, ``baseline`` or ``# noqa`` hide.
    ``texts``: path -> content fixed instead of the file on disk (stdin)."""
    from async_lint.engine import run

    texts = {os.path.abspath(path): data for path, data in (texts or {}).items()}
    result = run(paths, settings, texts=texts)
    suppressions = Suppressions(settings, settings.root or os.getcwd(), baseline, result.orm_opt_outs)
    by_path: dict[str, list[Finding]] = {}
    for finding in fixable(suppressions.visible(result.findings), settings.enabled):
        by_path.setdefault(finding.path, []).append(finding)
    files: list[FileFix] = []
    for path in sorted(by_path):
        try:
            source = decode_source(path, texts[path]) if path in texts else read_source(path)
        except SourceError as exc:
            files.append(FileFix(path, refused=exc.message))
            continue
        # A fix re-lints in this process: on the workers' deep stack, and a
        # crash leaves this file as it was, not the run.
        fixed = run_guarded(lambda p, source=source: fix_source(p, source, settings, by_path[p], project=result, suppressions=suppressions), path)
        if isinstance(fixed, Failure):
            files.append(FileFix(path, refused=fixed.cause))
            continue
        if write and fixed.changed:
            write_fix(fixed)
        files.append(fixed)
    return FixOutcome(files)


def summary_lines(outcome: FixOutcome) -> list[str]:
    """What to tell the user about a ``--fix`` run (the CLI prints these)."""
    lines = [f"{f.path}: not fixed: {f.refused}" for f in outcome.refused_files]
    written = [f for f in outcome.changed_files if f.written]
    count = sum(len(f.fixed) for f in written)
    if count:
        lines.append(f"Fixed {count} problem{'s' if count != 1 else ''} in {len(written)} file{'s' if len(written) != 1 else ''}.")
    return lines


def diff_text(outcome: FixOutcome) -> bytes:
    return b"".join(unified_diff(f) for f in outcome.changed_files)
