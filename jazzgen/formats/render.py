"""Rendering a solo: a Type 1 MIDI file (melody, piano comping, walking bass), audio, a piano roll
(draw_piano_roll, drawn by jazzgen.formats.pianoroll).

This is the only module that writes MIDI. Inside jazzgen time is TICKS_PER_BEAT ticks per quarter
note; here each tick becomes PPQ / TICKS_PER_BEAT MIDI ticks, and swing is applied on the way out:
in every beat whose melody moves in 8ths, the off-beat 8th (tick 6 of 12) is delayed to
swing * beat and the notes around it are stretched or shrunk to match. Beats holding 16ths or
triplets stay straight.

Track layout: a conductor track (name, tempo, key and time signatures, chord markers), then
"Melody" (channel 0), "Comp" (piano, channel 1) and "Bass" (acoustic bass, channel 2). Over a
backing track (jazzgen.formats.midi.backing) the file is written on the backing's clock (its ticks
a beat, tempo map and meters, the solo from the bar it starts at) and the band's own tracks follow
jazzgen's, which then take channels the band leaves free.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import wave
from bisect import bisect_right
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import mido

from jazzgen.errors import DataError, UsageError
from jazzgen.files.fileio import atomic_path
from jazzgen.formats.pianoroll import draw_piano_roll  # noqa: F401 - part of this module's API
from jazzgen.music.accompany import comp_notes, walking_bass
from jazzgen.music.instruments import ACOUSTIC_BASS, PIANO, program_number
from jazzgen.music.solo import TICKS_PER_BEAT, Note, Solo
from jazzgen.music.tonality import solo_key

if TYPE_CHECKING:
    from jazzgen.formats.midi.backing import BandTrack, Clock

PPQ = 480  # MIDI ticks per quarter note
SCALE = PPQ // TICKS_PER_BEAT  # MIDI ticks per jazzgen tick
MELODY_CHANNEL, COMP_CHANNEL, BASS_CHANNEL = 0, 1, 2
DRUM_CHANNEL = 9  # General MIDI's channel 10
SWING_RANGE = (0.5, 0.75)
JITTER = 8  # largest velocity change velocity_jitter_seed adds or takes away
DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SAMPLE_RATE = 44100
GAIN = 0.6  # fluidsynth master gain; keeps a full band below clipping
RELEASE_TAIL, FADE = 0.5, 0.05  # seconds of audio after the MIDI ends, and of its fade-out
INSTALL_HINT = (
    "install it with 'apt-get install fluidsynth fluid-soundfont-gm' (macOS: 'brew install fluid-synth')"
)


# ---------------------------------------------------------------- MIDI


def write_midi(
    solo: Solo,
    path_or_file: str | Path | BinaryIO,
    *,
    instrument: str | int = "tenor sax",
    comp: bool = True,
    bass: bool = False,
    swing: float = 0.5,
    tempo: float | None = None,
    velocity_jitter_seed: int | None = None,
    chord_markers: bool = False,
    clock: Clock | None = None,
    band: tuple[BandTrack, ...] = (),
) -> None:
    """Write solo as a Type 1 MIDI file to a path (atomically) or a binary file object.

    instrument: GM name or program number of the melody; swing: 0.5 straight .. 0.75 hard swing
    (where the off-beat 8th falls, as a fraction of the beat); tempo: quarter notes per minute
    (default solo.tempo); velocity_jitter_seed: humanise velocities by up to +-JITTER, repeatably;
    chord_markers: write each chord symbol as a marker event at its onset (NC where changes stop);
    clock: a backing track's time grid (jazzgen.formats.midi.backing) to write on instead of
    PPQ ticks at one tempo: its ticks a beat, tempo map and meters, the solo starting at its origin;
    band: the backing's own tracks, written under the solo (jazzgen's parts then take channels
    the band leaves free).
    """
    midi = midi_file(
        solo,
        instrument=instrument,
        comp=comp,
        bass=bass,
        swing=swing,
        tempo=tempo,
        velocity_jitter_seed=velocity_jitter_seed,
        chord_markers=chord_markers,
        clock=clock,
        band=band,
    )
    if hasattr(path_or_file, "write"):
        midi.save(file=path_or_file)
        return
    with atomic_path(path_or_file) as tmp:
        midi.save(filename=str(tmp))


def midi_file(
    solo: Solo,
    *,
    instrument="tenor sax",
    comp=True,
    bass=False,
    swing=0.5,
    tempo=None,
    velocity_jitter_seed=None,
    chord_markers=False,
    clock=None,
    band=(),
) -> mido.MidiFile:
    """The mido.MidiFile write_midi saves (same options)."""
    program = program_number(instrument)
    _check_swing(swing)
    tempo = solo.tempo if tempo is None else _check_tempo(tempo)
    to_midi = swing_map(solo, swing) if clock is None else _on_clock(swing_map(solo, swing), clock)
    end = max([to_midi(solo.end)] + [t.events[-1][0] for t in band if t.events])
    rng = random.Random(velocity_jitter_seed) if velocity_jitter_seed is not None else None
    midi = mido.MidiFile(type=1, ticks_per_beat=PPQ if clock is None else clock.ticks_per_beat)
    midi.tracks.append(_conductor_track(solo, tempo, to_midi, chord_markers, clock, end))
    parts = [("Melody", program, solo.notes)]
    if comp:
        parts.append(("Comp", PIANO, comp_notes(solo)))
    if bass:
        parts.append(("Bass", ACOUSTIC_BASS, walking_bass(solo)))
    channels = _channels(len(parts), band)
    for (name, part_program, notes), channel in zip(parts, channels):
        events = _note_events(notes, channel, to_midi, end, rng)
        program_change = mido.Message("program_change", channel=channel, program=part_program)
        midi.tracks.append(_track(name, end, events, program_change))
    for track in band:
        midi.tracks.append(_track(track.name, end, list(track.events)))
    return midi


def _on_clock(swung: Callable[[int], int], clock: Clock) -> Callable[[int], int]:
    """jazzgen ticks -> a backing file's ticks: swung PPQ ticks rescaled to its ticks a beat, from
    the file tick of the solo's first bar."""
    return lambda tick: clock.origin + round(swung(tick) * clock.ticks_per_beat / PPQ)


def _channels(count: int, band: tuple[BandTrack, ...]) -> list[int]:
    """MIDI channels for jazzgen's parts (melody, comp, bass): its own when the band leaves them
    free, else the first free ones (never the drums' channel 10); shared only when none is free."""
    used = {m.channel for t in band for _, m in t.events if hasattr(m, "channel")}
    free = [c for c in range(16) if c not in used and c != DRUM_CHANNEL]
    preferred = [c for c in (MELODY_CHANNEL, COMP_CHANNEL, BASS_CHANNEL) if c in free]
    order = preferred + [c for c in free if c not in preferred] or [MELODY_CHANNEL]
    return [order[min(i, len(order) - 1)] for i in range(count)]


def _check_swing(swing: float) -> None:
    low, high = SWING_RANGE
    if not low <= swing <= high:
        raise UsageError(
            f"swing {swing} is outside {low}..{high}: "
            "0.5 plays 8ths straight, 0.67 triplet swing, 0.75 hard swing"
        )


def _check_tempo(tempo: float) -> float:
    if not 10 <= tempo <= 1000:
        raise UsageError(f"tempo {tempo} bpm is outside 10..1000; give quarter notes per minute")
    return float(tempo)


def swing_map(solo: Solo, swing: float) -> Callable[[int], int]:
    """A function from jazzgen ticks to MIDI ticks that swings the 8th-note beats of solo.

    Beats count from each bar line. Only whole quarter-note beats in bars of x/2 or x/4 swing, and
    only where no melody note starts off the 8th grid; everything else maps straight.
    """
    starts = solo.bar_starts
    half = TICKS_PER_BEAT // 2
    offbeat = swing * PPQ  # MIDI ticks into the beat where the off-beat 8th lands
    beats_of_notes = [(_beat_start(starts, n.onset), n.onset) for n in solo.notes]
    straight = {beat for beat, onset in beats_of_notes if (onset - beat) % half}  # 16ths or triplets

    def swings(beat: int, bar: int) -> bool:
        whole_beat = bar < solo.bars and beat + TICKS_PER_BEAT <= starts[bar + 1]
        simple_meter = bar < solo.bars and solo.time_signature_at_bar(bar).denominator <= 4
        return swing != 0.5 and beat not in straight and whole_beat and simple_meter

    def to_midi(tick: int) -> int:
        beat = _beat_start(starts, tick)
        if not swings(beat, bisect_right(starts, tick) - 1):
            return tick * SCALE
        position = tick - beat
        if position <= half:
            inside = position / half * offbeat
        else:
            inside = offbeat + (position - half) / half * (PPQ - offbeat)
        return beat * SCALE + round(inside)

    return to_midi


def _beat_start(starts: tuple[int, ...], tick: int) -> int:
    """The tick where the quarter-note beat holding tick starts, counting beats from its bar line."""
    bar_start = starts[max(0, min(bisect_right(starts, tick), len(starts) - 1) - 1)]
    return bar_start + (tick - bar_start) // TICKS_PER_BEAT * TICKS_PER_BEAT


def _conductor_track(
    solo: Solo, tempo: float, to_midi, chord_markers: bool, clock, end: int
) -> mido.MidiTrack:
    """Name, tempo, key and meters (a clock's own tempo map and meters as they were), chord markers."""
    starts = solo.bar_starts
    key = (0, mido.MetaMessage("key_signature", key=solo_key(solo).name))
    if clock is None:
        events = [(0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo))), key]
        meters = [
            (to_midi(starts[ts.bar]), ts.numerator, ts.denominator) for ts in solo.meter if ts.bar < solo.bars
        ]
    else:
        events = [(tick, mido.MetaMessage("set_tempo", tempo=us)) for tick, us in clock.tempos] + [key]
        meters = list(clock.meters)
    events += [
        (tick, mido.MetaMessage("time_signature", numerator=num, denominator=den))
        for tick, num, den in meters
    ]
    if chord_markers:
        events += [(to_midi(tick), mido.MetaMessage("marker", text=text)) for tick, text in chord_marks(solo)]
    return _track(solo.title or "jazzgen solo", end, events)


def chord_marks(solo: Solo) -> list[tuple[int, str]]:
    """(tick, symbol) at every chord onset, and 'NC' wherever the changes stop before the solo ends."""
    marks = []
    for chord, following in zip(solo.chords, solo.chords[1:] + (None,)):
        if chord.onset < solo.end:
            marks.append((chord.onset, chord.symbol))
        next_onset = following.onset if following is not None else solo.end
        if chord.end < next_onset and chord.end < solo.end and not chord.is_nc:
            marks.append((chord.end, "NC"))
    return marks


def _note_events(notes, channel: int, to_midi, end: int, rng) -> list[tuple[int, mido.Message]]:
    """note_on/note_off pairs in MIDI ticks, clipped to end; a note is cut where its pitch starts again."""
    spans = sorted((to_midi(n.onset), min(to_midi(n.end), end), n.pitch, _velocity(n, rng)) for n in notes)
    last_start: dict[int, list] = {}
    kept = []
    for start, stop, pitch, velocity in spans:
        if start >= end:
            continue
        earlier = last_start.get(pitch)
        if earlier is not None and earlier[1] > start:
            earlier[1] = start
        span = [start, stop, pitch, velocity]
        last_start[pitch] = span
        kept.append(span)
    events = []
    for (
        start,
        stop,
        pitch,
        velocity,
    ) in kept:  # pitches and velocities are in MIDI's range: mido need not check
        if stop > start:
            events.append((start, _note("note_on", channel, pitch, velocity)))
            events.append((stop, _note("note_off", channel, pitch, 0)))
    return events


def _note(kind: str, channel: int, pitch: int, velocity: int) -> mido.Message:
    return mido.Message(kind, channel=channel, note=pitch, velocity=velocity, skip_checks=True)


def _velocity(note: Note, rng) -> int:
    if rng is None:
        return note.velocity
    return max(1, min(127, note.velocity + rng.randint(-JITTER, JITTER)))


def _track(name: str, end: int, events, *first: mido.Message) -> mido.MidiTrack:
    """A track from (MIDI tick, message) events: name first, note-offs before note-ons at one tick."""
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name), *first])
    now = 0
    for tick, message in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(message.copy(time=tick - now, skip_checks=True))  # tick >= now: sorted
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=end - now))
    return track


# ---------------------------------------------------------------- audio


def render_wav(midi_path: str | Path, wav_path: str | Path, soundfont: str | Path | None = None) -> None:
    """Render a MIDI file to a 44.1 kHz stereo WAV with the fluidsynth program, written atomically.

    The audio lasts the MIDI file's length plus RELEASE_TAIL seconds for the last notes to ring
    out (fluidsynth itself appends about two seconds of near-silence, which is cut).
    """
    program = shutil.which("fluidsynth")
    if program is None:
        raise UsageError(f"rendering audio needs the fluidsynth program, not installed here: {INSTALL_HINT}")
    soundfont = Path(soundfont) if soundfont is not None else DEFAULT_SOUNDFONT
    if not soundfont.is_file():
        raise UsageError(f"soundfont {soundfont} not found: {INSTALL_HINT}, or pass a .sf2 file")
    seconds = _midi_seconds(midi_path) + RELEASE_TAIL
    with atomic_path(wav_path) as tmp:
        command = [
            program,
            "-n",
            "-i",
            "-q",
            "-F",
            str(tmp),
            "-T",
            "wav",
            "-O",
            "s16",
            "-r",
            str(SAMPLE_RATE),
            "-g",
            str(GAIN),
            str(soundfont),
            str(midi_path),
        ]
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode != 0 or tmp.stat().st_size == 0:
            detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise DataError(f"fluidsynth could not render {midi_path}: {detail}")
        _trim_wav(tmp, seconds)


def _midi_seconds(midi_path: str | Path) -> float:
    if not Path(midi_path).is_file():
        raise UsageError(f"MIDI file {midi_path} not found")
    try:
        return mido.MidiFile(str(midi_path)).length
    except (OSError, ValueError, EOFError, KeyError) as err:
        raise DataError(f"cannot read {midi_path} as MIDI: {err}") from None


def _trim_wav(path: Path, seconds: float) -> None:
    """Cut a 16-bit WAV file to seconds, fading out over its last FADE seconds."""
    import numpy as np

    with wave.open(str(path), "rb") as reader:
        params = reader.getparams()
        frames = np.frombuffer(reader.readframes(params.nframes), dtype="<i2").reshape(-1, params.nchannels)
    keep = frames[: round(seconds * params.framerate)].astype(np.float64)  # (samples, channels)
    fade = min(len(keep), round(FADE * params.framerate))
    if fade:
        keep[-fade:] *= np.linspace(1.0, 0.0, fade)[:, None]
    with wave.open(str(path), "wb") as writer:
        writer.setparams(params)
        writer.writeframes(keep.round().astype("<i2").tobytes())
