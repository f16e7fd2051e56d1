"""The findings of a run over a whole project, kept whole in the cache.

A run over a project's whole tree reads nothing but the tree's own files
(each one's text, and whether it is there) and, for the model table, the
installed modules it names.  When the walk finds the same files with the
same contents, the settings and the tool are the same, and every installed
module the model table was made from is still the same file (or still
missing), the run's findings are the ones kept: the files are read and
hashed, nothing is analysed or indexed, and no check is loaded.

Kept only from a run that can vouch for its inputs: one over the whole
tree (``engine.run``'s ``whole_tree``: nothing importable passed over by
the walk, no text standing in for a file), whose import roots are inside
the project, which read no project file the walk did not list, with no
file whose analysis failed or was cut short, and whose model table (when
it has one) knows the installed modules it read.  One run is kept per
project, paths given and settings (the last): a cache kept across commits
holds one such entry, not one per commit.
"""

from __future__ import annotations

import os

from async_lint.findings import Finding, finding_from_located, located_record
from async_lint.settings import Settings

FORMAT = 2


def settings_key(settings: Settings) -> str:
    """Everything in the settings that changes what a run reports: what
    changes a file's findings (``Settings.fingerprint``, with the model
    table when it is given; a built one is made from the files and the
    installed modules, checked apart) and which files the run has."""
    return repr((settings.fingerprint(), settings.exclude, settings.respect_gitignore, settings.root, settings.check_syntax, settings.file_timeout))


def memo_key(paths: list[str], root: str, settings: Settings, discovery, digests: dict[str, str]) -> tuple[str, str]:
    """(the cache entry, the run): where a run over ``paths`` (the whole
    project at ``root``) with these settings is kept, one at a time (a new
    one replaces the last, so a cache kept across many commits holds one
    run per such slot, not one per commit); and the digest of what the run
    read: the walk's result and every file's content digest."""
    from async_lint.cache import content_digest, entry_key

    slot = [f"run-memo-{FORMAT}", os.getcwd(), root, repr(list(paths)), settings_key(settings)]
    read = [repr(discovery.unreadable), repr(discovery.missing), repr(discovery.skipped), repr(discovery.complete)]
    read.extend(f"{path}\0{digests[path]}" for path in discovery.files)
    # A pytest configuration's env (pytest-env) opts the tests out of the ORM
    # rules: which it does is an input of the run too, though no Python file.
    from async_lint.project import pytest_env_opt_outs, pytest_pythonpath_folders

    read.append(repr(sorted(pytest_env_opt_outs(discovery.files, root).items())))
    # Its pythonpath names the project's modules (their import roots).
    read.append(repr(pytest_pythonpath_folders(root)))
    slot_key = "run-" + entry_key(content_digest("\n".join(slot).encode("utf-8", "surrogatepass")), "run-memo", "", False)
    return slot_key, content_digest("\n".join(read).encode("utf-8", "surrogatepass"))


def kept_findings(cache, key: tuple[str, str], root: str):
    """The kept run's (findings, notes, orm_opt_outs), or None where the
    slot holds none, or another run, or an installed module it was made
    from has changed."""
    from async_lint.project_models import installed_unchanged

    slot, run = key
    entry = cache.get(slot)
    if entry is None or entry.get("run") != run:
        return None
    try:
        installed = entry["installed"]
        if not isinstance(installed, dict) or not installed_unchanged(installed, root):
            return None
        findings = [finding_from_located(record) for record in entry["findings"]]
        notes = {str(path): [str(note) for note in kept] for path, kept in entry["notes"].items()}
        opt_outs = {str(path): str(where) for path, where in entry["orm_opt_outs"].items()}
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return findings, notes, opt_outs


def keep(cache, key: tuple[str, str], findings: list[Finding], notes: dict[str, list[str]], orm_opt_outs: dict[str, str], installed: dict) -> None:
    slot, run = key
    cache.put(slot, {"run": run, "findings": [located_record(f) for f in findings], "notes": notes, "orm_opt_outs": orm_opt_outs, "installed": installed})
