"""Load a unit's data file: YAML → structure check (JSON Schema) → typed model.

Every problem names the file, the line and the key path, and says what was expected; all
problems found are reported together (InputError), nothing is half-loaded.
"""
from __future__ import annotations

import difflib
import json
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema

from ..errors import InputError, Problem
from ..model import (FundRow, Indicator, SelfEval, WORD_MONEY_KEYS, WORD_NUMBER_KEYS, EconRow, LastYear, PURCHASE_KINDS,
                     SANGONG_ITEMS, SUBJECT_TABLES, TOTAL_COLUMN, VEHICLE_KINDS, Source, Stated, SubjectRow, Unit)
from .excel_reader import read_xls, read_xlsx
from .yaml_reader import Located, RawInt, path_str, read_yaml

SCHEMA_PATH = Path(__file__).with_name("unit.schema.json")


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


@lru_cache(maxsize=1)
def _fast_validator():
    """The same schema compiled to Python code: ~15x faster on a valid file."""
    return fastjsonschema.compile(schema())


READERS = {".yaml": read_yaml, ".yml": read_yaml, ".xlsx": read_xlsx, ".xlsm": read_xlsx, ".xls": read_xls}   # suffix -> reader returning Located


def read_located(path: Path | str) -> Located:
    """Any supported unit file -> its plain values and their places, structure-checked."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError([Problem(Source(str(path)), f"应为单位数据文件（{'、'.join(sorted(READERS))}）")])
    located = reader(path)
    validate_structure(located)
    return located


def load_unit(path: Path | str) -> Unit:
    """Any supported unit file -> typed model. Readers differ; checking and building do not."""
    return Builder(read_located(path)).build()


# ---------------------------------------------------------------- structure (JSON Schema)

_TYPE_ZH = {"number": "数字", "string": "文字", "integer": "整数", "object": "“键: 值”映射",
            "array": "列表（每项以“-”开头）", "null": "空", "boolean": "是/否"}


def _expected_types(t: Any) -> str:
    types = [t] if isinstance(t, str) else list(t)
    return "或".join(_TYPE_ZH.get(x, x) for x in types if x != "null")


def _known_keys(error: jsonschema.ValidationError) -> list[str]:
    props = error.schema.get("properties") if isinstance(error.schema, dict) else None
    return list(props or {})


def _message(error: jsonschema.ValidationError) -> tuple[tuple, str]:
    """(path, Chinese message) for one schema error."""
    path = tuple(error.absolute_path)
    v, inst = error.validator, error.instance
    if v == "additionalProperties":
        known = _known_keys(error)
        extra = [k for k in inst if k not in known] if isinstance(inst, dict) else []
        key = extra[0] if extra else "?"
        hint = difflib.get_close_matches(key, known, n=1, cutoff=0.4)
        tip = f"，是否应为“{hint[0]}”？" if hint else "。"
        allowed = "、".join(known[:12]) + ("……" if len(known) > 12 else "")
        return path + (key,), f"未知的键“{key}”{tip}此处可用的键：{allowed}"
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return path, f"缺少必填项“{missing}”"
    if v == "type":
        shown = _show(inst)
        return path, f"应为{_expected_types(error.validator_value)}，实际是{shown}"
    if v == "enum":
        return path, f"应为以下之一：{'、'.join(map(str, error.validator_value))}，实际是“{inst}”"
    if v == "pattern":
        if path and path[-1] == "科目编码" or (path and path[-1] != path_str(path)):
            pass
        return path, f"格式不对：“{inst}”（{_pattern_hint(path, error.validator_value)}）"
    if v == "propertyNames":
        return path, f"键“{inst}”应为科目编码（3、5 或 7 位数字）"
    if v in ("minimum", "maximum"):
        return path, f"数值“{inst}”超出范围（{'不小于' if v == 'minimum' else '不大于'} {error.validator_value}）"
    if v == "minLength":
        return path, "不能为空"
    return path, f"不符合数据格式：{error.message}"


def _pattern_hint(path: tuple, pattern: str) -> str:
    last = path[-1] if path else ""
    if last == "科目编码":
        return "科目编码应为 3、5 或 7 位数字，或“合计”"
    if last == "模板":
        return "模板名只含字母、数字、- 和 _"
    return "应为金额，如 1234.56"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "“键: 值”映射"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, bool):
        return f"是/否值“{value}”"
    if value is None:
        return "空"
    return f"“{value}”"


def validate_structure(located: Located) -> None:
    """Fast path: the compiled validator accepts most files in a few ms. When it refuses, the
    full validator collects every error with its path, for one message per problem."""
    try:
        _fast_validator()(located.data)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    errors = sorted(_validator().iter_errors(located.data), key=lambda e: list(map(str, e.absolute_path)))
    problems = []
    seen = set()
    for err in errors:
        # anyOf/allOf wrappers: report the innermost, most specific errors
        leaves = list(_leaf_errors(err))
        for leaf in leaves:
            path, msg = _message(leaf)
            if (path, msg) in seen:
                continue
            seen.add((path, msg))
            problems.append(Problem(located.source(path), msg))
    if problems:
        raise InputError(problems)


def _leaf_errors(err: jsonschema.ValidationError):
    if err.context:
        for sub in err.context:
            yield from _leaf_errors(sub)
    else:
        yield err


# ---------------------------------------------------------------- typed model

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Unit text as data: strip control characters (invalid in DOCX XML, and reserved)."""
    return _CONTROL.sub("", text).strip()


class Builder:
    """Turns validated plain values into the typed model, converting amounts exactly."""

    def __init__(self, located: Located):
        self.loc = located
        self.d = located.data
        self.problems: list[Problem] = []
        self.stated: list[Stated] = []

    def src(self, *parts) -> Source:
        return self.loc.source(tuple(parts))

    def _decimal(self, value: Any, parts: tuple, what: str, example: str) -> Decimal | None:
        """``value`` as a Decimal (blank and “——” are None); a problem naming ``what`` otherwise."""
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            self.problems.append(Problem(self.src(*parts), f"应为{what}，实际是“{value}”"))
            return None
        if isinstance(value, int):
            return Decimal(int(value))
        if isinstance(value, Decimal):
            dec = value
        else:
            text = str(value).strip().replace(",", "")
            if text in ("", "——", "-", "—"):
                return None
            try:
                dec = Decimal(text)
            except InvalidOperation:
                self.problems.append(Problem(self.src(*parts), f"应为{what}（如 {example}），实际是“{value}”"))
                return None
        if not dec.is_finite():
            self.problems.append(Problem(self.src(*parts), f"应为{what}，实际是“{value}”"))
            return None
        return dec

    def money(self, value: Any, *parts) -> Decimal | None:
        dec = self._decimal(value, parts, "金额", "1234.56")
        if dec is not None and dec.as_tuple().exponent < -2:  # type: ignore[operator]
            self.problems.append(Problem(self.src(*parts), f"金额“{value}”超过两位小数"))
        return dec

    def stated_money(self, label: str, value: Any, *parts) -> None:
        dec = self.money(value, *parts)
        if dec is not None:
            self.stated.append(Stated(label, dec, self.src(*parts)))

    @staticmethod
    def code(value: Any) -> str:
        if isinstance(value, RawInt):
            return value.raw
        return str(value).strip()

    # -- tables
    def subject_rows(self, table: str) -> list[SubjectRow]:
        rows = []
        columns = SUBJECT_TABLES[table]
        total_col = TOTAL_COLUMN[table]
        seen: dict[str, int] = {}
        for i, raw in enumerate(self.d.get(table) or []):
            code = self.code(raw["科目编码"])
            if code in seen:
                self.problems.append(Problem(self.src(table, i, "科目编码"),
                                             f"科目编码“{code}”在本表中重复（第 {seen[code] + 1} 行已有）"))
                continue
            seen[code] = i
            name = (raw.get("科目名称") or "").strip()
            if code != "合计" and not name:
                self.problems.append(Problem(self.src(table, i), f"科目“{code}”缺少科目名称"))
            values = {c: self.money(raw.get(c), table, i, c) for c in columns}
            stated = self.money(raw.get(total_col), table, i, total_col) if total_col else None
            rows.append(SubjectRow(code, name, values, self.src(table, i), stated))
        return rows

    def econ_rows(self) -> list[EconRow]:
        out = []
        seen: set[str] = set()
        for i, raw in enumerate(self.d.get("经济分类支出明细") or []):
            code = self.code(raw["科目编码"])
            if code in seen:
                self.problems.append(Problem(self.src("经济分类支出明细", i, "科目编码"), f"经济分类科目“{code}”重复"))
                continue
            seen.add(code)
            basic = self.money(raw.get("基本支出"), "经济分类支出明细", i, "基本支出")
            project = self.money(raw.get("项目支出"), "经济分类支出明细", i, "项目支出")
            if "金额" in raw:
                self.stated_money(f"经济分类支出明细 {code} 金额", raw.get("金额"), "经济分类支出明细", i, "金额")
            out.append(EconRow(code, raw.get("科目名称"), basic, project, self.src("经济分类支出明细", i)))
        return out

    def kinds_map(self, section: dict | None, *parts) -> dict[str, Decimal | None]:
        section = section or {}
        return {k: self.money(v, *parts, k) for k, v in section.items()}

    def sangong(self, section: dict | None, label: str, *parts) -> dict[str, Decimal | None]:
        """The four items; a stated 合计 / 公务用车购置及运行维护费 is kept as ``{label}{key}``."""
        section = section or {}
        out = {k: self.money(section.get(k), *parts, k) for k in SANGONG_ITEMS}
        for k in ("合计", "公务用车购置及运行维护费"):
            if k in section:
                self.stated_money(f"{label}{k}", section.get(k), *parts, k)
        return out

    def code_map(self, mapping: dict | None, *parts) -> dict[str, Decimal]:
        out = {}
        for k, v in (mapping or {}).items():
            dec = self.money(v, *parts, k)
            if dec is not None:
                out[self.code(k)] = dec
        return out

    def number(self, value: Any, *parts, places: int = 4) -> Decimal | None:
        """A figure of an attachment (万元 with three decimals, a score, “64.78%”): Decimal."""
        if isinstance(value, str):
            value = value.strip().rstrip("%")
        dec = self._decimal(value, parts, "数字", "92.635")
        if dec is not None and dec.as_tuple().exponent < -places:  # type: ignore[operator]
            self.problems.append(Problem(self.src(*parts), f"数字“{value}”不合要求（最多 {places} 位小数）"))
            return None
        return dec

    def self_evals(self, year: int) -> dict[int, SelfEval]:
        """附件 that carry a 项目支出绩效自评表."""
        out: dict[int, SelfEval] = {}
        for i, a in enumerate(self.d.get("附件") or []):
            ev = a.get("项目自评")
            if not ev:
                continue
            base = ("附件", i, "项目自评")
            t = lambda v: clean_text(str(v)) if v is not None else ""  # noqa: E731
            funds = [FundRow(name=t(f["名称"]), start=self.number(f.get("年初预算数"), *base, "资金", j, "年初预算数"),
                             declared=self.number(f.get("目标申报数"), *base, "资金", j, "目标申报数"),
                             planned=self.number(f.get("预算编制数"), *base, "资金", j, "预算编制数"),
                             budget=self.number(f.get("全年预算数"), *base, "资金", j, "全年预算数"),
                             spent=self.number(f.get("全年执行数"), *base, "资金", j, "全年执行数"),
                             note=t(f.get("偏差原因")))
                     for j, f in enumerate(ev.get("资金") or [])]
            indicators = [Indicator(level1=t(x["一级指标"]), level2=t(x.get("二级指标")), level3=t(x.get("三级指标")),
                                    target=t(x.get("年度指标值") or x.get("年初指标值")),
                                    adjusted=t(x.get("调整后指标值")), actual=t(x.get("实际完成值")),
                                    weight=self.number(x.get("分值"), *base, "指标", j, "分值"),
                                    score=self.number(x.get("得分"), *base, "指标", j, "得分"),
                                    note=t(x.get("偏差原因")))
                          for j, x in enumerate(ev.get("指标") or [])]
            typed = {k: (self.number(v, *base, "填写", k) if k != "等级" else t(v))
                     for k, v in (ev.get("填写") or {}).items()}
            out[i] = SelfEval(title=t(a["名称"]), project=t(ev.get("项目名称") or a["名称"]),
                              year=int(ev.get("年度") or year), dept=t(ev.get("主管部门")),
                              dept_code=t(ev.get("主管部门代码")), unit=t(ev.get("实施单位")),
                              unit_code=t(ev.get("实施单位代码")), funds=funds,
                              fund_weight=self.number(ev.get("资金分值"), *base, "资金分值"),
                              goal=t(ev.get("年度目标")), result=t(ev.get("实际完成情况")),
                              indicators=indicators,
                              analysis={str(k): t(v) for k, v in (ev.get("分析") or {}).items()},
                              typed=typed, path=f"附件[{i}].项目自评")
        return out

    def last_year(self) -> LastYear | None:
        ly = self.d.get("上年")
        if not ly:
            return None
        m = lambda k: self.money(ly.get(k), "上年", k)  # noqa: E731
        return LastYear(
            income_total=m("收入总计"), expense_total=m("支出总计"),
            fiscal_income_total=m("财政拨款收入总计"), fiscal_expense_total=m("财政拨款支出总计"),
            gp_expense=m("一般公共预算财政拨款支出"),
            gp_by_class=self.code_map(ly.get("一般公共预算财政拨款支出按类"), "上年", "一般公共预算财政拨款支出按类"),
            sangong=self.sangong(ly.get("三公经费"), "上年三公经费", "上年", "三公经费") if ly.get("三公经费") is not None else {},
            admin_cost=m("机关运行经费"),
            src=self.src("上年"),
            money_unit=ly.get("金额单位") or "",
        )

    def words(self) -> dict[str, Any]:
        """情况说明 with amounts converted to Decimal; texts stripped."""
        w = self.d.get("情况说明") or {}

        def conv(value: Any, parts: tuple) -> Any:
            if isinstance(value, dict):
                return {k: conv(v, parts + (k,)) for k, v in value.items()}
            if isinstance(value, list):
                return [conv(v, parts + (i,)) for i, v in enumerate(value)]
            if parts and parts[-1] in WORD_MONEY_KEYS + WORD_NUMBER_KEYS:
                return self.money(value, *parts)
            if isinstance(value, str):
                return clean_text(value)
            if isinstance(value, RawInt):
                return int(value)
            return value

        return conv(w, ("情况说明",))

    def build(self) -> Unit:
        d = self.d
        tables = {t: self.subject_rows(t) for t in SUBJECT_TABLES}
        summary_raw = d.get("收入支出决算总表") or {}
        summary = {}
        for k in ("使用非财政拨款结余", "年初结转和结余", "结余分配", "年末结转和结余"):
            summary[k] = self.money(summary_raw.get(k), "收入支出决算总表", k)
        for k in ("一般公共预算财政拨款收入", "政府性基金预算财政拨款收入", "国有资本经营预算财政拨款收入",
                  "本年收入合计", "本年支出合计", "收入总计", "支出总计"):
            if k in summary_raw:
                self.stated_money(f"收入支出决算总表 {k}", summary_raw.get(k), "收入支出决算总表", k)
        fiscal_raw = d.get("财政拨款收入支出决算总表") or {}
        fiscal = {sec: self.kinds_map(fiscal_raw.get(sec), "财政拨款收入支出决算总表", sec)
                  for sec in ("年初财政拨款结转和结余", "本年收入", "年末财政拨款结转和结余", "合计")}
        sg_raw = d.get("三公经费") or {}
        sangong = {k: self.sangong(sg_raw.get(k), f"三公经费{k}", "三公经费", k) for k in ("预算数", "决算数")}
        info = d.get("相关信息统计") or {}
        purchase_raw = info.get("政府采购") or {}
        purchase = {k: self.money(purchase_raw.get(k), "相关信息统计", "政府采购", k) for k in PURCHASE_KINDS}
        if "合计" in purchase_raw:
            self.stated_money("政府采购合计", purchase_raw.get("合计"), "相关信息统计", "政府采购", "合计")
        vehicles_raw = info.get("车辆") or {}
        vehicles = {k: (int(vehicles_raw[k]) if vehicles_raw.get(k) is not None else None) for k in VEHICLE_KINDS}
        if vehicles_raw.get("车辆数合计") is not None:
            self.stated.append(Stated("车辆数合计", Decimal(int(vehicles_raw["车辆数合计"])),
                                      self.src("相关信息统计", "车辆", "车辆数合计")))
        overview = d.get("概况") or {}
        if d.get("公开金额单位") == "元" and d["金额单位"] == "万元":
            self.problems.append(Problem(self.src("公开金额单位"), "公开金额单位为元时，金额单位也须为元："
                                         "万元的数字已经四舍五入，不能还原为元（请填写决算软件导出的元数据）"))
        unit = Unit(
            file=self.loc.file,
            name=clean_text(d["单位名称"]),
            year=int(d["年度"]),
            report_kind=d["报告类型"],
            nature=d["单位性质"],
            money_unit=d["金额单位"],
            report_unit=d.get("公开金额单位") or "",
            profile=d["模板"],
            duty=clean_text(overview.get("职责") or ""),
            organisation=clean_text(overview.get("机构设置") or ""),
            subject_tables=tables,
            econ_rows=self.econ_rows(),
            summary=summary,
            fiscal=fiscal,
            sangong=sangong,
            purchase=purchase,
            admin_cost=self.money(info.get("机关运行经费"), "相关信息统计", "机关运行经费"),
            vehicles=vehicles,
            big_equipment=int(info["单价100万元以上设备"]) if info.get("单价100万元以上设备") is not None else None,
            last_year=self.last_year(),
            budget=self.code_map((d.get("年初预算") or {}).get("一般公共预算财政拨款支出"), "年初预算", "一般公共预算财政拨款支出"),
            full_budget=self.code_map((d.get("全年预算") or {}).get("一般公共预算财政拨款支出"),
                                      "全年预算", "一般公共预算财政拨款支出"),
            members=[(clean_text(m["单位名称"]), clean_text(m.get("备注") or "")) for m in overview.get("单位构成") or []],
            self_evals=self.self_evals(int(d["年度"])),
            words=self.words(),
            attachments=[a["名称"].strip() for a in d.get("附件") or []],
            stated=self.stated,
            previous_file=d.get("上年数据文件"),
            sources=self.loc.all_sources(),
        )
        if self.problems:
            raise InputError(self.problems)
        return unit
