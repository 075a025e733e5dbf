"""The `juesuan` command. Messages to users are Chinese; option names are English.

Exit codes: 0 done; 1 checks failed; 2 unusable input (nothing written).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InputError, format_problem
from .pipeline import FORMATS, render

EXIT_OK, EXIT_CHECKS, EXIT_INPUT = 0, 1, 2


def _formats(value: str) -> tuple[str, ...]:
    items = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    bad = [v for v in items if v not in FORMATS]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"不支持的格式：{'、'.join(bad) or value}（可用：{'、'.join(FORMATS)}）")
    return items


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own messages, in a usable form
        self.print_usage(sys.stderr)
        print(f"juesuan：参数错误：{message}", file=sys.stderr)
        sys.exit(EXIT_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="juesuan", description="部门决算公开生成器：单位数据 → 勾稽检查 → DOCX 与 PDF")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = sub.add_parser("render", help="生成一个或多个单位的决算公开文件")
    r.add_argument("files", nargs="+", type=Path, help="单位数据文件（.yaml）")
    r.add_argument("--format", type=_formats, default=("docx", "pdf"), help="输出格式，逗号分隔：docx,pdf,html（默认 docx,pdf）")
    r.add_argument("--out", type=Path, default=Path("output"), help="输出目录（默认 output/）")
    r.add_argument("--reference-doc", type=Path, default=None, help="Word 样式参考文档（默认 templates/docx/reference.docx）")
    e = sub.add_parser("reference-docx", help="导出默认的 Word 样式参考文档，供在 Word 中修改样式")
    e.add_argument("--out", type=Path, required=True, help="导出到此 .docx 文件")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "reference-docx":
        from .write.reference import export_reference
        export_reference(args.out)
        print(f"已导出：{args.out}")
        return EXIT_OK
    status = EXIT_OK
    for path in args.files:
        try:
            result = render(path, args.out, args.format, reference=args.reference_doc)
        except InputError as exc:
            for problem in exc.problems:
                print(f"错误：{format_problem(problem)}", file=sys.stderr)
            print(f"未生成：{path}（输入有误，共 {len(exc.problems)} 处）", file=sys.stderr)
            status = max(status, EXIT_INPUT)
            continue
        except Exception as exc:  # a bug must still end in one clear message, not a traceback
            print(f"错误：{path}：生成时程序内部出错（{type(exc).__name__}: {exc}）；请把此信息和数据文件交给维护人员",
                  file=sys.stderr)
            status = max(status, EXIT_INPUT)
            continue
        for out in result.outputs:
            print(f"已生成：{out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
