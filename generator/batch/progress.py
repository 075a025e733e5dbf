"""Progress on stderr: a line redrawn in place on a terminal, one line per unit otherwise."""
from __future__ import annotations

import time
from typing import Callable, TextIO

from .records import FAILED, RENDERED, SKIPPED, Record


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """A progress line redrawn in place on a terminal; plain log lines otherwise (stderr)."""

    def __init__(self, stream: TextIO | None, total: int, on_progress: Callable[[int, int], None] | None = None):
        """``on_progress(done, total)``: told at the start and after each unit (the web workspace's
        job table), whatever the stream shows."""
        self.stream, self.total, self.on_progress = stream, total, on_progress
        self.tty = bool(stream) and hasattr(stream, "isatty") and stream.isatty()
        self.done = self.failed = self.worked = 0
        self.start = time.monotonic()
        self.work_start: float | None = None
        self.to_do = 0
        self.last_draw = 0.0
        if on_progress:
            on_progress(0, total)

    def _write(self, text: str) -> None:
        if self.stream:
            self.stream.write(text)
            self.stream.flush()

    def log(self, text: str) -> None:
        if self.tty:
            self._write("\r\033[K" + text + "\n")
            self.draw(force=True)
        else:
            self._write(text + "\n")

    def begin_work(self, to_do: int) -> None:
        self.to_do, self.work_start = to_do, time.monotonic()

    def record(self, rec: Record, counted_as_work: bool) -> None:
        self.done += 1
        if self.on_progress:
            self.on_progress(self.done, self.total)
        self.worked += counted_as_work
        self.failed += rec.status in FAILED
        width = len(str(self.total))
        took = f"（{rec.seconds:.1f} 秒）" if rec.seconds is not None and counted_as_work else ""
        line = f"[{self.done:>{width}}/{self.total}] {rec.status} {rec.source}{took}"
        if rec.status in FAILED and rec.messages:
            extra = f"（另有 {len(rec.messages) - 1} 条）" if len(rec.messages) > 1 else ""
            line += f"：{rec.messages[0]}{extra}"
        if self.tty and rec.status in (RENDERED, SKIPPED):
            self.draw(force=True)       # successes only move the bar on a terminal
        else:
            self.log(line)

    def remaining(self) -> float | None:
        if not self.worked or self.work_start is None:
            return None
        rate = self.worked / max(time.monotonic() - self.work_start, 1e-6)
        return max(self.to_do - self.worked, 0) / rate

    def draw(self, force: bool = False) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self.last_draw < 0.5:
            return
        self.last_draw = now
        share = self.done / self.total if self.total else 1
        bar = "█" * int(share * 24) + "░" * (24 - int(share * 24))
        left = self.remaining()
        rest = f"剩余约 {_clock(left)}" if left is not None else "剩余时间估算中"
        self._write(f"\r\033[K{bar} {self.done}/{self.total}  失败 {self.failed}  "
                    f"用时 {_clock(now - self.start)}  {rest}")

    def close(self) -> None:
        if self.tty:
            self._write("\r\033[K")
