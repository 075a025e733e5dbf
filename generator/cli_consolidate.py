"""`juesuan consolidate 本级.yaml 所属/*.yaml --name 部门名称 --out 部门.yaml` (issue 27): the
department's own data file, the consolidation of its units (generator/consolidation.py).

Each unit file (YAML or workbook; a folder stands for the unit files in it) is read and checked as
`juesuan check` does; the first file named is the 本级. Refused with exit code 2: a file that
cannot be read, units of different years or profiles, the same unit twice; with exit code 1: a
unit whose own check finds errors (listed), unless ``--force``. The department's texts come from
``--texts`` (a YAML file with 概况, 情况说明 and 附件, as in a unit file). The data file written
is then checked like any unit file and what the check finds is said.
"""
from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_CHECKS, EXIT_INPUT = 0, 1, 2


def add_command(subparsers) -> None:
    from .cli_profiles import add_profiles_argument
    c = subparsers.add_parser("consolidate", help="部门决算：把本级与所属单位的数据汇总为部门的数据文件（抵消单位间往来）")
    c.add_argument("files", nargs="+", type=Path,
                   help="单位数据文件（.yaml 或 .xlsx）或文件夹；第一个是本级，其余是所属单位")
    c.add_argument("--name", required=True, help="部门名称（汇总后的单位名称）")
    c.add_argument("--out", type=Path, required=True, help="写出的部门数据文件（.yaml）")
    c.add_argument("--profile", metavar="模板", help="部门报告的版式（默认：本级的模板；各单位须用同一版式）")
    c.add_argument("--texts", type=Path, help="部门自己的文字（YAML：概况、情况说明、附件，写法同单位数据文件）")
    c.add_argument("--force", action="store_true", help="有单位检查发现错误时仍然汇总（列出这些单位）；覆盖已有的 --out 文件")
    add_profiles_argument(c)


def unit_files(paths: list[Path]) -> list[Path]:
    """The unit files named: a file as it is, a folder's unit files (batch's discovery)."""
    from .batch.planning import discover
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += [found for found, _ in discover(p)]
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def read_members(paths: list[Path], allow_previous: bool = True,
                 previous_of=None) -> tuple[list, list[tuple[Path, list]]]:
    """(members, [(file, its check's errors)]) — InputError for a file that cannot be read.
    ``allow_previous``, ``previous_of``: as for pipeline.load_and_check (the web workspace: no file
    names another; each version's 上年 report beside it)."""
    from .check import ERROR
    from .consolidation import Member
    from .errors import InputError
    from .load.builder import Builder
    from .load.unit_loader import read_located
    from .pipeline import load_and_check
    members, failing, problems = [], [], []
    for i, path in enumerate(paths):
        try:
            located = read_located(path)
            unit = Builder(located).build()
            _, findings, _ = load_and_check(path, allow_previous, unit,
                                            previous_of(path) if previous_of is not None else None)
        except InputError as exc:
            problems += exc.problems
            continue
        members.append(Member(path, located.data, unit, own=(i == 0)))
        errors = [f for f in findings if f.severity == ERROR]
        if errors:
            failing.append((path, errors))
    if problems:
        raise InputError(problems)
    return members, failing


def read_texts(path: Path) -> dict:
    """The department's own texts: a YAML file holding only 概况, 情况说明 and 附件."""
    from .consolidation import TEXT_KEYS
    from .errors import InputError, Problem
    from .load.yaml_reader import read_yaml
    located = read_yaml(path)
    if not isinstance(located.data, dict):
        raise InputError([Problem(located.source(()), "部门文字文件应为 YAML 映射（概况、情况说明、附件）")])
    other = [k for k in located.data if k not in TEXT_KEYS]
    if other:
        raise InputError([Problem(located.source((k,)), f"部门文字文件只写 {'、'.join(TEXT_KEYS)}，"
                                                         f"“{k}”应写在单位的数据中") for k in other])
    return located.data


def department_file(members: list, result, made_by: str, forced: list[Path] = ()) -> bytes:
    """The department's data file: the consolidated data with a header naming the units (and their
    files), the flows eliminated, the warnings and the units taken in spite of their errors."""
    from .write.yaml_writer import dump_unit
    data = result.data
    header = [f"{data['单位名称']} {data['年度']}年度部门决算：部门数据（由{made_by}汇总）",
              f"本级：{members[0].unit.name}（{members[0].path.name}）",
              f"所属单位 {len(members) - 1} 个：" + "、".join(f"{m.unit.name}（{m.path.name}）" for m in members[1:])]
    if result.eliminated:
        header.append("抵消的单位间往来：" + "；".join(f"{k} {v}{data['金额单位']}" for k, v in result.eliminated.items()))
    header += [f"注意：{w}" for w in result.warnings]
    if forced:
        header.append("检查有错误而照样汇总的单位（--force）：" + "、".join(str(p) for p in forced))
    return dump_unit(data, header).encode("utf-8")


def run(args) -> int:
    from .atomic import write_bytes
    from .check import ERROR
    from .cli_excel import _check_out, _fail, _input_error
    from .consolidation import check_members, consolidate
    from .errors import InputError, format_problem
    from .pipeline import load_and_check
    out: Path = args.out
    bad = _check_out(out, (".yaml", ".yml"), args.force)
    if bad:
        return _fail(bad)
    paths = unit_files(args.files)
    if not paths:
        return _fail("没有找到单位数据文件（.yaml 或 .xlsx）")
    try:
        texts = read_texts(args.texts) if args.texts else None
        if args.profile:
            from .profile import load_profile
            load_profile(args.profile)
        members, failing = read_members(paths)
        problems = check_members(members)
        if problems:
            raise InputError(problems)
    except InputError as exc:
        return _input_error(paths[0] if len(paths) == 1 else Path(args.files[0]), exc)
    if failing:
        for path, errors in failing:
            print(f"{'警告' if args.force else '错误'}：{path}：检查发现 {len(errors)} 个错误（{errors[0].rule} "
                  f"{errors[0].message[:60]}……）", file=sys.stderr)
        if not args.force:
            print(f"未汇总：{len(failing)} 个单位的检查有错误；改正后再汇总，或加 --force 照样汇总", file=sys.stderr)
            return EXIT_CHECKS
    result = consolidate(members, args.name, args.profile, texts)
    write_bytes(out, department_file(members, result, " juesuan consolidate ", [p for p, _ in failing]))
    for w in result.warnings:
        print(f"警告：{w}", file=sys.stderr)
    try:
        _, findings, _ = load_and_check(out)
    except InputError as exc:           # a bug: the data we wrote should always read
        for p in exc.problems:
            print(f"错误：{format_problem(p)}", file=sys.stderr)
        return EXIT_INPUT
    errors = sum(f.severity == ERROR for f in findings)
    print(f"已汇总：{out}（{len(members)} 个单位；检查：{errors} 个错误，{len(findings) - errors} 个警告或提示）；"
          f"下一步：juesuan check {out}")
    return EXIT_CHECKS if errors else EXIT_OK
