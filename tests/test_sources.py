"""A document's source, and the rule that makes a repeated passage boilerplate-like."""

from __future__ import annotations

import datetime
import doctest

import pytest
from conftest import seed_documents
from hypothesis import given
from hypothesis import strategies as st

from corpus_tui.core import sources as sources_module
from corpus_tui.core.front_matter import parse_front_matter
from corpus_tui.core.sources import document_source, is_boilerplate_like


def test_front_matter_source_comes_first_stripped_and_case_folded():
    meta = {"source": "  SouthFront ", "site": "globalresearch.ca", "url": "https://rt.com/a"}
    assert document_source("rt/a.txt", meta) == "southfront"


def test_then_site():
    assert document_source("rt/a.txt", {"site": "GlobalResearch.CA", "url": "https://rt.com/a"}) == "globalresearch.ca"


@pytest.mark.parametrize("url, host", [
    ("https://www.globalresearch.ca/video-iraqi-forces/5598421", "globalresearch.ca"),
    ("http://SouthFront.ORG/donate/", "southfront.org"),
    ("  https://user:secret@www.rt.com:8443/news?id=1  ", "rt.com"),
    ("https://example.org./a", "example.org"),
    ("HTTPS://news.example.org", "news.example.org"),
    ("https://www2.example.org/", "www2.example.org"),
])
def test_then_the_host_of_the_url_without_www(url, host):
    assert document_source("rt/a.txt", {"url": url}) == host


@pytest.mark.parametrize("url", [
    "ftp://example.org/a", "mailto:editor@example.org", "javascript:alert(1)", "example.org/a",
    "//example.org/a", "http://[::1", "https://", "", "   ",
])
def test_a_url_that_is_not_http_or_cannot_be_read_is_skipped(url):
    assert document_source("rt/a.txt", {"url": url}) == "rt"


@pytest.mark.parametrize("value", [2017, 3.5, True, None, ["rt", "sf"], {"name": "rt"}, datetime.date(2017, 7, 8),
                                   "", "   "])
def test_values_that_are_not_text_are_skipped(value):
    assert document_source("rt/a.txt", {"source": value, "site": value, "url": value}) == "rt"
    assert document_source("rt/a.txt", {"source": value, "site": "SF"}) == "sf"


def test_else_the_top_level_folder_as_spelled_else_the_corpus_root():
    assert document_source("rt/c.txt", {}) == "rt"
    assert document_source("RT/2017/07/c.txt", {}) == "RT"
    assert document_source("c.txt", {}) == ""


def test_the_seeds_all_share_the_corpus_root():
    for path in seed_documents():
        meta = parse_front_matter(path.read_text(encoding="utf-8")).meta
        assert document_source(path.name, meta) == ""


@pytest.mark.parametrize("documents, sources, offered", [
    (0, 0, False), (1, 1, False),
    (2, 1, False), (2, 2, False),  # a repost: not offered, from one source or two
    (3, 1, True),  # a site's own template
    (3, 2, True), (3, 3, True), (1000, 40, True),
])
def test_boilerplate_like_is_three_documents_from_two_sources_or_three_of_one(documents, sources, offered):
    assert is_boilerplate_like(documents, sources) is offered


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_a_passage_in_fewer_than_three_documents_is_never_offered(documents, sources):
    sources = min(sources, max(documents, 1))
    assert is_boilerplate_like(documents, sources) == (documents >= 3)


def test_the_docstring_examples_hold():
    assert doctest.testmod(sources_module).failed == 0
