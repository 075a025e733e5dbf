"""The body text's type a profile asks for (正文排版): a profile setting that the composed
document carries to both writers. Its own module, so that the profile (shared by every stage) and
compose's Document both take it without one importing the other."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Typography:
    """The body text's type a profile asks for (正文排版), e.g. GB/T 9704: 三号 (16 pt) 仿宋 on a
    fixed line pitch of 28 pt. Applies to body paragraphs (body, plain, subhead) and level-3
    headings; the line pitch also to level-2 headings. None keeps the stylesheet's and the
    reference document's own."""

    body_size: Decimal | None = None     # points
    line_pitch: Decimal | None = None    # points, from one baseline to the next

    def __bool__(self) -> bool:
        return self.body_size is not None or self.line_pitch is not None
