"""Helpers for rule tests: take a real unit file, change a few values in place, run every rule.

Edits address YAML places the way a finance person would: a row of a table by its 科目编码, or
a key path. The edited file keeps its layout, so findings still point at real lines.
"""
from __future__ import annotations

import re
from pathlib import Path

from generator.check import RULES
from generator.pipeline import load_and_check

ROOT = Path(__file__).resolve().parents[1]
BASES = {
    "xiaohe": ROOT / "data" / "examples" / "xiaohe-2022.yaml",
    "xincailiao": ROOT / "data" / "examples" / "xincailiao-2023.yaml",
    "admin": ROOT / "tests" / "fixtures" / "admin-unit-with-funds-2023.yaml",
    "shehuigongzuo": ROOT / "data" / "examples" / "putuo-shehuigongzuo-2024.yaml",
    "huitong": ROOT / "data" / "examples" / "huitong-2021-overall-self-eval.yaml",
    "xinnengyuan": ROOT / "data" / "examples" / "xinnengyuan-2022-evaluation-report.yaml",
}


def _block_end(lines: list[str], start: int, indent: int) -> int:
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].lstrip().startswith("#")
                                or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    return end


def set_row(text: str, table: str, code: str, key: str, value: str | None) -> str:
    """Set (or with None remove) ``key`` of the row ``code`` of ``table`` (block or flow style)."""
    lines = text.split("\n")
    top = next(i for i, l in enumerate(lines) if l.startswith(f"{table}:"))
    end = _block_end(lines, top, 0)
    pat = re.compile(rf'^  - (\{{)?\s*科目编码: "?{re.escape(code)}"?(?=[,\s}}]|$)')
    row = next(i for i in range(top + 1, end) if pat.match(lines[i]))
    if lines[row].rstrip().endswith("}"):                        # flow style row
        body = lines[row].rstrip()[:-1]
        body = re.sub(rf",\s*{re.escape(key)}: [^,}}]+", "", body)
        lines[row] = body + (f", {key}: {value}" if value is not None else "") + "}"
        return "\n".join(lines)
    row_end = row + 1
    while row_end < end and lines[row_end].startswith("    "):
        row_end += 1
    for i in range(row + 1, row_end):
        if lines[i].startswith(f"    {key}:"):
            if value is None:
                del lines[i]
            else:
                lines[i] = f"    {key}: {value}"
            return "\n".join(lines)
    if value is not None:
        lines.insert(row + 1, f"    {key}: {value}")
    return "\n".join(lines)


def set_key(text: str, path: list[str], value: str | None) -> str:
    """Set (or remove) a mapping key by path; flow mappings on the parent line are handled too."""
    lines = text.split("\n")
    start, indent = -1, -2
    for depth, key in enumerate(path):
        want = "  " * depth + f"{key}:"
        search_end = _block_end(lines, start, indent) if start >= 0 else len(lines)
        found = next((i for i in range(start + 1, search_end) if lines[i].startswith(want)), None)
        if found is None:
            parent_line = lines[start] if start >= 0 else ""
            if start >= 0 and "{" in parent_line:                    # flow mapping: key: {a: 1, b: 2}
                head, flow = parent_line.split("{", 1)
                items = [p.strip() for p in flow.rstrip().rstrip("}").split(",") if p.strip()]
                items = [p for p in items if not p.startswith(f"{key}:")]
                if value is not None:
                    items.append(f"{key}: {value}")
                lines[start] = head + "{" + ", ".join(items) + "}"
                return "\n".join(lines)
            if value is None:
                return "\n".join(lines)
            rest = path[depth:]
            new = [("  " * (depth + k)) + f"{p}:" for k, p in enumerate(rest[:-1])]
            new.append("  " * (depth + len(rest) - 1) + f"{rest[-1]}: {value}")
            lines[start + 1:start + 1] = new
            return "\n".join(lines)
        start, indent = found, 2 * depth
    if value is None:
        del lines[start:_block_end(lines, start, indent)]
    else:
        lines[start] = "  " * (len(path) - 1) + f"{path[-1]}: {value}"
    return "\n".join(lines)


def replace(text: str, old: str, new: str, count: int = -1) -> str:
    assert old in text, old
    return text.replace(old, new, count)


def findings_of(path: Path):
    _, findings, _ = load_and_check(path)
    return findings


def ids_of(findings) -> set[str]:
    return {f.rule for f in findings}


def new_ids(tmp_path: Path, base: str, *edits) -> tuple[set[str], list]:
    """Rule ids the edited file produces that the unedited base does not, and all findings."""
    text = BASES[base].read_text(encoding="utf-8")
    for edit in edits:
        text = edit(text)
    path = tmp_path / f"{base}-edited.yaml"
    path.write_text(text, encoding="utf-8")
    found = findings_of(path)
    return ids_of(found) - ids_of(findings_of(BASES[base])), found


def rule_ids() -> set[str]:
    return {r.id for r in RULES}


# ---------------------------------------------------------------- the relation mutations (issue 23)

MUTATIONS = ROOT / "tests" / "fixtures" / "relation-mutations.yaml"
BASES["guihuaziyuan"] = ROOT / "data" / "examples" / "putuo-guihuaziyuan-2024.yaml"


def load_mutations(path: Path = MUTATIONS) -> list[dict]:
    """The mutation list: each {关系, 示例, 改动, 规则} (see the file's header)."""
    import yaml
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _edit(change: dict):
    value = change.get("值")
    value = None if value is None else str(value)
    if "键" in change:
        return lambda t: set_key(t, [str(k) for k in change["键"]], value)
    if "行" in change:
        table, code, column = (str(x) for x in change["行"])
        return lambda t: set_row(t, table, code, column, value)
    return lambda t: replace(t, change["替换"], change["为"])


def mutated_text(mutation: dict) -> str:
    """The example's text with the mutation's changes applied."""
    text = BASES[mutation["示例"]].read_text(encoding="utf-8")
    for change in mutation["改动"]:
        text = _edit(change)(text)
    return text


def run_mutation(mutation: dict, folder: Path) -> tuple[bool, list]:
    """(caught, findings): caught when the expected rule reports a 错误 or 警告 on the mutated file."""
    path = folder / f"{mutation['示例']}-mutant.yaml"
    path.write_text(mutated_text(mutation), encoding="utf-8")
    found = findings_of(path)
    caught = any(f.rule == mutation["规则"] and f.severity in ("错误", "警告") for f in found)
    return caught, found
