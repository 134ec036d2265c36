"""The command-line contract: `make token` and the gateway's refusal of the dev secret."""
import os
import subprocess
import sys

from assistant.auth import verify_token
from assistant.config import DEV_JWT_SECRET
from tests.support.stack import REPO


def _env(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("ASSISTANT_ENV", "ASSISTANT_JWT_SECRET")}
    env.update(overrides)
    return env


def test_make_token_prints_a_customer_token_on_its_last_line():
    out = subprocess.run(["make", "-s", "token", "CUSTOMER=demo"], cwd=REPO, env=_env(), capture_output=True,
                         text=True, timeout=120, check=True).stdout
    principal = verify_token(DEV_JWT_SECRET, out.strip().splitlines()[-1])
    assert (principal.sub, principal.role) == ("demo", "customer")


def test_make_token_mints_other_roles():
    out = subprocess.run(["make", "-s", "token", "ROLE=agent", "SUB=alice"], cwd=REPO, env=_env(),
                         capture_output=True, text=True, timeout=120, check=True).stdout
    principal = verify_token(DEV_JWT_SECRET, out.strip().splitlines()[-1])
    assert (principal.sub, principal.role) == ("alice", "agent")


def test_gateway_refuses_to_start_with_the_dev_secret_outside_dev():
    result = subprocess.run([sys.executable, "-m", "assistant.gateway"], cwd=REPO, capture_output=True, text=True,
                            env=_env(ASSISTANT_ENV="prod", ASSISTANT_PORT="1", PYTHONPATH=str(REPO)), timeout=60)
    assert result.returncode == 2
    assert "ASSISTANT_JWT_SECRET" in result.stderr
