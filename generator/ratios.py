"""The 绩效比率 catalogue (templates/catalogs/ratios.yaml): which ratios a 部门整体支出绩效自评表 or a
绩效评价报告 may state, their two inputs and the formula each prints. Read by the loader (a ratio's
name), derive (derive/ratios.py computes them) and the rules."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .load.schema import read_checked
from .profile import TEMPLATES

CATALOGUE = TEMPLATES / "catalogs" / "ratios.yaml"
KINDS = ("比", "变动", "幅度")
# The header figures of a 部门整体支出绩效自评表 a ratio may take (资金), 调整后预算 derived.
FUND_FIGURES = ("上年结转", "年初预算", "预算调整", "其他调整", "预算执行", "年末结余", "调整后预算")
# The ratios a 绩效评价报告 computes from its own figures (资金, 政府采购) and may quote in a problem.
REPORT_RATIOS = ("预算调整率", "预算执行率", "政府采购执行率")


@dataclass(frozen=True)
class Part:
    name: str                   # 在职人员, 年初预算 …
    unit: str                   # 万元 | 人 | 个
    fund: str = ""              # the header figure it is bound to ("" = the unit writes it)


@dataclass(frozen=True)
class RatioDef:
    name: str
    kind: str                   # 比 | 变动 | 幅度
    parts: tuple[Part, Part]
    aliases: tuple[str, ...]
    formula: str                # Jinja source (project-owned, from the catalogue)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, RatioDef]:
    """The catalogue, checked by load/catalog-ratios.schema.json (算法, two 项, 资金 of the header)."""
    d = read_checked(CATALOGUE, "catalog-ratios", "目录", "默认式、比率").data
    defaults = d.get("默认式") or {}
    return {str(name): RatioDef(str(name), raw["算法"],
                                tuple(Part(str(p["名称"]), str(p.get("单位", "万元")), str(p.get("资金") or ""))  # type: ignore[arg-type]
                                      for p in raw["项"]),
                                tuple(str(a) for a in raw.get("别名") or []), str(raw.get("式") or defaults.get(raw["算法"], "")))
            for name, raw in d["比率"].items()}
