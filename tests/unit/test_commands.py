"""The command-line contract: `make token` and the gateway's refusal of the dev secret."""

import os
import subprocess
import sys

from assistant.base.auth import verify_token
from assistant.base.config import DEV_JWT_SECRET
from tests.support.stack import REPO


def _env(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("ASSISTANT_ENV", "ASSISTANT_JWT_SECRET")}
    env.update(overrides)
    return env


def test_make_token_prints_a_customer_token_on_its_last_line():
    out = subprocess.run(
        ["make", "-s", "token", "CUSTOMER=demo"],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    principal = verify_token(DEV_JWT_SECRET, out.strip().splitlines()[-1])
    assert (principal.sub, principal.role) == ("demo", "customer")


def test_make_token_mints_other_roles():
    out = subprocess.run(
        ["make", "-s", "token", "ROLE=agent", "SUB=alice"],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    principal = verify_token(DEV_JWT_SECRET, out.strip().splitlines()[-1])
    assert (principal.sub, principal.role) == ("alice", "agent")


def test_gateway_refuses_to_start_with_the_dev_secret_outside_dev():
    result = subprocess.run(
        [sys.executable, "-m", "assistant.gateway"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=_env(ASSISTANT_ENV="prod", ASSISTANT_PORT="1", PYTHONPATH=str(REPO)),
        timeout=60,
    )
    assert result.returncode == 2
    assert "ASSISTANT_JWT_SECRET" in result.stderr


def test_make_inbox_label_and_dismiss_work_from_a_shell(tmp_path):
    import shutil

    from assistant.base.db.engine import session_scope
    from assistant.desk.inbox import record_miss

    for name in ("config.yml", "domain.yml"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "nlu_data", tmp_path / "nlu_data")
    db = f"sqlite:///{tmp_path / 'desk.db'}"
    with session_scope(db, write=True) as session:
        first = record_miss(
            session, "c1", "瞅瞅俺滴票子 卡号6222021234567890123", "fallback", "record_expense", 0.16
        ).id
        second = record_miss(session, "c2", "咕噜咕噜嘎嘎", "fallback", "affirm", 0.0).id
    env = _env(DATABASE_URL=db, TRAINING_DIR=str(tmp_path))

    def make(*args):
        return subprocess.run(["make", "-s", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)

    listed = make("inbox")
    assert listed.returncode == 0 and f"#{first}" in listed.stdout and "***************0123" in listed.stdout
    labelled = make("label", f"ID={first}", "INTENT=check_balance")
    assert labelled.returncode == 0, labelled.stderr
    assert "瞅瞅俺滴票子" in (tmp_path / "nlu_data" / "nlu" / "trainer_labels.yml").read_text(encoding="utf-8")
    assert make("dismiss", f"ID={second}").returncode == 0
    again = make("dismiss", f"ID={second}")
    assert again.returncode != 0 and "已经处理过" in again.stderr
    assert "no open messages" in make("inbox").stdout
