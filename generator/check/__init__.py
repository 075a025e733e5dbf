"""check: the 勾稽 rules, run over the loaded unit and its derived tables.

Each rule is a small function registered with a stable id (registry.rule); importing the rule
modules below fills the catalogue ``RULES``. ``check_unit`` runs them all and returns every
finding. See docs/checks.md for the list (``juesuan check --rules`` prints it too).
"""
from __future__ import annotations

from decimal import Decimal

from . import rules_codes, rules_cross, rules_other, rules_tables, rules_text  # noqa: F401  (registration)
from .registry import ERROR, INFO, RULES, WARNING, Context, Finding, Rule, run_checks

__all__ = ["ERROR", "INFO", "WARNING", "RULES", "Context", "Finding", "Rule", "run_checks", "context_for"]


def context_for(derived) -> Context:
    """The rules' view of one unit; 尾差 tolerance only for 万元 figures converted from 元."""
    unit, profile = derived.unit, derived.profile
    converted = unit.converted_from_yuan and unit.money_unit == "万元"
    return Context(unit, derived, profile, profile.rounding_tolerance if converted else Decimal(0))
