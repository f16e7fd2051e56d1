"""``async-lint server``: the findings in the editor, over the Language Server
Protocol on stdio (pygls does the protocol).

One warm ``engine.Workspace`` per project (the folder ``find_project_root``
gives for a file, as on the command line) keeps every file's summary in
memory: an edit re-analyses the edited buffer only, and the project-index
findings (DJA401 chains) of every open file of that project are recomputed
and published again, so callers see a helper's edit.  Files read from disk
share the command line's on-disk cache.

Diagnostics come on open and save at once, and on change after a short
pause in typing.  The analysis, and everything that touches the projects,
runs in one worker thread in order, so the server answers while it works
and needs no locks; a newer edit supersedes a lint not yet published.
"""

from __future__ import annotations

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from async_lint import __version__
from async_lint.catalog import catalog
from async_lint.config import ConfigError, folder_settings
from async_lint.findings import Edit, Finding
from async_lint.project import find_project_root
from async_lint.source import SourceError, decode_source, encode_text, read_source, split_lines
from async_lint.suppress import Suppressions, _comment_start, noqa_codes

SOURCE = "async-lint"
# Seconds of quiet after a keystroke before linting (each lint re-analyses the buffer).
DEBOUNCE = 0.3
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.async-lint"
SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}
_NOQA_CODES = re.compile(r"(#\s*noqa\s*:\s*)([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)


@dataclass
class _Project:
    """A project's warm workspace, or why there is none (a bad configuration)."""

    workspace: object | None
    error: str | None = None
    run: object | None = None  # the last RunResult (fix-all re-lints within it)
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    versions: dict[str, int | None] = field(default_factory=dict)  # document version each path's findings are of


class AsyncLintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("async-lint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.projects: dict[str, _Project] = {}
        self.roots: dict[str, str] = {}  # path -> project root
        self.open_paths: set[str] = set()
        self.saved_paths: set[str] = set()  # saved since the last lint: cached after it
        # The projects' only user: one job at a time, in order, off the event loop.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="async-lint")
        self.pending: asyncio.Task | None = None
        self.published: dict[str, tuple[int | None, list[types.Diagnostic]]] = {}
        # Messages for the user from the worker thread, sent from the event loop.
        self.messages: list[types.ShowMessageParams] = []

    # -- projects ---------------------------------------------------------------------
    def project_of(self, path: str) -> _Project:
        root = self.roots.get(path)
        if root is None:
            root = self.roots[path] = find_project_root([path])
        project = self.projects.get(root)
        if project is None:
            from async_lint.engine import Workspace

            try:
                settings = folder_settings(root)
            except ConfigError as exc:
                project = _Project(None, error=str(exc))
                self.messages.append(types.ShowMessageParams(type=types.MessageType.Error, message=f"async-lint: {exc}"))
            else:
                workspace = Workspace(root, settings, cache_dir=settings.extra.get("cache_dir"))
                project = _Project(workspace)
            self.projects[root] = project
        return project

    def forget_projects(self) -> None:
        """The configuration may have changed: projects are built again on next use."""
        self.projects.clear()

    def forget_text(self, path: str) -> None:
        """Back to the file on disk (closed, or changed on disk), in every
        project that has read it (a file need not be open to be in one)."""
        for project in self.projects.values():
            if project.workspace is not None:
                project.workspace.set_text(path, None)
                if path not in self.open_paths:
                    project.findings.pop(path, None)
                    project.versions.pop(path, None)

    def submit(self, job, *args) -> None:
        """Run ``job`` in the worker thread, after the jobs before it."""
        self.executor.submit(job, *args)

    # -- linting ------------------------------------------------------------------------
    def schedule(self, delay: float) -> None:
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
        self.pending = asyncio.ensure_future(self._lint_later(delay))

    async def _lint_later(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        buffers = self._buffers()
        loop = asyncio.get_running_loop()
        try:
            published = await loop.run_in_executor(self.executor, self.lint_buffers, buffers)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an internal error costs this lint, never the server
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=f"async-lint: internal error: {type(exc).__name__}: {exc}"))
            return
        while self.messages:
            self.window_show_message(self.messages.pop(0))
        for uri, version, diagnostics in published:
            # Compared with what the client was last sent, not with the last
            # lint: a lint superseded before it was published published nothing.
            if self.published.get(uri) != (version, diagnostics):
                self.published[uri] = (version, diagnostics)
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics))

    def _buffers(self) -> dict[str, tuple[str, int | None, str]]:
        """path -> (uri, version, text) of every open Python document."""
        out = {}
        for uri, document in list(self.workspace.text_documents.items()):
            path = to_fs_path(uri)
            if path is not None and path in self.open_paths:
                out[path] = (uri, document.version, document.source)
        return out

    def lint_buffers(self, buffers: dict[str, tuple[str, int | None, str]]) -> list[tuple[str, int | None, list[types.Diagnostic]]]:
        """Lint every open document (in the worker thread): each one's diagnostics."""
        by_project: dict[str, list[str]] = {}
        for path in buffers:
            self.project_of(path)
            by_project.setdefault(self.roots[path], []).append(path)
        out = []
        for root, paths in by_project.items():
            project = self.projects[root]
            if project.workspace is None:
                out.extend((buffers[p][0], buffers[p][1], []) for p in paths)
                continue
            for path in paths:
                project.workspace.set_text(path, encode_text(buffers[path][2]))
            run = project.workspace.lint(sorted(paths))
            project.run = run
            for path in self.saved_paths & set(paths):
                project.workspace.saved(path)
                self.saved_paths.discard(path)
            findings: dict[str, list[Finding]] = {p: [] for p in paths}
            # What a command-line run hides (per-file-ignores, the ORM opt-out), in the same one step.
            shown = Suppressions(project.workspace.settings, root, None, run.orm_opt_outs).visible(run.findings)
            for finding in shown:
                findings.setdefault(finding.path, []).append(finding)
            for path in paths:
                uri, version, text = buffers[path]
                lines = split_lines(text)
                out.append((uri, version, [self.diagnostic(f, lines, project) for f in findings[path]]))
                project.findings[path] = findings[path]
                project.versions[path] = version
        return out

    # -- diagnostics --------------------------------------------------------------------
    def lsp_range(self, lines: list[str], line: int, column: int, end_line: int, end_column: int) -> types.Range:
        """1-based rows and code-point columns as the client counts positions."""
        codec = self.workspace.position_codec
        start = ServerTextPosition(max(line - 1, 0), max(column - 1, 0))
        end = ServerTextPosition(max(end_line - 1, 0), max(end_column - 1, 0))
        return codec.range_to_client_units(lines, ServerTextRange(start, end))

    def diagnostic(self, finding: Finding, lines: list[str], project: _Project) -> types.Diagnostic:
        rule = catalog().get(finding.code)
        return types.Diagnostic(
            range=self.lsp_range(lines, finding.line, finding.column, finding.end_line, finding.end_column),
            message=finding.message,
            severity=SEVERITY.get(finding.level, types.DiagnosticSeverity.Information),
            code=finding.code,
            code_description=types.CodeDescription(href=rule.url) if rule is not None else None,
            source=SOURCE,
            related_information=self.chain_locations(finding, project) or None,
        )

    def chain_locations(self, finding: Finding, project: _Project) -> list[types.DiagnosticRelatedInformation]:
        """DJA401's chain: each function it goes through, then the blocking line."""
        out = []
        for step in finding.extra.get("steps") or ():
            lines = self._lines_of(step["path"], project)
            row = step.get("line")
            if row is None:
                # Summaries keep no position for a function: its ``def`` line, found in its text.
                pattern = re.compile(rf"\s*(?:async\s+)?def\s+{re.escape(step.get('def', ''))}\b")
                row = next((n for n, text in enumerate(lines, start=1) if pattern.match(text)), 1)
                message = f"calls `{step['text']}`"
            else:
                message = f"blocks: `{step['text']}`"
            where = types.Location(uri=from_fs_path(step["path"]), range=self.lsp_range(lines, row, 1, row, 1))
            out.append(types.DiagnosticRelatedInformation(location=where, message=message))
        return out

    @staticmethod
    def _lines_of(path: str, project: _Project) -> list[str]:
        data = project.workspace.text(path) if project.workspace is not None else None
        try:
            return split_lines((decode_source(path, data) if data is not None else read_source(path)).text)
        except SourceError:
            return []

    # -- code actions -------------------------------------------------------------------
    def code_actions(self, params: types.CodeActionParams, text: str, version: int | None) -> list[types.CodeAction]:
        """The actions for ``params`` on the document's ``text`` at ``version`` (in the worker thread)."""
        path = to_fs_path(params.text_document.uri)
        project = self.projects.get(self.roots.get(path or "", ""))
        if path is None or project is None or project.workspace is None:
            return []
        if project.versions.get(path) != version:
            return []  # findings of an older text: their edits would land in the wrong place
        uri, lines = params.text_document.uri, split_lines(text)
        wanted = params.context.only
        findings = project.findings.get(path, [])
        actions: list[types.CodeAction] = []
        if not wanted or any(kind.startswith(types.CodeActionKind.QuickFix) for kind in wanted):
            for finding in findings:
                if not self._touches(finding, params.range):
                    continue
                diagnostic = self.diagnostic(finding, lines, project)
                if self._safe_fix(finding, project):
                    edits = [self.text_edit(e, lines) for e in finding.fix.edits]
                    actions.append(self._action(finding.fix.message or f"Fix {finding.code}", types.CodeActionKind.QuickFix, uri, edits, [diagnostic], preferred=True))
                noqa = self.noqa_edit(finding, lines)
                if noqa is not None:
                    actions.append(self._action(f"Ignore {finding.code} on this line with `# noqa: {finding.code}`", types.CodeActionKind.QuickFix, uri, [noqa], [diagnostic]))
        fixable = [f for f in findings if self._safe_fix(f, project)]
        if fixable and (not wanted or any(FIX_ALL_KIND.startswith(kind) or kind == types.CodeActionKind.QuickFix for kind in wanted)):
            fixed = self.fix_all(path, text, fixable, project)
            if fixed is not None:
                whole = self.lsp_range(lines, 1, 1, len(lines) + 1, 1)
                actions.append(self._action("Fix all async-lint problems in this file", FIX_ALL_KIND, uri, [types.TextEdit(range=whole, new_text=fixed)], []))
        return actions

    @staticmethod
    def _touches(finding: Finding, where: types.Range) -> bool:
        return finding.line - 1 <= where.end.line and finding.end_line - 1 >= where.start.line

    @staticmethod
    def _safe_fix(finding: Finding, project: _Project) -> bool:
        from async_lint.apply_fixes import fixable

        return bool(fixable([finding], project.workspace.settings.enabled))

    @staticmethod
    def _action(title: str, kind: str, uri: str, edits: list[types.TextEdit], diagnostics: list[types.Diagnostic], preferred: bool = False) -> types.CodeAction:
        return types.CodeAction(
            title=title,
            kind=kind,
            diagnostics=diagnostics or None,
            is_preferred=preferred or None,
            edit=types.WorkspaceEdit(changes={uri: edits}),
        )

    def text_edit(self, edit: Edit, lines: list[str]) -> types.TextEdit:
        return types.TextEdit(range=self.lsp_range(lines, edit.row, edit.column, edit.end_row, edit.end_column), new_text=edit.content)

    def noqa_edit(self, finding: Finding, lines: list[str]) -> types.TextEdit | None:
        """``# noqa: CODE`` at the end of the finding's first line, or the code
        added to the noqa comment already there."""
        if not 1 <= finding.line <= len(lines):
            return None
        text = lines[finding.line - 1]
        codes = noqa_codes(text)
        if codes is not None and not codes:
            return None  # a blanket noqa already covers it
        start = _comment_start(text)
        match = _NOQA_CODES.search(text, start) if codes and start is not None else None
        if match is not None:
            at = match.end(2)
            return types.TextEdit(range=self.lsp_range(lines, finding.line, at + 1, finding.line, at + 1), new_text=f", {finding.code}")
        end = len(text)
        return types.TextEdit(range=self.lsp_range(lines, finding.line, end + 1, finding.line, end + 1), new_text=f"  # noqa: {finding.code}")

    @staticmethod
    def fix_all(path: str, text: str, fixable: list[Finding], project: _Project) -> str | None:
        """The file with every safe fix applied, through --fix's safety net."""
        from async_lint.apply_fixes import fix_source

        try:
            source = decode_source(path, encode_text(text))
        except SourceError:
            return None
        result = fix_source(path, source, project.workspace.settings, fixable, project=project.run)
        return result.text if result.changed else None


def build_server() -> AsyncLintServer:
    server = AsyncLintServer()

    def tracked(uri: str) -> str | None:
        path = to_fs_path(uri)
        return path if path is not None and path.endswith((".py", ".pyi")) else None

    @server.feature(types.INITIALIZED)
    async def initialized(ls: AsyncLintServer, params: types.InitializedParams) -> None:
        # Files changed on disk behind the editor (a git checkout, a
        # pyproject.toml edit) reach the warm projects only if the client
        # watches them for us.
        capabilities = ls.client_capabilities.workspace
        watched = capabilities.did_change_watched_files if capabilities is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[types.FileSystemWatcher(glob_pattern="**/*.py"), types.FileSystemWatcher(glob_pattern="**/pyproject.toml")])
        registration = types.Registration(id="async-lint-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except Exception as exc:  # a client that refuses: edits on disk are seen on reopen
            ls.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=f"async-lint: cannot watch files: {exc}"))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: AsyncLintServer, params: types.DidOpenTextDocumentParams) -> None:
        path = tracked(params.text_document.uri)
        if path is not None:
            ls.open_paths.add(path)
            ls.schedule(0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: AsyncLintServer, params: types.DidChangeTextDocumentParams) -> None:
        if tracked(params.text_document.uri) is not None:
            ls.schedule(DEBOUNCE)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: AsyncLintServer, params: types.DidSaveTextDocumentParams) -> None:
        path = to_fs_path(params.text_document.uri)
        if path is not None and os.path.basename(path) == "pyproject.toml":
            ls.submit(ls.forget_projects)
            ls.schedule(0)
        elif tracked(params.text_document.uri) is not None:
            ls.saved_paths.add(path)
            ls.schedule(0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: AsyncLintServer, params: types.DidCloseTextDocumentParams) -> None:
        path = tracked(params.text_document.uri)
        if path is None:
            return
        ls.open_paths.discard(path)
        ls.submit(ls.forget_text, path)  # the other files see the file on disk again
        ls.published.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))
        ls.schedule(0)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: AsyncLintServer, params: types.DidChangeWatchedFilesParams) -> None:
        paths = [to_fs_path(change.uri) for change in params.changes]
        if any(p is not None and os.path.basename(p) == "pyproject.toml" for p in paths):
            ls.submit(ls.forget_projects)
        else:
            for path in paths:
                if path is not None and path not in ls.open_paths:
                    ls.submit(ls.forget_text, path)
        ls.schedule(0)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: AsyncLintServer, params: types.DidChangeConfigurationParams) -> None:
        ls.submit(ls.forget_projects)
        ls.schedule(0)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]),
    )
    async def code_action(ls: AsyncLintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        document = ls.workspace.get_text_document(params.text_document.uri)
        return await asyncio.get_running_loop().run_in_executor(ls.executor, ls.code_actions, params, document.source, document.version)

    return server


def serve() -> None:
    from async_lint.source import tune_gc_for_parsing

    # Each edit parses a file again: hundreds of thousands of objects the
    # collector would scan, in vain, thousands of times (as in a command-line run).
    tune_gc_for_parsing()
    build_server().start_io()
