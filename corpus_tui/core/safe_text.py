"""Make untrusted text safe to put on a terminal, one character for one character.

Control characters (C0, DEL, C1) become the Unicode "control pictures" or a
replacement glyph, and invisible format characters (bidi overrides, zero-width
characters, soft hyphens, line/paragraph separators) become a visible box.
Nothing is dropped or added, so character offsets into the document stay valid.
Text is never parsed as markup: callers build ``rich.segment.Segment``s or
``textual.content.Content`` from plain strings.

The app and the command line share this mapping: ``visible`` for the app and
for the CLI's messages (one line each, whatever a file name holds), and
``for_terminal`` for data the CLI writes to a terminal (lines and tabs kept).
"""

from __future__ import annotations

import unicodedata

TAB_GLYPH = "→"
FORMAT_GLYPH = "▯"
C1_GLYPH = "�"

# Format (Cf) characters of Unicode 15, plus U+2028/U+2029, which terminals may
# treat as line breaks. Hard-coded: scanning the whole code space at start-up costs time.
_FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
    table[0x09] = TAB_GLYPH
    table[0x7F] = "\u2421"
    for code in range(0x80, 0xA0):
        table[code] = C1_GLYPH
    for low, high in _FORMAT_RANGES:
        for code in range(low, high + 1):
            table[code] = FORMAT_GLYPH
    return table


_TABLE = _build_table()
# Data shown on a terminal keeps its line breaks and tabs: they move the cursor, change nothing else.
_TERMINAL_TABLE = {code: glyph for code, glyph in _TABLE.items() if code not in (0x0A, 0x09)}
_GLYPHS = frozenset(_TABLE.values())


# Characters drawn one cell wide: Latin, Greek, Cyrillic, general punctuation
# (curly quotes, dashes, ellipsis), currency, arrows, box drawing, and every
# character ``visible`` turns into a glyph. A line made only of these needs no
# per-character width lookup, which keeps laying out a 10 MB text fast.
_SINGLE_CELL_RANGES = (
    (0x20, 0x7E), (0xA0, 0x2FF), (0x370, 0x482), (0x48A, 0x52F), (0x1E00, 0x1EFF), (0x2010, 0x2027),
    (0x2030, 0x205E), (0x20A0, 0x20C0), (0x2100, 0x214F), (0x2190, 0x21FF), (0x2400, 0x2426),
    (0x2500, 0x25FC), (0xFFFD, 0xFFFD),
)
_SINGLE_CELL = frozenset(
    [chr(code) for low, high in _SINGLE_CELL_RANGES for code in range(low, high + 1)]
    + [chr(code) for code in _build_table()]
)


def single_cell(text: str) -> bool:
    """True when every character of ``text`` is drawn exactly one cell wide."""
    return _SINGLE_CELL.issuperset(text)


def visible(text: str) -> str:
    """``text`` with every control or format character replaced by a visible glyph.

    >>> visible("a\\tb\\x1b[31m")
    'a→b␛[31m'
    """
    return text.translate(_TABLE)


def editable(text: str) -> str:
    """``text`` for an editor (the note editor): every control and format character as its glyph
    (``visible``), but line breaks (``\\n``, ``\\r\\n``) and tabs, which an editor shows as such.
    ``restored`` turns an edit of it back into text with the original characters.

    >>> editable("a\\x1b[31m\\r\\nb\\tc\\rd")
    'a␛[31m\\r\\nb\\tc␍d'
    """
    return "\r\n".join(map(for_terminal, text.split("\r\n")))


def restored(edited: str, original: str) -> str:
    """An edit of ``editable(original)``, with the glyphs put back to the characters they showed.

    Each glyph is put back in order when the edit holds as many of it as the original showed;
    when the count changed (one was deleted or typed), only when every character it showed was
    the same one: otherwise the glyphs stay (a literal one typed cannot be told from another).
    """
    shown: dict[str, list[str]] = {}  # glyph -> the characters it showed (or itself), in order
    for at, character in enumerate(original):
        if character == "\r" and original[at + 1 : at + 2] == "\n":
            continue  # a CRLF's CR is kept as it is, not shown
        glyph = _TERMINAL_TABLE.get(ord(character))
        if glyph is not None or character in _GLYPHS:
            shown.setdefault(glyph or character, []).append(character)
    for glyph, characters in shown.items():
        count = edited.count(glyph)
        if count == len(characters):
            pieces = edited.split(glyph)
            edited = pieces[0] + "".join(c + piece for c, piece in zip(characters, pieces[1:]))
        elif len(set(characters)) == 1:
            edited = edited.replace(glyph, characters[0])
    return edited


def quoted(text: str) -> str:
    """A name from the data (a tag, a label, a path) in a message: in quotes, its control
    characters as the glyphs the app shows (``'bad␇tag'``), where ``repr`` would print ``\\x07``.

    >>> quoted("bad\atag")
    "'bad␇tag'"
    """
    return "'" + visible(text) + "'"


def for_terminal(text: str) -> str:
    """``visible``, but newlines and tabs are kept: for output shown on a terminal, like ``ls``
    shows odd file names (data written to a file or a pipe is never passed through this).

    >>> for_terminal("title\x1b]0;pwned\x07\tnext\n")
    'title␛]0;pwned␇\tnext\n'
    """
    return text.translate(_TERMINAL_TABLE)


def middle_cut(text: str, limit: int) -> str:
    """``text`` (one line already) in at most ``limit`` terminal cells, its middle cut: a path's
    end (the file name, often a unique id) stays readable. Counted in cells, not characters:
    a CJK name is twice as wide as it is long (a top bar lost the name and the find: a review)."""
    if cells(text) <= limit:
        return text
    room = max(0, limit - 1)
    head, used = "", 0
    for char in text:  # the first half of the room, by cells
        width = _char_cells(char)
        if used + width > room // 2:
            break
        head, used = head + char, used + width
    tail, used_tail = "", 0
    for char in reversed(text):
        width = _char_cells(char)
        if used + used_tail + width > room:
            break
        tail, used_tail = char + tail, used_tail + width
    return head + "…" + tail


def cells(text: str) -> int:
    """How many terminal cells ``text`` takes (wide East Asian characters two, others one)."""
    return len(text) if text.isascii() else sum(map(_char_cells, text))


def _char_cells(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def one_line(text: str, limit: int = 200) -> str:
    """A short single-line rendering (names, notes, tags in lists): a line break (LF, CRLF) is a
    space; a lone CR is not one, and shows as its glyph, as the reader shows it (a trial)."""
    flat = visible(text.replace("\r\n", " ").replace("\n", " "))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def path_line(path: str, limit: int = 200) -> str:
    """``one_line`` for a file name: a line break in it is its glyph (␊), not a space, so the
    name shown is the file's (``new\nline.txt`` is not ``new line.txt``)."""
    flat = visible(path)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def control_character_problem(name: str, what: str) -> str | None:
    """Why a tag name or label cannot be stored: one holding a control character (NUL, ESC, BEL,
    DEL, C1..., not a tab: XML holds one, and tag names make it a space) reads as nothing sensible anywhere, and Label Studio's XML config cannot hold
    it at all (the export was refused long after the name was made). None when it is fine."""
    for char in name:
        if (char < " " and char != "\t") or "\x7f" <= char <= "\x9f":  # Unicode's Cc, but a tab: space
            return f"{what} {quoted(name)} holds a control character ({visible(char)}): names are printable text"
    return None


def tag_name_problem(name: str) -> str | None:
    """Why a tag name cannot be stored: a control character (``control_character_problem``), or
    ";", which separates a document's tags in CSV (the export's ``tags`` column, import-tags'
    ``path,tags``): ``iraq;syria`` was written so and read back as two tags. None when fine."""
    if problem := control_character_problem(name, "tag"):
        return problem
    if ";" in name:
        return f"tag {quoted(name)} holds ';', which separates tags in CSV files: names use another character"
    return None
