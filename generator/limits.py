"""Worker limits, the second line of defence (stdlib only: ``juesuan serve``'s parser imports it): every check/render worker (``juesuan batch``'s, the web
workspace's check and render workers, its batch jobs) runs under a memory limit (``RLIMIT_AS``,
set in the worker itself) and a wall-clock limit (kept by the process that hands out the work,
which kills a worker that is still busy after it). A worker that hits either is replaced; the
unit (or upload) it was working on gets a plain message, other units' work goes on.

``RLIMIT_AS`` counts virtual memory, not resident: a worker that has rendered every example as
DOCX and PDF peaks at 400–530 MB virtual (it varies from run to run; 165–170 MB resident), a
check worker (no WeasyPrint) at some 70 MB; the slowest unit took up to 8 s with the machine's two
cores busy (``benchmarks/worker_limits.py`` prints the figures). The defaults, 2048 MB and 120 s,
are some four and fifteen times those.
"""
from __future__ import annotations

import argparse
import resource

DEFAULT_MEMORY_MB = 2048        # per worker, virtual (RLIMIT_AS); 0: no limit
DEFAULT_TIMEOUT = 120           # seconds per unit check / render (a batch unit: check and render); 0: none
# the web server's connection limits (``juesuan serve``; generator/web/server.py keeps them)
DEFAULT_CONNECTION_LIMITS = {"header_timeout": 20.0, "body_timeout": 60.0, "keep_alive_timeout": 5,
                             "max_connections": 500}


def set_memory_limit(mb: int | None) -> None:
    """Limit this process's address space to ``mb`` MB (None or 0: leave it as it is). Above it an
    allocation fails: Python raises MemoryError, a C library may abort the process."""
    if not mb:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = mb * 2**20
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def vm_peak_mb() -> float:
    """This process's peak virtual size (VmPeak, what RLIMIT_AS limits); 0 when unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def memory_text(mb: int | None) -> str:
    return f"超出内存限制（{mb} MB）" if mb else "内存不足"


def timeout_text(seconds: float | None) -> str:
    return f"超时（超过 {seconds:g} 秒）"


def memory_mb_argument(value: str) -> int:
    """--worker-memory-mb: 0 (no limit) or at least 256 (a rendering worker needs 400–530 MB virtual)."""
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n != 0 and not 256 <= n <= 1 << 30:
        raise argparse.ArgumentTypeError(f"应为 0（不限制）或不小于 256 的整数（MB），不是“{value}”")
    return n


def timeout_argument(value: str) -> float:
    """--worker-timeout: seconds, 0 for none."""
    try:
        n = float(value)
    except ValueError:
        n = -1.0
    if not (n == 0 or 0 < n <= 7 * 24 * 3600) or n != n:
        raise argparse.ArgumentTypeError(f"应为秒数（大于 0；0 表示不限制），不是“{value}”")
    return n


def add_limit_arguments(p: argparse.ArgumentParser) -> None:
    """--worker-memory-mb and --worker-timeout (``juesuan batch`` and ``juesuan serve``)."""
    p.add_argument("--worker-memory-mb", type=memory_mb_argument, default=DEFAULT_MEMORY_MB, metavar="MB",
                   help=f"每个检查/生成工作进程的内存上限（MB，按虚拟内存计；默认 {DEFAULT_MEMORY_MB}，0 不限制）；"
                        "超出时停止处理这个单位，其他单位照常处理")
    p.add_argument("--worker-timeout", type=timeout_argument, default=DEFAULT_TIMEOUT, metavar="秒",
                   help=f"检查或生成一个单位最多用时（秒；默认 {DEFAULT_TIMEOUT}，0 不限制）；"
                        "超时即停止处理这个单位，其他单位照常处理")

