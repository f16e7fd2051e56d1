"""The DJA2xx rules (and DJA401 chains through model instances) against a
real Django: every bad example raises
SynchronousOnlyOperation (or runs an unguarded sync API on the event loop),
every good one runs cleanly, and the linter flags exactly the bad ones.

The examples are the DJA2 catalog's and ``examples.toml``'s; Django runs once
per session in a subprocess (runner.py) so its settings stay private."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from async_lint import _toml
from async_lint.catalog import catalog
from tests.django_runtime import twin_examples
from tests.helpers import lint_paths, lint_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FAILING = ("SynchronousOnlyOperation", "AsyncToSync-in-loop", "blocking:")


def _examples() -> list[tuple[str, str, str]]:
    """(id, expected code or "", module source)."""
    out = []
    for rule in catalog().values():
        if not rule.orm:
            continue
        out += [(f"{rule.code}-catalog-bad{i}", rule.code, src) for i, src in enumerate(rule.bad)]
        out += [(f"{rule.code}-catalog-good{i}", "", src) for i, src in enumerate(rule.good)]
    with (HERE / "examples.toml").open("rb") as fh:
        table = _toml.load(fh)["example"]
    out += [(e["id"], e["code"], e["source"]) for e in table]
    PROJECT_EXAMPLES.update(e["id"] for e in table if e.get("project"))
    # One for every row of the twin table: each sync name is proven here.
    out += twin_examples.runtime_examples()
    SELECTED.update((e["id"], e["select"]) for e in table if "select" in e)
    return out


# Examples whose models live in another module: linted inside the example project.
PROJECT_EXAMPLES: set[str] = set()
# The rules the linter runs on an example, where not the DJA2 family.
SELECTED: dict[str, list[str]] = {}
EXAMPLES = _examples()


@pytest.fixture(scope="session")
def outcomes() -> dict[str, str]:
    payload = json.dumps([{"id": i, "source": src} for i, _, src in EXAMPLES])
    done = subprocess.run([sys.executable, "-m", "tests.django_runtime.runner"], input=payload, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("example_id,code,source", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_django_agrees_with_the_example(outcomes, example_id: str, code: str, source: str) -> None:
    outcome = outcomes[example_id]
    if code:
        assert outcome.startswith(FAILING), f"{example_id}: expected Django to refuse or block, got {outcome}"
    else:
        assert outcome == "ok", f"{example_id}: good example failed: {outcome}"


@pytest.mark.parametrize("example_id,code,source", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_linter_flags_exactly_the_bad_examples(example_id: str, code: str, source: str, tmp_path: Path) -> None:
    select = SELECTED.get(example_id, ["DJA2"])
    if example_id in PROJECT_EXAMPLES:
        found = _lint_in_project(source, tmp_path, select)
    else:
        found = {f.code for f in lint_text(source, dedent=False, select=select)}
    assert found == ({code} if code else set()), f"{example_id}: expected {code or 'nothing'}, linter found {sorted(found)}"


def _lint_in_project(source: str, root: Path, select: list[str]) -> set[str]:
    """The example as ``shop/example.py`` next to the example project's models."""
    shop = root / "shop"
    shop.mkdir()
    for name in ("__init__.py", "models.py"):
        shutil.copy(ROOT / "examples" / "shop" / name, shop / name)
    (shop / "example.py").write_text(source, encoding="utf-8")
    return {f.code for f in lint_paths([root], select=select) if f.path.endswith("example.py")}
