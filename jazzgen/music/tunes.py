"""Built-in chord progressions, and turning changes into a lead sheet: key, choruses, bar cut.

A lead sheet is a Solo without notes: its bars, meter and chord spans are what generation forces.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from jazzgen.errors import UsageError
from jazzgen.music.changes import MAX_BARS, parse_changes
from jazzgen.music.chords import NOTE_NAMES, chord_from_symbol, merge_repeats, parse_chord
from jazzgen.music.solo import Chord, Solo, TimeSignature
from jazzgen.music.tonality import Key, key_named


@dataclass(frozen=True)
class Tune:
    name: str
    description: str
    key: str  # the tonic the changes are written in
    changes: str
    meter: tuple[int, int] = (4, 4)
    tempo: float = 160.0
    mode: str = "major"  # of the key its key signature is written in ("" for a modal tune: estimated)


TUNES = {
    t.name: t
    for t in (
        Tune(
            "blues",
            "12-bar jazz blues",
            "F",
            "| F7 | Bb7 | F7 | Cm7 F7 | Bb7 | Bdim7 | F7 | D7(b9) | Gm7 | C7 | F7 D7 | Gm7 C7 |",
        ),
        Tune(
            "bird-blues",
            "12-bar blues with descending ii-Vs",
            "F",
            "| Fmaj7 | Em7b5 A7 | Dm7 G7 | Cm7 F7 | Bb7 | Bbm7 Eb7 | Am7 D7 | Abm7 Db7 | Gm7 | C7 | "
            "Fmaj7 D7 | Gm7 C7 |",
        ),
        Tune(
            "minor-blues",
            "12-bar minor blues",
            "C",
            "| Cm7 | Fm7 | Cm7 | Cm7 | Fm7 | Fm7 | Cm7 | Cm7 | Ab7 | G7(b9) | Cm7 | Dm7b5 G7 |",
            tempo=140,
            mode="minor",
        ),
        Tune(
            "rhythm",
            "32-bar AABA rhythm changes",
            "Bb",
            "| Bbmaj7 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Fm7 Bb7 | Ebmaj7 Ebm6 | Dm7 G7 | Cm7 F7 |"
            "| Bbmaj7 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Fm7 Bb7 | Ebmaj7 Ebm6 | Cm7 F7 | Bb6 |"
            "| D7 | D7 | G7 | G7 | C7 | C7 | F7 | F7 |"
            "| Bbmaj7 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Fm7 Bb7 | Ebmaj7 Ebm6 | Cm7 F7 | Bb6 |",
            tempo=200,
        ),
        Tune(
            "ii-v-i",
            "major ii-V-I through all twelve keys, down in fourths",
            "C",
            " ".join(
                f"| {NOTE_NAMES[(2 + k) % 12]}m7 | {NOTE_NAMES[(7 + k) % 12]}7 | {NOTE_NAMES[k]}maj7 | % |"
                for k in (0, 5, 10, 3, 8, 1, 6, 11, 4, 9, 2, 7)
            ),
            tempo=140,
        ),
        Tune(
            "minor-ii-v-i",
            "minor ii-V-i in four keys",
            "C",
            " ".join(
                f"| {NOTE_NAMES[(2 + k) % 12]}m7b5 | {NOTE_NAMES[(7 + k) % 12]}7(b9) | {NOTE_NAMES[k]}m6 | % |"
                for k in (0, 5, 10, 3)
            ),
            tempo=140,
            mode="minor",
        ),
        Tune(
            "autumn",
            "32-bar AABC form on descending ii-Vs in G minor",
            "G",
            "| Cm7 | F7 | Bbmaj7 | Ebmaj7 | Am7b5 | D7(b9) | Gm6 | Gm6 |" * 2
            + "| Am7b5 | D7(b9) | Gm6 | Gm6 | Cm7 | F7 | Bbmaj7 | Ebmaj7 |"
            + "| Am7b5 | D7(b9) | Gm7 C7 | Fm7 Bb7 | Ebmaj7 | D7(b9) | Gm6 | Gm6 |",
            tempo=150,
            mode="minor",
        ),
        Tune(
            "modal",
            "32-bar AABA modal form: D dorian, up a half step for the bridge",
            "D",
            ("| Dm7 | % | % | % | % | % | % | % |" * 2)
            + "| Ebm7 | % | % | % | % | % | % | % |"
            + "| Dm7 | % | % | % | % | % | % | % |",
            tempo=180,
            mode="",
        ),
        Tune(
            "coltrane",
            "16 bars of major thirds cycles with ii-Vs",
            "B",
            "| Bmaj7 D7 | Gmaj7 Bb7 | Ebmaj7 | Am7 D7 | Gmaj7 Bb7 | Ebmaj7 Gb7 | Bmaj7 | Fm7 Bb7 |"
            "| Ebmaj7 | Am7 D7 | Gmaj7 | C#m7 F#7 | Bmaj7 | Fm7 Bb7 | Ebmaj7 | C#m7 F#7 |",
            tempo=220,
        ),
        Tune(
            "waltz",
            "16-bar jazz waltz in 3/4",
            "F",
            "| Fmaj7 | Dm7 | Gm7 | C7 | Am7 | D7(b9) | Gm7 | C7 |"
            "| Fmaj7 | F7 | Bbmaj7 | Bbm6 | Am7 | D7(b9) | Gm7 C7 | Fmaj7 |",
            meter=(3, 4),
            tempo=150,
        ),
    )
}


def lead_sheet(
    changes: str | None = None,
    tune: str | None = None,
    key: str | None = None,
    choruses: int = 1,
    bars: int | None = None,
    meter: tuple[int, int] | None = None,
) -> Solo:
    """A note-less Solo holding the progression to improvise over.

    changes: '| Dm7 G7 | Cmaj7 | % |' text, or tune: a name in TUNES (default 'blues' when neither
    is given). key transposes the progression so its tonic is key; choruses repeats the form;
    bars cuts the result to that many bars.
    """
    if changes and tune:
        raise UsageError("give either --changes/--changes-file or --tune, not both")
    chosen = _tune(tune) if (tune or not changes) else None
    text = chosen.changes if chosen else changes
    numerator, denominator = meter or (chosen.meter if chosen else (4, 4))
    signature = (TimeSignature(0, numerator, denominator),)
    form, form_bars = parse_changes(text, signature)
    chart = Solo(
        (),
        form,
        signature,
        form_bars,
        chosen.tempo if chosen else 160.0,
        title=chosen.name if chosen else "",
        info=_key_info(chosen.key, chosen.mode) if chosen else (),
    )
    return arranged(chart, key, choruses, bars)


def arranged(chart: Solo, key: str | None = None, choruses: int = 1, bars: int | None = None) -> Solo:
    """A chart (a tune's form, or one read by jazzgen.formats.charts) arranged to play over: its
    notes dropped, transposed so its tonic is key (its own key from info, else its first root),
    its form played choruses times (meter changes and all), cut or looped to bars."""
    if choruses < 1:
        raise UsageError(f"--choruses {choruses}: give at least 1")
    if bars is not None and bars < 1:
        raise UsageError(f"--bars {bars}: give at least 1")
    repeats = max(choruses, -(-bars // chart.bars)) if bars else choruses
    if chart.bars * repeats > MAX_BARS:
        raise UsageError(
            f"{repeats} times through a {chart.bars}-bar form is {chart.bars * repeats:,} bars; "
            f"jazzgen improvises over up to {MAX_BARS:,}: give fewer --choruses or --bars"
        )
    spans = _repeated(chart.chords, chart.end, repeats)
    info = chart.info
    if key is not None:
        home = dict(chart.info).get("key") or _first_root_name(spans)
        spans = transpose(spans, (_tonic(key) - _tonic(home)) % 12)
        named = key_named(home)
        info = tuple((k, v) for k, v in chart.info if k != "key")
        info += _key_info(key, named.mode) if named is not None else ()
    meter = _repeated_meter(chart.meter, chart.bars, repeats)
    sheet = replace(chart, notes=(), chords=spans, meter=meter, bars=chart.bars * repeats, info=info)
    return cut_bars(sheet, bars or sheet.bars)


def _key_info(tonic: str, mode: str) -> tuple[tuple[str, str], ...]:
    """The info entry naming a tune's key (none for a modal tune, whose key is estimated)."""
    if not mode:
        return ()
    return (("key", Key(_tonic(tonic), mode).name),)


def _repeated_meter(meter: tuple[TimeSignature, ...], bars: int, repeats: int) -> tuple[TimeSignature, ...]:
    """The meter of a form played repeats times: each chorus's changes, less those that change nothing."""
    out: list[TimeSignature] = []
    for k in range(repeats):
        for ts in meter:
            if not out or (ts.numerator, ts.denominator) != (out[-1].numerator, out[-1].denominator):
                out.append(replace(ts, bar=ts.bar + k * bars))
    return tuple(out)


def _repeated(form: tuple[Chord, ...], length: int, repeats: int) -> tuple[Chord, ...]:
    """The form's chord spans played repeats times, each time length ticks later; a chord that ends
    one chorus and starts the next sounds on as one span."""
    return merge_repeats([replace(c, onset=c.onset + k * length) for k in range(repeats) for c in form])


def _tune(name: str | None) -> Tune:
    name = (name or "blues").lower()
    if name not in TUNES:
        raise UsageError(f"--tune {name}: unknown; choose one of {', '.join(sorted(TUNES))}")
    return TUNES[name]


def _tonic(key: str) -> int:
    """The pitch class of a key's tonic ("Eb", "Bbm", "C-", "F# major")."""
    named = key_named(key)
    if named is None:
        raise UsageError(f"--key {key}: give a key such as C, Eb, F#, Bbm")
    return named.tonic


def _first_root_name(spans: tuple[Chord, ...]) -> str:
    return NOTE_NAMES[next((c.root for c in spans if c.root is not None), 0)]


def transpose(chords: tuple[Chord, ...], semitones: int) -> tuple[Chord, ...]:
    """Chord spans moved up by semitones (names respelled in jazzgen's canonical spelling)."""
    out = []
    for chord in chords:
        parsed = parse_chord(chord.symbol)
        moved = replace(
            parsed,
            root=(parsed.root + semitones) % 12,
            bass=None if parsed.bass is None else (parsed.bass + semitones) % 12,
        )
        out.append(chord_from_symbol(moved, chord.onset, chord.duration))
    return tuple(out)


def cut_bars(solo: Solo, bars: int) -> Solo:
    """The first `bars` bars of a lead sheet (chords cut at the new end)."""
    if bars >= solo.bars:
        return solo
    end = solo.bar_starts[bars]
    chords = tuple(
        c if c.end <= end else replace(c, duration=end - c.onset) for c in solo.chords if c.onset < end
    )
    meter = tuple(ts for ts in solo.meter if ts.bar < bars)
    return replace(solo, chords=chords, meter=meter, bars=bars)
