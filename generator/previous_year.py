"""Last year's figures from last year's own data file (上年数据文件; or last year's published report,
a PDF whose tables are read as `juesuan import` reads them): the rules that file must meet
(not this file, not a folder, a usable unit file of the year before, not beside a 上年 table of
this file, not in the web workspace, where a file must not read another) and the comparison figures
taken from it as last year's report printed them."""
from __future__ import annotations

from pathlib import Path

from .derive.printed import publish
from .derive.totals import Derived, derive
from .errors import InputError, Problem
from .load.unit_loader import load_unit
from .model import LastYear, Source, Unit
from .profile import load_profile


def last_year_from(d: Derived) -> LastYear:
    """Last year's comparison figures as last year's report printed them (``d`` is last year's
    printed Derived), in last year's report unit."""
    return LastYear(
        income_total=d.summary["收入总计"], expense_total=d.summary["支出总计"],
        fiscal_income_total=d.fiscal["合计"]["收入总计"], fiscal_expense_total=d.fiscal["合计"]["支出总计"],
        gp_expense=d.gp_expense_table.sum_row.total,
        gp_by_class={r.code: r.total for r in d.gp_expense_table.classes if r.total is not None},
        sangong={k: d.sangong["决算数"].get(k) for k in d.profile.sangong.keys},
        admin_cost=d.admin_cost, src=Source(d.unit.file), money_unit=d.money_unit,
    )


def _load_previous(unit: Unit, written: str, path: Path, where: Source | None = None) -> Unit:
    """Last year's unit file named by 上年数据文件; a problem with it names that key and line of
    this file (or ``where``) first, then what is wrong in the other file."""
    label = "上年的报告" if where else "上年数据文件"
    where = where or unit.src("上年数据文件")
    if not path.exists():
        raise InputError([Problem(where, f"找不到{label}“{written}”（相对本文件所在的文件夹：{path}）")])
    if not path.is_file():
        raise InputError([Problem(where, f"{label}“{written}”是一个文件夹，应为上年的单位数据文件（.yaml 或 .xlsx）"
                                         "或上年已公开的报告（.pdf）")])
    try:
        if path.suffix.lower() == ".pdf":      # last year's published report: its tables (load/pdf_import.py)
            from .load.builder import Builder
            from .load.pdf_import import read_pdf_located
            return Builder(read_pdf_located(path)).build()
        return load_unit(path)
    except InputError as exc:
        what = "可以读出决算表的已公开报告" if path.suffix.lower() == ".pdf" else "可用的单位数据文件"
        raise InputError([Problem(where, f"{label}“{written}”不是{what}，"
                                         f"其中有 {len(exc.problems)} 处问题（见下）"), *exc.problems]) from None


NO_PREVIOUS_FILE = ("这里只能上传一个文件，不能引用其他文件：请删去“上年数据文件”，把上年数填在“上年数”工作表"
                    "（YAML 中的“上年”）")


def attach_previous_year(unit: Unit, path: Path, allow_previous: bool = True, given: Path | None = None,
                         previous_at: Path | None = None) -> None:
    """When ``unit`` (read from ``path``) names 上年数据文件, read that file and set
    ``unit.last_year`` from it; ``allow_previous=False``: refuse the name before opening anything.
    ``given``: last year's report the caller supplies (the web workspace: the unit's upload of its
    published PDF), taken when the file states no 上年 of its own. ``previous_at``: where the file
    named by 上年数据文件 is, when the caller put it elsewhere (a cluster worker lays out the unit's
    files in a folder of its own); else it is found relative to ``path``'s folder."""
    previous = unit.previous_file
    if previous and not allow_previous:
        raise InputError([Problem(unit.src("上年数据文件"), NO_PREVIOUS_FILE)])
    if given is not None and not previous and unit.last_year is None:
        where = Source(str(given))
        prev_unit = _load_previous(unit, given.name, given, where)
        if prev_unit.year != unit.year - 1:
            raise InputError([Problem(where, f"上年的报告是{prev_unit.year}年度的，本单位数据是{unit.year}年度："
                                             f"应为{unit.year - 1}年度的报告")])
        unit.last_year = last_year_from(publish(derive(prev_unit, load_profile(prev_unit.profile))))
        return
    if previous:
        if unit.last_year is not None:
            where = unit.src("上年数据文件")
            raise InputError([Problem(where, "“上年数”工作表与“上年数据文件”只能填写其中一个（填了上年数据文件，"
                                             "“上年数”表就不填）" if where.cell else "“上年”与“上年数据文件”只能填写其中一个")])
        prev_path = previous_at if previous_at is not None else (path.parent / previous).resolve()
        if prev_path == path.resolve():
            raise InputError([Problem(unit.src("上年数据文件"), "上年数据文件不能是本文件")])
        prev_unit = _load_previous(unit, previous, prev_path)
        if prev_unit.year != unit.year - 1:
            raise InputError([Problem(unit.src("上年数据文件"), f"上年数据文件的年度是{prev_unit.year}，应为{unit.year - 1}")])
        unit.last_year = last_year_from(publish(derive(prev_unit, load_profile(prev_unit.profile))))
