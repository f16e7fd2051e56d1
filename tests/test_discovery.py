"""Which files a run lints: folders walked, .gitignore and --exclude honoured,
links followed only inside the tree, and never forever."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from async_lint import discovery
from async_lint.discovery import discover, display_path


def make(root: Path, *names: str, text: str = "x = 1\n") -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def found(root: Path, *paths: str | Path, **kwargs) -> list[str]:
    """The discovered files as sorted POSIX paths relative to ``root``."""
    result = discover([str(p) for p in paths] or [str(root)], root=str(root), **kwargs)
    return sorted(Path(os.path.relpath(f, root)).as_posix() for f in result.files)


def refuse_listing(monkeypatch, name: str) -> None:
    """Listing a folder called ``name`` fails as it does without permission."""
    real_scandir = os.scandir

    def scandir(path):
        if os.path.basename(path) == name:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)


def test_walks_python_files_only(tmp_path):
    make(tmp_path, "a.py", "pkg/__init__.py", "pkg/sub/b.py", "notes.txt", "pkg/data.json", "script", "stub.pyi")
    assert found(tmp_path) == ["a.py", "pkg/__init__.py", "pkg/sub/b.py"]


def test_skips_tool_and_build_folders(tmp_path):
    make(
        tmp_path,
        "app.py",
        ".git/hooks/x.py",
        "node_modules/pkg/y.py",
        "pkg/__pycache__/z.py",
        "build/lib/app.py",
        ".tox/py311/t.py",
        "async_lint.egg-info/e.py",
        ".venv/lib/v.py",
    )
    assert found(tmp_path) == ["app.py"]


def test_skips_any_folder_holding_a_virtualenv(tmp_path):
    make(tmp_path, "app.py", "env311/lib/python3.11/site.py", "env311/bin/activate_this.py")
    (tmp_path / "env311" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    # A folder that only happens to contain a file named like a venv marker deeper down is kept.
    make(tmp_path, "tools/env/run.py", "tools/env/config/pyvenv.cfg")
    assert found(tmp_path) == ["app.py", "tools/env/run.py"]


def test_a_pyvenv_cfg_alone_or_beside_manage_py_makes_no_virtualenv(tmp_path):
    """A Django project folder with a committed pyvenv.cfg (and no
    virtualenv's lib/ or bin/, or with its manage.py) is linted."""
    make(tmp_path, "backend/manage.py", "backend/api/views.py", "server/app.py", "env/lib/site.py", "env/app.py")
    for folder in ("backend", "server", "env"):
        (tmp_path / folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "backend" / "bin").mkdir()
    assert found(tmp_path) == ["backend/api/views.py", "backend/manage.py", "server/app.py"]


def test_a_virtualenv_is_known_by_its_own_listing(tmp_path, monkeypatch):
    # Named on the command line, a virtualenv is walked; below it, passed over
    # (the tree is then not complete); a pyvenv.cfg that is a folder marks nothing.
    make(tmp_path, "venv/lib/site.py", "venv/app/inner/pyvenv.cfg/x.txt", "venv/app/inner/m.py", "locked/lib/l.py", "ok.py")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "locked" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert found(tmp_path / "venv", tmp_path / "venv") == ["app/inner/m.py", "lib/site.py"]
    result = discover([str(tmp_path)])
    assert [os.path.relpath(f, tmp_path) for f in result.files] == ["ok.py"]
    assert not result.complete
    # A virtualenv whose listing is refused is still passed over, not reported.
    refuse_listing(monkeypatch, "locked")
    result = discover([str(tmp_path)])
    assert result.unreadable == [] and [os.path.relpath(f, tmp_path) for f in result.files] == ["ok.py"]


def test_only_folders_listing_a_gitignore_have_one_read(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    make(tmp_path, "a/x.py", "a/b/y.py", "a/b/gen.py", "c/z.py", "d/.gitignore/w.py")
    (tmp_path / "a" / "b" / ".gitignore").write_text("gen.py\n")
    read: list[str] = []
    real = discovery._gitignore_spec

    def spec(directory):
        read.append(os.path.relpath(directory, tmp_path))
        return real(directory)

    monkeypatch.setattr(discovery, "_gitignore_spec", spec)
    assert found(tmp_path) == ["a/b/y.py", "a/x.py", "c/z.py", "d/.gitignore/w.py"]
    # The root's parents are read apart (the repository's outer .gitignore files).
    assert sorted(r for r in read if not r.startswith("..") and r != ".") == ["a/b", "d"]


def test_gitignore_nested_files_negation_and_anchoring(tmp_path):
    (tmp_path / ".git").mkdir()
    make(
        tmp_path,
        "app.py",
        "local_settings.py",
        "generated/models.py",
        "pkg/top_only.py",
        "top_only.py",
        "pkg/gen/a.py",
        "pkg/gen/keep.py",
        "pkg/views.py",
    )
    (tmp_path / ".gitignore").write_text("# comment\nlocal_settings.py\ngenerated/\n/top_only.py\n")
    (tmp_path / "pkg" / ".gitignore").write_text("gen/*.py\n!gen/keep.py\n")
    assert found(tmp_path) == ["app.py", "pkg/gen/keep.py", "pkg/top_only.py", "pkg/views.py"]
    assert found(tmp_path, respect_gitignore=False) == [
        "app.py",
        "generated/models.py",
        "local_settings.py",
        "pkg/gen/a.py",
        "pkg/gen/keep.py",
        "pkg/top_only.py",
        "pkg/views.py",
        "top_only.py",
    ]


def test_nested_gitignore_can_reinclude_what_a_parent_ignores(tmp_path):
    make(tmp_path, "a/keep_me.py", "a/other.py", "drop.py")
    (tmp_path / ".gitignore").write_text("*.py\n")
    (tmp_path / "a" / ".gitignore").write_text("!keep_me.py\n")
    assert found(tmp_path) == ["a/keep_me.py"]


def test_gitignore_of_folders_above_the_linted_path_applies(tmp_path):
    (tmp_path / ".git").mkdir()
    make(tmp_path, "project/shop/views.py", "project/shop/generated.py")
    (tmp_path / ".gitignore").write_text("project/shop/generated.py\n")
    result = discover([str(tmp_path / "project" / "shop")])
    assert [os.path.basename(f) for f in result.files] == ["views.py"]


def test_gitignore_above_the_repository_root_is_not_read(tmp_path):
    (tmp_path / ".gitignore").write_text("*.py\n")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    make(tmp_path, "repo/app.py")
    assert [os.path.basename(f) for f in discover([str(tmp_path / "repo")]).files] == ["app.py"]


def test_exclude_globs(tmp_path):
    make(tmp_path, "shop/migrations/0001_initial.py", "shop/views.py", "shop/api_pb2.py", "shop/legacy/old.py", "legacy/kept.py")
    assert found(tmp_path, exclude=["migrations/", "*_pb2.py", "shop/legacy/*.py"]) == ["legacy/kept.py", "shop/views.py"]


def test_exclude_is_relative_to_the_linted_folder_when_outside_the_root(tmp_path):
    make(tmp_path, "project/shop/legacy/old.py", "project/shop/views.py")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = discover([str(tmp_path / "project")], exclude=["shop/legacy/"], root=str(elsewhere))
    assert [os.path.basename(f) for f in result.files] == ["views.py"]


def test_named_files_are_kept_whatever_their_suffix_unless_excluded(tmp_path):
    make(tmp_path, "manage", "skip_pb2.py", "app.py")
    assert found(tmp_path, tmp_path / "manage", tmp_path / "app.py", tmp_path / "app.py") == ["app.py", "manage"]
    assert found(tmp_path, tmp_path / "skip_pb2.py", exclude=["*_pb2.py"]) == []


def test_each_file_once_across_overlapping_paths(tmp_path):
    make(tmp_path, "pkg/a.py", "pkg/sub/b.py")
    assert found(tmp_path, tmp_path, tmp_path / "pkg", tmp_path / "pkg" / "sub" / "b.py") == ["pkg/a.py", "pkg/sub/b.py"]


def test_missing_path_is_recorded_and_the_others_are_found(tmp_path):
    make(tmp_path, "app.py")
    result = discover([str(tmp_path / "nope.py"), str(tmp_path / "app.py")])
    assert result.missing == [(str(tmp_path / "nope.py"), "path does not exist")]
    assert result.files == [str(tmp_path / "app.py")]


def test_links_out_of_the_tree_are_not_followed(tmp_path):
    make(tmp_path, "outside/secret.py", "tree/app.py")
    (tmp_path / "tree" / "linked_dir").symlink_to(tmp_path / "outside", target_is_directory=True)
    (tmp_path / "tree" / "linked.py").symlink_to(tmp_path / "outside" / "secret.py")
    assert found(tmp_path, tmp_path / "tree") == ["tree/app.py"]


def test_symlink_cycles_terminate_and_list_each_file_once(tmp_path):
    make(tmp_path, "pkg/a.py", "pkg/sub/b.py")
    (tmp_path / "pkg" / "sub" / "up").symlink_to(tmp_path / "pkg", target_is_directory=True)
    (tmp_path / "pkg" / "self").symlink_to(tmp_path / "pkg" / "self")  # a link to itself
    (tmp_path / "pkg" / "ping.py").symlink_to(tmp_path / "pkg" / "pong.py")
    (tmp_path / "pkg" / "pong.py").symlink_to(tmp_path / "pkg" / "ping.py")
    (tmp_path / "pkg" / "dangling.py").symlink_to(tmp_path / "pkg" / "missing.py")
    assert found(tmp_path) == ["pkg/a.py", "pkg/sub/b.py"]


def test_a_link_inside_the_tree_is_followed_once(tmp_path):
    make(tmp_path, "real/a.py")
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "b.py").symlink_to(tmp_path / "real" / "a.py")
    files = discover([str(tmp_path)]).files
    assert len(files) == 1 and os.path.realpath(files[0]) == str((tmp_path / "real" / "a.py").resolve())


def test_a_very_deep_tree_does_not_exhaust_the_stack(tmp_path):
    import sys
    import traceback

    deep = os.path.join(tmp_path, *["d"] * 150)
    os.makedirs(deep)
    Path(deep, "bottom.py").write_text("x = 1\n")
    limit = sys.getrecursionlimit()
    # Fewer frames to spare than folders to descend: a recursive walk would fail.
    sys.setrecursionlimit(len(traceback.extract_stack()) + 50)
    try:
        files = discover([str(tmp_path)]).files
    finally:
        sys.setrecursionlimit(limit)
    assert [os.path.basename(f) for f in files] == ["bottom.py"]


def test_a_folder_that_cannot_be_listed_is_reported_and_the_walk_goes_on(tmp_path, monkeypatch):
    make(tmp_path, "ok/a.py", "locked/b.py")
    refuse_listing(monkeypatch, "locked")
    result = discover([str(tmp_path)])
    assert [os.path.basename(f) for f in result.files] == ["a.py"]
    assert [(os.path.basename(p), reason) for p, reason in result.unreadable] == [("locked", "cannot list folder: Permission denied")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can list any folder")
def test_a_folder_without_permissions_is_reported(tmp_path):
    make(tmp_path, "ok/a.py", "locked/b.py")
    (tmp_path / "locked").chmod(0)
    try:
        result = discover([str(tmp_path)])
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert [os.path.basename(p) for p, _ in result.unreadable] == ["locked"]


def test_display_path_is_relative_inside_the_base_only(tmp_path):
    assert display_path(str(tmp_path / "a" / "b.py"), str(tmp_path)) == os.path.join("a", "b.py")
    assert display_path("/elsewhere/c.py", str(tmp_path)) == "/elsewhere/c.py"


def _both_ways(folder: Path, root: Path, **kwargs):
    """``discover_folder_and_root`` against the two walks it stands for."""
    one_walk = discovery.discover_folder_and_root(str(folder), str(root), exclude_root=str(root), **kwargs)
    two = discover([str(folder)], root=str(root), **kwargs), discover([str(root)], root=str(root), **kwargs)
    return one_walk, two


def test_a_sub_folder_and_its_project_from_one_walk_are_the_two_walks(tmp_path):
    (tmp_path / ".git").mkdir()
    make(tmp_path, "manage.py", "shop/views.py", "shop/generated.py", "shop/sub/a.py", "shop/sub/gen/b.py", "shop/build/c.py", "other/models.py", "shop/vendor/d.py")
    (tmp_path / ".gitignore").write_text("shop/generated.py\n")
    (tmp_path / "shop" / "sub" / ".gitignore").write_text("gen/\n")
    for kwargs in ({}, {"respect_gitignore": False}, {"exclude": ["vendor/"]}):
        one_walk, (folder_walk, root_walk) = _both_ways(tmp_path / "shop", tmp_path, **kwargs)
        assert one_walk is not None, kwargs
        assert one_walk[0].files == folder_walk.files and one_walk[0].unreadable == folder_walk.unreadable, kwargs
        assert one_walk[1].files == root_walk.files and one_walk[1].complete == root_walk.complete, kwargs
    assert "shop/vendor/d.py" not in [Path(os.path.relpath(f, tmp_path)).as_posix() for f in _both_ways(tmp_path / "shop", tmp_path, exclude=["vendor/"])[0][0].files]


def test_one_walk_is_not_used_where_it_could_differ_from_two(tmp_path):
    make(tmp_path, "shop/views.py", "ignored/a.py", "outside/x.py")
    # Outside a repository a walk reads no .gitignore above its top: the
    # folder's walk would keep what the root's .gitignore drops.
    (tmp_path / ".gitignore").write_text("views.py\n")
    one_walk, (folder_walk, _root_walk) = _both_ways(tmp_path / "shop", tmp_path)
    assert one_walk is None and [os.path.basename(f) for f in folder_walk.files] == ["views.py"]
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("ignored/\n")
    assert _both_ways(tmp_path / "shop", tmp_path)[0] is not None
    # The folder itself ignored from the root: named, it is still walked.
    assert _both_ways(tmp_path / "ignored", tmp_path)[0] is None
    assert _both_ways(tmp_path / "shop", tmp_path, exclude=["shop"])[0] is None
    # A link anywhere in the tree: a walk follows only links into its own top.
    make(tmp_path, "zz_outside/y.py")
    os.symlink(tmp_path / "zz_outside", tmp_path / "shop" / "linked")
    one_walk, (folder_walk, root_walk) = _both_ways(tmp_path / "shop", tmp_path)
    under_shop = [f for f in root_walk.files if f.startswith(str(tmp_path / "shop") + os.sep)]
    assert one_walk is None and under_shop != folder_walk.files  # the root's walk follows the link
    # Not a folder inside the root.
    assert discovery.discover_folder_and_root(str(tmp_path), str(tmp_path / "shop")) is None


@pytest.mark.parametrize(
    ("extra", "gitignore", "exclude", "complete"),
    [
        # Nothing a module could be named after is passed over.
        ((), "*.pyc\n", (), True),
        (("app/__pycache__/stale.py", ".venv/lib/site.py", "node-modules/x.py", "docs.egg-info/y.py"), "*.pyc\n", (), True),
        (("app/local_settings.py",), "app/local_settings.py\n", (), False),
        (("generated/models.py",), "generated/\n", (), False),
        (("build/lib.py",), "", (), False),
        (("generated/models.py",), "", ("generated/",), False),
    ],
    ids=["plain", "unnamable", "ignored-module", "ignored-package", "skipped-folder", "excluded"],
)
def test_a_walk_says_whether_it_passed_over_a_module_the_index_could_import(tmp_path, extra, gitignore, exclude, complete):
    """``complete``: every file a module could be named after was walked
    (coroutine_names.py relies on it); what no import can name does not count."""
    (tmp_path / ".git").mkdir()
    make(tmp_path, "app/views.py", *extra)
    (tmp_path / ".gitignore").write_text(gitignore)
    assert discover([str(tmp_path)], exclude=exclude, root=str(tmp_path)).complete is complete


def test_a_link_out_of_the_tree_leaves_the_walk_incomplete(tmp_path):
    make(tmp_path / "tree", "app/views.py")
    make(tmp_path / "outside", "lib.py")
    assert discover([str(tmp_path / "tree")]).complete
    os.symlink(tmp_path / "outside", tmp_path / "tree" / "linked")
    assert not discover([str(tmp_path / "tree")]).complete


# A .gitignore as projects write them (GitHub's Python template and more):
# directory patterns, anchored ones, ``**``, classes, escapes, negations.
GITIGNORE_LINES = (
    """
# Byte-compiled / optimized / DLL files
__pycache__/
*.py[cod]
*$py.class
*.so
.Python
build/
develop-eggs/
/dist/
downloads/
eggs/
.eggs/
lib/
lib64/
parts/
sdist/
var/
wheels/
*.egg-info/
.installed.cfg
*.egg
MANIFEST
pip-log.txt
htmlcov/
.tox/
.coverage
.coverage.*
.cache
nosetests.xml
coverage.xml
*.cover
.hypothesis/
.pytest_cache/
*.mo
*.pot
local_settings.py
db.sqlite3
instance/
.webassets-cache
.scrapy
docs/_build/
target/
.ipynb_checkpoints
.python-version
celerybeat-schedule
*.sage.py
.env
.venv
env/
venv/
ENV/
/site
.mypy_cache/
**/migrations/generated_*.py
src/**/tmp
!lib/keep_me.py
!build/
\\#notes.py
foo[0-9]?.py
""".splitlines()
    + ["  trailing_space.py  "]
)


def test_the_ignore_union_answers_as_pathspec(tmp_path):
    """``IgnoreSpec`` tells a path no pattern matches by one regular
    expression; every answer equals pathspec's own, for files and folders
    of this repository and for paths made to hit each pattern."""
    import pathspec

    from async_lint.discovery import IgnoreSpec

    ours = IgnoreSpec(GITIGNORE_LINES)
    assert ours._union is not None  # the fast path is the one tested
    plain = pathspec.GitIgnoreSpec.from_lines(GITIGNORE_LINES)
    root = Path(__file__).parent.parent
    paths = [p.relative_to(root).as_posix() + ("/" if p.is_dir() else "") for folder in ("async_lint", "tests", "examples", "rules", "bench") for p in (root / folder).rglob("*")]
    made = [
        "a/__pycache__/",
        "x.pyc",
        "x.pyo",
        "a/b/c.so",
        "build/",
        "a/build/",
        "dist/",
        "a/dist/",
        "lib/keep_me.py",
        "lib/other.py",
        "app/migrations/generated_1.py",
        "app/migrations/0001.py",
        "src/a/b/tmp",
        "src/tmp",
        "#notes.py",
        "foo1.py",
        "foo12.py",
        "trailing_space.py",
        "db.sqlite3",
        "a/.coverage.x",
        "docs/_build/",
        "site",
        "a/site",
        ".env",
        "a.egg-info/",
        "x.sage.py",
    ]
    checked = 0
    for path in [*paths, *made]:
        assert ours.include_of(path) == plain.check_file(path).include, path
        assert ours.match_file(path) == plain.match_file(path), path
        checked += 1
    assert checked > 100 and any(ours.include_of(p) for p in made) and any(ours.include_of(p) is False for p in made)
