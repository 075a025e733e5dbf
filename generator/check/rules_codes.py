"""Codes and names: one code, one name, and it is the name of the year's 政府收支分类科目."""
from __future__ import annotations

from ..model import SUBJECT_TABLES, name_key
from .registry import ERROR, WARNING, Context, Finding, Rule, rule
from .rules_tables import TABLE_KEYS


def _named_rows(ctx: Context):
    for table in SUBJECT_TABLES:
        for row in ctx.unit.subject_tables.get(table, []):
            if row.code != "合计" and row.name:
                yield table, row


@rule("C-NAME", "同一科目编码在各表中的名称必须相同", ERROR, ("02", "03", "05", "07", "08"))
def c_name(r: Rule, ctx: Context):
    first: dict[str, tuple[str, str]] = {}
    for table, row in _named_rows(ctx):
        if row.code not in first:
            first[row.code] = (table, row.name)
            continue
        t0, n0 = first[row.code]
        if name_key(row.name) != name_key(n0):
            yield Finding(r.id, r.severity, TABLE_KEYS[table],
                          f"科目“{row.code}”在{table}中名为“{row.name}”，在{t0}中名为“{n0}”；同一编码只能有一个名称",
                          row.src, f"{row.code} {row.name}", "科目名称")


@rule("C-CLASS", "类编码必须是本年度26个支出功能分类类之一", ERROR, ("01", "02", "03"))
def c_class(r: Rule, ctx: Context):
    known = dict(ctx.profile.classes)
    seen = set()
    for table, rows in ctx.unit.subject_tables.items():
        for row in rows:
            cls = row.code[:3]
            if row.code != "合计" and cls not in known and cls not in seen:
                seen.add(cls)
                yield Finding(r.id, r.severity, TABLE_KEYS[table],
                              f"科目“{row.code}”的类“{cls}”不在{ctx.profile.year_label}的支出功能分类类中",
                              row.src, f"{row.code} {row.name}", "科目编码")


def _typed_names(ctx: Context, wrong) -> dict[tuple[str, str], list]:
    """(code, typed name) -> [(table, row)] for each named row where ``wrong(row)``: a name is
    reported once, with every place it is typed."""
    typed: dict[tuple[str, str], list] = {}
    for table, row in _named_rows(ctx):
        if wrong(row):
            typed.setdefault((row.code, name_key(row.name)), []).append((table, row))
    return typed


def _places(places) -> str:
    return "、".join(_place(t, x.src) for t, x in places)


@rule("C-CLASS-NAME", "类名称必须与本年度支出功能分类科目一致", ERROR, ("02", "03", "05", "07", "08"))
def c_class_name(r: Rule, ctx: Context):
    known = dict(ctx.profile.classes)
    old = ctx.profile.renamed_classes
    for (code, _), places in _typed_names(ctx, lambda row: (
            len(row.code) == 3 and row.code in known and name_key(row.name) != name_key(known[row.code])
            and name_key(row.name) not in {name_key(n) for n in old.get(row.code, ())})).items():
        table, row = places[0]
        yield Finding(r.id, r.severity, TABLE_KEYS[table],
                      f"类“{code}”名称应为“{known[code]}”，填写的是“{row.name}”（{_places(places)}）", row.src,
                      f"{code} {row.name}", "科目名称")


@rule("C-OLD-NAME", "科目名称用了以前年度的旧名称", WARNING, ("02", "03", "05", "07", "08"))
def c_old_name(r: Rule, ctx: Context):
    known = dict(ctx.profile.classes)
    for (code, _), places in _typed_names(ctx, lambda row: (
            name_key(row.name) in {name_key(n) for n in ctx.profile.renamed_classes.get(row.code, ())}
            and name_key(row.name) != name_key(known.get(row.code)))).items():
        table, row = places[0]
        yield Finding(r.id, r.severity, TABLE_KEYS[table],
                      f"“{code} {row.name}”是以前年度的科目名称，{ctx.profile.year_label}应为“{known[code]}”"
                      f"（{_places(places)}）", row.src, f"{code} {row.name}", "科目名称")


def _place(table: str, src) -> str:
    """“收入决算表第24行” (YAML) or “收入决算表!B7” (workbook)."""
    return src.cell or (f"{table}第{src.line}行" if src.line else table)


def _named_by(names: dict[str, str], code: str, typed: str) -> str:
    """Another code of the same level and parent whose catalogue name is ``typed``: the code the
    unit may have meant (2101102 typed as 公务员医疗补助 is the name of 2101103)."""
    parent = code[:-2]
    return next((c for c, n in sorted(names.items()) if c != code and len(c) == len(code)
                 and c.startswith(parent) and name_key(n) == name_key(typed)), "")


@rule("C-SUBJECT-NAME", "款、项名称应与本年度支出功能分类科目目录一致", WARNING, ("02", "03", "05", "07", "08"))
def c_subject_name(r: Rule, ctx: Context):
    """Each 款 or 项 name the unit types that is not the name of the year's catalogue (功能分类款目录):
    one warning per code and name, listing every place it is typed. Codes the catalogue does not
    hold are not judged here (C-SUBJECT-CODE, only where the catalogue is complete)."""
    names = ctx.profile.subject_names
    typed = _typed_names(ctx, lambda row: len(row.code) in (5, 7) and row.code in names
                         and name_key(row.name) != name_key(names[row.code]))
    source = ctx.profile.kuan_catalogue
    for (code, _), places in typed.items():
        table, row = places[0]
        level = "款" if len(code) == 5 else "项"
        other = _named_by(names, code, row.name)
        hint = f"；“{row.name}”是{level}“{other}”的名称，请核对编码" if other else ""
        where = _places(places)
        yield Finding(r.id, r.severity, TABLE_KEYS[table],
                      f"{level}“{code}”在{ctx.profile.year_label}支出功能分类科目中名为“{names[code]}”，"
                      f"填写的是“{row.name}”（{where}）{hint}；名称照科目原文填写（目录：{source}）",
                      row.src, f"{code} {row.name}", "科目名称")


@rule("C-SUBJECT-CODE", "收全了的类、款之下，编码必须在本年度支出功能分类科目目录中", ERROR, ("02", "03", "05", "07", "08"))
def c_subject_code(r: Rule, ctx: Context):
    """A 款 under a 类, or a 项 under a 款, that the catalogue lists as complete (完整) but that
    the catalogue does not hold: no such code that year. Elsewhere the catalogue is partial and an
    unknown code is not judged (docs/profiles.md)."""
    names, complete = ctx.profile.subject_names, ctx.profile.subject_complete
    seen: dict[str, list[tuple[str, object]]] = {}
    for table, rows in ctx.unit.subject_tables.items():
        for row in rows:
            if len(row.code) in (5, 7) and row.code[:-2] in complete and row.code not in names:
                seen.setdefault(row.code, []).append((table, row))
    for code, places in seen.items():
        table, row = places[0]
        level, parent = ("款", "类") if len(code) == 5 else ("项", "款")
        where = _places(places)
        yield Finding(r.id, r.severity, TABLE_KEYS[table],
                      f"{ctx.profile.year_label}支出功能分类科目{parent}“{code[:-2]}”下没有{level}“{code}”（{where}）；"
                      f"请按当年科目核对编码（目录：{ctx.profile.kuan_catalogue}）",
                      row.src, f"{code} {row.name}", "科目编码")


@rule("C-ECON-CODE", "06表经济分类科目编码必须在本年度经济分类目录中", ERROR, ("06",))
def c_econ_code(r: Rule, ctx: Context):
    for g in ctx.unit.econ_rows:
        if g.code not in ctx.profile.econ_names and g.code not in ("人员经费合计", "公用经费合计"):
            yield Finding(r.id, r.severity, "06", f"经济分类科目编码“{g.code}”不在{ctx.profile.year_label}的经济分类目录中"
                          "（这一行的金额无法列入06表）", g.src, g.code, "科目编码")


@rule("C-ECON-NAME", "06表经济分类科目名称应与本年度经济分类目录一致", WARNING, ("06",))
def c_econ_name(r: Rule, ctx: Context):
    """A name typed beside a 经济分类 code that is not the catalogue's: 06 prints the catalogue's
    name, so this is a warning that the code or the name is wrong (and which code has that name)."""
    names = ctx.profile.econ_names
    for g in ctx.unit.econ_rows:
        expected = names.get(g.code)
        if expected and g.name and name_key(g.name) != name_key(expected):
            other = _named_by(names, g.code, g.name)
            hint = f"；“{g.name}”是“{other}”的名称，请核对编码" if other else ""
            yield Finding(r.id, r.severity, "06", f"经济分类“{g.code}”在{ctx.profile.year_label}的名称为“{expected}”，"
                          f"填写的是“{g.name}”{hint}；06表印目录名称", g.src, g.code, "科目名称")
