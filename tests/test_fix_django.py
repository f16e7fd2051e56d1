"""The DJA2xx autofixes (DJA201, DJA202, DJA203, DJA207): the target Django
version gates them (their before/after cases run in test_fix_cases.py)."""

from __future__ import annotations

import libcst as cst
import pytest

from async_lint.fixes import args_fit
from tests.helpers import lint_text

CODES = ["DJA201", "DJA202", "DJA203", "DJA207"]


VERSIONED = """
from django.core.cache import cache
from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Post(models.Model):
    tags = models.ManyToManyField(Tag)


async def view(request):
    post = await Post.objects.aget(pk=1)
    first = Post.objects.filter(pk=1).first()
    post.tags.add(first)
    post.tags.create(name="x")
    post.save()
    hit = cache.get("k")
    for p in Post.objects.all().iterator():
        print(p)
"""


def _fixed(django_version: tuple[int, int]) -> dict[str, str | None]:
    """Each flagged line's text (up to its first "(") -> the fix's new text, or None."""
    lines = VERSIONED.splitlines()
    findings = lint_text(VERSIONED, select=CODES, django_version=django_version)
    return {lines[f.line - 1].strip().split("(")[0].split(" = ")[-1]: (" ".join(e.content for e in f.fix.edits) if f.fix else None) for f in findings}


@pytest.mark.parametrize(
    ("version", "fixed", "unfixed"),
    [
        ((3, 2), set(), {"Post.objects.filter", "post.tags.add", "post.tags.create", "post.save", "cache.get", "for p in Post.objects.all"}),
        ((4, 0), {"cache.get"}, {"Post.objects.filter", "post.tags.add", "post.save"}),
        ((4, 1), {"Post.objects.filter", "cache.get"}, {"post.tags.add", "post.tags.create", "post.save", "for p in Post.objects.all"}),
        ((4, 2), {"Post.objects.filter", "post.tags.add", "post.tags.create", "post.save"}, {"for p in Post.objects.all"}),
        ((5, 0), {"post.tags.add", "post.save", "for p in Post.objects.all"}, set()),
    ],
)
def test_the_target_version_gates_the_fixes(version, fixed, unfixed) -> None:
    result = _fixed(version)
    for key in fixed:
        assert result[key] is not None, (key, result)
    for key in unfixed:
        assert key in result and result[key] is None, (key, result)


def test_the_newest_version_fixes_the_iterator_loop_with_aiterator() -> None:
    findings = lint_text(VERSIONED, select=["DJA201"])
    loop = next(f for f in findings if "iterator" in f.message)
    assert loop.fix.edits[0].content == "    async for p in Post.objects.all().aiterator():\n        print(p)\n"
    assert not any("await" in e.content and "aiterator" in e.content for f in findings if f.fix for e in f.fix.edits)


def test_a_nested_sync_def_and_a_sync_to_async_function_get_no_finding_and_no_fix() -> None:
    findings = lint_text(
        """
        from asgiref.sync import sync_to_async
        from django.db import models


        class Post(models.Model):
            title = models.CharField(max_length=200)


        @sync_to_async
        def titles():
            return [p.title for p in Post.objects.all()]


        async def view(request):
            def helper():
                return Post.objects.count()

            return await sync_to_async(helper)()
        """,
        select=CODES,
    )
    assert findings == []


@pytest.mark.parametrize(
    ("call", "params", "fits"),
    [
        ("f()", (), True),
        ("f(1, 2)", ("a", "b"), True),
        ("f(1, b=2)", ("a", "b"), True),
        ("f(1, a=2)", ("a", "b"), False),
        ("f(1, 2, 3)", ("a", "b"), False),
        ("f(c=1)", ("a", "b"), False),
        ("f(*args)", ("a", "b"), False),
        ("f(**kw)", ("a", "b"), False),
    ],
)
def test_args_fit(call: str, params: tuple[str, ...], fits: bool) -> None:
    assert args_fit(cst.parse_expression(call), params) is fits
