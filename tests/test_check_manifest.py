"""What a run reads of the checks before it analyses a file (their codes,
text hints, light-fact readers, the facts they read) is kept as data in
``async_lint/checks/_manifest.py``, so that a run whose files need no full
pass does not import every check module.  The data must be what the
classes say, and a run must not import the checks it does not need."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from async_lint.checks import computed_manifest, main, manifest, stored_manifest
from async_lint.checks.base import Check

REGENERATE = "python -m async_lint.checks --write"


def test_the_stored_manifest_is_what_the_check_classes_say() -> None:
    stored = stored_manifest()
    assert stored is not None, f"async_lint/checks/_manifest.py is missing; run: {REGENERATE}"
    assert stored == computed_manifest(), f"async_lint/checks/_manifest.py is stale; run: {REGENERATE}"
    assert manifest() == stored
    assert main(["--check"]) == 0


def test_every_check_class_has_an_entry_with_its_codes() -> None:
    for entry in computed_manifest():
        cls = entry.load()
        assert tuple(cls.codes) == entry.codes
        if entry.kind == "project":
            assert entry.fact_kinds, f"{entry.name} reads no fact kind"


def test_a_check_that_records_light_facts_names_a_reader_that_records_them() -> None:
    import ast

    tree = ast.parse(
        textwrap.dedent(
            """
            from django.views import View
            from ninja import NinjaAPI, Router

            class PageView(View):
                pass

            router = Router(auth=None)
            api = NinjaAPI(auth=object())
            api.add_router("/x", router)
            """
        )
    )
    readers = [entry for entry in manifest() if entry.light_fact_hints]
    assert readers, "no check records light facts"
    for entry in readers:
        assert entry.light_facts_reader, f"{entry.name} has light_fact_hints but no light_facts_reader"
        facts = entry.light_facts(tree, "app.views", False)
        assert facts, f"{entry.name}'s reader recorded nothing"
    # A check with no reader records nothing on a light pass.
    assert Check.light_facts_reader is None


def test_prefiltering_a_file_imports_no_check_module() -> None:
    code = textwrap.dedent(
        """
        import sys
        from async_lint.config import Options, resolve_codes
        from async_lint.file_analysis import checked_codes, may_need_full_pass
        from async_lint.settings import Settings

        settings = Settings(enabled=resolve_codes([Options()]))
        assert may_need_full_pass(b"async def view(request):\\n    pass\\n", settings)
        assert not may_need_full_pass(b"def view(request):\\n    return 1\\n", settings)
        checked_codes(settings.enabled)
        loaded = sorted(m for m in sys.modules if m.startswith("async_lint.checks.") and m not in ("async_lint.checks.base", "async_lint.checks._manifest"))
        print(loaded)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
