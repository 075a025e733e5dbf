"""The typed model: validated plain values → ``generator/model.py``'s ``Unit``, amounts converted
exactly (``Decimal``), every problem (not a number, more than two decimals, a repeated 科目编码 …)
collected and raised together (``InputError``). Used by ``unit_loader`` and by ``excel_reader``."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import REQUIRED, InputError, Problem
from ..layout import available as available_layouts, load_layout
from ..ratios import REPORT_RATIOS, catalogue as ratio_catalogue
from ..model import (EvalReport, FundRow, Indicator, OverallEval, OverallIndicator, SelfEval, WORD_MONEY_KEYS, WORD_NUMBER_KEYS, EconRow, LastYear, PURCHASE_KINDS,
                     SUBJECT_TABLES, TOTAL_COLUMN, Source, Stated, SubjectRow, Unit)
from .yaml_reader import Located, RawInt

# The keys that say who and what a file is; a file with only these and 附件 holds attachments alone.
IDENTITY_KEYS = {"单位名称", "年度", "模板", "报告类型", "单位性质", "金额单位", "公开金额单位"}


def _text(value: Any) -> str:
    """A text of an attachment: cleaned, blank for none."""
    return clean_text(str(value)) if value is not None else ""


def holds_only_attachments(data: dict) -> bool:
    """Whether a unit file's data is 附件 alone: every other key is an identity key or empty (a
    workbook's empty table sheets read as empty lists)."""
    return bool(data.get("附件")) and all(k in IDENTITY_KEYS or k == "附件" or v in (None, "", [], {})
                                          for k, v in data.items())


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Unit text as data: strip control characters (invalid in DOCX XML, and reserved)."""
    return _CONTROL.sub("", text).strip()


MAX_INTEGER_DIGITS = 15   # 999 999 999 999 999.99 元: beyond any budget; keeps Decimal arithmetic exact


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
            self.problems.append(Problem(self.src(*parts), f"应为{what}，实际是“{self.loc.shown(parts, value)}”"))
            return None
        if isinstance(value, int):
            dec = Decimal(int(value))
        elif isinstance(value, Decimal):
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
        if dec != 0 and dec.adjusted() >= MAX_INTEGER_DIGITS:
            self.problems.append(Problem(self.src(*parts), f"{what}“{value}”过大：最多 {MAX_INTEGER_DIGITS} 位整数"
                                                           "（千万亿以内）；请检查是否多输了数字或填错了单位"))
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
                first = self.src(table, seen[code], "科目编码")      # a workbook names the earlier row's cell
                where = f"{first.cell} 已有" if first.cell else f"第 {seen[code] + 1} 行已有"
                self.problems.append(Problem(self.src(table, i, "科目编码"), f"科目编码“{code}”在本表中重复（{where}）"))
                continue
            seen[code] = i
            name = (raw.get("科目名称") or "").strip()   # blank: named by another table or the
            # year's catalogue when the tables are derived (derive.totals), else a problem there
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
        """One 三公 column as the file writes it, every key (the profile's 三公经费目录 says which are
        items, 小计 and 合计: derive reads it; a key it does not know is refused there). Each written
        figure is also kept as ``{label}{key}``: a stated 小计 or 合计 is checked against its items."""
        section = section or {}
        out = {}
        for k, v in section.items():
            out[str(k)] = dec = self.money(v, *parts, k)
            if dec is not None:
                self.stated.append(Stated(f"{label}{k}", dec, self.src(*parts, k)))
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
        for i, a, ev, base in self.attached("项目自评"):
            t = _text
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

    def attached(self, kind: str):
        """(index, attachment, its ``kind`` mapping, key path) of each 附件 that carries a ``kind``."""
        for i, a in enumerate(self.d.get("附件") or []):
            if a.get(kind):
                yield i, a, a[kind], ("附件", i, kind)

    def form_layout(self, name: str, kind: str, base: tuple) -> str:
        """An attachment's own 版式: a layout of ``kind`` (else a message, and the profile's is used)."""
        if name and (name not in available_layouts() or load_layout(name).kind != kind):
            choices = [n for n in available_layouts() if load_layout(n).kind == kind]
            self.problems.append(Problem(self.src(*base, "版式"), f"“{name}”不是{kind}的版式（可用：{'、'.join(choices)}）"))
            return ""
        return name

    def overall_evals(self, year: int) -> dict[int, OverallEval]:
        """附件 that carry a 部门整体支出绩效自评表."""
        out: dict[int, OverallEval] = {}
        t = _text
        for i, a, ev, base in self.attached("整体自评"):
            funds_raw = ev.get("资金") or {}
            funds = {k: self.number(funds_raw.get(k), *base, "资金", k)
                     for k in ("上年结转", "年初预算", "预算调整", "其他调整", "预算执行")}
            indicators = []
            for j, x in enumerate(ev.get("指标") or []):
                where = (*base, "指标", j)
                name = t(x.get("比率"))
                if name and name not in ratio_catalogue():
                    self.problems.append(Problem(self.src(*where, "比率"), f"比率“{name}”未定义（可用："
                                                 f"{'、'.join(ratio_catalogue())}；见 templates/catalogs/ratios.yaml）"))
                    name = ""
                inputs = {str(k): v for k, raw in (x.get("数据") or {}).items()
                          if (v := self.number(raw, *where, "数据", k)) is not None}
                typed_raw = x.get("填写") or {}
                typed = {"结果": self.number(typed_raw.get("结果"), *where, "填写", "结果"),
                         "计算": t(typed_raw.get("计算"))}
                indicators.append(OverallIndicator(
                    level1=t(x["一级指标"]), level2=t(x.get("二级指标")), level3=t(x["三级指标"]),
                    weight=self.number(x.get("分值"), *where, "分值"),
                    reference=self.number(x.get("参考分值"), *where, "参考分值"),
                    analysis=t(x.get("计算分析")), ratio=name, inputs=inputs,
                    score=self.number(x.get("得分"), *where, "得分"),
                    typed={k: v for k, v in typed.items() if v not in (None, "")}))
            typed_raw = ev.get("填写") or {}
            layout = self.form_layout(t(ev.get("版式")), "整体自评表", base)
            out[i] = OverallEval(
                title=t(a["名称"]), year=int(ev.get("年度") or year), head=t(ev.get("单位负责人")),
                phone=t(ev.get("联系电话")), date=t(ev.get("填报日期")), funds=funds,
                stated_balance=self.number(funds_raw.get("年末结余"), *base, "资金", "年末结余"),
                narrative=[(t(n.get("标题")), t(n["内容"])) for n in ev.get("情况") or []],
                indicators=indicators,
                reviewers=[(t(r["姓名"]), t(r.get("职务")), t(r.get("科室"))) for r in ev.get("评价人员") or []],
                typed={k: v for k, v in {"综合得分": self.number(typed_raw.get("综合得分"), *base, "填写", "综合得分"),
                                         "等级": t(typed_raw.get("等级"))}.items() if v not in (None, "")},
                layout=layout, path=f"附件[{i}].整体自评")
        return out

    def eval_reports(self, year: int) -> dict[int, EvalReport]:
        """附件 that carry a 部门整体支出绩效评价报告 (and a message for an attachment with two forms)."""
        out: dict[int, EvalReport] = {}
        for i, a in enumerate(self.d.get("附件") or []):
            kinds = [k for k in ("项目自评", "整体自评", "评价报告") if a.get(k)]
            if len(kinds) > 1:
                self.problems.append(Problem(self.src("附件", i), f"一个附件只能是一种：这里同时写了{'、'.join(kinds)}"))
        t = _text
        for i, a, ev, base in self.attached("评价报告"):
            goals = ev.get("绩效目标") or {}
            funds_raw = ev.get("资金") or {}
            buy = ev.get("政府采购") or {}
            score = ev.get("评分") or {}
            problems = []
            for j, p in enumerate(ev.get("问题") or []):
                name = t(p.get("比率"))
                if name and name not in REPORT_RATIOS:
                    self.problems.append(Problem(self.src(*base, "问题", j, "比率"),
                                                 f"比率“{name}”不能用在评价报告的问题中（可用：{'、'.join(REPORT_RATIOS)}）"))
                    name = ""
                problems.append((t(p.get("标题")), name, t(p["内容"])))
            typed_raw = ev.get("填写") or {}
            typed = {k: (t(v) if k == "等级" else self.number(v, *base, "填写", k)) for k, v in typed_raw.items()}
            out[i] = EvalReport(
                title=t(a["名称"]), year=int(ev.get("年度") or year), implementer=t(ev.get("实施单位")),
                client=t(ev.get("委托单位")), evaluator=t(ev.get("评价机构")), date=t(ev.get("日期")),
                intro=t(ev.get("引言")), overview=t(ev.get("部门概况")), goals_intro=t(goals.get("引言")),
                overall_goal=t(goals.get("总体目标")),
                duties=[(t(x["工作目标"]), t(x.get("目标内容"))) for x in goals.get("履职目标") or []],
                tasks=[t(x) for x in goals.get("核心任务") or []],
                indicators=[(t(x["一级指标"]), t(x.get("二级指标")), t(x["三级指标"]), t(x.get("指标值")))
                            for x in goals.get("指标") or []],
                funds={k: self.number(funds_raw.get(k), *base, "资金", k)
                       for k in ("年初预算", "调整后预算", "支出决算", "基本支出", "项目支出")},
                purchase_budget=[(str(k), v) for k, raw in (buy.get("预算") or {}).items()
                                 if (v := self.number(raw, *base, "政府采购", "预算", k)) is not None],
                purchase_spent=self.number(buy.get("执行"), *base, "政府采购", "执行"),
                score=self.number(score.get("得分"), *base, "评分", "得分"),
                aspects=[t(x) for x in score.get("方面") or []],
                experience=[(t(x.get("标题")), t(x["内容"])) for x in ev.get("经验做法") or []],
                problems=problems,
                suggestions=[(t(x.get("标题")), t(x["内容"])) for x in ev.get("建议") or []],
                typed={k: v for k, v in typed.items() if v not in (None, "")},
                layout=self.form_layout(t(ev.get("版式")), "评价报告", base), path=f"附件[{i}].评价报告")
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
        # the kinds are the profile's (车辆类别名称): derive reads them in its order and refuses others
        vehicles = {str(k): (int(v) if v is not None else None) for k, v in vehicles_raw.items() if k != "车辆数合计"}
        if vehicles_raw.get("车辆数合计") is not None:
            self.stated.append(Stated("车辆数合计", Decimal(int(vehicles_raw["车辆数合计"])),
                                      self.src("相关信息统计", "车辆", "车辆数合计")))
        overview = d.get("概况") or {}
        if not holds_only_attachments(d):
            for k in ("报告类型", "单位性质", "金额单位"):
                if not d.get(k):
                    self.problems.append(Problem(self.src(), f"缺少必填项“{k}”（只有附件的文件可以不写；写了决算表或情况说明的都要写）",
                                                 REQUIRED, k))
        if d.get("公开金额单位") == "元" and d.get("金额单位") == "万元":
            self.problems.append(Problem(self.src("公开金额单位"), "公开金额单位为元时，金额单位也须为元："
                                         "万元的数字已经四舍五入，不能还原为元（请填写决算软件导出的元数据）"))
        name = clean_text(d["单位名称"])
        if len(re.sub(r"\s", "", name)) < 2:
            self.problems.append(Problem(self.src("单位名称"), f"单位名称“{d['单位名称']}”去掉空格后不足两个字；"
                                         "请填写单位全称（封面、标题和文件名都用它）"))
        unit = Unit(
            file=self.loc.file,
            name=name,
            year=int(d["年度"]),
            report_kind=d.get("报告类型") or "部门决算",     # optional only in a file of attachments alone
            nature=d.get("单位性质") or "",
            money_unit=d.get("金额单位") or "万元",
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
            overall_evals=self.overall_evals(int(d["年度"])),
            eval_reports=self.eval_reports(int(d["年度"])),
            words=self.words(),
            attachments=[a["名称"].strip() for a in d.get("附件") or []],
            stated=self.stated,
            previous_file=d.get("上年数据文件"),
            sources=self.loc.all_sources(),
            typed=list(self.loc.typed),
            printed=list(self.loc.printed),
            published=self.loc.published,
            printed_text=list(self.loc.printed_text),
            unread=list(self.loc.unread),
            only_attachments=holds_only_attachments(d),
        )
        if self.problems:
            raise InputError(self.problems)
        return unit
