"""What every example renders, as stored snapshots (tests/golden/): the composed document
block by block and the text of the PDF. A refactor that must change no output (issue 9: table
layouts as data) is held to them by tests/test_golden.py.

When an output is meant to change, regenerate and review the diff:

    .venv/bin/python -m tests.golden_output        # rewrites tests/golden/*
    git diff tests/golden/
"""
from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
# every example (the Shanxi and Putuo reports, the files of 附件 alone) and an administrative unit
UNITS = {**{p.stem: p for p in sorted((ROOT / "data" / "examples").glob("*.yaml"))},
         "admin-2023": ROOT / "tests" / "fixtures" / "admin-unit-with-funds-2023.yaml"}


def document_dump(path: Path) -> str:
    """The composed Document of a unit as indented JSON: every block with its kind and fields."""
    from generator.pipeline import prepare
    doc = prepare(path).document
    blocks = [{"kind": type(b).__name__, **dataclasses.asdict(b)} for b in doc.blocks]
    return json.dumps({"title": doc.title, "blocks": blocks}, ensure_ascii=False, indent=1) + "\n"


def pdf_text(path: Path) -> str:
    """The PDF's text, one line per page, whitespace removed (line breaks depend on the fonts)."""
    from generator.pipeline import render
    with tempfile.TemporaryDirectory() as tmp:
        result = render(path, Path(tmp), ("pdf",))
        pdf = result.outputs[0]
        pages = []
        for n in range(1, (result.pages or 0) + 1):
            text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-raw", str(pdf), "-"],
                                  capture_output=True, text=True, check=True).stdout
            pages.append(re.sub(r"\s+", "", text))
    return "\n".join(pages) + "\n"


def write_all() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name, path in UNITS.items():
        (GOLDEN / f"{name}.document.json").write_text(document_dump(path), encoding="utf-8")
        (GOLDEN / f"{name}.pdf.txt").write_text(pdf_text(path), encoding="utf-8")
        print(f"已更新 tests/golden/{name}.*")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    write_all()
