"""The README's run command brings the whole stack up, and stopping it leaves nothing behind."""

import signal
import time

import pytest

from tests.support.stack import REPO, Stack, pid_alive

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_command_serves_and_stops_cleanly(tmp_path, sig):
    stack = Stack(data_dir=tmp_path / "data", command=[str(REPO / "scripts" / "run.sh")]).start()
    try:
        pids = stack.child_pids()
        assert len(pids) == 2 + stack.rasa_servers and all(pid_alive(p) for p in pids)  # actions, gateway, Rasa servers
        status, _ = stack.get("/health")
        assert status == 200
        token = stack.token("demo")
        assert "¥52,380.50" in "".join(m["text"] for m in stack.chat(token, "查余额"))
    finally:
        code = stack.stop(sig)
    assert code == 0, stack.log_tail()
    assert not [p for p in pids if pid_alive(p)], "stack processes survived the run command"
    assert "stopped" in stack.log_tail()


def test_killing_make_run_itself_stops_the_stack(tmp_path):
    """`make run` killed outright (not the launcher): the launcher follows its parent and stops everything."""
    stack = Stack(data_dir=tmp_path / "data", command=["make", "run"]).start()
    pids = stack.child_pids()
    assert len(pids) == 2 + stack.rasa_servers
    stack.process.kill()  # SIGKILL to make: nothing can be forwarded by it
    stack.process.wait(timeout=10)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.5)
    assert not [p for p in pids if pid_alive(p)], "stack processes survived a killed `make run`"
