"""`juesuan preview FILE`: the report as HTML in the browser, reloaded whenever its sources change.

A small local web server (the standard library's ``ThreadingHTTPServer``) bound to 127.0.0.1
on a free port (or ``--port``). It answers exactly two paths:

  /          the report: ``prepare(FILE).document`` rendered by the HTML writer (the same HTML
             the PDF is made from, stylesheet inlined) through ``templates/html/preview.html.j2``,
             which extends ``report.html.j2`` with a panel of the check findings at the top
             (each linking to the table or part it concerns) and a script that polls /version.
             When the file cannot be used (``InputError``) the page lists the problems instead,
             and keeps polling, so fixing the file brings the report back.
  /version   a token that changes when the data file, last year's file (``上年数据文件``) or
             any file under ``templates/`` changes (mtime_ns, size and inode of each file,
             computed on every request: a few ``stat`` calls).

Everything else is 404: no file is served, no directory is listed. Requests whose Host is not
this server's own address are refused (a web page elsewhere cannot read the report through
DNS rebinding). Ctrl-C (or SIGTERM) stops the server cleanly, exit code 0.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import secrets
import signal
import sys
import threading
import time
import webbrowser
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .check import ERROR, INFO, WARNING, Finding
from .cli_parser import port_number
from .check.report import summary_line
from .compose.document import Document, Heading, Marking
from .errors import InputError, format_problem
from .load.unit_loader import load_unit
from .pipeline import Result, prepare
from .review import add_review_arguments, review_options
from . import search_path
from .profile import load_profile
from .write.html_writer import TEMPLATES_DIR, environment, report_context

PREVIEW_TEMPLATE = "preview.html.j2"
POLL_MS = 700                     # how often the page asks /version
HOST = "127.0.0.1"
EXIT_OK, EXIT_INPUT = 0, 2
GOODBYE = "预览已停止，再见。"
LEVELS = {ERROR: "error", WARNING: "warning", INFO: "info"}


# ---------------------------------------------------------------- findings → places in the report

@dataclass(frozen=True)
class FindingView:
    """One finding as the preview panel shows it."""
    severity: str                 # 错误 | 警告 | 提示
    level: str                    # error | warning | info (CSS class)
    rule: str
    message: str
    source: str                   # file：第N行：键路径
    href: str                     # "#t02", "#h5" … or "" when the finding concerns no one place
    place: str                    # the link text: "公开02表 收入决算表", "第三部分 情况说明" …


def part_headings(result: Result) -> dict[str, Heading]:
    """The level-1 heading of each part (一 … 五), found by the title the profile gives it."""
    u = result.unit
    level1 = [h for h in result.document.headings(toc_only=False) if h.level == 1]
    by_text = {h.text: h for h in level1}
    out: dict[str, Heading] = {}
    profile = result.derived.profile
    for key in profile.part_titles:
        heading = by_text.get(profile.part_title(key, u.year, u.kind_word, u.name))
        if heading is not None:
            out[key] = heading
    for key, word in (("一", "概况"), ("三", "情况说明"), ("四", "名词解释"), ("五", "附件")):   # profiles without titles
        if key not in out:
            found = next((h for h in level1 if word in h.text), None)
            if found is not None:
                out[key] = found
    return out


def finding_views(result: Result) -> list[FindingView]:
    """The findings of ``result`` with the anchor of the place each one concerns.

    Table keys ("01" … "10") link to that table (``Table.anchor``); "情况说明" to the heading of
    第三部分, or more precisely to the heading inside it that names the text's key
    (情况说明.预算绩效 → “（四）预算绩效情况说明”), to 第一部分 for the 概况 texts and to 第四部分
    for 名词解释补充; "附件" to 第五部分. A finding about the whole unit (table "") has no link.
    """
    tables = {t.key: t for t in result.document.tables() if t.anchor}
    parts = part_headings(result)
    sections = _sections_of(result.document, parts.get("三"))
    views = []
    for f in result.findings:
        href, place = "", "全文"
        target = None
        if f.table in tables:
            t = tables[f.table]
            href, place = f"#{t.anchor}", f"{t.label} {t.title}"
        elif f.table == "情况说明":
            target = _words_target(f.source.path, parts, sections)
        elif f.table == "附件":
            target = parts.get("五")
        elif f.table:
            place = f.table
        if target is not None and target.anchor:
            href, place = f"#{target.anchor}", target.text
        views.append(FindingView(f.severity, LEVELS.get(f.severity, "info"), f.rule, f.message,
                                 str(f.source), href, place))
    return views


def _sections_of(doc: Document, part: Heading | None) -> list[Heading]:
    """The headings inside a part (after its level-1 heading, up to the next one)."""
    out: list[Heading] = []
    inside = False
    for b in doc.blocks:
        if isinstance(b, Heading):
            if b.level == 1:
                inside = b is part
            elif inside and b.anchor:
                out.append(b)
    return out


def _words_target(path: str, parts: dict[str, Heading], sections: list[Heading]) -> Heading | None:
    """The heading a finding about one of the unit's texts (key path ``path``) points to."""
    if path.startswith("概况"):
        return parts.get("一") or parts.get("三")
    key = re.split(r"[.\[]", path.removeprefix("情况说明."), maxsplit=1)[0]
    if key == "名词解释补充":
        return parts.get("四") or parts.get("三")
    if key:
        found = next((h for h in sections if key in h.text), None)
        if found is not None:
            return found
    return parts.get("三")


def counts_text(findings: list[Finding]) -> str:
    n = {s: sum(1 for f in findings if f.severity == s) for s in (ERROR, WARNING, INFO)}
    return "，".join(f"{s} {c} 个" for s, c in n.items() if c)


# ---------------------------------------------------------------- the watched files

def _stat(path: Path) -> tuple:
    try:
        st = path.stat()
    except OSError:
        return ("missing",)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _ignored(name: str) -> bool:
    """Editor droppings (swap files, backups) that must not reload the page."""
    return name.startswith(".") or name.endswith(("~", ".swp", ".swx", ".tmp"))


def templates_fingerprint(root: Path = TEMPLATES_DIR) -> str:
    """A digest of the name, mtime_ns, size and inode of every file under ``root``."""
    h = hashlib.sha1()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _ignored(d))
        for name in sorted(filenames):
            if not _ignored(name):
                p = Path(dirpath) / name
                h.update(f"{p}\0{_stat(p)}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _digest(files: dict[str, tuple], templates: str) -> str:
    h = hashlib.sha1()
    for name in sorted(files):
        h.update(f"{name}\0{files[name]}\n".encode("utf-8", "surrogateescape"))
    h.update(templates.encode())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------- the page

@dataclass(frozen=True)
class Page:
    version: str
    html: str
    nonce: str                    # the Content-Security-Policy nonce of its script


class Preview:
    """Renders the page for one data file, again only when a watched file has changed."""

    def __init__(self, path: Path, draft: bool = False, marking: Marking | None = None, *,
                 templates: Path = TEMPLATES_DIR, out=None):
        self.path = Path(path)
        self.draft, self.marking = draft, marking
        self.templates = templates
        self.out = out if out is not None else sys.stdout
        self.previous: Path | None = None       # last year's file, once the data file names it
        self._lock = threading.Lock()
        self._page: Page | None = None
        self._templates_seen: str | None = None

    def watched(self) -> list[Path]:
        return [self.path] + ([self.previous] if self.previous else [])

    def version(self) -> str:
        """The token /version answers: changes whenever a watched file does."""
        return _digest({str(p): _stat(p) for p in self.watched()}, self._templates_fingerprint())

    def _templates_fingerprint(self) -> str:
        """templates/ and the user's profile folders (--profiles)."""
        return "".join(templates_fingerprint(root) for root in (self.templates, *search_path.user_roots()))

    def page(self) -> Page:
        """The current page, rendered anew when the version has changed since the last one."""
        with self._lock:
            # stat before rendering: a change made while rendering then gives a newer version,
            # and the page reloads once more, instead of a stale page that never reloads
            files = {str(p): _stat(p) for p in self.watched()}
            tfp = self._templates_fingerprint()
            version = _digest(files, tfp)
            if self._page is not None and self._page.version == version:
                return self._page
            if self._templates_seen is not None and tfp != self._templates_seen:
                load_profile.cache_clear()       # profiles and catalogues are read once per process
            self._templates_seen = tfp
            first = self._page is None
            before = self.watched()
            nonce = secrets.token_urlsafe(16)
            html, summary = self._render(nonce, version)
            if self.watched() != before:          # the file now names (or no longer names) last year's
                files = {str(p): files.get(str(p)) or _stat(p) for p in self.watched()}
                version = _digest(files, tfp)
                html, summary = self._render(nonce, version)
            self._page = Page(version, html, nonce)
            stamp = time.strftime("%H:%M:%S")
            self._say(f"[{stamp}] {'已生成' if first else '已更新'}：{summary}")
            return self._page

    def _say(self, line: str) -> None:
        try:
            print(line, file=self.out, flush=True)
        except (OSError, ValueError):
            pass

    def _render(self, nonce: str, version: str) -> tuple[str, str]:
        """(HTML, one-line summary for the terminal)."""
        info = dict(version=version, poll_ms=POLL_MS, nonce=nonce, file=str(self.path),
                    findings=[], counts="", problems=None, internal=None)
        try:
            result = prepare(self.path, self.draft, self.marking)
        except InputError as exc:
            self._learn_previous()
            problems = [format_problem(p) for p in exc.problems]
            info["problems"] = problems
            return self._html(self._empty_doc("输入有误"), info), f"{self.path}：输入有误，共 {len(problems)} 处"
        except Exception as exc:  # a bug must not stop the preview; the page says what happened
            info["internal"] = f"{type(exc).__name__}: {exc}"
            return (self._html(self._empty_doc("程序内部出错"), info),
                    f"{self.path}：程序内部出错（{info['internal']}）；请把此信息和数据文件交给维护人员")
        self._previous_from(result.unit.previous_file)
        info["findings"] = finding_views(result)
        info["counts"] = counts_text(result.findings)
        try:
            html = self._html(result.document, info)
        except Exception as exc:  # e.g. a template being edited has a syntax error
            info.update(findings=[], counts="", internal=f"{type(exc).__name__}: {exc}")
            return (self._html(self._empty_doc("模板出错"), info),
                    f"{self.path}：生成 HTML 时出错（{info['internal']}）")
        return html, summary_line(str(self.path), result.findings)

    def _previous_from(self, name: str | None) -> None:
        self.previous = (self.path.parent / name).resolve() if name else None

    def _learn_previous(self) -> None:
        """After an InputError: the data file may itself be fine and last year's file broken."""
        try:
            self._previous_from(load_unit(self.path).previous_file)
        except InputError:
            pass                                  # keep watching what was watched before

    def _empty_doc(self, what: str) -> Document:
        return Document(title=f"预览：{what}：{self.path.name}", blocks=[])

    def _html(self, doc: Document, info: dict) -> str:
        context = report_context(doc, inline_css=True)
        context["preview"] = info
        return environment().get_template(PREVIEW_TEMPLATE).render(context)


# ---------------------------------------------------------------- the server

CSP = ("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
       "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, preview: Preview, port: int = 0):
        self.preview = preview
        super().__init__((HOST, port), PreviewHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "juesuan-preview"
    sys_version = ""

    def do_GET(self) -> None:
        if not self._host_ok():
            self._send(400, "text/plain", "请求的主机名不是本预览服务的地址".encode())
            return
        path = self.path.split("?", 1)[0]        # the request target exactly; no URL decoding
        if path == "/":
            page = self.server.preview.page()
            self._send(200, "text/html", page.html.encode("utf-8"),
                       {"Content-Security-Policy": CSP.format(nonce=page.nonce)})
        elif path == "/version":
            self._send(200, "text/plain", self.server.preview.version().encode("ascii"))
        else:
            self._send(404, "text/plain", "未找到：预览只有 / 与 /version 两个地址".encode())

    def _host_ok(self) -> bool:
        host = self.headers.get("Host")
        return host is None or host.lower() in (f"{HOST}:{self.server.port}", f"localhost:{self.server.port}")

    def _send(self, status: int, ctype: str, body: bytes, headers: dict | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{ctype}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass                                  # the browser went away (e.g. reloading)

    def log_message(self, format: str, *args) -> None:  # noqa: A002  (no line per poll)
        pass


# ---------------------------------------------------------------- the command

def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("file", type=Path, help="单位数据文件（.yaml 或 .xlsx）")
    p.add_argument("--port", type=port_number, default=0, help="端口（默认 0：自动选一个空闲端口）")
    p.add_argument("--no-browser", action="store_true", help="不自动打开浏览器")
    add_review_arguments(p)
    from .cli_profiles import add_profiles_argument
    add_profiles_argument(p)
    return p


def add_command(subparsers) -> argparse.ArgumentParser:
    """Add the ``preview`` command to the ``juesuan`` subparsers; dispatch it to ``run(args)``."""
    p = subparsers.add_parser("preview", help="在浏览器中预览报告，数据文件或模板修改后自动刷新")
    add_arguments(p)
    p.set_defaults(run=run)
    return p


def _open_browser(url: str) -> None:
    try:
        opened = webbrowser.open(url)
    except (webbrowser.Error, OSError):          # no browser on this machine, or it failed to start
        opened = False
    if not opened:
        print("未能自动打开浏览器，请手动打开上面的地址。", flush=True)


class _Stop(BaseException):
    """SIGTERM, raised in the main thread; like KeyboardInterrupt, no ``except Exception`` catches it."""


def run(args) -> int:
    """Serve the preview until Ctrl-C. Exit code 0; 2 when the file or the port cannot be used."""
    from .cli_profiles import apply_profiles
    refused = apply_profiles(args)      # --profiles: watched as templates/ is
    if refused is not None:
        return refused
    path = Path(args.file)
    if not path.is_file():
        print(f"错误：{path}：文件不存在", file=sys.stderr)
        return EXIT_INPUT
    draft, marking = review_options(args)
    preview = Preview(path, draft=draft, marking=marking)
    try:
        server = PreviewServer(preview, getattr(args, "port", 0))
    except OSError as exc:
        print(f"错误：无法在 {HOST}:{args.port} 启动预览服务（{exc.strerror or exc}）", file=sys.stderr)
        return EXIT_INPUT
    old_term = _on_sigterm()
    try:
        print(f"预览地址：{server.url}", flush=True)
        print("修改数据文件或模板后页面自动刷新；按 Ctrl-C 停止。", flush=True)
        preview.page()                            # the check summary now, the page at once later
        if not getattr(args, "no_browser", False):
            threading.Thread(target=_open_browser, args=(server.url,), daemon=True).start()
        server.serve_forever(poll_interval=0.25)
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        server.server_close()
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    if sys.stdout.isatty():
        print()                                   # after the terminal's "^C"
    print(GOODBYE, flush=True)
    return EXIT_OK


def _on_sigterm():
    """SIGTERM stops the server like Ctrl-C (main thread only); returns the old handler."""
    def stop(signum, frame):
        raise _Stop()
    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:                            # not in the main thread
        return None


def main(argv: list[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(
        prog="python -m generator.preview", description="在浏览器中预览决算公开报告（与 juesuan preview 相同）"))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
