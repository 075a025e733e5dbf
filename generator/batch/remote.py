"""The cluster's side of a batch (``juesuan batch --cluster``): what runs on a Dask worker.

``render_task(payload, shared)`` is the Dask task of one unit. It gets the unit's data with the
task — the unit file's bytes and those of its 上年数据文件 (or of the report the caller gives) —,
never a path of the submitting machine; it lays them out in a temporary folder of this process
(``juesuan-worker-*``, mode 0700, locked while the process lives; those of dead processes are
removed), tells the pipeline where the 上年数据文件 is (``previous_at``: the name written in the
unit file is not looked up again on this machine), renders there and returns the files' bytes. The user's profile folders (``--profiles``) and the Word reference document come once per
batch in ``shared`` (scattered to every worker).

The rendering itself is not done in the Dask worker: each of its threads hands units to a render
process of its own (``worker.worker_main``, the process-pool worker, started here as a plain
subprocess since a Dask worker is a daemonic process), so a unit runs under the same memory limit
(RLIMIT_AS), the same time limit and the same crash isolation as in the local pool, and WeasyPrint
never runs in two threads of one process. The render process stays for the next unit (its
WeasyPrint and fonts are loaded once) and retires as in the pool.

A Dask worker that dies mid-unit (killed, its machine gone) makes the scheduler run the unit
again on another worker. Each attempt is noted in the scheduler's metadata under the batch's
token; the third attempt does not render but reports the unit as failed, naming the workers that
died — so a unit is retried once, whatever the scheduler's own ``allowed-failures``.

Run as ``python -m generator.batch.remote FD MEMORY_MB`` it is that render process.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from pathlib import Path

from .records import failed_result

PROTOCOL = 1                 # what a task holds and returns; the submitting side sends the same
MAX_ATTEMPTS = 2             # a unit whose worker died under it is tried once more, no more
FOLDER_PREFIX = "juesuan-worker-"   # a Dask worker process's temporary folder (its units, its profiles)
LOCK_NAME = ".lock"

_local = threading.local()   # this thread's render process
_profiles_lock = threading.Lock()


# ---------------------------------------------------------------- the render process

class _Renderer:
    """A render process (``worker_main``) owned by one thread of the Dask worker."""

    def __init__(self, memory_mb: int | None):
        ours, theirs = Pipe()
        self.memory_mb = memory_mb
        self.proc = subprocess.Popen([sys.executable, "-m", "generator.batch.remote", str(theirs.fileno()),
                                      str(memory_mb or 0)], pass_fds=[theirs.fileno()],
                                     stdin=subprocess.DEVNULL, start_new_session=False)
        theirs.close()
        self.conn = ours
        self.ready = False

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        self.conn.close()

    def run(self, task: dict, timeout: float | None) -> dict:
        """Render ``task``; a result dict as the pool's worker sends it, or the pool's crash or
        time-limit result when the process died or was killed."""
        from .pool import BOOT_SECONDS, _crash_result, _timeout_result
        try:
            self.conn.send(task)
        except OSError:
            return _crash_result(task, self.proc.wait(), self.memory_mb)
        started = time.monotonic()
        while True:
            try:
                if self.conn.poll(0.5):
                    msg = self.conn.recv()
                    if msg.get("ready"):            # its loading is done: the time limit counts from here
                        self.ready, started = True, time.monotonic()
                        continue
                    return msg
            except (EOFError, OSError):
                return _crash_result(task, self.proc.wait(), self.memory_mb)
            if not self.alive():
                return _crash_result(task, self.proc.returncode, self.memory_mb)
            limit = timeout + (0 if self.ready else BOOT_SECONDS) if timeout else None
            if limit and time.monotonic() - started > limit:
                self.proc.kill()                    # SIGKILL, as the pool does
                self.proc.wait()
                return _timeout_result(task, timeout)


def _renderer(memory_mb: int | None) -> _Renderer:
    r = getattr(_local, "renderer", None)
    if r is not None and (not r.alive() or r.memory_mb != memory_mb):
        r.stop()
        r = None
    if r is None:
        r = _local.renderer = _Renderer(memory_mb)
    return r


# ---------------------------------------------------------------- this process's temporary folder

_folder: Path | None = None      # juesuan-worker-XXXX: this Dask worker process's units and profiles
_folder_lock = threading.Lock()
_lock_fd: int | None = None      # held (flock) while this process lives: its folder is in use
_profiles: dict[str, Path] = {}  # digest -> the profile folders written for it


def _own_folder() -> Path:
    """This process's temporary folder (mode 0700, with a lock file held for the process's life),
    made at its first unit; the folders of processes that died (their lock free) are removed then."""
    global _folder, _lock_fd
    import fcntl
    with _folder_lock:
        if _folder is not None:
            return _folder
        for other in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
            try:
                fd = os.open(other / LOCK_NAME, os.O_RDWR | os.O_NOFOLLOW)
            except OSError:          # not one of ours, or being made: left alone
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:          # its process lives
                os.close(fd)
                continue
            shutil.rmtree(other, ignore_errors=True)
            os.close(fd)
        making = Path(tempfile.mkdtemp(prefix="juesuan-making-"))     # locked before it takes its name
        fd = os.open(making / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        folder = making.with_name(FOLDER_PREFIX + making.name[len("juesuan-making-"):])
        os.rename(making, folder)
        _folder, _lock_fd = folder.resolve(), fd
        return _folder


def _safe_name(name: str) -> str:
    name = Path(name).name
    if name in ("", ".", "..") or "/" in name or "\0" in name:
        raise ValueError(f"bad file name {name!r}")
    return name


def _layout(root: Path, payload: dict) -> tuple[Path, Path | None, Path | None, dict[str, str]]:
    """Write the unit file, the file its 上年数据文件 names and the report the caller gives under
    ``root``. Returns their paths here (the 上年数据文件 where the pipeline is to take it:
    ``previous_at``) and how this folder's paths read on the submitting side."""
    unit = payload["unit"]
    (root / "u").mkdir()
    unit_path = root / "u" / _safe_name(unit["name"])
    unit_path.write_bytes(unit["data"])
    shown = {str(root / "u"): unit["folder"]}
    previous_at = None
    prev = payload.get("previous_file")
    if prev is not None:
        if prev["kind"] == "self":                    # it names itself: the pipeline says so
            previous_at = unit_path
        else:
            (root / "p").mkdir()
            previous_at = root / "p" / _safe_name(prev["name"])
            if prev["kind"] == "file":
                previous_at.write_bytes(prev["data"])
            elif prev["kind"] == "folder":
                previous_at.mkdir()
            shown[str(previous_at)] = prev["path"]  # "missing": not made, so not found, as there
    given_path = None
    given = payload.get("given")
    if given is not None:
        (root / "given").mkdir()
        given_path = root / "given" / _safe_name(given["name"])
        given_path.write_bytes(given["data"])
        shown[str(given_path)] = given["path"]
    return unit_path, previous_at, given_path, shown


def _profile_roots(shared: dict) -> tuple[list[str], dict[str, str]]:
    """The user's profile folders, written once per Dask worker process (by the digest the
    submitting side computed) into its own temporary folder; their paths here and how they read on
    the submitting side."""
    roots, shown = [], {}
    for folder in shared.get("profiles") or ():
        with _profiles_lock:
            here = _profiles.get(folder["digest"])
            if here is None:
                here = Path(tempfile.mkdtemp(prefix="profiles-", dir=_own_folder())).resolve()
                for rel, data in folder["files"].items():
                    target = (here / rel).resolve()
                    if Path(rel).is_absolute() or ".." in Path(rel).parts or not target.is_relative_to(here):
                        raise ValueError(f"bad profile file name {rel!r}")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                _profiles[folder["digest"]] = here
        roots.append(str(here))
        shown[str(here)] = folder["path"]
    return roots, shown


def _shown(messages: list[str], shown: dict[str, str]) -> list[str]:
    """Messages with this worker's paths written as the submitting side's (longest first)."""
    pairs = sorted(shown.items(), key=lambda kv: -len(kv[0]))
    out = []
    for m in messages:
        for here, there in pairs:
            m = m.replace(here, there)
        out.append(m)
    return out


# ---------------------------------------------------------------- the task

def _attempt(payload: dict) -> str | None:
    """Note this attempt in the scheduler's metadata; a message when the unit has been tried
    MAX_ATTEMPTS times already (each time its worker died)."""
    from distributed import get_client, get_worker
    client = get_client()
    key = ["juesuan-batch", payload["batch"], str(payload["index"])]
    tried = list(client.get_metadata(key, default=[]))
    if len(tried) >= MAX_ATTEMPTS:
        return (f"处理这个单位的 Dask 工作进程在生成中途退出了 {len(tried)} 次（{'、'.join(tried)}），"
                "已不再重试；其他单位不受影响。请查看这些工作进程的日志（内存是否不足？机器是否断开？）")
    client.set_metadata(key, tried + [get_worker().address])
    return None


def render_task(payload: dict, shared: dict) -> dict:
    """One unit, on a Dask worker: lay out its data, render it in this thread's render process,
    return the result with the files' bytes."""
    refused = _attempt(payload)          # first: a worker dying from here on counts
    if refused:
        return failed_result(payload["index"], refused)
    from .fingerprint import code_digest
    if payload.get("protocol") != PROTOCOL or payload.get("code") != code_digest():
        return failed_result(payload["index"], "这个 Dask 工作进程上的 juesuan（程序或内置模板）与提交批量的机器上的不同；"
                                               "请在每台工作机器上安装同一版本后重启 dask worker")
    root = Path(tempfile.mkdtemp(prefix="unit-", dir=_own_folder())).resolve()
    try:
        return _render(payload, shared, root)
    except Exception as exc:  # noqa: BLE001 — this unit only, said as the pool says a crash
        from .messages import crash_text
        return failed_result(payload["index"], crash_text(exc))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _render(payload: dict, shared: dict, root: Path) -> dict:
    """``render_task`` in the unit's temporary folder ``root``."""
    unit_path, previous_at, given_path, shown = _layout(root, payload)
    profiles, more = _profile_roots(shared)
    shown.update(more)
    reference = None
    if shared.get("reference") is not None:
        reference = root / "reference.docx"
        reference.write_bytes(shared["reference"]["data"])
        shown[str(reference)] = shared["reference"]["path"]
    staging = root / "out"
    task = {"index": payload["index"], "path": str(unit_path), "formats": payload["formats"],
            "reference": str(reference) if reference else None, "draft": payload["draft"],
            "marking": payload["marking"], "previous": str(given_path) if given_path else None,
            "previous_at": str(previous_at) if previous_at else None,
            "memory_mb": payload["memory_mb"], "profiles": profiles, "staging": str(staging)}
    renderer = _renderer(payload["memory_mb"])
    result = renderer.run(task, payload["timeout"])
    if result.pop("retire", False) or not renderer.alive():
        renderer.stop()
        _local.renderer = None
    result["messages"] = _shown(result.get("messages", []), shown)
    outputs = []
    for o in result.get("outputs", []):
        staged = Path(o.pop("staged"))
        o.update(suffix=staged.suffix, data=staged.read_bytes())
        outputs.append(o)
    result["outputs"] = outputs
    from distributed import get_worker
    result["worker"] = get_worker().address
    return result


def main(argv: list[str]) -> None:
    """The render process: ``worker_main`` on the connection inherited as file descriptor argv[0]."""
    from .worker import worker_main
    fd, memory_mb = int(argv[0]), int(argv[1])
    worker_main(Connection(fd), memory_mb or None)


if __name__ == "__main__":
    main(sys.argv[1:])
