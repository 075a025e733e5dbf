"""What a batch knows about its units: the statuses and exit codes, the plan of one unit
(``Job``), what happened to it (``Record``) and the whole run (``Outcome``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

RENDERED, CHECKS_FAILED, UNREADABLE, CRASHED = "已生成", "检查未通过", "无法读取", "程序出错"
LIMITED = "超出限制"            # its worker hit the memory or the time limit (--worker-memory-mb, --worker-timeout)
SKIPPED, INTERRUPTED = "已跳过（未变化）", "未完成（已中断）"
STATUSES = (RENDERED, SKIPPED, CHECKS_FAILED, UNREADABLE, CRASHED, LIMITED, INTERRUPTED)
FAILED = (CHECKS_FAILED, UNREADABLE, CRASHED, LIMITED)
EXIT_OK, EXIT_CHECKS, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_TERMINATED = 143            # 128 + SIGTERM (EXIT_INTERRUPTED: 128 + SIGINT)
EXIT_FOR = {RENDERED: EXIT_OK, SKIPPED: EXIT_OK, CHECKS_FAILED: EXIT_CHECKS,
            UNREADABLE: EXIT_INPUT, CRASHED: EXIT_INPUT, LIMITED: EXIT_INPUT, INTERRUPTED: EXIT_INTERRUPTED}


def failed_result(index: int, message: str, status: str = CRASHED, seconds: float | None = None) -> dict:
    """A unit's result, as a worker sends it, when no worker could render it (its process died,
    timed out, could not start; on a cluster: its worker died, its data could not be read)."""
    return {"index": index, "status": status, "messages": [message], "outputs": [], "errors": 0, "warnings": 0,
            "seconds": seconds}


class BatchError(Exception):
    """The batch cannot start (no such folder, output folder in use …): exit 2, nothing done."""


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
    previous: Path | None = None   # 上年数据文件, resolved (or the report the caller gives: ``given``)
    given: Path | None = None      # last year's report the caller supplies (run_batch ``previous_of``)
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
    worker_peak_mb: dict        # worker pid (on a cluster: "address/pid") -> peak resident memory (ru_maxrss)
    report_html: Path | None = None
    report_csv: Path | None = None
    interrupted: bool = False
    start_method: str = ""
    worker_peak_vm_mb: dict[int, float] = field(default_factory=dict)   # pid -> peak virtual size (VmPeak)
    lost: str = ""                 # why a cluster's scheduler could not finish the batch ("": it did)
    cluster: str = ""              # --cluster: the scheduler's address or "local" ("": the process pool)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.records)
