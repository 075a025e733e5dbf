"""The web workspace's check and render workers: a fixed number of spawned processes, each under
the memory limit, each task under the time limit.

Not a ``ProcessPoolExecutor``: when one of its workers dies the whole executor breaks and every
task in it fails, and a task cannot be stopped once it runs. Here each worker has its own pipe;
a task is handed to one idle worker by one of as many threads as there are workers (the event
loop only awaits that thread), so

- a task that runs out of memory (``MemoryError`` under ``RLIMIT_AS``) ends in ``WorkerLimit``,
  and that worker is replaced (its heap may be left in pieces);
- a task still running after the time limit: its worker is killed and replaced, ``WorkerLimit``;
- a worker that dies (killed, a C library aborting): ``WorkerDied`` for its task only.

Other tasks, in the other workers, go on. A worker is also replaced after ``MAX_TASKS`` tasks.
"""
from __future__ import annotations

import asyncio
import multiprocessing as mp
import queue
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from ..limits import memory_text, set_memory_limit, timeout_text, vm_peak_mb

MAX_TASKS = 50
BOOT_SECONDS = 60        # a new worker's loading, before the time limit of its first task counts
MEMORY, TIMEOUT = "memory", "timeout"


class WorkerLimit(Exception):
    """The task hit the memory (``kind == MEMORY``) or the time limit (``TIMEOUT``)."""

    def __init__(self, kind: str, limit: float | None):
        self.kind, self.limit = kind, limit
        super().__init__(memory_text(limit) if kind == MEMORY else timeout_text(limit))


class WorkerDied(Exception):
    """The worker process ended while running the task."""

    def __init__(self, exitcode: int | None):
        self.exitcode = exitcode
        if exitcode is not None and exitcode < 0:
            try:
                how = f"被信号 {signal.Signals(-exitcode).name} 终止"
            except ValueError:
                how = f"被信号 {-exitcode} 终止"
        else:
            how = f"意外退出（退出码 {exitcode}）"
        super().__init__(how)


def _serve(conn, initializer, memory_mb: int | None) -> None:
    """A worker: run (fn, args) after (fn, args) until told to stop (None) or the pipe closes."""
    set_memory_limit(memory_mb)
    try:
        if initializer is not None:
            initializer()
    except MemoryError:
        pass                             # the first task then reports the limit
    try:
        conn.send(("ready", None, vm_peak_mb()))     # the time limit counts from here
    except OSError:
        return
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError, MemoryError):
            return
        if message is None:
            return
        fn, args = message
        try:
            reply = ("ok", fn(*args))
        except MemoryError:
            reply = (MEMORY, None)
        except BaseException as exc:     # the caller raises it again
            reply = ("error", exc)
        try:
            conn.send(reply + (vm_peak_mb(),))
        except MemoryError:
            return
        except Exception as exc:         # an exception that does not pickle
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), vm_peak_mb()))
        if reply[0] == MEMORY:
            return


class _Process:
    def __init__(self, ctx, initializer, memory_mb: int | None):
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, initializer, memory_mb), daemon=True,
                                name="juesuan-web-worker")
        self.proc.start()
        child.close()
        self.conn = parent
        self.tasks = 0
        self.ready = False

    def wait_ready(self) -> None:
        """Wait (up to BOOT_SECONDS) until the worker has loaded: loading is not the task's time."""
        if not self.ready and self.conn.poll(BOOT_SECONDS):
            self.conn.recv()             # ("ready", …); EOFError when it died loading
        self.ready = True

    def end(self, kill: bool = False, wait: float = 10) -> int | None:
        if kill:
            self.proc.kill()
        self.proc.join(timeout=wait)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()
        return self.proc.exitcode


class WorkerPool:
    """``workers`` spawned processes running ``initializer`` first; ``await pool.run(fn, *args)``."""

    def __init__(self, workers: int, initializer=None, memory_mb: int | None = None,
                 timeout: float | None = None):
        self.ctx = mp.get_context("spawn")       # not forked: the server runs threads
        self.initializer, self.memory_mb, self.timeout = initializer, memory_mb, timeout or None
        self.idle: queue.Queue[_Process] = queue.Queue()
        self.all: set[_Process] = set()
        self.lock = threading.Lock()
        self.threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="juesuan-worker")
        self.vm_peak_mb = 0.0                    # the largest peak virtual size a worker reported
        for _ in range(workers):
            self.idle.put(self._new())

    def _new(self) -> _Process:
        p = _Process(self.ctx, self.initializer, self.memory_mb)
        with self.lock:
            self.all.add(p)
        return p

    def _replace(self, p: _Process, kill: bool) -> tuple[_Process, int | None]:
        code = p.end(kill=kill)
        with self.lock:
            self.all.discard(p)
        return self._new(), code

    def _call(self, fn, args: tuple):
        p = self.idle.get()               # there are as many threads as workers: never waits long
        try:
            try:
                p.wait_ready()
                p.conn.send((fn, args))
                if not p.conn.poll(self.timeout):
                    p, _ = self._replace(p, kill=True)
                    raise WorkerLimit(TIMEOUT, self.timeout)
                status, value, vm = p.conn.recv()
            except (EOFError, OSError):
                p, code = self._replace(p, kill=False)
                raise WorkerDied(code) from None
            self.vm_peak_mb = max(self.vm_peak_mb, vm)
            p.tasks += 1
            if status == MEMORY:
                p, _ = self._replace(p, kill=False)    # it ends by itself after a MemoryError
                raise WorkerLimit(MEMORY, self.memory_mb)
            if p.tasks >= MAX_TASKS:
                self._stop(p)
                p, _ = self._replace(p, kill=False)
            if status == "error":
                raise value
            return value
        finally:
            self.idle.put(p)

    @staticmethod
    def _stop(p: _Process) -> None:
        try:
            p.conn.send(None)
        except OSError:
            pass

    async def run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.threads, self._call, fn, args)

    def shutdown(self) -> None:
        """Let the tasks under way end (each within the time limit), then end every worker."""
        self.threads.shutdown(wait=True, cancel_futures=True)
        with self.lock:
            processes = list(self.all)
            self.all.clear()
        for p in processes:
            self._stop(p)
        for p in processes:
            p.end(wait=10)
