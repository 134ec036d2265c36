"""The risk rules file: strict validation naming the key at fault, and reload without a restart —
a changed file is picked up within a second, a broken edit keeps the last good rules."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterator, List

import pytest

from assistant.bank.risk import rules as rules_module
from assistant.bank.risk.engine import decide
from assistant.bank.risk.rules import (
    DEFAULT_RULES_FILE,
    RULES_FILE_ENV,
    RulesError,
    current_rules,
    forget_rules,
    load_rules,
    parse_rules,
)
from assistant.bank.risk.types import RiskContext

DEFAULT_TEXT = DEFAULT_RULES_FILE.read_text(encoding="utf-8")
NEW_PAYEE = RiskContext(
    customer_id="c1", kind="transfer", amount_cents=100_000, payee_new=True, balance_cents=5_000_000
)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    forget_rules()
    yield
    forget_rules()


class FakeClock:
    """Monotonic seconds the test moves by hand (the reload looks at the file once a second)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(rules_module, "_clock", fake)
    return fake


@pytest.fixture
def rules_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(DEFAULT_TEXT, encoding="utf-8")
    monkeypatch.setenv(RULES_FILE_ENV, str(path))
    return path


def edit(path: Path, old: str, new: str, bump: int = 1) -> None:
    """Replace text in the file and move its modification time on (no reliance on timer resolution)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    stat = path.stat()
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


# ------------------------------------------------------------------ validation
def test_the_shipped_rules_load() -> None:
    rules = load_rules(DEFAULT_RULES_FILE)
    assert rules.limits.password.per_transfer_cents == 500_000 and rules.limits.device_key.daily_cents == 50_000_000
    assert rules.signals.night.from_hour == 0 and rules.signals.night.to_hour == 5
    assert rules.signals.drained_account.share == 0.8
    assert ("scam_words", "drained_account", "new_payee", "night") in rules.escalation.block_when
    assert len(rules.version) == 12 and rules.version == parse_rules(DEFAULT_TEXT).version
    assert parse_rules(DEFAULT_TEXT + "\n# a comment\n").version != rules.version


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    from_hour: 0\n", "    from_hour: 0\n    form_hour: 1\n", "signals.night.form_hour: unknown key"),
        ("    from_hour: 0\n", "    from_hour: midnight\n", "signals.night.from_hour: expected an integer, got str"),
        ("    from_hour: 0\n", "    from_hour: true\n", "signals.night.from_hour: expected an integer, got bool"),
        ("    from_hour: 0\n", "    from_hour: 24\n", "signals.night.from_hour: must be an hour 0-23"),
        ("    from_hour: 0\n", "", "signals.night.from_hour: missing"),
        ("    share: 0.8\n", "    share: most\n", "signals.drained_account.share: expected a number"),
        ("    share: 0.8\n", "    share: 1.5\n", "signals.drained_account.share: must be in (0, 1]"),
        ("  new_payee:               # never", "  new_payees:              # never", "signals.new_payees: unknown key"),
        ("    outcome: warn\n", "    outcome: panic\n", "signals.scam_words.outcome: 'panic' is not one of"),
        ("    outcome: warn\n", "    outcome: [warn]\n", "signals.scam_words.outcome: expected a word, got list"),
        ("    enabled: true\n", "    enabled: yes please\n", "signals.new_payee.enabled: expected true or false"),
        ("    weight: 2\n", "    weight: -2\n", "must not be negative"),
        (
            "    per_transfer_cents: 5_000_000    # ¥50,000",
            "    per_transfer_cents: 400_000",
            "limits.sms: must not be below limits.password",
        ),
        (
            "    - [scam_words, new_payee, unusual_amount]",
            "    - [scam_words, new_payees]",
            "escalation.hold_when[0]: unknown reason code 'new_payees'",
        ),
        ("  warn_from_score: 4", "  warn_from_score: 9", "escalation: needs 0 < warn_from_score <= hold_from_score"),
        ("limits:\n", "limitz:\n", "limitz: unknown key"),
    ],
)
def test_a_bad_value_is_refused_naming_its_key(old: str, new: str, message: str) -> None:
    assert old in DEFAULT_TEXT, old
    with pytest.raises(RulesError) as refused:
        parse_rules(DEFAULT_TEXT.replace(old, new, 1), "rules.yml")
    assert str(refused.value).startswith("rules.yml: ") and message in str(refused.value)


def test_broken_yaml_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="not valid YAML"):
        parse_rules("limits: [unclosed", "x.yml")
    with pytest.raises(RulesError, match="expected a mapping"):
        parse_rules("- a list", "x.yml")
    with pytest.raises(RulesError, match="cannot be read"):
        load_rules(tmp_path / "absent.yml")


# ------------------------------------------------------------------ reload without restart
def test_an_edit_changes_the_next_decision_without_a_restart(rules_file: Path, clock: FakeClock) -> None:
    before = decide(NEW_PAYEE)
    assert before.action == "step_up" and before.rules_version == current_rules().version

    edit(
        rules_file,
        "    outcome: code\n    weight: 1\n    floor_cents: 0\n",
        "    outcome: none\n    weight: 1\n    floor_cents: 0\n",
    )
    assert decide(NEW_PAYEE).action == "step_up"  # looked at less than a second ago: not yet
    clock.now += 1.5
    after = decide(NEW_PAYEE)
    assert after.action == "allow" and after.rules_version != before.rules_version


def test_a_broken_edit_keeps_the_last_good_rules_and_is_logged_once(
    rules_file: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    good = current_rules()
    edit(rules_file, "    from_hour: 0\n", "    from_hour: midnight\n")
    clock.now += 1.5
    with caplog.at_level(logging.ERROR, logger="assistant.bank.risk.rules"):
        assert current_rules() is good
        clock.now += 1.5
        assert current_rules() is good
    errors: List[str] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "signals.night.from_hour" in errors[0] and good.version in errors[0]
    assert decide(NEW_PAYEE).action == "step_up"

    edit(rules_file, "    from_hour: midnight\n", "    from_hour: 1\n", bump=2)  # fixed
    clock.now += 1.5
    fixed = current_rules()
    assert fixed.signals.night.from_hour == 1 and fixed.version != good.version


def test_a_deleted_file_keeps_the_last_good_rules(rules_file: Path, clock: FakeClock) -> None:
    good = current_rules()
    rules_file.unlink()
    clock.now += 1.5
    assert current_rules() is good


def test_without_good_rules_the_error_is_raised(rules_file: Path, clock: FakeClock) -> None:
    rules_file.write_text("limits: {}\n", encoding="utf-8")
    with pytest.raises(RulesError, match="rules.yml: signals: missing"):
        current_rules()


def test_the_default_file_is_used_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RULES_FILE_ENV, raising=False)
    assert current_rules().source == str(DEFAULT_RULES_FILE)
