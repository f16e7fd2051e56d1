"""The facts a light pass records from CPython's tree (``ClassShapes``'
class bases of view, mixin and middleware classes) are made by the model
table's first round for the files it parses anyway (most such files: on
wagtail 5.5 of the 5.6 MB the light pass parsed), so that their light pass
parses nothing: the same records, the same findings."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

from async_lint import file_analysis, project_models
from async_lint.engine import Workspace, run
from async_lint.file_analysis import FileTask, _light_result, light_fact_records
from async_lint.project import ModuleNamer
from async_lint.project_models import project_model_table
from async_lint.source import decode_source
from tests.helpers import FIXTURES, django_source, make_settings

SETTINGS = make_settings()
EXAMPLES = Path(__file__).parent.parent / "examples"


def _plain(records) -> list[dict]:
    return json.loads(json.dumps(records, sort_keys=True))


def _light_pass_records(path: Path, module: str, is_package: bool) -> list[dict] | None:
    """What the light pass records for the file itself (None: it gets a full pass or cannot be read)."""
    data = path.read_bytes()
    try:
        source = decode_source(str(path), data)
    except Exception:  # noqa: BLE001 - not text: no light pass either
        return None
    if file_analysis._needs_full_pass(source.text, SETTINGS):
        return None
    result = _light_result(FileTask(str(path), data, module, is_package, False, False), source.text, SETTINGS, False)
    return _plain(result.facts) if result is not None else None


def _made_ahead(path: Path, module: str, is_package: bool) -> list[dict] | None:
    text = path.read_bytes().decode("utf-8", "replace")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    found = light_fact_records(str(path), text, module, is_package, SETTINGS, tree)
    return None if found is None else _plain(found)


def _files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*.py"))


def test_the_records_made_ahead_are_the_light_pass_records() -> None:
    """On every file of the fixtures, the example project and Django's
    views, middleware and contrib apps: where records are made ahead, they
    are the light pass's own (and never for a file the light pass would not
    read, or would read as another text)."""
    root = django_source()
    paths = [*_files(FIXTURES, EXAMPLES), *(p for part in ("views", "middleware", "contrib") for p in _files(root / part))]
    made = 0
    for path in paths:
        module, package = "app." + path.stem, path.name == "__init__.py"
        ahead = _made_ahead(path, module, package)
        if ahead is None:
            continue
        made += 1
        assert ahead == _light_pass_records(path, module, package), path
    assert made > 40


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a BOM", b"\xef\xbb\xbfclass Home(View):\n    pass\n"),
        ("latin-1", b"# -*- coding: latin-1 -*-\nclass Caf\xe9View(View):\n    pass\n"),
        ("async code", b"class Home(View):\n    async def get(self, request):\n        pass\n"),
        ("no view class", b"class Home:\n    pass\n"),
    ],
)
def test_no_records_are_made_ahead_where_the_light_pass_reads_another_text_or_none(name: str, data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    assert tree is None or light_fact_records("views.py", text, "app.views", False, SETTINGS, tree) is None


REAL_PARSE = file_analysis.python_parse


def _noting_parse(text: str):
    import os

    with open(os.environ["ASYNC_LINT_TEST_PARSED"], "a", encoding="utf-8") as fh:
        fh.write(text + "\n\0\n")
    return REAL_PARSE(text)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(EXAMPLES, root)
    (root / "pyproject.toml").touch()
    # A view module with no async code of its own: light, with class bases to record.
    (root / "shop" / "listing.py").write_text(
        "from django.db import models\nfrom django.views.generic import ListView\n\nfrom shop.models import Order\n\n\nclass OrderList(ListView):\n    model = Order\n"
    )
    return root


def test_the_table_makes_them_and_the_light_pass_parses_nothing_with_the_same_findings(tmp_path: Path, monkeypatch) -> None:
    root = _copy(tmp_path)
    made: dict = {}
    project_model_table(str(root), make_settings(jobs=2), ModuleNamer(str(root)), processes=False, light_facts=made)
    listing = str(root / "shop" / "listing.py")
    assert listing in made and made[listing][0] == (root / "shop" / "listing.py").read_bytes()
    assert [r["kind"] for r in made[listing][1]] == ["structure.class_bases"]
    parsed = tmp_path / "parsed"
    monkeypatch.setenv("ASYNC_LINT_TEST_PARSED", str(parsed))
    # Forked workers inherit the patch: each text the analysis parses with CPython's parser is noted.
    monkeypatch.setattr(file_analysis, "python_parse", _noting_parse)
    project_models.forget_made_skeletons()  # the run's own table makes them, as in a new process
    found = run([str(root)], make_settings(jobs=1)).findings
    assert "class OrderList(ListView)" not in parsed.read_text()
    # The same findings where the light pass makes them itself.
    monkeypatch.setattr(file_analysis, "light_fact_records", lambda *args: None)
    project_models.forget_made_skeletons()  # as in a new process: no light facts made by the runs above
    parsed.unlink()
    assert run([str(root)], make_settings(jobs=1)).findings == found
    assert "class OrderList(ListView)" in parsed.read_text()


def test_records_made_for_other_bytes_are_not_used(tmp_path: Path) -> None:
    """The table read the file before the analysis did: a file changed in
    between is read again by its light pass."""
    root = _copy(tmp_path)
    listing = root / "shop" / "listing.py"
    workspace = Workspace(str(root), make_settings(), use_cache=False)
    analyzer = workspace.analyzer
    analyzer.light_facts = {str(listing): (b"class Other(View):\n    pass\n", [{"kind": "structure.class_bases", "module": "x", "classes": []}])}
    workspace.lint([str(listing)])
    facts = analyzer.results[str(listing)].facts
    assert [f["kind"] for f in facts] == ["structure.class_bases"] and facts[0]["module"] == "shop.listing"
