"""The re-exports read from the project's texts (analysis/reexports.py)."""

from __future__ import annotations

import os
import tempfile
import textwrap

from async_lint.analysis.reexports import ReexportScan


def scan(modules: dict[str, str], packages: frozenset[str] = frozenset(), keep=None) -> dict[str, str]:
    """The table of these modules' texts, each written to a file (read again
    for the names a module binds itself); ``keep``: project names kept too."""
    found = ReexportScan()
    with tempfile.TemporaryDirectory() as folder:
        for module, text in modules.items():
            path = os.path.join(folder, f"{module}.py")
            text = textwrap.dedent(text)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            found.add(text, module, module in packages, path)
        return found.table(keep=keep)


def test_a_name_imported_from_a_module_that_imports_it_from_outside() -> None:
    table = scan(
        {
            "app.services": """
                from django.shortcuts import (
                    get_object_or_404,  # the shortcut
                    render as draw,
                )
                from time import sleep
            """,
            "app.views": "from app.services import get_object_or_404, draw\n",
        },
        packages=frozenset({"app.services"}),
    )
    # ``sleep`` is imported from app.services by no module: not kept.
    assert table == {"app.services.get_object_or_404": "django.shortcuts.get_object_or_404", "app.services.draw": "django.shortcuts.render"}


def test_chains_through_project_modules_and_relative_imports() -> None:
    table = scan(
        {
            "app.lib": "from .lib_impl import fetch\n",
            "app.lib_impl": "from requests import get as fetch\n",
            "app.views": "import app.lib\nfrom app.lib import fetch\n",
        },
    )
    # app.lib imports fetch from app.lib_impl, the views from app.lib: both are kept.
    assert table == {"app.lib.fetch": "requests.get", "app.lib_impl.fetch": "requests.get"}


def test_every_name_of_a_star_imported_module() -> None:
    table = scan({"app.api": "from json import dumps, loads\n", "app.views": "from app.api import *\n"})
    assert table == {"app.api.dumps": "json.dumps", "app.api.loads": "json.loads"}


def test_what_is_not_a_re_export() -> None:
    table = scan(
        {
            "app.compat": """
                from django.shortcuts import get_object_or_404, redirect
                try:
                    from fastjson import dumps
                except ImportError:
                    from json import dumps

                async def get_object_or_404(model, **kw):
                    return await model.objects.aget(**kw)

                redirect = None

                def helper():
                    from os import path
                    return path
            """,
            "app.views": "from app.compat import get_object_or_404, redirect, dumps, path, helper\n",
            "app.own": "def defined_here():\n    return 1\n",
            "app.more": "from app.own import defined_here\n",
            "app.user": "from app.more import defined_here\n",
        }
    )
    # Rebound by a def or an assignment, imported in try/except or in a
    # function, or defined in the project: none is read as an outside name.
    assert table == {}


def test_an_import_spelled_in_a_string_or_after_code_on_a_line() -> None:
    table = scan({"app.a": 'x = 1; from os import path\nDOC = """\nfrom os import sep\n"""\n', "app.b": "from app.a import path, sep\n"})
    # Only statements at a line's start are read (a docstring's line is one, harmlessly).
    assert table == {"app.a.sep": "os.sep"}


def test_a_project_model_re_exported_by_another_module_of_the_project() -> None:
    """A chain that ends at a project name is kept only where ``keep``
    accepts it (the model table's models): ``from app.services import
    Category`` is the model; a class the service module defines itself, and
    a helper re-exported from the project, are the project index's."""
    modules = {
        "app.models": "from django.db import models\n\n\nclass Category(models.Model):\n    pass\n",
        "app.services": "from app.models import Category\nfrom app.helpers import slugify\n\n\nclass Receipt:\n    pass\n",
        "app.api": "from app.services import *\n",
        "app.views": "from app.services import Category, Receipt, slugify\n",
        "app.helpers": "def slugify(text):\n    return text\n",
    }
    models = {"app.models.Category"}
    assert scan(modules, keep=models.__contains__) == {"app.services.Category": "app.models.Category"}
    assert scan(modules) == {}
