"""SMS verification codes: 6 digits, valid 5 minutes, 3 tries.

A code is never stored in clear: the row keeps a keyed hash (HMAC-SHA256 with a key from
ASSISTANT_CODE_SECRET, which is never in the database; checked in constant time) and the SMS text
with the code starred out. A code has only 10^6 values, so an unkeyed hash, however slow, falls to
anyone holding the table and enough cores; without the key the table gives nothing to try codes
against, and the hash costs microseconds instead of scrypt's ~25 ms of CPU per code sent or checked.
Only in dev, where no SMS is really sent, the code is also kept encrypted (AES-GCM, key derived from
the JWT secret by HKDF) so that the dev outbox can show what the "phone" received; in prod nothing
readable is kept.

Times (``now``, created_at, expires_at) are naive UTC from the one clock, so expiry is compared in
UTC whatever zone the bank or the machine is in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import List, Optional

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.bank.types import CODE_MAX_ATTEMPTS, CODE_TTL_SECONDS, CodeCheck
from assistant.base import clock
from assistant.base.config import Settings
from assistant.base.db.models import AuditLog, Customer, VerificationCode

CODE_DIGITS = 6
CODE_MASK = "*" * CODE_DIGITS
SMS_TEMPLATE = "【智能银行】验证码{code}，您正在{what}，5分钟内有效，请勿泄露给他人。"
# Rows written before the keyed hash (a code lives 5 minutes: only those in flight at an upgrade).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_OUTBOX_KDF_INFO = b"assistant/dev-sms-outbox/v1"
_CODE_KDF_INFO = b"assistant/sms-code-hash/v1"


# ------------------------------------------------------------------ hashing
def code_hash_key(settings: Optional[Settings] = None) -> bytes:
    """The key codes are hashed with: derived (HKDF) from ASSISTANT_CODE_SECRET, or when that is not set
    from the JWT secret (dev; the development secret is refused outside dev)."""
    settings = settings or Settings.from_env()
    secret = settings.code_secret or settings.effective_jwt_secret()
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CODE_KDF_INFO)
    return hkdf.derive(secret.encode("utf-8"))


def _message(customer_id: str, purpose: str, code: str) -> bytes:
    # Customer and purpose are hashed in: a stored hash cannot be replayed for another request.
    return f"{customer_id}\x1f{purpose}\x1f{code}".encode()


def _keyed(key: bytes, customer_id: str, purpose: str, code: str, salt: bytes) -> bytes:
    return hmac.new(key, salt + _message(customer_id, purpose, code), hashlib.sha256).digest()


def hash_code(key: bytes, customer_id: str, purpose: str, code: str) -> str:
    salt = secrets.token_bytes(16)
    return f"hmac-sha256${salt.hex()}${_keyed(key, customer_id, purpose, code, salt).hex()}"


def code_matches(key: bytes, stored: str, customer_id: str, purpose: str, entered: str) -> bool:
    """Constant-time check of an entered code against a stored hash."""
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
        salt, digest = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return False
    if scheme == "hmac-sha256":
        expected = _keyed(key, customer_id, purpose, entered, salt)
    elif scheme == "scrypt":
        expected = hashlib.scrypt(_message(customer_id, purpose, entered), salt=salt, **_SCRYPT)
    else:
        return False
    return hmac.compare_digest(expected, digest)


# ------------------------------------------------------------------ the dev outbox
def dev_outbox_key(settings: Optional[Settings] = None) -> Optional[bytes]:
    """The key the dev outbox encrypts codes with; None outside dev (nothing readable is stored)."""
    settings = settings or Settings.from_env()
    if not settings.is_dev:
        return None
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_OUTBOX_KDF_INFO)
    return hkdf.derive(settings.effective_jwt_secret().encode("utf-8"))


def _aad(customer_id: str, purpose: str) -> bytes:
    return f"{customer_id}\x1f{purpose}".encode()


def seal_code(key: bytes, customer_id: str, purpose: str, code: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, code.encode("utf-8"), _aad(customer_id, purpose))
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal_code(key: Optional[bytes], row: VerificationCode) -> Optional[str]:
    """The code of a dev row, or None (prod row, other key, tampered text)."""
    if not key or not row.sealed_code:
        return None
    try:
        raw = base64.b64decode(row.sealed_code)
        return AESGCM(key).decrypt(raw[:12], raw[12:], _aad(row.customer_id, row.purpose)).decode("utf-8")
    except (InvalidTag, ValueError):
        return None


def sms_text(what: str, code: str) -> str:
    return SMS_TEMPLATE.format(code=code, what=what)


# ------------------------------------------------------------------ issuing and checking
def issue_code(
    session: Session,
    customer_id: str,
    purpose: str,
    what: str,
    now: Optional[datetime] = None,
    outbox_key: Optional[bytes] = None,
    code_key: Optional[bytes] = None,
) -> VerificationCode:
    """Send a new code for ``purpose`` (earlier unused ones for it stop working)."""
    now = now or clock.utcnow()
    for old in session.scalars(
        select(VerificationCode).where(
            VerificationCode.customer_id == customer_id,
            VerificationCode.purpose == purpose,
            VerificationCode.used.is_(False),
        )
    ):
        old.attempts = CODE_MAX_ATTEMPTS  # retired
    customer = session.get(Customer, customer_id)
    phone_tail = customer.phone[-4:] if customer and customer.phone else "****"
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    # The SMS itself would be handed to the SMS gateway here, in clear, and never written down.
    row = VerificationCode(
        customer_id=customer_id,
        purpose=purpose,
        code_hash=hash_code(code_key or code_hash_key(), customer_id, purpose, code),
        message=sms_text(what, CODE_MASK),
        created_at=now,
        sealed_code=seal_code(outbox_key, customer_id, purpose, code) if outbox_key else None,
        expires_at=now + timedelta(seconds=CODE_TTL_SECONDS),
    )
    session.add(row)
    session.add(AuditLog(actor=customer_id, action="sms.code_sent", detail=f"purpose={purpose} phone=***{phone_tail}"))
    session.flush()
    return row


def check_code(
    session: Session,
    customer_id: str,
    purpose: str,
    entered: str,
    now: Optional[datetime] = None,
    code_key: Optional[bytes] = None,
) -> CodeCheck:
    """Check the latest code for ``purpose``; each wrong try counts, the third locks it."""
    now = now or clock.utcnow()
    row = session.scalar(
        select(VerificationCode)
        .where(VerificationCode.customer_id == customer_id, VerificationCode.purpose == purpose)
        .order_by(VerificationCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None:
        return CodeCheck(False, "unknown")
    if row.used:
        return CodeCheck(True)
    if row.attempts >= CODE_MAX_ATTEMPTS:
        return CodeCheck(False, "locked")
    if now > row.expires_at:
        return CodeCheck(False, "expired", CODE_MAX_ATTEMPTS - row.attempts)
    if code_matches(code_key or code_hash_key(), row.code_hash, customer_id, purpose, (entered or "").strip()):
        row.used = True
        session.add(AuditLog(actor=customer_id, action="sms.code_verified", detail=f"purpose={purpose}"))
        return CodeCheck(True)
    row.attempts += 1
    left = CODE_MAX_ATTEMPTS - row.attempts
    return CodeCheck(False, "locked" if left <= 0 else "wrong", left)


def outbox(session: Session, customer_id: str, limit: int = 20) -> List[VerificationCode]:
    """Codes "sent by SMS" to this customer, newest first (dev only)."""
    return list(
        session.scalars(
            select(VerificationCode)
            .where(VerificationCode.customer_id == customer_id)
            .order_by(VerificationCode.id.desc())
            .limit(limit)
        )
    )


def has_pending_code(session: Session, customer_id: str, purpose: str, now: Optional[datetime] = None) -> bool:
    """A code for ``purpose`` can still be entered (not used, not locked, not expired)."""
    now = now or clock.utcnow()
    row = session.scalar(
        select(VerificationCode)
        .where(VerificationCode.customer_id == customer_id, VerificationCode.purpose == purpose)
        .order_by(VerificationCode.id.desc())
        .limit(1)
    )
    return row is not None and not row.used and row.attempts < CODE_MAX_ATTEMPTS and now <= row.expires_at
