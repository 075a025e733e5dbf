"""The content hash that lets an unchanged unit be skipped: the unit's file, last year's file,
the templates, the generator's source, the options and the output name."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from .. import search_path
from ..compose.document import Marking
from .records import Job
from .report import REPORT_TEMPLATES

BATCH = Path(__file__).resolve().parent       # this batch runner: it changes no unit's files
PACKAGE = BATCH.parent
ROOT = PACKAGE.parent
TEMPLATES = ROOT / "templates"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def environment_digest() -> str:
    """Everything besides the unit's own files that shapes its outputs: the package version,
    the generator's source files, every file under templates/ (not this batch runner and
    its report template, which change no unit's files) and every file of the user's profile
    folders (--profiles; search_path)."""
    return _environment_digest(search_path.key())


def _clear() -> None:
    code_digest.cache_clear()
    _environment_digest.cache_clear()


environment_digest.cache_clear = _clear     # type: ignore[attr-defined]


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The package version, the generator's source files and every file under templates/ (not
    this batch runner and its report template): the same on every machine running the same
    installation (a cluster's worker compares it with the submitting side's)."""
    h = hashlib.sha256()
    try:
        from importlib.metadata import version
        h.update(f"juesuan {version('juesuan')}\n".encode())
    except ImportError:  # not installed (PackageNotFoundError): the sources below still say everything
        h.update(b"juesuan ?\n")
    files = [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
             and p.suffix != ".pyc" and not p.is_relative_to(BATCH)]
    files += [p for p in TEMPLATES.rglob("*") if p.is_file() and not p.is_relative_to(REPORT_TEMPLATES)]
    for p in sorted(files):
        h.update(f"{p.relative_to(ROOT).as_posix()} {file_sha256(p)}\n".encode())
    return h.hexdigest()


@lru_cache(maxsize=2)
def _environment_digest(key: tuple) -> str:
    h = hashlib.sha256()
    h.update(code_digest().encode())
    for root in search_path.user_roots():
        for p in sorted(q for q in root.rglob("*") if q.is_file()):
            h.update(f"{root} {p.relative_to(root).as_posix()} {file_sha256(p)}\n".encode())
    return h.hexdigest()


def options_digest(formats: tuple[str, ...], reference: Path | None, draft: bool = False,
                   marking: Marking | None = None) -> str:
    opts: dict = {"formats": sorted(set(formats)), "reference": file_sha256(reference) if reference else None}
    if draft:                 # a draft and a final of the same unit are different outputs
        opts["draft"] = True
    if marking:
        opts["marking"] = [marking.text, marking.watermark, marking.header]
    return hashlib.sha256(json.dumps(opts, sort_keys=True).encode()).hexdigest()


def unit_digest(job: Job, environment: str, options: str) -> str:
    """The content hash that decides whether a unit must be rendered again."""
    previous = None
    if job.previous is not None:
        previous = file_sha256(job.previous) if job.previous.is_file() else f"missing {job.previous}"
    data = {"v": 1, "environment": environment, "options": options, "stem": job.stem,
            "input": file_sha256(job.path), "previous": previous}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
