"""The tag vocabulary: list, add, set, rename, merge, delete (library and CLI), and the v1 -> v2 migration."""

from __future__ import annotations

import json
import sqlite3

import pytest
import sqlite_utils

from conftest import assert_one_line_error
from corpus_tui.core import Corpus, schema
from corpus_tui.core.errors import InvalidValue

FILES = {"a.txt": "alpha\n", "b.txt": "beta\n", "c.txt": "gamma\n"}


@pytest.fixture
def corpus(scanned):
    corpus, _ = scanned(FILES)
    return corpus


@pytest.fixture
def ids(corpus):
    return {path: corpus.document_by_path(path).id for path in FILES}


def links(corpus):
    rows = corpus.query(
        "SELECT d.path, t.name, dt.annotator, dt.import_id FROM document_tags dt "
        "JOIN documents d ON d.id = dt.document_id JOIN tags t ON t.id = dt.tag_id ORDER BY d.path, t.key"
    )
    return [(r["path"], r["name"], r["annotator"], r["import_id"]) for r in rows]


def ok(run_cli, *args):
    result = run_cli(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def events(corpus, action):
    return [json.loads(r["payload"]) for r in corpus.query("SELECT payload FROM events WHERE action = ?", [action])]


# -- list, add, set -------------------------------------------------------------------------------------


def test_list_with_counts(corpus, ids, run_cli):
    corpus.add_tags(ids["a.txt"], ["war", "Syria"])
    corpus.add_tag(ids["b.txt"], "war")
    corpus.create_tag("unused", hotkey=2, color="#aabbcc", description="not yet")
    assert ok(run_cli, "tags", "list", corpus.folder).splitlines() == [
        "Syria         1",
        "unused        0  key 2  #aabbcc  not yet",
        "war           2",
    ]
    listed = json.loads(ok(run_cli, "tags", "list", corpus.folder, "--json"))
    assert listed[1] == {"name": "unused", "count": 0, "hotkey": 2, "color": "#aabbcc", "description": "not yet"}
    assert corpus.tag_colors() == {"unused": "#aabbcc"}  # only the tags that have a colour


def test_add(corpus, run_cli):
    out = ok(run_cli, "tags", "add", corpus.folder, " Civil  War ", "--hotkey", "3", "--colour", "Dark_Cyan",
             "--description", "armed conflict")
    assert out == "added tag 'Civil War'\n"
    (tag,) = corpus.tags()
    assert (tag.name, tag.hotkey, tag.color, tag.description) == ("Civil War", 3, "dark_cyan", "armed conflict")


@pytest.mark.parametrize("args, needle", [
    (["existing"], "tag 'Existing' already exists"),
    (["new", "--color", "not a colour!"], "colour must be #rgb, #rrggbb or a colour name"),
    (["new", "--color", "blurple"], "'blurple' is not a colour name (closest: purple, blue, purple4)"),
    (["new", "--hotkey", "12"], "hotkey must be 1-9"),
    (["x\x1b[2Jy"], "tag 'x␛[2Jy' holds a control character (␛): names are printable text"),
])
def test_add_errors(corpus, run_cli, args, needle):
    corpus.create_tag("Existing")
    result = run_cli("tags", "add", corpus.folder, *args)
    assert result.exit_code == 1 and needle in str(result.exception)
    assert [t.name for t in corpus.tags()] == ["Existing"]


def test_add_error_through_the_console_script(corpus, run_main):
    corpus.create_tag("Existing")
    assert_one_line_error(run_main("tags", "add", corpus.folder, "EXISTING"), "tag 'Existing' already exists")


def test_set_moves_a_hotkey_and_clears(corpus, run_cli):
    corpus.create_tag("alpha", hotkey=1)
    corpus.create_tag("beta")
    out = ok(run_cli, "tags", "set", corpus.folder, "BETA", "--hotkey", "1", "--description", "second", "--color", "#ABC")
    assert out == "updated tag 'beta' (hotkey 1 taken from 'alpha')\n"
    assert {t.name: (t.hotkey, t.color, t.description) for t in corpus.tags()} == {
        "alpha": (None, None, ""), "beta": (1, "#aabbcc", "second")}  # #rgb kept as #rrggbb: the app draws that
    ok(run_cli, "tags", "set", corpus.folder, "beta", "--hotkey", "none", "--color", "none")
    assert corpus.tag("beta").hotkey is None and corpus.tag("beta").color is None
    assert [e["after"] for e in events(corpus, "tag.update")][-1] == {"color": None, "hotkey": None}


def test_set_needs_something_to_set(corpus, run_cli):
    corpus.create_tag("alpha")
    result = run_cli("tags", "set", corpus.folder, "alpha")
    assert result.exit_code == 2 and "nothing to set" in result.output


def test_unknown_tag_names_the_closest(corpus, run_main):
    corpus.create_tag("propaganda")
    result = run_main("tags", "set", corpus.folder, "propoganda", "--hotkey", "2")
    assert_one_line_error(result, "unknown tag 'propoganda' (closest: propaganda)")
    for call in (lambda: corpus.delete_tag("propoganda"), lambda: corpus.rename_tag("propoganda", "x"),
                 lambda: corpus.merge_tags(["propoganda"], "propaganda"), lambda: corpus.tag("PROPOGANDA")):
        with pytest.raises(InvalidValue, match=r"(?i)unknown tag 'p\w+' \(closest: propaganda\)"):
            call()


# -- rename, merge, delete ----------------------------------------------------------------------------


def test_rename_keeps_every_link(corpus, ids, run_cli):
    corpus.add_tag(ids["a.txt"], "syira")
    corpus.import_tags([("b.txt", "syira")])
    before = corpus.query("SELECT * FROM document_tags ORDER BY document_id")
    assert ok(run_cli, "tags", "rename", corpus.folder, "SYIRA", "Syria") == \
        "renamed tag 'syira' to 'Syria' (2 documents)\n"
    assert corpus.query("SELECT * FROM document_tags ORDER BY document_id") == before
    assert [t.name for t in corpus.tags()] == ["Syria"]
    corpus.rename_tag("syria", "SYRIA")  # another case of the same name re-spells it
    assert corpus.tag("syria").name == "SYRIA"
    assert [e["after"] for e in events(corpus, "tag.rename")] == ["Syria", "SYRIA"]


def test_rename_onto_another_tag_is_refused(corpus):
    corpus.create_tag("a")
    corpus.create_tag("b")
    with pytest.raises(InvalidValue, match="tag 'b' already exists; 'corpus-tui tags merge'"):
        corpus.rename_tag("a", "B")


def test_merge_keeps_every_link(corpus, ids, run_cli):
    corpus.create_tag("Syria", description="the country")
    corpus.create_tag("syira", hotkey=4, color="red")
    corpus.add_tag(ids["a.txt"], "Syria")
    corpus.add_tag(ids["a.txt"], "syira")  # both: keeps one link
    corpus.import_tags([("b.txt", "syira"), ("c.txt", "siria")], create_tags=True)
    out = ok(run_cli, "tags", "merge", corpus.folder, "syira", "siria", "Syria")
    assert out == "merged 'syira', 'siria' into 'Syria': 2 links moved, 1 document already had it\n"
    assert links(corpus) == [("a.txt", "Syria", "tester", None), ("b.txt", "Syria", "tester", 1),
                             ("c.txt", "Syria", "tester", 1)]
    (tag,) = corpus.tags()
    assert (tag.name, tag.count, tag.hotkey, tag.color, tag.description) == ("Syria", 3, 4, "red", "the country")
    assert [(e["source"], e["moved"], e["already"]) for e in events(corpus, "tag.merge")] == [
        ("syira", 1, 1), ("siria", 1, 0)]
    corpus.undo_import(1)  # the import's links, now under the merged tag, go with it
    assert links(corpus) == [("a.txt", "Syria", "tester", None)]


def test_merge_repoints_links_an_import_removed(corpus, ids):
    corpus.add_tag(ids["a.txt"], "old")
    corpus.import_tags([{"path": "a.txt", "tags": []}], mode="replace")
    corpus.create_tag("new")
    corpus.merge_tags(["old"], "new")
    corpus.undo_import(1)
    assert links(corpus) == [("a.txt", "new", "tester", None)]


def test_merge_errors(corpus):
    corpus.create_tag("a")
    with pytest.raises(InvalidValue, match="into itself"):
        corpus.merge_tags(["A"], "a")
    with pytest.raises(InvalidValue, match="unknown tag 'zz'"):
        corpus.merge_tags(["a"], "zz")
    assert [t.name for t in corpus.tags()] == ["a"]


def test_delete_needs_force_when_in_use(corpus, ids, run_cli, run_main):
    corpus.add_tags(ids["a.txt"], ["used"])
    corpus.add_tags(ids["b.txt"], ["used"])
    corpus.create_tag("unused")
    assert_one_line_error(run_main("tags", "delete", corpus.folder, "used"), "is on 2 documents", "--force")
    assert ok(run_cli, "tags", "delete", corpus.folder, "unused") == "deleted tag 'unused'\n"
    assert ok(run_cli, "tags", "delete", corpus.folder, "USED", "--force") == \
        "deleted tag 'used' (removed from 2 documents)\n"
    assert corpus.tags() == [] and links(corpus) == []
    assert [e["links"] for e in events(corpus, "tag.delete")] == [0, 2]


# -- the schema: v1 databases are migrated forward ---------------------------------------------------------


def test_v1_database_is_migrated_forward_and_keeps_its_data(make_corpus, run_cli):
    folder = make_corpus({"a.txt": "alpha\n"})
    conn = sqlite3.connect(folder / "annotations.db", isolation_level=None)
    schema._create_v1(sqlite_utils.Database(conn))
    conn.execute("INSERT INTO documents (path, size, added_at, scanned_at) VALUES ('a.txt', 6, 't0', 't0')")
    conn.execute("INSERT INTO tags (name, key, hotkey, annotator, created_at) VALUES ('War', 'war', 1, 'old', 't1')")
    conn.execute("INSERT INTO document_tags VALUES (1, 1, 'old', 't2')")
    conn.execute("INSERT INTO events (at, annotator, action, document_id) VALUES ('t2', 'old', 'tag.add', 1)")
    conn.close()

    ok(run_cli, "tags", "list", folder)  # any command opening the corpus migrates it
    with Corpus.open(folder) as corpus:
        assert corpus.query("SELECT version FROM schema_version") == [{"version": schema.SCHEMA_VERSION}]
        assert corpus.query("SELECT * FROM document_tags") == [
            {"document_id": 1, "tag_id": 1, "annotator": "old", "created_at": "t2", "import_id": None}]
        assert corpus.query("SELECT name, hotkey FROM tags") == [{"name": "War", "hotkey": 1}]
        assert len(corpus.query("SELECT * FROM events")) == 1
        assert {"imports", "import_removed_links"} <= set(corpus.db.table_names())
        assert corpus.import_tags([("a.txt", "WAR")]).already_present == 1
        corpus.undo_import(1)
        assert corpus.query("SELECT COUNT(*) AS n FROM document_tags") == [{"n": 1}]
        assert corpus.query("PRAGMA foreign_key_check") == []
        assert corpus.query("PRAGMA integrity_check") == [{"integrity_check": "ok"}]


def test_new_databases_are_created_at_v1_and_migrated(make_corpus):
    with Corpus.open(make_corpus({"a.txt": "x"})) as corpus:
        columns = [c.name for c in corpus.db["document_tags"].columns]
        assert columns[-1] == "import_id"  # added by the migration's ALTER TABLE, so it comes last
        assert "document_tags_import" in {i.name for i in corpus.db["document_tags"].indexes}


def test_a_tag_name_with_a_control_character_is_printed_with_the_apps_glyph(corpus, run_main):
    """'added tag 'bad\\x07tag'': messages showed Python's escapes, not the glyphs the README names."""
    assert_one_line_error(run_main("tags", "add", corpus.folder, "bad\atag"),
                          "tag 'bad␇tag' holds a control character (␇): names are printable text")
    with corpus.write():  # a tag an older version let in
        corpus.db.execute("INSERT INTO tags (name, key, annotator, created_at) VALUES ('bad\atag', 'bad\atag', 'x', 'y')")
    assert_one_line_error(run_main("tags", "add", corpus.folder, "bad\atag"), "tag 'bad␇tag' already exists")
