"""TensorFlow stays inside the model and training code: generation never pays for its import."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import jazzgen

ROOT = Path(__file__).resolve().parents[1]
# The modules that may import tensorflow or keras, always inside a function (they are imported by
# the CLI and by evaluation code that must stay cheap to import).
TRAINING_MODULES = {"model.py", "loop.py", "train.py", "bundle.py", "evaluate.py", "checkpoint.py"}
# The test files that train or load models and so import TensorFlow.
TRAINING_TESTS = {
    "test_numpy_lm.py",
    "test_model.py",
    "test_text.py",
    "test_distributed.py",
    "test_tf_imports.py",
    "test_interrupted_training.py",
    "test_output_safety.py",
    "test_hostile_bundles.py",
    "test_fine_tune.py",
    "test_regularization.py",
}
IMPORT = re.compile(r"^\s*(import|from)\s+(tensorflow|keras)\b", re.MULTILINE)


def test_only_training_modules_mention_tensorflow_imports():
    found = {p.name for p in (ROOT / "jazzgen").rglob("*.py") if IMPORT.search(p.read_text(encoding="utf-8"))}
    assert found <= TRAINING_MODULES, found - TRAINING_MODULES


def test_no_module_imports_tensorflow_at_import_time():
    names = [
        m.name for m in pkgutil.walk_packages(jazzgen.__path__, "jazzgen.") if m.name != "jazzgen.__main__"
    ]
    code = (
        f"import importlib, sys\nfor name in {names!r}:\n    importlib.import_module(name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('tensorflow', 'keras'))\n"
        "assert not bad, bad[:5]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_only_training_tests_import_tensorflow():
    for path in (ROOT / "tests").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        trains = IMPORT.search(text) or re.search(
            r"jazzgen\.(train|loop|model|evaluate)\b|load_bundle\(", text
        )
        assert not trains or path.name in TRAINING_TESTS, (
            f"{path.name} imports TensorFlow; list it in TRAINING_TESTS if it must"
        )


def test_a_training_command_prints_only_its_own_lines(tmp_path):
    """TensorFlow's start-up notes (oneDNN, absl) do not reach the user of `text evaluate`."""
    names = tmp_path / "names.txt"
    names.write_text("Zorgosaurus\nBlimpodon\nQuaxiraptor\n", encoding="utf-8")  # not in its training list
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jazzgen",
            "text",
            "evaluate",
            "-m",
            str(ROOT / "trained" / "dinos"),
            str(names),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith("nats_per_char ") and len(done.stdout.splitlines()) == 1
