"""Every figure a table layout can name, by address ("收支.本年收入合计", "财政拨款.类.201.合计",
"三公.决算数.公务接待费" …; docs/layouts.md lists them): what compose fills a table from and what
the workbook checks read, from one derived unit."""
from __future__ import annotations

from typing import Any

from ..model import (ADMIN_NATURES, FISCAL_KINDS, FISCAL_SECTIONS, FISCAL_TOTALS, INCOME_COLUMNS, PURCHASE_KINDS,
)
from .totals import Derived

SUMMARY_KEYS = [f"{k}收入" for k in FISCAL_KINDS] + INCOME_COLUMNS[1:] + [
    "本年收入合计", "本年支出合计", "使用非财政拨款结余", "结余分配", "年初结转和结余", "年末结转和结余",
    "收入总计", "支出总计"]


def figure_map(d: Derived) -> dict[str, Any]:
    """Every figure a layout can name, by address (docs/layouts.md lists them). The set of
    addresses does not depend on the unit: a figure the unit lacks is None (blank)."""
    f: dict[str, Any] = {f"收支.{k}": d.summary.get(k) for k in SUMMARY_KEYS}
    f.update({f"收支.类.{c}": d.expense_by_class.get(c) for c, _ in d.profile.classes})
    sums = d.fiscal.get("合计", {})
    for sec in FISCAL_SECTIONS:
        f.update({f"财政拨款.{sec}.{k}": d.fiscal.get(sec, {}).get(k) for k in FISCAL_KINDS})
    f.update({f"财政拨款.合计.{k}": sums.get(k) for k in FISCAL_TOTALS})
    for sec, total in (("本年收入", "本年收入合计"), ("本年支出", "本年支出合计"), ("总计", "支出总计"),
                       ("年初财政拨款结转和结余", "年初财政拨款结转和结余"),
                       ("年末财政拨款结转和结余", "年末财政拨款结转和结余")):
        f[f"财政拨款.{sec}.合计"] = sums.get(total)
    for code, _ in d.profile.classes:
        kinds = d.fiscal_by_class.get(code, {})
        f.update({f"财政拨款.类.{code}.{k}": kinds.get(k) for k in [*FISCAL_KINDS, "合计"]})
    for part in ("预算数", "决算数"):
        f.update({f"三公.{part}.{k}": d.sangong.get(part, {}).get(k) for k in d.profile.sangong.keys})
    f.update({f"采购.{k}": d.purchase.get(k) for k in ["合计", *PURCHASE_KINDS]})
    for nature in ADMIN_NATURES:           # one row per nature in some layouts: the unit's own row is filled
        f[f"机关运行经费.{nature}"] = d.admin_cost if d.unit.nature == nature else None
    f["车辆.合计"] = d.vehicles_total
    f.update({f"车辆.{k}": d.vehicles.get(k) for k in d.profile.vehicle_kinds})
    f["设备.单价100万元以上"] = d.unit.big_equipment
    return f
