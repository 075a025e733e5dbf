"""The unit's name on a cover, broken into balanced lines at the end of a part of the name
(templates/catalogs/name-breaks.yaml): “山西转型综合改革示范区晋中开发区 / 潇河产业园事业服务中心”, not
“…潇河产业 / 园事业服务中心”. A name that fits one line is left alone."""
from __future__ import annotations

from functools import lru_cache
from itertools import combinations

from ..load.schema import read_checked
from ..profile import TEMPLATES

CATALOGUE = TEMPLATES / "catalogs" / "name-breaks.yaml"


@lru_cache(maxsize=1)
def _catalogue() -> tuple[int, tuple[str, ...]]:
    d = read_checked(CATALOGUE, "catalog-name-breaks", "目录", "每行字数、断行于").data
    return int(d.get("每行字数", 20)), tuple(str(w) for w in d.get("断行于") or [])


def break_points(name: str, words: tuple[str, ...]) -> list[int]:
    """Positions after which a line may end: after each listed word, not at the very end."""
    points = {i + len(w) for w in words for i in range(len(name)) if name.startswith(w, i)}
    return sorted(p for p in points if 0 < p < len(name))


def cover_lines(name: str) -> str:
    """``name`` with line breaks (\\n) so that no line is longer than the catalogue's 每行字数 and the
    lines are as even as the break points allow; unchanged when it fits or cannot be broken so."""
    width, words = _catalogue()
    if len(name) <= width:
        return name
    points = break_points(name, words)
    lines_needed = -(-len(name) // width)
    for count in range(lines_needed - 1, len(points) + 1):
        best = None
        for cut in combinations(points, count):
            bounds = [0, *cut, len(name)]
            lengths = [b - a for a, b in zip(bounds, bounds[1:])]
            if max(lengths) > width:
                continue
            key = (max(lengths) - min(lengths), -lengths[0])    # even lines; the first the longer
            if best is None or key < best[0]:
                best = (key, bounds)
        if best is not None:
            bounds = best[1]
            return "\n".join(name[a:b] for a, b in zip(bounds, bounds[1:]))
    return name
