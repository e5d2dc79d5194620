"""Two worker processes on localhost train one epoch with MultiWorkerMirroredStrategy (TF_CONFIG)
and end with the same weights."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from model_helpers import make_corpus

from jazzgen.lm.dataset import make_windows
from jazzgen.lm.loop import Worker, run_folder, worker_from_env
from jazzgen.tokens.corpus import load_jazz_data

WORKER_SCRIPT = """
import sys
import numpy as np
from jazzgen.lm.config import ModelConfig, RunConfig, TrainConfig
from jazzgen.tokens.corpus import load_jazz_data
from jazzgen.lm.loop import fit

corpus, output, weights = sys.argv[1:4]
data = load_jazz_data(corpus)
model = ModelConfig(layers=2, units=32, embedding=16, dropout=0.1)
train = TrainConfig(seq_len=32, batch_size=8, epochs=1, strategy="multiworker")
result = fit(data, RunConfig(model, train, data.tokenizer), output, progress=False)
epoch = result.state.history[0]
np.savez(weights, *[v.numpy() for v in result.model.trainable_variables],
         tokens=np.array(round(epoch.tokens_per_second * epoch.seconds)))
"""


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_end_with_the_same_weights(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", solos=6)
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT)
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(2)]}
    processes = []
    for index in range(2):
        env = dict(
            os.environ,
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
            TF_CPP_MIN_LOG_LEVEL="2",
        )
        args = [
            sys.executable,
            str(script),
            str(corpus),
            str(tmp_path / "trained" / "m"),
            str(tmp_path / f"w{index}.npz"),
        ]
        processes.append(
            subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        )
    try:
        outputs = [p.communicate(timeout=180)[0] for p in processes]
    finally:
        for p in processes:
            p.kill()
    for p, output in zip(processes, outputs):
        assert p.returncode == 0, output[-3000:]
    first, second = np.load(tmp_path / "w0.npz"), np.load(tmp_path / "w1.npz")
    data = load_jazz_data(corpus)
    assert int(first["tokens"]) == make_windows(data.train, 32, 8).tokens  # each batch split, not repeated
    assert first.files == second.files
    for name in first.files:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
    assert (tmp_path / "trained" / "m.run" / "checkpoint.npz").is_file()
    assert (tmp_path / "trained" / ".m.worker-1.run" / "checkpoint.npz").is_file()


@pytest.mark.parametrize(
    "config, expected",
    [
        ("", Worker(0, 1, True)),
        (
            '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}',
            Worker(1, 2, False),
        ),
        (
            '{"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}',
            Worker(1, 2, False),
        ),
        (
            '{"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}',
            Worker(0, 2, True),
        ),
    ],
)
def test_worker_from_tf_config(monkeypatch, config, expected):
    monkeypatch.setenv("TF_CONFIG", config)
    assert worker_from_env() == expected


def test_each_worker_checkpoints_in_its_own_folder():
    assert run_folder(Path("trained/jazz"), Worker()) == Path("trained/jazz.run")
    assert run_folder(Path("trained/jazz"), Worker(2, 3, False)) == Path("trained/.jazz.worker-2.run")
