"""Where characters land on screen: wrapping, cells, offsets (no Textual needed)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from corpus_tui.core.safe_text import single_cell, visible
from corpus_tui.tui.text_layout import TextLayout

CHARS = st.sampled_from(list("ab cd\n\t\r\x00\x1b") + ["中", "😀", "é", "\u200b", "\u202e", "—"])
TEXTS = st.lists(CHARS, max_size=300).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(min_value=8, max_value=40), st.booleans())
def test_rows_cover_every_drawn_character_once_and_fit_the_width(text, width, wrap):
    layout = TextLayout(text, width, wrap)
    covered = []
    for row in range(layout.row_count):
        start, end = layout.row_span(row)
        covered.extend(range(start, end))
        if wrap:
            assert cell_len(visible(text[start:end])) <= layout.width
    line_breaks = {i for i, c in enumerate(text) if c == "\n" or (c == "\r" and text[i + 1 : i + 2] == "\n")}
    assert covered == [i for i in range(len(text)) if i not in line_breaks]


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(min_value=8, max_value=40))
def test_offsets_round_trip_through_screen_cells(text, width):
    layout = TextLayout(text, width)
    for offset in range(len(text)):
        if text[offset] in "\r\n":
            continue
        row, x = layout.cell_of(offset)
        if cell_len(visible(text[offset])) == 0:
            continue  # a zero-width character shares its cell with the next one
        assert layout.offset_at(row, x) == offset


def test_visible_maps_controls_one_for_one():
    raw = "a\tb\x00c\x1b[31m\x7f\x85\u202e\u200bz"
    shown = visible(raw)
    assert len(shown) == len(raw)
    assert shown == "a→b␀c␛[31m␡�▯▯z"
    assert single_cell(shown) and not single_cell("中")


def test_one_line_makes_line_breaks_spaces_but_shows_a_lone_cr():
    """The inspector and search snippets showed a lone CR as a blank, where the reader shows ␍."""
    from corpus_tui.core.safe_text import one_line

    assert one_line("lone CR[\r] end\r\nnext\nlast") == "lone CR[␍] end next last"


def test_paragraph_is_the_lines_between_blank_lines():
    text = "title\n\nfirst line\nsecond line\n\nlast"
    layout = TextLayout(text, 80)
    start, end = layout.paragraph_at(text.index("second"))
    assert text[start:end] == "first line\nsecond line"
    assert layout.paragraph_at(text.index("\n\n") + 1) == (6, 6)  # a blank line is no paragraph


def test_a_wide_character_after_a_space_break_still_fits():
    layout = TextLayout(" aaaaaaa中", 8)  # found by Hypothesis: the row after the space was 9 cells
    rows = [layout.row_span(r) for r in range(layout.row_count)]
    assert all(cell_len(visible(layout.text[s:e])) <= 8 for s, e in rows)


def test_a_boilerplate_share_short_of_all_never_reads_100_percent():
    from corpus_tui.tui.widgets.document_list import boilerplate_percent

    assert [boilerplate_percent(s) for s in (0.0, 0.001, 0.06, 0.996, 1.0)] == ["0%", "<1%", "6%", ">99%", "100%"]


def test_middle_cut_counts_terminal_cells():
    """A CJK name is twice as wide as it is long: the top bar lost the name and the find (a review)."""
    from corpus_tui.core.safe_text import cells, middle_cut

    name = "中文文件名非常长的标题关于摩苏尔战役的报道和分析文章.txt"
    cut = middle_cut(name, 20)
    assert cells(cut) <= 20 and cut.endswith("文章.txt") and "…" in cut
    assert middle_cut("000_017fdcef885307d4.txt", 12) == "000_0…d4.txt"
