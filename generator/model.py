"""The typed model of one unit's data, as read by generator.load.

Amounts are Decimal, or None for a blank cell. Every row keeps the Source it came from so
that a message can name the file and line (YAML) or sheet!cell (Excel).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Source:
    file: str
    line: int | None = None       # 1-based line in a YAML file
    path: str = ""                # key path, e.g. 收入决算表[3].财政拨款收入
    cell: str | None = None       # sheet!cell for workbooks

    def __str__(self) -> str:
        return "：".join([self.file, *self.place()])

    def place(self) -> list[str]:
        """Where in the file, as messages print it: the cell or the line, then what is there
        (the key path; beside a cell, the column as the sheet heads it). The CLI and the batch
        report both print locations through this."""
        where = self.cell or (f"第{self.line}行" if self.line else "")
        return [p for p in (where, self.cell_path() if self.cell else self.path) if p]

    def cell_path(self) -> str:
        """What the cell holds, in the workbook's own words beside sheet!cell: no list indexes
        (the cell names the row), no codes, no table key (the sheet is the table), levels joined
        with “／” as in the 项目 column — “本年收入合计”, not “收入决算表[3].本年收入合计”;
        “三公经费／国内接待／金额” on 情况说明, not “情况说明.三公经费.国内接待.金额”."""
        from .load.workbook_spec import KEY_VALUE_SHEETS     # the workbook's sheets are the loader's words
        parts = [p for p in re.sub(r"\[\d+\]", "", self.path).split(".") if p and not p.isdigit()]
        sheet = self.sheet
        prefix = KEY_VALUE_SHEETS.get(sheet)
        if prefix is not None:
            skip = prefix.split(".") if prefix else []
            if parts[:len(skip)] == skip:
                parts = parts[len(skip):]
        else:
            parts = parts[1:]              # the table's (or sheet's) own key
        return "／".join(parts)

    @property
    def sheet(self) -> str:
        """The sheet of a workbook cell (“收入决算表” of “收入决算表!A7”); blank for a YAML line."""
        return (self.cell or "").rpartition("!")[0]

    @property
    def column(self) -> str:
        """The column letters of a workbook cell (“A” of “收入决算表!A7”); blank for a YAML line."""
        return re.sub(r"[^A-Z]", "", (self.cell or "").rpartition("!")[2].split(":")[0])


NOWHERE = Source("<计算>")


def name_key(name: str | None) -> str:
    """A 科目 or 经济分类 name for comparison: full- and half-width forms alike (NFKC: “（护）” and
    “(护)”), no spaces. Two names with the same key are the same name."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or ""))


# Column keys of the subject tables, in published order.
INCOME_COLUMNS = ["财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入"]
EXPENSE_COLUMNS = ["基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"]
GP_COLUMNS = ["基本支出", "项目支出"]
FUND_COLUMNS = ["年初结转和结余", "本年收入", "基本支出", "项目支出", "年末结转和结余"]
SOE_COLUMNS = ["年初结转和结余", "本年收入", "基本支出", "项目支出", "年末结转和结余"]   # 山西只公开支出

# The stated-total column of each subject table (optional in the data, computed otherwise).
TOTAL_COLUMN = {
    "收入决算表": "本年收入合计",
    "支出决算表": "本年支出合计",
    "一般公共预算财政拨款支出决算表": "小计",
    "政府性基金预算财政拨款收入支出决算表": "小计",   # 小计 = 基本支出 + 项目支出
    "国有资本经营预算财政拨款支出决算表": "合计",
}
SUBJECT_TABLES = {
    "收入决算表": INCOME_COLUMNS,
    "支出决算表": EXPENSE_COLUMNS,
    "一般公共预算财政拨款支出决算表": GP_COLUMNS,
    "政府性基金预算财政拨款收入支出决算表": FUND_COLUMNS,
    "国有资本经营预算财政拨款支出决算表": SOE_COLUMNS,
}

FISCAL_KINDS = ["一般公共预算财政拨款", "政府性基金预算财政拨款", "国有资本经营预算财政拨款"]
PURCHASE_KINDS = ["货物", "工程", "服务"]
# 04 by section: each holds the three kinds (本年支出 and 总计 are computed)
FISCAL_SECTIONS = ["本年收入", "本年支出", "年初财政拨款结转和结余", "年末财政拨款结转和结余", "总计"]
# The two stated totals of 经济分类支出明细, written as its 科目编码
ECON_TOTAL_CODES = ("人员经费合计", "公用经费合计")
FISCAL_TOTALS = ["本年收入合计", "本年支出合计", "年初财政拨款结转和结余", "年末财政拨款结转和结余", "收入总计", "支出总计"]
# Keys of 情况说明 whose values are amounts (in the file's 金额单位, converted like every amount).
WORD_MONEY_KEYS = ("金额", "中小企业合同金额", "小微企业合同金额", "自评金额", "其中一般公共预算",
                   "中小企业预留金额", "小微企业预留金额", "预留中小企业合同金额", "预留小微企业合同金额",
                   "其他项目中小企业合同金额", "绩效目标金额", "绩效跟踪金额")
# Keys of 情况说明 whose values are numbers but not amounts (never converted between 元 and 万元).
WORD_NUMBER_KEYS = ("平均得分",)
# Subject tables whose total column adds only 基本支出 and 项目支出 (the others are balances and income).
SPENDING_TOTAL_TABLES = ("政府性基金预算财政拨款收入支出决算表", "国有资本经营预算财政拨款支出决算表")
# 单位性质 that have 机关运行经费 (10 表, 第三部分 十): 行政单位 and 参照公务员法管理的事业单位.
ADMIN_NATURES = ("行政单位", "参公事业单位")


def row_sum_columns(table: str) -> list[str]:
    """The columns a row's own total column adds up: 本年收入合计 = the income columns, 本年支出合计 =
    the spending columns; in the 政府性基金 and 国有资本经营 tables 小计/合计 = 基本支出 + 项目支出 only.
    derive (totals) and check (Txx-ROW) both use this."""
    return ["基本支出", "项目支出"] if table in SPENDING_TOTAL_TABLES else list(SUBJECT_TABLES[table])


@dataclass
class SubjectRow:
    """A row of a 功能分类 table: 类 (3 digits), 款 (5), 项 (7) or 合计 (code '合计')."""

    code: str
    name: str
    values: dict[str, Decimal | None]
    src: Source
    stated_total: Decimal | None = None   # the row's own total column, when the file gives it

    @property
    def level(self) -> int:
        """1 类, 2 款, 3 项, 0 合计."""
        return {3: 1, 5: 2, 7: 3}.get(len(self.code), 0)


def project_of(basic: Decimal | None, amount: Decimal) -> Decimal | None:
    """A 06 row printed as 金额 with 其中：基本支出: its 项目支出 (金额 − 基本支出) as the data writes it,
    None when there is none to write (金额 all 基本支出)."""
    project = amount - (basic or 0)
    return project if project != 0 or basic is None else None


@dataclass
class EconRow:
    """A 经济分类 row of table 06 (款 3 digits, 项 5 digits)."""

    code: str
    name: str | None
    basic: Decimal | None
    project: Decimal | None
    src: Source


@dataclass
class Stated:
    """A figure the file states although it can be computed: checked against the computed one."""

    label: str
    value: Decimal
    src: Source


@dataclass(frozen=True)
class TypedFigure:
    """A figure typed into a workbook cell the program computes (a grey cell of 01, 04): never used
    in place of the computed figure, but compared with it (rule W-COMPUTED)."""

    address: str        # the figure's address in the table layout (docs/layouts.md), e.g. 收支.上级补助收入
    table: str          # "01", "04"
    row: str
    column: str
    value: Decimal
    src: Source


@dataclass(frozen=True)
class PrintedSentence:
    """A sentence of a published report's narrative, as its PDF prints it (rule P-TEXT)."""

    page: int           # the page it starts on
    paragraph: int      # the paragraph it belongs to (sentences of one paragraph share it)
    text: str
    unsure: tuple[int, ...] = ()   # its figures that depend on figures the report does not print


@dataclass(frozen=True)
class Unread:
    """What a workbook holds where nothing is read (right of a table, an unknown sheet, 填写说明 …):
    said by rule W-UNREAD, a 警告 when it holds a number, else a 提示; or what it holds in hidden rows
    and columns, read (rule W-HIDDEN, a 提示)."""

    message: str
    src: Source
    number: bool
    rule: str = "W-UNREAD"      # W-HIDDEN: read, but in rows or columns hidden in Excel (a 提示)


@dataclass
class LastYear:
    """Last year's figures as last year's report printed them, in ``money_unit``."""

    income_total: Decimal | None = None
    expense_total: Decimal | None = None
    fiscal_income_total: Decimal | None = None
    fiscal_expense_total: Decimal | None = None
    gp_expense: Decimal | None = None
    gp_by_class: dict[str, Decimal] = field(default_factory=dict)
    sangong: dict[str, Decimal | None] = field(default_factory=dict)
    admin_cost: Decimal | None = None
    src: Source = NOWHERE
    money_unit: str = ""                  # the unit of these figures ("" = the unit file's 金额单位)


@dataclass
class FundRow:
    """One 资金 row of a 项目支出绩效自评表 (年度资金总额 first, then 其中 …); amounts in 万元 or 元
    as the table prints them, with as many decimals as written."""
    name: str
    start: Decimal | None = None        # 年初预算数 (2022 layout)
    declared: Decimal | None = None     # 年初预算数 · 目标申报数 (2023 layout)
    planned: Decimal | None = None      # 年初预算数 · 预算编制数
    budget: Decimal | None = None       # 全年预算数
    spent: Decimal | None = None        # 全年执行数
    note: str = ""                      # 偏差原因


@dataclass
class Indicator:
    level1: str
    level2: str = ""
    level3: str = ""
    target: str = ""                    # 年度指标值 (2022) / 年初指标值 (2023)
    adjusted: str = ""                  # 调整后指标值 (2023)
    actual: str = ""                    # 实际完成值
    weight: Decimal | None = None       # 分值
    score: Decimal | None = None        # 得分 (the unit's judgement)
    note: str = ""                      # 偏差原因分析及改进措施


@dataclass
class SelfEval:
    """A 项目支出绩效自评表 (an attachment): what the unit states; execution rate, balance, the
    fund score, the total and the grade are computed (derive/performance.py)."""
    title: str                          # the attachment's name, e.g. 招商业务费项目支出绩效自评表
    project: str                        # 项目名称
    year: int
    dept: str = ""
    dept_code: str = ""
    unit: str = ""
    unit_code: str = ""
    funds: list[FundRow] = field(default_factory=list)
    fund_weight: Decimal | None = None  # 资金 分值 (10)
    goal: str = ""
    result: str = ""
    indicators: list[Indicator] = field(default_factory=list)
    analysis: dict[str, str] = field(default_factory=dict)
    typed: dict[str, Any] = field(default_factory=dict)   # 填写: results written on the form, to compare
    path: str = ""                      # key path for messages (附件[0].项目自评)


@dataclass
class OverallIndicator:
    """One 三级 row of a 部门整体支出绩效自评表. Its 计算分析情况 is the unit's text, or — for a
    ratio of templates/catalogs/ratios.yaml — the formula printed from ``inputs``."""
    level1: str
    level2: str
    level3: str
    weight: Decimal | None = None       # 设定分值 (权重)
    reference: Decimal | None = None    # 参考分值 (layouts that print it)
    analysis: str = ""                  # 计算分析情况 (the unit's words)
    ratio: str = ""                     # a ratio's name, or ""
    inputs: dict[str, Decimal] = field(default_factory=dict)   # 数据: the ratio's inputs the unit gives
    score: Decimal | None = None        # 评价得分 (the unit's judgement)
    typed: dict[str, Any] = field(default_factory=dict)        # 填写: 结果 (a %), 计算 (the text as typed)


@dataclass
class OverallEval:
    """A 部门整体支出绩效自评表 (an attachment): the header figures, the unit's narrative, the
    indicator table; 调整后预算, 年末结余 (unless stated), the ratios, the 一级/二级 weights, 综合得分 and
    等级 are computed (derive/performance.py)."""
    title: str
    year: int
    head: str = ""                      # 单位负责人
    phone: str = ""                     # 单位联系电话
    date: str = ""                      # 填报日期
    funds: dict[str, Decimal | None] = field(default_factory=dict)   # 上年结转 … 预算执行 (万元)
    stated_balance: Decimal | None = None                            # 年末结余 as the unit writes it
    narrative: list[tuple[str, str]] = field(default_factory=list)   # 部门整体支出情况: (标题, 内容)
    indicators: list[OverallIndicator] = field(default_factory=list)
    reviewers: list[tuple[str, str, str]] = field(default_factory=list)   # 评价人员: 姓名, 职务, 科室
    typed: dict[str, Any] = field(default_factory=dict)              # 填写: 综合得分, 等级
    layout: str = ""                    # a layout other than the profile's (整体自评表版式)
    path: str = ""                      # 附件[0].整体自评


@dataclass
class EvalReport:
    """A 部门整体支出绩效评价报告 (an attachment, usually by a third party): its title page, the 摘要
    texts, 表1 年度绩效目标表, the money and 政府采购 figures, the score; the rates it quotes (预算调整率,
    预算执行率, 政府采购执行率) and the 等级 are computed (derive/performance.py)."""
    title: str
    year: int
    implementer: str = ""               # 实施单位
    client: str = ""                    # 委托单位
    evaluator: str = ""                 # 评价机构
    date: str = ""                      # 二〇二三年九月
    intro: str = ""                     # 摘要's opening paragraph
    overview: str = ""                  # （一）部门概况
    goals_intro: str = ""               # （二）部门年度绩效目标: the sentence before 表1
    overall_goal: str = ""              # 年度总体目标
    duties: list[tuple[str, str]] = field(default_factory=list)      # 年度履职目标: (工作目标, 目标内容)
    tasks: list[str] = field(default_factory=list)                    # 年度核心任务: 重点工作
    indicators: list[tuple[str, str, str, str]] = field(default_factory=list)   # 一级, 二级, 三级, 指标值
    funds: dict[str, Decimal | None] = field(default_factory=dict)    # 年初预算, 调整后预算, 支出决算, 基本支出, 项目支出
    purchase_budget: list[tuple[str, Decimal]] = field(default_factory=list)   # 政府采购预算 by kind (货物, 服务 …)
    purchase_spent: Decimal | None = None                             # 政府采购 实际执行
    score: Decimal | None = None        # 部门总体得分 (the evaluator's)
    aspects: list[str] = field(default_factory=list)                  # 评价的方面: 履职效能 …
    experience: list[tuple[str, str]] = field(default_factory=list)  # 主要经验和做法: (标题, 内容)
    problems: list[tuple[str, str, str]] = field(default_factory=list)   # 存在的问题: (标题, 比率, 内容)
    suggestions: list[tuple[str, str]] = field(default_factory=list)
    typed: dict[str, Any] = field(default_factory=dict)               # 填写: 等级, 预算调整率 …
    layout: str = ""
    path: str = ""


@dataclass
class Unit:
    file: str
    name: str
    year: int
    report_kind: str                       # 部门决算 | 单位决算
    nature: str                            # 行政单位 | 参公事业单位 | 事业单位
    money_unit: str                        # 金额单位: the unit of the figures in the file (元 | 万元)
    profile: str
    duty: str
    organisation: str
    subject_tables: dict[str, list[SubjectRow]]          # keyed by the table names above
    econ_rows: list[EconRow]
    summary: dict[str, Decimal | None]                   # 01 extras (结转结余 …)
    fiscal: dict[str, dict[str, Decimal | None]]         # 04 extras: section -> kind -> value
    sangong: dict[str, dict[str, Decimal | None]]        # 预算数/决算数 -> item -> value
    purchase: dict[str, Decimal | None]
    admin_cost: Decimal | None
    vehicles: dict[str, int | None]
    big_equipment: int | None
    last_year: LastYear | None
    budget: dict[str, Decimal]                           # 年初预算 by subject code
    words: dict[str, Any]                                # 情况说明 (text and counts, Decimal amounts)
    attachments: list[str]
    stated: list[Stated] = field(default_factory=list)   # totals the file states (01, 04 …)
    report_unit: str = ""                                # 公开金额单位: the unit printed ("" = money_unit)
    previous_file: str | None = None                     # 上年数据文件, relative to this file
    full_budget: dict[str, Decimal] = field(default_factory=dict)   # 全年预算 (adjusted) by subject code
    members: list[tuple[str, str]] = field(default_factory=list)    # 单位构成: (单位名称, 备注)
    self_evals: dict[int, SelfEval] = field(default_factory=dict)   # 附件 index -> 项目支出绩效自评表
    overall_evals: dict[int, OverallEval] = field(default_factory=dict)   # 附件 index -> 部门整体支出绩效自评表
    eval_reports: dict[int, EvalReport] = field(default_factory=dict)    # 附件 index -> 绩效评价报告
    sources: dict[str, Source] = field(default_factory=dict)  # key path -> Source
    typed: list[TypedFigure] = field(default_factory=list)   # workbook: figures typed into computed cells
    printed: list[TypedFigure] = field(default_factory=list)  # a published report (PDF): what it prints in computed cells
    published: bool = False          # read from a published report's PDF: its figures are printed, not typed
    printed_text: list[PrintedSentence] = field(default_factory=list)  # a published report: its narrative
    unread: list[Unread] = field(default_factory=list)       # workbook: content that is not read
    only_attachments: bool = False      # a file of 附件 alone (no tables, no 情况说明): rendered as its attachments

    @property
    def printed_unit(self) -> str:
        """The money unit of the published report (公开金额单位, default 金额单位)."""
        return self.report_unit or self.money_unit

    @property
    def rounded_input(self) -> bool:
        """The file's figures are already rounded to 0.01 of a unit coarser than the 决算软件's 元:
        a total it states may differ from the sum of its rounded items by a 尾差."""
        return self.money_unit != "元"

    @property
    def reports_admin_cost(self) -> bool:
        """The unit has 机关运行经费 to state and explain (its 单位性质 is in ADMIN_NATURES)."""
        return self.nature in ADMIN_NATURES

    @property
    def kind_word(self) -> str:
        """部门 or 单位, as printed in '…年度部门决算公开'."""
        return "单位" if self.report_kind == "单位决算" else "部门"

    def stated_value(self, label: str) -> Stated | None:
        return next((s for s in self.stated if s.label == label), None)

    def src(self, path: str) -> Source:
        return self.sources.get(path) or Source(self.file, None, path)
