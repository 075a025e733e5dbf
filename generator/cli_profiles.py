"""Profiles a user owns (issue 25): the ``--profiles DIR`` option of render, check, template,
import, batch and preview, and the ``juesuan profile`` command:

  juesuan profile new NAME --from shanghai-2024 --out DIR    start a profile that inherits a built-in one
  juesuan profile check DIR                                   load it as render would; located messages

A profile folder is laid out as templates/ is (search_path): DIR/profiles, DIR/layouts,
DIR/catalogs, DIR/wording/<措辞目录>. Exit codes: 0 fine, 2 a problem (nothing written by new).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import search_path
from .errors import InputError, Problem, format_problem
from .model import Source

EXIT_OK, EXIT_INPUT = 0, 2
PROFILES_HELP = ("自己的版式文件夹（其中 profiles/、layouts/、catalogs/、wording/ 先于内置的 templates/ 查找；"
                 "用 juesuan profile new 建立）；可给多次，先给的先找")


def add_profiles_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profiles", action="append", type=Path, default=[], metavar="DIR", help=PROFILES_HELP)


def apply_profiles(args) -> int | None:
    """The folders of ``--profiles`` searched from now on in this process; a missing one (or a
    file, or a folder without profiles/ layouts/ catalogs/ wording/): a message and exit code 2."""
    folders = getattr(args, "profiles", None) or []
    bad = [f"--profiles {f}：{why}" for f in folders if (why := search_path.folder_problem(f))]
    if bad:
        for text in bad:
            print(f"错误：{text}", file=sys.stderr)
        print("未处理：没有读取任何单位数据文件", file=sys.stderr)
        return EXIT_INPUT
    search_path.set_user_roots(folders)
    return None


def add_command(subparsers) -> None:
    p = subparsers.add_parser("profile", help="自己的版式：新建（继承内置的版式）、检查")
    sub = p.add_subparsers(dest="profile_command", required=True, title="子命令", metavar="子命令",
                           parser_class=type(p))
    n = sub.add_parser("new", help="新建一个继承内置版式的版式文件夹，供修改表、标题与措辞")
    n.add_argument("name", metavar="NAME", help="新版式的名称（字母、数字、- 与 _，如 zhejiang-2024）")
    n.add_argument("--from", dest="base", required=True, metavar="版式", help="所继承的版式，如 shanghai-2024")
    n.add_argument("--out", type=Path, required=True, metavar="DIR", help="版式文件夹（没有则新建；已有的文件不覆盖）")
    n.epilog = "例：juesuan profile new zhejiang-2024 --from shanghai-2024 --out 我的版式/"
    c = sub.add_parser("check", help="检查版式文件夹：每个版式（连同所继承的）、表格版式、目录与措辞模板")
    c.add_argument("folders", nargs="+", type=Path, metavar="DIR", help="版式文件夹")
    c.epilog = "例：juesuan profile check 我的版式/\n退出码：0 没有问题；2 有问题（每个问题一行：文件：第N行：说明）。"


def run(args) -> int:
    if args.profile_command == "new":
        return cmd_new(args)
    return cmd_check(args)


# ---------------------------------------------------------------- profile new

def _fail(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return EXIT_INPUT


def _block(path: Path, line: int | None) -> list[str]:
    """The lines of the top-level key at ``line`` of ``path`` (up to the next top-level key)."""
    if not line:
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [lines[line - 1]]
    for text in lines[line:]:
        if text[:1] not in ("", " ", "#", "\t"):
            break
        out.append(text)
    while out and not out[-1].strip():
        out.pop()
    return out


def block_summaries(env, name: str) -> list[str]:
    """“para2：“三公”经费财政拨款支出年初预算为…” for each block of template ``name``: what a
    user's template may replace, with the first words it prints."""
    from jinja2 import nodes
    source, _, _ = env.loader.get_source(env, name)
    out = []
    for block in env.parse(source).find_all(nodes.Block):
        words = "".join(n.data for n in block.find_all(nodes.TemplateData)).strip() or "".join(
            n.value for n in block.find_all(nodes.Const) if isinstance(n.value, str))     # a heading: h3("…")
        words = "".join(words.split())
        out.append(f"{block.name}：{words[:24]}{'…' if len(words) > 24 else ''}" if words else block.name)
    return out


def _template_notes(profile) -> list[str]:
    """For the wording folder's README: each template the profile uses, where it comes from now,
    and the blocks a template of the user's may replace."""
    from .compose.narrative import environment
    env = environment(profile.wording_dirs)
    notes = []
    for name in dict.fromkeys([*(s.template for s in profile.outline), *profile.part_templates.values()]):
        try:
            _, filename, _ = env.loader.get_source(env, name)
        except Exception:  # noqa: BLE001  (a missing template is profile check's to report)
            notes.append(f"{name}：找不到")
            continue
        where = Path(filename).parent.name
        notes.append(f"{name}（现用内置 {where}/；扩展它：{{% extends \"!{where}/{name}\" %}}）")
        notes += [f"    {b}" for b in block_summaries(env, name)]
    return notes


def cmd_new(args) -> int:
    name, base, out = args.name, args.base, args.out
    if not search_path.NAME.fullmatch(name):
        return _fail(f"版式名称“{name}”只能用英文字母、数字、- 与 _（它也是文件名，写在单位数据的“模板”中）")
    if out.exists() and not out.is_dir():
        return _fail(f"--out {out}：不是文件夹")
    target = out / "profiles" / f"{name}.yaml"
    if target.exists():
        return _fail(f"{target} 已存在，未覆盖（换一个名称，或直接编辑它）")
    from .profile import PROFILES, _profile, available, load_profile, unknown_message
    if (PROFILES / f"{name}.yaml").exists():
        return _fail(f"“{name}”是内置版式的名称；自己的版式要另起名字（可以 --from {name} 继承它）")
    if out.is_dir() and not search_path.folder_problem(out):
        search_path.set_user_roots([out, *search_path.user_roots()])
    if base not in available():
        return _fail(unknown_message(base))
    try:
        profile = load_profile(base)
        loc = _profile(base)
    except InputError as exc:
        for p in exc.problems:
            print(f"错误：{format_problem(p)}", file=sys.stderr)
        return _fail(f"--from {base}：这个版式本身有问题，不能继承")
    d = loc.data
    tables_src = loc.source(("表",))
    outline_src = loc.source(("情况说明提纲",))
    tables = _block(Path(tables_src.file), tables_src.line)
    outline = _block(Path(outline_src.file), outline_src.line)
    year = lambda key: f"{d[key]}" if d.get(key) is not None else ""   # noqa: E731
    lines = [
        f"# {name}：由 juesuan profile new 从 {base}（{profile.display_name}）建立。",
        "# 没有写的键都由“继承”的版式而来：映射（部分标题、文字、名词解释……）逐键覆盖，",
        "# 列表（表、情况说明提纲、固定行类……）整体替换。键的含义见 docs/profiles.md。",
        f"# 检查：juesuan profile check {out}",
        f"# 生成：juesuan render 单位.yaml --profiles {out} --format pdf（单位数据中写“模板: {name}”）",
        f"继承: {base}",
        f"说明: {_quoted(f'{name}（继承 {base}）')}",
        f"地区: {_quoted(profile.region or '（填写地区）')}              # 本版式用于哪个地区",
        "# 用于哪些决算年度：起始年度、截止年度不继承，要自己写（不写起始：以前各年；不写截止：直到有新版）",
        f"起始年度: {year('起始年度')}" if d.get("起始年度") is not None else "# 起始年度: 2024",
        f"截止年度: {year('截止年度')}" if d.get("截止年度") is not None else "# 截止年度: 2025",
    ]
    lines += [
        f"措辞目录: {name}               # wording/{name}/ 中的模板优先，缺的用 "
        f"{'、'.join(profile.wording_dirs)} 的（内置）",
        "",
        f"# 要公开的表，按公开顺序（复制自 {Path(tables_src.file).name}；整体替换所继承的）。可以改 标题、注、横向、",
        "# 目录标题、无数据说明，删去一张表，或加上一张（表: 01–10，版式: layouts/ 或内置 templates/layouts/ 中的",
        "# 表格版式，如 10 相关信息统计表用 info）：",
        *tables,
        "",
        "# 第三部分提纲（去掉行首的“# ”后修改；整体替换所继承的）：每节 标题、模板（wording/ 中的措辞模板）、事实。",
        *(f"# {x}" for x in outline),
        "",
        "# 其他可改的键（都可只写要改的那一项）：部分标题、文字（封面标题、表左上……）、名词解释、车辆类别名称、",
        "# 说明千分位、表内千分位、占比尾差、页码、目录页码、部分另起页、正文排版。",
    ]
    wording = out / "wording" / name
    try:
        for sub in ("profiles", "layouts", "catalogs"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        wording.mkdir(parents=True, exist_ok=True)
        _write_new(target, "\n".join(lines) + "\n")
        _write_new(wording / "说明.txt", "\n".join(_wording_readme(name, profile)) + "\n")
        _write_new(out / "说明.txt", FOLDER_README.format(out=out))
    except FileExistsError as exc:       # another process made it meanwhile
        return _fail(f"{exc.filename} 已存在，未覆盖")
    except OSError as exc:
        from .errors import os_reason
        return _fail(f"--out {out}：无法写入（{os_reason(exc)}）")
    print(f"已建立：{target}（继承 {base}）")
    print(f"下一步：编辑它，然后 juesuan profile check {out}")
    return EXIT_OK


def _quoted(text: str) -> str:
    import json
    return json.dumps(text, ensure_ascii=False)       # a YAML string, whatever it holds


def _write_new(path: Path, text: str) -> None:
    """Write ``path`` unless it exists (a README already there is kept)."""
    if path.name == "说明.txt" and path.exists():
        return
    with open(path, "x", encoding="utf-8") as f:
        f.write(text)


FOLDER_README = """版式文件夹（juesuan profile new 建立）。生成时加 --profiles {out}，这里的文件先于内置的 templates/ 查找：

  profiles/<名称>.yaml    版式（可“继承”内置的版式，只写不同之处）
  layouts/<名称>.yaml     表格版式（见 docs/layouts.md；可复制内置的改名后修改）
  catalogs/<名称>.yaml    年度目录（经济分类、功能分类）
  wording/<措辞目录>/     措辞模板：只放要改的；缺的用所继承版式的措辞，再缺用内置 default/

名称不能与内置的相同（内置的版式、表格版式、目录、措辞目录）。改完运行：juesuan profile check {out}
"""


def _wording_readme(name: str, profile) -> list[str]:
    notes = _template_notes(profile)
    return [
        f"wording/{name}/：版式 {name} 的措辞模板（Jinja，输出纯文本，每个非空行一段）。",
        "只放要改的模板；没有的用所继承版式的措辞（下列“现用”），再没有用内置 default/。",
        "",
        "改一整个模板：把内置的同名文件（templates/wording/…）复制到这里修改。",
        "只改一段：在这里新建同名文件，扩展内置的模板，只替换其中一个 block，例如 sh07_sangong.j2：",
        "",
        '  {% extends "!shanghai/sh07_sangong.j2" %}',
        "  {% block para2 %}“三公”经费财政拨款支出决算为{{ amt(sg_actual) }}。{% endblock %}",
        "",
        "（\"!shanghai/…\"、\"!default/…\" 指内置措辞目录中的模板。模板只拿到本节的数，见 docs/profiles.md。）",
        "",
        "本版式现用的模板，及其中可替换的 block（block 名：它印出的开头几个字）：",
        *notes,
    ]


# ---------------------------------------------------------------- profile check

def cmd_check(args) -> int:
    folders: list[Path] = args.folders
    bad = [f"{f}：{why}" for f in folders if (why := search_path.folder_problem(f))]
    if bad:
        for text in bad:
            print(f"错误：{text}", file=sys.stderr)
        return EXIT_INPUT
    search_path.set_user_roots(folders)
    problems: list[Problem] = []
    checked: list[str] = []
    for folder in search_path.user_roots():
        problems += check_folder(folder, checked)
    for p in problems:
        print(f"错误：{format_problem(p)}", file=sys.stderr)
    where = "、".join(str(f) for f in folders)
    if problems:
        print(f"未通过：{where}（共 {len(problems)} 处问题）", file=sys.stderr)
        return EXIT_INPUT
    print(f"已检查：{where}：{len(checked)} 个版式（{'、'.join(checked) or '无'}），没有发现问题")
    return EXIT_OK


def check_folder(folder: Path, checked: list[str] | None = None) -> list[Problem]:
    """Every problem of one profile folder (its profiles loaded as render loads them, with what
    they inherit; its layouts; the wording templates of each profile compiled, with what they
    extend, include or import). ``checked`` gets the names of the profiles found fine."""
    from .layout import load_layout
    from .profile import _profile, load_profile
    problems: list[Problem] = []
    builtin = {kind: set(search_path.in_folder(kind, search_path.BUILTIN / kind)) for kind in search_path.KINDS}
    for kind in search_path.KINDS:
        sub = folder / kind
        if not sub.is_dir():
            continue
        for p in sorted(sub.iterdir()):
            stem = p.name if kind == "wording" else p.stem
            if kind != "wording" and p.suffix != ".yaml" or kind == "wording" and not p.is_dir():
                continue
            if not search_path.NAME.fullmatch(stem):
                problems.append(Problem(Source(str(p)), "名称只能用英文字母、数字、- 与 _"))
            elif stem in builtin[kind]:
                problems.append(Problem(Source(str(p)), search_path.clash_message(kind, stem, p).split("：", 1)[1]))
    clashing = {Path(p.source.file) for p in problems}
    for name in search_path.in_folder("layouts", folder / "layouts"):
        if folder / "layouts" / f"{name}.yaml" not in clashing:
            try:
                load_layout(name)
            except InputError as exc:
                problems += exc.problems
    for name in search_path.in_folder("profiles", folder / "profiles"):
        if folder / "profiles" / f"{name}.yaml" in clashing:
            continue
        try:
            profile = load_profile(name)
        except InputError as exc:
            problems += exc.problems
            continue
        found = wording_problems(profile, _profile(name))
        problems += found
        if not found and checked is not None:
            checked.append(name)
    return problems


def wording_problems(profile, loc) -> list[Problem]:
    """Every template the profile names (情况说明提纲, 部分模板) found and compiled, with the
    templates they extend, include or import; a block a template replaces must be in the one it
    extends (a misspelt block would silently change nothing)."""
    import jinja2
    from jinja2 import meta, nodes

    from .compose.narrative import environment
    try:
        env = environment(profile.wording_dirs)
    except InputError as exc:
        return exc.problems
    named = [(s.template, loc.source(("情况说明提纲", i, "模板"))) for i, s in enumerate(profile.outline)]
    named += [(t, loc.source(("部分模板", part)) if part in (loc.data.get("部分模板") or {}) else Source(profile.path))
              for part, t in profile.part_templates.items() if part in _parts(loc)]
    problems: list[Problem] = []
    seen: dict[str, set[str] | None] = {}

    def blocks_of(name: str, where: Source) -> set[str] | None:
        """The blocks template ``name`` defines or inherits; None when it cannot be loaded (said)."""
        if name in seen:
            return seen[name]
        seen[name] = None
        try:
            source, filename, _ = env.loader.get_source(env, name)
        except jinja2.TemplateNotFound:
            problems.append(Problem(where, f"找不到措辞模板“{name}”（查找：{_searched(name, profile.wording_dirs)}）"))
            return None
        here = Source(filename or name)
        try:
            tree = env.parse(source, name, filename)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(Problem(Source(exc.filename or filename, exc.lineno), f"措辞模板语法错误：{exc.message}"))
            return None
        own = {b.name for b in tree.find_all(nodes.Block)}
        parent = next(iter(tree.find_all(nodes.Extends)), None)
        inherited: set[str] = set()
        for ref in meta.find_referenced_templates(tree):
            if ref is None:
                continue
            got = blocks_of(ref, Source(here.file, _line_of(tree, ref)))
            if parent is not None and isinstance(parent.template, nodes.Const) and parent.template.value == ref:
                inherited = got or set()
                for b in tree.find_all(nodes.Block):
                    if got is not None and b.name not in got:
                        problems.append(Problem(Source(here.file, b.lineno),
                                                f"block“{b.name}”不在所扩展的“{ref}”中，替换不了任何内容"
                                                f"（可替换：{'、'.join(sorted(got)) or '无'}）"))
        try:
            env.get_template(name)            # compiled as render compiles it
        except jinja2.TemplateError as exc:
            problems.append(Problem(Source(getattr(exc, "filename", None) or here.file, getattr(exc, "lineno", None)),
                                    f"措辞模板有误：{exc}"))
            return None
        seen[name] = own | inherited
        return seen[name]

    for name, where in named:
        blocks_of(name, where)
    for folder in _user_wording(profile):
        for path in sorted(folder.glob("*.j2")):       # templates of the folder the outline does not name
            blocks_of(path.name, Source(str(path)))
    return problems


def _parts(loc) -> set[str]:
    return {str(k) for k in (loc.data.get("部分标题") or {})}


def _user_wording(profile) -> list[Path]:
    return [root / "wording" / d for root in search_path.user_roots() for d in profile.wording_dirs
            if (root / "wording" / d).is_dir()]


def _line_of(tree, ref: str) -> int | None:
    from jinja2 import nodes
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        if isinstance(node.template, nodes.Const) and node.template.value == ref:
            return node.lineno
    return None


def _searched(name: str, dirs: tuple[str, ...]) -> str:
    if name.startswith("!"):
        return f"内置 templates/wording/{name.partition('/')[0][1:]}/ 与 default/"
    places = [f"{root}/wording/{d}/" for d in dirs for root in search_path.user_roots()]
    return "、".join(places + [f"内置 {d}/" for d in dict.fromkeys((*dirs, "default"))])
