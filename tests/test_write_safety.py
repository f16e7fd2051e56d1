"""async-lint never writes where the user did not ask: the cache only in a
folder it made (a cache-dir naming ".", a source folder would get a
`.gitignore` of `*`, so new files vanish from `git status`), and a report or
baseline never over a file being linted."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import BLOCKING_VIEW, installed, write_tree


def _project(tmp_path: Path, config: str = "") -> Path:
    return write_tree(tmp_path, {"pyproject.toml": f"[tool.async-lint]\n{config}", "src/views.py": BLOCKING_VIEW, "src/README": "notes\n"})


def test_cache_dir_dot_in_the_config_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    root = _project(tmp_path, 'cache-dir = "."\n')
    before = sorted(p.name for p in root.iterdir())
    done = installed(".", cwd=root)
    assert done.returncode == 2, done.stderr
    assert "cache-dir" in done.stderr and "--no-cache" in done.stderr
    assert sorted(p.name for p in root.iterdir()) == before
    assert not (root / ".gitignore").exists()


def test_cache_dir_naming_a_source_folder_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = sorted(p.name for p in (root / "src").iterdir())
    done = installed(".", "--cache-dir", "src", cwd=root)
    assert done.returncode == 2, done.stderr
    assert sorted(p.name for p in (root / "src").iterdir()) == before


def test_cache_dir_naming_a_file_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    done = installed(".", "--cache-dir", "src/README", cwd=root)
    assert done.returncode == 2, done.stderr
    assert (root / "src" / "README").read_text() == "notes\n"


def test_a_new_cache_folder_is_tagged_and_reused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    first = installed(".", "--cache-dir", "cache", cwd=root)
    assert first.returncode == 1, first.stderr
    assert (root / "cache" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    second = installed(".", "--cache-dir", "cache", cwd=root)
    assert second.returncode == 1, second.stderr
    assert second.stdout == first.stdout


def test_an_empty_folder_is_adopted(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "empty").mkdir()
    done = installed(".", "--cache-dir", "empty", cwd=root)
    assert done.returncode == 1, done.stderr
    assert (root / "empty" / "CACHEDIR.TAG").exists()


def test_a_report_over_a_linted_file_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    views = root / "src" / "views.py"
    for args in (["-o", "src/views.py", "src/views.py"], ["--write-baseline", "src/views.py", "src/views.py"], ["-o", "src/views.py", "."]):
        done = installed(*args, cwd=root)
        assert done.returncode == 2, (args, done.stderr)
        assert "being linted" in done.stderr
        assert views.read_text() == BLOCKING_VIEW
    report = installed("-o", "report.txt", "src/views.py", cwd=root)
    assert report.returncode == 1 and "DJA101" in (root / "report.txt").read_text()


LOOP_VIEW = """\
from shop.models import Post


async def view(request):
    for post in Post.objects.all():
        print(post)
    return [post for post in Post.objects.all()]
"""


def test_async_for_over_a_queryset_is_written_only_from_django_4_1(tmp_path: Path) -> None:
    # Django 4.0's QuerySet has no __aiter__: `async for` over it is a TypeError.
    root = write_tree(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "shop"\ndependencies = ["Django>=4.0,<4.1"]\n',
            "shop/__init__.py": "",
            "shop/models.py": "from django.db import models\n\n\nclass Post(models.Model):\n    title = models.CharField(max_length=9)\n",
            "shop/views.py": LOOP_VIEW,
        },
    )
    fixed = installed("--fix", ".", cwd=root)
    assert (root / "shop" / "views.py").read_text() == LOOP_VIEW, fixed.stderr
    assert fixed.stdout.count("DJA202") == 2 and "needs Django 4.1" in fixed.stdout
    on_41 = installed("--fix", "--django-version", "4.1", ".", cwd=root)
    assert on_41.returncode == 0, on_41.stdout + on_41.stderr
    text = (root / "shop" / "views.py").read_text()
    assert "async for post in Post.objects.all():" in text and "[post async for post in Post.objects.all()]" in text
