"""ActGate: a task starts only on a request to act; questions get answers, problems get help.

DIET is confidently wrong on messages shaped unlike its training data (most wrong readings of real
customers' questions scored ≥ 0.9). This component checks the model's reading against a second,
independent signal — the form of the message and the things it names (``assistant.nlu.speech_act``) —
and re-routes readings that do not agree:

- a task intent (transfer, repayment, card loss, bookkeeping) that is not a request becomes
  ``ask_question`` or ``report_problem`` (``unclear`` requests become a question the bot answers by asking);
- a reading of the customer's own data about something else ("公积金余额", "大额存单额度") becomes
  ``ask_question``; one about another institution's product ("借呗额度") becomes ``other_institution``;
- a reading of own data phrased as a problem ("余额不对") becomes ``report_problem``;
- a conversational reading the words do not support — another institution that is not named, a
  complaint without a complaint word, a question read as a bare detail or a yes — is answered as the
  question (or problem) it is.

The re-routed reading gets the model's confidence in both readings, so the fallback threshold still
applies to how sure the model is of the topic; the parse result
carries ``act`` (form, reason, the reading it replaced) for the actions, the logs and the trainers.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from assistant.nlu import speech_act
from assistant.nlu.components import PerMessageComponent

ACT = "act"
TASK_INTENTS = speech_act.TASK_INTENTS
READ_INTENTS = frozenset(
    {"check_balance", "query_credit_limit", "query_credit_card_bill", "query_transactions", "spending_summary"}
)
# Conversational readings that stand when the words are a plain statement, supported or not.
CONVERSATION_INTENTS = frozenset({"complaint", "human_agent"})
# Readings whose words may name another institution's product and mean it.
TOPIC_INTENTS = TASK_INTENTS | READ_INTENTS | {"find_service", "ask_question", "report_problem"}


def decide(
    intent: str, text: str, entities: List[Dict[str, Any]], config: Dict[str, Any]
) -> Tuple[str, Dict[str, Any]]:
    """The intent to act on, and why (``act`` as it goes into the parse result)."""
    form = speech_act.reads_as(text)
    act: Dict[str, Any] = {**form.to_json(), "model_intent": intent}

    def answer(reason: str) -> Tuple[str, Dict[str, Any]]:
        """Answer the question, or help with the problem, the message is."""
        target = config["problem_intent"] if form.kind == speech_act.PROBLEM else config["question_intent"]
        return target, {**act, "reason": reason}

    if intent in TOPIC_INTENTS | {"inform", "complaint"} and speech_act.is_fraud(text):
        # A scam story never starts a task, whatever the model read: it gets the fraud help.
        return config["problem_intent"], {**act, "kind": speech_act.PROBLEM, "reason": "scam words"}
    if intent in TOPIC_INTENTS:
        other = speech_act.foreign(text)
        if other is not None and not (intent == "find_service" and other.nearest):
            # (Looking for our own service for another institution's thing — 社保查询, 快捷支付 — is fine.)
            return config["foreign_intent"], {**act, "reason": f"about {other.key}", "institution": other.key}
    if intent in ("ask_question", "find_service", "inform") and speech_act.is_unknown_debit(text):
        return config["problem_intent"], {**act, "kind": speech_act.PROBLEM, "reason": "an unknown debit to look into"}
    if (
        intent in ("ask_question", "find_service", "report_problem")
        and speech_act.is_complaint(text)
        and not speech_act.is_question(text)
    ):
        return "complaint", {**act, "reason": "complaint words"}
    unsupported = speech_act.unsupported(intent, text)
    if unsupported is not None and intent == config["problem_intent"] and speech_act.is_complaint(text):
        return "complaint", {**act, "reason": "a complaint, not a problem to solve"}
    if unsupported is not None:
        if form.kind == speech_act.REQUEST and intent in CONVERSATION_INTENTS:
            return intent, act  # nothing better to go on
        return answer(unsupported)
    if intent in TASK_INTENTS:
        task = speech_act.task_act(intent, text, entities)
        act = {**task.to_json(), "model_intent": intent}
        if task.kind == speech_act.REQUEST:
            return intent, act
        if task.kind == speech_act.BILL:
            return "query_credit_card_bill", act
        if task.kind == speech_act.SERVICE:
            return "find_service", act
        return (config["problem_intent"] if task.kind == speech_act.PROBLEM else config["question_intent"]), act
    if intent in READ_INTENTS:
        mismatch = speech_act.read_mismatch(intent, text)
        if mismatch:
            return config["question_intent"], {**act, "kind": speech_act.QUESTION, "reason": mismatch}
        if form.kind == speech_act.PROBLEM:
            return config["problem_intent"], act
    return intent, act


ANSWER_FAMILY = frozenset({"ask_question", "find_service"})


def merge_answer_family(
    intent: Dict[str, Any], ranking: List[Dict[str, Any]]
) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """ask_question and find_service are both answered from the knowledge base (one prefers FAQ
    entries, the other pages): when they are the top two, their confidences add up, so the fallback's
    ambiguity check does not ask the customer to choose between two ways of getting the same answer."""
    if len(ranking) < 2 or {ranking[0].get("name"), ranking[1].get("name")} != ANSWER_FAMILY:
        return intent, ranking
    total = float(ranking[0].get("confidence") or 0.0) + float(ranking[1].get("confidence") or 0.0)
    merged = [{**ranking[0], "confidence": total}, *ranking[2:]]
    return {**intent, "confidence": total}, merged


def swap_ranking(ranking: List[Dict[str, Any]], old: str, new: str, confidence: float) -> List[Dict[str, Any]]:
    """The ranking once ``old`` is ruled out in favour of ``new``: both readings' probability is now
    ``new``'s (the model was sure of the topic, the words say what the customer wants done with it),
    and ``old`` drops to the bottom."""
    had = next((float(r.get("confidence") or 0.0) for r in ranking if r.get("name") == new), 0.0)
    rest = [r for r in ranking if r.get("name") not in (old, new)]
    return [{"name": new, "confidence": min(1.0, confidence + had)}, *rest, {"name": old, "confidence": 0.0}]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ActGate(PerMessageComponent):
    """Re-routes readings the message's form and words do not support (see the module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Intent for questions about a task, a product or a rule (answered from the knowledge base).
            "question_intent": "ask_question",
            # Intent for reports that something went wrong (help, self-service, a person).
            "problem_intent": "report_problem",
            # Intent for other institutions' products and accounts (an honest "not ours").
            "foreign_intent": "other_institution",
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        self._config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ActGate:
        return cls(config)

    def process_message(self, message: Message) -> None:
        intent = dict(message.get(INTENT) or {})
        name, text = intent.get("name"), message.get(TEXT)
        if not name or not isinstance(text, str):
            return
        chosen, act = decide(name, text, message.get(ENTITIES) or [], self._config)
        message.set(ACT, act, add_to_output=True)
        if chosen == name:
            if name in ANSWER_FAMILY and message.get(INTENT_RANKING_KEY):
                merged, ranking = merge_answer_family(intent, message.get(INTENT_RANKING_KEY))
                message.set(INTENT, merged, add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            return
        ranking = swap_ranking(
            message.get(INTENT_RANKING_KEY) or [], name, chosen, float(intent.get("confidence") or 0.0)
        )
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
