"""Shared fixtures. The real stack is started once per test session (Rasa loads in ~30 s)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
# The banks the tests build in process hash SMS codes with this key (a stack started by a test gets it
# too, so a code it sent can be checked here); outside the tests the launcher or .env provides one.
os.environ.setdefault("ASSISTANT_CODE_SECRET", "tests-only-sms-code-hash-secret-0123456789")

from tests.support.stack import Stack, isolated_training, pid_alive  # noqa: E402

OUTPUT_DIR = REPO / "test-output"


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("stack")
    running = Stack(data_dir=root / "data", extra_env=isolated_training(root)).start()
    yield running
    pids = running.child_pids()
    running.stop()
    left = [p for p in pids if pid_alive(p)]
    assert not left, f"stack processes left behind after stop: {left}"


@pytest.fixture(scope="session")
def demo_token(stack: Stack) -> str:
    return stack.token("demo")


@pytest.fixture(scope="session")
def agent_token(stack: Stack) -> str:
    return stack.token("agent_li", "agent")


@pytest.fixture(scope="session")
def trainer_token(stack: Stack) -> str:
    return stack.token("trainer_wang", "trainer")
