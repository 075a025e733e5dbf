"""The figures a published report prints only in its narrative, read back from its PDF (issue 26):
last year's figures (上年), the budgets (年初预算, 全年预算) and the counts and amounts of 情况说明
(三公 批次, 政府采购 中小企业金额, 预算绩效 项目数 …).

Nothing here knows a region's sentences: the profile's own wording is the guide. The unit read
from the PDF's tables is composed with a probe value in each of these places, twice (values A,
then B): a figure of a composed sentence that changes between A and B prints one of them — as
it is (上年数, 预算数, a count), or as its difference from a figure of the tables (增减额,
预决算差额: |T − value|, where T is the figure it is compared with, found from the facts the probe
gives). The printed sentence with the same wording (``sentences.counterpart``) then gives the
value: the figure printed there, or T ∓ it. Because the wording of a comparison depends on its
direction (增加/减少, 大于/小于), the probes are made twice: every value below its T, every value
above it. Rates are not solved from (they follow from the values); they are compared with what
the solved values give by rule P-TEXT, as is every other figure of the narrative.

A value that several sentences give is taken from the first; a later sentence that says
otherwise is a contradiction the check reports. A value no sentence gives stays out of the data.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from .compose.report import compose
from .derive.facts import SECTIONS, section_facts
from .derive.totals import Derived
from .errors import InputError
from .model import PrintedSentence
from .numbers import Change, round_places
from .published_texts import printed_of, set_path
from .sentences import FUZZY, Sentence, composed_sentences, counterpart, index, printed_sentences, value

MARK = Decimal(10) ** 8            # the marker values that find each figure's counterpart T
BUDGETS = ("年初预算", "全年预算")
GP = "一般公共预算财政拨款支出"
Leaf = tuple[str, ...]


@dataclass(frozen=True)
class Probe:
    a: dict[Leaf, Decimal]
    b: dict[Leaf, Decimal]
    direction: str                  # below | above | "" (values with no counterpart)


# ---------------------------------------------------------------- the places

@lru_cache(maxsize=1)
def _schema() -> dict:
    return json.loads((Path(__file__).parent / "load" / "unit.schema.json").read_text(encoding="utf-8"))


def _schema_leaves(node: dict, path: Leaf) -> Iterator[tuple[Leaf, str]]:
    """The money and count places under ``node`` of the unit schema (not maps of codes or items)."""
    schema = _schema()
    ref = node.get("$ref", "").rsplit("/", 1)[-1]
    if ref in ("money", "count"):
        yield path, ref
        return
    if ref:
        node = schema["$defs"][ref]
    for key, sub in (node.get("properties") or {}).items():
        yield from _schema_leaves(sub, path + (key,))


def places(data: dict, derived: Derived) -> tuple[list[Leaf], dict[Leaf, str]]:
    """(figures compared with one of the tables: 上年 and budgets; figures printed as they are:
    the counts and amounts of 情况说明 and 相关信息统计, each with its kind: money | count | score)
    that the data does not hold yet. The names of items, grades and vehicle kinds are the
    profile's."""
    props = _schema()["properties"]
    profile = derived.profile
    codes = [r.code for r in derived.gp_expense_table.rows if r.code.isdigit()]
    compared: list[Leaf] = [p for p, kind in _schema_leaves(props["上年"], ("上年",)) if kind == "money"]
    compared += [("上年", f"{GP}按类", c) for c in codes if len(c) == 3]
    compared += [("上年", "三公经费", item) for item in profile.sangong.leaves]
    compared += [(b, GP, c) for b in BUDGETS for c in codes]
    plain = dict(_schema_leaves(props["情况说明"], ("情况说明",)))
    plain.update(_schema_leaves(props["相关信息统计"], ("相关信息统计",)))
    plain.update({("相关信息统计", "车辆", kind): "count" for kind in profile.vehicle_kinds})
    plain.update({("情况说明", "预算绩效", "自评等级", g): "count" for g in profile.performance_grades})
    plain[("情况说明", "预算绩效", "平均得分")] = "score"
    return ([p for p in compared if _get(data, p) is None],
            {p: kind for p, kind in plain.items() if _get(data, p) is None})


def _get(data: dict, path: Leaf) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


# ---------------------------------------------------------------- composing the probes

def _with(data: dict, values: dict[Leaf, Decimal]) -> dict:
    """``data`` with ``values`` set, ``data`` untouched: the mappings on each value's path are copied."""
    probe = dict(data)
    copied: set[Leaf] = {()}
    for leaf, v in values.items():
        node = probe
        for k in range(1, len(leaf)):
            head = leaf[:k]
            child = node.get(leaf[k - 1])
            if head not in copied:
                child = dict(child) if isinstance(child, dict) else {}
                node[leaf[k - 1]] = child
                copied.add(head)
            node = child
        node[leaf[-1]] = v
    return probe


NOT_FACTS = {"unit", "profile", "words", "annexes", "forms", "grade_counts", "econ_catalogue", "subject_tables"}


def _walk(obj: Any, out: list, seen: set[int], depth: int = 0) -> None:
    """The (compared figure, figure of the tables) pairs among the facts: a Change's last and this,
    a detail's budget and amount. Each object once (the sections share their common facts)."""
    if depth > 6 or isinstance(obj, (str, Decimal, int)) or id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, Change):
        out.append((obj.last, obj.this))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k not in NOT_FACTS:
                _walk(v, out, seen, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _walk(v, out, seen, depth + 1)
    elif is_dataclass(obj) and not isinstance(obj, type):
        budget, amount = getattr(obj, "budget", None), getattr(obj, "amount", None)
        if isinstance(budget, Decimal) and isinstance(amount, Decimal):
            out.append((budget, amount))
        for f in fields(obj):
            if f.name not in NOT_FACTS:
                _walk(getattr(obj, f.name), out, seen, depth + 1)


def counterparts(data: dict, path: Path, leaves: list[Leaf]) -> dict[Leaf, Decimal]:
    """The figure of the tables each place is compared with (上年 → this year's, a budget → the
    决算数), found from the facts of a probe with a marker in each place (全年预算 on its own: a
    figure given both budgets is compared with the 全年 one only)."""
    out: dict[Leaf, Decimal] = {}
    for group in ([x for x in leaves if x[0] != "全年预算"], [x for x in leaves if x[0] == "全年预算"]):
        marks = {leaf: MARK + k for k, leaf in enumerate(group)}
        if not marks:
            continue
        d = printed_of(_with(data, marks), path)
        pairs: list = []
        seen: set[int] = set()
        facts = [section_facts(d, name) for name in SECTIONS]     # kept alive while walked (ids)
        for f in facts:
            _walk(f, pairs, seen)
        by_mark = {m: leaf for leaf, m in marks.items()}
        for mark, this in pairs:
            leaf = by_mark.get(mark)
            if leaf is not None and isinstance(this, Decimal) and this < MARK:
                out.setdefault(leaf, this)
    return out


def _spread(k: int, low: str, step: str, period: int) -> Decimal:
    """A fraction of its own for the k-th place: sums of several places' probe values are then
    unlikely to equal another place's."""
    return Decimal(low) + Decimal(step) * (k % period)


def probes(compared: dict[Leaf, Decimal], plain: dict[Leaf, str]) -> list[Probe]:
    """Pairs of probe values: every compared place below its counterpart, then above it (each
    place with values of its own, so that a printed figure says which place it comes from); the
    plain places take the same values in both. 年初预算 alone, then with 全年预算."""
    below_a, below_b, above_a, above_b = {}, {}, {}, {}
    for k, (leaf, t) in enumerate(compared.items()):
        a = round_places(t * _spread(k, "0.55", "0.0123", 17), 2)
        b = round_places(t * _spread(k, "0.15", "0.0147", 13), 2)
        if 0 < b < a < t:
            below_a[leaf], below_b[leaf] = a, b
        above_a[leaf] = round_places(t * _spread(k, "1.5", "0.0123", 17), 2) + 1
        above_b[leaf] = round_places(t * _spread(k, "2.5", "0.0147", 13), 2) + 2
    def number(n: int, kind: str) -> Decimal | int:
        return n if kind == "count" else Decimal(n)
    plain_a = {leaf: number(101 + k, kind) for k, (leaf, kind) in enumerate(plain.items())}
    plain_b = {leaf: number(301 + 3 * k, kind) for k, (leaf, kind) in enumerate(plain.items())}
    out = []
    # a report gives 全年预算 (adjusted) or not: the wording differs, so both are tried, 年初 alone first
    for budgets in (("年初预算",), BUDGETS):
        def kept(values: dict) -> dict:
            return {leaf: v for leaf, v in values.items() if leaf[0] not in BUDGETS or leaf[0] in budgets}
        out += [Probe(kept({**below_a, **plain_a}), kept({**below_b, **plain_b}), "below"),
                Probe(kept({**above_a, **plain_a}), kept({**above_b, **plain_b}), "above")]
    return out


def _sentences(data: dict, path: Path) -> list[Sentence]:
    return composed_sentences(compose(printed_of(data, path), tables=False).section_texts())


def _varying(sa: list[Sentence], sb: list[Sentence], probe: Probe, compared: dict[Leaf, Decimal]
             ) -> tuple[dict[tuple[int, int], tuple[Leaf, str]], set[tuple[int, int]]]:
    """The figures of the A-report that print a place: (sentence, figure) → (place, how it prints
    it: as | below | above); and every figure that the probe values change (rates too)."""
    out: dict[tuple[int, int], tuple[Leaf, str]] = {}
    changed: set[tuple[int, int]] = set()
    if [s.skeleton for s in sa] != [s.skeleton for s in sb]:
        return out, {(k, j) for k, s in enumerate(sa) for j in range(len(s.numbers))}   # nothing is sure
    for k, (x, y) in enumerate(zip(sa, sb)):
        for j, (na, nb) in enumerate(zip(x.numbers, y.numbers)):
            va, vb = value(na), value(nb)
            if va == vb:
                continue
            changed.add((k, j))
            found = []
            for leaf, a in probe.a.items():
                b = probe.b[leaf]
                t = compared.get(leaf)
                if (va, vb) == (a, b):
                    found.append((leaf, "as"))
                elif t is not None and (va, vb) == (abs(t - a), abs(t - b)):
                    found.append((leaf, probe.direction))
            if len(found) == 1:
                out[(k, j)] = found[0]
    return out, changed


@dataclass
class Read:
    """What the narrative gave: each place's value and the page that prints it; and the printed
    figures that depend on places no sentence gave (a total of budgets one of which is not
    printed): (index in the printed sentences, figure index), not to be compared."""
    found: dict[Leaf, tuple[Decimal | int, int]] = field(default_factory=dict)
    unsure: set[tuple[int, int]] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)      # what was read in part and therefore not written
    inferred: dict[Leaf, str] = field(default_factory=dict)   # places not printed as such, found otherwise: why


def _solve(said: list[tuple[int, Sentence]], times: Counter, data: dict, path: Path, probe: Probe,
           compared: dict[Leaf, Decimal], kinds: dict[Leaf, str], found: dict, printable: set) -> None:
    """The places the probe's sentences print that the printed sentences give (into ``found``);
    every place a sentence of the probe prints (into ``printable``)."""
    sa, sb = _sentences(_with(data, probe.a), path), _sentences(_with(data, probe.b), path)
    varying, changed = _varying(sa, sb, probe, compared)
    printable |= {leaf for leaf, _ in varying.values()}
    at = {id(s): k for k, s in enumerate(sa)}
    by_skeleton = index(sa)
    for _, s in said:
        got = counterpart(s, by_skeleton, times[s.skeleton],
                          decisive=lambda c: {j for j in range(len(c.numbers)) if (at[id(c)], j) not in changed})
        if got is None:
            continue
        c, paired = got
        for i, j in paired:
            leaf_how = varying.get((at[id(c)], j))
            if leaf_how is None or leaf_how[0] in found:
                continue
            leaf, how = leaf_how
            p, t = value(s.numbers[i]), compared.get(leaf)
            v = p if how == "as" else (t - p if how == "below" else t + p)
            if v >= 0 and (kinds.get(leaf) != "count" or v == v.to_integral_value()):
                found[leaf] = (int(v) if kinds.get(leaf) == "count" else v, s.page or 0)


def _level(said: list[tuple[int, Sentence]], times: Counter, data: dict, path: Path,
           compared: dict[Leaf, Decimal], found: dict, printable: set) -> None:
    """The places printed equal to their counterpart (预算 = 决算: “年初预算为0.88万元，支出决算为
    0.88万元”, worded as 持平) or as 0 (a 类 new this year: “较上年决算增加5,923.37万元”, no rate; a
    budget of 0: “年初预算为0.00万元”),
    which neither probe prints: one place and value at a time, the sentences that giving it the
    value adds, against the printed ones — all their figures alike, the counterpart's among them."""
    groups = {leaf[0] for leaf in found}
    rest = [leaf for leaf in compared if leaf not in found and leaf in printable and leaf[0] in groups]
    # a budget of 0 in all (“年初预算为0.00万元”): no probe reads it (the total of several places);
    # one 类 of a budget none of whose places is read, given 0, prints it
    rest += [leaf for leaf in compared if leaf[0] in BUDGETS and leaf[0] not in groups and len(leaf[-1]) == 3]
    if not rest:
        return
    current = _with(data, {leaf: v for leaf, (v, _) in found.items()})
    before = Counter(s.text for s in _sentences(current, path))
    for leaf in rest:
        t = compared[leaf]
        # a place of a group none of whose places the probes read (年初预算 all 0: “年初预算为0.00万元”):
        # only 0, printed as such
        guesses = ((t, Decimal(0)) if t else (t,)) if leaf[0] in groups else (Decimal(0),)
        shown = t if leaf[0] in groups else Decimal(0)
        for guess in guesses:
            if leaf in found:
                break
            new = [s for s in _sentences(_with(current, {leaf: guess}), path) if not before[s.text]]
            by_skeleton = index(new)
            by_skeleton.pop(FUZZY)      # worded exactly as the profile words it: a sentence worded
            #                             otherwise may say 增加 or 减少 with the same figures around
            for _, s in said:
                got = counterpart(s, by_skeleton, times[s.skeleton])
                if got and any(value(s.numbers[i]) == shown for i, _ in got[1]) and all(
                        value(s.numbers[i]) == value(got[0].numbers[j]) for i, j in got[1]):
                    found[leaf] = (guess, s.page or 0)
                    current = _with(current, {leaf: guess})
                    before = Counter(s.text for s in _sentences(current, path))
                    break


def _stated(said: list[tuple[int, Sentence]], times: Counter, data: dict, path: Path, kinds: dict[Leaf, str],
            found: dict) -> None:
    """A stated 合计 (政府采购 2319.21 where its parts add up to 2319.22): derive takes it only within
    rounding of its parts' sum, so no probe value prints it. Where a printed sentence differs from
    its composed counterpart in one figure, that figure given to an open 合计 that makes the two
    sentences alike is the 合计 stated."""
    open_totals = [leaf for leaf in kinds if leaf[-1] == "合计" and leaf not in found and kinds[leaf] == "money"]
    if not open_totals:
        return
    current = _with(data, {leaf: v for leaf, (v, _) in found.items()})
    by_skeleton = index(_sentences(current, path))
    for _, s in said:
        got = counterpart(s, by_skeleton, times[s.skeleton])
        if got is None:
            continue
        differing = [value(s.numbers[i]) for i, j in got[1] if value(s.numbers[i]) != value(got[0].numbers[j])]
        if len(differing) != 1:
            continue
        for leaf in open_totals:
            again = index(_sentences(_with(current, {leaf: differing[0]}), path))
            alike = counterpart(s, again, times[s.skeleton])
            if alike and all(value(s.numbers[i]) == value(alike[0].numbers[j]) for i, j in alike[1]) \
                    and len(alike[1]) == len(s.numbers):
                found[leaf] = (differing[0], s.page or 0)
                current = _with(current, {leaf: differing[0]})
                open_totals.remove(leaf)
                break
        if not open_totals:
            return


def _unsure(said: list[tuple[int, Sentence]], times: Counter, data: dict, path: Path, compared: dict[Leaf, Decimal],
            kinds: dict[Leaf, str], found: dict, printable: set) -> set[tuple[int, int]]:
    """The printed figures that the places not read would change (see ``Read``): places the
    profile prints (a 类's budget that only a total would show is not one), of a kind read in part."""
    groups = {leaf[0] for leaf in found}
    rest = printable - set(found)
    rest_compared = {leaf: t for leaf, t in compared.items() if leaf in rest and leaf[0] in groups}
    rest_plain = {leaf: k for leaf, k in kinds.items() if leaf in rest and leaf[0] in groups}
    if not rest_compared and not rest_plain:
        return set()
    current = _with(data, {leaf: v for leaf, (v, _) in found.items()})
    out: set[tuple[int, int]] = set()
    for probe in probes(rest_compared, rest_plain)[2:]:      # 年初预算 and 全年预算 alike
        sa, sb = _sentences(_with(current, probe.a), path), _sentences(_with(current, probe.b), path)
        _, changed = _varying(sa, sb, probe, rest_compared)
        at = {id(s): k for k, s in enumerate(sa)}
        by_skeleton = index(sa)
        for n, s in said:
            got = counterpart(s, by_skeleton, times[s.skeleton])
            if got:
                out |= {(n, i) for i, j in got[1] if (at[id(got[0])], j) in changed}
    return out


# figures that only together make a total the report prints: read in part, they would print a wrong one
GROUPS = (("上年", f"{GP}按类"), ("上年", "三公经费"), ("年初预算", GP), ("全年预算", GP))


def _partial(found: dict, printable: set, data: dict, printed: str = "",
             names: dict[str, tuple[str, ...]] | None = None, inferred: dict | None = None) -> list[str]:
    """Take out of ``found`` each group of GROUPS the narrative gives only in part; say which. Last
    year's 类 must add up to last year's 一般公共预算财政拨款支出: a 类 only last year had is not
    printed as such. When they do not add up, what they lack goes to the one 类 of the profile's
    catalogue (``names``: code → its names) that the narrative (``printed``) names and this year has
    not (“上年该项支出类为资源勘探工业信息等支出”), said as a note; with none or several, they are not
    written either."""
    notes = []
    classes = {leaf: v for leaf, (v, _) in found.items() if leaf[:2] == ("上年", f"{GP}按类")}
    total = found.get(("上年", GP), (_get(data, ("上年", GP)), 0))[0]
    if classes and total is not None and sum(classes.values()) != Decimal(str(total)):
        rest = Decimal(str(total)) - sum(classes.values())
        this_year = {leaf[-1] for leaf in printable if leaf[:2] == ("上年", f"{GP}按类")}
        named = [code for code, words in (names or {}).items()
                 if code not in this_year and any(w and w in printed for w in words)]
        if rest > 0 and len(named) == 1:
            page = min(p for _, p in (found[leaf] for leaf in classes))
            leaf = ("上年", f"{GP}按类", named[0])
            found[leaf] = (rest, page)
            if inferred is not None:
                inferred[leaf] = (f"上年.{GP}按类.{named[0]}：各类之和比上年{GP} {total} 少 {rest}，说明中提到本年没有的"
                                  f"“{names[named[0]][0]}”（{named[0]}），记为它的上年数：请核对")
        else:
            for leaf in classes:
                del found[leaf]
            notes.append(f"上年.{GP}按类：读出的各类之和 {sum(classes.values())} 不等于上年{GP} {total}"
                         "（上年有本年没有的类？），没有写入：请照报告填写")
    for group in GROUPS:
        members = {leaf for leaf in printable | set(found) if leaf[:2] == group}
        got = {leaf for leaf in members if leaf in found}
        if got and members - got:
            for leaf in got:
                del found[leaf]
            notes.append(f"{'.'.join(group)}：说明中印了 {len(members)} 项，只读出 {len(got)} 项"
                         f"（{'、'.join(leaf[-1] for leaf in sorted(got))}；没有读出 "
                         f"{'、'.join(leaf[-1] for leaf in sorted(members - got))}），合计会不对，都没有写入：请照报告填写")
    return notes


def read_figures(printed: list[PrintedSentence], data: dict, path: Path, before: Read | None = None,
                 in_tables: set[str] = frozenset()) -> Read:
    """Set into ``data`` the 上年, budget, 情况说明 and 相关信息统计 figures the narrative ``printed``
    gives (see ``Read``). ``before``: what an earlier reading gave (now in ``data``), kept; read
    again after more of the unit's texts are known, a sentence holding them can be matched.
    ``in_tables``: places a table of the report prints (a blank cell too): the table says them."""
    read = Read(dict(before.found) if before else {}, inferred=dict(before.inferred) if before else {})
    try:
        base = printed_of(data, path)
        compared_places, kinds = places(data, base)
        compared_places = [p for p in compared_places if ".".join(p) not in in_tables]
        kinds = {p: k for p, k in kinds.items() if ".".join(p) not in in_tables}
        compared = counterparts(data, path, compared_places)
        said = [(n, s) for n, s in enumerate(printed_sentences(printed)) if s.numbers]
        times = Counter(s.skeleton for _, s in said)
        printable: set[Leaf] = set()
        for probe in probes(compared, kinds):
            _solve(said, times, data, path, probe, compared, kinds, read.found, printable)
        _level(said, times, data, path, compared, read.found, printable)
        _stated(said, times, data, path, kinds, read.found)
        read.unsure = _unsure(said, times, data, path, compared, kinds, read.found, printable)
        names = {code: (name, *base.profile.renamed_classes.get(code, ())) for code, name in base.profile.classes}
        read.notes = _partial(read.found, printable, data, "".join(p.text for p in printed), names, read.inferred)
        read.notes += [note for leaf, note in read.inferred.items() if leaf in read.found]
    except (InputError, ValueError):
        return before or Read()
    for leaf, (v, _) in read.found.items():
        set_path(data, leaf, v)
    return read
