"""Builds templates/fonts/JuesuanLatin-{Regular,Bold}.ttf: the PDF's face for digits and Latin letters.

The DOCX sets digits and Latin letters in Times New Roman (w:ascii, templates/docx/styles.yaml), as the
published reports do; LibreOffice draws that as Liberation Serif, its metric-compatible twin (Debian
package fonts-liberation2). The PDF should look the same, but putting Liberation Serif itself in the
CSS font stacks makes lines taller: with a set line-height, CSS centres each font's glyph box in the
line by that font's ascent and descent, and Liberation Serif's (0.891 / 0.216 em) are not the CJK
faces' (Noto Serif CJK SC: 1.151 / 0.286 em), so a table cell of digits, or any line next to the
strut of the other face, grows by about 0.1 em and the pages break elsewhere.

So this script takes Liberation Serif (Regular, Bold), keeps only printable ASCII (U+0021–U+007E: full-
width punctuation and curly quotes stay in the CJK face after it in the stack), gives it vertical
metrics that fit the CJK faces' (ascent − descent as Noto Serif CJK SC's, so a cell of digits sits on
the same baseline; ascent and descent within every CJK stand-in's, so a line mixing digits and CJK is
no taller; glyphs unchanged) and names it "Juesuan Latin" (the OFL forbids a
modified font keeping the reserved name "Liberation"). generator/write/pdf_writer.py adds the two files
to WeasyPrint's font configuration; templates/html/report.css starts every font stack with it.

Run again only to rebuild the files (they are committed):
    .venv/bin/python scripts/make_latin_font.py [LIBERATION_DIR] [NOTO_CJK_DIR]
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "templates" / "fonts"
LIBERATION = Path("/usr/share/fonts/truetype/liberation2")
NOTO = Path("/usr/share/fonts/opentype/noto")
SC = 2                                       # the SC face in Noto's CJK collections
UKAI = (Path("/usr/share/fonts/truetype/arphic/ukai.ttc"), 0)
FAMILY = "Juesuan Latin"
ASCII = range(0x21, 0x7F)                     # not the space: the line strut stays the CJK face


def face_metrics(path: Path, index: int) -> tuple[float, float]:
    """A face's ascent and descent (hhea, what Pango lays lines out with), in em, both positive."""
    f = TTFont(path, fontNumber=index, lazy=True)
    upm = f["head"].unitsPerEm
    return f["hhea"].ascent / upm, -f["hhea"].descent / upm


def latin_metrics(body: tuple[Path, int], others: list[tuple[Path, int]]) -> tuple[float, float]:
    """Ascent and descent for the Latin face: ascent − descent as the body face's (a line of digits
    sits on the same baseline as a line of CJK text), and both within every CJK face's (a line
    mixing the two is as tall as one without digits)."""
    a, d = face_metrics(*body)
    ascent = min([a] + [face_metrics(*o)[0] for o in others])
    descent = ascent - (a - d)
    assert 0 <= descent <= min([d] + [face_metrics(*o)[1] for o in others]), (ascent, descent)
    return ascent, descent


def build(source: Path, style: str, metrics: tuple[float, float]) -> Path:
    font = TTFont(source)
    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False
    options.name_IDs = [0, 13, 14]            # copyright, licence, licence URL
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(unicodes=ASCII)
    sub.subset(font)

    upm = font["head"].unitsPerEm
    ascent, descent = round(metrics[0] * upm), round(metrics[1] * upm)
    hhea, os2 = font["hhea"], font["OS/2"]
    hhea.ascent, hhea.descent, hhea.lineGap = ascent, -descent, 0
    os2.sTypoAscender, os2.sTypoDescender, os2.sTypoLineGap = ascent, -descent, 0
    os2.usWinAscent, os2.usWinDescent = ascent, descent

    name = font["name"]
    full = FAMILY if style == "Regular" else f"{FAMILY} {style}"
    ps = f"{FAMILY.replace(' ', '')}-{style}"
    for nid, text in {1: FAMILY, 2: style, 3: f"{ps};juesuan", 4: full, 6: ps,
                      10: "Liberation Serif (SIL Open Font License 1.1), printable ASCII only, with the "
                          "vertical metrics of Noto Serif CJK SC; built by scripts/make_latin_font.py"}.items():
        name.setName(text, nid, 3, 1, 0x409)
    if "CFF " in font:
        font["CFF "].cff.fontNames = [ps]
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"{ps}.ttf"
    font.save(out)
    return out


def main(argv: list[str]) -> int:
    liberation = Path(argv[0]) if argv else LIBERATION
    noto = Path(argv[1]) if len(argv) > 1 else NOTO
    metrics = latin_metrics((noto / "NotoSerifCJK-Regular.ttc", SC),
                            [(noto / "NotoSerifCJK-Bold.ttc", SC), (noto / "NotoSansCJK-Regular.ttc", SC),
                             (noto / "NotoSansCJK-Bold.ttc", SC), UKAI])
    print(f"ascent {metrics[0]:.4f} em, descent {metrics[1]:.4f} em")
    for style in ("Regular", "Bold"):
        out = build(liberation / f"LiberationSerif-{style}.ttf", style, metrics)
        print(f"{out.relative_to(ROOT)}: {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
