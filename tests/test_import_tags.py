"""Tag imports that succeed: formats, modes, naming, dry runs, reruns, undo, input hygiene, stdin."""

from __future__ import annotations

import hashlib
import json

import pytest

from corpus_tui.core.errors import InvalidValue
from corpus_tui.core.tag_import import InvalidRows

FILES = {
    "southfront/a.txt": "alpha\n",
    "southfront/b.txt": "beta\n",
    "southfront/2017/deep.txt": "deep\n",
    "rt/c.txt": "gamma\n",
    "rt/copy.txt": "gamma\n",  # same bytes as rt/c.txt: one sha256, two documents
}


@pytest.fixture
def corpus(scanned):
    corpus, _ = scanned(FILES)
    return corpus


@pytest.fixture
def folder(corpus):
    return corpus.folder


def links(corpus):
    """(path, tag name) of every link, sorted."""
    rows = corpus.query(
        "SELECT d.path, t.name FROM document_tags dt JOIN documents d ON d.id = dt.document_id "
        "JOIN tags t ON t.id = dt.tag_id ORDER BY d.path, t.key"
    )
    return [(row["path"], row["name"]) for row in rows]


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def imported(run_cli, folder, *args, input=None):
    result = run_cli("import-tags", folder, *args, input=input)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


# -- formats ------------------------------------------------------------------------------------


def test_csv_path_tag_one_pair_per_row(corpus, folder, tmp_path, run_cli):
    csv = write(tmp_path, "t.csv", "path,tag\nsouthfront/a.txt,war\nsouthfront/a.txt,Syria\nrt/c.txt,war\n")
    result = imported(run_cli, folder, csv, "--create-tags")
    assert result.output == "import #1: added 3 tags to 2 documents; created 2 tags: war, Syria\n"
    assert links(corpus) == [("rt/c.txt", "war"), ("southfront/a.txt", "Syria"), ("southfront/a.txt", "war")]


def test_csv_path_tags_split_on_semicolons_and_trimmed(corpus, folder, tmp_path, run_cli):
    csv = write(tmp_path, "t.csv", 'path,tags\nsouthfront/a.txt," war ;  civil   war;;"\n')
    imported(run_cli, folder, csv, "--create-tags")
    assert links(corpus) == [("southfront/a.txt", "civil war"), ("southfront/a.txt", "war")]


def test_tsv(corpus, folder, tmp_path, run_cli):
    tsv = write(tmp_path, "t.tsv", "path\ttags\nsouthfront/a.txt\twar;iraq\n")
    imported(run_cli, folder, tsv, "--create-tags")
    assert links(corpus) == [("southfront/a.txt", "iraq"), ("southfront/a.txt", "war")]


def test_jsonl(corpus, folder, tmp_path, run_cli):
    jsonl = write(tmp_path, "t.jsonl", '{"path": "southfront/a.txt", "tags": ["war", "iraq"]}\n'
                                       '{"path": "rt/c.txt", "tag": "war", "source": "ignored"}\n')
    imported(run_cli, folder, jsonl, "--create-tags")
    assert links(corpus) == [("rt/c.txt", "war"), ("southfront/a.txt", "iraq"), ("southfront/a.txt", "war")]


@pytest.mark.parametrize("content, option", [
    ('{"path": "rt/c.txt", "tags": ["war"]}\n', ["--format", "jsonl"]),
    ('{"path": "rt/c.txt", "tags": ["war"]}\n', []),  # sniffed: starts with "{"
    ("path\ttag\nrt/c.txt\twar\n", []),  # sniffed: tabs, no commas
])
def test_format_by_option_or_sniffed(corpus, folder, tmp_path, run_cli, content, option):
    imported(run_cli, folder, write(tmp_path, "labels.txt", content), "--create-tags", *option)
    assert links(corpus) == [("rt/c.txt", "war")]


def test_extra_columns_are_ignored(corpus, folder, tmp_path, run_cli):
    csv = write(tmp_path, "meta.csv", "outlet,path,date,tag,language\nSF,southfront/a.txt,2017-01-02,war,en\n")
    imported(run_cli, folder, csv, "--create-tags")
    assert links(corpus) == [("southfront/a.txt", "war")]


# -- naming documents ------------------------------------------------------------------------------


def test_named_by_id(corpus, folder, tmp_path, run_cli):
    doc = corpus.document_by_path("rt/c.txt")
    imported(run_cli, folder, write(tmp_path, "t.csv", f"id,tag\n{doc.id},war\n"), "--create-tags")
    assert links(corpus) == [("rt/c.txt", "war")]


def test_named_by_sha256_tags_every_document_with_those_bytes(corpus, folder, tmp_path, run_cli):
    digest = hashlib.sha256(b"gamma\n").hexdigest().upper()  # case does not matter
    imported(run_cli, folder, write(tmp_path, "t.csv", f"sha256,tag\n{digest},dup\n"), "--create-tags")
    assert links(corpus) == [("rt/c.txt", "dup"), ("rt/copy.txt", "dup")]


def test_paths_are_normalised(corpus, folder, tmp_path, run_cli):
    csv = write(tmp_path, "t.csv", "path,tag\nsouthfront\\a.txt,x\n./rt/../rt/c.txt,x\n")
    imported(run_cli, folder, csv, "--create-tags")
    assert links(corpus) == [("rt/c.txt", "x"), ("southfront/a.txt", "x")]


def test_glob_match(corpus, folder, tmp_path, run_cli):
    csv = write(tmp_path, "t.csv", "path,tag\nsouthfront/*.txt,southfront\nrt/c.txt,rt\n")
    result = imported(run_cli, folder, csv, "--match", "glob", "--create-tags")
    # fnmatch, as in 'scan --include': '*' also crosses '/'
    assert links(corpus) == [
        ("rt/c.txt", "rt"), ("southfront/2017/deep.txt", "southfront"),
        ("southfront/a.txt", "southfront"), ("southfront/b.txt", "southfront"),
    ]
    assert "added 4 tags to 4 documents" in result.output


def test_without_glob_a_star_is_a_literal_path(corpus, folder, tmp_path, run_cli):
    result = run_cli("import-tags", folder, write(tmp_path, "t.csv", "path,tag\nsouthfront/*.txt,x\n"),
                     "--create-tags")
    assert result.exit_code == 1 and isinstance(result.exception, InvalidRows)
    assert result.exception.problems == [f"{tmp_path / 't.csv'}:2: no document with path 'southfront/*.txt'"]


# -- modes -------------------------------------------------------------------------------------------


def test_replace_makes_the_rows_tags_the_documents_tags(corpus, folder, tmp_path, run_cli):
    a, b = corpus.document_by_path("southfront/a.txt"), corpus.document_by_path("southfront/b.txt")
    corpus.add_tags(a.id, ["old", "keep"])
    corpus.add_tag(b.id, "untouched")
    csv = write(tmp_path, "t.csv", "path,tags\nsouthfront/a.txt,keep;new\n")
    result = imported(run_cli, folder, csv, "--mode", "replace", "--create-tags")
    assert links(corpus) == [("southfront/a.txt", "keep"), ("southfront/a.txt", "new"),
                             ("southfront/b.txt", "untouched")]
    assert result.output.startswith("import #1: added 1 tag to 1 document, 1 already present; "
                                    "removed 1 tag from 1 document")


def test_replace_with_no_tags_clears_a_document(corpus, folder, tmp_path, run_cli):
    doc = corpus.document_by_path("rt/c.txt")
    corpus.add_tags(doc.id, ["a", "b"])
    imported(run_cli, folder, write(tmp_path, "t.jsonl", '{"path": "rt/c.txt", "tags": []}\n'), "--mode", "replace")
    assert links(corpus) == []


def test_the_csv_export_imports_back_guarded_cells_and_untagged_rows_too(scanned, open_corpus, tmp_path, run_cli):
    """The export's path and tags columns are an import-tags file, but the formula guard ("'" before
    = + - @) was read as part of the names, and an untagged document's empty cell was an error
    in add mode that refused the whole file (a trial). A "'" before other text stays."""
    from corpus_tui.core.export import export

    files = {"-x.txt": "minus\n", "=SUM(A1).txt": "formula\n", "@y.txt": "at\n", "plain.txt": "plain\n",
             "'quoted.txt": "quote\n", "'=a.txt": "guarded name\n", "=a.txt": "its look-alike\n"}
    source, _ = scanned(files)
    # '=a.txt and =a.txt were both written '=a.txt, and read back as =a.txt (a review)
    for path, names in {"-x.txt": ["=HYPERLINK", "iraq"], "=SUM(A1).txt": ["+war"], "'quoted.txt": ["'tis"],
                        "'=a.txt": ["''=odd"], "=a.txt": ["'=odd"]}.items():
        source.add_tags(source.document_by_path(path).id, names)
    exported = tmp_path / "tags.csv"
    export(source, "csv", exported)
    assert "'=SUM(A1).txt" in exported.read_text(encoding="utf-8")  # guarded, as a spreadsheet needs
    target = tmp_path / "target"
    target.mkdir()
    for path, text in files.items():
        (target / path).write_text(text, encoding="utf-8")
    fresh = open_corpus(target)
    fresh.scan()
    imported(run_cli, target, exported, "--create-tags")
    assert links(fresh) == links(source)


def test_remove_mode(corpus, folder, tmp_path, run_cli):
    doc = corpus.document_by_path("rt/c.txt")
    corpus.add_tags(doc.id, ["a", "b"])
    result = imported(run_cli, folder, write(tmp_path, "t.csv", "path,tag\nrt/c.txt,A\nrt/copy.txt,b\n"),
                      "--mode", "remove")
    assert links(corpus) == [("rt/c.txt", "b")]
    assert result.output == "import #1: removed 1 tag from 1 document, 1 not present\n"


def test_action_column_and_last_row_wins(corpus, folder, tmp_path, run_cli):
    corpus.add_tag(corpus.document_by_path("rt/c.txt").id, "stale")
    csv = write(tmp_path, "t.csv", "path,tag,action\nrt/c.txt,stale,remove\nrt/c.txt,new,add\n"
                                   "rt/c.txt,flip,\nrt/c.txt,flip,REMOVE\nrt/c.txt,flip,add\n")
    imported(run_cli, folder, csv, "--create-tags")
    assert links(corpus) == [("rt/c.txt", "flip"), ("rt/c.txt", "new")]


# -- the vocabulary: case rule, --create-tags -----------------------------------------------------------


def test_case_insensitive_first_spelling_kept(corpus, folder, tmp_path, run_cli):
    corpus.create_tag("war")
    csv = write(tmp_path, "t.csv", "path,tag\nrt/c.txt,WAR\nrt/c.txt,Syria\nsouthfront/a.txt,SYRIA\n")
    imported(run_cli, folder, csv, "--create-tags")
    assert [t.name for t in corpus.tags()] == ["Syria", "war"]
    assert links(corpus) == [("rt/c.txt", "Syria"), ("rt/c.txt", "war"), ("southfront/a.txt", "Syria")]


def test_removing_an_unknown_tag_with_create_tags_creates_nothing(corpus, folder, tmp_path, run_cli):
    csv = write(tmp_path, "t.csv", "path,tag,action\nrt/c.txt,ghost,remove\n")
    result = imported(run_cli, folder, csv, "--create-tags")
    assert corpus.tags() == [] and "nothing changed" in result.output


# -- dry run, rerun, record, undo ------------------------------------------------------------------------


def _state(corpus):
    return {table: corpus.query(f"SELECT * FROM {table}") for table in ("document_tags", "tags", "imports", "events")}


def test_dry_run_changes_nothing_and_shows_the_changes(corpus, folder, tmp_path, run_cli):
    corpus.add_tag(corpus.document_by_path("rt/c.txt").id, "war")
    before = _state(corpus)
    csv = write(tmp_path, "t.csv", "path,tag\nrt/c.txt,war\nrt/c.txt,new\nsouthfront/a.txt,new\n")
    result = imported(run_cli, folder, csv, "--create-tags", "--dry-run")
    assert _state(corpus) == before
    assert result.output.splitlines() == [
        "dry run: would add 2 tags to 2 documents, 1 already present; would create 1 tag: new",
        "  + rt/c.txt  new",
        "  + southfront/a.txt  new",
    ]


def test_dry_run_json(corpus, folder, tmp_path, run_cli):
    csv = write(tmp_path, "t.csv", "path,tag\n" + "".join(f"{p},t{i}\n" for p in FILES for i in range(5)))
    data = json.loads(imported(run_cli, folder, csv, "--create-tags", "--dry-run", "--json").output)
    assert (data["dry_run"], data["added"], data["documents_added"], data["import_id"]) == (True, 25, 5, None)
    assert len(data["changes"]) == 20 and data["changes"][0]["change"] == "+"
    assert corpus.query("SELECT COUNT(*) AS n FROM document_tags") == [{"n": 0}]


def test_rerun_changes_nothing_and_says_so(corpus, folder, tmp_path, run_cli):
    csv = write(tmp_path, "t.csv", "path,tags\nrt/c.txt,a;b\nsouthfront/a.txt,a\n")
    imported(run_cli, folder, csv, "--create-tags")
    first = corpus.query("SELECT * FROM document_tags ORDER BY document_id, tag_id")
    result = imported(run_cli, folder, csv, "--create-tags")
    assert result.output == "import #2: nothing changed: 3 tags already present (same file as import #1)\n"
    assert corpus.query("SELECT * FROM document_tags ORDER BY document_id, tag_id") == first


def test_import_is_recorded_with_provenance_and_one_event(corpus, folder, tmp_path, run_cli):
    corpus.add_tag(corpus.document_by_path("rt/c.txt").id, "war")  # by hand: keeps no import id
    csv = write(tmp_path, "t.csv", "path,tag\n" + "".join(f"{p},war\n" for p in FILES))
    imported(run_cli, folder, csv, "--annotator", "alice")
    (record,) = corpus.query("SELECT * FROM imports")
    assert record["file_name"] == str(csv) and record["file_sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert (record["annotator"], record["mode"], record["rows_read"], record["added"], record["already_present"],
            record["documents"], record["undone_at"]) == ("alice", "add", 5, 4, 1, 4, None)
    provenance = {r["path"]: (r["import_id"], r["annotator"]) for r in corpus.query(
        "SELECT d.path, dt.import_id, dt.annotator FROM document_tags dt JOIN documents d ON d.id = dt.document_id")}
    assert provenance.pop("rt/c.txt") == (None, "tester")
    assert set(provenance.values()) == {(record["id"], "alice")}
    events = corpus.query("SELECT action, payload FROM events WHERE action LIKE 'tags.import%'")
    assert [e["action"] for e in events] == ["tags.import"]
    assert json.loads(events[0]["payload"])["added"] == 4


def test_undo_reverts_one_import_as_a_unit(corpus, folder, tmp_path, run_cli):
    c = corpus.document_by_path("rt/c.txt")
    corpus.add_tags(c.id, ["manual", "old"])
    kept = corpus.query("SELECT * FROM document_tags ORDER BY tag_id")
    imported(run_cli, folder, write(tmp_path, "one.csv", "path,tag\nsouthfront/a.txt,first\n"), "--create-tags")
    imported(run_cli, folder, write(tmp_path, "two.csv", "path,tags\nrt/c.txt,manual;new\nsouthfront/b.txt,new\n"),
             "--mode", "replace", "--create-tags")
    assert links(corpus) == [("rt/c.txt", "manual"), ("rt/c.txt", "new"), ("southfront/a.txt", "first"),
                             ("southfront/b.txt", "new")]
    result = imported(run_cli, folder, "--undo", "2")
    assert result.output == ("undid import #2 (" + str(tmp_path / "two.csv") + "): removed 2 tags, restored 1; "
                             "the 1 tag it created, now on no document, stays ('new': corpus-tui tags delete "
                             "removes a tag)\n")
    assert links(corpus) == [("rt/c.txt", "manual"), ("rt/c.txt", "old"), ("southfront/a.txt", "first")]
    assert corpus.query("SELECT * FROM document_tags WHERE document_id = ? ORDER BY tag_id", [c.id]) == kept
    assert corpus.query("SELECT undone_by FROM imports WHERE id = 2") == [{"undone_by": "tester"}]
    result = imported(run_cli, folder, "--undo", "1")
    assert ": removed 1 tag, restored 0; " in result.output  # worded as the count agrees, not "1 tags"
    assert links(corpus) == [("rt/c.txt", "manual"), ("rt/c.txt", "old")]


def test_undo_twice_or_unknown_is_an_error(corpus, tmp_path):
    result = corpus.import_tags([("rt/c.txt", "x")], create_tags=True)
    corpus.undo_import(result.import_id)
    with pytest.raises(InvalidValue, match="already undone"):
        corpus.undo_import(result.import_id)
    with pytest.raises(InvalidValue, match="no import #99"):
        corpus.undo_import(99)


def test_undo_does_not_restore_links_of_an_undone_import(corpus):
    first = corpus.import_tags([("rt/c.txt", "x")], create_tags=True)
    second = corpus.import_tags([("rt/c.txt", "x")], mode="remove")
    corpus.undo_import(first.import_id)
    corpus.undo_import(second.import_id)
    assert links(corpus) == []


def test_list_imports(corpus, folder, tmp_path, run_cli):
    imported(run_cli, folder, write(tmp_path, "t.csv", "path,tag\nrt/c.txt,x\n"), "--create-tags")
    imported(run_cli, folder, "--undo", "1")
    listed = json.loads(imported(run_cli, folder, "--list", "--json").output)
    assert [(r["id"], r["added"], r["tags_created"], r["undone_by"]) for r in listed] == [(1, 1, ["x"], "tester")]
    assert "(undone " in imported(run_cli, folder, "--list").output
    imported(run_cli, folder, write(tmp_path, "u.csv", "path,tag\nrt/c.txt,y\n"), "--create-tags",
             "--annotator", "classifier-v2.1")
    table = imported(run_cli, folder, "--list").output.splitlines()
    assert " classifier-v2.1 add " in table[1]  # the whole name: it was cut to 12 characters (a trial)


def test_one_of_file_undo_or_list(folder, run_cli):
    result = run_cli("import-tags", folder)
    assert result.exit_code == 2 and "give one of FILE, --undo IMPORT_ID or --list" in result.output


# -- input hygiene and stdin --------------------------------------------------------------------------------


def test_bom_crlf_quoted_newlines_and_blank_lines(corpus, folder, tmp_path, run_cli):
    content = ('\ufeffpath,note,tag\r\n\r\n'
               'southfront/a.txt,"a note, with a comma\r\nand a second line",war\r\n'
               '   \r\n'
               'rt/c.txt,"",war\r\n')
    imported(run_cli, folder, write(tmp_path, "t.csv", content), "--create-tags")
    assert links(corpus) == [("rt/c.txt", "war"), ("southfront/a.txt", "war")]


def test_line_numbers_count_physical_lines(corpus, folder, tmp_path, run_cli):
    content = 'path,note,tag\n\nrt/c.txt,"two\nlines",war\nnope.txt,x,war\n'
    result = run_cli("import-tags", folder, write(tmp_path, "t.csv", content), "--create-tags")
    assert result.exception.problems == [f"{tmp_path / 't.csv'}:5: no document with path 'nope.txt'"]


def test_jsonl_with_bom_and_crlf(corpus, folder, tmp_path, run_cli):
    content = b'\xef\xbb\xbf{"path": "rt/c.txt", "tags": ["caf\xc3\xa9"]}\r\n\r\n'
    imported(run_cli, folder, write(tmp_path, "t.jsonl", content), "--create-tags")
    assert links(corpus) == [("rt/c.txt", "café")]


def test_stdin(corpus, folder, run_cli):
    imported(run_cli, folder, "-", "--create-tags", input=b"path,tag\nrt/c.txt,piped\n")
    assert links(corpus) == [("rt/c.txt", "piped")]
    assert corpus.query("SELECT file_name FROM imports") == [{"file_name": "<stdin>"}]


def test_stdin_jsonl_through_the_console_script(corpus, folder):
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "corpus_tui", "import-tags", str(folder), "-", "--format", "jsonl", "--json"],
        input=b'{"path": "rt/c.txt", "tags": ["nope"]}\n', capture_output=True, timeout=60, check=False,
    )
    assert completed.returncode == 1
    assert completed.stderr.decode().splitlines() == [  # one problem: one line, the error itself
        "corpus-tui: error: <stdin>:1: unknown tag 'nope'; --create-tags adds new tags; nothing was imported "
        "(--skip-invalid imports the valid rows)"]
    assert json.loads(completed.stdout)["problem_count"] == 1


# -- the Python API ----------------------------------------------------------------------------------------


def test_python_api(corpus):
    doc = corpus.document_by_path("rt/c.txt")
    assert [t.name for t in corpus.add_tags(doc.id, ["a", "A", "b"])] == ["a", "b"]
    assert corpus.add_tags(doc.id, ["b"]) == []
    result = corpus.import_tags([{"id": doc.id, "tags": ["c"]}, ("southfront/a.txt", "a")], mode="replace",
                                create_tags=True)
    assert (result.added, result.removed, result.documents) == (2, 2, 2)
    assert links(corpus) == [("rt/c.txt", "c"), ("southfront/a.txt", "a")]
    with pytest.raises(InvalidRows) as error:
        corpus.import_tags([("rt/c.txt", "zzz")])
    assert error.value.problems == ["rows:1: unknown tag 'zzz'; --create-tags adds new tags"]
    assert str(error.value) == ("rows:1: unknown tag 'zzz'; --create-tags adds new tags; nothing was imported "
                                "(skip_invalid=True imports the valid rows)")


def test_python_rows_are_held_to_the_json_rows_types(corpus):
    """Python rows follow the JSONL rules: a number is not a path, a set is not a list of tags;
    a Path is a path and a tuple of tags is a list, as a Python user means them."""
    from pathlib import PurePosixPath

    with pytest.raises(InvalidRows) as error:
        corpus.import_tags([{"path": 5, "tag": "x"}, {"path": "rt/c.txt", "tags": {"x"}},
                            {"path": "rt/c.txt", "tag": "x", "action": 1}, ("rt/c.txt", 7)], create_tags=True)
    assert error.value.problems == [
        "rows:1: 'path' must be a string, not 5",
        "rows:2: 'tags' must be a list of strings, not a set",
        "rows:3: 'action' must be \"add\" or \"remove\", not 1",
        "rows:4: 'tag' must be a string, not 7",
    ]
    assert links(corpus) == []
    result = corpus.import_tags([{"path": PurePosixPath("rt/c.txt"), "tags": ("p", "q")}], create_tags=True)
    assert result.added == 2 and links(corpus) == [("rt/c.txt", "p"), ("rt/c.txt", "q")]


def test_add_tags_without_create_changes_nothing_on_an_unknown_name(corpus):
    corpus.create_tag("known")
    doc = corpus.document_by_path("rt/c.txt")
    with pytest.raises(InvalidValue, match=r"unknown tag 'knwn' \(closest: known\)"):
        corpus.add_tags(doc.id, ["known", "knwn"], create=False)
    assert links(corpus) == []
    added = corpus.add_tags(doc.id, ["known", "new"])  # the tags as they are now: on this document
    assert [(tag.name, tag.count) for tag in added] == [("known", 1), ("new", 1)]


def test_undo_keeps_the_tags_the_import_created_and_names_the_unused(corpus, folder, tmp_path, run_cli):
    """Undone, an import that created tags left them with 0 documents, unsaid. Deleting them would
    lose another import's record of a link it removed (and break the undo of a hand untag)."""
    imported(run_cli, folder, write(tmp_path, "t.csv", "path,tag\nrt/c.txt,fresh\n"), "--create-tags")
    b = corpus.document_by_path("southfront/b.txt")
    corpus.add_tag(b.id, "fresh")  # by hand
    imported(run_cli, folder, write(tmp_path, "r.csv", "path,tag\nsouthfront/b.txt,fresh\n"), "--mode", "remove")
    said = imported(run_cli, folder, "--undo", "1").output
    assert said.endswith("the 1 tag it created, now on no document, stays ('fresh': corpus-tui tags delete "
                         "removes a tag)\n")
    imported(run_cli, folder, "--undo", "2")  # the hand-made link comes back
    assert ("southfront/b.txt", "fresh") in links(corpus)
