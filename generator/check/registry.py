"""The rule catalogue: each 勾稽 rule is one small function registered with a stable id.

A rule takes a Context (the unit as loaded, the derived tables, the profile) and yields
Findings. ``RULES`` is the catalogue; ``run_checks`` runs every rule and returns every finding
(no rule stops the others), sorted by table and severity.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterable, Iterator

from ..derive.totals import Derived
from ..model import Source, Unit
from ..numbers import ZERO, money
from ..profile import Profile

ERROR, WARNING, INFO = "错误", "警告", "提示"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    table: str                      # "02" … "10", "情况说明", "附件" or "" (whole unit)
    message: str
    source: Source
    row: str = ""                   # "2011301 行政运行", "合计" …
    column: str = ""
    expected: Decimal | None = None
    actual: Decimal | None = None

    @property
    def difference(self) -> Decimal | None:
        if self.expected is None or self.actual is None:
            return None
        return self.actual - self.expected

    def as_dict(self) -> dict:
        return {
            "rule": self.rule, "severity": self.severity, "table": self.table, "row": self.row,
            "column": self.column, "message": self.message,
            "expected": None if self.expected is None else str(self.expected),
            "actual": None if self.actual is None else str(self.actual),
            "difference": None if self.difference is None else str(self.difference),
            "file": self.source.file, "line": self.source.line, "path": self.source.path,
            "cell": self.source.cell,
        }


@dataclass
class Context:
    unit: Unit
    derived: Derived
    profile: Profile
    tolerance: Decimal = ZERO       # differences up to this are 提示 尾差, not errors
    cache: dict = field(default_factory=dict)   # indexes rules share (built once per unit)

    @property
    def mu(self) -> str:
        return self.unit.money_unit

    def amount(self, value: Decimal | None) -> str:
        return f"{money(value)}{self.mu}"

    def compare(self, rule: "Rule", *, table: str, row: str, column: str, stated: Decimal,
                computed: Decimal, how: str, source: Source,
                severity: str | None = None) -> Finding | None:
        """The finding for a stated figure against the figure it must equal, or None."""
        diff = stated - computed
        if diff == 0:
            return None
        sev = severity or rule.severity
        if abs(diff) <= self.tolerance and sev == ERROR:
            sev = INFO
            how += "（在尾差容许范围内）"
        msg = (f"{row}{('的' + column) if column else ''}填写为 {self.amount(stated)}，{how}为 "
               f"{self.amount(computed)}，{'多' if diff > 0 else '少'} {self.amount(abs(diff))}")
        return Finding(rule.id, sev, table, msg, source, row, column, computed, stated)


Check = Callable[["Rule", Context], Iterable[Finding]]


@dataclass
class Rule:
    id: str
    description: str
    severity: str
    tables: tuple[str, ...]
    fn: Check = field(repr=False)

    def __call__(self, ctx: Context) -> Iterator[Finding]:
        for f in self.fn(self, ctx) or ():
            if f is not None:
                yield f


RULES: list[Rule] = []


def rule(rule_id: str, description: str, severity: str = ERROR, tables: tuple[str, ...] = ()) -> Callable[[Check], Check]:
    """Register a rule function under a stable id."""
    if any(r.id == rule_id for r in RULES):
        raise ValueError(f"规则编号重复：{rule_id}")

    def register(fn: Check) -> Check:
        RULES.append(Rule(rule_id, description, severity, tables, fn))
        return fn
    return register


def run_checks(ctx: Context, rules: list[Rule] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for r in list(rules if rules is not None else RULES):
        findings.extend(r(ctx))
    return sorted(findings, key=lambda f: (f.table or "~", SEVERITY_ORDER[f.severity], f.rule, f.row))
