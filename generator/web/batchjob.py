"""Render many units in the background with the batch runner (``generator.batch.run_batch``).

A job renders the current (checked) version of each chosen unit. It runs in a thread of the
server that only waits on ``run_batch``, whose worker processes do the rendering; so a job goes on
when the browser that started it is closed. Its progress (run_batch's on_progress) and
its results are kept in the jobs table. The batch's output folder ``<data>/batch/out/`` is the
same for every job: running again after a server restart (the job is then marked interrupted)
skips the units already rendered and unchanged, by the batch's content hashes — it resumes.

Rendered files are also copied into each unit's ``reports/<version>-final/`` folder (atomically,
the pair together), so the unit's own download does not render again.
"""
from __future__ import annotations

import secrets
import shutil
import threading
import zipfile
from pathlib import Path

from ..limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from ..write.atomic import all_or_nothing, atomic_path
from .store import DONE, FAILED, Account, Store, Unit, Version

OUT_NAME = "out"
MANIFEST_NAME = ".batch-units.txt"


class BatchBusy(Exception):
    """Another job is running."""

    def __init__(self, job_id: str):
        super().__init__(job_id)
        self.job_id = job_id


class BatchRunner:
    def __init__(self, store: Store, jobs: int = 2, worker_memory_mb: int | None = DEFAULT_MEMORY_MB,
                 worker_timeout: float | None = DEFAULT_TIMEOUT):
        self.store, self.jobs = store, jobs
        self.worker_memory_mb, self.worker_timeout = worker_memory_mb, worker_timeout
        self.lock = threading.Lock()
        self.batch_dir = store.data / "batch"
        self.out_dir = self.batch_dir / OUT_NAME

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
                                worker_memory_mb=self.worker_memory_mb, worker_timeout=self.worker_timeout)
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

    def zip_job(self, job: dict, target: Path) -> None:
        """Every file the job rendered (or found unchanged) and the batch reports, in one zip."""
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for result in job["results"]:
                for name in result["outputs"]:
                    path = self.out_dir / name
                    if path.is_file():
                        zf.write(path, arcname=name)
            from ..batch import REPORT_CSV, REPORT_HTML
            for name in (REPORT_HTML, REPORT_CSV):
                path = self.out_dir / name
                if path.is_file():
                    zf.write(path, arcname=name)
