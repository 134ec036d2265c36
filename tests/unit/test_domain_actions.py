"""Every custom action the domain names is registered by the action server, and nothing else is."""

from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

REPO = Path(__file__).resolve().parents[2]


def test_domain_actions_match_the_action_server():
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    executor = ActionExecutor()
    executor.register_package("actions")
    registered = set(executor.actions)
    wanted = {a for a in domain["actions"] if not a.startswith("utter_")}
    assert wanted - registered == set(), "named in domain.yml but not implemented"
    assert registered - wanted == set(), "implemented but missing from domain.yml"


def test_every_form_slot_can_be_asked_for():
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    askers = set(domain["actions"]) | set(domain["responses"])
    for form in domain["forms"].values():
        for slot in form["required_slots"]:
            assert f"action_ask_{slot}" in askers or f"utter_ask_{slot}" in askers, slot
