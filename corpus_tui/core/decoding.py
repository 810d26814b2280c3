"""Turn a file's bytes into the canonical document text.

Rules (documented in the README):
- a byte-order mark selects UTF-8, UTF-16 or UTF-32 and is not part of the text;
- without one, a NUL byte in the first 8,000 bytes (git's rule) means binary;
- otherwise strict UTF-8;
- otherwise a *guessed* fallback: Windows-1252, or Latin-1 for the five bytes
  cp1252 leaves undefined. Detectors misread short cp1252/Latin-1 text, so we do
  not pretend to detect; the user can override the encoding per file.
No newline translation happens anywhere: CRLF stays two characters.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

BINARY_SNIFF_BYTES = 8000

# Checked longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Decoded:
    """The outcome of decoding: ``text`` is None when the file is unreadable."""

    text: str | None
    encoding: str | None
    guessed: bool = False
    problem: str | None = None

    @property
    def readable(self) -> bool:
        return self.text is not None


def _strict(data: bytes, encoding: str) -> Decoded:
    try:
        return Decoded(data.decode(encoding), encoding)
    except UnicodeDecodeError as error:
        return Decoded(None, encoding, problem=f"not valid {encoding} at byte {error.start}")


def _text_with_nuls(data: bytes) -> str:
    """The encoding to suggest for a file with a NUL: UTF-16 without its BOM when every other byte
    is a NUL (on the odd bytes: little-endian, ASCII text's high bytes), else UTF-8 (a page with a
    stray NUL). Suggesting utf-8 for UTF-16 text read it as "A␀n␀ ␀a␀…" (a trial)."""
    sample = data[:BINARY_SNIFF_BYTES]
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 16:
        if odd.count(0) >= 0.4 * len(odd) and even.count(0) <= 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) >= 0.4 * len(even) and odd.count(0) <= 0.05 * len(odd):
            return "utf-16-be"
    return "utf-8"


def decode(data: bytes, override: str | None = None) -> Decoded:
    """Decode ``data`` by the rules above; ``override`` forces one codec."""
    if override:
        try:
            codecs.lookup(override)
        except LookupError:
            return Decoded(None, override, problem=f"unknown encoding {override!r}")
        return _strict(data, override)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data, encoding)
    nul = data.find(b"\x00", 0, BINARY_SNIFF_BYTES)
    if nul != -1:
        return Decoded(None, None, problem=f"binary file (NUL byte at offset {nul}); if it is text, "
                                           f"corpus-tui set-encoding FOLDER PATH {_text_with_nuls(data)} reads it")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return Decoded(data.decode("cp1252"), "cp1252", guessed=True)
    except UnicodeDecodeError:
        return Decoded(data.decode("latin-1"), "latin-1", guessed=True)
