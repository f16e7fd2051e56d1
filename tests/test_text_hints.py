"""The prefilter's hints, rewritten to be searched fast (text_hints.py), match
exactly the texts the hints as written match."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from async_lint.checks import all_checks
from async_lint.file_analysis import _check_hints
from async_lint.text_hints import AnyOf, literal_first, required_words

from .helpers import FIXTURES

ROOT = Path(__file__).resolve().parent.parent


def every_hint() -> list[str]:
    hints: set[str] = set()
    for check in all_checks():
        hints.update(_check_hints(check) or ())
        if check.text_hints_after_fact:
            hints.update(check.text_hints_after_fact[1])
        hints.update(check.light_fact_hints)
    return sorted(hints)


# Texts where a word boundary decides: the hint's word inside a longer word,
# at the start and end of the text, after punctuation, across lines.
EDGES = [
    "async def f(): pass",
    "xasync def f(): pass",
    "_async def",
    "async  def",
    "asyncdef",
    "import asyncio",
    "import asyncio_compat",
    "import os, asyncio as aio",
    "from django.utils.asyncio import async_unsafe",
    "@pytest.mark.asyncio",
    "loop = asyncio .get_event_loop()",
    "from my_asyncio import x",
    "asyncio",
    "(asyncio)",
    "def get_response(self): pass",
    "self.get_responses",
    "x.get_response_for(1)",
    "import adrf.views",
    "madrf = 1",
    "adrf_x = 1",
    "models.CharField(max_length=3)",
    "mymodels.CharField(",
    "x = ForeignKey(Post)",
    "x = MyForeignKey(Post)",
    "ATOMIC_REQUESTS = True",
    "class Post(models.Model):\n    class Meta:\n        pass\n",
    "class PostView(View):\n    pass\n",
    "c = AsyncClient()",
    "é async def",
    "éasync def",
]


def corpus_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(FIXTURES.rglob("*.py"))]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted((ROOT / "async_lint").rglob("*.py"))]
    return texts


@pytest.mark.parametrize("hint", every_hint())
def test_a_rewritten_hint_matches_exactly_where_the_hint_does(hint):
    written = re.compile(hint)
    fast = AnyOf([hint])
    texts = EDGES + corpus_texts()
    rng = random.Random(hint)
    # Every edge text also glued to a random prefix and suffix.
    texts += [rng.choice(["", "x", "_", " ", "\n", ".", "é"]) + t + rng.choice(["", "x", "_", " ", "\n", "("]) for t in EDGES for _ in range(4)]
    for text in texts:
        assert (written.search(text) is not None) == (fast.search(text) is not None), (hint, text[:80])


def test_the_prefilter_alternation_of_all_hints_agrees_with_its_parts():
    hints = every_hint()
    fast = AnyOf(hints)
    written = re.compile("|".join(f"(?:{h})" for h in hints))
    for text in EDGES + corpus_texts():
        assert (written.search(text) is not None) == (fast.search(text) is not None), text[:80]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\basync\s+def\b", [r"async(?<!\wasync)\s+def\b"]),
        (r"AsyncClient|ClientSession", ["AsyncClient", "ClientSession"]),
        (r"\b(?:ForeignKey|OneToOneField)\(", [r"(?:ForeignKey(?<!\wForeignKey)|OneToOneField(?<!\wOneToOneField))\("]),
        # A quantifier on the word's last letter, or on the group: left as written.
        (r"\bfoo?", [r"\bfoo?"]),
        (r"\b(?:a|b)?c", [r"\b(?:a|b)?c"]),
        # Flags or a lookaround at the top: the whole pattern as written.
        (r"(?m:^\s*class\s+Meta\b)", [r"(?m:^\s*class\s+Meta\b)"]),
        (r"(?<=x)\by|\bz", [r"(?<=x)\by|\bz"]),
        # A "|" in a class or a group is not an alternative of the pattern.
        (r"[|(]x|\by", ["[|(]x", r"y(?<!\wy)"]),
        (r"(a|b)c", ["(a|b)c"]),
    ],
)
def test_literal_first_rewrites_only_what_it_can_keep_exact(pattern, expected):
    assert literal_first(pattern) == expected
    for text in EDGES + ["foo", "fo", "xfoo", "ac", "bc", "c", "xy", " y", "z", "|x", "(x", "[x"]:
        assert (re.search(pattern, text) is not None) == (AnyOf([pattern]).search(text) is not None), (pattern, text)


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (r"(?m:^\s+class\s+Meta\s*[(:])", [{"class"}, {"Meta"}]),
        (r"(?m:^\s*class\s+\w*(?:View|Mixin)\w*\s*[(:])", [{"class"}, {"View", "Mixin"}]),
        # Optional parts require nothing; a repeat at least once does.
        (r"x(?:ab)?cd", [{"cd"}]),
        (r"(?:ab)+c", [{"ab"}]),
        # A branch that requires nothing: the alternation requires nothing.
        (r"a|bc", []),
        # Case-insensitive, in the whole pattern or a group: nothing known there.
        (r"(?i)abc", []),
        (r"(?i:abc)de", [{"de"}]),
        # Not a pattern at all: nothing known (re reports the error when compiled).
        (r"(ab", []),
        # The literals before an alternation and each branch's first ones are
        # one word: the parser reads ``\.(?:aget|asave)`` as ``.a`` and
        # ``get|save``, and ``get`` alone is in every file.
        (r"\.(?:aget|asave)\s*\(", [{".aget", ".asave"}]),
        (r"(?:aauthenticate|alogin)\(", [{"aauthenticate", "alogin"}]),
        # A branch with no literal of its own: the run before it, then what each branch requires.
        (r"ab(?:c|\d+xy)", [{"ab"}]),
        (r"ab(?:cd|[0-9]xy)", [{"ab"}, {"cd", "xy"}]),
    ],
)
def test_required_words_are_read_from_the_parsed_pattern(pattern, words):
    assert [set(w) for w in required_words(pattern)] == words


def test_a_hint_that_cannot_begin_with_a_literal_is_searched_only_where_its_words_are(monkeypatch):
    searched: list[str] = []
    real = re.compile

    class Spy:
        def __init__(self, pattern):
            self.compiled = real(pattern)

        def search(self, text):
            searched.append(text)
            return self.compiled.search(text)

    monkeypatch.setattr("async_lint.text_hints.re.compile", Spy)
    hint = AnyOf([r"(?m:^\s+class\s+Meta\s*[(:])"])
    assert hint.search("class A:\n    x = 1\n") is None
    assert searched == []
    assert hint.search("class A:\n    class Meta:\n        pass\n") is not None
    assert len(searched) == 1


def test_the_byte_test_never_rules_out_a_text_the_hints_match():
    """``may_match_bytes`` (the raw file, before decoding) is False only
    where no hint matches: it decides which files travel to workers in
    batches, never what they are."""
    hints = every_hint()
    fast = AnyOf(hints)
    texts = EDGES + corpus_texts()
    ruled_out = 0
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        if fast.search(text) is not None:
            assert fast.may_match_bytes(data), text[:80]
        elif not fast.may_match_bytes(data):
            ruled_out += 1
    assert ruled_out  # some texts are told apart by their bytes alone
    assert AnyOf([r"(?i)async"]).may_match_bytes(b"")  # nothing known: always maybe


def test_the_byte_test_answers_as_every_required_word_looked_for():
    """Each word is looked for once and the rarer sets first: the answer is
    the plain one (every pattern, every set, every word), on the corpus and
    with a pattern of no known words among the others."""
    for fast in (AnyOf(every_hint()), AnyOf([r"\basync\s+def\b", r"(?i)adrf", r"get_response"])):
        for text in EDGES + corpus_texts():
            data = text.encode("utf-8", "surrogatepass")
            plain = any(words is None or all(any(word in data for word in choices) for choices in words) for words in fast._byte_words.of)
            assert fast.may_match_bytes(data) == plain, text[:80]


def test_the_asyncio_hints_ask_for_the_module_used_not_the_word():
    """A module that uses asyncio needs the coroutine rules' full pass; one
    that imports another module called asyncio (Django's ``async_unsafe``),
    marks a test, or says the word in prose does not (Django's five database
    backends and its URL resolver did)."""
    from async_lint.catalog import select_codes
    from async_lint.checks.coroutines import ASYNCIO_USE
    from async_lint.file_analysis import _needs_full_pass
    from async_lint.settings import Settings

    hint = AnyOf(list(ASYNCIO_USE))
    used = [
        "import asyncio\n",
        "import os, asyncio as aio\n",
        "from asyncio import create_task\n",
        "from asyncio.tasks import Task\n",
        "loop = asyncio.get_event_loop()\n",
        "from django.utils import asyncio\nasyncio.foo()\n",
    ]
    other = ["from django.utils.asyncio import async_unsafe\n", "@pytest.mark.asyncio\ndef test(): pass\n", '"""For the current thread or asyncio task."""\n', "x = self.asyncio\n"]
    assert [bool(hint.search(text)) for text in used] == [True] * len(used)
    assert [bool(hint.search(text)) for text in other] == [False] * len(other)
    settings = Settings(enabled=select_codes(None, None))
    backend = "from django.utils.asyncio import async_unsafe\n\n\nclass Backend:\n    @async_unsafe\n    def connect(self):\n        return 1\n"
    assert not _needs_full_pass(backend, settings)
    assert _needs_full_pass(backend + "\n\ndef loop():\n    import asyncio\n    return asyncio.get_event_loop()\n", settings)


def test_the_middleware_hint_asks_for_get_response_as_a_parameter_not_a_call():
    """Without ``async def``, a middleware rule fires only where a def takes
    ``get_response`` (a middleware's ``__init__``, a factory, the
    ``__call__(self, request, get_response)`` mistake).  An API test suite's
    ``self.get_response(...)`` helper is a call or a def of that name: such
    modules (wagtail's three page-API test files, 1.2 CPU-s) need no full pass."""
    from async_lint.catalog import select_codes
    from async_lint.checks.django_structure_classes import GET_RESPONSE_PARAMETER
    from async_lint.file_analysis import _needs_full_pass
    from async_lint.settings import Settings

    hint = AnyOf([GET_RESPONSE_PARAMETER])
    parameters = [
        "def __init__(self, get_response):\n",
        "def __init__(self, get_response=None):\n",
        "def __init__(self, get_response = None):\n",
        "def __init__(self, get_response: Callable):\n",
        "def timing(get_response):\n",
        "def timing(\n    get_response,\n):\n",
        "def __call__(self, request, get_response):\n",
        "def f(*, get_response\n):\n",
    ]
    calls = ["response = self.get_response(request)\n", "def get_response(self, **params):\n", "r = self.get_response (x)\n", "return super().get_response(\n    request)\n"]
    assert [bool(hint.search(text)) for text in parameters] == [True] * len(parameters)
    assert [bool(hint.search(text)) for text in calls] == [False] * len(calls)
    settings = Settings(enabled=select_codes(None, None))
    api_test = "class PagesTests(TestCase):\n    def get_response(self, **params):\n        return self.client.get('/api/', params)\n\n    def test_list(self):\n        response = self.get_response(limit=1)\n"
    assert not _needs_full_pass(api_test, settings)
    middleware = "class Timing:\n    def __init__(self, get_response):\n        self.get_response = get_response\n\n    def __call__(self, request):\n        return self.get_response(request)\n"
    assert _needs_full_pass(middleware, settings)


def test_the_twin_hints_rule_out_a_file_of_plain_method_calls_by_its_bytes():
    """The Django twins' hints (``\\.(?:aadd|...|asave)\\s*\\(``) require a
    twin's whole name: a file that calls ``.add()`` or ``.aggregate()`` is
    told apart by its bytes (it travels to a worker in a batch), where the
    parser's reading (``.a`` and ``add|aggregate|...``) made every file a maybe."""
    from async_lint.analysis.django_twins import twin_call_hints

    hint = AnyOf(list(twin_call_hints()))
    plain = "items.add(x)\ntotal = qs.aggregate(Sum('n'))\nuser.get_user()\n"
    assert not hint.may_match_bytes(plain.encode())
    assert hint.search(plain) is None
    for text in ("await obj.asave()\n", "obj.asave ()\n", "u = aget_object_or_404(Model, pk=1)\n"):
        assert hint.may_match_bytes(text.encode()), text
        assert hint.search(text) is not None, text


def test_a_files_bytes_stand_for_its_text_only_in_an_ascii_compatible_encoding():
    """A worker trusts the main process's byte test (``FileTask.no_hint_words``)
    only where the file's encoding spells ASCII words as ASCII does."""
    from async_lint.file_analysis import _ascii_compatible

    assert all(map(_ascii_compatible, ["utf-8", "ascii", "latin-1", "cp1252", "iso-8859-15", "utf-8-sig"]))
    assert not any(map(_ascii_compatible, ["utf-16", "utf-32", "cp037", "no-such-codec"]))
