"""Problems found in input, as values that carry their location (file and line, or sheet!cell).

Loading collects every problem it can before giving up; the CLI prints them in one place
(``format_problem``) and exits 2 for unusable input.
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import Source


@dataclass(frozen=True)
class Problem:
    source: Source
    message: str

    def __str__(self) -> str:
        return format_problem(self)


def format_problem(p: Problem) -> str:
    return f"{p.source}：{p.message}"


class InputError(Exception):
    """The input cannot be used. Carries every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(format_problem(p) for p in problems))
        self.problems = problems
