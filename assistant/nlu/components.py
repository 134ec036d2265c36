"""Rasa graph components for Chinese banking messages.

Pipeline order (config.yml):
  ChineseTextNormalizer → DomainJiebaTokenizer → featurizers → DIETClassifier
  → BankingEntityExtractor → FallbackClassifier

All text changes are length-preserving, so every span is a span of what the
customer wrote; the extractor puts the original text back at the end and adds
``normalized_text`` (what the model understood) to the parse result.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Set, Text, Tuple

import jieba
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
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


def normalize_for_nlu(text: str) -> str:
    """Same-length canonical form: half-width, simplified, 账 not 帐, homophones of domain words fixed."""
    return correct(normalize_same_length(text))[0]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class ChineseTextNormalizer(GraphComponent):
    """Normalizes the text before tokenizing; keeps the original for the parse result."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ChineseTextNormalizer":
        return cls()

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["zh"]

    def _normalize(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text:
            return
        if message.get(ORIGINAL_TEXT) is None:
            message.set(ORIGINAL_TEXT, text)
        message.set(TEXT, normalize_for_nlu(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize(message)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
class DomainJiebaTokenizer(Tokenizer):
    """jieba with the domain's words, split at entity boundaries, without filler words.

    The user dictionary (domain vocabulary, lookup tables and every annotated entity
    value of the training data) is saved with the model, so prediction tokenizes
    exactly as training did.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_", "token_pattern": None,
                "prefix_separator_symbol": None}

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["zh"]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["jieba"]

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 words: Optional[List[Tuple[str, int]]] = None) -> None:
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
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "DomainJiebaTokenizer":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "DomainJiebaTokenizer":
        words = None
        try:
            with model_storage.read_from(resource) as directory:
                words = [tuple(w) for w in json.loads((directory / DICTIONARY_FILE).read_text(encoding="utf-8"))]
        except (ValueError, FileNotFoundError):
            logger.warning("no saved user dictionary in the model; using the domain vocabulary only")
        return cls(config, model_storage, resource, words)

    def train(self, training_data: TrainingData) -> Resource:
        """Add annotated entity values and lookup-table entries to the dictionary, and save it."""
        words = dict(user_dictionary_words())
        for example in training_data.training_examples:
            text = example.get(TEXT) or ""
            for ent in example.get(ENTITIES) or []:
                span = text[ent["start"]:ent["end"]]
                if len(span) >= 2:
                    words.setdefault(span, 100000)
        for table in training_data.lookup_tables:
            for element in table.get("elements") or []:
                if isinstance(element, str) and len(element) >= 2:
                    words.setdefault(element, 100000)
        self._words = sorted(words.items())
        self._jieba = self._make_jieba(self._words)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / DICTIONARY_FILE).write_text(json.dumps(self._words, ensure_ascii=False), encoding="utf-8")
        return self._resource

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        boundaries = self._boundaries(message, text) if attribute == TEXT else set()
        fillers = filler_spans(text) if attribute == TEXT else []
        tokens: List[Token] = []
        for word, start, end in self._jieba.tokenize(text):
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
class BankingEntityExtractor(GraphComponent):
    """Entities with normalized values, decided with the predicted intent in view.

    Rule-found amount, account, time, category, product and payee entities; DIET's
    payee and product guesses are kept where no rule found anything.
    """

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "BankingEntityExtractor":
        return cls()

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["zh"]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process(message)
        return messages

    def _process(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = (message.get(INTENT) or {}).get("name")
        learned = [rules.Entity(e["start"], e["end"], e["entity"], text[e["start"]:e["end"]], e.get("extractor", "DIET"))
                   for e in message.get(ENTITIES) or [] if e.get("entity") in ("payee", "product")]
        found = rules.extract(text, intent, learned=learned)
        original = message.get(ORIGINAL_TEXT) or text
        message.set(ENTITIES, [e.to_rasa(original) for e in found], add_to_output=True)
        message.set(NORMALIZED_TEXT, text, add_to_output=True)
        message.set(TEXT, original)
