"""The review markings of a report: the 草稿 line of the cover and the marking of every page
(--draft, --mark, --mark-style of render, preview and batch), and the marking of a report forced
past failed checks."""
from __future__ import annotations

import argparse
from datetime import datetime

from .compose.document import Marking

DEFAULT_WATERMARK = "仅供内部审核"


def draft_line(now: datetime | None = None) -> str:
    return f"草稿（生成于 {(now or datetime.now()).strftime('%Y-%m-%d %H:%M')}）"


def add_review_arguments(p: argparse.ArgumentParser) -> None:
    """--draft, --mark, --mark-style: the 草稿 cover line and the review marking of every page."""
    p.add_argument("--draft", nargs="?", const=DEFAULT_WATERMARK, default=None, metavar="TEXT",
                   help=f"草稿：封面注明草稿与生成时间，并在每页加标记（默认“{DEFAULT_WATERMARK}”，"
                        "可用 --mark-style none 去掉标记）；文件名以“-草稿”结尾")
    p.add_argument("--mark", nargs="?", const=DEFAULT_WATERMARK, default=None, metavar="TEXT",
                   help=f"内部审核标记：每页加标记（默认“{DEFAULT_WATERMARK}”），与 --draft 无关，封面不写草稿")
    p.add_argument("--mark-style", choices=Marking.STYLES, default="watermark",
                   help="标记的方式：watermark 斜向水印（默认）、header 页眉、both 两者、none 不加")


def review_options(args) -> tuple[bool, Marking | None]:
    """(whether the cover says 草稿, the marking of every page) from the arguments above."""
    draft, mark = getattr(args, "draft", None), getattr(args, "mark", None)
    return bool(draft), Marking.of(mark or draft, getattr(args, "mark_style", "watermark"))


FAILED_MARK = "未通过勾稽检查"


def failed_marking(marking: Marking | None) -> Marking:
    """The marking of a report forced past failed checks: FAILED_MARK diagonally and in the header
    of every page; the header line goes on with the review marking's own text if there is one."""
    line = FAILED_MARK if marking is None or marking.text == FAILED_MARK else f"{FAILED_MARK}　{marking.text}"
    return Marking(FAILED_MARK, watermark=True, header=True, header_text=line)


def failed_line(errors: int) -> str:
    """The cover's line of a report forced past failed checks."""
    return f"未通过勾稽检查（{errors} 个错误）：数字不一致，不能公开"
