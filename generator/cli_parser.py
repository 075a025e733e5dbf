"""argparse in Chinese, for every `juesuan` command: the parser and help formatter (用法／参数／选项
headings, -h 的说明) and argparse's own error messages translated. Used by `cli.py` and by
`batch` (its ``python -m generator.batch``), so neither imports the other for it."""
from __future__ import annotations

import argparse
import re
import sys

EXIT_INPUT = 2                  # a usage error exits as unusable input does: nothing was done


def port_number(value: str) -> int:
    """An argument type: a TCP port, 0–65535 (0: the system picks a free one)."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"端口应为 0–65535 的整数：{value}")
    return port


def positive_int(value: str) -> int:
    """An argument type: a whole number ≥ 1 (--jobs)."""
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{value}")
    return n

# argparse's own messages (it builds them in English), as a user reads them
_ARGPARSE_ZH = [
    (r"the following arguments are required: (.+)", r"缺少参数：\1"),
    (r"unrecognized arguments: (.+)", r"不认识的参数：\1（用 -h 查看可用的参数）"),
    (r"argument 命令: invalid choice: '?([^']*)'? \(choose from (.+)\)", r"没有命令“\1”，可用：\2"),
    (r"argument (\S+): invalid choice: '?([^']*)'? \(choose from (.+)\)", r"\1 的取值“\2”不对，可用：\3"),
    (r"invalid choice: '?([^']*)'? \(choose from (.+)\)", r"命令“\1”不存在，可用：\2"),
    (r"argument (\S+): expected one argument", r"\1 后面要写一个值"),
    (r"argument (\S+): expected at least one argument", r"\1 后面至少要写一个值"),
    (r"argument (\S+): expected at most one argument", r"\1 后面最多写一个值"),
    (r"argument (\S+): invalid (\S+) value: '?([^']*)'?", r"\1 的值“\3”不对"),
    (r"argument (\S+): not allowed with argument (\S+)", r"\1 不能与 \2 同时使用"),
    (r"ambiguous option: (\S+) could match (.+)", r"选项 \1 不明确，可能是：\2"),
    (r"argument (\S+): ignored explicit argument '?([^']*)'?", r"\1 不接受值“\2”"),
    (r"argument (\S+): (.+)", r"\1：\2"),            # our own ArgumentTypeError texts (Chinese already)
]


def argparse_zh(message: str) -> str:
    for pattern, replacement in _ARGPARSE_ZH:
        if re.fullmatch(pattern, message):
            text = re.sub(pattern, replacement, message)
            if "可用：" in text:           # 'text', 'json' → text、json
                head, _, choices = text.partition("可用：")
                text = head + "可用：" + "、".join(c.strip(" '") for c in choices.split(","))
            return text
    return message


class Formatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """argparse in Chinese: 用法／参数／选项 headings, -h 的说明, and its error messages translated
    (exit code 2). `cli.build_parser` adds an example line and the exit codes under every command's help."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示此帮助并退出")

    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        print(f"{self.prog}：参数错误：{argparse_zh(message)}", file=sys.stderr)
        sys.exit(EXIT_INPUT)
