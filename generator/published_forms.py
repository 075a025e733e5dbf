"""What a published 附件 form implies but does not print (issue 26), found after ``load/pdf_forms``
has read the forms: the computing lives in derive, which the loading stage does not use.

A 项目支出绩效自评表 of the 2023 layout prints the fund score but not the 资金分值 it comes from.
It is 100 less the indicators' 分值 (a form's 分值 add up to 100), else the whole number the
printed fund score and 执行率 give — either taken only when it gives the fund score printed;
otherwise it is left for the unit to write, and said.

A 部门整体支出绩效自评表 prints each ratio's formula (templates/catalogs/ratios.yaml) where the
unit gave its inputs: a 计算分析情况 that opens with one becomes the row's 比率, its 数据 (the
inputs the header does not give) and the printed result in 填写 (check compares it); the words
after it stay the unit's 计算分析. The header's 年末结余 is kept only where it is not the one the
form computes.
"""
from __future__ import annotations

from decimal import Decimal

from .derive.performance import fund_figures, overall_funds
from .derive.ratios import read_formula
from .model import FundRow, OverallEval
from .ratios import catalogue
from .numbers import round_step
from .profile import Profile

HUNDRED = Decimal(100)


def overall_ratios(data: dict) -> None:
    """Each read 整体自评's ratio rows and 年末结余 as the unit's data writes them (see above)."""
    for annex in data.get("附件") or []:
        form = annex.get("整体自评")
        if not isinstance(form, dict):
            continue
        funds = form.get("资金") or {}
        given = {k: v for k, v in funds.items() if k != "年末结余"}
        header, computed = overall_funds(OverallEval(title="", year=0, funds={k: given.get(k) for k in FUNDS}))
        if "年末结余" in funds and funds["年末结余"] == computed:
            del funds["年末结余"]
        header["年末结余"] = funds.get("年末结余", computed)
        for row in form.get("指标") or []:
            found = read_formula(row.get("计算分析") or "")
            if found is None:
                continue
            name, a, b, result, words = found
            parts = catalogue()[name].parts
            if any(p.fund and header.get(p.fund) != v for p, v in zip(parts, (a, b))):
                continue                    # a header figure printed otherwise: left as the words printed
            row["比率"] = name
            inputs = {p.name: v for p, v in zip(parts, (a, b)) if not p.fund}
            if inputs:
                row["数据"] = inputs
            row["填写"] = {"结果": result}
            if words:
                row["计算分析"] = words
            else:
                del row["计算分析"]


FUNDS = ("上年结转", "年初预算", "预算调整", "其他调整", "预算执行")


def fund_weights(data: dict, places: dict[tuple, str], profile: Profile) -> list[str]:
    """Set the 资金分值 of each read 项目自评 that lacks one; the notes on what was not found or
    is not the usual weight."""
    layout = profile.self_eval_layout
    notes = []
    for k, annex in enumerate(data.get("附件") or []):
        form = annex.get("项目自评")
        if layout is None or not isinstance(form, dict) or form.get("资金分值") is not None:
            continue
        where = places.get(("附件", k), f"附件{k + 1}")
        weight, unusual = _fund_weight(form, form.get("填写") or {}, Decimal(str(layout.form["得分精度"])))
        if weight is None:
            notes.append(f"{where}：表上不印资金分值，由 100 减各指标分值或由资金得分与执行率都得不出与印出的"
                         "资金得分相符的分值：资金分值需要自己填写")
            continue
        form["资金分值"] = weight
        if unusual:
            notes.append(f"{where}：表上不印资金分值，按印出的资金得分与执行率写为 {weight} 分"
                         "（100 减各指标分值与资金得分不符），请核对")
    return notes


def _fund_weight(form: dict, typed: dict, step: Decimal) -> tuple[Decimal | None, bool]:
    """资金分值 where the form does not print it, and whether it is not the usual one: 100 less the
    indicators' 分值 (a form's 分值 add up to 100), else the whole number the printed fund score and
    执行率 give (得分 ÷ 执行率 × 100) — either taken only when it gives the fund score printed."""
    if not form.get("资金") or typed.get("资金得分") is None:
        return None, False
    first = form["资金"][0]
    row = FundRow(name="", budget=first.get("全年预算数"), spent=first.get("全年执行数"))
    score = typed["资金得分"]
    weights = [x.get("分值") for x in form.get("指标") or []]
    candidates: list[tuple[Decimal, bool]] = []      # (分值, whether not the usual 100 − Σ)
    if weights and all(w is not None for w in weights):
        candidates.append((HUNDRED - sum(weights, Decimal(0)), False))
    rate = fund_figures(row, HUNDRED, step).rate
    if rate and score:                # a score of 0 is given by any 分值: it implies none
        candidates.append((round_step(min(score * HUNDRED / rate, HUNDRED), Decimal(1)), True))
    for weight, unusual in candidates:
        if weight >= 0 and fund_figures(row, weight, step).score == score:
            return weight, unusual
    return None, False
