"""Runs `make train`'s publishing step for the trainer page: one job at a time, in its own
process (training must not slow the gateway), with its log kept for the page."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Dict, Optional

from assistant.base.clock import iso_utc, utcnow
from assistant.base.config import Settings
from assistant.desk.errors import Conflict
from assistant.ops.steps.processes import child_env, die_with_parent
from assistant.ops.training.publish import RESULT_FILE

LOG_TAIL_LINES = 30


class TrainingJobs:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.log_path = settings.data_dir / "logs" / "train.log"
        self._process: Optional[asyncio.subprocess.Process] = None
        self._started_at: Optional[str] = None
        self._started_by = ""
        self._forced = False

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self, by: str, force: bool = False) -> Dict[str, Any]:
        """Train, check and publish; ``force`` publishes even a model the accuracy check refused."""
        if self.running:
            raise Conflict("training_running", "已有训练任务在进行中，请等待它完成")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:  # the child keeps its own descriptor
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "assistant.ops.training.publish",
                *(["--force"] if force else []),
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
                env=child_env(self.settings),
                preexec_fn=die_with_parent,
            )
        self._started_at = iso_utc(utcnow())
        self._started_by = by
        self._forced = force
        return self.state()

    def last_result(self) -> Optional[Dict[str, Any]]:
        path = self.settings.models_dir / RESULT_FILE
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def state(self) -> Dict[str, Any]:
        if self._process is None:
            status = "idle"
        elif self._process.returncode is None:
            status = "running"
        else:
            status = {0: "published", 1: "refused"}.get(self._process.returncode, "failed")
        try:
            tail = self.log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        except OSError:
            tail = []
        return {
            "status": status,
            "started_at": self._started_at,
            "started_by": self._started_by,
            "forced": self._forced,
            "log": [line for line in tail if line.startswith("==>")] or tail[-5:],
            "result": self.last_result(),
        }

    async def stop(self) -> None:
        if self.running:
            assert self._process is not None
            self._process.terminate()
            await self._process.wait()
