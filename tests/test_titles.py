"""A document's title: front matter ``title``, else the first body line outside boilerplate that
reads like a title (letters, not just a number, symbol or date); it follows the marks."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tui_support import FIRST, app_on, db_rows, settle
from tui_support import seeds_copy as scanned_seeds

from corpus_tui import Corpus
from corpus_tui.core.annotation_import import import_annotations
from corpus_tui.core.export import export
from corpus_tui.core.listing import document_row
from corpus_tui.core.ranges import merge
from corpus_tui.core.search import search_corpus
from corpus_tui.core.titles import (
    TITLE_MAX_CHARS,
    TITLE_RULE_KEY,
    _first_title,
    _NeedMore,
    document_title,
    reads_like_title,
)

MENU = "Home | News | Sport | Contact\n"
HEADLINE = "Battle for the Old City\n"
TEXT = MENU + HEADLINE + "\nThe body of the article, with a few sentences.\n"


def title_of(corpus, path="a.txt"):
    return corpus.document_by_path(path).title


def mark_menu(corpus, path="a.txt"):
    doc = corpus.document_by_path(path)
    corpus.mark_boilerplate(doc.id, 0, len(MENU) - 1, reason="navigation")
    return doc


# -- the seeds ---------------------------------------------------------------------------------


def test_seed_002_title_is_its_headline_not_its_price_list(seeds_copy, open_corpus, run_cli):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    assert title_of(corpus, "002_a7de4bf8afd987b8.txt") == "Battle For Mosul Enters Its Final Stage"
    exported = run_cli("export", seeds_copy, "-o", "-").stdout
    titles = {record["path"]: record["title"] for record in map(json.loads, exported.splitlines())}
    assert titles["002_a7de4bf8afd987b8.txt"] == "Battle For Mosul Enters Its Final Stage"
    assert titles[FIRST] == "Video: Iraqi Forces Purging Remaining (US Supported) ISIS Terrorists in Old Mosul"


# -- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", [
    "0 $", "2,500 $", "822 $", "08.07.2017", "12:30", "2017-07-08", "Sat Nov 5, 2016 19:34:14",
    "---", "* * *", "|", "© 2017", "•", "→ 1", "x", "٢٠١٧", "１２３",
])
def test_numbers_symbols_and_dates_are_not_titles(scanned, line):
    corpus, _ = scanned({"a.txt": f"{line}\n\n  \n{HEADLINE}"})
    assert not reads_like_title(line)
    assert title_of(corpus) == HEADLINE.strip()


@pytest.mark.parametrize("title", [
    "Новости дня: бои за Мосул",  # Cyrillic
    "الأخبار العاجلة",  # Arabic
    "新闻",  # Chinese, two letters
    "ニュース速報",  # Japanese
    "समाचार",  # Devanagari (vowel signs are marks, not letters: still enough letters)
    "Ειδήσεις",  # Greek
    "חדשות היום",  # Hebrew
    "COVID-19 in 2020: a timeline",
])
def test_titles_in_any_script(scanned, title):
    corpus, _ = scanned({"a.txt": f"2,500 $\n{title}\nbody\n"})
    assert reads_like_title(title)
    assert title_of(corpus) == title


def test_no_line_reads_like_a_title(scanned):
    corpus, _ = scanned({"a.txt": "0 $\n2,500 $\n\n08.07.2017\n"})
    doc = corpus.document_by_path("a.txt")
    assert doc.title is None and doc.display_title == "a.txt"


def test_long_line_is_trimmed_and_capped(scanned):
    corpus, _ = scanned({"a.txt": "\t  " + "word " * 100 + "\n"})
    title = title_of(corpus)
    assert len(title) == TITLE_MAX_CHARS and title.startswith("word word")


def test_pure_function_with_marks():
    assert document_title(TEXT, {}, 0) == MENU.strip()
    assert document_title(TEXT, {}, 0, [(0, len(MENU) - 1)]) == HEADLINE.strip()
    assert document_title(TEXT, {"title": "From YAML"}, 0, [(0, len(TEXT))]) == "From YAML"
    # A mark inside a line: what is left is joined as the clean text joins it.
    assert document_title("Menu » Battle for the city\n", {}, 0, [(0, 7)]) == "Battle for the city"
    assert document_title("Battle[ad] for the city\n", {}, 0, [(6, 10)]) == "Battle for the city"
    assert document_title("Bat[ad]tle\n", {}, 0, [(3, 7)]) == "Battle"


# -- it follows the marks ------------------------------------------------------------------------


def test_marking_the_menu_moves_the_title_and_unmarking_brings_it_back(scanned):
    corpus, _ = scanned({"a.txt": TEXT})
    assert title_of(corpus) == MENU.strip()
    doc = mark_menu(corpus)
    assert title_of(corpus) == HEADLINE.strip()
    assert document_row(corpus, doc.id).title == HEADLINE.strip()  # the app's list row
    assert [hit.title for hit in search_corpus(corpus, "body").hits] == [HEADLINE.strip()]
    corpus.unmark_boilerplate(doc.id, 0, len(MENU) - 1)
    assert title_of(corpus) == MENU.strip()


def test_toggle_undo_redo_and_remove(scanned):
    corpus, _ = scanned({"a.txt": TEXT})
    doc = corpus.document_by_path("a.txt")
    assert corpus.toggle_boilerplate(doc.id, 0, len(MENU) - 1) is True
    assert title_of(corpus) == HEADLINE.strip()
    corpus.undo()
    assert title_of(corpus) == MENU.strip()
    corpus.redo()
    assert title_of(corpus) == HEADLINE.strip()
    (span,) = corpus.spans(doc.id, "boilerplate")
    corpus.remove_span(span.id)
    assert title_of(corpus) == MENU.strip()
    corpus.undo()
    assert title_of(corpus) == HEADLINE.strip()
    assert corpus.toggle_boilerplate(doc.id, 0, len(MENU) - 1) is False
    assert title_of(corpus) == MENU.strip()


def test_annotations_do_not_move_the_title(scanned):
    corpus, _ = scanned({"a.txt": TEXT})
    doc = corpus.document_by_path("a.txt")
    corpus.add_annotation(doc.id, 0, 4, "NAV")
    assert title_of(corpus) == MENU.strip()


def test_front_matter_title_is_unaffected_by_marks(scanned):
    text = "---\ntitle: From YAML\n---\n" + TEXT
    corpus, _ = scanned({"a.md": text})
    doc = corpus.document_by_path("a.md")
    assert doc.title == "From YAML"
    corpus.mark_boilerplate(doc.id, doc.body_start, len(text))
    assert title_of(corpus, "a.md") == "From YAML"


def test_front_matter_without_title_uses_the_body_after_it(scanned):
    text = "---\nauthor: Someone\n---\n" + TEXT
    corpus, _ = scanned({"a.md": text})
    doc = corpus.document_by_path("a.md")
    assert doc.title == MENU.strip()
    corpus.mark_boilerplate(doc.id, doc.body_start, doc.body_start + len(MENU) - 1)
    assert title_of(corpus, "a.md") == HEADLINE.strip()


def test_everything_marked_leaves_no_title(scanned):
    corpus, _ = scanned({"a.txt": TEXT})
    doc = corpus.document_by_path("a.txt")
    corpus.mark_boilerplate(doc.id, 0, len(TEXT))
    assert title_of(corpus) is None


def test_rescan_of_a_touched_file_keeps_the_title_that_follows_the_marks(scanned):
    corpus, folder = scanned({"a.txt": TEXT})
    mark_menu(corpus)
    stat = os.stat(folder / "a.txt")
    os.utime(folder / "a.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # same bytes, new mtime
    corpus.scan()
    assert title_of(corpus) == HEADLINE.strip()


def test_re_anchored_marks_count_and_a_stale_one_does_not(scanned):
    prices = "0 $\n2,500 $\n5,000 $\n822 $\n10,000 $\n25,000 $\n"  # no title, and context for the mark
    corpus, folder = scanned({"a.txt": prices + TEXT})
    doc = corpus.document_by_path("a.txt")
    corpus.mark_boilerplate(doc.id, len(prices), len(prices) + len(MENU) - 1)
    assert title_of(corpus) == HEADLINE.strip()
    (folder / "a.txt").write_text("1 $\n" + prices + TEXT, encoding="utf-8")  # the menu moves down a line
    summary = corpus.scan()
    assert (summary.changed, summary.reanchored_spans, summary.stale_spans) == (1, 1, 0)
    assert title_of(corpus) == HEADLINE.strip()
    edited = MENU.replace("Sport", "Weather")  # the marked menu itself changes: its mark goes stale
    (folder / "a.txt").write_text(prices + edited + HEADLINE + "\nNew body.\n", encoding="utf-8")
    assert corpus.scan().stale_spans == 1
    assert title_of(corpus) == edited.strip()
    (stale,) = corpus.stale_spans(doc.id)
    corpus.place_span(stale.id, len(prices), len(prices) + len(edited) - 1)
    assert title_of(corpus) == HEADLINE.strip()
    corpus.undo()
    assert title_of(corpus) == edited.strip()


def test_import_of_boilerplate_moves_the_title(scanned, make_corpus, open_corpus, tmp_path):
    corpus, _ = scanned({"a.txt": TEXT})
    mark_menu(corpus)
    export(corpus, "jsonl", tmp_path / "out.jsonl")
    other = open_corpus(make_corpus({"a.txt": TEXT}, name="other"))
    other.scan()
    assert title_of(other) == MENU.strip()
    import_annotations(other, tmp_path / "out.jsonl")
    assert title_of(other) == HEADLINE.strip()


def test_a_rescan_recomputes_titles_stored_by_an_earlier_rule(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    with corpus.write():  # as an earlier corpus-tui left it: the first non-empty line, no rule recorded
        corpus.db.execute("UPDATE documents SET title = '0 $' WHERE path = '002_a7de4bf8afd987b8.txt'")
        corpus.db.execute("DELETE FROM corpus_state WHERE key = ?", [TITLE_RULE_KEY])
    corpus.scan()
    assert title_of(corpus, "002_a7de4bf8afd987b8.txt") == "Battle For Mosul Enters Its Final Stage"
    assert corpus.get_state(TITLE_RULE_KEY) is not None


# -- big documents -------------------------------------------------------------------------------


def test_ten_megabyte_document_titles_come_from_its_start(scanned):
    body = "A paragraph of ordinary words that goes on for a while.\n" * 190_000  # ~10.6 MB
    corpus, _ = scanned({"big.txt": MENU + HEADLINE + body})
    doc = corpus.document_by_path("big.txt")
    assert doc.char_count > 10_000_000 and doc.title == MENU.strip()
    statements: list[str] = []
    corpus.db.conn.set_trace_callback(statements.append)
    try:
        corpus.mark_boilerplate(doc.id, 0, len(MENU) - 1)
    finally:
        corpus.db.conn.set_trace_callback(None)
    assert title_of(corpus, "big.txt") == HEADLINE.strip()
    # Only a piece of the text's start was read, never the whole 10 MB.
    reads = [s for s in statements if "document_texts" in s]
    assert reads and all("substr(" in s for s in reads), reads


def test_ten_megabyte_title_after_ten_megabytes_of_numbers_and_marks(scanned):
    numbers = "1,234 $ 08.07.2017 12:30\n" * 420_000  # ~10.5 MB without a title-like line
    corpus, _ = scanned({"big.txt": numbers + "The last line is the title\n"})
    doc = corpus.document_by_path("big.txt")
    assert doc.title == "The last line is the title"
    menus = MENU * 350_000  # ~10.5 MB of menu lines, all marked as one range
    corpus, _ = scanned({"menus.txt": menus + "Under all the menus\n"})
    doc = corpus.document_by_path("menus.txt")
    assert doc.title == MENU.strip()
    corpus.mark_boilerplate(doc.id, 0, len(menus))
    assert title_of(corpus, "menus.txt") == "Under all the menus"


def test_embedded_nul_falls_back_to_the_whole_text(scanned):
    # (past the first 8,000 bytes, where a NUL would make the file binary)
    corpus, _ = scanned({"a.txt": "0 $\n" + "9\n" * 5000 + "\x00 1\n" + "9\n" * 5000 + "Past the NUL\n"})
    assert title_of(corpus) == "Past the NUL"
    doc = corpus.document_by_path("a.txt")
    corpus.mark_boilerplate(doc.id, 0, 3)
    assert title_of(corpus) == "Past the NUL"


# -- the fast search is the plain rule -----------------------------------------------------------


def plain_title(text: str, start: int, marked: list[tuple[int, int]]) -> str | None:
    """The rule written the slow, obvious way: every line, every character."""
    covered = {offset for begin, end in marked for offset in range(begin, end)}
    line_start = start
    for line in text[start:].split("\n"):
        pieces: list[str] = []
        current = ""
        for offset, char in enumerate(line, line_start):
            if offset in covered:
                if current:
                    pieces.append(current)
                current = ""
            else:
                current += char
        if current:
            pieces.append(current)
        shown = ""
        for piece in pieces:
            if shown and (shown[-1].isspace() or piece[0].isspace()):
                shown = shown.rstrip() + " " + piece.lstrip()
            else:
                shown += piece
        shown = shown.strip()[:TITLE_MAX_CHARS]
        if reads_like_title(shown):
            return shown
        line_start += len(line) + 1
    return None


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.sampled_from(["", " ", "0 $", "ab", "a1", "Menu | x", "日本", "12 ab 3", "\r", "½ a"]),
                   max_size=8),
    cuts=st.lists(st.tuples(st.integers(0, 60), st.integers(1, 40)), max_size=4),
    piece=st.integers(0, 80),
)
def test_first_title_matches_the_plain_rule(lines, cuts, piece):
    text = "\n".join(lines)
    marked = merge((start, min(start + length, len(text))) for start, length in cuts if start < len(text))
    expected = plain_title(text, 0, marked)
    assert _first_title(text, 0, marked, complete=True) == expected
    # Read in pieces (as from the database): a piece answers right, or asks for more.
    partial = _first_title(text[:piece], 0, marked, complete=False)
    assert partial == expected or isinstance(partial, _NeedMore)


# -- the app -------------------------------------------------------------------------------------


async def test_b_on_the_title_line_retitles_the_list_row_at_once(tmp_path):
    folder = scanned_seeds(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.doc.path == FIRST
        headline = "Video: Iraqi Forces Purging Remaining (US Supported) ISIS Terrorists in Old Mosul"
        index = app.doclist.index_of(app.doc.id)
        assert app.doclist.rows[index].title == headline
        app.reader.move_to(app.reader.text.index(headline))
        await pilot.pause()
        await pilot.press("b")
        await settle(pilot, app)
        (row,) = db_rows(folder, "SELECT title FROM documents WHERE path = ?", (FIRST,))
        assert row["title"] == "By [South Front](#)"
        assert app.doclist.rows[index].title == "By [South Front](#)"
        assert "By [South Front](#)" in app.doclist.render_line(index - int(app.doclist.scroll_offset.y)).text
        await pilot.press("u")
        await settle(pilot, app)
        assert app.doclist.rows[index].title == headline


# -- site lines ------------------------------------------------------------------------------


def site_page(number: int) -> str:
    return f"Menu\nHome · News · Sport\n\nCouncil approves budget number {number}\n\nThe council met on Monday.\n"


def test_a_line_that_titles_three_documents_of_a_source_is_a_site_line(scanned):
    """A generated corpus's list read 'Menu', 'Menu', 'Menu', … (280 documents)."""
    files = {f"site/{n}.txt": site_page(n) for n in range(4)}
    files["other/a.txt"] = "Menu\n\nA page of another source\n"  # its source has one: a title there
    files["other/b.md"] = "---\ntitle: Front Menu\n---\nMenu\n"  # front matter titles are never touched
    corpus, folder = scanned(files)
    titles = {d.path: d.title for d in corpus.documents()}
    assert titles["site/0.txt"] == "Council approves budget number 0"  # past "Menu" and then the menu line
    assert titles["other/a.txt"] == "Menu" and titles["other/b.md"] == "Front Menu"
    (folder / "site" / "9.txt").write_text(site_page(9))  # a page added later: known at its scan
    corpus.scan()
    later = corpus.document_by_path("site/9.txt")
    assert later.title == "Council approves budget number 9"
    text = corpus.text(later.id)
    corpus.mark_boilerplate(later.id, text.index("The council"), len(text) - 1)  # a mark retitles: same rule
    assert corpus.document(later.id).title == "Council approves budget number 9"
    corpus.mark_boilerplate(later.id, text.index("Council"), text.index("\n", text.index("Council")))
    assert corpus.document(later.id).title is None  # every other line is a site line


def test_a_line_titling_two_documents_is_not_a_site_line(scanned):
    """An article reposted once keeps its headline."""
    corpus, _ = scanned({"s/a.txt": "Menu\n\nBody one.\n", "s/b.txt": "Menu\n\nBody two.\n"})
    assert {d.title for d in corpus.documents()} == {"Menu"}


def test_a_corpus_titled_before_site_lines_gets_them_at_its_next_scan_with_nothing_changed(scanned):
    """Titles stored by the rule before site lines ("Menu" on every page of a site) and no file
    changed since: the rule's version changed, so the next scan retitles them past the site lines."""
    corpus, _ = scanned({f"site/{n}.txt": site_page(n) for n in range(4)})
    with corpus.write():  # as the earlier rule left it
        corpus.db.execute("UPDATE documents SET title = 'Menu'")
        corpus.db.execute("DELETE FROM corpus_state WHERE key = 'site_lines'")
        corpus.db.execute("UPDATE corpus_state SET value = '2' WHERE key = ?", [TITLE_RULE_KEY])
    summary = corpus.scan()
    assert summary.changed == 0 and summary.added == 0
    assert sorted(d.title for d in corpus.documents()) == [f"Council approves budget number {n}" for n in range(4)]


def test_a_document_refreshed_alone_finds_a_site_line_it_now_shares(scanned):
    """Opening a document whose file changed rescans it alone: a title it now shares with two
    documents of its source becomes a site line there, and all three are retitled."""
    files = {f"site/{n}.txt": site_page(n) for n in range(2)}
    files["site/2.txt"] = "A headline of its own\n\nThe council met on Monday.\n"
    corpus, folder = scanned(files)
    assert {d.title for d in corpus.documents()} == {"Menu", "A headline of its own"}
    changed = folder / "site" / "2.txt"
    changed.write_text(site_page(2))
    os.utime(changed, ns=(1, 1))
    document = corpus.document_by_path("site/2.txt")
    assert corpus.refresh_document(document.id) is not None
    assert sorted(d.title for d in corpus.documents()) == [f"Council approves budget number {n}" for n in range(3)]


def test_a_site_line_a_partial_scan_finds_in_a_later_batch_retitles_the_earlier_batches(scanned, monkeypatch):
    """An export re-reads changed files in batches: two pages of the first batch titled "Menu"
    were left so when the third, in the next batch, made it a site line (review)."""
    from corpus_tui.core import scanner
    from corpus_tui.core.export.selection import apply_changes  # how an export re-reads changed files

    files = {f"site/{n}.txt": f"Page title {n}\n\nBody of page {n}.\n" for n in range(8)}
    corpus, folder = scanned(files)
    monkeypatch.setattr(scanner, "BATCH_SIZE", 4)
    for n in range(8):
        path = folder / "site" / f"{n}.txt"
        if n in (2, 3, 4, 5):
            path.write_text("Menu\n" + path.read_text())
        os.utime(path, ns=(1, 1))
    changed = [(f"site/{n}.txt", (folder / "site" / f"{n}.txt").stat().st_size, 1) for n in range(8)]
    assert apply_changes(corpus, changed, []) == 8
    assert sorted(d.title for d in corpus.documents()) == sorted(f"Page title {n}" for n in range(8))


def test_a_partial_scan_reads_the_rows_of_its_files_only(scanned, monkeypatch):
    from corpus_tui.core import scanner

    corpus, folder = scanned({f"d{n}.txt": f"Document {n}\n\nIts text.\n" for n in range(30)})
    read: list[str] = []
    rows = scanner._Scan._known_rows

    def counting(self, where, params):  # type: ignore[no-untyped-def]
        for row in rows(self, where, params):
            read.append(row["path"])
            yield row

    monkeypatch.setattr(scanner._Scan, "_known_rows", counting)
    (folder / "d7.txt").write_text("Document seven\n\nNew text.\n")
    os.utime(folder / "d7.txt", ns=(1, 1))
    corpus.refresh_document(corpus.document_by_path("d7.txt").id)
    assert read == ["d7.txt"] and corpus.document_by_path("d7.txt").title == "Document seven"


def test_a_scan_interrupted_after_a_batch_keeps_the_site_lines_it_found(scanned, make_corpus, open_corpus,
                                                                         monkeypatch):
    """Ctrl-C after the first batches, then a scan that resumed: the pages titled past "Menu"
    before the interruption were not read again, their site lines were never stored, and any
    mark or undo on them retitled them "Menu"."""
    from corpus_tui.core import scanner

    folder = make_corpus({f"site/{n:02}.txt": site_page(n) for n in range(8)}
                         | {f"zz/{n:02}.txt": f"Story {n}\n\nIts own words.\n" for n in range(8)})
    corpus = open_corpus(folder)
    monkeypatch.setattr(scanner, "BATCH_SIZE", 8)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        corpus.scan(progress=interrupt)  # the first batch (the site's 8 pages) committed
    assert corpus.document_by_path("site/00.txt").title == "Council approves budget number 0"
    corpus.scan()
    document = corpus.document_by_path("site/03.txt")
    text = corpus.text(document.id)
    start = text.index("The council")
    corpus.mark_boilerplate(document.id, start, start + 3)
    corpus.undo()
    assert corpus.document(document.id).title == "Council approves budget number 3"


def test_a_scan_interrupted_after_its_last_batch_has_its_site_lines_followed_by_the_next(make_corpus, open_corpus,
                                                                                        monkeypatch):
    """Interrupted after its last batch (in the site-line step of 100,000 pages, say): the next
    scan, which reads nothing, left every page titled "Menu"."""
    from corpus_tui.core import scanner

    folder = make_corpus({f"site/{n:02}.txt": site_page(n) for n in range(4)})
    corpus = open_corpus(folder)
    monkeypatch.setattr(scanner, "BATCH_SIZE", 2)  # two pages a batch: the writer finds "Menu" across them

    def interrupt(done: int, total: int) -> None:
        if done == total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        corpus.scan(progress=interrupt)
    assert corpus.scan().changed == 0
    assert sorted(d.title for d in corpus.documents()) == [f"Council approves budget number {n}" for n in range(4)]
    assert corpus.get_state("site_lines_pending") is None  # followed: the scan after does not do it again


def test_another_scan_between_the_batches_of_an_interrupted_one_leaves_the_step_owed(make_corpus, open_corpus,
                                                                                   monkeypatch):
    """Another process's scan ran the site-line step between this scan's batches and cleared
    the flag this scan had set at its first batch only: interrupted after its last batch, its
    pages kept "Menu" for good (a code review)."""
    from corpus_tui.core import scanner

    folder = make_corpus({f"site/{n:02}.txt": site_page(n) for n in range(4)})
    corpus = open_corpus(folder)
    monkeypatch.setattr(scanner, "BATCH_SIZE", 2)

    def interrupt(done: int, total: int) -> None:
        if done == 2:  # the other process: its scan of a page read already runs the step (owed)
            with Corpus.open(folder, annotator="other") as other:
                other.scan(include=["site/00.txt"])
            assert corpus.get_state("site_lines_pending") is None
        if done == total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        corpus.scan(progress=interrupt)
    corpus.scan()
    assert sorted(d.title for d in corpus.documents()) == [f"Council approves budget number {n}" for n in range(4)]


def test_a_batch_another_scan_commits_during_the_site_line_step_keeps_the_step_owed(make_corpus, open_corpus,
                                                                                   monkeypatch):
    """The step and the clearing of its flag are two transactions: another scan's batch committed
    between them owed the step for its pages, and the clearing took that away (a code review)."""
    from corpus_tui.core import scanner
    from corpus_tui.core.titles import set_site_lines_pending

    folder = make_corpus({f"site/{n:02}.txt": site_page(n) for n in range(4)})
    corpus = open_corpus(folder)
    step = scanner.follow_site_lines

    def step_then_another_batch(*args, **kwargs):  # type: ignore[no-untyped-def]
        step(*args, **kwargs)
        with Corpus.open(folder, annotator="other") as other, other.write():
            set_site_lines_pending(other.db)  # what another scan's batch of new pages does

    monkeypatch.setattr(scanner, "follow_site_lines", step_then_another_batch)
    corpus.scan()
    assert corpus.get_state("site_lines_pending") is not None  # still owed: the next scan runs it
    monkeypatch.setattr(scanner, "follow_site_lines", step)
    corpus.scan()
    assert corpus.get_state("site_lines_pending") is None


def test_a_reader_finds_the_site_lines_of_its_batch_and_the_writer_counts_across_batches(tmp_path):
    """A scan reads a site's pages together: its reader titles them past their menus at once,
    so the step at the end of a scan has nothing left to retitle."""
    from corpus_tui.core.discovery import discover
    from corpus_tui.core.scanner import read_files
    from corpus_tui.core.titles import SiteLineCounter

    for n in range(4):
        (tmp_path / "site").mkdir(exist_ok=True)
        (tmp_path / "site" / f"{n}.txt").write_text(site_page(n))
    jobs = [(found, None) for found in discover(tmp_path, ("*.txt",), (), tmp_path / "x.db")]
    contents, found = read_files(tmp_path, jobs)
    assert found == {"site": {"Menu", "Home · News · Sport"}}
    assert sorted(c.title for c in contents.values()) == [f"Council approves budget number {n}" for n in range(4)]
    counter = SiteLineCounter({"site": {"Menu"}})
    counter.add(found)
    for _ in range(3):  # a line titling 3 documents of a source, seen across batches
        counter.count("other", "Skip to content")
    counter.count("other", "A headline")
    assert counter.found == {"site": {"Home · News · Sport"}, "other": {"Skip to content"}}
    assert counter.known["site"] == {"Menu", "Home · News · Sport"} and "A headline" not in counter.known["other"]


def test_one_documents_list_row_is_its_row_in_the_whole_list(scanned):
    """The row read after every action sums only its own marks (by the index), not every mark of
    the corpus (6 ms at 19,000 marks, on every key): the same row all the same."""
    from corpus_tui.core.listing import list_documents

    corpus, _ = scanned({f"d{n}.txt": TEXT for n in range(4)})
    for document in corpus.documents()[:3]:
        corpus.mark_boilerplate(document.id, 0, len(MENU) - 1)
    first = corpus.documents()[0]
    corpus.mark_boilerplate(first.id, len(MENU) + len(HEADLINE) + 1, len(MENU) + len(HEADLINE) + 5)
    corpus.add_tag(first.id, "x")
    assert [document_row(corpus, row.id) for row in list_documents(corpus)] == list_documents(corpus)
