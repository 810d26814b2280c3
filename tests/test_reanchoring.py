"""Re-anchoring after a file changes: a span moves only on strong evidence, else it is stale;
stale spans are listed, placed (one undoable step) or dropped; the bench finds no false attachment."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corpus_tui.core import anchoring
from corpus_tui.core.anchoring import Anchor, anchor_for, find, suggest
from corpus_tui.core.errors import InvalidSpan

REPO = Path(__file__).resolve().parents[1]
SEED_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]

MOSUL = "Fighting near Mosul.\n\nLater, the army entered Mosul from the west.\n"


def moved(old: str, needle: str, new: str, occurrence: int = 0) -> int | None:
    """Where ``find`` puts the span on ``needle`` (its n-th occurrence in ``old``) once the text is ``new``."""
    start = -1
    for _ in range(occurrence + 1):
        start = old.index(needle, start + 1)
    return find(new, anchor_for(old, start, start + len(needle)), start).start


def span_row(corpus, span_id):
    return corpus.query('SELECT start, "end", quote, prefix, suffix, anchor, note FROM spans WHERE id = ?',
                        [span_id])[0]


# -- the rule: what moves and what goes stale ------------------------------------------------------


def test_mosul_span_whose_sentence_was_rewritten_goes_stale(scanned, run_cli):
    """The issue's repro: the quote is still in the text once, in another sentence."""
    corpus, folder = scanned({"a.txt": MOSUL})
    doc = corpus.document_by_path("a.txt")
    at = MOSUL.rindex("Mosul")
    span = corpus.add_annotation(doc.id, at, at + 5, "GPE", note="the city entered")
    (folder / "a.txt").write_text("Fighting near Mosul.\n\nLater, the army withdrew.\n")
    summary = corpus.scan()
    assert (summary.reanchored_spans, summary.stale_spans) == (0, 1)
    assert span_row(corpus, span.id)["anchor"] == "stale"
    result = run_cli("export", folder, "--allow-stale")
    assert json.loads(result.stdout.splitlines()[0])["spans"] == []


def test_quote_found_once_without_its_context_is_not_accepted():
    new = "Mosul fell. Nothing else here mentions the city at all.\n"
    assert moved(MOSUL, "Mosul", new, occurrence=1) is None


def test_whitespace_and_punctuation_do_not_count_as_context():
    old = "alpha beta gamma delta\n\nTarget\n\nepsilon zeta eta theta\n"
    new = "other words entirely\n\nTarget\n\ndifferent words again\n"
    assert moved(old, "Target", new) is None  # "\n\n" matches on both sides: no evidence


def test_short_quote_needs_context_on_both_sides():
    old = "The delegation met the Minister of Finance on Monday to talk about the budget.\n"
    new = "The delegation met the Minister of Finance yesterday.\n"  # the right side is gone
    assert moved(old, "Minister", new) is None


def test_tie_between_two_equally_good_places_is_stale():
    sentence = "The report from the ministry says Mosul was quiet on Friday night again.\n"
    old = "Header\n" + sentence
    new = sentence + "Some other text here.\n" + sentence
    assert moved(old, "Mosul", new) is None
    assert find(new, anchor_for(old, old.index("Mosul"), old.index("Mosul") + 5)).reason == "ambiguous"


def test_survivor_moves_when_text_is_inserted_before_it():
    old = "Intro line.\n\n" + SEED_TEXTS[0]
    new = "A brand new paragraph at the top.\n\n" + old
    at = old.index("Global Research", 100)
    assert moved(old, "Global Research", new, occurrence=old[:at].count("Global Research")) == at + len(
        "A brand new paragraph at the top.\n\n")


def test_rewrapped_context_still_matches():
    old = "the troops of the army entered Mosul from the west side of the old city\n"
    new = "the troops of the army\nentered Mosul from the\nwest side of the old city\n"
    assert moved(old, "Mosul", new) == new.index("Mosul")


def test_same_place_same_context_is_same():
    located = find(MOSUL + "More.\n", anchor_for(MOSUL, 5, 10), 5)
    assert located == anchoring.Located(5, "same")


def test_span_at_document_start_holds_its_edge():
    old = "Home | News\n\nThe actual article text is here.\n"
    assert moved(old, "Home | News", old + "Appended.\n") == 0  # still at the start: the edge holds
    # Text added above a short quote at the start: nothing holds that side, so stale.
    assert moved(old, "Home | News", "NEW FIRST LINE\n" + old) is None


def test_long_quote_at_document_start_moves_when_text_is_added_above():
    menu = "Home | World | Politics | Business | Technology | Sport | Culture"
    old = menu + "\n\nThe actual article text is here and goes on.\n"
    new = "A line above.\n" + old
    assert moved(old, menu, new) == new.index(menu)
    # ... but not when a copy of it sits at the start and could be the one meant.
    assert moved(old, menu, menu + "\n" + old) is None


def test_a_headline_edited_in_place_does_not_jump_to_its_copy_below():
    """Seed 003 opens with its headline and repeats it two lines down. A letter typed into the
    first leaves the copy as the quote's only occurrence, holding the right side: the span was
    placed there (the edge exception), on a line that is not its own. It is stale now."""
    old = SEED_TEXTS[3]
    quote_end = 46
    assert old.index(old[:quote_end], 1) > 0  # the copy
    anchor = anchor_for(old, 0, quote_end)
    assert find(old[:1] + "α" + old[1:], anchor, 0) == anchoring.Located(None, "weak")
    assert find("A line above.\n" + old, anchor, 0) == anchoring.Located(None, "weak")  # two copies hold a side


@pytest.mark.parametrize("above", [
    "Home › World › Iraqi forces retake the old city of…\n",  # a breadcrumb sharing half the headline
    "Iraqi forces retake the old city of Mosul | Site\n",  # a page title sharing two thirds of it
    "Site name\n",
])
def test_a_headline_at_the_start_still_moves_below_a_line_that_shares_part_of_it(above):
    old = "Iraqi forces retake the old city of Mosul after months of fighting\n\nThe army said on Monday.\n"
    quote = old.index("\n")
    anchor = anchor_for(old, 0, quote)
    assert find(above + old, anchor, 0) == anchoring.Located(len(above), "moved")
    # ... while a letter typed into the headline itself, with a copy of it below, leaves the span
    # stale rather than on the copy (which holds the suffix, and would take it by the edge rule)
    assert find(old[:5] + "α" + old[5:quote] + "\n\n" + old, anchor, 0) == anchoring.Located(None, "weak")


def test_quote_found_too_often_is_stale(monkeypatch):
    monkeypatch.setattr(anchoring, "MAX_CANDIDATES", 3)
    old = "a b c d e f g h i j k l m n o p q r s t u v w x y z " * 2 + "the cat sat on the mat\n"
    assert find("x " + old, anchor_for(old, old.index("cat") - 4, old.index("cat") - 3)).reason == "too common"


def test_undo_puts_a_span_back_only_where_its_context_is(scanned):
    """Undo of a removal after a rescan: the quote is still at the old offset, in another sentence."""
    corpus, folder = scanned({"a.txt": MOSUL})
    doc = corpus.document_by_path("a.txt")
    at = MOSUL.rindex("Mosul")
    span = corpus.add_annotation(doc.id, at, at + 5, "GPE")
    corpus.remove_span(span.id)
    rewritten = "Fighting near Mosul.\n\nRebels shelled parts of Mosul overnight.\n"
    assert rewritten[at : at + 5] == "Mosul"
    (folder / "a.txt").write_text(rewritten)
    corpus.scan()
    assert corpus.undo().action == "span.remove"
    assert span_row(corpus, span.id)["anchor"] == "stale" and corpus.stale_spans(doc.id)[0].id == span.id


def test_undo_puts_a_span_back_as_it_was_when_nothing_changed(scanned):
    corpus, _ = scanned({"a.txt": MOSUL})
    doc = corpus.document_by_path("a.txt")
    at = MOSUL.rindex("Mosul")
    span = corpus.add_annotation(doc.id, at, at + 5, "GPE")
    before = span_row(corpus, span.id)
    corpus.remove_span(span.id)
    corpus.undo()
    assert span_row(corpus, span.id) == before


def test_suggest_ranks_occurrences_by_context():
    at = MOSUL.rindex("Mosul")
    anchor = anchor_for(MOSUL, at, at + 5)
    new = "Mosul again.\n\nLater, the army entered Mosul from the east.\n"
    first, second = suggest(new, anchor)
    assert first.start == new.rindex("Mosul") and first.score > second.score


# -- properties ------------------------------------------------------------------------------------

EDITS = st.sampled_from(["insert", "delete", "replace", "copy_quote", "move"])


def edited(old: str, pieces: list, start: int, end: int) -> tuple[str, int | None]:
    """The text made of ``pieces`` (slices (a, b) of ``old``, or new strings), and where
    old[start:end] really went: None unless one slice kept it whole."""
    merged: list = []
    for piece in pieces:  # an empty cut (a == b) changes nothing: join the slices around it
        if isinstance(piece, str):
            if piece:
                merged.append(piece)
        elif merged and isinstance(merged[-1], tuple) and merged[-1][1] == piece[0]:
            merged[-1] = (merged[-1][0], piece[1])
        else:
            merged.append(piece)
    out, at, truth = [], 0, None
    for piece in merged:
        if isinstance(piece, str):
            out.append(piece)
            at += len(piece)
            continue
        a, b = piece
        if a <= start and end <= b:
            truth = at + start - a
        out.append(old[a:b])
        at += b - a
    return "".join(out), truth


def squeeze(text: str) -> str:
    return "".join(text.split())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), edit=EDITS)
def test_a_span_is_only_ever_placed_on_its_own_text(data, edit):
    """After one random edit of a real article, a placed span sits on its quote with all of its
    stored context around it; and it sits where its text really went, unless that place lost its
    context and a copy of the span's text and context (already there, or made by the edit) took it."""
    old = data.draw(st.sampled_from(SEED_TEXTS))
    n = len(old)
    start = data.draw(st.integers(0, n - 2))
    end = data.draw(st.integers(start + 1, min(n, start + 60)))
    anchor = anchor_for(old, start, end)
    a = data.draw(st.integers(0, n))
    b = data.draw(st.integers(a, min(n, a + 200)))
    greek = data.draw(st.text("αβγδεζηθ ", min_size=1, max_size=30))  # letters no seed has
    pieces = {
        "insert": [(0, a), greek, (a, n)],
        "delete": [(0, a), (b, n)],
        "replace": [(0, a), greek, (b, n)],
        "copy_quote": [(0, a), anchor.quote, (a, n)],
        "move": [(0, a), (b, n), (a, b)],
    }[edit]
    new, truth = edited(old, pieces, start, end)
    if truth is None and new[:start] == old[:start] and new[start:end] == anchor.quote:
        truth = start  # the edit left the span's text where it was (a space put beside or for a space)
    located = find(new, anchor, start)
    if located.start is None:
        return
    at = located.start
    assert new[at : at + len(anchor.quote)] == anchor.quote
    assert squeeze(new[:at]).endswith(squeeze(anchor.prefix))
    assert squeeze(new[at + len(anchor.quote) :]).startswith(squeeze(anchor.suffix))
    if at != truth:
        if truth is not None:
            own = anchoring.measure(new, truth, anchor)
            assert not (own.left_holds and own.right_holds)  # else it would have been a tie
        twins = [c for c in suggest(old, anchor, 10_000) if c.start != start and c.left_holds and c.right_holds]
        assert twins or edit in ("copy_quote", "move")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_rescan_leaves_every_live_span_on_its_quote(scanned, tmp_path_factory, data):
    """Through the real scan: after a random edit every span not stale has text[start:end] == quote
    and its stored context is the text around it."""
    old = data.draw(st.sampled_from(SEED_TEXTS))
    corpus, folder = scanned({"a.txt": old}, db=tmp_path_factory.mktemp("db") / "a.db")
    doc = corpus.document_by_path("a.txt")
    for _ in range(3):
        start = data.draw(st.integers(0, len(old) - 2))
        corpus.add_annotation(doc.id, start, data.draw(st.integers(start + 1, min(len(old), start + 40))), "X")
    a = data.draw(st.integers(0, len(old)))
    b = data.draw(st.integers(a, min(len(old), a + 300)))
    filler = data.draw(st.sampled_from(["", " ", "\n", "Mosul", old[:80]]))
    new = old[:a] + filler + old[b:]
    assume(new != old)
    (folder / "a.txt").write_bytes(new.encode("utf-8"))
    corpus.scan()
    for span in corpus.spans(doc.id):
        if span.stale:
            continue
        assert new[span.start : span.end] == span.quote
        assert anchor_for(new, span.start, span.end) == Anchor(span.quote, span.prefix, span.suffix)


# -- stale spans: list, suggest, place, drop, undo -------------------------------------------------


@pytest.fixture
def stale(scanned):
    """A corpus whose "Mosul" annotation went stale: (corpus, folder, document, span)."""
    corpus, folder = scanned({"a.txt": MOSUL, "b.txt": "nothing to see\n"})
    doc = corpus.document_by_path("a.txt")
    at = MOSUL.rindex("Mosul")
    span = corpus.add_annotation(doc.id, at, at + 5, "GPE", note="the city entered")
    (folder / "a.txt").write_text("Fighting near Mosul.\n\nLater, the army entered the old city of Mosul.\n")
    corpus.scan()
    return corpus, folder, doc, corpus.span(span.id)


def test_stale_spans_are_listed_per_document_and_corpus_wide(stale):
    corpus, _, doc, span = stale
    other = corpus.document_by_path("b.txt")
    assert [s.id for s in corpus.stale_spans(doc.id)] == [span.id]
    assert [s.id for s in corpus.stale_spans()] == [span.id]
    assert corpus.stale_spans(other.id) == []


def test_suggestions_are_the_quotes_places_now(stale):
    corpus, _, doc, span = stale
    text = corpus.text(doc.id)
    assert sorted(c.start for c in corpus.suggest_places(span.id)) == [text.index("Mosul"), text.rindex("Mosul")]


def test_place_span_is_one_undoable_step(stale):
    corpus, _, doc, span = stale
    text = corpus.text(doc.id)
    at = text.rindex("Mosul")
    events_before = corpus.query("SELECT COUNT(*) AS n FROM events")[0]["n"]
    placed = corpus.place_span(span.id, at, at + 5)
    assert (placed.id, placed.anchor, placed.label, placed.note) == (span.id, "ok", "GPE", "the city entered")
    assert span_row(corpus, span.id) | {"note": None} == {
        "start": at, "end": at + 5, "quote": "Mosul", "prefix": text[at - 32 : at], "suffix": text[at + 5 :],
        "anchor": "ok", "note": None,
    }
    (event,) = corpus.query("SELECT action, payload FROM events WHERE id > (SELECT MAX(id) FROM events) - 1")
    assert event["action"] == "span.place" and events_before + 1 == corpus.query(
        "SELECT COUNT(*) AS n FROM events")[0]["n"]
    payload = json.loads(event["payload"])
    assert payload["before"][0]["anchor"] == "stale" and payload["after"][0]["anchor"] == "ok"
    assert corpus.undo().action == "span.place"
    assert span_row(corpus, span.id)["anchor"] == "stale"
    assert corpus.stale_spans(doc.id)[0] == span
    corpus.redo()
    assert span_row(corpus, span.id)["start"] == at and span_row(corpus, span.id)["anchor"] == "ok"


def test_place_span_may_take_reworded_text(stale):
    corpus, _, doc, span = stale
    text = corpus.text(doc.id)
    at = text.index("the old city of Mosul")
    placed = corpus.place_span(span.id, at, at + len("the old city of Mosul"))
    assert placed.quote == "the old city of Mosul" == text[placed.start : placed.end]


def test_only_stale_spans_are_placed_and_only_inside_the_text(stale):
    corpus, _, doc, span = stale
    live = corpus.add_annotation(doc.id, 0, 8, "X")
    with pytest.raises(InvalidSpan, match="not stale"):
        corpus.place_span(live.id, 0, 3)
    with pytest.raises(InvalidSpan, match="outside the text"):
        corpus.place_span(span.id, 10, 10_000)
    assert span_row(corpus, span.id)["anchor"] == "stale"


def test_placing_boilerplate_merges_with_touching_boilerplate(scanned):
    text = "Share this: Facebook Twitter\nSubscribe to our newsletter\nThe article begins here.\n"
    corpus, folder = scanned({"a.txt": text})
    doc = corpus.document_by_path("a.txt")
    (first,) = corpus.mark_boilerplate(doc.id, 0, len("Share this: Facebook Twitter"), reason="share")
    (folder / "a.txt").write_text("Share: Facebook Twitter\nSubscribe to our newsletter\nThe article begins here.\n")
    corpus.scan()
    assert corpus.span(first.id).stale
    second = corpus.mark_boilerplate(doc.id, 24, 24 + len("Subscribe to our newsletter"))[0]
    placed = corpus.place_span(first.id, 0, 24)  # with its newline: it touches the next line's range
    assert (placed.start, placed.end, placed.reason, placed.anchor) == (0, 24 + 27, "share", "ok")
    assert placed.quote == "Share: Facebook Twitter\nSubscribe to our newsletter"
    assert [s.id for s in corpus.spans(doc.id)] == [first.id]
    corpus.undo()
    assert sorted((s.id, s.anchor) for s in corpus.spans(doc.id)) == sorted([(first.id, "stale"), (second.id, "ok")])


def test_dropping_a_stale_span_is_remove_span_and_undoable(stale):
    corpus, _, doc, span = stale
    corpus.remove_span(span.id)
    assert corpus.stale_spans() == []
    corpus.undo()
    assert [s.id for s in corpus.stale_spans(doc.id)] == [span.id]


def test_stale_span_comes_back_when_its_text_does(stale):
    corpus, folder, _, span = stale
    (folder / "a.txt").write_text(MOSUL)
    corpus.scan()
    assert span_row(corpus, span.id)["anchor"] == "ok"


# -- the bench, short: no false attachment --------------------------------------------------------


def test_bench_short_run_makes_no_false_attachment(tmp_path, capsys):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import bench_reanchor
    finally:
        sys.path.remove(str(REPO / "bench"))
    status = bench_reanchor.main(["--edits", "150", "--seed", "7", "--workdir", str(tmp_path), "--json"])
    figures = json.loads(capsys.readouterr().out)
    assert figures["false_attachments"] == 0, figures["false_examples"]
    assert figures["kept_share"] >= 0.95 and status == 0
    assert set(figures["per_kind"]) == set(bench_reanchor.KINDS)
