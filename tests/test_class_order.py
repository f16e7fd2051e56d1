"""The structure rules' class order (C3, as Python's MRO): a class's order is
kept with it once made, and its parents' orders are reused when no class
being ordered above them is among theirs.  The plain recursion below, which
makes every order again at every query, is the reference it must equal: on
random class graphs with diamonds, repeated bases, inconsistent orders and
cycles (broken code), asked in random order, and on Django's view table."""

from __future__ import annotations

import random

import pytest

from async_lint.checks.django_structure_classes import ClassFacts, FrameworkClass, UnknownClass, _key, _linearize, view_table


def reference_merge(sequences):
    sequences = [list(s) for s in sequences if s]
    result = []
    while sequences:
        for sequence in sequences:
            head = sequence[0]
            if not any(_key(head) in {_key(x) for x in other[1:]} for other in sequences):
                break
        else:
            return None
        result.append(head)
        sequences = [[x for x in s if _key(x) != _key(head)] for s in sequences]
        sequences = [s for s in sequences if s]
    return result


def reference_order(entry, seen=frozenset()):
    if _key(entry) in seen:
        return [entry]
    if isinstance(entry, ClassFacts):
        bases = list(entry.bases)
    elif isinstance(entry, FrameworkClass):
        bases = [view_table().classes[name] for name in entry.bases]
    else:
        bases = []
    below = seen | {_key(entry)}
    sequences = [reference_order(base, below) for base in bases] + [list(bases)]
    merged = reference_merge(sequences)
    if merged is None:
        merged = []
        for sequence in sequences:
            for item in sequence:
                if all(_key(item) != _key(m) for m in merged):
                    merged.append(item)
    return [entry, *merged]


def random_classes(rng: random.Random, count: int, cycles: bool) -> list[ClassFacts]:
    """Classes whose bases are earlier classes (and, with ``cycles``, some
    later ones), framework views and unknown names, sometimes repeated."""
    frameworks = sorted(view_table().classes.values(), key=lambda c: c.name)[:12]
    classes = [ClassFacts(node=None, name=f"C{i}", bases=[]) for i in range(count)]  # type: ignore[arg-type]
    for index, facts in enumerate(classes):
        for _ in range(rng.randint(0, 3)):
            pick = rng.random()
            if pick < 0.6 and index:
                facts.bases.append(classes[rng.randrange(index)])
            elif pick < 0.7 and cycles:
                facts.bases.append(classes[rng.randrange(count)])
            elif pick < 0.85:
                facts.bases.append(rng.choice(frameworks))
            else:
                facts.bases.append(UnknownClass(rng.choice(["object", "Base", "mixins.Thing"])))
        if facts.bases and rng.random() < 0.1:
            facts.bases.append(facts.bases[0])  # a repeated base: Python raises, the order is still made
    return classes


@pytest.mark.parametrize("cycles", [False, True], ids=["acyclic", "with-cycles"])
@pytest.mark.parametrize("seed", range(30))
def test_kept_orders_equal_orders_made_afresh(seed, cycles):
    rng = random.Random(seed)
    classes = random_classes(rng, rng.randint(2, 25), cycles)
    expected = {id(c): [_key(e) for e in reference_order(c)] for c in classes}
    for _ in range(3):  # asked again, in another order: the kept orders answer
        for facts in rng.sample(classes, len(classes)):
            assert [_key(e) for e in _linearize(facts, None)] == expected[id(facts)]


def test_a_cycle_through_a_class_ordered_before_is_cut_as_afresh():
    """``A(B)``, ``B(A)``: B's order made first (it holds A) must not answer
    for B below A, where A is being ordered."""
    a = ClassFacts(node=None, name="A", bases=[])  # type: ignore[arg-type]
    b = ClassFacts(node=None, name="B", bases=[a])  # type: ignore[arg-type]
    a.bases.append(b)
    c = ClassFacts(node=None, name="C", bases=[b, a])  # type: ignore[arg-type]
    for facts in (b, a, c, b, a, c):
        assert [_key(e) for e in _linearize(facts, None)] == [_key(e) for e in reference_order(facts)]


def test_framework_orders_equal_orders_made_afresh():
    for entry in view_table().classes.values():
        assert _linearize(entry, None) == reference_order(entry)
