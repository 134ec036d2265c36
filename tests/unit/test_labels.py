"""A trainer's label lands in nlu_data/ as Rasa YAML, once, checked by the real `rasa data validate`."""

import shutil
from pathlib import Path

import pytest

from assistant.base.config import Settings
from assistant.desk.errors import Conflict, DeskError
from assistant.ops.training import labels
from assistant.ops.training.labels import EntitySpan, add_label, annotate
from assistant.ops.training.nlu_files import examples_in, known_examples

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def workspace(tmp_path) -> Settings:
    for name in ("config.yml", "domain.yml"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "nlu_data", tmp_path / "nlu_data")
    return Settings.from_env({"TRAINING_DIR": str(tmp_path), "ASSISTANT_DATA_DIR": str(tmp_path / "data")})


def test_annotate_marks_each_entity_once():
    assert (
        annotate("给李四转五百", [EntitySpan("payee", "李四"), EntitySpan("amount", "五百")])
        == "给[李四](payee)转[五百](amount)"
    )
    assert (
        annotate("一百加一百", [EntitySpan("amount", "一百"), EntitySpan("amount", "一百")])
        == "[一百](amount)加[一百](amount)"
    )
    with pytest.raises(DeskError):
        annotate("查余额", [EntitySpan("payee", "李四")])


def test_a_label_is_written_once_and_validated(workspace):
    result = add_label(workspace, "兜里还剩几个钢镚", "check_balance")
    assert result.added and result.file == workspace.nlu_data_dir / "nlu" / "trainer_labels.yml"
    assert ("check_balance", "兜里还剩几个钢镚") in list(examples_in(result.file))
    again = add_label(workspace, "兜里还剩几个钢镚", "check_balance")
    assert not again.added and list(examples_in(result.file)).count(("check_balance", "兜里还剩几个钢镚")) == 1
    add_label(workspace, "帮我给李四打两百块", "transfer_money", [EntitySpan("payee", "李四")])
    assert known_examples(workspace.nlu_data_dir)["帮我给李四打两百块"] == "transfer_money"
    assert ("transfer_money", "帮我给[李四](payee)打两百块") in list(examples_in(result.file))


def test_conflicting_heldout_and_malformed_labels_are_refused(workspace):
    with pytest.raises(Conflict):
        add_label(workspace, "转人工", "check_balance")  # already a human_agent example
    heldout = next(text for _, text in examples_in(REPO / "tests" / "nlu" / "nlu_heldout.yml") if "[" not in text)
    with pytest.raises(Conflict):
        add_label(workspace, heldout, "check_balance")
    for text, intent in (("查查余额吧", "no_such_intent"), ("查[余额]", "check_balance"), ("  ", "check_balance")):
        with pytest.raises(DeskError):
            add_label(workspace, text, intent)
    with pytest.raises(DeskError):
        add_label(workspace, "给李四转钱", "transfer_money", [EntitySpan("nobody", "李四")])
    assert not (workspace.nlu_data_dir / "nlu" / "trainer_labels.yml").exists()


def test_a_label_that_fails_validation_leaves_the_files_as_they_were(workspace, monkeypatch):
    add_label(workspace, "兜里还剩几个钢镚", "check_balance")
    path = workspace.nlu_data_dir / "nlu" / "trainer_labels.yml"
    before = path.read_text(encoding="utf-8")

    def refuse(_settings):
        raise DeskError("validation_failed", "训练数据校验未通过")

    monkeypatch.setattr(labels, "validate_training_data", refuse)
    with pytest.raises(DeskError):
        add_label(workspace, "钱包里还有多少米", "check_balance")
    assert path.read_text(encoding="utf-8") == before
