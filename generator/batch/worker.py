"""The worker process: loads the writers once, then renders one unit after another into its
staging folder (every PDF laid out with the process's one WeasyPrint ``FontConfiguration``,
``pdf_writer.font_configuration()``), collects the cyclic garbage WeasyPrint leaves after each,
reports its peak memory and retires itself should it grow past ``RETIRE_RSS_MB``. It runs under the
batch's memory limit (``limits.set_memory_limit``): a unit that makes it run out is reported with
the limit, and the worker retires after it (its heap may be left in pieces)."""
from __future__ import annotations

import ctypes
import gc
import os
import resource
import shutil
import signal
import time
from pathlib import Path

from .. import search_path
from ..errors import InputError
from .fingerprint import file_sha256
from ..limits import memory_text, set_memory_limit, vm_peak_mb
from .messages import crash_text, finding_messages, problem_text
from .records import CHECKS_FAILED, CRASHED, LIMITED, RENDERED, UNREADABLE

RETIRE_RSS_MB = 450                         # a worker above this (resident) after a unit is replaced


def die_with_parent() -> None:
    """Linux: SIGTERM this worker when the batch process dies (even by kill -9)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux (no prctl): the parent's own cleanup still applies
        pass


_current_staging: Path | None = None     # the staging folder of the unit this worker is rendering


def _terminate(signum, frame):
    """SIGTERM in a worker (the batch stops, or died): drop the unit's staging folder, with any
    half-written temp file in it, and end at once. Not an exception: one raised here can land in
    a library's __del__, where Python swallows it and rendering would carry on."""
    if _current_staging is not None:
        shutil.rmtree(_current_staging, ignore_errors=True)
    os._exit(128 + signum)


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux


def memory_message(mb: int | None) -> str:
    return (f"检查和生成这个单位{memory_text(mb)}，已停止；其他单位不受影响。数据是否异常庞大？"
            "确需更多内存时用 --worker-memory-mb 调高限制")


def render_unit(task: dict) -> dict:
    """Check and render one unit into its staging folder; never raises for the unit's sake."""
    global _current_staging
    from .. import pipeline
    path, staging = Path(task["path"]), Path(task["staging"])
    _current_staging = staging
    reference = Path(task["reference"]) if task["reference"] else None
    search_path.set_user_roots(task.get("profiles") or ())     # the batch's --profiles
    t0 = time.perf_counter()
    out: dict = {"index": task["index"], "messages": [], "outputs": [], "errors": 0, "warnings": 0}
    try:
        staging.mkdir(parents=True, exist_ok=True)
        result = pipeline.render(path, staging, tuple(task["formats"]), reference=reference, force=False,
                                 draft=bool(task.get("draft")), marking=task.get("marking"),
                                 previous=Path(task["previous"]) if task.get("previous") else None,
                                 previous_at=Path(task["previous_at"]) if task.get("previous_at") else None)
    except MemoryError:
        out.update(status=LIMITED, messages=[memory_message(task.get("memory_mb"))])
    except InputError as exc:
        out.update(status=UNREADABLE, messages=[problem_text(p, path) for p in exc.problems])
    except pipeline.ChecksFailed as exc:
        messages, errors, warnings = finding_messages(exc.result.findings, path)
        out.update(status=CHECKS_FAILED, unit=exc.result.unit.name, messages=messages,
                   errors=errors, warnings=warnings)
    except Exception as exc:
        out.update(status=CRASHED, messages=[crash_text(exc)])
    else:
        messages, errors, warnings = finding_messages(result.findings, path)
        out.update(status=RENDERED, unit=result.unit.name, messages=messages, errors=errors,
                   warnings=warnings, pages=result.pages,
                   outputs=[{"staged": str(p), "size": p.stat().st_size, "sha256": file_sha256(p)}
                            for p in result.outputs])
    out["seconds"] = time.perf_counter() - t0
    _current_staging = None       # finished: the main process moves the files out
    return out


def worker_main(conn, memory_mb: int | None = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C is the batch process's to handle
    signal.signal(signal.SIGTERM, _terminate)
    die_with_parent()
    set_memory_limit(memory_mb)
    try:  # load the writers before the first unit (a failure shows up as that unit's error)
        from ..write import docx_writer, pdf_writer  # noqa: F401
    except (ImportError, OSError, MemoryError):  # a missing library (Pango …): the first unit's render reports it
        pass
    try:
        conn.send({"ready": True})       # the time limit counts from here (loading takes seconds)
    except OSError:
        return
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        result = render_unit(task)
        # WeasyPrint leaves ~200 MB of cyclic garbage per PDF (the writer pauses the cyclic
        # collector while it lays out); left to the collector's own schedule it piles up to
        # 550+ MB after some 30 units. Collected here (~0.2 s, time the collector would spend
        # later anyway: measured 1–3 % over 36 units), the peak stays at ~170 MB (~310 MB
        # before WeasyPrint stopped copying whole font files, write/weasy_fonts.py).
        gc.collect()
        result["pid"] = os.getpid()
        result["peak_mb"] = _peak_mb()
        result["peak_vm_mb"] = vm_peak_mb()
        result["retire"] = _rss_mb() > RETIRE_RSS_MB or result["status"] == LIMITED
        conn.send(result)
        if result["retire"]:
            return
