"""Near-duplicate documents (issue 13): shingles, signatures at scan, exact pairs, clusters,
marks, the list, export --dedup and the command line."""

from __future__ import annotations

import json
import textwrap

import pytest
from conftest import UNDO_SCHEMA_V7, assert_one_line_error

from corpus_tui import Corpus
from corpus_tui.core.duplicates import pairs as pair_module
from corpus_tui.core.duplicates import refresh as refresh_module
from corpus_tui.core.duplicates.clusters import Member, keeper
from corpus_tui.core.duplicates.diff import diff_rows
from corpus_tui.core.duplicates.shingles import own_words, shingles, without, words
from corpus_tui.core.duplicates.signatures import SETTINGS_KEY
from corpus_tui.core.errors import InvalidValue
from corpus_tui.core.export import export
from corpus_tui.core.listing import list_documents

FIRST, SECOND = "000_017fdcef885307d4.txt", "001_07e63e06108ae30e.txt"

ARTICLE = (
    "The harbour council voted on Tuesday to close the northern pier for repairs after engineers "
    "found \"serious cracks\" in two of its pillars. The mayor said the work would take six weeks "
    "and cost about 2.4 million, and that ferries would use the southern quay meanwhile. Fishermen "
    "who moor at the pier said they had warned the council about the damage last winter, but "
    "nobody came to look until a railing fell into the water in March."
)
OTHER = (
    "A small bakery on Mill Street has won the regional prize for its rye bread, beating forty "
    "entries from across the province. The owner, who opened the shop eleven years ago with a "
    "borrowed oven, said the recipe came from her grandmother and has not changed since. Judges "
    "praised the crust and the sour taste, and asked for the recipe, which she declined to share."
)
HOST = (
    "Train services between the two valleys will resume next month after a year of track work, the "
    "operator announced, with an hourly timetable on weekdays and fewer trains at weekends. Season "
    "tickets bought before the closure will be honoured, and the bus replacement ends the same day. "
    "Residents welcomed the news but asked why the station car park will stay closed until autumn."
)
FOOTER = "Support independent journalism: donate today.\nCopyright 2024 The Harbour Times. All rights reserved."


def page(body: str, n: int = 0) -> str:
    return f"Home | News | Sport | Contact\n\n{body}\n\n{FOOTER.replace('2024', str(2000 + n))}\n"


def test_words_are_normalized_like_passages():
    assert words("“Support  SouthFront” – © 2017,\nnow!") == ["support", "southfront", "0", "now"]
    assert words("it's") == words("it’s")  # curly apostrophes are straight ones
    assert words("Read [the report](https://x.org/a) now") == ["read", "the", "report", "now"]


def test_rewrapping_and_curly_quotes_keep_every_shingle():
    wrapped = textwrap.fill(ARTICLE, 72)
    curly = ARTICLE.replace('"serious cracks"', "“serious cracks”")
    assert shingles(words(wrapped)) == shingles(words(ARTICLE)) == shingles(words(curly))


def test_shingles_of_short_texts():
    assert shingles(["a", "b", "c", "d"]) == {"a b c", "b c d"}
    assert shingles(["a", "b"]) == {"a b"} and shingles([]) == set()


def test_own_words_leave_out_marks_and_repeats_unless_repeats_are_nearly_everything():
    text = "menu line\nthe article itself has quite a few words of its own here\nfooter line"
    assert without(text, 0, [(0, 10), (5, 12)]) == text[12:]
    assert without(text, 0, [(5, 9)]) == "menu \n" + text[9:]
    own = own_words(text, 0, marked=[(0, 9)], repeated=[(len(text) - 11, len(text))])
    assert own == words("the article itself has quite a few words of its own here")
    # an article syndicated to three sites is "repeated" whole: its copies are compared on it
    assert own_words(text, 0, marked=[], repeated=[(0, len(text))]) == words(text)


def test_similarity_is_exact():
    assert pair_module.similarity({1, 2, 3, 4}, {3, 4, 5}) == (2 / 5, 2 / 3)
    assert pair_module.similarity(set(), {1}) == (0.0, 0.0)


def test_seeds_000_and_001_are_linked_both_ways(seeds_copy):
    with Corpus.open(seeds_copy, annotator="tester") as corpus:
        summary = corpus.scan()
        assert summary.signed == 5 and summary.duplicate_pairs == 1
        ids = {d.path: d.id for d in corpus.documents()}
        one, two = corpus.near_duplicates(ids[FIRST]), corpus.near_duplicates(ids[SECOND])
        assert [n.path for n in one] == [SECOND] and [n.path for n in two] == [FIRST]
        assert one[0].containment == two[0].containment > 0.6 and 0 < one[0].jaccard < one[0].containment
        for other in ("002", "003", "004"):
            path = next(p for p in ids if p.startswith(other))
            assert corpus.near_duplicates(ids[path]) == []
        [cluster] = corpus.duplicate_clusters()
        assert cluster.paths == [FIRST, SECOND] and cluster.keep.path == FIRST  # the longer body


def test_a_small_corpus_compares_every_pair_so_a_low_threshold_misses_none(seeds_copy, monkeypatch):
    """Marking two shared paragraphs of 000 leaves 000 and 001 at a Jaccard of 0.286 and a
    containment of 0.487: LSH bands miss such a pair one time in five (they did, for a new
    user), so a corpus of at most EVERY_PAIR_MAX signatures estimates every pair."""
    with Corpus.open(seeds_copy, annotator="tester") as corpus:
        corpus.scan()
        ids = {d.path: d.id for d in corpus.documents()}
        text = corpus.text(ids[FIRST])
        for opening in ("Meanwhile, the Iraqi Federal", "ISIS temporarily cut off"):
            start = text.index(opening)
            corpus.mark_boilerplate(ids[FIRST], start, text.index("\n", start))
        monkeypatch.setattr(pair_module, "EVERY_PAIR_MAX", 0)  # bands only: this pair falls between them
        corpus.refresh_duplicates(everything=True)
        assert corpus.duplicate_pairs(threshold=0.3) == []
        monkeypatch.undo()
        summary = corpus.refresh_duplicates(everything=True)
        assert (summary.pairs, summary.listed) == (1, 0)  # listed: those at 0.5
        [pair] = corpus.duplicate_pairs(threshold=0.3)
        assert (pair.a, pair.b) == (FIRST, SECOND)
        assert pair.jaccard == pytest.approx(0.286, abs=0.001) and pair.containment == pytest.approx(0.487, abs=0.001)


def test_the_margin_of_an_estimated_containment_widens_with_the_size_ratio():
    """Two standard errors of the containment a 192-slot Jaccard estimate implies: about 0.08
    around 0.3 for documents of one size, 0.26 for 200 shingles against 2,000 (the small-corpus
    mode verifies any pair whose estimate may reach 0.3 within it)."""
    equal = pair_module.containment_margin(0.176, 100, 100)
    skewed = pair_module.containment_margin(0.0300, 200, 2000)
    assert 0.07 < equal < 0.09 and 0.24 < skewed < 0.27
    assert pair_module.estimated_containment(0.0300, 200, 2000) == pytest.approx(0.32, abs=0.01)
    assert pair_module.containment_margin(0.5, 0, 10) == 0.0


def test_planted_copies_in_disguise_are_found_and_siblings_are_not(scanned):
    edited = ARTICLE.replace("Tuesday", "Monday").replace("six", "seven").replace("about ", "")
    corpus, _ = scanned({
        "a.txt": page(ARTICLE, 1), "b.txt": page(OTHER, 2), "c.txt": page("Weather: rain again.", 3),
        "curly.txt": page(ARTICLE.replace('"serious cracks"', "“serious cracks”"), 4),
        "wrapped.txt": page(textwrap.fill(ARTICLE, 72), 5),
        "edited.txt": page(edited, 6),
        "embedded.txt": page(HOST + "\n\n" + ARTICLE, 7),
    })
    found = {(p.a, p.b) for p in corpus.duplicate_pairs()}
    for copy in ("curly.txt", "wrapped.txt", "edited.txt", "embedded.txt"):
        assert ("a.txt", copy) in found
    assert not any("b.txt" in pair or "c.txt" in pair for pair in found)  # same frame, other article
    embedded = next(p for p in corpus.duplicate_pairs() if p.b == "embedded.txt" and p.a == "a.txt")
    assert embedded.containment == 1.0 and embedded.jaccard < 0.7  # containment, not Jaccard, finds it


def test_rescans_sign_only_what_changed_and_pairs_follow(scanned):
    corpus, folder = scanned({"a.txt": page(ARTICLE, 1), "b.txt": page(ARTICLE, 2), "c.txt": page(OTHER, 3)})
    assert [(p.a, p.b) for p in corpus.duplicate_pairs()] == [("a.txt", "b.txt")]
    assert corpus.scan().signed == 0  # no change: nothing signed
    (folder / "b.txt").write_text(page(OTHER + " A late correction.", 2))
    summary = corpus.scan()
    assert summary.signed == 1
    assert [(p.a, p.b) for p in corpus.duplicate_pairs()] == [("b.txt", "c.txt")]
    (folder / "c.txt").rename(folder / "d.txt")  # a rename keeps the signature and the pair
    assert corpus.scan().signed == 0
    assert [(p.a, p.b) for p in corpus.duplicate_pairs()] == [("b.txt", "d.txt")]
    (folder / "d.txt").unlink()  # missing documents are in no pair and no cluster
    corpus.scan()
    assert corpus.duplicate_pairs() == [] and corpus.duplicate_clusters() == []
    assert list_documents(corpus, "dup:yes") == []


def test_signatures_made_in_worker_processes_are_the_ones_made_here(scanned, monkeypatch):
    files = {f"{i:03}.txt": page(ARTICLE if i % 3 else OTHER + f" Note {i}.", i) for i in range(12)}
    corpus, _ = scanned(files)
    ids = [row[0] for row in corpus.db.execute("SELECT id FROM documents ORDER BY id")]
    monkeypatch.setattr(refresh_module, "BLOCK", 5)  # three blocks, more than the workers take at once
    inline = [s for block in refresh_module._signed_blocks(corpus, ids, workers=1) for s in block]
    monkeypatch.setattr(refresh_module, "PARALLEL_MIN", 1)
    in_workers = [s for block in refresh_module._signed_blocks(corpus, ids, workers=2) for s in block]
    assert in_workers == inline and len(inline) == 12 and all(s.state for s in inline)


def test_other_signature_settings_sign_everything_again(scanned):
    corpus, _ = scanned({"a.txt": page(ARTICLE, 1), "b.txt": page(ARTICLE, 2)})
    with corpus.write():
        corpus.db.execute("UPDATE corpus_state SET value = 'old' WHERE key = ?", [SETTINGS_KEY])
    assert corpus.scan().signed == 2
    assert len(corpus.duplicate_pairs()) == 1


def test_many_identical_documents_make_linear_pairs_and_one_cluster(scanned):
    files = {f"{i:03}.txt": f"Notice {i}\n\n" + OTHER for i in range(40)}
    corpus, _ = scanned(files)
    pairs = corpus.duplicate_pairs()
    assert len(pairs) == 39 and all(p.containment == 1.0 for p in pairs)  # each to the first, not 780
    [cluster] = corpus.duplicate_clusters()
    assert len(cluster.members) == 40


def test_a_copy_moved_onto_a_missing_row_leads_its_group_and_the_old_leaders_pairs_go(scanned):
    """A new copy of g took missing d's row (the same bytes: a move), a smaller id than g's, so it
    led the copies; g's pair with f was never redone, and the corpus kept a pair more than a
    fresh scan makes: n copies must make n - 1 pairs (a review)."""
    twin = page(ARTICLE, 1)
    corpus, folder = scanned({"d.txt": twin, "f.txt": page(ARTICLE.replace("Tuesday", "Monday"), 2),
                              "g.txt": twin})
    (folder / "d.txt").unlink()
    corpus.scan()
    assert [(p.a, p.b) for p in corpus.duplicate_pairs(0.3)] == [("f.txt", "g.txt")]
    for name in ("h.txt", "i.txt"):
        (folder / name).write_text(twin)
    corpus.scan()
    assert corpus.document_by_path("h.txt").id < corpus.document_by_path("g.txt").id  # d's row
    pairs = {(p.a, p.b) for p in corpus.duplicate_pairs(0.3)}
    assert pairs == {("f.txt", "h.txt"), ("g.txt", "h.txt"), ("h.txt", "i.txt")}  # 4 texts alike: 3 pairs
    [cluster] = corpus.duplicate_clusters()
    assert len(cluster.members) == 4


def test_short_documents_get_no_signature(scanned):
    corpus, _ = scanned({"a.txt": "Photo gallery\n", "b.txt": "Photo gallery\n" + ARTICLE})
    assert corpus.duplicate_pairs() == []


def test_mark_duplicate_is_one_undo_step_and_joins_a_cluster(scanned):
    corpus, _ = scanned({"a.txt": page(ARTICLE, 1), "b.txt": page(OTHER, 2)})
    a, b = (corpus.document_by_path(p).id for p in ("a.txt", "b.txt"))
    assert corpus.duplicate_clusters() == []
    assert corpus.mark_duplicate(b, a) and not corpus.mark_duplicate(b, a)
    [cluster] = corpus.duplicate_clusters()
    assert cluster.keep.path == "a.txt"  # the one b is marked a duplicate of is kept
    assert [n.path for n in corpus.near_duplicates(b)] == ["a.txt"] and corpus.near_duplicates(b)[0].marked
    assert corpus.undo().action == "duplicate.mark"
    assert corpus.document(b).duplicate_of is None and corpus.duplicate_clusters() == []
    corpus.redo()
    assert corpus.document(b).duplicate_of == a
    with pytest.raises(InvalidValue):
        corpus.mark_duplicate(a, a)
    with pytest.raises(InvalidValue):
        corpus.mark_duplicate(a, 999)


def test_two_documents_cannot_be_marked_each_others_duplicate(scanned, tmp_path):
    """a marked a duplicate of b and b of a: export --dedup kept one, --clusters named the other,
    and the export said the kept one duplicates a document left out (a new user's trial)."""
    corpus, _ = scanned({"a.txt": page(ARTICLE, 1), "b.txt": page(OTHER, 2), "c.txt": page(OTHER + " z", 3)})
    a, b, c = (corpus.document_by_path(f"{n}.txt").id for n in "abc")
    corpus.mark_duplicate(b, a)
    with pytest.raises(InvalidValue, match="'b.txt' is itself marked a duplicate of 'a.txt'"):
        corpus.mark_duplicate(a, b)
    corpus.mark_duplicate(c, b)  # a chain is fine: c -> b -> a
    with pytest.raises(InvalidValue, match="'c.txt' is itself marked a duplicate of 'a.txt' \\(or of a copy"):
        corpus.mark_duplicate(a, c)  # a circle through b
    assert [corpus.document(d).duplicate_of for d in (a, b, c)] == [None, a, b]
    corpus.mark_duplicate(b, None)
    assert corpus.mark_duplicate(a, b)  # b's mark cleared first: a may be the copy now


def test_undo_and_redo_never_make_two_documents_each_others_duplicate(scanned):
    """History is per annotator: alice's redo (or undo) of a mark went through after bob had marked
    the other document the copy, and export --dedup and --clusters kept different ones (a code
    review). Refusing the step blocked alice's history behind bob's mark for good (a second
    review): the step is taken, the mark left as it is, and the app says so."""
    corpus, folder = scanned({"a.txt": page(ARTICLE, 1), "b.txt": page(OTHER, 2)})
    bob = Corpus.open(folder, annotator="bob")
    try:
        a, b = (corpus.document_by_path(f"{n}.txt").id for n in "ab")
        corpus.mark_duplicate(a, b)
        corpus.undo()
        bob.mark_duplicate(b, a)
        assert corpus.redo().action == "duplicate.mark"
        assert [corpus.document(d).duplicate_of for d in (a, b)] == [None, a]
        assert corpus.history_kept == ("the duplicate mark was left as it is: marking 'a.txt' a copy of 'b.txt' "
                                       "again would make each the other's copy (another annotator marked it so since)")
        bob.mark_duplicate(b, None)
        corpus.set_status(a, "reviewed")  # an earlier step, then a -> b marked and cleared
        corpus.mark_duplicate(a, b)
        corpus.mark_duplicate(a, None)
        bob.mark_duplicate(b, a)
        assert corpus.undo().action == "duplicate.mark"  # would put back a -> b: left as it is
        assert corpus.history_kept is not None and corpus.undo().action == "duplicate.mark"  # a -> b cleared: nothing to keep
        assert corpus.history_kept is None
        assert corpus.undo().action == "status.set"  # the history goes on: nothing is blocked
        assert [corpus.document(d).duplicate_of for d in (a, b)] == [None, a]
        assert corpus.document(a).status == "new"
    finally:
        bob.close()


def test_the_kept_document_is_marked_kept_else_reviewed_else_annotated_else_longest():
    def member(i: int, status: str = "new", chars: int = 100, of: int | None = None,
               annotated: bool = False) -> Member:
        return Member(i, f"{i}.txt", status, chars, of, annotated)

    assert keeper([member(1), member(2, chars=200)]).id == 2
    assert keeper([member(1, "reviewed"), member(2, chars=200)]).id == 1
    assert keeper([member(1, annotated=True), member(2, chars=200)]).id == 1
    assert keeper([member(1, annotated=True), member(2, "reviewed", chars=50)]).id == 2
    assert keeper([member(1, chars=50), member(2, chars=200, of=1)]).id == 1
    assert keeper([member(1), member(2)]).id == 1  # a tie: the first path


def test_list_filter_and_sort_by_cluster(scanned):
    corpus, _ = scanned({"a.txt": page(ARTICLE, 1), "b.txt": page(OTHER, 2), "c.txt": page(ARTICLE, 3),
                         "d.txt": page(OTHER + " Updated.", 4), "e.txt": page("Only this one.", 5)})
    assert [r.path for r in list_documents(corpus, "dup:yes")] == ["a.txt", "b.txt", "c.txt", "d.txt"]
    assert [r.path for r in list_documents(corpus, "dup:no")] == ["e.txt"]
    rows = list_documents(corpus, "", sort="cluster")
    assert [(r.path, r.cluster) for r in rows] == [("a.txt", 1), ("c.txt", 1), ("d.txt", 2), ("b.txt", 2),
                                                   ("e.txt", None)]
    with pytest.raises(InvalidValue):
        list_documents(corpus, "dup:maybe")


def test_export_dedup_keeps_one_per_cluster_and_exports_the_mark(scanned, tmp_path):
    corpus, _ = scanned({"a.txt": page(ARTICLE, 1), "b.txt": page(OTHER, 2), "c.txt": page(ARTICLE + " More.", 3)})
    c = corpus.document_by_path("c.txt").id
    corpus.set_status(corpus.document_by_path("a.txt").id, "reviewed")
    summary = export(corpus, "jsonl", tmp_path / "d.jsonl", dedup=True)
    assert summary.duplicates_left_out == 1 and "1 near-duplicate left out" in summary.line()
    assert [json.loads(line)["path"] for line in open(tmp_path / "d.jsonl")] == ["a.txt", "b.txt"]  # reviewed wins
    corpus.mark_duplicate(corpus.document_by_path("a.txt").id, c)
    export(corpus, "jsonl", tmp_path / "e.jsonl", dedup=True)
    assert [json.loads(line)["path"] for line in open(tmp_path / "e.jsonl")] == ["b.txt", "c.txt"]
    export(corpus, "jsonl", tmp_path / "all.jsonl")
    records = {r["path"]: r for r in map(json.loads, open(tmp_path / "all.jsonl"))}
    assert records["a.txt"]["duplicate_of"] == "c.txt" and records["b.txt"]["duplicate_of"] is None


def test_dedup_leaves_out_only_documents_alike_the_kept_one_not_a_chains_far_end():
    """A like B, B like C, A and C nothing alike: one cluster, and C was left out for A."""
    from corpus_tui.core.duplicates.clusters import Cluster, left_out

    a, b, c, d = (Member(i, f"{name}.txt", "reviewed" if name == "a" else "new", 100, None)
                  for i, name in enumerate("abcd", 1))
    chain = [Cluster(1, (a, b, c, d), a)]
    assert sorted(left_out(chain, {1, 2, 3, 4})) == [2, 3, 4]  # without the pairs: all but the kept one
    assert left_out(chain, {1, 2, 3, 4}, [(1, 2), (2, 3)]) == [2]  # C and D are no copies of A: exported
    assert left_out(chain, {1, 2, 3, 4}, [(1, 2), (2, 3), (3, 4)]) == [2, 4]  # C and D alike: one of them goes


def test_dedup_follows_a_chain_of_duplicate_marks_and_is_one_pass(scanned, tmp_path):
    """b marked a duplicate of a, c of b: c was exported, though the list showed it 'dup', and
    left_out_by_dedup said otherwise. And a chain is decided in one pass (8,000 took 8 s, round
    after round)."""
    from corpus_tui.core.duplicates.clusters import Cluster, dedup_decisions

    corpus, _ = scanned({"a.txt": page(ARTICLE, 1), "b.txt": page(OTHER, 2), "c.txt": page(OTHER + " x", 3)})
    a, b, c = (corpus.document_by_path(f"{n}.txt").id for n in "abc")
    corpus.mark_duplicate(b, a)
    corpus.mark_duplicate(c, b)
    export(corpus, "jsonl", tmp_path / "d.jsonl", dedup=True)
    assert [json.loads(line)["path"] for line in open(tmp_path / "d.jsonl")] == ["a.txt"]
    assert corpus.left_out_by_dedup() == {b: a, c: a}
    members = tuple(Member(i, f"{i:06}.txt", "new", 100, None) for i in range(8000))
    decided = dedup_decisions([Cluster(1, members, members[0])], set(range(8000)), [(i, i + 1) for i in range(7999)])
    assert all(abs(kept - gone) == 1 for gone, kept in decided.items())  # each left out for a neighbour
    assert len(decided) == 4000


def test_a_chain_of_marks_is_decided_from_its_top_whatever_keepers_order():
    """b -> a, c -> b, d -> c, e -> d with d the longest: d came before c in keeper's order, was
    kept (c not decided yet), and c was left out for it: d, marked a duplicate, was exported."""
    from corpus_tui.core.duplicates.clusters import Cluster, dedup_decisions

    def member(number: int, chars: int, of: int | None) -> Member:
        return Member(number, f"{'abcde'[number - 1]}.txt", "new", chars, of)

    members = (member(1, 60, None), member(2, 60, 1), member(3, 60, 2), member(4, 200, 3), member(5, 60, 4))
    assert dedup_decisions([Cluster(1, members, members[0])], {1, 2, 3, 4, 5}, []) == {2: 1, 3: 1, 4: 1, 5: 1}
    # A long chain of marks, met from its far end first, in one pass.
    chain = tuple(Member(i, f"{i:06}.txt", "new", 100 + i, i - 1 if i else None) for i in range(8000))
    decided = dedup_decisions([Cluster(1, chain, chain[0])], set(range(8000)), [])
    assert decided == {i: 0 for i in range(1, 8000)}


def test_export_dedup_keeps_the_copy_holding_the_analysts_work_over_a_longer_one(scanned, tmp_path):
    # The longer copy would be kept, and the annotation on the shorter one left out of the export.
    corpus, _ = scanned({"a.txt": page(ARTICLE, 1), "c.txt": page(ARTICLE + " More words here.", 3)})
    a = corpus.document_by_path("a.txt").id

    def kept() -> list[str]:
        export(corpus, "jsonl", tmp_path / "d.jsonl", dedup=True, force=True)
        return [json.loads(line)["path"] for line in open(tmp_path / "d.jsonl")]

    assert kept() == ["c.txt"]
    start = corpus.text(a).index("harbour")
    corpus.add_annotation(a, start, start + len("harbour"), "place")
    assert kept() == ["a.txt"]
    assert [cluster.keep.path for cluster in corpus.duplicate_clusters()] == ["a.txt"]


def test_export_dedup_keeps_a_copy_without_stale_spans_unless_they_are_allowed(scanned, tmp_path):
    """The longer copy, kept, had a stale span: left out for it, and the cluster with it; nothing
    of the article was exported (a code review)."""
    corpus, folder = scanned({"a.txt": page(ARTICLE, 1), "c.txt": page(ARTICLE + " More words here.", 3)})
    c = corpus.document_by_path("c.txt").id
    start = corpus.text(c).index("railing")
    corpus.mark_boilerplate(c, start, start + len("railing fell into the water"))
    (folder / "c.txt").write_text(page(ARTICLE.replace("into the water", "into the river") + " More words here.", 3),
                                  encoding="utf-8")
    assert corpus.scan().stale_spans == 1

    def kept(**options) -> list[str]:  # type: ignore[no-untyped-def]
        export(corpus, "jsonl", tmp_path / "d.jsonl", dedup=True, force=True, **options)
        return [json.loads(line)["path"] for line in open(tmp_path / "d.jsonl")]

    assert kept() == ["a.txt"]
    assert kept(allow_stale=True) == ["c.txt"]
    corpus.remove_span(corpus.spans(c, "boilerplate")[0].id)
    start = corpus.text(c).index("harbour")
    corpus.mark_boilerplate(c, start, start + len("harbour"))
    assert kept() == ["c.txt"]
    with corpus.write():  # a span whose words are not at its offsets: the export leaves c.txt out for it too
        corpus.db.execute("UPDATE spans SET quote = 'not these words' WHERE document_id = ?", [c])
    assert kept() == ["a.txt"]


def test_diff_rows_flag_the_words_that_differ_and_fold_equal_runs():
    same = [f"line {i}" for i in range(20)]
    first = "\n".join(["It said \"no\" today."] + same)
    second = "\n".join(["It said “no” today."] + same + ["An added line."])
    rows = diff_rows(first, second)
    assert [r.kind for r in rows[:2]] == ["removed", "added"]
    assert ("“", True) in rows[1].pieces and ("It said ", False) in rows[1].pieces
    assert any(r.kind == "fold" and "14 same lines" in r.text for r in rows)
    assert rows[-1].kind == "added" and rows[-1].text == "An added line."
    assert "".join(p for p, _ in rows[0].pieces) == "It said \"no\" today."


def test_cli_duplicates_pairs_clusters_and_errors(seeds_copy, run_main):
    assert run_main("scan", seeds_copy).returncode == 0
    pairs = run_main("duplicates", seeds_copy, "--json")
    assert pairs.returncode == 0
    [record] = [json.loads(line) for line in pairs.stdout.splitlines()]
    assert (record["a"], record["b"]) == (FIRST, SECOND) and set(record) == {"a", "b", "jaccard", "containment"}
    clusters = run_main("duplicates", seeds_copy, "--clusters", "--json")
    assert [json.loads(line) for line in clusters.stdout.splitlines()] == [
        {"documents": [FIRST, SECOND], "keep": FIRST}]
    table = run_main("duplicates", seeds_copy)
    assert FIRST in table.stdout and "contain" in table.stdout
    assert run_main("duplicates", seeds_copy, "--threshold", "0.9").stdout.startswith("no near-duplicates")
    assert_one_line_error(run_main("duplicates", seeds_copy, "--threshold", "0.1"), "--threshold")
    dedup = run_main("export", seeds_copy, "--dedup", "-o", seeds_copy.parent / "out.jsonl")
    assert dedup.returncode == 0 and "1 near-duplicate left out" in dedup.stdout + dedup.stderr


def test_a_version_5_corpus_is_upgraded_and_signed_at_its_next_scan(seeds_copy):
    import sqlite3

    with Corpus.open(seeds_copy, annotator="tester") as corpus:
        corpus.scan()
    con = sqlite3.connect(seeds_copy / "annotations.db")
    for statement in UNDO_SCHEMA_V7:
        con.execute(statement)
    for statement in ("DROP TABLE minhashes", "DROP TABLE near_duplicates", "DROP TABLE duplicate_clusters",
                      "DROP INDEX documents_duplicate_of", "ALTER TABLE documents DROP COLUMN duplicate_of",
                      "DELETE FROM corpus_state WHERE key LIKE 'duplicates_%'",
                      "UPDATE schema_version SET version = 5"):
        con.execute(statement)
    con.commit()
    con.close()
    with Corpus.open(seeds_copy, annotator="tester") as corpus:
        assert corpus.duplicate_pairs() == []  # upgraded, not signed yet
        assert corpus.scan().signed == 5
        assert [(p.a, p.b) for p in corpus.duplicate_pairs()] == [(FIRST, SECOND)]


def test_a_refresh_cut_short_after_signing_loses_no_pair(make_corpus, open_corpus, monkeypatch):
    from corpus_tui.core.duplicates import refresh as refresh_module

    folder = make_corpus({"a.txt": page(ARTICLE, 1), "b.txt": page(HOST, 2), "c.txt": page(OTHER, 3)})
    corpus = open_corpus(folder)
    corpus.scan()
    assert corpus.duplicate_pairs() == []
    (folder / "b.txt").write_text(page(ARTICLE + " Updated.", 2))

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # killed between the signatures' commit and the pairs'

    monkeypatch.setattr(refresh_module, "find_pairs", crash)
    with pytest.raises(KeyboardInterrupt):
        corpus.scan()
    assert corpus.query("SELECT document_id FROM minhashes WHERE paired = 0") == [
        {"document_id": corpus.document_by_path("b.txt").id}]
    monkeypatch.undo()
    summary = corpus.scan()  # nothing to sign, but the pairs are still owed
    assert summary.signed == 0 and summary.duplicate_pairs == 1
    assert [(p.a, p.b) for p in corpus.duplicate_pairs()] == [("a.txt", "b.txt")]
    assert corpus.query("PRAGMA integrity_check") == [{"integrity_check": "ok"}]


def test_copies_stay_linked_when_the_first_of_them_changes_or_goes(scanned):
    files = {"a.txt": page(ARTICLE, 1), "b.txt": page(ARTICLE, 1), "c.txt": page(ARTICLE, 1),
             "zz.txt": page(OTHER, 9)}
    corpus, folder = scanned(files)
    assert [len(c.members) for c in corpus.duplicate_clusters()] == [3]
    (folder / "a.txt").write_text(page(OTHER, 9))  # a becomes a copy of zz; b and c stay copies
    corpus.scan()
    assert sorted(c.paths for c in corpus.duplicate_clusters()) == [["a.txt", "zz.txt"], ["b.txt", "c.txt"]]
    (folder / "b.txt").unlink()  # the first of b and c goes: c is still linked to... nothing left
    (folder / "d.txt").write_text(page(ARTICLE, 1))
    corpus.scan()
    assert sorted(c.paths for c in corpus.duplicate_clusters()) == [["a.txt", "zz.txt"], ["c.txt", "d.txt"]]
    (folder / "b.txt").write_text(page(ARTICLE, 1))  # back: linked again
    corpus.scan()
    assert sorted(c.paths for c in corpus.duplicate_clusters()) == [["a.txt", "zz.txt"], ["b.txt", "c.txt", "d.txt"]]


def test_an_interrupted_refresh_of_everything_is_finished_by_the_next_scan(scanned, monkeypatch):
    from corpus_tui.core.duplicates import refresh as refresh_module

    corpus, _ = scanned({"a.txt": page(ARTICLE, 1), "b.txt": page(ARTICLE, 2), "c.txt": page(OTHER, 3)})
    monkeypatch.setattr(refresh_module, "find_pairs", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        corpus.refresh_duplicates(everything=True)
    monkeypatch.undo()
    corpus.scan()  # no file changed, but pairs are owed
    assert [(p.a, p.b) for p in corpus.duplicate_pairs()] == [("a.txt", "b.txt")]


def test_dedup_with_a_filter_keeps_one_of_the_selected_members(scanned, tmp_path):
    corpus, _ = scanned({"a.txt": page(ARTICLE, 1), "b.txt": page(ARTICLE + " And more.", 2)})
    a = corpus.document_by_path("a.txt").id
    corpus.add_tag(a, "iraq")  # b is kept in the cluster (both tagged, b longer), but only a is selected
    corpus.add_tag(corpus.document_by_path("b.txt").id, "syria")
    summary = export(corpus, "jsonl", tmp_path / "t.jsonl", tags=["iraq"], dedup=True)
    assert summary.documents == 1 and summary.duplicates_left_out == 0
    summary = export(corpus, "jsonl", tmp_path / "all.jsonl", dedup=True, jobs=2)
    assert summary.documents == 1 and summary.duplicates_left_out == 1
    assert [json.loads(line)["path"] for line in open(tmp_path / "all.jsonl")] == ["b.txt"]

