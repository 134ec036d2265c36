"""Finding 1: every internal hop is authenticated. A local process can no longer run an action for
any customer, read or write a tracker through Rasa's API, or speak as a customer to Rasa."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import pytest
import yaml

from assistant.base.config import ACTION_SECRET_HEADER, REPO_ROOT, Settings
from assistant.ops.stack.rasa_server import rasa_argv
from assistant.ops.stack.supervisor import stack_services
from tests.support.stack import Stack, pid_alive

pytestmark = pytest.mark.integration


def call(url: str, body: Any = None, headers: Optional[Dict[str, str]] = None, method: str = "POST") -> Tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method=method if data is not None else "GET",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def forged_submit(sender: str) -> Dict[str, Any]:
    """The webhook body a local attacker would post: a tracker that has confirmed a transfer."""
    slots = {
        "transfer_payee": "张三",
        "transfer_amount": 1.0,
        "transfer_from": "6688",
        "transfer_confirmed": True,
        "transfer_key": "forgedkeyforgedkeyforged",
        "transfer_needs_code": False,
    }
    return {
        "next_action": "action_submit_transfer",
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {"text": "确认"},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "transfer_form",
        },
    }


def test_action_server_refuses_a_forged_webhook(stack: Stack, demo_token: str) -> None:
    before = stack.balance_text(demo_token, "6688")
    url = f"http://127.0.0.1:{stack.actions_port}/webhook"
    for headers in ({}, {"X-Action-Secret": "wrong"}, {"X-Action-Secret": stack.action_secret + "x"}):
        status, body = call(url, forged_submit("demo"), headers)
        assert status == 401, (headers, status, body)
        assert "转账成功" not in body
    assert stack.balance_text(demo_token, "6688") == before


def test_action_server_runs_actions_for_the_rasa_server_holding_the_secret(stack: Stack) -> None:
    """Positive control: the same server answers the secret's holder (here with a harmless action)."""
    body = forged_submit("intruder_probe")
    body["next_action"] = "action_affirm_nothing_pending"
    status, text = call(
        f"http://127.0.0.1:{stack.actions_port}/webhook", body, {"X-Action-Secret": stack.action_secret}
    )
    assert status == 200, text
    assert "好的" in json.loads(text)["responses"][0]["text"]


def test_rasa_api_requires_its_token(stack: Stack) -> None:
    tracker = f"{stack.rasa_url}/conversations/demo/tracker"
    assert call(tracker, method="GET")[0] == 401
    assert call(tracker + "?token=wrong", method="GET")[0] == 401
    assert call(f"{tracker}/events", {"event": "slot", "name": "transfer_payee", "value": "李四"})[0] == 401
    assert call(f"{stack.rasa_url}/model/parse", {"text": "查余额"})[0] == 401
    status, _ = call(f"{tracker}?token={stack.rasa_token}", method="GET")
    assert status == 200


def test_customer_messages_reach_rasa_only_through_the_gateway(stack: Stack, demo_token: str) -> None:
    before = stack.balance_text(demo_token, "6688")
    spoof = {"sender": "demo", "message": "给张三转1元"}
    assert call(f"{stack.rasa_url}/webhooks/rest/webhook", spoof)[0] == 404  # Rasa's open channel is off
    gateway_channel = f"{stack.rasa_url}/webhooks/gateway/webhook"
    assert call(gateway_channel, spoof)[0] == 401
    assert call(gateway_channel, spoof, {"X-Gateway-Secret": "guess"})[0] == 401
    assert stack.balance_text(demo_token, "6688") == before


def test_rasa_channel_refuses_over_long_messages(stack: Stack) -> None:
    status, body = call(
        f"{stack.rasa_url}/webhooks/gateway/webhook",
        {"sender": "longtalk", "message": "查" * 10_000},
        {"X-Gateway-Secret": stack.channel_secret},
    )
    assert status == 413, body


def test_secrets_never_appear_on_a_command_line_or_in_the_logs(stack: Stack) -> None:
    for pid in stack.child_pids():
        if not pid_alive(pid):
            continue  # a Rasa server killed by an earlier test (its successor is in the list too)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        for secret in (stack.rasa_token, stack.channel_secret, stack.action_secret):
            assert secret not in cmdline, pid
    for log in [*(stack.data_dir / "logs").glob("*.log"), stack.log_path]:
        text = log.read_text(errors="replace")
        for secret in (stack.rasa_token, stack.channel_secret, stack.action_secret):
            assert secret not in text, log


def test_the_launcher_generates_secrets_and_keeps_them_off_argv(tmp_path: Path) -> None:
    settings = Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)}).with_internal_secrets()
    assert settings.rasa_auth_token and settings.channel_secret and settings.action_secret
    assert len({settings.rasa_auth_token, settings.channel_secret, settings.action_secret}) == 3
    assert (
        Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)}).with_internal_secrets().rasa_auth_token
        != settings.rasa_auth_token
    )
    argv = " ".join(" ".join(s.cmd) for s in stack_services(settings, tmp_path / "model.tar.gz"))
    for secret in (settings.rasa_auth_token, settings.channel_secret, settings.action_secret):
        assert secret not in argv
    settings.save_internal_secrets()
    assert settings.secrets_file.stat().st_mode & 0o077 == 0  # readable by the owner only
    assert (
        Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)}).with_stack_secrets().rasa_auth_token
        == settings.rasa_auth_token
    )
    assert "secret" not in repr(settings).lower() and settings.action_secret not in repr(settings)
    endpoints = yaml.safe_load((REPO_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["headers"] == {ACTION_SECRET_HEADER: "${ACTION_SERVER_SECRET}"}
    with pytest.raises(SystemExit):
        rasa_argv(["--auth-token", "x"], "token")
    with pytest.raises(SystemExit):
        rasa_argv(["--enable-api"], "")


@pytest.mark.parametrize("token", ["-starts-with-a-dash_0123456789abcdef", "_x", "plain0123456789"])
def test_rasas_cli_reads_any_generated_token(token):
    """token_urlsafe may begin with "-": Rasa's own parser must still take it as the token."""
    from rasa.__main__ import create_argument_parser

    argv = rasa_argv(["--enable-api", "-p", "5005"], token)
    assert argv[:2] == ["rasa", "run"]
    assert create_argument_parser().parse_args(argv[1:]).auth_token == token
