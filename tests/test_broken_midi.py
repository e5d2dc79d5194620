"""Broken MIDI files seen in real collections, built byte by byte: what is recovered, or the one
line that says why a file is skipped. Files are written at 12 ticks a beat, jazzgen's own grid,
so the notes read back in the ticks they were written in."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from jazzgen.errors import DataError, UsageError
from jazzgen.formats.midi.reader import read_midi
from jazzgen.formats.midi.repair import MAX_FILE_BYTES, clean_midi
from jazzgen.formats.reading import find_sources, read_file

TPB = 12
EOT = b"\x00\xff\x2f\x00"


def var(value: int) -> bytes:
    """A MIDI variable-length number."""
    out = [value & 0x7F]
    while value > 0x7F:
        value >>= 7
        out.append(0x80 | (value & 0x7F))
    return bytes(reversed(out))


def event(delta: int, *data: int) -> bytes:
    return var(delta) + bytes(data)


def meta(delta: int, kind: int, payload: bytes) -> bytes:
    return var(delta) + bytes([0xFF, kind]) + var(len(payload)) + payload


def chunk(kind: bytes, body: bytes, length: int | None = None) -> bytes:
    """A chunk; length: what its header claims (default: the truth)."""
    return kind + (len(body) if length is None else length).to_bytes(4, "big") + body


def header(tracks: int, file_format: int = 1, division: int = TPB, length: int = 6) -> bytes:
    body = file_format.to_bytes(2, "big") + tracks.to_bytes(2, "big") + division.to_bytes(2, "big")
    return chunk(b"MThd", body, length)


def line(pitches=(60, 62, 64, 65), step: int = 6, channel: int = 0, name: bytes = b"") -> bytes:
    """Track events: eighth notes (step ticks apart, each as long as its step), no end-of-track."""
    events = meta(0, 0x03, name) if name else b""
    for pitch in pitches:
        events += event(0, 0x90 | channel, pitch, 90) + event(step, 0x80 | channel, pitch, 0)
    return events


def smf(*tracks: bytes, file_format: int = 1, division: int = TPB, claimed: int | None = None) -> bytes:
    """A file of MTrk chunks with true lengths, each track body ended with end-of-track."""
    count = len(tracks) if claimed is None else claimed
    return header(count, file_format, division) + b"".join(chunk(b"MTrk", t + EOT) for t in tracks)


def read(data: bytes, name: str = "x.mid", melody_track=None):
    return read_midi(io.BytesIO(data), melody_track=melody_track, name=name)


def notes(reading) -> list[tuple[int, int, int]]:
    return [(n.onset, n.duration, n.pitch) for n in reading.solo.notes]


LINE = [(0, 6, 60), (6, 6, 62), (12, 6, 64), (18, 6, 65)]
TEMPO_100 = meta(0, 0x51, (600_000).to_bytes(3, "big"))


def test_a_clean_file_reads_back_with_no_repairs():
    reading = read(smf(TEMPO_100, line()))
    assert notes(reading) == LINE and reading.repairs == () and reading.solo.tempo == 100


# ---------------------------------------------------------------- meta events


def test_a_two_byte_time_signature_is_completed():
    reading = read(smf(meta(0, 0x58, bytes([3, 2])), line()))
    assert [ts.name for ts in reading.solo.meter] == ["3/4"] and notes(reading) == LINE
    assert reading.repairs == ("track 0: a time signature of 2 bytes completed to 4",)


def test_a_two_byte_tempo_is_ignored():
    reading = read(smf(meta(0, 0x51, b"\x07\xa1"), line()))
    assert reading.solo.tempo == 120 and notes(reading) == LINE
    assert reading.repairs == ("track 0: a tempo event of 2 bytes (3 needed) ignored",)


def test_tempo_zero_is_ignored():
    reading = read(smf(meta(0, 0x51, b"\x00\x00\x00") + TEMPO_100, line()))
    assert reading.solo.tempo == 100 and notes(reading) == LINE
    assert reading.repairs == ("track 0: a tempo of 0 microseconds a beat ignored",)


def test_a_time_signature_jazzgen_cannot_use_is_ignored():
    reading = read(smf(meta(0, 0x58, bytes([7, 5, 24, 8])), line()))
    assert [ts.name for ts in reading.solo.meter] == ["4/4"] and notes(reading) == LINE
    assert reading.repairs == ("track 0: a time signature 7/32 jazzgen cannot use ignored",)


def test_a_key_signature_of_nine_sharps_is_passed_over():
    reading = read(smf(meta(0, 0x59, bytes([9, 0])) + line()))
    assert notes(reading) == LINE and reading.repairs == ()


def test_non_ascii_and_nul_terminated_track_names():
    reading = read(
        smf(
            line(name="Saxofón".encode()),
            line((72, 74), name=b"Piano\x00\x00junk"),
            line((40,), name="Kontrabaß".encode("latin-1")),
        )
    )
    assert [t.name for t in reading.tracks] == ["Saxofón", "Piano", "Kontrabaß"]


def test_chord_markers_with_nul_bytes_still_give_chords():
    reading = read(smf(meta(0, 0x06, b"Dm7\x00") + meta(12, 0x06, b"G7\x00\x00"), line()))
    assert [c.symbol for c in reading.solo.chords] == ["Dm7", "G7"]


# ---------------------------------------------------------------- channel events


def test_data_bytes_above_127_are_clipped():
    track = event(0, 0x90, 60, 200) + event(6, 0x80, 60, 0) + line((62, 64, 65))
    reading = read(smf(track))
    assert notes(reading) == LINE and reading.solo.notes[0].velocity == 127
    assert reading.repairs == ("track 0: data bytes above 127 clipped to 127",)


def test_running_status_with_no_status_before_it_skips_to_the_next_status():
    reading = read(smf(event(0, 60, 90) + line()))  # the next event's delta time is skipped too
    assert notes(reading) == LINE
    assert reading.repairs == ("track 0: running status with no status before it: skipped 3 data bytes",)


def test_running_status_is_followed():
    track = event(0, 0x90, 60, 90) + event(6, 60, 0) + event(0, 62, 90) + event(6, 62, 0)
    assert notes(read(smf(track))) == LINE[:2]


def test_notes_never_released_end_at_the_next_onset_or_the_tracks_end():
    track = event(0, 0x90, 60, 90) + event(6, 0x90, 62, 90) + event(6, 0x90, 64, 90)
    track += meta(12, 0x01, b"")  # the track ends 12 ticks after the last onset
    reading = read(smf(track))
    assert notes(reading) == [(0, 6, 60), (6, 6, 62), (12, 12, 64)]
    assert reading.repairs == (
        "track 0: 3 notes never released: each ends at the next note or the track's end",
    )


def test_a_note_never_released_at_the_very_end_lasts_a_beat():
    reading = read(smf(line((60,)) + event(0, 0x90, 62, 90)))
    assert notes(reading) == [(0, 6, 60), (6, 12, 62)]


def test_zero_length_notes_last_until_the_next_note():
    track = b"".join(
        event(6 if i else 0, 0x90, p, 90) + event(0, 0x80, p, 0) for i, p in enumerate((60, 62, 64))
    )
    track += event(6, 0x90, 65, 90) + event(6, 0x80, 65, 0)
    reading = read(smf(track))
    assert notes(reading) == LINE
    assert reading.repairs == (
        "track 0: 3 notes of zero length: each lasts until the next note or the track's end",
    )


def test_a_repeated_note_written_on_before_off_keeps_both_notes():
    track = event(0, 0x90, 60, 90) + event(6, 0x90, 60, 90) + event(0, 0x80, 60, 0) + event(6, 0x80, 60, 0)
    reading = read(smf(track))
    assert notes(reading) == [(0, 6, 60), (6, 6, 60)] and reading.repairs == ()


def test_note_offs_without_note_ons_are_ignored():
    stray = event(0, 0x80, 50, 0) + event(0, 0x90, 51, 0)
    reading = read(smf(stray + line() + event(3, 0x80, 70, 0)))
    assert notes(reading) == LINE and reading.repairs == ()


def test_an_undefined_status_byte_ends_its_track():
    reading = read(smf(line((60, 62)) + event(0, 0xF4, 1, 2, 3) + line((64, 65))))
    assert notes(reading) == LINE[:2]
    assert reading.repairs == ("track 0: undefined status byte 0xF4: the rest of the track is unreadable",)


# ---------------------------------------------------------------- chunks and header


def test_a_truncated_file_keeps_the_notes_before_the_cut():
    data = smf(TEMPO_100, line())
    reading = read(data[:-7])  # cuts the end-of-track and the last note-off after its delta time
    assert notes(reading) == LINE
    assert reading.repairs == (
        "track 1: cut short: read the events before the cut",
        "track 1: 1 note never released: each ends at the next note or the track's end",
    )


def test_a_file_cut_inside_its_header_is_skipped():
    with pytest.raises(DataError, match=r"^x.mid: its MIDI header is cut short \(10 of 14 bytes\)$"):
        read(smf(line())[:10])


def test_a_chunk_length_of_0xffffffff_reads_to_the_end_of_track():
    data = header(2) + chunk(b"MTrk", TEMPO_100 + EOT, 0xFFFFFFFF) + chunk(b"MTrk", line() + EOT, 0xFFFFFFFF)
    reading = read(data)
    assert notes(reading) == LINE and reading.solo.tempo == 100
    wrong = "chunk length (4,294,967,295 bytes) is wrong: read its {} bytes up to its end-of-track event"
    assert reading.repairs == ("track 0's " + wrong.format(11), "track 1's " + wrong.format(36))


def test_chunk_lengths_too_short_and_too_long_are_replaced_by_the_tracks_extent():
    data = (
        header(3)
        + chunk(b"MTrk", line((60, 62)) + EOT, 5)
        + chunk(b"MTrk", line((64, 65)) + EOT, 400)
        + chunk(b"MTrk", TEMPO_100 + EOT)
    )
    reading = read(data, melody_track=1)
    assert notes(reading) == [(0, 6, 64), (6, 6, 65)] and reading.solo.tempo == 100
    assert [(t.index, t.notes) for t in reading.tracks] == [(0, 2), (1, 2)]
    assert reading.repairs == (
        "track 0's chunk length (5 bytes) is wrong: read its 20 bytes up to its end-of-track event",
        "track 1's chunk length (400 bytes) is wrong: read its 20 bytes up to its end-of-track event",
    )


@pytest.mark.parametrize("claimed", [0, 65535, 7])
def test_the_headers_track_count_is_not_trusted(claimed):
    reading = read(smf(TEMPO_100, line(), claimed=claimed))
    assert notes(reading) == LINE and reading.solo.tempo == 100
    assert reading.repairs == (f"its header claims {claimed} tracks but it holds 2: read all 2",)


def test_a_wrong_header_length_is_read_as_six():
    data = header(1, length=0xFFFFFFFF) + chunk(b"MTrk", line() + EOT)
    reading = read(data)
    assert notes(reading) == LINE
    assert reading.repairs == ("its header length says 4294967295 bytes: read as the standard 6",)


def test_empty_tracks_are_fine_but_a_file_of_them_holds_no_notes():
    empty = chunk(b"MTrk", b"")
    assert notes(read(header(3) + empty + chunk(b"MTrk", line() + EOT) + empty)) == LINE
    with pytest.raises(DataError, match=r"^x.mid: holds no notes$"):
        read(header(2) + chunk(b"MTrk", b"") + chunk(b"MTrk", EOT))


def test_other_chunks_are_passed_over_and_junk_is_reported():
    data = header(1) + chunk(b"XFIH", b"\x01\x02\x03") + b"\x00" * 40 + chunk(b"MTrk", line() + EOT)
    data += b"\xff" * 50
    reading = read(data)
    assert notes(reading) == LINE  # bytes after the last end-of-track are not looked at
    assert reading.repairs == ("ignored 40 bytes that are not a chunk, before track 0",)


def test_no_track_chunk_at_all():
    with pytest.raises(DataError, match=r"^x.mid: holds no track \(no 'MTrk' chunk after its header\)$"):
        read(header(1) + b"\x00" * 20)


def test_ticks_per_beat_zero_is_skipped():
    with pytest.raises(
        DataError,
        match=r"^x.mid: its header gives 0 ticks per beat, so its note times "
        r"cannot be read; export it again from a sequencer$",
    ):
        read(smf(line(), division=0))


def test_smpte_time_division_is_read_at_120_bpm():
    division = ((256 - 25) << 8) | 40  # 25 frames a second, 40 ticks a frame: 1000 ticks a second
    track = TEMPO_100 + line(step=250)  # eighths at 120 bpm; the tempo event means nothing in SMPTE time
    reading = read(smf(track, division=division))
    assert notes(reading) == LINE and reading.solo.tempo == 120
    assert reading.repairs == (
        "SMPTE time (25 frames a second x 40 ticks) read as 120 bpm; its beats are tracked from the notes",
    )


def test_an_unknown_smpte_rate_is_skipped():
    with pytest.raises(DataError, match="unknown SMPTE time division"):
        read(smf(line(), division=((256 - 23) << 8) | 40))


def test_format_2_gives_its_first_sequence_with_notes():
    reading = read(smf(TEMPO_100, line(), line((70, 71)), file_format=2))
    assert notes(reading) == LINE and reading.solo.tempo == 120  # sequence 0's tempo is not sequence 1's
    assert reading.repairs == (
        "format 2 (independent sequences): read sequence 1, the first with notes, "
        "alone; 2 other sequences ignored",
    )


def test_a_riff_wrapped_rmi_file():
    inner = smf(TEMPO_100, line())
    riff_body = (
        b"RMID"
        + b"data"
        + len(inner).to_bytes(4, "little")
        + inner  # RIFF sizes are little-endian
        + b"LIST"
        + (4).to_bytes(4, "little")
        + b"INFO"
    )
    data = b"RIFF" + len(riff_body).to_bytes(4, "little") + riff_body
    reading = read(data, "song.rmi")
    assert notes(reading) == LINE and reading.repairs == ()


def test_leading_junk_before_the_header_is_skipped():
    reading = read(b"\x00" * 128 + smf(line()))
    assert notes(reading) == LINE and reading.repairs == ("skipped 128 bytes before its MIDI header",)


# ---------------------------------------------------------------- size and count limits


def test_a_200000_note_file_is_refused_quickly():
    track = event(0, 0x90, 60, 90) + (event(1, 60, 0) + event(0, 60, 90)) * 199_999 + event(1, 60, 0)
    with pytest.raises(
        DataError,
        match=r"^x.mid: holds more than 100,000 notes \(a solo has a few "
        r"thousand\): split it into shorter files$",
    ):
        read(smf(track))


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path):
    path = tmp_path / "huge.mid"
    with open(path, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written or read
    with pytest.raises(DataError, match=r"huge.mid: is 16.0 MiB; jazzgen reads MIDI files of up to 16 MiB"):
        read_midi(path)
    with pytest.raises(DataError, match="jazzgen reads MIDI files of up to 16 MiB"):
        clean_midi(b"MThd" + bytes(MAX_FILE_BYTES))


# ---------------------------------------------------------------- files that are not MIDI


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "is empty (0 bytes), not MIDI"),
        (b"hello world\nsecond line\n", "is a text file, not MIDI (it starts 'hello world')"),
        (b"PK\x03\x04\x14\x00\x00\x00", "is not a MIDI file (it starts with bytes 50 4b 03 04, not 'MThd')"),
    ],
)
def test_files_that_are_not_midi(data, reason):
    with pytest.raises(DataError) as info:
        read(data)
    assert str(info.value) == f"x.mid: {reason}"


def test_a_folder_named_like_a_midi_file(tmp_path):
    folder = tmp_path / "x.mid"
    folder.mkdir()
    with pytest.raises(DataError, match=r"x.mid: is a folder, not a MIDI file$"):
        read_midi(folder)
    with pytest.raises(DataError, match=r"x.mid: is a folder, not a file$"):
        read_file(folder)


def test_a_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        read_midi(tmp_path / "gone.mid")


def test_symlink_loops_in_folders_are_walked_once(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "solo.mid").write_bytes(smf(line()))
    (tmp_path / "a" / "back").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "self.mid").symlink_to(tmp_path / "self.mid")
    found = find_sources([tmp_path])
    assert found.files == (tmp_path / "a" / "solo.mid",)
    dangling = "a symbolic link that leads nowhere (broken, or a loop)"
    assert found.skipped == ((tmp_path / "self.mid", dangling),)
    with pytest.raises(DataError) as info:
        read_midi(tmp_path / "self.mid")
    assert str(info.value) == f"{tmp_path / 'self.mid'}: is {dangling}"


def test_unicode_file_names(tmp_path):
    path = tmp_path / "Café Ωmega – solo.mid"
    path.write_bytes(smf(line()))
    reading = read_midi(path)
    assert notes(reading) == LINE and reading.solo.title == "Café Ωmega – solo"
    raw = os.fsencode(tmp_path) + b"/caf\xe9.mid"  # a Latin-1 name that is not UTF-8
    with open(raw, "wb") as f:
        f.write(smf(line()))
    assert notes(read_midi(os.fsdecode(raw))) == LINE


def test_an_unreadable_file_is_skipped_with_the_reason(tmp_path, monkeypatch):
    path = tmp_path / "locked.mid"
    path.write_bytes(smf(line()))

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(DataError, match=r"locked.mid: cannot read it \(Permission denied\)$"):
        read_midi(path)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root reads a chmod 000 file anyway; the monkeypatched test covers it",
)
def test_a_chmod_000_file_is_skipped_with_the_reason(tmp_path):
    path = tmp_path / "locked.mid"
    path.write_bytes(smf(line()))
    path.chmod(0)
    try:
        with pytest.raises(DataError, match=r"locked.mid: cannot read it \(Permission denied\)$"):
            read_midi(path)
    finally:
        path.chmod(0o644)


# ---------------------------------------------------------------- prepare over a mixed folder


def test_prepare_keeps_every_usable_file_and_reuses_its_cache(tmp_path):
    from click.testing import CliRunner

    from jazzgen.cli import cli

    src, out = tmp_path / "src", tmp_path / "corpus"
    (src / "dir.mid").mkdir(parents=True)  # a folder named like a MIDI file is searched, not read
    (src / "dir.mid" / "inner.mid").write_bytes(smf(line((67, 69))))
    (src / "good.mid").write_bytes(smf(TEMPO_100, line()))
    (src / "Café Ωmega.mid").write_bytes(smf(line((70, 72, 74))))
    (src / "cut.mid").write_bytes(smf(TEMPO_100, line())[:-7])
    (src / "empty.mid").write_bytes(b"")
    (src / "notes.mid").write_text("hello world\n")
    (src / "zero.mid").write_bytes(smf(line(), division=0))
    (src / "loop.mid").symlink_to(src / "loop.mid")
    result = CliRunner().invoke(cli, ["prepare", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        f"prepared 4 solos (13 notes, 76 tokens, vocabulary 20) from 7 files into {out}; repaired 1; "
        f"skipped 4 (see {out / 'report.json'}); 4 files have no chords: see {out / 'report.json'}; add "
        "NAME.chords beside a MIDI file, or use --require-chords"
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [(Path(u["path"]).name, u["notes"], u.get("repaired")) for u in report["used"]] == [
        ("Café Ωmega.mid", 3, None),
        (
            "cut.mid",
            4,
            [
                "track 1: cut short: read the events before the cut",
                "track 1: 1 note never released: each ends at the next note or the track's end",
            ],
        ),
        ("inner.mid", 2, None),
        ("good.mid", 4, None),
    ]
    assert [(Path(s["path"]).name, s["reason"]) for s in report["skipped"]] == [
        ("loop.mid", "a symbolic link that leads nowhere (broken, or a loop)"),
        ("empty.mid", "is empty (0 bytes), not MIDI"),
        ("notes.mid", "is a text file, not MIDI (it starts 'hello world')"),
        (
            "zero.mid",
            "its header gives 0 ticks per beat, so its note times cannot be read; export it again "
            "from a sequencer",
        ),
    ]
    (src / "new.mid").write_bytes(smf(line((60, 67))))
    again = CliRunner().invoke(cli, ["prepare", str(src), "-o", str(out)])
    assert again.exit_code == 0, again.output
    assert "prepared 5 solos" in again.output and "from 8 files" in again.output
    assert "; 7 from cache;" in again.output


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path, monkeypatch):
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "solo.mid").write_bytes(smf(line()))
    (tmp_path / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = find_sources([tmp_path])
    assert found.files == (tmp_path / "open" / "solo.mid",)
    assert found.skipped == ((tmp_path / "locked", "cannot list this folder (Permission denied)"),)
