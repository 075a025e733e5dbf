"""`juesuan audit 报告.pdf`: check a published 决算公开 that we did not generate (issue 26).

A department reviews its units' reports made in Word, last year's publications, other
departments': the report is read back into data as `juesuan import` reads it (published_report:
its tables, the unit's texts, and the 上年, budget and 情况说明 figures its narrative gives), every
check rule runs on that data, every figure the report prints in a cell computed from others is
compared with what its own rows give (rule P-PRINTED), and every figure of a narrative sentence
with the same sentence composed from the report's tables (rule P-TEXT). The report and its JSON
are those of `juesuan check`; each finding names the page and the table or the sentence. What a
PDF gives in part or not at all (texts, 上年 and budgets the narrative does not print, the 附件):
the findings about it (they would only say that the data lacks it) are left out, and the report
says how many.
"""
from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_CHECKS, EXIT_INPUT = 0, 1, 2
NOT_READ = ("情况说明", "上年", "年初预算", "全年预算", "附件", "上年数据文件")   # data keys no PDF gives
NOT_READ_TABLES = ("情况说明", "附件")


def add_command(subparsers) -> None:
    from .cli_profiles import add_profiles_argument
    a = subparsers.add_parser("audit", help="检查一份已公开的决算公开 PDF（不是本程序生成的也可以）：读出各表，做全部勾稽检查")
    a.add_argument("file", type=Path, help="已公开的报告（.pdf，有文字层）")
    a.add_argument("--profile", metavar="模板", help="报告所用的公开版式，如 shanghai-2024（不写：按报告的封面和表格认出）")
    a.add_argument("--format", choices=("text", "json"), default="text", help="输出：text（默认，按表分组）或 json（与 check 相同）")
    add_profiles_argument(a)


def not_read(finding, read: set[str] = frozenset()) -> bool:
    """A finding about data the PDF gives in part or not at all (texts, last year, budgets, 附件):
    not one on the narrative's figures against the tables (P-TEXT), nor one at a place the
    narrative gave (``read``: 情况说明.政府采购.其他项目中小企业合同金额 …) or in a 附件 form read
    whole (``read``: 附件[0].项目自评)."""
    path = finding.source.path
    if finding.rule == "P-TEXT" or path in read or any(path.startswith(f"{r}.") or path.startswith(f"{r}[")
                                                          for r in read if r.startswith("附件[")):
        return False
    root = finding.source.path.split(".", 1)[0].split("[", 1)[0]
    return finding.table in NOT_READ_TABLES or root in NOT_READ


def texts_read(data: dict) -> set[str]:
    """The places of the unit's own texts the PDF gave (情况说明.预算绩效 …): a finding about what
    such a text says stands; one about a text not read does not."""
    out: set[str] = set()

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, str) and node.strip():
            out.add(path)
    for root in ("概况", "情况说明"):
        walk(data.get(root), root)
    return out


def audit(path: Path, profile_name: str | None = None):
    """(printed derived, findings kept, findings left out) for the report ``path``."""
    from .load.builder import Builder
    from .pipeline import load_and_check
    from .profile import load_profile
    from .published_report import located, read_report
    profile = load_profile(profile_name) if profile_name else None
    imported = read_report(path, profile)
    unit = Builder(located(path, imported)).build()
    derived, findings, _ = load_and_check(path, unit=unit)
    kept = [f for f in findings if not not_read(f, imported.from_text | imported.forms_read | texts_read(imported.data))]
    return derived, kept, len(findings) - len(kept)


def narrative_coverage(derived) -> tuple[int, int]:
    """(the printed sentences with figures that P-TEXT sets against a composed one, all the printed
    sentences with figures) of an audited report."""
    from .compose.report import compose
    from .sentences import counterparts
    found = [c for _, _, c in counterparts(derived.unit.printed_text, compose(derived, tables=False).section_texts())]
    return sum(1 for c in found if c is not None), len(found)


def run(args) -> int:
    from .check.report import format_human, to_json
    from .errors import InputError, format_problem
    path: Path = args.file
    if path.suffix.lower() != ".pdf":
        print(f"错误：{path}：audit 检查已公开的报告（.pdf）；单位数据文件用 juesuan check", file=sys.stderr)
        return EXIT_INPUT
    try:
        derived, findings, left_out = audit(path, args.profile)
    except InputError as exc:
        for problem in exc.problems:
            print(f"错误：{format_problem(problem)}", file=sys.stderr)
        print(f"未处理：{path}（无法读取，共 {len(exc.problems)} 处）", file=sys.stderr)
        return EXIT_INPUT
    if args.format == "json":
        print(to_json([(str(path), findings)]))
    else:
        print(format_human(str(path), findings, derived.profile, sys.stdout.isatty()))
        paired, said = narrative_coverage(derived)
        print(f"（版式 {derived.profile.name}；说明中有数的 {said} 句，{paired} 句与按报告各表生成的同一句逐数比较（P-TEXT），"
              "其余措辞与版式不同，未比较；附件也读，说明文字、上年数和预算数只读出说明印出的部分，"
              f"与未读出的部分有关的 {left_out} 条检查结果未列出）")
    return EXIT_CHECKS if any(f.severity == "错误" for f in findings) else EXIT_OK
