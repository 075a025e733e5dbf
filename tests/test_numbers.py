"""Number rules (docs/domain.md "Numbers"): half-up rounding, 占比 summing to 100.00, zero bases."""
from decimal import ROUND_HALF_UP, Decimal as D

import pytest
from hypothesis import given, strategies as st

from generator.numbers import (cell, change, chinese_number, convert, money, pct, percent, q2, shares,
                               tail_tolerance)


@pytest.mark.parametrize("raw, expected", [
    ("0.005", "0.01"), ("0.015", "0.02"), ("0.025", "0.03"), ("2.675", "2.68"),
    ("1.004999", "1.00"), ("-0.005", "-0.01"), ("0.125", "0.13"), ("100.995", "101.00"),
])
def test_half_up_at_every_005_boundary(raw, expected):
    # round() would give 0.00, 0.02, 0.02, 2.67 … (half-even / binary float)
    assert q2(D(raw)) == D(expected)


@given(st.integers(min_value=0, max_value=10**9))
def test_half_up_for_any_thousandth_ending_in_5(n):
    value = D(f"{n}.005")
    assert q2(value) == D(f"{n}.01")


def test_money_formats_with_and_without_grouping():
    assert money(D("163522.43")) == "163,522.43"
    assert money(D("163522.43"), grouping=False) == "163522.43"
    assert money(D("5987.71")) == "5,987.71"
    assert money(D("0.2")) == "0.20"
    assert money(None) == "0.00"
    assert cell(None, grouping=True) == ""
    assert cell(D("14000"), grouping=True) == "14,000.00"


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=D("-1e15"), max_value=D("1e15")))
def test_money_is_half_up_to_cents_with_zh_cn_grouping(value):
    """money() (Babel's zh_CN #,##0.00 / 0.00 after q2) prints what an independent formatter
    prints for the half-up rounded value: thousands commas, two decimals."""
    rounded = value.quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert money(value) == format(rounded, ",.2f")
    assert money(value, grouping=False) == format(rounded, ".2f")


def test_money_refuses_float():
    with pytest.raises(TypeError):
        money(0.1)  # type: ignore[arg-type]


def test_percent_of_published_figures():
    assert percent(D("71540.30"), D("163522.43")) == D("43.75")
    assert percent(D("5844.86"), D("142.85")) == D("4091.61")
    assert percent(D("6734.20"), D("9734.20")) == D("69.18")
    assert percent(D("1"), D("0")) is None
    assert percent(D("1"), None) is None


def test_pct_refuses_a_rate_against_zero_base():
    with pytest.raises(ValueError):
        pct(None)


def test_shares_published_case_largest_absorbs_tail():
    # xincailiao 公用经费 3.48 = 3.08 + 0.20 + 0.20: 88.51 + 5.75 + 5.75 = 100.01 -> 88.50
    assert shares([D("3.08"), D("0.20"), D("0.20")]) == [D("88.50"), D("5.75"), D("5.75")]
    assert shares([D("3.48"), D("5984.23")]) == [D("0.06"), D("99.94")]
    assert shares([D("0"), None]) == [None, None]


@given(st.lists(st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False, allow_infinity=False),
                min_size=1, max_size=12))
def test_shares_always_sum_to_exactly_100(values):
    result = shares(values)
    if sum(values) == 0:
        assert all(r is None for r in result)
    else:
        assert sum(result) == D("100.00")
        assert all(r.as_tuple().exponent == -2 for r in result)


@given(st.lists(st.decimals(min_value=D("0.01"), max_value=10**6, places=2), min_size=2, max_size=8))
def test_shares_tail_goes_only_to_the_largest(values):
    result = shares(values)
    plain = [percent(v, sum(values)) for v in values]
    largest = max(range(len(values)), key=lambda i: (values[i], -i))
    for i, (r, p) in enumerate(zip(result, plain)):
        if i != largest:
            assert r == p


def test_change_up_down_same_and_zero_base():
    c = change(D("163522.43"), D("344484.51"))
    assert (c.direction, c.amount, c.rate) == ("down", D("180962.08"), D("52.53"))
    c = change(D("5987.71"), D("142.85"))
    assert (c.direction, c.amount, c.rate) == ("up", D("5844.86"), D("4091.61"))
    c = change(D("1.44"), D("0.30"))
    assert c.rate == D("380.00")
    c = change(D("5923.37"), D("0"))
    assert c.direction == "up" and c.rate is None
    c = change(D("8.5"), D("8.50"))
    assert c.direction == "same" and c.rate == D("0.00")


def test_chinese_numbers():
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 26)] == ["一", "九", "十", "十一", "二十", "二十六"]
    # beyond 99 (a glossary of 100 terms crashed the check with ValueError: 100)
    assert [chinese_number(n) for n in (100, 101, 110, 111, 120, 999, 1000, 1001, 1010, 1100, 2026, 9999, 10000)] == [
        "一百", "一百零一", "一百一十", "一百一十一", "一百二十", "九百九十九", "一千", "一千零一", "一千零一十",
        "一千一百", "二千零二十六", "九千九百九十九", "10000"]


def test_safe_filename():
    from generator.names import safe_filename
    assert safe_filename("../../etc/passwd") == "etcpasswd"
    assert "/" not in safe_filename("a/b\\c") and ".." not in safe_filename("a..b")
    assert len(safe_filename("长" * 300).encode("utf-8")) <= 200
    assert safe_filename("...") == "未命名单位"


@pytest.mark.parametrize("yuan, wan", [
    ("5450.00", "0.55"), ("25450.00", "2.55"), ("163522.43", "16.35"), ("100660.30", "10.07"),
    ("49.99", "0.00"), ("50.00", "0.01"), (None, None),
])
def test_convert_yuan_to_wanyuan_rounds_half_up_once(yuan, wan):
    # 2.545 → 2.55 (half-even would print 2.54)
    assert convert(None if yuan is None else D(yuan), "元", "万元") == (None if wan is None else D(wan))
    assert convert(D("12.34"), "万元", "万元") == D("12.34")


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12))
def test_a_printed_total_differs_from_the_sum_of_printed_parts_by_at_most_the_tail(cents):
    parts = [D(c) / 100 for c in cents]                      # exact 元
    printed = [convert(p, "元", "万元") for p in parts]
    whole = convert(sum(parts, D(0)), "元", "万元")
    assert abs(whole - sum(printed, D(0))) <= tail_tolerance(len(parts))


def test_shares_of_a_printed_whole_sum_to_100():
    # 基本 158.15 + 项目 8.24 printed under a 支出合计 of 166.40 (a 尾差 of 0.01)
    got = shares([D("158.15"), D("8.24"), None], D("166.40"))
    assert got == [D("95.05"), D("4.95"), D("0.00")] and sum(got) == D("100.00")
    assert shares([D("0"), None], D("10")) == [None, None]
