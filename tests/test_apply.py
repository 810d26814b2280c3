"""The analyst's decisions applied outside the corpus (issue 14): the rules bundle, the pure
function, and ``corpus-tui apply`` on the local engine and on a real Dask LocalCluster."""

from __future__ import annotations

import importlib.util
import json
import pickle
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_suggest import assert_one_line_error

from corpus_tui import Corpus
from corpus_tui.core.apply_records import ATTRIBUTE, Job, _loads, find_partitions, run_local
from corpus_tui.core.bundle import BadBundle, apply_bundle, bundle_from_dict, clean_and_ranges, load_bundle, make_bundle
from corpus_tui.core.export import export
from corpus_tui.core.normalize import NORMALIZATION_VERSION

APPEAL = "If you're able, and if you like our content and approach, please support the project."


@pytest.fixture
def ruled_seeds(seeds_copy):  # type: ignore[no-untyped-def]
    """The seeds with the donation appeal marked everywhere (a rule) and its export."""
    with Corpus.open(seeds_copy, annotator="tester") as corpus:
        corpus.scan()
        [appeal] = [r for r in corpus.repeats(min_docs=2) if r.text.startswith(APPEAL)]
        corpus.mark_everywhere(appeal.id, reason="donation appeal")
        bundle = make_bundle(corpus)
        texts = {d.path: corpus.text(d.id) for d in corpus.documents()}
        export(corpus, "jsonl", seeds_copy.parent / "export.jsonl")
    exported = {r["path"]: r for r in map(json.loads, open(seeds_copy.parent / "export.jsonl"))}
    return seeds_copy, bundle, texts, exported


def write_jsonl(path, records):  # type: ignore[no-untyped-def]
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))


def test_the_bundle_is_readable_json_and_round_trips(ruled_seeds, tmp_path):
    _, bundle, _, _ = ruled_seeds
    assert bundle["format"] == "corpus-tui-rules" and bundle["version"] == 1
    [rule] = bundle["rules"]
    assert rule["reason"] == "donation appeal" and rule["text"].startswith(APPEAL)
    assert isinstance(rule["fingerprint"], str)  # 64-bit: a string survives every JSON reader
    assert bundle["suggestions"]["threshold"] == bundle["suggestions"]["model"]["threshold"]
    assert set(bundle["suggestions"]["correction"]) == {"bias", "dense", "tokens", "examples"}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(bundle))
    loaded = load_bundle(path)
    assert loaded.fingerprints == {int(rule["fingerprint"])}
    assert pickle.loads(pickle.dumps(loaded)) == loaded  # ships to Spark, Dask and datatrove workers


def test_apply_bundle_gives_exports_clean_text_and_the_marked_ranges(ruled_seeds):
    _, bundle_dict, texts, exported = ruled_seeds
    bundle = bundle_from_dict(bundle_dict)
    for path, text in texts.items():
        applied = apply_bundle(bundle, text)
        assert applied.clean_text == exported[path]["clean_text"]
        assert [[b["start"], b["end"]] for b in exported[path]["boilerplate"]] == [s[:2] for s in applied.spans]
        assert all(s[2] == 1.0 for s in applied.spans)
        assert clean_and_ranges(bundle, text) == (applied.clean_text, [tuple(s[:2]) for s in applied.spans])
    assert sum(bool(apply_bundle(bundle, t).spans) for t in texts.values()) == 2  # 000 and 002


@pytest.mark.parametrize("data, says", [
    ("not json", "not a JSON rules file"),
    (json.dumps({"format": "other"}), "not a corpus-tui rules file"),
    (json.dumps({"format": "corpus-tui-rules", "version": 99}), "version 99"),
    (json.dumps({"format": "corpus-tui-rules", "version": 1, "normalization": 0, "rules": []}), "normalization 0"),
    (json.dumps({"format": "corpus-tui-rules", "version": 1, "normalization": NORMALIZATION_VERSION,
                 "rules": [{"id": 1, "fingerprint": "x"}]}), "rule 1"),
    (json.dumps({"format": "corpus-tui-rules", "version": 1, "normalization": NORMALIZATION_VERSION,
                 "rules": [{"id": 1, "fingerprint": str(2**64)}]}), "rule 1"),
    (json.dumps({"format": "corpus-tui-rules", "version": 1, "normalization": NORMALIZATION_VERSION, "rules": [],
                 "suggestions": {"model": {"format": 2}, "threshold": 0.5}}), "suggestions"),
])
def test_a_bad_bundle_is_refused_in_one_line_and_nothing_is_written(tmp_path, run_main, data, says):
    rules = tmp_path / "rules.json"
    rules.write_text(data)
    with pytest.raises(BadBundle, match=says):
        load_bundle(rules)
    write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "hello"}])
    result = run_main("apply", rules, tmp_path / "in.jsonl", "-o", tmp_path / "out")
    assert_one_line_error(result, "rules.json")
    assert not (tmp_path / "out").exists()


def test_apply_writes_records_with_clean_text_and_dolma_attributes_and_rejects(ruled_seeds, tmp_path, run_main):
    seeds, bundle, texts, exported = ruled_seeds
    (tmp_path / "rules.json").write_text(json.dumps(bundle))
    shards = tmp_path / "crawl"
    (shards / "2024").mkdir(parents=True)
    records = [{"id": path, "text": text, "lang": "en", "attributes": {"other": [[0, 1, 0.5]]}}
               for path, text in texts.items()]
    write_jsonl(shards / "2024" / "a.jsonl", records[:3] + ['{"id": "cut", "text": "a record cut sh', json.dumps([1, 2])])
    write_jsonl(shards / "b.jsonl", records[3:] + [{"id": "n", "text": 5}])
    result = run_main("apply", tmp_path / "rules.json", shards, "-o", tmp_path / "out", "--json")
    assert result.returncode == 0
    summary = json.loads(result.stdout)
    assert (summary["records"], summary["rejected"], summary["partitions"]) == (5, 3, 2)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [".apply-run.json", "2024__a.jsonl", "2024__a.rejects.jsonl",
                                                     "b.jsonl", "b.rejects.jsonl"]
    written = [json.loads(line) for name in ("2024__a.jsonl", "b.jsonl") for line in open(out / name)]
    assert [r["id"] for r in written] == [r["id"] for r in records]  # input order
    for record in written:
        assert record["clean_text"] == exported[record["id"]]["clean_text"] and record["lang"] == "en"
        assert record["attributes"]["other"] == [[0, 1, 0.5]]  # existing attributes kept
        assert record["attributes"][ATTRIBUTE] == [[b["start"], b["end"], 1.0]
                                                   for b in exported[record["id"]]["boilerplate"]]
    rejects = [json.loads(line) for line in open(out / "2024__a.rejects.jsonl")]
    assert [(r["line"], r["error"].split(":")[0]) for r in rejects] == [(4, "not JSON"), (5, "not a JSON object but list")]
    # Cut short: said "Invalid control character" (its line break), which is not what is wrong.
    assert rejects[0]["error"] == "not JSON: Unterminated string starting at column 23"
    assert json.loads(open(out / "b.rejects.jsonl").read())["id"] == "n"
    again = run_main("apply", tmp_path / "rules.json", shards, "-o", out, "--json")
    assert json.loads(again.stdout)["skipped"] == 2  # a rerun resumes: finished partitions stay


def test_a_partition_killed_midway_leaves_nothing_and_is_redone(ruled_seeds, tmp_path, monkeypatch):
    _, bundle, texts, _ = ruled_seeds
    write_jsonl(tmp_path / "in.jsonl", [{"id": p, "text": t} for p, t in texts.items()])
    job = Job(bundle_from_dict(bundle), str(tmp_path / "out"))
    partitions = find_partitions([str(tmp_path / "in.jsonl")])
    from corpus_tui.core import apply_records

    calls = []

    def dying(bundle, text):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return clean_and_ranges(bundle, text)

    monkeypatch.setattr(apply_records, "clean_and_ranges", dying)  # what a JSONL line is applied by
    with pytest.raises(KeyboardInterrupt):
        run_local(job, partitions, workers=1)
    # no half partition, no temporary file: only the record of what the run writes with
    assert [p.name for p in (tmp_path / "out").iterdir()] == [".apply-run.json"]
    monkeypatch.undo()
    assert run_local(job, partitions, workers=1).records == 5


def test_a_scheduler_address_that_is_no_address_is_one_line(ruled_seeds, tmp_path, run_main):
    pytest.importorskip("dask.distributed")
    (tmp_path / "crawl").mkdir()
    write_jsonl(tmp_path / "crawl" / "in.jsonl", [{"id": 1, "text": "hello"}])
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(ruled_seeds[1]))
    result = run_main("apply", rules, tmp_path / "crawl", "-o", tmp_path / "out", "--engine", "dask",
                      "--scheduler", "notanaddress")
    assert_one_line_error(result, "--scheduler notanaddress: missing port number")
    assert not (tmp_path / "out").exists()


def test_the_dask_engine_gives_the_same_bytes_as_the_local_one(ruled_seeds, tmp_path, run_main):
    pytest.importorskip("dask.distributed")
    _, bundle, texts, _ = ruled_seeds
    (tmp_path / "rules.json").write_text(json.dumps(bundle))
    shards = tmp_path / "shards"
    shards.mkdir()
    items = list(texts.items())
    for n in range(3):
        write_jsonl(shards / f"{n}.jsonl", [{"id": p, "text": t} for p, t in items[n::3]] + ["oops"])
    local = run_main("apply", tmp_path / "rules.json", shards, "-o", tmp_path / "local")
    dask = run_main("apply", tmp_path / "rules.json", shards, "-o", tmp_path / "dask", "--engine", "dask", "-j", "2")
    assert local.returncode == dask.returncode == 0, dask.stderr
    assert "dask engine" in dask.stderr
    names = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "dask").iterdir()) and len(names) == 7
    for name in names:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()


def test_parquet_in_and_out(ruled_seeds, tmp_path, run_main):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    _, bundle, texts, exported = ruled_seeds
    (tmp_path / "rules.json").write_text(json.dumps(bundle))
    pq.write_table(pa.Table.from_pylist([{"id": p, "text": t} for p, t in texts.items()]), tmp_path / "in.parquet")
    result = run_main("apply", tmp_path / "rules.json", tmp_path / "in.parquet", "-o", tmp_path / "out",
                        "--format", "parquet")
    assert result.returncode == 0, result.stderr
    rows = pq.read_table(tmp_path / "out" / "in.parquet").to_pylist()
    assert [r["clean_text"] for r in rows] == [exported[p]["clean_text"] for p in texts]
    assert json.loads(rows[0]["attributes"])[ATTRIBUTE] == [[b["start"], b["end"], 1.0]
                                                            for b in exported[rows[0]["id"]]["boilerplate"]]


def test_rules_export_cli(ruled_seeds, tmp_path, run_main):
    seeds, _, _, _ = ruled_seeds
    result = run_main("rules", "export", seeds, "-o", tmp_path / "r.json")
    assert result.returncode == 0 and "wrote 1 rule to" in result.stderr
    assert load_bundle(tmp_path / "r.json").rules[0].reason == "donation appeal"
    again = run_main("rules", "export", seeds, "-o", tmp_path / "r.json")
    assert_one_line_error(again, "already exists")
    shutil.rmtree(seeds)


def test_hostile_records_are_rejected_one_by_one(tmp_path, run_main):
    (tmp_path / "rules.json").write_text(json.dumps(
        {"format": "corpus-tui-rules", "version": 1, "normalization": NORMALIZATION_VERSION, "rules": []}))
    lines = [
        json.dumps({"id": 1, "text": "fine"}),
        '{"id": 2, "text": "lone \\ud800 surrogate"}',
        "[" * 100_000,
        json.dumps({"id": 4, "text": "x", "attributes": [1, 2]}),
        json.dumps({"id": 5, "text": "x", "attributes": json.dumps({"other": [[0, 1, 1.0]]})}),
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    result = run_main("apply", tmp_path / "rules.json", tmp_path / "in.jsonl", "-o", tmp_path / "out", "--json")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert (json.loads(result.stdout)["records"], json.loads(result.stdout)["rejected"]) == (2, 3)
    rejects = {r["line"]: r["error"] for r in map(json.loads, open(tmp_path / "out" / "in.rejects.jsonl"))}
    assert set(rejects) == {2, 3, 4}
    assert "surrogate" in rejects[2] and "nested too deep" in rejects[3] and "attributes" in rejects[4]
    kept = [json.loads(line) for line in open(tmp_path / "out" / "in.jsonl")]
    assert kept[1]["attributes"] == {"other": [[0, 1, 1.0]], ATTRIBUTE: []}  # JSON text read, kept, added to


def test_a_deeply_nested_or_overflowing_bundle_is_one_line(tmp_path, run_main):
    for name, data in (("deep.json", "[" * 100_000), ("inf.json", json.dumps(
            {"format": "corpus-tui-rules", "version": 1, "normalization": NORMALIZATION_VERSION,
             "rules": [{"id": float("inf"), "fingerprint": "1"}]}))):
        (tmp_path / name).write_text(data)
        (tmp_path / "in.jsonl").write_text('{"text": "a"}\n')
        assert_one_line_error(run_main("apply", tmp_path / name, tmp_path / "in.jsonl", "-o", tmp_path / "o"),
                              name)


def test_parquet_output_rejects_a_record_that_does_not_fit_its_columns(tmp_path, run_main):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    (tmp_path / "rules.json").write_text(json.dumps(
        {"format": "corpus-tui-rules", "version": 1, "normalization": NORMALIZATION_VERSION, "rules": []}))
    write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "a", "note": None}, {"id": 2, "text": "b", "note": "n"},
                                        {"id": 3, "text": "c", "extra": 5}, {"id": "x", "text": "d"}])
    result = run_main("apply", tmp_path / "rules.json", tmp_path / "in.jsonl", "-o", tmp_path / "out",
                        "--format", "parquet", "--json")
    assert result.returncode == 0, result.stderr
    assert (json.loads(result.stdout)["records"], json.loads(result.stdout)["rejected"]) == (2, 2)
    rows = pq.read_table(tmp_path / "out" / "in.parquet").to_pylist()
    assert [(r["id"], r["note"]) for r in rows] == [(1, None), (2, "n")]
    errors = [json.loads(line)["error"] for line in open(tmp_path / "out" / "in.rejects.jsonl")]
    assert "'extra'" in errors[0] and "cannot hold" in errors[1]


def test_a_killed_workers_half_partition_is_cleared_and_written_again(tmp_path):
    from corpus_tui.core.apply_records import run_dask

    pytest.importorskip("dask.distributed")
    write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "a"}])
    out = tmp_path / "out"
    out.mkdir()
    (out / ".in.jsonl.4242.partial").write_text("half")  # what a worker killed mid-write leaves
    job = Job(bundle_from_dict({"format": "corpus-tui-rules", "version": 1, "normalization": NORMALIZATION_VERSION, "rules": []}),
              str(out))
    summary = run_dask(job, find_partitions([str(tmp_path / "in.jsonl")]), workers=1)
    assert summary.records == 1 and sorted(p.name for p in out.iterdir()) == [".apply-run.json", "in.jsonl"]


# -- --dedup: near-duplicates across the whole input ---------------------------------------------

NO_RULES = {"format": "corpus-tui-rules", "version": 1, "normalization": NORMALIZATION_VERSION, "rules": []}


def _vocabulary(rng, size):  # type: ignore[no-untyped-def]
    """Words of letters only: digits are one class to the normalization (w1 = w2)."""
    return ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)) for _ in range(size)]


def _article(rng, vocabulary, words=160):  # type: ignore[no-untyped-def]
    return " ".join(rng.choice(vocabulary) for _ in range(words))


def _reworded(rng, text, vocabulary, share=0.04):  # type: ignore[no-untyped-def]
    return " ".join(rng.choice(vocabulary) if rng.random() < share else word for word in text.split())


@pytest.fixture
def planted(tmp_path):  # type: ignore[no-untyped-def]
    """Three shards of distinct articles with planted copies across them: exact, reworded,
    and an article inside a page with more text around it. Returns the rules file, the
    shards and the ids that must be left out, each with the id its cluster keeps."""
    import random

    rng = random.Random(7)
    vocabulary = _vocabulary(rng, 3000)
    articles = [_article(rng, vocabulary) for _ in range(60)]
    shards = [[{"id": f"a{start + 3 * n}", "text": text} for n, text in enumerate(articles[start::3])]
              for start in range(3)]
    expected = {}
    # an exact copy of a1 (in shard 1) in shard 0: of equal texts the first in input order is kept
    shards[0].append({"id": "copy-of-a1", "text": articles[1]})
    expected["a1"] = "copy-of-a1"
    # a reworded copy of a3 in shard 2, and a longer page holding a5 (the longest is kept)
    shards[2].insert(0, {"id": "reworded-a3", "text": _reworded(rng, articles[3], vocabulary)})
    reworded = shards[2][0]["text"]  # in shard 2, after a3 (shard 0): kept only if longer
    expected.update({"reworded-a3": "a3"} if len(articles[3]) >= len(reworded) else {"a3": "reworded-a3"})
    shards[1].append({"id": "page-with-a5", "text": articles[5] + "\n\n" + _article(rng, vocabulary, 40)})
    expected["a5"] = "page-with-a5"
    # too short to compare: never left out, however alike
    shards[0].append({"id": "short-1", "text": "breaking news tonight"})
    shards[1].append({"id": "short-2", "text": "breaking news tonight"})
    (tmp_path / "rules.json").write_text(json.dumps(NO_RULES))
    folder = tmp_path / "shards"
    folder.mkdir()
    for n, records in enumerate(shards):
        write_jsonl(folder / f"{n}.jsonl", records)
    return tmp_path / "rules.json", folder, expected


def _written_ids(out):  # type: ignore[no-untyped-def]
    return [json.loads(line)["id"] for name in sorted(p.name for p in out.glob("[0-9].jsonl"))
            for line in open(out / name)]


def test_dedup_leaves_out_near_duplicates_across_shards_and_lists_them(planted, tmp_path, run_main):
    rules, shards, expected = planted
    out = tmp_path / "out"
    result = run_main("apply", rules, shards, "-o", out, "--dedup", "--json")
    assert result.returncode == 0, result.stderr
    listed = {}
    for path in out.glob("*.duplicates.jsonl"):
        for entry in map(json.loads, open(path)):
            kept_line = entry["kept"]["line"]
            kept = json.loads(open(entry["kept"]["source"]).read().splitlines()[kept_line - 1])["id"]
            listed[entry["id"]] = kept
            assert json.loads(open(entry["source"]).read().splitlines()[entry["line"] - 1])["id"] == entry["id"]
    assert listed == expected
    summary = json.loads(result.stdout)
    assert summary["dropped"] == 3 and summary["records"] == 60 + 5 - 3
    written = _written_ids(out)
    assert "copy-of-a1" in written and "a1" not in written and "page-with-a5" in written and "a5" not in written
    assert {"short-1", "short-2"} <= set(written)
    # the signatures are done with once every partition is written; the decisions stay for a rerun
    assert [p.name for p in (out / ".dedup").iterdir()] == ["decisions.json"]
    again = run_main("apply", rules, shards, "-o", out, "--dedup", "--json")
    assert json.loads(again.stdout)["skipped"] == 3


def test_dedup_split_into_many_tasks_and_runs_decides_the_same(planted, tmp_path, monkeypatch):
    """Every shuffled stage's work goes to files by bucket or shard, each task reading only its
    share: however many tasks and runs, the same records are left out, and every work file is
    gone once the run is done."""
    from corpus_tui.core import apply_dedup, apply_records, apply_shuffle

    rules, shards, expected = planted
    run_local(Job(load_bundle(rules), str(tmp_path / "few")), find_partitions([str(shards)]), workers=1, dedup=True)
    # 63 records signed (2 too short), 62 in the bands (a copy is equal to its first): 21 grouping
    # tasks, 62 x 64 bands / 8 = 496 pairing tasks, 21 shards
    monkeypatch.setattr(apply_dedup, "EQUAL_RECORDS", 3)
    monkeypatch.setattr(apply_dedup, "BAND_ENTRIES", 8)
    monkeypatch.setattr(apply_dedup, "SHARD_RECORDS", 3)
    monkeypatch.setattr(apply_shuffle, "RUN_BYTES", 100)  # a run every few entries
    tasks: dict[str, int] = {}
    for name in ("find_equal", "pair_bands", "verify_shard"):
        original = getattr(apply_records, name)
        monkeypatch.setattr(apply_records, name, lambda *args, _name=name, _original=original: (
            tasks.__setitem__(_name, tasks.get(_name, 0) + 1) or _original(*args)))
    run_local(Job(load_bundle(rules), str(tmp_path / "many")), find_partitions([str(shards)]), workers=1, dedup=True)
    assert tasks == {"find_equal": 21, "pair_bands": 496, "verify_shard": 21}
    written = {}
    for name in ("few", "many"):
        written[name] = _written_ids(tmp_path / name)
        assert [p.name for p in (tmp_path / name / ".dedup").iterdir()] == ["decisions.json"]
    assert written["few"] == written["many"] and not set(expected) & set(written["many"])
    listed = {name: sorted((tmp_path / name / f"{n}.duplicates.jsonl").read_text() for n in range(3)
                           if (tmp_path / name / f"{n}.duplicates.jsonl").exists()) for name in ("few", "many")}
    assert listed["few"] == listed["many"]


def test_dedup_gives_the_same_bytes_with_the_dask_engine(planted, tmp_path, run_main):
    pytest.importorskip("dask.distributed")
    rules, shards, _ = planted
    local = run_main("apply", rules, shards, "-o", tmp_path / "local", "--dedup", "-j", "2")
    dask = run_main("apply", rules, shards, "-o", tmp_path / "dask", "--dedup", "--engine", "dask", "-j", "2")
    assert local.returncode == dask.returncode == 0, dask.stderr
    names = sorted(str(p.relative_to(tmp_path / "local")) for p in (tmp_path / "local").rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(tmp_path / "dask")) for p in (tmp_path / "dask").rglob("*") if p.is_file())
    assert sum(name.endswith(".duplicates.jsonl") for name in names) >= 2 and ".dedup/decisions.json" in names
    for name in names:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()


def test_dedup_compares_clean_text_so_shared_boilerplate_does_not_make_copies(ruled_seeds, tmp_path, run_main):
    """Two different articles that share a long rule-marked appeal are not near-duplicates once
    it is removed; without the rules they would share its shingles."""
    _, bundle, texts, _ = ruled_seeds
    (tmp_path / "rules.json").write_text(json.dumps(bundle))
    write_jsonl(tmp_path / "in.jsonl", [{"id": path, "text": text} for path, text in texts.items()])
    result = run_main("apply", tmp_path / "rules.json", tmp_path / "in.jsonl", "-o", tmp_path / "out",
                        "--dedup", "--json")
    assert result.returncode == 0, result.stderr
    # the seeds' one near-duplicate pair (000 reposted as 001) is the only one left out
    [entry] = [json.loads(line) for line in open(tmp_path / "out" / "in.duplicates.jsonl")]
    assert {entry["id"], json.loads(open(tmp_path / "in.jsonl").read().splitlines()[entry["kept"]["line"] - 1])["id"]} \
        == {p for p in texts if p.startswith(("000", "001"))}


def test_a_record_the_partition_rejects_is_never_what_a_cluster_keeps(tmp_path, run_main):
    import random

    rng = random.Random(3)
    text = _article(rng, _vocabulary(rng, 500))
    (tmp_path / "rules.json").write_text(json.dumps(NO_RULES))
    lines = [json.dumps({"id": "bad", "text": text + " and more words at the end", "attributes": [1]}),
             json.dumps({"id": "good", "text": text})]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    result = run_main("apply", tmp_path / "rules.json", tmp_path / "in.jsonl", "-o", tmp_path / "out",
                        "--dedup", "--json")
    summary = json.loads(result.stdout)
    assert (summary["records"], summary["rejected"], summary["dropped"]) == (1, 1, 0)
    assert _written_ids_of(tmp_path / "out" / "in.jsonl") == ["good"]


def _written_ids_of(path):  # type: ignore[no-untyped-def]
    return [json.loads(line)["id"] for line in open(path)]


@pytest.mark.parametrize("settings, says", [
    ({"num_perm": 192, "bands": 50}, "not a multiple of bands 50"),
    ({"threshold": 2}, "threshold 2"),
    ({"bands": "many"}, "not a whole number"),
    ({"num_perm": 192.7}, "not a whole number"),
    ({"num_perm": True}, "not a whole number"),
    ({"num_perm": float("inf")}, "not a whole number"),
    ({"seed": -1}, "seed -1 is not between"),
    ({"seed": 2**70}, "is not between"),
    ({"min_words": -1}, "min_words -1"),
])
@pytest.mark.parametrize("dedup", [["--dedup"], []])
def test_near_duplicate_settings_it_cannot_use_are_refused_in_one_line_naming_the_file(tmp_path, run_main,
                                                                                      settings, says, dedup):
    """With or without --dedup (a bundle is checked whole when it is read), naming the file."""
    (tmp_path / "rules.json").write_text(json.dumps({**NO_RULES, "near_duplicates": settings}))
    write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "hello"}])
    result = run_main("apply", tmp_path / "rules.json", tmp_path / "in.jsonl", "-o", tmp_path / "out", *dedup)
    assert_one_line_error(result, f"{tmp_path / 'rules.json'}: \"near_duplicates\"", says)
    assert not (tmp_path / "out").exists()


def test_a_dedup_run_killed_after_signing_resumes_from_its_signatures(planted, tmp_path, monkeypatch):
    from corpus_tui.core import apply_dedup, apply_records

    rules, shards, _ = planted
    job = Job(load_bundle(rules), str(tmp_path / "out"))
    partitions = find_partitions([str(shards)])

    def dying(*args):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(apply_records, "process_partition", dying)
    with pytest.raises(KeyboardInterrupt):
        run_local(job, partitions, workers=1, dedup=True)
    signatures = sorted((tmp_path / "out" / ".dedup").glob("*.sig"))
    assert len(signatures) == 3
    monkeypatch.undo()
    signed = []
    sign_text = apply_dedup.sign_text
    monkeypatch.setattr(apply_dedup, "sign_text", lambda *a: signed.append(1) or sign_text(*a))
    summary = run_local(job, partitions, workers=1, dedup=True)
    assert summary.dropped == 3 and signed == []  # nothing signed again
    assert not list((tmp_path / "out" / ".dedup").glob("*.sig"))  # done with once every partition is written


@pytest.mark.parametrize("killed_at, damaged, what", [
    ("find_equal", "1.sig", "a truncated signature file"),  # signed, not yet grouped
    ("process_partition", "keepers.bin", "a truncated segment file"),  # decided, nothing written
])
def test_a_damaged_work_file_is_one_line_naming_it_and_removing_the_folder_goes_on(
        planted, tmp_path, monkeypatch, run_script, killed_at, damaged, what):
    """A work file cut short (a disk fault: the stages' files are flushed before they are
    renamed, so a crash of the system cannot do it) is named, with what to do, in one line."""
    from corpus_tui.core import apply_records

    rules, shards, expected = planted
    out = tmp_path / "out"
    monkeypatch.setattr(apply_records, killed_at, lambda *args: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        run_local(Job(load_bundle(rules), str(out)), find_partitions([str(shards)]), workers=1, dedup=True)
    path = out / ".dedup" / damaged
    path.write_bytes(path.read_bytes()[:-5])
    result = run_script("apply", rules, shards, "-o", out, "--dedup")  # a process: this one's stages are patched
    assert_one_line_error(result, f"{path}: {what}", f"remove {out / '.dedup'} and run again")
    assert not list(out.glob("*.jsonl"))
    shutil.rmtree(out / ".dedup")
    result = run_script("apply", rules, shards, "-o", out, "--dedup", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dropped"] == len(expected)


def test_every_file_apply_writes_is_on_disk_before_its_name_says_it_is_finished(planted, tmp_path, monkeypatch):
    """After a crash of the system a rerun skips what it finds under a final name: each file
    is flushed before it is renamed there, and its folder after."""
    import os

    from corpus_tui.core import durable

    rules, shards, _ = planted
    out = tmp_path / "out"
    flushed: set[str] = set()
    events = []
    fsync, replace = os.fsync, os.replace

    def recording_fsync(descriptor):  # type: ignore[no-untyped-def]
        flushed.add(os.readlink(f"/proc/self/fd/{descriptor}"))
        return fsync(descriptor)

    def recording_replace(source, target):  # type: ignore[no-untyped-def]
        events.append((str(source) in flushed, str(target)))
        flushed.discard(str(os.path.dirname(target)))
        return replace(source, target)

    monkeypatch.setattr(durable.os, "fsync", recording_fsync)
    monkeypatch.setattr(durable.os, "replace", recording_replace)
    run_local(Job(load_bundle(rules), str(out)), find_partitions([str(shards)]), workers=1, dedup=True)
    names = {os.path.basename(target) for _, target in events}
    assert {"0.jsonl", "1.jsonl", "2.jsonl", "1.sig", "keepers.bin", "decisions.json"} <= names
    assert all(was_flushed for was_flushed, _ in events), [t for f, t in events if not f]
    assert str(out) in flushed and str(out / ".dedup") in flushed  # the renames too


def test_signatures_made_with_other_rules_are_made_again(planted, tmp_path, monkeypatch):
    """A run killed after signing, resumed with a bundle whose rules remove other text: the
    clean texts changed, so the signatures are made again, not reused."""
    from corpus_tui.core import apply_dedup, apply_records

    rules, shards, _ = planted
    partitions = find_partitions([str(shards)])
    monkeypatch.setattr(apply_records, "process_partition", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        run_local(Job(load_bundle(rules), str(tmp_path / "out")), partitions, workers=1, dedup=True)
    monkeypatch.undo()
    other = {**NO_RULES, "rules": [{"id": 1, "fingerprint": "12345", "reason": "x", "text": "x"}]}
    signed = []
    sign_text = apply_dedup.sign_text
    monkeypatch.setattr(apply_dedup, "sign_text", lambda *a: signed.append(1) or sign_text(*a))
    summary = run_local(Job(bundle_from_dict(other), str(tmp_path / "out")), partitions, workers=1, dedup=True)
    assert summary.dropped == 3 and len(signed) == 65


def test_a_partition_missing_after_a_finished_dedup_run_is_written_again_alike(planted, tmp_path):
    """A finished run keeps only decisions.json; a rerun that finds a partition missing decides
    again and writes it as it was."""
    rules, shards, _ = planted
    partitions = find_partitions([str(shards)])
    out = tmp_path / "out"
    run_local(Job(load_bundle(rules), str(out)), partitions, workers=1, dedup=True)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (out / "1.jsonl").unlink()
    (out / "1.duplicates.jsonl").unlink(missing_ok=True)
    summary = run_local(Job(load_bundle(rules), str(out)), partitions, workers=1, dedup=True)
    assert summary.skipped == 2
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert [p.name for p in (out / ".dedup").iterdir()] == ["decisions.json"]


def test_decisions_of_another_run_killed_before_writing_are_never_taken_for_these(planted, tmp_path, monkeypatch):
    """A finished run leaves only its decisions.json; a run with other settings into the same
    (emptied) folder, killed after deciding but before recording what it decided on, leaves its
    own decision files: a rerun with the first settings must not take them for its own."""
    from corpus_tui.core import apply_records

    rules, shards, _ = planted
    partitions = find_partitions([str(shards)])
    out = tmp_path / "out"
    run_local(Job(load_bundle(rules), str(out)), partitions, workers=1, dedup=True)
    expected = _written_ids(out)
    for written in out.glob("*.jsonl"):
        written.unlink()
    none_signed = {**NO_RULES, "near_duplicates": {"min_words": 100_000}}  # other settings: no drops
    monkeypatch.setattr(apply_records, "save_decisions", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        run_local(Job(bundle_from_dict(none_signed), str(out)), partitions, workers=1, dedup=True)
    monkeypatch.undo()
    assert (out / ".dedup" / "keepers.bin").exists()
    run_local(Job(load_bundle(rules), str(out)), partitions, workers=1, dedup=True)
    assert _written_ids(out) == expected


def test_finished_partitions_of_another_input_or_run_are_not_resumed(planted, tmp_path, run_main):
    rules, shards, _ = planted
    out = tmp_path / "out"
    assert run_main("apply", rules, shards, "-o", out, "--dedup").returncode == 0
    (out / "2.jsonl").unlink()  # as if killed before the last partition was written
    with open(shards / "1.jsonl", "a") as handle:  # and an input changed meanwhile
        handle.write(json.dumps({"id": "late", "text": "a late record"}) + "\n")
    before = sorted(p.name for p in out.iterdir())
    assert_one_line_error(run_main("apply", rules, shards, "-o", out, "--dedup"), "give a new output folder")
    assert_one_line_error(run_main("apply", rules, shards, "-o", out), "run with --dedup again")
    assert sorted(p.name for p in out.iterdir()) == before
    plain = tmp_path / "plain"
    assert run_main("apply", rules, shards, "-o", plain).returncode == 0
    (plain / "2.jsonl").unlink()
    assert_one_line_error(run_main("apply", rules, shards, "-o", plain, "--dedup"), "without --dedup")


def test_a_dedup_run_in_the_other_format_or_id_field_into_a_written_folder_is_refused(planted, tmp_path, run_main):
    """It wrote beside the first run's partitions and replaced their rejects file, the only
    record of what was left out; with another id field it named left-out records otherwise."""
    pytest.importorskip("pyarrow")
    rules, shards, _ = planted
    for first in ([], ["--dedup"]):
        out = tmp_path / f"out{len(first)}"
        assert run_main("apply", rules, shards, "-o", out, *first).returncode == 0
        before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
        result = run_main("apply", rules, shards, "-o", out, "--dedup", "--format", "parquet")
        assert_one_line_error(result, "give a new output folder")
        assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    (out / "2.jsonl").unlink()  # a --dedup run to resume, with another id field
    assert_one_line_error(run_main("apply", rules, shards, "-o", out, "--dedup", "--id-field", "text"),
                          "give a new output folder")


def test_parquet_output_sees_a_dropped_first_record_as_when_it_was_signed(tmp_path, run_main):
    """A Parquet partition's columns are its first record's: when that record is left out, the
    others must still fit the columns they were checked against, or a kept record is lost."""
    pytest.importorskip("pyarrow")
    import random

    import pyarrow.parquet as pq

    rng = random.Random(5)
    vocabulary = _vocabulary(rng, 2000)
    x, y = _article(rng, vocabulary), _article(rng, vocabulary)
    (tmp_path / "rules.json").write_text(json.dumps(NO_RULES))
    (tmp_path / "in").mkdir()
    write_jsonl(tmp_path / "in" / "0.jsonl", [{"id": "x-long", "text": x + " and a longer end", "url": "u"},
                                              {"id": "y-copy", "text": y, "url": "u"}])
    write_jsonl(tmp_path / "in" / "1.jsonl", [{"id": "x", "text": x, "url": "u"}, {"id": "z", "text": "short"},
                                              {"id": "y-long", "text": y + " with more words at its end", "url": "u"}])
    result = run_main("apply", tmp_path / "rules.json", tmp_path / "in", "-o", tmp_path / "out", "--dedup",
                        "--format", "parquet", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["dropped"], summary["rejected"]) == (2, 0)
    # x, left out, still made url a column of 1.parquet: z has none (null), y-long fits
    written = {r["id"] for n in range(2) for r in pq.read_table(tmp_path / "out" / f"{n}.parquet").to_pylist()}
    assert written == {"x-long", "z", "y-long"}


def test_a_source_path_that_is_not_utf8_is_listed_not_a_crash(tmp_path, run_main):
    import os
    import random

    rng = random.Random(9)
    text = _article(rng, _vocabulary(rng, 500))
    (tmp_path / "rules.json").write_text(json.dumps(NO_RULES))
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.jsonl")
    write_jsonl(folder / name, [{"id": 1, "text": text}, {"id": 2, "text": text}])
    result = run_main("apply", tmp_path / "rules.json", folder, "-o", tmp_path / "out", "--dedup", "--json")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert json.loads(result.stdout)["dropped"] == 1


def test_dedup_keeps_one_of_many_copies_and_the_first_of_equals(tmp_path):
    import random

    rng = random.Random(11)
    vocabulary = _vocabulary(rng, 2000)
    notice = _article(rng, vocabulary, 60)
    others = [_article(rng, vocabulary) for _ in range(6)]
    (tmp_path / "in").mkdir()
    for shard in range(3):
        write_jsonl(tmp_path / "in" / f"{shard}.jsonl",
                    [{"id": f"notice-{shard}-{n}", "text": notice} for n in range(10)]
                    + [{"id": f"other-{shard}-{n}", "text": others[shard * 2 + n]} for n in range(2)])
    job = Job(bundle_from_dict(NO_RULES), str(tmp_path / "out"))
    summary = run_local(job, find_partitions([str(tmp_path / "in")]), workers=1, dedup=True)
    assert (summary.records, summary.dropped) == (7, 29)
    assert summary.line() == ("applied the rules to 7 records in 3 partitions (local engine); "
                              "29 near-duplicates left out (see the *.duplicates.jsonl files)")
    kept = [json.loads(line)["id"] for n in range(3) for line in open(tmp_path / "out" / f"{n}.jsonl")]
    assert [k for k in kept if k.startswith("notice")] == ["notice-0-0"]


def test_a_records_own_fields_are_written_as_they_were_read(ruled_seeds, tmp_path):
    """JSON would change them when parsed and written again: 1.0000000000000001 becomes 1.0,
    1e400 becomes Infinity (not JSON), \\u00e9 becomes é. The two fields are added before the
    closing brace; a record that has one of them already is written again, fields in order."""
    _, bundle_dict, texts, exported = ruled_seeds
    (tmp_path / "rules.json").write_text(json.dumps(bundle_dict))
    path, text = next((p, t) for p, t in texts.items() if exported[p]["boilerplate"])
    body = json.dumps(text)  # ASCII, with \\u escapes
    lines = [
        '\ufeff{"id":1,"score":1.0000000000000001,"big":1e400,"text":' + body + '}  \r',
        '{ "id" : 2 , "name": "caf\\u00e9", "text": ' + body + ' }',
        json.dumps({"id": 3, "text": text, "attributes": {"other": [[0, 1, 0.5]]}}),
        json.dumps({"id": 4, "text": "lone \ud800 surrogate in a boilerplate line\n" + APPEAL[:10]}),
        '{"id": 5, "name": "café ✓", "text": ' + body + '}',  # UTF-8 that is not ASCII, kept as it was
    ]
    (tmp_path / "in.jsonl").write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n")
    job = Job(load_bundle(tmp_path / "rules.json"), str(tmp_path / "out"), text_field="text", id_field="id")
    run_local(job, find_partitions([str(tmp_path / "in.jsonl")]), workers=1)
    written = (tmp_path / "out" / "in.jsonl").read_text(encoding="utf-8").splitlines()
    clean = json.dumps(exported[path]["clean_text"], ensure_ascii=False)
    spans = json.dumps([[b["start"], b["end"], 1.0] for b in exported[path]["boilerplate"]])
    assert written[0] == ('{"id":1,"score":1.0000000000000001,"big":1e400,"text":' + body
                          + f', "clean_text": {clean}, "attributes": {{"{ATTRIBUTE}": {spans}}}}}')
    assert written[1].startswith('{ "id" : 2 , "name": "caf\\u00e9", "text": ' + body + ' , "clean_text": ')
    assert json.loads(written[1])["clean_text"] == exported[path]["clean_text"]
    assert written[3].startswith('{"id": 5, "name": "café ✓", "text": ' + body + f', "clean_text": {clean}, ')
    third = json.loads(written[2])
    assert list(third) == ["id", "text", "attributes", "clean_text"]
    assert third["attributes"]["other"] == [[0, 1, 0.5]] and third["clean_text"] == exported[path]["clean_text"]
    rejects = [json.loads(line) for line in open(tmp_path / "out" / "in.rejects.jsonl")]
    assert [(r["line"], "surrogate" in r["error"]) for r in rejects] == [(4, True)]


# -- reading a JSONL line ----------------------------------------------------------------------

_JSON_PIECES = ['{', '}', '"text"', ': ', '"a\\u00e9 \\ud800"', ', ', '[1, 2.5e400]', 'null', ' ', '\t', '\r', '\n',
                '"é ✓"', '{"x": {"y": []}}', 'NaN', '1.0000000000000001', '"', '\\', 'x', '\x00', '\ufeff']


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.lists(st.sampled_from(_JSON_PIECES), max_size=12).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
    st.builds(lambda value, pad: (pad + json.dumps(value) + pad).encode("utf-8"),
              st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.floats(), st.text(max_size=10), st.none()),
                              max_size=4), st.sampled_from(["", " ", "\r\n", "\t \n"])),
    st.builds(lambda value, codec: json.dumps(value).encode(codec),
              st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.sampled_from(["utf-16-le", "utf-16", "utf-32"])),
    st.binary(max_size=12).map(lambda tail: b"{" + tail),
))
def test_a_line_is_read_as_json_loads_reads_it(raw):
    """``_loads`` takes a shortcut for lines that start with ``{``: same value, or same error."""
    try:
        expected = ("value", json.loads(raw))
    except (ValueError, RecursionError) as error:
        expected = ("error", type(error), str(error))
    try:
        found = ("value", _loads(raw))
    except (ValueError, RecursionError) as error:
        found = ("error", type(error), str(error))
    assert repr(found) == repr(expected)  # repr: NaN equals itself there


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from('"\\\n\r\t\x00\x1f\x7f\u2028\u2029\x85é✓'))))
def test_a_clean_text_is_written_as_json_writes_it(text):
    """With the line separators escaped, as the export writes them."""
    from corpus_tui.core.apply_records import json_string_utf8
    from corpus_tui.core.export.json_formats import escape_separators

    try:
        expected = escape_separators(json.dumps(text, ensure_ascii=False)).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the record is rejected either way
        with pytest.raises(UnicodeEncodeError):
            json_string_utf8(text)
        return
    assert json_string_utf8(text) == expected


def test_inputs_that_would_be_lost_or_are_not_inputs_are_refused_in_one_line(ruled_seeds, tmp_path, run_main):
    """An input named like another's side file (x.rejects.jsonl beside x.jsonl: an earlier run's
    output folder given back) was read, then overwritten by x's rejects: its records gone, exit 0.
    A folder with no input and a file apply does not read ended as an empty success."""
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(ruled_seeds[1]))
    shards = tmp_path / "shards"
    shards.mkdir()
    (shards / "x.jsonl").write_text('{"id": "a", "text": "hello world"}\nnot json\n', encoding="utf-8")
    (shards / "x.rejects.jsonl").write_text('{"id": "b", "text": "a record of its own"}\n', encoding="utf-8")
    out = tmp_path / "out"
    assert_one_line_error(run_main("apply", rules, shards, "-o", out),
                          f"{shards / 'x.rejects.jsonl'}: apply writes x.rejects.jsonl for {shards / 'x.jsonl'}")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("text", encoding="utf-8")
    assert_one_line_error(run_main("apply", rules, empty, "-o", out), f"{empty}: no input file in this folder")
    assert_one_line_error(run_main("apply", rules, empty / "notes.txt", "-o", out),
                          "notes.txt: not an input apply reads: its name must end in .jsonl, .json, .ndjson or .parquet")
    assert not out.exists()


def test_a_rerun_with_other_rules_or_a_changed_input_is_refused_not_resumed(ruled_seeds, tmp_path, run_main):
    """A rerun into the same folder with another bundle said '1 partition already done, skipped',
    exit 0, and left the old rules' clean_text there."""
    _, bundle, texts, _ = ruled_seeds
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    write_jsonl(crawl / "part.jsonl", [{"id": p, "text": t} for p, t in texts.items()])
    (tmp_path / "rules.json").write_text(json.dumps(bundle))
    (tmp_path / "none.json").write_text(json.dumps({**bundle, "rules": []}))
    out = tmp_path / "out"
    assert run_main("apply", tmp_path / "none.json", crawl, "-o", out).returncode == 0
    before = (out / "part.jsonl").read_bytes()
    assert_one_line_error(run_main("apply", tmp_path / "rules.json", crawl, "-o", out),
                          "its finished partitions were written by a run with other rules or options")
    assert (out / "part.jsonl").read_bytes() == before
    if importlib.util.find_spec("pyarrow") is not None:  # the other format: it wrote beside, replacing the rejects
        assert_one_line_error(run_main("apply", tmp_path / "none.json", crawl, "-o", out, "--format", "parquet"),
                              "its finished partitions were written by a run with other rules or options")
        assert not (out / "part.parquet").exists()
    again = run_main("apply", tmp_path / "none.json", crawl, "-o", out)  # the same run resumes
    assert again.returncode == 0 and "1 partition already done, skipped" in again.stderr
    write_jsonl(crawl / "more.jsonl", [{"id": "x", "text": "A new shard."}])  # a new input: written
    grown = run_main("apply", tmp_path / "none.json", crawl, "-o", out)
    assert grown.returncode == 0 and (out / "more.jsonl").exists()
    write_jsonl(crawl / "part.jsonl", [{"id": "y", "text": "Changed since."}])
    assert_one_line_error(run_main("apply", tmp_path / "none.json", crawl, "-o", out),
                          "part.jsonl: changed since", "was written from it")


def test_an_output_folder_inside_an_input_folder_is_refused(tmp_path, run_main):
    """Accepted, its rerun read its own outputs as inputs (out/out__p.jsonl)."""
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    write_jsonl(crawl / "p.jsonl", [{"id": 1, "text": "hello"}])
    (tmp_path / "r.json").write_text(json.dumps({"format": "corpus-tui-rules", "version": 1, "normalization": NORMALIZATION_VERSION,
                                                 "rules": []}))
    for output in (crawl / "out", crawl):
        assert_one_line_error(run_main("apply", tmp_path / "r.json", crawl, "-o", output),
                              "the output folder is inside the input folder")
    for output in (crawl, tmp_path):  # an input file in the output folder: its output would be it
        assert_one_line_error(run_main("apply", tmp_path / "r.json", crawl / "p.jsonl", "-o", output),
                              "the output folder holds the input")
    assert sorted(p.name for p in crawl.iterdir()) == ["p.jsonl"]


def test_dedup_leaves_out_a_record_only_for_a_keeper_it_is_a_near_duplicate_of(tmp_path):
    """A chain of pairs (a long article A like B, B like a short C, A and C nothing alike) made
    one cluster, and C was left out "for" A: 213 records of 2,000 dropped where the corpus saw
    19 pairs. Now C, unlike the keeper A, is kept; B, a near-duplicate of A, is left out."""
    import random

    rng = random.Random(5)
    vocabulary = _vocabulary(rng, 5000)
    first = [rng.choice(vocabulary) for _ in range(150)]
    last = [rng.choice(vocabulary) for _ in range(40)]
    records = {"A": first, "B": first[80:] + last[:30], "C": last}
    (tmp_path / "in").mkdir()
    write_jsonl(tmp_path / "in" / "0.jsonl", [{"id": key, "text": " ".join(words)} for key, words in records.items()])
    job = Job(bundle_from_dict(NO_RULES), str(tmp_path / "out"))
    summary = run_local(job, find_partitions([str(tmp_path / "in")]), workers=1, dedup=True)
    kept = [json.loads(line)["id"] for line in open(tmp_path / "out" / "0.jsonl")]
    assert kept == ["A", "C"] and summary.dropped == 1
    dropped = [json.loads(line) for line in open(tmp_path / "out" / "0.duplicates.jsonl")]
    assert [(d["id"], d["line"], d["kept"]["line"]) for d in dropped] == [("B", 2, 1)]


def test_a_parquet_input_keeps_its_own_column_types_in_the_parquet_output(tmp_path):
    """Guessed from the first record, a nullable column whose first value was null became a
    string column and the records with a number there were rejected; int32 became int64."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    (tmp_path / "in").mkdir()
    source = tmp_path / "in" / "t.parquet"
    pq.write_table(pa.table({"id": ["0", "1", "2", "3"], "text": [f"text {n} here" for n in range(4)],
                             "n": pa.array([None, 1, 2, 3], pa.int64()), "i32": pa.array([0, 1, 2, 3], pa.int32())}),
                   source)
    job = Job(bundle_from_dict(NO_RULES), str(tmp_path / "out"), fmt="parquet")
    summary = run_local(job, find_partitions([str(tmp_path / "in")]), workers=1)
    assert summary.records == 4 and summary.rejected == 0
    table = pq.read_table(tmp_path / "out" / "t.parquet")
    assert table.schema.field("n").type == pa.int64() and table.schema.field("i32").type == pa.int32()
    assert table.column("n").to_pylist() == [None, 1, 2, 3]
    assert table.column("clean_text").to_pylist() == [f"text {n} here" for n in range(4)]


def test_a_parquet_input_that_does_not_read_every_record_rejected_and_o_dash_are_errors(tmp_path, run_main):
    """A cut Parquet file was a traceback; a wrong --text-field rejected every record with exit 0
    (a script took it for success); -o - made a folder named '-'."""
    (tmp_path / "rules.json").write_text(json.dumps(NO_RULES))
    rules, out = tmp_path / "rules.json", tmp_path / "out"
    if importlib.util.find_spec("pyarrow") is not None:
        (tmp_path / "cut.parquet").write_bytes(b"PAR1 not really")
        assert_one_line_error(run_main("apply", rules, tmp_path / "cut.parquet", "-o", out),
                              "cut.parquet: not a Parquet file apply can read")
        assert not out.exists()
    write_jsonl(tmp_path / "in.jsonl", [{"id": n, "text": f"record {n}"} for n in range(3)])
    result = run_main("apply", rules, tmp_path / "in.jsonl", "-o", out, "--text-field", "body")
    assert_one_line_error(result, "every record read was rejected (3;")  # no success-like summary before it
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["in.rejects.jsonl"]
    fixed = run_main("apply", rules, tmp_path / "in.jsonl", "-o", out)  # the corrected command, same folder
    assert fixed.returncode == 0, fixed.stderr
    assert [json.loads(line)["clean_text"] for line in open(out / "in.jsonl")] == [f"record {n}" for n in range(3)]
    assert not (out / "in.rejects.jsonl").exists()  # the failed run's: nothing was rejected this time
    (tmp_path / "array.json").write_text(json.dumps([{"id": 1, "text": "one"}, {"id": 2, "text": "two"}], indent=1))
    assert run_main("apply", rules, tmp_path / "array.json", "-o", tmp_path / "out2").returncode == 1
    result = run_main("apply", rules, tmp_path / "in.jsonl", "-o", "-", cwd=tmp_path)
    assert result.returncode == 2 and not (tmp_path / "-").exists()


def _children_of(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_apply_killed_leaves_no_worker_behind(ruled_seeds, tmp_path):
    """After a kill -9 of apply, its two workers slept for good on their task pipe (a trial)."""
    import signal
    import subprocess
    import sys
    import time

    _, bundle, texts, _ = ruled_seeds
    (tmp_path / "rules.json").write_text(json.dumps(bundle))
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    records = [{"id": n, "text": text} for n, text in enumerate(list(texts.values()) * 400)]
    for part in range(6):
        write_jsonl(crawl / f"{part}.jsonl", records)
    apply = subprocess.Popen([sys.executable, "-m", "corpus_tui", "apply", str(tmp_path / "rules.json"), str(crawl),
                              "-o", str(tmp_path / "out"), "-j", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 30
        while len(workers) < 2 and apply.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = [pid for pid in _children_of(apply.pid)
                       if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(workers) == 2, "the workers never started"
        time.sleep(0.3)  # at work
        apply.send_signal(signal.SIGKILL)
        apply.wait()
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, workers))
    finally:
        apply.kill()
        apply.wait()


def test_inputs_leave_out_hidden_files_and_refuse_an_output_folder_a_file_twice_and_a_dead_link(tmp_path, run_main):
    """A trial and a review: an earlier output folder given back was read (its .apply-run.json
    among the inputs), a crawl's .cache and .hidden.jsonl were written out, one file reached
    through two inputs was written twice, and a link to nothing was skipped without a word."""
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(NO_RULES))
    crawl = tmp_path / "crawl"
    (crawl / "sub").mkdir(parents=True)
    (crawl / ".cache").mkdir()
    for name in ("a.jsonl", "sub/b.jsonl", ".hidden.jsonl", ".cache/tmp.jsonl"):
        write_jsonl(crawl / name, [{"id": name, "text": f"the text of {name}"}])
    out = tmp_path / "out"
    assert run_main("apply", rules, crawl, "-o", out).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == [".apply-run.json", "a.jsonl", "sub__b.jsonl"]
    assert_one_line_error(run_main("apply", rules, out, "-o", tmp_path / "again"),
                          f"{out}: an output folder of apply (it holds .apply-run.json)")
    assert_one_line_error(run_main("apply", rules, crawl, crawl / "sub", "-o", tmp_path / "twice"),
                          "sub/b.jsonl: reached twice through the inputs given: give it once")
    both = tmp_path / "both"  # a crawl and, below it, an earlier output written from it
    shutil.copytree(out, both / "cleaned")
    shutil.copytree(crawl, both / "crawl")
    assert_one_line_error(run_main("apply", rules, both, "-o", tmp_path / "again"),
                          f"{both / 'cleaned'}: an output folder of apply")
    (crawl / "sub" / "hard.jsonl").hardlink_to(crawl / "a.jsonl")
    assert_one_line_error(run_main("apply", rules, crawl, "-o", tmp_path / "twice"),
                          "the same file as", "reached through two inputs")
    (crawl / "sub" / "hard.jsonl").unlink()
    assert_one_line_error(run_main("apply", rules, crawl / "a.jsonl", crawl / "a.jsonl", "-o", tmp_path / "twice"),
                          "a.jsonl: reached twice through the inputs given: give it once")
    (crawl / "gone.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    assert_one_line_error(run_main("apply", rules, crawl, "-o", tmp_path / "dead"),
                          "gone.jsonl: not a file apply reads (a link to nothing")
    assert_one_line_error(run_main("apply", rules, crawl / "gone.jsonl", "-o", tmp_path / "dead"),
                          "gone.jsonl: not a file or folder apply reads")
    assert not (tmp_path / "again").exists() and not (tmp_path / "twice").exists() and not (tmp_path / "dead").exists()


def test_line_separators_in_the_clean_text_are_written_escaped(tmp_path, run_main):
    """An escaped U+2028 in a record came out raw in clean_text: str.splitlines cut the record
    in two, where the export writes it escaped (a trial)."""
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(NO_RULES))
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    texts = ["one\u2028two", "three\x85four\u2029five", "six\u2028\x01seven"]
    (crawl / "a.jsonl").write_text("".join(json.dumps({"id": n, "text": t}) + "\n" for n, t in enumerate(texts))
                                   + json.dumps({"id": 9, "text": "x\u2028y", "attributes": {}}) + "\n"
                                   # raw in the input (JSON allows it in a string): escaped in the output
                                   + json.dumps({"id": 10, "text": "p\u2028q", "title": "r\x85s"},
                                                ensure_ascii=False) + "\n", encoding="utf-8")
    assert run_main("apply", rules, crawl, "-o", tmp_path / "out").returncode == 0
    written = (tmp_path / "out" / "a.jsonl").read_text(encoding="utf-8")
    assert len(written.splitlines()) == 5
    records = [json.loads(line) for line in written.splitlines()]
    assert [record["clean_text"] for record in records] == [*texts, "x\u2028y", "p\u2028q"]
    assert records[-1]["text"] == "p\u2028q" and records[-1]["title"] == "r\x85s"


def test_a_dedup_run_recorded_before_the_id_field_was_resumes(planted, tmp_path, run_main):
    """Its decisions' record had no id field: the identical rerun of an interrupted run was
    refused as "a run with other inputs, rules or options" (a review)."""
    rules, shards, _ = planted
    out = tmp_path / "out"
    assert run_main("apply", rules, shards, "-o", out, "--dedup").returncode == 0
    before = (out / "2.jsonl").read_bytes()
    decisions = out / ".dedup" / "decisions.json"
    record = json.loads(decisions.read_text())
    del record["identity"]["id_field"]  # as the version before wrote it
    decisions.write_text(json.dumps(record))
    (out / "2.jsonl").unlink()  # interrupted before its last partition
    result = run_main("apply", rules, shards, "-o", out, "--dedup")
    assert result.returncode == 0, result.stderr
    assert (out / "2.jsonl").read_bytes() == before
