"""Problems found in input, as values that carry their location (file and line, or sheet!cell).

Loading collects every problem it can before giving up; the CLI prints them in one place
(``format_problem``) and exits 2 for unusable input.
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import Source


REQUIRED = "required"       # Problem.kind: a required value is missing (Problem.key names it)


@dataclass(frozen=True)
class Problem:
    source: Source
    message: str
    kind: str = ""          # what sort of problem, for code that must tell them apart (REQUIRED …)
    key: str = ""           # the key it is about (“金额单位”), with a kind

    def __str__(self) -> str:
        return format_problem(self)


def format_problem(p: Problem) -> str:
    return f"{p.source}：{p.message}"


class InputError(Exception):
    """The input cannot be used. Carries every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(format_problem(p) for p in problems))
        self.problems = problems


_ERRNO_ZH = {
    "ENOENT": "不存在", "EACCES": "没有权限", "EPERM": "没有权限", "EISDIR": "是一个文件夹，不是文件",
    "ENOTDIR": "路径中有一段不是文件夹", "EEXIST": "已经存在", "ENOSPC": "磁盘空间不足", "EROFS": "所在磁盘只读",
    "ENAMETOOLONG": "名称太长", "EDQUOT": "磁盘配额已满", "EBUSY": "正被其他程序占用", "ELOOP": "符号链接循环",
    "EMFILE": "打开的文件太多", "EIO": "读写出错（磁盘或网络盘故障）",
}


def special_file(path) -> str | None:
    """Why ``path`` (followed through symbolic links) is no regular file to read, in Chinese, or None.
    Checked before opening: a named pipe would block the open for ever, a device (a link to /dev/zero)
    never ends. Raises OSError as ``Path.stat`` does."""
    import stat
    mode = path.stat().st_mode
    if stat.S_ISDIR(mode):
        return _ERRNO_ZH["EISDIR"]
    if not stat.S_ISREG(mode):
        return "不是普通文件（是命名管道、设备或套接字），不能作为数据文件读取"
    return None


def os_reason(exc: OSError) -> str:
    """Why an operating-system call failed, in Chinese (“没有权限”), never strerror's English."""
    import errno
    name = errno.errorcode.get(exc.errno or 0, "")
    return _ERRNO_ZH.get(name, f"系统错误（错误号 {exc.errno}）" if exc.errno else "系统错误")

