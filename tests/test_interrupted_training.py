"""A training run killed with SIGKILL in the middle of an epoch resumes from its last checkpoint
into a complete, loadable bundle; loading then refuses a Keras model that config.json does not
describe. The run is `jazzgen train` in a subprocess (about 20 s in all)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from model_helpers import make_corpus

from jazzgen.errors import DataError
from jazzgen.lm.bundle import load_bundle_meta, load_weights_npz
from jazzgen.lm.config import ModelConfig
from jazzgen.lm.model import load_bundle

ROOT = Path(__file__).resolve().parents[1]
EPOCHS = 4
OPTIONS = [
    "--cell",
    "lstm",
    "--layers",
    "2",
    "--units",
    "32",
    "--embedding",
    "16",
    "--seq-len",
    "32",
    "--batch-size",
    "8",
    "--epochs",
    str(EPOCHS),
    "--lr",
    "0.01",
    "--patience",
    str(EPOCHS),
]
PROGRESS = re.compile(r"\repoch (\d+)/\d+ \[[#-]+\] (\d+)/(\d+) ")  # a progress line drawn mid-epoch
BUNDLE_FILES = {
    "model.keras",
    "weights.npz",
    "config.json",
    "vocab.json",
    "metrics.json",
    "README.md",
    "ngram.json",
    "history.csv",
    "loss.png",
}


class Training:
    """`jazzgen train` in a subprocess, its stderr (the progress line) collected as it comes."""

    def __init__(self, corpus: Path, output: Path, *extra: str):
        command = [sys.executable, "-m", "jazzgen", "train", str(corpus), "-o", str(output), *OPTIONS, *extra]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        self.stderr = ""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while chunk := self.process.stderr.read1(4096):
            self.stderr += chunk.decode("utf-8", "replace")

    def epoch_in_progress(self) -> int | None:
        """The epoch (2 or later) shown in its first half, or None."""
        for epoch, step, steps in PROGRESS.findall(self.stderr):
            if int(epoch) >= 2 and 0 < int(step) <= int(steps) // 2:
                return int(epoch)
        return None

    def finish(self, timeout: float = 300) -> tuple[int, str]:
        """Wait for the end; stderr stays with the reader thread (communicate() would take a share
        of it too, and the progress lines it took would be missing from self.stderr)."""
        self.process.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return self.process.returncode, self.process.stdout.read().decode()  # one short line


def checkpoint_record(run_dir: Path) -> dict:
    with np.load(run_dir / "checkpoint.npz", allow_pickle=False) as data:
        return json.loads(data["record"].tobytes().decode("utf-8"))


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """Train, SIGKILL in the first half of epoch 2 or later, resume: (bundle, what the kill left)."""
    root = tmp_path_factory.mktemp("killed")
    corpus, output = make_corpus(root / "corpus", solos=120), root / "trained" / "jazz"
    run = Training(corpus, output)
    deadline, killed_in = time.monotonic() + 240, None
    while killed_in is None and run.process.poll() is None and time.monotonic() < deadline:
        epoch = run.epoch_in_progress()
        if epoch is not None and (output.with_name("jazz.run") / "checkpoint.npz").is_file():
            run.process.send_signal(signal.SIGKILL)
            killed_in = epoch
        time.sleep(0.02)
    code, _ = run.finish()
    assert killed_in is not None and code == -signal.SIGKILL, f"not killed mid-epoch ({code}):\n{run.stderr}"
    left = {
        "epoch": killed_in,
        "record": checkpoint_record(output.with_name("jazz.run")),
        "bundle_existed": output.exists(),
    }
    again = Training(corpus, output, "--resume")
    code, stdout = again.finish()
    assert code == 0, again.stderr
    left |= {"stdout": stdout, "stderr": again.stderr}
    return output, left


def test_a_killed_run_leaves_its_last_checkpoint_and_no_bundle(resumed):
    _, left = resumed
    assert not left["bundle_existed"]
    assert left["record"]["epochs_done"] == left["epoch"] - 1  # the checkpoint of the last whole epoch


def test_resume_starts_at_the_interrupted_epoch_and_writes_a_complete_bundle(resumed):
    bundle, left = resumed
    assert left["stdout"] == f"wrote {bundle}\n"
    shown = [int(epoch) for epoch, _, _ in PROGRESS.findall(left["stderr"])]
    assert shown[0] == left["epoch"] and shown[-1] == EPOCHS
    assert BUNDLE_FILES <= {p.name for p in bundle.iterdir()}
    assert sorted(p.name for p in bundle.parent.iterdir()) == ["jazz", "jazz.run"]  # no temporary names
    assert (bundle.parent / "jazz.run" / "checkpoint.npz").is_file()  # kept for --resume with more epochs


def test_the_resumed_bundle_loads_and_keeps_the_history_before_the_kill(resumed):
    bundle, left = resumed
    meta = load_bundle_meta(bundle)
    weights = load_weights_npz(bundle, meta)
    assert weights["embedding"].shape == (len(meta.vocab), 16) and meta.config.train.epochs == EPOCHS
    rows = (bundle / "history.csv").read_text().splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == list(range(1, EPOCHS + 1))
    before = [(e["epoch"], round(e["train_loss"], 6)) for e in left["record"]["history"]]
    assert [(int(r.split(",")[0]), float(r.split(",")[1])) for r in rows[: len(before)]] == before
    assert json.loads((bundle / "metrics.json").read_text())["epochs_run"] == EPOCHS
    assert load_bundle(bundle).model.count_params() == sum(w.size for w in weights.values())


def test_loading_refuses_a_keras_model_unlike_its_config(resumed, tmp_path):
    from jazzgen.lm.model import build_model

    bundle = shutil.copytree(resumed[0], tmp_path / "other")
    meta = load_bundle_meta(bundle)
    build_model(ModelConfig(cell="gru", layers=2, units=32, embedding=16, vocab_size=len(meta.vocab))).save(
        bundle / "model.keras"
    )
    differs = r"recurrent_1.kernel has shape \(16, 96\) but config.json \(2x32 lstm, embedding 16, vocabulary"
    with pytest.raises(DataError, match=rf"model.keras: {differs} \d+\) needs \(16, 128\)$"):
        load_bundle(bundle)


def test_loading_refuses_a_model_file_that_is_not_keras(resumed, tmp_path):
    bundle = shutil.copytree(resumed[0], tmp_path / "garbage")
    (bundle / "model.keras").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match=r"model.keras: cannot load safely \("):
        load_bundle(bundle)
