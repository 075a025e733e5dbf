"""The submitting side of a batch on a Dask cluster (``juesuan batch --cluster ADDRESS|local``).

``connect`` reaches the scheduler (or starts a ``LocalCluster`` on this machine); ``execute`` has
the pool's contract (``pool.execute``): it takes the runner's tasks, calls ``on_result(task,
result)`` for each unit as it finishes — with the unit's files written into the task's local
staging folder, so the runner publishes them exactly as it publishes the pool's — and returns
the tasks not finished. Everything else of a batch (the plan, skipping unchanged units, the
bookkeeping of the output folder, the reports) stays on this machine.

Each unit is a Dask task carrying the unit's data (``remote.render_task``): the unit file's
bytes, those of its 上年数据文件 or of the report the caller gives. Only a window of units is in
flight at a time (twice the cluster's threads), so this process holds the bytes of a few units,
not of the whole batch, and Ctrl-C has little to call back. The user's profile folders and the
reference document are scattered to the workers once.

A worker that dies mid-unit: the scheduler gives the unit to another worker, which tries it once
more (``remote._attempt``); should the scheduler itself give up on it (``KilledWorker``, its
``allowed-failures``), it is submitted again here, up to the same two attempts, and then reported
as failed with the reason. A unit whose result or shared data went with a dead worker (its
future cancelled while the scheduler stays) is submitted again, the shared data scattered again.
A scheduler that cannot be reached: ``BatchError`` before anything is done; one that goes away
mid-batch, or a cluster left without workers for WORKERS_SECONDS: the units not finished are
reported as not done (the batch is ``lost``), what finished is kept — running the batch again
renders the rest.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import re
import secrets
import time
import warnings
from collections import deque
from pathlib import Path
from typing import Callable

from ..errors import os_reason
from .progress import Progress
from .records import CRASHED, BatchError, failed_result
from .remote import PROTOCOL

LOCAL = "local"
CONNECT_SECONDS = 10            # reaching the scheduler
WORKERS_SECONDS = 30            # waiting for a first worker to join
THREADS_SECONDS = 5             # how often the cluster's size is asked again
MAX_SHIPPED_BYTES = 100 << 20   # a unit file or 上年 file is read up to this (the largest reader limit) + 1
MAX_PROFILE_BYTES = 64 << 20    # all --profiles folders together
ADDRESS = re.compile(r"(tcp|tls|ucx|inproc)://[^\s/]+(:\d+)?")


def cluster_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def address_problem(address: str) -> str | None:
    """Why ``address`` is not one --cluster takes (Chinese), or None."""
    if address == LOCAL or ADDRESS.fullmatch(address):
        return None
    return "应为 Dask 调度器的地址（如 tcp://10.0.0.5:8786）或 local（在本机启动）"


class Cluster:
    """A connection to a Dask scheduler (and the LocalCluster started for ``local``)."""

    def __init__(self, address: str, jobs: int):
        if not cluster_available():
            raise BatchError("--cluster 需要 Dask（dask[distributed]）：pip install -e '.[cluster]'"
                             "（make setup 已安装）")
        why = address_problem(address)
        if why:
            raise BatchError(f"--cluster {address}：{why}")
        import dask
        from distributed import Client
        self.address, self.local = address, None
        self._threads, self._asked = 1, -THREADS_SECONDS
        dask.config.set({"distributed.admin.tick.limit": "60s"})   # no warnings on a busy 2-core machine
        for name in ("distributed", "distributed.client", "distributed.worker", "distributed.scheduler"):
            logging.getLogger(name).setLevel(logging.CRITICAL)     # its English log lines are not for our users
        warnings.filterwarnings("ignore", category=UserWarning, module=r"distributed(\..*)?")   # nor its warnings
        try:
            if address == LOCAL:
                from distributed import LocalCluster
                self.local = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                                          memory_limit=0,      # each render process has its own (--worker-memory-mb)
                                          dashboard_address=None, silence_logs=logging.CRITICAL)
                self.client = Client(self.local, timeout=CONNECT_SECONDS)
            else:
                _probe(address)         # refused at once rather than after Dask's retries
                self.client = Client(address, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise BatchError(f"无法连接 Dask 调度器 {address}：{_reason(exc)}。调度器是否已启动（dask scheduler）？"
                             "地址、端口和防火墙是否正确？") from None
        except Exception as exc:  # noqa: BLE001 — something else answers there (its bytes make no Dask message)
            self.close()
            raise BatchError(f"无法连接 Dask 调度器 {address}：那里的程序不像 Dask 调度器（{type(exc).__name__}）。"
                             "地址和端口是否正确？") from None
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_SECONDS)
        except (OSError, TimeoutError):
            self.close()
            raise BatchError(f"Dask 调度器 {address} 上 {WORKERS_SECONDS} 秒内没有工作进程加入"
                             "（在工作机器上运行 dask worker 调度器地址）") from None

    def threads(self) -> int:
        """The cluster's threads (asked again after THREADS_SECONDS: workers may join or leave)."""
        now = time.monotonic()
        if now - self._asked > THREADS_SECONDS:
            try:
                self._threads = sum(self.client.nthreads().values())
            except (OSError, TimeoutError):
                pass
            self._asked = now
        return self._threads

    def close(self) -> None:
        client = getattr(self, "client", None)
        try:
            if client is not None:
                client.close(timeout=5)
        except Exception:  # a scheduler already gone: nothing left to close politely
            pass
        if self.local is not None:
            try:
                self.local.close(timeout=10)
            except Exception:  # noqa: BLE001 — its worker processes end with this process anyway
                pass


def _probe(address: str, seconds: float = CONNECT_SECONDS) -> None:
    """A plain TCP connection to a tcp:// or tls:// address (OSError when nobody listens there)."""
    import socket
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls") or not port.isdigit():
        return
    with socket.create_connection((host.strip("[]"), int(port)), timeout=seconds):
        pass


def reachable_problem(address: str, seconds: float = 3) -> str | None:
    """Why nothing answers at ``address`` now (Chinese), or None (``local``, or something listens)."""
    if address == LOCAL:
        return None
    try:
        _probe(address, seconds)
    except OSError as exc:
        return _reason(exc, seconds)
    return None


def _reason(exc: BaseException, seconds: float = CONNECT_SECONDS) -> str:
    import socket
    if isinstance(exc, TimeoutError) or "Timed out" in str(exc):
        return f"{seconds:g} 秒内没有响应"
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝（这个地址和端口上没有程序在监听）"
    if isinstance(exc, socket.gaierror):
        return "找不到这个主机名"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "网络不通（主机或网络不可达）"
    return os_reason(exc) if isinstance(exc, OSError) and exc.strerror else (str(exc) or type(exc).__name__)


# ---------------------------------------------------------------- what travels with a task

def _read(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(MAX_SHIPPED_BYTES + 1)


def payload(task: dict, batch: str, code: str, timeout: float | None) -> dict:
    """The Dask task's argument: the runner's task with the unit's data instead of its paths (the
    file its 上年数据文件 names travels as what this machine finds there: a file, a folder, nothing,
    the unit itself — so the worker says what the pool would)."""
    path = Path(task["path"])
    out = {"protocol": PROTOCOL, "code": code, "batch": batch, "index": task["index"],
           "formats": task["formats"], "draft": task["draft"], "marking": task["marking"],
           "memory_mb": task["memory_mb"], "timeout": timeout,
           "unit": {"name": path.name, "data": _read(path), "folder": str(path.parent)}}
    if task.get("previous_file"):
        prev = Path(task["previous_file"])
        named = {"name": prev.name or "上年数据文件", "path": str(prev)}
        if prev == path:
            named["kind"] = "self"
        elif prev.is_file():
            named.update(kind="file", data=_read(prev))
        elif prev.is_dir():
            named["kind"] = "folder"
        else:
            named["kind"] = "missing"
        out["previous_file"] = named
    if task.get("previous"):
        given = Path(task["previous"])
        out["given"] = {"name": given.name, "path": str(given), "data": _read(given)}
    return out


def shared_payload(profiles: list[str], reference: str | None) -> dict:
    """What every unit of the batch needs: the user's profile folders (file name → bytes) and the
    Word reference document."""
    from .. import search_path
    folders, total = [], 0
    for root in map(Path, profiles):
        files = {}
        for kind in search_path.KINDS:
            base = root / kind
            if not base.is_dir():
                continue
            for p in sorted(base.rglob("*")):
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts):
                    total += p.stat().st_size
                    if total > MAX_PROFILE_BYTES or len(files) >= search_path.MAX_FILES:
                        raise BatchError(f"--profiles {root}：文件过多或过大（共超过 {MAX_PROFILE_BYTES >> 20} MB 或 "
                                         f"{search_path.MAX_FILES} 个文件），无法发给集群的工作进程")
                    files[p.relative_to(root).as_posix()] = p.read_bytes()
        digest = hashlib.sha256()
        for rel, data in files.items():
            digest.update(f"{rel}\0{len(data)}\0".encode())
            digest.update(data)
        folders.append({"path": str(root), "files": files, "digest": digest.hexdigest()})
    out: dict = {"profiles": folders}
    if reference:
        out["reference"] = {"path": reference, "data": Path(reference).read_bytes()}
    return out


# ---------------------------------------------------------------- running the batch

def _killed_result(task: dict, exc: BaseException) -> dict:
    last = getattr(getattr(exc, "last_worker", None), "address", "")
    where = f"（最后一次在 {last}）" if last else ""
    return failed_result(task["index"], f"处理这个单位的 Dask 工作进程在生成中途退出，重试后仍未完成{where}，"
                         "调度器已放弃这个单位；其他单位不受影响。请查看工作进程的日志（内存是否不足？机器是否断开？）")


def _error_result(task: dict, exc: BaseException) -> dict:
    what = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ModuleNotFoundError):
        what += "（工作机器上是否安装了 juesuan？）"
    return failed_result(task["index"], f"Dask 工作进程上出错：{what}；其他单位不受影响")


def _land(task: dict, result: dict) -> dict:
    """Write the files a worker sent back into the task's local staging folder (the runner
    publishes them from there); a file whose bytes do not match its sha256 fails the unit."""
    staging = Path(task["staging"])
    outputs = []
    for n, o in enumerate(result.get("outputs", [])):
        data = o.pop("data")
        if hashlib.sha256(data).hexdigest() != o["sha256"] or len(data) != o["size"]:
            return {**result, "status": CRASHED, "outputs": [],
                    "messages": ["从 Dask 工作进程收到的文件不完整（校验和不符）；再次运行即可重新生成"]}
        path = staging / f"{n}{o.pop('suffix')}"
        try:
            staging.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            return {**result, "status": CRASHED, "outputs": [],
                    "messages": [f"无法把生成的文件写入输出目录：{os_reason(exc)}"] + result.get("messages", [])}
        outputs.append({**o, "staged": str(path)})
    return {**result, "outputs": outputs}


class _Lost(Exception):
    """The scheduler went away (or no worker is left): the batch cannot go on."""


def _cancel_reason(future) -> str:
    try:
        future.result(timeout=1)
    except Exception as exc:  # noqa: BLE001 — FutureCancelledError says why; anything else: unknown
        return getattr(exc, "reason", "") or ""
    return ""


def execute(cluster: Cluster, tasks: list[dict], on_result: Callable[[dict, dict], None], progress: Progress,
            should_stop: Callable[[], bool], peaks: dict, timeout: float | None = None,
            vm_peaks: dict | None = None, shared: dict | None = None) -> tuple[list[dict], str]:
    """Run ``tasks`` on the cluster (see the module's docstring). Returns the tasks not finished
    and, when the scheduler went away or no worker is left, why (else "")."""
    from distributed import wait
    from distributed.client import FuturesCancelledError
    from distributed.scheduler import KilledWorker
    from .fingerprint import code_digest
    from .remote import render_task
    client = cluster.client
    vm_peaks = {} if vm_peaks is None else vm_peaks
    batch, code = secrets.token_hex(8), code_digest()
    queue = deque(tasks)
    running: dict = {}                     # future -> task
    resubmitted: set[int] = set()
    lost = ""
    state: dict = {"shared": None, "no_workers_since": None}

    def gone() -> bool:
        return client.status != "running"

    def shared_future():
        """The batch's shared data on the workers; scattered again should it be lost (the only
        worker holding it died)."""
        if state["shared"] is None or state["shared"].status != "finished":
            [state["shared"]] = client.scatter([shared or {}], broadcast=True, hash=False)   # a list: one key
        return state["shared"]

    def submit(task: dict, shared_data) -> None:
        try:
            data = payload(task, batch, code, timeout)
        except OSError as exc:
            on_result(task, failed_result(task["index"], f"无法读取数据文件：{os_reason(exc)}"))
            return
        try:
            future = client.submit(render_task, data, shared_data, key=f"juesuan-{batch}-{task['index']}-"
                                   f"{secrets.token_hex(3)}", pure=False, retries=0)
        except BaseException:
            queue.appendleft(task)                   # not sent: still to do
            raise
        running[future] = task

    def again(future, task: dict) -> None:
        """The unit's result was lost without its worker failing it (its data went with a dead
        worker): submitted again (its attempts are counted on the scheduler all the same)."""
        if gone() or _cancel_reason(future) == "scheduler-connection-lost":
            running[future] = task
            raise _Lost(f"与 Dask 调度器 {cluster.address} 的连接中断")
        queue.appendleft(task)

    def handle(future) -> None:
        task = running.pop(future)
        if future.status == "finished":
            try:
                result = future.result()
            except Exception:  # noqa: BLE001 — the result went with its worker, or the scheduler went away
                again(future, task)
                future.release()
                return
            worker = result.pop("worker", "")
            if "pid" in result:
                key = f"{worker}/{result['pid']}"
                peaks[key] = max(peaks.get(key, 0), result.get("peak_mb", 0))
                vm_peaks[key] = max(vm_peaks.get(key, 0), result.get("peak_vm_mb", 0))
            on_result(task, _land(task, result))
        elif future.status == "error":
            exc = future.exception()
            if isinstance(exc, KilledWorker) and task["index"] not in resubmitted:
                resubmitted.add(task["index"])       # the unit's own count says whether to render
                queue.appendleft(task)
            else:
                on_result(task, _killed_result(task, exc) if isinstance(exc, KilledWorker)
                          else _error_result(task, exc))
        else:                                        # cancelled or lost
            again(future, task)
        future.release()

    try:
        while (queue or running) and not should_stop():
            threads = cluster.threads()
            if threads:
                state["no_workers_since"] = None
            elif state["no_workers_since"] is None:
                state["no_workers_since"] = time.monotonic()
            elif time.monotonic() - state["no_workers_since"] > WORKERS_SECONDS:
                raise _Lost(f"Dask 调度器 {cluster.address} 上已没有工作进程（{WORKERS_SECONDS} 秒内没有工作进程加入）")
            if gone():
                raise _Lost(f"与 Dask 调度器 {cluster.address} 的连接中断")
            if threads and queue and len(running) < 2 * threads:
                try:
                    shared_data = shared_future()
                except (OSError, ValueError):        # TimeoutError too: no worker took it just now
                    if gone():
                        raise _Lost(f"与 Dask 调度器 {cluster.address} 的连接中断") from None
                    shared_data = None
                while shared_data is not None and queue and len(running) < 2 * threads and not should_stop():
                    submit(queue.popleft(), shared_data)
            if not running:
                time.sleep(0.5)                      # waiting for a worker
                continue
            try:
                done = wait(list(running), timeout=0.5, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            except FuturesCancelledError:
                done = {f for f in running if f.status != "pending"}
            for future in done:
                handle(future)
            progress.draw()
        if not lost:                                  # stopped (Ctrl-C): results already back count as finished
            for future in [f for f in running if f.status == "finished"]:
                handle(future)
    except _Lost as exc:
        lost = str(exc)
    except OSError:
        lost = f"与 Dask 调度器 {cluster.address} 的连接中断"
    unfinished = list(queue) + list(running.values())
    if not gone():               # (a client whose scheduler is gone would wait to reconnect)
        try:
            client.cancel(list(running), force=True)
            client.set_metadata(["juesuan-batch", batch], None)      # the attempts noted (Dask cannot delete a key)
        except Exception:  # noqa: BLE001 — the scheduler went away just now: nothing to cancel
            pass
    return unfinished, lost
