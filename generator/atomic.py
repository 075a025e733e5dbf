"""Write a file completely or not at all: temp file in the same folder, then os.replace.

Inside ``all_or_nothing()`` the renames wait until the block ends: a render that writes a DOCX
and a PDF replaces both or neither (Ctrl-C, SIGTERM or an error between the two leaves the old pair).
Temporary names carry the writing process's id (".<name>.<pid>.<random>.docx.part"), so a later
run can remove what a killed one (kill -9, power loss) left behind: ``clean_stale_parts``.
"""
from __future__ import annotations

import os
import re
import signal
import tempfile
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator

_GROUP: ContextVar[list[tuple[Path, Path]] | None] = ContextVar("atomic_group", default=None)
_PART = re.compile(r"^\..*\.(\d+)\.[^.]+\.[^.]+\.part$")     # .<stem>.<pid>.<random>.<ext>.part


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; on success rename it to ``final`` (at the end of
    the enclosing ``all_or_nothing()`` block, if any).

    On any exception the temporary file is removed and ``final`` is left untouched.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp_path: Path | None = None
    try:                                 # Ctrl-C or SIGTERM (cli.Terminated) from here on removes the file
        with _signals_held():            # none between making the file and knowing its name
            fd, tmp = tempfile.mkstemp(prefix=f".{final.stem[:40]}.{os.getpid()}.", suffix=final.suffix + ".part",
                                       dir=final.parent)
            tmp_path = Path(tmp)
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)   # mkstemp makes 0600; outputs are ordinary files
        yield tmp_path
        group = _GROUP.get()
        if group is None:
            os.replace(tmp_path, final)
        else:
            group.append((tmp_path, final))
    except BaseException:
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)
        raise


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back (on the main thread) until the block is done."""
    main = threading.current_thread() is threading.main_thread()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) if main else None
    try:
        yield
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """Every file written (through atomic_path) inside the block lands at its end, together; if
    the block fails or is interrupted, none does and the temporary files are removed."""
    pending: list[tuple[Path, Path]] = []
    token = _GROUP.set(pending)
    try:
        yield
    except BaseException:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        _GROUP.reset(token)
    with _signals_held():       # no Ctrl-C between two renames
        for tmp, final in pending:
            os.replace(tmp, final)


def is_part_file(name: str) -> bool:
    """Whether ``name`` is a temporary name of ``atomic_path`` (of any writer, alive or not)."""
    return name.startswith(".") and name.endswith(".part")


def clean_stale_parts(folder: Path) -> int:
    """Remove the temporary files a killed writer left in ``folder`` (its process is gone);
    those of running writers stay. Returns how many were removed."""
    removed = 0
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return 0
    for p in entries:
        m = _PART.match(p.name)
        if not m or _alive(int(m.group(1))):
            continue
        try:
            p.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_bytes(final: Path, data: bytes) -> None:
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)


def output_dir_problem(out: Path) -> str | None:
    """Why files cannot be written into the folder ``out`` (Chinese), or None. Checked before any
    unit is read, so a wrong --out is blamed, not a data file."""
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            return "是一个文件，不是文件夹；请换一个输出目录"
        if not os.access(out, os.W_OK | os.X_OK):
            return "没有写入这个文件夹的权限"
        return None
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"“{parent}”是一个文件，不能在其中建立输出目录"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"没有在“{parent}”中建立文件夹的权限"
    return None

