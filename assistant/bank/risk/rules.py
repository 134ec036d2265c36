"""The risk rules: thresholds, outcomes and limits from a YAML file (``rules.yml`` beside this module,
or ``RISK_RULES_FILE``), validated into frozen dataclasses and reloaded without a restart.

Validation is strict because a typo in a risk threshold silently weakens the bank's protection:
every key is required, unknown keys and wrong types are refused with the key's path named.
``current_rules`` looks at the file's modification stamp at most once a second; a changed file is
loaded, and if the edit is broken the error is logged and the last good rules stay in force.
``Rules.version`` (a hash of the file's bytes) goes into every decision and the audit table."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Tuple, get_type_hints

import yaml

from assistant.bank.risk.types import AUTH_STRENGTHS

RULES_FILE_ENV = "RISK_RULES_FILE"
DEFAULT_RULES_FILE = Path(__file__).resolve().parent / "rules.yml"
RELOAD_INTERVAL_SECONDS = 1.0  # how often current_rules looks at the file at most
_clock = time.monotonic  # replaced in tests to step past the interval
OUTCOMES: Tuple[str, ...] = ("none", "code", "warn", "hold", "block")  # mildest first
REASON_CODES = frozenset(
    {
        "new_payee",
        "dormant_payee",
        "large_amount",
        "unusual_amount",
        "velocity",
        "night",
        "after_password_reset",
        "after_new_device",
        "after_payee_added",
        "drained_account",
        "scam_words",
    }
)

log = logging.getLogger(__name__)


class RulesError(ValueError):
    """The rules file cannot be used; the message names the file and the key."""


def outcome_rank(outcome: str) -> int:
    return OUTCOMES.index(outcome)


# ------------------------------------------------------------------ the rules' shape
@dataclass(frozen=True)
class Limit:
    per_transfer_cents: int
    daily_cents: int


@dataclass(frozen=True)
class Limits:
    password: Limit
    sms: Limit
    device_key: Limit

    def of(self, strength: str) -> Limit:
        """The limits of a strength (AUTH_STRENGTHS); an unknown one gets the weakest's."""
        return getattr(self, strength) if strength in AUTH_STRENGTHS else self.password


@dataclass(frozen=True)
class NewPayeeRule:
    enabled: bool
    outcome: str
    weight: int
    floor_cents: int


@dataclass(frozen=True)
class DormantPayeeRule:
    enabled: bool
    outcome: str
    weight: int
    days: int


@dataclass(frozen=True)
class LargeAmountRule:
    enabled: bool
    outcome: str
    weight: int
    from_cents: int


@dataclass(frozen=True)
class UnusualAmountRule:
    enabled: bool
    outcome: str
    weight: int
    multiple: float
    floor_cents: int
    min_history: int


@dataclass(frozen=True)
class VelocityRule:
    enabled: bool
    outcome: str
    weight: int
    floor_cents: int
    max_count_hour: int
    max_sum_hour_cents: int
    max_count_day: int
    max_sum_day_cents: int


@dataclass(frozen=True)
class NightRule:
    enabled: bool
    outcome: str
    weight: int
    from_hour: int
    to_hour: int
    floor_cents: int


@dataclass(frozen=True)
class SecurityChangeRule:
    enabled: bool
    outcome: str
    within_minutes: int
    floor_cents: int
    weight_password_reset: int
    weight_new_device: int
    weight_payee_added: int


@dataclass(frozen=True)
class DrainedAccountRule:
    enabled: bool
    outcome: str
    weight: int
    share: float
    floor_cents: int


@dataclass(frozen=True)
class ScamWordsRule:
    enabled: bool
    outcome: str
    weight: int
    within_hours: int
    hold_from_cents: int


@dataclass(frozen=True)
class Signals:
    new_payee: NewPayeeRule
    dormant_payee: DormantPayeeRule
    large_amount: LargeAmountRule
    unusual_amount: UnusualAmountRule
    velocity: VelocityRule
    night: NightRule
    after_security_change: SecurityChangeRule
    drained_account: DrainedAccountRule
    scam_words: ScamWordsRule


@dataclass(frozen=True)
class Escalation:
    warn_from_score: int
    hold_from_score: int
    hold_when: Tuple[Tuple[str, ...], ...]
    block_when: Tuple[Tuple[str, ...], ...]


@dataclass(frozen=True)
class Rules:
    limits: Limits
    signals: Signals
    escalation: Escalation
    # Not read from the file's keys: the hash of its bytes, and where it came from.
    version: str = field(default="", metadata={"derived": True})
    source: str = field(default="", metadata={"derived": True})


# ------------------------------------------------------------------ validation
_STR_TUPLES = Tuple[Tuple[str, ...], ...]


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _value(hint: Any, raw: Any, where: str) -> Any:
    """``raw`` checked against one field's type (and converted: lists to tuples, ints to floats)."""
    if dataclasses.is_dataclass(hint):
        return _build(hint, raw, where)  # type: ignore[arg-type]
    if hint is bool:
        if not isinstance(raw, bool):
            raise RulesError(f"{where}: expected true or false, got {_type_name(raw)} {raw!r}")
        return raw
    if hint is int:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise RulesError(f"{where}: expected an integer, got {_type_name(raw)} {raw!r}")
        return raw
    if hint is float:
        if not isinstance(raw, (int, float)) or isinstance(raw, bool) or not math.isfinite(raw):
            raise RulesError(f"{where}: expected a number, got {_type_name(raw)} {raw!r}")
        return float(raw)
    if hint is str:
        if not isinstance(raw, str):
            raise RulesError(f"{where}: expected a word, got {_type_name(raw)} {raw!r}")
        return raw
    if hint == _STR_TUPLES:
        if not isinstance(raw, list):
            raise RulesError(f"{where}: expected a list of lists of reason codes, got {_type_name(raw)}")
        groups = []
        for i, group in enumerate(raw):
            if not isinstance(group, list) or not group or not all(isinstance(c, str) for c in group):
                raise RulesError(f"{where}[{i}]: expected a non-empty list of reason codes, got {group!r}")
            groups.append(tuple(group))
        return tuple(groups)
    raise TypeError(f"{where}: no validator for {hint!r}")  # pragma: no cover - a programming error


def _build(cls: type, raw: Any, where: str) -> Any:
    """An instance of the dataclass ``cls`` from a mapping: every key required, none unknown."""
    if not isinstance(raw, Mapping):
        raise RulesError(f"{where or 'the file'}: expected a mapping of keys, got {_type_name(raw)}")
    hints = get_type_hints(cls)
    wanted = [f for f in dataclasses.fields(cls) if not f.metadata.get("derived")]
    names = {f.name for f in wanted}
    prefix = f"{where}." if where else ""
    unknown = sorted(str(k) for k in raw if k not in names)
    if unknown:
        raise RulesError(f"{prefix}{unknown[0]}: unknown key (known: {', '.join(sorted(names))})")
    missing = [f.name for f in wanted if f.name not in raw]
    if missing:
        raise RulesError(f"{prefix}{missing[0]}: missing")
    return cls(**{f.name: _value(hints[f.name], raw[f.name], prefix + f.name) for f in wanted})


def _check(rules: Rules) -> None:
    """Values that have the right type but make no sense."""
    for name in AUTH_STRENGTHS:
        limit = rules.limits.of(name)
        if not 0 < limit.per_transfer_cents <= limit.daily_cents:
            raise RulesError(f"limits.{name}: needs 0 < per_transfer_cents <= daily_cents")
    for weaker, stronger in zip(AUTH_STRENGTHS, AUTH_STRENGTHS[1:]):
        a, b = rules.limits.of(weaker), rules.limits.of(stronger)
        if b.per_transfer_cents < a.per_transfer_cents or b.daily_cents < a.daily_cents:
            raise RulesError(
                f"limits.{stronger}: must not be below limits.{weaker} (a stronger login never limits more)"
            )
    for signal in dataclasses.fields(rules.signals):
        rule = getattr(rules.signals, signal.name)
        where = f"signals.{signal.name}"
        if rule.outcome not in OUTCOMES:
            raise RulesError(f"{where}.outcome: {rule.outcome!r} is not one of {', '.join(OUTCOMES)}")
        for key, value in dataclasses.asdict(rule).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                raise RulesError(f"{where}.{key}: must not be negative, got {value}")
    night = rules.signals.night
    for key in ("from_hour", "to_hour"):
        if not 0 <= getattr(night, key) <= 23:
            raise RulesError(f"signals.night.{key}: must be an hour 0-23, got {getattr(night, key)}")
    if not 0 < rules.signals.drained_account.share <= 1:
        raise RulesError(f"signals.drained_account.share: must be in (0, 1], got {rules.signals.drained_account.share}")
    if rules.signals.unusual_amount.multiple < 1:
        raise RulesError("signals.unusual_amount.multiple: must be at least 1")
    if rules.signals.dormant_payee.days < 1:
        raise RulesError("signals.dormant_payee.days: must be at least 1")
    esc = rules.escalation
    if not 0 < esc.warn_from_score <= esc.hold_from_score:
        raise RulesError("escalation: needs 0 < warn_from_score <= hold_from_score")
    for key in ("hold_when", "block_when"):
        for i, group in enumerate(getattr(esc, key)):
            bad = [c for c in group if c not in REASON_CODES]
            if bad:
                raise RulesError(f"escalation.{key}[{i}]: unknown reason code {bad[0]!r}")


def parse_rules(text: str, source: str = "<text>") -> Rules:
    """Rules from the YAML ``text``; RulesError names ``source`` and the key at fault."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"{source}: not valid YAML: {exc}") from exc
    try:
        rules = _build(Rules, raw, "")
        _check(rules)
    except RulesError as exc:
        raise RulesError(f"{source}: {exc}") from None
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return dataclasses.replace(rules, version=version, source=source)


def load_rules(path: Path) -> Rules:
    """The validated rules of the file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot be read: {exc}") from exc
    return parse_rules(text, str(path))


# ------------------------------------------------------------------ the rules in force
def rules_path() -> Path:
    return Path(os.environ.get(RULES_FILE_ENV, "").strip() or DEFAULT_RULES_FILE)


@dataclass
class _Loaded:
    path: Optional[Path] = None
    stamp: Optional[Tuple[int, int, int]] = None
    rules: Optional[Rules] = None
    checked_at: float = -math.inf
    refused_stamp: Optional[Tuple[int, int, int]] = None  # a broken edit already logged


_loaded = _Loaded()
_lock = threading.Lock()


def _stamp(path: Path) -> Tuple[int, int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def current_rules() -> Rules:
    """The rules in force: cached, re-read when the file changed (looked at once a second at most).
    A broken or missing file keeps the last good rules of the same path (logged once per change);
    with no good rules yet, the error is raised."""
    path = rules_path()
    now = _clock()
    with _lock:
        state = _loaded
        same_file = state.rules is not None and state.path == path
        if same_file and now - state.checked_at < RELOAD_INTERVAL_SECONDS:
            return state.rules  # type: ignore[return-value]
        state.checked_at = now
        try:
            stamp = _stamp(path)
            if same_file and stamp == state.stamp:
                return state.rules  # type: ignore[return-value]
            rules = load_rules(path)
        except (OSError, RulesError) as exc:
            if not same_file:
                if isinstance(exc, OSError):
                    raise RulesError(f"{path}: {exc}") from exc
                raise
            failed = _stamp_or_none(path)
            if failed != state.refused_stamp:
                state.refused_stamp = failed
                log.error("risk rules not reloaded, keeping version %s: %s", state.rules.version, exc)  # type: ignore[union-attr]
            return state.rules  # type: ignore[return-value]
        if state.rules is not None:
            log.warning("risk rules reloaded from %s: version %s → %s", path, state.rules.version, rules.version)
        state.path, state.stamp, state.rules, state.refused_stamp = path, stamp, rules, None
        return rules


def _stamp_or_none(path: Path) -> Optional[Tuple[int, int, int]]:
    try:
        return _stamp(path)
    except OSError:
        return None


def forget_rules() -> None:
    """Drop the cached rules (tests; a new RISK_RULES_FILE is picked up anyway)."""
    global _loaded
    with _lock:
        _loaded = _Loaded()


__all__ = [
    "DEFAULT_RULES_FILE",
    "OUTCOMES",
    "REASON_CODES",
    "RELOAD_INTERVAL_SECONDS",
    "RULES_FILE_ENV",
    "Escalation",
    "Limit",
    "Limits",
    "Rules",
    "RulesError",
    "Signals",
    "current_rules",
    "forget_rules",
    "load_rules",
    "outcome_rank",
    "parse_rules",
    "rules_path",
]
