"""Benchmark: POST /model/parse latency (p50/p99 over 1,000 requests, one client) and training time.

    .venv/bin/python -m bench.nlu_parse            # parse latency against a Rasa server it starts
    .venv/bin/python -m bench.nlu_parse --train    # also time a full `rasa train --force`

Targets (2 CPU cores): p50 ≤ 25 ms, p99 ≤ 40 ms; full training ≤ 5 minutes.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.base.config import REPO_ROOT, Settings
from assistant.ops.steps.model import model_path
from assistant.ops.steps.processes import child_env, venv_bin
from bench.common import KeepAliveClient, summary
from tests.support.stack import free_port

UTTERANCES = [
    "呃那个帮我看一下卡里还有多少钱",
    "给我老婆转两千五",
    "昨天打车花了二十八块五",
    "理材产品有哪些",
    "给张三转五百",
    "转六万给王芳",
    "今天午饭花了三十五",
    "这个月餐饮花了多少",
    "信用卡这期账单多少",
    "我的卡丢了",
    "转人工",
    "上个月的流水",
    "尾号1024还有多少钱",
    "怎么交电费",
    "你好",
    "确认",
    "算了",
    "今天发工资八千",
    "还信用卡最低还款",
    "信用卡额度多少",
    "我想买大额存单",
    "给我妈转一万二块钱",
    "转1.5万给欧阳娜娜",
    "帮我订一张机票",
    # as real customers write: questions, problem reports, other institutions' products
    "转账多久到账",
    "我昨天给我妈转的钱怎么还没到",
    "借呗额度多少",
    "卡被冻结了",
    "能帮家里人还信用卡吗",
    "5/12 09:30转的2000元没到",
    "公积金余额多少",
    "注销银行卡要去网点吗",
]


def wait_ready(port: int, proc: subprocess.Popen, timeout_s: float = 180) -> None:
    client = KeepAliveClient("127.0.0.1", port)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("rasa server exited")
        try:
            client.post_json("/model/parse", {"text": "你好"})
            client.close()
            return
        except (OSError, RuntimeError):
            time.sleep(1)
            client = KeepAliveClient("127.0.0.1", port)
    raise RuntimeError("rasa server did not become ready")


def bench_parse(model: Path, requests: int) -> None:
    port = free_port()
    settings = Settings.from_env()
    with tempfile.NamedTemporaryFile(prefix="bench-rasa-", suffix=".log", delete=False) as log:  # kept for a look
        proc = subprocess.Popen(
            [venv_bin("rasa"), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(port), "-m", str(model)],
            cwd=REPO_ROOT,
            env=child_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        started = time.monotonic()
        wait_ready(port, proc)
        print(f"rasa server ready in {time.monotonic() - started:.1f}s (model {model.name})")
        client = KeepAliveClient("127.0.0.1", port)
        rng = random.Random(7)
        for _ in range(50):  # warm-up
            client.post_json("/model/parse", {"text": rng.choice(UTTERANCES)})
        samples = []
        for _ in range(requests):
            text = rng.choice(UTTERANCES)
            t0 = time.perf_counter()
            client.post_json("/model/parse", {"text": text})
            samples.append((time.perf_counter() - t0) * 1000)
        client.close()
        s = summary(samples)
        print(
            f"POST /model/parse  n={s['n']}  p50={s['p50_ms']:.1f} ms  p99={s['p99_ms']:.1f} ms  "
            f"mean={s['mean_ms']:.1f} ms  max={s['max_ms']:.1f} ms  ({s['qps']:.0f} req/s, one client)"
        )
        print(
            f"targets: p50 ≤ 25 ms {'OK' if s['p50_ms'] <= 25 else 'MISSED'}, "
            f"p99 ≤ 40 ms {'OK' if s['p99_ms'] <= 40 else 'MISSED'}"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.unlink(log.name)


def bench_training() -> None:
    settings = Settings.from_env()
    with tempfile.TemporaryDirectory() as out:
        t0 = time.monotonic()
        result = subprocess.run(
            [
                venv_bin("rasa"),
                "train",
                "--force",
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "nlu_data",
                "--out",
                out,
                "--fixed-model-name",
                "bench",
            ],
            cwd=REPO_ROOT,
            env=child_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        elapsed = time.monotonic() - t0
    if result.returncode != 0:
        raise RuntimeError("training failed")
    print(f"full training (rasa train --force): {elapsed:.0f} s  target ≤ 300 s {'OK' if elapsed <= 300 else 'MISSED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--train", action="store_true", help="also time a full training run")
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    model = args.model or model_path(Settings.from_env())
    if not model.exists():
        print(f"no model at {model}: run `make train` first", file=sys.stderr)
        return 2
    print(f"machine: {os.cpu_count()} CPU cores")
    bench_parse(model, args.requests)
    if args.train:
        bench_training()
    return 0


if __name__ == "__main__":
    sys.exit(main())
