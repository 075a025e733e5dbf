"""Findings for people (grouped by table, Chinese, colour on a terminal) and for machines (JSON)."""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Iterable

from ..profile import Profile
from .registry import ERROR, INFO, RULES, WARNING, Finding

COLOURS = {ERROR: "\033[31m", WARNING: "\033[33m", INFO: "\033[36m"}
RESET, BOLD, DIM = "\033[0m", "\033[1m", "\033[2m"
GROUP_NAMES = {"情况说明": "第三部分 情况说明", "附件": "附件", "": "全文"}


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    out = {ERROR: 0, WARNING: 0, INFO: 0}
    for f in findings:
        out[f.severity] += 1
    return out


def summary_line(name: str, findings: list[Finding]) -> str:
    c = counts(findings)
    if not findings:
        return f"{name}：检查通过，没有发现问题"
    return f"{name}：{c[ERROR]} 个错误，{c[WARNING]} 个警告，{c[INFO]} 个提示"


def table_title(key: str, profile: Profile | None) -> str:
    spec = profile.table(key) if profile else None
    if spec:
        return " ".join(x for x in (spec.label, spec.title) if x)
    return GROUP_NAMES.get(key, f"{key}表")


def format_human(name: str, findings: list[Finding], profile: Profile | None, colour: bool = False) -> str:
    """Every finding under its table: severity, rule id, row · column, the message (which names
    the stated and the expected number and the difference) and the place in the data file."""
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if colour else text

    lines = [paint(summary_line(name, findings), BOLD)]
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        groups[f.table].append(f)
    for key in sorted(groups, key=lambda k: (k == "" or not k[:1].isdigit(), k)):
        lines.append(paint(f"【{table_title(key, profile)}】", BOLD))
        for f in groups[key]:
            where = " · ".join(p for p in (f.row, f.column) if p)
            lines.append(f"  {paint(f.severity, COLOURS[f.severity])} {f.rule}  {where}")
            lines.append(f"      {f.message}")
            lines.append(paint(f"      位置：{f.source}", DIM))
    return "\n".join(lines)


def to_json(results: list[tuple[str, list[Finding]]]) -> str:
    rows = []
    for name, findings in results:
        for f in findings:
            rows.append({"unit_file": name, **f.as_dict()})
    return json.dumps(rows, ensure_ascii=False, indent=1)


def rules_listing() -> str:
    lines = [f"共 {len(RULES)} 条规则："]
    for r in sorted(RULES, key=lambda r: r.id):
        lines.append(f"{r.id:<18} {r.severity}  {r.description}")
    return "\n".join(lines)
