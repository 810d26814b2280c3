"""The labelled site corpus of bench/generate_sites.py and the line scorer of bench/repeats_scoring.py:
deterministic, every line labelled, copies that vary, reposts that do not, a scorer that means what
it says, and a corpus the real scan reads."""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse

import pytest

from corpus_tui.core import Corpus

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
try:
    import generate_sites
    import repeats_scoring
finally:
    sys.path.remove(str(REPO / "bench"))


def _gold(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "gold.jsonl").read_text(encoding="utf-8").splitlines()]


def _lines(folder: Path, path: str) -> list[str]:
    text = repeats_scoring.document_text(folder, path)
    assert text is not None
    return text.split("\n")


@pytest.fixture(scope="module")
def corpus_400(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_sites.generate_sites(tmp_path_factory.mktemp("sites") / "c", docs=400, sites=12, seed=5)


def test_same_seed_same_corpus_other_seed_another(tmp_path: Path) -> None:
    def files(folder: Path) -> dict[str, bytes]:
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
                and p.name != generate_sites.MARKER}

    first = files(generate_sites.generate_sites(tmp_path / "a", docs=60, sites=8, seed=3))
    again = files(generate_sites.generate_sites(tmp_path / "b", docs=60, sites=8, seed=3))
    other = files(generate_sites.generate_sites(tmp_path / "c", docs=60, sites=8, seed=4))
    assert first == again
    assert len(first) == 61  # 60 documents and gold.jsonl
    assert first["gold.jsonl"] != other["gold.jsonl"]
    # A folder it did not write is refused, one it wrote is rewritten.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        generate_sites.generate_sites(tmp_path / "mine", docs=5, sites=2)
    assert generate_sites.generate_sites(tmp_path / "a", docs=5, sites=2) == tmp_path / "a"
    assert len(_gold(tmp_path / "a")) == 5


def test_every_non_blank_line_outside_front_matter_is_labelled_once(corpus_400: Path) -> None:
    records = _gold(corpus_400)
    assert len(records) == 400
    assert {p.relative_to(corpus_400).as_posix() for p in corpus_400.rglob("*.*") if p.suffix in (".txt", ".md")} \
        == {r["path"] for r in records}
    markdown = 0
    for record in records:
        lines = _lines(corpus_400, record["path"])
        front = 0
        if record["path"].endswith(".md"):
            markdown += 1
            bare = [line.rstrip("\r") for line in lines]
            assert bare[0] == "---"
            front = bare.index("---", 1) + 1
        boilerplate, content = set(record["boilerplate_lines"]), set(record["content_lines"])
        assert not boilerplate & content
        assert len(record["boilerplate_kinds"]) == len(record["boilerplate_lines"])
        expected = {n for n, line in enumerate(lines, 1) if line.strip() and n > front}
        assert boilerplate | content == expected, record["path"]
        assert content and boilerplate
    assert 0 < markdown < len(records)
    marker = generate_sites.read_marker(corpus_400)
    assert marker is not None and marker["docs"] == 400
    assert marker["counts"]["crlf"] + marker["counts"]["bom"] > 0


def test_boilerplate_copies_vary_while_reposts_are_identical(corpus_400: Path) -> None:
    records = _gold(corpus_400)
    copies: dict[str, set[str]] = defaultdict(set)  # the passage, spelled one way -> its copies as printed
    content_docs: dict[str, set[str]] = defaultdict(set)
    for record in records:
        lines = _lines(corpus_400, record["path"])
        for n in record["boilerplate_lines"]:
            copies[generate_sites.passage_key(_unified(lines[n - 1]))].add(lines[n - 1].strip())
        for n in record["content_lines"]:
            content_docs[generate_sites.passage_key(re.sub(r"^# ", "", lines[n - 1]))].add(record["path"])
    spelled = [variants for variants in copies.values() if len(variants) > 1]
    assert len(spelled) >= 10

    def varies(differs: "re.Pattern[str]") -> bool:
        return any(len({differs.sub("", v) for v in variants}) < len(variants) for variants in spelled)

    assert varies(re.compile(r"\d+"))  # numbers and dates
    assert varies(re.compile(r"['’\"“”]"))  # straight and curly quotes
    assert varies(re.compile(r"[—–-]"))  # dashes
    assert varies(re.compile(r"\xa0|&nbsp;| "))  # no-break spaces
    assert any(v.isupper() for variants in spelled for v in variants)  # a heading's case

    pairs = {r["path"]: r["repost"] for r in records if "repost" in r}
    assert pairs and all(pairs[pairs[path]] == path for path in pairs)
    content = {r["path"]: r["content_lines"] for r in records}

    def body(path: str) -> list[str]:  # a Markdown site prints the title as a heading
        return [re.sub(r"^# ", "", _lines(corpus_400, path)[n - 1].strip()) for n in content[path]]

    for path, other in pairs.items():
        assert path.split("/")[0] != other.split("/")[0]  # on another site
        assert body(path) == body(other)
    for line, paths in content_docs.items():  # no other content line is in two documents, digits aside
        assert len(paths) == 1 or (len(paths) == 2 and pairs.get(min(paths)) == max(paths)), line


def _unified(line: str) -> str:
    """A printed copy spelled one way (quotes, dashes, spaces, entities): how copies are grouped here."""
    for old, new in (("&amp;", "&"), ("&nbsp;", " "), ("\xa0", " "), ("’", "'"), ("“", '"'), ("”", '"'),
                     ("–", "—"), (" - ", " — "), ("...", "…")):
        line = line.replace(old, new)
    return line


def _corpus_of(tmp_path: Path, files: dict[str, bytes], gold: list[dict]) -> Path:
    folder = tmp_path / "small"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in gold))
    return folder


def test_scorer_counts_a_line_marked_from_half_its_non_space_characters(tmp_path: Path) -> None:
    # A BOM is not text and CRLF is two characters: offsets are corpus-tui's.
    folder = _corpus_of(
        tmp_path,
        {"a.txt": b"\xef\xbb\xbfnav  menu\r\n\r\nreal content here\r\n", "b.txt": b"abcd efgh\n\nother words\n"},
        [{"path": "a.txt", "boilerplate_lines": [1], "content_lines": [3]},
         {"path": "b.txt", "boilerplate_lines": [1], "content_lines": [3]}],
    )
    gold = folder / "gold.jsonl"
    text = repeats_scoring.document_text(folder, "a.txt")
    assert text is not None and text.startswith("nav  menu\r\n")
    perfect = repeats_scoring.score(folder, gold, {"a.txt": [(0, 9)], "b.txt": [(0, 9)]})
    assert perfect["boilerplate"]["precision"] == perfect["boilerplate"]["recall"] == 1.0
    assert perfect["content"]["precision"] == perfect["content"]["recall"] == 1.0
    half = repeats_scoring.score(folder, gold, {"b.txt": [(0, 4)]})  # "abcd": 4 of 8 non-space characters
    assert half["boilerplate"]["true"] == 1
    pieces = repeats_scoring.score(folder, gold, {"b.txt": [(0, 2), (7, 9)]})  # 2 + 2 of 8: ranges add up
    assert pieces["boilerplate"]["true"] == 1
    short = repeats_scoring.score(folder, gold, {"b.txt": [(0, 3)], "a.txt": [(3, 6)]})  # spaces do not count
    assert short["boilerplate"]["true"] == 0
    everything = repeats_scoring.score(folder, gold, {"a.txt": [(0, len(text))]})
    assert everything["boilerplate"] == {
        "gold": 2, "predicted": 2, "true": 1, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert everything["content"]["recall"] == 0.5


def test_scorer_on_the_generated_gold_perfect_and_empty(corpus_400: Path) -> None:
    gold = corpus_400 / "gold.jsonl"
    perfect = repeats_scoring.score(corpus_400, gold, repeats_scoring.gold_marks(corpus_400, gold))
    for kind in ("boilerplate", "content"):
        assert perfect[kind]["precision"] == perfect[kind]["recall"] == perfect[kind]["f1"] == 1.0
    assert perfect["missing"] == 0 and perfect["reposts"]["marked"] == 0
    assert all(figures["recall"] == 1.0 for figures in perfect["by_kind"].values())
    empty = repeats_scoring.score(corpus_400, gold, {})
    assert empty["boilerplate"]["recall"] == 0.0 and empty["boilerplate"]["predicted"] == 0
    assert empty["content"]["recall"] == 1.0 and empty["content"]["precision"] < 1.0


@pytest.mark.skipif(not (repeats_scoring.DEV / "gold.jsonl").exists(), reason="boilerplate-dev is not here")
def test_the_same_scorer_scores_only_boilerplate_devs_labelled_lines() -> None:
    dev = repeats_scoring.DEV
    perfect = repeats_scoring.score_boilerplate_dev(repeats_scoring.gold_marks(dev / "docs", dev / "gold.jsonl"))
    labelled = sum(len(r["boilerplate_lines"]) + len(r["content_lines"]) for r in _gold(dev))
    assert perfect["lines"] == labelled and perfect["missing"] == 0
    assert perfect["boilerplate"]["f1"] == perfect["content"]["f1"] == 1.0


def test_the_real_scan_reads_a_generated_corpus_and_marks_are_scored(tmp_path: Path) -> None:
    folder = generate_sites.generate_sites(tmp_path / "c", docs=200, sites=10, seed=1)
    records = _gold(folder)
    with Corpus.open(folder) as corpus:
        summary = corpus.scan()
        assert summary.added == 200 and summary.unreadable == 0  # gold.jsonl and the marker are not documents
        assert not summary.problems  # every front matter block is YAML
        for record in records:  # the source rule finds the source the gold file names
            meta = corpus.document_by_path(record["path"]).meta
            url_host = urlparse(meta["url"]).hostname if meta.get("url") else None
            assert (meta.get("source") or meta.get("site") or url_host or record["path"].split("/")[0]) \
                == record["source"]
        chosen = records[:20]
        gold_marks = repeats_scoring.gold_marks(folder, folder / "gold.jsonl")
        for record in chosen:
            doc = corpus.document_by_path(record["path"])
            for start, end in gold_marks[record["path"]]:
                corpus.mark_boilerplate(doc.id, start, end)
        marked = repeats_scoring.marked_ranges(corpus)
    assert set(marked) == {r["path"] for r in chosen}
    figures = repeats_scoring.score(folder, folder / "gold.jsonl", marked)
    assert figures["boilerplate"]["precision"] == 1.0
    assert figures["boilerplate"]["true"] == sum(len(r["boilerplate_lines"]) for r in chosen)

    # A span whose text is gone goes stale at the next scan, and is no longer a mark.
    victim = chosen[0]
    path = folder / victim["path"]
    lines = path.read_bytes().decode("utf-8-sig").split("\n")
    for n in victim["boilerplate_lines"]:
        lines[n - 1] = "rewritten " * 3
    path.write_text("\n".join(lines), encoding="utf-8")
    with Corpus.open(folder) as corpus:
        corpus.scan()
        assert victim["path"] not in repeats_scoring.marked_ranges(corpus)
        assert corpus.stale_spans()
    assert repeats_scoring.main([str(folder), "--json"]) == 0
