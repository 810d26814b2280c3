"""Importing a jsonl export: round trip, merging, conflicts, validation, the CLI."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import assert_one_line_error, copy_seeds
from test_export_formats import annotate

from corpus_tui.core.annotation_import import InvalidImport, import_annotations
from corpus_tui.core.export import export

SEED = "000_017fdcef885307d4.txt"


def state(corpus) -> dict:
    """Everything an import restores, with provenance, independent of row ids."""
    return {
        "spans": corpus.query(
            'SELECT d.path, kind, start, "end", label, s.note, reason, quote, prefix, suffix, anchor, s.annotator, '
            's.created_at FROM spans s JOIN documents d ON d.id = s.document_id '
            'ORDER BY d.path, kind, start, "end", label, s.annotator'
        ),
        "tags": corpus.query(
            "SELECT d.path, t.name, dt.annotator, dt.created_at FROM document_tags dt JOIN tags t ON t.id = dt.tag_id "
            "JOIN documents d ON d.id = dt.document_id ORDER BY d.path, t.key"
        ),
        "documents": corpus.query("SELECT path, status, note FROM documents ORDER BY path"),
    }


@pytest.fixture
def annotated(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy, annotator="alice")
    corpus.scan()
    annotate_seeds(corpus, open_corpus(seeds_copy, annotator="bob"))
    return corpus


def annotate_seeds(corpus, other):
    """The shared annotation script, minus the documents only the format tests add."""
    extra = corpus.folder / "sub/deeper/extra.md"
    extra.parent.mkdir(parents=True)
    extra.write_text("NAV | HOME\n\nBody one.\n\nBody two.\n")
    corpus.scan()
    annotate(corpus, other)
    copy = corpus.folder.parent / "fresh"
    copy_seeds(copy)
    (copy / "sub/deeper").mkdir(parents=True)
    shutil.copy2(extra, copy / "sub/deeper/extra.md")


@pytest.fixture
def fresh(annotated, open_corpus):
    corpus = open_corpus(annotated.folder.parent / "fresh", annotator="carol")
    corpus.scan()
    return corpus


@pytest.fixture
def exported(annotated, tmp_path):
    out = tmp_path / "first.jsonl"
    export(annotated, "jsonl", out)
    return out


# -- round trip ------------------------------------------------------------------------------------


def test_round_trip_is_byte_identical_and_keeps_provenance(annotated, fresh, exported, tmp_path):
    summary = import_annotations(fresh, exported)
    assert summary.conflicts == [] and summary.documents_changed == 4
    second = tmp_path / "second.jsonl"
    export(fresh, "jsonl", second)
    assert second.read_bytes() == exported.read_bytes()
    assert state(fresh) == state(annotated)  # annotator and created times too, for spans and tag links
    (event,) = fresh.query("SELECT action, annotator, payload FROM events WHERE action LIKE 'import%'")
    assert event["annotator"] == "carol" and json.loads(event["payload"])["spans_added"] == summary.spans_added


def test_import_twice_changes_nothing(fresh, exported):
    import_annotations(fresh, exported)
    before = state(fresh)
    events = fresh.query("SELECT COUNT(*) AS n FROM events")[0]["n"]
    again = import_annotations(fresh, exported)
    assert (again.documents_changed, again.spans_added, again.tags_added) == (0, 0, 0)
    assert state(fresh) == before and fresh.query("SELECT COUNT(*) AS n FROM events")[0]["n"] == events


def test_round_trip_through_the_cli_with_stdin(annotated, fresh, run_main, tmp_path):
    import subprocess
    import sys

    exported = subprocess.run([sys.executable, "-m", "corpus_tui", "export", annotated.folder],
                              capture_output=True, check=True).stdout
    result = subprocess.run([sys.executable, "-m", "corpus_tui", "import", fresh.folder, "-"],
                            input=exported, capture_output=True, check=True)
    assert result.stdout.decode().startswith("6 records read, changed 4 documents")
    again = run_main("export", fresh.folder, "-o", tmp_path / "again.jsonl")
    assert again.returncode == 0 and (tmp_path / "again.jsonl").read_bytes() == exported


def test_undo_after_import_leaves_the_import_alone(fresh, exported):
    import_annotations(fresh, exported)
    before = state(fresh)
    assert fresh.undo() is None
    assert state(fresh) == before


# -- merging and conflicts ---------------------------------------------------------------------------


def test_spans_and_boilerplate_merge_with_existing_ones(fresh, exported):
    doc = fresh.document_by_path(SEED)
    text = fresh.text(doc.id)
    start = text.index("By [South Front]")
    fresh.mark_boilerplate(doc.id, start - 5, start + 3, reason="mine")  # overlaps the file's byline range
    mosul = text.index("Mosul")
    fresh.add_annotation(doc.id, mosul, mosul + 5, "GPE", note="city\nin Iraq")  # the same span as the file's
    fresh.add_annotation(doc.id, 0, 10, "OURS")
    fresh.add_tag(doc.id, "ours")
    import_annotations(fresh, exported)
    spans = fresh.spans(doc.id)
    labels = sorted(s.label for s in spans if s.kind == "annotation")
    assert labels == ["GPE", "OURS", "Place name"]
    boilerplate = [(s.start, s.end, s.reason) for s in spans if s.kind == "boilerplate"]
    byline_end = start + len("By [South Front](#)\n")
    assert boilerplate == [(0, 2, None), (start - 5, byline_end, "mine")]  # one merged range, our reason kept
    assert [t.name for t in fresh.document_tags(doc.id)] == ["civil war", "Iraq", "ours"]


@pytest.mark.parametrize("prefer, status, note", [
    (None, "skipped", "our note"),
    ("ours", "skipped", "our note"),
    ("theirs", "reviewed", "checked twice\n– ünïcode note"),
])
def test_differing_status_and_note_are_conflicts(fresh, exported, prefer, status, note):
    doc = fresh.document_by_path(SEED)
    fresh.set_status(doc.id, "skipped")
    fresh.set_note(doc.id, "our note")
    summary = import_annotations(fresh, exported, prefer=prefer)
    assert sorted(c.field for c in summary.conflicts) == ["note", "status"]
    assert {c.kept for c in summary.conflicts} == {prefer or "ours"}
    assert (fresh.document(doc.id).status, fresh.document(doc.id).note) == (status, note)
    assert summary.conflicts[0].line().startswith(f"{SEED}: ")


def test_unset_values_on_our_side_are_not_conflicts(fresh, exported):
    doc = fresh.document_by_path("001_07e63e06108ae30e.txt")
    summary = import_annotations(fresh, exported)
    assert summary.conflicts == [] and fresh.document(doc.id).status == "in_progress"


def test_dry_run_reports_and_writes_nothing(fresh, exported, run_main):
    before = state(fresh)
    summary = import_annotations(fresh, exported, dry_run=True)
    assert summary.dry_run and summary.documents_changed == 4 and summary.spans_added == 5
    assert state(fresh) == before
    result = run_main("import", fresh.folder, exported, "--dry-run")
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{SEED}: +tag civil war, +tag Iraq, +2 spans")
    assert lines[-1].endswith("dry run, nothing written") and state(fresh) == before


def test_match_by_content_after_a_rename(fresh, exported, open_corpus):
    (fresh.folder / SEED).rename(fresh.folder / "renamed.txt")
    fresh.scan()  # same content, new path: the document moved
    with pytest.raises(InvalidImport, match="not a document"):
        import_annotations(fresh, exported)
    summary = import_annotations(fresh, exported, match="sha256")
    assert summary.documents_changed == 4
    assert fresh.document_by_path("renamed.txt").status == "reviewed"


# -- validation: all or nothing ------------------------------------------------------------------------


def rewrite(path, line_index, change):
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[line_index])
    change(record)
    lines[line_index] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _shift_span(record):
    record["spans"][0]["start"] += 1


def _out_of_range(record):
    record["boilerplate"][0]["end"] = len(record["text"]) + 5


def _empty(record):  # it was said to be "outside the text"
    record["boilerplate"][0]["end"] = record["boilerplate"][0]["start"]


BREAKAGES = {
    "not valid JSON": lambda r: None,
    "newer than this corpus-tui": lambda r: r.update(schema=2),
    "not a document of this corpus": lambda r: r.update(path="nope.txt"),
    "text does not match": _shift_span,
    "outside the text": _out_of_range,
    "is empty: its end must be after its start": _empty,
    "sha256 mismatch": lambda r: r.update(sha256="0" * 64),
    "unknown status": lambda r: r.update(status="done"),
    "needs a label": lambda r: r["spans"][0].update(label=" "),
    "label 'a␛b' holds a control character": lambda r: r["spans"][0].update(label="a\x1bb"),
    "tag 'x␀y' holds a control character": lambda r: r.update(tags=["x\x00y"]),
}


@pytest.mark.parametrize("reason", sorted(BREAKAGES))
def test_a_bad_line_stops_the_whole_import(fresh, exported, run_main, reason):
    if reason == "not valid JSON":
        lines = exported.read_text(encoding="utf-8").splitlines()
        lines[2] = lines[2][:-1]
        exported.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        rewrite(exported, 2 if reason == "not a document of this corpus" else 0, BREAKAGES[reason])
    before = state(fresh)
    events = fresh.query("SELECT COUNT(*) AS n FROM events")[0]["n"]
    with pytest.raises(InvalidImport, match=reason):
        import_annotations(fresh, exported)
    result = run_main("import", fresh.folder, exported)
    line = assert_one_line_error(result, f"{exported}:", reason)
    assert line.startswith("corpus-tui: error: ")
    assert state(fresh) == before and fresh.query("SELECT COUNT(*) AS n FROM events")[0]["n"] == events


def test_a_tag_holding_a_semicolon_is_restored_with_a_warning(fresh, exported):
    """Such a tag (an earlier version made it) is restored, as a backup must be, and said: the
    CSV export writes it as two tags (a trial found it made without a word)."""
    rewrite(exported, 0, lambda r: r.update(tags=["x;y"]))
    summary = import_annotations(fresh, exported)
    assert summary.warnings == ["tag 'x;y' holds ';', which the csv export and import-tags read as two tags: "
                                "'corpus-tui tags rename' gives it another name"]
    path = json.loads(exported.read_text(encoding="utf-8").splitlines()[0])["path"]
    assert "x;y" in [tag.name for tag in fresh.document_tags(fresh.document_by_path(path).id)]
    assert import_annotations(fresh, exported).warnings == []  # there now: nothing made, nothing said


def test_every_problem_is_collected(fresh, exported):
    rewrite(exported, 0, lambda r: r.update(path="nope.txt"))
    rewrite(exported, 1, lambda r: r.update(status="done"))
    with pytest.raises(InvalidImport) as caught:
        import_annotations(fresh, exported)
    assert len(caught.value.problems) == 2 and "(and 1 more problem)" in str(caught.value)
    # In line order, whichever check found them: the path on line 1 is matched after line 2 is read.
    assert [problem.split(":")[1] for problem in caught.value.problems] == ["1", "2"]
    assert str(caught.value).startswith(f"{exported}:1: nope.txt")


def test_the_cli_says_how_many_more_problems_and_the_dry_run_lists_them_all(fresh, exported, run_main):
    rewrite(exported, 0, lambda r: r.update(path="nope.txt"))
    rewrite(exported, 1, lambda r: r.update(status="done"))
    rewrite(exported, 2, lambda r: r.update(status="later"))
    result = run_main("import", fresh.folder, exported)
    assert_one_line_error(result, f"{exported}:1: nope.txt", "(and 2 more problems: --dry-run lists them all; "
                                  "nothing was imported)")
    result = run_main("import", fresh.folder, exported, "--dry-run")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [line.split(":")[:2] for line in result.stdout.splitlines()] == [["problem", f" {exported}"]] * 3
    assert ":1: nope.txt" in result.stdout and ":2: " in result.stdout and "'later'" in result.stdout
    (line,) = result.stderr.splitlines()
    assert f"{exported}:1: nope.txt" in line and "(3 problems in all, listed on stdout; nothing was imported)" in line
    rewrite(exported, 1, lambda r: r.update(status="new"))
    rewrite(exported, 2, lambda r: r.update(status="new"))
    result = run_main("import", fresh.folder, exported, "--dry-run")  # one problem: listed all the same
    assert result.stdout.startswith(f"problem: {exported}:1: nope.txt") and len(result.stdout.splitlines()) == 1


def test_a_truncated_line_says_where_its_json_ends_in_plain_words(fresh, exported):
    first = exported.read_text(encoding="utf-8").split("\n")[0]
    exported.write_text(first[: first.index('"path":"') + 12], encoding="utf-8")  # inside the path string
    with pytest.raises(InvalidImport) as caught:
        import_annotations(fresh, exported)
    assert "not valid JSON (Unterminated string starting at column" in str(caught.value)
    assert " at at " not in str(caught.value)


def test_a_document_named_twice_is_refused(fresh, exported):
    lines = exported.read_text(encoding="utf-8").splitlines()
    exported.write_text("\n".join(lines + lines[:1]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidImport, match="also imported by line 1"):
        import_annotations(fresh, exported)


@pytest.mark.parametrize("args, needle", [
    (["{tmp}/missing.jsonl"], "no such file"),
    (["{tmp}"], "is a folder"),
    (["{exported}", "--prefer", "mine"], "mine"),
])
def test_cli_file_errors(fresh, exported, tmp_path, run_main, args, needle):
    before = state(fresh)
    result = run_main("import", fresh.folder, *[a.format(tmp=tmp_path, exported=exported) for a in args])
    assert_one_line_error(result, needle)
    assert state(fresh) == before


# -- validation: every field the import reads has its JSON type ---------------------------------------


def _set(*keys, value):
    """A change to a record: ``record[k1][k2]... = value`` (``value`` DELETE removes the key)."""
    def change(record):
        *parents, last = keys
        for key in parents:
            record = record[key]
        if value is DELETE:
            del record[last]
        else:
            record[last] = value
    return change


DELETE = object()
WRONG_TYPES = [  # (change to the first record, its path, problem)
    (_set("spans", value=0), f"{SEED}: field 'spans' must be a list, not 0"),
    (_set("spans", value={}), f"{SEED}: field 'spans' must be a list, not an object"),
    (_set("boilerplate", value=False), f"{SEED}: field 'boilerplate' must be a list, not false"),
    (_set("tags", value="Iraq"), f"{SEED}: field 'tags' must be a list, not a string"),
    (_set("tags", 1, value=5), f"{SEED}: field 'tags[1]' must be a string, not 5"),
    (_set("tags", 0, value=" "), f"{SEED}: field 'tags[0]' is empty: tags must be non-empty strings"),
    (_set("tag_links", value=0), f"{SEED}: field 'tag_links' must be a list, not 0"),
    (_set("tag_links", 0, value="Iraq"), f"{SEED}: field 'tag_links[0]' must be an object, not a string"),
    (_set("tag_links", 0, "tag", value=5), f"{SEED}: field 'tag_links[0].tag' must be a string, not 5"),
    (_set("tag_links", 1, "tag", value=DELETE), f"{SEED}: field 'tag_links[1].tag' is missing"),
    (_set("tag_links", 0, "annotator", value=[]), f"{SEED}: field 'tag_links[0].annotator' must be a string, not a list"),
    (_set("path", value=5), "field 'path' must be a string, not 5"),
    (_set("sha256", value=5), f"{SEED}: field 'sha256' must be a string, not 5"),
    (_set("status", value=1), f"{SEED}: field 'status' must be a string, not 1"),
    (_set("note", value=["x"]), f"{SEED}: field 'note' must be a string, not a list"),
    (_set("schema", value="1"), "field 'schema' must be a positive integer, not a string"),
    (_set("spans", 0, value=3), f"{SEED}: field 'spans[0]' must be an object, not 3"),
    (_set("spans", 0, "start", value="0"), f"{SEED}: field 'spans[0].start' must be an integer, not a string"),
    (_set("spans", 1, "end", value=1.5), f"{SEED}: field 'spans[1].end' must be an integer, not 1.5"),
    (_set("spans", 0, "start", value=True), f"{SEED}: field 'spans[0].start' must be an integer, not true"),
    (_set("spans", 0, "end", value=DELETE), f"{SEED}: field 'spans[0].end' is missing"),
    (_set("spans", 0, "label", value=5), f"{SEED}: field 'spans[0].label' must be a string, not 5"),
    (_set("spans", 0, "note", value=5), f"{SEED}: field 'spans[0].note' must be a string, not 5"),
    (_set("spans", 0, "text", value=5), f"{SEED}: field 'spans[0].text' must be a string, not 5"),
    (_set("spans", 0, "annotator", value={}), f"{SEED}: field 'spans[0].annotator' must be a string, not an object"),
    (_set("spans", 0, "created", value=0), f"{SEED}: field 'spans[0].created' must be a string, not 0"),
    (_set("boilerplate", 1, "reason", value=5), f"{SEED}: field 'boilerplate[1].reason' must be a string, not 5"),
    (_set("boilerplate", 0, "start", value=None), f"{SEED}: field 'boilerplate[0].start' must be an integer, not null"),
]


@pytest.mark.parametrize("change, problem", WRONG_TYPES, ids=[problem for _, problem in WRONG_TYPES])
def test_a_field_of_the_wrong_type_is_refused(fresh, exported, change, problem):
    rewrite(exported, 0, change)
    before = state(fresh)
    with pytest.raises(InvalidImport) as refused:
        import_annotations(fresh, exported)
    assert refused.value.problems == [f"{exported}:1: {problem}"]
    assert state(fresh) == before


def test_no_spans_as_zero_is_refused_by_the_cli(fresh, exported, run_main):
    rewrite(exported, 0, _set("spans", value=0))
    before = state(fresh)
    result = run_main("import", fresh.folder, exported)
    assert_one_line_error(result, f"{exported}:1: {SEED}: field 'spans' must be a list, not 0")
    assert state(fresh) == before


@pytest.mark.parametrize("line, problem", [
    ("[" * 100_000, "not valid JSON here: nested too deeply"),
    ('{"schema": 1, "id": ' + "7" * 5000 + "}", "not valid JSON here: Exceeds the limit (4300 digits)"),
], ids=["100,000 [", "5,000 digits"])
def test_json_that_python_cannot_read_is_a_line_of_the_file(fresh, exported, run_main, line, problem):
    lines = exported.read_text(encoding="utf-8").splitlines()
    lines[2] = line
    exported.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = state(fresh)
    with pytest.raises(InvalidImport) as refused:
        import_annotations(fresh, exported)
    assert refused.value.problems[0].startswith(f"{exported}:3: {problem}")
    assert_one_line_error(run_main("import", fresh.folder, exported), f"{exported}:3: {problem}")
    assert state(fresh) == before


def test_duplicate_marks_are_restored_checked_and_kept_on_conflict(annotated, fresh, tmp_path):
    """An analyst's duplicate marks did not come back: the round trip differed in duplicate_of
    alone, and a file naming a document that is not there was accepted (a trial)."""
    first, second = (annotated.document_by_path(p).id for p in ("000_017fdcef885307d4.txt", "001_07e63e06108ae30e.txt"))
    annotated.mark_duplicate(second, first)
    out = tmp_path / "marked.jsonl"
    export(annotated, "jsonl", out)
    summary = import_annotations(fresh, out)
    assert summary.duplicates_set == 1 and "1 duplicate mark" in summary.line()
    assert any(change.startswith("001_07e63e06108ae30e.txt: ") and "duplicate of 000_017fdcef885307d4.txt" in change
               for change in summary.changes)
    again = tmp_path / "again.jsonl"
    export(fresh, "jsonl", again)
    assert again.read_bytes() == out.read_bytes()
    assert import_annotations(fresh, out).duplicates_set == 0  # idempotent
    # Another mark here is a conflict, kept unless --prefer theirs.
    third = fresh.document_by_path("002_a7de4bf8afd987b8.txt").id
    fresh_second = fresh.document_by_path("001_07e63e06108ae30e.txt").id
    fresh.mark_duplicate(fresh_second, third)
    kept = import_annotations(fresh, out)
    assert [(c.field, c.ours, c.theirs, c.kept) for c in kept.conflicts] == [
        ("duplicate_of", "002_a7de4bf8afd987b8.txt", "000_017fdcef885307d4.txt", "ours")]
    assert fresh.document(fresh_second).duplicate_of == third
    import_annotations(fresh, out, prefer="theirs")
    assert fresh.document(fresh_second).duplicate_of == fresh.document_by_path("000_017fdcef885307d4.txt").id
    lines = out.read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    record = json.loads(lines[1])
    bad.write_text(json.dumps({**record, "duplicate_of": "nope.txt"}) + "\n")
    with pytest.raises(InvalidImport, match="bad.jsonl:1: 001_07e63e06108ae30e.txt: duplicate_of 'nope.txt': not a document"):
        import_annotations(fresh, bad)
    # Matched by sha256, the document it duplicates must be in the file: a path here may be another
    # document (a mark landed on an unrelated file of that name: a review).
    bad.write_text(lines[1] + "\n")
    with pytest.raises(InvalidImport, match="not among this file's documents, which --match sha256 needs"):
        import_annotations(fresh, bad, match="sha256")
    # The other way round would make the two each other's copy.
    circle = json.loads(lines[0])
    bad.write_text(json.dumps({**circle, "duplicate_of": "001_07e63e06108ae30e.txt"}) + "\n")
    with pytest.raises(InvalidImport, match="cannot be each other's copy"):
        import_annotations(fresh, bad, prefer="theirs")


def test_a_time_that_is_no_time_or_an_annotator_with_a_control_character_becomes_the_imports(fresh, exported):
    """"yesterday" and a name holding ESC were stored as they were (a trial); refused, they made a
    backup an earlier version exported impossible to restore (a review): the import's own now."""
    def legacy(record):  # type: ignore[no-untyped-def]
        record["spans"][0].update(created="yesterday", annotator="a\x1bb")
        record["tag_links"][0].update(created="not a time", annotator="   ")

    rewrite(exported, 0, legacy)
    import_annotations(fresh, exported)
    rows = fresh.query("SELECT annotator, created_at FROM spans UNION ALL "
                       "SELECT annotator, created_at FROM document_tags")
    assert all(row["created_at"][:2] == "20" and "\x1b" not in row["annotator"] and row["annotator"].strip()
               for row in rows)
    assert any(row["annotator"] == "carol" for row in rows)  # the importer's, for those
