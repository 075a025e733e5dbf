"""Discovery and the plan: the unit files of a folder or manifest, each read once for its name,
year and last year's file, given its output stem (disambiguated) and its content hash."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable

from ..compose.document import Marking
from ..errors import InputError, Problem
from ..load.unit_loader import READERS, load_unit
from ..model import Source
from ..names import output_stem, safe_filename
from .fingerprint import environment_digest, options_digest, unit_digest
from .messages import crash_text, problem_text
from .records import CRASHED, UNREADABLE, BatchError, Job

ISSUE_SUFFIXES = frozenset({".yaml", ".yml", ".xlsx"})   # the unit files a folder holds (issue #5)


def unit_suffixes() -> frozenset[str]:
    """Suffixes taken as unit files: every registered reader's, and the issue's .yaml/.xlsx
    (a file without a reader is then reported as unreadable rather than silently left out)."""
    return frozenset(s.lower() for s in READERS) | ISSUE_SUFFIXES


def _walk(folder: Path, base: Path) -> list[tuple[Path, str]]:
    """Unit files below ``folder`` (hidden folders and files and Office lock files skipped)."""
    suffixes = unit_suffixes()
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith((".", "~$")) or Path(name).suffix.lower() not in suffixes:
                continue
            path = Path(dirpath) / name
            found.append((path.resolve(), _shown(path, base)))
    return sorted(found, key=lambda e: e[1])


def _shown(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix() if path.is_absolute() == base.is_absolute() else str(path)
    except ValueError:
        return str(path)


def discover(source: Path) -> list[tuple[Path, str]]:
    """(resolved path, shown name) of every unit of ``source``: a folder (searched recursively),
    a single unit file, or a manifest (one path per line, relative to the manifest; lines whose
    first character is '#' are comments; a listed folder is searched). Entries naming missing
    files are kept (they are reported as unreadable); duplicates are dropped."""
    source = Path(source)
    if source.is_dir():
        entries = _walk(source, source)
    elif source.is_file() and source.suffix.lower() in unit_suffixes():
        entries = [(source.resolve(), source.name)]
    elif source.is_file():
        entries = []
        try:
            text = source.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise BatchError(f"无法读取清单文件 {source}：{exc}") from exc
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            path = Path(line).expanduser()
            path = path if path.is_absolute() else source.parent / path
            if path.is_dir():
                entries.extend(_walk(path, source.parent))
            else:
                entries.append((path.resolve(), line))
    else:
        raise BatchError(f"找不到 {source}（应为单位数据文件夹或清单文件）")
    seen, unique = set(), []
    for path, shown in entries:
        if path not in seen:
            seen.add(path)
            unique.append((path, shown))
    return unique


def assign_stems(jobs: list[Job]) -> None:
    """Output stems: the unit's own (name + year); when several units would get the same file
    name, the first (by data file path) keeps it and each other one gets “（its file name）”,
    or “（its path）”, or “（2）” … appended. Both units are rendered; ``note`` says so."""
    key = str.casefold
    loaded = [j for j in jobs if j.failure is None]
    base = {j.index: safe_filename(j.natural_stem) for j in loaded}
    used = set(map(key, base.values()))
    groups: dict[str, list[Job]] = {}
    for job in loaded:
        groups.setdefault(key(base[job.index]), []).append(job)
    for group in groups.values():
        first, others = group[0], group[1:]
        first.stem = base[first.index]
        if not others:
            continue
        for job in others:
            labels = [job.path.stem, re.sub(r"[/\\]", "-", str(Path(job.shown).with_suffix("")))]
            labels += [str(n) for n in range(2, len(jobs) + 3)]
            for label in labels:
                candidate = safe_filename(job.natural_stem, f"（{safe_filename(label, limit_bytes=60)}）")
                if key(candidate) not in used:
                    break
            used.add(key(candidate))
            job.stem = candidate
            job.note = f"与 {first.shown} 的输出文件同名，本单位的文件改名为“{candidate}”"
        first.note = "与 " + "、".join(o.shown for o in others) + " 的输出文件同名；本单位保留原文件名"


def plan(source: Path, formats: tuple[str, ...], reference: Path | None = None,
         draft: bool = False, marking: Marking | None = None,
         previous_of: Callable[[Path], Path | None] | None = None) -> list[Job]:
    """Discover the units, read each one (name, year, last year's file), give each its output
    stem and content hash. A file that cannot be read is planned as already failed.
    ``previous_of``: last year's report the caller supplies for a unit file (the web workspace's
    upload), taken when the file gives no 上年 of its own (pipeline ``previous``)."""
    jobs = [Job(i, path, shown) for i, (path, shown) in enumerate(discover(source))]
    for job in jobs:
        try:
            if not job.path.exists():       # not is_file(): a pipe or a device is the reader's to name
                raise InputError([Problem(Source(job.shown), "文件不存在")])
            unit = load_unit(job.path)
        except InputError as exc:
            job.failure = (UNREADABLE, [problem_text(p, job.path) for p in exc.problems])
            continue
        except Exception as exc:  # a loader bug: this unit only
            job.failure = (CRASHED, [crash_text(exc)])
            continue
        job.name, job.year = unit.name, unit.year
        job.natural_stem = output_stem(unit, draft=draft)     # a draft's files end in -草稿
        previous = getattr(unit, "previous_file", None)
        job.previous = (job.path.parent / previous).resolve() if previous else None
        if previous_of is not None and not previous and unit.last_year is None:
            job.given = job.previous = previous_of(job.path)
    assign_stems(jobs)
    environment, options = environment_digest(), options_digest(formats, reference, draft, marking)
    for job in jobs:
        if job.failure is None:
            job.digest = unit_digest(job, environment, options)
    return jobs
