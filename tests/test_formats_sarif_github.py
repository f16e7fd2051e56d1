"""SARIF 2.1.0 (validated against the official schema) and GitHub Actions
workflow-command output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from async_lint.catalog import catalog
from async_lint.findings import Finding
from async_lint.formats import github, sarif
from tests.cli_helpers import BLOCKING_VIEW, run_cli, write_tree

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repository whose Django project lives in a sub-folder."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write_tree(
        tmp_path,
        {
            "backend/pyproject.toml": "[tool.async-lint]\n",
            "backend/shop/views.py": BLOCKING_VIEW,
            "backend/shop/broken.py": "async def view(request:\n    pass\n",
            "backend/shop/é dir/v,1.py": BLOCKING_VIEW,
        },
    )
    monkeypatch.chdir(tmp_path / "backend")
    return tmp_path


def test_sarif_validates_against_the_schema_and_points_into_the_repository(repo):
    result = run_cli(["shop", "--format", "sarif"])
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)

    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(catalog())
    sleep = rules[[r["id"] for r in rules].index("DJA101")]
    assert sleep["name"] == "blocking-sleep"
    assert sleep["defaultConfiguration"] == {"level": "warning"}
    assert sleep["shortDescription"]["text"] and sleep["fullDescription"]["text"] and sleep["helpUri"].startswith("https://")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"

    results = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in run["results"]}
    assert set(results) == {"backend/shop/views.py", "backend/shop/broken.py", "backend/shop/%C3%A9%20dir/v%2C1.py"}
    blocking = results["backend/shop/views.py"]
    assert blocking["ruleId"] == "DJA101" and rules[blocking["ruleIndex"]]["id"] == "DJA101"
    assert blocking["level"] == "warning"
    assert "time.sleep()" in blocking["message"]["text"]
    location = blocking["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert location["region"] == {"startLine": 5, "startColumn": 5, "endLine": 5, "endColumn": 18}
    assert results["backend/shop/broken.py"]["level"] == "error"
    # The same line in two files: different fingerprints.
    prints = {r["partialFingerprints"]["asyncLintFingerprint/v1"] for r in run["results"]}
    assert len(prints) == 3


def test_sarif_for_a_clean_run_and_for_info_level(tmp_path):
    info = Finding(str(tmp_path / "a.py"), "DJA101", "m", 1, 1, 1, 2, "info")
    outside = Finding("/elsewhere/b.py", "DJA101", "m", 2, 1, 2, 2, "warning")
    for findings in ([], [info, outside]):
        log = sarif.sarif_log(findings, str(tmp_path))
        jsonschema.Draft4Validator(SCHEMA).validate(log)
    levels = [r["level"] for r in log["runs"][0]["results"]]
    assert levels == ["note", "warning"]
    assert log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "file:///elsewhere/b.py"}


def test_sarif_to_an_output_file(repo):
    result = run_cli(["shop/views.py", "--format", "sarif", "-o", "out.sarif"])
    assert result.exit_code == 1 and result.stdout == ""
    jsonschema.Draft4Validator(SCHEMA).validate(json.loads((repo / "backend" / "out.sarif").read_text()))


def test_github_annotations(repo):
    result = run_cli(["shop", "--format", "github"])
    assert result.exit_code == 1
    broken, *rest = result.stdout.splitlines()
    assert broken.startswith("::error file=backend/shop/broken.py,line=")
    assert ",title=DJA000::Cannot analyse this file: syntax error: " in broken
    assert rest == [
        "::warning file=backend/shop/views.py,line=5,col=5,endLine=5,endColumn=18,title=DJA101::`time.sleep()` blocks the event loop; use `await asyncio.sleep(...)`",
        "::warning file=backend/shop/é dir/v%2C1.py,line=5,col=5,endLine=5,endColumn=18,title=DJA101::`time.sleep()` blocks the event loop; use `await asyncio.sleep(...)`",
    ]


def test_github_escaping_and_levels(tmp_path):
    finding = Finding(str(tmp_path / "a:b,c.py"), "DJA101", "100% sure\r\nsecond line: a, b", 3, 4, 5, 6, "info")
    line = github.annotation(finding, str(tmp_path))
    # A finding's message is one line (issue 15): its line break is already a space.
    assert line == "::notice file=a%3Ab%2Cc.py,line=3,col=4,endLine=5,endColumn=6,title=DJA101::100%25 sure second line: a, b"
    assert github.escape_data("100% sure\r\nsecond line") == "100%25 sure%0D%0Asecond line"
    error = Finding(str(tmp_path / "x.py"), "DJA000", "m", 1, 1, 1, 1, "error")
    assert github.annotation(error, str(tmp_path)).startswith("::error ")
    assert github.escape_property("50%") == "50%25"


def test_machine_formats_print_nothing_but_the_report(repo):
    for fmt in ("sarif", "github", "json"):
        result = run_cli(["shop/views.py", "--format", fmt])
        assert result.stderr == "", fmt
