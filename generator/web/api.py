"""Uploads (streamed to a temporary file, hashed on the way, checked in a process pool), report
downloads (rendered in a process pool, kept per version) and the HTTP API for scripts
(``Authorization: Bearer``): a unit's state, an upload, a batch and its status."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path, PurePosixPath, PureWindowsPath

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..load.unit_loader import READERS
from ..load.xlsx_guard import MAX_FILE_BYTES
from ..load.pdf_text import MAX_BYTES as MAX_PDF_BYTES
from ..load.yaml_reader import MAX_BYTES as MAX_YAML_BYTES
from ..names import safe_filename
from . import uploads, work
from .batchjob import BatchBusy
from .common import (
    DRAIN_LIMIT,
    JOB_ID_PATTERN,
    JSON_BODY_BYTES,
    REQUEST_SLACK,
    WORKBOOK_SUFFIXES,
    Refused,
    _authenticate,
    _check_csrf,
    _counts,
    _file,
    _ip,
    _report_download_name,
    _require,
    _require_admin,
    _unit_for,
    _ws,
)
from .naming import strip_invisible
from .pool import WorkerLimit
from .store import CHECKED, UNREADABLE, Account, QuotaExceeded, Unit, Version, quota_message

# ---------------------------------------------------------------- uploads

def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"

MAX_REPORT_BYTES = min(MAX_PDF_BYTES, MAX_FILE_BYTES)    # a published report's PDF (well under 5 MB)


def _too_large(size: int | None) -> str:
    got = f"（{_size_text(size)}）" if size else ""
    return (f"文件过大{got}：单位的决算工作簿应小于 {MAX_FILE_BYTES // 1024 // 1024} MB，YAML 数据文件应小于 "
            f"{MAX_YAML_BYTES // 1024 // 1024} MB。请只保留决算表和说明各工作表（删去图片、附件、无关工作表）后另存再上传")


def _room_for_upload(request: Request, unit: Unit) -> None:
    """Refused before the body is read: the unit's quota already used up, or the workspace's disk
    without room for the largest upload (the size declared, else the largest allowed) and its margin."""
    ws = _ws(request)
    quota, margin = ws.settings.unit_quota, ws.settings.min_free_disk
    if quota:
        used = ws.store.unit_usage(unit)
        if used >= quota:
            raise Refused(413, quota_message(used, 0, quota), {"Connection": "close"})
    declared = request.headers.get("content-length", "")
    coming = int(declared) if declared.isdigit() else MAX_FILE_BYTES + REQUEST_SLACK
    free = shutil.disk_usage(ws.store.tmp_dir).free
    if free - coming < margin:
        raise Refused(507, f"服务器磁盘空间不足（剩余 {_size_text(free)}，须保留 {_size_text(margin)}），暂不能接收上传："
                           "请告知部门财务清理磁盘（或调整服务的 --min-free-disk-mb 选项）", {"Connection": "close"})


async def _read_upload(request: Request, upload: uploads.Upload) -> None:
    """The multipart field ``file`` received into ``upload`` (a temporary file in the workspace,
    never the whole of it in memory), the form's text fields into ``request.state.form``. The body
    is limited to the largest workbook the import accepts (load.excel_reader.MAX_FILE_BYTES) plus the
    form's overhead, counted as it comes (whatever Content-Length says)."""
    limit = MAX_FILE_BYTES + REQUEST_SLACK
    declared = request.headers.get("content-length")
    try:
        declared_n = int(declared) if declared is not None else None
    except ValueError:
        raise Refused(400, "请求的 Content-Length 无效") from None
    received = 0
    over = declared_n is not None and declared_n > limit
    if over and declared_n > DRAIN_LIMIT:
        raise Refused(413, _too_large(declared_n), {"Connection": "close"})
    async for chunk in request.stream():
        if over or received + len(chunk) > limit:
            over = True
            upload.drop()
            if declared_n is None:      # chunked: no end in sight; stop reading, answer and close at once
                raise Refused(413, _too_large(None), {"Connection": "close"})
            continue                    # a declared size (at most DRAIN_LIMIT): read to its end and drop it
        received += len(chunk)
        await upload.feed(chunk)
    if over:
        raise Refused(413, _too_large(declared_n))
    try:
        await upload.finish()
    except uploads.FormError:
        raise Refused(400, "上传的表单无法解析：请用页面上的上传按钮，或 multipart/form-data 的 file 字段") from None
    if not upload.filename:
        raise Refused(400, "没有收到文件：请选择要上传的工作簿（.xlsx）或数据文件（.yaml），字段名为 file")
    request.state.form = upload.fields


def _stored_name(original: str) -> tuple[str, str]:
    """(suffix, safe stored file name) of an uploaded file's name (a Windows path keeps its last part)."""
    base = PureWindowsPath(PurePosixPath(original).name).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    if suffix not in READERS and suffix != ".pdf":
        raise Refused(415, f"不能上传“{base}”：只接受 Excel 工作簿（.xlsx）、YAML 数据文件（.yaml），"
                           "或上年已公开的报告（.pdf，上年数从中读取）")
    return suffix, safe_filename(stem, limit_bytes=120) + suffix


def _link(source: Path, target: Path) -> None:
    """``target`` holding ``source``'s bytes: a hard link (no second copy on disk), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


async def _upload(request: Request, account: Account, unit: Unit, upload: uploads.Upload) -> dict:
    ws = _ws(request)
    original = strip_invisible(upload.filename)     # no zero-width or direction controls stored or shown
    suffix, filename = _stored_name(original)
    if not upload.size:
        raise Refused(422, f"文件“{original}”是空的（0 字节）")
    current = ws.store.version(unit.current_version) if unit.current_version is not None else None
    kept = ws.store.version_dir(unit, current.id) / work.PREVIOUS_NAME if current else None
    if suffix == ".pdf":
        # last year's published report: a new version of the current data with it beside (work.PREVIOUS_NAME)
        if current is None:
            raise Refused(409, "请先上传本年的数据（工作簿或数据文件），再上传上年已公开的报告（.pdf）")
        if upload.size > MAX_REPORT_BYTES:
            raise Refused(413, f"文件过大（{upload.size // 1024 // 1024} MB）：上年的报告应小于 "
                               f"{MAX_REPORT_BYTES // 1024 // 1024} MB")
        data = ws.store.tmp_dir / f"data-{os.getpid()}-{id(upload)}"
        _link(ws.store.version_dir(unit, current.id) / current.filename, data)
        label = f"{current.original_name[:140]}（上年报告：{original[:140]}）"
        try:
            version = _store_version(ws, unit, account, label, current.filename, data, current.size + upload.size,
                                     current.sha256)
        finally:
            data.unlink(missing_ok=True)            # the store has renamed it, or it is not wanted
        os.replace(upload.path, ws.store.version_dir(unit, version.id) / work.PREVIOUS_NAME)
        filename = current.filename
    else:
        limit = MAX_FILE_BYTES if suffix in WORKBOOK_SUFFIXES else MAX_YAML_BYTES
        if upload.size > limit:
            raise Refused(413, _too_large(upload.size))
        version = _store_version(ws, unit, account, original[:300], filename, upload.path, upload.size, upload.sha256)
        if kept is not None and kept.is_file():      # the 上年 report goes on with the unit's data
            _link(kept, ws.store.version_dir(unit, version.id) / work.PREVIOUS_NAME)
    upload.path = None                  # the store has it now (renamed into the version's folder)
    ws.store.audit(account.name, "上传", unit.name, f"版本 {version.number}：{original[:200]}（{upload.size} 字节）",
                   _ip(request))
    return await check_version(ws, unit, version, filename)


async def check_version(ws, unit: Unit, version: Version, filename: str) -> dict:
    """Check a version just stored (in a check worker), record the result; what the upload answers."""
    folder = str(ws.store.version_dir(unit, version.id))
    try:
        result = await ws.in_pool("check", work.check_upload, folder, filename, unit.name)
    except WorkerLimit as exc:          # a bomb, or an absurdly big file: refused like an unreadable one
        result = {"status": UNREADABLE, "problems": [
            f"{filename}：检查{exc}，已停止：文件是否异常庞大或有大量重复的内容？请检查后重新上传"
            "（仍不行请告知部门财务）"]}
    except BaseException:
        ws.store.finish_version(version.id, UNREADABLE, {"problems": ["检查没有完成（处理进程出错）；请重新上传"]}, (0, 0, 0))
        ws.store.prune_unreadable(unit)
        raise
    findings = result.get("findings", [])
    counts = _counts(findings)
    current = ws.store.finish_version(version.id, result["status"], result, counts)
    if result["status"] == UNREADABLE:
        ws.store.prune_unreadable(unit)             # only the newest few unreadable uploads keep their files
    return {"unit": unit.name, "version": version.id, "number": version.number, "status": result["status"],
            "current": current,
            "errors": counts[0], "warnings": counts[1], "infos": counts[2],
            "findings": findings, "problems": result.get("problems", [])}


def _store_version(ws, unit: Unit, account: Account, label: str, filename: str, source: Path, size: int,
                   sha256: str) -> Version:
    try:
        return ws.store.add_version(unit, account, label, filename, source, size, sha256, quota=ws.settings.unit_quota)
    except QuotaExceeded as exc:
        raise Refused(413, str(exc)) from None


# ---------------------------------------------------------------- reports

async def _report_file(request: Request, unit: Unit, fmt: str, draft: bool) -> Path:
    """The unit's current report in ``fmt``, rendered (in the render pool) when not yet there."""
    ws = _ws(request)
    if unit.current_version is None:
        raise Refused(404, "本单位还没有通过读取的数据：请先上传工作簿或数据文件")
    version = ws.store.version(unit.current_version)
    if not draft and version.errors:
        raise Refused(409, f"检查发现 {version.errors} 个错误，不能生成正式稿：请改正后重新上传，或下载草稿（draft=1）")
    folder = ws.store.reports_dir(unit, version.id, draft)
    found = _existing(folder, fmt)
    if found:
        return found
    key = (version.id, draft)
    future = ws.rendering.get(key)
    if future is None:
        future = asyncio.ensure_future(ws.in_pool("render", work.render_version,
                                                  str(ws.store.version_dir(unit, version.id)), version.filename,
                                                  str(folder), draft))
        ws.rendering[key] = future
        future.add_done_callback(lambda _: ws.rendering.pop(key, None))
        account, _ = _authenticate(request)
        ws.store.audit(account.name if account else "", "生成", unit.name,
                       f"版本 {version.number}{'（草稿）' if draft else ''}", _ip(request))
    try:
        result = await asyncio.shield(future)
    except Refused:
        raise
    except WorkerLimit as exc:
        raise Refused(500, f"生成{exc}，已停止；已有的报告不受影响。请告知部门财务") from None
    except Exception as exc:
        raise Refused(500, f"生成失败（{type(exc).__name__}: {exc}）；已有的报告不受影响") from None
    if "refused" in result:
        raise Refused(409, f"检查发现 {result['refused']} 个错误，不能生成正式稿")
    found = _existing(folder, fmt)
    if not found:
        raise Refused(500, "生成后没有找到文件；请重试")
    return found


def _existing(folder: Path, fmt: str) -> Path | None:
    try:
        return next((p for p in sorted(folder.iterdir()) if p.suffix == f".{fmt}" and not p.name.startswith(".")), None)
    except OSError:
        return None


async def report(request: Request) -> Response:
    account, _ = _require(request)
    unit = _unit_for(request, account, request.path_params["name"])
    fmt = request.path_params["fmt"]
    if fmt not in ("pdf", "docx"):
        raise Refused(404, "只有 report.pdf 与 report.docx")
    draft = request.query_params.get("draft", "") in ("1", "true", "yes")
    path = await _report_file(request, unit, fmt, draft)
    name = _report_download_name(path.name, draft)
    _ws(request).store.audit(account.name, "下载", unit.name, name, _ip(request))
    return _file(path, name, fmt)


# ---------------------------------------------------------------- API

async def _accept_upload(request: Request) -> tuple[Unit, dict]:
    """An upload to the unit named in the path, by the page's form or the API (the account's own
    unit, CSRF token or bearer token checked): the unit and what ``_upload`` answers."""
    account, csrf = _require(request)
    unit = _unit_for(request, account, request.path_params["name"])
    _room_for_upload(request, unit)
    upload = uploads.Upload(request.headers.get("content-type"), _ws(request).store.tmp_dir)
    try:
        await _read_upload(request, upload)
        await _check_csrf(request, csrf, request.state.form)
        return unit, await _upload(request, account, unit, upload)
    finally:
        upload.remove()                 # the temporary file, unless the store has taken it


async def api_upload(request: Request) -> Response:
    _, out = await _accept_upload(request)
    return JSONResponse(out, status_code=200 if out["status"] == CHECKED else 422)


async def api_unit(request: Request) -> Response:
    account, _ = _require(request)
    unit = _unit_for(request, account, request.path_params["name"])
    versions = _ws(request).store.versions(unit)
    current = next((v.number for v in versions if v.id == unit.current_version), None)
    return JSONResponse({"unit": unit.name, "current": unit.current_version, "current_number": current, "versions": [
        {"id": v.id, "number": v.number, "status": v.status, "uploaded": v.uploaded, "by": v.account_name, "file": v.original_name,
         "errors": v.errors, "warnings": v.warnings, "infos": v.infos} for v in versions]})


async def _small_body(request: Request, limit: int) -> bytes:
    """A request's whole body, refused (413, the connection closed) as soon as it is over ``limit``
    bytes, declared or received."""
    too_large = Refused(413, f"请求过大：请求体应小于 {limit // 1024} KB", {"Connection": "close"})
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _job_for(request: Request, account: Account, job_id: str) -> dict:
    """A batch job the account may see (admins only), or 404."""
    job = _ws(request).store.job(job_id) if JOB_ID_PATTERN.fullmatch(job_id) else None
    if job is None or not account.admin:
        raise Refused(404, "没有这个任务")
    return job


def _batch_choice(request: Request, names: list[str] | None) -> list[tuple[Unit, Version]]:
    store = _ws(request).store
    units = store.units()
    if names:
        wanted = set(names)
        unknown = wanted - {u.name for u in units}
        if unknown:
            raise Refused(404, f"没有这些单位：{'、'.join(sorted(unknown))}")
        units = [u for u in units if u.name in wanted]
    chosen = []
    for u in units:
        if u.current_version is not None:
            chosen.append((u, store.version(u.current_version)))
    if not chosen:
        raise Refused(409, "所选单位都还没有可用的数据（没有通过读取的上传），没有可以生成的")
    return chosen


async def api_batch_start(request: Request) -> Response:
    account, csrf = _require(request)
    _require_admin(account)
    names = None
    body = await _small_body(request, JSON_BODY_BYTES)
    if body.strip():
        try:
            payload = json.loads(body)
        except ValueError:
            raise Refused(400, "请求体应为 JSON，如 {\"units\": [\"单位名称\"]}") from None
        except RecursionError:          # nested deeper than the parser's recursion limit
            raise Refused(400, "请求体的 JSON 嵌套过深：应为 {\"units\": [\"单位名称\", …]}") from None
        names = payload.get("units") if isinstance(payload, dict) else None
        if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
            raise Refused(400, "units 应为单位名称的列表")
    await _check_csrf(request, csrf)
    return _start_batch(request, account, names, api=True)


def _start_batch(request: Request, account: Account, names: list[str] | None, api: bool) -> Response:
    ws = _ws(request)
    chosen = _batch_choice(request, names)
    try:
        job_id = ws.batches.start(account, chosen)
    except BatchBusy as busy:
        if api:
            return JSONResponse({"error": "已有批量生成任务在运行，请等它完成", "id": busy.job_id}, status_code=409)
        return RedirectResponse(f"/admin?job={busy.job_id}&busy=1", status_code=303)
    ws.store.audit(account.name, "批量生成", detail=f"任务 {job_id}：{len(chosen)} 个单位", ip=_ip(request))
    if api:
        return JSONResponse({"id": job_id, "status": "running", "units": [u.name for u, _ in chosen]}, status_code=202)
    return RedirectResponse(f"/admin?job={job_id}", status_code=303)


def _job_json(job: dict) -> dict:
    return {"id": job["id"], "status": job["status"], "created": job["created"], "finished": job["finished"],
            "by": job["account_name"], "total": job["total"], "done": job["done"],
            "progress": round(job["done"] / job["total"], 3) if job["total"] else 0.0,
            "units": job["units"], "results": job["results"], "message": job["message"]}


async def api_batch_status(request: Request) -> Response:
    account, _ = _require(request)
    return JSONResponse(_job_json(_job_for(request, account, request.path_params["id"])))


