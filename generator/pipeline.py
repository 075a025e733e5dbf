"""The whole flow for one unit, in order: load → derive → check → compose → write.

This module holds no logic of its own: each step lives in its stage package. Timings of each
step are kept for the benchmark. The check rules run on the derived tables (the totals the file
states are compared with the ones computed from its lowest-level figures); render refuses to
write when a rule reports an error, unless forced.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .check import ERROR, Context, Finding, context_for, ordered, run_checks, run_composed_checks
from .compose.document import Document, Marking
from .compose.report import compose, compose_attachments, has_forms
from .derive.printed import publish
from .derive.totals import Derived, derive
from .errors import InputError, Problem
from .load.unit_loader import load_unit
from .model import Source, Unit
from .previous_year import attach_previous_year
from .review import draft_line, failed_line, failed_marking
from .profile import load_profile
from .names import output_stem


class ChecksFailed(Exception):
    """Rules reported errors; nothing was written."""

    def __init__(self, result: "Result"):
        super().__init__(f"{len(result.errors)} errors")
        self.result = result


@dataclass
class Result:
    unit: Unit
    derived: Derived
    document: Document
    findings: list[Finding] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    pages: int | None = None
    stem: str = ""                # the output file name without extension (prepare_render)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]


def load_and_check(path: Path, allow_previous: bool = True, unit: Unit | None = None,
                   previous: Path | None = None) -> tuple[Derived, list[Finding], dict[str, float]]:
    """Load (with last year's file, if named), derive, run every check rule — those on the
    composed report's text on the report composed for them. Returns the printed figures
    (derive.printed.publish) that compose uses, the findings and the step timings.
    ``allow_previous=False`` (the web workspace, where a file must not read another): a file naming
    上年数据文件 is refused before that file is opened. ``unit``: the file's unit, when the caller
    has loaded it already (``juesuan import``). ``previous``: last year's report (data file or
    published PDF) the caller supplies (the web workspace's upload), taken when the file gives no
    上年 of its own (previous_year.attach_previous_year)."""
    printed, ctx, findings, seconds = _checked(path, allow_previous, unit, previous)
    t = time.perf_counter()
    texts = compose(printed, tables=False).section_texts()     # the printed report's text, without its tables
    findings = ordered(findings + run_composed_checks(ctx, texts))
    seconds["check"] += time.perf_counter() - t
    return printed, findings, seconds


def _checked(path: Path, allow_previous: bool = True, unit: Unit | None = None,
             previous: Path | None = None, previous_at: Path | None = None
             ) -> tuple[Derived, Context, list[Finding], dict[str, float]]:
    """Load, derive and run the rules that need no composed text (``load_and_check``)."""
    t0 = time.perf_counter()
    unit = unit if unit is not None else load_unit(path)
    profile = load_profile(unit.profile)
    attach_previous_year(unit, Path(path), allow_previous, previous, previous_at)
    t1 = time.perf_counter()
    derived = derive(unit, profile)
    printed = publish(derived)
    t2 = time.perf_counter()
    ctx = context_for(derived, printed)
    findings = run_checks(ctx)
    t3 = time.perf_counter()
    return printed, ctx, findings, {"load": t1 - t0, "derive": t2 - t1, "check": t3 - t2}


def prepare(path: Path, draft: bool = False, marking: Marking | None = None,
            attachments_only: bool = False, allow_previous: bool = True, mark_failed: bool = False,
            previous: Path | None = None, previous_at: Path | None = None) -> Result:
    """Load, derive, check and compose one unit (no files written). ``draft``: the cover says
    草稿 with the time it was made; ``marking``: on every page (independent of ``draft``);
    ``attachments_only``: the 附件 forms on their own (refused when the unit has none) — always so
    for a file that holds nothing but 附件; ``allow_previous``, ``previous``: as for ``load_and_check``;
    ``previous_at``: where the file the unit names as 上年数据文件 is, when the caller has put it
    somewhere else than beside it (a cluster worker: batch/remote.py);
    ``mark_failed``: when the checks found errors, every page and the cover say so
    (``failed_marking``, ``failed_line``: a forced render)."""
    derived, ctx, findings, seconds = _checked(path, allow_previous, previous=previous, previous_at=previous_at)
    only_attachments = attachments_only or derived.unit.only_attachments
    if only_attachments and not has_forms(derived):
        raise InputError([Problem(Source(str(path), None, "附件"),
                                  "没有可以单独生成的附件：附件中没有项目自评、整体自评或评价报告")])
    t = time.perf_counter()
    report = compose(derived)               # the report, composed once: printed and read by the rules
    t1 = time.perf_counter()
    findings = ordered(findings + run_composed_checks(ctx, report.section_texts()))
    t2 = time.perf_counter()
    cover = draft_line() if draft else None
    errors = sum(f.severity == ERROR for f in findings)
    if mark_failed and errors:
        marking = failed_marking(marking)
        cover = "　".join(x for x in (cover, failed_line(errors)) if x)
    if only_attachments:
        document = compose_attachments(derived, draft_line=cover, marking=marking)
    else:
        document = report.marked(cover, marking)
    seconds["check"] += t2 - t1
    seconds["compose"] = (t1 - t) + (time.perf_counter() - t2)
    return Result(derived.unit, derived, document, findings=findings, seconds=seconds)


def prepare_render(path: Path, force: bool = False, draft: bool = False, marking: Marking | None = None,
                   attachments_only: bool = False, previous: Path | None = None,
                   previous_at: Path | None = None) -> Result:
    """``prepare`` for a render: raises ChecksFailed when the checks found errors, unless ``force``
    (then the report is marked as such, on every page and the cover, and so is its file name).
    ``Result.stem`` is the output file name (without extension): names.output_stem."""
    result = prepare(path, draft, marking, attachments_only, mark_failed=force, previous=previous,
                     previous_at=previous_at)
    if result.errors and not force:
        raise ChecksFailed(result)
    result.stem = output_stem(result.unit, attachments_only, draft=draft, failed=bool(result.errors))
    return result


def render(path: Path, out_dir: Path, formats: tuple[str, ...] = ("docx", "pdf"),
           reference: Path | None = None, force: bool = False, draft: bool = False,
           marking: Marking | None = None, attachments_only: bool = False, previous: Path | None = None,
           previous_at: Path | None = None) -> Result:
    """Check and write one unit (``draft``, ``marking``, ``attachments_only``, ``previous``, ``previous_at``: as for
    ``prepare``; ``force``: as for ``prepare_render``)."""
    result = prepare_render(path, force, draft, marking, attachments_only, previous, previous_at)
    return write_outputs(result, path, out_dir, formats, reference)


def write_outputs(result: Result, path: Path, out_dir: Path, formats: tuple[str, ...] = ("docx", "pdf"),
                  reference: Path | None = None) -> Result:
    """Write a prepared unit (``prepare_render``) into ``out_dir``: every format, or none."""
    out_dir = Path(out_dir)
    from .atomic import all_or_nothing, clean_stale_parts
    if out_dir.is_dir():
        clean_stale_parts(out_dir)        # what a killed run left (its process is gone)
    with all_or_nothing():               # the unit's formats land together, or none of them
        _write(result, path, out_dir, result.stem, tuple(dict.fromkeys(formats)), reference)
    return result


def _write(result: Result, path: Path, out_dir: Path, stem: str, formats: tuple[str, ...],
           reference: Path | None) -> None:
    from .write.formats import WRITERS, Job, Pages
    pages = Pages(result.document, result.seconds)        # laid out once, if a writer needs it
    for fmt in formats:
        target = out_dir / f"{stem}.{fmt}"
        if not target.resolve().is_relative_to(out_dir.resolve()):
            raise InputError([Problem(Source(str(path)), f"输出文件名“{target.name}”不安全")])
        laid_out_before = "layout" in result.seconds
        t = time.perf_counter()
        count = WRITERS[fmt].write(Job(result.document, target, pages, reference))
        spent = time.perf_counter() - t
        if not laid_out_before and "layout" in result.seconds:     # the layout is its own step
            spent -= result.seconds["layout"]
        result.seconds[fmt] = spent
        if count is not None:
            result.pages = count
        result.outputs.append(target)
