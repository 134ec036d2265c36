"""Money as integer cents: exact conversion from yuan, and the way customers see amounts (¥52,380.50)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Union

Number = Union[int, float, str, Decimal]


class InvalidAmount(ValueError):
    """The value cannot be a money amount (not a number, not finite, negative, too precise)."""


# ¥10 trillion: far above any real amount, far below what a signed 64-bit column holds in cents.
MAX_ABS_YUAN = Decimal(10) ** 13
_CENT = Decimal("0.01")


def to_cents(value: Number) -> int:
    """Convert a yuan amount to integer cents; rejects anything that is not a plain amount.

    Absurd magnitudes ("1e999999" would overflow Decimal, a JSON 1e999999 arrives as inf) are refused
    before any arithmetic, and so is a tiny fraction that would silently round to zero."""
    if isinstance(value, bool):
        raise InvalidAmount(f"not an amount: {value!r}")
    try:
        dec = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidAmount(f"not an amount: {value!r}") from exc
    if not dec.is_finite():
        raise InvalidAmount(f"not an amount: {value!r}")
    if abs(dec) > MAX_ABS_YUAN:
        raise InvalidAmount(f"not a real amount: {str(value)[:40]!r}")
    yuan = dec.quantize(_CENT)  # exact: |dec| <= 10**13 fits the default 28-digit precision
    if yuan != dec:
        raise InvalidAmount(f"more than two decimals: {str(value)[:40]!r}")
    return int(yuan * 100)


def format_cny(cents: int) -> str:
    """¥52,380.50 — the format every reply and page uses."""
    sign = "-" if cents < 0 else ""
    yuan, fen = divmod(abs(int(cents)), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"
