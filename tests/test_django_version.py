"""Target Django version: the lowest the project's declarations allow."""

from __future__ import annotations

from pathlib import Path

import pytest

from async_lint.django_version import DeclarationError, detect_django_version, django_declaration, lowest_allowed


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
        # Pre-releases and post-releases (ephes/django_async pins "3.1b1").
        ("3.1b1", (3, 1)),
        ("==3.2rc1", (3, 2)),
        (">=3.1a1,<3.2", (3, 1)),
        ("==4.2.post1", (4, 2)),
        (">=5.0.dev0", (5, 0)),
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


def test_a_sub_project_declares_what_a_repository_root_does_not(tmp_path: Path):
    """A repository whose Django project sits in a sub-folder, linted from
    its root: the sub-folder's declaration, not the newest Django (whose
    twins the project may not have)."""
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "pyproject.toml").write_text('[tool.poetry.dependencies]\nDjango = "^3.2.11"\n')
    (tmp_path / "frontend").mkdir()
    (tmp_path / "frontend" / "package.json").write_text("{}")
    assert detect_django_version([str(tmp_path)]) == (3, 2)
    # The lowest of several sub-projects; a root declaring only tools does not stop the search.
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    (tmp_path / "services" / "api").mkdir(parents=True)
    (tmp_path / "services" / "api" / "requirements.txt").write_text("Django==4.2.7\n")
    assert django_declaration([str(tmp_path)]) == ((3, 2), tmp_path / "backend" / "pyproject.toml")
    # Virtualenvs and hidden folders hold other projects' declarations.
    (tmp_path / "backend" / "pyproject.toml").write_text('[tool.poetry.dependencies]\nDjango = "^5.0"\n')
    for folder in (".venv/lib", "node_modules/pkg"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "requirements.txt").write_text("Django==2.2\n")
    assert detect_django_version([str(tmp_path)]) == (4, 2)


def test_a_file_named_looks_only_upwards(tmp_path: Path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements.txt").write_text("Django==3.2\n")
    (tmp_path / "tool.py").write_text("")
    assert detect_django_version([str(tmp_path / "tool.py")]) is None
    assert detect_django_version([str(tmp_path / "app" / "views.py")]) == (3, 2)


def test_a_sub_folder_that_cannot_be_read_is_passed_over(tmp_path: Path):
    """A project template's ``pyproject.toml`` is not TOML until rendered:
    below the folder named it is not the project's own, so it neither stops
    the run nor counts."""
    template = tmp_path / "{{cookiecutter.project_slug}}"
    template.mkdir()
    (template / "pyproject.toml").write_text('[project]\n{%- if cookiecutter.use_celery %}\ndependencies = ["Django==4.2"]\n')
    assert detect_django_version([str(tmp_path)]) is None
    (tmp_path / "pyproject.toml").write_text("[project\n")
    with pytest.raises(DeclarationError):
        detect_django_version([str(tmp_path)])


def test_a_utf16_requirements_file_is_read(tmp_path: Path):
    """PowerShell's ``pip freeze > requirements.txt`` writes UTF-16 with a
    byte-order mark: read as UTF-8 it declared nothing, and the target fell
    back to the newest Django (whose twins the project may not have)."""
    (tmp_path / "requirements.txt").write_bytes("asgiref==3.4.1\r\nDjango==3.2.6\r\n".encode("utf-16"))
    assert detect_django_version([str(tmp_path)]) == (3, 2)
    (tmp_path / "requirements.txt").write_bytes("\ufeffDjango==4.1\n".encode("utf-8"))
    assert detect_django_version([str(tmp_path)]) == (4, 1)


def test_a_target_before_the_async_safety_guard_says_the_loop_blocks(tmp_path: Path) -> None:
    """Before Django 3.0 the ORM has no async-safety guard: a query in async
    code blocks the loop, and the message says so (not that it raises)."""
    from tests.cli_helpers import run_cli, write_tree

    models = "from django.db import models\n\n\nclass Chat(models.Model):\n    title = models.CharField(max_length=50)\n"
    consumer = "from chats.models import Chat\n\n\nasync def open_chat(pk):\n    return Chat.objects.get(pk=pk)\n"
    for pin, blocks in (("Django==2.2.18", True), ("Django==3.0", False), ("Django>=4.2", False)):
        folder = tmp_path / pin.replace("=", "_").replace(">", "_")
        write_tree(folder, {"requirements.txt": pin + "\n", "chats/__init__.py": "", "chats/models.py": models, "chats/consumers.py": consumer})
        (found,) = [line for line in run_cli(["--no-cache", "--select", "DJA201", "--format", "concise", str(folder)]).stdout.splitlines() if ": DJA201 " in line]
        assert ("it blocks the event loop; Django 3.0 and later raise SynchronousOnlyOperation" in found) is blocks, found
        assert ("(SynchronousOnlyOperation in async code)" in found) is not blocks


@pytest.mark.parametrize(
    "message,expected",
    [
        (
            "`x.get()` runs a query synchronously (SynchronousOnlyOperation in async code); use y",
            "`x.get()` runs a query synchronously (it blocks the event loop; Django 3.0 and later raise SynchronousOnlyOperation in async code); use y",
        ),
        (
            "evaluating it later in async code raises SynchronousOnlyOperation; evaluate it",
            "evaluating it later in async code blocks the event loop (Django 3.0 and later raise SynchronousOnlyOperation); evaluate it",
        ),
        ("`time.sleep()` blocks the event loop", "`time.sleep()` blocks the event loop"),
    ],
)
def test_without_async_safety(message: str, expected: str) -> None:
    from async_lint.django_version import without_async_safety

    assert without_async_safety(message) == expected
