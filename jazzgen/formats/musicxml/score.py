"""A MusicXML lead sheet engraved as SVG pages by verovio (no desktop notation program needed).

    paths = write_score(musicxml_text(solo), "solo.svg")    # solo.svg, solo-2.svg, ...

The page is as wide as a printed part and as tall as the music needs, up to verovio's tallest
page; a solo longer than that goes on over further pages, NAME-2.svg, NAME-3.svg, ...
"""

from __future__ import annotations

from pathlib import Path

from jazzgen.errors import DataError, UsageError
from jazzgen.files.fileio import write_bytes_atomic

PAGE_WIDTH = 2100  # verovio units (tenths of a millimetre at scale 100): an A4 page
TALLEST_PAGE = 60000  # verovio's largest page height
SCALE = 40  # percent: a 32-bar solo reads on one screen


def write_score(musicxml: str, svg_path: str | Path, page_height: int = TALLEST_PAGE) -> list[Path]:
    """Engrave a MusicXML document to svg_path (and svg_path-2.svg ... for further pages), each
    written atomically; the paths written. page_height: the most a page holds, in verovio units."""
    svg_path = Path(svg_path)
    pages = engrave(musicxml, page_height)
    paths = [svg_path] + [
        svg_path.with_name(f"{svg_path.stem}-{k}{svg_path.suffix}") for k in range(2, len(pages) + 1)
    ]
    for path, page in zip(paths, pages):
        write_bytes_atomic(path, page.encode("utf-8"))
    return paths


def engrave(musicxml: str, page_height: int = TALLEST_PAGE) -> list[str]:
    """The SVG text of each page of a MusicXML document."""
    try:
        import verovio
    except ImportError:
        raise UsageError("--score needs verovio: install it with 'pip install verovio'") from None
    toolkit = verovio.toolkit()
    toolkit.setOptions(
        {
            "pageWidth": PAGE_WIDTH,
            "pageHeight": page_height,
            "adjustPageHeight": True,
            "scale": SCALE,
            "footer": "none",
            "breaks": "auto",
        }
    )
    if not toolkit.loadData(musicxml):
        raise DataError("verovio could not read the MusicXML lead sheet it was given")
    return [toolkit.renderToSVG(page) for page in range(1, toolkit.getPageCount() + 1)]
