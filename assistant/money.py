"""Money as integer cents: exact conversion from yuan, and the way customers see amounts (¥52,380.50)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Union

Number = Union[int, float, str, Decimal]


class InvalidAmount(ValueError):
    """The value cannot be a money amount (not a number, not finite, negative, too precise)."""


def to_cents(value: Number) -> int:
    """Convert a yuan amount to integer cents; rejects anything that is not a plain amount."""
    if isinstance(value, bool):
        raise InvalidAmount(f"not an amount: {value!r}")
    try:
        dec = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidAmount(f"not an amount: {value!r}") from exc
    if not dec.is_finite():
        raise InvalidAmount(f"not an amount: {value!r}")
    cents = dec * 100
    if cents != cents.to_integral_value():
        raise InvalidAmount(f"more than two decimals: {value!r}")
    return int(cents.to_integral_value(rounding=ROUND_HALF_UP))


def format_cny(cents: int) -> str:
    """¥52,380.50 — the format every reply and page uses."""
    sign = "-" if cents < 0 else ""
    yuan, fen = divmod(abs(int(cents)), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"

