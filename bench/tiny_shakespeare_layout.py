"""A Project Gutenberg play rewritten in tiny Shakespeare's layout, to score a text model on a
play it never read (`jazzgen text evaluate -m trained/shakespeare hamlet.txt`).

Gutenberg's plays name each speaker on a line of its own, abbreviated ("Ham.", "Pol.") and spell
stage directions in brackets; tiny Shakespeare writes "HAMLET:" over each speech, a blank line
between speeches, no stage directions and no act or scene headings. A line is a speaker when it
is an abbreviation ending in a full stop that heads three speeches or more (so "He." answering a
question stays a line of verse); the abbreviations of the play's persons are written out from
the table below where it has them, else in capitals.

    .venv/bin/python bench/tiny_shakespeare_layout.py gutenberg_hamlet.txt > hamlet.txt
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

NAMES = {
    "Ham": "HAMLET",
    "Hor": "HORATIO",
    "King": "KING CLAUDIUS",
    "Queen": "QUEEN GERTRUDE",
    "Pol": "POLONIUS",
    "Laer": "LAERTES",
    "Oph": "OPHELIA",
    "Ros": "ROSENCRANTZ",
    "Guil": "GUILDENSTERN",
    "Mar": "MARCELLUS",
    "Ber": "BERNARDO",
    "Fran": "FRANCISCO",
    "Osr": "OSRIC",
    "Rey": "REYNALDO",
    "Fort": "FORTINBRAS",
    "Volt": "VOLTIMAND",
    "Capt": "CAPTAIN",
    "Mess": "MESSENGER",
    "Gent": "GENTLEMAN",
    "I Play": "FIRST PLAYER",
    "I Player": "FIRST PLAYER",
    "P. King": "PLAYER KING",
    "P. Queen": "PLAYER QUEEN",
}
SPEAKER = re.compile(r"([A-Z][A-Za-z]*(?:\.? [A-Z][a-z]*)?)\.")
HEADING = re.compile(r"^(ACT|Act|SCENE|Scene)\b")


def speeches(text: str) -> list[tuple[str, list[str]]]:
    lines = [line.strip() for line in text.replace("\r", "").split("\n")]
    heads = Counter(m[1] for line in lines if (m := SPEAKER.fullmatch(line)))
    out, speaker, verse = [], None, []
    for line in lines:
        match = SPEAKER.fullmatch(line)
        if match and heads[match[1]] >= 3:
            if speaker and verse:
                out.append((speaker, verse))
            speaker, verse = NAMES.get(match[1], match[1].upper()), []
            continue
        line = re.sub(r"\[[^\]]*\]", "", line).strip()
        if line and speaker and not HEADING.match(line):
            verse.append(line)
    if speaker and verse:
        out.append((speaker, verse))
    return out


def main() -> None:
    text = Path(sys.argv[1]).read_text(encoding="utf-8", errors="replace")
    sys.stdout.write("\n\n".join(f"{name}:\n" + "\n".join(verse) for name, verse in speeches(text)) + "\n")


if __name__ == "__main__":
    main()
