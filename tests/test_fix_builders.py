"""The fix builders, each on source snippets: what they produce, and where they decline."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from async_lint import fixes
from tests.fix_helpers import fix_snippet, is_call_to


def _d(text: str) -> str:
    return textwrap.dedent(text)


def await_f(ctx, call):
    return fixes.await_call(ctx, call)


def sleep_twin(ctx, call):
    return fixes.await_call(ctx, call, "asyncio.sleep")


@pytest.mark.parametrize(
    "before, after",
    [
        ("async def v():\n    f(1)\n", "async def v():\n    await f(1)\n"),
        ("async def v():\n    return f(1).x\n", "async def v():\n    return (await f(1)).x\n"),
        ("async def v():\n    return f(1)[0]\n", "async def v():\n    return (await f(1))[0]\n"),
        ("async def v():\n    return f(1)()\n", "async def v():\n    return (await f(1))()\n"),
        ("async def v():\n    return (f(1))\n", "async def v():\n    return (await f(1))\n"),
        ("async def v():\n    return -f(1) ** 2\n", "async def v():\n    return -await f(1) ** 2\n"),
        ("async def v():\n    return g(f(1), k=f(1))\n", "async def v():\n    return g(await f(1), k=await f(1))\n"),
        ("async def v():\n    return [f(1) for _ in y]\n", "async def v():\n    return [await f(1) for _ in y]\n"),
        # A default value is evaluated by the enclosing async def.
        ("async def v():\n    def g(x=f(1)):\n        pass\n", "async def v():\n    def g(x=await f(1)):\n        pass\n"),
        # An argument of the callable a thread runs is evaluated here, on the loop.
        (
            "from asgiref.sync import sync_to_async\nasync def v():\n    await sync_to_async(g)(f(1))\n",
            "from asgiref.sync import sync_to_async\nasync def v():\n    await sync_to_async(g)(await f(1))\n",
        ),
    ],
)
def test_await_call_wraps_with_the_right_precedence(before, after):
    assert fix_snippet(before, "Call", await_f, where=is_call_to("f")) == after


@pytest.mark.parametrize(
    "source",
    [
        "def v():\n    f(1)\n",  # sync def
        "async def v():\n    g = lambda: f(1)\n",  # lambda body
        "async def v():\n    def g():\n        f(1)\n",  # nested sync def
        "async def v():\n    return list(f(1) for _ in y)\n",  # a generator is lazy
        "async def v():\n    class A:\n        x = f(1)\n",  # class body
        "def v():\n    @f(1)\n    async def g():\n        pass\n",  # decorator runs in the sync def
        "f(1)\n",  # module level
        # The result handed to a thread as its callable: awaited, the thread would get the result.
        "from asgiref.sync import sync_to_async\nasync def v():\n    await sync_to_async(f(1))()\n",
        "from channels.db import database_sync_to_async\nasync def v():\n    await database_sync_to_async(f(1))\n",
        "import asyncio\nasync def v(loop):\n    await loop.run_in_executor(None, f(1))\n",
    ],
)
def test_await_call_declines_where_await_is_not_valid_or_changes_timing(source):
    assert fix_snippet(source, "Call", await_f, where=is_call_to("f")) is None


def test_await_call_keeps_comments_and_layout_inside_the_call():
    before = _d(
        """\
        async def v():
            if True:
                x = f(
                    1,  # one
                    2,
                ).y
        """
    )
    after = _d(
        """\
        async def v():
            if True:
                x = (await f(
                    1,  # one
                    2,
                )).y
        """
    )
    assert fix_snippet(before, "Call", await_f, where=is_call_to("f")) == after


def test_already_awaited_call_only_gets_its_function_replaced():
    before = "import time, asyncio\nasync def v():\n    await time.sleep(1)\n"
    assert fix_snippet(before, "Call", sleep_twin) == "import time, asyncio\nasync def v():\n    await asyncio.sleep(1)\n"
    assert fix_snippet("async def v():\n    await f(1)\n", "Call", await_f) is None


@pytest.mark.parametrize(
    "imports, expected_call",
    [
        ("import asyncio\n", "await asyncio.sleep(1)"),
        ("import asyncio as aio\n", "await aio.sleep(1)"),
        ("from asyncio import sleep\n", "await sleep(1)"),
        ("from asyncio import sleep as nap\n", "await nap(1)"),
        ("import asyncio.subprocess\n", "await asyncio.sleep(1)"),
    ],
)
def test_reference_reuses_the_files_imports_and_aliases(imports, expected_call):
    source = imports + "\n\nasync def v():\n    t(1)\n"
    assert fix_snippet(source, "Call", sleep_twin) == source.replace("t(1)", expected_call)


def test_a_local_name_shadowing_the_import_is_not_used():
    source = _d(
        """\
        from asyncio import sleep


        async def v(sleep):
            t(1)
        """
    )
    fixed = fix_snippet(source, "Call", sleep_twin)
    assert fixed == "import asyncio\n" + source.replace("t(1)", "await asyncio.sleep(1)")


@pytest.mark.parametrize(
    "source",
    [
        "async def v(asyncio):\n    t(1)\n",  # the name to import is a parameter
        "asyncio = None\nasync def v():\n    t(1)\n",  # a module-level assignment
        "from tools import *\nasync def v():\n    t(1)\n",  # a star import could bring anything
        "try:\n    import asyncio\nexcept ImportError:\n    asyncio = None\nasync def v():\n    t(1)\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import asyncio\nasync def v():\n    t(1)\n",
    ],
)
def test_reference_declines_when_no_name_is_certain(source):
    assert fix_snippet(source, "Call", sleep_twin, where=is_call_to("t")) is None


@pytest.mark.parametrize(
    "before, after",
    [
        # no imports at all
        ("async def v():\n    t(1)\n", "import asyncio\n\nasync def v():\n    await asyncio.sleep(1)\n"),
        # a docstring and __future__: after them
        (
            '"""Doc."""\nfrom __future__ import annotations\n\n\nasync def v():\n    t(1)\n',
            '"""Doc."""\nfrom __future__ import annotations\n\nimport asyncio\n\n\nasync def v():\n    await asyncio.sleep(1)\n',
        ),
        (
            '#!/usr/bin/env python\n"""Doc."""\n\nasync def v():\n    t(1)\n',
            '#!/usr/bin/env python\n"""Doc."""\n\nimport asyncio\n\nasync def v():\n    await asyncio.sleep(1)\n',
        ),
        # sorted into the standard-library group
        (
            "import json\nimport time\n\nfrom django.db import models\n\nasync def v():\n    t(1)\n",
            "import asyncio\nimport json\nimport time\n\nfrom django.db import models\n\nasync def v():\n    await asyncio.sleep(1)\n",
        ),
        (
            "import os\nfrom time import sleep\n\nasync def v():\n    t(1)\n",
            "import asyncio\nimport os\nfrom time import sleep\n\nasync def v():\n    await asyncio.sleep(1)\n",
        ),
        # only third-party imports: a new group before them
        (
            "from django.db import models\n\nasync def v():\n    t(1)\n",
            "import asyncio\n\nfrom django.db import models\n\nasync def v():\n    await asyncio.sleep(1)\n",
        ),
    ],
)
def test_import_placement_follows_the_files_layout(before, after):
    assert fix_snippet(before, "Call", sleep_twin, where=is_call_to("t")) == after


def test_imports_keep_crlf_line_endings():
    before = "import json\r\n\r\nasync def v():\r\n    t(1)\r\n"
    after = "import asyncio\r\nimport json\r\n\r\nasync def v():\r\n    await asyncio.sleep(1)\r\n"
    assert fix_snippet(before, "Call", sleep_twin, where=is_call_to("t")) == after


def test_await_method_twin():
    def twin(ctx, call):
        return fixes.await_method_twin(ctx, call, "a" + call.func.attr.value)

    before = "async def v(obj):\n    obj.save(update_fields=['a'])  # keep\n"
    assert fix_snippet(before, "Call", twin) == "async def v(obj):\n    await obj.asave(update_fields=['a'])  # keep\n"
    chain = "async def v():\n    n = Book.objects.filter(a=1).count()\n"
    assert fix_snippet(chain, "Call", twin, where=is_call_to("Book.objects.filter(a=1).count")) == chain.replace("Book", "await Book").replace(".count", ".acount")
    assert fix_snippet("async def v():\n    save()\n", "Call", twin) is None


def test_replace_func_without_await():
    def running_loop(ctx, call):
        return fixes.replace_func(ctx, call, "asyncio.get_running_loop")

    where = lambda node: "get_event_loop" in cst.Module([]).code_for_node(node.func)  # noqa: E731
    assert fix_snippet("import asyncio as aio\nasync def v():\n    loop = aio.get_event_loop()\n", "Call", running_loop, where=where) == (
        "import asyncio as aio\nasync def v():\n    loop = aio.get_running_loop()\n"
    )
    assert fix_snippet("from asyncio import get_event_loop\nasync def v():\n    loop = get_event_loop()\n", "Call", running_loop, where=where) == (
        "import asyncio\nfrom asyncio import get_event_loop\nasync def v():\n    loop = asyncio.get_running_loop()\n"
    )


def wrap(ctx, call):
    return fixes.wrap_sync_to_async(ctx, call)


@pytest.mark.parametrize(
    "before, after",
    [
        (
            "async def v(self):\n    r = self.helper(1, b=2)\n",
            "from asgiref.sync import sync_to_async\n\nasync def v(self):\n    r = await sync_to_async(self.helper)(1, b=2)\n",
        ),
        (
            "from asgiref.sync import async_to_sync\n\nasync def v():\n    helper(1)\n",
            "from asgiref.sync import async_to_sync, sync_to_async\n\nasync def v():\n    await sync_to_async(helper)(1)\n",
        ),
        (
            "from asgiref.sync import (\n    async_to_sync,\n)\n\nasync def v():\n    helper(1)\n",
            "from asgiref.sync import (\n    async_to_sync,\n    sync_to_async,\n)\n\nasync def v():\n    await sync_to_async(helper)(1)\n",
        ),
        (
            "from asgiref.sync import sync_to_async as s2a\n\nasync def v():\n    helper(1)\n",
            "from asgiref.sync import sync_to_async as s2a\n\nasync def v():\n    await s2a(helper)(1)\n",
        ),
        (
            "import json\n\nfrom django.db import models\n\nasync def v():\n    x = helper(1).y\n",
            "import json\n\nfrom asgiref.sync import sync_to_async\nfrom django.db import models\n\nasync def v():\n    x = (await sync_to_async(helper)(1)).y\n",
        ),
    ],
)
def test_wrap_sync_to_async(before, after):
    assert fix_snippet(before, "Call", wrap, where=is_call_to("helper") if "self" not in before else is_call_to("self.helper")) == after


def test_wrap_sync_to_async_declines_when_the_name_is_taken():
    assert fix_snippet("def sync_to_async(f):\n    return f\nasync def v():\n    helper(1)\n", "Call", wrap, where=is_call_to("helper")) is None


def test_make_async_for_keeps_body_comments_and_else():
    before = _d(
        """\
        async def v(qs):
            if qs:
                # every book
                for book in qs:  # loop
                    print(book)
                else:
                    pass
        """
    )
    assert fix_snippet(before, "For", fixes.make_async_for) == before.replace("for book", "async for book")
    assert fix_snippet("def v(qs):\n    for b in qs:\n        pass\n", "For", fixes.make_async_for) is None


def test_make_async_comprehension():
    before = "async def v(qs):\n    a = [b.x for b in qs if b]\n    s = {b for b in qs}\n    d = {b: 1 for b in qs}\n"
    assert fix_snippet(before, "ListComp", fixes.make_async_comprehension) == before.replace("[b.x for", "[b.x async for")
    assert fix_snippet(before, "SetComp", fixes.make_async_comprehension) == before.replace("{b for", "{b async for")
    assert fix_snippet(before, "DictComp", fixes.make_async_comprehension) == before.replace("{b: 1 for", "{b: 1 async for")
    assert fix_snippet("async def v(qs):\n    return sum(b for b in qs)\n", "GeneratorExp", fixes.make_async_comprehension) is None


def test_list_to_async_comprehension():
    before = "async def v():\n    books = list(Book.objects.filter(a=1))\n"
    after = "async def v():\n    books = [item async for item in Book.objects.filter(a=1)]\n"
    assert fix_snippet(before, "Call", fixes.list_to_async_comprehension, where=is_call_to("list")) == after


def test_a_fix_built_away_from_the_nodes_indentation_is_dropped():
    # Built at module level for a node deep inside a block: the generated
    # text would lose the block's indentation, so no fix is produced.
    source = "async def v():\n    x = f(\n        1,\n    )\n"
    module = cst.parse_module(source)
    call = module.body[0].body.body[0].body[0].value
    fix = fixes.NodeFix("await", ((call, fixes.awaited(call)),))
    assert fixes.FixResolver(module, source).resolve(fix) is None
    indented = fixes.NodeFix("await", ((call, fixes.awaited(call)),), indents=(None,))
    resolved = fixes.FixResolver(module, source).resolve(indented)
    assert resolved is not None and resolved.edits[0].content == "await f(\n        1,\n    )"


def test_a_dotted_reference_is_the_node_the_parser_gives():
    for dotted in ("asyncio", "asyncio.sleep", "aio.sleep", "asgiref.sync.sync_to_async", "x.match", "ümlaut.b", "_a._b"):
        assert fixes._parse_dotted(dotted).deep_equals(cst.parse_expression(dotted)), dotted


@pytest.mark.parametrize(
    "source",
    [
        "async def v():\n    t(1)\n",
        '"""Doc."""\n\nasync def v():\n    t(1)\n',
        "#!/usr/bin/env python\n# a comment\n\nimport json\nfrom asgiref.sync import async_to_sync\n\nx = 1\n",
        "from asgiref.sync import (\n    async_to_sync,\n    iscoroutinefunction,\n)\nimport os\n",
        "import os; import sys\nfrom django.db import models",
        "import json\r\n\r\nasync def v():\r\n    t(1)\r\n",
        "from __future__ import annotations\n\nimport json\n\n\nclass A:\n    pass\n",
    ],
)
@pytest.mark.parametrize("request_", [fixes.ImportRequest("asgiref.sync", "sync_to_async"), fixes.ImportRequest("asyncio")])
def test_an_import_edit_reads_the_module_s_head_alone(source, request_):
    """An import edit is placed from the positions of the module's head
    rendered alone: the edits of the whole module's rendering, without it."""
    module = cst.parse_module(source)
    fix = fixes.NodeFix("import", (), (request_,))
    cheap = fixes.FixResolver(module, source)
    edits = cheap.resolve(fix).edits
    assert cheap._positions is None  # noqa: SLF001 - the whole module was not rendered
    # Nor the head with position metadata, unless a from-import is extended in place.
    extends = request_.name is not None and f"from {request_.module} import" in source
    assert (cheap._head is None) is not extends  # noqa: SLF001
    whole = fixes.FixResolver(module, source)
    whole.positions  # noqa: B018 - rendered first: every position from the whole module
    assert whole.resolve(fix).edits == edits


_ROOT = Path(__file__).resolve().parent.parent
_CORPUS = sorted([*_ROOT.joinpath("tests", "fixtures").rglob("*.py"), *_ROOT.joinpath("examples").rglob("*.py"), *_ROOT.joinpath("async_lint").rglob("*.py")])


@pytest.mark.parametrize("text", ["", "x = 1", "# only a comment\n", '"""Doc."""', "import os\r\n\r\nimport sys\r\n", "import os\rimport sys"])
def test_head_statement_spans_on_edge_layouts(text):
    _spans_equal_the_rendered_positions(text)


def test_head_statement_spans_are_the_rendered_positions():
    """The rows and columns of the head's statements read off a plain
    rendering equal libcst's whitespace-inclusive positions, for every file
    other file of the fixtures, the example project and the project's modules."""
    compared = 0
    for path in _CORPUS[::2]:
        text = path.read_text(encoding="utf-8")
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue
        compared += _spans_equal_the_rendered_positions(text, module)
        head = fixes.FixResolver(module, text)._head_statements()  # noqa: SLF001
        if head and head[-1] is module.body[-1]:
            # The same file without its final newline (which only the file's last statement can reach).
            compared += _spans_equal_the_rendered_positions(text.rstrip("\r\n"))
    assert compared > 500


def _spans_equal_the_rendered_positions(text: str, module: cst.Module | None = None) -> int:
    from libcst.metadata import MetadataWrapper, WhitespaceInclusivePositionProvider

    if module is None:
        module = cst.parse_module(text)
    resolver = fixes.FixResolver(module, text)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(WhitespaceInclusivePositionProvider)
    head = resolver._head_statements()  # noqa: SLF001
    for statement in head:
        where = positions[statement]
        assert resolver._statement_span(statement) == (where.start.line, where.start.column, where.end.line, where.end.column)  # noqa: SLF001
    return len(head)
