"""A published report's PDF read whole (issue 26): its tables (load/pdf_import), the unit's own
words (published_texts) and the figures its narrative alone gives — 上年, budgets, the counts and
amounts of 情况说明 (published_figures). ``juesuan import 报告.pdf`` writes what is read as the
unit's data file; ``juesuan audit`` checks it, narrative against tables included (rule P-TEXT)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .load.pdf_import import Imported, import_pages
from .load.pdf_text import read_pages
from .load.yaml_reader import Located
from .profile import Profile
from .published_figures import read_figures
from .published_texts import read_texts


def read_report(path: Path, profile: Profile | None = None) -> Imported:
    """Everything read from the report at ``path`` (``profile`` None: recognised); InputError for
    a file that is no readable report."""
    pages = read_pages(path)
    imported = import_pages(pages, path, profile)
    unplaced = read_texts(pages, imported.data, path)
    read = read_figures(imported.sentences, imported.data, path, in_tables=imported.in_tables)
    if read.found:
        # once more: the 原因 of a 减少 is worded apart from that of an 增加 (now the 上年 figures are
        # known), and a sentence holding the unit's words (now read) gives its figures
        unplaced = read_texts(pages, imported.data, path)
        read = read_figures(imported.sentences, imported.data, path, read, imported.in_tables)
    figures = read.found
    imported.unplaced += unplaced
    imported.from_text = {".".join(leaf) for leaf in figures}
    for leaf, (_, page) in figures.items():
        imported.places[leaf] = f"第{page}页"
    imported.sentences = [replace(s, unsure=tuple(sorted(i for n, i in read.unsure if n == k)))
                          for k, s in enumerate(imported.sentences)]
    return imported


def located(path: Path, imported: Imported) -> Located:
    """What was read, as a unit file is read (structure-checked like any unit file)."""
    from .load.structure import validate_structure
    loc = Located(str(path), imported.data, cells=dict(imported.places), printed=list(imported.printed),
                  published=True, printed_text=list(imported.sentences))
    validate_structure(loc)
    return loc
