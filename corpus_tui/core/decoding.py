"""Turn a file's bytes into the canonical document text.

Rules (documented in the README):
- a byte-order mark selects UTF-8, UTF-16 or UTF-32 and is not part of the text;
- without one, a NUL byte in the first 8,000 bytes (git's rule) means binary;
- otherwise strict UTF-8;
- otherwise, *guessed*: UTF-8 with its bad bytes as U+FFFD when it holds ten well-formed
  multi-byte characters or more for each (``_damaged_utf8``); else Windows-1252, with
  Latin-1 for the five bytes cp1252 leaves undefined, byte by byte. Detectors misread
  short cp1252/Latin-1 text, so we do not pretend to detect; the user can override
  the encoding per file.
No newline translation happens anywhere: CRLF stays two characters.
"""

from __future__ import annotations

import codecs
import re
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


def encoding_problem(encoding: str) -> str | None:
    """Why ``encoding`` cannot decode a file, or None: unknown, or a codec that is not a text
    encoding (``hex``, ``base64``, ``rot13``: ``codecs.lookup`` knows them, and decoding with one
    raised a traceback at every scan: a review)."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        return f"unknown encoding {encoding!r}"
    if not getattr(info, "_is_text_encoding", True) or info.name in NOT_FOR_FILES:  # what bytes.decode refuses these by
        return f"{encoding!r} is not a text encoding"
    return None


# Codecs that say they are text encodings but read no file: domain names, and one that fails always.
NOT_FOR_FILES = frozenset({"punycode", "idna", "undefined"})


_ONE_BYTE_ORDER = frozenset({"utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"})


def _strict(data: bytes, encoding: str) -> Decoded:
    codec = codecs.lookup(encoding).name
    if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"  # a byte-order mark is not part of the text, whoever chose UTF-8
    errors = CP1252_UNDEFINED_AS_LATIN1 if codec == "cp1252" else "strict"
    try:
        text = data.decode(encoding, errors)
        if codec in _ONE_BYTE_ORDER and text.startswith("\ufeff"):
            text = text[1:]  # the mark of the order named, as utf-8-sig leaves it out (a review)
        return Decoded(text, encoding)
    except UnicodeDecodeError as error:
        return Decoded(None, encoding, problem=f"not valid {encoding} at byte {error.start}")
    except UnicodeError as error:  # codecs such as punycode, idna and undefined raise no position
        return Decoded(None, encoding, problem=f"cannot be read as {encoding} ({error})")


def _text_with_nuls(data: bytes) -> str:
    """The encoding to suggest for a file with a NUL: UTF-16 without its BOM when a byte order
    reads the start as text with hardly a control character (ASCII text puts a NUL in every
    other byte, Cyrillic only in its spaces), the one of them that reads more spaces and line
    breaks (the other makes them U+2000 and U+0A00); else UTF-8 (a page with a stray NUL).
    Suggesting utf-8 for UTF-16 text read it as "A␀n␀ ␀a␀…" (a trial); and utf-16-be for a
    UTF-8 page with one NUL before a space read it as CJK noise (another): valid UTF-8 with
    few NULs (``stray_nuls``) is UTF-8."""
    sample = data[: BINARY_SNIFF_BYTES - BINARY_SNIFF_BYTES % 4]
    if stray_nuls(sample):
        return "utf-8"
    best, best_breaks = "utf-8", 0
    for encoding in ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"):  # UTF-32 text is not UTF-16
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        breaks = text.count(" ") + text.count("\n")
        if len(text) >= 8 and control_share(text) < 0.01 and breaks > best_breaks:
            best, best_breaks = encoding, breaks
    return best


# From this share of control characters ``set-encoding`` refuses an encoding without --force.
MOST_LIKELY_NOT_TEXT = 0.05


def refused_reading(data: bytes, encoding: str) -> tuple[str, bool] | None:
    """Why ``set-encoding`` refuses to read these bytes as ``encoding``, and whether --force
    reads them so all the same; None when it takes it. Also what a binary file's advice is
    checked against, so that the command it names works (a review: it named ``utf-8`` for
    Latin-1 text with a NUL, and for a file whose control characters came after 8,000 bytes)."""
    decoded = decode(data, encoding)
    if not decoded.readable:
        return f"{decoded.problem}", False
    if decoded.text and decoded.text[0] == "\ufffe":  # a byte-order mark read in the other order
        return f"read as {encoding} its byte-order mark says the other byte order", True
    controls = control_share(decoded.text or "")
    if controls >= MOST_LIKELY_NOT_TEXT:  # latin-1 reads anything: UTF-16 read so is a NUL every other character
        return (f"read as {encoding}, {controls:.0%} of its characters are NULs or other control characters: not "
                "its encoding, most likely (UTF-16 without a BOM reads as utf-16-le or utf-16-be)"), True
    # How it reads without an override (a BOM first, as ``decode``); a binary file, as not at all:
    # its advice is made here.
    binary = not data.startswith(tuple(bom for bom, _ in _BOMS)) and data.find(b"\x00", 0, BINARY_SNIFF_BYTES) != -1
    before = Decoded(None, None) if binary else decode(data)
    try:  # a file that reads without an override (no NUL: not UTF-16 without its BOM), or one
        # with a stray NUL or two (``stray_nuls``), that is UTF-8
        as_utf8 = data.decode("utf-8") if before.readable or stray_nuls(data) else None
    except UnicodeDecodeError:
        as_utf8 = None
    if as_utf8 is not None and decoded.text not in (as_utf8, as_utf8.removeprefix("\ufeff")):
        return f"the file is valid UTF-8 and {encoding} reads it otherwise", True
    # Text has spaces and line breaks, whatever its language; an 8-bit file read two bytes a
    # character (utf-16) has almost none. Measured against the file as it reads now, or, when
    # it cannot (a stray NUL: binary to the rules), against its bytes one a character.
    baseline, baseline_name = (before.text, before.encoding) if before.text is not None else \
        (data.decode("latin-1"), "bytes")
    if decoded.text and _space_share(baseline) >= 0.05 and _space_share(decoded.text) < 0.01:
        return (f"read as {encoding} it has almost no spaces or line breaks ({_space_share(decoded.text):.0%}, "
                f"against {_space_share(baseline):.0%} as {baseline_name}): not its encoding, most likely"), True
    return None


_SPACES = frozenset(" \t\n\r\u3000")  # and CJK's ideographic space


def _space_share(text: str) -> float:
    """The share of spaces and line breaks in the start of a text (``refused_reading``'s noise
    check). Not ``str.isspace``: UTF-16 read in the other byte order makes every space U+2000,
    which it counts, so that reading passed the check (a review)."""
    sample = text[:20000]
    return sum(char in _SPACES for char in sample) / max(len(sample), 1)


def _binary_advice(data: bytes) -> str:
    """What to run if the file is text after all: the encoding its NULs suggest (UTF-8 text with
    a stray NUL, or cp1252 when it is not UTF-8), checked as ``set-encoding`` will check it."""
    suggested = _text_with_nuls(data)
    forced: str | None = None
    for encoding in (suggested, "cp1252") if suggested == "utf-8" else (suggested,):
        refusal = refused_reading(data, encoding)
        if refusal is None:
            return f"if it is text, corpus-tui set-encoding FOLDER PATH {encoding} reads it"
        if refusal[1] and forced is None:
            forced = encoding
    if forced is None:  # no encoding tried reads it at all
        return "if it is text, corpus-tui set-encoding FOLDER PATH ENCODING reads it, given its encoding"
    return (f"as {forced} it is not text, most likely; corpus-tui set-encoding FOLDER PATH {forced} --force "
            "reads it all the same")


def stray_nuls(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 text with a stray NUL or two: valid UTF-8 (its end may cut a
    character) with two NULs or under 1% of its bytes. UTF-16 of ASCII text is valid UTF-8 too, but
    every other byte of it is a NUL; of Cyrillic or Greek too, with a NUL in every space (7% of
    its bytes and more); of CJK scripts it is not valid UTF-8 at all."""
    if data.count(b"\x00") > max(2, 0.01 * len(data)):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(data) - 3 and error.reason == "unexpected end of data"
    return True


_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # C0 but tab, line feed and carriage return


def control_share(text: str) -> float:
    """The share of ``text`` that is control characters other than tab and line breaks (NUL
    among them): text has almost none; bytes read in the wrong encoding have many."""
    return len(_CONTROLS.findall(text)) / len(text) if text else 0.0


def decode(data: bytes, override: str | None = None) -> Decoded:
    """Decode ``data`` by the rules above; ``override`` forces one codec."""
    if override:
        problem = encoding_problem(override)
        if problem:
            return Decoded(None, override, problem=problem)
        return _strict(data, override)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data, encoding)
    nul = data.find(b"\x00", 0, BINARY_SNIFF_BYTES)
    if nul != -1:
        return Decoded(None, None, problem=f"binary file (NUL byte at offset {nul}); {_binary_advice(data)}")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    damaged = _damaged_utf8(data)
    if damaged is not None:
        return damaged
    return Decoded(data.decode("cp1252", CP1252_UNDEFINED_AS_LATIN1), "cp1252", guessed=True)


# A page of UTF-8 text with a stray bad byte (a cut multi-byte character, a byte of another
# encoding pasted in) read as cp1252 was noise from start to end ("ÐÐ¾Ð²Ð¾Ñ…"), and no encoding
# read it right (a review). It is UTF-8 when it holds many well-formed multi-byte characters for
# each bad byte: cp1252 text has none (its accented letters are single bytes, each one invalid).
UTF8_CHARACTERS_PER_BAD_BYTE = 10


def _damaged_utf8(data: bytes) -> Decoded | None:
    """UTF-8 with each bad byte as U+FFFD (one character each), guessed; or None."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")  # a U+FFFD the file holds is no bad byte
    multibyte = sum(1 for char in text if char > "\x7f") - text.count("\ufffd")
    if bad < 1 or multibyte < UTF8_CHARACTERS_PER_BAD_BYTE * bad:
        return None
    return Decoded(text, "utf-8", guessed=True,
                   problem=f"{bad} {'byte sequence' if bad == 1 else 'byte sequences'} not valid UTF-8, each shown as \ufffd")


def _latin1_for_undefined(error: UnicodeError) -> tuple[str, int]:
    """The five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) read as Latin-1,
    one byte at a time: a whole page read as Latin-1 for one of them made its curly quotes,
    euro signs and dashes C1 control characters (a review)."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


CP1252_UNDEFINED_AS_LATIN1 = "corpus-tui-cp1252-latin1"
codecs.register_error(CP1252_UNDEFINED_AS_LATIN1, _latin1_for_undefined)
