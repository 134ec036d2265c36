"""Token and startup checks an attacker probed (issue 11 finding 8): a subject with a trailing newline,
time claims that are not numbers, and dev mode (public secret, tokens for any role) on a public address."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Dict

import jwt
import pytest

from assistant.base.auth import AuthError, bearer_token, mint_token, verify_token
from assistant.base.config import ConfigError, Settings

KEY = "unit-test-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789abcdefghijkl"


def _signed(**claims: Any) -> str:
    payload: Dict[str, Any] = {"sub": "demo", "role": "customer", "exp": int(time.time()) + 600}
    payload.update(claims)
    return jwt.encode(payload, KEY, algorithm="HS256")


@pytest.mark.parametrize("sub", ["demo\n", "demo\r\n", "\ndemo", "de\nmo", "demo\x00", "demo "])
def test_a_subject_with_a_line_break_or_other_extra_character_is_refused(sub: str) -> None:
    with pytest.raises(AuthError):
        verify_token(KEY, _signed(sub=sub))
    with pytest.raises(ValueError):
        mint_token(KEY, sub)


@pytest.mark.parametrize(
    "claim,value", [("exp", "1999999999"), ("exp", True), ("exp", 1999999999.5), ("iat", "1700000000"), ("nbf", "1")]
)
def test_time_claims_must_be_integers(claim: str, value: Any) -> None:
    with pytest.raises(AuthError):
        verify_token(KEY, _signed(**{claim: value}))


def test_a_well_formed_token_still_passes() -> None:
    principal = verify_token(KEY, _signed(iat=int(time.time()), nbf=int(time.time()) - 5))
    assert (principal.sub, principal.role) == ("demo", "customer")
    assert verify_token(KEY, mint_token(KEY, "a.b-c_d@e", "admin")).role == "admin"


@pytest.mark.parametrize("header", ["Bearer \udcff\udcfe.a.b", "Bearer tok\u00e9n", "Bearer 令牌"])
def test_a_token_that_is_not_ascii_is_refused_before_decoding(header: str) -> None:
    """Invalid UTF-8 in the Authorization header reaches us as surrogates; PyJWT would raise
    UnicodeEncodeError (a 500) instead of an authentication failure."""
    with pytest.raises(AuthError):
        verify_token(KEY, bearer_token(header))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", "127.0.0.1.nip.io", ""])
def test_dev_mode_on_a_non_loopback_address_is_refused(host: str) -> None:
    settings = replace(Settings.from_env({"ASSISTANT_ENV": "dev"}), host=host)
    with pytest.raises(ConfigError):
        settings.check_bind()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_dev_mode_on_loopback_starts(host: str) -> None:
    Settings.from_env({"ASSISTANT_ENV": "dev", "ASSISTANT_HOST": host}).check_bind()


def test_production_may_listen_anywhere() -> None:
    Settings.from_env({"ASSISTANT_ENV": "prod", "ASSISTANT_HOST": "0.0.0.0"}).check_bind()


def test_the_gateway_refuses_to_build_in_dev_on_a_public_address(tmp_path) -> None:
    from assistant.gateway.app import create_app

    settings = Settings.from_env(
        {"ASSISTANT_ENV": "dev", "ASSISTANT_HOST": "0.0.0.0", "ASSISTANT_DATA_DIR": str(tmp_path)}
    )
    with pytest.raises(ConfigError):
        create_app(settings, name="dev_on_public_address")
