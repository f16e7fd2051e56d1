"""The names a call may reach a coroutine function by, read from text
(coroutine_names.py): never fewer than CPython's own reading of the same
files finds, however the code is spelled."""

from __future__ import annotations

import ast
from pathlib import Path

import django
import pytest

from async_lint.coroutine_names import CoroutineNames, coroutine_def_names, renames, text_words
from tests.helpers import FIXTURES

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DJANGO = Path(django.__file__).parent
CORPORA = [FIXTURES, EXAMPLES, DJANGO / "core", DJANGO / "contrib" / "auth", DJANGO / "test", DJANGO / "db" / "models", DJANGO / "utils"]


def _decorator_names(node: ast.AST) -> str:
    return " ".join(ast.unparse(decorator) for decorator in getattr(node, "decorator_list", ()))


def _expected(tree: ast.Module) -> tuple[set[str], set[tuple[str, str]]]:
    """What CPython's tree says: the names of ``async def``s and of defs a
    decorator naming ``sync_to_async`` (or what it is imported as) wraps;
    each import's ``as``."""
    pairs = {(alias.name.rpartition(".")[2], alias.asname) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names if alias.asname}
    thread_names = {"sync_to_async"} | {new for old, new in pairs if "sync_to_async" in old}
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.FunctionDef) and any(name in _decorator_names(node) for name in thread_names):
            names.add(node.name)
    return names, pairs


def _files():
    for root in CORPORA:
        yield from sorted(root.rglob("*.py"))


def test_every_coroutine_def_and_import_alias_of_the_corpora_is_read() -> None:
    checked = 0
    for path in _files():
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        names, pairs = _expected(tree)
        assert names <= coroutine_def_names(text), path
        assert pairs <= set(renames(text)), path
        checked += len(names)
    assert checked > 100


TRICKY = """
from asgiref.sync import sync_to_async as to_thread, async_to_sync
from channels.db import database_sync_to_async
import asgiref.sync as sync_module


@database_sync_to_async
def get_user(pk):
    pass


@to_thread(thread_sensitive=False)
def aliased():
    pass


@(
    sync_to_async
)
# a comment between
def parenthesized():
    pass


@sync_module.sync_to_async
def through_module():
    pass


async \\
    def continued():
    pass


async def Mid\u00b7dle():
    pass


@async_to_sync
def not_a_coroutine():
    pass


def plain():
    pass
"""


def test_tricky_spellings() -> None:
    names = coroutine_def_names(TRICKY)
    assert {"get_user", "aliased", "parenthesized", "through_module", "continued", "Mid\u00b7dle"} <= names
    assert not {"not_a_coroutine", "plain"} & names
    assert _expected(ast.parse(TRICKY))[0] <= names


def test_renames_across_lines_and_non_ascii_names() -> None:
    text = "from a import (\n    b as c,\n    Le\u0301af \\\n    as Stem,\n)\nimport x.y as z\nwith open(p) as handle:\n    pass\n"
    assert {("b", "c"), ("Le\u0301af", "Stem"), ("y", "z")} <= set(renames(text))


@pytest.mark.parametrize(
    ("ref", "reaches"),
    [
        ("q:app.api.send", True),  # notify, re-exported as send
        ("q:app.mail.notify", True),
        ("q:app.mail.version", False),
        ("q:app.models.Order", False),  # a class: its __init__ is no coroutine here
        ("s:app.views.Page:notify", True),
        ("S:app.views.Page:render", False),
        ("l:helper", True),  # the module's own: already read
        ("c:app.Client:fetch", True),  # through an object: not decided here
    ],
)
def test_which_calls_may_reach_a_coroutine(ref: str, reaches: bool) -> None:
    names = CoroutineNames(text_words(text) for text in ["async def notify(user):\n    pass\n", "from app.mail import notify as send\n", "def version():\n    return 1\n"])
    assert names.may_reach(ref) is reaches
    # A coroutine __init__ anywhere: a class's call may run one.
    odd = CoroutineNames([text_words("class Odd:\n    async def __init__(self):\n        pass\n")])
    assert odd.may_reach("q:app.models.Order") and not odd.may_reach("s:app.views.Page:render")
