"""Read a unit's workbook (.xlsx / .xlsm) into the same plain values as the YAML reader.

The workbook (see docs/excel.md) has one sheet per published table, laid out like the 公开表,
plus key–value sheets for the unit, last year's figures, 年初预算 and the unit's words. This
reader produces a `Located` whose ``cells`` map every key path to "工作表!单元格", so that every
later message (structure, model, 勾稽 checks) names the cell.

Safety first, before openpyxl sees a byte: size limit, zip structure, uncompressed size and
compression ratio, encrypted/old-Excel (OLE compound file) detection, and every XML part parsed
once by expat with DTDs forbidden (no entity expansion, no external references: defusedxml's
rules, without building a tree). That same pass finds formula cells without a cached value and
refuses what would make openpyxl build too much (_scan_xml). openpyxl then reads cached values
only (``data_only=True``, read-only mode; it parses through defusedxml itself).

Tolerant where people are messy: numbers stored as text, thousands separators, full-width
digits, "——" and blank as empty, stray spaces in names and codes, 类/款/项 rows in any order,
blank rows, merged or unmerged headers, title and meta rows above a table. Strict where numbers
are at stake: a number that cannot be read, a comma in the wrong place, a formula without a
cached value, a table whose header is not the expected one, a 金额单位 or 年度 in a table's meta
row that contradicts 单位信息: each is a problem naming the cell, and all are reported together.
"""
from __future__ import annotations

import datetime as _dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator


from defusedxml import DefusedXmlException
from defusedxml.common import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from ..errors import REQUIRED, InputError, Problem, os_reason, special_file
from ..layout import Entry, Line
from ..layout import path as data_path
from ..model import SANGONG_ITEMS, VEHICLE_KINDS, Source
from .yaml_reader import Located

# ---------------------------------------------------------------- limits

MAX_FILE_BYTES = 20 * 1024 * 1024          # a filled workbook is a few hundred KB
MAX_UNCOMPRESSED = 100 * 1024 * 1024       # sum of the parts' declared sizes
MAX_RATIO = 200                            # compressed → uncompressed, for parts over 1 MB
MAX_PARTS = 5000
# merged ranges: a filled workbook has a few dozen per sheet. A range over more than MAX_MERGE_AREA
# cells is a banner, never looked up; the others are counted, per sheet and in the whole workbook
MAX_MERGE_AREA = 10_000
MAX_MERGED_RANGES = 10_000                 # per sheet
MAX_MERGED_CELLS = 200_000                 # per sheet, in ranges of at most MAX_MERGE_AREA cells
MAX_MERGED_CELLS_BOOK = 1_000_000          # in the whole workbook
# what openpyxl builds, bounded whatever the file declares; a unit of 2,000 项 rows in every table
# and 200 项目自评表 has about 86,000 cells and 187,000 XML elements (benchmarks/input_cost.py)
MAX_SHEETS = 300
MAX_XML_ELEMENTS = 500_000                 # all parts together
MAX_CELLS = 200_000
MAX_GRID = 2_000_000                       # rows × columns openpyxl fills (missing cells and rows as blanks)
MAX_CELL_CHARS = 32_767                    # Excel's own limit for one cell
MAX_BOOK_CHARS = 10_000_000                # all texts together
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")   # OLE2 compound file: old .xls, or an encrypted .xlsx

CONVERT_XLS = ("请用 Excel 或 WPS 打开它，选“文件→另存为”，保存类型选“Excel 工作簿（*.xlsx）”，再导入新文件；"
               "或用 LibreOffice：soffice --headless --convert-to xlsx 文件名.xls")

# ---------------------------------------------------------------- sheets and fields (shared with the writer)

SHEET_GUIDE = "填写说明"
SHEET_UNIT = "单位信息"
SHEET_LAST = "上年数"
SHEET_BUDGET = "年初预算"
SHEET_WORDS = "情况说明"
SHEET_CLASS_WORDS = "类说明"
SHEET_GLOSSARY = "名词解释补充"
SHEET_ATTACH = "附件"
TEXT_SHEETS = [SHEET_UNIT, SHEET_LAST, SHEET_BUDGET, SHEET_WORDS, SHEET_CLASS_WORDS, SHEET_GLOSSARY, SHEET_ATTACH]
# Sheets a workbook may leave out (earlier templates did not have them)
SHEET_FULL_BUDGET = "全年预算"
SHEET_MEMBERS = "单位构成"
SHEET_INFO = "相关信息"          # 相关信息统计 of a profile whose tables do not hold it (no 相关信息统计表)
SHEET_SELF_EVAL = "项目自评"      # 项目支出绩效自评表 of the 附件: 附件序号 | 项目 | 内容
SHEET_SELF_FUNDS = "项目自评资金"  # their 资金 rows
SHEET_SELF_INDICATORS = "项目自评指标"   # their indicator rows
SHEET_OVERALL = "整体自评"          # 部门整体支出绩效自评表 of the 附件: 附件序号 | 项目 | 内容
SHEET_OVERALL_TEXT = "整体自评情况"  # their 部门整体支出情况: 标题 | 内容
SHEET_OVERALL_INDICATORS = "整体自评指标"
SHEET_OVERALL_PEOPLE = "整体自评人员"
OPTIONAL_SHEETS = [SHEET_FULL_BUDGET, SHEET_MEMBERS, SHEET_INFO, SHEET_SELF_EVAL, SHEET_SELF_FUNDS, SHEET_SELF_INDICATORS,
                   SHEET_OVERALL, SHEET_OVERALL_TEXT, SHEET_OVERALL_INDICATORS, SHEET_OVERALL_PEOPLE]

SEP = "／"          # key path separator in the 项目 column of the key–value sheets

MONEY, COUNT, TEXT, LONGTEXT, YEAR, CHOICE, BOOL = "金额", "整数", "文字", "长文字", "年度", "选项", "是否"
PAIRS = "名称=数"      # a mapping in one cell: “在职人员=8；编制数=16”


@dataclass(frozen=True)
class Field:
    """One row of a key–value sheet: 项目 (key path) | 说明 | 内容."""

    path: tuple[str, ...]           # key path in the unit data
    kind: str
    help: str
    choices: tuple[str, ...] = ()
    required: bool = False
    aliases: tuple[str, ...] = ()   # labels of earlier templates, still read

    def label(self, prefix: tuple[str, ...] = ()) -> str:
        return SEP.join(self.path[len(prefix):])


UNIT_FIELDS = [
    Field(("单位名称",), TEXT, "部门（单位）全称，印在封面和每张表上", required=True),
    Field(("年度",), YEAR, "决算年度，如 2024", required=True),
    Field(("报告类型",), CHOICE, "部门决算 或 单位决算（封面与文件名中的“部门/单位决算公开”）",
          ("部门决算", "单位决算"), required=True),
    Field(("单位性质",), CHOICE, "决定是否说明机关运行经费", ("行政单位", "参公事业单位", "事业单位"), required=True),
    Field(("金额单位",), CHOICE, "本工作簿所填金额的单位（决算软件导出的是元）", ("元", "万元"), required=True),
    Field(("公开金额单位",), CHOICE, "公开报告印出的金额单位；不填则与金额单位相同。填元数据、公开为万元时，"
          "每个数各自由元换算并四舍五入一次", ("元", "万元")),
    Field(("模板",), CHOICE, "公开版式（表的集合、顺序、表号、注释）", (), required=True),
    Field(("上年数据文件",), TEXT, "可不填；填上年的数据文件名（与本文件同一文件夹）时，上年数由该文件计算，“上年数”表不填"),
    Field(("概况", "职责"), LONGTEXT, "第一部分 一、部门（单位）职责；按 Alt+Enter 换行，空一行分段"),
    Field(("概况", "机构设置"), LONGTEXT, "第一部分 二、机构设置情况"),
]

_SANGONG_ALL = SANGONG_ITEMS + ["合计", "公务用车购置及运行维护费"]

LAST_FIELDS = [
    Field(("上年", "金额单位"), CHOICE, "本表上年数的金额单位；不填则与“单位信息”的金额单位相同"
          "（可照抄上年公开报告中的万元数）", ("元", "万元")),
    Field(("上年", "收入总计"), MONEY, "上年收入总计（公开01表）"),
    Field(("上年", "支出总计"), MONEY, "上年支出总计（公开01表）"),
    Field(("上年", "财政拨款收入总计"), MONEY, "上年财政拨款收入总计（公开04表）"),
    Field(("上年", "财政拨款支出总计"), MONEY, "上年财政拨款支出总计（公开04表）"),
    Field(("上年", "一般公共预算财政拨款支出"), MONEY, "上年一般公共预算财政拨款支出合计（公开05表）"),
    Field(("上年", "机关运行经费"), MONEY, "上年机关运行经费（行政单位、参公事业单位）"),
    *(Field(("上年", "三公经费", k), MONEY, f"上年“三公”经费决算数：{k}"
            + ("（可不填，由各项计算；若填须相等）" if k in ("合计", "公务用车购置及运行维护费") else ""))
      for k in _SANGONG_ALL),
]

INFO = ("相关信息统计",)
INFO_FIELDS = [
    Field(INFO + ("机关运行经费",), MONEY, "机关运行经费（行政单位、参公事业单位）"),
    *(Field(INFO + ("政府采购", k), MONEY, f"政府采购{k}（以合同签订为准）" if k == "合计" else f"政府采购：{k}")
      for k in ("合计", "货物", "工程", "服务")),
    Field(INFO + ("车辆", "车辆数合计"), COUNT, "年末车辆数合计（辆）"),
    *(Field(INFO + ("车辆", k), COUNT, f"{k}（辆）") for k in VEHICLE_KINDS),
    Field(INFO + ("单价100万元以上设备",), COUNT, "单价100万元（含）以上设备（不含车辆），台（套）"),
]

# 项目支出绩效自评表 (附件[i].项目自评): the fields of one form, the columns of its 资金 and 指标 rows
SELF_EVAL = "项目自评"
ATTACHMENT_NO = "附件序号"
SELF_EVAL_FIELDS = [
    Field(("项目名称",), TEXT, "项目名称（不填则用附件名称）"),
    Field(("主管部门",), TEXT, "主管部门"),
    Field(("主管部门代码",), TEXT, "主管部门代码（如 624）"),
    Field(("实施单位",), TEXT, "实施单位（2023 版表上为“预算单位”）"),
    Field(("实施单位代码",), TEXT, "实施单位代码"),
    Field(("资金分值",), MONEY, "资金执行的分值（一般 10 分）"),
    Field(("年度目标",), LONGTEXT, "年度总体目标（预期目标）"),
    Field(("实际完成情况",), LONGTEXT, "年度目标的实际完成情况"),
    *(Field(("分析", k), LONGTEXT, f"项目绩效分析：{k}") for k in
      ("项目实施和预算执行情况", "产出情况及分析", "效益情况及分析", "满意度情况及分析", "主要经验做法", "问题及原因", "改进措施")),
    *(Field(("填写", k), MONEY, f"表上手写的{k}（可不填；填了就与计算值比对）") for k in ("执行率", "资金得分", "总分")),
    Field(("填写", "等级"), TEXT, "表上手写的等级（可不填）"),
]
SELF_FUND_COLUMNS = [("名称", TEXT), ("年初预算数", MONEY), ("目标申报数", MONEY), ("预算编制数", MONEY),
                     ("全年预算数", MONEY), ("全年执行数", MONEY), ("偏差原因", LONGTEXT)]
SELF_INDICATOR_COLUMNS = [("一级指标", TEXT), ("二级指标", TEXT), ("三级指标", TEXT), ("年度指标值", TEXT),
                          ("年初指标值", TEXT), ("调整后指标值", TEXT), ("实际完成值", TEXT), ("分值", MONEY),
                          ("得分", MONEY), ("偏差原因", LONGTEXT)]

# 部门整体支出绩效自评表 (附件[i].整体自评)
OVERALL = "整体自评"
OVERALL_FIELDS = [
    Field(("版式",), TEXT, "表的版式（不填则用模板的整体自评表版式；可用 overall-2021、overall-2022）"),
    Field(("单位负责人",), TEXT, "单位负责人"),
    Field(("联系电话",), TEXT, "单位联系电话"),
    Field(("填报日期",), TEXT, "填报日期（按表上原样，如 2022.2.15）"),
    *(Field(("资金", k), MONEY, f"{k}金额（万元）") for k in ("上年结转", "年初预算", "预算调整", "其他调整", "预算执行")),
    Field(("资金", "年末结余"), MONEY, "年末结余金额（万元；可不填，由程序按上年结转 + 年初预算 + 预算调整 + 其他调整 − 预算执行计算）"),
    Field(("填写", "综合得分"), MONEY, "表上手写的综合得分（可不填；填了就与各指标得分之和比对）"),
    Field(("填写", "等级"), TEXT, "表上手写的评价结果等次（可不填）"),
]
OVERALL_TEXT_COLUMNS = [("标题", TEXT), ("内容", LONGTEXT)]
# (column, kind, key path within the row): 数据 holds a ratio's inputs, 填写 what the form states
OVERALL_INDICATOR_COLUMNS = [("一级指标", TEXT), ("二级指标", TEXT), ("三级指标", TEXT), ("参考分值", MONEY),
                             ("分值", MONEY), ("计算分析", LONGTEXT), ("比率", TEXT), ("数据", PAIRS), ("得分", MONEY),
                             ("填写结果", MONEY, ("填写", "结果")), ("填写计算", LONGTEXT, ("填写", "计算"))]
OVERALL_PEOPLE_COLUMNS = [("姓名", TEXT), ("职务", TEXT), ("科室", TEXT)]


@dataclass(frozen=True)
class FormSheets:
    """The sheets of one kind of 附件 form: a key–value sheet (附件序号 | 项目 | 内容) and long
    sheets of its rows, each row numbered by its 附件序号. The writer and the reader share it."""
    key: str                            # 项目自评 | 整体自评: the key in 附件[i]
    name: str                           # 项目支出绩效自评表
    computed: str                       # what the program computes (the sheet's title says so)
    sheet: str
    fields: tuple[Field, ...]
    lists: tuple[tuple[str, str, tuple], ...]    # (sheet, key in the form, columns), columns: (label, kind[, path])


FORM_SHEETS = (
    FormSheets(SELF_EVAL, "项目支出绩效自评表", "执行率、结余、资金得分、总分、等级由程序计算", SHEET_SELF_EVAL,
               tuple(SELF_EVAL_FIELDS), ((SHEET_SELF_FUNDS, "资金", tuple(SELF_FUND_COLUMNS)),
                                         (SHEET_SELF_INDICATORS, "指标", tuple(SELF_INDICATOR_COLUMNS)))),
    FormSheets(OVERALL, "部门整体支出绩效自评表", "调整后预算、比率与算式、一级二级分值、综合得分、等次由程序计算",
               SHEET_OVERALL, tuple(OVERALL_FIELDS),
               ((SHEET_OVERALL_TEXT, "情况", tuple(OVERALL_TEXT_COLUMNS)),
                (SHEET_OVERALL_INDICATORS, "指标", tuple(OVERALL_INDICATOR_COLUMNS)),
                (SHEET_OVERALL_PEOPLE, "评价人员", tuple(OVERALL_PEOPLE_COLUMNS)))),
)


def column_path(column: tuple) -> tuple[str, ...]:
    """Where a form row's column goes in the row's mapping: its own name, or the path it names."""
    return column[2] if len(column) > 2 else (column[0],)

_REASON_USE = ("变动原因", "用途")
PERFORMANCE_GRADES = ("优", "良", "中", "合格", "差", "不合格")   # every grade a profile may name (绩效等级)
WORD_FIELDS = [
    Field(("情况说明", "收入支出变动原因"), LONGTEXT, "第三部分 一：收入、支出总计与上年相比增减的主要原因"),
    Field(("情况说明", "财政拨款收支变动原因"), LONGTEXT, "第三部分 四：财政拨款收支增减的主要原因（不填则用上一项）"),
    Field(("情况说明", "一般公共预算支出变动原因"), LONGTEXT, "第三部分 五（一）：一般公共预算财政拨款支出增减的主要原因（不填则用上一项）"),
    Field(("情况说明", "预决算差异原因"), LONGTEXT, "第三部分 五（三）：一般公共预算财政拨款支出决算数与预算数不同的主要原因（上海）"),
    Field(("情况说明", "人员经费说明"), LONGTEXT, "第三部分 六：人员经费的补充说明（可不填）"),
    Field(("情况说明", "公用经费说明"), LONGTEXT, "第三部分 六：公用经费的补充说明（可不填）"),
    Field(("情况说明", "三公经费", "变动原因"), LONGTEXT, "第三部分 九：“三公”经费合计增减的主要原因"),
    *(Field(("情况说明", "三公经费", item, what), LONGTEXT, f"第三部分 九：{item}的{what}")
      for item in SANGONG_ITEMS for what in _REASON_USE),
    Field(("情况说明", "三公经费", "出国团组数"), COUNT, "因公出国（境）团组数"),
    Field(("情况说明", "三公经费", "出国人次"), COUNT, "因公出国（境）人次"),
    Field(("情况说明", "三公经费", "购置车辆数"), COUNT, "本年购置公务用车（辆）"),
    Field(("情况说明", "三公经费", "车辆保有量"), COUNT, "年末公务用车保有量（辆）"),
    *(f for kind, what in (("国内接待", "国内公务接待"), ("外事接待", "国内接待中的外事接待"),
                           ("国境外接待", "国（境）外公务接待"))
      for f in (Field(("情况说明", "三公经费", kind, "金额"), MONEY, f"{what}费"),
                Field(("情况说明", "三公经费", kind, "批次"), COUNT, f"{what}批次"),
                Field(("情况说明", "三公经费", kind, "人次"), COUNT, f"{what}人次"),
                Field(("情况说明", "三公经费", kind, "说明"), LONGTEXT, f"{what}的主要内容"))),
    Field(("情况说明", "机关运行经费变动原因"), LONGTEXT, "第三部分 十（一）：机关运行经费增减的原因"),
    Field(("情况说明", "政府采购", "中小企业合同金额"), MONEY, "第三部分 十（二）：授予中小企业合同金额"),
    Field(("情况说明", "政府采购", "小微企业合同金额"), MONEY, "其中授予小微企业合同金额"),
    Field(("情况说明", "政府采购", "中小企业预留金额"), MONEY, "面向中小企业预留政府采购项目预算金额（上海）"),
    Field(("情况说明", "政府采购", "小微企业预留金额"), MONEY, "面向小微企业预留政府采购项目预算金额"),
    Field(("情况说明", "政府采购", "预留中小企业合同金额"), MONEY, "面向中小企业预留的项目中，由中小企业中标或成交的采购金额"),
    Field(("情况说明", "政府采购", "预留小微企业合同金额"), MONEY, "面向小微企业预留的项目中，由小微企业中标或成交的采购金额"),
    Field(("情况说明", "政府采购", "其他项目中小企业合同金额"), MONEY, "其他政府采购项目中，由中小企业中标或成交的采购金额"),
    Field(("情况说明", "国有资产", "其他用车说明"), LONGTEXT, "第三部分 十（三）：其他用车的说明"),
    Field(("情况说明", "预算绩效", "项目层级"), TEXT, "第三部分 十（四）：如“二级”，印作“涉及二级项目N个”（可不填）"),
    Field(("情况说明", "预算绩效", "制度"), LONGTEXT, "预算绩效管理制度与工作机制（上海 十）"),
    Field(("情况说明", "预算绩效", "绩效目标项目数"), COUNT, "编报绩效目标的项目个数"),
    Field(("情况说明", "预算绩效", "绩效目标金额"), MONEY, "编报绩效目标的项目涉及的预算金额"),
    Field(("情况说明", "预算绩效", "绩效跟踪项目数"), COUNT, "绩效跟踪评价的项目个数"),
    Field(("情况说明", "预算绩效", "绩效跟踪金额"), MONEY, "绩效跟踪评价的项目涉及的预算金额"),
    Field(("情况说明", "预算绩效", "自评项目数"), COUNT, "开展绩效自评的项目个数"),
    Field(("情况说明", "预算绩效", "自评金额"), MONEY, "自评项目涉及的资金"),
    Field(("情况说明", "预算绩效", "其中一般公共预算"), MONEY, "其中一般公共预算项目支出"),
    *(Field(("情况说明", "预算绩效", "自评等级", g), COUNT, f"自评等级为“{g}”的项目个数（0 个的不写出）")
      for g in PERFORMANCE_GRADES),
    Field(("情况说明", "预算绩效", "平均得分"), MONEY, "绩效自评的平均得分（0–100）"),
    Field(("情况说明", "预算绩效", "发现问题数"), COUNT, "绩效自评中发现的问题个数"),
    Field(("情况说明", "预算绩效", "已整改问题数"), COUNT, "其中已经完成整改的个数"),
    Field(("情况说明", "预算绩效", "正在整改问题数"), COUNT, "其中正在整改的个数"),
    Field(("情况说明", "预算绩效", "说明"), LONGTEXT, "预算绩效管理工作开展情况的文字（空一行分段）；"
          "填了上面的数字时放在其后", aliases=("预算绩效",)),
    Field(("情况说明", "其他事项"), LONGTEXT, "第三部分 十（五）：其他需要说明的事项"),
    *(Field(("情况说明", "名词说明", term), LONGTEXT, f"第四部分 名词解释“{term}”后的“主要是：……”（上海；没有的不填）")
      for term in ("事业收入", "经营收入", "其他收入")),
]

# Column tables of the text sheets: (column label, key, kind); the first two are 科目编码, 科目名称.
LAST_BY_CLASS = ("上年", "一般公共预算财政拨款支出按类")
BUDGET_BY_CLASS = ("年初预算", "一般公共预算财政拨款支出")
LAST_CLASS_COLUMN = "上年决算数"
BUDGET_COLUMN = "年初预算数"
FULL_BUDGET_BY_CLASS = ("全年预算", "一般公共预算财政拨款支出")
FULL_BUDGET_COLUMN = "全年预算数"
MEMBERS = ("概况", "单位构成")
MEMBER_COLUMNS = ["单位名称", "备注"]
CLASS_WORD_COLUMNS = ["用途", "变动原因"]

# ---------------------------------------------------------------- published tables

TABLE_TITLES = {      # every title the tables are published under (profiles may add their own)
    "01": ["收入支出决算总表"],
    "02": ["收入决算表"],
    "03": ["支出决算表"],
    "04": ["财政拨款收入支出决算总表"],
    "05": ["一般公共预算财政拨款支出决算表"],
    "06": ["一般公共预算财政拨款基本支出决算明细表", "一般公共预算财政拨款支出决算明细表"],
    "07": ["政府性基金预算财政拨款收入支出决算表"],
    "08": ["国有资本经营预算财政拨款支出决算表"],
    "09": ["财政拨款“三公”经费支出决算表", "“三公”经费支出决算表"],
    "10": ["部门决算公开相关信息统计表", "单位决算公开相关信息统计表", "相关信息统计表"],
}
TABLE_NAMES = {k: v[0] for k, v in TABLE_TITLES.items()}

CODE_LABELS = {"科目编码", "功能分类科目编码", "科目代码", "功能分类科目代码", "科目编号", "经济分类科目编码", "编码", "代码"}
NAME_LABELS = {"科目名称", "名称"}

VEHICLE_ALIASES = {"主要负责人用车": "主要领导干部用车", "离退休干部服务用车": "离退休干部用车"}

ERROR_VALUES = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"}
EMPTY_MARKS = {"——", "—", "－－", "--", "-", "－", "–", "/", "／", "无数据"}

# ---------------------------------------------------------------- text helpers

_WS = re.compile(r"\s+")
_QUOTES = re.compile("[“”\"'‘’「」『』]")
_NUMBERING = re.compile(r"^(?:\(?[一二三四五六七八九十]+\)|[一二三四五六七八九十]+[、.]|\d+[.、](?!\d))")


def norm(value: Any) -> str:
    """A label for matching: NFKC (full-width → ASCII), no whitespace, no quotes."""
    if value is None:
        return ""
    s = unicodedata.normalize("NFKC", str(value))
    return _QUOTES.sub("", _WS.sub("", s))


def norm_label(value: Any) -> str:
    """A row label without its numbering: "一、…", "（一）…", "1. …"."""
    s = norm(value)
    return _NUMBERING.sub("", s, count=1)


def squash_name(value: Any) -> str:
    """A 科目名称 as data: every space removed (names never contain one; PDF text breaks them)."""
    return _WS.sub("", str(value)).replace("\u3000", "")


def clean_unit_name(value: Any) -> str:
    """A unit name: trimmed (also full-width spaces); breaks and spaces next to CJK removed."""
    s = str(value).replace("\u3000", " ").strip()
    return re.sub(r"\s*\n\s*|(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", s)


def col_letter(c: int) -> str:
    """0-based column → A, B, … AA."""
    out = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """A, B, … AA → 0-based column."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and (value.strip() == "" or norm(value) in EMPTY_MARKS))


# ---------------------------------------------------------------- values

class Bad(Exception):
    """A cell value that cannot be used; the message says what was expected."""


_NUM_PLAIN = re.compile(r"^[-+]?\d+(\.\d+)?$")
_NUM_GROUPED = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_money(value: Any) -> Decimal | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise Bad(f"应为金额，实际是“{value}”")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Bad(f"应为金额，实际是“{value}”")
        # Excel keeps 15 significant digits; repr() of a float sum may show noise beyond them
        return Decimal("%.15g" % value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        raise Bad(f"应为金额，实际是日期“{value}”（单元格被 Excel 当成了日期：把单元格格式改成“数值”后重填）")
    text = str(value)
    if text.strip() in ERROR_VALUES:
        raise Bad(f"应为金额，实际是 Excel 错误值“{text.strip()}”（公式出错：请检查公式）")
    s = unicodedata.normalize("NFKC", text)
    s = _WS.sub("", s).replace("¥", "").replace("￥", "")
    if s.endswith("元") and not s.endswith("万元"):
        s = s[:-1]
    if _NUM_PLAIN.match(s):
        return Decimal(s)
    if _NUM_GROUPED.match(s):
        return Decimal(s.replace(",", ""))
    if "," in s and re.fullmatch(r"[-+]?[\d,]+(\.\d+)?", s):
        raise Bad(f"“{text.strip()}”的千分位逗号位置不对（应每三位一个，如 1,234,567.89）")
    raise Bad(f"应为金额（如 1234.56），实际是“{text.strip()}”")


def parse_count(value: Any) -> int | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise Bad(f"应为整数，实际是“{value}”")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value == int(value):
        n = int(value)
    else:
        s = _WS.sub("", unicodedata.normalize("NFKC", str(value)))
        s = re.sub(r"(辆|台|套|台\(套\)|个|次|人次|批次|人)$", "", s)
        if not re.fullmatch(r"[-+]?\d+(\.0+)?", s):
            raise Bad(f"应为整数（个数），实际是“{str(value).strip()}”")
        n = int(Decimal(s))
    if n < 0:
        raise Bad(f"个数不能为负数，实际是“{n}”")
    return n


def parse_year(value: Any) -> int | None:
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == int(value):
        return int(value)
    s = _WS.sub("", unicodedata.normalize("NFKC", str(value)))
    m = re.fullmatch(r"(\d{4})(年度?)?", s)
    if not m:
        raise Bad(f"应为四位数的年度（如 2024），实际是“{str(value).strip()}”")
    return int(m.group(1))


def parse_text(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value == int(value):
        value = int(value)
    s = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("_x000D_", "")
    s = s.strip(" \t\u3000")
    return s or None


def parse_choice(value: Any) -> str | None:
    if is_blank(value):
        return None
    return _WS.sub("", str(value)).replace("\u3000", "")


def parse_bool(value: Any) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    s = norm(value).lower()
    if s in ("是", "true", "1", "yes", "y", "√"):
        return True
    if s in ("否", "false", "0", "no", "n", "×"):
        return False
    raise Bad(f"应为“是”或“否”，实际是“{str(value).strip()}”")


def parse_pairs(value: Any) -> dict[str, Decimal] | None:
    """“在职人员=8；编制数=16” → {"在职人员": 8, "编制数": 16}; names as written, numbers as money."""
    text = parse_text(value)
    if text is None:
        return None
    out: dict[str, Decimal] = {}
    for part in re.split(r"[；;\n]+", unicodedata.normalize("NFKC", text)):
        if not part.strip():
            continue
        name, eq, number = part.partition("=")
        amount = parse_money(number) if eq else None
        if not eq or not name.strip() or amount is None:
            raise Bad(f"应写成“名称=数；名称=数”（如“在职人员=8；编制数=16”），实际是“{text}”")
        out[name.strip()] = amount
    return out


PARSERS: dict[str, Callable[[Any], Any]] = {
    MONEY: parse_money, COUNT: parse_count, TEXT: parse_text, LONGTEXT: parse_text,
    YEAR: parse_year, CHOICE: parse_choice, BOOL: parse_bool, PAIRS: parse_pairs,
}


def _is_code(value: Any, lengths: tuple[int, ...] = (3, 5, 7)) -> bool:
    """The cell holds a subject code (alone, or with its name: “2011301 行政运行”)."""
    if is_blank(value):
        return False
    m = re.match(r"\s*(\d{3,7})(?!\d)", unicodedata.normalize("NFKC", str(value)))
    return bool(m) and len(m.group(1)) in lengths


def parse_code(value: Any, lengths: tuple[int, ...] = (3, 5, 7)) -> str:
    """A subject code from a cell: 201, 201.0, "201 ", "２０１" → "201"."""
    if isinstance(value, float) and value == int(value):
        value = int(value)
    s = _WS.sub("", unicodedata.normalize("NFKC", str(value)))
    if not s.isdigit() or len(s) not in lengths:
        want = "、".join(map(str, lengths))
        raise Bad(f"科目编码应为 {want} 位数字，实际是“{str(value).strip()}”")
    return s


# ---------------------------------------------------------------- the zip, before openpyxl

def _refuse(name: str, message: str) -> InputError:
    return InputError([Problem(Source(name), message)])


def _sniff(path: Path, name: str) -> None:
    """Size, magic bytes: refuse what is not a workbook before opening anything."""
    try:
        special = special_file(path)        # before opening: a named pipe's open would wait for ever
        if special:
            raise _refuse(name, f"无法读取文件：{special}")
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise _refuse(name, f"无法读取文件：{os_reason(exc)}") from None
    if size > MAX_FILE_BYTES:
        raise _refuse(name, f"文件过大（{size / 1024 / 1024:.1f} MB）：单位的决算工作簿应小于 "
                            f"{MAX_FILE_BYTES // 1024 // 1024} MB。请只保留决算表和说明各工作表（删去图片、"
                            f"附件、无关工作表）后另存再导入")
    if size == 0:
        raise _refuse(name, "文件是空的（0 字节），不是 Excel 工作簿")
    if head == CFB_MAGIC:
        with path.open("rb") as fh:
            blob = fh.read(min(size, 4 * 1024 * 1024))
        encrypted = "EncryptedPackage".encode("utf-16-le") in blob or "EncryptionInfo".encode("utf-16-le") in blob
        if encrypted:
            raise _refuse(name, "工作簿设置了打开密码（已加密），程序无法读取：请在 Excel 中打开，选“文件→信息→"
                                "保护工作簿→用密码进行加密”，清空密码并保存（WPS：“文件→文档加密→密码加密”，"
                                "清空打开密码），再导入")
        if path.suffix.lower() == ".xls":
            raise _refuse(name, f"这是旧版 Excel 97-2003 工作簿（.xls），本程序只读 .xlsx：{CONVERT_XLS}")
        raise _refuse(name, f"这个文件实际是旧版 Excel 97-2003 工作簿（.xls 格式，只是扩展名为"
                            f"“{path.suffix}”），本程序只读 .xlsx：{CONVERT_XLS}")
    if head[:2] != b"PK":
        lead = head.lstrip().lower()
        if lead.startswith((b"<", b"\xef\xbb\xbf<")):
            what = "网页（HTML/XML）文件，常见于决算软件“导出 Excel”生成的伪 .xls"
        elif head.startswith(b"%PDF"):
            what = "PDF 文件"
        else:
            what = "文本或其他格式的文件"
        raise _refuse(name, f"不是 Excel 工作簿（.xlsx）：这是{what}。请用 Excel 或 WPS 打开后“另存为”"
                            f"“Excel 工作簿（*.xlsx）”再导入")


def _open_zip(path: Path | io.BytesIO, name: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _refuse(name, f"工作簿已损坏，无法打开（zip 结构不完整：{exc}）。请用 Excel 打开并修复后另存为 .xlsx") from None
    problems = []
    if len(infos) > MAX_PARTS:
        problems.append(f"工作簿内部文件过多（{len(infos)} 个），疑似恶意构造的文件，拒绝读取")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        problems.append(f"工作簿解压后过大（{total / 1024 / 1024:.0f} MB，上限 "
                        f"{MAX_UNCOMPRESSED // 1024 // 1024} MB），疑似压缩炸弹，拒绝读取")
    for i in infos:
        if i.flag_bits & 0x1:
            problems.append(f"工作簿内部文件“{i.filename}”被加密，无法读取：请清除密码后另存为 .xlsx")
            break
        if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            problems.append(f"工作簿内部文件“{i.filename}”的压缩比异常（{i.file_size // max(i.compress_size, 1)} 倍），"
                            f"疑似压缩炸弹，拒绝读取")
            break
    if problems:            # one clear message: the first reason is enough to refuse
        zf.close()
        raise _refuse(name, problems[0])
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names:
        zf.close()
        if "word/document.xml" in names:
            raise _refuse(name, "这是 Word 文档（.docx），不是 Excel 工作簿")
        if "ppt/presentation.xml" in names:
            raise _refuse(name, "这是 PowerPoint 演示文稿，不是 Excel 工作簿")
        if "content.xml" in names:
            raise _refuse(name, "这是 WPS/LibreOffice 的 ODF 表格（.ods 等），不是 .xlsx：请另存为“Excel 工作簿（*.xlsx）”")
        raise _refuse(name, "不是 Excel 工作簿：zip 文件中没有 xl/workbook.xml")
    return zf


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass
class SheetFacts:
    """What openpyxl's read-only mode does not tell about a sheet, found while scanning its XML."""
    uncached: set[str] = field(default_factory=set)     # formula cells without a cached value
    merged: list[str] = field(default_factory=list)     # merged ranges, “C8:D8”
    hidden: bool = False                                # hidden or very hidden in Excel
    hidden_rows: set[int] = field(default_factory=set)  # 1-based rows hidden in Excel
    hidden_cols: list[tuple[int, int]] = field(default_factory=list)   # 1-based (min, max) column ranges hidden


def _scan_xml(zf: zipfile.ZipFile, name: str) -> dict[str, SheetFacts]:
    """Parse every XML part once with expat, DTDs refused outright (so no entity is ever declared
    or expanded, no external reference followed: defusedxml's rules), and return, per sheet name,
    the cells holding a formula without a cached value, the merged ranges and whether the sheet
    is hidden.

    The same pass bounds what openpyxl will build, whatever the file declares (``_Sizes``): the
    XML elements (counted as they open, so a deep nest is refused too), cells and rows, the
    row × column grid openpyxl fills with blanks (a cell in column XFD, a row numbered 900000000),
    the length of texts and the merged ranges. No tree is built: the pass holds one part's state."""
    sheets: list[tuple[str, str, bool]] = []      # (sheet name, r:id, hidden)
    rels: dict[str, str] = {}
    facts_by_part: dict[str, tuple[set[str], list[str], set[int], list[tuple[int, int]]]] = {}
    # the workbook and its relationships first: a sheet's part is then known by its name
    first = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
    infos = sorted(zf.infolist(), key=lambda i: first.index(i.filename) if i.filename in first else len(first))
    sheet_of: dict[str, str] | None = None        # zip part -> the sheet it holds, once the two above are read
    sizes = _Sizes(name)
    for info in infos:
        part = info.filename
        if not part.endswith((".xml", ".rels", ".vml")):
            continue
        if sheet_of is None and part not in first:
            sheet_of = _sheet_parts(name, sheets, rels)
        is_sheet = part.startswith("xl/worksheets/") and part.endswith(".xml") or part in (sheet_of or {})
        sizes.sheet = (sheet_of or {}).get(part, part)
        scan = _PartScan(part, is_sheet, sizes, sheets, rels)
        try:
            with zf.open(info) as fh:
                scan.run(fh)
        except InputError:
            raise
        except DefusedXmlException:
            raise _refuse(name, f"工作簿中的“{part}”含有 DTD 或实体声明（XML 炸弹或外部实体攻击的手法），拒绝读取") from None
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise _refuse(name, f"工作簿已损坏：内部文件“{part}”无法解压（{exc}）。请用 Excel 打开并修复后另存") from None
        except Exception as exc:        # pyexpat.ExpatError and friends
            raise _refuse(name, f"工作簿已损坏：内部文件“{part}”不是有效的 XML（{exc}）") from None
        if scan.uncached or scan.merged or scan.hidden_rows or scan.hidden_cols:
            facts_by_part[part] = (scan.uncached, scan.merged, scan.hidden_rows, scan.hidden_cols)
    out: dict[str, SheetFacts] = {}
    for sheet, rid, hidden in sheets:
        uncached, merged, rows, cols = facts_by_part.get(_part_of(rels.get(rid, "")), (set(), [], set(), []))
        out[sheet] = SheetFacts(uncached, merged, hidden, rows, cols)
    return out


_X_MAIN = _MAIN[1:]                                  # expat's names: “namespace}local”, no “{”
_X_C, _X_ROW, _X_V, _X_F, _X_T = (_X_MAIN + t for t in ("c", "row", "v", "f", "t"))
_X_MERGE, _X_SHEET, _X_COL = _X_MAIN + "mergeCell", _X_MAIN + "sheet", _X_MAIN + "col"
_TRUE = ("1", "true")
_X_RID = _REL[1:] + "id"
_X_RELATIONSHIP = _PKG_REL[1:] + "Relationship"


class _PartScan:
    """One XML part, read by expat's callbacks (no tree): what _scan_xml looks for, and its sizes."""

    def __init__(self, part: str, is_sheet: bool, sizes: "_Sizes", sheets: list, rels: dict):
        self.part, self.is_sheet, self.sizes, self.sheets, self.rels = part, is_sheet, sizes, sheets, rels
        self.is_book = part == "xl/workbook.xml"
        self.is_rels = part == "xl/_rels/workbook.xml.rels"
        self.uncached: set[str] = set()
        self.merged: list[str] = []
        self.merged_cells = 0
        self.hidden_rows: set[int] = set()
        self.hidden_cols: list[tuple[int, int]] = []
        self.row_hidden = False
        self.depth = 0
        self.row_no = 0             # openpyxl's row counter: the row's r, or the previous one + 1
        self.next_row = 1           # the first row openpyxl has not yielded yet
        self.row_ref: str | None = None     # the current row's r
        self.last_ref: str | None = None    # the reference of the row's last cell that has one
        self.after = 0              # cells after it (no reference: each one column further)
        self.cell_ref: str | None = None    # the current cell's r
        self.cell_depth = -1        # depth of the current c element, -1 outside one
        self.has_formula = False
        self.has_value = False      # a non-blank v directly in the current cell
        self.text_depth = -1        # depth of the v, t or f whose text is being counted
        self.text_kind = ""
        self.text = 0               # length of the current text element
        self.longest = 0            # of the texts inside the current cell

    def run(self, fh) -> None:
        import pyexpat
        parser = pyexpat.ParserCreate(None, "}")
        parser.buffer_text = True
        # defusedxml's handlers (defusedxml.expatreader, forbid_dtd=True): any DOCTYPE is refused, and
        # with it every entity declaration and external reference
        parser.StartDoctypeDeclHandler = self.forbid_dtd
        parser.EntityDeclHandler = self.forbid_entity
        parser.UnparsedEntityDeclHandler = self.forbid_entity
        parser.ExternalEntityRefHandler = self.forbid_external
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.chars
        while chunk := fh.read(65536):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)

    @staticmethod
    def forbid_dtd(name, sysid, pubid, _internal) -> None:
        raise DTDForbidden(name, sysid, pubid)

    @staticmethod
    def forbid_entity(name, *args) -> None:
        raise EntitiesForbidden(name, None, None, None, None, None)

    @staticmethod
    def forbid_external(context, base, sysid, pubid) -> None:
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    def start(self, tag: str, attrs: dict) -> None:
        sizes = self.sizes
        sizes.elements += 1
        if sizes.elements > MAX_XML_ELEMENTS:
            sizes.refuse_elements(self.part)
        self.depth += 1
        if self.is_sheet:
            if tag == _X_V or tag == _X_T or tag == _X_F:
                self.text_depth, self.text_kind, self.text = self.depth, tag, 0
                if tag == _X_F and self.depth == self.cell_depth + 1:
                    self.has_formula = True
            elif tag == _X_C:
                self.cell_depth, self.cell_ref = self.depth, attrs.get("r")
                self.has_formula = self.has_value = False
                self.longest = 0
            elif tag == _X_ROW:
                self.row_ref = attrs.get("r")
                self.row_hidden = attrs.get("hidden") in _TRUE
            elif tag == _X_COL and attrs.get("hidden") in _TRUE:
                try:
                    self.hidden_cols.append((int(attrs.get("min", "")), int(attrs.get("max", ""))))
                except ValueError:
                    pass
            elif tag == _X_MERGE and attrs.get("ref"):
                self.merge(attrs["ref"])
        elif self.is_book and tag == _X_SHEET:
            self.sheets.append((attrs.get("name", ""), attrs.get(_X_RID, ""),
                                attrs.get("state", "visible") in ("hidden", "veryHidden")))
        elif self.is_rels and tag == _X_RELATIONSHIP:
            self.rels[attrs.get("Id", "")] = attrs.get("Target", "")
        elif tag == _X_T:           # shared strings (and any other part's texts)
            self.text_depth, self.text_kind, self.text = self.depth, tag, 0

    def chars(self, data: str) -> None:
        if self.text_depth < 0:
            return
        self.text += len(data)
        if self.text_kind == _X_V and not self.has_value and self.text_depth == self.cell_depth + 1 and data.strip():
            self.has_value = True

    def end(self, tag: str) -> None:
        sizes = self.sizes
        if self.depth == self.text_depth:
            self.text_depth = -1
            sizes.chars += self.text
            if self.is_sheet:
                self.longest = max(self.longest, self.text)
            else:
                sizes.shared_text(self.text, self.part)
        elif self.is_sheet:
            if self.depth == self.cell_depth:           # the end of a c
                self.cell_depth = -1
                ref = self.cell_ref
                if ref:
                    self.last_ref, self.after = ref, 0
                else:
                    self.after += 1
                sizes.cells += 1
                if sizes.cells > MAX_CELLS or self.longest > MAX_CELL_CHARS or sizes.chars > MAX_BOOK_CHARS:
                    sizes.refuse_cell(ref or f"第 {self.row_no + 1} 行", self.longest)
                if self.has_formula and not self.has_value:
                    self.uncached.add(ref or "")
            elif tag == _X_ROW:
                self.row_no = _row_of(self.row_ref, self.row_no)
                if self.row_no >= self.next_row:        # openpyxl yields the rows missing before it, then it
                    col = _column_of(self.last_ref) + self.after
                    sizes.grid += self.row_no - self.next_row + max(col, 1)
                    if sizes.grid > MAX_GRID:
                        sizes.refuse_grid(self.row_no, col)
                    self.next_row = self.row_no + 1
                if self.row_hidden:
                    self.hidden_rows.add(self.row_no)
                self.last_ref, self.after, self.row_ref, self.row_hidden = None, 0, None, False
        self.depth -= 1

    def merge(self, ref: str) -> None:
        sizes = self.sizes
        self.merged.append(ref)
        area = _merge_area(ref)
        if area <= MAX_MERGE_AREA:
            self.merged_cells += area
            sizes.merged_cells += area
        if len(self.merged) > MAX_MERGED_RANGES or self.merged_cells > MAX_MERGED_CELLS or \
                sizes.merged_cells > MAX_MERGED_CELLS_BOOK:
            raise _too_many_merges(sizes.name, sizes.sheet, ref, len(self.merged), self.merged_cells,
                                   sizes.merged_cells > MAX_MERGED_CELLS_BOOK)


def _sheet_parts(name: str, sheets: list[tuple[str, str, bool]], rels: dict[str, str]) -> dict[str, str]:
    """Zip part -> the sheet it holds. More than MAX_SHEETS sheets, or two sheets on one part
    (openpyxl would read that part once for each), are refused."""
    if len(sheets) > MAX_SHEETS:
        raise _refuse(name, f"工作簿有 {len(sheets):,} 张工作表，超过上限 {MAX_SHEETS}（决算工作簿通常只有二三十张），"
                            "疑似恶意构造或损坏的文件，拒绝读取。请删去无关的工作表后另存再导入")
    out: dict[str, str] = {}
    for sheet, rid, _ in sheets:
        target = rels.get(rid, "")
        if not target:
            continue
        part = _part_of(target)
        if part in out:
            raise _refuse(name, f"工作簿已损坏：工作表“{out[part]}”和“{sheet}”指向同一个内部文件“{part}”"
                                "（Excel 不会这样保存），拒绝读取。请用 Excel 打开并修复后另存")
        out[part] = sheet
    return out


def _column_of(ref: str | None) -> int:
    """A cell's 1-based column as openpyxl reads it from its reference (“XFD7”); 0 without one."""
    if not ref:
        return 0
    letters = ref.rstrip("0123456789").lstrip("$").rstrip("$").upper()
    if not letters or len(letters) > 3 or not letters.isalpha() or not letters.isascii():
        return 0                    # openpyxl refuses it later (“工作表无法读取”)
    return col_index(letters) + 1


def _row_of(r: str | None, previous: int) -> int:
    """A row's number as openpyxl reads it: its r (“12”, also “1e9”), else the previous one + 1."""
    if r is None:
        return previous + 1
    try:
        return int(r)
    except ValueError:
        try:
            value = float(r)
        except ValueError:
            return previous + 1
        return int(value) if value.is_integer() else previous + 1


class _Sizes:
    """What one workbook's XML holds so far, refused past the limits (see ``_scan_xml``)."""

    def __init__(self, name: str):
        self.name = name
        self.sheet = ""
        self.elements = 0
        self.cells = 0
        self.grid = 0
        self.chars = 0
        self.merged_cells = 0

    def _refuse(self, where: str | None, said: str, fix: str) -> InputError:
        return InputError([Problem(Source(self.name, None, "", where),
                                   f"{said}，远超决算工作簿的需要，疑似恶意构造或损坏的文件，拒绝读取。{fix}")])

    def refuse_elements(self, part: str) -> None:
        raise self._refuse(None, f"工作簿的内容过多（合计超过 {MAX_XML_ELEMENTS:,} 个元素，读到内部文件“{part}”时）",
                           "请只保留决算表和说明各工作表后另存再导入")

    def refuse_cell(self, ref: str, text: int) -> None:
        where = f"{self.sheet}!{ref}"
        if self.cells > MAX_CELLS:
            raise self._refuse(where, f"工作簿的单元格超过 {MAX_CELLS:,} 个（读到 {where} 时；决算工作簿通常只有几万个）",
                               "请删去无关的工作表和多余的行列后另存再导入")
        if text > MAX_CELL_CHARS:
            raise self._refuse(where, f"单元格 {where} 的内容有 {text:,} 个字符，超过 Excel 一个单元格的上限 "
                                      f"{MAX_CELL_CHARS:,}", "请检查该单元格")
        raise self._refuse(where, f"工作簿的文字总量超过 {MAX_BOOK_CHARS:,} 个字符（读到 {where} 时）",
                           "请删去无关的工作表和内容后另存再导入")

    def refuse_grid(self, row: int, col: int) -> None:
        where = f"{self.sheet}!{col_letter(max(col, 1) - 1)}{row}"
        raise self._refuse(where, f"工作簿的表格区域过大（读到 {where} 时已超过 {MAX_GRID:,} 个单元格的范围；"
                                  "常见原因是很远的行或列里有内容或格式）",
                           f"请删去 {where} 等多余的行列（选中后“删除”，不只是清除内容）后另存再导入")

    def shared_text(self, n: int, part: str) -> None:
        self.chars += n
        if n > MAX_CELL_CHARS:
            raise self._refuse(None, f"工作簿内部文件“{part}”中有一段 {n:,} 个字符的文字，超过 Excel 一个单元格的上限 "
                                     f"{MAX_CELL_CHARS:,}", "请用 Excel 打开并另存后再导入")
        if self.chars > MAX_BOOK_CHARS:
            raise self._refuse(None, f"工作簿的文字总量超过 {MAX_BOOK_CHARS:,} 个字符（读到内部文件“{part}”时）",
                               "请删去无关的工作表和内容后另存再导入")


def _part_of(target: str) -> str:
    """A relationship's target (“worksheets/sheet1.xml”, “/xl/worksheets/sheet1.xml”) → zip part."""
    part = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return re.sub(r"[^/]+/\.\./", "", part)


_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


def merge_span(ref: str) -> tuple[int, int, int, int] | None:
    """“C8:D9” → (top row, left column, bottom row, right column), 0-based; None for a single
    cell (“C8”) or what is not a range."""
    m = _REF.fullmatch(ref.strip().upper())
    if not m or not m.group(3):
        return None
    return int(m.group(2)) - 1, col_index(m.group(1)), int(m.group(4)) - 1, col_index(m.group(3))


def _merge_area(ref: str) -> int:
    span = merge_span(ref)
    if span is None:
        return 0
    r0, c0, r1, c1 = span
    return max(r1 - r0 + 1, 0) * max(c1 - c0 + 1, 0)


def _too_many_merges(name: str, sheet: str, ref: str, ranges: int, cells: int, book: bool) -> InputError:
    if book:
        said = f"整个工作簿合并的单元格超过 {MAX_MERGED_CELLS_BOOK:,} 个"
    elif ranges > MAX_MERGED_RANGES:
        said = f"合并区域超过 {MAX_MERGED_RANGES:,} 个"
    else:
        said = f"合并的单元格超过 {MAX_MERGED_CELLS:,} 个"
    return InputError([Problem(Source(name, None, "", f"{sheet}!{ref.split(':')[0]}"),
                               f"工作表“{sheet}”{said}（读到第 {ranges:,} 个合并区域 {ref} 时），远超决算表的需要"
                               "（一张表通常只有几十个合并区域），"
                               "疑似恶意构造或损坏的文件，拒绝读取。请取消多余的合并单元格后另存再导入")])


# ---------------------------------------------------------------- reading

@dataclass
class Sheet:
    name: str
    rows: list[tuple]
    uncached: set[str] = field(default_factory=set)
    merged: list[str] = field(default_factory=list)     # “C8:D8”
    hidden: bool = False
    hidden_rows: set[int] = field(default_factory=set)  # 1-based, as SheetFacts
    hidden_cols: list[tuple[int, int]] = field(default_factory=list)
    # row -> [(left column, right column, range, top row)] of the ranges over that row, in file order
    _merge_rows: dict | None = field(default=None, init=False, repr=False, compare=False)

    def merge_at(self, r: int, c: int) -> tuple[str, int, int] | None:
        """(range, top row, left column) of the merged range covering (r, c); None when the cell
        is not merged. Ranges are indexed by row, not expanded cell by cell (a range's rows are at
        most MAX_MERGE_AREA, the sheet's merged cells at most MAX_MERGED_CELLS, see _scan_xml);
        where ranges overlap (Excel never writes that), the last one in the file wins."""
        if not self.merged:
            return None
        if self._merge_rows is None:
            self._merge_rows = {}
            for ref in self.merged:
                span = merge_span(ref)
                if span is None:
                    continue
                r0, c0, r1, c1 = span
                if (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_MERGE_AREA:
                    continue            # a whole-row banner, not a cell of a table
                entry = (c0, c1, f"{col_letter(c0)}{r0 + 1}:{col_letter(c1)}{r1 + 1}", r0)
                for rr in range(r0, r1 + 1):
                    self._merge_rows.setdefault(rr, []).append(entry)
        for c0, c1, rng, r0 in reversed(self._merge_rows.get(r, ())):
            if c0 <= c <= c1:
                return rng, r0, c0
        return None

    def get(self, r: int, c: int) -> Any:
        if r < 0 or c < 0 or r >= len(self.rows):
            return None
        row = self.rows[r]
        return row[c] if c < len(row) else None

    def addr(self, r: int, c: int) -> str:
        return f"{self.name}!{col_letter(c)}{r + 1}"

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def row_blank(self, r: int) -> bool:
        return all(is_blank(v) for v in (self.rows[r] if r < len(self.rows) else ()))


def read_xlsx(path: Path) -> Located:
    """A workbook → Located (plain data + sheet!cell per key path). Raises InputError."""
    path = Path(path)
    name = str(path)
    _sniff(path, name)
    try:
        blob = path.read_bytes()            # at most MAX_FILE_BYTES: checked and read from memory
    except OSError as exc:
        raise _refuse(name, f"无法读取文件：{os_reason(exc)}") from None
    zf = _open_zip(io.BytesIO(blob), name)
    try:
        facts = _scan_xml(zf, name)
    finally:
        zf.close()
    sheets = _load_sheets(blob, name, facts)
    return WorkbookReader(name, sheets).read()


def read_xls(path: Path) -> Located:
    """.xls: an old-format workbook gets the conversion message; an .xlsx misnamed .xls is read."""
    path = Path(path)
    _sniff(path, str(path))
    return read_xlsx(path)


def _load_sheets(blob: bytes, name: str, facts: dict[str, SheetFacts]) -> list[Sheet]:
    import warnings

    import openpyxl
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")       # "unknown extension", "no default style" …
            wb = openpyxl.load_workbook(io.BytesIO(blob), read_only=True, data_only=True, keep_links=False)
    except InputError:
        raise
    except Exception as exc:
        raise _refuse(name, f"工作簿无法读取（{type(exc).__name__}: {exc}）：文件可能已损坏，"
                            f"请用 Excel 打开后另存为 .xlsx 再导入") from None
    out = []
    try:
        for ws in wb.worksheets:
            try:
                ws.reset_dimensions()
                rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
            except Exception as exc:
                raise _refuse(name, f"工作表“{ws.title}”无法读取（{type(exc).__name__}: {exc}）") from None
            known = facts.get(ws.title) or SheetFacts()
            out.append(Sheet(ws.title, rows, known.uncached, known.merged, known.hidden,
                             known.hidden_rows, known.hidden_cols))
    finally:
        wb.close()
    return out


# ---------------------------------------------------------------- the workbook reader

def _label(path: tuple) -> str:
    """What a cell holds, as its column or item is headed: the last key of its path."""
    return next((str(p) for p in reversed(path) if not isinstance(p, int)), "")


def _shown_amount(value: Any) -> str:
    """A cell's value as a message quotes it: an amount with two decimals, other text as written."""
    try:
        amount = parse_money(value)
    except Bad:
        amount = None
    return f"{amount:,.2f}" if amount is not None else str(value).strip()


def _numeric(value: Any) -> bool:
    """A cell that holds a number (or a number written as text)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, Decimal)):
        return True
    try:
        return parse_money(value) is not None
    except Bad:
        return False


def _short(value: Any) -> str:
    """A cell's value as a notice quotes it: a number with two decimals, text as written (cut at 20)."""
    number = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    text = _shown_amount(value) if number else str(value).strip()
    return text if len(text) <= 20 else text[:20] + "…"


class WorkbookReader:
    def __init__(self, file: str, sheets: list[Sheet]):
        self.file = file
        self.sheets = sheets
        self.data: dict[str, Any] = {}
        self.cells: dict[tuple, str] = {}
        self.problems: list[Problem] = []
        self.reported_required: set[str] = set()
        self.typed: list = []           # model.TypedFigure: figures typed into grey (computed) cells
        self.unread: list = []          # model.Unread: content where nothing is read
        # sheet name -> (last header row, last column of the table, last row read or None): the cells
        # right of the table below its header (and below the last row read) are not read
        self.extents: dict[str, tuple[int, int, int | None]] = {}
        # amount cells read inside merged ranges: (sheet, range) -> [(row, col, path)]
        self.merged_reads: dict[tuple[str, str], list[tuple[int, int, tuple]]] = {}

    # -- problems and values
    def problem(self, where: str | None, message: str, path: tuple = (), kind: str = "", key: str = "") -> None:
        from .yaml_reader import path_str
        self.problems.append(Problem(Source(self.file, None, path_str(path), where), message, kind, key))

    def value(self, sheet: Sheet, r: int, c: int, kind: str, path: tuple) -> Any:
        """Read and convert one cell; register its address for ``path``; None when blank or bad."""
        addr = sheet.addr(r, c)
        self.cells[path] = addr
        raw = sheet.get(r, c)
        if kind in (MONEY, COUNT) and (merge := sheet.merge_at(r, c)) is not None:
            self.merged_reads.setdefault((sheet.name, merge[0]), []).append((r, c, path))
        if raw is None and f"{col_letter(c)}{r + 1}" in sheet.uncached:
            self.problem(addr, "单元格是公式，但文件里没有保存计算结果（常见于程序生成或未在 Excel 中保存过的文件）："
                               "请用 Excel 或 WPS 打开并保存一次，或把公式改成数值", path)
            return None
        try:
            return PARSERS[kind](raw)
        except Bad as exc:
            self.problem(addr, str(exc), path)
            return None

    def put(self, path: tuple, value: Any) -> None:
        d = self.data
        for p in path[:-1]:
            d = d.setdefault(p, {})
        d[path[-1]] = value

    # -- the whole workbook
    def read(self) -> Located:
        found = self.identify()
        unit_sheet = found.get(SHEET_UNIT)
        if unit_sheet is not None:
            self.read_key_values(unit_sheet, UNIT_FIELDS, ())
        profile = self.profile()
        required = [SHEET_UNIT] + [f"table:{k}" for k in ([t.key for t in profile.tables] if profile else TABLE_NAMES)] + \
                   [s for s in TEXT_SHEETS if s != SHEET_UNIT]
        missing = [k for k in required if k not in found]
        if missing:
            labels = [self.sheet_label(k, profile) for k in missing]
            present = "、".join(s.name for s in self.sheets)
            self.problem(None, f"缺少工作表：{'、'.join(labels)}（工作簿中有：{present}）。可用 "
                               f"juesuan template --profile <模板> 生成空白模板，把表复制进对应的工作表")
        for key, sheet in found.items():
            if key.startswith("table:"):
                self.read_table(key[6:], sheet, profile)
        if SHEET_LAST in found:
            self.read_key_values(found[SHEET_LAST], LAST_FIELDS, ("上年",),
                                 code_table=(LAST_BY_CLASS, {LAST_CLASS_COLUMN: ["上年决算数", "决算数", "金额", "上年数"]}))
        if SHEET_BUDGET in found:
            self.read_code_table(found[SHEET_BUDGET], BUDGET_BY_CLASS,
                                 {BUDGET_COLUMN: ["年初预算数", "年初预算", "预算数", "金额"]}, required=True)
        if SHEET_WORDS in found:
            self.read_key_values(found[SHEET_WORDS], WORD_FIELDS, ("情况说明",))
            self.text_only_performance()
        if SHEET_CLASS_WORDS in found:
            self.read_class_words(found[SHEET_CLASS_WORDS])
        if SHEET_GLOSSARY in found:
            self.read_list(found[SHEET_GLOSSARY], ("情况说明", "名词解释补充"), ["名词", "解释"])
        if SHEET_ATTACH in found:
            self.read_list(found[SHEET_ATTACH], ("附件",), ["名称"])
        if SHEET_FULL_BUDGET in found:
            self.read_code_table(found[SHEET_FULL_BUDGET], FULL_BUDGET_BY_CLASS,
                                 {FULL_BUDGET_COLUMN: ["全年预算数", "全年预算", "调整后预算数", "金额"]})
        self.read_forms(found)
        if SHEET_INFO in found:
            self.read_key_values(found[SHEET_INFO], INFO_FIELDS, INFO)
        if SHEET_MEMBERS in found:
            self.read_list(found[SHEET_MEMBERS], MEMBERS, MEMBER_COLUMNS, optional=("备注",))
        self.check_meta(found)
        self.report_unread(found)
        self.report_hidden(found)
        self.report_merges({s.name: s for s in found.values()})
        self.attachments_alone()
        located = Located(self.file, self.data, cells=self.cells, typed=self.typed, unread=self.unread)
        if self.problems:
            self.raise_with_more(located)
        return located

    # -- content where nothing is read: said (rule W-UNREAD), never dropped silently
    def extent(self, sheet: Sheet, header_rows: list[int], last: int | None = None) -> None:
        """The table of ``sheet`` ends at the last column of its header rows (a merged head counts
        to its right edge); with ``last``, at that row too. The first call for a sheet counts."""
        if sheet.name in self.extents or not header_rows:
            return
        width = -1
        for r in header_rows:
            row = sheet.rows[r] if r < len(sheet.rows) else ()
            width = max([width, *(c for c, v in enumerate(row) if not is_blank(v))])
            for c in range(len(row)):
                if (m := sheet.merge_at(r, c)) is not None and not is_blank(row[c]):
                    span = merge_span(m[0])
                    width = max(width, span[3] if span else c)
        self.extents[sheet.name] = (max(header_rows), width, last)

    def report_unread(self, found: dict[str, Sheet]) -> None:
        for sheet in found.values():
            if sheet.name not in self.extents:
                continue
            head, width, last = self.extents[sheet.name]
            right = ((r, c) for r in range(head + 1, len(sheet.rows)) for c in range(width + 1, len(sheet.rows[r])))
            self.unread_cells(sheet, right, f"工作表“{sheet.name}”中表格右侧的内容没有读入",
                              "数请填在表内对应的格；不需要的请删除")
            if last is not None:
                self.unread_cells(sheet, self.below(sheet, last, width), f"工作表“{sheet.name}”只读表头下的一行数，下面的内容没有读入",
                                  "本表的数都填在表头下的那一行")

    @staticmethod
    def below(sheet: Sheet, last: int, width: int) -> Iterator[tuple[int, int]]:
        """The cells of the table's columns below row ``last``; after a 注 line, only numbers."""
        note = False
        for r in range(last + 1, len(sheet.rows)):
            row = sheet.rows[r]
            first = next((v for v in row if not is_blank(v)), None)
            note = note or norm(first).startswith(("注", "说明"))
            for c in range(min(width + 1, len(row))):
                if not (note and isinstance(row[c], str) and not _numeric(row[c])):
                    yield r, c

    def report_hidden(self, found: dict[str, Sheet]) -> None:
        """Rows and columns hidden in Excel are read like the others; what they hold inside a table
        is said (a 提示, rule W-HIDDEN): the clerk does not see it, the report prints it."""
        for sheet in found.values():
            if not (sheet.hidden_rows or sheet.hidden_cols) or sheet.name not in self.extents:
                continue
            head, width, last = self.extents[sheet.name]
            end = len(sheet.rows) if last is None else min(len(sheet.rows), last + 1)

            def hidden_col(c: int) -> bool:
                return any(lo <= c + 1 <= hi for lo, hi in sheet.hidden_cols)
            cols = [c for c in range(width + 1) if hidden_col(c)]
            cells = ((r, c) for r in range(head + 1, end) for c in range(min(width + 1, len(sheet.rows[r])))
                     if r + 1 in sheet.hidden_rows or c in cols)
            self.unread_cells(sheet, cells, f"工作表“{sheet.name}”中隐藏的行或列里有内容，照常读入（在 Excel 中看不到）",
                              "请取消隐藏（选中相邻的行或列，右键“取消隐藏”）核对，不要的请删除", rule="W-HIDDEN")

    def unread_guide(self, sheet: Sheet) -> None:
        """填写说明 is the program's text, never read: a number in it, or anything right of its three
        columns, was typed by someone and is said."""
        cells = ((r, c) for r in range(len(sheet.rows)) for c, v in enumerate(sheet.rows[r])
                 if not is_blank(v) and (c > 2 or _numeric(v)))
        self.unread_cells(sheet, cells, f"工作表“{sheet.name}”是程序生成的说明，导入时不读取，其中填写的内容没有读入",
                          "数请填在对应的工作表")

    def unread_cells(self, sheet: Sheet, cells: Iterable[tuple[int, int]], what: str, fix: str,
                     rule: str = "W-UNREAD") -> None:
        """One notice per sheet and kind: the first cells with what they hold, and how many. ``cells``
        is walked once and not kept (a sheet of the user's own may be a large grid)."""
        from ..model import Unread
        first: list[tuple[int, int]] = []
        count, number = 0, False
        for r, c in cells:
            v = sheet.get(r, c)
            if is_blank(v):
                continue
            count += 1
            if len(first) < 5:
                first.append((r, c))
            number = number or _numeric(v)
        if not count:
            return
        shown = "、".join(f"{col_letter(c)}{r + 1}“{_short(sheet.get(r, c))}”" for r, c in first)
        more = f"等 {count} 格" if count > 5 else ""
        addr = sheet.addr(*first[0])
        self.unread.append(Unread(f"{what}：{shown}{more}。{fix}", Source(self.file, None, "", addr), number, rule))

    def report_merges(self, sheets: dict[str, Sheet]) -> None:
        """A merged range over an amount cell hides it: Excel keeps only the upper-left value, the
        other cells under the merge are read as blank (or as a value no one can see). Named once
        per range, saying what was read where."""
        for (name, rng), reads in self.merged_reads.items():
            sheet = sheets.get(name)
            if sheet is None:
                continue
            _, r0, c0 = sheet.merge_at(reads[0][0], reads[0][1]) or (rng, reads[0][0], reads[0][1])
            top = sheet.get(r0, c0)
            hidden = [(r, c, p) for r, c, p in reads if (r, c) != (r0, c0)]
            if not hidden or (is_blank(top) and all(is_blank(sheet.get(r, c)) for r, c, _ in hidden)):
                continue
            top_path = next((p for r, c, p in reads if (r, c) == (r0, c0)), None)
            under = "，".join(f"{col_letter(c)}{r + 1}（{_label(p)}）" + (
                "读作空白" if is_blank(sheet.get(r, c)) else f"读作看不见的“{str(sheet.get(r, c)).strip()}”")
                for r, c, p in hidden)
            first = f"{col_letter(c0)}{r0 + 1}"
            if top_path is not None:
                message = (f"合并单元格中的金额“{_shown_amount(top)}”只能读到一格：读作 {first}（{_label(top_path)}），"
                           f"{under}。请取消合并，每格填一个数")
            else:
                message = (f"合并单元格（左上角 {first} 是“{_shown_amount(top)}”）盖住了金额单元格：{under}。"
                           f"请取消合并，把金额填在各自的单元格中")
            self.problem(f"{name}!{rng}", message)

    def attachments_alone(self) -> None:
        """A workbook that holds nothing but 附件 (as a YAML file may: builder.holds_only_attachments)
        needs no 报告类型, 单位性质 or 金额单位: their “必填项” problems are dropped."""
        from .builder import holds_only_attachments
        if not holds_only_attachments(self.data):
            return
        optional = ("报告类型", "单位性质", "金额单位")
        self.problems = [p for p in self.problems if not (p.kind == REQUIRED and p.key in optional)]
        self.reported_required -= set(optional)

    def text_only_performance(self) -> None:
        """预算绩效 with only its text is the text itself (as a YAML file writes it)."""
        words = self.data.get("情况说明") or {}
        perf = words.get("预算绩效")
        if isinstance(perf, dict) and set(perf) == {"说明"}:
            words["预算绩效"] = perf["说明"]
            where = self.cells.pop(("情况说明", "预算绩效", "说明"), None)
            if where:
                self.cells[("情况说明", "预算绩效")] = where

    def raise_with_more(self, located: Located) -> None:
        """Report the reader's problems together with what the structure check and the model
        builder find in the rest of the data (one run shows everything)."""
        from .builder import Builder
        from .structure import validate_structure
        problems = list(self.problems)
        try:
            validate_structure(located)
            Builder(located).build()
        except InputError as exc:
            for p in exc.problems:
                if p.kind == REQUIRED and p.key in self.reported_required:
                    continue            # the reader said it already, at its cell
                problems.append(p)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError):
            pass    # the builder tripped on what the reader could not read; the reader's problems say why
        raise InputError(problems)

    def profile(self):
        from ..profile import PROFILES, load_profile
        name = self.data.get("模板")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not (PROFILES / f"{name}.yaml").is_file():
            return None
        try:
            return load_profile(name)
        except InputError:
            return None

    @staticmethod
    def sheet_label(key: str, profile) -> str:
        if not key.startswith("table:"):
            return f"“{key}”"
        k = key[6:]
        spec = profile.table(k) if profile else None
        return f"“{spec.title}”（{spec.label}）" if spec else f"“{TABLE_NAMES[k]}”"

    # -- which sheet is which
    def identify(self) -> dict[str, Sheet]:
        from ..profile import available, load_profile
        titles: dict[str, str] = {}
        labels: dict[str, str] = {}
        for k, names in TABLE_TITLES.items():
            for t in names:
                titles[norm(t)] = k
        try:
            for pname in available():
                for spec in load_profile(pname).tables:
                    titles.setdefault(norm(spec.title), spec.key)
        except InputError:
            pass
        prof = None
        unit = next((s for s in self.sheets if norm(s.name) == SHEET_UNIT), None)
        if unit is not None:
            hr = self.find_row(unit, lambda row: "项目" in row and "内容" in row, stop=8)
            if hr is not None:
                heads = [norm(v) for v in unit.rows[hr]]
                kc, vc = heads.index("项目"), heads.index("内容")
                for r in range(hr + 1, min(len(unit.rows), 60)):
                    if norm(unit.get(r, kc)) == "模板" and isinstance(unit.get(r, vc), str):
                        try:
                            prof = load_profile(unit.get(r, vc).strip())
                        except InputError:      # an unknown 模板 is reported where the unit sheet is read
                            prof = None
        if prof is not None:
            labels = {norm(t.label): t.key for t in prof.tables}
        text_names = {norm(s): s for s in TEXT_SHEETS + OPTIONAL_SHEETS + [SHEET_GUIDE]}
        found: dict[str, Sheet] = {}
        for sheet in self.sheets:
            n = norm(sheet.name)
            key = None
            if n in text_names:
                key = text_names[n]
                if key == SHEET_GUIDE:
                    self.unread_guide(sheet)
                    continue
            elif n in titles:
                key = "table:" + titles[n]
            elif n in labels:
                key = "table:" + labels[n]
            # the title written inside the sheet
            inner = self.inner_title(sheet, titles, labels)
            if key is None:
                if inner is None:       # a sheet of the user's own: not read, and said so
                    self.unread_cells(sheet, ((r, c) for r in range(len(sheet.rows)) for c in range(len(sheet.rows[r]))),
                                      f"工作表“{sheet.name}”不是本模板的工作表（表内标题也不是公开表的标题），没有读入",
                                      "要读入的数请填在对应的工作表；不需要的工作表可以删除")
                    continue
                key = "table:" + inner[0]
            elif key.startswith("table:") and inner is not None and inner[0] != key[6:]:
                self.problem(inner[1], f"工作表“{sheet.name}”里是“{TABLE_NAMES[inner[0]]}”，不是“{TABLE_NAMES[key[6:]]}”："
                                       f"请把表放进名为“{TABLE_NAMES[key[6:]]}”的工作表")
                continue
            if key in found:
                self.same_table(key, found, sheet)
                continue
            found[key] = sheet
        return found

    def same_table(self, key: str, found: dict[str, Sheet], sheet: Sheet) -> None:
        """Two sheets hold the same table. A hidden one (an old copy, “收入决算表 (2)”) is named as
        hidden: the user sees one table and would not know which the program reads. The visible one
        stays the sheet of the table, so its own problems are reported too."""
        first = found[key]
        what = TABLE_NAMES.get(key[6:], key) if key.startswith("table:") else key
        if first.hidden != sheet.hidden:
            hidden, shown = (first, sheet) if first.hidden else (sheet, first)
            found[key] = shown
            self.problem(f"{hidden.name}!A1", f"隐藏的工作表“{hidden.name}”与工作表“{shown.name}”是同一张表（{what}），"
                                              f"在 Excel 中看不到它，程序无法确定该读哪一张。要读可见的“{shown.name}”，"
                                              f"请删除隐藏的“{hidden.name}”（右键工作表标签→“取消隐藏”可先查看）；"
                                              f"要用隐藏的那张，请删除“{shown.name}”，再取消隐藏")
            return
        both = "（两张都是隐藏的）" if sheet.hidden else ""
        self.problem(f"{sheet.name}!A1", f"工作表“{first.name}”和“{sheet.name}”是同一张表（{what}）{both}：请只保留一张")

    @staticmethod
    def inner_title(sheet: Sheet, titles: dict[str, str], labels: dict[str, str]) -> tuple[str, str] | None:
        """(table key, cell) of a known title in the first rows; a 公开NN表 label as fallback."""
        by_label = None
        for r in range(min(len(sheet.rows), 6)):
            for c, v in enumerate(sheet.rows[r][:12]):
                if not isinstance(v, str):
                    continue
                n = norm(v)
                if n in titles:
                    return titles[n], sheet.addr(r, c)
                if n in labels and by_label is None:
                    by_label = (labels[n], sheet.addr(r, c))
        return by_label

    # -- meta rows: 金额单位 and 年度 must agree with 单位信息
    def check_meta(self, found: dict[str, Sheet]) -> None:
        unit = self.data.get("金额单位")
        year = self.data.get("年度")
        for key, sheet in found.items():
            if not key.startswith("table:"):
                continue
            for r in range(min(len(sheet.rows), 8)):
                for c, v in enumerate(sheet.rows[r][:20]):
                    if not isinstance(v, str):
                        continue
                    s = unicodedata.normalize("NFKC", v)
                    m = re.search(r"(?:金额)?单位:\s*(万元|元)", s)
                    if m and unit in ("元", "万元") and m.group(1) != unit:
                        self.problem(sheet.addr(r, c), f"表上写的金额单位是“{m.group(1)}”，“单位信息”中是“{unit}”："
                                                       f"数字会差一万倍，请核对后改成一致")
                    m = re.search(r"(\d{4})\s*年度", s)
                    if m and isinstance(year, int) and int(m.group(1)) != year:
                        self.problem(sheet.addr(r, c), f"表上写的是“{m.group(1)}年度”，“单位信息”中的年度是 {year}："
                                                       f"是否粘贴了别的年度的表？")

    # -- header helpers
    def header_block(self, sheet: Sheet, anchor: int, limit: int = 3) -> list[int]:
        """The header rows ending at ``anchor``: rows above it that hold column labels (not the
        title, label or meta row)."""
        rows = [anchor]
        r = anchor - 1
        while r >= 0 and len(rows) <= limit:
            texts = [v for v in (sheet.rows[r] if r < len(sheet.rows) else ()) if not is_blank(v)]
            if not texts:
                break
            if any(isinstance(v, str) and (":" in unicodedata.normalize("NFKC", v) or "年度" in v
                                           or re.fullmatch(r"公开\d+表", norm(v))) for v in texts):
                break
            if len(texts) == 1 and len(sheet.rows[anchor]) > 3 and norm(texts[0]) not in ("收入", "支出", "项目"):
                break           # a lone title
            rows.insert(0, r)
            r -= 1
        return rows

    @staticmethod
    def leaves(sheet: Sheet, rows: list[int]) -> dict[int, str]:
        """Per column, the lowest non-empty header label (normalized)."""
        out: dict[int, str] = {}
        for r in rows:
            for c, v in enumerate(sheet.rows[r] if r < len(sheet.rows) else ()):
                if not is_blank(v):
                    out[c] = norm(v)
        return out

    @staticmethod
    def groups(sheet: Sheet, row: int, width: int) -> dict[int, str]:
        """The top header row's labels carried right over the columns they span."""
        out, cur = {}, ""
        for c in range(width):
            v = sheet.get(row, c)
            if not is_blank(v):
                cur = norm(v)
            out[c] = cur
        return out

    def find_row(self, sheet: Sheet, test: Callable[[list[str]], bool], start: int = 0, stop: int = 25) -> int | None:
        for r in range(start, min(len(sheet.rows), stop)):
            if test([norm(v) for v in sheet.rows[r]]):
                return r
        return None

    def wrong_header(self, sheet: Sheet, key: str, expected: list[str]) -> None:
        shown = "、".join(expected[:4]) + ("……" if len(expected) > 4 else "")
        self.problem(f"{sheet.name}!A1", f"工作表“{sheet.name}”的表头不是{TABLE_NAMES[key]}（应有：{shown}）")

    def skip_number_row(self, sheet: Sheet, r: int) -> int:
        """After the header: skip a 栏次 row (label 栏次, or the column numbers 1, 2, 3 …)."""
        if r < len(sheet.rows):
            vals = [v for v in sheet.rows[r] if not is_blank(v)]
            if vals and norm(vals[0]) in ("栏次", "档次"):     # 档次: a published misprint (xiaohe 2022, 04表)
                return r + 1
            nums = []
            for v in vals:
                try:
                    nums.append(Decimal(norm(v)))
                except (InvalidOperation, ValueError):
                    nums = []
                    break
            if len(nums) >= 2 and nums == [Decimal(i) for i in range(1, len(nums) + 1)]:
                return r + 1
        return r

    # -- tables (each read by its layout: templates/layouts/, generator/layout.py)
    def layout_of(self, key: str, profile) -> tuple[Any, Any]:
        """The table's layout and its filler: the workbook's profile, else the first profile with the table."""
        from ..profile import available, load_profile
        spec = profile.table(key) if profile else None
        if spec is None:
            for name in available():
                try:
                    spec = load_profile(name).table(key)
                except InputError:
                    continue
                if spec is not None:
                    profile = load_profile(name)
                    break
        return spec.layout, spec.layout.filler(profile.texts)

    def read_table(self, key: str, sheet: Sheet, profile) -> None:
        layout, fill = self.layout_of(key, profile)
        reader = {"科目": self.read_subject_table, "对照": self.read_pair, "经济分类": self.read_06,
                  "单行": self.read_single, "清单": self.read_list_table}[layout.kind]
        reader(key, sheet, layout, fill, profile)

    def read_subject_table(self, key: str, sheet: Sheet, layout, fill, profile) -> None:
        table = layout.data
        columns = {(leaf.input if leaf.take == "合计" else leaf.take): [fill(leaf.title), *leaf.aliases]
                   for leaf in layout.leaves() if leaf.take not in ("编码", "名称")
                   and (leaf.take != "合计" or leaf.input)}
        expected = [labels[0] for labels in columns.values()]
        anchor = self.find_row(sheet, lambda row: any(v in CODE_LABELS for v in row))
        if anchor is None:
            self.wrong_header(sheet, key, ["科目编码", "科目名称", *expected])
            return
        block = self.header_block(sheet, anchor)
        leaves = self.leaves(sheet, block)
        code_col = next(c for c, v in enumerate(sheet.rows[anchor]) if norm(v) in CODE_LABELS)
        name_col = next((c for c, v in enumerate(sheet.rows[anchor]) if norm(v) in NAME_LABELS), code_col + 1)
        colmap: dict[str, int] = {}
        for data_key, labels in columns.items():
            wanted = [norm(x) for x in labels]
            for label in wanted:
                c = next((c for c, v in sorted(leaves.items()) if v == label and c not in colmap.values()
                          and c not in (code_col, name_col)), None)
                if c is not None:
                    colmap[data_key] = c
                    break
        missing = [k for k in columns if k not in colmap]
        if missing:
            self.wrong_header(sheet, key, [*expected])
            return
        rows: list[dict] = []
        self.data[table] = rows
        self.cells[(table,)] = sheet.addr(anchor, code_col)
        r = self.skip_number_row(sheet, anchor + 1)
        self.extent(sheet, [*block, *range(anchor + 1, r)])
        used = [code_col, name_col, *colmap.values()]
        for c, label in sorted(leaves.items()):       # a column of the header that is none of the table's
            if c not in used:
                self.unread_cells(sheet, ((rr, c) for rr in range(r, len(sheet.rows))),
                                  f"工作表“{sheet.name}”的“{label}”列不是{TABLE_NAMES.get(key, '本表')}的列，其中的内容没有读入",
                                  f"本表的列：{'、'.join(labels[0] for labels in columns.values())}")
        below_note = False
        for r in range(r, len(sheet.rows)):
            if all(is_blank(sheet.get(r, c)) for c in used):
                continue
            code_raw, name_raw = sheet.get(r, code_col), sheet.get(r, name_col)
            code_n, name_n = norm(code_raw), norm(name_raw)
            if code_n.startswith(("注", "说明")) or (is_blank(code_raw) and name_n.startswith(("注:", "说明:"))):
                below_note = True       # the table's note: the rows below it are its text ...
                continue
            if below_note and all(is_blank(sheet.get(r, c)) for c in colmap.values()) and not _is_code(code_raw):
                continue                # ... unless a row holds a figure or a 科目编码: then it is read
            i = len(rows)
            path = (table, i)
            if code_n == "合计" or (is_blank(code_raw) and name_n == "合计"):
                code = "合计"
                name = None
            elif is_blank(code_raw):
                self.cells[path] = sheet.addr(r, code_col)
                self.problem(sheet.addr(r, code_col), f"这一行（科目名称“{squash_name(name_raw or '')}”）缺少科目编码", path)
                continue
            else:
                m = re.fullmatch(r"(\d{3,7})\s*(\D.*)", unicodedata.normalize("NFKC", str(code_raw)).strip(), re.S)
                if m and is_blank(name_raw):           # "2011301 行政运行" in one cell
                    code_raw, name_raw = m.group(1), m.group(2)
                try:
                    code = parse_code(code_raw)
                except Bad as exc:
                    self.cells[path] = sheet.addr(r, code_col)
                    self.problem(sheet.addr(r, code_col), str(exc), path + ("科目编码",))
                    continue
                name = None if is_blank(name_raw) else squash_name(name_raw)
            row: dict[str, Any] = {"科目编码": code}
            self.cells[path] = sheet.addr(r, code_col)
            self.cells[path + ("科目编码",)] = sheet.addr(r, code_col)
            if code != "合计":
                self.cells[path + ("科目名称",)] = sheet.addr(r, name_col)
                if name:
                    row["科目名称"] = name
            for data_key, c in colmap.items():
                v = self.value(sheet, r, c, MONEY, path + (data_key,))
                if v is not None:
                    row[data_key] = v
            if code == "合计" and len(row) == 1:
                continue            # an empty 合计 row: nothing stated
            rows.append(row)

    def header_row(self, sheet: Sheet, titles: list[str]) -> int | None:
        """The first row holding every one of ``titles`` (as many times as listed)."""
        want = [norm(t) for t in titles]
        return self.find_row(sheet, lambda row: all(row.count(t) >= want.count(t) for t in set(want)))

    def read_pair(self, key: str, sheet: Sheet, layout, fill, profile) -> None:
        """对照 tables (01, 04): both sides' columns by position under their 项目 heads; the rows
        matched to the layout's rows by label, in order (a label may recur, as in 04)."""
        sides = layout.sides()
        label_titles = [fill(x.title) for s in sides for x in s.leaves() if x.take == "标签"]
        rows = layout.pair_rows(profile.classes if profile else self.any_classes(), fill)
        expected = [fill(s.title) for s in sides] + [fill(x.title) for x in sides[0].leaves()]
        anchor = self.header_row(sheet, label_titles)
        if anchor is None:
            self.wrong_header(sheet, key, expected)
            return
        self.extent(sheet, list(range(anchor, self.skip_number_row(sheet, anchor + 1))))
        heads = [norm(v) for v in sheet.rows[anchor]]
        starts = [c for c, v in enumerate(heads) if v == norm(label_titles[0])][:len(sides)]
        if len(starts) < len(sides):
            self.wrong_header(sheet, key, expected)
            return
        columns = []           # per side: (label col, [value cols])
        numbers = []           # the 行次 columns
        for side, start in zip(sides, starts):
            leaves = side.leaves()
            columns.append((start, [start + i for i, x in enumerate(leaves) if x.take == "值"]))
            numbers += [start + i for i, x in enumerate(leaves) if x.take == "行次"]

        def labels(entry) -> set[str]:
            return {norm_label(x) for x in (entry.label, *entry.aliases) if x}

        wanted = [[labels(row[s.title]) for s in sides] for row in rows]
        value_leaves = [[x for x in side.leaves() if x.take == "值"] for side in sides]
        cursor, matched_totals = 0, 0
        for r in range(self.skip_number_row(sheet, anchor + 1), len(sheet.rows)):
            seen = [norm_label(sheet.get(r, lc)) for lc, _ in columns]
            if seen[0].startswith(("注:", "说明:")):
                continue            # the table's note; a row below it is read like any other
            filled = [[c for c in cols if not is_blank(sheet.get(r, c))] for _, cols in columns]
            for c in numbers:
                self.not_a_row_number(sheet, r, c)
            i = next((i for i in range(cursor, len(rows)) if any(
                seen[k] and seen[k] in wanted[i][k] for k in range(len(sides)))), None)
            if i is not None:
                cursor = i + 1
            for k, side in enumerate(sides):
                entry = rows[i][side.title] if i is not None else None
                if seen[k] and (entry is None or seen[k] not in wanted[i][k]):
                    # this side's label names another row (the other side found this one), or none
                    j = next((j for j in range(len(rows)) if seen[k] in wanted[j][k]), None)
                    entry = rows[j][side.title] if j is not None else None
                if entry is None:
                    if filled[k]:
                        self.unknown_pair_row(sheet, r, columns[k][0], filled[k][0], key)
                    continue
                matched_totals += entry.total and seen[k] in labels(entry)
                paths = entry.spread("input", value_leaves[k], layout.name)
                figures = entry.spread("value", value_leaves[k], layout.name)
                for col, leaf, address, figure in zip(columns[k][1], value_leaves[k], paths, figures):
                    if address:
                        path = data_path(address)
                        v = self.value(sheet, r, col, MONEY, path)
                        if v is not None:
                            self.put(path, v)
                    elif col in filled[k]:
                        label = entry.label or next((rows[i][s.title].label for s in sides
                                                     if i is not None and rows[i][s.title].label), "")
                        self.typed_figure(sheet, r, col, key, figure, norm_label(label) or label,
                                          fill(leaf.title) if len(value_leaves[k]) > 1 else "")
        if not matched_totals:
            totals = [row[s.title].label for row in rows for s in sides if row[s.title].total]
            self.wrong_header(sheet, key, list(dict.fromkeys(totals)))

    def unknown_pair_row(self, sheet: Sheet, r: int, label_col: int, c: int, key: str) -> None:
        """A figure on a row of 01/04 whose label is none of the table's rows: not read, so refused."""
        raw = sheet.get(r, label_col)
        what = f"项目“{str(raw).strip()}”不是{TABLE_NAMES.get(key, '本表')}的项目" if not is_blank(raw) else \
            f"这一行没有项目名称（{col_letter(label_col)}{r + 1} 空白）"
        self.problem(sheet.addr(r, c), f"{what}，这一格的数“{_shown_amount(sheet.get(r, c))}”无法读入："
                                       f"请把它填在对应项目的行，或清空这一格")

    def not_a_row_number(self, sheet: Sheet, r: int, c: int) -> None:
        """The 行次 column holds row numbers (not read); an amount there (a paste one column off) is refused."""
        v = sheet.get(r, c)
        if is_blank(v) or not _numeric(v):
            return
        n = parse_money(v)
        if n is not None and (n != n.to_integral_value() or not 0 < n < 1000):
            self.problem(sheet.addr(r, c), f"“行次”列中是“{_shown_amount(v)}”，不是行次，没有读入：金额请填在右边的金额列"
                                           "（行次列只印行号）")

    def no_label(self, sheet: Sheet, r: int, kc: int, vc: int) -> None:
        """内容 on a row whose 项目 is blank (often the next paragraph of the text above): not read, so refused."""
        self.problem(sheet.addr(r, vc), f"这一行的“项目”（{col_letter(kc)}{r + 1}）空白，“内容”"
                                        f"“{_short(sheet.get(r, vc))}”无法读入：接着上一项写的文字请写在上一项的同一格"
                                        "（按 Alt+Enter 换行，空一行分段）；第一列的项目不要删除")

    def typed_figure(self, sheet: Sheet, r: int, c: int, key: str, figure: str | None, row: str, column: str) -> None:
        """A number typed into a grey cell (computed by the program, not read as data): kept to be
        compared with the computed figure (rule W-COMPUTED); a cell the table leaves blank is refused."""
        from ..model import TypedFigure
        addr = sheet.addr(r, c)
        if figure is None:
            self.problem(addr, f"这一格在{TABLE_NAMES.get(key, '本表')}中没有数（公开表中空白），填写的"
                               f"“{_shown_amount(sheet.get(r, c))}”无法读入：请清空这一格")
            return
        try:
            value = parse_money(sheet.get(r, c))
        except Bad as exc:
            self.problem(addr, f"{exc}（这一格由程序计算，可以不填；填了就与算出的数比较）")
            return
        if value is not None:
            self.typed.append(TypedFigure(figure, key, row, column, value, Source(self.file, None, "", addr)))

    @staticmethod
    def any_classes() -> list[tuple[str, str]]:
        from ..profile import available, load_profile
        return load_profile(available()[0]).classes

    @staticmethod
    def econ_heads() -> dict[str, set[str]]:
        """The 06 amount heads of every 经济分类 layout, by what they hold (基本支出, 金额)."""
        from ..layout import available, load_layout
        out: dict[str, set[str]] = {"基本支出": set(), "金额": set()}
        for name in available():
            layout = load_layout(name)
            if layout.kind == "经济分类":
                for c in layout.columns:
                    if c.take in out:
                        out[c.take].update(norm(x) for x in (c.title, *c.aliases))
        return out

    def read_06(self, key: str, sheet: Sheet, layout, fill, profile) -> None:
        """经济分类: groups of 编码 | 名称 | amounts side by side, read column after column;
        the amounts as 基本支出, or as 金额 with 其中：基本支出 (项目支出 = 金额 − 基本支出)."""
        heads_by_take = self.econ_heads()
        total_labels = {norm(t) for t in layout.econ_totals}
        expected = [*(fill(t) for t in layout.econ_group_titles), *(fill(c.title) for c in layout.columns)]
        anchor = self.find_row(sheet, lambda row: sum(v in CODE_LABELS for v in row) >= 1
                               and any(v in NAME_LABELS for v in row))
        if anchor is None:
            self.wrong_header(sheet, key, expected)
            return
        heads = [norm(v) for v in sheet.rows[anchor]]
        starts = [c for c, v in enumerate(heads) if v in CODE_LABELS]
        groups = []         # (code col, name col, {"basic": col, "amount": col})
        for n, s in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(heads)
            cols = {}
            name_col = s + 1
            for c in range(s + 1, end):
                h = heads[c]
                if h in NAME_LABELS:
                    name_col = c
                elif h in heads_by_take["基本支出"]:
                    cols["basic"] = c
                elif h in heads_by_take["金额"]:
                    cols["amount"] = c
            if "basic" not in cols:
                self.wrong_header(sheet, key, expected)
                return
            groups.append((s, name_col, cols))
        rows: list[dict] = []
        self.data["经济分类支出明细"] = rows
        totals: list[tuple[int, int, str]] = []
        per_group: list[list[tuple[int, dict, dict]]] = [[] for _ in groups]
        first = self.skip_number_row(sheet, anchor + 1)
        self.extent(sheet, list(range(anchor, first)))
        below_note = False
        for r in range(first, len(sheet.rows)):
            rowvals = sheet.rows[r]
            if all(is_blank(v) for v in rowvals):
                continue
            if norm(rowvals[0] if rowvals else "").startswith(("注:", "说明:")):
                below_note = True       # the table's note: the rows below it are its text, unless
                continue                # a group of a row holds a figure or an 经济分类 code
            if below_note and not any(_is_code(sheet.get(r, cc), (3, 5)) or any(
                    not is_blank(sheet.get(r, c)) for c in cols.values()) for cc, _, cols in groups):
                continue
            labels = [(c, norm(v)) for c, v in enumerate(rowvals) if norm(v) in total_labels]
            if labels:
                taken = set()
                for n, (c, lab) in enumerate(labels):
                    nxt = labels[n + 1][0] if n + 1 < len(labels) else 10 ** 6
                    g = max([g for g in groups if g[0] < nxt] or groups[:1], key=lambda g: g[0])
                    totals.append((r, groups.index(g), lab))
                    taken.add(groups.index(g))
                for gi, (cc, _, cols) in enumerate(groups):        # amounts under no total's label
                    typed = next((c for c in cols.values() if not is_blank(sheet.get(r, c))), None)
                    if gi not in taken and typed is not None:
                        self.problem(sheet.addr(r, typed), f"合计行的这一格“{_shown_amount(sheet.get(r, typed))}”不属于"
                                                           f"{'、'.join(x for _, x in labels)}，无法读入：请清空这一格")
                continue
            for gi, (cc, nc, cols) in enumerate(groups):
                code_raw = sheet.get(r, cc)
                if is_blank(code_raw):
                    typed = next((c for c in cols.values() if not is_blank(sheet.get(r, c))), None)
                    if typed is not None:
                        self.problem(sheet.addr(r, typed), f"这一格有数“{_shown_amount(sheet.get(r, typed))}”，但同一组的"
                                                           f"科目编码（{col_letter(cc)}{r + 1}）空白，无法读入：请填写经济分类"
                                                           "科目编码和名称，或清空这一格")
                    continue
                per_group[gi].append((r, {"code": code_raw, "name": sheet.get(r, nc)}, cols))
        # column-major: the first group top to bottom, then the next (the published reading order)
        for gi, items in enumerate(per_group):
            cc, nc, _ = groups[gi]
            for r, cell, cols in items:
                self._econ_row(sheet, rows, r, cc, nc, cell, cols)
        for r, gi, lab in totals:
            cc, nc, cols = groups[gi]
            self._econ_row(sheet, rows, r, cc, nc, {"code": lab, "name": None}, cols, total=True)

    def _econ_row(self, sheet: Sheet, rows: list, r: int, cc: int, nc: int, cell: dict, cols: dict,
                  total: bool = False) -> None:
        i = len(rows)
        path = ("经济分类支出明细", i)
        if total:
            code = cell["code"]
        else:
            try:
                code = parse_code(cell["code"], (3, 5))
            except Bad as exc:
                self.problem(sheet.addr(r, cc), f"经济分类{exc}", path + ("科目编码",))
                return
        basic = self.value(sheet, r, cols["basic"], MONEY, path + ("基本支出",))
        amount = self.value(sheet, r, cols["amount"], MONEY, path + ("项目支出",)) if "amount" in cols else None
        if basic is None and amount is None:
            self.cells.pop(path + ("基本支出",), None)
            self.cells.pop(path + ("项目支出",), None)
            return
        row: dict[str, Any] = {"科目编码": code}
        if not total and not is_blank(cell["name"]):
            row["科目名称"] = squash_name(cell["name"])
        if basic is not None:
            row["基本支出"] = basic
        if amount is not None:
            project = amount - (basic or 0)
            if project < 0:
                self.problem(sheet.addr(r, cols["amount"]), f"金额 {amount} 小于其中的基本支出 {basic}"
                                                           f"（金额 = 基本支出 + 项目支出）", path + ("项目支出",))
            elif project != 0 or basic is None:
                row["项目支出"] = project
        self.cells[path] = sheet.addr(r, cc)
        self.cells[path + ("科目编码",)] = sheet.addr(r, cc)
        if not total:
            self.cells[path + ("科目名称",)] = sheet.addr(r, nc)
        rows.append(row)

    def read_single(self, key: str, sheet: Sheet, layout, fill, profile) -> None:
        """单行 tables (三公): the header's leaf columns in the layout's order, the figures in
        the first row below the header (and its 栏次 row)."""
        leaves = layout.leaves()
        titles = [[norm(fill(x.title)), *(norm(a) for a in x.aliases)] for x in leaves]
        expected = list(dict.fromkeys(fill(c.title) for c in layout.columns)) + [fill(x.title) for x in leaves[:6]]
        found = None
        for top in range(min(len(sheet.rows), 25)):
            block = [r for r in range(top, min(top + 4, len(sheet.rows)))]
            low = self.leaves(sheet, block)
            cols = sorted(low)
            for start in range(len(cols) - len(leaves) + 1):
                run = cols[start:start + len(leaves)]
                if all(low[c] in t for c, t in zip(run, titles)):
                    found = (top, run)
                    break
            if found:
                break
        if found is None:
            self.wrong_header(sheet, key, expected)
            return
        top, run = found
        r = top + 1
        while r < len(sheet.rows) and r < top + 4:
            vals = [v for v in sheet.rows[r] if not is_blank(v)]
            if not vals or any(isinstance(v, (int, float, Decimal)) or re.fullmatch(r"[\d.,]+", norm(v)) for v in vals):
                break
            r += 1
        r = self.skip_number_row(sheet, r)
        while r < len(sheet.rows) and sheet.row_blank(r):
            r += 1
        self.extent(sheet, list(range(top, min(top + 4, r))), last=r)    # one row of figures
        for leaf, c in zip(leaves, run):
            if leaf.input:
                path = data_path(leaf.input)
                v = self.value(sheet, r, c, MONEY, path)
                if v is not None:
                    self.put(path, v)

    def read_list_table(self, key: str, sheet: Sheet, layout, fill, profile) -> None:
        """清单 tables (相关信息): the rows by label; a figure some rows share (机关运行经费,
        one row per 单位性质) may be filled in one of them only."""
        leaves = layout.leaves()
        label_leaf = next(x for x in leaves if x.take == "标签")
        value_leaf = next(x for x in leaves if x.take == "值")
        number_leaf = next((x for x in leaves if x.take == "行次"), None)
        rows = [e for e in layout.list_rows(profile.vehicle_labels if profile else {}, fill) if isinstance(e, Entry)]
        expected = [fill(layout.above_header), *(fill(x.title) for x in leaves)]
        head = self.header_row(sheet, [fill(label_leaf.title)] + ([fill(number_leaf.title)] if number_leaf else []))
        if head is None:
            self.wrong_header(sheet, key, expected)
            return
        self.extent(sheet, [head])
        heads = [norm(v) for v in sheet.rows[head]]
        label_col = heads.index(norm(fill(label_leaf.title)))
        value_titles = {norm(fill(value_leaf.title)), *(norm(a) for a in value_leaf.aliases)}
        value_col = next((c for c, v in enumerate(heads) if v in value_titles), label_col + 2)
        by_label: dict[str, Any] = {}
        for e in rows:
            for name in (e.label, *e.aliases, *(a for a, k in VEHICLE_ALIASES.items() if k in e.aliases)):
                by_label.setdefault(norm_label(name), e)
        headings = {norm_label(x) for x in (layout.above_header, *(t for e in layout.list_rows({}, fill)
                                                                     if isinstance(e, Line) for t in e.texts))}
        shared: dict[tuple, list[tuple[str, Any]]] = {}
        stated = 0
        number_col = heads.index(norm(fill(number_leaf.title))) if number_leaf else None
        for r in range(head + 1, len(sheet.rows)):
            if number_col is not None:
                self.not_a_row_number(sheet, r, number_col)
            raw = sheet.get(r, label_col)
            label = norm_label(raw)
            if not label and not is_blank(sheet.get(r, value_col)):
                self.unknown_pair_row(sheet, r, label_col, value_col, key)      # a figure on a row without a label
            if not label or label in headings or label == norm(fill(label_leaf.title)):
                continue
            if label.startswith(("注:", "说明:")):
                continue            # the table's note; a row below it that holds a figure is read too
            e = by_label.get(label)
            if e is None:
                if not is_blank(sheet.get(r, value_col)):
                    known = "、".join(dict.fromkeys(norm_label(x.label) for x in rows))
                    self.problem(sheet.addr(r, label_col), f"不认识的项目“{str(raw).strip()}”（本表的项目：{known}）")
                continue
            stated += 1
            if not e.input:
                continue
            path = data_path(e.input)
            if e.nature:
                v = self.value(sheet, r, value_col, COUNT if e.count else MONEY, path + (label,))
                self.cells.pop(path + (label,), None)
                places = shared.setdefault(path, [])
                if v is not None:
                    places.append((sheet.addr(r, value_col), v, e.label))
                    self.cells[path] = sheet.addr(r, value_col)
                elif path not in self.cells:
                    self.cells[path] = sheet.addr(r, value_col)
                continue
            v = self.value(sheet, r, value_col, COUNT if e.count else MONEY, path)
            if v is not None:
                self.put(path, v)
        for path, places in shared.items():
            if len(places) > 1:
                rows_named = "，或".join(dict.fromkeys(e.label for e in rows if e.input and data_path(e.input) == path))
                self.problem(places[1][0], f"{path[-1]}只能填在一行（{rows_named}）")
            if places:
                self.put(path, places[0][1])
        if not stated:
            self.wrong_header(sheet, key, expected)

    # -- text sheets
    def kv_header(self, sheet: Sheet) -> tuple[int, int, int] | None:
        r = self.find_row(sheet, lambda row: "项目" in row and "内容" in row, stop=8)
        if r is None:
            self.problem(f"{sheet.name}!A1", f"工作表“{sheet.name}”应有“项目”“内容”两列的表头（第一列是数据项，"
                                             f"内容列填写）")
            return None
        heads = [norm(v) for v in sheet.rows[r]]
        return r, heads.index("项目"), heads.index("内容")

    def read_key_values(self, sheet: Sheet, fields: list[Field], prefix: tuple,
                        code_table: tuple | None = None) -> None:
        header = self.kv_header(sheet)
        if header is None:
            return
        hr, kc, vc = header
        self.extent(sheet, [hr])
        heads = [norm(v) for v in sheet.rows[hr]]
        if "说明" in heads:       # the help column, never read: a number typed there is said (W-UNREAD)
            hc = heads.index("说明")
            end = next((r for r in range(hr + 1, len(sheet.rows)) if norm(sheet.get(r, kc)) in CODE_LABELS),
                       len(sheet.rows))        # 上年数: its 科目 table below has figures in that column
            self.unread_cells(sheet, ((r, hc) for r in range(hr + 1, end) if _numeric(sheet.get(r, hc))),
                              f"工作表“{sheet.name}”的“说明”列是提示文字，不读取，其中填写的数没有读入",
                              "数请填在“内容”列")
        by_label = {norm(label).replace("/", ""): f for f in fields for label in (f.label(prefix), *f.aliases)}
        seen: dict[tuple, str] = {}
        for r in range(hr + 1, len(sheet.rows)):
            raw_key = sheet.get(r, kc)
            key = re.sub(r"[/.·\\-]", "", norm(raw_key))
            if not key:
                if not is_blank(sheet.get(r, vc)):
                    self.no_label(sheet, r, kc, vc)
                continue
            if code_table and key in CODE_LABELS:
                self.read_code_table(sheet, code_table[0], code_table[1], header_row=r)
                break
            f = by_label.get(key)
            if f is None:
                if not is_blank(sheet.get(r, vc)):
                    known = "、".join(x.label(prefix) for x in fields[:6])
                    self.problem(sheet.addr(r, kc), f"不认识的项目“{str(raw_key).strip()}”（第一列不要修改；本表的项目如：{known}……）")
                continue
            if f.path in seen:
                self.problem(sheet.addr(r, kc), f"项目“{f.label(prefix)}”重复（{seen[f.path]} 已有）")
                continue
            seen[f.path] = sheet.addr(r, kc)
            v = self.value(sheet, r, vc, f.kind, f.path)
            if v is None:
                if f.required and sheet.addr(r, vc) not in [p.source.cell for p in self.problems]:
                    self.problem(sheet.addr(r, vc), f"必填项“{f.label(prefix)}”未填写（{f.help}）", f.path,
                                 REQUIRED, f.path[-1])
                    self.reported_required.add(f.path[-1])
                continue
            if f.kind == TEXT and f.path == ("单位名称",):
                v = clean_unit_name(v)
            self.put(f.path, v)
        for f in fields:
            if f.required and f.path not in seen:
                self.problem(f"{sheet.name}!A{hr + 2}", f"缺少必填项“{f.label(prefix)}”这一行",
                             kind=REQUIRED, key=f.path[-1])
                self.reported_required.add(f.path[-1])

    def read_code_table(self, sheet: Sheet, path: tuple, columns: dict[str, list[str]],
                        header_row: int | None = None, required: bool = False) -> dict | None:
        """科目编码 | 科目名称 | value columns → {code: value} (or {code: {column: value}})."""
        r0 = header_row if header_row is not None else self.find_row(
            sheet, lambda row: any(v in CODE_LABELS for v in row), stop=10)
        if r0 is None:
            if required:
                self.problem(f"{sheet.name}!A1", f"工作表“{sheet.name}”应有表头：科目编码、科目名称、{'、'.join(columns)}")
            return None
        self.extent(sheet, [r0])
        heads = [norm(v) for v in sheet.rows[r0]]
        code_col = next(c for c, v in enumerate(heads) if v in CODE_LABELS)
        colmap = {}
        for key, labels in columns.items():
            c = next((c for c, v in enumerate(heads) if v in [norm(x) for x in labels]), None)
            if c is None:
                self.problem(sheet.addr(r0, code_col), f"工作表“{sheet.name}”的表头缺少“{key}”列")
                return None
            colmap[key] = c
        single = len(columns) == 1
        kind = MONEY if single else LONGTEXT
        out: dict[str, Any] = {}
        for r in range(r0 + 1, len(sheet.rows)):
            code_raw = sheet.get(r, code_col)
            values_blank = all(is_blank(sheet.get(r, c)) for c in colmap.values())
            if is_blank(code_raw):
                if not values_blank:
                    self.problem(sheet.addr(r, code_col), "这一行有数但缺少科目编码")
                continue
            try:
                code = parse_code(code_raw)
            except Bad as exc:
                if not values_blank:
                    self.problem(sheet.addr(r, code_col), str(exc))
                continue
            if values_blank:
                continue
            if code in out:
                self.problem(sheet.addr(r, code_col), f"科目编码“{code}”重复")
                continue
            entry: dict[str, Any] = {}
            for key, c in colmap.items():
                p = path + (code,) if single else path + (code, key)
                v = self.value(sheet, r, c, kind, p)
                if v is not None:
                    entry[key] = v
            if not single:
                self.cells[path + (code,)] = sheet.addr(r, code_col)
            if entry:
                out[code] = entry[next(iter(columns))] if single else entry
        self.cells[path] = sheet.addr(r0, code_col)
        if out:
            self.put(path, out)
        return out

    def read_class_words(self, sheet: Sheet) -> None:
        self.read_code_table(sheet, ("情况说明", "类说明"), {k: [k] for k in CLASS_WORD_COLUMNS}, required=True)

    # -- 附件 forms (FORM_SHEETS: a key–value sheet and long sheets; 附件序号 = the number in 附件)
    def form_target(self, sheet: Sheet, r: int, c: int, key: str) -> tuple[int, dict] | None:
        """(index, ``key`` mapping) of the attachment numbered in (r, c); None (and a problem) if there is none."""
        raw = sheet.get(r, c)
        try:
            n = parse_count(raw)
        except Bad as exc:
            self.problem(sheet.addr(r, c), str(exc))
            return None
        items = self.data.get("附件") or []
        if n is None or not 1 <= n <= len(items):
            self.problem(sheet.addr(r, c), f"附件序号“{raw}”不在“附件”表中（应为 1–{len(items)}）")
            return None
        self.cells.setdefault(("附件", n - 1, key), sheet.addr(r, c))
        return n - 1, items[n - 1].setdefault(key, {})

    def read_forms(self, found: dict[str, Sheet]) -> None:
        for spec in FORM_SHEETS:
            if spec.sheet in found:
                self.read_form_fields(found[spec.sheet], spec)
            for name, key, columns in spec.lists:
                if name in found:
                    self.read_form_rows(found[name], spec, key, columns)

    def read_form_fields(self, sheet: Sheet, spec: FormSheets) -> None:
        r0 = self.find_row(sheet, lambda row: ATTACHMENT_NO in row and "项目" in row and "内容" in row, stop=8)
        if r0 is None:
            return
        self.extent(sheet, [r0])
        heads = [norm(v) for v in sheet.rows[r0]]
        nc, kc, vc = heads.index(ATTACHMENT_NO), heads.index("项目"), heads.index("内容")
        fields = {f.label(): f for f in spec.fields}
        for r in range(r0 + 1, len(sheet.rows)):
            label = str(sheet.get(r, kc) or "").strip()
            if not label and not is_blank(sheet.get(r, vc)):
                self.no_label(sheet, r, kc, vc)
            if not label or is_blank(sheet.get(r, vc)):
                continue
            f = fields.get(label)
            if f is None:
                self.problem(sheet.addr(r, kc), f"不认识的项目“{label}”（可用：{'、'.join(fields)}）")
                continue
            found_at = self.form_target(sheet, r, nc, spec.key)
            if found_at is None:
                continue
            i, target = found_at
            v = self.value(sheet, r, vc, f.kind, ("附件", i, spec.key) + f.path)
            if v is not None:
                d = target
                for part in f.path[:-1]:
                    d = d.setdefault(part, {})
                d[f.path[-1]] = v

    def read_form_rows(self, sheet: Sheet, spec: FormSheets, key: str, columns: tuple) -> None:
        r0 = self.find_row(sheet, lambda row: ATTACHMENT_NO in row and norm(columns[0][0]) in row, stop=8)
        if r0 is None:
            self.problem(f"{sheet.name}!A1", f"工作表“{sheet.name}”应有表头：{ATTACHMENT_NO}、{'、'.join(c[0] for c in columns)}")
            return
        self.extent(sheet, [r0])
        heads = [norm(v) for v in sheet.rows[r0]]
        nc = heads.index(ATTACHMENT_NO)
        cols = {c[0]: heads.index(norm(c[0])) for c in columns if norm(c[0]) in heads}
        for r in range(r0 + 1, len(sheet.rows)):
            if all(is_blank(sheet.get(r, c)) for c in cols.values()):
                continue
            found_at = self.form_target(sheet, r, nc, spec.key)
            if found_at is None:
                continue
            i, target = found_at
            rows = target.setdefault(key, [])
            path = ("附件", i, spec.key, key, len(rows))
            item: dict = {}
            for column in columns:
                if column[0] in cols:
                    where = column_path(column)
                    v = self.value(sheet, r, cols[column[0]], column[1], path + where)
                    if v is not None:
                        d = item
                        for part in where[:-1]:
                            d = d.setdefault(part, {})
                        d[where[-1]] = v
            self.cells[path] = sheet.addr(r, nc)
            rows.append(item)

    def read_list(self, sheet: Sheet, path: tuple, columns: list[str], optional: tuple[str, ...] = ()) -> None:
        r0 = self.find_row(sheet, lambda row: all(norm(c) in row for c in columns), stop=8)
        if r0 is None:
            self.problem(f"{sheet.name}!A1", f"工作表“{sheet.name}”应有表头：{'、'.join(columns)}")
            return
        self.extent(sheet, [r0])
        heads = [norm(v) for v in sheet.rows[r0]]
        cols = {c: heads.index(norm(c)) for c in columns}
        items = []
        for r in range(r0 + 1, len(sheet.rows)):
            if all(is_blank(sheet.get(r, c)) for c in cols.values()):
                continue
            i = len(items)
            item = {}
            for key, c in cols.items():
                v = self.value(sheet, r, c, TEXT, path + (i, key))
                if v is None and key in optional:
                    self.cells.pop(path + (i, key), None)
                elif v is None:
                    self.problem(sheet.addr(r, c), f"“{key}”未填写", path + (i, key))
                else:
                    item[key] = v
            self.cells[path + (i,)] = sheet.addr(r, cols[columns[0]])
            items.append(item)
        self.cells[path] = sheet.addr(r0, 0)
        if items:
            self.put(path, items)
