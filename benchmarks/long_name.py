"""A unit name of implausible length (issue 22): `juesuan render` of the xiaohe example with its
单位名称 replaced by N different characters (DOCX + PDF), for N = 27 (the example's own), 60, 300
and 2000 by default; prints the wall time and the peak memory (max RSS) of each render process.

Before issue 22 a 2000-character name took ~95 s (WeasyPrint measured the min-content width of
every table's 编制单位 line, quadratic in its length) and then failed on the DOCX core properties.
Usage: .venv/bin/python benchmarks/long_name.py [N ...]
Prints figures only; asserts nothing.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JUESUAN = ROOT / ".venv" / "bin" / "juesuan"
EXAMPLE = ROOT / "data" / "examples" / "xiaohe-2022.yaml"


def main(lengths: list[int]) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    name = re.search(r"^单位名称: (.*)$", text, flags=re.M).group(1)
    with tempfile.TemporaryDirectory() as tmp:
        for n in lengths:
            new = name[:n] if n <= len(name) else "".join(chr(0x4E00 + 3 * i) for i in range(n))
            path = Path(tmp) / f"n{n}.yaml"
            path.write_text(text.replace(f"单位名称: {name}", f"单位名称: {new}", 1), encoding="utf-8")
            t = time.perf_counter()
            proc = subprocess.Popen([str(JUESUAN), "render", str(path), "--out", str(Path(tmp) / f"out{n}")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - t
            code = os.waitstatus_to_exitcode(status)
            print(f"单位名称 {n:5d} 个字：退出码 {code}，{seconds:5.1f} 秒，峰值内存 {usage.ru_maxrss / 1024:4.0f} MB")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [27, 60, 300, 2000])
