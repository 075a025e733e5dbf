"""The rule catalogue: each 勾稽 rule is one small function registered with a stable id.

A rule takes a Context (the unit as loaded, the derived tables, the profile) and yields
Findings. ``RULES`` is the catalogue; ``run_checks`` runs every rule and returns every finding
(no rule stops the others), sorted by table and severity.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterable, Iterator

from ..derive.totals import Derived, Fig
from ..model import Source, Unit
from ..numbers import ZERO, is_tail, money, tail_tolerance
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


def pair_terms(a, b) -> int:
    """Rounded figures in a comparison of two figures (``derive.totals.Fig``), each stated or summed:
    all of them but one, and at least one."""
    return max(1, a.terms + b.terms - 1)


@dataclass
class Context:
    unit: Unit
    derived: Derived                # exact figures, in the file's 金额单位 (what the rules compare)
    profile: Profile
    printed: Derived | None = None  # the figures as the report prints them (what the narrative says)
    # (section heading, text) of every heading and paragraph of the composed report: the rules
    # registered with ``composed=True`` read it (run_composed_checks, after compose)
    composed: list[tuple[str, str]] | None = None
    cache: dict = field(default_factory=dict)   # indexes rules share (built once per unit)

    @property
    def mu(self) -> str:
        """The unit of the file's figures: every amount in a table-rule message is in it."""
        return self.unit.money_unit

    def amount(self, value: Decimal | None) -> str:
        return f"{money(value)}{self.mu}"

    def printed_amount(self, value: Decimal | None) -> str:
        """An amount of the printed report (the narrative's figures), in the report's unit."""
        return f"{money(value)}{self.unit.printed_unit}"

    def compare(self, rule: "Rule", *, table: str, row: str, column: str, stated: Decimal | None,
                computed: Decimal | Fig, how: str, source: Source, terms: int = 1,
                severity: str | None = None) -> Finding | None:
        """The finding for a stated figure against the figure it must equal, or None.

        ``computed`` is a Decimal, or a ``Fig`` that brings its own ``terms``: how many rounded
        figures of the file the comparison adds up. When the file's figures are already rounded
        (a 万元 file), a difference within ``tail_tolerance(terms)`` is a 尾差 (``numbers.is_tail``):
        a 提示, and the stated figure is the one the report prints. ``stated`` None is a blank
        cell of a row that states other figures: it counts as 0 and the message says it is blank."""
        if isinstance(computed, Fig):
            computed, terms = computed.value or ZERO, computed.terms
        blank = stated is None
        stated = ZERO if stated is None else stated
        diff = stated - computed
        if diff == 0:
            return None
        sev, tail = severity or rule.severity, ""
        if sev == ERROR and is_tail(diff, terms, self.unit.rounded_input):
            sev = INFO
            tail = (f"：是四舍五入的尾差（容许 {format(tail_tolerance(terms).normalize(), 'f')}{self.mu}），"
                    + ("报告印的就是这个数" if self.unit.published else "报告按填写的数公开"))
        if self.unit.published:          # a published report read from its PDF: printed, not typed
            said = "空白（按 0 计）" if blank else f"印为 {self.amount(stated)}"
        else:
            said = "没有填写（空白按 0 计）" if blank else f"填写为 {self.amount(stated)}"
        msg = (f"{row}{('的' + column) if column else ''}{said}，{how}为 "
               f"{self.amount(computed)}，{'多' if diff > 0 else '少'} {self.amount(abs(diff))}{tail}")
        return Finding(rule.id, sev, table, msg, source, row, column, computed, stated)


Check = Callable[["Rule", Context], Iterable[Finding]]


@dataclass
class Rule:
    id: str
    description: str
    severity: str
    tables: tuple[str, ...]
    fn: Check = field(repr=False)
    composed: bool = False          # reads the composed report's text: runs after compose

    def __call__(self, ctx: Context) -> Iterator[Finding]:
        for f in self.fn(self, ctx) or ():
            if f is not None:
                yield f


RULES: list[Rule] = []


def rule(rule_id: str, description: str, severity: str = ERROR, tables: tuple[str, ...] = (),
         composed: bool = False) -> Callable[[Check], Check]:
    """Register a rule function under a stable id; ``composed``: the rule reads the composed
    report's text (``Context.composed``) and runs after compose (``run_composed_checks``)."""
    if any(r.id == rule_id for r in RULES):
        raise ValueError(f"规则编号重复：{rule_id}")

    def register(fn: Check) -> Check:
        RULES.append(Rule(rule_id, description, severity, tables, fn, composed))
        return fn
    return register


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Findings by table, severity, rule and row: the order every report lists them in."""
    return sorted(findings, key=lambda f: (f.table or "~", SEVERITY_ORDER[f.severity], f.rule, f.row))


def run_checks(ctx: Context, rules: list[Rule] | None = None) -> list[Finding]:
    """Every finding of ``rules`` (all registered rules by default); a rule on the composed text
    runs only when ``ctx.composed`` is there."""
    findings: list[Finding] = []
    for r in list(rules if rules is not None else RULES):
        if r.composed and ctx.composed is None:
            continue
        findings.extend(r(ctx))
    return ordered(findings)


def run_composed_checks(ctx: Context, paragraphs: list[tuple[str, str]]) -> list[Finding]:
    """The rules on the composed report's text, given as (section heading, text) pairs
    (``Document.section_texts()``): compose makes the report once, the rules read it."""
    ctx.composed = paragraphs
    return run_checks(ctx, [r for r in RULES if r.composed])
