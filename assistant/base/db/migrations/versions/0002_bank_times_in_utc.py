"""Bank times in UTC: the times release 2026-11 wrote on the bank's wall clock, converted to naive UTC.

That release stored every time as naive UTC (``datetime.utcnow()``) except the bank's own, which it
wrote with ``datetime.now()``, the machine's local wall-clock time:

- ``transactions.posted_at``: ``ledger.post`` (``datetime.now()``) and the demo seed (local days and hours);
- ``transfers.created_at``: ``ledger.execute`` (``datetime.now()``);
- ``verification_codes.created_at`` and ``expires_at``: ``verification.issue_code`` (``datetime.now()``);
- ``payees.created_at``: the demo seed (09:00 on a local day; no other code of that release made payees).

The code now writes naive UTC there too (``assistant.base.clock``), so these columns are converted from
the zone of the machine the previous release ran on (``clock.legacy_wallclock_zone``: LEGACY_WALLCLOCK_TZ,
else this machine's zone, which is what ``datetime.now()`` used — never BANK_TIMEZONE, which says where
customers live) to UTC, row by row; downgrade converts back. Every other time column (``at``,
``created_at`` of customers, book records, the service desk, ...) already was UTC and is not touched.
In a zone with daylight saving time, a wall-clock time in the repeated autumn hour is read as its first
occurrence (``fold=0``), so such a time may not round-trip through downgrade; China has no DST.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import sqlalchemy as sa
from alembic import op

from assistant.base.clock import legacy_wallclock_zone, to_local, to_utc

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Table -> the columns the previous release wrote on the bank's wall clock.
BANK_TIME_COLUMNS: Dict[str, Tuple[str, ...]] = {
    "transactions": ("posted_at",),
    "transfers": ("created_at",),
    "verification_codes": ("created_at", "expires_at"),
    "payees": ("created_at",),
}
_BATCH_ROWS = 1000  # rows read and rewritten per round: bounded memory on a large ledger

log = logging.getLogger("assistant.base.db.migrations")


def _shift(convert: Callable[[datetime], datetime]) -> None:
    """Rewrite every bank time column with ``convert``, in id order, a batch at a time."""
    if op.get_context().as_sql:
        raise RuntimeError("0002 converts times row by row in Python: run it on the database, not as --sql")
    conn = op.get_bind()
    for name, columns in BANK_TIME_COLUMNS.items():
        table = sa.table(name, sa.column("id", sa.Integer()), *(sa.column(c, sa.DateTime()) for c in columns))
        # Bound names must differ from column names in an UPDATE's SET clause.
        rewrite = (
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values({c: sa.bindparam(f"new_{c}", type_=sa.DateTime()) for c in columns})
        )
        last_id: Optional[int] = None
        rows_done = 0
        while True:
            query = sa.select(table).order_by(table.c.id).limit(_BATCH_ROWS)
            if last_id is not None:
                query = query.where(table.c.id > last_id)
            rows = conn.execute(query).all()
            if not rows:
                break
            params = [
                {
                    "row_id": row.id,
                    **{f"new_{c}": None if row._mapping[c] is None else convert(row._mapping[c]) for c in columns},
                }
                for row in rows
            ]
            conn.execute(rewrite, params)
            last_id = rows[-1].id
            rows_done += len(rows)
        log.info("%s: %d rows, %s converted", name, rows_done, ", ".join(columns))


def upgrade() -> None:
    """Bank wall-clock times to naive UTC."""
    zone = legacy_wallclock_zone()
    log.info("bank times: from %s to UTC", zone)
    _shift(lambda at: to_utc(at, zone))


def downgrade() -> None:
    """Naive UTC back to the bank's wall clock, as the previous release wrote them."""
    zone = legacy_wallclock_zone()
    log.info("bank times: from UTC back to %s", zone)
    _shift(lambda at: to_local(at, zone))
