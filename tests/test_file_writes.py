"""Every file jazzgen writes goes through jazzgen.files.fileio (a temporary name, then a rename), so an
interrupted command never leaves half a file. Found by reading the package's source: a new write
elsewhere fails here until it uses fileio or is listed below with the reason it is safe."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "jazzgen"
WRITES = re.compile(
    r"open\([^)]*['\"][wax]b?\+?['\"]|wave\.open\(.*['\"]wb['\"]|\.write_text\(|\.write_bytes\("
    r"|np\.save|\.savefig\(|\.save\(|shutil\.(copy|move)|os\.(rename|replace)\(|\.dump\("
)
SAFE = {  # (module, the line as written): why it is safe
    ("render.py", "midi.save(file=path_or_file)"): "the caller's own file object",
    ("render.py", "midi.save(filename=str(tmp))"): "tmp comes from fileio.atomic_path",
    ("render.py", 'with wave.open(str(path), "wb") as writer:'): "rewrites atomic_path's tmp (render_wav)",
    ("pianoroll.py", 'figure.savefig(tmp, format="png", dpi=100)'): "tmp comes from fileio.atomic_path",
    ("runlog.py", 'figure.savefig(out, format="png")'): "an in-memory buffer",
    ("checkpoint.py", "np.savez(buffer, **arrays)"): "an in-memory buffer, written by write_bytes_atomic",
    ("bundle.py", "np.savez(buffer, **weights)"): "an in-memory buffer, written by write_bytes_atomic",
    (
        "bundle.py",
        'model.save(folder / "model.keras")  # inside the staging folder, which is the atomic unit',
    ): "the bundle's staging folder is renamed into place whole",
    ("bundle.py", 'files.vocab.save(folder / "vocab.json")'): "Vocab.save uses write_text_atomic",
    ("bundle.py", "os.replace(output, old)"): "moving the old bundle aside before the new one is renamed in",
    ("bundle.py", "os.replace(staging, output)"): "the rename that publishes a bundle",
    (
        "bundle.py",
        "os.replace(old, output)  # put the old bundle back",
    ): "undoing the move aside when publishing failed",
    (
        "outputs.py",
        'with os.fdopen(fd, "wb") as file:',
    ): "a temporary file of write_together's, renamed in later",
    ("outputs.py", "os.replace(tmp, folder / name)"): "write_together's renames, once every file is written",
    ("model.py", 'with open(os.devnull, "w") as devnull:'): "stderr silenced while TensorFlow loads",
    ("quality_commands.py", "path = fitted.save(model_path)"): "Critic.save uses write_text_atomic",
    (
        "critic.py",
        'critic.save("trained/jazz")                                # trained/jazz/critic.json',
    ): "the module doc's example of Critic.save, which uses write_text_atomic",
}


def writes_outside_fileio() -> list[tuple[str, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "fileio.py":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if WRITES.search(line) and not line.lstrip().startswith("#"):
                found.append((path.name, line.strip()))
    return found


def test_every_write_goes_through_fileio_or_is_known_to_be_safe():
    unknown = [write for write in writes_outside_fileio() if write not in SAFE]
    assert not unknown, f"writes that do not use jazzgen.files.fileio: {unknown}"


def test_the_list_of_safe_writes_is_current():
    assert set(SAFE) <= set(writes_outside_fileio()), set(SAFE) - set(writes_outside_fileio())
