"""check: the 勾稽 rules, run over the loaded unit and its derived tables.

Each rule is a small function registered with a stable id (registry.rule); importing the rule
modules below fills the catalogue ``RULES``. ``run_checks(context_for(derived))`` runs them all and
returns every finding. See docs/checks.md for the list (``juesuan check --rules`` prints it too).
"""
from __future__ import annotations

from ..derive.printed import publish
from . import (rules_attachments, rules_codes, rules_cross, rules_overall, rules_other, rules_relations,  # noqa: F401
               rules_printed, rules_tables, rules_text, rules_text_numbers, rules_unit,
               rules_words, rules_workbook)  # (registration)
from .registry import ERROR, INFO, RULES, WARNING, Context, Finding, Rule, ordered, run_checks, run_composed_checks

__all__ = ["ERROR", "INFO", "WARNING", "RULES", "Context", "Finding", "Rule", "run_checks", "run_composed_checks",
           "ordered", "context_for"]


def context_for(derived, printed=None) -> Context:
    """The rules' view of one unit: its exact figures and (made here if not given) the printed ones."""
    return Context(derived.unit, derived, derived.profile, printed or publish(derived))
