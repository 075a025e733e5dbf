# registered via generator/check/__init__.py
"""Amounts and percentages a unit writes in its own 情况说明 texts, against the figures of the
section the text goes into (issue 23).

A unit's reason or 说明 often restates a figure ("…小于预算数13.02万元", "三公经费比上年下降5.00%").
The report computes these figures itself (``derive.facts``); a stated one that matches none of
them is a second, contradicting number in the same report. Which section a text goes into is
found from the facts themselves: a text belongs to every section (of the profile's 情况说明提纲)
whose facts carry it.

Only numbers that claim a figure of the report are compared, so the rule does not cry wolf:

* an amount (万元 or 元) or a percentage, not 0, not an estimate (约、左右、以上、余) or a 绩效
  target (满意度≥90%、覆盖率达到95%), not an operand of the unit's own formula (A-CALC-*);
* whose subject, the last money word before it in the sentence (…费、…支出、…经费、…资金), is
  either absent, generic (资金、支出) or a figure the section prints (三公经费, a 类 name,
  机关运行经费 …). "差旅费30.06万元" or "项目支出规划服务较年初完成92%" speak of things the
  report does not print: they are left alone.

A claim matches a figure as printed: compared at the coarser of the two precisions (a figure
printed in 万元 to 2 places against an amount written in 元, a percentage to the places written,
at most 2) and a percentage within 0.01 (a rate computed from 元 against the printed 万元). The
figures of a section are its amounts and rates, the 增减额 of its comparisons and the 预决算差额
of every figure it prints beside a budget; the 预算绩效 section adds its 附件 (each 自评表's
资金 and 执行率, the overall evaluations' figures and ratios) and the unit's totals.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, fields, is_dataclass
from functools import lru_cache
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator


from ..derive.facts import SECTIONS, Performance, form_summary
from ..numbers import Change, percent, round_places
from .registry import WARNING, Context, Finding, Rule, rule
from .rules_other import find_claims
from .rules_text import TEXT, WORDS, _field, iter_texts, placeholder_spans, snippet, text_source



@dataclass(frozen=True)
class Fact:
    value: Decimal
    percent: bool
    unit: str             # 万元 | 元 | % (the unit the figure is printed in)
    places: int           # decimals it is printed with
    label: str            # “三公经费比上年增减率”


# ---------------------------------------------------------------- the figures of a section

# how a field of derive.facts is named in a message
CATALOGS = Path(__file__).resolve().parents[2] / "templates" / "catalogs"


@lru_cache(maxsize=1)
def _words() -> dict:
    """What the facts are called (事实名称) and the fixed names each section prints (各节名称): data,
    templates/catalogs/text-number-words.yaml, checked by its schema."""
    from ..load.schema import read_checked
    return read_checked(CATALOGS / "text-number-words.yaml", "catalog-text-number-words", "目录", "事实名称、各节名称").data


SKIP = {"average", "profile", "unit", "words", "sg", "assets", "grade_counts", "annexes"}
# fixed names of what each section prints, beside the names its facts carry (类、项、三公 items …)
PERCENT_FIELDS = re.compile(r"(share|rate|completion)$")


def _label_of(obj: Any) -> str:
    for name in ("label", "name"):
        v = getattr(obj, name, None)
        if isinstance(v, str) and v:
            return v
    path = getattr(obj, "path", None)
    return path if isinstance(path, str) else ""


def _walk(obj: Any, label: str, mu: str, out: list[Fact], names: set[str], depth: int = 0) -> None:
    """Every Decimal of a facts object, named; the names of its rows into ``names``."""
    if depth > 6 or obj is None:
        return
    if isinstance(obj, Change):
        for attr, word in (("this", "本年数"), ("last", "上年数")):
            out.append(Fact(getattr(obj, attr), False, mu, 2, f"{label}{word}"))
        out.append(Fact(obj.amount, False, mu, 2, f"{label}增减额"))
        if obj.rate is not None:
            out.append(Fact(obj.rate, True, "%", 2, f"{label}增减率"))
        return
    if is_dataclass(obj):
        own = _label_of(obj)
        if own:
            names.update(n for n in re.split(r"（[类款项]）", own) if n)
        here = f"{label}{own}" if own and own not in label else label
        for f in fields(obj):
            if f.name in SKIP:
                continue
            v = getattr(obj, f.name)
            word = _words()["事实名称"].get(f.name, "")
            sub = here if not word or word in here else f"{here}{word}"
            if isinstance(v, Decimal):
                pct = bool(PERCENT_FIELDS.search(f.name))
                out.append(Fact(v, pct, "%" if pct else mu, 2, sub))
            elif not isinstance(v, (str, int, bool)):
                _walk(v, sub, mu, out, names, depth + 1)
        attr = next((a for a in ("amount", "actual", "gp_total", "sg_actual")
                     if isinstance(getattr(obj, a, None), Decimal)), None)
        whose = here or {"gp_total": "一般公共预算财政拨款支出", "sg_actual": "“三公”经费"}.get(attr or "", "")
        for b in ("budget", "gp_budget_total", "gp_full_budget_total", "sg_budget"):
            budget = getattr(obj, b, None)
            if attr is not None and isinstance(budget, Decimal):
                out.append(Fact(abs(getattr(obj, attr) - budget), False, mu, 2, f"{whose}预决算差额"))
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _walk(v, label, mu, out, names, depth + 1)
    elif isinstance(obj, dict):
        for v in obj.values():
            _walk(v, label, mu, out, names, depth + 1)


def _texts(obj: Any, out: set[str], depth: int = 0) -> None:
    """Every string a facts object carries (the unit's texts that the section prints)."""
    if depth > 6 or obj is None:
        return
    if isinstance(obj, str):
        if obj.strip():
            out.add(obj)
    elif is_dataclass(obj) and not isinstance(obj, Change):
        for f in fields(obj):
            if f.name not in ("profile", "unit", "words"):
                _texts(getattr(obj, f.name), out, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _texts(v, out, depth + 1)
    elif isinstance(obj, dict):
        for v in obj.values():
            _texts(v, out, depth + 1)


def _annex_facts(ctx: Context, out: list[Fact], names: set[str]) -> None:
    """The 附件 a 预算绩效 paragraph describes (their project names into ``names``), and the unit's
    totals it speaks of."""
    d, p = ctx.derived, ctx.printed
    layout = d.profile.self_eval_layout
    form_unit = str(layout.form.get("金额单位", d.money_unit)) if layout is not None else d.money_unit
    forms = form_summary(d)
    if forms is not None:
        mu = ctx.unit.printed_unit      # the sum is in the report's unit, as precise as the forms
        places = 2 + _SCALE.get(mu, 0) - _SCALE.get(form_unit, 0)
        out.append(Fact(forms.spent, False, mu, places, "附件中各项目支出绩效自评表的全年执行数合计"))
    for i, ev in sorted(d.self_evals.items()):
        name = ev.ev.project or f"附件{i + 1}"
        names.add(name)
        for ff in ev.funds:
            row = ff.row
            for attr, word in (("start", "年初预算数"), ("declared", "年初预算数"), ("planned", "预算编制数"),
                               ("budget", "全年预算数"), ("spent", "全年执行数")):
                v = getattr(row, attr, None)
                if isinstance(v, Decimal):
                    out.append(Fact(v, False, form_unit, 2, f"附件{i + 1}（{name}）{row.name}{word}"))
            if ff.rate is not None:
                out.append(Fact(ff.rate, True, "%", 2, f"附件{i + 1}（{name}）{row.name}执行率"))
            if ff.balance is not None:
                out.append(Fact(ff.balance, False, form_unit, 2, f"附件{i + 1}（{name}）{row.name}结（转）余"))
    for i, ov in sorted(d.overall_evals.items()):
        for k, v in ov.funds.items():
            if isinstance(v, Decimal):
                out.append(Fact(v, False, "万元", 2, f"附件{i + 1}（整体自评）{k}"))
        spent = ov.funds.get("预算执行")
        for k in ("年初预算", "调整后预算"):     # 执行率 against either budget, as the texts compute it
            base = ov.funds.get(k)
            if isinstance(spent, Decimal) and isinstance(base, Decimal) and base:
                out.append(Fact(percent(spent, base), True, "%", 2, f"附件{i + 1}（整体自评）预算执行数占{k}"))
        for row in ov.rows:
            if row.ratio is not None and row.ratio.result is not None:
                out.append(Fact(row.ratio.result, True, "%", 2, f"附件{i + 1}（整体自评）{row.ratio.definition.name}"))
    for i, rv in sorted(d.eval_reports.items()):
        for k, ratio in rv.ratios.items():
            if ratio.result is not None:
                out.append(Fact(ratio.result, True, "%", 2, f"附件{i + 1}（评价报告）{k}"))
    mu = ctx.unit.printed_unit
    s03, s05 = p.expense_table.sum_row, p.gp_expense_table.sum_row
    for label, v in (("本年支出合计", s03.total), ("基本支出合计", s03.values.get("基本支出")),
                     ("项目支出合计", s03.values.get("项目支出")), ("一般公共预算财政拨款支出", s05.total),
                     ("一般公共预算财政拨款项目支出", s05.values.get("项目支出"))):
        if isinstance(v, Decimal):
            out.append(Fact(v, False, mu, 2, label))


@dataclass
class SectionFigures:
    title: str
    facts: list[Fact]
    names: set[str]
    texts: set[str]


def section_figures(ctx: Context) -> list[SectionFigures]:
    """Per section of the profile's 情况说明提纲: its figures, the names it prints, the unit texts it carries."""
    if "text-figures" in ctx.cache:
        return ctx.cache["text-figures"]
    out, mu = [], ctx.unit.printed_unit
    for s in ctx.profile.outline:
        fn = SECTIONS.get(s.facts)
        if fn is None:
            continue
        obj = ctx.cache.get(("facts", s.facts)) or fn(ctx.printed)
        ctx.cache[("facts", s.facts)] = obj
        facts: list[Fact] = []
        names: set[str] = set(_words()["各节名称"].get(s.facts, ()))
        _walk(obj, "", mu, facts, names)
        texts: set[str] = set()
        _texts(obj, texts)
        if any(isinstance(getattr(obj, f.name), Performance) for f in fields(obj)):
            _annex_facts(ctx, facts, names)
        out.append(SectionFigures(s.title, [f for f in facts if f.value is not None], names, texts))
    ctx.cache["text-figures"] = out
    return out


# ---------------------------------------------------------------- the numbers a text states

NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(万元|元|%|％)")
SENTENCE = "。！？；;!?\n"
WINDOW = 200              # look back at most this far for a number's clause and sentence (a text may be 30,000 characters)
MAX_PER_TEXT = 10         # findings per text: a text full of wrong numbers needs rewriting, not 1,000 warnings
CLAUSE = SENTENCE + "，,：:、"
NOT_EXACT_BEFORE = ("约", "近", "超过", "≥", "≤", ">", "<", "＞", "＜", "不低于", "不少于", "不高于", "不超过", "大约")
NOT_EXACT_AFTER = ("以上", "以下", "以内", "左右", "余", "多")
# a percentage in a clause naming one of these is a 绩效 target or result, not a figure of the report
TARGET_WORDS = ("满意", "覆盖", "合格", "达标", "及时", "准确", "知晓", "好评", "目标", "指标", "利用率", "完好率",
                "参与率", "出勤", "考核", "得分")
OPERATORS = set("+-*/×÷=＝")
MONEY_WORD = re.compile(r"(?:经费|费用|费|支出|收入|资金|补贴|补助|拨款)(?![\u4e00-\u9fff]{0,1}(?:率|比))")
GENERIC = ("资金", "支出", "收入", "经费", "费用", "涉及资金", "共涉及资金", "决算支出", "支出决算", "财政拨款",
           "总支出", "总收入", "本年支出", "本年度支出", "年度支出")


@dataclass(frozen=True)
class Stated:
    value: Decimal
    text: str             # as written, “13.02万元”
    unit: str             # 万元 | 元 | %
    places: int
    start: int
    end: int


def _back(text: str, pos: int, marks: str) -> int:
    """The start of the clause (``marks`` CLAUSE) or sentence (SENTENCE) holding ``pos``, at most WINDOW back."""
    floor = max(0, pos - WINDOW)
    return max(max(text.rfind(c, floor, pos) for c in marks) + 1, floor)


def stated_numbers(text: str) -> Iterator[Stated]:
    """Every amount or percentage in ``text`` that states a figure (see the module docstring)."""
    formulas = [(c.start, c.end) for c in find_claims(text)] if any(ch in text for ch in "=＝") else []
    residue = placeholder_spans(text)     # “增加（减少）5.00万元” is template residue: N-PLACEHOLDER's
    for m in NUMBER.finditer(text):
        raw, unit = m.group(1), m.group(2).replace("％", "%")
        value = Decimal(raw.replace(",", ""))
        if value == 0:
            continue
        a, b = m.start(), m.end()
        before, after = text[max(0, a - 4):a], text[b:b + 2]
        if any(before.endswith(w) or before.rstrip("为是达到") .endswith(w) for w in NOT_EXACT_BEFORE):
            continue
        if any(after.startswith(w) for w in NOT_EXACT_AFTER):
            continue
        if (a > 0 and text[a - 1] in OPERATORS) or (b < len(text) and text[b] in OPERATORS) \
                or any(x <= a < y for x, y in formulas):
            continue                  # a term or the result of the unit's own formula (A-CALC-*)
        c0 = _back(text, a, CLAUSE)
        if any(c0 <= y and x <= b for x, y in residue):
            continue
        clause = text[c0:a]
        if unit == "%" and any(w in clause for w in TARGET_WORDS):
            continue
        places = len(raw.split(".", 1)[1]) if "." in raw else 0
        yield Stated(value, m.group(0), unit, places, a, b)


ELIDED = ("较", "比", "同比", "增", "减", "下降", "上升", "降低", "主要", "共", "合计", "分别", "占", "其中", "约为", "为")


def subject(text: str, pos: int, sentence: bool = False) -> str | None:
    """The money word a number at ``pos`` speaks of (“三公经费”, “差旅费”), None without one: the
    last …费/…支出/…资金 of its clause; when the clause has none and starts with a verb or 较/比
    (“项目支出增加，较上年增加…”), that of an earlier clause of its sentence."""
    start = _back(text, pos, SENTENCE)
    clause = max(_back(text, pos, CLAUSE), start)
    own = text[clause:pos].lstrip("“”\" ")
    hits = list(MONEY_WORD.finditer(text, clause, pos))
    if not hits and (sentence or own.startswith(ELIDED)):
        hits = list(MONEY_WORD.finditer(text, start, pos))
    if not hits:
        return None
    end = hits[-1].end()
    a = max(max(text.rfind(c, start, end) for c in CLAUSE) + 1, start)
    word = re.sub(r"[“”\"‘’\s]", "", text[a:end])
    return re.split(r"\d", word)[-1]


# words that tie an unnamed (or generically named) number to the report's figures: a comparison with
# last year or the budget, a total, a share, a 执行 figure. Without one (“退回多收款项3.58万元”,
# “工业产值增加3000万元”) the number is left alone.
CLAIM = re.compile(r"上年|上一年|去年|同比|预算|决算|执行数|执行率|完成率|占|合计|总计|共计|涉及资金|差额|差异|大于|小于|"
                   r"超支|节约")
CHANGE = re.compile(r"增加|减少|增长|下降|上升|降低")
# a clause about the economy or other things the report does not print (绩效 texts speak of them)
ELSEWHERE = re.compile(r"产值|投资|税收|利润|外资|营收|销售|交易额|贷款|融资|注册资本|捐赠|招商|引资|产业基金|GDP",
                       re.IGNORECASE)


def claims(text: str, pos: int, generic: bool) -> bool:
    """Whether the clause before ``pos`` ties its number to the report (比上年、小于预算数、占、合计 …;
    after a generic subject such as “支出” also 增加、减少 …)."""
    a = _back(text, pos, CLAUSE)
    return bool(CLAIM.search(text, a, pos) or (generic and CHANGE.search(text, a, pos)))


def _known(word: str, names: set[str]) -> bool:
    """Whether ``word`` is generic or ends with a name the section prints (“本年度三公经费”)."""
    return word in GENERIC or any(word[k:] in names for k in range(len(word) - 1))


def _q(value: Decimal, exp: int) -> Decimal:
    return round_places(value, -exp)


_SCALE = {"元": 0, "万元": 4}


def matches(s: Stated, f: Fact) -> bool:
    if s.unit == "%" or f.percent:
        if s.unit != "%" or not f.percent:
            return False
        exp = -min(s.places, f.places)
        return _q(s.value, exp) == _q(f.value, exp) or abs(s.value - f.value) <= Decimal("0.01")
    if f.unit not in _SCALE or s.unit not in _SCALE:
        return False
    # both in 元: exponent of the last digit of each, the coarser decides
    sv, fv = s.value.scaleb(_SCALE[s.unit]), f.value.scaleb(_SCALE[f.unit])
    exp = max(_SCALE[s.unit] - s.places, _SCALE[f.unit] - f.places)
    return _q(sv, exp) == _q(fv, exp)


def _base(value: Decimal, unit: str) -> Decimal:
    """An amount in 元 (a percentage as it is), to sort and look up figures."""
    return value if unit == "%" else value.scaleb(_SCALE.get(unit, 0))


class FactIndex:
    """The non-zero figures of one kind (amounts or percentages), sorted, so that a stated number is
    compared only with the figures near it (a 30,000-character text of numbers stays fast)."""

    def __init__(self, facts: list[Fact]):
        self.facts = sorted((f for f in facts if f.value != 0 and (f.percent or f.unit in _SCALE)),
                            key=lambda f: _base(f.value, f.unit))
        self.keys = [_base(f.value, f.unit) for f in self.facts]
        self.coarse = max((_SCALE.get(f.unit, 0) - f.places for f in self.facts), default=0)

    def matches(self, st: Stated) -> bool:
        v = _base(st.value, st.unit)
        exp = max(_SCALE.get(st.unit, 0) - st.places, self.coarse)
        tol = Decimal(1).scaleb(exp) + Decimal("0.01")
        lo, hi = bisect_left(self.keys, v - tol), bisect_right(self.keys, v + tol)
        return any(matches(st, f) for f in self.facts[lo:hi])


def distance(s: Stated, f: Fact) -> Decimal:
    if s.unit == "%":
        return abs(s.value - f.value)
    return abs(s.value.scaleb(_SCALE[s.unit]) - f.value.scaleb(_SCALE.get(f.unit, 0)))


# what a clause says of its number → the figures of that kind (named first in a message)
KINDS = (
    (re.compile(r"大于|小于|超过|超出|低于|高于|节约|差额|差异"), ("预决算差额",)),
    (re.compile(r"比|较|同比|增加|减少|增长|下降|上升|降低|变动"), ("增减额", "增减率")),
    (re.compile(r"完成|执行率|完成率"), ("完成", "执行率")),
    (re.compile(r"执行数"), ("执行数", "预算执行")),
    (re.compile(r"预算数"), ("预算数", "年初预算", "全年预算")),
    (re.compile(r"占"), ("占",)),
    (re.compile(r"涉及|自评"), ("附件",)),
)


def nearest(st: Stated, facts: list[Fact], own: list[Fact], text: str) -> Fact:
    """The figure a wrong number was most likely meant to be: of the subject it names, of the kind
    its clause speaks of (增减、预决算差额、完成 …), then the closest in value."""
    clause = text[_back(text, st.start, CLAUSE):st.start]
    pool = own or facts
    for pattern, words in KINDS:
        if pattern.search(clause):
            kind = [f for f in pool if any(w in f.label for w in words)]
            if kind:
                pool = kind
                break
    return min(pool, key=lambda f: distance(st, f))


def _plain(label: str) -> str:
    return re.sub(r"[“”\"]", "", label)


def _show(f: Fact) -> str:
    places = max(f.places, 0)
    v = _q(f.value, -places)
    return f"{v:,.{places}f}{f.unit}" if f.unit != "%" else f"{v}%"


def _check(r: Rule, ctx: Context, want_percent: bool):
    sections = section_figures(ctx)
    indexes: dict[tuple, FactIndex] = {}
    for path, text in iter_texts(ctx.unit, overview=False):
        if not path.startswith(WORDS + "."):
            continue
        said: set[str] = set()
        homes = [s for s in sections if text in s.texts]
        if not homes:
            continue                  # a text no section prints (名词解释 …)
        for st in stated_numbers(text):
            if (st.unit == "%") != want_percent:
                continue
            if ELSEWHERE.search(text, _back(text, st.start, CLAUSE), st.start):
                continue              # 产值、投资、招商 …: not a figure of the report
            word = subject(text, st.start)
            if (word is None or word in GENERIC) and not claims(text, st.start, word is not None):
                continue              # a bare amount of something unnamed (“退回多收款项3.58万元”)
            pool = [s for s in homes if word is None or _known(word, s.names)]
            if not pool:
                continue              # it speaks of something the section does not print
            key = (tuple(s.title for s in pool), want_percent)
            if key not in indexes:
                indexes[key] = FactIndex([f for s in pool for f in s.facts if f.percent == want_percent])
            index = indexes[key]
            facts = index.facts
            if not facts or index.matches(st):
                continue
            if st.text in said:
                continue              # the same number again in the same text: one finding
            said.add(st.text)
            if len(said) > MAX_PER_TEXT:
                break
            hint = word or subject(text, st.start, sentence=True)     # which figure to name
            named = {n for s in pool for n in s.names if len(n) >= 2 and hint and hint.endswith(n)}
            own = [f for f in facts if hint and (hint in _plain(f.label) or any(n in _plain(f.label) for n in named))]
            near = nearest(st, facts, own, text)
            where = "、".join(dict.fromkeys(s.title for s in pool))
            yield Finding(r.id, r.severity, TEXT,
                          f"“{_field(path)}”写{st.text}，{where}中没有这个数（按印出的位数比对），"
                          f"最接近的是{near.label or '本节的数'}{_show(near)}：{snippet(text, st.start, st.end, 16)}",
                          text_source(ctx.unit, path, text, st.start), row=near.label, column=_field(path),
                          expected=near.value, actual=st.value)


@rule("N-TEXT-AMOUNT", "单位文字中写出的金额（万元、元）须是其所在一节印出的数（或其增减额、预决算差额）", WARNING,
      tables=(TEXT,))
def text_amounts(r: Rule, ctx: Context):
    yield from _check(r, ctx, False)


@rule("N-TEXT-PERCENT", "单位文字中写出的百分数须是其所在一节印出的比率（增减率、占比、完成预算的比例）", WARNING,
      tables=(TEXT,))
def text_percents(r: Rule, ctx: Context):
    yield from _check(r, ctx, True)
