"""`async-lint server` end to end: pytest-lsp's client drives the real
server process over stdio, on a real project written into tmp_path."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from async_lint.catalog import catalog
from tests.cli_helpers import installed, write_tree

SERVER = ClientServerConfig(server_command=[str(Path(sys.executable).with_name("async-lint")), "server"])
TIMEOUT = 60

HELPERS_CALM = """\
def refresh():
    return 1
"""
HELPERS_BLOCKING = """\
import time


def refresh():
    time.sleep(1)
"""
VIEWS = """\
from shop.helpers import refresh


async def view(request):
    refresh()
    return None
"""
SLEEPY = """\
import time


async def nap(request):
    time.sleep(1)
"""


REGISTRATIONS: list[types.Registration] = []


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path: Path):
    write_tree(tmp_path, {"pyproject.toml": "[tool.async-lint]\n", "shop/__init__.py": "", "shop/helpers.py": HELPERS_CALM, "shop/views.py": VIEWS})
    REGISTRATIONS.clear()

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        REGISTRATIONS.extend(params.registrations)

    await lsp_client.initialize_session(types.InitializeParams(capabilities=pytest_lsp.client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri()))
    yield
    await lsp_client.shutdown_session()


def open_document(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text if text is not None else path.read_text())))
    return uri


def change_document(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def until(client: LanguageClient, condition, what: str):
    """Wait for the published diagnostics to satisfy ``condition``."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; diagnostics: {client.diagnostics}")


def codes(client: LanguageClient, uri: str) -> list[str]:
    return [d.code for d in client.diagnostics.get(uri, [])]


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (ASCII text: UTF-16 units are characters)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        return min(starts[min(position.line, len(lines))] + position.character, len(text))

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


@pytest.mark.asyncio
async def test_open_a_file_with_a_blocking_call_gets_the_diagnostic(client: LanguageClient, tmp_path: Path):
    uri = open_document(client, tmp_path / "shop/sleepy.py", SLEEPY)
    diagnostics = await until(client, lambda: client.diagnostics.get(uri), "DJA101")
    (diagnostic,) = diagnostics
    rule = catalog()["DJA101"]
    assert diagnostic.code == "DJA101"
    assert diagnostic.source == "async-lint"
    assert diagnostic.severity == (types.DiagnosticSeverity.Error if rule.level == "error" else types.DiagnosticSeverity.Warning)
    assert diagnostic.code_description.href == rule.url
    assert "time.sleep()" in diagnostic.message
    assert diagnostic.range == types.Range(types.Position(4, 4), types.Position(4, 17))


@pytest.mark.asyncio
async def test_editing_a_helper_in_another_open_file_updates_the_callers_dja401(client: LanguageClient, tmp_path: Path):
    helpers = open_document(client, tmp_path / "shop/helpers.py")
    views = open_document(client, tmp_path / "shop/views.py")
    await until(client, lambda: views in client.diagnostics and helpers in client.diagnostics, "the first diagnostics")
    assert codes(client, views) == []

    # The helper starts blocking in the editor only (the file on disk is unchanged).
    change_document(client, helpers, 2, HELPERS_BLOCKING)
    (diagnostic,) = await until(client, lambda: client.diagnostics.get(views), "DJA401 in the caller")
    assert diagnostic.code == "DJA401"
    assert diagnostic.range.start == types.Position(4, 4)
    related = diagnostic.related_information
    assert [r.location.uri for r in related] == [helpers, helpers]
    assert related[0].location.range.start.line == 3  # def refresh()
    assert related[1].location.range.start.line == 4  # time.sleep(1)
    assert "time.sleep()" in related[1].message
    assert (tmp_path / "shop/helpers.py").read_text() == HELPERS_CALM

    change_document(client, helpers, 3, HELPERS_CALM)
    await until(client, lambda: codes(client, views) == [], "DJA401 gone from the caller")


@pytest.mark.asyncio
async def test_code_actions_fix_fix_all_and_noqa(client: LanguageClient, tmp_path: Path):
    text = SLEEPY + "\n\nasync def nap_more(request):\n    time.sleep(2)\n"
    uri = open_document(client, tmp_path / "shop/sleepy.py", text)
    diagnostics = await until(client, lambda: len(client.diagnostics.get(uri, [])) == 2 and client.diagnostics[uri], "two DJA101")
    first = diagnostics[0]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri=uri), range=first.range, context=types.CodeActionContext(diagnostics=[first]))
    )
    by_kind: dict[str, list[types.CodeAction]] = {}
    for action in actions:
        by_kind.setdefault(action.kind, []).append(action)
    fix, noqa = by_kind[types.CodeActionKind.QuickFix]
    assert fix.is_preferred and fix.diagnostics[0].code == "DJA101"
    fixed = apply_text_edits(text, fix.edit.changes[uri])
    assert "import asyncio\n" in fixed
    assert "    await asyncio.sleep(1)\n" in fixed and "    time.sleep(2)\n" in fixed

    assert apply_text_edits(text, noqa.edit.changes[uri]).splitlines()[4] == "    time.sleep(1)  # noqa: DJA101"

    (fix_all,) = by_kind["source.fixAll.async-lint"]
    all_fixed = apply_text_edits(text, fix_all.edit.changes[uri])
    assert "await asyncio.sleep(1)" in all_fixed and "await asyncio.sleep(2)" in all_fixed
    compile(all_fixed, "sleepy.py", "exec")

    # The editor applies it: the diagnostics go.
    change_document(client, uri, 2, all_fixed)
    await until(client, lambda: uri in client.diagnostics and codes(client, uri) == [], "no findings after fix-all")


@pytest.mark.asyncio
async def test_a_syntax_error_gives_dja000_and_the_server_keeps_serving(client: LanguageClient, tmp_path: Path):
    uri = open_document(client, tmp_path / "shop/sleepy.py", "import time\n\nasync def nap(request:\n    time.sleep(1)\n")
    (diagnostic,) = await until(client, lambda: client.diagnostics.get(uri), "DJA000")
    assert diagnostic.code == "DJA000" and "syntax error" in diagnostic.message
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range, context=types.CodeActionContext(diagnostics=[diagnostic]))
    )
    assert [a.kind for a in actions] == [types.CodeActionKind.QuickFix]  # only the noqa: DJA000 has no fix

    change_document(client, uri, 2, SLEEPY)
    await until(client, lambda: codes(client, uri) == ["DJA101"], "DJA101 once the text parses")
    other = open_document(client, tmp_path / "shop/views.py")
    await until(client, lambda: other in client.diagnostics, "diagnostics of another file")


@pytest_lsp.fixture(config=SERVER)
async def misconfigured(lsp_client: LanguageClient, tmp_path: Path):
    app = SLEEPY + "    asyncio.get_event_loop()\n"
    write_tree(tmp_path, {"pyproject.toml": "[tool.async-lint]\nselekt = ['DJA3']\n", "app.py": "import asyncio\n" + app})
    await lsp_client.initialize_session(types.InitializeParams(capabilities=pytest_lsp.client_capabilities("neovim"), root_uri=tmp_path.as_uri()))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_a_bad_config_is_a_message_not_a_crash(misconfigured: LanguageClient, tmp_path: Path):
    client = misconfigured
    uri = open_document(client, tmp_path / "app.py")
    await until(client, lambda: client.messages, "a window message")
    (message,) = client.messages
    assert message.type == types.MessageType.Error and "selekt" in message.message
    await until(client, lambda: uri in client.diagnostics, "diagnostics (none) for the file")
    assert codes(client, uri) == []

    # Fixed and saved: the server reads the configuration again, and its selection applies.
    (tmp_path / "pyproject.toml").write_text("[tool.async-lint]\nselect = ['DJA3']\n")
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=(tmp_path / "pyproject.toml").as_uri())))
    await until(client, lambda: codes(client, uri) == ["DJA303"], "only DJA303 (not DJA101) with the fixed configuration")


@pytest.mark.asyncio
async def test_unopened_modules_come_from_disk_through_the_cli_cache(client: LanguageClient, tmp_path: Path):
    (tmp_path / "shop/helpers.py").write_text(HELPERS_BLOCKING)
    views = open_document(client, tmp_path / "shop/views.py")
    (diagnostic,) = await until(client, lambda: client.diagnostics.get(views), "DJA401 from the helper on disk")
    assert diagnostic.code == "DJA401"

    # The helper read from disk is cached where the command line looks; the
    # open buffer is not (an editor's every version would fill the cache).
    def entries() -> list[str]:
        return [p.read_text() for p in (tmp_path / ".async_lint_cache").rglob("*.json") if not p.name.startswith(("project-", "table-", "shape-"))]

    (entry,) = entries()
    assert '"module":"shop.helpers"' in entry

    # Edited, then saved: the saved text's result joins the cache for the next command-line run.
    edited = VIEWS.replace("return None", "return refresh")
    change_document(client, views, 2, edited)
    (tmp_path / "shop/views.py").write_text(edited)
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=views)))
    await until(client, lambda: any('"module":"shop.views"' in e for e in entries()), "the saved file's cache entry")


@pytest.mark.asyncio
async def test_a_helper_changed_on_disk_is_read_again_when_the_client_reports_it(client: LanguageClient, tmp_path: Path):
    views = open_document(client, tmp_path / "shop/views.py")
    await until(client, lambda: views in client.diagnostics, "the first diagnostics")
    assert codes(client, views) == []
    (watch,) = REGISTRATIONS
    assert watch.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    assert [w["globPattern"] for w in watch.register_options["watchers"]] == ["**/*.py", "**/pyproject.toml"]  # LSPAny: plain JSON
    helpers = tmp_path / "shop/helpers.py"
    helpers.write_text(HELPERS_BLOCKING)  # e.g. a git checkout, the file not open in the editor
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=helpers.as_uri(), type=types.FileChangeType.Changed)]))
    await until(client, lambda: codes(client, views) == ["DJA401"], "DJA401 from the helper's new text on disk")


def test_the_server_command_line(tmp_path: Path):
    result = installed("server", "--help", cwd=tmp_path)
    assert result.returncode == 0 and "Usage: async-lint server" in result.stdout and "language server" in result.stdout
    result = installed("server", "shop/", cwd=tmp_path)
    assert result.returncode == 2 and "unexpected extra argument" in result.stderr
    # A folder named like the subcommand is still lintable.
    write_tree(tmp_path, {"server/app.py": SLEEPY})
    result = installed("./server", cwd=tmp_path)
    assert result.returncode == 1 and "DJA101" in result.stdout


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest_lsp.fixture(config=SERVER)
async def example_client(lsp_client: LanguageClient, tmp_path: Path):
    import shutil

    shutil.copytree(EXAMPLES, tmp_path / "examples")
    await lsp_client.initialize_session(types.InitializeParams(capabilities=pytest_lsp.client_capabilities("neovim"), root_uri=(tmp_path / "examples").as_uri()))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_the_servers_diagnostics_are_the_command_lines_findings(example_client: LanguageClient, tmp_path: Path):
    """Every file of the example project open in the editor: the same findings
    as `async-lint examples/` (cross-module and project-wide rules included)."""
    from async_lint.config import folder_settings
    from async_lint.engine import run

    client = example_client
    root = tmp_path / "examples"
    files = sorted(root.rglob("*.py"))
    expected = {(f.path, f.line, f.column, f.code) for f in run([str(root)], folder_settings(str(root))).findings}
    assert {code for *_, code in expected} >= {"DJA101", "DJA401"}
    uris = {open_document(client, path): str(path) for path in files}
    await until(client, lambda: all(uri in client.diagnostics for uri in uris), "diagnostics of every file")

    def served():
        return {(uris[uri], d.range.start.line + 1, d.range.start.character + 1, d.code) for uri in uris for d in client.diagnostics[uri]}

    await until(client, lambda: served() == expected, "the command line's findings")


def test_the_server_collects_young_objects_as_rarely_as_a_command_line_run(monkeypatch):
    """Each edit parses a file again; the server tunes the collector the way
    a command-line run does (source.tune_gc_for_parsing) before it serves."""
    import gc

    from async_lint import server
    from async_lint.source import PARSE_GC_THRESHOLD

    seen: list[int] = []

    class Recorder:
        def start_io(self) -> None:
            seen.append(gc.get_threshold()[0])

    monkeypatch.setattr(server, "build_server", Recorder)
    before = gc.get_threshold()
    gc.set_threshold(700, before[1], before[2])
    try:
        server.serve()
    finally:
        gc.set_threshold(*before)
    assert seen == [PARSE_GC_THRESHOLD]
