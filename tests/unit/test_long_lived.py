"""Long-lived objects leave Python's cyclic collector after a load; garbage is still collected."""

import asyncio
import gc
import weakref

import pytest

from assistant.ops.stack import long_lived
from tests.support.asyncrun import run_async


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture(autouse=True)
def unfrozen():
    yield
    gc.unfreeze()


def test_a_freeze_keeps_the_living_out_of_collections_and_frees_the_dead():
    alive, dead = Node(), Node()
    dead_ref = weakref.ref(dead)
    del dead
    long_lived.freeze_long_lived()
    assert dead_ref() is None  # collected before the freeze
    assert gc.get_freeze_count() > 0 and alive.me is alive

    replaced = weakref.ref(alive)
    del alive  # e.g. the model a publish replaced: frozen, so no collection can see it ...
    gc.collect()
    assert replaced() is not None
    long_lived.freeze_long_lived()  # ... until the next load's freeze examines the frozen again
    assert replaced() is None


def test_rasa_freezes_a_moment_after_each_model_load(monkeypatch):
    import rasa.core.agent as agent_module

    calls = []

    async def fake_load_agent(model_path=None, **_):
        return f"agent for {model_path}"

    monkeypatch.setattr(agent_module, "load_agent", fake_load_agent)
    monkeypatch.setattr(long_lived, "freeze_long_lived", lambda: calls.append("frozen"))
    long_lived.freeze_after_model_loads(delay_s=0.01)
    long_lived.freeze_after_model_loads(delay_s=0.01)  # installed once

    async def load_twice():
        first = await agent_module.load_agent(model_path="a.tar.gz")
        await asyncio.sleep(0.1)
        second = await agent_module.load_agent(model_path="b.tar.gz")
        await asyncio.sleep(0.1)
        return first, second

    assert run_async(load_twice()) == ("agent for a.tar.gz", "agent for b.tar.gz")
    assert calls == ["frozen", "frozen"]
