"""Issue 13: the habits ruff users bring, and output a person can act on:
fixable marks, levels and --fail-level, whole code in messages, chains that
point at files, --explain pages, subcommands, --show-settings, config files,
missing and non-Python paths, the cache folder, ruff's JSON keys."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from async_lint.catalog import catalog
from async_lint.formats.sarif import rule_descriptor
from tests.cli_helpers import BLOCKING_VIEW, run_cli, write_tree

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SCRIPT = Path(sys.executable).with_name("async-lint")
HTTP_VIEW = """\
import requests


async def rates(request):
    return requests.get("https://example.com")
"""
HELPERS = """\
import time


def build_report():
    return fetch_rows()


def fetch_rows():
    time.sleep(1)
"""
CALLER = """\
from shop.services import build_report


async def dashboard(request):
    build_report()
"""
MODELS = """\
from django.db import models


class Order(models.Model):
    total = models.IntegerField()
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with a fixable (DJA101) and an unfixable (DJA102) warning."""
    write_tree(tmp_path, {"pyproject.toml": "[project]\nname = 'shop'\n", "views.py": BLOCKING_VIEW, "api.py": HTTP_VIEW})
    monkeypatch.chdir(tmp_path)
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def installed(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120)


# -- output a person can act on ----------------------------------------------------


def test_fixable_findings_are_marked_and_counted_in_concise_and_rich(project):
    result = run_cli([])
    assert result.exit_code == 1
    assert "views.py:5:5: DJA101 [*] warning: `time.sleep()` blocks the event loop" in result.stdout
    http = next(line for line in result.stdout.splitlines() if "DJA102" in line)
    assert http.startswith("api.py:5:12: DJA102 warning: ") and "[*]" not in http
    assert result.stderr == "Found 2 problems.\n[*] 1 fixable with the --fix option.\n"

    rich = run_cli(["--format", "rich"], env={"NO_COLOR": "1"})
    assert "DJA101 [*] [warning]" in rich.stdout and "DJA102 [warning]" in rich.stdout
    assert rich.stdout.rstrip().endswith("[*] 1 fixable with the --fix option.")


def test_diff_ends_with_would_fix(project):
    result = run_cli(["--diff"])
    assert result.exit_code == 1
    assert "+    await asyncio.sleep(1)" in result.stdout
    assert result.stderr.splitlines()[-1] == "Would fix 1 problem."


def test_statistics_have_fixable_and_level_columns_text_json_and_output_file(project):
    (project / "more.py").write_text(BLOCKING_VIEW.replace("view", "other"))
    text = run_cli(["--statistics"])
    assert text.exit_code == 1
    assert [line.split("\t") for line in text.stdout.splitlines()] == [
        ["    2", "DJA101", "[*]", "warning", "blocking-sleep"],
        ["    1", "DJA102", "[ ]", "warning", "blocking-http-call"],
    ]
    data = json.loads(run_cli(["--statistics", "--output-format", "json"]).stdout)
    assert data[0] == {"code": "DJA101", "name": "blocking-sleep", "count": 2, "fixable": True, "fixable_count": 2, "level": "warning"}
    assert data[1]["fixable"] is False and data[1]["fixable_count"] == 0
    written = run_cli(["--statistics", "--format", "json", "-o", "stats.json"])
    assert written.stdout == "" and json.loads((project / "stats.json").read_text()) == data


def test_fail_level_on_the_command_line_and_in_config(project):
    assert run_cli(["--fail-level", "error"]).exit_code == 0
    assert run_cli(["--fail-level", "warning"]).exit_code == 1
    assert run_cli(["--fail-level", "info"]).exit_code == 1
    (project / "orm.py").write_text(MODELS + "\n\nasync def view(request):\n    return Order.objects.count()\n")
    assert run_cli(["--fail-level", "error"]).exit_code == 1
    (project / "orm.py").unlink()
    (project / "pyproject.toml").write_text('[tool.async-lint]\nfail-level = "error"\n')
    quiet_run = run_cli([])
    assert quiet_run.exit_code == 0 and "DJA101" in quiet_run.stdout  # reported, but does not fail
    assert run_cli(["--fail-level", "warning"]).exit_code == 1  # the flag overrides the file
    (project / "pyproject.toml").write_text('[tool.async-lint]\nfail-level = "fatal"\n')
    bad = run_cli([])
    assert bad.exit_code == 2 and "fail-level: expected one of 'error', 'warning', 'info'" in bad.stderr


LONG_CHAIN = (
    MODELS
    + """

async def latest(request, category):
    return Order.objects.filter(total__gte=100, total__lte=2000).exclude(total=999).order_by("-total").first()
"""
)


def test_messages_never_cut_code_and_the_replacement_can_be_pasted(project):
    (project / "orders.py").write_text(LONG_CHAIN)
    message = json.loads(run_cli(["--format", "json", "--select", "DJA201", "orders.py"]).stdout)[0]["message"]
    receiver = 'Order.objects.filter(total__gte=100, total__lte=2000).exclude(total=999).order_by("-total")'
    assert f"`{receiver}.first()`" in message
    assert f"`await {receiver}.afirst()`" in message
    assert "..." not in message.replace("(...)", "")


def test_rich_help_line_agrees_with_the_message_on_the_target_version(project):
    (project / "save.py").write_text(MODELS + "\n\nasync def view(request):\n    order = Order(total=1)\n    order.save()\n")
    old = run_cli(["--format", "rich", "--django-version", "4.0", "save.py"], env={"NO_COLOR": "1", "COLUMNS": "300"})
    help_line = next(line for line in old.stdout.splitlines() if "help:" in line)
    assert "use `await sync_to_async(order.save)()`" in help_line
    assert "`await instance.asave()`" not in old.stdout  # the rule's generic 4.2 advice is not shown beside it
    new = run_cli(["--format", "rich", "--django-version", "4.2", "save.py"], env={"NO_COLOR": "1", "COLUMNS": "300"})
    assert "help: use `await order.asave()`" in new.stdout


def chain_project(root: Path) -> None:
    write_tree(root, {"proj/pyproject.toml": "[project]\nname = 'p'\n", "proj/shop/__init__.py": "", "proj/shop/services.py": HELPERS, "proj/shop/views.py": CALLER})


def test_dja401_chain_paths_are_relative_to_the_working_folder(tmp_path, monkeypatch):
    chain_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run_cli(["proj", "--select", "DJA401"])
    assert result.stdout.startswith("proj/shop/views.py:5:5: DJA401")
    assert "build_report() -> fetch_rows() -> time.sleep() at proj/shop/services.py:9" in result.stdout


def test_sarif_chain_has_related_locations_and_a_code_flow(tmp_path, monkeypatch):
    chain_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    log = json.loads(run_cli(["proj", "--select", "DJA401", "--format", "sarif"]).stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    (result,) = log["runs"][0]["results"]

    def where(location):
        physical = location["physicalLocation"]
        return physical["artifactLocation"]["uri"].rpartition("/")[2], physical["region"]["startLine"], location["message"]["text"]

    assert [where(loc) for loc in result["relatedLocations"]] == [
        ("services.py", 4, "build_report()"),
        ("services.py", 8, "fetch_rows()"),
        ("services.py", 9, "time.sleep()"),
    ]
    assert [loc["id"] for loc in result["relatedLocations"]] == [1, 2, 3]
    flow = [where(step["location"]) for step in result["codeFlows"][0]["threadFlows"][0]["locations"]]
    assert flow[0][:2] == ("views.py", 5) and flow[1:] == [where(loc) for loc in result["relatedLocations"]]


def test_explain_and_sarif_help_show_each_section_once_with_each_bad_example_beside_its_fix():
    for rule in catalog().values():
        page = run_cli(["rule", rule.code]).stdout
        for text in (page, rule_descriptor(rule)["help"]["markdown"]):
            assert text.count("## What it does") == 1, rule.code
            assert text.count("## Why is this bad?") <= 1, rule.code
            assert "**What it does" not in text and "**Why is this bad?**" not in text, rule.code
        for bad, good in zip(rule.bad, rule.good):
            bad_at, good_at = page.index(bad.strip("\n")), page.index(good.strip("\n"))
            between = page[bad_at:good_at]
            assert bad_at < good_at and "## Example" not in between, rule.code  # its fix comes right after it
    helped = rule_descriptor(catalog()["DJA102"])["help"]["text"]
    assert helped.count("Flags synchronous HTTP calls") == 1 and "**" not in helped


def test_explain_url_is_not_wrapped_on_a_narrow_terminal(tmp_path):
    primary, replica = pty.openpty()
    env = {**os.environ, "COLUMNS": "40", "LINES": "50", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.Popen([str(SCRIPT), "rule", "DJA401"], stdout=replica, stderr=replica, stdin=subprocess.DEVNULL, env=env, cwd=tmp_path)
    os.close(replica)
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(primary)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    assert catalog()["DJA401"].url in screen.replace("\r", "").splitlines()


# -- habits ------------------------------------------------------------------------------


def test_output_format_is_an_alias_of_format_and_json_has_name_and_severity(project):
    items = json.loads(run_cli(["--output-format", "json"]).stdout)
    sleep = next(item for item in items if item["code"] == "DJA101")
    for key in ("cell", "code", "end_location", "filename", "fix", "location", "message", "noqa_row", "url"):
        assert key in sleep  # ruff's keys stay
    assert sleep["name"] == "blocking-sleep" and sleep["severity"] == "warning" and sleep["level"] == "warning"


def test_quiet_prints_only_the_findings_and_verbose_says_what_the_run_uses(project):
    (project / "notes.txt").write_text("hello\n")
    quiet = run_cli(["-q", ".", "notes.txt"])
    assert quiet.exit_code == 1 and quiet.stderr == "" and "DJA101" in quiet.stdout
    verbose = run_cli(["-v"])
    assert "async-lint: django version: newest" in verbose.stderr and "async-lint: cache dir: " in verbose.stderr
    assert "async-lint: 2 files checked" in verbose.stderr
    uncached = run_cli(["-v", "--no-cache"])
    assert "async-lint: cache: off (--no-cache)" in uncached.stderr and "cache dir:" not in uncached.stderr


def test_rule_subcommand_is_explain_and_paths_that_look_like_subcommands(project):
    assert run_cli(["rule", "dja201"]).stdout == run_cli(["--explain", "DJA201"]).stdout
    assert re.search(r"Subcommands:\n +\S*async-lint rule +Explain a rule", run_cli(["--help"]).stdout)
    unknown = run_cli(["rule", "DJA999"])
    assert unknown.exit_code == 2 and "unknown rule code: DJA999" in unknown.stderr
    check = run_cli(["check", "."])
    assert check.exit_code == 2 and "path does not exist: check (async-lint lints the paths it is given: `async-lint .`)" in check.stderr
    assert "views.py:5:5: DJA101" in check.stdout  # the real path is still linted
    rules = run_cli(["rules"])
    assert rules.exit_code == 2 and "did you mean the subcommand `async-lint rule`?" in rules.stderr
    (project / "rule").mkdir()
    (project / "rule" / "DJA201").write_text(BLOCKING_VIEW)  # a path of that name is linted, as always
    as_path = run_cli(["rule", "rule/DJA201"])
    assert as_path.exit_code == 1 and "rule/DJA201:5:5: DJA101" in as_path.stdout


def test_show_settings_names_the_config_the_django_version_and_its_source_rules_and_cache(project):
    (project / "requirements.txt").write_text("Django>=4.1,<5\n")
    (project / "async-lint.toml").write_text('ignore = ["DJA1"]\n')
    result = run_cli(["--show-settings"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"config file: {project / 'async-lint.toml'} (the nearest of .async-lint.toml, async-lint.toml, pyproject.toml)"
    assert "django version: 4.1 (the lowest your dependencies allow, in requirements.txt)" in lines
    enabled = next(line for line in lines if line.startswith("enabled rules"))
    assert "DJA201" in enabled and "DJA101" not in enabled
    assert f"cache dir: {project / '.async_lint_cache'}" in lines
    flagged = run_cli(["--show-settings", "--django-version", "5.0", "--config", "async-lint.toml"]).stdout
    assert "django version: 5.0 (--django-version)" in flagged and "(--config)" in flagged


def test_list_rules_honours_json_and_output_file_and_is_not_cut_when_piped(project):
    piped = installed("--list-rules", cwd=project, env={"COLUMNS": "80"})
    rows = [line.split("\t") for line in piped.stdout.splitlines()[1:]]
    assert [row[0] for row in rows] == list(catalog())
    assert {row[0]: row[4] for row in rows} == {code: " ".join(rule.summary.split()) for code, rule in catalog().items()}
    assert max(len(line) for line in piped.stdout.splitlines()) > 80
    data = json.loads(run_cli(["--list-rules", "--format", "json"]).stdout)
    assert data[1]["code"] == "DJA101" and data[1]["name"] == "blocking-sleep" and data[1]["fixable"] is True
    assert run_cli(["--list-rules", "--format", "json", "-o", "rules.json"]).stdout == ""
    assert json.loads((project / "rules.json").read_text()) == data


def test_config_files_nearest_wins_and_unknown_keys_get_a_suggestion(project):
    write_tree(project, {"pyproject.toml": '[tool.async-lint]\nselect = ["DJA102"]\n', "sub/views.py": BLOCKING_VIEW, "sub/api.py": HTTP_VIEW})
    assert {line.split()[1] for line in run_cli(["sub"]).stdout.splitlines()} == {"DJA102"}
    (project / "sub" / "async-lint.toml").write_text('select = ["DJA101"]\n')
    assert {line.split()[1] for line in run_cli(["sub"]).stdout.splitlines()} == {"DJA101"}
    (project / "sub" / ".async-lint.toml").write_text('select = ["DJA1"]\nignore = ["DJA101"]\n')
    assert {line.split()[1] for line in run_cli(["sub"]).stdout.splitlines()} == {"DJA102"}
    assert f"config file: {project / 'sub' / '.async-lint.toml'}" in run_cli(["--show-settings", "sub"]).stdout
    (project / "sub" / ".async-lint.toml").write_text('selct = ["DJA1"]\n')
    typo = run_cli(["sub"])
    assert typo.exit_code == 2 and "unknown key 'selct' (did you mean 'select'?" in typo.stderr


def test_a_missing_path_is_reported_and_the_rest_are_linted(project):
    result = run_cli(["views.py", "nope.py", "api.py"])
    assert result.exit_code == 2
    assert "async-lint: error: path does not exist: nope.py" in result.stderr
    assert "views.py:5:5: DJA101" in result.stdout and "api.py:5:12: DJA102" in result.stdout


def test_a_named_file_that_is_not_python_is_skipped_with_a_note(project):
    (project / "README.txt").write_text("time.sleep(1) in async def\n")
    (project / "deploy").write_text("#!/bin/sh\necho hi\n")
    (project / "tool").write_text("#!/usr/bin/env python3\n" + BLOCKING_VIEW)
    result = run_cli(["README.txt", "deploy", "tool"])
    assert "DJA000" not in result.stdout
    assert "async-lint: note: skipped README.txt: not a Python file (.txt)" in result.stderr
    assert "async-lint: note: skipped deploy: not a Python script (/bin/sh)" in result.stderr
    assert "tool:6:5: DJA101" in result.stdout and result.exit_code == 1


def django_layout(root: Path) -> None:
    """A repository whose manage.py is a folder down, as Django lays it out."""
    (root / ".git").mkdir()
    write_tree(root, {"src/manage.py": "", "src/shop/__init__.py": "", "src/shop/views.py": BLOCKING_VIEW})


def test_one_cache_folder_per_project_whatever_the_working_folder(tmp_path, monkeypatch):
    django_layout(tmp_path)
    for cwd, args in ((tmp_path, ["src"]), (tmp_path / "src", []), (tmp_path / "src" / "shop", ["."])):
        monkeypatch.chdir(cwd)
        assert run_cli(args).exit_code == 1
    caches = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob(".async_lint_cache"))
    assert caches == [".async_lint_cache"]


def test_clean_removes_the_cache_and_nothing_else(tmp_path, monkeypatch):
    django_layout(tmp_path)
    monkeypatch.chdir(tmp_path / "src" / "shop")
    run_cli([])
    cache = tmp_path / ".async_lint_cache"
    assert cache.is_dir()
    cleaned = run_cli(["clean"])
    assert cleaned.exit_code == 0 and not cache.exists() and f"removed {cache}" in cleaned.stderr
    run_cli([])
    assert cache.is_dir()
    assert run_cli(["--clean-cache"]).exit_code == 0 and not cache.exists()
    assert run_cli(["clean"]).exit_code == 0  # nothing to remove is fine

    precious = tmp_path / "precious"
    write_tree(precious, {"notes.md": "keep me\n", "ab/data.json": "{}"})
    refused = run_cli(["clean", "--cache-dir", str(precious)])
    assert refused.exit_code == 2 and "does not look like an async-lint cache" in refused.stderr
    assert (precious / "notes.md").is_file() and (precious / "ab" / "data.json").is_file()
    (precious / ".gitignore").write_text("# Created by async-lint.\n*\n")
    assert run_cli(["--cache-dir", str(precious), "--clean-cache"]).exit_code == 2  # a foreign file inside: kept
    assert (precious / "notes.md").is_file()
