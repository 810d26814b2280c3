"""Stable colours: the same label gets the same colour in every session."""

from __future__ import annotations

import zlib

from rich.style import Style

DEFAULT_CHIP_STYLE = Style(color="#8fbcbb")

# Dark backgrounds that keep light text readable.
LABEL_BACKGROUNDS = (
    "#1f4e79", "#7b2d26", "#2e6b30", "#6b2e6b", "#7a5c00", "#1c6b6b",
    "#5b3a8c", "#8c3a5b", "#3a5b8c", "#5c6b1c", "#8c5a2b", "#2b5c8c",
)


def label_color(label: str) -> str:
    return LABEL_BACKGROUNDS[zlib.crc32(label.casefold().encode("utf-8")) % len(LABEL_BACKGROUNDS)]


def tag_style(color: str | None) -> Style:
    """A tag's own colour (set with ``corpus-tui tags set``), or the default chip colour.

    The colour comes from the database, so an unparseable one falls back quietly.
    """
    if color:
        try:
            return Style(color=color, bold=True)
        except Exception:  # rich raises its own ColorParseError / StyleSyntaxError
            pass
    return DEFAULT_CHIP_STYLE
