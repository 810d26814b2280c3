"""Corpus search (FTS5) and in-document matching."""

from __future__ import annotations

import pytest

from corpus_tui import Corpus
from corpus_tui.core import search
from corpus_tui.core.search import Matches, find_all, find_around, first_match, fts_query, search_corpus


@pytest.fixture
def corpus(make_corpus):
    folder = make_corpus({
        "a.txt": "Mosul offensive begins.\nThe ISF advanced.\n",
        "b.txt": "Donate now to support us. Mosul again.\n",
        "c.txt": "Nothing relevant; just \"quotes\" AND NEAR( operators.\n",
    })
    with Corpus.open(folder) as opened:
        opened.scan()
        yield opened


def test_user_text_is_never_fts_syntax(corpus):
    assert fts_query('NEAR( "x" AND -y') == '"NEAR" "x" "AND" "y"'
    assert [h.path for h in search_corpus(corpus, '"quotes" AND NEAR(').hits] == ["c.txt"]
    assert search_corpus(corpus, "   ").hits == []


def test_every_word_must_appear_and_snippets_mark_matches(corpus):
    results = search_corpus(corpus, "mosul donate")
    assert [h.path for h in results.hits] == ["b.txt"]
    assert "\x02Donate\x03" in results.hits[0].snippet and results.ranked and results.matched == 1


def test_too_many_matches_are_listed_in_document_order(corpus, monkeypatch):
    monkeypatch.setattr(search, "RANK_LIMIT", 1)
    results = search_corpus(corpus, "mosul")
    assert not results.ranked and results.matched == 2  # counted up to the limit and one more
    assert [h.path for h in results.hits] == ["a.txt", "b.txt"]
    limited = search_corpus(corpus, "mosul", limit=1)  # the total says how many the list holds of
    assert len(limited.hits) == 1 and limited.matched == 2


def test_a_pasted_paragraph_is_searched_by_its_first_different_words(corpus):
    """Every word, repeats too, was a term: FTS5's time grows with their square (2,000 words took
    12 s on five documents, 20,000 ran for minutes: a review)."""
    assert fts_query("Mosul mosul MOSUL offensive Mosul") == '"Mosul" "offensive"'
    assert fts_query("Straße STRASSE") == '"Straße" "STRASSE"'  # two tokens to FTS5: casefold made them one
    pasted = "Mosul offensive begins " * 2000 + " ".join(f"w{n}" for n in range(200))
    assert len(search.query_words(pasted)) == search.MAX_QUERY_WORDS == 64
    results = search_corpus(corpus, pasted)
    assert results.hits == [] and results.words_left_out == 3 + 200 - 64
    found = search_corpus(corpus, "Mosul offensive begins " * 2000)
    assert [h.path for h in found.hits] == ["a.txt"] and found.words_left_out == 0


def test_a_snippet_of_a_text_with_a_nul_keeps_what_is_between_it_and_the_match(make_corpus):
    """SQLite's snippet() read a text with a NUL up to it, then jumped to the match: the ~40
    characters between vanished from the result (a trial)."""
    folder = make_corpus({"a.txt": b"A scraped page with a few control characters in it.\n" * 3
                                   + b"Control chars NUL[\x00] BEL[\x07] ESC[\x1b[31m] after Homs.\n"})
    with Corpus.open(folder) as opened:
        opened.scan()
        opened.set_encoding("a.txt", "utf-8")
        (hit,) = search_corpus(opened, "homs").hits
    assert "BEL[\x07] ESC[\x1b[31m] after \x02Homs\x03" in hit.snippet


def test_first_match_prefers_the_phrase_then_a_word():
    text = "ISF units. Old Mosul area. Mosul"
    assert first_match(text, "old mosul") == text.index("Old Mosul")
    assert first_match(text, "mosul ruins") == text.index("Mosul")
    assert first_match(text, "absent") == -1


def test_find_all_is_case_insensitive_with_exact_offsets():
    text = "İstanbul and ISTANBUL and istanbul"
    # offsets index the original text even where case folding changes lengths (İ)
    assert [text[s:e] for s, e in find_all(text, "istanbul")] == ["İstanbul", "ISTANBUL", "istanbul"]
    assert find_all(text, "") == []


def test_find_around_holds_every_match_when_they_fit_whatever_side_they_are_on():
    # 3,000 matches before the origin and 6,000 after, under a limit of 10,000: all of them,
    # and complete (it once kept 8,000 and said complete, so n and N could never reach the rest).
    text = "tempor " * 9_000
    found = find_around(text, "tempor", 7 * 3_000, limit=10_000)
    assert found.spans == find_all(text, "tempor", limit=20_000) and found.complete


@pytest.mark.parametrize("needle, text", [("aa", "aaaaaaa"), ("..", "a.....b" * 50), ("abab", "ababababab x abab"),
                                          ("Aa", "aAaAaA " * 100)])
def test_find_around_a_needle_that_overlaps_itself_finds_what_find_all_finds_from_any_origin(needle, text):
    every = find_all(text, needle)
    for origin in range(len(text) + 1):
        found = find_around(text, needle, origin, limit=len(every) + 1)
        assert found.spans == every and found.complete
    limited = find_around(text, needle, len(text) // 2, limit=4)
    assert len(limited.spans) == min(4, len(every)) and set(limited.spans) <= set(every)


def test_find_around_keeps_the_matches_nearest_the_origin():
    text = "tempor " * 30_000
    every = [(7 * k, 7 * k + 6) for k in range(30_000)]
    middle = 7 * 20_000
    found = find_around(text, "TEMPOR", middle, limit=1000)
    assert not found.complete and len(found.spans) == 1000
    assert found.spans == every[20_000 - 500 : 20_000 + 500]  # half before, the rest from it on
    start = find_around(text, "tempor", 0, limit=1000)
    assert start.spans == every[:1000] and not start.complete
    end = find_around(text, "tempor", len(text), limit=1000)
    assert end.spans == every[-1000:] and not end.complete  # nothing after: all before
    near_end = find_around(text, "tempor", 7 * 29_900, limit=1000)  # 100 after: 900 before
    assert near_end.spans == every[29_000:] and not near_end.complete
    assert find_around(text, "tempor", 7 * 29_900, limit=40_000).complete
    whole = find_around(text, "tempor", middle)  # 10,000 cannot hold 30,000
    assert len(whole.spans) == 10_000 and whole.spans[0] == every[15_000]
    few = find_around("a tempor b TEMPOR", "tempor", 5)
    assert few.complete and few.spans == [(2, 8), (11, 17)]
    assert find_around(text, "", 3) == Matches([], True)


def test_a_long_text_full_of_the_word_gets_its_snippet_at_once(scanned, monkeypatch):
    """FTS5's snippet() took 220 s on a 5 MB text holding the word 250,000 times (a new user's
    trial): a text over SNIPPET_MAX_CHARS gets its snippet cut around its first match here."""
    words = ["alpha", "beta", "gamma", "delta"]
    long_text = " ".join(words[i % 4] for i in range(40_000)) + " the Mosul river " + "mosul beta " * 30_000
    far = "x " * 40_000 + "a word across the border: mosul. The end"
    corpus, _ = scanned({"long.txt": long_text, "far.txt": far, "accent.txt": "café " * 20_000,
                         "short.txt": "A short page about Mosul.\n",
                         "edge.txt": "y " * 29_998 + "testing " + "z " * 30_000 + "a real test here", "nul.txt": "x " * 5_000 + "a\x00b " * 20_000 + "near mosul here"})  # text: its first NUL past 8,000 bytes
    monkeypatch.setattr(search, "_READ_CHARS", 1000)  # many windows: a match across their borders
    found = {hit.path: hit.snippet for hit in search_corpus(corpus, "mosul").hits}
    assert found["long.txt"] == ("…gamma delta alpha beta gamma delta the \x02Mosul\x03 river \x02mosul\x03 beta "
                                 "\x02mosul\x03 beta \x02mosul\x03 beta…")
    assert found["far.txt"].endswith("border: \x02mosul\x03. The end") and found["far.txt"].startswith("…x x")
    assert found["nul.txt"].endswith("near \x02mosul\x03 here")
    assert found["short.txt"] == "A short page about \x02Mosul\x03.\n"  # FTS5's own
    # A word cut by a read window's edge is not a match there ("testing" is no "test")
    monkeypatch.setattr(search, "_READ_CHARS", 60_000)
    edge = corpus.document_by_path("edge.txt").id
    assert search.long_text_snippet(corpus, edge, ["test"]).endswith("a real \x02test\x03 here")
    # No whole-word match this way (FTS5 folds diacritics): the text's start
    assert search.long_text_snippet(corpus, corpus.document_by_path("accent.txt").id, ["cafe"]).startswith("café café")


def test_find_matches_an_accented_letter_in_either_unicode_form():
    """/München (one ü) did not find "Mu\\u0308nchen" (u and a combining diaeresis), which looks
    the same on screen; corpus search did (a trial). Offsets are the text's own."""
    text = "In Mu\u0308nchen and München, MÜNCHEN too; Cafe\u0301."
    expected = [(3, 11), (16, 23), (25, 32)]
    assert find_all(text, "München") == find_all(text, "Mu\u0308nchen") == expected
    assert find_all(text, "café") == [(38, 43)] and text[38:43] == "Cafe\u0301"
    assert find_around(text, "münchen", 30).spans == expected
