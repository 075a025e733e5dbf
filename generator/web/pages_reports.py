"""The admin's check of a published report (issue 26): upload any 决算公开 PDF (a unit's draft made in
Word, last year's publication, another department's) and see what `juesuan audit` finds, grouped by
table as on a unit's page. The PDF is read in a check worker (under its memory and time limits),
kept only while it is read, and the check is written to the audit log."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from starlette.requests import Request
from starlette.responses import Response

from ..names import safe_filename
from . import uploads, work
from .api import MAX_REPORT_BYTES, _read_upload
from .common import Refused, _check_csrf, _ip, _page, _require, _require_admin, _ws
from .naming import strip_invisible
from .pool import WorkerLimit


async def reports_page(request: Request) -> Response:
    account, _ = _require(request)
    _require_admin(account)
    return _page(request, "reports.html.j2", result=None, name="", limit_mb=MAX_REPORT_BYTES // 1024 // 1024)


async def report_audit(request: Request) -> Response:
    account, csrf = _require(request)
    _require_admin(account)
    ws = _ws(request)
    upload = uploads.Upload(request.headers.get("content-type"), ws.store.tmp_dir)
    folder = Path(tempfile.mkdtemp(prefix="audit-", dir=ws.store.tmp_dir))
    try:
        await _read_upload(request, upload)
        await _check_csrf(request, csrf, request.state.form)
        original = strip_invisible(upload.filename)
        base = PureWindowsPath(PurePosixPath(original).name).name
        if Path(base).suffix.lower() != ".pdf":
            raise Refused(415, f"不能检查“{base}”：这里只检查已公开的报告（.pdf）；单位的数据请在单位页面上传")
        if upload.size > MAX_REPORT_BYTES:
            raise Refused(413, f"文件过大（{upload.size // 1024 // 1024} MB）：报告应小于 {MAX_REPORT_BYTES // 1024 // 1024} MB")
        filename = safe_filename(Path(base).stem, limit_bytes=120) + ".pdf"
        shutil.move(str(upload.path), folder / filename)
        upload.path = None
        ws.store.audit(account.name, "检查已公开报告", "", f"{original[:200]}（{upload.size} 字节）", _ip(request))
        try:
            result = await ws.in_pool("check", work.audit_report, str(folder), filename)
        except WorkerLimit as exc:
            result = {"status": work.UNREADABLE, "problems": [f"{filename}：检查{exc}，已停止：文件是否异常庞大？"]}
    finally:
        upload.remove()
        shutil.rmtree(folder, ignore_errors=True)
    groups: dict[str, list] = {}
    for f in result.get("findings", []):
        groups.setdefault(f["group"], []).append(f)
    status = 200 if result["status"] == work.CHECKED else 422
    return _page(request, "reports.html.j2", status=status, result=result, groups=list(groups.items()), name=original,
                 limit_mb=MAX_REPORT_BYTES // 1024 // 1024)
