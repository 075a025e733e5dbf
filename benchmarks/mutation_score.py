"""The mutation score of the relation map (issue 23): every mutation of
tests/fixtures/relation-mutations.yaml — one change of an example that breaks one relation between
printed facts — is checked, and caught when its rule reports a 错误 or 警告. Prints, per relation,
caught or not (with the rules that did report), then the score. Asserts nothing
(tests/test_mutation.py does). Usage: .venv/bin/python benchmarks/mutation_score.py [MUTATIONS.yaml]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.checkfix import BASES, MUTATIONS, findings_of, load_mutations, run_mutation  # noqa: E402

RAISED = ("错误", "警告")


def main(argv: list[str]) -> int:
    mutations = load_mutations(Path(argv[0]) if argv else MUTATIONS)
    caught = 0
    t0 = time.perf_counter()
    before = {m["示例"]: {f.rule for f in findings_of(BASES[m["示例"]]) if f.severity in RAISED} for m in mutations}
    with tempfile.TemporaryDirectory() as tmp:
        for i, m in enumerate(mutations, 1):
            ok, found = run_mutation(m, Path(tmp))
            caught += ok
            others = sorted({f.rule for f in found if f.severity in RAISED} - {m["规则"]} - before[m["示例"]])
            print(f"{i:3d} {'捕获' if ok else '漏过'}  {m['规则']:<20} {m['关系']}"
                  + (f"  （另报：{'、'.join(others)}）" if others else ""))
    n = len(mutations)
    relations = len({m["关系"] for m in mutations})
    rules = len({m["规则"] for m in mutations})
    print(f"\n变异 {n} 个（关系 {relations} 条，规则 {rules} 条）：捕获 {caught} 个，漏过 {n - caught} 个，"
          f"得分 {100 * caught / n:.1f}%；用时 {time.perf_counter() - t0:.1f} 秒")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
