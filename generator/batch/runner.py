"""The run: plan, skip what is unchanged, render the rest in the pool, publish each unit's
files as it finishes, write the reports."""
from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Callable, TextIO

from .. import search_path
from ..compose.document import Marking
from ..errors import os_reason
from ..write.formats import parse_formats
from ..limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from .planning import plan, unit_suffixes
from .pool import default_start_method, execute
from .progress import Progress
from .records import (CRASHED, EXIT_FOR, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED, INTERRUPTED, RENDERED, SKIPPED,
                      BatchError, Job, Outcome, Record)
from .report import write_reports
from .state import STAGING_NAME, State, clean_leftovers, lock_folder, publish


def run_batch(source: Path, out_dir: Path, formats: tuple[str, ...] = ("docx", "pdf"),
              jobs: int | None = None, force: bool = False, reference: Path | None = None,
              progress_stream: TextIO | None = sys.stderr, start_method: str | None = None,
              draft: bool = False, marking: Marking | None = None,
              on_progress: Callable[[int, int], None] | None = None,
              worker_memory_mb: int | None = DEFAULT_MEMORY_MB,
              worker_timeout: float | None = DEFAULT_TIMEOUT,
              previous_of: Callable[[Path], Path | None] | None = None,
              cluster: str | None = None) -> Outcome:
    """Plan, skip what is unchanged, render the rest in parallel, write the reports.
    ``start_method``: how workers start ("fork", "forkserver", "spawn"); None chooses.
    ``worker_memory_mb``: each worker's address-space limit (RLIMIT_AS; 0 or None: none);
    ``worker_timeout``: seconds a worker may spend on one unit (0 or None: no limit);
    ``previous_of``: last year's report the caller supplies per unit file (planning.plan);
    ``cluster``: a Dask scheduler's address, or "local" (a LocalCluster of ``jobs`` workers on this
    machine), to render there instead of in the process pool (cluster.py)."""
    t_start = time.monotonic()
    try:
        formats = parse_formats(formats)
    except ValueError as exc:
        raise BatchError(str(exc)) from None
    if reference is not None:
        from ..write.reference import reference_problem
        why = reference_problem(Path(reference))
        if why:
            raise BatchError(f"--reference-doc {reference}：{why}")
        reference = Path(reference).resolve()
    from ..atomic import output_dir_problem
    why = output_dir_problem(Path(out_dir))
    if why:
        raise BatchError(f"--out {out_dir}：{why}")
    if jobs is None:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if jobs < 1:
        raise BatchError("--jobs 应为正整数")
    if cluster is not None:
        from .cluster import address_problem
        why = address_problem(cluster)
        if why:
            raise BatchError(f"--cluster {cluster}：{why}")
    planned = plan(Path(source), formats, reference, draft, marking, previous_of)
    if not planned:
        raise BatchError(f"{source} 中没有单位数据文件（{'、'.join(sorted(unit_suffixes()))}）")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"无法建立输出目录 {out_dir}：{os_reason(exc)}") from exc
    lock = lock_folder(out_dir)
    stop = {"flag": False, "signal": signal.SIGINT}
    previous_handlers = {}

    def on_signal(signum, frame):
        stop["flag"], stop["signal"] = True, signum

    try:
        clean_leftovers(out_dir)
        state = State(out_dir)
        records: dict[int, Record] = {}
        progress = Progress(progress_stream, len(planned), on_progress)
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
        on_cluster = None
        if cluster is not None and to_render:
            from .cluster import Cluster
            on_cluster = Cluster(cluster, jobs)        # BatchError when it cannot be reached
            workers_used = on_cluster.threads()
        skipped = sum(r.status == SKIPPED for r in records.values())
        where = f"在 Dask 集群 {cluster} 上，{workers_used} 个线程并行" if on_cluster else f"{workers_used} 个进程并行"
        parts = [f"{skipped} 个未变化（跳过）" if skipped else "",
                 f"{len(records) - skipped} 个无法读取" if len(records) > skipped else "",
                 f"{len(to_render)} 个待生成（{where}）" if to_render else "没有要生成的单位"]
        progress.log(f"批量生成：共 {len(planned)} 个单位；" + "，".join(p for p in parts if p))
        for rec in sorted(records.values(), key=lambda r: r.index):
            progress.record(rec, counted_as_work=False)

        by_index = {job.index: job for job in planned}
        staging_root = out_dir / STAGING_NAME
        tasks = [{"index": job.index, "path": str(job.path), "formats": list(formats),
                  "reference": str(reference) if reference else None, "draft": draft, "marking": marking,
                  "previous": str(job.given) if job.given else None,
                  "previous_file": str(job.previous) if job.previous and not job.given else None,
                  "memory_mb": worker_memory_mb,
                  "profiles": [str(p) for p in search_path.user_roots()],   # --profiles, in a spawned worker too
                  "staging": str(staging_root / f"{os.getpid()}-{job.index}")}
                 for job in sorted(to_render, key=lambda j: -j.path.stat().st_size)]   # big ones first

        def on_result(task: dict, result: dict) -> None:
            job = by_index[task["index"]]
            rec = Record(job.index, job.shown, result.get("unit") or job.name, result["status"],
                         result.get("messages", []), [], result.get("seconds"),
                         result.get("errors", 0), result.get("warnings", 0), job.note)
            if rec.status == RENDERED:
                try:
                    rec.outputs = publish(job, result, out_dir, state)
                except OSError as exc:
                    rec.status, rec.messages = CRASHED, [f"无法把生成的文件移入输出目录：{os_reason(exc)}"] + rec.messages
            shutil.rmtree(task["staging"], ignore_errors=True)
            records[job.index] = rec
            progress.record(rec, counted_as_work=True)

        peaks: dict[int, float] = {}
        vm_peaks: dict[int, float] = {}
        unfinished: list[dict] = []
        lost = ""
        if tasks:
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    previous_handlers[sig] = signal.signal(sig, on_signal)
                except ValueError:          # not the main thread: no signal handling
                    pass
            progress.begin_work(len(tasks))
            if on_cluster is not None:
                from . import cluster as dask_cluster
                try:
                    shared = dask_cluster.shared_payload(tasks[0]["profiles"], tasks[0]["reference"])
                    unfinished, lost = dask_cluster.execute(on_cluster, tasks, on_result, progress,
                                                            lambda: stop["flag"], peaks, timeout=worker_timeout,
                                                            vm_peaks=vm_peaks, shared=shared)
                finally:
                    on_cluster.close()
                start_method = "dask"
            else:
                start_method = start_method or default_start_method()
                ctx = mp.get_context(start_method)
                unfinished = execute(tasks, workers_used, ctx, on_result, progress, lambda: stop["flag"], peaks,
                                     memory_mb=worker_memory_mb, timeout=worker_timeout, vm_peaks=vm_peaks)
        why = (f"{lost}，这个单位没有生成；集群恢复后再次运行同一命令（或不加 --cluster）即可补上" if lost
               else "批量生成被中断，这个单位没有生成；再次运行同一命令即可补上")
        for task in unfinished:
            job = by_index[task["index"]]
            records[job.index] = Record(job.index, job.shown, job.name, INTERRUPTED, [why], note=job.note)
        shutil.rmtree(staging_root, ignore_errors=True)
        progress.close()
        ordered = [records[i] for i in sorted(records)]
        interrupted = bool(unfinished) or stop["flag"]
        code = (EXIT_INPUT if lost and not stop["flag"]
                else (EXIT_TERMINATED if stop["signal"] == signal.SIGTERM else EXIT_INTERRUPTED) if interrupted
                else max(EXIT_FOR[r.status] for r in ordered))
        outcome = Outcome(ordered, code, time.monotonic() - t_start, workers_used, peaks,
                          interrupted=interrupted, start_method=start_method or "", worker_peak_vm_mb=vm_peaks,
                          lost=lost, cluster=cluster or "")
        outcome.report_html, outcome.report_csv = write_reports(outcome, out_dir, Path(source), formats)
        return outcome
    finally:
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
        os.close(lock)
