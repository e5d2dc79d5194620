"""Commands over solos and value tokens: prepare, inspect."""

from __future__ import annotations

COMMANDS: list = []
