"""rules/django_generic_views.toml matches the installed Django, DRF and adrf."""

from __future__ import annotations

import importlib
import inspect

import pytest

from async_lint.catalog import load_table
from tests.structure_runtime import configure_django

TABLE = load_table("django_generic_views")
ROWS = {row["name"]: row for row in TABLE["class"]}
MODULES = sorted({name.rsplit(".", 1)[0] for name in ROWS})


@pytest.fixture(scope="module", autouse=True)
def django_configured():
    configure_django()


def import_dotted(name: str):
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def test_http_method_names_match_django():
    from django.views import View

    assert TABLE["http_method_names"] == View.http_method_names
    # View.view_is_async leaves out exactly "options".
    assert TABLE["excluded_from_async_test"] == ["options"]
    assert 'method != "options"' in inspect.getsource(View.__dict__["view_is_async"].fget)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_row_matches_the_class(name: str):
    row = ROWS[name]
    cls = import_dotted(name)
    for alias in row.get("aliases", ()):
        assert import_dotted(alias) is cls, alias
    names = TABLE["http_method_names"]
    own = {h: cls.__dict__[h] for h in names if h in cls.__dict__}
    assert sorted(row.get("sync_handlers", [])) == sorted(h for h, f in own.items() if not inspect.iscoroutinefunction(f))
    assert sorted(row.get("async_handlers", [])) == sorted(h for h, f in own.items() if inspect.iscoroutinefunction(f))
    assert row["bases"] == [f"{b.__module__}.{b.__qualname__}" for b in cls.__bases__ if b is not object]


@pytest.mark.parametrize("module", MODULES)
def test_every_class_of_the_listed_modules_is_in_the_table(module: str):
    defined = {f"{module}.{name}" for name, value in vars(importlib.import_module(module)).items() if inspect.isclass(value) and value.__module__ == module}
    assert defined <= set(ROWS), sorted(defined - set(ROWS))


def test_linearization_and_handlers_agree_with_python_and_django():
    """The checks' MRO over table classes is Python's, and the handlers they
    derive from it give Django's own ``view_is_async`` for every view."""
    from django.views import View

    from async_lint.checks.django_structure_classes import FrameworkClass, _linearize, view_table

    table = view_table()
    for name in ROWS:
        cls = import_dotted(name)
        order = [e for e in _linearize(table.classes[name], None) if isinstance(e, FrameworkClass)]
        assert [e.name for e in order] == [f"{k.__module__}.{k.__qualname__}" for k in cls.__mro__ if k is not object], name
        if not issubclass(cls, View) or "ViewSetMixin" in {k.__name__ for k in cls.__mro__}:
            continue
        kinds = []
        for handler in table.http_method_names:
            if handler == "options":
                continue
            owner = next((e for e in order if handler in e.sync_handlers | e.async_handlers), None)
            if owner is not None:
                kinds.append(handler in owner.async_handlers)
        assert cls.view_is_async == (bool(kinds) and all(kinds)), name
