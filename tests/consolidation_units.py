"""Units of one department for the consolidation tests and benchmark (issue 27): the 潇河 example
(data/examples/xiaohe-2022.yaml) as a 本级 and its 所属单位, unit k's amounts k times the example's
(every unit still passes its own check), its stated totals left out (the consolidation writes none),
and with ``flow`` an internal flow: the 本级 pays ``flow`` 元 to unit 1 (对附属单位补助支出 out of
其他收入) and unit 1 receives it (上级补助收入, spent as 项目支出)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from generator.load.yaml_reader import read_yaml
from generator.write.yaml_writer import dump_unit

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "examples" / "xiaohe-2022.yaml"
PARENT = "示范区某局（本级）"
TABLES = ("收入决算表", "支出决算表", "一般公共预算财政拨款支出决算表", "政府性基金预算财政拨款收入支出决算表",
          "国有资本经营预算财政拨款支出决算表", "经济分类支出明细")
TOTALS = {"本年收入合计", "本年支出合计", "小计", "合计"}


def _scaled(node, k: int):
    if isinstance(node, dict):
        return {key: _scaled(v, k) for key, v in node.items()}
    if isinstance(node, list):
        return [_scaled(v, k) for v in node]
    if isinstance(node, Decimal):           # amounts (counts and 年度 are integers: kept)
        return node * k
    return node


def base() -> dict:
    """The example without its stated totals, its texts and its 附件."""
    data = read_yaml(SOURCE).data
    for key in TABLES:
        rows = []
        for row in data.get(key) or []:
            code = str(row.get("科目编码"))
            if not code.isdigit():
                continue
            leaf = len(code) == (5 if key == "经济分类支出明细" else 7)
            if key == "经济分类支出明细" and not leaf:
                continue                    # a 款 row of 06 states its amounts (blank: 0)
            rows.append({k: v for k, v in row.items() if k in ("科目编码", "科目名称") or (leaf and k not in TOTALS)})
        data[key] = rows
    summary = data.get("收入支出决算总表") or {}
    data["收入支出决算总表"] = {k: v for k, v in summary.items()
                          if k in ("使用非财政拨款结余", "年初结转和结余", "结余分配", "年末结转和结余")}
    fiscal = data.get("财政拨款收入支出决算总表") or {}
    data["财政拨款收入支出决算总表"] = {k: v for k, v in fiscal.items() if k != "合计"}
    for part in (data.get("三公经费") or {}).values():
        for total in ("合计", "公务用车购置及运行维护费"):
            part.pop(total, None)
    data.get("相关信息统计", {}).get("车辆", {}).pop("车辆数合计", None)
    data.pop("附件", None)
    return data


def _first_item(rows: list[dict]) -> dict:
    return next(r for r in rows if len(str(r["科目编码"])) == 7)


def make_group(folder: Path, n: int, flow: Decimal = Decimal(0)) -> list[Path]:
    """``n`` unit files in ``folder`` (the 本级 first); see the module's text."""
    folder.mkdir(parents=True, exist_ok=True)
    template = base()
    paths = []
    for k in range(1, n + 1):
        data = _scaled(template, k)
        data["单位名称"] = PARENT if k == 1 else f"示范区某中心{k - 1:03d}"
        if flow and k == 1:
            _first_item(data["收入决算表"])["其他收入"] = flow
            _first_item(data["支出决算表"])["对附属单位补助支出"] = flow
        if flow and k == 2:
            _first_item(data["收入决算表"])["上级补助收入"] = flow
            row = _first_item(data["支出决算表"])
            row["项目支出"] = row["项目支出"] + flow
        path = folder / (f"{k:03d}-本级.yaml" if k == 1 else f"{k:03d}.yaml")
        path.write_text(dump_unit(data, [data["单位名称"]]), encoding="utf-8")
        paths.append(path)
    return paths
