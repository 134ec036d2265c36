import pytest

from assistant.money import InvalidAmount, format_cny, to_cents


@pytest.mark.parametrize("cents,text", [(5238050, "¥52,380.50"), (0, "¥0.00"), (5, "¥0.05"), (-150000, "-¥1,500.00"),
                                        (100000000, "¥1,000,000.00")])
def test_format(cents, text):
    assert format_cny(cents) == text


@pytest.mark.parametrize("value,cents", [("500", 50000), (28.5, 2850), ("0.01", 1), (2500, 250000)])
def test_to_cents(value, cents):
    assert to_cents(value) == cents


@pytest.mark.parametrize("value", ["abc", "1.001", "nan", "inf", True, ""])
def test_to_cents_refuses_non_amounts(value):
    with pytest.raises(InvalidAmount):
        to_cents(value)

