"""What a warm run (nothing changed, the cache filled) still pays: no module
skeleton is built again, the installed apps' included, and libcst's matchers
are not imported."""

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
    cold = run([str(project)], make_settings(), cache_dir=cache, use_cache=True)
    assert any(module.startswith("django.contrib.") for module in built), built
    built.clear()
    warm = run([str(project)], make_settings(), cache_dir=cache, use_cache=True)
    assert built == []
    assert [(f.path, f.line, f.code) for f in warm.findings] == [(f.path, f.line, f.code) for f in cold.findings]


WARM_RUN = """
import json, sys
from async_lint.cli import main
sys.argv = ["async-lint", "--format", "json", "--exit-zero", "--cache-dir", sys.argv[1], sys.argv[2]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith("libcst"))), file=sys.stderr)
"""


def test_a_warm_run_does_not_import_libcst_matchers(tmp_path: Path) -> None:
    project = shutil.copytree(PROJECT, tmp_path / "project")
    cache = str(tmp_path / "cache")

    def lint() -> tuple[list, list[str]]:
        proc = subprocess.run([sys.executable, "-c", WARM_RUN, cache, str(project)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
        return json.loads(proc.stdout), json.loads(proc.stderr.strip().splitlines()[-1])

    cold_findings, _ = lint()
    warm_findings, warm_modules = lint()
    assert warm_findings == cold_findings and warm_findings
    assert "libcst.matchers" not in warm_modules
