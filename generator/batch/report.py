"""The batch report: ``batch-report.html`` (templates/batch/report.html.j2) and
``batch-report.csv`` beside the outputs, and the summary printed at the end."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from ..atomic import write_bytes
from .records import FAILED, INTERRUPTED, RENDERED, SKIPPED, STATUSES, Outcome, Record

REPORT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "batch"
REPORT_HTML, REPORT_CSV = "batch-report.html", "batch-report.csv"
CSV_COLUMNS = ["序号", "单位名称", "数据文件", "状态", "错误数", "警告数", "问题", "输出文件", "用时（秒）", "备注"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")     # a spreadsheet may take such a cell for a formula


def csv_cell(value):
    """A cell as the CSV may hold it (OWASP's CSV-injection rule): text that starts with ``= + - @``,
    a tab or a carriage return gets a leading ``'``, so Excel and LibreOffice show it as text and
    never evaluate it. Numbers (``int``: the row number and the counts, never negative) are
    written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_bytes(records: list[Record]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for n, r in enumerate(records, 1):
        w.writerow([csv_cell(c) for c in (
            n, r.unit, r.source, r.status, r.errors, r.warnings, "\n".join(r.messages),
            "\n".join(r.outputs), "" if r.seconds is None else f"{r.seconds:.1f}", r.note)])
    return buf.getvalue().encode("utf-8-sig")     # the BOM lets Excel read it as UTF-8


def _html(outcome: Outcome, source: Path, formats: tuple[str, ...]) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    env = Environment(loader=FileSystemLoader(str(REPORT_TEMPLATES)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    rows = [{"n": n, "r": r, "links": [{"name": o, "href": quote(o)} for o in r.outputs],
             "seconds": "" if r.seconds is None else f"{r.seconds:.1f}"}
            for n, r in enumerate(outcome.records, 1)]
    counts = [(s, outcome.count(s)) for s in STATUSES if outcome.count(s)]
    return env.get_template("report.html.j2").render(
        rows=rows, counts=counts, total=len(outcome.records), source=str(source),
        formats="、".join(formats), when=datetime.now().strftime("%Y-%m-%d %H:%M"),
        seconds=f"{outcome.seconds:.1f}", jobs=outcome.jobs, interrupted=outcome.interrupted,
        cluster=outcome.cluster, lost=outcome.lost,
        peak=f"{max(outcome.worker_peak_mb.values()):.0f}" if outcome.worker_peak_mb else "",
        failed=sum(outcome.count(s) for s in FAILED), csv_href=quote(REPORT_CSV))


def write_reports(outcome: Outcome, out_dir: Path, source: Path, formats: tuple[str, ...]) -> tuple[Path, Path]:
    html_path, csv_path = out_dir / REPORT_HTML, out_dir / REPORT_CSV
    write_bytes(csv_path, _csv_bytes(outcome.records))
    write_bytes(html_path, _html(outcome, source, formats).encode("utf-8"))
    return html_path, csv_path


def summary(outcome: Outcome) -> str:
    lines = []
    n = len(outcome.records)
    rendered, skipped = outcome.count(RENDERED), outcome.count(SKIPPED)
    if outcome.lost:
        lines.append(f"批量生成未能完成：{outcome.lost}；{rendered} 个单位已生成，{outcome.count(INTERRUPTED)} 个未完成；"
                     "已生成的文件完整保留，集群恢复后再次运行同一命令（或不加 --cluster）即可补上未完成的单位")
    elif outcome.interrupted:
        lines.append(f"批量生成已中断：{rendered} 个单位已生成，{outcome.count(INTERRUPTED)} 个未完成；"
                     "已生成的文件完整保留，再次运行同一命令即可补上未完成的单位")
    elif skipped == n:
        lines.append(f"全部 {n} 个单位都未变化，没有重新生成任何文件（如需重新生成，加 --force）")
    elif skipped and not rendered:
        lines.append(f"没有重新生成任何文件：{skipped} 个单位未变化（如需重新生成，加 --force）")
    parts = [f"{s} {outcome.count(s)} 个" for s in STATUSES if outcome.count(s)]
    lines.append(f"共 {n} 个单位：" + "，".join(parts) + f"；用时 {outcome.seconds:.1f} 秒")
    bad = [r for r in outcome.records if r.status in FAILED]
    if bad:
        lines.append("未生成的单位：")
        for r in bad:
            more = f"（另有 {len(r.messages) - 1} 条）" if len(r.messages) > 1 else ""
            lines.append(f"  {r.status}  {r.source}：{r.messages[0] if r.messages else ''}{more}")
    renamed = [r for r in outcome.records if r.note]
    if renamed:
        lines.append("同名单位：")
        lines.extend(f"  {r.source}：{r.note}" for r in renamed)
    if outcome.report_html:
        lines.append(f"报告：{outcome.report_html}、{outcome.report_csv}")
    return "\n".join(lines)
