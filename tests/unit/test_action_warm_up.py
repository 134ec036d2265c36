"""Each action worker loads the knowledge base before it listens, and starts even without an index."""

import pytest

from actions import services
from search_index.service import SearchUnavailable


class KnowledgeBase:
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.asked: list = []

    def lookup(self, text: str):
        self.asked.append(text)
        if self.fail:
            raise SearchUnavailable("search index not built")


@pytest.mark.parametrize("fail", [False, True])
def test_the_warm_up_asks_one_question_and_never_stops_the_worker(monkeypatch, fail):
    kb = KnowledgeBase(fail)
    monkeypatch.setattr(services, "knowledge", lambda: kb)
    services.warm_up()
    assert kb.asked == ["转账多久到账"]


def test_the_action_server_runs_the_warm_up_before_it_listens():
    from assistant.ops.stack.action_server import _warm_up, create_action_app

    assert _warm_up("actions") is services.warm_up
    assert _warm_up("no_such_package") is None
    app = create_action_app("secret", warm_up=lambda: None)
    listeners = [(f.event, f.listener.__name__) for f in app._future_listeners]  # registered before it runs
    assert ("before_server_start", "warm") in listeners
