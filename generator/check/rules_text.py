# registered via generator/check/__init__.py
"""Rules on the narrative inputs: the unit's own texts and the figures the 情况说明 compares.

* a comparison the narrative prints as changed needs a 主要原因 (N-REASON-*), following exactly
  what generator.derive.facts prints (and its fallbacks);
* 年初预算 must fit table 05 and the texts must not claim a 完成年初预算 that is not printed;
* the unit's texts must not carry template residue, doubled words or punctuation, stale
  years, or amounts in the wrong money unit.

``iter_texts`` walks every text of the unit with its key path; ``text_source`` names the YAML
line of a place inside a multi-line text.
"""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from ..derive.facts import SECTIONS
from ..model import Source, Unit
from .registry import ERROR, WARNING, Context, Finding, Rule, rule

TEXT = "情况说明"
WORDS = "情况说明"                 # the key of Unit.words in the data file
OVERVIEW_PATHS = ("概况.职责", "概况.机构设置")


# ---------------------------------------------------------------- walking the texts

def iter_texts(unit: Unit, *, overview: bool = True) -> Iterator[tuple[str, str]]:
    """(key path, text) for every non-empty text the unit wrote: 概况, 情况说明 (nested), 附件 names.

    Key paths are those of the data file (``情况说明.类说明.201.变动原因``,
    ``情况说明.名词解释补充[0].解释``), so ``text_source`` can find their line.
    """
    if overview:
        for path, text in zip(OVERVIEW_PATHS, (unit.duty, unit.organisation)):
            if isinstance(text, str) and text.strip():
                yield path, text
    yield from _walk(unit.words or {}, WORDS)
    for i, name in enumerate(unit.attachments or []):
        if isinstance(name, str) and name.strip():
            yield f"附件[{i}].名称", name


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")
    elif isinstance(value, str) and value.strip():
        yield path, value


def key_source(unit: Unit, path: str) -> Source:
    """The Source of a key path; a path absent from the file gets the line of its nearest parent."""
    p = path
    while p:
        src = unit.sources.get(p)
        if src is not None:
            return Source(src.file, src.line, path, src.cell)
        cut = max(p.rfind("."), p.rfind("["))
        if cut <= 0:
            break
        p = p[:cut]
    return unit.src(path)


@lru_cache(maxsize=16)
def _file_lines(file: str, mtime: float) -> tuple[str, ...]:
    return tuple(Path(file).read_text(encoding="utf-8-sig").splitlines())


def text_source(unit: Unit, path: str, text: str = "", pos: int = 0) -> Source:
    """The Source of a text; for a place inside a multi-line block (``预算绩效: |``) the line of
    that place when it can be confirmed in the file, else the key's line."""
    src = key_source(unit, path)
    if not text or "\n" not in text[:pos] or not src.line or src.cell:
        return src
    line = src.line + 1 + text[:pos].count("\n")
    start = text.rfind("\n", 0, pos) + 1
    probe = text[start:pos + 1].strip()[:20]
    try:
        p = Path(src.file)
        lines = _file_lines(str(p), p.stat().st_mtime)
    except (OSError, UnicodeDecodeError):
        return src
    if probe and 0 < line <= len(lines) and probe in lines[line - 1]:
        return Source(src.file, line, src.path)
    return src


def snippet(text: str, start: int, end: int, width: int = 8) -> str:
    """'…上下文【问题】上下文…' around text[start:end], on one line."""
    a, b = max(0, start - width), min(len(text), end + width)
    out = ("…" if a > 0 else "") + text[a:start] + "【" + text[start:end] + "】" + text[end:b] + ("…" if b < len(text) else "")
    return re.sub(r"\s+", " ", out)


def _finding(r: Rule, ctx: Context, path: str, text: str, pos: int, message: str, **kw) -> Finding:
    return Finding(r.id, r.severity, TEXT, message, text_source(ctx.unit, path, text, pos), **kw)


def _field(path: str) -> str:
    """情况说明.三公经费.变动原因 → 三公经费.变动原因 (how the field is named in a message)."""
    return path.split(".", 1)[1] if path.startswith(WORDS + ".") else path


# ---------------------------------------------------------------- a changed comparison needs a reason

def _changed(ch) -> bool:
    return ch is not None and ch.direction != "same"


def _missing(text: str | None) -> bool:
    return not (text or "").strip()


def _chg_text(ctx: Context, ch) -> str:
    word = "增加" if ch.direction == "up" else "减少"
    return (f"本年 {ctx.printed_amount(ch.this)}，上年 {ctx.printed_amount(ch.last)}，"
            f"{word} {ctx.printed_amount(ch.amount)}")


def _facts(ctx: Context, name: str) -> Any:
    """The facts of 情况说明 section ``name`` (derive.facts.SECTIONS) as the narrative prints them,
    from the printed figures (built once per unit and section)."""
    key = ("facts", name)
    if key not in ctx.cache:
        ctx.cache[key] = SECTIONS[name](ctx.printed)
    return ctx.cache[key]


@rule("N-REASON-TOTAL", "收入支出总计与上年相比有增减时，须填写收入支出变动原因", WARNING, tables=(TEXT,))
def reason_total(r: Rule, ctx: Context):
    f = _facts(ctx, "收支总体")
    for label, ch in (("收入总计", f.ch_income_total), ("支出总计", f.ch_expense_total)):
        if _changed(ch) and _missing(f.reason_total):
            path = f"{WORDS}.收入支出变动原因"
            yield Finding(r.id, r.severity, TEXT,
                          f"{label}与上年相比有增减（{_chg_text(ctx, ch)}），但未填写“收入支出变动原因”，"
                          f"第三部分一将缺少主要原因", key_source(ctx.unit, path), row=label,
                          expected=ch.last, actual=ch.this)
            return          # one reason serves both totals: one finding


@rule("N-REASON-FISCAL", "财政拨款收支总计与上年相比有增减时，须填写财政拨款收支变动原因（或收入支出变动原因）",
      WARNING, tables=(TEXT,))
def reason_fiscal(r: Rule, ctx: Context):
    f = _facts(ctx, "财政拨款总体")
    for label, ch in (("财政拨款收入总计", f.ch_fiscal_income), ("财政拨款支出总计", f.ch_fiscal_expense)):
        if _changed(ch) and _missing(f.reason_fiscal):
            path = f"{WORDS}.财政拨款收支变动原因"
            yield Finding(r.id, r.severity, TEXT,
                          f"{label}与上年相比有增减（{_chg_text(ctx, ch)}），但“财政拨款收支变动原因”和"
                          f"“收入支出变动原因”都未填写，第三部分四将缺少主要原因", key_source(ctx.unit, path),
                          row=label, expected=ch.last, actual=ch.this)
            return


@rule("N-REASON-GP", "一般公共预算财政拨款支出与上年相比有增减时，须填写一般公共预算支出变动原因（或其替代）",
      WARNING, tables=(TEXT,))
def reason_gp(r: Rule, ctx: Context):
    f = _facts(ctx, "一般公共预算")
    ch = f.ch_gp
    if _changed(ch) and _missing(f.reason_gp):
        path = f"{WORDS}.一般公共预算支出变动原因"
        yield Finding(r.id, r.severity, TEXT,
                      f"一般公共预算财政拨款支出与上年相比有增减（{_chg_text(ctx, ch)}），但“一般公共预算支出变动原因”"
                      f"“财政拨款收支变动原因”“收入支出变动原因”都未填写，第三部分五（一）将缺少主要原因",
                      key_source(ctx.unit, path), row="一般公共预算财政拨款支出", expected=ch.last, actual=ch.this)


@rule("N-REASON-CLASS", "05表各类支出与上年决算相比有增减时，须填写类说明中的变动原因", WARNING, tables=(TEXT, "05"))
def reason_class(r: Rule, ctx: Context):
    for c in _facts(ctx, "一般公共预算").gp_class_details:
        if _changed(c.change) and _missing(c.reason):
            path = f"{WORDS}.类说明.{c.code}.变动原因"
            yield Finding(r.id, r.severity, TEXT,
                          f"{c.code} {c.name}较上年决算有增减（{_chg_text(ctx, c.change)}），但未填写“类说明.{c.code}.变动原因”",
                          key_source(ctx.unit, path), row=f"{c.code} {c.name}", expected=c.change.last,
                          actual=c.change.this)


@rule("N-REASON-SANGONG", "“三公”经费合计及各项与上年相比有增减时，须填写变动原因", WARNING, tables=(TEXT, "09"))
def reason_sangong(r: Rule, ctx: Context):
    f = _facts(ctx, "三公经费")
    ch = f.ch_sg
    if _changed(ch) and _missing(f.reason_sg):
        path = f"{WORDS}.三公经费.变动原因"
        yield Finding(r.id, r.severity, TEXT,
                      f"“三公”经费支出合计与上年相比有增减（{_chg_text(ctx, ch)}），但未填写“三公经费.变动原因”",
                      key_source(ctx.unit, path), row="合计", expected=ch.last, actual=ch.this)
    for item in f.sg_items:
        if _changed(item.change) and _missing(item.reason):
            path = f"{WORDS}.三公经费.{item.name}.变动原因"
            yield Finding(r.id, r.severity, TEXT,
                          f"{item.name}与上年相比有增减（{_chg_text(ctx, item.change)}），但未填写“三公经费.{item.name}.变动原因”",
                          key_source(ctx.unit, path), row=item.name, expected=item.change.last,
                          actual=item.change.this)


@rule("N-REASON-ADMIN", "行政单位、参公事业单位的机关运行经费与上年相比有增减时，须填写机关运行经费变动原因",
      WARNING, tables=(TEXT, "10"))
def reason_admin(r: Rule, ctx: Context):
    f = _facts(ctx, "其他事项")
    ch = f.ch_admin
    if f.admin_applicable and _changed(ch) and _missing(f.reason_admin):
        path = f"{WORDS}.机关运行经费变动原因"
        yield Finding(r.id, r.severity, TEXT,
                      f"机关运行经费与上年相比有增减（{_chg_text(ctx, ch)}），但未填写“机关运行经费变动原因”",
                      key_source(ctx.unit, path), row="机关运行经费", expected=ch.last, actual=ch.this)


# ---------------------------------------------------------------- 年初预算

_COMPLETION_CLAIM = re.compile(r"完成(?:了)?(?:年初|全年)?预算|预算完成|预算执行率")
BUDGET_PATH = "年初预算.一般公共预算财政拨款支出"


def _class_budget(unit: Unit, code: str) -> Decimal | None:
    """The 年初预算 of a 类: its own entry, else the sum of its 款/项 entries; None when none given."""
    if code in unit.budget:
        return unit.budget[code]
    subs = [v for k, v in unit.budget.items() if k.startswith(code) and len(k) > 3]
    if not subs:
        return None
    return sum(subs, Decimal(0))


@rule("N-BUDGET-ZERO", "年初预算为0的类不印“完成年初预算”，其类说明不得声称完成年初预算", ERROR, tables=(TEXT, "05"))
def budget_zero(r: Rule, ctx: Context):
    notes = (ctx.unit.words or {}).get("类说明") or {}
    for cls in ctx.derived.gp_expense_table.classes:
        budget = _class_budget(ctx.unit, cls.code)
        if budget is None or budget != 0:
            continue
        note = notes.get(cls.code) or {}
        for key, text in (note.items() if isinstance(note, dict) else ()):
            if not isinstance(text, str):
                continue
            m = _COMPLETION_CLAIM.search(text)
            if m:
                path = f"{WORDS}.类说明.{cls.code}.{key}"
                yield _finding(r, ctx, path, text, m.start(),
                               f"{cls.code} {cls.name}的年初预算为0，说明中不印“完成年初预算”，但“类说明.{cls.code}.{key}”"
                               f"写有“{m.group()}”：{snippet(text, m.start(), m.end())}",
                               row=f"{cls.code} {cls.name}", column="年初预算", actual=budget)
                break     # one finding per 类


@rule("N-BUDGET-CODE", "年初预算的科目编码须是05表中的类、款或项", WARNING, tables=("05",))
def budget_code(r: Rule, ctx: Context):
    codes = {row.code for row in ctx.derived.gp_expense_table.rows if row.code}
    for code, value in ctx.unit.budget.items():
        if code not in codes:
            yield Finding(r.id, r.severity, "05",
                          f"年初预算填写了科目“{code}”（{ctx.amount(value)}），但05表没有这一类、款或项；"
                          f"它不会出现在说明中",
                          key_source(ctx.unit, f"{BUDGET_PATH}.{code}"), row=code, column="年初预算", actual=value)


# ---------------------------------------------------------------- template residue, typos

PLACEHOLDER = re.compile(
    r"20[XxＸｘ×]{2}"                                  # 20XX年
    r"|(?<![A-Za-z])[Xx]{2,}(?![A-Za-z])"              # XX
    r"|[Ｘｘ]{2,}|×{2,}"                             # ＸＸ ××
    r"|待填写"
    r"|增加[（(]减少[）)]|增长[（(]下降[）)]"
    r"|主要原因(?:是|为)[：:]?\s*(?:[。；;]|$)"         # 主要原因是：。 / a reason left empty
)


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in PLACEHOLDER.finditer(text)]


@rule("N-PLACEHOLDER", "单位文字中不得留有占位符或模板残留（XX、××、待填写、增加（减少）、“主要原因是：。”等）",
      ERROR, tables=(TEXT,))
def placeholders(r: Rule, ctx: Context):
    for path, text in iter_texts(ctx.unit):
        hits = list(PLACEHOLDER.finditer(text))
        if hits:
            found = "、".join(dict.fromkeys(f"“{m.group().strip()}”" for m in hits))
            yield _finding(r, ctx, path, text, hits[0].start(),
                           f"“{_field(path)}”留有占位符或模板残留 {found}：{snippet(text, *hits[0].span())}",
                           column=_field(path))


REPEAT_WORDS = ("增加", "减少", "增长", "下降", "支出", "收入", "主要", "原因", "经费", "预算", "决算", "项目",
                "其中", "用于", "包括", "万元")
# a doubled first character (增增加): not for 收入 (税收收入), 项目 (专项项目, 立项项目), 用于 (专用用于),
# 主要 (为主主要), which end a common word with the same character
REPEAT_FIRST_CHAR = ("增加", "减少", "增长", "下降", "支出", "原因", "经费", "预算", "决算", "其中", "包括", "万元")
REPEAT_CHARS = ("元", "的", "了")              # 元元, 的的, 了了
# legitimate text that contains one of the patterns (不了了之, 为了了解, 目的的, 的的确确 …)
REPEAT_OK = ("不了了之", "了了解", "的的确确", "目的的", "元元本本", "开支支出")
_REPEAT = re.compile("|".join(
    [f"{w}{w}" for w in REPEAT_WORDS]
    + [f"{w[0]}{w}" for w in REPEAT_FIRST_CHAR]
    + [f"{c}{c}" for c in REPEAT_CHARS]))


@rule("N-REPEAT-WORD", "单位文字中不得有重复的词（增加增加、增增加、的的 等）", ERROR, tables=(TEXT,))
def repeated_words(r: Rule, ctx: Context):
    for path, text in iter_texts(ctx.unit):
        hits = [m for m in _REPEAT.finditer(text) if not _inside_ok(text, m.start())]
        if hits:
            found = "、".join(dict.fromkeys(f"“{m.group()}”" for m in hits))
            yield _finding(r, ctx, path, text, hits[0].start(),
                           f"“{_field(path)}”有重复的词 {found}：{snippet(text, *hits[0].span())}",
                           column=_field(path))


def _inside_ok(text: str, pos: int) -> bool:
    for ok in REPEAT_OK:
        i = text.find(ok, max(0, pos - len(ok)))
        while i != -1 and i <= pos:
            if i <= pos < i + len(ok):
                return True
            i = text.find(ok, i + 1)
    return False


_PUNCT = "。，；：、,;"
_DOUBLE_PUNCT = re.compile(f"[{_PUNCT}][{_PUNCT}]+")


@rule("N-PUNCT", "单位文字中不得有重复或叠用的标点（。。 ，， ，。 等）", ERROR, tables=(TEXT,))
def doubled_punctuation(r: Rule, ctx: Context):
    for path, text in iter_texts(ctx.unit):
        residue = placeholder_spans(text)     # “主要原因是：。” is reported as residue, not here
        hits = [m for m in _DOUBLE_PUNCT.finditer(text)
                if not any(a <= m.start() < b for a, b in residue)]
        if hits:
            found = "、".join(dict.fromkeys(f"“{m.group()}”" for m in hits))
            yield _finding(r, ctx, path, text, hits[0].start(),
                           f"“{_field(path)}”有重复的标点 {found}：{snippet(text, *hits[0].span())}",
                           column=_field(path))


_YEAR = re.compile(r"(?<![\d〔【\[])((?:19|20)\d{2})(?=年)")


@rule("N-YEAR", "单位文字中出现的年份应为本年度或上年度（概况与文号除外）", WARNING, tables=(TEXT,))
def stale_years(r: Rule, ctx: Context):
    allowed = {ctx.unit.year, ctx.unit.year - 1}
    for path, text in iter_texts(ctx.unit, overview=False):
        hits = [m for m in _YEAR.finditer(text) if int(m.group(1)) not in allowed]
        if hits:
            years = "、".join(dict.fromkeys(f"{m.group(1)}年" for m in hits))
            yield _finding(r, ctx, path, text, hits[0].start(),
                           f"“{_field(path)}”提到 {years}，不是本报告的{ctx.unit.year}年度或上年度，"
                           f"请确认不是沿用往年的文字：{snippet(text, *hits[0].span())}",
                           column=_field(path))


_YUAN_WITH_DECIMALS = re.compile(r"(?<![\d.,])(\d[\d,]*\.\d+)元")          # 3.58元
_WANYUAN = re.compile(r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)万元")               # 3.58万元


@rule("N-MONEY-UNIT", "单位文字中的金额单位应与报表金额单位一致（万元报表不写“X.XX元”，元报表不写“X万元”）",
      WARNING, tables=(TEXT,))
def money_unit(r: Rule, ctx: Context):
    mu = ctx.unit.printed_unit           # the texts stand in the report, beside its figures
    if mu == "万元":
        pattern, wrong = _YUAN_WITH_DECIMALS, "元"
    elif mu == "元":
        pattern, wrong = _WANYUAN, "万元"
    else:
        return
    for path, text in iter_texts(ctx.unit, overview=False):
        hits = list(pattern.finditer(text))
        if hits:
            found = "、".join(dict.fromkeys(f"“{m.group()}”" for m in hits[:6])) + ("等" if len(hits) > 6 else "")
            yield _finding(r, ctx, path, text, hits[0].start(),
                           f"报表金额单位为{mu}，但“{_field(path)}”写有 {found}（单位为{wrong}），"
                           f"请确认金额与单位：{snippet(text, *hits[0].span())}",
                           column=_field(path))


# ---------------------------------------------------------------- the composed text itself

# A run of 2–30 characters starting with a CJK character, written twice in a row ("用于用于",
# "主要原因是主要原因是", "人员经费0.00元，主要包括人员经费0.00元，主要包括"); two sentence marks in a row.
DOUBLED_RUN = re.compile(r"([\u4e00-\u9fff][^\n]{1,29}?)\1")
# function characters whose doubling is a typo (常常、人人 are words; 于于、的的、元元 are not; 现在在职 is
# why 在 is not here)
DOUBLED_CHAR = re.compile(r"([的了于元])\1")
DOUBLED_MARK = re.compile(r"[，。、；：,;:？！]{2,}")


def doubled(text: str) -> list[re.Match]:
    """Every doubled run of words, doubled function character and doubled punctuation in ``text``."""
    chars = [m for m in DOUBLED_CHAR.finditer(text) if not _inside_ok(text, m.start())]
    return list(DOUBLED_RUN.finditer(text)) + chars + list(DOUBLED_MARK.finditer(text))


def printed_names(ctx: Context) -> list[str]:
    """Names the report prints as the unit typed them (the unit's, each 类/款/项 and 经济分类 row's,
    each 附件's and 自评 project's), longest first: a repeat inside one of them is the name itself."""
    if "printed-names" not in ctx.cache:
        d, u = ctx.derived, ctx.unit
        names = {u.name, *(a for a in u.attachments or [] if isinstance(a, str))}
        for t in (d.income_table, d.expense_table, d.gp_expense_table, d.fund_table, d.soe_table):
            names.update(r.name for r in t.rows if r.name)
        names.update(line.name for line in d.econ.values() if line.name)
        for ev in d.self_evals.values():
            names.update((ev.ev.project, ev.ev.title))
        ctx.cache["printed-names"] = sorted((n for n in names if isinstance(n, str) and len(n) >= 4),
                                            key=len, reverse=True)
    return ctx.cache["printed-names"]


def _inside_name(text: str, start: int, end: int, names: list[str]) -> bool:
    """Whether text[start:end] lies inside one occurrence of one of ``names``."""
    for n in names:
        i = text.find(n, max(0, end - len(n)))
        while i != -1 and i <= start:
            if i + len(n) >= end:
                return True
            i = text.find(n, i + 1)
    return False


@rule("N-COMPOSED-REPEAT", "报告中组成的每一句（模板措辞与单位文字连起来之后）不得有重复的词或标点；名称本身中的重复不算",
      ERROR, tables=(TEXT,), composed=True)
def composed_repeats(r: Rule, ctx: Context):
    texts = list(iter_texts(ctx.unit))
    names = printed_names(ctx)
    seen: set[str] = set()
    for section, text in ctx.composed or ():
        for m in doubled(text):
            hit = m.group()
            if _inside_name(text, m.start(), m.end(), names):
                continue              # “新材料新材料产业中心”: the name as the unit typed it, not a join
            inside = next(((path, t) for path, t in texts if hit in t), None)
            if inside and (_REPEAT.search(hit) or _DOUBLE_PUNCT.search(hit)):
                continue              # the unit's own text: N-REPEAT-WORD / N-PUNCT report it there
            if (section, hit) in seen:
                continue
            seen.add((section, hit))
            where = (text_source(ctx.unit, inside[0], inside[1], inside[1].find(hit)) if inside
                     else ctx.unit.src(WORDS))
            cause = (f"出自“{_field(inside[0])}”" if inside else
                     "由单位文字与模板措辞连成（请检查该节用到的单位文字的开头或结尾）")
            yield Finding(r.id, r.severity, TEXT, f"“{section}”中有重复的{'标点' if DOUBLED_MARK.fullmatch(hit) else '词'}"
                          f"“{hit}”，{cause}：{snippet(text, m.start(), m.end())}", where, row=section)
