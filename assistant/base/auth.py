"""JWT (HS256) tokens: who is calling and in which role.

The gateway trusts nothing in a request body about identity: the customer id
comes from a verified token's ``sub`` only, and how strongly the customer logged in
(``amr``: password only, SMS, a device-bound key) from the same token, because the bank's
transfer limits follow it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

import jwt

# risk: the back office that releases or cancels transfers held for review.
ROLES = ("customer", "agent", "trainer", "admin", "risk")
# How the customer authenticated, weakest first. The same names as the bank's AUTH_STRENGTHS
# (assistant.bank.risk.types), repeated here because base may not import a domain.
AMR_VALUES = ("password", "sms", "device_key")
DEFAULT_AMR = "password"
# Always used with fullmatch: with re.match and "$", "demo\n" would pass as "demo".
_SUBJECT_RE = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
# PyJWT reads these with int(), so "1999999999" or true would pass its checks; ours are always integers.
_TIME_CLAIMS = ("exp", "iat", "nbf")
DEFAULT_TTL_SECONDS = 12 * 3600


class AuthError(Exception):
    """The request carries no usable credentials (maps to HTTP 401)."""


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str
    # The login's authentication strength (the token's ``amr``); a token without one is a password login.
    strength: str = DEFAULT_AMR


def mint_token(
    secret: str,
    sub: str,
    role: str = "customer",
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    amr: str = DEFAULT_AMR,
) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if not is_subject(sub):
        raise ValueError("subject must be 1-64 characters of letters, digits, _ . @ -")
    if amr not in AMR_VALUES:
        raise ValueError(f"unknown amr {amr!r}; expected one of {', '.join(AMR_VALUES)}")
    now = int(time.time())
    claims = {"sub": sub, "role": role, "amr": amr, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


def is_subject(value: object) -> bool:
    """A customer or staff id: 1-64 letters, digits, _ . @ - and nothing else (no trailing newline)."""
    return isinstance(value, str) and _SUBJECT_RE.fullmatch(value) is not None


def _times_are_integers(claims: Dict[str, Any]) -> bool:
    return all(type(claims[name]) is int for name in _TIME_CLAIMS if name in claims)  # bool is not int here


def verify_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("登录已过期，请重新登录") from exc
    except jwt.PyJWTError as exc:
        raise AuthError("身份验证失败，请重新登录") from exc
    sub, role = claims.get("sub"), claims.get("role", "customer")
    if not is_subject(sub) or not isinstance(role, str) or role not in ROLES or not _times_are_integers(claims):
        raise AuthError("身份验证失败，请重新登录")
    return Principal(sub=sub, role=role, strength=_strength(claims.get("amr", DEFAULT_AMR)))


def _strength(amr: Any) -> str:
    """The login's strength from ``amr``: one known name (RFC 8176 also allows a list: the strongest known
    one counts). A signed token with an unknown value is not refused, but never counts as stronger than a
    password: higher limits are only ever granted for a strength we know."""
    values = amr if isinstance(amr, list) else [amr]
    known = [v for v in values if isinstance(v, str) and v in AMR_VALUES]
    return max(known, key=AMR_VALUES.index) if known else DEFAULT_AMR


def bearer_token(header: Optional[str]) -> str:
    """Extract the token from an ``Authorization: Bearer ...`` header."""
    if not header:
        raise AuthError("缺少登录凭证")
    scheme, _, token = header.strip().partition(" ")
    # A JWT is ASCII; anything else (header bytes that were not UTF-8 decode to surrogates) is refused here,
    # before the JWT library tries to encode it.
    if scheme.lower() != "bearer" or not token.strip() or not token.isascii():
        raise AuthError("登录凭证格式不正确")
    return token.strip()
