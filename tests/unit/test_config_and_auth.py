import time

import jwt
import pytest

from assistant.base.auth import AuthError, bearer_token, mint_token, verify_token
from assistant.base.config import DEV_JWT_SECRET, ConfigError, Settings

KEY = "unit-test-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789abcdefghijkl"


def test_dev_secret_is_refused_outside_dev():
    with pytest.raises(ConfigError):
        Settings.from_env({"ASSISTANT_ENV": "prod"}).effective_jwt_secret()
    with pytest.raises(ConfigError):
        Settings.from_env({"ASSISTANT_ENV": "prod", "ASSISTANT_JWT_SECRET": DEV_JWT_SECRET}).effective_jwt_secret()


def test_dev_secret_is_the_dev_default_and_a_real_secret_wins():
    assert Settings.from_env({"ASSISTANT_ENV": "dev"}).effective_jwt_secret() == DEV_JWT_SECRET
    assert (
        Settings.from_env(
            {"ASSISTANT_ENV": "prod", "ASSISTANT_JWT_SECRET": "s3cret-" + "x" * 40}
        ).effective_jwt_secret()
        == "s3cret-" + "x" * 40
    )


def test_short_production_secret_is_refused():
    with pytest.raises(ConfigError):
        Settings.from_env({"ASSISTANT_ENV": "prod", "ASSISTANT_JWT_SECRET": "short"}).effective_jwt_secret()


def test_ports_come_from_the_environment_and_garbage_is_refused():
    s = Settings.from_env({"ASSISTANT_PORT": "8100", "RASA_PORT": "5105", "ACTIONS_PORT": "5155"})
    assert (s.port, s.rasa_port, s.actions_port) == (8100, 5105, 5155)
    assert s.rasa_url == "http://127.0.0.1:5105"
    with pytest.raises(ConfigError):
        Settings.from_env({"ASSISTANT_PORT": "eighty"})
    with pytest.raises(ConfigError):
        Settings.from_env({"RASA_PORT": "70000"})


def test_database_defaults_to_sqlite_in_the_data_folder(tmp_path):
    s = Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'assistant.db'}"
    assert Settings.from_env({"DATABASE_URL": "postgresql://u@h/db"}).database_url == "postgresql://u@h/db"


def test_token_round_trip_carries_subject_and_role():
    token = mint_token(KEY, "demo", "agent")
    p = verify_token(KEY, token)
    assert (p.sub, p.role) == ("demo", "agent")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t + "x",
        lambda t: mint_token(KEY[::-1], "demo"),
        lambda t: jwt.encode({"sub": "demo", "role": "customer", "exp": int(time.time()) - 5}, KEY, algorithm="HS256"),
        lambda t: jwt.encode({"sub": "demo", "role": "root", "exp": int(time.time()) + 60}, KEY, algorithm="HS256"),
        lambda t: jwt.encode({"role": "customer", "exp": int(time.time()) + 60}, KEY, algorithm="HS256"),
        lambda t: jwt.encode({"sub": "demo", "exp": int(time.time()) + 60}, KEY, algorithm="HS512"),
        lambda t: "not-a-token",
    ],
)
def test_bad_tokens_are_refused(mutate):
    with pytest.raises(AuthError):
        verify_token(KEY, mutate(mint_token(KEY, "demo")))


def test_unsigned_token_is_refused():
    unsigned = jwt.encode({"sub": "demo", "role": "customer", "exp": int(time.time()) + 60}, None, algorithm="none")
    with pytest.raises(AuthError):
        verify_token(KEY, unsigned)


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer", "Bearer   "])
def test_bearer_header_must_be_well_formed(header):
    with pytest.raises(AuthError):
        bearer_token(header)


def test_minting_rejects_unknown_roles_and_odd_subjects():
    with pytest.raises(ValueError):
        mint_token(KEY, "demo", "root")
    with pytest.raises(ValueError):
        mint_token(KEY, "a b")
