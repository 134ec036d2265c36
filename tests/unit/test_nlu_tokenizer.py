"""Token/entity alignment: no entity may start or end inside a token (DIET could not tag it)."""

from pathlib import Path

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from assistant.nlu import entities as rules
from assistant.nlu.components import DomainJiebaTokenizer, normalize_for_nlu

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tokenizer():
    return DomainJiebaTokenizer(DomainJiebaTokenizer.get_default_config(), None, None)


def _edges(tokens):
    return {t.start for t in tokens} | {t.end for t in tokens}


def _training_examples():
    for path in sorted((REPO / "nlu_data").rglob("*.yml")):
        if "nlu:" in path.read_text(encoding="utf-8"):
            yield from (m for m in load_data(str(path)).intent_examples if m.get(ENTITIES))


def test_annotated_training_entities_align_with_tokens(tokenizer):
    checked = 0
    for example in _training_examples():
        message = Message({TEXT: normalize_for_nlu(example.get(TEXT)), ENTITIES: example.get(ENTITIES)})
        edges = _edges(tokenizer.tokenize(message, TEXT))
        for ent in example.get(ENTITIES):
            assert ent["start"] in edges and ent["end"] in edges, (example.get(TEXT), ent)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    "text",
    [
        "张三转五百",
        "给张三转五百",
        "给我老婆转两千五",
        "转给李四八千",
        "昨天打车花了二十八块五",
        "尾号六六八八还有多少钱",
        "转1.5万给欧阳娜娜",
        "给王小明转三千块",
    ],
)
def test_rule_entities_align_with_tokens_at_prediction(tokenizer, text):
    normalized = normalize_for_nlu(text)
    edges = _edges(tokenizer.tokenize(Message({TEXT: normalized}), TEXT))
    found = rules.boundary_entities(normalized)
    assert found
    for ent in found:
        assert ent.start in edges and ent.end in edges, (text, ent)


def test_fillers_are_not_tokens(tokenizer):
    tokens = tokenizer.tokenize(Message({TEXT: "呃那个帮我看一下余额"}), TEXT)
    assert [t.text for t in tokens][:2] != ["呃", "那个"]
    assert "呃" not in [t.text for t in tokens] and "那个" not in [t.text for t in tokens]
