"""The pool: how workers start (fork when safe, else spawn), feeding them units, and a worker
that dies while rendering costs that unit only."""
from __future__ import annotations

import multiprocessing as mp
import signal
import sys
import time
from collections import deque
from multiprocessing.connection import wait as wait_for
from typing import Callable

from .progress import Progress
from .records import CRASHED
from .worker import worker_main


def default_start_method() -> str:
    """"fork" when this process holds no WeasyPrint/Pango state and no other thread; else "spawn"."""
    import threading
    if ("fork" in mp.get_all_start_methods() and "weasyprint" not in sys.modules
            and threading.active_count() == 1):
        return "fork"
    return "spawn"


class _Worker:
    def __init__(self, ctx):
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child,), daemon=True, name="juesuan-batch-worker")
        self.proc.start()
        child.close()
        self.conn = parent
        self.task: dict | None = None
        self.retired = False


def _crash_result(task: dict, exitcode: int | None) -> dict:
    if exitcode is not None and exitcode < 0:
        try:
            how = f"被信号 {signal.Signals(-exitcode).name} 终止"
        except ValueError:
            how = f"被信号 {-exitcode} 终止"
        if exitcode == -signal.SIGKILL:
            how += "（可能是内存不足）"
    else:
        how = f"意外退出（退出码 {exitcode}）"
    return {"index": task["index"], "status": CRASHED, "messages": [f"处理这个单位的进程{how}；其他单位不受影响"],
            "outputs": [], "errors": 0, "warnings": 0, "seconds": None}


def execute(tasks: list[dict], jobs: int, ctx, on_result: Callable[[dict, dict], None],
            progress: Progress, should_stop: Callable[[], bool], peaks: dict[int, float]) -> list[dict]:
    """Feed ``tasks`` to at most ``jobs`` workers; call ``on_result(task, result)`` for each.
    Returns the tasks not finished when ``should_stop()`` turned true."""
    queue = deque(tasks)
    size = min(jobs, len(queue))
    workers = [_Worker(ctx) for _ in range(size)]
    idle_deaths = 0

    def handle(w: _Worker, msg: dict) -> None:
        task, w.task = w.task, None
        peaks[msg.get("pid", w.proc.pid)] = max(peaks.get(msg.get("pid", w.proc.pid), 0), msg.get("peak_mb", 0))
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
                    except OSError:
                        queue.appendleft(task)
            if not workers:
                for task in queue:
                    on_result(task, {"index": task["index"], "status": CRASHED, "outputs": [], "errors": 0,
                                     "warnings": 0, "seconds": None,
                                     "messages": ["无法启动处理进程（连续多次启动即退出）；请检查安装"]})
                queue.clear()
                break
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
                    on_result(w.task, _crash_result(w.task, w.proc.exitcode))
                    w.task = None
                elif not w.retired:
                    idle_deaths += 1
                workers.remove(w)
                w.conn.close()
                busy = sum(1 for x in workers if x.task is not None)
                if queue and len(workers) < min(jobs, len(queue) + busy) and idle_deaths <= 2 * jobs:
                    workers.append(_Worker(ctx))
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
