"""The whole flow for one unit, in order: load → derive → check → compose → write.

This module holds no logic of its own: each step lives in its stage package. Timings of each
step are kept for the benchmark. The check rules run on the derived tables (the totals the file
states are compared with the ones computed from its lowest-level figures); render refuses to
write when a rule reports an error, unless forced.
"""
from __future__ import annotations

import argparse
import time
from datetime import datetime
from dataclasses import dataclass, field
from pathlib import Path

from .check import ERROR, Finding, context_for, run_checks
from .compose.document import Document, Marking
from .compose.report import compose, compose_attachments, has_forms
from .derive.printed import publish
from .derive.totals import Derived, derive
from .errors import InputError, Problem
from .load.unit_loader import load_unit
from .model import LastYear, SANGONG_ITEMS, Source, Unit
from .profile import load_profile
from .write.names import output_stem


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


def last_year_from(d: Derived) -> LastYear:
    """Last year's comparison figures as last year's report printed them (``d`` is last year's
    printed Derived), in last year's report unit."""
    return LastYear(
        income_total=d.summary["收入总计"], expense_total=d.summary["支出总计"],
        fiscal_income_total=d.fiscal["合计"]["收入总计"], fiscal_expense_total=d.fiscal["合计"]["支出总计"],
        gp_expense=d.t05.sum_row.total,
        gp_by_class={r.code: r.total for r in d.t05.classes if r.total is not None},
        sangong={k: d.sangong["决算数"].get(k) for k in [*SANGONG_ITEMS, "合计"]},
        admin_cost=d.admin_cost, src=Source(d.unit.file), money_unit=d.money_unit,
    )


def _load_previous(unit: Unit, written: str, path: Path) -> Unit:
    """Last year's unit file named by 上年数据文件; a problem with it names that key and line of
    this file first, then what is wrong in the other file."""
    where = unit.src("上年数据文件")
    if not path.exists():
        raise InputError([Problem(where, f"找不到上年数据文件“{written}”（相对本文件所在的文件夹：{path}）")])
    if not path.is_file():
        raise InputError([Problem(where, f"上年数据文件“{written}”是一个文件夹，应为上年的单位数据文件（.yaml 或 .xlsx）")])
    try:
        return load_unit(path)
    except InputError as exc:
        raise InputError([Problem(where, f"上年数据文件“{written}”不是可用的单位数据文件，"
                                         f"其中有 {len(exc.problems)} 处问题（见下）"), *exc.problems]) from None


NO_PREVIOUS_FILE = ("这里只能上传一个文件，不能引用其他文件：请删去“上年数据文件”，把上年数填在“上年数”工作表"
                    "（YAML 中的“上年”）")


def load_and_check(path: Path, allow_previous: bool = True,
                   unit: Unit | None = None) -> tuple[Derived, list[Finding], dict[str, float]]:
    """Load (with last year's file, if named), derive, run every check rule. Returns the printed
    figures (derive.printed.publish) that compose uses, the findings and the step timings.
    ``allow_previous=False`` (the web workspace, where a file must not read another): a file naming
    上年数据文件 is refused before that file is opened. ``unit``: the file's unit, when the caller
    has loaded it already (``juesuan import``)."""
    t0 = time.perf_counter()
    unit = unit if unit is not None else load_unit(path)
    profile = load_profile(unit.profile)
    previous = unit.previous_file
    if previous and not allow_previous:
        raise InputError([Problem(unit.src("上年数据文件"), NO_PREVIOUS_FILE)])
    if previous:
        if unit.last_year is not None:
            where = unit.src("上年数据文件")
            raise InputError([Problem(where, "“上年数”工作表与“上年数据文件”只能填写其中一个（填了上年数据文件，"
                                             "“上年数”表就不填）" if where.cell else "“上年”与“上年数据文件”只能填写其中一个")])
        prev_path = (Path(path).parent / previous).resolve()
        if prev_path == Path(path).resolve():
            raise InputError([Problem(unit.src("上年数据文件"), "上年数据文件不能是本文件")])
        prev_unit = _load_previous(unit, previous, prev_path)
        if prev_unit.year != unit.year - 1:
            raise InputError([Problem(unit.src("上年数据文件"), f"上年数据文件的年度是{prev_unit.year}，应为{unit.year - 1}")])
        unit.last_year = last_year_from(publish(derive(prev_unit, load_profile(prev_unit.profile))))
    t1 = time.perf_counter()
    derived = derive(unit, profile)
    printed = publish(derived)
    t2 = time.perf_counter()
    findings = run_checks(context_for(derived, printed))
    t3 = time.perf_counter()
    return printed, findings, {"load": t1 - t0, "derive": t2 - t1, "check": t3 - t2}


DEFAULT_WATERMARK = "仅供内部审核"


def draft_line(now: datetime | None = None) -> str:
    return f"草稿（生成于 {(now or datetime.now()).strftime('%Y-%m-%d %H:%M')}）"


def add_review_arguments(p: argparse.ArgumentParser) -> None:
    """--draft, --mark, --mark-style: the 草稿 cover line and the review marking of every page."""
    p.add_argument("--draft", nargs="?", const=DEFAULT_WATERMARK, default=None, metavar="TEXT",
                   help=f"草稿：封面注明草稿与生成时间，并在每页加标记（默认“{DEFAULT_WATERMARK}”，"
                        "可用 --mark-style none 去掉标记）；文件名以“-草稿”结尾")
    p.add_argument("--mark", nargs="?", const=DEFAULT_WATERMARK, default=None, metavar="TEXT",
                   help=f"内部审核标记：每页加标记（默认“{DEFAULT_WATERMARK}”），与 --draft 无关，封面不写草稿")
    p.add_argument("--mark-style", choices=Marking.STYLES, default="watermark",
                   help="标记的方式：watermark 斜向水印（默认）、header 页眉、both 两者、none 不加")


def review_options(args) -> tuple[bool, Marking | None]:
    """(whether the cover says 草稿, the marking of every page) from the arguments above."""
    draft, mark = getattr(args, "draft", None), getattr(args, "mark", None)
    return bool(draft), Marking.of(mark or draft, getattr(args, "mark_style", "watermark"))


FAILED_MARK = "未通过勾稽检查"


def failed_marking(marking: Marking | None) -> Marking:
    """The marking of a report forced past failed checks: FAILED_MARK diagonally and in the header
    of every page; the header line goes on with the review marking's own text if there is one."""
    line = FAILED_MARK if marking is None or marking.text == FAILED_MARK else f"{FAILED_MARK}　{marking.text}"
    return Marking(FAILED_MARK, watermark=True, header=True, header_text=line)


def failed_line(errors: int) -> str:
    """The cover's line of a report forced past failed checks."""
    return f"未通过勾稽检查（{errors} 个错误）：数字不一致，不能公开"


def prepare(path: Path, draft: bool = False, marking: Marking | None = None,
            attachments_only: bool = False, allow_previous: bool = True, mark_failed: bool = False) -> Result:
    """Load, derive, check and compose one unit (no files written). ``draft``: the cover says
    草稿 with the time it was made; ``marking``: on every page (independent of ``draft``);
    ``attachments_only``: the 附件 forms on their own (refused when the unit has none) — always so
    for a file that holds nothing but 附件; ``allow_previous``: as for ``load_and_check``;
    ``mark_failed``: when the checks found errors, every page and the cover say so
    (``failed_marking``, ``failed_line``: a forced render)."""
    derived, findings, seconds = load_and_check(path, allow_previous)
    t = time.perf_counter()
    cover = draft_line() if draft else None
    errors = sum(f.severity == ERROR for f in findings)
    if mark_failed and errors:
        marking = failed_marking(marking)
        cover = "　".join(x for x in (cover, failed_line(errors)) if x)
    if attachments_only or derived.unit.only_attachments:
        if not has_forms(derived):
            raise InputError([Problem(Source(str(path), None, "附件"),
                                      "没有可以单独生成的附件：附件中没有项目自评、整体自评或评价报告")])
        document = compose_attachments(derived, draft_line=cover, marking=marking)
    else:
        document = compose(derived, draft_line=cover, marking=marking)
    seconds["compose"] = time.perf_counter() - t
    return Result(derived.unit, derived, document, findings=findings, seconds=seconds)


def prepare_render(path: Path, force: bool = False, draft: bool = False, marking: Marking | None = None,
                   attachments_only: bool = False) -> Result:
    """``prepare`` for a render: raises ChecksFailed when the checks found errors, unless ``force``
    (then the report is marked as such, on every page and the cover, and so is its file name).
    ``Result.stem`` is the output file name (without extension): names.output_stem."""
    result = prepare(path, draft, marking, attachments_only, mark_failed=force)
    if result.errors and not force:
        raise ChecksFailed(result)
    result.stem = output_stem(result.unit, attachments_only, draft=draft, failed=bool(result.errors))
    return result


def render(path: Path, out_dir: Path, formats: tuple[str, ...] = ("docx", "pdf"),
           reference: Path | None = None, force: bool = False, draft: bool = False,
           marking: Marking | None = None, attachments_only: bool = False) -> Result:
    """Check and write one unit (``draft``, ``marking``, ``attachments_only``: as for ``prepare``;
    ``force``: as for ``prepare_render``)."""
    result = prepare_render(path, force, draft, marking, attachments_only)
    return write_outputs(result, path, out_dir, formats, reference)


def write_outputs(result: Result, path: Path, out_dir: Path, formats: tuple[str, ...] = ("docx", "pdf"),
                  reference: Path | None = None) -> Result:
    """Write a prepared unit (``prepare_render``) into ``out_dir``: every format, or none."""
    out_dir = Path(out_dir)
    from .write.atomic import all_or_nothing, clean_stale_parts
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
