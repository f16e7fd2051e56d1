"""Target Django version: the lowest the project's declarations allow."""

from __future__ import annotations

from pathlib import Path

import pytest

from async_lint.django_version import detect_django_version, lowest_allowed


@pytest.mark.parametrize(
    "spec,expected",
    [
        (">=4.2,<5.0", (4, 2)),
        ("==4.1.7", (4, 1)),
        ("~=5.0", (5, 0)),
        ("^4.2", (4, 2)),
        ("<5", None),
        ("*", None),
        (">=3.2, !=4.0.*, <6", (3, 2)),
    ],
)
def test_lowest_allowed(spec, expected):
    assert lowest_allowed(spec) == expected


def test_pyproject_project_dependencies(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["django-environ>=0.9", "Django>=4.1,<4.3"]\n')
    (tmp_path / "app").mkdir()
    assert detect_django_version([str(tmp_path / "app")]) == (4, 1)


def test_poetry_and_requirements(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.poetry.dependencies]\npython = "^3.11"\ndjango = {version = "^5.0", extras = ["argon2"]}\n')
    assert detect_django_version([str(tmp_path)]) == (5, 0)
    other = tmp_path / "other"
    (other / "requirements").mkdir(parents=True)
    (other / "requirements" / "base.txt").write_text("# pinned\nDjango==4.2.11 ; python_version >= '3.8'\n")
    (other / "setup.py").write_text("")
    assert detect_django_version([str(other)]) == (4, 2)


def test_setup_cfg_and_pipfile(tmp_path: Path):
    (tmp_path / "setup.cfg").write_text("[options]\ninstall_requires =\n    requests\n    Django>=3.2\n")
    assert detect_django_version([str(tmp_path)]) == (3, 2)
    pip = tmp_path / "pip"
    pip.mkdir()
    (pip / "Pipfile").write_text('[packages]\ndjango = "~=4.1"\n')
    assert detect_django_version([str(pip)]) == (4, 1)


def test_nothing_declared_means_newest(tmp_path: Path):
    (tmp_path / "requirements.txt").write_text("requests\n")
    assert detect_django_version([str(tmp_path)]) is None


def test_other_distributions_named_django_something_are_not_django(tmp_path: Path):
    (tmp_path / "requirements.txt").write_text("djangorestframework == 3.17.1\ndjangoql == 0.18\ndjango-filter == 25.2\ndjango.contrib == 1\n")
    assert detect_django_version([str(tmp_path)]) is None
    (tmp_path / "requirements.txt").write_text("djangorestframework == 3.17.1\nDjango == 5.1.4\n")
    assert detect_django_version([str(tmp_path)]) == (5, 1)


def test_dependency_groups_and_setup_py(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[dependency-groups]\ndev = [{include-group = "test"}, "django>=4.2,<6"]\ntest = ["pytest"]\n')
    assert detect_django_version([str(tmp_path)]) == (4, 2)
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "setup.py").write_text('from setuptools import setup\n\nsetup(name="x", install_requires=["requests", "Django>=3.2,<5"], extras_require={"pg": ["psycopg2"]})\n')
    assert detect_django_version([str(legacy)]) == (3, 2)
