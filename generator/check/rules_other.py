# registered via generator/check/__init__.py
"""Rules on the 相关信息 inputs (政府采购, 三公 接待) and on arithmetic the unit wrote itself.

A unit's text sometimes carries its own calculation ("预算调整率为19.10/32.75*100%=58.32%",
"变动率=(1.78-1.98)/1.98*100%=10%"). ``find_claims`` finds every "<expression>=<number>[%]",
``evaluate`` computes the expression exactly with Decimal through a tiny recursive-descent
parser (never eval), and two rules check the result and the operands.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext
from typing import Any, Iterator

from ..numbers import ZERO, round_places
from .registry import ERROR, WARNING, Context, Finding, Rule, rule
from .rules_text import WORDS, iter_texts, key_source, snippet, text_source

HUNDRED = Decimal(100)


# ---------------------------------------------------------------- 政府采购

def _purchase_words(ctx: Context) -> dict[str, Any]:
    return (ctx.unit.words or {}).get("政府采购") or {}


@rule("A-PURCHASE-SME", "授予中小企业合同金额不得大于政府采购合计", ERROR, tables=("10",))
def purchase_sme(r: Rule, ctx: Context):
    sme = _purchase_words(ctx).get("中小企业合同金额")
    total = ctx.derived.purchase.get("合计") or ZERO
    if isinstance(sme, Decimal) and sme > total:
        yield Finding(r.id, r.severity, "10",
                      f"授予中小企业合同金额 {ctx.amount(sme)} 大于政府采购合计 {ctx.amount(total)}"
                      f"（多 {ctx.amount(sme - total)}）",
                      key_source(ctx.unit, f"{WORDS}.政府采购.中小企业合同金额"),
                      row="政府采购", column="中小企业合同金额", expected=total, actual=sme)


@rule("A-PURCHASE-SMALL", "其中授予小微企业合同金额不得大于授予中小企业合同金额", ERROR, tables=("10",))
def purchase_small(r: Rule, ctx: Context):
    words = _purchase_words(ctx)
    small, sme = words.get("小微企业合同金额"), words.get("中小企业合同金额")
    if isinstance(small, Decimal) and small > (sme if isinstance(sme, Decimal) else ZERO):
        sme = sme if isinstance(sme, Decimal) else ZERO
        yield Finding(r.id, r.severity, "10",
                      f"授予小微企业合同金额 {ctx.amount(small)} 大于授予中小企业合同金额 {ctx.amount(sme)}"
                      f"（小微企业是中小企业的一部分）",
                      key_source(ctx.unit, f"{WORDS}.政府采购.小微企业合同金额"),
                      row="政府采购", column="小微企业合同金额", expected=sme, actual=small)


# ---------------------------------------------------------------- 三公经费

def _sangong_words(ctx: Context) -> dict[str, Any]:
    return (ctx.unit.words or {}).get("三公经费") or {}


@rule("A-SANGONG-OVER", "“三公”经费合计或某项决算数超过预算数时须说明原因", WARNING, tables=("09",))
def sangong_over_budget(r: Rule, ctx: Context):
    budget, actual = ctx.derived.sangong["预算数"], ctx.derived.sangong["决算数"]
    words = _sangong_words(ctx)
    of = ctx.profile.sangong
    for item in [of.total, *of.leaves]:
        b, a = budget.get(item) or ZERO, actual.get(item) or ZERO
        if a <= b:
            continue
        if item == of.total:
            reason, reason_key, where = words.get("变动原因"), "三公经费.变动原因", "三公经费.决算数"
        else:
            iw = words.get(item) or {}
            reason = iw.get("变动原因") if isinstance(iw, dict) else None
            reason_key, where = f"三公经费.{item}.变动原因", f"三公经费.决算数.{item}"
        has = isinstance(reason, str) and reason.strip()
        tail = (f"已填写“{reason_key}”，请确认其中说明了超预算的原因" if has
                else f"未填写“{reason_key}”，须说明超预算的原因")
        label = "“三公”经费合计" if item == of.total else item
        yield Finding(r.id, r.severity, "09",
                      f"{label}决算数 {ctx.amount(a)} 超过预算数 {ctx.amount(b)}（超出 {ctx.amount(a - b)}）；{tail}",
                      key_source(ctx.unit, where), row=item, column="决算数", expected=b, actual=a)


def _reception(ctx: Context, kind: str) -> dict[str, Any]:
    v = _sangong_words(ctx).get(kind)
    return v if isinstance(v, dict) else {}


@rule("A-RECEPTION-SUM", "国内接待金额与国（境）外接待金额之和须等于09表公务接待费（三公经费目录中角色为“接待”的项目）决算数",
      ERROR, tables=("09",))
def reception_sum(r: Rule, ctx: Context):
    item = ctx.profile.sangong.roles.get("接待")
    if item is None:
        return
    dom, abroad = _reception(ctx, "国内接待").get("金额"), _reception(ctx, "国境外接待").get("金额")
    if not isinstance(dom, Decimal) and not isinstance(abroad, Decimal):
        return
    stated = (dom if isinstance(dom, Decimal) else ZERO) + (abroad if isinstance(abroad, Decimal) else ZERO)
    table = ctx.derived.sangong["决算数"].get(item) or ZERO
    if stated != table:
        path = f"{WORDS}.三公经费.{'国内接待' if isinstance(dom, Decimal) else '国境外接待'}.金额"
        yield Finding(r.id, r.severity, "09",
                      f"国内接待金额 {ctx.amount(dom)} + 国（境）外接待金额 {ctx.amount(abroad)} = {ctx.amount(stated)}，"
                      f"与09表{item}决算数 {ctx.amount(table)} 不符（{'多' if stated > table else '少'} "
                      f"{ctx.amount(abs(stated - table))}）",
                      key_source(ctx.unit, path), row=item, column="决算数", expected=table, actual=stated)


@rule("A-RECEPTION-FOREIGN", "外事接待是国内接待的一部分：其金额、批次、人次不得大于国内接待", ERROR, tables=(WORDS,))
def reception_foreign(r: Rule, ctx: Context):
    dom, foreign = _reception(ctx, "国内接待"), _reception(ctx, "外事接待")
    for col, unit_word in (("金额", None), ("批次", "批次"), ("人次", "人次")):
        f, d = foreign.get(col), dom.get(col)
        if not isinstance(f, (int, Decimal)) or isinstance(f, bool):
            continue
        d = d if isinstance(d, (int, Decimal)) and not isinstance(d, bool) else 0
        if f > d:
            show = (lambda x: ctx.amount(x)) if unit_word is None else (lambda x: f"{x}{unit_word}")
            yield Finding(r.id, r.severity, WORDS,
                          f"外事接待{col} {show(f)} 大于国内接待{col} {show(d)}；外事接待包含在国内接待之中",
                          key_source(ctx.unit, f"{WORDS}.三公经费.外事接待.{col}"),
                          row="外事接待", column=col, expected=Decimal(d), actual=Decimal(f))


# ---------------------------------------------------------------- arithmetic written in the text

class ParseError(ValueError):
    pass


_TOKEN = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"|(?P<op>[+\-−－＋×*＊/／÷])"
    r"|(?P<lp>[(（])|(?P<rp>[)）])"
    r"|(?P<pct>[%％])"
    r"|(?P<skip>[\s$\\\u3000])")
_OPS = {"+": "+", "＋": "+", "-": "-", "−": "-", "－": "-", "×": "*", "*": "*", "＊": "*",
        "/": "/", "／": "/", "÷": "/"}
_EXPR_CHARS = set("0123456789.,+-−－＋×*＊/／÷()（）%％$\\ \t\u3000")


@dataclass(frozen=True)
class Tok:
    kind: str        # num | op | lp | rp | pct
    text: str
    start: int       # offset in the text
    end: int


def tokenize(run: str, offset: int = 0) -> list[Tok]:
    """Tokens of an expression run; anything unknown restarts the list (only the tail counts)."""
    toks: list[Tok] = []
    pos = 0
    while pos < len(run):
        m = _TOKEN.match(run, pos)
        if not m:
            toks = []
            pos += 1
            continue
        kind = m.lastgroup
        if kind != "skip":
            text = m.group()
            toks.append(Tok(kind, _OPS.get(text, text), offset + m.start(), offset + m.end()))
        pos = m.end()
    return toks


class _Parser:
    """expr := term (('+'|'-') term)* ; term := factor (('*'|'/') factor)* ;
    factor := ('+'|'-') factor | primary '%'* ; primary := number | '(' expr ')'"""

    def __init__(self, toks: list[Tok]):
        self.toks, self.i, self.binary_ops = toks, 0, 0

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Tok:
        t = self.peek()
        if t is None:
            raise ParseError("表达式不完整")
        self.i += 1
        return t

    def parse(self) -> Decimal:
        value = self.expr()
        if self.peek() is not None:
            raise ParseError(f"多余的“{self.peek().text}”")
        return value

    def expr(self) -> Decimal:
        value = self.term()
        while (t := self.peek()) is not None and t.kind == "op" and t.text in "+-":
            self.take()
            self.binary_ops += 1
            rhs = self.term()
            value = value + rhs if t.text == "+" else value - rhs
        return value

    def term(self) -> Decimal:
        value = self.factor()
        while (t := self.peek()) is not None and t.kind == "op" and t.text in "*/":
            self.take()
            self.binary_ops += 1
            rhs = self.factor()
            if t.text == "*":
                value = value * rhs
            else:
                if rhs == 0:
                    raise ParseError("除数为0")
                value = value / rhs
        return value

    def factor(self) -> Decimal:
        t = self.peek()
        if t is not None and t.kind == "op" and t.text in "+-":
            self.take()
            v = self.factor()
            return -v if t.text == "-" else v
        value = self.primary()
        while (t := self.peek()) is not None and t.kind == "pct":
            self.take()
            value = value / HUNDRED
        return value

    def primary(self) -> Decimal:
        t = self.take()
        if t.kind == "num":
            return Decimal(t.text.replace(",", ""))
        if t.kind == "lp":
            value = self.expr()
            if self.take().kind != "rp":
                raise ParseError("括号不配对")
            return value
        raise ParseError(f"不应出现“{t.text}”")


def evaluate(toks: list[Tok]) -> tuple[Decimal, int]:
    """(value, number of binary operators); '%' after a number divides it by 100."""
    with localcontext() as c:
        c.prec = 50
        c.traps[DivisionByZero] = True
        c.traps[InvalidOperation] = True
        p = _Parser(toks)
        value = p.parse()
        return +value, p.binary_ops


def evaluate_text(expr: str) -> Decimal:
    """The value of an expression written as text (for tests and callers): '(1.78-1.98)/1.98*100%'."""
    return evaluate(tokenize(expr))[0]


_CLAIMED = re.compile(r"[\s$\u3000]*([+\-−－]?)(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(\s*\\?[%％])?")


@dataclass
class Claim:
    expr: str                # the expression as written (normalised spaces)
    tokens: list[Tok]
    value: Decimal           # exact value of the expression
    claimed: Decimal         # the number written after '='
    claimed_text: str
    percent: bool            # the claim ends in %
    start: int               # span of "expression = claim" in the text
    end: int

    @property
    def decimals(self) -> int:
        frac = self.claimed_text.split(".", 1)
        return len(frac[1]) if len(frac) == 2 else 0

    def candidates(self) -> list[Decimal]:
        """The expression's value in the claimed unit: ×100 for a '%' claim; a run without any '%'
        written as '…×100=58.32%' is also accepted as it stands."""
        if not self.percent:
            return [self.value]
        out = [self.value * HUNDRED]
        if not any(t.kind == "pct" for t in self.tokens):
            out.append(self.value)
        return out

    def rounded(self, value: Decimal, places: int | None = None) -> Decimal:
        n = self.decimals if places is None else places
        return round_places(value, n)

    @property
    def holds(self) -> bool:
        return any(self.rounded(v) == self.claimed for v in self.candidates())

    def claimed_str(self) -> str:
        return f"{self.claimed_text}{'%' if self.percent else ''}"


def find_claims(text: str) -> Iterator[Claim]:
    """Every '<arithmetic expression> = <number>[%]' in a text (with at least one operator)."""
    for m in re.finditer(r"[=＝]", text):
        eq = m.start()
        start = eq
        while start > 0 and text[start - 1] in _EXPR_CHARS:
            start -= 1
        right = _CLAIMED.match(text, eq + 1)
        if start == eq or not right:
            continue
        toks = tokenize(text[start:eq], start)
        claim = None
        for i in range(len(toks)):           # the longest tail that is a whole expression
            try:
                value, ops = evaluate(toks[i:])
            except (ParseError, ArithmeticError):
                continue
            if ops:
                claim = (toks[i:], value)
            break
        if claim is None:
            continue
        tokens, value = claim
        sign = "-" if right.group(1) else ""
        number = right.group(2).replace(",", "")
        expr = text[tokens[0].start:tokens[-1].end]
        expr = re.sub(r"[\s$\u3000]+", "", expr).replace("\\%", "%")
        yield Claim(expr, tokens, value, Decimal(sign + number), sign + number, bool(right.group(3)),
                    tokens[0].start, right.end())


def _table_of(path: str) -> str:
    return "附件" if path.startswith("附件") else WORDS


def _field(path: str) -> str:
    return path.split(".", 1)[1] if path.startswith(WORDS + ".") else path


@rule("A-CALC-RESULT", "单位文字中自带的算式（如“19.10/32.75*100%=58.32%”）须算得所写的结果", ERROR, tables=(WORDS,))
def calc_result(r: Rule, ctx: Context):
    for path, text in iter_texts(ctx.unit):
        for c in find_claims(text):
            if c.holds:
                continue
            shown = c.candidates()[0]
            unit = "%" if c.percent else ""
            places = max(c.decimals, 2)
            yield Finding(r.id, r.severity, _table_of(path),
                          f"“{_field(path)}”中的算式 {c.expr}={c.claimed_str()} 不成立：按式计算为 "
                          f"{c.rounded(shown, places)}{unit}（保留{c.decimals}位小数为 {c.rounded(shown)}{unit}），"
                          f"所写为 {c.claimed_str()}：{snippet(text, c.start, c.end)}",
                          text_source(ctx.unit, path, text, c.start), row=c.expr, column=_field(path),
                          expected=c.rounded(shown), actual=c.claimed)


_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)")
_SENTENCE_END = "。！？；;!?\n"


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    a = max(text.rfind(ch, 0, start) for ch in _SENTENCE_END) + 1
    ends = [i for i in (text.find(ch, end) for ch in _SENTENCE_END) if i != -1]
    return a, (min(ends) if ends else len(text))


@rule("A-CALC-OPERAND", "单位文字中算式的运算数应是同一句中写出的数（或其中两数之差）", WARNING, tables=(WORDS,))
def calc_operands(r: Rule, ctx: Context):
    for path, text in iter_texts(ctx.unit):
        for c in find_claims(text):
            a, b = _sentence(text, c.start, c.end)
            rest = text[a:c.start] + " " + text[c.end:b]
            stated = {Decimal(m.group(1).replace(",", "")) for m in _NUMBER.finditer(rest)}
            derived = {abs(x - y) for x in stated for y in stated if x != y}
            operands = [Decimal(t.text.replace(",", "")) for t in c.tokens if t.kind == "num"]
            unknown = [t.text for t, v in zip([t for t in c.tokens if t.kind == "num"], operands)
                       if v != HUNDRED and v not in stated and v not in derived]
            if not unknown:
                continue
            known = "、".join(dict.fromkeys(m.group(1) for m in _NUMBER.finditer(rest))) or "没有其他数"
            yield Finding(r.id, r.severity, _table_of(path),
                          f"“{_field(path)}”中的算式 {c.expr}={c.claimed_str()} 用到的 "
                          f"{'、'.join(dict.fromkeys(unknown))} 既不是同一句中写出的数（{known}），也不是其中两数之差，"
                          f"请核对运算数：{snippet(text, c.start, c.end)}",
                          text_source(ctx.unit, path, text, c.start), row=c.expr, column=_field(path))
