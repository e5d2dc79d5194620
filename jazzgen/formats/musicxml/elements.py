"""The xml.etree helper the MusicXML writer's modules (writer, harmony) build their elements with."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def sub(parent: ET.Element, tag: str, content: str | int | None = None, **attributes) -> ET.Element:
    """A child element holding content; attributes with dashes are passed as **{"print-object": ...}."""
    element = ET.SubElement(parent, tag, {name: str(value) for name, value in attributes.items()})
    if content is not None:
        element.text = str(content)
    return element
