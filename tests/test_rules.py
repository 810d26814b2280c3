"""Rules kept by marking everywhere (issue 11, point 5): applied at later scans, removed with or
without their marks, exported as reason ``rule:ID``; ``corpus-tui rules list|remove``; schema v4."""

from __future__ import annotations

import json

import pytest
from conftest import assert_one_line_error

from corpus_tui.core.errors import InvalidValue
from corpus_tui.core.export import export
from corpus_tui.core.schema import MIGRATIONS, SCHEMA_VERSION

FOOTER = "Support our newsletter: subscribe today for 2024 stories\n"
STORY = "Story {} begins here with its own words.\n\n"


@pytest.fixture
def marked(scanned):  # type: ignore[no-untyped-def]
    """Three documents sharing a footer, marked everywhere with a rule."""
    corpus, folder = scanned({f"{name}.txt": STORY.format(name) + FOOTER for name in "abc"})
    (repeat,) = corpus.repeats()
    summary = corpus.mark_everywhere(repeat.id, reason="newsletter")
    return corpus, folder, repeat, summary


def rule_spans(corpus, rule_id):  # type: ignore[no-untyped-def]
    return corpus.query("SELECT document_id, start, \"end\" FROM spans WHERE rule_id = ? ORDER BY document_id",
                        [rule_id])


def test_schema_v4_adds_rules_and_spans_rule_id(marked):
    corpus, _, repeat, summary = marked
    assert SCHEMA_VERSION >= 4 and 3 in MIGRATIONS
    (rule,) = corpus.rules()
    assert (rule.id, rule.fingerprint, rule.text, rule.reason, rule.marks, rule.active) == (
        summary.rule_id, repeat.id, FOOTER.strip(), "newsletter", 3, True)
    assert len(rule_spans(corpus, rule.id)) == 3


def test_a_document_added_later_gets_the_mark_at_its_scan(marked):
    corpus, folder, _, summary = marked
    text = STORY.format("d") + FOOTER.replace("2024", "2031")  # another year: the same passage
    (folder / "d.txt").write_text(text)
    result = corpus.scan()
    assert (result.added, result.rule_marks) == (1, 1) and "1 range marked by rules" in result.line()
    doc = corpus.document_by_path("d.txt")
    (span,) = corpus.spans(doc.id, "boilerplate")
    assert (span.start, span.end, span.rule_id, span.reason) == (text.index("Support"), len(text) - 1,
                                                                  summary.rule_id, "newsletter")
    assert corpus.scan().rule_marks == 0  # a rescan with no change marks nothing


def test_a_changed_document_gets_the_mark_at_its_rescan(scanned):
    corpus, folder = scanned({f"{name}.txt": STORY.format(name) + FOOTER for name in "abc"}
                             | {"e.txt": STORY.format("e")})
    (repeat,) = corpus.repeats()
    corpus.mark_everywhere(repeat.id)
    (folder / "e.txt").write_text(STORY.format("e") + "More words.\n\n" + FOOTER)
    result = corpus.scan()
    assert (result.changed, result.rule_marks) == (1, 1)
    doc = corpus.document_by_path("e.txt")
    assert corpus.boilerplate_covers(doc.id, *corpus.repeat_copies(repeat.id)[-1][1:])


def test_no_rule_and_removed_rules_mark_nothing_later(scanned):
    corpus, folder = scanned({f"{name}.txt": STORY.format(name) + FOOTER for name in "abc"})
    (repeat,) = corpus.repeats()
    assert corpus.mark_everywhere(repeat.id, rule=False).rule_id is None and corpus.rules() == []
    (folder / "d.txt").write_text(STORY.format("d") + FOOTER)
    assert corpus.scan().rule_marks == 0


def test_removing_a_rule_with_its_marks_is_one_undo_step(marked):
    corpus, folder, _, summary = marked
    doc = corpus.document_by_path("a.txt")
    corpus.mark_boilerplate(doc.id, 0, 5, reason="by hand")  # not the rule's: stays
    before = {d.id: corpus.spans(d.id, "boilerplate") for d in corpus.documents()}
    assert corpus.remove_rule(summary.rule_id, remove_marks=True) == 3
    assert rule_spans(corpus, summary.rule_id) == [] and corpus.rules() == []
    assert [(s.start, s.end) for s in corpus.spans(doc.id, "boilerplate")] == [(0, 5)]
    (folder / "d.txt").write_text(STORY.format("d") + FOOTER)
    assert corpus.scan().rule_marks == 0  # it no longer applies
    assert corpus.undo().action == "rule.remove"
    assert {d: corpus.spans(d, "boilerplate") for d in before} == before
    assert [r.id for r in corpus.rules()] == [summary.rule_id]
    corpus.redo()
    assert rule_spans(corpus, summary.rule_id) == []
    with pytest.raises(InvalidValue, match="removed already"):
        corpus.remove_rule(summary.rule_id)
    with pytest.raises(InvalidValue, match="no rule"):
        corpus.remove_rule(99)


def test_removing_a_rule_keeping_its_marks(marked):
    corpus, _, repeat, summary = marked
    assert corpus.remove_rule(summary.rule_id, remove_marks=False) == 0
    assert len(rule_spans(corpus, summary.rule_id)) == 3 and corpus.repeat(repeat.id).marked == 3
    (rule,) = corpus.rules(include_removed=True)
    assert not rule.active and rule.marks == 3
    corpus.undo()
    assert corpus.rules()[0].active


def test_marking_everywhere_again_reuses_the_active_rule(marked):
    corpus, _, repeat, summary = marked
    again = corpus.mark_everywhere(repeat.id)
    assert (again.rule_id, again.ranges) == (summary.rule_id, 0) and len(corpus.rules()) == 1


def test_exports_give_rule_marks_reason_rule_id_and_leave_others_as_they_were(marked, tmp_path):
    corpus, _, _, summary = marked
    doc = corpus.document_by_path("a.txt")
    corpus.mark_boilerplate(doc.id, 0, 5, reason="by hand")
    export(corpus, "jsonl", tmp_path / "out.jsonl")
    records = {r["path"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    assert [b["reason"] for b in records["a.txt"]["boilerplate"]] == ["by hand", f"rule:{summary.rule_id}"]
    assert [b["reason"] for b in records["b.txt"]["boilerplate"]] == [f"rule:{summary.rule_id}"]
    corpus.remove_rule(summary.rule_id, remove_marks=True)
    export(corpus, "jsonl", tmp_path / "after.jsonl")
    records = {r["path"]: r for r in map(json.loads, (tmp_path / "after.jsonl").read_text().splitlines())}
    assert [b["reason"] for b in records["a.txt"]["boilerplate"]] == ["by hand"]


def test_cli_rules_list_and_remove(marked, run_main):
    corpus, folder, _, summary = marked
    corpus.close()
    listed = run_main("rules", "list", folder, "--json")
    assert listed.returncode == 0, listed.stderr
    (record,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (record["id"], record["marks"], record["active"], record["text"]) == (
        summary.rule_id, 3, True, FOOTER.strip())
    table = run_main("rules", "list", folder)
    assert "newsletter" in table.stdout and "Support our newsletter" in table.stdout
    assert_one_line_error(run_main("rules", "remove", folder, "99"), "no rule with id 99")
    kept = run_main("rules", "remove", folder, str(summary.rule_id), "--keep-marks")
    assert kept.returncode == 0 and kept.stdout == f"rule {summary.rule_id} removed\n"
    assert run_main("rules", "list", folder).stdout == "no rules\n"
    # A removed rule whose marks were kept can still have them removed, once.
    again = run_main("rules", "remove", folder, str(summary.rule_id))
    assert again.returncode == 0 and again.stdout == f"rule {summary.rule_id} removed, and 3 ranges it made\n"
    assert_one_line_error(run_main("rules", "remove", folder, str(summary.rule_id)), "removed already")


def test_cli_rules_remove_with_marks(marked, run_main, open_corpus):
    corpus, folder, _, summary = marked
    corpus.close()
    done = run_main("rules", "remove", folder, str(summary.rule_id))
    assert done.stdout == f"rule {summary.rule_id} removed, and 3 ranges it made\n"
    with open_corpus(folder) as again:
        assert rule_spans(again, summary.rule_id) == []


def test_marks_a_rule_made_at_scans_can_be_removed_after_its_mark_everywhere_is_undone(marked, open_corpus):
    """mark everywhere (rule) → a later scan marks a new copy → undo switches the rule off and
    reverts the first marks; the scan's mark stays, and removing the rule still removes it."""
    corpus, folder, _, summary = marked
    (folder / "late.txt").write_text("A late story here.\n\n" + FOOTER)
    corpus.scan()
    assert len(rule_spans(corpus, summary.rule_id)) == 4
    corpus.undo()
    assert not corpus.rule(summary.rule_id).active
    assert len(rule_spans(corpus, summary.rule_id)) == 1  # made by the scan, not by the undone step
    assert corpus.remove_rule(summary.rule_id, remove_marks=True) == 1
    assert rule_spans(corpus, summary.rule_id) == []
    corpus.undo()
    assert len(rule_spans(corpus, summary.rule_id)) == 1 and not corpus.rule(summary.rule_id).active


def test_redo_of_a_mark_everywhere_leaves_no_stale_row_beside_the_marks_a_scan_made_since(marked):
    """b.txt changed so its mark could not follow (the passage now twice): the scan marked both
    copies and superseded the stale mark; undo, then redo put the old row back stale beside them,
    asking for a span to be placed by hand (a code review)."""
    corpus, folder, _, summary = marked
    b = corpus.document_by_path("b.txt").id
    (folder / "b.txt").write_text(STORY.format("b") + FOOTER + "\nMore of the story.\n\n" + FOOTER,
                                  encoding="utf-8")
    corpus.scan()
    assert len([s for s in corpus.spans(b, "boilerplate") if not s.stale]) == 2
    corpus.undo()
    corpus.redo()
    marks = corpus.spans(b, "boilerplate")
    assert len(marks) == 2 and not any(m.stale for m in marks) and corpus.stale_spans(b) == []


SHARE = "Share this:\nTwitter Facebook Like\n"


@pytest.fixture
def overlapping(scanned):  # type: ignore[no-untyped-def]
    """Three documents ending in a share block: the block's first line is a repeat of its own
    (a fourth document has the line alone), so a rule for the line and one for the block overlap."""
    files = {f"{name}.txt": STORY.format(name) + SHARE for name in "abc"}
    files["d.txt"] = STORY.format("d") + "Share this:\n"
    corpus, folder = scanned(files)
    by_text = {r.text: r for r in corpus.repeats(min_docs=3)}
    return corpus, folder, by_text["Share this:"], by_text[SHARE.strip()]


def marked_ranges(corpus):  # type: ignore[no-untyped-def]
    return sorted((corpus.document(s.document_id).path, s.start, s.end, s.rule_id)
                  for d in corpus.documents() for s in corpus.spans(d.id, "boilerplate"))


def test_a_range_two_rules_mark_is_credited_to_the_rule_covering_it(overlapping):
    corpus, _, line, block = overlapping
    line_rule = corpus.mark_everywhere(line.id).rule_id
    block_rule = corpus.mark_everywhere(block.id).rule_id
    assert {r.id: r.marks for r in corpus.rules()} == {line_rule: 1, block_rule: 3}  # d's line alone is the line's


def test_removing_the_block_rule_leaves_the_line_rule_marking_its_lines(overlapping):
    corpus, _, line, block = overlapping
    line_rule = corpus.mark_everywhere(line.id, reason="share line").rule_id
    block_rule = corpus.mark_everywhere(block.id, reason="share block").rule_id
    before = marked_ranges(corpus)
    assert corpus.remove_rule(block_rule) == 3
    start = len(STORY.format("a"))
    assert marked_ranges(corpus) == [(f"{n}.txt", start, start + len("Share this:"), line_rule) for n in "abcd"]
    assert {r.id: r.marks for r in corpus.rules()} == {line_rule: 4}
    assert all(s.reason == "share line" for d in corpus.documents() for s in corpus.spans(d.id, "boilerplate"))
    corpus.undo()
    assert marked_ranges(corpus) == before and len(corpus.rules()) == 2
    corpus.redo()
    assert {r.id: r.marks for r in corpus.rules()} == {line_rule: 4}


def test_removing_the_line_rule_leaves_the_block_rule_marking_its_blocks(overlapping):
    corpus, _, line, block = overlapping
    line_rule = corpus.mark_everywhere(line.id).rule_id
    block_rule = corpus.mark_everywhere(block.id).rule_id
    assert corpus.remove_rule(line_rule) == 1  # d's line: the blocks are the block rule's
    start = len(STORY.format("a"))
    assert marked_ranges(corpus) == [(f"{n}.txt", start, start + len(SHARE.strip()), block_rule) for n in "abc"]


def test_a_block_rule_credited_range_holding_the_line_is_taken_back_by_the_line_rule_too(overlapping):
    """Marked in the other order (block first): removing the line rule takes back the blocks
    that hold its copy, and the block rule, still active, marks them again as its own."""
    corpus, _, line, block = overlapping
    block_rule = corpus.mark_everywhere(block.id).rule_id
    line_rule = corpus.mark_everywhere(line.id).rule_id
    corpus.remove_rule(line_rule)
    start = len(STORY.format("a"))
    assert marked_ranges(corpus) == [(f"{n}.txt", start, start + len(SHARE.strip()), block_rule) for n in "abc"]
    corpus.remove_rule(block_rule)
    assert marked_ranges(corpus) == []


def test_a_hand_mark_merged_with_a_rule_copy_is_never_taken_by_the_rule(overlapping):
    corpus, _, _, block = overlapping
    doc = corpus.document_by_path("a.txt")
    start = len(STORY.format("a"))
    corpus.mark_boilerplate(doc.id, start - 10, start + 3, reason="by hand")  # reaches into the block
    rule_id = corpus.mark_everywhere(block.id).rule_id
    assert corpus.remove_rule(rule_id) == 2
    assert [(s.start, s.end, s.rule_id) for s in corpus.spans(doc.id, "boilerplate")] == [
        (start - 10, start + len(SHARE.strip()), None)]


def test_removing_a_rule_leaves_the_marks_kept_from_a_rule_removed_before(overlapping):
    """The block rule removed with its marks kept, then the line rule removed: the kept blocks
    went too (reported as 1 range)."""
    corpus, _, line, block = overlapping
    block_rule = corpus.mark_everywhere(block.id).rule_id
    line_rule = corpus.mark_everywhere(line.id).rule_id
    corpus.remove_rule(block_rule, remove_marks=False)
    assert corpus.remove_rule(line_rule) == 1  # d's line
    start = len(STORY.format("a"))
    assert marked_ranges(corpus) == [(f"{n}.txt", start, start + len(SHARE.strip()), block_rule) for n in "abc"]


def test_removing_a_rule_leaves_another_rules_ranges_as_they_were(overlapping):
    """The blocks holding the line rule's copies were deleted and inserted again, new ids, new
    annotator, twice the undo record."""
    corpus, _, line, block = overlapping
    line_rule = corpus.mark_everywhere(line.id).rule_id
    corpus.mark_everywhere(block.id)
    before = {(s.id, s.start, s.end, s.annotator) for d in corpus.documents() for s in corpus.spans(d.id, "boilerplate")
              if d.path != "d.txt"}
    corpus.remove_rule(line_rule)
    after = {(s.id, s.start, s.end, s.annotator) for d in corpus.documents() for s in corpus.spans(d.id, "boilerplate")}
    assert after == before


def test_a_range_merging_marks_kept_from_a_removed_rule_is_the_analysts(overlapping):
    """The line rule removed with its marks kept, then the block rule marks the blocks holding
    them: the merged blocks are the analyst's (as a hand mark's would be), so removing the block
    rule with its marks never takes away the line marks kept on purpose (it once deleted them)."""
    corpus, _, line, block = overlapping
    line_rule = corpus.mark_everywhere(line.id).rule_id
    corpus.remove_rule(line_rule, remove_marks=False)
    block_rule = corpus.mark_everywhere(block.id).rule_id
    start = len(STORY.format("a"))
    merged = [(f"{n}.txt", start, start + len(SHARE.strip()), None) for n in "abc"]
    assert marked_ranges(corpus) == merged + [("d.txt", start, start + len("Share this:"), line_rule)]
    assert corpus.remove_rule(block_rule) == 0
    kept = marked_ranges(corpus)
    assert kept == merged + [("d.txt", start, start + len("Share this:"), line_rule)]
    for path, first, last, _ in kept:  # the kept line is still marked in every document
        assert first <= start and start + len("Share this:") <= last


def test_undoing_the_marking_that_made_a_rule_stamps_its_removal_then_not_its_creation(marked, monkeypatch):
    """``rules list --all`` said a rule undone a minute after it was made was removed when it was made."""
    from corpus_tui.core import propagate

    corpus, _, _, summary = marked
    created = corpus.rule(summary.rule_id).created_at
    monkeypatch.setattr(propagate, "now", lambda: "2030-01-01T00:00:00.000000+00:00")
    corpus.undo()
    rule = corpus.rule(summary.rule_id)
    assert not rule.active and rule.removed_at == "2030-01-01T00:00:00.000000+00:00" != created
    corpus.redo()
    assert corpus.rule(summary.rule_id).active


def test_a_rule_mark_taken_off_by_hand_stays_off_when_the_file_changes(marked):
    """The analyst unmarked the footer in a.txt; a line added to the file later, the rescan put the
    rule's mark back, saying only "1 range marked by rules". Undone, the taking off counts no more."""
    corpus, folder, _, summary = marked
    a = corpus.document_by_path("a.txt")
    (span,) = corpus.spans(a.id, "boilerplate")
    corpus.unmark_boilerplate(a.id, span.start, span.end)
    with open(folder / "a.txt", "a", encoding="utf-8") as handle:
        handle.write("A line added later.\n")
    assert corpus.scan().changed == 1
    assert corpus.spans(a.id, "boilerplate") == []
    b = corpus.document_by_path("b.txt")  # elsewhere the rule goes on marking
    (folder / "b.txt").write_text(STORY.format("b") + "New words.\n\n" + FOOTER, encoding="utf-8")
    corpus.scan()
    assert [s.rule_id for s in corpus.spans(b.id, "boilerplate") if not s.stale] == [summary.rule_id]
    (other,) = corpus.spans(corpus.document_by_path("c.txt").id, "boilerplate")
    corpus.remove_span(other.id)  # x on it: taken off too
    corpus.undo()  # and put back: the rule marks it again at the next change
    c = corpus.document_by_path("c.txt")
    (folder / "c.txt").write_text(STORY.format("c") + "Changed.\n\n" + FOOTER, encoding="utf-8")
    corpus.scan()
    assert [s.rule_id for s in corpus.spans(c.id, "boilerplate") if not s.stale] == [summary.rule_id]


def test_a_rule_mark_merged_into_a_hand_mark_then_taken_off_stays_off_when_the_file_changes(marked):
    """The footer's mark merged with a hand mark on the story above it (the merged range is no
    rule's); the analyst then unmarked all of it. The rescan put the footer's mark back: only a
    removed row credited to the rule counted as taking its mark off (a code review)."""
    corpus, folder, _, summary = marked
    a = corpus.document_by_path("a.txt")
    text = corpus.text(a.id)
    corpus.mark_boilerplate(a.id, 0, text.index("Support"))  # the story, up to the footer: merged with its mark
    (merged,) = corpus.spans(a.id, "boilerplate")
    assert merged.rule_id is None and merged.end == text.index("Support") + len(FOOTER) - 1
    corpus.unmark_boilerplate(a.id, merged.start, merged.end)
    with open(folder / "a.txt", "a", encoding="utf-8") as handle:
        handle.write("A line added later.\n")
    assert corpus.scan().rule_marks == 0
    assert corpus.spans(a.id, "boilerplate") == []
    b = corpus.document_by_path("b.txt")  # unmarking only the story keeps the footer the rule's
    text = corpus.text(b.id)
    corpus.mark_boilerplate(b.id, 0, text.index("Support") - 1)
    corpus.unmark_boilerplate(b.id, 0, text.index("Support") - 1)
    (folder / "b.txt").write_text(STORY.format("b") + "New words.\n\n" + FOOTER, encoding="utf-8")
    corpus.scan()
    assert [s.rule_id for s in corpus.spans(b.id, "boilerplate") if not s.stale] == [summary.rule_id]


def test_dropping_a_rules_stale_mark_does_not_keep_the_rule_off_the_document(marked):
    """b.txt fetched without the footer: the rule's mark went stale and was dropped (the p
    screen's drop). The footer back, the rule did not mark it: the drop counted as the analyst
    taking the mark off by hand (a code review)."""
    corpus, folder, _, summary = marked
    b = corpus.document_by_path("b.txt")
    (folder / "b.txt").write_text(STORY.format("b") + "No footer this time.\n", encoding="utf-8")
    assert corpus.scan().stale_spans == 1
    (stale,) = corpus.stale_spans(b.id)
    corpus.remove_span(stale.id)
    (folder / "b.txt").write_text(STORY.format("b") + "Footer again.\n\n" + FOOTER, encoding="utf-8")
    assert corpus.scan().rule_marks == 1
    assert [s.rule_id for s in corpus.spans(b.id, "boilerplate")] == [summary.rule_id]


def test_a_rules_mark_gone_stale_is_replaced_when_the_rule_marks_its_passage_again(marked):
    """The text around a rule's mark changed: the mark went stale (its context no longer held)
    while the rule marked the passage anew, and the document asked for a span to be placed."""
    corpus, folder, _, summary = marked
    b = corpus.document_by_path("b.txt")
    (folder / "b.txt").write_text(STORY.format("b") + "New words.\n\n" + FOOTER, encoding="utf-8")
    scan = corpus.scan()
    assert (scan.changed, scan.rule_marks, scan.stale_spans) == (1, 1, 0)
    text = corpus.text(b.id)
    assert [(s.start, s.end, s.rule_id, s.stale) for s in corpus.spans(b.id, "boilerplate")] == [
        (text.index("Support"), text.index("Support") + len(FOOTER) - 1, summary.rule_id, False)]


def test_a_document_away_when_marked_everywhere_gets_the_mark_when_it_comes_back_unchanged(scanned, tmp_path):
    """The rule is active: a copy that was missing while the passage was marked everywhere is
    marked when it comes back with the same bytes, not left unmarked in the export."""
    corpus, folder = scanned({f"{name}.txt": STORY.format(name) + FOOTER for name in "abcd"})
    kept = tmp_path / "kept.txt"
    (folder / "d.txt").rename(kept)
    corpus.scan()
    (repeat,) = corpus.repeats()
    summary = corpus.mark_everywhere(repeat.id)
    assert summary.documents == 3
    kept.rename(folder / "d.txt")
    result = corpus.scan()
    assert (result.returned, result.rule_marks) == (1, 1)
    doc = corpus.document_by_path("d.txt")
    (span,) = corpus.spans(doc.id, "boilerplate")
    assert span.rule_id == summary.rule_id
    assert [r.marked for r in corpus.repeats()] == [4]
    assert corpus.scan().rule_marks == 0  # marked once


def test_a_mark_taken_off_by_hand_stays_off_for_a_twin_rule_of_the_same_passage(scanned):
    """An upgrade of the normalization made two rules one passage (61,127 and 733 readers): the
    twin put back at the next change of the file the mark taken off the other's (a trial)."""
    corpus, folder = scanned({f"{name}.txt": STORY.format(name) + FOOTER for name in "abc"})
    (repeat,) = corpus.repeats()
    first = corpus.mark_everywhere(repeat.id).rule_id
    with corpus.write():  # the twin, as the upgrade leaves one
        corpus.db.execute("INSERT INTO rules (fingerprint, normalization, text, reason, annotator, created_at) "
                          "SELECT fingerprint, normalization, text, 'twin', annotator, created_at FROM rules WHERE id = ?",
                          [first])
    a = corpus.document_by_path("a.txt")
    text = corpus.text(a.id)
    corpus.unmark_boilerplate(a.id, text.index("Support"), len(text))
    (folder / "a.txt").write_text(STORY.format("a") + "A line added.\n\n" + FOOTER)
    assert corpus.scan().rule_marks == 0
    assert corpus.spans(a.id, "boilerplate") == []
