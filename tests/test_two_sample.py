"""The instrument that tells generated lines from real ones: a generator that copies real windows
scores near 0.5, one that scrambles them near 1.0, and the line figures say what they claim."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_solo

from jazzgen.judge.metrics import windows
from jazzgen.judge.quality import line_report
from jazzgen.judge.two_sample import real_vs_real, two_sample_test
from jazzgen.music.line_features import (
    feature_names,
    features,
    is_drifted,
    longest_step_run,
    phrase_spans,
    repeated_share,
    summary,
)
from jazzgen.music.solo import Note, monophonic

BAR = 48


def player(seed: int, bars: int = 16):
    """A synthetic soloist: motifs of 8ths and triplets on the beat, restated and sequenced,
    phrases of 2 bars with a rest between them."""
    rng = np.random.default_rng(seed)
    notes, pitch = [], 60 + int(rng.integers(-5, 5))
    motif = [(int(rng.choice([6, 4, 12])), int(rng.integers(-3, 4))) for _ in range(4)]
    for phrase in range(bars // 2):
        tick = phrase * 2 * BAR + int(rng.choice([0, 12]))
        shift = int(rng.integers(-2, 3))
        for repeat in range(3):
            for gap, step in motif:
                pitch = int(np.clip(pitch + step + (shift if repeat else 0), 48, 80))
                if tick < (phrase * 2 + 2) * BAR - 12:
                    notes.append((pitch, tick, max(1, gap - 1)))
                tick += gap
    return make_solo(notes, "| Dm7 G7 | Cmaj7 |" * (bars // 2), bars=bars).with_(source=f"player {seed}")


def scrambled(solo, seed: int):
    """The same number of notes at random ticks with random leaps: no beat, no motifs, no phrases."""
    rng = np.random.default_rng(seed)
    onsets = np.sort(rng.choice(solo.end - 12, size=len(solo.notes), replace=False))
    pitches = np.clip(64 + np.cumsum(rng.integers(-9, 10, len(onsets))), 40, 90)
    return solo.with_(
        notes=monophonic([Note(int(o), int(rng.integers(1, 12)), int(p)) for o, p in zip(onsets, pitches)])
    )


def eight_bar(solos):
    out, groups = [], []
    for solo in solos:
        for window in windows(solo, 8):
            out.append(window)
            groups.append(solo.source)
    return out, groups


@pytest.fixture(scope="module")
def real():
    return [player(seed) for seed in range(40)]


def test_copies_of_real_windows_cannot_be_told_apart(real):
    windows_, groups = eight_bar(real)
    copies = [player(seed + 1000) for seed in range(40)]  # the same player, other takes
    copied, _ = eight_bar(copies)
    result = two_sample_test(windows_, copied, groups, groups)
    assert result.accuracy < 0.65 and result.auc < 0.72
    assert result.boosted_accuracy < 0.65 and result.boosted_auc < 0.72
    sanity = real_vs_real(windows_, groups)
    assert 0.3 < sanity.accuracy < 0.7


def test_scrambled_windows_are_told_apart_and_the_reasons_named(real):
    windows_, groups = eight_bar(real)
    scrambled_windows, _ = eight_bar([scrambled(s, i) for i, s in enumerate(real)])
    result = two_sample_test(windows_, scrambled_windows, groups, groups)
    assert result.accuracy > 0.95 and result.auc > 0.98
    assert result.boosted_accuracy > 0.9 and result.boosted_auc > 0.95
    assert len(result.separating) == 8 and all(name in feature_names() for name, *_ in result.separating)


def test_groups_keep_a_solo_and_its_generated_windows_in_one_fold(real):
    windows_, groups = eight_bar(real[:6])
    one_group = ["the same solo"] * len(windows_)
    with pytest.raises(Exception, match="at least 2 solos"):
        two_sample_test(windows_, windows_, one_group, one_group)


def test_the_line_figures():
    on_the_beat = make_solo([(60 + i % 3, 6 * i, 5) for i in range(16)], bars=2)
    pushed = make_solo([(60 + i % 3, 6 * i + 3, 5) for i in range(15)], bars=2)  # an 8th line a 16th late
    assert not is_drifted(np.array([n.onset for n in on_the_beat.notes]))
    assert is_drifted(np.array([n.onset for n in pushed.notes]))
    assert repeated_share(np.array([1, 2, 1, 2, 1, 2]), 3) == 1.0
    assert repeated_share(np.array([1, 2, 3, 4, 5]), 3) == 0.0
    assert longest_step_run(np.array([60, 62, 64, 65, 67, 60, 61])) == 5
    phrases = phrase_spans(make_solo([(60, 0, 6), (62, 6, 6), (64, 36, 6)]))  # a beat's rest after the 2nd
    assert phrases == [(2, 12), (1, 6)]
    figures = summary(on_the_beat)
    assert figures.eighth_gaps == 1.0 and figures.fast_gaps == 0.0 and figures.phrase_notes == 16
    assert features(on_the_beat).shape == (len(feature_names()),)


def test_the_line_report_has_drift_by_window_and_the_test(real):
    generated = [scrambled(s, i) for i, s in enumerate(real)]
    report = line_report(generated, [s.source for s in real], real, [s.source for s in real])
    assert len(report["drift_by_window"]["generated"]) == 2 and report["drift_by_window"]["real"] == [
        0.0,
        0.0,
    ]
    assert report["two_sample"]["accuracy"] > 0.9 and report["two_sample"]["boosted"]["accuracy"] > 0.9
    assert set(report["two_sample"]["real_vs_real"]["boosted"]) == {"accuracy", "auc"}
    assert set(report["figures"]) >= {"repeated_3grams", "phrase_notes", "phrase_beats", "drifted"}


def test_real_solos_against_their_scrambled_selves(shared_data):
    from jazzgen.formats.reading import read

    files = sorted((shared_data / "wjazzd" / "mcsv_melody").glob("*.csv"))[::10]
    solos = [s for f in files for s in read(f) if s.meter[0].numerator == 4][:40]
    windows_, groups = eight_bar(solos)
    other_windows, other_groups = eight_bar(solos[20:] + solos[:20])
    copies = two_sample_test(
        windows_[: len(other_windows)],
        other_windows,
        groups[: len(other_windows)],
        groups[: len(other_windows)],
    )
    assert copies.accuracy < 0.6
    scrambled_windows, _ = eight_bar([scrambled(s, i) for i, s in enumerate(solos)])
    assert two_sample_test(windows_, scrambled_windows, groups, groups).accuracy > 0.95


def test_the_trees_see_an_interaction_the_linear_model_cannot():
    # each side: half its windows busy and high, half sparse and low, against busy-low and
    # sparse-high: the same means of every feature, told apart only by the two together
    rng = np.random.default_rng(0)

    def side(pairs, count):
        rows = []
        for k in range(count):
            busy, high = pairs[k % 2]
            rows.append([busy + rng.normal(0, 0.3), high + rng.normal(0, 0.3)])
        return np.array(rows)

    from jazzgen.judge.two_sample import _test

    x_real, x_generated = side([(1, 1), (0, 0)], 200), side([(1, 0), (0, 1)], 200)
    groups = [f"g{k % 20}" for k in range(200)]
    result = _test(x_real, x_generated, groups, groups, 0)
    assert result.accuracy < 0.6 < 0.9 < result.boosted_accuracy
