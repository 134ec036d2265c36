"""The publishing gate: a model that loses more than one point of intent accuracy stays out."""

import json

import pytest

from assistant.base.config import Settings
from assistant.ops.steps.model import model_path
from assistant.ops.training import candidate as candidate_step
from assistant.ops.training.gate import gate
from assistant.ops.training.heldout import eval_file
from assistant.ops.training.live import LIVE_FILE


def test_gate_allows_at_most_one_point_of_accuracy_loss():
    assert gate(0.97, None).accepted
    assert gate(0.970, 0.978).accepted  # 0.8 points
    assert gate(0.968, 0.978).accepted  # exactly one point
    refused = gate(0.960, 0.978)
    assert not refused.accepted and "1.8 points" in refused.reason
    assert gate(0.99, 0.978).accepted


@pytest.mark.parametrize("candidate_accuracy, published", [(0.975, True), (0.90, False)])
def test_a_candidate_worse_than_the_live_model_stays_out(tmp_path, monkeypatch, candidate_accuracy, published):
    settings = Settings.from_env(
        {
            "RASA_MODELS_DIR": str(tmp_path),
            "RASA_PORT": "9",  # nothing listens on 9
            "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        }
    )
    live = tmp_path / "model-live.tar.gz"
    live.write_bytes(b"live")
    eval_file(live).write_text(json.dumps({"intent_accuracy": 0.978}))
    (tmp_path / LIVE_FILE).write_text(live.name)
    candidate = model_path(settings)

    calls = []

    def fake_training(_settings, target, finetune_from=None, epoch_fraction=1.0):  # stands in for `rasa train`
        calls.append(finetune_from)
        target.write_bytes(b"candidate")
        eval_file(target).write_text(json.dumps({"intent_accuracy": candidate_accuracy}))

    monkeypatch.setattr(candidate_step, "train_model", fake_training)
    served = candidate_step.bring_model_live(settings)
    assert calls == [live]  # the live model is fine-tuned, not replaced by a model from scratch
    assert served == (candidate if published else live)
    assert (tmp_path / LIVE_FILE).read_text() == served.name
    assert candidate_step.refused_path(settings, candidate).exists() != published
    if not published:  # a person who reviewed the refusal can publish it as it is
        assert candidate_step.bring_model_live(settings, force=True) == candidate
        assert (tmp_path / LIVE_FILE).read_text() == candidate.name and candidate.read_bytes() == b"candidate"


def test_a_model_that_cannot_be_fine_tuned_is_trained_from_scratch(tmp_path, monkeypatch):
    settings = Settings.from_env(
        {"RASA_MODELS_DIR": str(tmp_path), "RASA_PORT": "9", "ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    )
    live = tmp_path / "model-live.tar.gz"
    calls = []

    def fake_training(_settings, target, finetune_from=None, epoch_fraction=1.0):
        calls.append(finetune_from)
        if finetune_from is not None:
            raise RuntimeError("rasa train failed (exit 1)")  # what a changed domain does to --finetune
        target.write_bytes(b"scratch")

    monkeypatch.setattr(candidate_step, "train_model", fake_training)
    target = tmp_path / "model-new.tar.gz"
    candidate_step.train_candidate(settings, target, live, full=False)
    assert calls == [live, None] and target.read_bytes() == b"scratch"
    candidate_step.train_candidate(settings, target, live, full=True)
    assert calls[-1] is None


def write_trainer_labels(training_dir, text: str, intent: str) -> None:
    path = training_dir / "nlu_data" / "nlu" / "trainer_labels.yml"
    path.parent.mkdir(parents=True)
    path.write_text(f'version: "3.1"\nnlu:\n  - intent: {intent}\n    examples: |\n      - {text}\n', encoding="utf-8")


def test_the_taught_examples_are_the_trainer_labels_as_plain_text(tmp_path):
    from assistant.ops.training.taught import taught_examples

    settings = Settings.from_env({"TRAINING_DIR": str(tmp_path)})
    assert taught_examples(settings) == []
    write_trainer_labels(tmp_path, '给[李四](payee)转[五百]{"entity": "amount", "value": 500}', "transfer_money")
    assert taught_examples(settings) == [("给李四转五百", "transfer_money")]


@pytest.mark.parametrize("learnt_by_fine_tuning", [True, False])
def test_a_fine_tune_that_misreads_a_trainer_label_is_redone_from_scratch(tmp_path, monkeypatch, learnt_by_fine_tuning):
    settings = Settings.from_env(
        {
            "RASA_MODELS_DIR": str(tmp_path),
            "RASA_PORT": "9",
            "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
            "TRAINING_DIR": str(tmp_path),
        }
    )
    write_trainer_labels(tmp_path, "瞅瞅俺滴票子", "check_balance")
    live = tmp_path / "model-live.tar.gz"
    calls, checked = [], []

    def fake_training(_settings, target, finetune_from=None, epoch_fraction=1.0):
        calls.append(finetune_from)
        target.write_bytes(b"fine-tuned" if finetune_from else b"scratch")

    def fake_check(model, taught):  # stands in for parsing the taught examples with the model
        checked.append((model.read_bytes(), taught))
        return [] if learnt_by_fine_tuning else list(taught)

    monkeypatch.setattr(candidate_step, "train_model", fake_training)
    monkeypatch.setattr(candidate_step, "not_learnt", fake_check)
    target = tmp_path / "model-new.tar.gz"
    candidate_step.train_candidate(settings, target, live, full=False)
    assert checked == [(b"fine-tuned", [("瞅瞅俺滴票子", "check_balance")])]
    assert calls == ([live] if learnt_by_fine_tuning else [live, None])
    assert target.read_bytes() == (b"fine-tuned" if learnt_by_fine_tuning else b"scratch")
