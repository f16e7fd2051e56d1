"""A run over a whole project is kept whole in the cache (run_memo.py): the
next run that finds the same files, contents, settings and installed
modules reports the kept findings, in every format exactly as a run that
analyses them, and any of those inputs changing is a new run."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from async_lint import engine
from async_lint.cli import main_command
from async_lint.engine import run
from async_lint.formats import FORMATS
from tests.helpers import make_settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

VENDOR_MODELS = """\
from django.db import models


class PendingQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(paid=False)


class Order(models.Model):
    paid = models.BooleanField(default=False)
    shipping = PendingQuerySet.as_manager()
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def vendored_project(root: Path) -> Path:
    """A project whose findings depend on an app installed in its own
    virtualenv (the model table reads the app's models from there)."""
    write(
        root,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/models.py": "from django.db import models\n\n\nclass Note(models.Model):\n    text = models.TextField()\n",
            "app/views.py": "from vendorshop.models import Order\n\n\nasync def pending_count(request):\n    return Order.shipping.count()\n",
            ".venv/pyvenv.cfg": "home = /usr/bin\n",
            ".venv/lib/python3.11/site-packages/vendorshop/__init__.py": "",
            ".venv/lib/python3.11/site-packages/vendorshop/models.py": VENDOR_MODELS,
        },
    )
    return root


class Served:
    """Counts the runs that analysed their files (not served whole)."""

    def __init__(self, monkeypatch):
        self.analysed = 0
        real = engine._lint_targets

        def counting(*args, **kwargs):
            self.analysed += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(engine, "_lint_targets", counting)


def rows(result) -> list[tuple]:
    return [(f.path, f.line, f.column, f.code, f.message) for f in result.findings]


def test_a_kept_run_reports_in_every_format_what_an_analysed_run_does(tmp_path: Path, monkeypatch) -> None:
    project = shutil.copytree(EXAMPLES, tmp_path / "examples")
    (project / "pyproject.toml").write_text("")
    served = Served(monkeypatch)
    monkeypatch.chdir(tmp_path)
    cache = str(tmp_path / "cache")

    def lint(output_format: str, *cache_args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main_command, ["--format", output_format, *cache_args, "examples"], catch_exceptions=False)
        return result.exit_code, result.output

    analysed = {fmt: lint(fmt, "--no-cache") for fmt in FORMATS}
    assert analysed["concise"][0] == 1 and "DJA401" in analysed["concise"][1]
    lint("concise", "--cache-dir", cache)  # fills the cache
    served.analysed = 0
    for fmt in FORMATS:
        assert lint(fmt, "--cache-dir", cache) == analysed[fmt], fmt
    assert served.analysed == 0
    assert len(list(Path(cache).rglob("run-*.json"))) == 1


def test_anything_the_run_read_changing_makes_a_new_run(tmp_path: Path, monkeypatch) -> None:
    project = vendored_project(tmp_path / "project")
    served = Served(monkeypatch)
    cache = str(tmp_path / "cache")
    settings = make_settings(root=str(project))

    def kept_and_fresh(settings=settings) -> tuple[list, list]:
        kept = run([str(project)], settings, cache_dir=cache, use_cache=True)
        before = served.analysed
        again = run([str(project)], settings, cache_dir=cache, use_cache=True)
        assert served.analysed == before, "the second run is served whole"
        fresh = run([str(project)], settings)
        assert rows(kept) == rows(again)
        return rows(kept), rows(fresh)

    kept, fresh = kept_and_fresh()
    assert kept == fresh and [row[3] for row in kept] == ["DJA201"]
    # The installed app the model table read no longer has the manager.
    installed = project / ".venv/lib/python3.11/site-packages/vendorshop/models.py"
    installed.write_text(VENDOR_MODELS.replace("shipping = PendingQuerySet.as_manager()", "shipping = None"))
    kept, fresh = kept_and_fresh()
    assert kept == fresh == []
    installed.write_text(VENDOR_MODELS)
    kept, fresh = kept_and_fresh()
    assert [row[3] for row in kept] == ["DJA201"]
    # A file edited, added, removed.
    views = project / "app/views.py"
    views.write_text(views.read_text() + "\n\nasync def first(request):\n    return Order.objects.first()\n")
    kept, fresh = kept_and_fresh()
    assert kept == fresh and [row[3] for row in kept] == ["DJA201", "DJA201"]
    write(project, {"app/tasks.py": "import time\n\n\nasync def nap():\n    time.sleep(1)\n"})
    kept, fresh = kept_and_fresh()
    assert kept == fresh and [row[3] for row in kept] == ["DJA101", "DJA201", "DJA201"]
    (project / "app/tasks.py").unlink()
    kept, fresh = kept_and_fresh()
    assert kept == fresh and len(kept) == 2
    # The tests' pytest configuration setting DJANGO_ALLOW_ASYNC_UNSAFE (pytest-env), and unsetting it.
    write(project, {"app/tests/__init__.py": "", "app/tests/test_views.py": "from vendorshop.models import Order\n\n\nasync def test_count():\n    assert Order.shipping.count()\n"})
    kept, fresh = kept_and_fresh()
    assert kept == fresh and [row[3] for row in kept] == ["DJA201", "DJA201", "DJA201"]
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\nenv = ["DJANGO_ALLOW_ASYNC_UNSAFE=true"]\n')
    kept, fresh = kept_and_fresh()
    assert kept == fresh and [row[3] for row in kept] == ["DJA201", "DJA201"]
    (project / "pyproject.toml").write_text("")
    kept, fresh = kept_and_fresh()
    assert kept == fresh and len(kept) == 3
    shutil.rmtree(project / "app/tests")
    # One run is kept per project, paths and settings: the last.
    assert len(list(Path(cache).rglob("run-*.json"))) == 1
    # Other settings.
    only_blocking = make_settings(select=["DJA1"], root=str(project))
    kept, fresh = kept_and_fresh(only_blocking)
    assert kept == fresh == []


@pytest.mark.parametrize("case", ["sub-folder", "gitignored module", "stdin text"])
def test_a_run_that_cannot_vouch_for_what_it_read_is_not_kept(tmp_path: Path, case: str) -> None:
    project = vendored_project(tmp_path / "project")
    settings = make_settings(root=str(project))
    cache = tmp_path / "cache"
    paths, texts = [str(project)], None
    if case == "sub-folder":
        # Modules outside the folder named may be read (or looked for) by the index.
        write(project, {"lib/__init__.py": "", "lib/net.py": "import requests\n\n\ndef fetch():\n    return requests.get('https://example.com')\n"})
        paths = [str(project / "app")]
    elif case == "gitignored module":
        (project / ".git").mkdir()
        (project / ".gitignore").write_text("app/local.py\n")
        (project / "app/local.py").write_text("import time\n")
    else:
        texts = {str(project / "app/views.py"): b"async def view(request):\n    pass\n"}
    run(paths, settings, cache_dir=str(cache), use_cache=True, texts=texts)
    assert list(cache.rglob("run-*.json")) == []
