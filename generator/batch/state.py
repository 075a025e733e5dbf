"""The output folder's bookkeeping: ``.juesuan-batch.json`` (each unit's content hash and the
files it was rendered to), the lock that keeps two batches apart, the staging folder, and moving
a unit's finished files into place."""
from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

from ..atomic import is_part_file, write_bytes
from .fingerprint import file_sha256
from .records import BatchError, Job

STATE_NAME = ".juesuan-batch.json"          # content hashes and recorded outputs, beside the outputs
LOCK_NAME = ".juesuan-batch.lock"
STAGING_NAME = ".juesuan-batch-staging"     # workers render here; finished files are moved out
STATE_FORMAT = "juesuan-batch/1"


class State:
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
                if not f.is_file() or f.stat().st_size != o["size"] or file_sha256(f) != o["sha256"]:
                    return None
            except OSError:
                return None
        return entry


def lock_folder(out_dir: Path) -> int:
    import fcntl
    fd = os.open(out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise BatchError(f"另一个 juesuan batch 正在写入 {out_dir}；等它结束后再运行") from None
    return fd


def clean_leftovers(out_dir: Path) -> None:
    """Remove what a killed run may have left: staging folders and temporary '.part' files."""
    shutil.rmtree(out_dir / STAGING_NAME, ignore_errors=True)
    for p in out_dir.iterdir():
        if is_part_file(p.name) and p.is_file():     # the batch holds the folder's lock: all are stale
            p.unlink(missing_ok=True)


def publish(job: Job, result: dict, out_dir: Path, state: State) -> list[str]:
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
