"""Marking a repeated passage everywhere (issue 11, points 3-4, 6): ``Corpus.mark_everywhere``,
``Corpus.mark_copies``, one-step undo and redo, and ``corpus-tui repeats --mark``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import REPO, assert_one_line_error

from corpus_tui.core.errors import InvalidValue

sys.path.insert(0, str(REPO / "bench"))
try:
    import generate_sites
finally:
    sys.path.remove(str(REPO / "bench"))


def appeal_id(corpus) -> int:  # type: ignore[no-untyped-def]
    (found,) = corpus.repeats(min_docs=2, contains="support the project")
    return found.id


def boilerplate(corpus, doc_ids) -> dict[int, list[tuple]]:  # type: ignore[no-untyped-def]
    """Every column of every boilerplate span (ids too), per document."""
    return {doc: [tuple(s.as_row().values()) for s in corpus.spans(doc, "boilerplate")] for doc in doc_ids}


@pytest.fixture
def seeds(seeds_copy, open_corpus):  # type: ignore[no-untyped-def]
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    return corpus


def test_marks_both_copies_of_the_seeds_donation_appeal(seeds):
    repeat_id = appeal_id(seeds)
    summary = seeds.mark_everywhere(repeat_id, reason="donation appeal", rule=False)
    assert (summary.documents, summary.ranges, summary.rule_id, summary.dry_run) == (2, 2, None, False)
    for doc, start, end in seeds.repeat_copies(repeat_id):
        assert seeds.boilerplate_covers(doc, start, end)
        (span,) = seeds.spans(doc, "boilerplate")
        assert span.reason == "donation appeal" and span.quote == seeds.text(doc)[span.start : span.end]
    assert seeds.repeat(repeat_id).marked == 2
    assert [e.action for e in seeds.events(limit=1)] == ["boilerplate.propagate"]
    again = seeds.mark_everywhere(repeat_id, rule=False)  # already marked: nothing to do, no undo step
    assert (again.documents, again.ranges) == (0, 0)
    assert seeds.events(limit=1)[0].action == "boilerplate.propagate"


def test_merges_with_existing_boilerplate_as_marking_by_hand_does(seeds):
    repeat_id = appeal_id(seeds)
    (doc, start, end), (other, o_start, o_end) = seeds.repeat_copies(repeat_id)
    seeds.mark_boilerplate(doc, start - 3, start + 5, reason="hand")  # overlaps the copy's start
    seeds.mark_boilerplate(doc, end, end + 2)  # touches its end
    seeds.mark_boilerplate(other, o_start, o_end)  # the whole copy already
    summary = seeds.mark_everywhere(repeat_id, rule=False)
    assert (summary.documents, summary.ranges) == (1, 1)
    (span,) = seeds.spans(doc, "boilerplate")
    assert (span.start, span.end, span.reason) == (start - 3, end + 2, "hand")
    assert [(s.start, s.end) for s in seeds.spans(other, "boilerplate")] == [(o_start, o_end)]


def test_one_undo_restores_every_document_and_redo_reapplies(seeds):
    repeat_id = appeal_id(seeds)
    docs = [doc for doc, _, _ in seeds.repeat_copies(repeat_id)]
    doc, start, _ = seeds.repeat_copies(repeat_id)[0]
    seeds.mark_boilerplate(doc, start, start + 4, reason="hand")
    titles = {d: seeds.document(d).title for d in docs}
    before = boilerplate(seeds, docs)
    seeds.mark_everywhere(repeat_id, reason="appeal")
    after = boilerplate(seeds, docs)
    assert after != before
    assert seeds.undo().action == "boilerplate.propagate"
    assert boilerplate(seeds, docs) == before
    assert {d: seeds.document(d).title for d in docs} == titles
    assert seeds.rules() == []  # the rule it made is undone with it
    assert seeds.redo().action == "boilerplate.propagate"
    assert boilerplate(seeds, docs) == after
    assert [r.fingerprint for r in seeds.rules()] == [repeat_id]


def test_undo_re_anchors_in_a_document_changed_since(seeds, seeds_copy):
    repeat_id = appeal_id(seeds)
    doc, start, end = seeds.repeat_copies(repeat_id)[0]
    seeds.mark_boilerplate(doc, start, end)
    before_quote = seeds.spans(doc, "boilerplate")[0].quote
    seeds.mark_everywhere(repeat_id, rule=False)
    seeds.mark_boilerplate(doc, start, end)  # no-op: already marked
    path = seeds_copy / seeds.document(doc).path
    path.write_text("A new first line.\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    seeds.scan()
    seeds.undo()
    (span,) = seeds.spans(doc, "boilerplate")
    assert span.quote == before_quote and seeds.text(doc)[span.start : span.end] == before_quote
    assert span.anchor == "reanchored"


def test_a_dry_run_writes_nothing(seeds):
    repeat_id = appeal_id(seeds)
    statements: list[str] = []
    seeds.db.conn.set_trace_callback(statements.append)
    summary = seeds.mark_everywhere(repeat_id, dry_run=True)
    seeds.db.conn.set_trace_callback(None)
    assert (summary.documents, summary.ranges, summary.rule_id, summary.dry_run) == (2, 2, None, True)
    assert not [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert seeds.repeat(repeat_id).marked == 0 and seeds.undo() is None


def test_an_unknown_passage_is_an_error_and_writes_nothing(seeds):
    events = seeds.events()
    with pytest.raises(InvalidValue, match="no repeated passage"):
        seeds.mark_everywhere(12345)
    assert seeds.events() == events and seeds.rules() == []


def test_progress_counts_documents(seeds):
    calls: list[tuple[int, int]] = []
    seeds.mark_everywhere(appeal_id(seeds), progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (2, 2)


def test_mark_copies_marks_one_document_one_undo_step(seeds):
    repeat_id = appeal_id(seeds)
    (first, start, end), (second, _, _) = seeds.repeat_copies(repeat_id)
    summary = seeds.mark_copies(repeat_id, [first])
    assert (summary.documents, summary.ranges, summary.rule_id) == (1, 1, None)
    assert seeds.boilerplate_covers(first, start, end) and seeds.spans(second, "boilerplate") == []
    seeds.undo()
    assert seeds.spans(first, "boilerplate") == []
    with pytest.raises(InvalidValue, match="no copy"):
        seeds.mark_copies(repeat_id, [999])


def test_cli_marks_everywhere_and_its_errors_are_one_line(seeds_copy, run_main, open_corpus):
    assert run_main("scan", seeds_copy).returncode == 0
    with open_corpus(seeds_copy) as corpus:
        repeat_id = appeal_id(corpus)
    dry = run_main("repeats", seeds_copy, "--mark", repeat_id, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout) == {"repeat_id": repeat_id, "documents": 2, "ranges": 2, "rule_id": None,
                                      "dry_run": True, "rule_ranges": 0, "rule_created": False}
    assert_one_line_error(run_main("repeats", seeds_copy, "--mark", repeat_id, "12345"), "12345")
    assert_one_line_error(run_main("repeats", seeds_copy, "--mark", "abc"), "abc")
    assert_one_line_error(run_main("repeats", seeds_copy, "--reason", "appeal"), "--reason only goes with --mark ID")
    assert_one_line_error(run_main("repeats", seeds_copy, "--mark", repeat_id, "--limit", "1", "--min-docs", "2"),
                          "--min-docs and --limit only go with a listing, not with --mark")
    assert_one_line_error(run_main("repeats", seeds_copy, "--mark"), "--mark")
    with open_corpus(seeds_copy) as corpus:
        assert corpus.repeat(repeat_id).marked == 0 and corpus.rules() == []  # nothing written
    done = run_main("repeats", seeds_copy, "--mark", repeat_id, "--reason", "appeal")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{repeat_id}: marked 2 ranges in 2 documents, rule 1\n"
    with open_corpus(seeds_copy) as corpus:
        assert corpus.repeat(repeat_id).marked == 2
        assert {s.reason for d, _, _ in corpus.repeat_copies(repeat_id) for s in corpus.spans(d)} == {"appeal"}
    again = run_main("repeats", seeds_copy, "--mark", repeat_id)
    assert again.stdout == f"{repeat_id}: marked 0 ranges in 0 documents, rule 1 (its copies were marked already)\n"
    with open_corpus(seeds_copy) as corpus:  # marked by hand everywhere, no rule yet: one is made, and said
        corpus.remove_rule(1, remove_marks=False)
    made = run_main("repeats", seeds_copy, "--mark", repeat_id, "--json")
    assert json.loads(made.stdout)["rule_created"] is True and json.loads(made.stdout)["ranges"] == 0


def _most_frequent_everywhere(folder: Path, open_corpus) -> None:  # type: ignore[no-untyped-def]
    corpus = open_corpus(folder)
    corpus.scan()
    top = corpus.repeats(min_docs=2, limit=1)[0]
    docs = sorted({doc for doc, _, _ in corpus.repeat_copies(top.id)})
    assert len(docs) == top.documents > 100
    before = boilerplate(corpus, docs)
    summary = corpus.mark_everywhere(top.id, reason="bench")
    assert summary.documents == top.documents and corpus.repeat(top.id).marked == top.documents
    corpus.undo()
    assert boilerplate(corpus, docs) == before and corpus.repeat(top.id).marked == 0
    assert corpus.db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert corpus.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_generated_corpus_of_2000_documents_marked_everywhere_and_undone(tmp_path, open_corpus):
    folder = generate_sites.generate_sites(tmp_path / "sites", docs=2000, sites=20, seed=2)
    _most_frequent_everywhere(folder, open_corpus)


def test_repeats_within_a_range_are_its_outermost_repeated_passages_and_marked_together(scanned):
    menu = "Home\nWorld news\nSport pages"
    corpus, _ = scanned({f"{n}.txt": f"{menu}\n\nStory {n} is here.\n\nShare this page with friends\n" for n in "abc"})
    doc = corpus.documents()[0]
    text = corpus.text(doc.id)
    found = corpus.repeats_within(doc.id, 0, len(text))
    assert sorted(corpus.text(doc.id)[s:e] for r in found for d, s, e in corpus.repeat_copies(r.id) if d == doc.id) \
        == sorted([menu, "Share this page with friends"])  # the menu as a paragraph, not also its lines
    assert corpus.documents_holding([r.id for r in found], besides=doc.id) == 2
    summary = corpus.mark_all_everywhere([r.id for r in found] * 2, reason="site furniture")  # ids once each
    assert (summary.documents, summary.ranges, len(summary.rule_ids)) == (3, 6, 2)
    assert corpus.undo() is not None and corpus.rules() == []  # one step, its rules too
    assert all(corpus.spans(d.id, "boilerplate") == [] for d in corpus.documents())
    with pytest.raises(InvalidValue):
        corpus.mark_all_everywhere([])
