"""Rasa graph components for Chinese banking messages.

Pipeline order (config.yml):
  ChineseTextNormalizer → DomainJiebaTokenizer → featurizers → DIETClassifier
  → BankingEntityExtractor → VocabularyCoverageGuard → FallbackClassifier

All text changes are length-preserving, so every span is a span of what the
customer wrote; the extractor puts the original text back at the end and adds
``normalized_text`` (what the model understood) to the parse result.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Set, Tuple

import jieba
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.nlu import entities as rules
from assistant.nlu.homophones import correct
from assistant.nlu.normalize import filler_spans, normalize_same_length
from assistant.nlu.vocabulary import user_dictionary_words

jieba.setLogLevel(logging.WARNING)
logger = logging.getLogger(__name__)

ORIGINAL_TEXT = "original_text"
NORMALIZED_TEXT = "normalized_text"
DICTIONARY_FILE = "user_dictionary.json"


def save_json(model_storage: ModelStorage, resource: Resource, name: str, data: Any) -> None:
    """Keep what a component learnt with the model."""
    with model_storage.write_to(resource) as directory:
        (directory / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def load_json(model_storage: ModelStorage, resource: Resource, name: str, missing: str) -> Optional[Any]:
    """What a component saved with the model; None (and ``missing`` logged) when it is not there."""
    try:
        with model_storage.read_from(resource) as directory:
            return json.loads((directory / name).read_text(encoding="utf-8"))
    except (ValueError, FileNotFoundError):
        logger.warning(missing)
        return None


def normalize_for_nlu(text: str) -> str:
    """Same-length canonical form: half-width, simplified, 账 not 帐, homophones of domain words fixed."""
    return correct(normalize_same_length(text))[0]


class PerMessageComponent(GraphComponent):
    """A Chinese-only component that looks at each message on its own (``process_message``)."""

    @staticmethod
    def supported_languages() -> Optional[List[str]]:
        return ["zh"]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self.process_message(message)
        return messages

    def process_message(self, message: Message) -> None:
        raise NotImplementedError


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class ChineseTextNormalizer(PerMessageComponent):
    """Normalizes the text before tokenizing; keeps the original for the parse result."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseTextNormalizer:
        return cls()

    def process_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text:
            return
        if message.get(ORIGINAL_TEXT) is None:
            message.set(ORIGINAL_TEXT, text)
        message.set(TEXT, normalize_for_nlu(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self.process_message(example)
        return training_data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
class DomainJiebaTokenizer(Tokenizer):
    """jieba with the domain's words, split at entity boundaries, without filler words.

    The user dictionary (domain vocabulary, lookup tables and every annotated entity
    value of the training data) is saved with the model, so prediction tokenizes
    exactly as training did.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def supported_languages() -> Optional[List[str]]:
        return ["zh"]

    @staticmethod
    def required_packages() -> List[str]:
        return ["jieba"]

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        words: Optional[List[Tuple[str, int]]] = None,
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self._words: List[Tuple[str, int]] = list(words or user_dictionary_words())
        self._jieba = self._make_jieba(self._words)

    @staticmethod
    def _make_jieba(words: List[Tuple[str, int]]) -> jieba.Tokenizer:
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word, freq in words:
            tokenizer.add_word(word, freq)
        return tokenizer

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DomainJiebaTokenizer:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> DomainJiebaTokenizer:
        saved = load_json(
            model_storage,
            resource,
            DICTIONARY_FILE,
            "no saved user dictionary in the model; using the domain vocabulary only",
        )
        return cls(config, model_storage, resource, [tuple(w) for w in saved] if saved else None)

    def train(self, training_data: TrainingData) -> Resource:
        """Add annotated entity values and lookup-table entries to the dictionary, and save it."""
        words = dict(user_dictionary_words())
        for example in training_data.training_examples:
            text = example.get(TEXT) or ""
            for ent in example.get(ENTITIES) or []:
                span = text[ent["start"] : ent["end"]]
                if len(span) >= 2:
                    words.setdefault(span, 100000)
        for table in training_data.lookup_tables:
            for element in table.get("elements") or []:
                if isinstance(element, str) and len(element) >= 2:
                    words.setdefault(element, 100000)
        self._words = sorted(words.items())
        self._jieba = self._make_jieba(self._words)
        save_json(self._model_storage, self._resource, DICTIONARY_FILE, self._words)
        return self._resource

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        text = message.get(attribute) or ""
        boundaries = self._boundaries(message, text) if attribute == TEXT else set()
        fillers = filler_spans(text) if attribute == TEXT else []
        tokens: List[Token] = []
        for _word, start, end in self._jieba.tokenize(text):
            for piece_start, piece_end in _split_at(start, end, boundaries):
                piece = text[piece_start:piece_end]
                if not piece.strip() or any(s <= piece_start and piece_end <= e for s, e in fillers):
                    continue
                tokens.append(Token(piece, piece_start))
        return self._apply_token_pattern(tokens)

    @staticmethod
    def _boundaries(message: Message, text: str) -> Set[int]:
        """Entity edges must be token edges: annotated ones when training, rule-found ones always."""
        edges: Set[int] = set()
        for ent in message.get(ENTITIES) or []:
            edges.update((ent["start"], ent["end"]))
        for ent in rules.boundary_entities(text):
            edges.update((ent.start, ent.end))
        return edges


def _split_at(start: int, end: int, boundaries: Set[int]) -> List[Tuple[int, int]]:
    cuts = sorted(b for b in boundaries if start < b < end)
    points = [start, *cuts, end]
    return list(zip(points, points[1:]))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class BankingEntityExtractor(PerMessageComponent):
    """Entities with normalized values, decided with the predicted intent in view.

    Rule-found amount, account, time, category, product and payee entities; DIET's
    payee and product guesses are kept where no rule found anything.
    """

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> BankingEntityExtractor:
        return cls()

    def process_message(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = (message.get(INTENT) or {}).get("name")
        learned = [
            rules.Entity(e["start"], e["end"], e["entity"], text[e["start"] : e["end"]], e.get("extractor", "DIET"))
            for e in message.get(ENTITIES) or []
            if e.get("entity") in ("payee", "product")
        ]
        found = rules.extract(text, intent, learned=learned)
        original = message.get(ORIGINAL_TEXT) or text
        message.set(ENTITIES, [e.to_rasa(original) for e in found], add_to_output=True)
        message.set(NORMALIZED_TEXT, text, add_to_output=True)
        message.set(TEXT, original)


VOCABULARY_FILE = "vocabulary.json"
COVERAGE = "vocabulary_coverage"


def _counts_as_word(token: str) -> bool:
    """Words that carry meaning: Chinese or Latin letters (numbers and punctuation say little)."""
    return any(ch.isalpha() for ch in token)


def _word_score(word: str, known: Set[str], known_chars: Set[str]) -> float:
    """1 for a word of the training data; an unseen Chinese word made of familiar characters
    ("充了", "消费分析") earns up to half a point, an unseen Latin word nothing."""
    if word in known:
        return 1.0
    han = [ch for ch in word if "\u4e00" <= ch <= "\u9fff"]
    return 0.5 * sum(ch in known_chars for ch in han) / len(han) if han else 0.0


def vocabulary_coverage(
    tokens: List[Token], entity_spans: List[Tuple[int, int]], known: Set[str], known_chars: Set[str]
) -> float:
    """How familiar the message's words (outside entities) are to the training data, 0..1."""
    words = [
        t.text
        for t in tokens
        if _counts_as_word(t.text) and not any(s <= t.start and t.end <= e for s, e in entity_spans)
    ]
    if not words:
        return 1.0
    return sum(_word_score(w, known, known_chars) for w in words) / len(words)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class VocabularyCoverageGuard(PerMessageComponent):
    """Keeps DIET from guessing confidently on words it never saw ("咕噜咕噜嘎嘎" → 0.9 affirm).

    A softmax always sums to one, so a message of unknown words still gets a confident intent.
    When the message's vocabulary coverage (see ``vocabulary_coverage``) is below
    ``min_coverage``, every intent confidence is scaled by coverage / min_coverage, so the
    FallbackClassifier after this component falls back on strange words instead of guessing.
    Trainers labelling such a message add its words to the vocabulary.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"min_coverage": 0.5}

    def __init__(
        self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource, known: Optional[Set[str]] = None
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._known: Set[str] = set(known or ())
        self._known_chars: Set[str] = {ch for word in self._known for ch in word}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VocabularyCoverageGuard:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> VocabularyCoverageGuard:
        known = load_json(model_storage, resource, VOCABULARY_FILE, "no saved vocabulary in the model; guard off")
        return cls(config, model_storage, resource, set(known or ()))

    def train(self, training_data: TrainingData) -> Resource:
        self._known = {
            t.text for example in training_data.intent_examples for t in example.get(TOKENS_NAMES[TEXT]) or []
        }
        self._known_chars = {ch for word in self._known for ch in word}
        save_json(self._model_storage, self._resource, VOCABULARY_FILE, sorted(self._known))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process_message(self, message: Message) -> None:
        if not self._known:
            return
        spans = [(e["start"], e["end"]) for e in message.get(ENTITIES) or []]
        coverage = vocabulary_coverage(message.get(TOKENS_NAMES[TEXT]) or [], spans, self._known, self._known_chars)
        message.set(COVERAGE, round(coverage, 3), add_to_output=True)
        if coverage >= self._config["min_coverage"]:
            return
        factor = coverage / self._config["min_coverage"]
        intent = dict(message.get(INTENT) or {})
        if intent.get("confidence") is not None:
            intent["confidence"] = float(intent["confidence"]) * factor
            message.set(INTENT, intent, add_to_output=True)
        ranking = [
            {**r, "confidence": float(r.get("confidence") or 0.0) * factor}
            for r in message.get(INTENT_RANKING_KEY) or []
        ]
        if ranking:
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
