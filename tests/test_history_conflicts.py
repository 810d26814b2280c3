"""Undo and redo when someone else changed the same thing since: theirs is never overwritten,
the step is taken all the same (the history never gets stuck), and ``history_kept`` says so.
Every case here was found by a code review; before the fix each lost the other annotator's
change, broke the store's rules, or raised a raw sqlite3 error on every later undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus_tui import Corpus

PAGE = ("A headline about the battle\n\nThe article's first paragraph is long enough to read.\n\n"
        "Support our work: donate today to keep us going\n")


@pytest.fixture
def two(make_corpus):  # type: ignore[no-untyped-def]
    """alice and bob on one scanned corpus of three pages that share a donation appeal."""
    folder: Path = make_corpus({f"{name}.txt": f"Page {name}.\n\n" + PAGE for name in "abc"})
    alice = Corpus.open(folder, annotator="alice")
    bob = Corpus.open(folder, annotator="bob")
    alice.scan()
    yield alice, bob
    alice.close()
    bob.close()


def boilerplate(corpus: Corpus, doc: int) -> list[tuple[int, int, str]]:
    return [(span.start, span.end, span.annotator) for span in corpus.spans(doc, "boilerplate")]


def test_a_redo_never_lays_a_mark_over_one_made_since(two):  # type: ignore[no-untyped-def]
    alice, bob = two
    alice.mark_boilerplate(1, 10, 40)
    alice.undo()
    bob.mark_boilerplate(1, 30, 60)
    assert alice.redo().action == "boilerplate.mark"
    assert boilerplate(alice, 1) == [(30, 60, "bob")]  # two overlapping marks counted words twice
    assert "another boilerplate mark covers some of its words now" in (alice.history_kept or "")
    assert alice.redo() is None  # the step was taken


def test_an_undo_leaves_a_status_a_note_and_a_label_set_since_by_someone_else(two):  # type: ignore[no-untyped-def]
    alice, bob = two
    alice.set_status(1, "reviewed")
    bob.set_status(1, "skipped")
    assert alice.undo().action == "status.set"
    assert alice.document(1).status == "skipped"
    assert alice.history_kept == "the status of 'a.txt' was left as it is: it was changed since (by another annotator or process)"
    alice.set_note(1, "alice's note")
    bob.set_note(1, "bob's long careful note")
    alice.undo()
    assert alice.document(1).note == "bob's long careful note"
    span = alice.add_annotation(1, 0, 4, "GPE")
    alice.update_annotation(span.id, label="LOC")
    bob.update_annotation(span.id, label="CITY")
    assert alice.undo().action == "span.update"
    assert [s.label for s in alice.spans(1, "annotation")] == ["CITY"]
    assert "was changed since" in (alice.history_kept or "")
    # Nothing left to keep: the state is what the undo would make it, and nothing is said.
    bob.set_status(2, "reviewed")
    alice.set_status(2, "skipped")  # alice's step: reviewed -> skipped
    bob.set_status(2, "reviewed")  # bob sets it back to what alice's undo would
    assert alice.undo().action == "status.set" and alice.history_kept is None
    assert alice.document(2).status == "reviewed"


def test_an_undo_leaves_a_tag_someone_else_set_again(two):  # type: ignore[no-untyped-def]
    alice, bob = two
    alice.add_tag(2, "war")
    bob.remove_tag(2, "war")
    bob.add_tag(2, "war")
    assert alice.undo().action == "tag.add"
    assert [tag.name for tag in alice.document_tags(2)] == ["war"]
    assert alice.history_kept == "tag 'war' was left on 'b.txt': bob tagged it again since"


def test_undo_and_redo_never_get_stuck_on_a_merged_tag_or_a_restored_row(two):  # type: ignore[no-untyped-def]
    """Every later undo raised 'FOREIGN KEY constraint failed' (a link to a merged tag) or every
    redo 'UNIQUE constraint failed: spans.id' (a row another undo put back)."""
    alice, bob = two
    alice.add_tag(1, "Syria")
    alice.add_tag(1, "war")
    alice.remove_tag(1, "war")
    alice.merge_tags(["war"], "Syria")
    assert alice.undo().action == "tag.remove"
    assert "the tag was merged or deleted since" in (alice.history_kept or "")
    assert alice.undo().action == "tag.add" and alice.undo().action == "tag.add"  # on to the earlier steps
    # a row back by another's undo: alice's redo leaves it and goes on
    alice.mark_boilerplate(3, 10, 40)
    bob.unmark_boilerplate(3, 20, 25)  # cuts alice's mark in two
    assert alice.undo().action == "boilerplate.mark"
    assert "removed, cut or merged since" in (alice.history_kept or "")
    assert [(s, e) for s, e, _ in boilerplate(alice, 3)] == [(10, 20), (25, 40)]
    assert bob.undo().action == "boilerplate.unmark"  # alice's row is back
    assert alice.redo().action == "boilerplate.mark"
    assert "is there again" in (alice.history_kept or "")
    assert [(s, e) for s, e, _ in boilerplate(alice, 3)] == [(10, 40)]


def test_undoing_a_mark_everywhere_leaves_a_rule_removed_since_and_the_documents_changed(two):  # type: ignore[no-untyped-def]
    """bob removed alice's rule; alice undid her marking, then bob his removal: the rule alice
    undid was active again, its marks back."""
    alice, bob = two
    (appeal,) = [r for r in alice.repeats(min_docs=2) if r.text.startswith("Support our work")]
    marked = alice.mark_everywhere(appeal.id)
    bob.remove_rule(marked.rule_id, remove_marks=True)
    assert alice.undo().action == "boilerplate.propagate"
    assert "'a.txt' and 2 others left as they are" in (alice.history_kept or "")
    assert f"rule {marked.rule_id} left as it is" in (alice.history_kept or "")
    assert bob.undo().action == "rule.remove"
    assert alice.rule(marked.rule_id).active
    assert all(len(boilerplate(alice, doc)) == 1 for doc in (1, 2, 3))
    assert alice.redo().action == "boilerplate.propagate"  # no raw IntegrityError
    # One document changed among many: the others follow the undo.
    alice.undo()  # her redo (left as it was)... then mark again and let bob unmark one copy
    marked = alice.mark_everywhere(appeal.id)
    (start, end, _), = boilerplate(bob, 2)
    bob.unmark_boilerplate(2, start, end)
    alice.undo()
    assert [boilerplate(alice, doc) for doc in (1, 2, 3)] == [[], [], []]
    assert alice.history_kept == "'b.txt' left as it is: a range it made was removed, cut or merged since"


def test_undoing_an_import_after_a_merge_keeps_a_tag_set_by_hand(two, tmp_path):  # type: ignore[no-untyped-def]
    alice, _ = two
    alice.add_tag(1, "conflict")
    alice.import_tags([("a.txt", "war")], create_tags=True)
    alice.merge_tags(["conflict"], "war")
    (record,) = alice.imports()
    alice.undo_import(record.id)
    assert [tag.name for tag in alice.document_tags(1)] == ["war"]  # the hand-made link, merged into war
    # A link brought back by undo no longer points at an import that is undone.
    alice.import_tags([("b.txt", "peace")], create_tags=True)
    alice.remove_tag(2, "peace")
    last = max(alice.imports(), key=lambda r: r.id)
    alice.undo_import(last.id)
    alice.undo()
    assert alice.query("SELECT import_id FROM document_tags WHERE document_id = 2") == [{"import_id": None}]
