"""Worker limits (issue 22): the normal peak memory of the workers that the limits must leave
room for. ``RLIMIT_AS`` (``--worker-memory-mb``, default 2048) counts virtual memory, so the
virtual peak (VmPeak) is the figure to compare with it; the resident peak (ru_maxrss) is shown too.

1. ``juesuan batch``'s workers (forked, and spawned) rendering every example and the test
   fixture as DOCX + PDF: peak virtual and resident size per worker, seconds per unit.
2. The web workspace's workers (``generator/web/pool.py``, spawned): the check worker checking
   every example as an upload, as YAML and as a workbook (``work.check_upload``, which also
   writes the preview HTML), the
   render worker rendering each as DOCX + PDF (``work.render_version``): peak virtual size and
   the slowest task.

Usage: .venv/bin/python benchmarks/worker_limits.py
Prints figures only; asserts nothing.
"""
from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.batch import run_batch  # noqa: E402
from generator.limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT  # noqa: E402

UNITS = sorted((ROOT / "data" / "examples").glob("*.yaml")) + [ROOT / "tests" / "fixtures" / "admin-unit-with-funds-2023.yaml"]


def batch(method: str, folder: Path) -> None:
    units = folder / f"units-{method}"
    units.mkdir()
    for u in UNITS:
        shutil.copy(u, units / u.name)
    t0 = time.perf_counter()
    outcome = run_batch(units, folder / f"out-{method}", ("docx", "pdf"), jobs=2, progress_stream=None,
                        start_method=method)
    seconds = time.perf_counter() - t0
    statuses = sorted({r.status for r in outcome.records})
    vm = max(outcome.worker_peak_vm_mb.values(), default=0)
    rss = max(outcome.worker_peak_mb.values(), default=0)
    print(f"batch ({method}, 2 workers, {len(UNITS)} units, DOCX+PDF): {statuses}; {seconds:.1f} s in all, "
          f"{max((r.seconds or 0) for r in outcome.records):.1f} s the slowest unit; "
          f"peak per worker: {vm:.0f} MB virtual, {rss:.0f} MB resident")


async def web(folder: Path) -> None:
    from generator.web import work
    from generator.web.pool import WorkerPool
    check = WorkerPool(1, work.init_worker, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT)
    render = WorkerPool(1, work.init_worker, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT)
    slowest = {"check": 0.0, "render": 0.0}
    books = 0
    try:
        for u in UNITS:
            version = folder / "web" / u.stem
            version.mkdir(parents=True)
            shutil.copy(u, version / u.name)
            name = re.search(r"^单位名称: (.+)$", u.read_text(encoding="utf-8"), re.M).group(1).strip()
            t0 = time.perf_counter()
            result = await check.run(work.check_upload, str(version), u.name, name)
            slowest["check"] = max(slowest["check"], time.perf_counter() - t0)
            assert result["status"] == "checked", result
            t0 = time.perf_counter()
            await render.run(work.render_version, str(version), u.name, str(version / "reports"), True)
            slowest["render"] = max(slowest["render"], time.perf_counter() - t0)
            book = version / f"{u.stem}.xlsx"            # the same unit as a workbook (juesuan export)
            subprocess.run([sys.executable, "-m", "generator.cli", "export", str(u), "--out", str(book)], cwd=ROOT,
                           capture_output=True)
            if not book.is_file():                          # a profile without a workbook form
                continue
            books += 1
            t0 = time.perf_counter()
            result = await check.run(work.check_upload, str(version), book.name, name)
            slowest["check"] = max(slowest["check"], time.perf_counter() - t0)
            assert result["status"] == "checked", result
    finally:
        check.shutdown()
        render.shutdown()
    print(f"web check worker ({len(UNITS)} YAML and {books} workbook uploads): peak {check.vm_peak_mb:.0f} MB virtual; "
          f"slowest check {slowest['check']:.1f} s")
    print(f"web render worker ({len(UNITS)} reports, DOCX+PDF): peak {render.vm_peak_mb:.0f} MB virtual; "
          f"slowest render {slowest['render']:.1f} s")


def main() -> None:
    print(f"limits: --worker-memory-mb {DEFAULT_MEMORY_MB} (virtual), --worker-timeout {DEFAULT_TIMEOUT} s")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        batch("fork", folder)
        batch("spawn", folder)
        asyncio.run(web(folder))


if __name__ == "__main__":
    main()
