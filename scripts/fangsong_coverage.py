"""Can a free 仿宋 face stand in for 仿宋_GB2312? Prints how many of the characters our reports print it lacks.

The official body face is 仿宋_GB2312; the only free FangSong face Debian packages is cwTeX Q Fangsong
(fonts-cwtex-fs, `apt-cache search fangsong`), made for traditional Chinese (Big5). A stand-in is
usable only if it has every character we print, else a paragraph would mix two faces.

Characters collected: the text of every example's PDF (pdftotext) and DOCX (word/document.xml and
the other parts with text), rendered now through the CLI into a temporary folder, and every file
under templates/ (wording, layouts, profiles, HTML; the text files, not the DOCX reference). Only CJK characters and full-width forms are
checked (digits and Latin letters are set in the Latin face). Each font is checked by its cmap
(fontTools), also against all of GB 2312.

Usage: .venv/bin/python scripts/fangsong_coverage.py FONT_FILE[:FACE_INDEX] ...
       e.g. after `apt-get download fonts-cwtex-fs && dpkg -x fonts-cwtex-fs_*.deb x`:
       .venv/bin/python scripts/fangsong_coverage.py x/usr/share/fonts/truetype/cwtex/cwfs.ttf
Prints figures only.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
JUESUAN = ROOT / ".venv" / "bin" / "juesuan"


def wide(c: str) -> bool:
    """A character set in the CJK face: not ASCII, not a control or space."""
    return ord(c) > 0x7E and not c.isspace() and c.isprintable()


def rendered_text() -> dict[str, str]:
    """{source: text} of every example's PDF and DOCX, rendered now."""
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([str(JUESUAN), "render", *map(str, sorted(EXAMPLES.glob("*.yaml"))),
                               "--format", "docx,pdf", "--out", tmp], capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            sys.exit(f"render failed: {proc.stderr}")
        for f in sorted(Path(tmp).iterdir()):
            if f.suffix == ".pdf":
                out[f.name] = subprocess.run(["pdftotext", str(f), "-"], capture_output=True, text=True,
                                             check=True).stdout
            elif f.suffix == ".docx":
                with zipfile.ZipFile(f) as z:
                    xml = "".join(z.read(n).decode("utf-8") for n in z.namelist()
                                  if n.startswith("word/") and n.endswith(".xml"))
                out[f.name] = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))
    return out


def template_text() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8", errors="ignore")
            for p in sorted((ROOT / "templates").rglob("*"))
            if p.is_file() and p.suffix in (".yaml", ".j2", ".css", ".js", ".html")}


def gb2312() -> set[str]:
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def main(fonts: list[str]) -> int:
    if not fonts:
        print(__doc__)
        return 2
    sources = {**rendered_text(), **template_text()}
    used: dict[str, int] = {}
    for text in sources.values():
        for c in text:
            if wide(c):
                used[c] = used.get(c, 0) + 1
    han = {c for c in used if "\u4e00" <= c <= "\u9fff"}
    print(f"characters our reports print (CJK face): {len(used)} distinct, {len(han)} of them 汉字, "
          f"from {len(sources)} sources")
    gb = gb2312()
    for arg in fonts:
        path, _, index = arg.partition(":")           # FILE or FILE:N (a face of a collection)
        font = TTFont(path, fontNumber=int(index or 0), lazy=True)
        cmap = font.getBestCmap()
        missing = sorted((c for c in used if ord(c) not in cmap), key=lambda c: -used[c])
        missing_han = [c for c in missing if c in han]
        gb_missing = [c for c in gb if ord(c) not in cmap]
        print(f"\n{arg} ({font['name'].getDebugName(1)}): {len(cmap)} code points")
        print(f"  lacks {len(missing)} of the {len(used)} characters we print "
              f"({len(missing_han)} of {len(han)} 汉字; {100 * (len(used) - len(missing)) / len(used):.1f} % covered)")
        print(f"  occurrences lacking: {sum(used[c] for c in missing)} of {sum(used.values())}")
        print(f"  most frequent lacking: {''.join(missing[:60])}")
        print(f"  lacks {len(gb_missing)} of the 7445 GB 2312 characters")
        print(f"  usable as 仿宋 stand-in: {'yes' if not missing else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
