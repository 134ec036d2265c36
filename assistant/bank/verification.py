"""SMS verification codes: 6 digits, valid 5 minutes, 3 tries. In dev the outbox shows what was "sent"."""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.bank.types import CODE_MAX_ATTEMPTS, CODE_TTL_SECONDS, CodeCheck
from assistant.db.models import AuditLog, Customer, VerificationCode


def issue_code(session: Session, customer_id: str, purpose: str, what: str, now: Optional[datetime] = None) -> VerificationCode:
    """Send a new code for ``purpose`` (earlier unused ones for it stop working)."""
    now = now or datetime.now()
    for old in session.scalars(select(VerificationCode).where(
            VerificationCode.customer_id == customer_id, VerificationCode.purpose == purpose,
            VerificationCode.used.is_(False))):
        old.attempts = CODE_MAX_ATTEMPTS  # retired
    customer = session.get(Customer, customer_id)
    phone_tail = customer.phone[-4:] if customer and customer.phone else "****"
    code = f"{secrets.randbelow(1_000_000):06d}"
    message = f"【智能银行】验证码{code}，您正在{what}，5分钟内有效，请勿泄露给他人。"
    row = VerificationCode(customer_id=customer_id, purpose=purpose, code=code, message=message, created_at=now,
                           expires_at=now + timedelta(seconds=CODE_TTL_SECONDS))
    session.add(row)
    session.add(AuditLog(actor=customer_id, action="sms.code_sent", detail=f"purpose={purpose} phone=***{phone_tail}"))
    session.flush()
    return row


def check_code(session: Session, customer_id: str, purpose: str, entered: str, now: Optional[datetime] = None) -> CodeCheck:
    """Check the latest code for ``purpose``; each wrong try counts, the third locks it."""
    now = now or datetime.now()
    row = session.scalar(select(VerificationCode).where(
        VerificationCode.customer_id == customer_id, VerificationCode.purpose == purpose)
        .order_by(VerificationCode.id.desc()).limit(1).with_for_update())
    if row is None:
        return CodeCheck(False, "unknown")
    if row.used:
        return CodeCheck(True)
    if row.attempts >= CODE_MAX_ATTEMPTS:
        return CodeCheck(False, "locked")
    if now > row.expires_at:
        return CodeCheck(False, "expired", CODE_MAX_ATTEMPTS - row.attempts)
    if hmac.compare_digest(row.code, (entered or "").strip()):
        row.used = True
        session.add(AuditLog(actor=customer_id, action="sms.code_verified", detail=f"purpose={purpose}"))
        return CodeCheck(True)
    row.attempts += 1
    left = CODE_MAX_ATTEMPTS - row.attempts
    return CodeCheck(False, "locked" if left <= 0 else "wrong", left)


def outbox(session: Session, customer_id: str, limit: int = 20) -> List[VerificationCode]:
    """Codes "sent by SMS" to this customer, newest first (dev only)."""
    return list(session.scalars(select(VerificationCode).where(VerificationCode.customer_id == customer_id)
                                .order_by(VerificationCode.id.desc()).limit(limit)))


def has_pending_code(session: Session, customer_id: str, purpose: str, now: Optional[datetime] = None) -> bool:
    """A code for ``purpose`` is out and can still be entered (not used, not locked, not expired)."""
    now = now or datetime.now()
    row = session.scalar(select(VerificationCode).where(
        VerificationCode.customer_id == customer_id, VerificationCode.purpose == purpose)
        .order_by(VerificationCode.id.desc()).limit(1))
    return row is not None and not row.used and row.attempts < CODE_MAX_ATTEMPTS and now <= row.expires_at
