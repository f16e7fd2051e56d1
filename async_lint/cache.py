"""The per-file result cache: one entry per file content, tool build and configuration.

An entry holds a file's local findings, facts and module summary (plain JSON
data).  Project-wide findings (DJA4xx, cross-module DJA302) are not cached:
they are recomputed from the summaries on every run, which is cheap, so an
edited helper module changes exactly the findings that depend on it.

Entries are written atomically (a temporary file in the same folder, then
``os.replace``), so concurrent runs never see half an entry.  An entry that
cannot be read, is not JSON, or names another key is ignored and rewritten.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from async_lint import __version__

FORMAT = 1
CACHE_DIR_NAME = ".async_lint_cache"


@functools.lru_cache(maxsize=None)
def build_stamp() -> str:
    """The tool version plus a fingerprint of its code and rule data, so that
    an edited rule table or check (a development install) never serves stale entries."""
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=12)
    digest.update(f"{FORMAT}:{__version__}".encode())
    roots = [package]
    rules = package.parent / "rules"
    packaged_rules = package / "_rules"
    roots.append(packaged_rules if packaged_rules.is_dir() else rules)
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".toml")):
                    try:
                        stat = os.stat(os.path.join(folder, name))
                    except OSError:
                        continue
                    digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def entry_key(digest: str, fingerprint: str, module_name: str, is_package: bool) -> str:
    text = f"{build_stamp()}\0{fingerprint}\0{module_name}\0{int(is_package)}\0{digest}"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


class CacheDirError(ValueError):
    """The cache folder would be one that holds the user's files."""


class ResultCache:
    def __init__(self, directory: str):
        self.directory = directory
        self._ready = False
        _refuse_foreign_folder(directory)

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], f"{key}.json")

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            with open(self._path(key), "rb") as fh:
                entry = json.loads(fh.read())
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("findings"), list):
            return None
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        entry = {**entry, "key": key}
        try:
            data = json.dumps(entry, separators=(",", ":")).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError):
            return  # something not plain data: simply not cached
        try:
            self._prepare()
            folder = os.path.dirname(self._path(key))
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, self._path(key))
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass  # a read-only or full disk costs speed, never correctness

    def _prepare(self) -> None:
        if self._ready:
            return
        os.makedirs(self.directory, exist_ok=True)
        tag = os.path.join(self.directory, "CACHEDIR.TAG")
        if not os.path.exists(tag):
            try:
                fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
                with os.fdopen(fd, "w") as fh:
                    fh.write(CACHEDIR_TAG)
                os.replace(tmp, tag)
            except OSError:
                pass
        ignore = os.path.join(self.directory, ".gitignore")
        if not os.path.exists(ignore):
            try:
                fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
                with os.fdopen(fd, "w") as fh:
                    fh.write("# Created by async-lint.\n*\n")
                os.replace(tmp, ignore)
            except OSError:
                pass
        self._ready = True


# https://bford.info/cachedir/: backup and archiving tools skip a folder with this tag.
CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This folder is async-lint's result cache (async-lint clean removes it).\n"


def _refuse_foreign_folder(directory: str) -> None:
    """The cache writes only in a folder it made (or an empty one): a cache-dir
    naming a folder of the user's (".", a source folder) would get a
    ``.gitignore`` of ``*`` that hides new files from git."""
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise CacheDirError(f"cache-dir {directory} is a file, not a folder; point cache-dir at a folder async-lint may create")
    try:
        empty = os.path.isdir(directory) and not any(not name.startswith(".tmp-") for name in os.listdir(directory))
    except OSError:
        return  # unreadable: writing fails later and the run goes on without a cache
    if os.path.isdir(directory) and not empty and not is_cache_dir(directory):
        raise CacheDirError(
            f"cache-dir {directory} already holds files of its own and no CACHEDIR.TAG: async-lint writes its cache only in a folder "
            f"it creates; name a new folder (e.g. {os.path.join(directory, CACHE_DIR_NAME)}) or use --no-cache"
        )


def is_cache_dir(directory: str) -> bool:
    """Whether ``directory`` is a result cache async-lint made: it carries a
    CACHEDIR.TAG or the ``.gitignore`` ``_prepare`` writes, and holds nothing
    but the cache's own layout (``xx/<key>.json`` entries and temporary files).
    ``async-lint clean`` deletes only such a folder."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return False
    names = {entry.name for entry in entries}
    marked = "CACHEDIR.TAG" in names
    if not marked and ".gitignore" in names:
        try:
            with open(os.path.join(directory, ".gitignore"), encoding="utf-8") as fh:
                marked = fh.readline().startswith("# Created by async-lint")
        except (OSError, UnicodeDecodeError):
            marked = False
    if not marked:
        return False
    for entry in entries:
        if entry.name in (".gitignore", "CACHEDIR.TAG") or entry.name.startswith(".tmp-"):
            continue
        if not (entry.is_dir(follow_symlinks=False) and len(entry.name) == 2 and entry.name.isalnum()):
            return False
        try:
            inside = os.listdir(entry.path)
        except OSError:
            return False
        if not all(name.endswith(".json") or name.startswith(".tmp-") for name in inside):
            return False
    return True
