"""Fuzz targets and the hypothesis strategies that feed them, shared by tests/test_fuzz.py (a short
run in the test suite) and fuzz/fuzz_all.py (the long run).

Each target takes one generated case and may raise nothing but jazzgen's own errors
(JazzgenError and its subclasses); anything else is a bug. Each returns 'ok' or the name of the
JazzgenError it raised, so a run can count what happened.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import mido
from hypothesis import strategies as st

from jazzgen.errors import JazzgenError
from jazzgen.formats.midi.reader import read_midi
from jazzgen.formats.musicxml.reader import read_musicxml
from jazzgen.music.changes import parse_changes
from jazzgen.music.chords import NOTE_NAMES, chord_from_symbol, parse_chord
from jazzgen.music.solo import TimeSignature
from jazzgen.music.tunes import TUNES, lead_sheet
from jazzgen.tokens.decoding import decode
from jazzgen.tokens.values import encode, token_kind

REPO = Path(__file__).resolve().parents[1]


def outcome(call) -> str:
    """'ok', or the name of the JazzgenError call raised; any other exception propagates."""
    try:
        call()
    except JazzgenError as err:
        return type(err).__name__
    return "ok"


# ---------------------------------------------------------------- MIDI reader


def _seed_file(tracks: list[list[mido.Message]], file_type: int = 1, ppq: int = 96) -> bytes:
    midi = mido.MidiFile(type=file_type, ticks_per_beat=ppq)
    for messages in tracks:
        midi.tracks.append(mido.MidiTrack(messages))
    data = io.BytesIO()
    midi.save(file=data)
    return data.getvalue()


def _line(pitches, step: int, channel: int = 0) -> list[mido.Message]:
    out = []
    for pitch in pitches:
        out += [
            mido.Message("note_on", channel=channel, note=pitch, velocity=90, time=0),
            mido.Message("note_off", channel=channel, note=pitch, velocity=0, time=step),
        ]
    return out


def seed_midi_files() -> list[bytes]:
    """Valid files to mutate: small band and solo files built here, and the repository's examples."""
    conductor = [
        mido.MetaMessage("set_tempo", tempo=500000),
        mido.MetaMessage("time_signature"),
        mido.MetaMessage("marker", text="Dm7"),
        mido.MetaMessage("marker", text="G7", time=192),
    ]
    melody = [mido.MetaMessage("track_name", name="Sax"), mido.Message("program_change", program=65)]
    melody += _line([62, 65, 69, 72, 71, 67, 65, 64], 48)
    bass = [mido.Message("program_change", channel=1, program=33)] + _line([38, 43, 36, 41], 96, channel=1)
    files = [_seed_file([conductor, melody, bass]), _seed_file([melody + _line([60, 64], 24, channel=2)], 0)]
    files.append(_seed_file([conductor, _line([60, 62, 64], 37)], ppq=480))
    played = _line([62, 65, 69, 72, 71, 67, 65, 64], 251)  # off the grid: a performance with a band
    files.append(_seed_file([conductor, played, _line([38, 43, 36, 41, 38, 43], 487, channel=1)], ppq=480))
    files += [path.read_bytes() for path in sorted((REPO / "data" / "midi").glob("*.mid"))]
    return files


SEED_MIDI = seed_midi_files()

_MUTATION = st.tuples(
    st.sampled_from(["set", "flip", "insert", "delete", "cut", "dup"]),
    st.floats(0, 1),
    st.binary(min_size=1, max_size=6),
)


def _mutate(data: bytes, mutations) -> bytes:
    out = bytearray(data)
    for kind, where, payload in mutations:
        i = int(where * len(out))
        if kind == "set" and i < len(out):
            out[i] = payload[0]
        elif kind == "flip" and i < len(out):
            out[i] ^= 1 << (payload[0] % 8)
        elif kind == "insert":
            out[i:i] = payload
        elif kind == "delete":
            del out[i : i + payload[0] % 16 + 1]
        elif kind == "cut":
            del out[i:]
        elif kind == "dup":
            out[i:i] = out[i : i + payload[0] % 32 + 1]
    return bytes(out)


def midi_cases():
    """Random bytes (half of them starting with a MIDI header) and mutated valid files."""
    random_bytes = st.binary(max_size=400)
    headed = st.binary(max_size=300).map(lambda tail: b"MThd\x00\x00\x00\x06" + tail)
    mutated = st.builds(_mutate, st.sampled_from(SEED_MIDI), st.lists(_MUTATION, min_size=1, max_size=8))
    return st.one_of(random_bytes, headed, mutated, mutated)


def read_midi_target(data: bytes) -> str:
    return outcome(lambda: read_midi(io.BytesIO(data), name="fuzz.mid"))


# ---------------------------------------------------------------- MusicXML reader

_XML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<score-partwise version="3.1"><part-list>'
    '<score-part id="P1"><part-name>Lead</part-name></score-part>{more}</part-list>'
)


def _xml_note(step: str, duration: int, extra: str = "", octave: int = 4) -> str:
    pitch = f"<pitch><step>{step}</step><octave>{octave}</octave></pitch>"
    return f"<note>{pitch}<duration>{duration}</duration>{extra}</note>"


def _xml_harmony(root: str, kind: str, extra: str = "", alter: int = 0) -> str:
    altered = f"<root-alter>{alter}</root-alter>" if alter else ""
    return f"<harmony><root><root-step>{root}</root-step>{altered}</root><kind>{kind}</kind>{extra}</harmony>"


def seed_musicxml_texts() -> list[bytes]:
    """Small valid lead sheets to mutate: ties, chords, a pickup, triplets, voices, chord symbols with
    a bass, a degree and an offset, two parts."""
    four = "<attributes><divisions>2</divisions><time><beats>4</beats><beat-type>4</beat-type></time>"
    four += "</attributes>"
    start, stop = "<tie type='start'/>", "<tie type='stop'/>"
    tied = (
        f'<measure number="1">{four}{_xml_harmony("D", "minor-seventh")}{_xml_note("D", 4)}'
        f"{_xml_note('F', 2)}{_xml_note('A', 2, start)}</measure>"
        f'<measure number="2">{_xml_harmony("G", "dominant", "<bass><bass-step>B</bass-step></bass>")}'
        f"{_xml_note('A', 2, stop)}{_xml_note('C', 2, '<chord/>', 5)}"
        f"<note><rest/><duration>2</duration></note>{_xml_note('B', 4)}</measure>"
    )
    triplet = "<time-modification><actual-notes>3</actual-notes><normal-notes>2</normal-notes>"
    triplet += "</time-modification>"
    three = four.replace(">2<", ">3<").replace("<beats>4", "<beats>3")
    flat_nine = (
        "<degree><degree-value>9</degree-value><degree-alter>-1</degree-alter><degree-type>add"
        "</degree-type></degree><offset>3</offset>"
    )
    waltz = (
        f'<measure number="0" implicit="yes">{three}{_xml_note("G", 3)}</measure><measure number="1">'
        f"{_xml_harmony('C', 'major-seventh')}{''.join(_xml_note(s, 1, triplet) for s in 'CDE')}"
        f"{_xml_note('F', 6)}<backup><duration>9</duration></backup>"
        f"<forward><duration>3</duration></forward>{_xml_note('C', 6, '<voice>2</voice>', 3)}</measure>"
        f'<measure number="2">{_xml_harmony("B", "dominant", flat_nine, alter=-1)}'
        f"<note><grace/><pitch><step>D</step><octave>5</octave></pitch></note>{_xml_note('C', 9)}"
        "</measure>"
    )
    second = '<score-part id="P2"><part-name>Bass</part-name></score-part>'
    bass = f'<part id="P2"><measure number="1">{four}{_xml_note("D", 8, "", 2)}</measure></part>'
    texts = [
        _XML_HEAD.format(more="") + f'<part id="P1">{tied}</part></score-partwise>',
        _XML_HEAD.format(more="") + f'<part id="P1">{waltz}</part></score-partwise>',
        _XML_HEAD.format(more=second) + f'<part id="P1">{tied}</part>{bass}</score-partwise>',
    ]
    return [text.encode("utf-8") for text in texts]


def _archived(score: bytes) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "META-INF/container.xml",
            "<container><rootfiles><rootfile full-path='score.xml'/></rootfiles></container>",
        )
        archive.writestr("score.xml", score)
    return data.getvalue()


SEED_MUSICXML = seed_musicxml_texts()
_ELEMENT = re.compile(
    rb"<(?!score-partwise|part-list|score-part|part\b)([a-z][a-z-]*)\b[^>]*>.*?</\1>", re.DOTALL
)  # an element below the part, with what it holds
_NUMBER = re.compile(rb"(?<=>)-?[0-9]+(?=<)")  # an element's text
_ODD_NUMBERS = [
    b"0",
    b"-1",
    b"1",
    b"2",
    b"3",
    b"7",
    b"13",
    b"400000000",
    b"2147483648",
    b"1e400",
    b"0.5",
    b"nan",
    b"",
]
_XML_EDITS = ["number"] * 3 + ["dup"] * 3 + ["delete"] * 2 + ["byte"]
_XML_EDIT = st.tuples(st.sampled_from(_XML_EDITS), st.floats(0, 1), st.sampled_from(_ODD_NUMBERS), _MUTATION)


def _edit_xml(data: bytes, edits) -> bytes:
    """Edits that mostly keep the XML well formed: a number changed, an element repeated or removed;
    now and then a byte mutation."""
    for kind, where, number, byte_mutation in edits:
        spans = [m.span() for m in (_NUMBER if kind == "number" else _ELEMENT).finditer(data)]
        if kind == "byte" or not spans:
            data = _mutate(data, [byte_mutation])
            continue
        start, end = spans[min(int(where * len(spans)), len(spans) - 1)]
        replacement = {"number": number, "dup": data[start:end] * 2, "delete": b""}[kind]
        data = data[:start] + replacement + data[end:]
    return data


def musicxml_cases():
    """Edited seed lead sheets, as MusicXML text or zipped as .mxl, and random bytes."""
    edited = st.builds(_edit_xml, st.sampled_from(SEED_MUSICXML), st.lists(_XML_EDIT, min_size=1, max_size=6))
    zipped = edited.map(_archived)
    return st.one_of(edited, edited, edited, zipped, st.binary(max_size=200))


def read_musicxml_target(data: bytes) -> str:
    return outcome(lambda: read_musicxml(io.BytesIO(data)))


# ---------------------------------------------------------------- Impro-Visor leadsheets

_SEED_LEADSHEET = (
    "(title Seed)\n(meter 4 4)\n(tempo 160.0)\n(part (type chords))\n(section (style swing))\n"
    "F7 | Bb7 / Bo7 / | CM7 h7 | NC |\n(part (type melody) (title Chorus 1))\n"
    " c+2+4 r4 f8 g8 ab8/3 a8/3 bb-8/3 r2 v80 e16 d#16. r1+1\n"
)
_LEADSHEET_WORDS = [
    "(", ")", "|", "/", ",", "F7", "Xq7", "B\\F7", "Fm7/Bb7", "c+2+4", "r1+1+1", "8/0", "c+", "g-8.",
    "e16/5", "(part (type melody))", "(meter 0 4)", "(meter 3 4)", "(tempo 9e99)", "v999", "//", "/*",
]  # fmt: skip


def leadsheet_cases():
    """Leadsheet texts: the seed with words put in, taken out or swapped, and random text."""
    words = _SEED_LEADSHEET.split(" ")
    edit = st.tuples(
        st.integers(0, len(words)), st.integers(0, 3), st.lists(st.sampled_from(_LEADSHEET_WORDS), max_size=4)
    )
    edited = edit.map(lambda e: " ".join(words[: e[0]] + e[2] + words[e[0] + e[1] :]))
    return st.one_of(edited, edited, edited, st.text(max_size=200))


def leadsheet_target(text: str) -> str:
    import tempfile

    from jazzgen.formats.impro_visor import read_leadsheet

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.ls"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return outcome(lambda: read_leadsheet(path))


# ---------------------------------------------------------------- chord symbols and changes

_SPELLINGS = [
    "",
    "m",
    "-",
    "7",
    "maj7",
    "j7",
    "^7",
    "Δ",
    "m7",
    "-7",
    "m7b5",
    "ø",
    "o7",
    "dim",
    "+",
    "aug7",
    "7alt",
    "sus4",
    "7sus",
    "69",
    "6/9",
    "13",
    "9",
    "11",
    "m(maj7)",
    "add9",
    "5",
    "°",
]
_TENSIONS = [
    "",
    "b9",
    "#9",
    "#11",
    "b13",
    "13",
    "9",
    "11",
    "b5",
    "#5",
    "(b9)",
    "(b9,#11)",
    "9b",
    "911#",
    "b",
    "#",
]
_CHORD_CHARS = "ABCDEFGH abcdefgmMjoø°Δ^+-#b♭♯()/,.0123456789sualtdinNCX%|\n\t"


def chord_symbols():
    """Plausible symbols (root, quality, tensions, bass) and raw text, with either accidental style."""

    def spelled(roots, tensions, basses):
        return st.builds(
            lambda r, a, q, t, b: r + a + q + t + b,
            st.sampled_from(roots),
            st.sampled_from(["", "b", "#", "♭", "♯", "##"]),
            st.sampled_from(_SPELLINGS),
            st.sampled_from(tensions),
            st.sampled_from(basses),
        )

    likely = spelled("ABCDEFG", ["", "", "b9", "#11", "(b9,#11)", "13", "b13"], ["", "", "/E", "/Bb"])
    odd = spelled("ABCDEFGHX", _TENSIONS, ["", "/E", "/Bb", "/", "/H", "/C#"])
    text = st.one_of(likely, likely, odd, st.text(_CHORD_CHARS, max_size=14), st.text(max_size=10))
    return st.tuples(text, st.booleans())


def chord_target(case) -> str:
    """Parse a symbol and make a chord span of it (its name, tones and scale)."""
    symbol, suffix_accidentals = case
    return outcome(lambda: chord_from_symbol(parse_chord(symbol, suffix_accidentals), 0, 12))


_METERS = st.sampled_from(
    [(4, 4), (3, 4), (6, 8), (5, 4), (7, 8), (2, 2), (12, 8), (1, 16), (9, 1), (4, 3), (0, 4)]
)


def changes_texts():
    """Bar-line progressions: cells of symbols, '%', '/' and '.', now and then stray text."""
    symbol = chord_symbols().map(lambda case: case[0])
    token = st.one_of(
        st.sampled_from(["Dm7", "G7", "Cmaj7", "F#m7b5", "Bb7(b9)", "Eb/G", "C"]),
        st.sampled_from(["%", "/", ".", "NC", "N.C."]),
        symbol,
    )
    cell = st.lists(token, max_size=4).map(" ".join)
    bars = st.lists(cell, max_size=10).map(lambda cells: "| " + " | ".join(cells) + " |")
    return st.one_of(bars, bars, bars, st.text(_CHORD_CHARS, max_size=40))


def changes_target(case) -> str:
    text, (numerator, denominator) = case
    return outcome(lambda: parse_changes(text, (TimeSignature(0, numerator, denominator),)))


def lead_sheet_cases():
    """(changes, tune, key, choruses, bars, meter) as `jazzgen generate` passes them: mostly one of
    changes or a tune, sometimes both, odd keys, counts and meters."""
    changes, tune = changes_texts(), st.sampled_from(sorted(TUNES))
    source = st.one_of(
        st.tuples(changes, st.none()),
        st.tuples(st.none(), tune),
        st.tuples(st.none(), st.none()),
        st.tuples(st.one_of(st.none(), changes), st.one_of(tune, st.text(max_size=8))),
    )
    keys = [None, None, None, *NOTE_NAMES, "F#m", "Bbmaj", "Ebm", "C##", "x", "", "H"]
    key = st.one_of(st.sampled_from(keys), st.text(max_size=4))
    choruses = st.sampled_from([1, 1, 1, 1, 2, 3, 4, 0, -1, 1000, 10**9])
    bars = st.sampled_from([None, None, None, None, 1, 5, 12, 33, 300, 0, -2, 10**5, 10**12])
    meter = st.one_of(st.none(), _METERS)
    return st.builds(lambda src, *rest: (*src, *rest), source, key, choruses, bars, meter)


def lead_sheet_target(case) -> str:
    changes, tune, key, choruses, bars, meter = case
    return outcome(lambda: lead_sheet(changes, tune, key, choruses, bars, meter))


# ---------------------------------------------------------------- value tokens


def real_vocabulary() -> tuple[str, ...]:
    """Every token of the repository's example solos and of the built-in tunes' lead sheets."""
    tokens = set()
    for path in sorted((REPO / "data" / "midi").glob("*.mid")):
        tokens.update(encode(read_midi(path).solo))
    for name in TUNES:
        tokens.update(encode(lead_sheet(tune=name, choruses=2)))
    tokens.update(f"{c}{i:+d}" for c in "CSAXN" for i in range(-14, 15))
    tokens.update(f"{p}{n}" for p in "gd" for n in range(49))
    return tuple(sorted(tokens))


VOCABULARY = real_vocabulary()
_JUNK = [
    "g49",
    "d0",
    "g-1",
    "C+999",
    "X+99999999999",
    "N-200",
    "@-1",
    "@99999",
    "R+",
    "R+-3",
    "Q",
    "Qxyz",
    "Qmaj",
    "T",
    "Tb10",
    "B+",
    "B+99",
    "M",
    "M0/4",
    "M4/0",
    "M4/3",
    "M/",
    "M4/4/4",
    "key:",
    "key:H",
    "reg:",
    "reg:-1",
    "reg:999",
    "reg:x",
    "|",
    "<solo>",
    "<end>",
    "<pad>",
    "<unk>",
    "NC",
    "",
]


def _value_stream():
    """Streams in the values grammar (header, bars, chord changes, note values), a token here and
    there dropped, repeated or replaced by junk."""
    vocab = st.sampled_from(VOCABULARY)
    of_kind = {
        kind: st.sampled_from([t for t in VOCABULARY if token_kind(t) == kind] or ["|"])
        for kind in ("gap", "pitch", "duration", "meter", "header", "chord")
    }
    gaps = st.lists(of_kind["gap"], min_size=1, max_size=2)
    durations = st.lists(of_kind["duration"], min_size=1, max_size=2)
    note = st.builds(lambda g, p, d: [*g, p, *d], gaps, of_kind["pitch"], durations)
    chord = st.lists(of_kind["chord"], min_size=1, max_size=4)
    piece = st.one_of(
        note,
        note,
        note,
        chord,
        st.just(["|"]),
        st.lists(of_kind["meter"], max_size=1),
        st.lists(st.one_of(vocab, st.sampled_from(_JUNK)), max_size=2),
    )
    body = st.lists(piece, max_size=30).map(lambda pieces: [t for p in pieces for t in p])
    head = st.lists(st.one_of(of_kind["meter"], of_kind["header"]), max_size=4)
    return st.builds(
        lambda h, b, end: ["<solo>", *h, "|", *b] + (["<end>"] if end else []), head, body, st.booleans()
    )


def value_token_cases():
    """Token lists in the grammar or drawn at random from a real vocabulary and junk, decoded over
    their own chords or a tune's."""
    token = st.one_of(
        st.sampled_from(VOCABULARY), st.sampled_from(VOCABULARY), st.sampled_from(_JUNK), st.text(max_size=6)
    )
    tokens = st.one_of(_value_stream(), _value_stream(), st.lists(token, max_size=80))
    return st.tuples(tokens, st.one_of(st.none(), st.none(), st.sampled_from(sorted(TUNES))))


def decode_target(case) -> str:
    tokens, tune = case
    chords = lead_sheet(tune=tune).chords if tune else None
    return outcome(lambda: decode(tokens, chords=chords))


# ---------------------------------------------------------------- bundles


def _seed_bundle() -> dict[str, bytes]:
    """The files of a small valid jazz bundle (random weights, no Keras model), by name."""
    import json
    import tempfile

    import numpy as np

    from jazzgen.lm.bundle import expected_shapes
    from jazzgen.lm.config import ModelConfig, RunConfig, TokenizerConfig, TrainConfig
    from jazzgen.lm.vocab import Vocab

    vocab = Vocab(("<pad>", "<unk>", "<solo>", "<end>", "|", "g0", "g12", "C+0", "S-2", "d12", "R+5", "Q7"))
    config = RunConfig(
        ModelConfig(cell="gru", layers=2, units=8, embedding=4, vocab_size=len(vocab)),
        TrainConfig(),
        TokenizerConfig(),
    )
    rng = np.random.default_rng(0)
    weights = {
        name: rng.normal(0, 0.5, shape).astype(np.float32) for name, shape in expected_shapes(config).items()
    }
    buffer = io.BytesIO()
    np.savez(buffer, **weights)
    with tempfile.TemporaryDirectory() as tmp:
        vocab.save(Path(tmp) / "vocab.json")
        vocab_bytes = (Path(tmp) / "vocab.json").read_bytes()
    return {
        "config.json": config.to_json().encode(),
        "vocab.json": vocab_bytes,
        "weights.npz": buffer.getvalue(),
        "metrics.json": json.dumps({"train_tokens": 100}).encode(),
    }


SEED_BUNDLE = _seed_bundle()


def bundle_cases():
    """A seed bundle with one file mutated: its bytes, or its JSON edited like the MusicXML texts."""
    file = st.sampled_from(sorted(SEED_BUNDLE))
    as_bytes = st.tuples(file, st.lists(_MUTATION, min_size=1, max_size=6)).map(
        lambda case: (case[0], _mutate(SEED_BUNDLE[case[0]], case[1]))
    )
    as_json = st.tuples(
        st.sampled_from(["config.json", "vocab.json", "metrics.json"]),
        st.lists(_XML_EDIT, min_size=1, max_size=4),
    ).map(lambda case: (case[0], _edit_xml(SEED_BUNDLE[case[0]], case[1])))
    return st.one_of(as_bytes, as_json)


def bundle_target(case: tuple[str, bytes]) -> str:
    """Load a bundle with one file replaced, as generate does (no TensorFlow)."""
    import tempfile

    from jazzgen.lm.numpy_lm import NumpyLM

    name, data = case
    with tempfile.TemporaryDirectory() as tmp:
        for file, content in SEED_BUNDLE.items():
            (Path(tmp) / file).write_bytes(data if file == name else content)
        return outcome(lambda: NumpyLM.load(tmp))


TARGETS = {
    "read_midi": (read_midi_target, midi_cases),
    "read_musicxml": (read_musicxml_target, musicxml_cases),
    "read_leadsheet": (leadsheet_target, leadsheet_cases),
    "parse_chord": (chord_target, chord_symbols),
    "parse_changes": (changes_target, lambda: st.tuples(changes_texts(), _METERS)),
    "lead_sheet": (lead_sheet_target, lead_sheet_cases),
    "value_decoding.decode": (decode_target, value_token_cases),
    "bundle": (bundle_target, bundle_cases),
}
