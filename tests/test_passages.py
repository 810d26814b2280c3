"""Splitting a document into passages: its lines and paragraphs, with offsets into the whole text."""

from __future__ import annotations

import dataclasses
import doctest
from collections import Counter
from itertools import pairwise

import pytest
from conftest import seed_documents
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_tui.core import passages as passages_module
from corpus_tui.core.front_matter import parse_front_matter
from corpus_tui.core.normalize import fingerprint, normalize
from corpus_tui.core.passages import MIN_PASSAGE_CHARS, Passage, passages
from corpus_tui.tui.text_layout import TextLayout


def ranges(text: str, body_start: int = 0) -> list[tuple[str, str]]:
    return [(p.kind, text[p.start : p.end]) for p in passages(text, body_start)]


def test_every_line_and_every_paragraph_of_two_lines_or_more_is_a_passage():
    text = "Share this article\nFollow us on Telegram\n\nSupport SouthFront\n"
    assert ranges(text) == [
        ("paragraph", "Share this article\nFollow us on Telegram"),
        ("line", "Share this article"),
        ("line", "Follow us on Telegram"),
        ("line", "Support SouthFront"),  # a one-line paragraph is its line, once
    ]


def test_a_passage_carries_the_fingerprint_and_length_of_its_normalized_text():
    text = "0 $\n\n  “Support  SouthFront” 2017  \n"
    (line,) = passages(text)
    assert line == Passage("line", 5, 35, fingerprint('"support southfront" 0'), len('"support southfront" 0'))
    assert text[line.start : line.end] == "  “Support  SouthFront” 2017  "  # the whole line, as the reader shows it
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.start = 0  # type: ignore[misc]


def test_crlf_line_endings_are_not_part_of_a_passage():
    text = "Share this article\r\nFollow us on Telegram\r\n\r\nSupport SouthFront\r\n"
    assert ranges(text) == [
        ("paragraph", "Share this article\r\nFollow us on Telegram"),
        ("line", "Share this article"),
        ("line", "Follow us on Telegram"),
        ("line", "Support SouthFront"),
    ]
    assert same_fingerprints("Support SouthFront\r\n", "Support SouthFront\n")


def same_fingerprints(one: str, other: str) -> bool:
    return [p.fingerprint for p in passages(one)] == [p.fingerprint for p in passages(other)]


def test_a_lone_carriage_return_is_text_and_the_last_line_needs_no_line_ending():
    text = "Share this\rarticle\nSupport SouthFront\r"
    assert ranges(text)[1:] == [("line", "Share this\rarticle"), ("line", "Support SouthFront\r")]


def test_lines_of_spaces_separate_paragraphs():
    text = "Share this article\n \t\u00a0\nFollow us on Telegram\n"
    assert [kind for kind, _ in ranges(text)] == ["line", "line"]


def test_body_start_skips_the_front_matter_and_offsets_stay_in_the_whole_text():
    text = "---\ntitle: Mosul report today\nsource: rt\n---\nSupport SouthFront\nShare this article\n"
    body_start = parse_front_matter(text).body_start
    found = passages(text, body_start)
    assert [(p.kind, text[p.start : p.end]) for p in found] == [
        ("paragraph", "Support SouthFront\nShare this article"),
        ("line", "Support SouthFront"),
        ("line", "Share this article"),
    ]
    assert all(p.start >= body_start for p in found)
    assert passages(text, len(text)) == [] and passages("", 0) == []


@pytest.mark.parametrize("line", [
    "0 $", "2,500 $", "822 $", "|", "* * * * * * * * *", "08.07.2017", "1,234,567.89",
    "-- | -- | -- | --", "©", "x 0 y", "ok", "[](#)", "\u200b\u200b\u200b", "&nbsp;&nbsp;",
    "0 0 0 0 0 0 0 0 a",  # one letter: a unit, not text
])
def test_short_and_letterless_passages_are_not_passages(line):
    assert passages(f"{line}\n") == []


@pytest.mark.parametrize("line", ["Share it", "Sat Nov 5, 2016 19:34:14", "Новости дня", "新闻新闻新闻新闻", "string(949) \"[{"])
def test_eight_characters_with_two_letters_in_any_script_are_a_passage(line):
    found = passages(line)
    assert [p.kind for p in found] == ["line"] and found[0].chars >= MIN_PASSAGE_CHARS


def test_a_paragraph_is_judged_on_its_own_text_not_its_lines():
    # No line is long enough alone; together they are a passage.
    text = "Share\nit now\n"
    assert ranges(text) == [("paragraph", "Share\nit now")]


def test_paragraphs_are_the_readers_paragraphs():
    """The range `b` marks with no selection is a paragraph passage, or the line passage of a
    one-line paragraph: marking it can look its copies up by range."""
    for path in seed_documents():
        assert_reader_agrees(path.read_text(encoding="utf-8"))


def assert_reader_agrees(text: str) -> None:
    layout = TextLayout(text, 80)
    for passage in passages(text):
        paragraph = layout.paragraph_at(passage.start)
        if passage.kind == "paragraph":
            assert paragraph == (passage.start, passage.end)
        else:
            assert paragraph[0] <= passage.start and passage.end <= paragraph[1]
            assert layout.line_text(layout.line_of(passage.start)) == text[passage.start : passage.end]


def test_the_seeds_donation_appeal_and_support_southfront_repeat():
    texts = {path.name[:3]: path.read_text(encoding="utf-8") for path in seed_documents()}

    def fingerprints_of(name: str, needle: str) -> list[int]:
        text = texts[name]
        return [p.fingerprint for p in passages(text) if needle in text[p.start : p.end]]

    appeal = "please support the project"
    assert len(set(fingerprints_of("000", appeal) + fingerprints_of("002", appeal))) == 1
    support = fingerprints_of("002", "Support SouthFront")
    assert len(support) == 2 and len(set(support)) == 1
    in_002 = Counter(p.fingerprint for p in passages(texts["002"]))
    assert in_002[support[0]] == 2


def test_a_ten_megabyte_document_is_split_whole():
    """Behaviour on 10 MB (a quadratic step would not finish): the seeds, repeated."""
    seeds = "\n\n".join(path.read_text(encoding="utf-8").strip("\n") for path in seed_documents()) + "\n\n"
    copies = 10_000_000 // len(seeds) + 1
    one = passages(seeds)
    found = passages(seeds * copies)
    assert len(found) == len(one) * copies
    last = found[-len(one):]
    shift = len(seeds) * (copies - 1)
    assert [(p.start - shift, p.end - shift, p.fingerprint) for p in last] == [
        (p.start, p.end, p.fingerprint) for p in one]


def test_a_ten_megabyte_paragraph_of_one_line_each_is_split_whole():
    text = "Share this article 1\n" * 500_000
    found = passages(text)
    assert len(found) == 500_001 and found[0].kind == "paragraph" and found[0].end == len(text) - 1
    assert len({p.fingerprint for p in found[1:]}) == 1


def test_the_docstring_example_holds():
    assert doctest.testmod(passages_module).failed == 0


# -- properties ---------------------------------------------------------------------------------

_LINES = st.lists(
    st.one_of(
        st.sampled_from(["", " ", "\t", "\u00a0", "0 $", "|", "Share this article", "Support SouthFront 2017",
                         "“Follow” us — now", "[Donate](#) today", "ab", "\r",
                         # rules that may reach across a line break: a paragraph is normalized whole
                         "[Read the", "whole story](https://x.org) now", "&amp;copy; 2019 Site",
                         "Site &", "amp; more", "<https://a.example/b>", "`Quoted` TEXT 12 34",
                         # brackets NFKC makes (full-width), combining marks at a line's start,
                         # entities and digits of other scripts, line-ending characters str.split knows
                         "\uff3bRead the", "story\uff3d(x) now", "\u0301accent first", "e\u0301t\u00e9 \u0663\u0664",
                         "&eacute;t\u00e9 &#x5b;", "x\u2028y \u0085 z", "\u00a9 2019 \u2014 \u201cOK\u201d",
                         # the byte path of symbols and links (normalize_symbol_line), and what it leaves
                         "Share: [Facebook](https://x/?u=1&text=A) \u00b7 [Email](mailto:?b=x&s=y)",
                         "Team & you \u00b7 \u00a9 2019", "&[not](u)ify", "[Read](u) the \u2192 [rest",
                         "\u2605 Top \u00b7 caf\u00e9 & more"]),
        st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=30),
    ),
    max_size=25,
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, int]:
    lines = draw(_LINES)
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join(lines) + draw(st.sampled_from(["", ending]))
    return text, draw(st.integers(0, len(text)))


def reference(text: str, body_start: int) -> list[tuple[str, int, int]]:
    """Lines and paragraphs the slow, obvious way (before the eligibility rule)."""
    lines: list[tuple[int, int]] = []
    position = body_start
    for raw in text[body_start:].split("\n"):
        end = position + len(raw)
        lines.append((position, end - 1 if raw.endswith("\r") and end < len(text) else end))
        position = end + 1
    found: list[tuple[str, int, int]] = []
    block: list[tuple[int, int]] = []
    for start, end in [*lines, (len(text), len(text))]:
        if text[start:end].strip():
            block.append((start, end))
            continue
        if len(block) > 1:
            found.append(("paragraph", block[0][0], block[-1][1]))
        found.extend(("line", s, e) for s, e in block)
        block = []
    return found


def kept(text: str, start: int, end: int) -> bool:
    normalized = normalize(text[start:end])
    return len(normalized) >= 8 and sum(char.isalpha() for char in normalized) >= 2


@settings(max_examples=400)
@given(documents())
def test_passages_are_the_obvious_lines_and_paragraphs_that_hold_text(document):
    text, body_start = document
    expected = [item for item in reference(text, body_start) if kept(text, item[1], item[2])]
    found = passages(text, body_start)
    assert [(p.kind, p.start, p.end) for p in found] == expected
    for p in found:
        piece = text[p.start : p.end]
        assert piece.strip() and not piece.startswith("\n") and not piece.endswith("\n")
        assert p.start == body_start or text[p.start - 1] == "\n"  # from a line's start ...
        assert p.end == len(text) or text.startswith(("\n", "\r\n"), p.end)  # ... to a line ending
        assert (p.fingerprint, p.chars) == (fingerprint(normalize(piece)), len(normalize(piece)))
        if p.kind == "line":
            assert "\n" not in piece


@settings(max_examples=300)
@given(documents())
def test_paragraphs_contain_their_lines_and_never_overlap(document):
    text, body_start = document
    found = passages(text, body_start)
    paragraphs = [p for p in found if p.kind == "paragraph"]
    for one, other in pairwise(paragraphs):
        assert one.end < other.start
    for line in (p for p in found if p.kind == "line"):
        holding = [p for p in paragraphs if p.start <= line.start and line.end <= p.end]
        assert len(holding) <= 1
        inside = [p for p in paragraphs if p.start < line.end and line.start < p.end]
        assert inside == holding  # a line is inside a paragraph or apart from all of them
    keys = [(p.start, p.kind) for p in found]  # the primary key of their rows in ``passages``
    assert len(set(keys)) == len(keys)


@settings(max_examples=200)
@given(documents())
def test_the_reader_sees_the_same_lines_and_paragraphs(document):
    assert_reader_agrees(document[0])


@settings(max_examples=300)
@given(documents(), st.data())
def test_matching_ranges_are_the_passages_whose_fingerprint_is_wanted(document, data):
    """``matching_ranges`` (what ``apply`` runs on every record) finds exactly the passages of
    ``passages`` with a wanted fingerprint, with its paragraph-length and first-word filters or
    without, from a cold cache or a warm one."""
    text, body_start = document
    found = passages(text, body_start)
    chosen = data.draw(st.lists(st.sampled_from(found), unique=True) if found else st.just([]))
    wanted = {p.fingerprint for p in chosen} | set(data.draw(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=3)))
    sizes = {len(normalize(text[p.start:p.end]).encode("utf-8", "surrogatepass")) for p in chosen}
    if data.draw(st.booleans()):
        passages_module._SEEN.clear()
        passages_module._JOINED.clear()
    words = frozenset().union(*(passages_module.openings(normalize(text[p.start:p.end])) for p in chosen))
    expected = sorted((p.start, p.end) for p in found if p.fingerprint in wanted)
    assert sorted(passages_module.matching_ranges(text, body_start, frozenset(wanted), sizes)) == expected
    assert sorted(passages_module.matching_ranges(text, body_start, frozenset(wanted), None)) == expected
    if data.draw(st.booleans()):  # lines met first by the filter are not remembered
        passages_module._SEEN.clear()
        passages_module._JOINED.clear()
    assert sorted(passages_module.matching_ranges(text, body_start, frozenset(wanted), sizes, words)) == expected
    assert sorted(passages_module.matching_ranges(text, body_start, frozenset(wanted), None, words)) == expected
    assert passages(text, body_start) == found  # and the line cache still answers as normalizing does


def test_the_line_cache_is_bounded_in_characters_as_well_as_lines(monkeypatch):
    """A crawl's lines can be 100 KB of minified script each: the cache of normalized lines is
    emptied when it would hold more than SEEN_MAX_CHARS characters, and answers the same after."""
    monkeypatch.setattr(passages_module, "SEEN_MAX_CHARS", 250_000)
    passages_module._SEEN.clear()
    monkeypatch.setattr(passages_module, "_seen_chars", 0)
    lines = [f"Line {n:04d} of minified script " + "ab " * 33_000 for n in range(12)]  # ~100,000 characters each
    text = "\n".join(lines)
    first = passages(text)
    assert passages_module._seen_chars <= 250_000 and len(passages_module._SEEN) <= 2
    assert passages(text) == first
    wanted = frozenset({first[0].fingerprint})
    assert sorted(passages_module.matching_ranges(text, 0, wanted)) == [(p.start, p.end) for p in first
                                                                       if p.fingerprint in wanted]


def test_a_line_that_starts_no_wanted_passage_is_not_normalized():
    """With the wanted passages' first words, a new plain line that starts with another word is
    passed over; the lines of a paragraph that may be wanted are normalized all the same."""
    text = "Share this page\nFollow us today\n\nThe council met on Tuesday.\n\nFollow us today\n"
    found = passages(text)
    [appeal] = [p for p in found if p.kind == "paragraph"]
    wanted = frozenset({appeal.fingerprint})
    words = frozenset(passages_module.openings(normalize(text[appeal.start:appeal.end])))
    assert words == {b"share", b"share this"}
    passages_module.forget_lines()
    assert passages_module.matching_ranges(text, 0, wanted, None, words) == [(appeal.start, appeal.end)]
    remembered = set(passages_module._SEEN)
    assert "Follow us today" in remembered and "Share this page" in remembered  # the paragraph's lines
    assert "The council met on Tuesday." not in remembered  # starts with a word no rule starts with


def test_a_skipped_line_is_remembered_for_the_same_first_words_only(monkeypatch):
    """A record met again (a crawl's exact copies) skips its content lines by one lookup; the
    lines skipped for one bundle's first words are not skipped for another's, whose first
    word they may be; and the set of them is bounded like the line cache."""
    text = "Share this page\nFollow us today\n\nThe council met on Tuesday.\n"
    found = passages(text)
    [appeal] = [p for p in found if p.kind == "paragraph"]
    [council] = [p for p in found if text[p.start:p.end].startswith("The council")]
    share = frozenset({b"share", b"share this"})
    passages_module.forget_lines()
    assert passages_module.matching_ranges(text, 0, frozenset({appeal.fingerprint}), None, share) == [
        (appeal.start, appeal.end)]
    assert "The council met on Tuesday." in passages_module._SKIPPED_LINES
    # The same words, unpickled again (an equal set, not the same object): still skipped.
    assert passages_module.matching_ranges(text, 0, frozenset({appeal.fingerprint}), None,
                                           frozenset({b"share", b"share this"})) == [(appeal.start, appeal.end)]
    assert "The council met on Tuesday." in passages_module._SKIPPED_LINES
    # Another bundle, whose rule is that line: it is found.
    assert passages_module.matching_ranges(text, 0, frozenset({council.fingerprint}), None,
                                           frozenset({b"the", b"the council"})) == [(council.start, council.end)]
    assert "The council met on Tuesday." not in passages_module._SKIPPED_LINES
    monkeypatch.setattr(passages_module, "SKIPPED_MAX", 3)
    passages_module.forget_lines()
    many = "\n".join(f"Line {number} of an article" for number in range(10))
    assert passages_module.matching_ranges(many, 0, frozenset({appeal.fingerprint}), None, share) == []
    assert 0 < len(passages_module._SKIPPED_LINES) <= 3


def test_a_line_is_judged_by_its_first_two_words_and_a_one_word_line_by_its_first():
    """A rule opening "the council" passes over "The weather…" (a crawl's prose starts with
    "The" as often as its boilerplate); a one-word line may start a paragraph whose second word
    is the next line's, so "Share" is normalized for a rule opening "share this"."""
    text = "The weather was fine.\n\nThe council met today.\n\nShare\nthis page\n\nShare now\n"
    found = {text[p.start:p.end]: p for p in passages(text)}
    council, appeal = found["The council met today."], found["Share\nthis page"]
    words = frozenset(passages_module.openings(normalize("The council met today."))
                      | passages_module.openings(normalize("Share\nthis page")))
    assert words == {b"the", b"the council", b"share", b"share this"}
    passages_module.forget_lines()
    assert sorted(passages_module.matching_ranges(text, 0, frozenset({council.fingerprint, appeal.fingerprint}),
                                                  None, words)) == [(council.start, council.end),
                                                                    (appeal.start, appeal.end)]
    assert {"The weather was fine.", "Share now"} <= passages_module._SKIPPED_LINES
    assert "Share" in passages_module._SEEN and "The council met today." in passages_module._SEEN


def test_a_paragraph_normalized_whole_is_remembered_by_its_text_and_the_memory_is_bounded(monkeypatch):
    """A link may reach across a paragraph's lines, so such a paragraph is normalized whole; a
    site's menu of links is on every page, so the answer is remembered by its raw text (short
    ones only, emptied when full) and is the same remembered or not."""
    text = "[Latest\nnews](/news) and more\n\nThe council met.\n"
    [menu] = [p for p in passages(text) if p.kind == "paragraph"]
    assert menu.fingerprint == fingerprint(normalize("[Latest\nnews](/news) and more"))
    assert passages_module._WHOLE["[Latest\nnews](/news) and more"] == (menu.fingerprint, menu.chars)
    assert passages(text) == passages(text)
    wanted = frozenset({menu.fingerprint})
    assert passages_module.matching_ranges(text, 0, wanted) == [(menu.start, menu.end)]
    monkeypatch.setattr(passages_module, "WHOLE_MAX", 2)
    for number in range(5):
        passages(f"[Page\n{number}](/{number})\n")
    assert 0 < len(passages_module._WHOLE) <= 2
    monkeypatch.setattr(passages_module, "WHOLE_MAX_CHARS", 10)
    passages_module.forget_lines()
    assert passages(text)[0] == menu and passages_module._WHOLE == {}
