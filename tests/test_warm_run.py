"""What a warm run (nothing changed, the cache filled) still pays: no module
skeleton is built again, the installed apps' included, and libcst is not
imported at all (lazy_libcst.py), while a run that gives a file a full pass
does import it, once: before its workers start, or in the workers started
early for a few files (file_pool.start_early_workers); and what other runs
are spared: libcst where no file needs a full pass, libcst's matchers, a
second walk of the project."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from async_lint import project_models
from async_lint.analysis import model_table
from async_lint.engine import run
from tests.helpers import FIXTURES, make_settings

PROJECT = FIXTURES / "dja4_project"


def test_a_warm_run_builds_no_skeleton_of_a_project_or_installed_module(tmp_path: Path, monkeypatch) -> None:
    project = shutil.copytree(PROJECT, tmp_path / "project")
    cache = str(tmp_path / "cache")
    built: list[str] = []
    real_build = project_models.build_skeleton

    def counting(text, module, is_package, *args, **kwargs):
        built.append(module)
        return real_build(text, module, is_package, *args, **kwargs)

    monkeypatch.setattr(project_models, "build_skeleton", counting)
    monkeypatch.setattr(model_table, "build_skeleton", counting)
    # As in a new process each time: none made by an earlier run of this one.
    project_models.forget_made_skeletons()
    cold = run([str(project)], make_settings(), cache_dir=cache, use_cache=True)
    assert any(module.startswith("django.contrib.") for module in built), built
    built.clear()
    project_models.forget_made_skeletons()
    warm = run([str(project)], make_settings(), cache_dir=cache, use_cache=True)
    assert built == []
    assert [(f.path, f.line, f.code) for f in warm.findings] == [(f.path, f.line, f.code) for f in cold.findings]


WARM_RUN = """
import json, sys
from async_lint import file_pool
from async_lint.cli import main
sys.argv = ["async-lint", "--format", "json", "--exit-zero", *sys.argv[1:]]
started = []
real_start = file_pool.start_early_workers
file_pool.start_early_workers = lambda *args: started.extend(real_start(*args)) or started[:]
import async_lint.engine
async_lint.engine.start_early_workers = file_pool.start_early_workers
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith("libcst"))), file=sys.stderr)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("pathspec", "tempfile", "multiprocessing"))), file=sys.stderr)
# libcst imported here, or in workers started early (which import it first).
print(json.dumps(len(started)), file=sys.stderr)
"""


def imports_libcst(modules: list[str], early: int) -> bool:
    return "libcst" in modules or early > 0


def test_a_warm_run_does_not_import_libcst(tmp_path: Path) -> None:
    project = shutil.copytree(PROJECT, tmp_path / "project")
    cache = str(tmp_path / "cache")

    others: list[list[str]] = []

    def lint() -> tuple[list, list[str], int]:
        proc = subprocess.run([sys.executable, "-c", WARM_RUN, "--cache-dir", cache, str(project)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
        *_, libcst_modules, other_modules, early = proc.stderr.strip().splitlines()
        others.append(json.loads(other_modules))
        return json.loads(proc.stdout), json.loads(libcst_modules), json.loads(early)

    cold_findings, cold_modules, cold_early = lint()
    warm_findings, warm_modules, warm_early = lint()
    assert warm_findings == cold_findings and warm_findings
    assert imports_libcst(cold_modules, cold_early)
    assert warm_modules == [] and warm_early == 0
    # Kept whole (run_memo.py): no worker, nothing written, and with no
    # .gitignore or exclude in the tree no pattern matcher either.
    assert "multiprocessing" in others[0] and others[1] == []
    # One file changed: it is analysed (with libcst), the others are served.
    views = next(p for p in sorted(project.rglob("*.py")) if "async def" in p.read_text())
    views.write_text(views.read_text() + "\n# edited\n")
    edited_findings, edited_modules, edited_early = lint()
    assert edited_findings == cold_findings
    assert imports_libcst(edited_modules, edited_early)


def test_modules_bound_to_lazy_libcst_get_libcst_itself_once_it_is_used() -> None:
    """After the first use, a module's ``cst`` is libcst (no stand-in left
    on the analysis's hot paths), whoever imported libcst first."""
    code = """
import sys
from async_lint import walk, summary
from async_lint.analysis import context
assert "libcst" not in sys.modules
stand_in = walk.cst
assert type(stand_in).__name__ == "_StandIn"
import libcst
assert walk.cst is stand_in  # imported directly: the stand-in stays until used
node = walk.cst.Name("x")  # first use through a stand-in: every module gets libcst
assert walk.cst is libcst and summary.cst is libcst and context.cst is libcst
from async_lint import positions
assert positions.cst is libcst  # a module imported after: libcst directly
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "ok", proc.stderr


def test_a_cold_run_whose_files_need_no_full_pass_does_not_import_libcst(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (tmp_path / "project" / "pyproject.toml").write_text("")
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "utils.py").write_text("import time\n\n\ndef wait():\n    time.sleep(1)\n")

    def lint() -> tuple[list[str], int]:
        proc = subprocess.run([sys.executable, "-c", WARM_RUN, "--no-cache", str(project)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert json.loads(proc.stdout) == [], proc.stderr
        lines = proc.stderr.strip().splitlines()
        return json.loads(lines[-3]), json.loads(lines[-1])  # the libcst modules, the workers started early

    assert lint() == ([], 0)
    # A file with async code gets a full pass: libcst is imported, in the
    # worker started early for this project of three files.
    (project / "app" / "views.py").write_text("import time\n\n\nasync def view(request):\n    return 1\n")
    modules, early = lint()
    assert imports_libcst(modules, early) and early == 1


ROUTER_MODULE = """
from django.db.utils import ConnectionRouter
from rest_framework.routers import DefaultRouter

from app.views import OrderViewSet

router = ConnectionRouter()
api = DefaultRouter()
api.register("orders", OrderViewSet)
router.register("not-a-route")
"""


def test_router_registrations_are_read_without_libcst_matchers() -> None:
    """A module-level ``*Router()`` (Django's own ``router = ConnectionRouter()``)
    no longer imports libcst's matchers (a quarter of a second a worker)."""
    code = f"""
import sys
from async_lint.file_analysis import analyze_source
from async_lint.source import decode_source
from tests.helpers import make_settings
result = analyze_source("app/urls.py", decode_source("app/urls.py", {ROUTER_MODULE!r}.encode()), make_settings(), module_name="app.urls")
print(sorted(r["target"] for r in result.facts if r.get("kind") == "UrlRoute" or "target" in r))
print("libcst.matchers" in sys.modules)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert proc.stdout.split("\n")[:2] == ["['app.views.OrderViewSet']", "False"], proc.stderr


def test_a_run_naming_a_sub_folder_walks_the_project_once(tmp_path: Path, monkeypatch) -> None:
    """The sub-folder's files and the project's (for the model table) come
    from one walk, with the findings of two."""
    from async_lint import discovery, engine

    project = shutil.copytree(PROJECT, tmp_path / "project")
    (project / ".git").mkdir()
    (project / "pyproject.toml").write_text("")
    folder = next(p for p in sorted(project.iterdir()) if p.is_dir() and any(p.rglob("*.py")) and p.name != ".git")
    two = run([str(folder)], make_settings(root=str(project)))
    walks: list[str] = []
    real_walk = discovery._Walker.walk

    def counting(self, top, ignores):
        walks.append(top)
        return real_walk(self, top, ignores)

    monkeypatch.setattr(discovery._Walker, "walk", counting)
    monkeypatch.setattr(engine, "discover_folder_and_root", lambda *args, **kwargs: None)
    run([str(folder)], make_settings(root=str(project)))
    assert walks == [str(folder), str(project)]
    monkeypatch.undo()
    monkeypatch.setattr(discovery._Walker, "walk", counting)
    walks.clear()
    one = run([str(folder)], make_settings(root=str(project)))
    assert walks == [str(project)]
    assert [(f.path, f.line, f.code, f.message) for f in one.findings] == [(f.path, f.line, f.code, f.message) for f in two.findings] and one.findings
