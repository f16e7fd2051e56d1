"""The per-file result cache: one entry per file content, tool build and configuration.

An entry holds a file's local findings, facts and module summary (plain JSON
data).  Project-wide findings (DJA4xx, cross-module DJA302) are not cached:
they are recomputed from the summaries on every run, which is cheap, so an
edited helper module changes exactly the findings that depend on it.

Entries are written atomically (a temporary file in the same folder, then
``os.replace``), so concurrent runs never see half an entry.  An entry that
whose seal (a digest of its key and content) does not match is ignored and
rewritten.

The cache writes only inside a folder it owns: one it created, or found
empty, and marked with a ``CACHEDIR.TAG`` (the Cache Directory Tagging
Specification, which backup tools honour).  A folder that holds anything
else (``cache-dir = "."`` or a source folder by mistake) is refused before
anything is written: its ``.gitignore`` of ``*`` would hide the user's new
files from git, and the next run would find no files to lint.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from async_lint import __version__

FORMAT = 3
CACHE_DIR_NAME = ".async_lint_cache"
TAG_NAME = "CACHEDIR.TAG"
# The specification's fixed first line, by which tools recognise the tag.
TAG_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
TAG_TEXT = f"{TAG_SIGNATURE}\n# This file is a cache directory tag created by async-lint.\n# For information about cache directory tags, see https://bford.info/cachedir/\n"
# Caches written before the tag existed are recognised by their .gitignore.
_LEGACY_GITIGNORE = "# Created by async-lint.\n"
# What the cache writes at its top level, besides its tag and .gitignore:
# entry folders (an entry key's first two characters), project entries and
# temporary files.
_ENTRY_FOLDER = re.compile(r"[0-9a-z]{2}")
_OWN_NAME = re.compile(rf"{_ENTRY_FOLDER.pattern}|project-[0-9a-f]+\.json|\.tmp-.*")


class CacheDirError(Exception):
    """The cache folder cannot be used; the message names it and says why."""


def _holds_tag(directory: str) -> bool:
    try:
        with open(os.path.join(directory, TAG_NAME), encoding="utf-8", errors="replace") as fh:
            return fh.read(len(TAG_SIGNATURE)) == TAG_SIGNATURE
    except OSError:
        return False


def _is_legacy_cache(directory: str, names: list[str]) -> bool:
    """A cache of an async-lint from before the tag: its own .gitignore, and
    only the names the cache writes besides."""
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as fh:
            if not fh.read().startswith(_LEGACY_GITIGNORE):
                return False
    except OSError:
        return False
    return all(name == ".gitignore" or _OWN_NAME.fullmatch(name) for name in names)


def claim_directory(directory: str) -> bool:
    """Make ``directory`` the cache's own folder, or raise CacheDirError.

    Created (with its parents) when missing; an empty folder is adopted; a
    folder with the tag (or an old async-lint cache) is reused; anything
    else is refused, so the cache never writes among the user's files.
    False when the folder cannot be created (a read-only tree): the run goes
    on without writing a cache, which costs speed, never correctness."""
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise CacheDirError(f"cache-dir {directory} is not a folder (it is a file); point cache-dir at a folder async-lint may create")
    if os.path.isdir(directory):
        if _holds_tag(directory):
            return True
        try:
            names = os.listdir(directory)
        except OSError as exc:
            raise CacheDirError(f"cache-dir {directory}: cannot list the folder: {exc.strerror or exc}") from exc
        # Temporary files only: a concurrent run is creating the folder (its
        # tag comes first, and may have landed since it was looked for).
        if any(not name.startswith(".tmp-") for name in names) and not _is_legacy_cache(directory, names) and not _holds_tag(directory):
            raise CacheDirError(
                f"cache-dir {directory} already holds other files and no {TAG_NAME}: async-lint writes its cache only in a folder "
                f"it creates; name a new folder (e.g. {os.path.join(directory, CACHE_DIR_NAME)}) or use --no-cache"
            )
    try:
        os.makedirs(directory, exist_ok=True)
        _write_new(os.path.join(directory, TAG_NAME), TAG_TEXT)
        _write_new(os.path.join(directory, ".gitignore"), _LEGACY_GITIGNORE + "*\n")
    except OSError:
        return False
    return True


def _write_new(path: str, text: str) -> None:
    if not os.path.exists(path):
        _replace(path, text.encode("utf-8"))


def _replace(path: str, data: bytes) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, then a rename."""
    import tempfile  # writing only: a run served from the cache does not import it

    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


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


def _seal(key: str, data: bytes) -> str:
    """A digest of an entry's key and content, written before it: an entry
    that does not match (a damaged disk, a hand edit, JSON of another shape)
    is ignored and rewritten, never trusted."""
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass") + b"\0" + data, digest_size=16).hexdigest()


class ResultCache:
    """Entries in a folder the cache owns (``claim_directory`` raises
    CacheDirError for one it may not write in)."""

    def __init__(self, directory: str):
        self.directory = directory
        self.writable = claim_directory(directory)

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], f"{key}.json")

    def has(self, key: str) -> bool:
        """Whether an entry is stored under ``key`` (not whether it is sound: ``get`` says)."""
        return os.path.isfile(self._path(key))

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            with open(self._path(key), "rb") as fh:
                digest, _, data = fh.read().partition(b"\n")
            if digest.decode("ascii") != _seal(key, data):
                return None  # damaged, edited, or another key's entry
            entry = json.loads(data)
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("findings"), list):
            return None
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        if not self.writable:
            return
        entry = {**entry, "key": key}
        try:
            data = json.dumps(entry, separators=(",", ":")).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError):
            return  # something not plain data: simply not cached
        try:
            os.makedirs(os.path.dirname(self._path(key)), exist_ok=True)
            _replace(self._path(key), _seal(key, data).encode("ascii") + b"\n" + data)
        except OSError:
            pass  # a read-only or full disk costs speed, never correctness


def _is_cache_entry(directory: str, name: str) -> bool:
    """``name`` is part of the cache's own layout: its tag and .gitignore,
    temporary files, and entry folders (two letters or digits: an entry key's
    start) holding only entries."""
    if name in (".gitignore", TAG_NAME):
        return True
    if not _OWN_NAME.fullmatch(name):
        return False
    if not _ENTRY_FOLDER.fullmatch(name):
        return True
    path = os.path.join(directory, name)
    if not os.path.isdir(path) or os.path.islink(path):
        return False
    try:
        return all(inside.endswith(".json") or inside.startswith(".tmp-") for inside in os.listdir(path))
    except OSError:
        return False


def is_cache_dir(directory: str) -> bool:
    """Whether ``directory`` is a result cache async-lint made (it carries the
    tag, or is a cache from before the tag) and holds nothing but the
    cache's own layout: ``async-lint clean`` deletes only such a folder."""
    try:
        names = os.listdir(directory)
    except OSError:
        return False
    if not (_holds_tag(directory) or _is_legacy_cache(directory, names)):
        return False
    return all(_is_cache_entry(directory, name) for name in names)
