"""Render many units in the background with the batch runner (``generator.batch.run_batch``).

A job renders the current (checked) version of each chosen unit. It runs in a thread of the
server that only waits on ``run_batch``, whose worker processes do the rendering (or the Dask
cluster's workers, ``juesuan serve --cluster``: ``batch/cluster.py``); so a job goes on
when the browser that started it is closed. Its progress (run_batch's on_progress) and
its results are kept in the jobs table. The batch's output folder ``<data>/batch/out/`` is the
same for every job: running again after a server restart (the job is then marked interrupted)
skips the units already rendered and unchanged, by the batch's content hashes — it resumes.

Rendered files are also copied into each unit's ``reports/<version>-final/`` folder (atomically,
the pair together), so the unit's own download does not render again.

Each finished job keeps its own files in ``<data>/batch/jobs/<job id>/``: its batch reports and the
files it rendered (or found unchanged), hard links to the shared output folder's files where the
file system allows (a later job replaces a file there by renaming a new one over it, so the link
keeps this job's version), copies otherwise; the job's downloads (report.html, report.csv, the zip)
come from there. Only the newest ``KEEP_JOBS`` jobs' folders are kept; an older job's page says its
files were removed.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import threading
import zipfile
from pathlib import Path

from ..limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from ..atomic import all_or_nothing, atomic_path
from .store import DONE, FAILED, Account, Store, Unit, Version

OUT_NAME = "out"
JOBS_NAME = "jobs"
MANIFEST_NAME = ".batch-units.txt"
KEEP_JOBS = 10                  # the newest jobs whose files (reports, zip) are kept
JOB_ID = re.compile(r"[0-9a-f]{1,64}")


class BatchBusy(Exception):
    """Another job is running."""

    def __init__(self, job_id: str):
        super().__init__(job_id)
        self.job_id = job_id


class BatchRunner:
    def __init__(self, store: Store, jobs: int = 2, worker_memory_mb: int | None = DEFAULT_MEMORY_MB,
                 worker_timeout: float | None = DEFAULT_TIMEOUT, cluster: str | None = None):
        self.store, self.jobs, self.cluster = store, jobs, cluster
        self.worker_memory_mb, self.worker_timeout = worker_memory_mb, worker_timeout
        self.lock = threading.Lock()
        self.batch_dir = store.data / "batch"
        self.out_dir = self.batch_dir / OUT_NAME
        self.jobs_dir = self.batch_dir / JOBS_NAME

    def job_dir(self, job_id: str) -> Path | None:
        """The folder of a finished job's own files; None when there is none (removed, or the job
        never finished)."""
        if not JOB_ID.fullmatch(job_id):
            return None
        folder = self.jobs_dir / job_id
        return folder if folder.is_dir() else None

    def start(self, account: Account, chosen: list[tuple[Unit, Version]]) -> str:
        """Start a job for ``chosen`` (unit, its current checked version); returns its id."""
        with self.lock:
            running = self.store.running_job()
            if running:
                raise BatchBusy(running["id"])
            job_id = secrets.token_hex(8)
            self.store.add_job(job_id, "batch", account, [u.name for u, _ in chosen])
        threading.Thread(target=self._run, args=(job_id, chosen), name=f"batch-{job_id}", daemon=True).start()
        return job_id

    def _run(self, job_id: str, chosen: list[tuple[Unit, Version]]) -> None:
        from ..batch import BatchError, run_batch
        from .work import previous_of
        try:
            self.batch_dir.mkdir(parents=True, exist_ok=True)
            by_line: dict[str, tuple[Unit, Version]] = {}
            for unit, version in chosen:
                rel = (self.store.version_dir(unit, version.id) / version.filename).relative_to(self.store.data)
                by_line[rel.as_posix()] = (unit, version)
            manifest = self.store.data / MANIFEST_NAME
            manifest.write_text("\n".join(by_line) + "\n", encoding="utf-8")
            outcome = run_batch(manifest, self.out_dir, ("docx", "pdf"), jobs=self.jobs, progress_stream=None,
                                on_progress=lambda done, total: self.store.job_progress(job_id, done, total),
                                worker_memory_mb=self.worker_memory_mb, worker_timeout=self.worker_timeout,
                                previous_of=previous_of, cluster=self.cluster)
            results = []
            for rec in outcome.records:
                unit, version = by_line.get(rec.source, (None, None))
                outputs = [o for o in rec.outputs if (self.out_dir / o).is_file()]
                if unit is not None and outputs:
                    self._copy(unit, version, outputs)
                results.append({"unit": unit.name if unit else rec.unit, "version": version.id if version else None,
                                "number": version.number if version else None,
                                "status": rec.status, "errors": rec.errors, "warnings": rec.warnings,
                                "messages": rec.messages, "outputs": outputs})
            self._keep(job_id, [o for r in results for o in r["outputs"]])
            self.store.finish_job(job_id, DONE, results, "批量生成被中断" if outcome.interrupted else "")
            self.store.audit("（批量）", "批量生成完成", detail=f"任务 {job_id}：{len(results)} 个单位")
        except BatchError as exc:
            self.store.finish_job(job_id, FAILED, [], str(exc))
        except Exception as exc:       # the job must end, and say why
            self.store.finish_job(job_id, FAILED, [], f"程序内部出错（{type(exc).__name__}: {exc}）")

    def _copy(self, unit: Unit, version: Version, outputs: list[str]) -> None:
        target = self.store.reports_dir(unit, version.id, draft=False)
        with all_or_nothing():
            for name in outputs:
                with atomic_path(target / name) as tmp:
                    shutil.copyfile(self.out_dir / name, tmp)

    def _keep(self, job_id: str, outputs: list[str]) -> None:
        """The job's own folder: its outputs and batch reports, linked (or copied) from the shared
        output folder into a hidden folder renamed into place when whole; then older jobs' folders
        beyond the newest KEEP_JOBS are removed."""
        from ..batch import REPORT_CSV, REPORT_HTML
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        for leftover in self.jobs_dir.glob(".*"):          # a folder being built when the server died
            shutil.rmtree(leftover, ignore_errors=True)
        building = self.jobs_dir / f".{job_id}-{secrets.token_hex(4)}"
        building.mkdir()
        for name in [*outputs, REPORT_HTML, REPORT_CSV]:
            source = self.out_dir / name
            if not source.is_file() or (building / name).exists():
                continue
            try:
                os.link(source, building / name)
            except OSError:                                 # no hard links here: a copy
                shutil.copyfile(source, building / name)
        os.replace(building, self.jobs_dir / job_id)
        newest = {job["id"] for job in self.store.jobs(KEEP_JOBS)}
        for folder in self.jobs_dir.iterdir():
            if folder.is_dir() and JOB_ID.fullmatch(folder.name) and folder.name not in newest:
                shutil.rmtree(folder, ignore_errors=True)

    def zip_job(self, job: dict, target: Path) -> bool:
        """Every file the job rendered (or found unchanged) and its batch reports, in one zip;
        False (and no zip) when the job's files are no longer kept."""
        folder = self.job_dir(job["id"])
        if folder is None:
            return False
        from ..batch import REPORT_CSV, REPORT_HTML
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name in [*(o for r in job["results"] for o in r["outputs"]), REPORT_HTML, REPORT_CSV]:
                path = folder / name
                if path.is_file() and name not in zf.NameToInfo:
                    zf.write(path, arcname=name)
        return True
