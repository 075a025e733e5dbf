"""A published report's PDF read whole (issue 26): its tables (load/pdf_import), the unit's own
words (published_texts) and the figures its narrative alone gives — 上年, budgets, the counts and
amounts of 情况说明 (published_figures). ``juesuan import 报告.pdf`` writes what is read as the
unit's data file; ``juesuan audit`` checks it, narrative against tables included (rule P-TEXT)."""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from .load.pdf_import import Imported, import_pages
from .load.pdf_text import read_pages
from .load.yaml_reader import Located
from .profile import Profile, load_profile
from .published_eval import other_forms
from .published_forms import fund_weights, overall_ratios
from .published_figures import read_figures
from .published_texts import read_texts


def read_report(path: Path, profile: Profile | None = None, seconds: dict[str, float] | None = None) -> Imported:
    """Everything read from the report at ``path`` (``profile`` None: recognised); InputError for
    a file that is no readable report. ``seconds``: each step's time is added there (benchmark)."""
    clock = _Clock(seconds)
    info: dict = {}
    pages = clock("read_pages", read_pages, path, info)
    imported = clock("tables", import_pages, pages, path, profile, info.get("title", ""), other_forms)
    imported.unplaced += fund_weights(imported.data, imported.places, profile or load_profile(imported.profile))
    overall_ratios(imported.data)
    if not imported.tables_found:          # 附件 alone: no narrative to read
        return imported
    unplaced = clock("texts", read_texts, pages, imported.data, path)
    read = clock("figures", read_figures, imported.sentences, imported.data, path, None, imported.in_tables)
    if read.found:
        # once more: the 原因 of a 减少 is worded apart from that of an 增加 (now the 上年 figures are
        # known), and a sentence holding the unit's words (now read) gives its figures
        unplaced = clock("again", read_texts, pages, imported.data, path)
        read = clock("again", read_figures, imported.sentences, imported.data, path, read, imported.in_tables)
    imported.unplaced += unplaced + read.notes
    imported.from_text = {".".join(leaf) for leaf in read.found}
    for leaf, (_, page) in read.found.items():
        imported.places[leaf] = f"第{page}页"
    imported.sentences = [replace(s, unsure=tuple(sorted(i for n, i in read.unsure if n == k)))
                          for k, s in enumerate(imported.sentences)]
    return imported


class _Clock:
    def __init__(self, seconds: dict[str, float] | None):
        self.seconds = seconds

    def __call__(self, step: str, fn, *args):
        t = time.perf_counter()
        try:
            return fn(*args)
        finally:
            if self.seconds is not None:
                self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - t


def located(path: Path, imported: Imported) -> Located:
    """What was read, as a unit file is read (structure-checked like any unit file)."""
    from .load.structure import validate_structure
    loc = Located(str(path), imported.data, cells=dict(imported.places), printed=list(imported.printed),
                  published=True, printed_text=list(imported.sentences))
    validate_structure(loc)
    return loc
