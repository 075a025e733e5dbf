"""The output formats: one mapping from a format's name to its writer, with one signature.

The pipeline writes through it; the CLI and batch parse ``--format`` and word its help from it (as
Pelican finds its readers by extension). Adding a format is adding an entry here. Writers import
their libraries when called, so a command that writes no PDF never imports WeasyPrint.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..compose.document import Document


@dataclass
class Pages:
    """The PDF page layout of one document, made on first use and shared by the writers that need
    it: the PDF is drawn from it, the DOCX 目录 takes its page numbers (same page geometry)."""

    document: Document
    seconds: dict[str, float]
    _laid_out: Any = field(default=None, init=False)
    _numbers: dict[str, int] | None = field(default=None, init=False)

    def laid_out(self) -> Any:
        if self._laid_out is None:
            from .pdf_writer import lay_out, page_numbers
            t = time.perf_counter()
            self._laid_out = lay_out(self.document)
            self._numbers = page_numbers(self._laid_out)
            self.seconds["layout"] = time.perf_counter() - t
        return self._laid_out

    def numbers(self) -> dict[str, int]:
        self.laid_out()
        return self._numbers or {}


@dataclass(frozen=True)
class Job:
    """What every writer gets: the document, where to write, the shared layout, the options."""

    document: Document
    target: Path
    pages: Pages
    reference: Path | None = None      # the Word style reference (--reference-doc)


def _docx(job: Job) -> int | None:
    from .docx_writer import write_docx
    write_docx(job.document, job.target, reference=job.reference, page_numbers=job.pages.numbers())
    return None


def _pdf(job: Job) -> int | None:
    from .pdf_writer import write_laid_out
    return write_laid_out(job.pages.laid_out(), job.target)


def _html(job: Job) -> int | None:
    from ..atomic import write_bytes
    from .html_writer import render_html
    write_bytes(job.target, render_html(job.document).encode("utf-8"))
    return None


@dataclass(frozen=True)
class Writer:
    name: str                              # the --format name and the file extension
    label: str                             # for help texts
    write: Callable[[Job], int | None]     # returns the page count when it knows it


WRITERS: dict[str, Writer] = {w.name: w for w in (
    Writer("docx", "Word 文档（可继续编辑）", _docx),
    Writer("pdf", "PDF（公开用）", _pdf),
    Writer("html", "HTML（转成 PDF 的那一份）", _html),
)}
FORMATS = tuple(WRITERS)
DEFAULT_FORMATS = ("docx", "pdf")
FORMAT_HELP = (f"输出格式，逗号分隔：{','.join(FORMATS)}（默认 {','.join(DEFAULT_FORMATS)}）："
               + "；".join(f"{w.name} {w.label}" for w in WRITERS.values()))


def format_argument(value: str) -> tuple[str, ...]:
    """``--format`` as an argparse type (render and batch): parse_formats, its message as argparse's."""
    import argparse
    try:
        return parse_formats(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_formats(value: str | tuple[str, ...]) -> tuple[str, ...]:
    """"docx,pdf" (or a tuple) → ("docx", "pdf"): names checked, repeats dropped, order kept.
    Raises ValueError with a Chinese message."""
    items = value.split(",") if isinstance(value, str) else list(value)
    names = tuple(dict.fromkeys(v.strip().lower() for v in items if v.strip()))
    bad = [v for v in names if v not in WRITERS]
    if bad or not names:
        raise ValueError(f"不支持的格式：{'、'.join(bad) or '（空）'}（可用：{'、'.join(FORMATS)}）")
    return names
