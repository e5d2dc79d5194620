"""iReal Pro links: found in an export's text, percent-decoded, unscrambled and split into songs.

A link is percent-encoded (an unencoded irealbook link on a line of its own reads too); its songs
are `=`-separated fields. irealb: title, composer, (unused), style, key, transpose, music, groove,
tempo, repeats, songs joined by `===` and a playlist name last; its music starts "1r34LbKcu7",
after which every 50-character block that has at least two characters after it has characters i
and 49-i swapped for i in 0-4 and 10-23 (its own inverse), and then "XyQ" stands for three
spaces, "LZ" for " |" and "Kcl" for "| x". irealbook: title, composer, style, key, "n", music,
songs joined by `=`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import unquote

from jazzgen.errors import DataError
from jazzgen.files.fileio import shown
from jazzgen.formats.ireal import limits

MAGIC = "1r34LbKcu7"  # how an irealb link's music field starts

_LINK = re.compile(r"irealb(ook)?://")
_LINE_END = re.compile(r"[\r\n]")
_SWAPPED = {*range(5), *range(10, 24)}  # i and 49-i trade places in a scrambled block
_BLOCK = [
    49 - i if i in _SWAPPED or 49 - i in _SWAPPED else i for i in range(50)
]  # plain[i] = block[_BLOCK[i]]


@dataclass(frozen=True)
class Song:
    """One song of a link, its chart not read yet."""

    title: str  # as shown ("The Gentle Rain")
    written: str  # as the link writes it ("Gentle Rain, The")
    music: str  # the plain chart string
    tempo: str  # the tempo field as written, "" when the link has none
    info: tuple[tuple[str, str], ...]  # (field, value) of the fields kept in Solo.info, none empty


def link_songs(text: str, name: str) -> list[Song]:
    """The songs of every iReal Pro link in text, in order; name: the file, for messages."""
    links = _links(text, name)
    if not links:
        raise DataError(
            f"{shown(name)}: no iReal Pro link (irealb:// or irealbook://) in it; export the songs "
            "from iReal Pro (Share, as HTML or text) and give that file"
        )
    songs = []
    for number, (scheme, body) in enumerate(links, 1):
        at = f"{shown(name)}: link {number}"
        songs += _irealbook_songs(body, at) if scheme == "irealbook" else _irealb_songs(body, at)
        if len(songs) > limits.MAX_SONGS:
            raise _too_many_songs(name)
    return songs


def _too_many_songs(name: str) -> DataError:
    return DataError(
        f"{shown(name)}: over {limits.MAX_SONGS:,} songs, more than jazzgen reads at once; export fewer"
    )


def _links(text: str, name: str) -> list[tuple[str, str]]:
    """(scheme, percent-decoded body) of each link in text."""
    links, end = [], 0
    for match in _LINK.finditer(text):
        if match.start() < end:
            continue  # written inside the link before it
        raw, end = _link_text(text, match)
        if len(links) == limits.MAX_SONGS:
            raise _too_many_songs(name)
        links.append(("irealbook" if match[1] else "irealb", _percent_decoded(raw, len(links) + 1, name)))
    return links


def _link_text(text: str, match: re.Match) -> tuple[str, int]:
    """The body of the link whose scheme is match, as written, and where in text it ends: up to its
    closing quote inside a quoted attribute, else up to the line's end (or the first space, when
    it is percent-encoded)."""
    quote = text[match.start() - 1 : match.start()]
    if quote in ('"', "'"):
        end = text.find(quote, match.end())
        end = len(text) if end < 0 else end
        return html.unescape(text[match.end() : end]), end
    line_end = _LINE_END.search(text, match.end())
    end = line_end.start() if line_end else len(text)
    raw = text[match.end() : end].strip()
    return (re.match(r"\S*", raw)[0] if "%" in raw else raw), end


def _percent_decoded(raw: str, number: int, name: str) -> str:
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise DataError(
            f"{shown(name)}: link {number} does not decode: its %-escapes are not UTF-8 "
            "text; export it from iReal Pro again"
        ) from None


def _irealb_songs(body: str, at: str) -> list[Song]:
    fields = body.split("=")
    music_at = [i for i, field in enumerate(fields) if field.startswith(MAGIC)]
    if not music_at:
        raise DataError(
            f"{at}: not an iReal Pro chart (no music field starting {MAGIC}); export it from iReal Pro again"
        )
    songs, done = [], 0  # done: the first field after the last song's
    for m in music_at:
        if m - 6 < done:
            raise DataError(
                f"{at}: song {len(songs) + 1} lacks the title=composer==style=key= fields before its "
                "chart; export it from iReal Pro again"
            )
        songs.append(_irealb_song(fields, m))
        done = m + 4
    return songs


def _irealb_song(fields: list[str], m: int) -> Song:
    """The song whose music is fields[m]: six fields come before it, up to three after it."""
    title, composer, _, style, key, transpose = fields[m - 6 : m]
    groove, tempo, repeats = (fields[m + 1 : m + 4] + ["", "", ""])[:3]
    info = (("composer", composer), ("style", style), ("key", key), ("transpose", transpose))
    info += (("groove", groove), ("repeats", repeats))
    music = _unscramble(fields[m][len(MAGIC) :])
    return Song(_display(title), title, music, tempo, tuple((k, v) for k, v in info if v))


def _irealbook_songs(body: str, at: str) -> list[Song]:
    fields = body.split("=")
    if len(fields) < 6 or len(fields) % 6 > 1:
        raise DataError(
            f"{at}: an irealbook link holds six fields a song (title=composer=style=key=n=chart), "
            f"and this one {len(fields)}; export it from iReal Pro again"
        )
    songs = []
    for i in range(0, len(fields) - 5, 6):
        title, composer, style, key, other, music = fields[i : i + 6]
        key = other if key == "n" else key
        info = tuple((k, v) for k, v in (("composer", composer), ("style", style), ("key", key)) if v)
        songs.append(Song(_display(title), title, music, "", info))
    return songs


def _unscramble(text: str) -> str:
    """The plain chart string of an irealb music field (after its prefix)."""
    blocks, pos = [], 0
    while len(text) - pos > 51:
        block = text[pos : pos + 50]
        blocks.append("".join(block[j] for j in _BLOCK))
        pos += 50
    plain = "".join(blocks) + text[pos:]
    return plain.replace("XyQ", "   ").replace("LZ", " |").replace("Kcl", "| x")


def _display(title: str) -> str:
    """The title as shown: "Gentle Rain, The" becomes "The Gentle Rain"."""
    return re.sub(r"^(.*), (The|A|An)$", r"\2 \1", title.strip())
