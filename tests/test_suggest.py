"""Boilerplate suggestions (issue 12, first part): the scorer, ``corpus-tui suggest`` and
``corpus-tui evaluate``."""

from __future__ import annotations

import json
import time

import pytest
from conftest import UNDO_SCHEMA_V7, assert_one_line_error

from corpus_tui import Corpus
from corpus_tui.core.errors import DocumentNotFound, InvalidSpan, InvalidValue
from corpus_tui.core.suggest.features import DENSE_NAMES, document_features, is_serialized
from corpus_tui.core.suggest.model import parse_model, shipped_model

ARTICLE = ("The council met on Tuesday to discuss the new budget for the coming year, "
           "and members argued for several hours about the cost of the bridge repairs.")


def suggested_texts(corpus, path: str, min_score: float | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    document = corpus.document_by_path(path)
    text = corpus.text(document.id)
    return [text[s.start : s.end] for s in corpus.suggestions(document.id, min_score)]


def test_every_line_gets_features_in_the_models_order():
    text = "Home\nNews\nSport\n\n" + ARTICLE + "\n\nstring(949) \"[{\\\"id\\\":\\\"1\\\"}]\"\n"
    lines = document_features(text)
    assert [text[line.start : line.end] for line in lines][:3] == ["Home", "News", "Sport"]
    assert all(len(line.dense) == len(DENSE_NAMES) for line in lines)
    assert lines[3].words > 20 and lines[3].ends_like_sentence and not lines[0].ends_like_sentence
    assert is_serialized(text[lines[-1].start : lines[-1].end]) and not is_serialized(ARTICLE)


def test_the_shipped_model_reads_and_checks_its_features():
    model = shipped_model()
    assert 0.5 <= model.threshold < 1.0
    data = json.loads((__import__("corpus_tui.core.suggest.model", fromlist=["MODEL_PATH"]).MODEL_PATH).read_text())
    with pytest.raises(ValueError, match="other features"):
        parse_model({**data, "dense_names": data["dense_names"][:-1]})


def test_the_seeds_counters_dumps_and_comment_widget_are_suggested_and_titles_are_not(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    paths = {p.split("_")[0]: p for p in (d.path for d, _ in corpus.suggest_all())}
    in_002 = suggested_texts(corpus, paths["002"])
    assert {"0 $", "2,500 $", "5,000 $", "822 $"} <= set(in_002)
    assert {"Notify of", "View all comments", "Inline Feedbacks"} <= set(in_002)
    assert any("support the project" in line for line in in_002)  # the donation appeal
    for number in ("003", "004"):
        assert any(line.startswith('string(') for line in suggested_texts(corpus, paths[number]))
    in_000 = suggested_texts(corpus, paths["000"])  # its legal notices, whatever the model says
    assert any(line.startswith("Copyright ©") for line in in_000)
    assert any(line.startswith("Disclaimer: The contents of this article") for line in in_000)
    for document, found in corpus.suggest_all():
        text = corpus.text(document.id)
        assert document.title not in [text[s.start : s.end].strip() for s in found]
        for s in found:
            assert 0 <= s.start < s.end <= len(text) and corpus.suggestion_threshold() <= s.score <= 1 and s.reason


def test_marked_lines_are_not_suggested_and_suggestions_change_nothing(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    document = next(d for d, found in corpus.suggest_all() if d.path.startswith("002"))
    before = corpus.suggestions(document.id)
    assert corpus.query("SELECT COUNT(*) AS n FROM spans")[0]["n"] == 0  # only marks count
    first = before[0]
    corpus.mark_boilerplate(document.id, first.start, first.end)
    after = corpus.suggestions(document.id)
    assert first not in after and len(after) == len(before) - 1
    assert len(corpus.suggestions(document.id, min_score=0.0)) >= len(after)
    with pytest.raises(InvalidValue, match="between 0 and 1"):
        corpus.suggestions(document.id, min_score=1.5)


def test_quick_suggestions_are_the_documents_own_or_none_when_they_would_cost_a_fit_or_a_long_read(
        seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    document = next(d for d in corpus.documents() if d.path.startswith("002"))
    assert corpus.quick_suggestions(document.id) is None  # the learner was never fitted for this corpus
    expected = corpus.suggestions(document.id)
    assert expected and corpus.quick_suggestions(document.id) == expected
    assert corpus.quick_suggestions(document.id, max_chars=document.char_count - 1) is None
    corpus.mark_boilerplate(document.id, expected[0].start, expected[0].end)  # a decision: a refit is owed
    assert corpus.quick_suggestions(document.id) is None
    assert corpus.quick_suggestions(document.id) is None  # asking again fits nothing
    corpus.suggestions(document.id)
    assert corpus.quick_suggestions(document.id) == corpus.suggestions(document.id) == expected[1:]


def test_a_line_in_twenty_documents_is_suggested_because_it_repeats(scanned):
    footer = "Follow our team on the social networks for more"
    files = {f"{n:02d}.txt": f"{ARTICLE} Story {n}.\n\n{footer}\n" for n in range(20)}
    corpus, _ = scanned(files)
    (suggestion,) = corpus.suggestions(corpus.document_by_path("07.txt").id)
    assert suggestion.score >= 0.97 and suggestion.reason == "in 20 documents from 1 source"


def test_cli_suggest_prints_json_lines_and_a_table(seeds_copy, run_main):
    assert run_main("scan", seeds_copy).returncode == 0
    as_json = run_main("suggest", seeds_copy, "--json")
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert as_json.returncode == 0 and records and all(set(r) == {"path", "suggestions"} for r in records)
    assert all(set(s) == {"start", "end", "score", "reason"} for r in records for s in r["suggestions"])
    one = run_main("suggest", seeds_copy, "--path", records[0]["path"], "--json")
    assert [json.loads(line) for line in one.stdout.splitlines()] == [records[0]]
    everything = run_main("suggest", seeds_copy, "--json", "--min-score", "0")
    assert sum(len(json.loads(l)["suggestions"]) for l in everything.stdout.splitlines()) > \
        sum(len(r["suggestions"]) for r in records)
    table = run_main("suggest", seeds_copy)
    assert "a counter or price line" in table.stdout and "0 $" in table.stdout
    none = run_main("suggest", seeds_copy, "--min-score", "0.9999")  # a table of nothing said so
    assert none.returncode == 0 and none.stdout == "no suggestions at a score of 0.9999 or more in 5 documents\n"
    assert run_main("suggest", seeds_copy, "--min-score", "0.9999", "--json").stdout == ""
    assert_one_line_error(run_main("suggest", seeds_copy, "--path", "nope.txt"), "nope.txt")
    assert_one_line_error(run_main("suggest", seeds_copy, "--min-score", "2"), "--min-score")


def test_cli_evaluate_scores_labelled_lines_only(seeds_copy, run_main, tmp_path):
    assert run_main("scan", seeds_copy).returncode == 0
    path = next(p.name for p in seeds_copy.iterdir() if p.name.startswith("002"))
    lines = (seeds_copy / path).read_text().split("\n")
    counter = lines.index("0 $") + 1
    article = next(n for n, line in enumerate(lines, 1) if line.startswith("Iraqi security forces"))
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"path": path, "url": "ignored", "boilerplate_lines": [counter],
                                "content_lines": [article]}) + "\n\n")
    result = run_main("evaluate", seeds_copy, "--gold", gold, "--json")
    figures = json.loads(result.stdout)
    assert figures["lines"] == 2 and figures["boilerplate"]["precision"] == 1.0
    assert figures["boilerplate"]["recall"] == 1.0 and figures["content"]["f"] == 1.0
    assert "boilerplate  precision 1.000" in run_main("evaluate", seeds_copy, "--gold", gold).stdout
    assert figures["blank_labels"] == 0
    gold.write_text(json.dumps({"path": path, "boilerplate_lines": [counter, counter + 4],  # line 5 is blank
                                "content_lines": [article]}) + "\n")
    said = run_main("evaluate", seeds_copy, "--gold", gold).stdout.splitlines()[0]
    assert said.endswith("(1 label on blank lines, not scored)") and said.startswith("2 labelled lines")
    bad = tmp_path / "bad.jsonl"
    cut_short = json.dumps({"path": path, "boilerplate_lines": [1], "content_lines": [7]})[:-1]
    for content, needle in [
        ('{"path": "x.txt", "boilerplate_lines": [0]}\n', "bad.jsonl:1"),
        (json.dumps({"path": path, "boilerplate_lines": [], "content_lines": [1]}) + "\n{oops\n",
         "bad.jsonl:2: not valid JSON: Expecting property name"),
        ("[1]\n", "bad.jsonl:1: not a JSON object"),
        (json.dumps({"path": path, "boilerplate_lines": [], "content_lines": [1]}) + "\n\xff\n",
         "bad.jsonl:2: not UTF-8 text"),
        (json.dumps({"path": path, "boilerplate_lines": [3], "content_lines": [3]}) + "\n", "both"),
        (json.dumps({"path": path, "boilerplate_lines": [], "content_lines": [1]}) + "\n"
         + json.dumps({"path": "nope.txt", "boilerplate_lines": [], "content_lines": [1]}) + "\n",
         "bad.jsonl:2: nope.txt: not a document of this corpus"),
        ("", "bad.jsonl: labels no line"),  # figures of 0.000 read as a total failure
        (json.dumps({"path": path, "boilerplate_lines": [], "content_lines": []}) + "\n", "bad.jsonl: labels no line"),
        # A misspelt key left its lines unscored without a word (a trial).
        (json.dumps({"path": path, "boilerplate_lines": [1], "content_line": [2]}) + "\n",
         "bad.jsonl:1: no 'content_lines' (each line:"),
        # Cut short: the error is on its line, at its end (it said "column 1", of the next line).
        (cut_short + "\n", f"bad.jsonl:1: not valid JSON: Expecting ',' delimiter at column {len(cut_short) + 1}"),
        ('{"path": "a\x1b.txt"}\n', "bad.jsonl:1: not valid JSON: Invalid control character at column 12"),
        (json.dumps({"path": path, "boilerplate_lines": [len(lines) + 1], "content_lines": []}) + "\n",
         f"bad.jsonl:1: line {len(lines) + 1} is past the end of {path} ({len(lines)} lines)"),
    ]:
        bad.write_bytes(content.encode("utf-8", "surrogateescape") if "\xff" not in content
                        else content.encode("latin-1"))
        assert_one_line_error(run_main("evaluate", seeds_copy, "--gold", bad), needle)
    bom = tmp_path / "bom.jsonl"  # as Windows tools write it: scored like the same file without
    bom.write_bytes(b"\xef\xbb\xbf" + gold.read_bytes())
    assert run_main("evaluate", seeds_copy, "--gold", bom).stdout.splitlines()[0] == said
    assert_one_line_error(run_main("evaluate", seeds_copy, "--gold", tmp_path / "missing.jsonl"), "missing.jsonl")


def test_a_rejected_line_is_not_suggested_again_and_undo_brings_it_back(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    document = corpus.document_by_path(next(p.name for p in seeds_copy.iterdir() if p.name.startswith("002")))
    text = corpus.text(document.id)
    before = corpus.suggestions(document.id)
    counter = next(s for s in before if text[s.start : s.end] == "0 $")
    assert corpus.reject_suggestion(document.id, counter.start, counter.end, counter.score, counter.reason)
    assert not corpus.reject_suggestion(document.id, counter.start, counter.end)  # once is enough
    after = [text[s.start : s.end] for s in corpus.suggestions(document.id)]
    # The line and its normalized twins (every number is one class): "822 $", "2,500 $", "5,000 $" go too.
    assert not {"0 $", "822 $", "2,500 $", "5,000 $"} & set(after) and len(after) == len(before) - 4
    corpus.undo()
    assert corpus.suggestions(document.id) == before
    corpus.redo()
    assert len(corpus.suggestions(document.id)) == len(before) - 4
    with pytest.raises(InvalidValue):
        corpus.reject_suggestion(document.id, 5, 2)


def test_applying_suggestions_is_one_batch_listed_and_reverted_as_a_unit(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    wanted = sum(len(found) for _, found in corpus.suggest_all())
    dry = corpus.apply_suggestions(dry_run=True)
    assert dry.dry_run and dry.ranges > 0 and corpus.query("SELECT COUNT(*) AS n FROM spans")[0]["n"] == 0
    batch = corpus.apply_suggestions()
    assert (batch.documents, batch.ranges) == (dry.documents, dry.ranges) and wanted >= batch.ranges
    marks = corpus.query("SELECT reason FROM spans WHERE kind = 'boilerplate'")
    assert len(marks) == batch.ranges and all(m["reason"].startswith("suggested: ") for m in marks)
    assert sum(len(found) for _, found in corpus.suggest_all()) == 0  # marked: nothing left to suggest
    (listed,) = corpus.applied_batches()
    assert (listed.event_id, listed.ranges, listed.reverted) == (batch.event_id, batch.ranges, False)
    corpus.mark_boilerplate(corpus.document_by_path(
        next(p.name for p in seeds_copy.iterdir() if p.name.startswith("003"))).id, 0, 5)  # a later, unrelated mark
    corpus.revert_batch(batch.event_id)
    assert corpus.query("SELECT COUNT(*) AS n FROM spans")[0]["n"] == 1  # the later mark stays
    assert corpus.applied_batches()[0].reverted
    with pytest.raises(InvalidValue, match="reverted already"):
        corpus.revert_batch(batch.event_id)
    corpus.undo()  # the later mark: the reverted batch is not undone a second time
    corpus.undo()
    assert corpus.query("SELECT COUNT(*) AS n FROM spans")[0]["n"] == 0


def test_a_batch_whose_marks_a_scan_moved_with_their_text_is_reverted_and_what_it_merged_follows(
        seeds_copy, open_corpus):
    """A line added at the top of a file, rescanned: every mark of the batch in it moved with its
    text, and --revert refused them as "changed since (undo the later change first)", a change no
    one can undo, while u reverted the batch (new users' trials). The mark the batch had merged
    in comes back where its words are now."""
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    path = next(p.name for p in seeds_copy.iterdir() if p.name.startswith("002"))
    document = corpus.document_by_path(path)
    first = next(s for s in corpus.suggestions(document.id) if s.start > 200)  # context on both sides
    corpus.mark_boilerplate(document.id, first.start, first.start + 3)  # the analyst's, merged by the batch
    batch = corpus.apply_suggestions()
    original = (seeds_copy / path).read_text(encoding="utf-8")
    (seeds_copy / path).write_text("A new first line, pushed in by the site\n\n" + original, encoding="utf-8")
    assert corpus.scan().changed == 1
    corpus.revert_batch(batch.event_id)
    shift = len("A new first line, pushed in by the site\n\n")
    assert [(s.start, s.end, s.anchor) for s in corpus.spans(document.id, "boilerplate")] == [
        (first.start + shift, first.start + shift + 3, "reanchored")]
    assert corpus.query("SELECT COUNT(*) AS n FROM spans")[0]["n"] == 1


def test_a_revert_after_set_encoding_puts_a_merged_mark_back_on_its_words(scanned):
    """set-encoding changes the text, not the sha256: the mark the batch had merged came back at
    its old offsets, three characters off its words, and check said ok (a code review)."""
    body = ("Café de Flore, réunion générale à Paris.\n\n"
            "This opening paragraph is long enough to keep context far from the accented words above.\n\n"
            "Support our work: donate today to keep us independent.\n\n"
            "Please share this article with your friends and family now.\n\n"
            "The body of the article continues here with plenty of ordinary words in it.\n")
    corpus, _ = scanned({"a.txt": body})
    document = corpus.document_by_path("a.txt")
    text = corpus.text(document.id)
    start, end = text.index("Support"), text.index("\n", text.index("Support"))
    corpus.mark_boilerplate(document.id, start, end, reason="hand")
    batch = corpus.accept_suggestions([(document.id, start + 8, text.index("\n", text.index("Please")), "appeal")])
    corpus.set_encoding("a.txt", "latin-1", force=True)  # the same bytes read as another text
    corpus.revert_batch(batch.event_id)
    now = corpus.text(document.id)
    (mark,) = corpus.spans(document.id, "boilerplate")
    assert (mark.reason, now[mark.start : mark.end]) == ("hand", "Support our work: donate today to keep us independent.")


def test_a_batch_mark_placed_by_hand_since_is_not_reverted_until_the_placing_is_undone(scanned):
    """Gone stale, placed by the analyst (p), the mark kept its id and quote: the revert took it
    off, and undoing the placing brought the reverted batch's mark back (a code review)."""
    def page(prefix: str, suffix: str) -> str:
        return (f"Opening paragraph of the article with words. {prefix}\n\n"
                "Support our work: donate today to keep us independent of sponsors.\n\n"
                f"{suffix} The body of the article continues with plenty of words.\n")

    corpus, folder = scanned({"a.txt": page("Read more below.", "Meanwhile, in other news,")})
    document = corpus.document_by_path("a.txt")
    text = corpus.text(document.id)
    start = text.index("Support")
    batch = corpus.accept_suggestions([(document.id, start, text.index("\n", start), "appeal")]).event_id
    (folder / "a.txt").write_text(page("A new sentence was added here, too. Continue below!",
                                       "Elsewhere, in unrelated reports,"), encoding="utf-8")
    corpus.scan()
    (stale,) = corpus.spans(document.id, "boilerplate")
    assert stale.stale
    start = corpus.text(document.id).index("Support")
    corpus.place_span(stale.id, start, start + len(stale.quote))
    with pytest.raises(InvalidValue, match="has changed since \\(undo the later change first\\)"):
        corpus.revert_batch(batch)
    assert corpus.undo().action == "span.place"
    corpus.revert_batch(batch)  # the stale mark, as the batch left it: reverted
    assert corpus.spans(document.id, "boilerplate") == [] and corpus.applied_batches()[-1].reverted


def test_a_line_rejected_while_a_batch_was_scored_is_not_marked_by_it(seeds_copy, open_corpus, monkeypatch):
    """d in the app during a 5-second suggest --apply: the batch, scored before, marked the line
    the analyst had just rejected (a new user's trial). Rejections are read inside its write."""
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    document = next(d for d in corpus.documents() if d.path.startswith("002"))
    line = corpus.suggestions(document.id)[0]
    scored = corpus.suggest_all

    def scored_then_rejected_elsewhere(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = list(scored(*args, **kwargs))
        with Corpus.open(seeds_copy, annotator="app") as app:
            app.reject_suggestion(document.id, line.start, line.end)
        return iter(found)

    monkeypatch.setattr(corpus, "suggest_all", scored_then_rejected_elsewhere)
    batch = corpus.apply_suggestions()
    assert batch.ranges > 0
    marked = [(s.start, s.end) for s in corpus.spans(document.id, "boilerplate")]
    assert not any(start <= line.start and line.end <= end for start, end in marked)


def test_a_batch_whose_marks_changed_since_is_not_reverted(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    batch = corpus.apply_suggestions(min_score=0.99)
    span = corpus.query("SELECT * FROM spans LIMIT 1")[0]
    corpus.unmark_boilerplate(span["document_id"], span["start"], span["end"])
    before = corpus.query("SELECT * FROM spans ORDER BY id")
    path = corpus.document(span["document_id"]).path
    with pytest.raises(InvalidValue, match=rf"its mark at \[{span['start']}, {span['end']}\) in {path} has changed since"):
        corpus.revert_batch(batch.event_id)
    assert corpus.query("SELECT * FROM spans ORDER BY id") == before


def test_reverting_a_batch_keeps_the_copies_a_later_mark_everywhere_asked_for(scanned, run_main):
    """The batch had marked a footer first, so marking it everywhere wrote nothing (its rule
    kept); the revert then left every copy unmarked, the rule active and marking none (a new
    user's trial). The rule marks them now, as its scan would."""
    footer = "Share this: Twitter | Facebook | Email | Print"
    corpus, _ = scanned({f"{n}.txt": f"Story {n} headline here\n\nThe council met on Monday to discuss the "
                         f"budget for the coming year.\n\n{footer}\n" for n in "abcd"})
    batch = corpus.apply_suggestions()
    assert batch.ranges == 4
    (repeat,) = [r for r in corpus.repeats() if r.text == footer]
    summary = corpus.mark_everywhere(repeat.id, reason="share bar")
    assert (summary.ranges, summary.rule_ranges) == (0, 0) and summary.rule_id is not None
    reverted = run_main("suggest", corpus.folder, "--revert", batch.event_id)
    # It said all of the batch's ranges were unmarked, while the rule held them (a trial).
    assert reverted.stdout == (f"reverted batch {batch.event_id}: 4 ranges in 4 documents unmarked; 4 ranges of their "
                               "text marked again by the rules that hold those passages (corpus-tui rules list)\n")
    marks = corpus.query("SELECT rule_id, reason FROM spans WHERE kind = 'boilerplate'")
    assert marks == [{"rule_id": summary.rule_id, "reason": "share bar"}] * 4



def test_reverting_a_batch_brings_back_no_copy_the_analyst_unmarked_outside_it(scanned):
    """Part of a footer marked by hand, then marked everywhere (the merged range is the analyst's),
    then unmarked by hand: reverting an unrelated batch of that document marked the footer again
    (a code review). Rules mark again only inside the batch's ranges."""
    footer = "Share this: Twitter | Facebook | Email | Print"
    corpus, _ = scanned({f"{n}.txt": f"Story {n} headline here\n\n{footer}\n" for n in "abc"})
    a = corpus.document_by_path("a.txt").id
    text = corpus.text(a)
    start = text.index("Share")
    corpus.mark_boilerplate(a, start, start + 5)
    (repeat,) = [r for r in corpus.repeats() if r.text == footer]
    corpus.mark_everywhere(repeat.id)
    corpus.unmark_boilerplate(a, start, start + len(footer))
    batch = corpus.accept_suggestions([(a, 0, text.index("\n"), "a test line")])
    corpus.revert_batch(batch.event_id)
    assert not corpus.boilerplate_covers(a, start, start + len(footer))


def test_a_mark_everywhere_says_how_many_of_its_ranges_its_rule_owns(scanned, run_main):
    """A range merged with a mark made before stays that mark's: 'rules list' counted 0 marks
    for a rule the command had just said marked 236 ranges (a new user's trial)."""
    footer = "Share this: Twitter | Facebook | Email | Print"
    corpus, folder = scanned({f"{n}.txt": f"Story {n} headline here\n\n{footer}\n" for n in "abcd"})
    a = corpus.document_by_path("a.txt").id
    start = corpus.text(a).index("Share")
    corpus.mark_boilerplate(a, start, start + 5)
    (repeat,) = [r for r in corpus.repeats() if r.text == footer]
    corpus.close()
    done = run_main("repeats", folder, "--mark", str(repeat.id))
    assert done.stdout == (f"{repeat.id}: marked 4 ranges in 4 documents, rule 1 (3 of them the rule's; the others "
                           "hold marks made before, which stay yours)\n")


def test_cli_apply_lists_and_reverts(seeds_copy, run_main):
    assert run_main("scan", seeds_copy).returncode == 0
    dry = run_main("suggest", seeds_copy, "--apply", "--dry-run")
    assert dry.returncode == 0 and dry.stdout.startswith("would mark ")
    applied = run_main("suggest", seeds_copy, "--apply", "--json")
    batch = json.loads(applied.stdout)
    listed = run_main("suggest", seeds_copy, "--applied")
    assert str(batch["event_id"]) in listed.stdout and "(reverted)" not in listed.stdout
    assert listed.stdout.splitlines()[0].split() == ["batch", "applied", "at", "by", "marks"]
    reverted = run_main("suggest", seeds_copy, "--revert", str(batch["event_id"]))
    assert reverted.returncode == 0 and reverted.stdout.startswith(f"reverted batch {batch['event_id']}")
    assert "(reverted)" in run_main("suggest", seeds_copy, "--applied").stdout
    assert_one_line_error(run_main("suggest", seeds_copy, "--revert", "99999"), "no batch")
    assert_one_line_error(run_main("suggest", seeds_copy, "--dry-run"), "--dry-run")
    assert_one_line_error(run_main("suggest", seeds_copy, "--apply", "--applied"), "one of")


def test_schema_v5_keeps_rejections_and_an_older_corpus_is_upgraded(seeds_copy, open_corpus):
    import sqlite3

    from corpus_tui.core.schema import MIGRATIONS, SCHEMA_VERSION

    assert SCHEMA_VERSION >= 5 and 4 in MIGRATIONS
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    corpus.close()
    con = sqlite3.connect(seeds_copy / "annotations.db")
    for statement in UNDO_SCHEMA_V7:
        con.execute(statement)
    for statement in ("DROP TABLE minhashes", "DROP TABLE near_duplicates", "DROP TABLE duplicate_clusters",
                      "DROP INDEX documents_duplicate_of", "ALTER TABLE documents DROP COLUMN duplicate_of"):
        con.execute(statement)  # version 6 (near-duplicates) undone first
    con.execute("DROP TABLE suggestion_rejections")
    con.execute("UPDATE schema_version SET version = 4")
    con.commit()
    con.close()
    corpus = open_corpus(seeds_copy)  # a corpus made by the version before suggestions
    assert corpus.query("SELECT version FROM schema_version") == [{"version": SCHEMA_VERSION}]
    document = next(d for d, found in corpus.suggest_all() if found)
    first = corpus.suggestions(document.id)[0]
    assert corpus.reject_suggestion(document.id, first.start, first.end)


def test_the_analysts_marks_and_reviews_teach_later_suggestions_without_a_restart(scanned):
    widget = "Related coverage from our partners and friends {}"
    files = {f"{n:02d}.txt": f"{ARTICLE} Report {n}.\n\n{widget.format(chr(97 + n))}\n\n{ARTICLE} More {n}.\n"
             for n in range(16)}
    corpus, _ = scanned(files)
    later = corpus.document_by_path("15.txt")

    def widget_score() -> float:
        text = corpus.text(later.id)
        return next(s.score for s in corpus.score_lines(later.id) if text[s.start : s.end].startswith("Related"))

    before = widget_score()
    for n in range(12):  # the analyst marks the widget line and reviews the document
        document = corpus.document_by_path(f"{n:02d}.txt")
        text = corpus.text(document.id)
        start = text.index("Related")
        corpus.mark_boilerplate(document.id, start, text.index("\n", start))
        corpus.set_status(document.id, "reviewed")
    after = widget_score()
    assert after > before + 0.2 and after >= corpus.suggestion_threshold()
    text = corpus.text(later.id)
    assert any(text[s.start : s.end].startswith("Related") for s in corpus.suggestions(later.id))
    for s in corpus.score_lines(later.id):  # the article lines they kept stay content
        if text[s.start : s.end].startswith("The council"):
            assert s.score < corpus.suggestion_threshold()


def test_scoring_on_worker_processes_gives_what_suggest_all_gives_in_path_order(seeds_copy, open_corpus, monkeypatch):
    from corpus_tui.core.suggest import parallel

    monkeypatch.setattr(parallel, "MIN_DOCUMENTS", 1)  # the seeds are "large enough"
    monkeypatch.setattr(parallel, "BLOCK", 2)  # three blocks over two workers
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    alone = [(d.path, found) for d, found in corpus.suggest_all()]
    together = [(d.path, found) for d, found in parallel.score_corpus(corpus, workers=2)]
    assert together == alone and [path for path, _ in alone] == sorted(path for path, _ in alone)
    assert [(d.path, f) for d, f in parallel.score_corpus(corpus, min_score=0.99, workers=2)] == \
        [(d.path, f) for d, f in corpus.suggest_all(min_score=0.99)]


def test_a_correction_that_does_not_carry_to_other_documents_is_not_used():
    """Each third of the decided documents (by id) checks a correction fitted on the other two:
    one that predicts the documents it left out worse than the shipped model alone, summed over
    the three, is dropped. Here two thirds call a sign-off line boilerplate and one third calls
    it content."""
    from corpus_tui.core.suggest.features import document_features
    from corpus_tui.core.suggest.learner import fit_correction, log_loss
    from corpus_tui.core.suggest.model import shipped_model

    model = shipped_model()
    sign_off = "Signed off by the night editor desk team"

    def decisions(content_third: int | None) -> tuple[list, list[int]]:
        """30 documents (enough that fitting without a third leaves 10 of each kind); the sign-off
        is boilerplate except in the documents of ``content_third`` (sorted(ids)[k::3])."""
        examples, documents = [], []
        for number in range(30):
            text = f"{ARTICLE} Report {number}.\n\n{ARTICLE} More {number}.\n\n{sign_off}\n"
            for line in document_features(text):
                is_sign_off = text[line.start : line.end] == sign_off
                examples.append((line, 1 if is_sign_off and number % 3 != content_third else 0))
                documents.append(number)
        return examples, documents

    examples, documents = decisions(content_third=2)
    alone = fit_correction(model, examples)  # without documents: fitted on everything, as before
    assert alone.tokens and alone.bias
    for third in (2, 0):  # whichever third disagrees
        examples, documents = decisions(content_third=third)
        checked = fit_correction(model, examples, documents=documents)
        assert not checked.tokens and not checked.bias and checked.examples == len(examples)
    agreeing, documents = decisions(content_third=None)  # every document says the same: kept
    kept = fit_correction(model, agreeing, documents=documents)
    assert kept.tokens
    assert log_loss(model, kept, agreeing) < log_loss(model, None, agreeing)


def test_evaluate_counts_the_lines_of_a_file_that_ends_in_a_newline(make_corpus, open_corpus):
    from corpus_tui.core.suggest.evaluate import GoldPage

    corpus = open_corpus(make_corpus({"a.txt": "Home\nNews\n\nThe article reads well.\n"}))
    corpus.scan()
    assert corpus.evaluate_suggestions([GoldPage("a.txt", frozenset({1}), frozenset({4}))])["lines"] == 2
    with pytest.raises(InvalidValue, match=r"gold.jsonl:3: line 5 is past the end of a.txt \(4 lines\)"):
        corpus.evaluate_suggestions([GoldPage("a.txt", frozenset({5}), frozenset(), "gold.jsonl:3")])
    with pytest.raises(InvalidValue, match="no gold page"):
        corpus.evaluate_suggestions([])


def test_evaluate_says_n_a_for_a_figure_no_label_defines(make_corpus, run_main, tmp_path):
    """With no boilerplate line labelled, its figures printed 0.000: a total failure, not 'no gold'."""
    folder = make_corpus({"a.txt": "Home\nNews\n\nThe article reads well.\n"})
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"path": "a.txt", "boilerplate_lines": [], "content_lines": [4]}\n', encoding="utf-8")
    assert run_main("scan", folder).returncode == 0
    shown = run_main("evaluate", folder, "--gold", gold)
    assert "boilerplate  precision n/a  recall n/a  F n/a  (0 labelled)" in shown.stdout, shown.stdout + shown.stderr
    as_json = json.loads(run_main("evaluate", folder, "--gold", gold, "--json").stdout)
    assert as_json["boilerplate"]["recall"] is None and as_json["content"]["recall"] == 1.0


@pytest.mark.parametrize("line, notice", [
    ("Copyright © [South Front](#), 2017", True), ("**Copyright 2020 The Paper**", True), ("(c) 2019 Example", True),
    ("Disclaimer: the views are the author's own", True), ("Text and photos. All Rights Reserved.", True),
    ("© 2024", True), ("Copyrighting tips for new writers", False), ("The copyright holder sued the site.", False),
    ("Disclaimers are rarely read, he said.", False),
])
def test_a_legal_notice_is_suggested_whatever_the_model_says(line, notice):
    from corpus_tui.core.suggest.scorer import SHAPE_SCORE, with_shape_floor

    assert (with_shape_floor(0.1, line) == SHAPE_SCORE) is notice


def test_a_line_scored_under_the_threshold_is_not_given_a_boilerplate_reason(seeds_copy):
    """``--min-score 0`` showed article paragraphs at 0.00 'reads like page furniture'."""
    with Corpus.open(seeds_copy, annotator="tester") as corpus:
        corpus.scan()
        document = corpus.document_by_path("001_07e63e06108ae30e.txt")
        scored = {corpus.text(document.id)[s.start : s.end][:20]: s for s in corpus.score_lines(document.id)}
        threshold = corpus.suggestion_threshold()
    article = scored["On Saturday, Iraqi s"]
    assert article.score < 0.5 and article.reason == "reads like article text"
    between = [s for s in scored.values() if 0.5 <= s.score < threshold]
    assert between and all(s.reason.endswith("; under the threshold, not suggested") for s in between)
    assert scored["08.07.2017"].reason == "a counter or price line"  # suggested: its reason as it was
    # Listed at a lower --min-score they are suggested, and --apply stores the reason: "not
    # suggested" contradicted the mark it was stored with (a trial).
    with Corpus.open(seeds_copy, annotator="tester") as corpus:
        listed = {s.start: s for s in corpus.suggestions(document.id, min_score=0.5)}
    assert {start for start in listed} >= {s.start for s in between}
    assert all(listed[s.start].reason.endswith("; under the default threshold") for s in between)


def test_a_title_found_in_several_documents_is_a_sites_line_and_may_be_suggested(scanned):
    """Pages without a headline of their own got their site's menu as title, and the title is
    never suggested: the menu was left on every such page."""
    menu = "Home | News | Opinion | Sports | Weather | Contact"
    files = {f"p{n}.txt": f"{menu}\n\nStory number {n} begins here and tells of the council's long meeting.\n"
             for n in range(4)}
    corpus, _ = scanned(files)
    document = corpus.document_by_path("p0.txt")
    assert document.title.startswith("Story number 0")  # the menu, title of 4 pages, is a site line
    [menu_line] = [s for s in corpus.score_lines(document.id) if corpus.text(document.id)[s.start : s.end] == menu]
    assert menu_line.reason == "in 4 documents from 1 source" and menu_line.score > 0.0
    # ... not a series' headline, one passage with its siblings only by the digit class
    series = {f"d{n}.txt": f"Daily briefing for {n + 1} May\n\nThe council met again on day {n}.\n" for n in range(4)}
    corpus, _ = scanned(series)
    briefing = corpus.document_by_path("d2.txt")
    assert [s.reason for s in corpus.score_lines(briefing.id)][0] == "the document's title"


@pytest.mark.parametrize("documents_taught", [2, 3, 20])
def test_a_few_documents_move_other_documents_scores_only_so_far(documents_taught):
    """One reviewed document and two marked ones took a comment widget's lines in a third from
    0.99 to 0.15: a correction now moves a logit by at most 0.5 for each document that taught it."""
    from corpus_tui.core.suggest.features import document_features
    from corpus_tui.core.suggest.learner import MAX_SHIFT, SHIFT_PER_DOCUMENT, fit_correction, log_loss
    from corpus_tui.core.suggest.model import shipped_model

    model = shipped_model()
    examples, documents = [], []
    for number in range(documents_taught):  # every line of every document kept as content
        text = ("\n".join(f"Menu item {number} {k}" for k in range(12)) + "\n\n"
                + "\n\n".join(f"{ARTICLE} Report {number}, part {k}." for k in range(6)) + "\n")
        lines = document_features(text)  # the menu kept as content, the article marked: against the model
        examples += [(line, 0 if index < 12 else 1) for index, line in enumerate(lines)]
        documents += [number] * (len(examples) - len(documents))
    correction = fit_correction(model, examples, documents=documents)
    limit = min(MAX_SHIFT, SHIFT_PER_DOCUMENT * documents_taught)
    assert correction.limit == limit
    other = document_features("Share this:\nTwitter\nFacebook\nLike Loading...\n\n" + ARTICLE + " Other.\n")
    shifts = [correction.logit(model, line) for line in other]
    assert all(abs(shift) <= limit + 1e-9 for shift in shifts) and max(map(abs, shifts)) > limit / 2
    assert log_loss(model, correction, examples) < log_loss(model, None, examples)  # fitted as it is used


def _line_aligned(text: str, start: int, end: int) -> bool:
    return (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] in "\r\n")


def _rewrite_and_scan(folder, path: str) -> None:  # type: ignore[no-untyped-def]
    import os

    file = folder / path
    file.write_text("Prepended teaser line for testing here\n\n" + file.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(file, ns=(1, 1))
    with Corpus.open(folder, annotator="other") as other:  # another process's scan, in effect
        other.scan()


def test_apply_works_out_again_the_suggestions_of_a_document_a_scan_changed_meanwhile(seeds_copy, open_corpus):
    """suggest --apply raced with a scan: the offsets worked out on the old text were marked in the
    new one, mid-line (5,526 such ranges in a trial), and nothing noticed."""
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    path = "000_017fdcef885307d4.txt"
    scoring = corpus.suggest_all

    def racing(*args, **kwargs):  # type: ignore[no-untyped-def]
        yield from scoring(*args, **kwargs)
        _rewrite_and_scan(seeds_copy, path)  # after the scoring, before the marking

    corpus.suggest_all = racing  # type: ignore[method-assign]
    batch = corpus.apply_suggestions()
    assert batch.ranges > 0
    document = corpus.document_by_path(path)
    text = corpus.text(document.id)
    marks = corpus.spans(document.id, "boilerplate")
    assert text.startswith("Prepended teaser") and marks
    assert all(_line_aligned(text, s.start, s.end) for s in marks)
    assert corpus.suggestions(document.id) == []  # what the text now suggests is what was marked


def test_accepting_suggestions_of_a_text_that_changed_since_they_were_shown_marks_nothing(seeds_copy, open_corpus):
    from corpus_tui.core.errors import ChangedElsewhere

    corpus = open_corpus(seeds_copy)
    corpus.scan()
    document = corpus.document_by_path("000_017fdcef885307d4.txt")
    shown = corpus.suggestions(document.id)
    _rewrite_and_scan(seeds_copy, document.path)
    with pytest.raises(ChangedElsewhere, match="changed on disk since the suggestions were worked out"):
        corpus.accept_suggestions([(document.id, s.start, s.end, s.reason) for s in shown],
                                  versions={document.id: (document.sha256, document.encoding)})
    assert corpus.spans(document.id, "boilerplate") == []


@pytest.mark.parametrize("bad, says", [
    ((0, 99_999), "is outside the text"),
    ((-50, 10), "is outside the text"),
    ((40, 10), "is empty: its end must be after its start"),
    ((10, 10), "is empty"),
])
def test_accepting_a_range_outside_the_text_is_refused_and_nothing_is_marked(scanned, bad, says):
    """A range past the end was stored as is: stats said 699% boilerplate, check failed and the
    export wrote offsets no text has (a trial); a negative one raised sqlite3.IntegrityError."""
    corpus, _ = scanned({"a.txt": "A headline of the story\n\nShare this story on the networks\n",
                         "b.txt": "Another headline\n\nShare this story on the networks\n"})
    a, b = (corpus.document_by_path(path).id for path in ("a.txt", "b.txt"))
    events = corpus.query("SELECT COUNT(*) AS n FROM events")[0]["n"]
    for dry_run in (True, False):
        with pytest.raises(InvalidSpan, match=f"a.txt: span .*{says}"):
            corpus.accept_suggestions([(b, 0, 5, "fine"), (a, *bad, "bad")], dry_run=dry_run)
    with pytest.raises(DocumentNotFound, match="no document with id 999"):
        corpus.accept_suggestions([(999, 0, 5, "gone")])
    for shape in ([(a, 0, 5)], [(a, 0, 5, "r", "extra")], ["a.txt"]):
        with pytest.raises(InvalidValue, match=r"is \(document id, start, end, reason\)"):
            corpus.accept_suggestions(shape)  # type: ignore[arg-type]
    assert corpus.query("SELECT COUNT(*) AS n FROM spans")[0]["n"] == 0
    assert corpus.query("SELECT COUNT(*) AS n FROM events")[0]["n"] == events


def test_the_python_api_says_what_is_wrong_with_its_arguments_and_reads_a_gold_path(seeds_copy, open_corpus, tmp_path):
    """A string score was a TypeError, a gold file's path an AttributeError, and ``paths="a.txt"``
    looked for a document named "a" (a trial)."""
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    document = corpus.documents()[0]
    for bad in ("0.5", True, None.__class__):
        with pytest.raises(InvalidValue, match="a minimum score is a number between 0 and 1"):
            corpus.suggestions(document.id, min_score=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="a minimum score is a number"):
        corpus.apply_suggestions(min_score="0.9", dry_run=True)  # type: ignore[arg-type]
    assert corpus.suggestions(document.id, min_score=1) == []  # an int is a number, and so are these
    from decimal import Decimal
    from fractions import Fraction

    assert corpus.suggestions(document.id, min_score=Decimal("0.5")) == corpus.suggestions(document.id, min_score=0.5)
    assert corpus.suggestions(document.id, min_score=Fraction(1, 2)) == corpus.suggestions(document.id, min_score=0.5)
    with pytest.raises(InvalidValue, match="paths is a list of paths, not str"):
        list(corpus.suggest_all(paths=document.path))  # type: ignore[arg-type]
    twice = list(corpus.suggest_all(paths=[document.path, document.path]))  # --path a --path a
    assert [found.path for found, _ in twice] == [document.path]
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"path": document.path, "boilerplate_lines": [1], "content_lines": []}) + "\n")
    from corpus_tui.core.suggest.evaluate import read_gold

    assert corpus.evaluate_suggestions(str(gold)) == corpus.evaluate_suggestions(gold) \
        == corpus.evaluate_suggestions(read_gold(gold)) == corpus.evaluate_suggestions(tuple(read_gold(gold)))
    with pytest.raises(InvalidValue, match="gold is a gold file's path, or a list of GoldPage"):
        corpus.evaluate_suggestions([{"path": document.path}])  # type: ignore[list-item]


@pytest.mark.parametrize("long_from", [0, 10**9])
def test_marks_in_a_long_text_get_their_quotes_read_once_and_undo_checks_them_so(seeds_copy, open_corpus,
                                                                                 monkeypatch, long_from):
    """SQL's substr walks a text from its start, row by row: accepting the 51,000 suggestions of a
    10 MB document took 330 s. Past LONG_TEXT_CHARS the text is read once: the same rows."""
    from corpus_tui.core import propagate

    monkeypatch.setattr(propagate, "LONG_TEXT_CHARS", long_from)  # 0: every seed is "long"
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    document = corpus.document_by_path(next(p.name for p in seeds_copy.iterdir() if p.name.startswith("002")))
    text = corpus.text(document.id)
    batch = corpus.apply_suggestions(paths=[document.path])
    marks = [(s.start, s.end, s.quote, s.prefix, s.suffix) for s in corpus.spans(document.id, "boilerplate")]
    assert batch.ranges and marks
    assert all(quote == text[start:end] and prefix == text[max(0, start - len(prefix)) : start]
               and suffix == text[end : end + len(suffix)] for start, end, quote, prefix, suffix in marks)
    corpus.undo()
    assert corpus.spans(document.id, "boilerplate") == []
    corpus.redo()
    assert [(s.start, s.end, s.quote) for s in corpus.spans(document.id, "boilerplate")] == [m[:3] for m in marks]


def test_a_long_document_does_not_teach(scanned, monkeypatch):
    """A 10 MB document with marks was featurized whole (145,000 lines) before the first
    suggestion of any document showed, and its lines were every example the learner had."""
    from corpus_tui.core.suggest import learner

    corpus, _ = scanned({"short.txt": "Share this page\nFollow us\n\nThe article itself.\n",
                         "long.txt": "Share this page\nFollow us\n\n" + "A long article line.\n" * 50})
    for path in ("short.txt", "long.txt"):
        doc = corpus.document_by_path(path)
        corpus.mark_boilerplate(doc.id, 0, len("Share this page"))
    taught = lambda: {document for _, document in zip(*learner.corpus_examples(corpus))}  # noqa: E731
    assert taught() == {corpus.document_by_path(p).id for p in ("short.txt", "long.txt")}
    monkeypatch.setattr(learner, "MAX_TEACHING_CHARS", 500)  # long.txt is over it now
    assert taught() == {corpus.document_by_path("short.txt").id}


def test_the_documents_decided_last_teach_not_the_ones_scanned_last(scanned, monkeypatch):
    """Ordered by id, a decision on an early document taught nothing once 100 later documents
    were decided (a review): the learner takes the documents whose decisions are newest."""
    from corpus_tui.core.suggest import learner

    monkeypatch.setattr(learner, "MAX_DOCUMENTS", 3)
    corpus, _ = scanned({f"{n}.txt": f"Home | News | Contact\n\nThe article body of page {n}, in full.\n"
                         for n in range(5)})
    ids = [corpus.document_by_path(f"{n}.txt").id for n in range(5)]
    for document_id in ids[1:]:
        corpus.set_status(document_id, "reviewed")
    taught = lambda: set(learner.corpus_examples(corpus)[1])  # noqa: E731
    assert taught() == set(ids[2:])  # the three decided last
    time.sleep(0.002)  # decisions are ordered by their times, to the millisecond
    corpus.mark_boilerplate(ids[0], 0, len("Home | News | Contact"))  # the newest decision: the first document
    assert ids[0] in taught() and ids[1] not in taught()
    time.sleep(0.002)
    # A suggestion accepted is a decision too, though its event names no document (a review).
    corpus.accept_suggestions([(ids[1], 0, len("Home | News | Contact"), "navigation")])
    assert ids[1] in taught() and ids[2] not in taught()


def test_the_first_bad_line_of_a_gold_file_is_the_one_named(scanned, tmp_path):
    """Line 2's missing key was named before line 1's unknown document: the file's checks ran
    before the documents were looked up (a trial)."""
    corpus, _ = scanned({"a.txt": "Share this\nThe article.\n"})
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"path": "nope.txt", "boilerplate_lines": [1], "content_lines": [2]}) + "\n"
                    + json.dumps({"path": "a.txt", "boilerplate_lines": [1]}) + "\n", encoding="utf-8")
    with pytest.raises(InvalidValue, match=r"gold.jsonl:1: .*nope.txt"):
        corpus.evaluate_suggestions(gold)
