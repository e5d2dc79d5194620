"""No command deletes or overwrites what it did not write: output folders are claimed before any
work, a bundle replaces a bundle only with --force and stays whole until the new one is in, a
corpus is one unit that train checks, one writer at a time, and a full disk changes nothing."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from model_helpers import make_corpus, tiny_model

from jazzgen.cli import cli
from jazzgen.errors import DataError, UsageError
from jazzgen.files import outputs
from jazzgen.files.outputs import locked
from jazzgen.lm import bundle as bundles
from jazzgen.lm.bundle import BundleFiles, load_bundle_meta, load_weights_npz, write_bundle
from jazzgen.lm.config import RunConfig, TokenizerConfig, TrainConfig
from jazzgen.lm.vocab import Vocab
from jazzgen.tokens.corpus import read_corpus
from jazzgen.tokens.preparation import prepare

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "midi"
DISK_FULL = OSError(errno.ENOSPC, "No space left on device")


def run(*args: str, cwd: Path | None = None):
    old = Path.cwd()
    try:
        if cwd:
            os.chdir(cwd)
        result = CliRunner().invoke(cli, list(args), prog_name="jazzgen")
    finally:
        os.chdir(old)
    return result.exit_code, result.output


def user_folder(path: Path) -> dict[str, bytes]:
    """A folder of the user's own files; returns them, to check they are untouched."""
    path.mkdir(parents=True, exist_ok=True)
    files = {
        "take1.mid": (EXAMPLES / "blues_in_f.mid").read_bytes(),
        "vocab.json": b'{"my": "words"}',
        "notes.txt": b"practice ii-V-I in all keys\n",
    }
    for name, data in files.items():
        (path / name).write_bytes(data)
    return files


def untouched(path: Path, files: dict[str, bytes]) -> bool:
    return sorted(os.listdir(path)) == sorted(files) and all(
        (path / n).read_bytes() == d for n, d in files.items()
    )


# ---------------------------------------------------------------- train -o


@pytest.mark.parametrize("where", ["music", "corpus", "."])
def test_train_never_writes_over_a_folder_it_did_not_make(tmp_path, where):
    corpus = make_corpus(tmp_path / "corpus", solos=4)
    music = tmp_path / "music"
    files = user_folder(music)
    corpus_files = {p.name: p.read_bytes() for p in corpus.iterdir()}
    target = {"music": str(music), "corpus": str(corpus), ".": "."}[where]
    code, output = run(
        "train", str(corpus), "-o", target, "--epochs", "1", cwd=music if where == "." else tmp_path
    )
    assert code == 2 and output.startswith(f"jazzgen: error: -o {target}: ")
    assert untouched(music, files) and untouched(corpus, corpus_files)
    if where == ".":
        assert "the current folder or one it is in" in output
    else:
        assert (
            "holds files that are not a jazzgen model bundle" in output and "give a new folder name" in output
        )


def test_text_train_and_sweep_claim_their_folders_too(tmp_path):
    (tmp_path / "names.txt").write_text("Ab\nBa\nCa\n" * 10)
    music = tmp_path / "music"
    files = user_folder(music)
    code, output = run("text", "train", str(tmp_path / "names.txt"), "--lines", "-o", str(music))
    assert code == 2 and "not a jazzgen model bundle" in output and untouched(music, files)
    code, output = run("sweep", str(make_corpus(tmp_path / "corpus", solos=4)), "-o", str(music))
    assert code == 2 and "not a jazzgen sweep" in output and untouched(music, files)


def tiny_keras_model(vocab: Vocab, units: int = 8):
    from jazzgen.lm.model import build_model

    return build_model(tiny_model(units=units, embedding=4, vocab_size=len(vocab)))


def bundle_files(vocab: Vocab, units: int = 8, card: str = "# card\n") -> BundleFiles:
    config = RunConfig(
        tiny_model(units=units, embedding=4, vocab_size=len(vocab)), TrainConfig(), TokenizerConfig()
    )
    return BundleFiles(config, vocab, {"val_nats_per_token": 1.0}, card)


VOCAB = Vocab(("<pad>", "<unk>", "<solo>", "<end>", "|", "g0", "C+0", "d3"))


def test_a_bundle_replaces_a_bundle_only_with_force(tmp_path):
    out = write_bundle(tmp_path / "mine", tiny_keras_model(VOCAB), bundle_files(VOCAB, card="# old\n"))
    with pytest.raises(UsageError, match=r"a model bundle is there already; add --force to replace it"):
        write_bundle(out, tiny_keras_model(VOCAB), bundle_files(VOCAB))
    assert (out / "README.md").read_text() == "# old\n"
    write_bundle(
        out, tiny_keras_model(VOCAB, units=12), bundle_files(VOCAB, units=12, card="# new\n"), force=True
    )
    assert (out / "README.md").read_text() == "# new\n" and load_bundle_meta(out).config.model.units == 12
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # nothing left beside it


def test_an_interrupted_overwrite_leaves_the_old_bundle_loadable(tmp_path, monkeypatch):
    out = write_bundle(tmp_path / "mine", tiny_keras_model(VOCAB), bundle_files(VOCAB, card="# old\n"))
    real_fill = bundles._fill

    def fill_then_die(folder, model, files):
        real_fill(folder, model, files)
        raise KeyboardInterrupt  # a kill after the new bundle is built, before it is published

    monkeypatch.setattr(bundles, "_fill", fill_then_die)
    with pytest.raises(KeyboardInterrupt):
        write_bundle(out, tiny_keras_model(VOCAB, units=12), bundle_files(VOCAB, units=12), force=True)
    assert (out / "README.md").read_text() == "# old\n" and len(load_weights_npz(out)) == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_force_never_removes_what_jazzgen_did_not_write(tmp_path):
    out = write_bundle(tmp_path / "mine", tiny_keras_model(VOCAB), bundle_files(VOCAB))
    (out / "samples").mkdir()
    (out / "samples" / "take.mid").write_bytes(b"MThd")
    with pytest.raises(UsageError, match=r"also holds samples, which jazzgen did not write; move it out"):
        write_bundle(out, tiny_keras_model(VOCAB), bundle_files(VOCAB), force=True)
    assert (out / "samples" / "take.mid").exists()


def test_a_bundle_goes_into_an_empty_folder_with_the_usual_mode(tmp_path):
    (tmp_path / "mine").mkdir()
    out = write_bundle(tmp_path / "mine", tiny_keras_model(VOCAB), bundle_files(VOCAB))
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~mask
    assert load_bundle_meta(out).vocab == VOCAB


def test_a_full_disk_while_writing_a_bundle_changes_nothing(tmp_path, monkeypatch):
    out = write_bundle(tmp_path / "mine", tiny_keras_model(VOCAB), bundle_files(VOCAB, card="# old\n"))

    def no_space(*args):
        raise DISK_FULL

    monkeypatch.setattr(bundles, "_fill", no_space)
    with pytest.raises(
        DataError, match=rf"^disk full while writing {out}: nothing was changed; free some space"
    ):
        write_bundle(out, tiny_keras_model(VOCAB), bundle_files(VOCAB), force=True)
    assert (out / "README.md").read_text() == "# old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


# ---------------------------------------------------------------- prepare -o


def test_prepare_never_writes_into_a_folder_of_other_files(tmp_path):
    music = tmp_path / "music"
    files = user_folder(music)
    for target in (music, tmp_path / "music"):
        with pytest.raises(
            UsageError,
            match=r"holds files that are not a jazzgen corpus \(notes.txt, take1.mid, "
            r"vocab.json\)",
        ):
            prepare([music], target)
    assert untouched(music, files)


def test_prepare_writes_over_its_own_corpus(tmp_path):
    out = tmp_path / "corpus"
    first = prepare([EXAMPLES], out)
    second = prepare([EXAMPLES], out)
    assert (first.solos, first.tokens) == (second.solos, second.tokens) and second.from_cache == second.files
    assert sorted(os.listdir(out)) == [
        "cache.json",
        "corpus.json",
        "report.json",
        "tokens.jsonl",
        "vocab.json",
    ]
    solos, vocab = read_corpus(out)
    assert len(solos) == first.solos


def test_a_corpus_from_before_manifests_is_still_a_corpus(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", solos=3)  # tokens.jsonl and vocab.json only
    assert len(read_corpus(corpus)[0]) == 3
    prepare([EXAMPLES], corpus)  # a corpus over a corpus
    assert (corpus / "corpus.json").is_file()


def test_train_refuses_files_of_two_prepare_runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    prepare([EXAMPLES], a)
    prepare([EXAMPLES / "blues_in_f.mid"], b)
    (a / "vocab.json").write_bytes((b / "vocab.json").read_bytes())
    with pytest.raises(
        DataError,
        match=r"vocab.json does not match corpus.json: the folder holds files of different "
        r"runs of prepare",
    ):
        read_corpus(a)
    (a / "corpus.json").unlink()  # a corpus without a manifest: the tokens and vocabulary still disagree
    with pytest.raises(
        DataError,
        match=r"tokens.jsonl and vocab.json disagree \(\d+ tokens of tokens.jsonl are "
        r"not in vocab.json\)",
    ):
        read_corpus(a)
    code, output = run("train", str(a), "-o", str(tmp_path / "model"))
    assert code == 1 and "disagree" in output and not (tmp_path / "model").exists()


def test_one_writer_at_a_time(tmp_path):
    out = tmp_path / "corpus"
    out.mkdir()
    with locked(out):
        with pytest.raises(
            UsageError, match=rf"another jazzgen command is writing a corpus into {out}; wait for it"
        ):
            prepare([EXAMPLES], out)
    prepare([EXAMPLES], out)  # the lock went with its holder


def test_a_full_disk_while_preparing_changes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "corpus"
    prepare([EXAMPLES / "blues_in_f.mid"], out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_stage, written = outputs._stage, []

    def stage_until_full(folder, name, data):
        if len(written) == 2:
            raise DISK_FULL
        written.append(name)
        return real_stage(folder, name, data)

    monkeypatch.setattr(outputs, "_stage", stage_until_full)
    with pytest.raises(DataError, match=rf"^disk full while writing {out}: nothing was changed"):
        prepare([EXAMPLES], out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_jobs_are_clamped_to_the_files_and_cpus(tmp_path, monkeypatch):
    import jazzgen.tokens.preparation as preparing

    asked = []

    class Pool(preparing.ProcessPoolExecutor):
        def __init__(self, max_workers):
            asked.append(max_workers)
            super().__init__(max_workers)

    monkeypatch.setattr(preparing, "ProcessPoolExecutor", Pool)
    files = sorted(EXAMPLES.glob("*.mid"))[:3]
    prepare(files, tmp_path / "corpus", jobs=1000)
    assert asked and asked[0] <= min(3, os.cpu_count())


def test_generate_disk_full_is_one_line(tmp_path, monkeypatch):
    import mido

    def no_space(self, filename=None, file=None):
        raise DISK_FULL

    monkeypatch.setattr(mido.MidiFile, "save", no_space)
    code, output = run("generate", "-o", str(tmp_path / "solo.mid"), "--seed", "1")
    assert code == 1 and output == (
        f"jazzgen: error: disk full while writing {tmp_path / 'solo.mid'}: it was left "
        "as it was; free some space and run again\n"
    )
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- sources


def test_links_leading_outside_the_sources_are_not_followed(tmp_path):
    source, elsewhere = tmp_path / "solos", tmp_path / "elsewhere"
    source.mkdir()
    elsewhere.mkdir()
    (source / "blues.mid").write_bytes((EXAMPLES / "blues_in_f.mid").read_bytes())
    (elsewhere / "secret.mid").write_bytes((EXAMPLES / "blues_in_f.mid").read_bytes())
    (source / "linked").symlink_to(elsewhere, target_is_directory=True)
    (source / "one.mid").symlink_to(elsewhere / "secret.mid")
    summary = prepare([source], tmp_path / "corpus")
    assert summary.solos == 1
    reasons = dict(summary.skipped)
    assert reasons[f"{source}/linked"].startswith(
        f"a symbolic link to {elsewhere}, outside the folders given"
    )
    assert f"{source}/one.mid" in reasons
    assert (
        prepare([source], tmp_path / "corpus", follow_links=True).solos == 2
    )  # secret.mid once, by two links
    assert prepare([source, elsewhere], tmp_path / "corpus2").solos == 2  # inside the sources given


def test_a_file_name_with_a_line_break_cannot_forge_a_line(tmp_path):
    source = tmp_path / "solos"
    source.mkdir()
    (source / "good.mid").write_bytes((EXAMPLES / "blues_in_f.mid").read_bytes())
    (source / "x.mid\nprepared 999 solos.mid").write_text("junk")
    code, output = run("prepare", str(source), "-o", str(tmp_path / "corpus"))
    assert code == 0
    lines = output.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"skipped '{source}/x.mid\\nprepared 999 solos.mid': ")
    assert lines[1].startswith("prepared 1 solos")
