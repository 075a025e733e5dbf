"""The pool: how workers start (fork when safe, else spawn), feeding them units, and a worker
that dies while rendering costs that unit only. Each worker runs under the memory limit; one
still busy with a unit after the time limit is killed (that unit is reported, a fresh worker
takes the next)."""
from __future__ import annotations

import multiprocessing as mp
import signal
import sys
import time
from collections import deque
from multiprocessing.connection import wait as wait_for
from typing import Callable

from ..limits import memory_text, timeout_text
from .progress import Progress
from .records import LIMITED, failed_result
from .worker import worker_main


BOOT_SECONDS = 60          # a new worker's loading (WeasyPrint …) before the time limit of its first unit


def default_start_method() -> str:
    """"fork" when this process holds no WeasyPrint/Pango state and no other thread; else "spawn"."""
    import threading
    if ("fork" in mp.get_all_start_methods() and "weasyprint" not in sys.modules
            and threading.active_count() == 1):
        return "fork"
    return "spawn"


class _Worker:
    def __init__(self, ctx, memory_mb: int | None = None):
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child, memory_mb), daemon=True,
                                name="juesuan-batch-worker")
        self.proc.start()
        child.close()
        self.conn = parent
        self.task: dict | None = None
        self.started = 0.0              # time.monotonic() when the task was handed over
        self.timed_out = False
        self.ready = False              # the worker has loaded the writers (its first message)
        self.retired = False


def _crash_result(task: dict, exitcode: int | None, memory_mb: int | None = None) -> dict:
    if exitcode is not None and exitcode < 0:
        try:
            how = f"被信号 {signal.Signals(-exitcode).name} 终止"
        except ValueError:
            how = f"被信号 {-exitcode} 终止"
        if exitcode == -signal.SIGKILL:
            how += "（可能是内存不足）"
        elif memory_mb and -exitcode in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS):
            how += f"（可能是{memory_text(memory_mb)}）"       # a C library that cannot allocate aborts
    else:
        how = f"意外退出（退出码 {exitcode}）"
    return failed_result(task["index"], f"处理这个单位的进程{how}；其他单位不受影响")


def _timeout_result(task: dict, timeout: float) -> dict:
    return failed_result(task["index"], f"检查和生成这个单位{timeout_text(timeout)}，已停止；其他单位不受影响。"
                         "数据是否异常庞大？确需更长时间时用 --worker-timeout 调高限制", LIMITED, timeout)


def execute(tasks: list[dict], jobs: int, ctx, on_result: Callable[[dict, dict], None],
            progress: Progress, should_stop: Callable[[], bool], peaks: dict[int, float],
            memory_mb: int | None = None, timeout: float | None = None,
            vm_peaks: dict[int, float] | None = None) -> list[dict]:
    """Feed ``tasks`` to at most ``jobs`` workers; call ``on_result(task, result)`` for each.
    Each worker's address space is limited to ``memory_mb``; a worker still on one task after
    ``timeout`` seconds is killed and replaced. Returns the tasks not finished when
    ``should_stop()`` turned true."""
    queue = deque(tasks)
    size = min(jobs, len(queue))
    workers = [_Worker(ctx, memory_mb) for _ in range(size)]
    idle_deaths = 0
    vm_peaks = {} if vm_peaks is None else vm_peaks

    def handle(w: _Worker, msg: dict) -> None:
        if msg.get("ready"):
            w.ready, w.started = True, time.monotonic()
            return
        task, w.task = w.task, None
        pid = msg.get("pid", w.proc.pid)
        peaks[pid] = max(peaks.get(pid, 0), msg.get("peak_mb", 0))
        vm_peaks[pid] = max(vm_peaks.get(pid, 0), msg.get("peak_vm_mb", 0))
        w.retired = bool(msg.get("retire"))
        if task is not None:
            on_result(task, msg)

    def drain(w: _Worker) -> bool:
        """Handle every result waiting in the pipe; False when the pipe is closed."""
        try:
            while w.conn.poll():
                handle(w, w.conn.recv())
        except (EOFError, OSError):
            return False
        return True

    try:
        while (queue or any(w.task for w in workers)) and not should_stop():
            for w in workers:
                if w.task is None and not w.retired and queue:
                    task = queue.popleft()
                    try:
                        w.conn.send(task)
                        w.task = task
                        w.started = time.monotonic()     # again when the worker says it is ready
                    except OSError:
                        queue.appendleft(task)
            if not workers:
                for task in queue:
                    on_result(task, failed_result(task["index"], "无法启动处理进程（连续多次启动即退出）；请检查安装"))
                queue.clear()
                break
            if timeout:
                now = time.monotonic()
                for w in workers:       # the time a new worker takes to load counts apart (up to BOOT_SECONDS)
                    limit = timeout if w.ready else timeout + BOOT_SECONDS
                    if w.task is not None and not w.timed_out and now - w.started > limit and not w.conn.poll():
                        w.timed_out = True
                        w.proc.kill()       # SIGKILL: a worker stuck in C code never sees a SIGTERM
            ready = set(wait_for([w.conn for w in workers] + [w.proc.sentinel for w in workers], timeout=0.5))
            for w in list(workers):
                if w.conn not in ready and w.proc.sentinel not in ready:
                    continue
                open_ = drain(w)
                if open_ and w.proc.sentinel not in ready and not w.retired:
                    continue
                w.proc.join(timeout=10)
                if w.proc.is_alive():       # pipe closed but still running: make sure it ends
                    w.proc.kill()
                    w.proc.join()
                drain(w)
                if w.task is not None:       # died while rendering a unit: that unit only
                    on_result(w.task, _timeout_result(w.task, timeout) if w.timed_out
                              else _crash_result(w.task, w.proc.exitcode, memory_mb))
                    w.task = None
                elif not w.retired:
                    idle_deaths += 1
                workers.remove(w)
                w.conn.close()
                busy = sum(1 for x in workers if x.task is not None)
                if queue and len(workers) < min(jobs, len(queue) + busy) and idle_deaths <= 2 * jobs:
                    workers.append(_Worker(ctx, memory_mb))
            progress.draw()
        for w in workers:                    # results already sent count as finished
            if w.task is not None:
                drain(w)
        return list(queue) + [w.task for w in workers if w.task is not None]
    finally:
        for w in workers:
            if w.task is None:
                try:
                    w.conn.send(None)
                except OSError:
                    pass
            elif w.proc.is_alive():
                w.proc.terminate()          # SIGTERM: the worker removes its staging folder and ends
        deadline = time.monotonic() + 10
        for w in workers:
            w.proc.join(timeout=max(deadline - time.monotonic(), 0.1))
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join()
            w.conn.close()
