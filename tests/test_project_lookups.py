"""The project lookups the main process makes for every file of a run, kept
so that each is made once: module names by package folder, module files
under many import roots, and the files whose text a project-wide check asks
for.  Each equals the plain lookup it replaces, written out below."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from async_lint.checks.django_structure_atomic import FACT_TEXT
from async_lint.project import ModuleLocator, ModuleNamer, ProjectFiles
from tests.helpers import make_settings


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


LAYOUT = {
    "manage.py": "",
    "shop/__init__.py": "",
    "shop/models.py": "",
    "shop/orders/__init__.py": "",
    "shop/orders/views.py": "urlpatterns = []\n",
    "shop/orders/deep/__init__.py": "",
    "shop/orders/deep/x.py": "",
    "shop/loose/a.py": "",  # a folder without __init__.py inside a package
    "shop/loose/inner/__init__.py": "",
    "shop/loose/inner/b.py": "DATABASES = {}\n",
    "scripts/run.py": "",
    "src/lib/__init__.py": "",
    "src/lib/util.py": "ROOT_URLCONF = 'x'\n",
    "src/lib/util/__init__.py": "",  # a module and a package of one name
    "apps/__init__.py": "",
    "apps/manage.py": "",
    "apps/orgs/__init__.py": "",
    "apps/orgs/mixins.py": "# myurlpatterns, not the word\n",
    "shop.py": "",  # a file named as the package folder beside it
}


def reference_module_name(path: str, root: str) -> tuple[str, bool]:
    path = os.path.abspath(path)
    folder, filename = os.path.split(path)
    stem = filename[:-3] if filename.endswith(".py") else filename
    is_package = stem == "__init__"
    parts = [] if is_package else [stem]

    def is_package_folder(folder: str) -> bool:
        return os.path.isfile(os.path.join(folder, "__init__.py"))

    if not is_package_folder(folder):
        # A folder below the root inside a package: a namespace package of it.
        above = folder
        while above.startswith(root + os.sep):
            parts.append(os.path.basename(above))
            above = os.path.dirname(above)
            if is_package_folder(above):
                folder = above
                break
        else:
            del parts[1:]
    while is_package_folder(folder):
        parts.append(os.path.basename(folder))
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return ".".join(reversed(parts)) or stem, is_package


def test_module_names_by_package_folder_equal_the_walk_up(tmp_path):
    write(tmp_path, LAYOUT)
    namer = ModuleNamer(str(tmp_path))
    paths = sorted(str(p) for p in tmp_path.rglob("*.py"))
    assert len(paths) == len(LAYOUT)
    for _ in range(2):
        for path in paths:
            assert namer.module_name(path) == reference_module_name(path, str(tmp_path)), path
    assert namer.module_name(str(tmp_path / "shop/orders/deep/x.py")) == ("shop.orders.deep.x", False)
    assert namer.module_name(str(tmp_path / "shop/loose/inner/b.py")) == ("inner.b", False)
    # A module in a folder without __init__.py inside a package: in a namespace package of it.
    assert namer.module_name(str(tmp_path / "shop/loose/a.py")) == ("shop.loose.a", False)
    assert "a" in namer.aliases(str(tmp_path / "shop/loose/a.py"))


def reference_locate(namer: ModuleNamer, roots: list[str], module: str) -> list[str]:
    found = []
    parts = module.split(".")
    if all(part.isidentifier() for part in parts):
        for root in dict.fromkeys(roots):
            base = os.path.join(root, *parts)
            for candidate in (base + ".py", os.path.join(base, "__init__.py")):
                if os.path.isfile(candidate) and (namer.module_name(candidate)[0] == module or module in namer.aliases(candidate)):
                    found.append(candidate)
                    break
    return found


def test_module_files_under_many_import_roots_equal_the_plain_search(tmp_path):
    write(tmp_path, LAYOUT)
    (tmp_path / "linked").symlink_to(tmp_path / "shop", target_is_directory=True)
    namer = ModuleNamer(str(tmp_path))
    roots = [str(tmp_path), str(tmp_path / "src"), str(tmp_path / "apps"), str(tmp_path / "shop" / "loose"), str(tmp_path / "missing"), str(tmp_path / "shop.py")]
    locator = ModuleLocator(namer, roots, lambda path: False)
    modules = {reference_module_name(str(p), str(tmp_path))[0] for p in tmp_path.rglob("*.py")}
    modules |= {"shop.nothing", "nothing.at.all", "linked.models", "orgs.mixins", "inner.b", "shop.models.x", "lib.util", "a", "not-a-name.x", "shop"}
    for module in sorted(modules):
        assert list(locator.get(module)) == reference_locate(namer, roots, module), module
        assert (module in locator) == bool(reference_locate(namer, roots, module))


@pytest.mark.parametrize(
    "pattern",
    [FACT_TEXT, re.compile(rb"(?i)databases"), re.compile(rb"\burlpatterns\b"), re.compile(rb"ROOT_(?:URLCONF|X)")],
    ids=["fact-text", "no-words", "word", "group"],
)
def test_files_matching_equals_searching_every_file_each_time(tmp_path, pattern):
    write(tmp_path, LAYOUT)
    analysed: set[str] = set()
    namer = ModuleNamer(str(tmp_path))
    project = ProjectFiles(str(tmp_path), ModuleLocator(namer, [str(tmp_path)], lambda path: False), make_settings(), lambda path: path in analysed)

    def reference() -> list[str]:
        return [path for path in project.unanalysed() if pattern.search(Path(path).read_bytes())]

    first = project.files_matching(pattern)
    assert first == reference()
    assert first  # each pattern finds some file here
    # A later round: fewer files left unanalysed, the same answers for them.
    analysed.update(first[:1])
    assert project.files_matching(pattern) == reference()


# -- pytest's pythonpath ------------------------------------------------------------------------
def test_pytest_pythonpath_is_read_from_the_first_configuration_pytest_reads(tmp_path):
    from async_lint.project import pytest_pythonpath_folders

    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["src", "bot"]\n')
    assert pytest_pythonpath_folders(str(tmp_path)) == [str(tmp_path / "src"), str(tmp_path / "bot")]
    # pytest.ini comes first, even without the option.
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -q\n")
    assert pytest_pythonpath_folders(str(tmp_path)) == []
    (tmp_path / "pytest.ini").unlink()
    # A pyproject.toml without pytest's table is passed over, as pytest does.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\npythonpath = . apps\n")
    assert pytest_pythonpath_folders(str(tmp_path)) == [str(tmp_path), str(tmp_path / "apps")]
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = x\n")
    assert pytest_pythonpath_folders(str(tmp_path)) == []
