import pytest

from assistant.base.money import InvalidAmount, format_cny, to_cents


@pytest.mark.parametrize(
    "cents,text",
    [(5238050, "¥52,380.50"), (0, "¥0.00"), (5, "¥0.05"), (-150000, "-¥1,500.00"), (100000000, "¥1,000,000.00")],
)
def test_format(cents, text):
    assert format_cny(cents) == text


@pytest.mark.parametrize("value,cents", [("500", 50000), (28.5, 2850), ("0.01", 1), (2500, 250000)])
def test_to_cents(value, cents):
    assert to_cents(value) == cents


@pytest.mark.parametrize("value", ["abc", "1.001", "nan", "inf", True, ""])
def test_to_cents_refuses_non_amounts(value):
    with pytest.raises(InvalidAmount):
        to_cents(value)


@pytest.mark.parametrize(
    "value",
    [float("inf"), float("-inf"), "1e999999", "-1e999999", 1e308, 10**30, "10000000000000.01", "1e-999999999", "sNaN"],
)
def test_to_cents_refuses_non_finite_and_absurd_amounts(value):
    """A typed payload like /transfer_money{"amount": 1e999999} must end as InvalidAmount, not an overflow."""
    with pytest.raises(InvalidAmount):
        to_cents(value)


def test_to_cents_keeps_the_largest_plausible_amount_exact():
    assert to_cents("10000000000000") == 10**15
    assert to_cents("9999999999999.99") == 10**15 - 1
