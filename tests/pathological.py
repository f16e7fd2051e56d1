"""Generators of hostile but valid (or nearly valid) Python modules, for the
stress tests (tests/test_stress.py) and the benchmark (bench/run.py).

Every module has one ``time.sleep`` in an ``async def`` (a DJA101 the
analysis must find, unless it reports the file as DJA000), surrounded by the
pathological construct at the requested size.
"""

from __future__ import annotations

from typing import Callable

MARKER = "import time\n\n\nasync def marker(request):\n    time.sleep(1)\n\n\n"


def _in_async(body: str) -> str:
    return MARKER + "async def pathological(x, y):\n" + body


def parens(depth: int) -> str:
    return _in_async("    return " + "(" * depth + "x" + ")" * depth + "\n")


def lists(depth: int) -> str:
    return _in_async("    return " + "[" * depth + "x" + "]" * depth + "\n")


def dicts(depth: int) -> str:
    return _in_async("    return " + "{'k': " * depth + "x" + "}" * depth + "\n")


def calls(depth: int) -> str:
    return _in_async("    return " + "f(" * depth + "x" + ")" * depth + "\n")


def attributes(length: int) -> str:
    return _in_async("    return x" + ".a" * length + "\n")


def subscripts(length: int) -> str:
    return _in_async("    return x" + "[0]" * length + "\n")


def nots(length: int) -> str:
    return _in_async("    return " + "not " * length + "x\n")


def unary(length: int) -> str:
    return _in_async("    return " + "-" * length + "x\n")


def lambdas(depth: int) -> str:
    return _in_async("    return " + "lambda: " * depth + "x\n")


def blocks(depth: int) -> str:
    """Nested ``if`` blocks (CPython allows 100 levels of indentation)."""
    body = "".join("    " * (i + 1) + f"if x > {i}:\n" for i in range(depth))
    return _in_async(body + "    " * (depth + 1) + "time.sleep(1)\n")


def functions(depth: int) -> str:
    body = "".join("    " * (i + 1) + f"async def inner_{i}():\n" for i in range(depth))
    return _in_async(body + "    " * (depth + 1) + "time.sleep(1)\n")


def elif_chain(branches: int) -> str:
    body = "    if x == 0:\n        time.sleep(0)\n" + "".join(f"    elif x == {i}:\n        y = {i}\n" for i in range(1, branches))
    return _in_async(body)


def optional_filters(count: int) -> str:
    """A search view that narrows one QuerySet under ``count`` optional
    filters, a loop of them and ``elif`` chains: every reassignment reaches
    the ones after it, and the loop's reaches itself."""
    model = "from django.db import models\n\n\nclass Job(models.Model):\n    title = models.CharField(max_length=10)\n\n\n"
    body = "    jobs = Job.objects.filter(title='a')\n"
    for i in range(count):
        body += f"    if x.f{i}:\n        jobs = jobs.filter(title=x.f{i})\n"
        if i == count // 2:
            body += "    if x.skills:\n        for skill in x.skills:\n            jobs = jobs.filter(title=skill)\n"
            body += "".join(f"    {'if' if k == 0 else 'elif'} y == {k}:\n        jobs = jobs.filter(title='{k}')\n" for k in range(5))
    body += "".join(f"    {'if' if k == 0 else 'elif'} y == {k}:\n        jobs = jobs.order_by('{k}')\n" for k in range(5))
    return MARKER + model + "def search(x, y):\n" + body + "    return jobs\n"


def self_reassignments(count: int) -> str:
    """A resource class whose methods narrow ``self.queryset`` ``count``
    times (``self.queryset = self.queryset.filter(...)``), in a module with
    async code, so the blocking check asks what ``self.queryset`` is."""
    methods = ""
    for i in range(count):
        if i % 3 == 0:
            methods += f"\n    def step{i}(self, x):\n"
        methods += f"        self.queryset = self.queryset.filter(f{i}=x)\n"
    return MARKER + "class Resource:\n    queryset = None\n" + methods + "\n    async def get(self):\n        return self.queryset\n"


def and_chain(terms: int) -> str:
    return _in_async("    return " + " and ".join(f"x{i}" for i in range(terms)) + "\n")


def plus_chain(terms: int) -> str:
    return _in_async("    return " + " + ".join(f"x{i}" for i in range(terms)) + "\n")


def compare_chain(terms: int) -> str:
    return _in_async("    return " + " < ".join(f"x{i}" for i in range(terms)) + "\n")


def long_line(size: int) -> str:
    """One line of ``size`` bytes: a list literal."""
    items = []
    length = 0
    while length < size:
        item = str(len(items))
        items.append(item)
        length += len(item) + 2
    return _in_async("    data = [" + ", ".join(items) + "]\n    return data\n")


def long_module(lines: int) -> str:
    """An async module of about ``lines`` lines: many small async views."""
    view = "async def view_{i}(request):\n    data = await fetch(request, {i})\n    if data:\n        return data\n    return None\n\n\n"
    count = max(1, lines // 7)
    return MARKER + "async def fetch(request, n):\n    return n\n\n\n" + "".join(view.format(i=i) for i in range(count))


def many_findings(count: int) -> str:
    """``count`` DJA101 findings in one function."""
    return MARKER + "async def slow(request):\n" + "    time.sleep(1)\n" * count


def dot_comment(size: int) -> str:
    """A comment of ``size`` spaces after a dot (what a text test for an
    attribute spelled over lines and comments reads)."""
    return _in_async("    return x  # see x.#" + " " * size + "end\n")


def data_module(size: int) -> str:
    """A data module of ``size`` bytes (one big dict) with a single async def."""
    rows = []
    length = 0
    while length < size:
        row = f"    'key_{len(rows)}': {{'id': {len(rows)}, 'name': 'item {len(rows)}', 'tags': ['a', 'b', 'c']}},\n"
        rows.append(row)
        length += len(row)
    return MARKER + "DATA = {\n" + "".join(rows) + "}\n"


# name -> (generator, fast size, full sizes): the stress suite runs the fast
# size by default and the full sizes under the ``slow`` marker; the benchmark
# measures the full sizes.
CASES: dict[str, tuple[Callable[[int], str], int, tuple[int, ...]]] = {
    "parens": (parens, 150, (190, 1000)),
    "lists": (lists, 150, (190, 1000)),
    "dicts": (dicts, 100, (190, 500)),
    "calls": (calls, 100, (190, 1000)),
    "attributes": (attributes, 500, (20_000,)),
    "subscripts": (subscripts, 300, (20_000,)),
    "nots": (nots, 1000, (5_000, 20_000)),
    "unary": (unary, 1000, (5_000, 20_000)),
    "lambdas": (lambdas, 100, (1_000,)),
    "blocks": (blocks, 50, (98, 150)),
    "functions": (functions, 50, (98, 150)),
    "elif_chain": (elif_chain, 500, (100, 1_000, 2_000, 10_000)),
    "optional_filters": (optional_filters, 30, (60, 120)),
    "and_chain": (and_chain, 1_000, (10_000, 20_000)),
    "plus_chain": (plus_chain, 400, (2_000, 20_000)),
    "compare_chain": (compare_chain, 1_000, (20_000,)),
    "long_line": (long_line, 20_000, (1_000_000,)),
    "long_module": (long_module, 1_500, (50_000,)),
    "many_findings": (many_findings, 300, (10_000,)),
    "data_module": (data_module, 30_000, (2_000_000,)),
    "dot_comment": (dot_comment, 20_000, (1_000_000,)),
}
