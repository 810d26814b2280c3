"""What counts as "the same passage": the normalization behind repeated-passage fingerprints.

Two passages are the same when their normalized texts are equal. ``normalize`` applies, in
this order:

1. HTML character references are resolved (``html.unescape``: named ``&nbsp;``, ``&copy``,
   numeric ``&#8217;``, ``&#x2019;``), repeatedly, so text escaped twice (``&amp;quot;``) reads
   as text escaped once; a chain of ``&amp;`` counts as one ``&``.
2. Quotes and dashes are unified: ``‘ ’ ‚ ‛ ′ ‹ › ʼ ` ´`` become ``'``; ``“ ” „ ‟ ″ « »`` become
   ``"``; ``‐ ‑ ‒ – — ― −`` become ``-``. Format characters (Unicode category Cf: zero-width
   space and joiners, soft hyphen, byte-order mark, bidi marks and controls, word joiner, …)
   are removed.
3. Unicode NFKC (so full-width forms, ligatures and NBSP become their plain forms), then
   case folding (``str.casefold``: ``Straße`` = ``STRASSE``), then NFKC again; step 2 is applied
   again to what NFKC produced (``﹘`` → ``—`` → ``-``).
4. Markdown link targets are dropped: ``[text](url)`` and ``![alt](url)`` become ``text`` and
   ``alt`` (a link around an image, ``[![alt](img)](url)``, becomes ``alt``), reference-style
   ``[text][ref]`` and ``[text][]`` become ``text``; an autolink ``<https://…>`` keeps its URL
   without the angle brackets, because the same passage is printed elsewhere with the bare URL.
5. Each run of digits (any script's decimal digits) becomes one ``0``, and so does a number
   written with thousands separators: a run of digits followed by groups of a comma, period or
   apostrophe and exactly three digits (``61,127``, ``1.000.000``, ``10'000``): ``Posted on
   2017-07-08`` = ``Posted on 2018-1-9``, ``string(949)`` = ``string(12)``, ``© 2017`` =
   ``© 2023``, ``61,127 readers`` = ``733 readers``. (``1,5`` and ``3.14159`` stay two runs.)
6. Whitespace (every Unicode space, NBSP, tab, line break, line and paragraph separator:
   what ``str.split`` splits on) is collapsed to one space and stripped at both ends.

``normalize`` is idempotent: normalized text normalizes to itself. (Except in text built to
defeat it: character references escaped more than four times over other than by ``&amp;``, or
links nested more than four deep, are resolved four levels deep, so that a hostile 10 MB line
still takes linear time.) It depends on the Unicode version of Python's ``unicodedata`` (NFKC,
case folding, what a digit is); ``NORMALIZATION_VERSION`` changes whenever these rules change,
so a stored index knows to recompute its fingerprints.
"""

from __future__ import annotations

import hashlib
import html
import html.entities
import operator
import re
import unicodedata

NORMALIZATION_VERSION: int = 2  # 2: thousands separators (``61,127`` is one number)

_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u2039\u203a\u02bc`\u00b4"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
# Unicode category Cf as of Unicode 14 (Python 3.11); spelled out so importing costs nothing.
_FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)
FORMAT_CHARACTERS: frozenset[str] = frozenset(
    chr(code) for first, last in _FORMAT_RANGES for code in range(first, last + 1)
)

_TABLE: dict[int, str | None] = {
    **{ord(c): "'" for c in _SINGLE_QUOTES},
    **{ord(c): '"' for c in _DOUBLE_QUOTES},
    **{ord(c): "-" for c in _DASHES},
    **{ord(c): None for c in FORMAT_CHARACTERS},
}
# Runs of the table's characters: translating only those is 2x faster than translating the
# whole line, since str.translate looks up every character of it.
_TABLE_RUN = re.compile(
    "[" + re.escape(_SINGLE_QUOTES + _DOUBLE_QUOTES + _DASHES)
    + "".join(f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in _FORMAT_RANGES)
    + "]+"
)

# What of step 2 changes words: format characters, and the quotes that are word characters.
_WORD_CHANGING = re.compile(
    "[" + "".join(re.escape(c) for c in _SINGLE_QUOTES + _DOUBLE_QUOTES + _DASHES if re.match(r"\w", c))
    + "".join(f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in _FORMAT_RANGES)
    + "]"
)

# &amp; &AMP; &#38; &#x26; (a semicolon is optional in HTML), any number of times in a row.
_AMPERSAND_CHAIN = re.compile(r"&(?:(?:amp|AMP);?|#0*38(?![0-9]);?|#[xX]0*26(?![0-9a-fA-F]);?)+")
# Real text nests entities twice (&amp;quot;) and links twice ([![alt](img)](url)).
_MAX_ROUNDS = 4
# The target may hold one level of balanced parentheses (Wikipedia URLs) and a title. An optional
# "!" is spelled as two literal openings, "![" or "[": then re skips to the next "!" or "[" by a
# character-set scan instead of trying the pattern at every position (15-20% faster).
# Possessive quantifiers (``*+``, ``++``): a run of target characters is taken at C speed, and
# giving any back could never let a closing bracket match (2.5x faster on a line of share links).
_INLINE_LINK = re.compile(r"(?:!\[|\[)([^\[\]]*+)\]\((?:[^()\n]++|\([^()\n]*+\))*+\)")
_REFERENCE_LINK = re.compile(r"(?:!\[|\[)([^\[\]]*+)\]\[[^\[\]\n]*+\]")
_AUTOLINK = re.compile(r"<(https?://[^\s<>]*)>")
# A run of digits and its thousands groups: a separator then exactly three digits.
_DIGITS = re.compile(r"\d+(?:[,.']\d{3}(?!\d))*")
_ZEROS = re.compile(rb"0+(?:[,.']000(?!0))*")  # the same, once every ASCII digit is a 0
_DIGITS_V1 = re.compile(r"\d+")  # version 1: every run of digits alone


def normalize(text: str, version: int = NORMALIZATION_VERSION) -> str:
    """The text that decides whether two passages are the same (rules in the module docstring).
    ``version`` 1 is the rule of version 1 (no thousands groups), for what an index of that
    version kept (``passage_index.refingerprint_decisions``).

    >>> normalize("“Support  SouthFront” – &copy; 2017")
    '"support southfront" - © 0'
    """
    if version not in (1, NORMALIZATION_VERSION):
        raise ValueError(f"no normalization version {version}")
    text = _normalize_once(text, version)
    for _ in range(_MAX_ROUNDS):
        # Rare: the steps after unescaping spelled a new entity ("＆amp；" by NFKC, "&#٣;" by
        # the digit class); resolving it keeps normalize idempotent.
        if "&" not in text or html.unescape(text) == text:
            break
        text = _normalize_once(text, version)
    return text


def _normalize_once(text: str, version: int = NORMALIZATION_VERSION) -> str:
    if "&" in text:
        text = _unescape(text)
    if text.isascii():  # most lines: of the table's characters only ` is ASCII
        if "`" in text:
            text = text.replace("`", "'")
        text = text.lower()
    else:
        text = _fold(text)
    if "]" in text or "<" in text:
        text = _drop_link_targets(text)
    if version == 1:
        return " ".join(_DIGITS_V1.sub("0", text).split())
    return " ".join(_one_zero_a_digit_run(text).split())


# ``normalize`` of a plain ASCII line (``normalize_plain_ascii``) as byte operations, which run
# in C over the whole line: a regex pass costs 10x more than a bytes.translate on a short line.
# One table folds case, turns every digit into 0 (a run of them is collapsed after), makes `
# a straight quote, and makes every separator str.split splits on a space: then a line with
# no double space and none at its ends (most lines) needs no split and join.
_PLAIN_ASCII_TABLE = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ123456789`\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f",
    b"abcdefghijklmnopqrstuvwxyz000000000'         ",
)


def is_plain_ascii(text: str) -> bool:
    """Whether every rule of ``normalize`` is a byte mapping on ``text``: it is ASCII (NFKC and
    case folding are then ``lower``; no curly quote, dash or format character) and holds no
    ``&``, ``[``, ``]`` or ``<`` (no entity or link to resolve)."""
    return text.isascii() and "&" not in text and "[" not in text and "]" not in text and "<" not in text


def plain_ascii_form(text: str) -> str | None:
    """A text ``is_plain_ascii`` accepts with the same ``normalize``, or None: ``text`` itself,
    or ``text`` with the common curly quotes and dashes (’ ‘ “ ” – —) made straight when they
    were its only non-ASCII characters (scraped prose is full of them), so most lines take the
    byte path (``normalize_plain_ascii``).

    >>> plain_ascii_form("We’re a small team — please help")
    "We're a small team - please help"
    """
    if is_plain_ascii(text):
        return text
    if text.isascii():  # an entity or a link: the byte path cannot take it
        return None
    text = _straighten_common(text)  # step 2, the first thing done to ASCII text after entities
    return text if is_plain_ascii(text) else None


# Non-ASCII characters every rule of ``normalize`` keeps as they are, beside any ASCII
# character too (NFKC composes none of them with it; none is a letter, digit, space, quote,
# dash or format character): symbols scraped lines are full of ("Share: [x](url) · [y](url)").
# The tests check each against the rules.
INERT_SYMBOLS = "·©®°•€£¥¢§¶×÷±¿¡¦¬¤→←↑↓★☆✓✔■□▪►▶▸†‡‰◆●○♥❤"
_NOT_INERT = re.compile("[^\x00-\x7f" + re.escape(INERT_SYMBOLS) + "]")
# An "&" that may start a character reference html.unescape resolves, in any case (lowercasing
# must not make one either): "&#", a name and ";", or a name HTML resolves without ";"
# (``&copy``, ``&not``: the legacy ones), which html.unescape also takes as a prefix (``&notify``).
_LEGACY_ENTITIES = sorted({name.lower() for name in html.entities.html5 if not name.endswith(";")}, key=len, reverse=True)
_MAY_RESOLVE = re.compile("&(?:#|[a-z][a-z0-9]{0,31};|" + "|".join(_LEGACY_ENTITIES) + ")", re.IGNORECASE)
_MAY_RESOLVE_UTF8 = re.compile(_MAY_RESOLVE.pattern.encode("ascii"), re.IGNORECASE)


def normalize_symbol_line(text: str) -> bytes | None:
    """``normalize(text).encode()`` by byte operations for a text of ASCII and ``INERT_SYMBOLS``
    (curly quotes and dashes straightened first) with no "&" that may start a character
    reference, before or after its links are dropped; None for any other text.

    Most lines ``plain_ascii_form`` refuses are these: links, a middle dot, "&" as a word. On
    them ``normalize`` is case folding, dropping link targets, the digit class and whitespace,
    every one the same by bytes.

    >>> normalize_symbol_line("Share: [Twitter](https://x.example/?u=1&text=A) · ©  2017")
    b'share: twitter \xc2\xb7 \xc2\xa9 0'
    """
    text = _straighten_common(text)
    if not text.isascii() and _NOT_INERT.search(text):
        return None
    if "&" in text and _MAY_RESOLVE.search(text):
        return None
    text = text.lower()
    if "]" in text or "<" in text:
        text = _drop_link_targets(text)
    folded = _fold_bytes(text.encode("utf-8"))
    if 38 in folded and _MAY_RESOLVE_UTF8.search(folded):  # a dropped link joined "&" to a name
        return None
    return folded


def normalize_plain_ascii(text: str) -> bytes:
    """``normalize(text).encode()`` for a text ``is_plain_ascii`` accepts, several times faster.

    >>> normalize_plain_ascii("Posted  on 2017-07-08 by `Admin`")
    b"posted on 0-0-0 by 'admin'"
    """
    return _fold_bytes(text.encode("ascii"))


def _fold_bytes(encoded: bytes) -> bytes:
    """Case, the digit class and whitespace of ``normalize``, on the UTF-8 bytes of a text of
    ASCII and ``INERT_SYMBOLS`` (the bytes of their encodings are all over 127: untouched)."""
    folded = encoded.translate(_PLAIN_ASCII_TABLE)
    # (``48 in``: a memchr; ``bytes.find`` is about twice as fast as ``in`` with a bytes needle.)
    if 48 in folded:  # a "0"
        folded = _one_zero_a_number(folded)
    if folded.find(b"  ") >= 0 or folded[:1] == b" " or folded[-1:] == b" ":
        return b" ".join(folded.split())
    return folded


def text_for_words(text: str) -> str:
    """A text whose words (runs of ``\\w``) are those of ``normalize(text)``, made for less.

    Words are all near-duplicate signatures look at, and most of ``normalize``'s cost goes
    to what does not change them: unifying quotes and dashes (punctuation either way) and
    collapsing whitespace. Those steps run here only when they would change a word: a
    format character (removed, it joins the letters around it) or a quote Python calls a
    letter (``ʼ``). The property tests check the words against ``normalize``'s.
    """
    if "&" in text:
        return normalize(text)  # entities: the rounds of ``normalize`` decide
    if text.isascii():
        text = text.lower()
    else:
        if _WORD_CHANGING.search(text):
            text = _unify(text)
        if not text.isascii():
            folded = unicodedata.normalize("NFKC", text)
            if folded != text and _WORD_CHANGING.search(folded):
                folded = _unify(folded)
            cased = folded.casefold()
            text = unicodedata.normalize("NFKC", cased) if cased != folded else cased
        else:
            text = text.lower()
    if "]" in text or "<" in text:
        text = _drop_link_targets(text)
    if "&" in text:
        return normalize(text)  # NFKC spelled an entity (＆amp；): the rounds of ``normalize``
    return _one_zero_a_digit_run(text)


def _one_zero_a_digit_run(text: str) -> str:
    """Step 5: each run of digits becomes one 0. ASCII text by byte operations (its digits
    are 0-9), 5x faster than the regex, which other text needs (any script's digits)."""
    if not text.isascii():
        return _DIGITS.sub("0", text)
    return _one_zero_a_number(text.encode("ascii").translate(_ASCII_DIGITS_TO_ZERO)).decode("ascii")


_ASCII_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")


def _one_zero_a_number(folded: bytes) -> bytes:
    """Step 5 on bytes whose ASCII digits are all 0 already: each run of 0s, with its thousands
    groups, becomes one 0. The regex only when a group may be there (three finds in C)."""
    if folded.find(b",000") >= 0 or folded.find(b".000") >= 0 or folded.find(b"'000") >= 0:
        return _ZEROS.sub(b"0", folded)
    return _one_zero_a_run_of_zeros(folded)


def _one_zero_a_run_of_zeros(folded: bytes) -> bytes:
    """Each run of 0s (digits already made 0) becomes one 0: each pass halves every run, and
    the pass that shortens nothing ends it (a third faster than looking for "00" first)."""
    while True:
        shorter = folded.replace(b"00", b"0")
        if len(shorter) == len(folded):
            return folded
        folded = shorter


def fingerprint(normalized: str) -> int:
    """A signed 64-bit integer (-2**63 <= n < 2**63, an SQLite INTEGER) for normalized text.

    BLAKE2b of the UTF-8 bytes, so it is the same in every process, on every machine and in every
    Python version (unlike ``hash()``). Pass it ``normalize(text)``, not the raw text.
    """
    return fingerprint_utf8(normalized.encode("utf-8", "surrogatepass"))


def fingerprint_utf8(normalized: bytes) -> int:
    """``fingerprint`` of a normalized text given as its UTF-8 bytes (``normalize_plain_ascii``)."""
    hasher = _BLAKE2B_8.copy()  # copying a hasher is cheaper than making one with its parameters
    hasher.update(normalized)
    return int.from_bytes(hasher.digest(), "big", signed=True)


_BLAKE2B_8 = hashlib.blake2b(digest_size=8)  # never updated itself: only its copies are


def searchable(text: str) -> str:
    """What a text filter compares (``repeats --contains``): entities resolved, quotes and dashes
    unified, NFKC, case folded, whitespace collapsed, as ``normalize`` does them, but digits and
    links kept, since what is typed names them (``2017`` is not every number).

    >>> searchable("We&rsquo;ve  REACHED 61,127")
    "we've reached 61,127"
    """
    if "&" in text:
        text = _unescape(text)
    return " ".join(unicodedata.normalize("NFKC", _unify(text)).casefold().split())


def _unescape(text: str) -> str:
    text = _AMPERSAND_CHAIN.sub("&", text)
    for _ in range(_MAX_ROUNDS):
        resolved = html.unescape(text)
        if resolved == text:
            break
        text = resolved
    return text


def _fold(text: str) -> str:
    text = _unify(text)
    if text.isascii():  # curly quotes were its only non-ASCII characters
        return text.lower()
    folded = unicodedata.normalize("NFKC", text)
    if folded != text:
        folded = _unify(folded)  # NFKC can make some of them: ﹘ → —
    cased = folded.casefold()
    # NFKC after casefold too: folding can leave a sequence NFKC composes (ǰ → j + caron).
    return unicodedata.normalize("NFKC", cased) if cased != folded else cased


def _unify(text: str) -> str:
    # The common ones by str.replace (a C scan each), and the regex only when another is left:
    # its substitution calls Python for every run, 10 µs on a line with a few curly quotes.
    text = _straighten_common(text)
    if text.isascii():  # of the table's characters only ` is ASCII
        return text.replace("`", "'") if "`" in text else text
    return _TABLE_RUN.sub(_translate_run, text) if _TABLE_RUN.search(text) else text


# Curly single and double quotes, en and em dashes: most of what _TABLE meets in scraped text.
# Their replacements are not in _TABLE, so replacing them first changes nothing of the rest.
_COMMON_UNIFIED = tuple((char, _TABLE[ord(char)]) for char in "\u2019\u2018\u201c\u201d\u2013\u2014")


def _straighten_common(text: str) -> str:
    for char, plain in _COMMON_UNIFIED:
        if char in text:
            text = text.replace(char, plain)
    return text


def _translate_run(run: re.Match[str]) -> str:
    return run.group().translate(_TABLE)


def _drop_link_targets(text: str) -> str:
    changed = 0
    if "<" in text:
        text, changed = _AUTOLINK.subn(_FIRST_GROUP, text)
    for _ in range(_MAX_ROUNDS):  # innermost first: [![alt](img)](url) takes two rounds
        if "]" not in text:
            break
        found = 0
        # Each pattern needs its "](" or "][": most lines with a bracket have one kind of link.
        if "](" in text:
            text, found = _INLINE_LINK.subn(_FIRST_GROUP, text)
        if "][" in text:
            text, reference = _REFERENCE_LINK.subn(_FIRST_GROUP, text)
            found += reference
        if not found:
            break
        changed += found
    if changed and not text.isascii():
        # Removing "](url)" can put a letter next to a combining mark NFKC would compose with it.
        text = unicodedata.normalize("NFKC", text)
    return text


# A match's first group, as re's replacement: a callable in C, twice as fast as the template r"\1".
_FIRST_GROUP = operator.itemgetter(1)
