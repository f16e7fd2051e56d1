"""[tool.async-lint] in pyproject.toml: each key's effect, file < command line,
and an exit-2 error naming the key and the file for every kind of mistake."""

from __future__ import annotations

import os

import pytest

from async_lint.config import ConfigError, Options, build_settings, find_config, load_file
from tests.cli_helpers import BLOCKING_VIEW, finding_lines, run_cli, with_dja105, write_tree  # noqa: F401

pytestmark = pytest.mark.usefixtures("chdir_tmp")


@pytest.fixture
def chdir_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pyproject(tmp_path, body: str, **files: str):
    write_tree(tmp_path, {"pyproject.toml": "[project]\nname = 'shop'\n\n[tool.async-lint]\n" + body, **files})


# -- selection -------------------------------------------------------------------


def test_select_in_file_and_cli_select_overrides_it(tmp_path):
    pyproject(tmp_path, 'select = ["DJA000"]\n', **{"views.py": BLOCKING_VIEW})
    assert run_cli(["."]).exit_code == 0
    result = run_cli([".", "--select", "DJA1"])
    assert result.exit_code == 1
    assert finding_lines(result) == ["views.py:5:5: DJA101"]


def test_ignore_in_file_and_cli_extend_select_reenables(tmp_path):
    pyproject(tmp_path, 'ignore = ["DJA101"]\n', **{"views.py": BLOCKING_VIEW})
    assert run_cli(["."]).exit_code == 0
    assert finding_lines(run_cli([".", "--extend-select", "DJA101"])) == ["views.py:5:5: DJA101"]


def test_extend_select_in_file_adds_to_select(tmp_path):
    pyproject(tmp_path, 'select = ["DJA000"]\nextend-select = ["dja101"]\n', **{"views.py": BLOCKING_VIEW})
    assert finding_lines(run_cli(["."])) == ["views.py:5:5: DJA101"]


def test_cli_ignore_adds_to_file_ignore(tmp_path):
    pyproject(tmp_path, 'ignore = ["DJA000"]\n', **{"views.py": BLOCKING_VIEW, "broken.py": "def f(:\n"})
    assert run_cli(["."]).stdout.count("DJA000") == 0
    assert run_cli([".", "--ignore", "DJA101"]).exit_code == 0


# -- per-file-ignores ------------------------------------------------------------


def test_per_file_ignores_globs(tmp_path):
    pyproject(
        tmp_path,
        '[tool.async-lint.per-file-ignores]\n"tests/**" = ["DJA1"]\n"*_legacy.py" = ["DJA101"]\n"shop/scripts/*.py" = ["DJA000"]\n',
        **{
            "shop/views.py": BLOCKING_VIEW,
            "shop/views_legacy.py": BLOCKING_VIEW,
            "shop/scripts/poll.py": BLOCKING_VIEW,
            "tests/deep/test_views.py": BLOCKING_VIEW,
        },
    )
    # Linted from a sub-folder: patterns stay relative to the config's folder.
    os.chdir(tmp_path / "shop")
    result = run_cli(["."])
    assert finding_lines(result) == ["scripts/poll.py:5:5: DJA101", "views.py:5:5: DJA101"]
    os.chdir(tmp_path)
    assert finding_lines(run_cli(["."])) == ["shop/scripts/poll.py:5:5: DJA101", "shop/views.py:5:5: DJA101"]


# -- files -----------------------------------------------------------------------


def test_exclude_extend_exclude_and_cli_exclude_replaces(tmp_path):
    pyproject(
        tmp_path,
        'exclude = ["legacy/"]\nextend-exclude = ["*_generated.py"]\n',
        **{"app/views.py": BLOCKING_VIEW, "legacy/views.py": BLOCKING_VIEW, "app/api_generated.py": BLOCKING_VIEW},
    )
    assert finding_lines(run_cli(["."])) == ["app/views.py:5:5: DJA101"]
    # --exclude replaces the file's exclude; the file's extend-exclude still applies.
    assert finding_lines(run_cli([".", "--exclude", "app/views.py"])) == ["legacy/views.py:5:5: DJA101"]
    assert finding_lines(run_cli([".", "--extend-exclude", "app/"])) == []


def test_respect_gitignore_false_in_file_and_cli_overrides(tmp_path):
    pyproject(tmp_path, "respect-gitignore = false\n", **{".gitignore": "build_out/\n", "build_out/views.py": BLOCKING_VIEW})
    assert finding_lines(run_cli(["."])) == ["build_out/views.py:5:5: DJA101"]
    assert finding_lines(run_cli([".", "--respect-gitignore"])) == []


def test_nearest_pyproject_with_the_table_wins(tmp_path):
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.async-lint]\nignore = ["DJA101"]\n',
            # A pyproject.toml without [tool.async-lint] is not our config: walk on.
            "svc/pyproject.toml": "[project]\nname = 'svc'\n",
            "svc/app/views.py": BLOCKING_VIEW,
            "other/pyproject.toml": '[tool.async-lint]\nselect = ["DJA101"]\n',
            "other/views.py": BLOCKING_VIEW,
        },
    )
    assert run_cli(["svc/app"]).exit_code == 0
    assert finding_lines(run_cli(["other"])) == ["other/views.py:5:5: DJA101"]
    config = find_config(["svc/app/views.py"])
    assert config.path == str(tmp_path / "pyproject.toml") and config.root == str(tmp_path)


def test_config_option_uses_that_file(tmp_path):
    pyproject(tmp_path, 'ignore = ["DJA101"]\n', **{"views.py": BLOCKING_VIEW})
    write_tree(tmp_path, {"ci/strict.toml": 'select = ["ALL"]\n'})
    assert run_cli(["."]).exit_code == 0
    assert finding_lines(run_cli([".", "--config", "ci/strict.toml"])) == ["views.py:5:5: DJA101"]


# -- analysis knobs ----------------------------------------------------------------


def test_django_version_and_cache_dir_reach_settings(tmp_path):
    pyproject(tmp_path, 'django-version = "4.1"\ncache-dir = ".cache/al"\n')
    os.makedirs(tmp_path / "sub")
    config = find_config(["sub"])
    settings = build_settings(config, Options(), jobs=1)
    assert settings.django_version == (4, 1)
    assert settings.extra["cache_dir"] == str(tmp_path / ".cache" / "al")
    assert settings.root == str(tmp_path)
    cli = Options(django_version=(5, 0), cache_dir=str(tmp_path / "elsewhere"))
    settings = build_settings(config, cli, jobs=1)
    assert settings.django_version == (5, 0)
    assert settings.extra["cache_dir"] == str(tmp_path / "elsewhere")


def test_cli_django_version_is_parsed(tmp_path):
    pyproject(tmp_path, "", **{"views.py": BLOCKING_VIEW})
    assert run_cli([".", "--django-version", "4.2.3"]).exit_code == 1
    bad = run_cli([".", "--django-version", "four"])
    assert bad.exit_code == 2 and "--django-version" in bad.stderr and "'four'" in bad.stderr


def test_extra_blocking_calls_table_reports_dja105_with_the_team_advice(tmp_path, with_dja105):
    pyproject(
        tmp_path,
        '[tool.async-lint.extra-blocking-calls]\n"shop.payments.charge_sync" = "use `shop.payments.charge` (async)"\n"legacy_sdk.*" = "use the v2 async SDK"\n',
        **{
            "shop/views.py": """\
                import legacy_sdk
                from shop.payments import charge_sync as charge


                async def checkout(request):
                    charge(request.POST["amount"])
                    legacy_sdk.upload(b"")


                def sync_checkout(request):
                    charge(1)  # sync code: fine


                async def mentions(request):
                    charge_sync = "shop.payments.charge_sync"  # a string, not a call
                    return charge_sync
            """,
        },
    )
    result = run_cli(["."])
    assert finding_lines(result) == ["shop/views.py:6:5: DJA105", "shop/views.py:7:5: DJA105"]
    assert "`charge()` (`shop.payments.charge_sync`) blocks the event loop; use `shop.payments.charge` (async)" in result.stdout
    assert "use the v2 async SDK" in result.stdout
    # Like any rule, it can be ignored.
    assert run_cli([".", "--ignore", "DJA105"]).exit_code == 0


def test_extra_blocking_calls_list_form(tmp_path, with_dja105):
    pyproject(
        tmp_path,
        'extra-blocking-calls = ["shop.sync_fetch"]\n',
        **{
            "views.py": "from shop import sync_fetch\n\nasync def v(request):\n    sync_fetch()\n",
        },
    )
    result = run_cli(["."])
    assert finding_lines(result) == ["views.py:4:5: DJA105"]
    assert "sync_to_async" in result.stdout and "extra-blocking-calls" in result.stdout


def test_extra_async_contexts_decorators_and_base_classes(tmp_path):
    pyproject(
        tmp_path,
        'extra-async-contexts = ["shop.loop.runs_on_loop", "shop.handlers.LoopHandler"]\n',
        **{
            "shop/views.py": """\
                import time

                from shop.handlers import LoopHandler
                from shop.loop import runs_on_loop
                from shop.other import unrelated


                @runs_on_loop
                def on_message(msg):
                    time.sleep(1)


                class Base(LoopHandler):
                    pass


                class PriceHandler(Base):
                    def handle(self, event):
                        time.sleep(1)
                        def later():
                            time.sleep(1)  # a nested def runs wherever it is called
                        return later


                @unrelated
                def plain(msg):
                    time.sleep(1)


                class Plain:
                    def handle(self, event):
                        time.sleep(1)
            """,
        },
    )
    assert finding_lines(run_cli(["."])) == ["shop/views.py:10:5: DJA101", "shop/views.py:19:9: DJA101"]


# -- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,expected",
    [
        ('selct = ["DJA1"]\n', "unknown key 'selct'"),
        ('select = "DJA1"\n', "select: expected a list of strings, got a string ('DJA1')"),
        ('select = ["DJA999"]\n', "select: unknown rule code or prefix 'DJA999'"),
        ('ignore = ["XYZ"]\n', "ignore: unknown rule code or prefix 'XYZ'"),
        ('extend-select = ["DJA9"]\n', "extend-select: unknown rule code or prefix 'DJA9'"),
        ('exclude = "legacy"\n', "exclude: expected a list of strings"),
        ("extend-exclude = [1]\n", "extend-exclude: expected a list of strings"),
        ('respect-gitignore = "no"\n', "respect-gitignore: expected true or false, got a string ('no')"),
        ("django-version = 4.2\n", 'django-version: expected a string like "4.2", got a number (4.2)'),
        ('django-version = "latest"\n', "django-version: expected MAJOR.MINOR"),
        ("cache-dir = 3\n", "cache-dir: expected a folder path string"),
        ('per-file-ignores = ["tests/*"]\n', "per-file-ignores: expected a table"),
        ('[tool.async-lint.per-file-ignores]\n"tests/*" = ["DJA777"]\n', "per-file-ignores.'tests/*': unknown rule code or prefix 'DJA777'"),
        ('[tool.async-lint.per-file-ignores]\n"tests/*" = "DJA101"\n', "per-file-ignores.'tests/*': expected a list of strings"),
        ('extra-blocking-calls = "mylib.fetch"\n', "extra-blocking-calls: expected a list of dotted names or a table"),
        ('extra-blocking-calls = ["my lib.fetch()"]\n', "extra-blocking-calls: 'my lib.fetch()' is not a dotted name"),
        ('[tool.async-lint.extra-blocking-calls]\n"mylib.fetch" = 1\n', "extra-blocking-calls.'mylib.fetch': expected the advice to show"),
        ('extra-async-contexts = ["@on_loop"]\n', "extra-async-contexts: '@on_loop' is not a dotted name"),
        ("extra-async-contexts = true\n", "extra-async-contexts: expected a list of strings, got a boolean (True)"),
    ],
)
def test_config_errors_name_the_key_and_file(tmp_path, body, expected):
    pyproject(tmp_path, body, **{"views.py": BLOCKING_VIEW})
    result = run_cli(["."])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert str(tmp_path / "pyproject.toml") in result.stderr
    assert result.stdout == ""


def test_invalid_toml_is_an_error_naming_the_file(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[tool.async-lint\nselect = [", "views.py": BLOCKING_VIEW})
    result = run_cli(["."])
    assert result.exit_code == 2
    assert f"{tmp_path / 'pyproject.toml'}: invalid TOML" in result.stderr


def test_an_unreadable_dependency_declaration_says_how_to_skip_it(tmp_path):
    """``optional-dependencies`` as a list (not PEP 621's table): the Django
    target cannot be read from it, and naming the target skips the reading."""
    write_tree(tmp_path, {"pyproject.toml": '[project]\nname = "x"\noptional-dependencies = ["black"]\n', "views.py": BLOCKING_VIEW})
    result = run_cli(["."])
    assert result.exit_code == 2
    assert "[project] optional-dependencies: expected a table" in result.stderr and "`--django-version`" in result.stderr
    result = run_cli([".", "--django-version", "5.1"])
    assert result.exit_code == 1 and "DJA101" in result.stdout


def test_missing_config_file_and_pyproject_without_table(tmp_path):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW, "pyproject.toml": "[project]\nname = 'x'\n"})
    missing = run_cli([".", "--config", "nope.toml"])
    assert missing.exit_code == 2 and "nope.toml: configuration file not found" in missing.stderr
    no_table = run_cli([".", "--config", "pyproject.toml"])
    assert no_table.exit_code == 2 and "no [tool.async-lint] table" in no_table.stderr
    with pytest.raises(ConfigError, match=r"unknown key 'colour'"):
        write_tree(tmp_path, {"a.toml": "colour = 'red'\n"})
        load_file("a.toml")


@pytest.mark.parametrize("flag", ["--select", "--ignore", "--extend-select"])
def test_unknown_code_on_the_command_line(tmp_path, flag):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW})
    result = run_cli([".", flag, "DJA101,DJA42"])
    assert result.exit_code == 2
    assert f"{flag}: unknown rule code or prefix 'DJA42'" in result.stderr
