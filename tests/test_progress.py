"""The progress bar: on a terminal's stderr for long runs only; never in a
pipe or in a machine format; NO_COLOR and FORCE_COLOR honoured."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from async_lint.progress import ProgressBar, progress_for
from tests.cli_helpers import BLOCKING_VIEW, run_cli, write_tree


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=80), buffer


def test_short_runs_show_nothing_long_runs_show_a_bar():
    console, buffer = terminal()
    clock = FakeClock()
    bar = ProgressBar(console, delay=1.0, min_files=400, clock=clock)
    bar(1, 10)
    assert not bar.shown and buffer.getvalue() == ""
    clock.now = 1.5  # the run has taken long enough to need a bar
    bar(2, 10)
    assert bar.shown
    bar(10, 10)
    bar.close()
    assert "10/10" in buffer.getvalue()


def test_many_files_show_a_bar_at_once():
    console, buffer = terminal()
    with ProgressBar(console, min_files=400, clock=FakeClock()) as bar:
        bar(1, 500)
        assert bar.shown
    assert "/500" in buffer.getvalue()


@pytest.mark.parametrize(
    "tty,fmt,wanted",
    [(True, "rich", True), (True, "concise", True), (False, "rich", False), (True, "json", False), (True, "sarif", False), (True, "github", False)],
)
def test_bar_only_on_a_terminal_and_human_formats(tty, fmt, wanted):
    assert (progress_for(tty, fmt) is not None) == wanted


def test_no_progress_output_when_not_a_tty(tmp_path, monkeypatch):
    # Enough files for the parallel path and for the "many files" threshold.
    write_tree(tmp_path, {f"app{i}/views.py": BLOCKING_VIEW for i in range(20)})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ProgressBar, "__init__", _fail_if_built)
    result = run_cli([".", "--format", "rich", "--jobs", "2"])
    assert result.exit_code == 1
    assert "analysing" not in result.stderr and "\r" not in result.stderr


def _fail_if_built(self, *args, **kwargs):
    raise AssertionError("a progress bar was built for a non-terminal stderr")


def test_colour_env_vars(tmp_path, monkeypatch):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW})
    monkeypatch.chdir(tmp_path)
    forced = run_cli(["views.py", "--format", "rich"], env={"FORCE_COLOR": "1", "NO_COLOR": None})
    assert "\x1b[" in forced.stdout
    plain = run_cli(["views.py", "--format", "rich"], env={"FORCE_COLOR": None, "NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout and "DJA101" in plain.stdout
    no_colour = run_cli(["views.py", "--format", "rich"], env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[33m" not in no_colour.stdout  # NO_COLOR wins over colours


@pytest.mark.parametrize("jobs", [1, 2])
def test_engine_reports_each_file_done(tmp_path, jobs):
    from async_lint import engine
    from tests.helpers import make_settings

    write_tree(tmp_path, {f"app{i}/views.py": BLOCKING_VIEW for i in range(20)})
    calls: list[tuple[int, int]] = []
    settings = make_settings(jobs=jobs)
    result = engine.run([str(tmp_path)], settings, on_file_done=lambda done, total: calls.append((done, total)))
    assert len(result.findings) == 20
    assert calls[-1] == (20, 20)
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})
