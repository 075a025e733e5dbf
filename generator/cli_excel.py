"""`juesuan template`, `juesuan import`, `juesuan export`: the unit workbook (issue 4).

  juesuan template --profile shanxi-2023 --out 模板.xlsx        an empty workbook to fill
  juesuan import 某单位.xlsx --out data/units/某单位-2024.yaml   workbook → YAML data file
  juesuan import 去年的报告.pdf --out 某单位-2023.yaml           a published report's tables → YAML (issue 26)
  juesuan export data/examples/xiaohe-2022.yaml --out xiaohe.xlsx   YAML → filled workbook

`add_commands(subparsers)` adds the three parsers to the `juesuan` command; `run(args)` runs
them. Exit codes as for the other commands: 0 done, 2 unusable input or refused output (nothing
written). An existing output file is not overwritten without --force (a data file or a filled
workbook may hold someone's work).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InputError, format_problem

EXIT_OK, EXIT_INPUT = 0, 2
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")


def add_commands(subparsers) -> None:
    """Add the template / import / export parsers to ``juesuan``'s subparsers."""
    from .cli_profiles import add_profiles_argument
    t = subparsers.add_parser("template", help="生成空白的单位数据工作簿（.xlsx），供财务人员填写")
    which = t.add_mutually_exclusive_group(required=True)
    which.add_argument("--profile", metavar="模板", help="公开版式，如 shanxi-2023（templates/profiles/ 或 --profiles 文件夹中的名称）")
    which.add_argument("--year", type=int, metavar="年度", help="决算年度，如 2024：与 --region 一起，用该地区这一年度的版式")
    t.add_argument("--region", metavar="地区", help="地区，如 山西省（与 --year 一起用）")
    t.add_argument("--out", type=Path, required=True, help="写到此 .xlsx 文件")
    t.add_argument("--force", action="store_true", help="输出文件已存在时覆盖")
    i = subparsers.add_parser("import", help="把填好的工作簿（.xlsx）或已公开的决算公开 PDF 转成单位数据文件（.yaml）")
    i.add_argument("file", type=Path, help="工作簿（.xlsx / .xlsm），或已公开的报告（.pdf，有文字层）")
    i.add_argument("--out", type=Path, default=None, help="写到此 .yaml 文件（默认：与输入文件同名的 .yaml）")
    i.add_argument("--profile", metavar="模板", help="PDF 所用的公开版式，如 shanghai-2024（不写：按报告的封面和表格认出）")
    i.add_argument("--force", action="store_true", help="输出文件已存在时覆盖")
    e = subparsers.add_parser("export", help="把单位数据文件（.yaml）导出为填好的工作簿（.xlsx）")
    e.add_argument("file", type=Path, help="单位数据文件（.yaml）")
    e.add_argument("--out", type=Path, required=True, help="写到此 .xlsx 文件")
    e.add_argument("--force", action="store_true", help="输出文件已存在时覆盖")
    for p in (t, i, e):
        add_profiles_argument(p)


def _fail(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return EXIT_INPUT


def _input_error(path: Path, exc: InputError) -> int:
    for problem in exc.problems:
        print(f"错误：{format_problem(problem)}", file=sys.stderr)
    print(f"未处理：{path}（输入有误，共 {len(exc.problems)} 处）", file=sys.stderr)
    return EXIT_INPUT


def _check_out(out: Path, suffixes: tuple[str, ...], force: bool) -> str | None:
    if out.suffix.lower() not in suffixes:
        return f"输出文件“{out}”的扩展名应为 {' 或 '.join(suffixes)}"
    if out.is_dir():
        return f"“{out}”是文件夹；--out 应为文件名"
    if out.exists() and not force:
        return f"“{out}”已存在，未覆盖；要覆盖请加 --force"
    return None


def chosen_profile(region: str | None, year: int) -> tuple[str | None, str]:
    """The profile a unit of ``region`` and 决算年度 ``year`` uses, or (None, why not) naming what
    there is: profiles say which region and years they serve (地区、起始年度、截止年度)."""
    from .profile import choices, regions, serving
    if not region:
        return None, f"--year 要与 --region 一起用（地区，如 山西省）；可用的模板：{'、'.join(choices())}"
    found = serving(year, region)
    if len(found) == 1:
        return found[0], ""
    known = regions()
    if not found and region not in known:
        return None, f"没有地区“{region}”的模板（有：{'、'.join(known)}）；可用的模板：{'、'.join(choices())}"
    if not found:
        return None, f"{region}没有{year}年度的模板；可用的模板：{'、'.join(c for c in choices() if region in c)}"
    return None, f"{region}{year}年度有不止一个模板：{'、'.join(found)}；请用 --profile 选一个"


def cmd_template(args) -> int:
    from .profile import available, unknown_message
    from .write.workbook import write_template
    if args.profile is None:
        args.profile, why = chosen_profile(args.region, args.year)
        if args.profile is None:
            return _fail(why)
        print(f"{args.region}{args.year}年度的版式是 {args.profile}")
    elif args.region:
        return _fail("--region 与 --year 一起用，不与 --profile 同用")
    if args.profile not in available():
        return _fail(unknown_message(args.profile))
    bad = _check_out(args.out, (".xlsx",), args.force)
    if bad:
        return _fail(bad)
    write_template(args.profile, args.out)
    print(f"已生成空白工作簿：{args.out}（版式 {args.profile}；先看第一个工作表“填写说明”）")
    return EXIT_OK


# check findings an import refuses: a figure typed into a grey cell that differs from the computed
# one cannot be written to the YAML file (it holds no computed figures), so it would be lost
IMPORT_REFUSES = ("W-COMPUTED",)
IMPORT_SAYS = ("W-UNREAD", "W-HIDDEN")     # said on the way: not read, or read from what Excel hides


def cmd_import(args) -> int:
    from .check import ERROR
    from .errors import Problem
    from .load.builder import Builder
    from .load.unit_loader import read_located
    from .pipeline import load_and_check
    from .atomic import write_bytes
    from .write.yaml_writer import dump_unit
    path: Path = args.file
    if path.suffix.lower() == ".pdf":
        return _import_pdf(args)
    if args.profile:
        return _fail(f"--profile 只用于导入 PDF；工作簿“{path}”的版式写在它的“单位信息”工作表中")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return _fail(f"{path}：应为 Excel 工作簿（.xlsx）或已公开的报告（.pdf）；YAML 数据文件不需要导入")
    out: Path = args.out or path.with_suffix(".yaml")
    bad = _check_out(out, (".yaml", ".yml"), args.force)
    if bad:
        return _fail(bad)
    try:
        # what `juesuan check` refuses as unusable is refused here too, at the workbook's cells:
        # the same reading (read_located: also the length of texts), model, 上年数据文件 and derivation
        located = read_located(path)
        unit = Builder(located).build()
        _, findings, _ = load_and_check(path, unit=unit)
    except InputError as exc:
        return _input_error(path, exc)
    refused = [f for f in findings if f.rule in IMPORT_REFUSES and f.severity == ERROR]
    if refused:
        return _input_error(path, InputError([Problem(f.source, f"{f.message}（导入的 YAML 文件不保存由程序计算的数，"
                                                                  "请改正明细或清空这一格）") for f in refused]))
    for f in findings:
        if f.rule in IMPORT_SAYS or f.rule in IMPORT_REFUSES:
            print(f"{f.severity}：{format_problem(Problem(f.source, f.message))}", file=sys.stderr)
    header = [f"{unit.name} {unit.year}年度{unit.kind_word}决算公开：单位数据",
              f"由 juesuan import 从工作簿“{path.name}”导入；格式见 docs/data-format.md"]
    text = dump_unit(located.data, header)
    refused_yaml = _yaml_refuses(text, path)
    if refused_yaml:
        return _input_error(path, InputError(refused_yaml))
    write_bytes(out, text.encode("utf-8"))
    print(f"已导入：{out}（来自 {path}）；下一步：juesuan check {out}")
    return EXIT_OK


def _import_pdf(args) -> int:
    """A published report's PDF -> the unit's data file: every table the profile prints, read as
    the layout lays it out (load/pdf_import.py); what could not be placed is said, and written at
    the head of the file, page by page."""
    from .atomic import write_bytes
    from .profile import load_profile
    from .published_report import read_report
    from .write.yaml_writer import dump_unit
    path: Path = args.file
    out: Path = args.out or path.with_suffix(".yaml")
    bad = _check_out(out, (".yaml", ".yml"), args.force)
    if bad:
        return _fail(bad)
    try:
        profile = load_profile(args.profile) if args.profile else None
        imported = read_report(path, profile)
    except InputError as exc:
        return _input_error(path, exc)
    data = imported.data
    found = len(imported.tables_found)
    header = [f"{data.get('单位名称', '（单位名称未读出）')} {data.get('年度', '')}年度决算公开：单位数据",
              f"由 juesuan import 从已公开的报告“{path.name}”读入（版式 {imported.profile}）；格式见 docs/data-format.md"]
    forms = f"附件读入 {len(imported.forms_read)} 个（自评表逐格，评价报告按版式的措辞分段）"
    if found or not imported.forms_read:
        header += [f"读出 {found} 张表（{'、'.join(imported.tables_found) or '无'}），表中数值格 {imported.figures_printed} 个，"
                   f"其中有数的 {imported.figures_read} 个",
                   "第一部分的职责、机构设置与第三部分中单位自己写的原因、说明照报告读入；",
                   f"上年数、预算数和情况说明中的个数、金额按说明中的句子读出 {len(imported.from_text)} 个"
                   "（上年数由增减额反推；“持平”的和没有印出的不读）；",
                   forms]
        if imported.tables_missing:
            header.append(f"版式中有、报告中没有找到的表：{'、'.join(imported.tables_missing)}")
    else:
        header.append(f"只有附件的文件（没有决算表）：{forms}")
    if imported.unplaced:
        header += ["未能放入数据的内容（请对照报告核对）："] + [f"  {u}" for u in imported.unplaced]
    text = dump_unit(data, header)
    refused_yaml = _yaml_refuses(text, path)
    if refused_yaml:
        return _input_error(path, InputError(refused_yaml))
    write_bytes(out, text.encode("utf-8"))
    for u in imported.unplaced:
        print(f"提示：{path}：{u}", file=sys.stderr)
    print(f"已导入：{out}（来自 {path}，版式 {imported.profile}，{found} 张表）；下一步：juesuan check {out}")
    return EXIT_OK


def _yaml_refuses(text: str, path: Path) -> list:
    """The YAML file import would write, read back as `juesuan check` reads a YAML file: what that
    refuses (a file over the YAML reader's size, values or depth) is refused now, said of the
    workbook, instead of writing a file that check then refuses."""
    import tempfile
    from .errors import Problem
    from .load.yaml_reader import read_yaml
    from .model import Source
    with tempfile.TemporaryDirectory(prefix="juesuan-import-") as tmp:
        probe = Path(tmp) / f"{path.stem}.yaml"
        probe.write_text(text, encoding="utf-8")
        try:
            read_yaml(probe)
        except InputError as exc:
            return [Problem(Source(str(path)), f"导入得到的 YAML 数据文件将无法读入（{p.message}）：工作簿中的内容超出了 YAML "
                                               f"数据文件的上限。这个工作簿可以直接检查和生成（juesuan check {path.name}、"
                                               f"juesuan render {path.name}），或删减文字后再导入") for p in exc.problems]
    return []


def cmd_export(args) -> int:
    from .write.workbook import export_unit
    bad = _check_out(args.out, (".xlsx",), args.force)
    if bad:
        return _fail(bad)
    try:
        export_unit(args.file, args.out)
    except InputError as exc:
        return _input_error(args.file, exc)
    print(f"已导出：{args.out}（来自 {args.file}）")
    return EXIT_OK


def run(args) -> int:
    """Run ``template``, ``import`` or ``export`` (``args.command``); returns the exit code."""
    handler = {"template": cmd_template, "import": cmd_import, "export": cmd_export}[args.command]
    try:
        return handler(args)
    except InputError as exc:
        return _input_error(getattr(args, "file", None) or Path(getattr(args, "out", "")), exc)
    except Exception as exc:  # a bug must still end in one clear message, not a traceback
        where = getattr(args, "file", None) or getattr(args, "out", "")
        print(f"错误：{where}：程序内部出错（{type(exc).__name__}: {exc}）；请把此信息和文件交给维护人员",
              file=sys.stderr)
        return EXIT_INPUT


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        print(f"juesuan：参数错误：{message}", file=sys.stderr)
        sys.exit(EXIT_INPUT)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (python -m generator.cli_excel …) until cli.py wires the commands."""
    parser = _Parser(prog="juesuan", description="单位数据工作簿：template / import / export")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_commands(sub)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
