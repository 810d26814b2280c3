"""Library behaviour: spans, boilerplate, tags, status, notes, events, undo/redo."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_tui.core import Corpus, CorpusError, ranges
from corpus_tui.core.errors import DocumentNotFound, InvalidSpan, InvalidValue

TEXT = "Home | News | Contact\nThe actual article text is here and it goes on.\nCopyright 2017\n"


@pytest.fixture
def clock(monkeypatch):
    """Distinct, increasing timestamps, so 'restored exactly' is a real check."""
    ticks = itertools.count(1)
    fake = lambda: f"2020-01-01T00:00:00.{next(ticks):03d}+00:00"  # noqa: E731
    for module in ("base", "spans", "tags", "scanner"):
        monkeypatch.setattr(f"corpus_tui.core.{module}.now", fake)


@pytest.fixture
def corpus(scanned, clock):
    corpus, _ = scanned({"a.txt": TEXT, "b.txt": "second document\n", "bad.txt": b"\x00binary"})
    return corpus


@pytest.fixture
def doc(corpus):
    return corpus.document_by_path("a.txt")


def count(corpus, table, where="1"):
    return corpus.query(f"SELECT COUNT(*) AS n FROM {table} WHERE {where}")[0]["n"]


def live_boilerplate(corpus, doc_id):
    return [(s.start, s.end) for s in corpus.spans(doc_id, "boilerplate") if not s.stale]


# -- annotations ---------------------------------------------------------------------------


def test_add_annotation_stores_quote_and_context(corpus, doc):
    start = TEXT.index("actual")
    span = corpus.add_annotation(doc.id, start, start + 6, "  CLAIM ", note="check")
    (row,) = corpus.query("SELECT * FROM spans")
    assert row["id"] == span.id
    assert (row["kind"], row["label"], row["note"], row["quote"]) == ("annotation", "CLAIM", "check", "actual")
    assert row["prefix"] == TEXT[max(0, start - 32):start] and row["suffix"] == TEXT[start + 6:start + 38]
    assert (row["anchor"], row["annotator"]) == ("ok", "tester")


@pytest.mark.parametrize("label", ["", "   ", None])
def test_annotation_needs_a_label(corpus, doc, label):
    with pytest.raises(InvalidSpan):
        corpus.add_annotation(doc.id, 0, 4, label)
    assert count(corpus, "spans") == 0 and count(corpus, "events", "action LIKE 'span.%'") == 0


@pytest.mark.parametrize("start, end", [(-1, 3), (3, 3), (5, 2), (0, len(TEXT) + 1)])
def test_annotation_offsets_must_be_inside_the_text(corpus, doc, start, end):
    with pytest.raises(InvalidSpan):
        corpus.add_annotation(doc.id, start, end, "X")
    assert count(corpus, "spans") == 0


def test_annotation_whole_text_is_allowed(corpus, doc):
    span = corpus.add_annotation(doc.id, 0, len(TEXT), "ALL")
    assert span.quote == TEXT


def test_unreadable_or_unknown_document_cannot_be_annotated(corpus):
    bad = corpus.document_by_path("bad.txt")
    with pytest.raises(InvalidSpan, match="unreadable"):
        corpus.add_annotation(bad.id, 0, 1, "X")
    with pytest.raises(DocumentNotFound):
        corpus.add_annotation(9999, 0, 1, "X")
    with pytest.raises(CorpusError):
        corpus.mark_boilerplate(bad.id, 0, 1)
    assert count(corpus, "spans") == 0


def test_update_annotation(corpus, doc):
    span = corpus.add_annotation(doc.id, 0, 4, "A", note="n1")
    corpus.update_annotation(span.id, label="B")
    assert corpus.query("SELECT id, label, note FROM spans") == [{"id": span.id, "label": "B", "note": "n1"}]
    corpus.update_annotation(span.id, note="")
    assert corpus.query("SELECT label, note FROM spans") == [{"label": "B", "note": None}]
    with pytest.raises(InvalidSpan):
        corpus.update_annotation(9999, label="C")


def test_remove_span(corpus, doc):
    span = corpus.add_annotation(doc.id, 0, 4, "A")
    removed = corpus.remove_span(span.id)
    assert removed.id == span.id and count(corpus, "spans") == 0
    with pytest.raises(InvalidSpan):
        corpus.remove_span(span.id)


def test_spans_at_innermost_first(corpus, doc):
    outer = corpus.add_annotation(doc.id, 0, 20, "OUTER")
    inner = corpus.add_annotation(doc.id, 5, 10, "INNER")
    assert [s.id for s in corpus.spans_at(doc.id, 7)] == [inner.id, outer.id]
    assert [s.id for s in corpus.spans_at(doc.id, 15)] == [outer.id]


# -- boilerplate -------------------------------------------------------------------------------


def test_mark_merges_overlapping_and_touching(corpus, doc):
    corpus.mark_boilerplate(doc.id, 10, 20, reason="nav")
    corpus.mark_boilerplate(doc.id, 15, 30)
    corpus.mark_boilerplate(doc.id, 30, 40)  # touching
    corpus.mark_boilerplate(doc.id, 50, 60)  # apart
    rows = corpus.query("SELECT start, \"end\", quote, reason FROM spans WHERE kind = 'boilerplate' ORDER BY start")
    assert [(r["start"], r["end"]) for r in rows] == [(10, 40), (50, 60)]
    assert rows[0]["quote"] == TEXT[10:40] and rows[0]["reason"] == "nav"


def test_mark_bridging_two_ranges_joins_them(corpus, doc):
    corpus.mark_boilerplate(doc.id, 0, 5)
    corpus.mark_boilerplate(doc.id, 10, 15)
    corpus.mark_boilerplate(doc.id, 3, 12)
    assert live_boilerplate(corpus, doc.id) == [(0, 15)]


def test_mark_inside_existing_range_changes_nothing(corpus, doc):
    corpus.mark_boilerplate(doc.id, 0, 20)
    events = count(corpus, "events")
    assert corpus.mark_boilerplate(doc.id, 5, 10) == []
    assert live_boilerplate(corpus, doc.id) == [(0, 20)] and count(corpus, "events") == events


def test_unmark_cuts_a_hole(corpus, doc):
    corpus.mark_boilerplate(doc.id, 10, 40, reason="nav")
    pieces = corpus.unmark_boilerplate(doc.id, 20, 25)
    assert [(p.start, p.end) for p in pieces] == [(10, 20), (25, 40)]
    rows = corpus.query("SELECT start, \"end\", quote, reason FROM spans ORDER BY start")
    assert [r["quote"] for r in rows] == [TEXT[10:20], TEXT[25:40]]
    assert {r["reason"] for r in rows} == {"nav"}


def test_unmark_across_ranges_and_nothing(corpus, doc):
    corpus.mark_boilerplate(doc.id, 0, 10)
    corpus.mark_boilerplate(doc.id, 20, 30)
    corpus.unmark_boilerplate(doc.id, 5, 25)
    assert live_boilerplate(corpus, doc.id) == [(0, 5), (25, 30)]
    assert corpus.unmark_boilerplate(doc.id, 40, 50) == []


def test_toggle_boilerplate(corpus, doc):
    assert corpus.toggle_boilerplate(doc.id, 0, 10) is True
    assert live_boilerplate(corpus, doc.id) == [(0, 10)]
    assert corpus.toggle_boilerplate(doc.id, 2, 5) is False  # fully covered: unmark
    assert live_boilerplate(corpus, doc.id) == [(0, 2), (5, 10)]
    assert corpus.toggle_boilerplate(doc.id, 0, 10) is True  # partly covered: mark all
    assert live_boilerplate(corpus, doc.id) == [(0, 10)]
    assert corpus.toggle_boilerplate(doc.id, 0, 10) is False
    assert live_boilerplate(corpus, doc.id) == []


def test_boilerplate_share_in_stats(corpus, doc, run_cli):
    corpus.mark_boilerplate(doc.id, 0, 21)
    corpus.add_annotation(doc.id, 22, 25, "X")
    corpus.set_status(doc.id, "reviewed")
    stats = json.loads(run_cli("stats", corpus.folder, "--json").stdout)
    assert stats["boilerplate_characters"] == 21
    assert stats["characters"] == len(TEXT) + len("second document\n")
    assert stats["by_status"]["reviewed"] == 1 and stats["annotations_by_label"] == {"X": 1}
    assert stats["by_state"]["unreadable"] == 1


# -- tags ---------------------------------------------------------------------------------------


def test_tags_match_case_insensitively_and_keep_first_spelling(corpus, doc):
    other = corpus.document_by_path("b.txt")
    assert corpus.add_tag(doc.id, "  Civil   War ") is True
    assert corpus.add_tag(other.id, "civil war") is True
    assert corpus.add_tag(doc.id, "CIVIL WAR") is False
    assert corpus.query("SELECT name, key FROM tags") == [{"name": "Civil War", "key": "civil war"}]
    assert count(corpus, "document_tags") == 2
    assert [(t.name, t.count) for t in corpus.tags()] == [("Civil War", 2)]


def test_toggle_tag(corpus, doc):
    assert corpus.toggle_tag(doc.id, "news") is True
    assert [t.name for t in corpus.document_tags(doc.id)] == ["news"]
    assert corpus.toggle_tag(doc.id, "NEWS") is False
    assert count(corpus, "document_tags") == 0 and count(corpus, "tags") == 1


def test_tag_errors(corpus, doc):
    with pytest.raises(InvalidValue):
        corpus.add_tag(doc.id, "   ")
    with pytest.raises(InvalidValue):
        corpus.remove_tag(doc.id, "never-made")
    with pytest.raises(InvalidValue):
        corpus.add_tag(doc.id, "new", create=False)
    assert corpus.remove_tag(doc.id, corpus.create_tag("made").name) is False
    assert count(corpus, "document_tags") == 0


def test_hotkeys_unique(corpus):
    corpus.set_tag_hotkey("alpha", 1)
    corpus.set_tag_hotkey("beta", 1)
    assert {t.name: t.hotkey for t in corpus.tags()} == {"alpha": None, "beta": 1}
    assert corpus.tag_for_hotkey(1).name == "beta"
    corpus.set_tag_hotkey("beta", None)
    assert corpus.tag_for_hotkey(1) is None
    for bad in (0, 10):
        with pytest.raises(InvalidValue):
            corpus.set_tag_hotkey("alpha", bad)
    assert corpus.query("SELECT hotkey FROM tags WHERE hotkey IS NOT NULL") == []


def test_create_tag_with_taken_hotkey_is_clean(corpus):
    corpus.create_tag("alpha", hotkey=1)
    try:
        corpus.create_tag("beta", hotkey=1)
    except CorpusError:
        pass
    assert [t.name for t in corpus.tags() if t.hotkey == 1] in (["alpha"], ["beta"])


def test_create_tag_with_out_of_range_hotkey_is_invalid_value(corpus):
    with pytest.raises(InvalidValue):
        corpus.create_tag("alpha", hotkey=10)


# -- status and notes ---------------------------------------------------------------------------


def test_status_values_validated(corpus, doc):
    assert corpus.set_status(doc.id, "in_progress") is True
    assert corpus.set_status(doc.id, "in_progress") is False
    with pytest.raises(InvalidValue):
        corpus.set_status(doc.id, "done")
    assert corpus.query("SELECT status FROM documents WHERE id = ?", [doc.id]) == [{"status": "in_progress"}]
    assert count(corpus, "events", "action = 'status.set'") == 1


def test_note(corpus, doc):
    assert corpus.set_note(doc.id, "line one\nline two") is True
    assert corpus.set_note(doc.id, "line one\nline two") is False
    assert corpus.document(doc.id).note == "line one\nline two"
    assert count(corpus, "events", "action = 'note.set'") == 1


# -- events, undo and redo --------------------------------------------------------------------------


def state(corpus):
    """Everything an annotator can change, exactly."""
    return {
        "spans": corpus.query("SELECT * FROM spans ORDER BY id"),
        "document_tags": corpus.query("SELECT * FROM document_tags ORDER BY document_id, tag_id"),
        "documents": corpus.query("SELECT id, status, note FROM documents ORDER BY id"),
    }


def _prepare(corpus, doc_id):
    corpus.create_tag("Existing")
    corpus.add_tag(doc_id, "Linked")
    span = corpus.add_annotation(doc_id, 0, 4, "OLD", note="old note")
    corpus.mark_boilerplate(doc_id, 10, 30, reason="nav")
    corpus.set_status(doc_id, "in_progress")
    corpus.set_note(doc_id, "before")
    return span


ACTIONS = {
    "span.add": lambda c, d, s: c.add_annotation(d, 5, 12, "NEW", note="n"),
    "span.update": lambda c, d, s: c.update_annotation(s.id, label="RENAMED", note="changed"),
    "span.remove": lambda c, d, s: c.remove_span(s.id),
    "boilerplate.mark": lambda c, d, s: c.mark_boilerplate(d, 25, 40, reason="footer"),
    "boilerplate.unmark": lambda c, d, s: c.unmark_boilerplate(d, 15, 20),
    "tag.add": lambda c, d, s: c.add_tag(d, "existing"),
    "tag.remove": lambda c, d, s: c.remove_tag(d, "linked"),
    "status.set": lambda c, d, s: c.set_status(d, "reviewed"),
    "note.set": lambda c, d, s: c.set_note(d, "after"),
}

@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_change_writes_one_event(corpus, doc, action):
    span = _prepare(corpus, doc.id)
    before = count(corpus, "events")
    ACTIONS[action](corpus, doc.id, span)
    (event,) = corpus.query("SELECT * FROM events WHERE id > (SELECT MAX(id) - 1 FROM events)")
    assert count(corpus, "events") == before + 1
    assert (event["action"], event["document_id"], event["annotator"]) == (action, doc.id, "tester")
    assert isinstance(json.loads(event["payload"]), dict)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_undo_restores_exact_previous_state(corpus, doc, action):
    span = _prepare(corpus, doc.id)
    before = state(corpus)
    ACTIONS[action](corpus, doc.id, span)
    assert state(corpus) != before
    undone = corpus.undo()
    assert undone is not None and undone.action == action
    assert state(corpus) == before
    assert corpus.query("SELECT action FROM events ORDER BY id DESC LIMIT 1") == [{"action": "undo"}]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_redo_restores_exact_state_after_action(corpus, doc, action):
    span = _prepare(corpus, doc.id)
    ACTIONS[action](corpus, doc.id, span)
    after = state(corpus)
    corpus.undo()
    redone = corpus.redo()
    assert redone is not None and redone.action == action
    assert state(corpus) == after


def test_undo_walks_back_through_history(corpus, doc):
    states = [state(corpus)]
    span = corpus.add_annotation(doc.id, 0, 4, "A")
    states.append(state(corpus))
    corpus.mark_boilerplate(doc.id, 10, 20)
    states.append(state(corpus))
    corpus.update_annotation(span.id, label="B")
    states.append(state(corpus))
    for expected in reversed(states[:-1]):
        assert corpus.undo() is not None
        assert state(corpus) == expected
    assert corpus.undo() is None
    for expected in states[1:]:
        assert corpus.redo() is not None
        assert state(corpus) == expected
    assert corpus.redo() is None


def test_undo_survives_reopening(corpus, doc, open_corpus):
    before = state(corpus)
    corpus.add_annotation(doc.id, 0, 4, "A")
    after = state(corpus)
    folder = corpus.folder
    corpus.close()
    reopened = open_corpus(folder)
    assert reopened.undo().action == "span.add"
    assert state(reopened) == before
    reopened.close()
    again = open_corpus(folder)
    assert again.redo().action == "span.add"
    assert state(again) == after


def test_new_action_after_undo_clears_redo(corpus, doc):
    corpus.add_annotation(doc.id, 0, 4, "A")
    corpus.undo()
    corpus.set_status(doc.id, "skipped")
    assert corpus.redo() is None
    assert count(corpus, "spans") == 0
    assert corpus.undo().action == "status.set"
    assert corpus.undo() is None


def test_undo_is_per_annotator(corpus, doc, open_corpus):
    corpus.add_annotation(doc.id, 0, 4, "MINE")
    other = open_corpus(corpus.folder, annotator="someone-else")
    other.set_status(doc.id, "reviewed")
    assert corpus.undo().action == "span.add"
    assert corpus.query("SELECT status FROM documents WHERE id = ?", [doc.id]) == [{"status": "reviewed"}]
    assert other.undo().action == "status.set"
    assert other.undo() is None


def test_undo_after_text_changed_does_not_misplace_span(corpus, doc):
    start = TEXT.index("actual")
    span = corpus.add_annotation(doc.id, start, start + 6, "A")
    corpus.remove_span(span.id)
    new_text = "A NEW FIRST LINE\n" + TEXT
    (corpus.folder / "a.txt").write_text(new_text)
    corpus.scan()
    corpus.undo()
    (row,) = corpus.query('SELECT start, "end", quote, anchor FROM spans')
    assert row["anchor"] == "stale" or new_text[row["start"]:row["end"]] == row["quote"]


def test_scan_is_not_undoable(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    assert corpus.undo() is None
    assert count(corpus, "documents") == 5


# -- ranges: property tests against a set-of-ints model ------------------------------------------

_range = st.tuples(st.integers(0, 40), st.integers(0, 40)).map(lambda r: (min(r), max(r)))
_ranges = st.lists(_range, max_size=8)


def points(rs):
    return {i for start, end in rs for i in range(start, end)}


@settings(max_examples=100, deadline=None, database=None)
@given(_ranges)
def test_merge_is_sorted_disjoint_union(rs):
    merged = ranges.merge(rs)
    assert points(merged) == points(rs)
    assert all(start < end for start, end in merged)
    assert all(a[1] < b[0] for a, b in zip(merged, merged[1:]))  # disjoint and not touching


@settings(max_examples=100, deadline=None, database=None)
@given(_ranges, _range)
def test_subtract_removes_exactly_the_cut(rs, cut):
    assert points(ranges.subtract(rs, cut)) == points(rs) - points([cut])


@settings(max_examples=100, deadline=None, database=None)
@given(_ranges, _range)
def test_covers_matches_subset(rs, target):
    assert ranges.covers(rs, target) == (points([target]) <= points(rs))


@settings(max_examples=100, deadline=None, database=None)
@given(_ranges)
def test_total_length_counts_points(rs):
    assert ranges.total_length(rs) == len(points(rs))


@settings(max_examples=30, deadline=None, database=None)
@given(st.lists(st.tuples(st.booleans(), _range), max_size=6))
def test_boilerplate_marks_follow_the_model(tmp_path_factory, operations):
    """mark/unmark through the library agrees with plain set arithmetic."""
    folder = tmp_path_factory.mktemp("model")
    (folder / "a.txt").write_text("x" * 45)
    with Corpus.open(folder) as corpus:
        corpus.scan()
        doc_id = corpus.document_by_path("a.txt").id
        model: set[int] = set()
        for mark, (start, end) in operations:
            if start == end:
                continue
            if mark:
                corpus.mark_boilerplate(doc_id, start, end)
                model |= set(range(start, end))
            else:
                corpus.unmark_boilerplate(doc_id, start, end)
                model -= set(range(start, end))
        live = live_boilerplate(corpus, doc_id)
        assert points(live) == model
        assert live == ranges.merge(live)  # stored already merged


def test_undoing_a_tag_removal_restores_the_links_import_provenance(seeds_copy):
    with Corpus.open(seeds_copy) as corpus:
        corpus.scan()
        path = "000_017fdcef885307d4.txt"
        corpus.import_tags([{"path": path, "tags": ["syria"]}], create_tags=True)
        before = corpus.query("SELECT annotator, created_at, import_id FROM document_tags")
        assert before[0]["import_id"] is not None
        corpus.remove_tag(corpus.document_by_path(path).id, "syria")
        corpus.undo()
        assert corpus.query("SELECT annotator, created_at, import_id FROM document_tags") == before


def test_ids_and_offsets_may_be_any_integer_type_and_nothing_else(corpus):
    """A notebook's numpy integers: an id matched no document, an offset was bound to SQLite as
    a BLOB (a traceback from the titles), another could not go to the event log (a new user's trial)."""
    np = numpy_or_alike()
    doc = corpus.document_by_path("a.txt")
    doc_id = np.int64(doc.id)
    assert corpus.add_tag(doc_id, "x")
    span = corpus.add_annotation(doc_id, np.int64(0), np.int32(4), "GPE")
    assert (type(span.start), type(span.end)) == (int, int)
    assert corpus.mark_boilerplate(doc_id, np.int64(0), np.uint16(4)) is not None
    assert corpus.remove_span(np.int64(span.id)).id == span.id
    assert corpus.query("SELECT typeof(start) AS t FROM spans") == [{"t": "integer"}]
    assert corpus.query("SELECT typeof(document_id) AS t FROM document_tags") == [{"t": "integer"}]
    for bad in (1.5, "3", True, None):
        with pytest.raises(InvalidSpan, match="start must be a whole number"):
            corpus.add_annotation(doc.id, bad, 4, "GPE")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="document_id must be a whole number, not float 1.0"):
        corpus.add_tag(1.0, "x")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="a note is text"):
        corpus.set_note(doc.id, None)  # type: ignore[arg-type]
    with pytest.raises(DocumentNotFound):
        corpus.text(9999)
    assert corpus.text(corpus.document_by_path("bad.txt").id) == ""  # a document never readable: no text


def test_a_label_or_tag_with_a_control_character_is_refused_when_made(corpus):
    """They were stored, then the Label Studio export refused them long after (a new user's trial)."""
    doc = corpus.document_by_path("a.txt")
    with pytest.raises(InvalidSpan, match="label 'a␛b' holds a control character"):
        corpus.add_annotation(doc.id, 0, 4, "a\x1bb")
    span = corpus.add_annotation(doc.id, 0, 4, "ok")
    with pytest.raises(InvalidSpan, match="label 'a␀b' holds a control character"):
        corpus.update_annotation(span.id, label="a\x00b")
    for bad in ("a\x07b", "x\x9by", "del\x7f"):
        with pytest.raises(InvalidValue, match="holds a control character"):
            corpus.add_tag(doc.id, bad)
    corpus.create_tag("fine")
    with pytest.raises(InvalidValue, match="holds a control character"):
        corpus.rename_tag("fine", "f\x1bine")
    assert [t.name for t in corpus.tags()] == ["fine"] and corpus.span(span.id).label == "ok"


def test_a_tag_name_with_a_semicolon_is_refused_where_tags_are_made(corpus, tmp_path, run_main):
    """The CSV export joins a document's tags with ';' and import-tags' path,tags splits on it:
    'iraq;syria' was written so and read back as two tags (a review)."""
    doc = corpus.document_by_path("a.txt")
    with pytest.raises(InvalidValue, match="tag 'iraq;syria' holds ';', which separates tags in CSV"):
        corpus.add_tag(doc.id, "iraq;syria")
    corpus.create_tag("iraq")
    with pytest.raises(InvalidValue, match="holds ';'"):
        corpus.rename_tag("iraq", "iraq;syria")
    rows = tmp_path / "tags.jsonl"
    rows.write_text(json.dumps({"path": "a.txt", "tags": ["iraq;syria"]}) + "\n")
    corpus.close()
    result = run_main("import-tags", corpus.folder, rows, "--create-tags")  # an invalid row, named
    assert result.returncode != 0 and "tags.jsonl:1: tag 'iraq;syria' holds ';'" in result.stderr
    assert "nothing was imported" in result.stderr and "Traceback" not in result.stderr
    with Corpus.open(corpus.folder, annotator="tester", create=False) as again:
        assert [t.name for t in again.tags()] == ["iraq"] and again.document_tags(doc.id) == []


def test_the_repeats_rules_history_and_tags_methods_take_numpy_integers_too(scanned):
    """Left out of the first round: a numpy id matched no passage, rule or event, a list of
    them broke the event log's JSON, a numpy limit was a datatype mismatch (a code review)."""
    np = numpy_or_alike()
    footer = "Support our newsletter: subscribe today for 2024 stories"
    corpus, _ = scanned({f"{n}.txt": f"Story {n} begins here.\n\n{footer}\n" for n in "abcd"})
    (repeat,) = corpus.repeats(min_docs=np.int64(3), limit=np.int64(5))
    rid = np.int64(repeat.id)
    assert corpus.repeat(rid).id == repeat.id and len(corpus.repeat_copies(rid)) == 4
    assert corpus.repeat_ids(min_docs=np.int32(2)) == [repeat.id]
    assert [r.id for r in corpus.repeats_by_id([rid])] == [repeat.id]
    a = corpus.document_by_path("a.txt").id
    assert corpus.mark_copies(rid, [np.int64(a)]).ranges == 1
    assert corpus.text_versions([np.int64(a)]).keys() == {a}
    summary = corpus.mark_everywhere(rid)
    assert corpus.rule(np.int64(summary.rule_id)).id == summary.rule_id
    corpus.add_tag(a, "x")
    assert len(corpus.events(document_id=np.int64(a), limit=np.int64(5))) == 1
    assert corpus.remove_rule(np.int64(summary.rule_id)) == 3
    assert corpus.create_tag("t", hotkey=np.int64(3)).hotkey == 3
    assert corpus.rejected_fingerprints(np.int64(a)) == set()
    with pytest.raises(InvalidValue, match="repeat_ids must be whole numbers"):
        corpus.mark_all_everywhere("12")  # type: ignore[arg-type]


def test_names_and_notes_must_be_strings_and_ids_must_fit_sqlite(corpus):
    """add_tags(id, "war") made the tags "w", "a" and "r"; add_tag(id, 5) and add_tags(id, None)
    raised AttributeError and TypeError; reason=5 was stored as "5"; an id past 64 bits raised
    OverflowError, a traceback in `suggest --revert` (a new user's trial, a code review)."""
    np = numpy_or_alike()
    doc = corpus.document_by_path("a.txt")
    with pytest.raises(InvalidValue, match="names must be a list of strings, not str 'war'"):
        corpus.add_tags(doc.id, "war")
    with pytest.raises(InvalidValue, match="names must be a list of strings, not NoneType None"):
        corpus.add_tags(doc.id, None)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="names must be strings, not int 5"):
        corpus.add_tags(doc.id, ["ok", 5])  # type: ignore[list-item]
    with pytest.raises(InvalidValue, match="name must be a string, not int 5"):
        corpus.add_tag(doc.id, 5)  # type: ignore[arg-type]
    with pytest.raises(InvalidSpan, match="reason must be a string, not int 5"):
        corpus.mark_boilerplate(doc.id, 0, 4, reason=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidSpan, match="note must be a string, not int 5"):
        corpus.add_annotation(doc.id, 0, 4, "GPE", note=5)  # type: ignore[arg-type]
    assert corpus.tags() == [] and corpus.spans(doc.id) == []
    assert [t.name for t in corpus.add_tags(doc.id, ("war", "iraq"))] == ["war", "iraq"]  # any iterable
    assert corpus.mark_boilerplate(doc.id, 0, 4, reason=None) is not None
    for call in (lambda: corpus.document(2**64), lambda: corpus.revert_batch(2**80),
                 lambda: corpus.undo_import(-(2**63) - 1)):
        with pytest.raises(InvalidValue, match="^no (document|batch or event|tag import) with id -?[0-9]+ \\(past the 64 bits"):
            call()
    corpus.create_tag("peace", description=None)  # None is no description, as in update_tag
    for call in (lambda: corpus.update_tag("peace", description=5), lambda: corpus.update_tag("peace", color=5),
                 lambda: corpus.reject_suggestion(doc.id, 0, 4, reason=5),
                 lambda: corpus.accept_suggestions([(doc.id, 0, 4, 5)])):
        with pytest.raises(InvalidValue, match="must be a string, not int 5"):
            call()
    assert corpus.update_tag("peace", color=None).description == ""  # ... leaves what is not given
    result = corpus.import_tags([{"id": np.int64(doc.id), "tag": "np"}], create_tags=True)  # a pandas row's id
    assert result.added == 1 and "np" in [t.name for t in corpus.document_tags(doc.id)]


class _IndexOnly:
    """An integer type known only by ``__index__``, as numpy's are, where numpy is not installed."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


def numpy_or_alike():  # type: ignore[no-untyped-def]
    """numpy (the test extra need not install it), else a stand-in with its integer types."""
    try:
        import numpy
        return numpy
    except ImportError:
        from types import SimpleNamespace
        return SimpleNamespace(int64=_IndexOnly, int32=_IndexOnly, uint16=_IndexOnly)


def test_a_tag_with_a_semicolon_made_before_is_restored_by_import_and_renamed(scanned, tmp_path, run_main):
    """Refusing ';' refused a restore of an export holding such a tag (made by an earlier
    version), and a re-spelling of it (a review)."""
    corpus, folder = scanned({"a.txt": "An article\n\nIts text.\n"})
    doc = corpus.document_by_path("a.txt")
    with corpus.write():  # as an earlier version made it
        corpus.db.execute("INSERT INTO tags (name, key, color, description, hotkey, annotator, created_at) "
                          "VALUES ('iraq;syria', 'iraq;syria', NULL, '', NULL, 'old', '2026-01-01T00:00:00Z')")
    corpus.add_tag(doc.id, "iraq;syria")  # existing: fine
    corpus.close()
    backup = tmp_path / "backup.jsonl"
    assert run_main("export", folder, "-o", backup).returncode == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "a.txt").write_text("An article\n\nIts text.\n")
    assert run_main("scan", fresh).returncode == 0
    result = run_main("import", fresh, backup)
    assert result.returncode == 0, result.stderr
    assert run_main("import", folder, backup).returncode == 0  # into itself: nothing to change
    with Corpus.open(fresh, annotator="tester", create=False) as restored:
        assert [t.name for t in restored.document_tags(restored.document_by_path("a.txt").id)] == ["iraq;syria"]
        assert restored.rename_tag("iraq;syria", "Iraq;Syria").name == "Iraq;Syria"  # another case of it
        with pytest.raises(InvalidValue, match="holds ';'"):
            restored.rename_tag("Iraq;Syria", "iraq;syria;war")


def test_the_python_api_takes_what_a_notebook_passes_and_names_what_it_cannot(scanned, tmp_path):
    """A trial of the API: a Path or ./path found no document (a database error for the Path), a
    numpy hotkey was "not 1-9", a typo in kind listed nothing, an empty label was silently kept,
    a string of rows was read character by character, and bad open() arguments were tracebacks."""
    np = numpy_or_alike()
    corpus, folder = scanned({"site/a.txt": "An article\n\nIts text.\n"})
    doc = corpus.document_by_path("site/a.txt")
    from pathlib import Path

    assert corpus.document_by_path(Path("site/a.txt")).id == doc.id
    assert corpus.document_by_path("./site/a.txt").id == doc.id
    assert corpus.document_by_path(str(folder / "site" / "a.txt")).id == doc.id
    with pytest.raises(InvalidValue, match="a document's path is text, not int 5"):
        corpus.document_by_path(5)  # type: ignore[arg-type]
    corpus.create_tag("war")
    assert corpus.update_tag("war", hotkey=np.int64(3)).hotkey == 3
    with pytest.raises(InvalidValue, match="kind is 'annotation' or 'boilerplate'"):
        corpus.spans(doc.id, kind="annotations")
    span = corpus.add_annotation(doc.id, 0, 2, "X")
    for empty in ("", "   "):
        with pytest.raises(InvalidSpan, match="an annotation needs a label"):
            corpus.update_annotation(span.id, label=empty)
    assert corpus.update_annotation(span.id, note="n").label == "X"
    with pytest.raises(InvalidValue, match="not text: import_tags_file reads a file"):
        corpus.import_tags("path,tag\nsite/a.txt,war\n")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="threshold must be a number"):
        corpus.duplicate_pairs(threshold="0.5")  # type: ignore[arg-type]
    for bad, says in ((dict(annotator=5), "an annotator is a name"), (dict(timeout="5"), "timeout is seconds"),
                      (dict(timeout=float("inf")), "from 0 to 86,400"), (dict(timeout=1e7), "from 0 to 86,400"),
                      (dict(annotator="a\x1bb"), "annotator 'a␛b' holds a control character")):
        with pytest.raises(InvalidValue, match=says):
            Corpus.open(folder, **bad)  # type: ignore[arg-type]
