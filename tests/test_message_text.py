"""Messages quote source text verbatim: braces, ``%``, backslashes and
square brackets in the quoted code are text, never a template or markup.

Each rule whose message can quote source gets a small module with such an
expression; the finding must come out with the quoted text intact, and the
file must not turn into an internal error (DJA000), which would also drop
the file's other findings."""

from __future__ import annotations

import pytest

from tests.cli_helpers import run_cli, write_tree
from tests.helpers import lint_paths, lint_text

# Pieces of code no template engine may touch: a str.format field, a
# %-conversion, a backslash escape and rich markup.
ODD = r'"{k}%s\\[b]"'

# (rule, module source, the part of the source its message must quote, or
# None where the message names only the callee).
SINGLE_FILE = [
    ("DJA101", f"import time\n\nasync def view(request):\n    time.sleep(len({ODD}))\n", None),
    ("DJA102", f"import requests\n\nasync def view(request):\n    requests.get({ODD} % 1)\n", None),
    ("DJA103", f"import subprocess\n\nasync def view(request):\n    subprocess.run([{ODD}])\n", None),
    ("DJA104", f"async def view(request):\n    open({ODD})\n", None),
    ("DJA106", f"import os\n\nasync def view(request):\n    os.path.exists({ODD})\n", None),
    (
        "DJA201",
        "from app.models import Label\n\nasync def view(request, key, v):\n    return Label.objects.filter(**{key: v}).count()\n",
        "Label.objects.filter(**{key: v}).count()",
    ),
    (
        "DJA201",
        f"from app.models import Label\n\nasync def view(request):\n    return Label.objects.filter(name={ODD}).exists()\n",
        f"Label.objects.filter(name={ODD}).exists()",
    ),
    (
        "DJA202",
        f"from app.models import Label\n\nasync def view(request):\n    return list(Label.objects.filter(**{{{ODD}: 1}}))\n",
        f"Label.objects.filter(**{{{ODD}: 1}})",
    ),
    (
        "DJA203",
        f"from app.models import Label\n\nasync def view(request):\n    Label(name={ODD}).save()\n",
        f"Label(name={ODD}).save()",
    ),
    (
        "DJA204",
        "from django.db import models\n\n"
        "class Author(models.Model):\n    name = models.CharField(max_length=9)\n\n"
        "class Post(models.Model):\n    author = models.ForeignKey(Author, on_delete=models.CASCADE)\n\n"
        f"async def view(request):\n    post = await Post.objects.aget(**{{{ODD}: 1}})\n    return post.author.name\n",
        "post.author",
    ),
    (
        "DJA205",
        f"from django.http import HttpRequest\n\nasync def view(request: HttpRequest):\n    return request.session[{ODD}]\n",
        f"request.session[{ODD}]",
    ),
    (
        "DJA206",
        f"from django.shortcuts import get_object_or_404\nfrom app.models import Label\n\nasync def view(request):\n    return get_object_or_404(Label, name={ODD})\n",
        None,
    ),
    (
        "DJA206",
        f"from app.models import User\n\nasync def view(request):\n    user = await User.objects.aget(pk=1)\n    return user.has_perm({ODD})\n",
        f"user.has_perm({ODD})",
    ),
    ("DJA207", f"from django.core.cache import caches\n\nasync def view(request):\n    return caches[{ODD}].get(1)\n", f"caches[{ODD}].get()"),
    (
        "DJA208",
        f"from django.db import transaction\n\nasync def view(request):\n    with transaction.atomic(using={ODD}):\n        pass\n",
        f"transaction.atomic(using={ODD})",
    ),
    ("DJA209", f"from django.dispatch import Signal\n\nasync def view(request):\n    Signal().send(sender={ODD})\n", None),
    ("DJA301", f"import asyncio\n\nasync def work(x):\n    pass\n\nasync def view(request):\n    asyncio.create_task(work({ODD}))\n", None),
    ("DJA302", f"async def work(x):\n    pass\n\nasync def view(request):\n    work({ODD})\n", None),
    ("DJA304", f"import asyncio\n\nasync def work(x):\n    pass\n\nasync def view(request):\n    asyncio.run(work({ODD}))\n", None),
    (
        "DJA402",
        f"from asgiref.sync import sync_to_async\nfrom app.models import Label\n\nasync def view(request):\n    labels = await sync_to_async(Label.objects.filter)(name={ODD})\n    return len(labels)\n",
        None,
    ),
    (
        "DJA505",
        f"from django.http import StreamingHttpResponse\n\ndef rows(x):\n    yield x\n\nasync def view(request):\n    return StreamingHttpResponse(rows({ODD}))\n",
        None,
    ),
]


def _check(findings, code: str, quoted: str | None) -> None:
    assert "DJA000" not in {f.code for f in findings}, [f.message for f in findings if f.code == "DJA000"]
    messages = [f.message for f in findings if f.code == code]
    assert messages, f"no {code} among {[(f.code, f.message) for f in findings]}"
    if quoted is not None:
        assert any(quoted in m for m in messages), f"{quoted!r} not quoted intact in {messages}"


@pytest.mark.parametrize("code,source,quoted", SINGLE_FILE, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(SINGLE_FILE)])
def test_message_quotes_odd_source_intact(code: str, source: str, quoted: str | None) -> None:
    _check(lint_text(source, dedent=False), code, quoted)


def test_chain_message_quotes_odd_source_intact(tmp_path) -> None:
    """DJA401's chain text (built by the project index from summaries)."""
    write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/helpers.py": f"from app.models import Label\n\n\ndef names():\n    for label in Label.objects.filter(name={ODD})[:2]:\n        pass\n",
            "app/views.py": "from app.helpers import names\n\n\nasync def view(request):\n    names()\n",
        },
    )
    _check(lint_paths([tmp_path]), "DJA401", f"iterating the QuerySet `Label.objects.filter(name={ODD})[:2]`")


def test_chain_names_the_queryset_a_call_builds(tmp_path) -> None:
    """``list(queryset.order_by("rank"))`` in a helper: the chain names the
    QuerySet evaluated, not ``queryset.order_by()`` as if that call blocked."""
    write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": "from django.db import models\n\n\nclass Chunk(models.Model):\n    rank = models.IntegerField()\n",
            "app/services.py": 'from app.models import Chunk\n\n\ndef ranked():\n    queryset = Chunk.objects.all()\n    return list(queryset.order_by("rank"))\n',
            "app/views.py": "from app.services import ranked\n\n\nasync def view(request):\n    ranked()\n",
        },
    )
    _check(lint_paths([tmp_path]), "DJA401", "ranked() -> iterating the QuerySet `queryset.order_by(...)` at ")


@pytest.mark.parametrize("fmt", ["concise", "rich", "github", "json", "sarif"])
def test_every_format_prints_the_quoted_text(tmp_path, monkeypatch, fmt: str) -> None:
    write_tree(tmp_path, {"view.py": f"from django.http import HttpRequest\n\nasync def view(request: HttpRequest):\n    return request.session[{ODD}]\n"})
    monkeypatch.chdir(tmp_path)
    result = run_cli(["--format", fmt, "--no-cache", "view.py"], env={"NO_COLOR": "1", "COLUMNS": "400"})
    assert "DJA205" in result.stdout and "Internal error" not in result.stdout
    # JSON doubles the backslashes and escapes the quotes; GitHub's workflow commands escape `%`.
    quoted = {"json": r"[\"{k}%s\\\\[b]\"]", "sarif": r"[\"{k}%s\\\\[b]\"]", "github": r'["{k}%25s\\[b]"]'}
    assert quoted.get(fmt, r'["{k}%s\\[b]"]') in result.stdout
