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


@rule("C-CLASS-NAME", "类名称必须与本年度支出功能分类科目一致", ERROR, ("02", "03", "05", "07", "08"))
def c_class_name(r: Rule, ctx: Context):
    known = dict(ctx.profile.classes)
    old = ctx.profile.renamed_classes
    for table, row in _named_rows(ctx):
        if (len(row.code) == 3 and row.code in known and name_key(row.name) != name_key(known[row.code])
                and name_key(row.name) not in {name_key(n) for n in old.get(row.code, ())}):
            yield Finding(r.id, r.severity, TABLE_KEYS[table],
                          f"类“{row.code}”名称应为“{known[row.code]}”，填写的是“{row.name}”", row.src,
                          f"{row.code} {row.name}", "科目名称")


@rule("C-OLD-NAME", "科目名称用了以前年度的旧名称", WARNING, ("02", "03", "05", "07", "08"))
def c_old_name(r: Rule, ctx: Context):
    known = dict(ctx.profile.classes)
    for table, row in _named_rows(ctx):
        if (name_key(row.name) in {name_key(n) for n in ctx.profile.renamed_classes.get(row.code, ())}
                and name_key(row.name) != name_key(known.get(row.code))):
            yield Finding(r.id, r.severity, TABLE_KEYS[table],
                          f"“{row.code} {row.name}”是以前年度的科目名称，{ctx.profile.year_label}应为“{known[row.code]}”",
                          row.src, f"{row.code} {row.name}", "科目名称")


@rule("C-ECON-CODE", "06表经济分类科目编码必须在本年度经济分类目录中", ERROR, ("06",))
def c_econ_code(r: Rule, ctx: Context):
    for g in ctx.unit.econ_rows:
        if g.code not in ctx.profile.econ_names and g.code not in ("人员经费合计", "公用经费合计"):
            yield Finding(r.id, r.severity, "06", f"经济分类科目编码“{g.code}”不在{ctx.profile.year_label}的经济分类目录中"
                          "（这一行的金额无法列入06表）", g.src, g.code, "科目编码")


@rule("C-ECON-NAME", "06表经济分类科目名称必须与目录一致", ERROR, ("06",))
def c_econ_name(r: Rule, ctx: Context):
    for g in ctx.unit.econ_rows:
        expected = ctx.profile.econ_names.get(g.code)
        if expected and g.name and name_key(g.name) != name_key(expected):
            yield Finding(r.id, r.severity, "06", f"经济分类“{g.code}”的名称应为“{expected}”，填写的是“{g.name}”",
                          g.src, g.code, "科目名称")
