"""Export filters, changed and stale documents, atomic output, and the CLI's error contract."""

from __future__ import annotations

import json
import os
import threading

import pytest
from conftest import assert_one_line_error

from corpus_tui.core import Corpus
from corpus_tui.core.errors import InvalidValue
from corpus_tui.core.export import OutputExists, export
from corpus_tui.core.export.output import BadOutput

TEXT = "Home | News\n\nThe actual article text is here.\n\nCopyright 2017\n"


@pytest.fixture
def corpus(scanned):
    corpus, _ = scanned({"a.txt": TEXT, "b.txt": "second document\n", "c.txt": "third one\n",
                         "bad.txt": b"\x00binary"})
    a, b = corpus.document_by_path("a.txt"), corpus.document_by_path("b.txt")
    corpus.add_annotation(a.id, TEXT.index("actual"), TEXT.index("actual") + 6, "ADJ")
    corpus.mark_boilerplate(a.id, 0, 11, reason="nav")
    corpus.add_tag(a.id, "news")
    corpus.add_tag(b.id, "news")
    corpus.add_tag(b.id, "draft")
    corpus.set_status(a.id, "reviewed")
    return corpus


def paths(out):
    return [json.loads(line)["path"] for line in out.read_text().splitlines()]


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


# -- filters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("options, expected", [
    ({}, ["a.txt", "b.txt", "c.txt"]),
    ({"statuses": ["reviewed"]}, ["a.txt"]),
    ({"statuses": ["reviewed", "new"]}, ["a.txt", "b.txt", "c.txt"]),
    ({"tags": ["NEWS"]}, ["a.txt", "b.txt"]),
    ({"tags": ["news", "draft"]}, ["b.txt"]),
    ({"exclude_tags": ["draft"]}, ["a.txt", "c.txt"]),
    ({"only_annotated": True}, ["a.txt"]),
])
def test_filters(corpus, tmp_path, options, expected):
    out = tmp_path / "out.jsonl"
    summary = export(corpus, "jsonl", out, **options)
    assert paths(out) == expected and summary.documents == len(expected)


@pytest.mark.parametrize("options", [{"tags": ["nope"]}, {"exclude_tags": ["nope"]}, {"statuses": ["done"]}])
def test_unknown_filter_values_are_errors(corpus, tmp_path, options):
    with pytest.raises(InvalidValue):
        export(corpus, "jsonl", tmp_path / "out.jsonl", **options)
    assert not (tmp_path / "out.jsonl").exists()


def test_missing_documents_only_with_include_missing(corpus, tmp_path):
    (corpus.folder / "c.txt").unlink()
    corpus.scan()
    summary = export(corpus, "jsonl", tmp_path / "one.jsonl")
    assert paths(tmp_path / "one.jsonl") == ["a.txt", "b.txt"] and summary.missing_left_out == 1
    export(corpus, "jsonl", tmp_path / "two.jsonl", include_missing=True)
    assert paths(tmp_path / "two.jsonl") == ["a.txt", "b.txt", "c.txt"]
    record = json.loads((tmp_path / "two.jsonl").read_text().splitlines()[2])
    assert record["text"] == "third one\n"  # as stored at the last scan


# -- changed files and stale spans -------------------------------------------------------------------


def test_file_changed_since_scan_is_reread_and_spans_reanchored(corpus, tmp_path):
    # An edit away from the spans (a blank line added) moves them with their whole context.
    (corpus.folder / "a.txt").write_text(TEXT.replace("\n\nThe", "\n\n\nThe"))
    summary = export(corpus, "jsonl", tmp_path / "out.jsonl")
    assert summary.refreshed == 1 and summary.left_out_stale == []
    record = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert record["text"].startswith("Home | News\n\n\nThe")
    (span,) = record["spans"]
    assert record["text"][span["start"]:span["end"]] == "actual" and span["start"] == 1 + TEXT.index("actual")


def test_stale_document_left_out_unless_allow_stale(corpus, tmp_path, run_main):
    # The footer changed next to "actual": its context is gone, so it is stale; "Home | News" keeps its.
    (corpus.folder / "a.txt").write_text("Home | News\n\nThe actual article text is here.\n\n(c) 2017\n")
    summary = export(corpus, "jsonl", tmp_path / "strict.jsonl")
    assert summary.left_out_stale == ["a.txt"] and paths(tmp_path / "strict.jsonl") == ["b.txt", "c.txt"]
    assert "a.txt: left out" in summary.warnings()[0]
    summary = export(corpus, "jsonl", tmp_path / "loose.jsonl", allow_stale=True)
    record = json.loads((tmp_path / "loose.jsonl").read_text().splitlines()[0])
    assert record["path"] == "a.txt" and record["spans"] == [] and summary.stale_spans_omitted == 1
    assert [b["text"] for b in record["boilerplate"]] == ["Home | News"]  # re-anchored, still exported
    result = run_main("export", corpus.folder, "-o", tmp_path / "cli.jsonl")
    assert result.returncode == 0
    assert result.stderr.startswith("warning: a.txt: left out") and "--allow-stale" in result.stderr
    # With --only-annotated it vanished without a word: its one annotation is stale (a review).
    summary = export(corpus, "jsonl", tmp_path / "annotated.jsonl", only_annotated=True)
    assert summary.left_out_stale == ["a.txt"] and paths(tmp_path / "annotated.jsonl") == []
    export(corpus, "jsonl", tmp_path / "annotated-loose.jsonl", only_annotated=True, allow_stale=True)
    assert paths(tmp_path / "annotated-loose.jsonl") == ["a.txt"]


# -- output safety -----------------------------------------------------------------------------------


def test_existing_output_is_kept_without_force(corpus, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("precious")
    with pytest.raises(OutputExists):
        export(corpus, "jsonl", out)
    assert out.read_text() == "precious" and leftovers(tmp_path) == []
    export(corpus, "jsonl", out, force=True)
    assert paths(out) == ["a.txt", "b.txt", "c.txt"] and oct(out.stat().st_mode & 0o777) != "0o600"


def test_folder_replaced_only_when_it_is_an_earlier_export(corpus, tmp_path):
    out = tmp_path / "md"
    export(corpus, "markdown", out)
    (out / "stray.md").write_text("from an earlier run")
    export(corpus, "markdown", out, force=True)
    assert not (out / "stray.md").exists() and (out / "a.md").exists()
    mine = tmp_path / "my-notes"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    with pytest.raises(BadOutput, match="did not write"):
        export(corpus, "markdown", mine, force=True)
    assert (mine / "keep.txt").read_text() == "mine" and leftovers(tmp_path) == []


@pytest.mark.parametrize("where", ["corpus", "inside"])
def test_folder_output_never_in_or_over_the_corpus(corpus, where):
    out = corpus.folder if where == "corpus" else corpus.folder / "export"
    with pytest.raises(BadOutput):
        export(corpus, "text", out, force=True)
    assert sorted(p.name for p in corpus.folder.iterdir() if not p.name.startswith("annotations.db")) == [
        "a.txt", "b.txt", "bad.txt", "c.txt"]


@pytest.mark.parametrize("how", [
    ["-o", "{db}", "--force"], ["-f", "csv", "-o", "{db}", "--force"], ["-o", "{db}-wal", "--force"],
    ["-f", "label-studio", "-o", "{other}", "--label-config", "{db}", "--force"],
    ["-f", "text", "-o", "{dbfolder}", "--force", "--db", "{db}"],
])
def test_export_never_replaces_the_corpus_database(corpus, tmp_path, run_main, how):
    """`export v -o v/annotations.db --force` wrote the export over the database: every tag,
    span and status lost (a trial). Refused in one line, the database as it was."""
    db, folder = corpus.db_path, corpus.folder
    corpus.close()
    args = [arg.format(db=db, other=tmp_path / "tasks.json", dbfolder=db.parent) for arg in how]
    before = db.read_bytes()
    result = run_main("export", folder, *args)
    assert_one_line_error(result, "database")
    assert db.read_bytes() == before
    assert run_main("tags", "list", folder).returncode == 0


def test_rules_export_never_replaces_the_corpus_database(corpus, run_main):
    db, folder = corpus.db_path, corpus.folder
    corpus.close()
    before = db.read_bytes()
    assert_one_line_error(run_main("rules", "export", folder, "-o", db, "--force"), "is the corpus's database")
    assert db.read_bytes() == before


@pytest.mark.parametrize("fmt, name", [("jsonl", "out.jsonl"), ("markdown", "md")])
def test_interrupted_export_leaves_nothing(corpus, tmp_path, fmt, name):
    def cancel(done, total):
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export(corpus, fmt, tmp_path / name, progress=cancel)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]


def test_an_interrupt_right_after_the_temporary_folder_is_made_leaves_nothing(corpus, tmp_path, monkeypatch):
    """Ctrl-C landing just after the temporary folder was made (inside mkdtemp, before the
    cleanup knew of it) left an empty 'int.brat.tmp-…' folder behind (a trial)."""
    from corpus_tui.core.export import output

    made = os.mkdir

    def mkdir_then_interrupted(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        made(path, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "mkdir", mkdir_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        export(corpus, "brat", tmp_path / "int.brat")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]


def test_progress_reports_every_document(corpus, tmp_path):
    seen = []
    export(corpus, "jsonl", tmp_path / "out.jsonl", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 3), (3, 3)]


def test_export_from_a_worker_thread_with_its_own_corpus(corpus, tmp_path):
    errors = []

    def work():
        try:
            with Corpus.open(corpus.folder) as own:
                export(own, "csv", tmp_path / "out.csv")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == [] and (tmp_path / "out.csv").read_text().count("\n") == 4


def test_parquet_without_pyarrow_is_a_clean_error(corpus, tmp_path, run_script, monkeypatch):
    fake = tmp_path / "no-pyarrow"
    (fake / "pyarrow").mkdir(parents=True)
    (fake / "pyarrow" / "__init__.py").write_text("raise ImportError('no pyarrow here')\n")
    monkeypatch.setenv("PYTHONPATH", str(fake) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = run_script("export", corpus.folder, "--format", "parquet", "-o", tmp_path / "out.parquet")  # a process
    assert_one_line_error(result, "pyarrow", "corpus-tui[parquet]")                            # without pyarrow
    assert not (tmp_path / "out.parquet").exists()


# -- the command line --------------------------------------------------------------------------------


def test_stdout_holds_only_data_and_summary_goes_to_stderr(corpus, run_main):
    result = run_main("export", corpus.folder, "--format", "jsonl")
    assert result.returncode == 0
    assert [json.loads(line)["path"] for line in result.stdout.splitlines()] == ["a.txt", "b.txt", "c.txt"]
    assert result.stderr.startswith("exported 3 documents") and result.stderr.count("\n") == 1


def test_summary_on_stdout_when_writing_a_file(corpus, run_main, tmp_path):
    result = run_main("export", corpus.folder, "-f", "csv", "-o", tmp_path / "out.csv", "--json")
    assert result.returncode == 0 and result.stderr == ""
    summary = json.loads(result.stdout)
    assert (summary["documents"], summary["format"], summary["unreadable_left_out"]) == (3, "csv", 1)


@pytest.mark.parametrize("args, needles", [
    (["-o", "{tmp}/exists.jsonl"], ["exists.jsonl", "already exists", "--force"]),
    # --force was suggested, then said "is a folder" (a trial); "" was the current folder
    (["-o", "{tmp}/a-folder"], ["a-folder: is a folder; this format writes a file"]),
    (["-f", "brat", "-o", ""], ["the output path is empty"]),
    (["-f", "markdown"], ["markdown", "-o PATH"]),
    (["-f", "brat", "-o", "-"], ["brat", "-o PATH"]),
    (["--tag", "nope", "-o", "{tmp}/new.jsonl"], ["unknown tag 'nope'"]),
    (["--tag", "newz", "-o", "{tmp}/new.jsonl"], ["unknown tag 'newz' (closest: news)"]),
    (["-o", "{tmp}/no-such-dir/out.jsonl"], ["no-such-dir", "does not exist"]),
    (["-f", "text", "-o", "{corpus}/inside"], ["inside the corpus folder"]),
    # a file a scan would read as a document (a new user's trial: it became one)
    (["-o", "{corpus}/notes.md"], ["inside the corpus folder with a name a scan reads", "pick another name"]),
])
def test_cli_errors_are_one_line_and_write_nothing(corpus, tmp_path, run_main, args, needles):
    (tmp_path / "exists.jsonl").write_text("keep")
    (tmp_path / "a-folder").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    args = [a.format(tmp=tmp_path, corpus=corpus.folder) for a in args]
    result = run_main("export", corpus.folder, *args)
    assert_one_line_error(result, *needles)
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "exists.jsonl").read_text() == "keep" and not (corpus.folder / "inside").exists()
    assert not (corpus.folder / "notes.md").exists()


def test_export_of_a_never_scanned_folder(make_corpus, run_main, tmp_path):
    folder = make_corpus({"a.txt": "text"}, name="fresh")
    result = run_main("export", folder, "-o", tmp_path / "out.jsonl")
    assert_one_line_error(result, "annotations.db", "scan")
    assert not (tmp_path / "out.jsonl").exists() and not (folder / "annotations.db").exists()


def test_the_summary_names_the_flags_that_include_what_was_left_out_for_the_cli_or_the_app():
    from corpus_tui.core.export.api import ExportSummary

    summary = ExportSummary("jsonl", "out.jsonl", documents=3, left_out_stale=["a.txt"], missing_left_out=2)
    assert summary.line() == ("exported 3 documents (0 annotations, 0 boilerplate ranges) as jsonl to out.jsonl; "
                              "1 left out with stale spans (--allow-stale to include them), "
                              "2 missing left out (--include-missing to include them)")
    assert "2 missing left out (corpus-tui export --include-missing includes them)" in \
        summary.line(command="corpus-tui export")  # the app's toast: there is no flag to add there


def test_an_output_that_is_a_pipe_or_a_device_is_never_replaced(corpus, tmp_path, run_main):
    """``export -o /dev/null --force`` renamed the finished export over /dev/null: a regular file
    where the device was, for every program of the machine (tmux stopped starting)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args in (["export", corpus.folder, "-o", fifo, "--force"], ["rules", "export", corpus.folder, "-o", fifo,
                                                                    "--force"]):
        assert_one_line_error(run_main(*args), "is not a regular file (a device, a pipe or a socket)")
        assert os.path.exists(fifo) and not os.path.isfile(fifo)
    with pytest.raises(BadOutput, match="is never replaced"):
        export(corpus, "jsonl", fifo, force=True)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("pipe")) == ["pipe"]  # no temporary left
