"""A Rasa server that has just loaded a model parses a few messages before customers reach it."""

from assistant.base.config import Settings
from assistant.base.rasa_client import RasaUnavailable
from assistant.ops.training import live
from tests.support.asyncrun import run_async


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.parsed: list = []
        self.fail = fail

    async def parse(self, text: str) -> dict:
        if self.fail:
            raise RasaUnavailable("connection refused", unreached=True)
        self.parsed.append(text)
        return {"intent": {"name": "greet"}}


def calls_to(monkeypatch, rasa: Recorder) -> list:
    """``live.call_rasa`` replaced by calls on ``rasa``; the URLs called, in order."""
    urls: list = []

    def fake_call(url, token, call, timeout_s=30.0):
        urls.append(url)
        return run_async(call(rasa))

    monkeypatch.setattr(live, "call_rasa", fake_call)
    return urls


def test_every_warm_up_message_is_parsed_on_that_server(monkeypatch, tmp_path):
    rasa = Recorder()
    urls = calls_to(monkeypatch, rasa)
    live.warm_up(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)}), "http://127.0.0.1:5006")
    assert rasa.parsed == list(live.WARM_UP_TEXTS) and set(urls) == {"http://127.0.0.1:5006"}
    assert {"你好", "查余额"} <= set(live.WARM_UP_TEXTS)


def test_a_server_that_cannot_be_warmed_up_is_left_after_the_first_try(monkeypatch, tmp_path, capsys):
    calls = calls_to(monkeypatch, Recorder(fail=True))
    live.warm_up(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)}), "http://127.0.0.1:5006")
    assert len(calls) == 1 and "was not warmed up" in capsys.readouterr().out
