"""Solo measures (jazzgen.judge.metrics) on tiny hand-computed solos, copy length, and the quality report."""

import json
import math

import pytest
from bundle_helpers import random_bundle
from click.testing import CliRunner
from helpers import make_solo

from jazzgen.cli.common import JazzgenGroup
from jazzgen.cli.quality_commands import COMMANDS
from jazzgen.judge.metrics import (
    CopyIndex,
    chord_tone_rate,
    empty_beat_rate,
    groove_consistency,
    is_monophonic,
    mean_interval,
    measure,
    note_symbols,
    notes_per_bar,
    pitch_class_entropy,
    pitch_range,
    scale_consistency,
    token_symbols,
    windows,
)
from jazzgen.judge.quality import quality_report
from jazzgen.lm.vocab import Vocab
from jazzgen.tokens.corpus import corpus_entry, write_corpus
from jazzgen.tokens.values import encode

BAR = 48  # ticks of a 4/4 bar


def quarters(pitches, start=0):
    """(pitch, onset, duration) of quarter notes one after another from tick start."""
    return [(p, start + 12 * i, 12) for i, p in enumerate(pitches)]


def test_notes_per_bar_and_pitch_range():
    solo = make_solo([(60, 0, 12), (67, 12, 12), (72, 60, 12)], "| C | C |")
    assert notes_per_bar(solo) == 1.5
    assert pitch_range(solo) == 12


def test_pitch_class_entropy_in_bits():
    assert pitch_class_entropy(make_solo(quarters([60, 62, 64, 65]))) == pytest.approx(2.0)
    assert pitch_class_entropy(make_solo(quarters([60, 72, 48, 60]))) == 0.0  # one pitch class in octaves
    three_to_one = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    assert pitch_class_entropy(make_solo(quarters([60, 60, 60, 67]))) == pytest.approx(three_to_one)


def test_scale_consistency_takes_the_best_major_scale():
    # C D E F G A B and a C#: seven of eight in C major, no scale holds more
    solo = make_solo(quarters([60, 62, 64, 65, 67, 69, 71, 61]), "| C | C |")
    assert scale_consistency(solo) == pytest.approx(7 / 8)
    assert scale_consistency(make_solo(quarters([57, 59, 60, 62]))) == 1.0  # A minor = C major


def test_groove_consistency_compares_adjacent_bars_on_the_12_tick_grid():
    bar1 = quarters([60, 62, 64, 65])  # onsets 0 12 24 36
    bar2 = quarters([60, 62, 64, 65], BAR)
    bar3 = [(60, 2 * BAR, 6), (62, 2 * BAR + 6, 6)]  # two 16ths: onsets 0 and 6
    solo = make_solo(bar1 + bar2 + bar3, "| C | C | C |")
    # bars 1-2 identical; bars 2-3 differ at 12, 24, 36 and 6: 4 of 48 positions
    assert groove_consistency(solo) == pytest.approx(1 - (0 + 4 / 48) / 2)
    # on a 16th grid (4 a beat) tick 6 falls on position 2 of 16: still 4 positions differ
    assert groove_consistency(solo, per_beat=4) == pytest.approx(1 - (0 + 4 / 16) / 2)


def test_groove_consistency_of_one_bar_is_undefined():
    assert math.isnan(groove_consistency(make_solo(quarters([60]))))


def test_empty_beat_rate_counts_beats_without_any_sounding_note():
    # beat 1 sounds; a 16th at tick 30 sounds in beat 3; beats 2 and 4 are empty
    assert empty_beat_rate(make_solo([(60, 0, 12), (62, 30, 3)])) == 0.5
    # a note from tick 6 to 18 sounds in beats 1 and 2
    assert empty_beat_rate(make_solo([(60, 6, 12)])) == 0.5
    assert empty_beat_rate(make_solo([], bars=2)) == 1.0


def test_chord_tone_rate_leaves_out_notes_without_a_chord():
    # Cmaj7: E and B are chord tones, D is not; the NC bar's notes are not judged
    solo = make_solo(quarters([64, 62, 71]) + quarters([61, 63], BAR), "| Cmaj7 | NC |")
    assert chord_tone_rate(solo) == pytest.approx(2 / 3)
    # over G7 (G B D F) an F is a chord tone, an E is not
    assert chord_tone_rate(make_solo(quarters([65, 64]), "| G7 |")) == 0.5


def test_chord_tone_rate_uses_the_chord_at_each_onset():
    solo = make_solo(quarters([62, 62, 67, 67]), "| Dm7 G7 |")  # D over Dm7, D over Dm7, G over G7, G over G7
    assert chord_tone_rate(solo) == 1.0
    solo = make_solo(quarters([67, 67, 62, 60]), "| Dm7 G7 |")  # G, G over Dm7 (no); D over G7 (yes), C (no)
    assert chord_tone_rate(solo) == 0.25


def test_mean_interval_and_monophony():
    solo = make_solo(quarters([60, 64, 62]))
    assert mean_interval(solo) == 3.0
    assert is_monophonic(solo)
    assert not is_monophonic(make_solo([(60, 0, 24), (64, 12, 12)]))


def test_measure_of_an_empty_solo_is_nan_where_undefined():
    m = measure(make_solo([], bars=2))
    assert m.notes_per_bar == 0 and m.empty_beat_rate == 1.0 and m.monophonic
    assert all(math.isnan(getattr(m, k)) for k in ("pitch_range", "pitch_class_entropy", "chord_tone_rate"))


def test_windows_cut_32_bar_windows_and_cut_notes_at_their_end():
    across = (72, 32 * BAR - 6, 12)  # from the last 16th of bar 32 into bar 33
    notes = sorted([(60 + i % 12, BAR * i, 12) for i in range(70)] + [across], key=lambda n: n[1])
    solo = make_solo(notes, "| Dm7 G7 |" * 35)
    first, second = windows(solo)
    assert (first.bars, second.bars) == (32, 32)
    assert len(first.notes) == 33 and first.notes[-1].duration == 6  # the note over the bar line is cut
    assert second.notes[0].onset == 0 and second.notes[0].pitch == 60 + 32 % 12
    assert first.chords[0].onset == 0 and first.chords[-1].end == 32 * BAR
    assert second.chords[0].symbol == "Dm7" and second.end == 32 * BAR


def test_windows_keep_only_4_4_bars():
    meter = ((0, 4, 4), (10, 3, 4), (11, 4, 4))  # one 3/4 bar inside the first window
    solo = make_solo([(60, 0, 12)], bars=64, meter=meter)
    (window,) = windows(solo)
    assert window.notes == () and window.meter[0].name == "4/4"
    eights = windows(solo, bars=8)
    assert eights[0].bars == 8 and len(eights) == 7  # bars 8-15 hold the 3/4 bar


# ---------------------------------------------------------------- copy length


def line(pitch_durations, start=0):
    """A solo of notes one after another: (pitch, duration) pairs."""
    notes, tick = [], start
    for pitch, duration in pitch_durations:
        notes.append((pitch, tick, duration))
        tick += duration
    return make_solo(notes)


TRAINING = [
    line([(60, 12), (62, 12), (64, 6), (65, 6), (67, 24)]),  # symbols (+2,12) (+2,6) (+1,6) (+2,24)
    line([(70, 12), (69, 12), (67, 12)]),
]  # symbols (-1,12) (-2,12)


def test_copy_length_finds_the_longest_run_in_one_training_solo():
    index = CopyIndex.from_solos(TRAINING)
    # transposed, the same three intervals and durations as the first training solo: 3 symbols
    assert index.copy_length(line([(50, 48), (52, 12), (54, 6), (55, 6), (50, 12)])) == 3
    # (+2,6) (+1,6) then (-1,12) (-2,12): runs of 2 in different training solos, never joined
    assert index.copy_length(line([(60, 6), (62, 6), (63, 6), (62, 12), (60, 12)])) == 2
    assert index.copy_length(line([(60, 5), (61, 5)])) == 0  # (+1,5) is nowhere
    assert index.copy_length(TRAINING[0]) == 4
    assert (index.solos, index.symbols) == (2, 6)


def test_copy_length_matches_a_brute_force_search():
    import random

    rng = random.Random(3)
    training = [
        [(rng.randint(-2, 2), rng.choice((6, 12))) for _ in range(rng.randint(5, 40))] for _ in range(8)
    ]
    index = CopyIndex(training)
    for _ in range(30):
        query = [(rng.randint(-2, 2), rng.choice((6, 12))) for _ in range(25)]
        assert index.longest_match(query) == brute_force(training, query)


def brute_force(training, query):
    best = 0
    for i in range(len(query)):
        for j in range(i + 1, len(query) + 1):
            run = query[i:j]
            if any(seq[k : k + len(run)] == run for seq in training for k in range(len(seq))):
                best = max(best, len(run))
    return best


def test_token_symbols_read_the_same_symbols_as_the_notes():
    # notes longer than a bar take several duration tokens
    solo = make_solo([(60, 0, 60), (67, 60, 6), (55, 72, 100)], "| C7 | F7 | C7 |")
    assert token_symbols(encode(solo)) == note_symbols(solo.notes) == [(7, 6), (-12, 100)]


# ---------------------------------------------------------------- quality report


def tiny_corpus(folder, solos):
    folder.mkdir()
    entries = [corpus_entry(s.with_(source=f"s{i}", title=f"s{i}")) for i, s in enumerate(solos)]
    vocab = Vocab.build(e["tokens"] for e in entries)
    write_corpus(folder, entries, vocab, report={}, cache={})
    return folder, vocab


def walking_solo(seed):
    notes = [(60 + (i * (5 + seed % 3)) % 12, 12 * i, 12) for i in range(4 * 16)]  # three lines, repeated
    return make_solo(notes, "| Dm7 G7 | Cmaj7 | A7 | Dm7 |" * 4)


# `quality` on its own group until the lead wires it into jazzgen's
GROUP = JazzgenGroup("jazzgen", commands={c.name: c for c in COMMANDS})


@pytest.fixture
def corpus_and_bundle(tmp_path):
    corpus, vocab = tiny_corpus(tmp_path / "corpus", [walking_solo(s) for s in range(10)])
    return corpus, random_bundle(tmp_path / "model", vocab, scale=0.3)


def test_quality_report_over_the_validation_solos(corpus_and_bundle):
    corpus, bundle = corpus_and_bundle
    report = quality_report(bundle, corpus, n_solos=3, bars=8, seed=1)
    assert report["solos"] == 3 and report["bars"] == 8
    assert report["real_windows"] == 2  # one validation solo (10% of 10) of 16 bars
    assert report["monophonic"] == 1.0
    row = report["measures"]["notes_per_bar"]
    assert row["real"] == {"mean": 4.0, "sd": 0.0} and row["reference"] == {"mean": 6.1, "sd": 2.4}
    assert report["copy_length"]["training_solos"] == 9
    assert report["copy_length"]["real"]["max"] >= 1


def test_quality_command_prints_a_table_and_json(corpus_and_bundle):
    corpus, bundle = corpus_and_bundle
    args = ["quality", "-m", str(bundle), "--corpus", str(corpus), "-n", "2", "--bars", "8"]
    result = CliRunner().invoke(GROUP, args)
    assert result.exit_code == 0, result.output
    assert "chord_tone_rate" in result.output and "copy length" in result.output
    result = CliRunner().invoke(GROUP, args + ["--json", "--rhythm-temperature", "0.9"])
    assert json.loads(result.output)["solos"] == 2
    assert json.loads(result.output)["sampling"]["rhythm_temperature"] == 0.9
    result = CliRunner().invoke(GROUP, args + ["--rhythm-temperature", "20"])
    assert result.exit_code == 2 and "--rhythm-temperature 20.0" in result.output


def test_quality_command_names_a_missing_corpus(corpus_and_bundle, tmp_path):
    _, bundle = corpus_and_bundle
    result = CliRunner().invoke(GROUP, ["quality", "-m", str(bundle), "--corpus", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "--corpus" in result.output and "tokens.jsonl" in result.output


def test_quality_report_refuses_windows_longer_than_the_solos(corpus_and_bundle):
    from jazzgen.errors import DataError

    corpus, bundle = corpus_and_bundle
    with pytest.raises(DataError, match="no 32-bar 4/4 window"):
        quality_report(bundle, corpus, n_solos=2)


def test_quality_report_takes_progressions_from_sources(corpus_and_bundle):
    corpus, bundle = corpus_and_bundle
    report = quality_report(bundle, corpus, [corpus], n_solos=2, bars=16)
    assert report["real_windows"] == 10 and report["progressions"] == [str(corpus)]


def test_quality_report_reads_the_split_from_the_bundle_metrics(corpus_and_bundle):
    from jazzgen.errors import DataError, UsageError

    corpus, bundle = corpus_and_bundle
    lines = (corpus / "tokens.jsonl").read_text().splitlines()
    every_token = sum(len(json.loads(line)["tokens"]) for line in lines)
    (bundle / "metrics.json").write_text(json.dumps({"train_tokens": every_token}))
    with pytest.raises(UsageError, match="give SOURCES"):  # trained on all of it: no validation solos
        quality_report(bundle, corpus, n_solos=1, bars=8)
    assert quality_report(bundle, corpus, [corpus], n_solos=1, bars=8)["copy_length"]["training_solos"] == 10
    (bundle / "metrics.json").write_text(json.dumps({"train_tokens": 12345}))
    with pytest.raises(DataError, match="the model trained on 12,345 tokens"):
        quality_report(bundle, corpus, n_solos=1, bars=8)


@pytest.mark.slow
def test_measures_reproduce_the_reference_on_the_weimar_jazz_database(shared_data):
    import numpy as np

    from jazzgen.formats.wjazzd import read_wjazzd
    from jazzgen.judge.quality import REFERENCE

    solos = [read_wjazzd(p) for p in sorted((shared_data / "wjazzd" / "mcsv_melody").glob("*_FINAL.csv"))]
    measured = [measure(w) for s in solos for w in windows(s)]
    assert len(measured) > 650
    for name, (mean, sd) in REFERENCE.items():
        values = np.array([getattr(m, name) for m in measured], float)
        assert abs(np.nanmean(values) - mean) < 0.1 * sd, name
        assert abs(np.nanstd(values) - sd) < 0.2 * sd, name
