"""``juesuan batch`` on the command line: its arguments, running it, and ``python -m
generator.batch`` (the same command on its own)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli_parser import Parser, positive_int
from ..cli_profiles import add_profiles_argument, apply_profiles
from ..review import add_review_arguments, review_options
from ..write.formats import DEFAULT_FORMATS, FORMAT_HELP, format_argument
from ..limits import add_limit_arguments
from .records import EXIT_INPUT, BatchError
from .report import summary
from .runner import run_batch


def add_command(subparsers) -> argparse.ArgumentParser:
    """Add ``batch`` to the ``juesuan`` sub-commands; dispatch ``args.command == "batch"`` to ``run``."""
    p = subparsers.add_parser("batch", help="并行检查并生成一个文件夹（或清单）中的全部单位，并写出批量报告")
    p.add_argument("source", type=Path, help="单位数据文件夹（含子文件夹），或清单文件（每行一个数据文件路径，相对清单；# 开头为注释）")
    p.add_argument("--out", type=Path, default=Path("output"), help="输出目录（默认 output/）；报告与记录也写在这里")
    p.add_argument("--format", type=format_argument, default=DEFAULT_FORMATS, help=FORMAT_HELP)
    p.add_argument("--jobs", type=positive_int, default=None,
                   help="并行进程数（默认每个 CPU 核心一个；--cluster local 时为本机集群的工作进程数）")
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="在 Dask 集群上生成：调度器地址（如 tcp://10.0.0.5:8786），或 local（在本机启动一个集群）；"
                        "不填则用本机的进程池。需要 pip install -e '.[cluster]'")
    p.add_argument("--force", action="store_true", help="未变化的单位也重新生成（检查有错误的单位仍不生成）")
    p.add_argument("--reference-doc", type=Path, default=None, help="Word 样式参考文档（默认 templates/docx/reference.docx）")
    add_limit_arguments(p)
    add_review_arguments(p)
    add_profiles_argument(p)
    return p


def run(args) -> int:
    refused = apply_profiles(args)      # the workers get the same folders (each task names them)
    if refused is not None:
        return refused
    draft, marking = review_options(args)
    try:
        outcome = run_batch(args.source, args.out, args.format, jobs=args.jobs, force=args.force,
                            reference=args.reference_doc, progress_stream=sys.stderr,
                            draft=draft, marking=marking, worker_memory_mb=args.worker_memory_mb,
                            worker_timeout=args.worker_timeout, cluster=args.cluster)
    except BatchError as exc:
        print(f"juesuan batch：{exc}", file=sys.stderr)
        return EXIT_INPUT
    print(summary(outcome))
    return outcome.exit_code


def main(argv: list[str] | None = None) -> int:
    """``python -m generator.batch SOURCE [options]`` (the same as ``juesuan batch``)."""
    parser = Parser(prog="juesuan")      # Chinese usage errors, exit 2
    add_command(parser.add_subparsers(dest="command", required=True, parser_class=Parser))
    args = parser.parse_args(["batch", *(sys.argv[1:] if argv is None else argv)])
    return run(args)
