"""The `juesuan` command. Messages to users are Chinese; option names are English.

Exit codes: 0 done (warnings allowed); 1 check rules found errors; 2 unusable input (nothing written);
130 interrupted (Ctrl-C), 143 terminated (SIGTERM): the unit in progress wrote nothing.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path


def _stopped_while_starting(signum, frame) -> None:
    """Ctrl-C or SIGTERM while the `juesuan` command is still importing (a second or more on a busy
    machine): nothing has been read or written yet; one line and the usual exit code, no traceback."""
    what = "已中断（Ctrl-C）" if signum == signal.SIGINT else "已终止（收到 SIGTERM）"
    os.write(2, f"\n{what}：程序还在启动，没有读取或写出任何文件。\n".encode())
    os._exit(130 if signum == signal.SIGINT else 143)


# only in the console script itself: a library user (tests, the web server) keeps its own handlers
_STARTING = os.path.basename(sys.argv[0] or "") == "juesuan"
if _STARTING:
    signal.signal(signal.SIGINT, _stopped_while_starting)
    signal.signal(signal.SIGTERM, _stopped_while_starting)

from .cli_excel import add_commands as add_excel_commands  # noqa: E402  (after the handlers above)
from .cli_excel import run as run_excel  # noqa: E402
from .check.report import format_human, rules_listing, summary_line, to_json  # noqa: E402
from .cli_parser import Parser  # noqa: E402
from .cli_profiles import add_profiles_argument, apply_profiles  # noqa: E402
from .cli_profiles import add_command as add_profile_command, run as run_profile  # noqa: E402
from .errors import InputError, format_problem, os_reason  # noqa: E402
from .pipeline import ChecksFailed, load_and_check, render  # noqa: E402
from .review import FAILED_MARK, add_review_arguments, review_options  # noqa: E402
from .write.formats import DEFAULT_FORMATS, FORMAT_HELP, format_argument  # noqa: E402
from .names import FAILED_SUFFIX  # noqa: E402

if _STARTING:                       # started: Ctrl-C is KeyboardInterrupt again (console() handles it and SIGTERM)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

EXIT_OK, EXIT_CHECKS, EXIT_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130          # 128 + SIGINT, as shells report Ctrl-C
EXIT_TERMINATED = 143           # 128 + SIGTERM


EXIT_CODES = ("退出码：0 完成（可有警告）；1 检查发现错误，没有生成；2 输入或环境无法使用，什么都没有写；"
              "130 被 Ctrl-C 中断；143 被终止（SIGTERM）。")
EXAMPLES = {    # one example line per command, printed under its help
    None: "juesuan render data/examples/xiaohe-2022.yaml --out output/",
    "render": "juesuan render 单位.yaml --format docx,pdf --out output/",
    "check": "juesuan check 单位.yaml 单位2.xlsx",
    "template": "juesuan template --profile shanxi-2023 --out 空白工作簿.xlsx",
    "import": "juesuan import 单位.xlsx --out 单位.yaml",
    "export": "juesuan export 单位.yaml --out 单位.xlsx",
    "batch": "juesuan batch 各单位数据/ --out output/ --jobs 2",
    "preview": "juesuan preview 单位.yaml",
    "reference-docx": "juesuan reference-docx --out 我的样式.docx",
    "profile": "juesuan profile new zhejiang-2024 --from shanghai-2024 --out 我的版式/；juesuan profile check 我的版式/",
    "audit": "juesuan audit 某局2024年度部门决算.pdf --format json",
    "consolidate": "juesuan consolidate 本级.yaml 所属单位/ --name 某某局 --texts 部门文字.yaml --out 某某局.yaml",
}

def _with_examples(parser: argparse.ArgumentParser, sub) -> None:
    parser.epilog = f"例：{EXAMPLES[None]}\n{EXIT_CODES}"
    for name, p in sub.choices.items():
        if name in EXAMPLES:
            p.epilog = "\n".join(x for x in (p.epilog, f"例：{EXAMPLES[name]}", EXIT_CODES) if x)


# Commands whose modules are imported only when used: their parsers are added unless the command
# line names another command (so `juesuan -h` and an unknown command still list them).
OWN_COMMANDS = ("render", "check", "template", "import", "export", "reference-docx", "profile", "audit", "consolidate")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `juesuan` parser; ``command`` (the first argument) lets it leave out batch and preview."""
    parser = Parser(prog="juesuan", description="部门决算公开生成器：单位数据 → 勾稽检查 → DOCX 与 PDF")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, title="命令", metavar="命令")
    r = sub.add_parser("render", help="检查并生成一个或多个单位的决算公开文件")
    r.add_argument("files", nargs="+", type=Path, help="单位数据文件（.yaml 或 .xlsx）")
    r.add_argument("--format", type=format_argument, default=DEFAULT_FORMATS, help=FORMAT_HELP)
    r.add_argument("--out", type=Path, default=Path("output"), help="输出目录（默认 output/）")
    r.add_argument("--reference-doc", type=Path, default=None, help="Word 样式参考文档（默认 templates/docx/reference.docx）")
    r.add_argument("--force", action="store_true", help="检查发现错误时仍然生成：每页与封面标明“未通过勾稽检查”，文件名以“-未通过检查”结尾")
    r.add_argument("--attachments-only", action="store_true",
                   help="只生成附件（项目支出绩效自评表），单独成一个文件：“<单位名称><年度>年度部门决算公开附件”")
    add_review_arguments(r)
    add_profiles_argument(r)
    c = sub.add_parser("check", help="只做勾稽检查，不生成文件")
    c.add_argument("files", nargs="*", type=Path, help="单位数据文件（.yaml 或 .xlsx）")
    c.add_argument("--format", choices=("text", "json"), default="text", help="输出：text（默认，按表分组）或 json")
    c.add_argument("--rules", action="store_true", help="列出全部检查规则")
    add_profiles_argument(c)
    add_excel_commands(sub)
    add_profile_command(sub)
    from .cli_audit import add_command as add_audit_command
    add_audit_command(sub)
    from .cli_consolidate import add_command as add_consolidate_command
    add_consolidate_command(sub)
    if command not in OWN_COMMANDS:
        from . import batch, preview
        from .web import commands as web_commands      # argparse only; the web stack loads in `serve`
        batch.add_command(sub)
        preview.add_command(sub)
        web_commands.add_commands(sub)
    e = sub.add_parser("reference-docx", help="导出默认的 Word 样式参考文档，供在 Word 中修改样式")
    e.add_argument("--out", type=Path, required=True, help="导出到此 .docx 文件")
    _with_examples(parser, sub)
    return parser


def _colour(stream) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _input_error(path: Path, exc: InputError) -> None:
    for problem in exc.problems:
        print(f"错误：{format_problem(problem)}", file=sys.stderr)
    print(f"未处理：{path}（输入有误，共 {len(exc.problems)} 处）", file=sys.stderr)


def _internal_error(path: Path, exc: Exception) -> None:
    print(f"错误：{path}：程序内部出错（{type(exc).__name__}: {exc}）；请把此信息和数据文件交给维护人员",
          file=sys.stderr)


def cmd_check(args) -> int:
    if args.rules:
        print(rules_listing())
        return EXIT_OK
    if not args.files:
        print("juesuan check：请给出要检查的单位数据文件，或用 --rules 列出规则", file=sys.stderr)
        return EXIT_INPUT
    status, results = EXIT_OK, []
    for path in args.files:
        try:
            derived, findings, _ = load_and_check(path)
        except InputError as exc:
            _input_error(path, exc)
            status = max(status, EXIT_INPUT)
            continue
        except Exception as exc:  # a bug must still end in one clear message, not a traceback
            _internal_error(path, exc)
            status = max(status, EXIT_INPUT)
            continue
        results.append((str(path), findings))
        if any(f.severity == "错误" for f in findings):
            status = max(status, EXIT_CHECKS)
        if args.format == "text":
            print(format_human(str(path), findings, derived.profile, _colour(sys.stdout)))
    if args.format == "json":
        print(to_json(results))
    return status


def _environment_problems(args) -> list[str]:
    """--out and --reference-doc, checked before any unit is read: their problems are the
    environment's, and the message names the option, not a data file."""
    from .atomic import output_dir_problem
    problems = []
    why = output_dir_problem(args.out)
    if why:
        problems.append(f"--out {args.out}：{why}")
    if args.reference_doc is not None:
        from .write.reference import reference_problem
        why = reference_problem(args.reference_doc)
        if why:
            problems.append(f"--reference-doc {args.reference_doc}：{why}")
    return problems


def _distinct(paths: list[Path]) -> list[Path]:
    """``paths`` with a file given more than once (by any path to it) kept once: rendering it
    twice would write the same files twice."""
    seen: dict[object, Path] = {}
    out = []
    for path in paths:
        try:
            st = path.stat()
            key: object = (st.st_dev, st.st_ino)
        except OSError:
            key = str(path)
        if key in seen:
            same = "给了两次" if str(seen[key]) == str(path) else f"与 {seen[key]} 是同一个文件"
            print(f"提示：{path} {same}，只生成一次", file=sys.stderr)
            continue
        seen[key] = path
        out.append(path)
    return out


def _clashes(stems: list[tuple[Path, str]], formats: tuple[str, ...]) -> list[str]:
    """Messages for units of this run whose output files would have the same names (the same
    单位名称): the later would overwrite the earlier."""
    by_stem: dict[str, list[tuple[Path, str]]] = {}
    for path, stem in stems:
        by_stem.setdefault(stem.casefold(), []).append((path, stem))
    messages = []
    for same in by_stem.values():
        if len(same) > 1:
            names = "、".join(f"“{same[0][1]}.{fmt}”" for fmt in dict.fromkeys(formats))
            files = " 与 ".join(str(path) for path, _ in same)
            messages.append(f"{files} 的输出文件同名（{names}，单位名称相同），后一个会覆盖前一个；"
                            "请分开生成到不同的 --out 目录，或用 juesuan batch（同名的单位自动改名）")
    return messages


def cmd_render(args) -> int:
    """Every unit file is read first (its name gives its output file names); unless two units would
    write files of the same name (refused, nothing written), each is then checked and written in
    turn (all its formats, or none). One unit is in memory at a time."""
    status = EXIT_OK
    problems = _environment_problems(args)
    for text in problems:
        print(f"错误：{text}", file=sys.stderr)
    if problems:
        print("未处理：没有读取任何单位数据文件", file=sys.stderr)
        return EXIT_INPUT
    draft, marking = review_options(args)
    from .load.unit_loader import load_unit
    from .names import output_stem
    stems: list[tuple[Path, str]] = []
    for path in _distinct(args.files):
        try:
            stems.append((path, output_stem(load_unit(path), args.attachments_only, draft=draft)))
        except InputError as exc:
            _input_error(path, exc)
            status = max(status, EXIT_INPUT)
        except Exception as exc:  # a bug must still end in one clear message, not a traceback
            _internal_error(path, exc)
            status = max(status, EXIT_INPUT)
    clashes = _clashes(stems, args.format)
    if clashes:
        for text in clashes:
            print(f"错误：{text}", file=sys.stderr)
        print("未生成：同一次生成中不覆盖文件，这次一个文件也没有写", file=sys.stderr)
        return EXIT_INPUT
    for path, _ in stems:
        try:
            result = render(path, args.out, args.format, reference=args.reference_doc, force=args.force,
                            draft=draft, marking=marking, attachments_only=args.attachments_only)
        except InputError as exc:
            _input_error(path, exc)
            status = max(status, EXIT_INPUT)
            continue
        except ChecksFailed as exc:
            r = exc.result
            print(format_human(str(path), r.findings, r.derived.profile, _colour(sys.stderr)),
                  file=sys.stderr)
            print(f"未生成：{path}（检查发现 {len(r.errors)} 个错误；改正数据后重试，或用 --force 强制生成）", file=sys.stderr)
            status = max(status, EXIT_CHECKS)
            continue
        except OSError as exc:    # writing failed: disk full, permission changed during the run …
            print(f"错误：写入 {args.out} 失败：{os_reason(exc)}；{path} 的文件一个也没有写出", file=sys.stderr)
            status = max(status, EXIT_INPUT)
            continue
        except Exception as exc:  # a bug must still end in one clear message, not a traceback
            _internal_error(path, exc)
            status = max(status, EXIT_INPUT)
            continue
        if result.errors:
            print(f"！！！注意：{path} 有 {len(result.errors)} 个检查错误，已按 --force 强制生成；"
                  f"生成的文件中存在不一致的数字，不能直接公开（文件名以“{FAILED_SUFFIX}”结尾，每页标有"
                  f"“{FAILED_MARK}”）！！！", file=sys.stderr)
            print(format_human(str(path), result.findings, result.derived.profile, _colour(sys.stderr)), file=sys.stderr)
        elif result.findings:
            print(summary_line(str(path), result.findings) + "（用 juesuan check 查看详情）", file=sys.stderr)
        for out in result.outputs:
            print(f"已生成：{out}")
    return status


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    refused = apply_profiles(args)          # --profiles: the user's folders, before templates/
    if refused is not None:
        return refused
    if args.command == "reference-docx":
        from .write.reference import export_reference
        export_reference(args.out)
        print(f"已导出：{args.out}")
        return EXIT_OK
    if args.command == "check":
        return cmd_check(args)
    if args.command == "profile":
        return run_profile(args)
    if args.command == "audit":
        from .cli_audit import run as run_audit
        return run_audit(args)
    if args.command == "consolidate":
        from .cli_consolidate import run as run_consolidate
        return run_consolidate(args)
    if args.command in ("template", "import", "export"):
        return run_excel(args)
    if args.command in ("batch", "preview"):
        from . import batch, preview
        return {"batch": batch, "preview": preview}[args.command].run(args)
    if args.command in ("serve", "user"):
        from .web import commands as web_commands
        return web_commands.run(args)
    return cmd_render(args)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread: like KeyboardInterrupt, no ``except Exception`` catches it,
    and the atomic writers (atomic) remove their temporary files on the way out."""


def _terminate(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)     # a second SIGTERM must not cut the cleanup short
    raise Terminated()


# Commands that end on SIGTERM as on Ctrl-C (batch, preview and serve handle it themselves)
TERMINABLE = ("render", "check", "template", "import", "export", "reference-docx", "profile", "audit", "consolidate")
STOPPED = "正在处理的单位没有写出任何文件（临时文件已删除，原有的文件不变）；此前列出“已生成”的文件完整可用。"


def console() -> int:
    """The `juesuan` console command (pyproject.toml): ``main()``, then, for check and render,
    leave without tearing the heap down. Every output file has been written to a temporary
    name and renamed into place before ``main`` returns, so nothing is left to do but free
    memory: after a PDF, Python spends ~0.2 s freeing WeasyPrint's objects one by one. stdout
    and stderr are flushed first; if that fails (a closed pipe) the exit code is 120, as
    Python's own exit gives. Ctrl-C ends with 130, SIGTERM with 143, each with a message; the
    unit being written wrote nothing."""
    argv = sys.argv[1:]
    if argv and argv[0] in TERMINABLE:
        signal.signal(signal.SIGTERM, _terminate)
    try:
        code = main(argv)
    except KeyboardInterrupt:           # Ctrl-C: the unit being rendered wrote nothing (atomic group)
        _quiet_stdout()
        print(f"\n已中断（Ctrl-C）：{STOPPED}", file=sys.stderr)
        os._exit(EXIT_INTERRUPTED)
    except Terminated:                  # kill, systemd, a container stopping: as Ctrl-C
        _quiet_stdout()
        print(f"\n已终止（收到 SIGTERM）：{STOPPED}", file=sys.stderr)
        os._exit(EXIT_TERMINATED)
    except BrokenPipeError:             # `juesuan check … | head`: the reader stopped reading
        _quiet_stdout()
        os._exit(EXIT_OK)
    if argv and argv[0] in ("check", "render"):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            code = 120
        os._exit(code)
    return code


def _quiet_stdout() -> None:
    """stdout to /dev/null, so flushing a closed pipe at exit cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(console())
