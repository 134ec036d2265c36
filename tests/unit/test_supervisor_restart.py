"""A Rasa server that dies is started again — even right after the stack came up — with the model that
is live now; one that dies again right after being started again stops the stack (a crash loop)."""

from __future__ import annotations

import time
from pathlib import Path

from assistant.base.config import Settings
from assistant.ops.stack.supervisor import Service, Supervisor, rasa_command


def test_a_dead_rasa_server_is_started_again_with_the_live_model_once_per_crash_loop(tmp_path: Path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "model-old.tar.gz").write_bytes(b"old")
    (models / "model-new.tar.gz").write_bytes(b"new")
    (models / "LIVE").write_text("model-new.tar.gz")  # a publish happened since the stack started
    settings = Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path / "data"), "RASA_MODELS_DIR": str(models)})
    rasa = Service("rasa-0", rasa_command(settings, 5005, models / "model-old.tar.gz"), tmp_path / "rasa-0.log")
    gateway = Service("gateway", ["python", "-m", "assistant.gateway"], tmp_path / "gateway.log")
    supervisor = Supervisor(settings, [rasa, gateway])
    spawned = []

    def spawn(svc: Service) -> None:  # stands in for starting the process (as _spawn does, it stamps the start)
        spawned.append(list(svc.cmd))
        svc.started_at = time.monotonic()

    monkeypatch.setattr(supervisor, "_spawn", spawn)

    assert supervisor.restart_rasa(rasa)  # died seconds after the stack started: still started again
    assert spawned and spawned[0][spawned[0].index("-m", 3) + 1] == str(models / "model-new.tar.gz")
    assert not supervisor.restart_rasa(rasa)  # died again right after: the stack stops instead
    assert not supervisor.restart_rasa(gateway)  # only Rasa servers are started again


def test_the_serving_processes_get_one_compute_thread_unless_told_otherwise(monkeypatch, tmp_path):
    """The stack's processes answer one request at a time each; training (child_env) keeps its threads."""
    from assistant.base.config import Settings
    from assistant.ops.steps.processes import child_env, serving_env

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.delenv("TF_INTRA_OP_PARALLELISM_THREADS", raising=False)
    settings = Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)})
    served = serving_env(settings)
    assert served["TF_INTRA_OP_PARALLELISM_THREADS"] == "1" and served["MALLOC_ARENA_MAX"] == "2"
    assert served["OMP_NUM_THREADS"] == "3"  # set by whoever runs the stack: kept
    assert "TF_INTRA_OP_PARALLELISM_THREADS" not in child_env(settings)
