"""Worker processes that analyse one file at a time, each within a budget.

One file must never cost the run: a parser that overflows its native stack
(a 10,000-term ``and`` chain), a pass that runs for minutes or takes
gigabytes, an exception in a check.  So every file is analysed in a worker
process, and whatever happens to it becomes a ``Failure`` for that file
alone:

- inside the worker, the analysis runs on a deep stack (valid but deeply
  nested code is analysed, not crashed on), an exception becomes a Failure,
  and an address-space limit turns runaway allocation into ``MemoryError``;
- from outside, a worker that dies (a segfault, the OOM killer) or that has
  spent the file's time budget (CPU time) is killed and replaced, and the
  other files go on.

Workers ignore Ctrl-C (the parent stops them) and die with the parent, even
when it is killed with SIGKILL (Linux's parent-death signal).
"""

from __future__ import annotations

import collections
import contextlib
import faulthandler
import functools
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable, Iterator

from async_lint.source import one_line

# Address space all workers together may add to what they start with: the
# run stays within about a gigabyte however many workers there are.
MEMORY_BUDGET_BYTES = 1 << 30
MIN_WORKER_MEMORY_BYTES = 384 << 20


@dataclass(frozen=True)
class Failure:
    """Why a file could not be analysed: ``cause`` is one line for the user,
    ``trace`` the traceback, shown with --verbose."""

    cause: str
    trace: str | None = None
    # True when the file ran out of time or memory (or its worker was killed),
    # not when the analysis raised: a smaller piece of it may still fit.
    resource: bool = False


# libcst's parser (native) and its trees (Python) recurse once per nesting
# level, and a chain of 400 ``and``s nests 400 levels: a thread stack this big
# and a recursion limit this high let valid code that deep (a 20,000-term
# chain) be analysed instead of overflowing the 8 MB main stack.  Only touched
# pages cost memory; past the limit the file is DJA000, past the stack its
# worker dies, and either way only that file is lost.
DEEP_STACK_BYTES = 512 << 20
DEEP_RECURSION_LIMIT = 50_000


class _DeepThread:
    """One long-lived thread with a deep stack that runs calls handed to it
    one at a time: starting a thread with such a stack for every file cost
    0.1 ms a file (0.4 CPU-s on a 4,000-file project).  A process keeps its
    own (a forked worker does not inherit the thread)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.busy = threading.Lock()  # held by the caller whose call runs
        self.requests: queue.SimpleQueue = queue.SimpleQueue()
        self.replies: queue.SimpleQueue = queue.SimpleQueue()
        self.thread: threading.Thread | None = None

    def start(self) -> bool:
        self.thread = _start_deep_thread(self._serve)
        return self.thread is not None

    def _serve(self) -> None:
        while True:
            function, args = self.requests.get()
            try:
                reply = (True, function(*args))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                reply = (False, exc)
            self.replies.put(reply)
            del function, args, reply

    def call(self, function: Callable[..., Any], args: tuple) -> tuple[bool, Any]:
        self.requests.put((function, args))
        return self.replies.get()


_deep_thread: _DeepThread | None = None
_deep_thread_guard = threading.Lock()


def _claim_deep_thread() -> _DeepThread | None:
    """This process's deep thread, held for one call; None when it is busy
    (another thread's call) or cannot be started."""
    global _deep_thread
    with _deep_thread_guard:
        if _deep_thread is None or _deep_thread.pid != os.getpid():
            _deep_thread = _DeepThread()
        deep = _deep_thread
    if not deep.busy.acquire(blocking=False):
        return None
    if deep.thread is None and not deep.start():
        deep.busy.release()
        return None
    return deep


def _start_deep_thread(target: Callable[[], None]) -> threading.Thread | None:
    """A started daemon thread running ``target`` on a DEEP_STACK_BYTES
    stack; None when no such thread can be started."""
    try:
        old_size = threading.stack_size(DEEP_STACK_BYTES)
    except (ValueError, RuntimeError):
        return None
    try:
        thread = threading.Thread(target=target, name="async-lint-analysis", daemon=True)
        thread.start()
    except RuntimeError:  # no memory for the stack
        return None
    finally:
        threading.stack_size(old_size)
    return thread


def _call_in_new_thread(function: Callable[..., Any], args: tuple) -> tuple[bool, Any] | None:
    """``function(*args)`` in a thread of its own with a deep stack; None when
    no such thread can be started."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["reply"] = (True, function(*args))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["reply"] = (False, exc)

    thread = _start_deep_thread(target)
    if thread is None:
        return None
    thread.join()
    return box["reply"]


def call_with_deep_stack(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a thread with a deep stack (directly where no
    such thread can be started)."""
    old_limit = sys.getrecursionlimit()
    # Raised before the call: the limit is the interpreter's, not the thread's.
    sys.setrecursionlimit(max(old_limit, DEEP_RECURSION_LIMIT))
    try:
        deep = _claim_deep_thread()
        if deep is not None:
            try:
                reply = deep.call(function, args)
            finally:
                deep.busy.release()
        else:
            # Another thread's call holds the long-lived thread (a language
            # server's worker and a test's), or it cannot be started.
            reply = _call_in_new_thread(function, args)
    finally:
        sys.setrecursionlimit(old_limit)
    if reply is None:
        return function(*args)
    ok, value = reply
    if not ok:
        raise value
    return value


def run_guarded(function: Callable[[Any], Any], item: Any) -> Any:
    """``function(item)`` (with a deep stack), or a Failure naming what went wrong."""
    cause: str
    trace: str | None = None
    try:
        return call_with_deep_stack(function, item)
    except MemoryError:
        # No traceback: formatting it needs the memory that just ran out.
        return Failure("analysis needed more memory than its budget", resource=True)
    except RecursionError:
        cause, trace = "the file is nested too deeply to analyse (recursion limit)", traceback.format_exc()
    except Exception as exc:  # noqa: BLE001 - any bug costs only this file
        cause, trace = f"internal error in async-lint: {type(exc).__name__}: {one_line(exc) or 'no message'}", traceback.format_exc()
    return Failure(cause, trace)


# -- the worker process ------------------------------------------------------------------
def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was set
        os._exit(0)


def _limit_memory(extra_bytes: int | None) -> None:
    if not extra_bytes:
        return
    with contextlib.suppress(Exception):
        import resource

        with open("/proc/self/status") as fh:
            size = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = size + DEEP_STACK_BYTES + extra_bytes
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


@dataclass(frozen=True)
class Configure:
    """Sent to a worker started before its work was known (``start_early``):
    the function it runs on the items that follow."""

    function: Callable[[Any], Any]


def _serve(conn, function: Callable[[Any], Any] | None, memory: int | None, parent: int, prepare: Callable[[], Any] | None = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # A crash is reported by the parent in one line; no stack dump from here,
    # nor the native parser's own words as it runs out of memory.
    faulthandler.disable()
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    _die_with_parent(parent)
    if prepare is not None:
        # Before the memory limit, which then counts from what it imported.
        with contextlib.suppress(Exception):
            prepare()
    _limit_memory(memory)
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        if type(item) is Configure:
            function = item.function
            continue
        outcome = run_guarded(function, item)
        try:
            conn.send(outcome)
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - e.g. a result too deep to pickle
            conn.send(Failure(f"internal error in async-lint: its result could not be sent back ({type(exc).__name__})"))


# How often the parent reads its busy workers' CPU time.
BUDGET_CHECK_SECONDS = 0.2

# The budget counts the worker's CPU time, not the clock's, so that a busy
# machine does not turn a slow but healthy file into a DJA000; a worker that
# spends no CPU is stopped after this many budgets of wall-clock time.
WALL_CLOCK_FACTOR = 10


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process (Linux), None where unknown."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# -- the pool --------------------------------------------------------------------------------
def _context():
    # fork is cheap and inherits the imported engine; elsewhere use the default.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        why = {"SIGSEGV": "a crash in native code, e.g. the parser's stack", "SIGKILL": "killed, e.g. out of memory", "SIGABRT": "aborted, e.g. out of memory"}.get(name)
        return f"{name}, {why}" if why else name
    return f"exit code {exitcode}"


class _Worker:
    def __init__(self, ctx, function, memory: int | None, prepare: Callable[[], Any] | None = None):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, function, memory, os.getpid(), prepare), daemon=True)
        self.process.start()
        child.close()
        self.item: Any = None
        self.deadline = 0.0
        self.cpu_readable = _cpu_seconds(self.process.pid) is not None

    def give(self, item: Any, limit: float) -> None:
        self.item = item
        self.limit = limit
        self.given_at = time.monotonic()
        # The worker's CPU time is read at the first budget check after this,
        # not here: reading /proc for every file cost the parent 0.3 CPU-s on
        # a 4,000-file project. Until then its CPU counts as the wall time
        # (at most one check interval, BUDGET_CHECK_SECONDS).
        self.cpu_start: float | None = None
        self.cpu_marked_at = self.given_at
        # A backstop for a worker that spends no CPU (blocked, or where CPU time cannot be read).
        self.deadline = self.given_at + (limit * WALL_CLOCK_FACTOR if self.cpu_readable else limit)
        self.conn.send(item)

    def over_budget(self, now: float) -> bool:
        if now > self.deadline:
            return True
        if not self.cpu_readable:
            return False
        used = _cpu_seconds(self.process.pid)
        if used is None:
            return False
        if self.cpu_start is None:
            self.cpu_start, self.cpu_marked_at = used, now
        return used - self.cpu_start + (self.cpu_marked_at - self.given_at) > self.limit

    def kill(self) -> str:
        """Stop the process; how it ended."""
        with contextlib.suppress(Exception):
            self.process.join(0.2)
        if self.process.is_alive():
            with contextlib.suppress(Exception):
                self.process.kill()
            with contextlib.suppress(Exception):
                self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()
        return _death(self.process.exitcode)


class Batch(tuple):
    """Items that travel to a worker together (``WorkerPool.map_batched``)."""


def _each(function: Callable[[Any], Any], item: Any) -> Any:
    """``function`` of an item, or the list of its values for a batch's items."""
    if type(item) is Batch:
        return [function(one) for one in item]
    return function(item)


def worker_memory(size: int) -> int:
    """The address space each of ``size`` workers may add."""
    return max(MIN_WORKER_MEMORY_BYTES, MEMORY_BUDGET_BYTES // max(1, size))


def can_start_workers() -> bool:
    """False in a daemonic process, which may not have children (flake8 runs plugins in a pool of them)."""
    return not multiprocessing.current_process().daemon


def start_early(prepare: Callable[[], Any], size: int) -> "_Worker | None":
    """A worker started before its work is known, running ``prepare`` (its
    imports) while this process goes on: a ``WorkerPool`` given it sends
    its function (``Configure``).  None where none can be started."""
    if not can_start_workers():
        return None
    try:
        return _Worker(_context(), None, worker_memory(size), prepare)
    except OSError:
        return None


def stop(worker: "_Worker") -> None:
    """Stop a worker no pool took, at once: it may still be importing."""
    with contextlib.suppress(Exception):
        worker.process.kill()
    worker.kill()


class WorkerPool:
    """Up to ``size`` workers running ``function`` on items; kept for later
    rounds of the same run, stopped by ``close``.  ``early``: workers
    started before (``start_early``), which the pool takes as its first."""

    def __init__(self, function: Callable[[Any], Any], size: int, seconds: float, processes: bool = True, early: Iterable["_Worker"] = ()):
        self.function = functools.partial(_each, function)
        # False: every item in this process (still on a deep stack, an
        # exception still a Failure), without the time and memory budget.
        self.processes = processes
        self.size = max(1, size)
        self.seconds = seconds
        self.memory = worker_memory(self.size)
        self.ctx = _context()
        self.idle: list[_Worker] = []
        for worker in early:
            if not processes:
                stop(worker)
                continue
            try:
                worker.conn.send(Configure(self.function))
            except Exception:  # noqa: BLE001 - it died: the pool starts another when needed
                worker.kill()
                continue
            self.idle.append(worker)

    def _hard_limit(self) -> float:
        return self.seconds if self.seconds > 0 else float("inf")

    def _worker(self) -> _Worker | None:
        if self.idle:
            return self.idle.pop()
        if not self.processes or not can_start_workers():
            # A daemonic process may not have children (flake8 runs plugins
            # in a pool of them): analyse in this process.
            return None
        try:
            return _Worker(self.ctx, self.function, self.memory)
        except OSError:
            return None  # cannot fork (a process limit): analyse in this process

    def map(self, items: Iterable[Any], workers: int | None = None) -> Iterator[tuple[Any, Any]]:
        """(item, result or Failure) as each item finishes."""
        pending = collections.deque(items)
        wanted = min(self.size, workers or self.size, len(pending))
        busy: dict[Any, _Worker] = {}
        checked = time.monotonic()
        try:
            while pending or busy:
                while pending and len(busy) < wanted:
                    worker = self._worker()
                    if worker is None:
                        if busy:
                            break
                        item = pending.popleft()
                        yield item, run_guarded(self.function, item)
                        continue
                    worker.give(pending.popleft(), self._hard_limit())
                    busy[worker.conn] = worker
                if not busy:
                    continue
                for conn in wait(list(busy), timeout=BUDGET_CHECK_SECONDS):
                    worker = busy.pop(conn)
                    try:
                        outcome = conn.recv()
                    except Exception:  # noqa: BLE001 - EOF: the worker died
                        how = worker.kill()
                        outcome = Failure(f"async-lint's worker process died while analysing this file ({how})", resource=True)
                    else:
                        self.idle.append(worker)
                    yield worker.item, outcome
                now = time.monotonic()
                if now - checked < BUDGET_CHECK_SECONDS:
                    continue
                checked = now
                for conn, worker in list(busy.items()):
                    if worker.over_budget(now):
                        del busy[conn]
                        worker.kill()
                        yield worker.item, Failure(f"analysis took longer than the {self.seconds:g} s budget (--file-timeout)", resource=True)
        finally:
            for worker in busy.values():  # interrupted: nothing may outlive the run
                worker.kill()

    def map_batched(self, items: Iterable[Any], batchable: Callable[[Any], bool], size: int, workers: int | None = None) -> Iterator[tuple[Any, Any]]:
        """``map``, with the ``batchable`` items sent ``size`` at a time
        (after the others), a batch sharing one budget: for items whose
        round trip to a worker costs more than their work.  A batch that
        fails is run again item by item, each within a budget of its own.
        In this process (no workers) nothing is batched."""
        items = list(items)
        together = [item for item in items if batchable(item)] if self.processes else []
        if len(together) < 2:
            yield from self.map(items, workers)
            return
        chosen = {id(item) for item in together}
        sent = [*(item for item in items if id(item) not in chosen), *(Batch(together[i : i + size]) for i in range(0, len(together), size))]
        retry: list[Any] = []
        for item, outcome in self.map(sent, workers):
            if type(item) is not Batch:
                yield item, outcome
            elif isinstance(outcome, Failure):
                retry.extend(item)
            else:
                yield from zip(item, outcome)
        yield from self.map(retry, workers)

    def close(self) -> None:
        for worker in self.idle:
            with contextlib.suppress(Exception):
                worker.conn.send(None)
        for worker in self.idle:
            worker.kill()
        self.idle = []
