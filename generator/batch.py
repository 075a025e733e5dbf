"""Batch rendering: every unit of a folder (or of a manifest file) checked and rendered in
parallel worker processes.

    juesuan batch data/units/ --out output/2024/ --format docx,pdf [--jobs N] [--force]

One unit never stops the others: a unit that cannot be read, fails its checks or crashes the
renderer (even a worker process dying) is recorded with its reason and the batch goes on. At
the end a summary is printed and ``batch-report.html`` / ``batch-report.csv`` are written beside
the outputs. Exit code: 0 all rendered (or unchanged), 1 some failed their checks, 2 some could
not be read (or the program failed on them), 130 interrupted (Ctrl-C / SIGTERM).

Files are never half-written: a worker renders a unit into its own hidden staging folder under
the output folder (``pipeline.render`` writes each file to a temporary name and renames it), and
only the main process moves finished files into place, after first recording them (name, size,
sha256) and the unit's content hash in ``.juesuan-batch.json``. Running the batch again skips a
unit whose hash (input bytes, last year's file, templates, the generator's source, the options
and the output name) is unchanged and whose recorded files are all present and intact; so a
batch killed at any point (even ``kill -9``) finishes by running it again, and a file that was
moved into place before the kill is not rendered twice. Staging folders and ``.*.part`` files
left by a killed run are removed when the next run starts (under a lock, so two batches never
share an output folder).

Workers are forked when that is safe — this process has not loaded WeasyPrint (so no Pango or
fontconfig state is copied) and runs no other thread — and spawned otherwise; forked workers
measured 15–20 % faster per unit on this machine (a spawned worker is no less correct). Each
worker renders many units, collects the cyclic garbage WeasyPrint leaves after each,
reports its peak memory, and retires itself (a fresh one replaces it) should its memory still
grow past ``RETIRE_RSS_MB``.
"""
from __future__ import annotations

import argparse
import csv
import ctypes
import gc
import hashlib
import io
import json
import multiprocessing as mp
import os
import re
import resource
import shutil
import signal
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from multiprocessing.connection import wait as wait_for
from pathlib import Path
from typing import Callable, TextIO
from urllib.parse import quote

from .cli_parser import Parser
from .errors import InputError, Problem, format_problem, os_reason
from .load.unit_loader import READERS, load_unit
from .model import Source
from .compose.document import Marking
from .pipeline import add_review_arguments, review_options
from .write.atomic import is_part_file
from .write.names import output_stem, safe_filename
from .write.formats import DEFAULT_FORMATS, FORMAT_HELP, format_argument, parse_formats
from .write.atomic import write_bytes

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
TEMPLATES = ROOT / "templates"
REPORT_TEMPLATES = TEMPLATES / "batch"

RENDERED, CHECKS_FAILED, UNREADABLE, CRASHED = "已生成", "检查未通过", "无法读取", "程序出错"
SKIPPED, INTERRUPTED = "已跳过（未变化）", "未完成（已中断）"
STATUSES = (RENDERED, SKIPPED, CHECKS_FAILED, UNREADABLE, CRASHED, INTERRUPTED)
FAILED = (CHECKS_FAILED, UNREADABLE, CRASHED)
EXIT_OK, EXIT_CHECKS, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_FOR = {RENDERED: EXIT_OK, SKIPPED: EXIT_OK, CHECKS_FAILED: EXIT_CHECKS,
            UNREADABLE: EXIT_INPUT, CRASHED: EXIT_INPUT, INTERRUPTED: EXIT_INTERRUPTED}

STATE_NAME = ".juesuan-batch.json"          # content hashes and recorded outputs, beside the outputs
LOCK_NAME = ".juesuan-batch.lock"
STAGING_NAME = ".juesuan-batch-staging"     # workers render here; finished files are moved out
REPORT_HTML, REPORT_CSV = "batch-report.html", "batch-report.csv"
STATE_FORMAT = "juesuan-batch/1"
ISSUE_SUFFIXES = frozenset({".yaml", ".yml", ".xlsx"})   # the unit files a folder holds (issue #5)
RETIRE_RSS_MB = 450                         # a worker above this (resident) after a unit is replaced


class BatchError(Exception):
    """The batch cannot start (no such folder, output folder in use …): exit 2, nothing done."""


def unit_suffixes() -> frozenset[str]:
    """Suffixes taken as unit files: every registered reader's, and the issue's .yaml/.xlsx
    (a file without a reader is then reported as unreadable rather than silently left out)."""
    return frozenset(s.lower() for s in READERS) | ISSUE_SUFFIXES


# ---------------------------------------------------------------- discovery and the plan

@dataclass
class Job:
    """One unit file of the batch, as planned."""
    index: int
    path: Path                     # resolved
    shown: str                     # as shown in reports: relative to the folder or manifest
    name: str = ""                 # 单位名称 (when the file could be read)
    year: int | None = None
    natural_stem: str = ""         # pipeline.output_stem(unit)
    stem: str = ""                 # after disambiguation
    previous: Path | None = None   # 上年数据文件, resolved
    note: str = ""                 # disambiguation, said in the report
    digest: str = ""
    failure: tuple[str, list[str]] | None = None   # (status, messages) when planning failed


@dataclass
class Record:
    """What happened to one unit in this run."""
    index: int
    source: str
    unit: str
    status: str
    messages: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)       # file names in the output folder
    seconds: float | None = None
    errors: int = 0
    warnings: int = 0
    note: str = ""


@dataclass
class Outcome:
    records: list[Record]
    exit_code: int
    seconds: float
    jobs: int
    worker_peak_mb: dict[int, float]        # worker pid -> peak resident memory (ru_maxrss)
    report_html: Path | None = None
    report_csv: Path | None = None
    interrupted: bool = False
    start_method: str = ""

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.records)


def _walk(folder: Path, base: Path) -> list[tuple[Path, str]]:
    """Unit files below ``folder`` (hidden folders and files and Office lock files skipped)."""
    suffixes = unit_suffixes()
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith((".", "~$")) or Path(name).suffix.lower() not in suffixes:
                continue
            path = Path(dirpath) / name
            found.append((path.resolve(), _shown(path, base)))
    return sorted(found, key=lambda e: e[1])


def _shown(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix() if path.is_absolute() == base.is_absolute() else str(path)
    except ValueError:
        return str(path)


def discover(source: Path) -> list[tuple[Path, str]]:
    """(resolved path, shown name) of every unit of ``source``: a folder (searched recursively),
    a single unit file, or a manifest (one path per line, relative to the manifest; lines whose
    first character is '#' are comments; a listed folder is searched). Entries naming missing
    files are kept (they are reported as unreadable); duplicates are dropped."""
    source = Path(source)
    if source.is_dir():
        entries = _walk(source, source)
    elif source.is_file() and source.suffix.lower() in unit_suffixes():
        entries = [(source.resolve(), source.name)]
    elif source.is_file():
        entries = []
        try:
            text = source.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise BatchError(f"无法读取清单文件 {source}：{exc}") from exc
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            path = Path(line).expanduser()
            path = path if path.is_absolute() else source.parent / path
            if path.is_dir():
                entries.extend(_walk(path, source.parent))
            else:
                entries.append((path.resolve(), line))
    else:
        raise BatchError(f"找不到 {source}（应为单位数据文件夹或清单文件）")
    seen, unique = set(), []
    for path, shown in entries:
        if path not in seen:
            seen.add(path)
            unique.append((path, shown))
    return unique


def assign_stems(jobs: list[Job]) -> None:
    """Output stems: the unit's own (name + year); when several units would get the same file
    name, the first (by data file path) keeps it and each other one gets “（its file name）”,
    or “（its path）”, or “（2）” … appended. Both units are rendered; ``note`` says so."""
    key = str.casefold
    loaded = [j for j in jobs if j.failure is None]
    base = {j.index: safe_filename(j.natural_stem) for j in loaded}
    used = set(map(key, base.values()))
    groups: dict[str, list[Job]] = {}
    for job in loaded:
        groups.setdefault(key(base[job.index]), []).append(job)
    for group in groups.values():
        first, others = group[0], group[1:]
        first.stem = base[first.index]
        if not others:
            continue
        for job in others:
            labels = [job.path.stem, re.sub(r"[/\\]", "-", str(Path(job.shown).with_suffix("")))]
            labels += [str(n) for n in range(2, len(jobs) + 3)]
            for label in labels:
                candidate = safe_filename(job.natural_stem, f"（{safe_filename(label, limit_bytes=60)}）")
                if key(candidate) not in used:
                    break
            used.add(key(candidate))
            job.stem = candidate
            job.note = f"与 {first.shown} 的输出文件同名，本单位的文件改名为“{candidate}”"
        first.note = "与 " + "、".join(o.shown for o in others) + " 的输出文件同名；本单位保留原文件名"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=1)
def environment_digest() -> str:
    """Everything besides the unit's own files that shapes its outputs: the package version,
    the generator's source files and every file under templates/ (not this batch runner and
    its report template, which change no unit's files)."""
    h = hashlib.sha256()
    try:
        from importlib.metadata import version
        h.update(f"juesuan {version('juesuan')}\n".encode())
    except Exception:  # not installed: the sources below still say everything
        h.update(b"juesuan ?\n")
    files = [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
             and p.suffix != ".pyc" and p != Path(__file__).resolve()]
    files += [p for p in TEMPLATES.rglob("*") if p.is_file() and not p.is_relative_to(REPORT_TEMPLATES)]
    for p in sorted(files):
        h.update(f"{p.relative_to(ROOT).as_posix()} {_sha256(p)}\n".encode())
    return h.hexdigest()


def options_digest(formats: tuple[str, ...], reference: Path | None, draft: bool = False,
                   marking: Marking | None = None) -> str:
    opts: dict = {"formats": sorted(set(formats)), "reference": _sha256(reference) if reference else None}
    if draft:                 # a draft and a final of the same unit are different outputs
        opts["draft"] = True
    if marking:
        opts["marking"] = [marking.text, marking.watermark, marking.header]
    return hashlib.sha256(json.dumps(opts, sort_keys=True).encode()).hexdigest()


def unit_digest(job: Job, environment: str, options: str) -> str:
    """The content hash that decides whether a unit must be rendered again."""
    previous = None
    if job.previous is not None:
        previous = _sha256(job.previous) if job.previous.is_file() else f"missing {job.previous}"
    data = {"v": 1, "environment": environment, "options": options, "stem": job.stem,
            "input": _sha256(job.path), "previous": previous}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def plan(source: Path, formats: tuple[str, ...], reference: Path | None = None,
         draft: bool = False, marking: Marking | None = None) -> list[Job]:
    """Discover the units, read each one (name, year, last year's file), give each its output
    stem and content hash. A file that cannot be read is planned as already failed."""
    jobs = [Job(i, path, shown) for i, (path, shown) in enumerate(discover(source))]
    for job in jobs:
        try:
            if not job.path.is_file():
                raise InputError([Problem(Source(job.shown), "文件不存在")])
            unit = load_unit(job.path)
        except InputError as exc:
            job.failure = (UNREADABLE, [_problem_text(p, job.path) for p in exc.problems])
            continue
        except Exception as exc:  # a loader bug: this unit only
            job.failure = (CRASHED, [_crash_text(exc)])
            continue
        job.name, job.year = unit.name, unit.year
        job.natural_stem = output_stem(unit)
        previous = getattr(unit, "previous_file", None)
        job.previous = (job.path.parent / previous).resolve() if previous else None
    assign_stems(jobs)
    environment, options = environment_digest(), options_digest(formats, reference, draft, marking)
    for job in jobs:
        if job.failure is None:
            job.digest = unit_digest(job, environment, options)
    return jobs


# ---------------------------------------------------------------- messages

def _problem_text(p: Problem, unit_path: Path) -> str:
    try:
        same = Path(p.source.file).resolve() == unit_path
    except (OSError, ValueError):
        same = False
    if same:
        return "：".join(p.source.place() + [p.message])
    return format_problem(p)


def _finding_text(f, unit_path: Path) -> str:
    place = " · ".join(x for x in (f.row, f.column) if x)
    table = f"{f.table}表" if f.table[:1].isdigit() else f.table
    head = " ".join(x for x in (f.severity, f.rule, table, place) if x)
    src = f.source
    where = src.place()
    try:
        if src.file and not src.file.startswith("<") and Path(src.file).resolve() != unit_path:
            where.insert(0, Path(src.file).name)
    except (OSError, ValueError):
        pass
    return f"{head}：{f.message}" + (f"（位置：{'：'.join(where)}）" if where else "")


def _findings(findings, unit_path: Path) -> tuple[list[str], int, int]:
    from .check import ERROR
    from .check.registry import WARNING
    errors = [f for f in findings if f.severity == ERROR]
    warnings = [f for f in findings if f.severity == WARNING]
    return [_finding_text(f, unit_path) for f in errors + warnings], len(errors), len(warnings)


def _crash_text(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"（{Path(frames[-1].filename).name} 第{frames[-1].lineno}行）" if frames else ""
    return f"程序内部出错：{type(exc).__name__}: {exc}{where}；请把此信息和数据文件交给维护人员"


# ---------------------------------------------------------------- the worker process

def _die_with_parent() -> None:
    """Linux: SIGTERM this worker when the batch process dies (even by kill -9)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
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


def render_unit(task: dict) -> dict:
    """Check and render one unit into its staging folder; never raises for the unit's sake."""
    global _current_staging
    from . import pipeline
    path, staging = Path(task["path"]), Path(task["staging"])
    _current_staging = staging
    reference = Path(task["reference"]) if task["reference"] else None
    t0 = time.perf_counter()
    out: dict = {"index": task["index"], "messages": [], "outputs": [], "errors": 0, "warnings": 0}
    try:
        staging.mkdir(parents=True, exist_ok=True)
        result = pipeline.render(path, staging, tuple(task["formats"]), reference=reference, force=False,
                                 draft=bool(task.get("draft")), marking=task.get("marking"))
    except InputError as exc:
        out.update(status=UNREADABLE, messages=[_problem_text(p, path) for p in exc.problems])
    except pipeline.ChecksFailed as exc:
        messages, errors, warnings = _findings(exc.result.findings, path)
        out.update(status=CHECKS_FAILED, unit=exc.result.unit.name, messages=messages,
                   errors=errors, warnings=warnings)
    except Exception as exc:
        out.update(status=CRASHED, messages=[_crash_text(exc)])
    else:
        messages, errors, warnings = _findings(result.findings, path)
        out.update(status=RENDERED, unit=result.unit.name, messages=messages, errors=errors,
                   warnings=warnings, pages=result.pages,
                   outputs=[{"staged": str(p), "size": p.stat().st_size, "sha256": _sha256(p)}
                            for p in result.outputs])
    out["seconds"] = time.perf_counter() - t0
    _current_staging = None       # finished: the main process moves the files out
    return out


def _worker_main(conn) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C is the batch process's to handle
    signal.signal(signal.SIGTERM, _terminate)
    _die_with_parent()
    try:  # load the writers before the first unit (a failure shows up as that unit's error)
        from .write import docx_writer, pdf_writer  # noqa: F401
    except Exception:
        pass
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
        result["retire"] = _rss_mb() > RETIRE_RSS_MB
        conn.send(result)
        if result["retire"]:
            return


# ---------------------------------------------------------------- progress

def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """A progress line redrawn in place on a terminal; plain log lines otherwise (stderr)."""

    def __init__(self, stream: TextIO | None, total: int):
        self.stream, self.total = stream, total
        self.tty = bool(stream) and hasattr(stream, "isatty") and stream.isatty()
        self.done = self.failed = self.worked = 0
        self.start = time.monotonic()
        self.work_start: float | None = None
        self.to_do = 0
        self.last_draw = 0.0

    def _write(self, text: str) -> None:
        if self.stream:
            self.stream.write(text)
            self.stream.flush()

    def log(self, text: str) -> None:
        if self.tty:
            self._write("\r\033[K" + text + "\n")
            self.draw(force=True)
        else:
            self._write(text + "\n")

    def begin_work(self, to_do: int) -> None:
        self.to_do, self.work_start = to_do, time.monotonic()

    def record(self, rec: Record, counted_as_work: bool) -> None:
        self.done += 1
        self.worked += counted_as_work
        self.failed += rec.status in FAILED
        width = len(str(self.total))
        took = f"（{rec.seconds:.1f} 秒）" if rec.seconds is not None and counted_as_work else ""
        line = f"[{self.done:>{width}}/{self.total}] {rec.status} {rec.source}{took}"
        if rec.status in FAILED and rec.messages:
            extra = f"（另有 {len(rec.messages) - 1} 条）" if len(rec.messages) > 1 else ""
            line += f"：{rec.messages[0]}{extra}"
        if self.tty and rec.status in (RENDERED, SKIPPED):
            self.draw(force=True)       # successes only move the bar on a terminal
        else:
            self.log(line)

    def remaining(self) -> float | None:
        if not self.worked or self.work_start is None:
            return None
        rate = self.worked / max(time.monotonic() - self.work_start, 1e-6)
        return max(self.to_do - self.worked, 0) / rate

    def draw(self, force: bool = False) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self.last_draw < 0.5:
            return
        self.last_draw = now
        share = self.done / self.total if self.total else 1
        bar = "█" * int(share * 24) + "░" * (24 - int(share * 24))
        left = self.remaining()
        rest = f"剩余约 {_clock(left)}" if left is not None else "剩余时间估算中"
        self._write(f"\r\033[K{bar} {self.done}/{self.total}  失败 {self.failed}  "
                    f"用时 {_clock(now - self.start)}  {rest}")

    def close(self) -> None:
        if self.tty:
            self._write("\r\033[K")


# ---------------------------------------------------------------- the run

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
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True, name="juesuan-batch-worker")
        self.proc.start()
        child.close()
        self.conn = parent
        self.task: dict | None = None
        self.retired = False


class _State:
    """``.juesuan-batch.json``: per unit file, the content hash and the files it was rendered to."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / STATE_NAME
        self.units: dict[str, dict] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") == STATE_FORMAT and isinstance(data.get("units"), dict):
                self.units = data["units"]
        except (OSError, ValueError, AttributeError):
            pass

    def save(self) -> None:
        data = {"format": STATE_FORMAT, "units": self.units}
        write_bytes(self.path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))

    def unchanged(self, job: Job, out_dir: Path) -> dict | None:
        entry = self.units.get(str(job.path))
        if not entry or entry.get("hash") != job.digest or not entry.get("outputs"):
            return None
        for o in entry["outputs"]:
            f = out_dir / o["name"]
            try:
                if not f.is_file() or f.stat().st_size != o["size"] or _sha256(f) != o["sha256"]:
                    return None
            except OSError:
                return None
        return entry


def _lock(out_dir: Path) -> int:
    import fcntl
    fd = os.open(out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise BatchError(f"另一个 juesuan batch 正在写入 {out_dir}；等它结束后再运行") from None
    return fd


def _clean_leftovers(out_dir: Path) -> None:
    """Remove what a killed run may have left: staging folders and temporary '.part' files."""
    shutil.rmtree(out_dir / STAGING_NAME, ignore_errors=True)
    for p in out_dir.iterdir():
        if is_part_file(p.name) and p.is_file():     # the batch holds the folder's lock: all are stale
            p.unlink(missing_ok=True)


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


def _execute(tasks: list[dict], jobs: int, ctx, on_result: Callable[[dict, dict], None],
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


def run_batch(source: Path, out_dir: Path, formats: tuple[str, ...] = ("docx", "pdf"),
              jobs: int | None = None, force: bool = False, reference: Path | None = None,
              progress_stream: TextIO | None = sys.stderr, start_method: str | None = None,
              draft: bool = False, marking: Marking | None = None) -> Outcome:
    """Plan, skip what is unchanged, render the rest in parallel, write the reports.
    ``start_method``: how workers start ("fork", "forkserver", "spawn"); None chooses."""
    t_start = time.monotonic()
    try:
        formats = parse_formats(formats)
    except ValueError as exc:
        raise BatchError(str(exc)) from None
    if reference is not None:
        from .write.reference import reference_problem
        why = reference_problem(Path(reference))
        if why:
            raise BatchError(f"--reference-doc {reference}：{why}")
        reference = Path(reference).resolve()
    from .write.atomic import output_dir_problem
    why = output_dir_problem(Path(out_dir))
    if why:
        raise BatchError(f"--out {out_dir}：{why}")
    if jobs is None:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if jobs < 1:
        raise BatchError("--jobs 应为正整数")
    planned = plan(Path(source), formats, reference, draft, marking)
    if not planned:
        raise BatchError(f"{source} 中没有单位数据文件（{'、'.join(sorted(unit_suffixes()))}）")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"无法建立输出目录 {out_dir}：{os_reason(exc)}") from exc
    lock = _lock(out_dir)
    stop = {"flag": False}
    previous_handlers = {}

    def on_signal(signum, frame):
        stop["flag"] = True

    try:
        _clean_leftovers(out_dir)
        state = _State(out_dir)
        records: dict[int, Record] = {}
        progress = Progress(progress_stream, len(planned))
        to_render: list[Job] = []
        for job in planned:
            if job.failure:
                status, messages = job.failure
                records[job.index] = Record(job.index, job.shown, job.name, status, messages, seconds=0.0)
                continue
            entry = None if force else state.unchanged(job, out_dir)
            if entry:
                records[job.index] = Record(job.index, job.shown, job.name, SKIPPED, list(entry.get("messages", [])),
                                            [o["name"] for o in entry["outputs"]], None,
                                            entry.get("errors", 0), entry.get("warnings", 0), job.note)
            else:
                to_render.append(job)
        workers_used = min(jobs, len(to_render))
        skipped = sum(r.status == SKIPPED for r in records.values())
        parts = [f"{skipped} 个未变化（跳过）" if skipped else "",
                 f"{len(records) - skipped} 个无法读取" if len(records) > skipped else "",
                 f"{len(to_render)} 个待生成（{workers_used} 个进程并行）" if to_render else "没有要生成的单位"]
        progress.log(f"批量生成：共 {len(planned)} 个单位；" + "，".join(p for p in parts if p))
        for rec in sorted(records.values(), key=lambda r: r.index):
            progress.record(rec, counted_as_work=False)

        by_index = {job.index: job for job in planned}
        staging_root = out_dir / STAGING_NAME
        tasks = [{"index": job.index, "path": str(job.path), "formats": list(formats),
                  "reference": str(reference) if reference else None, "draft": draft, "marking": marking,
                  "staging": str(staging_root / f"{os.getpid()}-{job.index}")}
                 for job in sorted(to_render, key=lambda j: -j.path.stat().st_size)]   # big ones first

        def on_result(task: dict, result: dict) -> None:
            job = by_index[task["index"]]
            rec = Record(job.index, job.shown, result.get("unit") or job.name, result["status"],
                         result.get("messages", []), [], result.get("seconds"),
                         result.get("errors", 0), result.get("warnings", 0), job.note)
            if rec.status == RENDERED:
                try:
                    rec.outputs = _publish(job, result, out_dir, state)
                except OSError as exc:
                    rec.status, rec.messages = CRASHED, [f"无法把生成的文件移入输出目录：{os_reason(exc)}"] + rec.messages
            shutil.rmtree(task["staging"], ignore_errors=True)
            records[job.index] = rec
            progress.record(rec, counted_as_work=True)

        peaks: dict[int, float] = {}
        unfinished: list[dict] = []
        if tasks:
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    previous_handlers[sig] = signal.signal(sig, on_signal)
                except ValueError:          # not the main thread: no signal handling
                    pass
            progress.begin_work(len(tasks))
            start_method = start_method or default_start_method()
            ctx = mp.get_context(start_method)
            unfinished = _execute(tasks, workers_used, ctx, on_result, progress, lambda: stop["flag"], peaks)
        for task in unfinished:
            job = by_index[task["index"]]
            records[job.index] = Record(job.index, job.shown, job.name, INTERRUPTED,
                                        ["批量生成被中断，这个单位没有生成；再次运行同一命令即可补上"], note=job.note)
        shutil.rmtree(staging_root, ignore_errors=True)
        progress.close()
        ordered = [records[i] for i in sorted(records)]
        interrupted = bool(unfinished) or stop["flag"]
        code = EXIT_INTERRUPTED if interrupted else max(EXIT_FOR[r.status] for r in ordered)
        outcome = Outcome(ordered, code, time.monotonic() - t_start, workers_used, peaks,
                          interrupted=interrupted, start_method=start_method or "")
        outcome.report_html, outcome.report_csv = write_reports(outcome, out_dir, Path(source), formats)
        return outcome
    finally:
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
        os.close(lock)


def _publish(job: Job, result: dict, out_dir: Path, state: _State) -> list[str]:
    """Record the unit's files in the state file, then move them into place. In that order: if
    the batch dies in between, the recorded sha256 does not match what is in place (old or no
    file), so the next run renders the unit again; if it dies after, nothing is rendered twice."""
    moves = [(Path(o["staged"]), out_dir / f"{job.stem}{Path(o['staged']).suffix}", o) for o in result["outputs"]]
    state.units[str(job.path)] = {
        "hash": job.digest, "source": job.shown, "unit": result.get("unit") or job.name,
        "outputs": [{"name": final.name, "size": o["size"], "sha256": o["sha256"]} for _, final, o in moves],
        "messages": result.get("messages", []), "errors": result.get("errors", 0),
        "warnings": result.get("warnings", 0), "seconds": round(result.get("seconds") or 0, 3),
        "rendered": datetime.now().isoformat(timespec="seconds"),
    }
    state.save()
    for staged, final, _ in moves:
        os.replace(staged, final)
    return [final.name for _, final, _ in moves]


# ---------------------------------------------------------------- reports

CSV_COLUMNS = ["序号", "单位名称", "数据文件", "状态", "错误数", "警告数", "问题", "输出文件", "用时（秒）", "备注"]


def _csv_bytes(records: list[Record]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for n, r in enumerate(records, 1):
        w.writerow([n, r.unit, r.source, r.status, r.errors, r.warnings, "\n".join(r.messages),
                    "\n".join(r.outputs), "" if r.seconds is None else f"{r.seconds:.1f}", r.note])
    return buf.getvalue().encode("utf-8-sig")     # the BOM lets Excel read it as UTF-8


def _html(outcome: Outcome, source: Path, formats: tuple[str, ...]) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    env = Environment(loader=FileSystemLoader(str(REPORT_TEMPLATES)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    rows = [{"n": n, "r": r, "links": [{"name": o, "href": quote(o)} for o in r.outputs],
             "seconds": "" if r.seconds is None else f"{r.seconds:.1f}"}
            for n, r in enumerate(outcome.records, 1)]
    counts = [(s, outcome.count(s)) for s in STATUSES if outcome.count(s)]
    return env.get_template("report.html.j2").render(
        rows=rows, counts=counts, total=len(outcome.records), source=str(source),
        formats="、".join(formats), when=datetime.now().strftime("%Y-%m-%d %H:%M"),
        seconds=f"{outcome.seconds:.1f}", jobs=outcome.jobs, interrupted=outcome.interrupted,
        peak=f"{max(outcome.worker_peak_mb.values()):.0f}" if outcome.worker_peak_mb else "",
        failed=sum(outcome.count(s) for s in FAILED), csv_href=quote(REPORT_CSV))


def write_reports(outcome: Outcome, out_dir: Path, source: Path, formats: tuple[str, ...]) -> tuple[Path, Path]:
    html_path, csv_path = out_dir / REPORT_HTML, out_dir / REPORT_CSV
    write_bytes(csv_path, _csv_bytes(outcome.records))
    write_bytes(html_path, _html(outcome, source, formats).encode("utf-8"))
    return html_path, csv_path


def summary(outcome: Outcome) -> str:
    lines = []
    n = len(outcome.records)
    rendered, skipped = outcome.count(RENDERED), outcome.count(SKIPPED)
    if outcome.interrupted:
        lines.append(f"批量生成已中断：{rendered} 个单位已生成，{outcome.count(INTERRUPTED)} 个未完成；"
                     "已生成的文件完整保留，再次运行同一命令即可补上未完成的单位")
    elif skipped == n:
        lines.append(f"全部 {n} 个单位都未变化，没有重新生成任何文件（如需重新生成，加 --force）")
    elif skipped and not rendered:
        lines.append(f"没有重新生成任何文件：{skipped} 个单位未变化（如需重新生成，加 --force）")
    parts = [f"{s} {outcome.count(s)} 个" for s in STATUSES if outcome.count(s)]
    lines.append(f"共 {n} 个单位：" + "，".join(parts) + f"；用时 {outcome.seconds:.1f} 秒")
    bad = [r for r in outcome.records if r.status in FAILED]
    if bad:
        lines.append("未生成的单位：")
        for r in bad:
            more = f"（另有 {len(r.messages) - 1} 条）" if len(r.messages) > 1 else ""
            lines.append(f"  {r.status}  {r.source}：{r.messages[0] if r.messages else ''}{more}")
    renamed = [r for r in outcome.records if r.note]
    if renamed:
        lines.append("同名单位：")
        lines.extend(f"  {r.source}：{r.note}" for r in renamed)
    if outcome.report_html:
        lines.append(f"报告：{outcome.report_html}、{outcome.report_csv}")
    return "\n".join(lines)


# ---------------------------------------------------------------- command line

def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{value}")
    return n


def add_command(subparsers) -> argparse.ArgumentParser:
    """Add ``batch`` to the ``juesuan`` sub-commands; dispatch ``args.command == "batch"`` to ``run``."""
    p = subparsers.add_parser("batch", help="并行检查并生成一个文件夹（或清单）中的全部单位，并写出批量报告")
    p.add_argument("source", type=Path, help="单位数据文件夹（含子文件夹），或清单文件（每行一个数据文件路径，相对清单；# 开头为注释）")
    p.add_argument("--out", type=Path, default=Path("output"), help="输出目录（默认 output/）；报告与记录也写在这里")
    p.add_argument("--format", type=format_argument, default=DEFAULT_FORMATS, help=FORMAT_HELP)
    p.add_argument("--jobs", type=_jobs, default=None, help="并行进程数（默认每个 CPU 核心一个）")
    p.add_argument("--force", action="store_true", help="未变化的单位也重新生成（检查有错误的单位仍不生成）")
    p.add_argument("--reference-doc", type=Path, default=None, help="Word 样式参考文档（默认 templates/docx/reference.docx）")
    add_review_arguments(p)
    return p


def run(args) -> int:
    draft, marking = review_options(args)
    try:
        outcome = run_batch(args.source, args.out, args.format, jobs=args.jobs, force=args.force,
                            reference=args.reference_doc, progress_stream=sys.stderr,
                            draft=draft, marking=marking)
    except BatchError as exc:
        print(f"juesuan batch：{exc}", file=sys.stderr)
        return EXIT_INPUT
    print(summary(outcome))
    return outcome.exit_code


def main(argv: list[str] | None = None) -> int:
    """``python -m generator.batch SOURCE [options]`` (the same as ``juesuan batch``)."""
    parser = Parser(prog="juesuan")      # Chinese usage errors, exit 2
    add_command(parser.add_subparsers(dest="command", required=True, parser_class=Parser))
    args = parser.parse_args(["batch", *(sys.argv[1:] if argv is None else argv)])
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
