"""Where profiles, table layouts, catalogues and wording templates are found: the folders a user
owns (``--profiles DIR``; the web workspace's profile folder) before the built-in ``templates/``.

A user folder is laid out as ``templates/`` is::

    DIR/profiles/<名称>.yaml      版式（可以“继承”内置的版式）
    DIR/layouts/<名称>.yaml       表格版式
    DIR/catalogs/<名称>.yaml      年度目录
    DIR/wording/<措辞目录>/*.j2   措辞模板（只放要改的；可 {% extends "!default/…" %}）

The roots are set once per process (the CLI from ``--profiles``, the web server from its
workspace, a batch or web worker from what its parent hands it: ``user_roots()`` is plain data).
A user file may not have the name of a built-in one: asked for by that name, it is an error
(`InputError` naming the file), so a name always means one file, the same in every process.
Two user folders holding the same name: the first given wins.

``key()`` is what a cache of anything read from the roots is keyed on: the roots and, for the user
folders, every file's size and modification time, so an edited profile is read again (the web
workspace's admin edits them while the server runs) and two calls with different folders never
see each other's profiles.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import InputError, Problem
from .model import Source

BUILTIN = Path(__file__).resolve().parents[1] / "templates"
KINDS = ("profiles", "layouts", "catalogs", "wording")
KIND_NAMES = {"profiles": "版式", "layouts": "表格版式", "catalogs": "目录", "wording": "措辞目录"}
NAME = re.compile(r"[A-Za-z0-9_-]+")
MAX_FILES = 5000                # files of the user folders looked at for key(); more are not looked at

_user: tuple[Path, ...] = ()


def folder_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a profile folder (Chinese), or None."""
    if not path.exists():
        return "文件夹不存在"
    if not path.is_dir():
        return "不是文件夹"
    if not os.access(path, os.R_OK | os.X_OK):
        return "没有读取权限"
    if not any((path / kind).is_dir() for kind in KINDS):
        return f"其中没有 {'、'.join(k + '/' for k in KINDS)} 中的任何一个子文件夹（用 juesuan profile new 新建）"
    return None


def set_user_roots(folders) -> None:
    """The user's profile folders, searched in this order before templates/ (none: built-in only)."""
    global _user
    _user = tuple(dict.fromkeys(Path(f).resolve() for f in folders or ()))


def user_roots() -> tuple[Path, ...]:
    return _user


def roots() -> tuple[Path, ...]:
    return _user + (BUILTIN,)


def folders(kind: str, builtin: Path | None = None) -> list[Path]:
    """The folders of ``kind`` in search order: each user folder's, then the built-in one
    (``builtin``: the module constant of its reader, e.g. profile.PROFILES, read when called)."""
    return [root / kind for root in _user] + [builtin or BUILTIN / kind]


def _is(kind: str, p: Path) -> bool:
    return p.is_dir() if kind == "wording" else p.suffix == ".yaml" and p.is_file()


def find(kind: str, name: str, where: Source | None = None, builtin: Path | None = None) -> Path | None:
    """The file (a wording folder for ``wording``) named ``name``: the first user folder's, else the
    built-in one; None when there is none (or ``name`` is no plain name). A user file with a built-in
    name raises InputError at ``where`` (else at the file)."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return None
    suffix = "" if kind == "wording" else ".yaml"
    found = [p for folder in folders(kind, builtin) if _is(kind, p := folder / f"{name}{suffix}")]
    if not found:
        return None
    builtin_one = (builtin or BUILTIN / kind) / f"{name}{suffix}"
    if len(found) > 1 and found[-1] == builtin_one:
        raise InputError([Problem(where or Source(str(found[0])), clash_message(kind, name, found[0]))])
    return found[0]


def clash_message(kind: str, name: str, path: Path) -> str:
    what = KIND_NAMES[kind]
    return (f"{path}：与内置的{what}“{name}”同名；自己的{what}要另起名字（可以“继承”内置的），"
            "同一个名字在每台机器、每个进程里都只指一个文件")


def names(kind: str, builtin: Path | None = None) -> list[str]:
    """Every name of ``kind`` in the user folders and the built-in folder, sorted (a name once)."""
    out = set()
    for folder in folders(kind, builtin):
        out.update(in_folder(kind, folder))
    return sorted(out)


def in_folder(kind: str, folder: Path) -> list[str]:
    """The names of ``kind`` in one folder (e.g. DIR/profiles)."""
    if not folder.is_dir():
        return []
    return sorted(stem for p in folder.iterdir()
                  if _is(kind, p) and NAME.fullmatch(stem := p.name if kind == "wording" else p.stem))


def _stamp() -> tuple:
    """Size and modification time of every file in the user folders (at most MAX_FILES)."""
    out = []
    for root in _user:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for f in sorted(filenames):
                try:
                    st = os.stat(os.path.join(dirpath, f))
                except OSError:
                    continue
                out.append((dirpath, f, st.st_size, st.st_mtime_ns))
                if len(out) >= MAX_FILES:
                    return tuple(out)
    return tuple(out)


def key() -> tuple:
    """What a cache of things read from the roots is keyed on (see the module's doc)."""
    return (_user, _stamp()) if _user else ()
