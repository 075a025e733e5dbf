"""Time the rules on numbers in a unit's texts (N-TEXT-AMOUNT, N-TEXT-PERCENT) on the worst texts a
unit file may hold: xincailiao with 情况说明.其他事项 and one 类说明 filled to the loader's limit of
30,000 characters with amounts (all different, with and without punctuation), and on the examples.
Prints figures only; asserts nothing.
Usage: .venv/bin/python benchmarks/text_numbers.py [--repeat K]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.check import RULES, context_for  # noqa: E402
from generator.load.unit_loader import MAX_TEXT_CHARS  # noqa: E402
from generator.pipeline import load_and_check  # noqa: E402

IDS = ("N-TEXT-AMOUNT", "N-TEXT-PERCENT")
BASE = ROOT / "data" / "examples" / "xincailiao-2023.yaml"


def filled(text: str, piece) -> str:
    out, n = [], 0
    while sum(map(len, out)) < MAX_TEXT_CHARS - 40:
        out.append(piece(n))
        n += 1
    return "".join(out)[:MAX_TEXT_CHARS - 10]


def variant(name: str, piece) -> Path:
    body = filled("", piece)
    text = BASE.read_text(encoding="utf-8").replace("  其他事项: 无", f"  其他事项: '{body}'", 1)
    text = text.replace("      变动原因: 本年度委托业务费用、租赁费、印刷费减少", f"      变动原因: '{body}'", 1)
    path = Path(tempfile.mkdtemp()) / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def time_rules(path: Path, repeat: int) -> tuple[float, int]:
    derived, _, _ = load_and_check(path)
    rules = [r for r in RULES if r.id in IDS]
    best, found = float("inf"), 0
    for _ in range(repeat):
        ctx = context_for(derived)
        t = time.perf_counter()
        found = sum(len(list(r(ctx))) for r in rules)
        best = min(best, time.perf_counter() - t)
    return best, found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    cases = {
        "比上年增加 N.NN万元，（逗号分句）": variant("clauses", lambda n: f"比上年增加{n}.{n % 100:02d}万元，"),
        "支出N.NN万元（无标点）": variant("no-punct", lambda n: f"支出{n}.{n % 100:02d}万元"),
        "完成预算的N.NN%；": variant("percent", lambda n: f"完成预算的{n % 1000}.{n % 100:02d}%；"),
    }
    for label, path in cases.items():
        seconds, found = time_rules(path, args.repeat)
        print(f"{label:24} 两段各 {MAX_TEXT_CHARS:,} 字：{seconds * 1000:8.1f} ms，{found} 条（每段最多 10 条）")
    for ex in sorted((ROOT / "data" / "examples").glob("*.yaml")):
        seconds, found = time_rules(ex, args.repeat)
        print(f"{ex.name:40} {seconds * 1000:8.1f} ms，{found} 条")


if __name__ == "__main__":
    main()
