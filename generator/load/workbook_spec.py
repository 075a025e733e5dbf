"""The unit's workbook as the reader and the writer share it: sheet names, the rows of the
key–value sheets (``Field``), the columns of the list sheets, the 附件 form sheets, and the titles
and labels the published tables are known by. ``load/excel_reader.py`` reads workbooks laid out
this way; ``write/workbook.py`` writes the template and the filled workbook from it (docs/excel.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class SangongItems(Protocol):
    """What the workbook's rows need of a profile's 三公经费目录 (profile.SangongItems)."""
    total: str
    leaves: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]

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

# Sheets of “项目 | 内容” rows and the key their 项目 labels are relative to (Field.label): beside
# their cells a message names the item as the 项目 column writes it (model.Source.cell_path).
KEY_VALUE_SHEETS = {SHEET_UNIT: "", SHEET_LAST: "上年", SHEET_WORDS: "情况说明", SHEET_INFO: "相关信息统计",
                    SHEET_SELF_EVAL: "附件.项目自评", SHEET_OVERALL: "附件.整体自评"}

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

_LAST_FIELDS = [
    Field(("上年", "金额单位"), CHOICE, "本表上年数的金额单位；不填则与“单位信息”的金额单位相同"
          "（可照抄上年公开报告中的万元数）", ("元", "万元")),
    Field(("上年", "收入总计"), MONEY, "上年收入总计（公开01表）"),
    Field(("上年", "支出总计"), MONEY, "上年支出总计（公开01表）"),
    Field(("上年", "财政拨款收入总计"), MONEY, "上年财政拨款收入总计（公开04表）"),
    Field(("上年", "财政拨款支出总计"), MONEY, "上年财政拨款支出总计（公开04表）"),
    Field(("上年", "一般公共预算财政拨款支出"), MONEY, "上年一般公共预算财政拨款支出合计（公开05表）"),
    Field(("上年", "机关运行经费"), MONEY, "上年机关运行经费（行政单位、参公事业单位）"),
]


def last_fields(sangong: SangongItems) -> list[Field]:
    """The rows of 上年数: the fixed ones, then last year's 三公 items of the profile's 三公经费目录,
    its 合计 and 小计 (which may be left blank)."""
    return _LAST_FIELDS + [
        Field(("上年", "三公经费", k), MONEY, f"上年“三公”经费决算数：{k}"
              + ("（可不填，由各项计算；若填须相等）" if k == sangong.total or k in sangong.groups else ""))
        for k in (*sangong.leaves, sangong.total, *sangong.groups)]

INFO = ("相关信息统计",)
def info_fields(vehicle_kinds: list[str]) -> list[Field]:
    """The rows of 相关信息 (相关信息统计 of a profile without its table): the vehicle rows are the
    profile's kinds (车辆类别名称)."""
    return [
        Field(INFO + ("机关运行经费",), MONEY, "机关运行经费（行政单位、参公事业单位）"),
        *(Field(INFO + ("政府采购", k), MONEY, f"政府采购{k}（以合同签订为准）" if k == "合计" else f"政府采购：{k}")
          for k in ("合计", "货物", "工程", "服务")),
        Field(INFO + ("车辆", "车辆数合计"), COUNT, "年末车辆数合计（辆）"),
        *(Field(INFO + ("车辆", k), COUNT, f"{k}（辆）") for k in vehicle_kinds),
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
_WORD_FIELDS = [
    Field(("情况说明", "收入支出变动原因"), LONGTEXT, "第三部分 一：收入、支出总计与上年相比增减的主要原因"),
    Field(("情况说明", "财政拨款收支变动原因"), LONGTEXT, "第三部分 四：财政拨款收支增减的主要原因（不填则用上一项）"),
    Field(("情况说明", "一般公共预算支出变动原因"), LONGTEXT, "第三部分 五（一）：一般公共预算财政拨款支出增减的主要原因（不填则用上一项）"),
    Field(("情况说明", "预决算差异原因"), LONGTEXT, "第三部分 五（三）：一般公共预算财政拨款支出决算数与预算数不同的主要原因（上海）"),
    Field(("情况说明", "人员经费说明"), LONGTEXT, "第三部分 六：人员经费的补充说明（可不填）"),
    Field(("情况说明", "公用经费说明"), LONGTEXT, "第三部分 六：公用经费的补充说明（可不填）"),
    Field(("情况说明", "三公经费", "变动原因"), LONGTEXT, "第三部分 九：“三公”经费合计增减的主要原因"),
    Field(("情况说明", "三公经费", "{项目}"), LONGTEXT, ""),       # here: each item's 变动原因 and 用途 (word_fields)
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



def word_fields(sangong: SangongItems) -> list[Field]:
    """The rows of 情况说明, each 三公 item's 变动原因 and 用途 (the profile's 三公经费目录) in its place."""
    out = []
    for f in _WORD_FIELDS:
        if f.path[-1] == "{项目}":
            out += [Field(("情况说明", "三公经费", item, what), LONGTEXT, f"第三部分 九：{item}的{what}")
                    for item in sangong.leaves for what in _REASON_USE]
        else:
            out.append(f)
    return out


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
