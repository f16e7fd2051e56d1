"""Which caches the project's settings make local (no I/O): DJA207 is quiet
on those, and on the cache calls helpers make there (DJA401 chains)."""

from __future__ import annotations

from pathlib import Path

import pytest

from async_lint.analysis.cache_config import local_cache_aliases
from tests.cli_helpers import write_tree
from tests.helpers import lint_paths

LOCMEM = '{"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}'
REDIS = '{"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://r"}'
DUMMY = '{"BACKEND": "django.core.cache.backends.dummy.DummyCache"}'


@pytest.mark.parametrize(
    ("texts", "has_settings", "expected"),
    [
        # No CACHES anywhere: Django's default LocMemCache, if the settings are in the tree.
        ([], True, ("*",)),
        ([], False, None),
        (["# CACHES is left to Django's default\n"], True, ("*",)),
        ([f"CACHES = {{'default': {LOCMEM}, 'null': {DUMMY}}}\n"], True, ("*",)),
        # No settings of the project's own (a library): its users' caches are unknown.
        ([f"CACHES = {{'default': {LOCMEM}}}\n"], False, None),
        ([f"CACHES = {{'default': {LOCMEM}, 'shared': {REDIS}}}\n"], True, ("default",)),
        # A local base overridden by production settings: not local.
        ([f"CACHES = {{'default': {LOCMEM}}}\n", f"from .base import *\nCACHES = {{'default': {REDIS}}}\n"], True, ()),
        # Tests overriding the settings count as one more definition.
        ([f"CACHES = {{'default': {LOCMEM}}}\n", f"@override_settings(CACHES={{'default': {REDIS}}})\nclass T: pass\n"], True, ()),
        ([f"settings.configure(**{{'CACHES': {{'default': {LOCMEM}}}}})\n"], True, ("*",)),
        # What this cannot read: nothing is known.
        (["CACHES = {'default': env.cache()}\n"], True, None),
        (["CACHES = {'default': {'BACKEND': env('CACHE_BACKEND')}}\n"], True, None),
        ([f"CACHES = {{'default': {LOCMEM}}}\nCACHES['default']['BACKEND'] = 'x'\n"], True, None),
        (["CACHES = {'default': {**BASE, 'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}\n"], True, None),
        (["from shared.settings import CACHES\n"], True, None),
        ([f"class Dev(Configuration):\n    CACHES = {{'default': {LOCMEM}}}\n"], True, None),
        (["settings.CACHES = {}\n"], True, None),
        (["CACHES = (\n"], True, None),
    ],
)
def test_local_cache_aliases(texts: list[str], has_settings: bool, expected) -> None:
    assert local_cache_aliases(texts, has_settings) == expected


VIEWS = """\
from django.core.cache import cache

def remember(key):
    cache.set(key, 1)

async def view(request):
    remember("k")
    return cache.get("k")
"""


def _project(tmp_path: Path, settings: str, extra: dict[str, str] | None = None) -> Path:
    return write_tree(
        tmp_path / "site",
        {
            "pyproject.toml": '[project]\nname = "site"\nversion = "1"\n',
            "config/__init__.py": "",
            "config/settings.py": settings,
            "app/__init__.py": "",
            "app/views.py": VIEWS,
            **(extra or {}),
        },
    )


def test_a_project_without_caches_setting_gets_no_cache_finding(tmp_path: Path) -> None:
    project = _project(tmp_path, 'INSTALLED_APPS = ["app"]\n')
    assert lint_paths([project]) == []
    # The same run on the view alone (a pre-commit hook's) reads the settings too.
    assert lint_paths([project / "app" / "views.py"]) == []


def test_settings_of_another_package_leave_the_caches_unknown(tmp_path: Path) -> None:
    project = _project(tmp_path, 'from shared.settings import *\nINSTALLED_APPS = ["app"]\n')
    assert sorted((f.code, f.line) for f in lint_paths([project])) == [("DJA207", 8), ("DJA401", 7)]


def test_a_network_cache_in_the_settings_is_reported(tmp_path: Path) -> None:
    project = _project(tmp_path, f'INSTALLED_APPS = ["app"]\nCACHES = {{"default": {REDIS}}}\n')
    assert sorted((f.code, f.line) for f in lint_paths([project])) == [("DJA207", 8), ("DJA401", 7)]


def test_editing_the_settings_changes_the_findings_of_a_warm_run(tmp_path: Path) -> None:
    from async_lint.engine import run
    from tests.helpers import make_settings

    project = _project(tmp_path, 'INSTALLED_APPS = ["app"]\n')
    cache_dir = str(tmp_path / "cache")
    first = run([str(project)], make_settings(), cache_dir=cache_dir, use_cache=True)
    assert first.findings == []
    (project / "config" / "settings.py").write_text(f'INSTALLED_APPS = ["app"]\nCACHES = {{"default": {REDIS}}}\n')
    second = run([str(project)], make_settings(), cache_dir=cache_dir, use_cache=True)
    assert sorted((f.code, f.line) for f in second.findings) == [("DJA207", 8), ("DJA401", 7)]


@pytest.mark.parametrize(
    ("relative", "sample"),
    [
        ("tests/settings.py", True),
        ("python/example/testproject/settings.py", True),
        ("src/app/test_views.py", True),
        ("app/tests.py", True),
        ("docs/conf.py", True),
        ("config/settings.py", False),
        ("mysite/settings/production.py", False),
        ("testimonials/settings.py", False),
    ],
)
def test_sample_paths(relative: str, sample: bool) -> None:
    from async_lint.analysis.cache_config import is_sample_path

    assert is_sample_path(relative) is sample


def test_a_library_with_only_test_settings_keeps_its_cache_findings(tmp_path: Path) -> None:
    # A library's caches are its users' (its docs even recommend Redis); its
    # test settings (no CACHES: LocMemCache) say nothing of them.
    project = write_tree(
        tmp_path / "lib",
        {
            "pyproject.toml": '[project]\nname = "lib"\nversion = "1"\n',
            "lib/__init__.py": "",
            "lib/revocation.py": VIEWS,
            "tests/__init__.py": "",
            "tests/settings.py": 'INSTALLED_APPS = ["lib"]\n',
        },
    )
    assert sorted((f.code, f.line) for f in lint_paths([project])) == [("DJA207", 8), ("DJA401", 7)]
