"""Fine-tuning (train --init): the base's architecture and weights, its vocabulary grown by the new
data's tokens, architecture changes refused by name, and the base's notice carried on."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from model_helpers import make_corpus, tiny_model, tiny_train

from jazzgen.cli import cli
from jazzgen.errors import UsageError
from jazzgen.lm.bundle import load_bundle_meta, load_weights_npz
from jazzgen.tokens.text import text_tokenizer
from jazzgen.training.train import train_jazz, train_text


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("base")
    corpus = make_corpus(root / "corpus", solos=6)
    return train_jazz(
        corpus,
        root / "base",
        tiny_model(),
        tiny_train(epochs=1),
        progress=False,
        notice="Data: the Base Corpus, licence B 1.0.\n",
    )


def test_a_fine_tune_keeps_the_base_and_grows_its_vocabulary(base, tmp_path):
    new = make_corpus(tmp_path / "mine", solos=4, first=100)  # other solos: tokens the base never saw
    tuned = train_jazz(
        new,
        tmp_path / "tuned",
        None,
        tiny_train(epochs=1, lr=1e-3, blend=False),
        init=base,
        progress=False,
        notice="Data: my own solos.\n",
    )
    before, after = load_bundle_meta(base), load_bundle_meta(tuned)
    assert after.vocab.tokens[: len(before.vocab)] == before.vocab.tokens  # every base token keeps its id
    assert len(after.vocab) > len(before.vocab)
    assert (after.config.model.cell, after.config.model.units, after.config.model.layers) == (
        before.config.model.cell,
        before.config.model.units,
        before.config.model.layers,
    )
    old, grown = load_weights_npz(base), load_weights_npz(tuned)
    assert grown["embedding"].shape == (len(after.vocab), before.config.model.embedding)
    assert not np.array_equal(grown["recurrent_1.kernel"], old["recurrent_1.kernel"])  # it went on learning
    card = (tuned / "README.md").read_text()
    assert f"fine-tuned from `{base}`" in card
    notice = (tuned / "NOTICE.md").read_text()
    assert (
        "the Base Corpus, licence B 1.0." in notice
        and "my own solos" in notice
        and notice.index("Base") < notice.index("my own")
    )
    assert "the Base Corpus" in card


def test_a_fine_tune_starts_from_the_base_weights(base, tmp_path, monkeypatch):
    import jazzgen.lm.loop as loop

    seen = {}
    real_fit = loop.fit

    def spy(data, config, output, resume=False, progress=True, on_epoch=None, initial_weights=None):
        seen["weights"] = initial_weights
        return real_fit(data, config, output, resume, progress, on_epoch, initial_weights)

    monkeypatch.setattr("jazzgen.lm.train.fit", spy)
    new = make_corpus(tmp_path / "mine", solos=3, first=100)
    train_jazz(new, tmp_path / "tuned", None, tiny_train(epochs=1), init=base, progress=False)
    base_weights = load_weights_npz(base)
    assert np.array_equal(seen["weights"]["recurrent_1.kernel"], base_weights["recurrent_1.kernel"])
    rows = len(load_bundle_meta(base).vocab)
    assert np.array_equal(seen["weights"]["embedding"][:rows], base_weights["embedding"])


def test_a_fine_tune_ends_on_the_blend_with_its_base_that_validates_best(base, tmp_path):
    new = make_corpus(tmp_path / "mine", solos=6, first=100)
    tuned = train_jazz(
        new, tmp_path / "tuned", None, tiny_train(epochs=2, lr=1e-2), init=base, progress=False
    )
    metrics = load_bundle_meta(tuned).metrics
    tried = {float(w): loss for w, loss in metrics["fine_tune_mix"]["val_nats_per_sampled_token"].items()}
    assert sorted(tried) == [0.0, 0.25, 0.5, 0.75, 1.0] and len(set(tried.values())) > 1
    assert tried[metrics["fine_tune_mix"]["trained_weight"]] == min(tried.values())
    assert "the blend that best predicts" in (tuned / "README.md").read_text()
    plain = train_jazz(
        new, tmp_path / "plain", None, tiny_train(epochs=2, lr=1e-2, blend=False), init=base, progress=False
    )
    assert "fine_tune_mix" not in load_bundle_meta(plain).metrics


def test_a_blend_holds_its_share_of_the_base_weights(base, tmp_path, monkeypatch):
    """With only the base's side to choose, the bundle is the base again (new rows aside)."""
    monkeypatch.setattr("jazzgen.lm.loop.MIX_WEIGHTS", (0.0,))
    new = make_corpus(tmp_path / "mine", solos=6, first=100)
    tuned = train_jazz(
        new, tmp_path / "tuned", None, tiny_train(epochs=2, lr=1e-2), init=base, progress=False
    )
    old, blended = load_weights_npz(base), load_weights_npz(tuned)
    assert np.allclose(blended["recurrent_1.kernel"], old["recurrent_1.kernel"], atol=1e-6)
    rows = len(load_bundle_meta(base).vocab)
    assert np.allclose(blended["embedding"][:rows], old["embedding"], atol=1e-6)
    assert load_bundle_meta(tuned).metrics["fine_tune_mix"]["trained_weight"] == 0.0


def test_train_splits_by_tune_unless_told_by_solo(base, tmp_path):
    new = make_corpus(tmp_path / "mine", solos=4, first=100)
    for args, by_tune in (([], True), (["--split", "solo"], False)):
        out = tmp_path / ("tune" if by_tune else "solo")
        result = CliRunner().invoke(
            cli,
            [
                "train",
                str(new),
                "-o",
                str(out),
                "--init",
                str(base),
                "--epochs",
                "1",
                "--no-blend",
                "--quiet",
                *args,
            ],
            prog_name="jazzgen",
        )
        assert result.exit_code == 0, result.output
        train = load_bundle_meta(out).config.train
        assert (train.val_groups, train.blend) == (by_tune, False)


def test_train_records_its_chordless_share_and_refuses_one_past_1(base, tmp_path):
    new = make_corpus(tmp_path / "mine", solos=4, first=100)
    common = ["train", str(new), "--init", str(base), "--epochs", "1", "--no-blend", "--quiet"]
    result = CliRunner().invoke(cli, [*common, "-o", str(tmp_path / "t"), "--chordless", "0.5"])
    assert result.exit_code == 0, result.output
    assert load_bundle_meta(tmp_path / "t").config.train.chordless == 0.5
    assert "a share of 0.5 of the training solos with chords" in (tmp_path / "t" / "README.md").read_text()
    refused = CliRunner().invoke(cli, [*common, "-o", str(tmp_path / "u"), "--chordless", "1.5"])
    assert refused.exit_code == 2 and "--chordless" in refused.output
    assert not (tmp_path / "u").exists()


def test_an_option_that_changes_the_architecture_is_refused_by_name(base, tmp_path):
    new = make_corpus(tmp_path / "mine", solos=3, first=100)
    with pytest.raises(
        UsageError,
        match=r"^--units 64: a fine-tune keeps the architecture of .* \(2x32 lstm, "
        r"embedding 16\); drop --units, or train a new model without --init$",
    ):
        train_jazz(new, tmp_path / "tuned", tiny_model(units=64), tiny_train(), init=base, progress=False)
    result = CliRunner().invoke(
        cli,
        ["train", str(new), "-o", str(tmp_path / "t2"), "--init", str(base), "--cell", "gru"],
        prog_name="jazzgen",
    )
    assert result.exit_code == 2 and "--cell gru: a fine-tune keeps the architecture" in result.output
    assert not (tmp_path / "t2").exists()


def test_text_fine_tunes_keep_the_base_tokenizer(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("Tyrannosaurus\nVelociraptor\nStegosaurus\nBrachiosaurus\n" * 5)
    base = train_text(
        names,
        tmp_path / "base",
        text_tokenizer(lines=True),
        tiny_model(),
        tiny_train(epochs=1),
        progress=False,
    )
    more = tmp_path / "more.txt"
    more.write_text("Zuniceratops\nQianzhousaurus\n" * 5)  # letters the base never saw: Z, Q
    tuned = train_text(more, tmp_path / "tuned", None, None, tiny_train(epochs=1), init=base, progress=False)
    assert {"Z", "Q"} <= set(load_bundle_meta(tuned).vocab.tokens)
    assert load_bundle_meta(tuned).config.tokenizer == load_bundle_meta(base).config.tokenizer
    with pytest.raises(UsageError, match=r"a fine-tune keeps that: drop --level"):
        train_text(
            more, tmp_path / "t2", text_tokenizer("word"), None, tiny_train(), init=base, progress=False
        )
