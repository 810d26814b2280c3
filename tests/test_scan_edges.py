"""What a scan, check and an export's re-read do with files that stop being files of the corpus,
with copies outside the scan's patterns, a read that fails for a moment, and odd names and
encodings. Each case was found by a review of the scanner; before the fix each attached a
document's annotations to the wrong file, read a file from outside the folder, or failed."""

from __future__ import annotations

import json
import os

from corpus_tui import Corpus
from corpus_tui.core.check import check_corpus
from corpus_tui.core.corpus import find_documents


def annotated(make_corpus):  # type: ignore[no-untyped-def]
    folder = make_corpus({"a.txt": "Alpha page\n\nBody of alpha.\n", "b.txt": "Beta page\n\nBody of beta.\n",
                          "c.txt": "Gamma page\n\nBody of gamma.\n"})
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        doc = corpus.document_by_path("a.txt")
        corpus.add_tag(doc.id, "keep")
        corpus.set_note(doc.id, "alpha note")
    return folder


def states(folder) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with Corpus.open(folder, annotator="tester", create=False) as corpus:
        return {doc.path: doc.state for doc in corpus.documents()}


def test_a_copy_outside_the_patterns_does_not_take_the_originals_annotations(make_corpus):
    """cp page.md page.txt, then scan --include '*.txt': page.md's row became page.txt's."""
    folder = make_corpus({"page.md": "Page\n\nBody of the page.\n"})
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        corpus.add_tag(corpus.document_by_path("page.md").id, "keep")
        (folder / "page.txt").write_bytes((folder / "page.md").read_bytes())
        summary = corpus.scan(include=["*.txt"])
        assert (summary.added, summary.renamed, summary.outside) == (1, 0, 1)
        assert [t.name for t in corpus.document_tags(corpus.document_by_path("page.md").id)] == ["keep"]
        assert corpus.document_tags(corpus.document_by_path("page.txt").id) == []


def test_a_file_replaced_by_a_folder_or_by_a_link_out_of_the_corpus_is_missing(make_corpus, tmp_path, run_main):
    folder = annotated(make_corpus)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("PRIVATE file outside the corpus\n")
    (folder / "a.txt").unlink()
    (folder / "a.txt").mkdir()
    (folder / "b.txt").unlink()
    (folder / "b.txt").symlink_to(outside / "secret.txt")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    assert states(folder)["a.txt"] == states(folder)["b.txt"] == "missing"  # "ok", with their old texts
    report = check_corpus(folder)
    assert report.ok  # the database says what the disk holds


def test_an_export_never_reads_a_file_a_link_out_of_the_folder_put_in_a_documents_place(make_corpus, tmp_path,
                                                                                          run_main):
    folder = annotated(make_corpus)
    secret = tmp_path / "secret.txt"
    secret.write_text("PRIVATE file outside the corpus\n")
    (folder / "b.txt").unlink()
    (folder / "b.txt").symlink_to(secret)
    result = run_main("export", folder, "-o", "-", "--allow-stale", "--include-missing")
    assert result.returncode == 0, result.stderr
    assert "PRIVATE" not in result.stdout
    records = {record["path"]: record for record in map(json.loads, result.stdout.splitlines())}
    assert records["b.txt"]["text"] == "Beta page\n\nBody of beta.\n"  # its last text, as a missing file's
    assert states(folder)["b.txt"] == "missing"


def test_a_read_that_failed_for_a_moment_is_tried_again_and_a_rename_still_finds_the_document(make_corpus):
    """A file away while the scan read it stayed 'unreadable' for good, and a rename after that
    made a new blank document (the annotations stayed on the missing row)."""
    folder = annotated(make_corpus)
    os.utime(folder / "a.txt", ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    with Corpus.open(folder, annotator="tester") as corpus:
        found = find_documents(folder)  # the scan's listing, taken before the file moves away
        os.rename(folder / "a.txt", folder / "a.away")
        assert corpus.scan(found=found).unreadable == 1
        os.rename(folder / "a.away", folder / "a.txt")
        summary = corpus.scan()
        assert (summary.unreadable, corpus.document_by_path("a.txt").state) == (0, "ok")
        found = find_documents(folder)
        os.rename(folder / "a.txt", folder / "a.away")
        corpus.scan(found=found)
        os.rename(folder / "a.away", folder / "renamed.txt")
        summary = corpus.scan()
        assert (summary.renamed, summary.added) == (1, 0)
        assert [t.name for t in corpus.document_tags(corpus.document_by_path("renamed.txt").id)] == ["keep"]


def test_check_compares_files_a_scan_read_under_other_patterns_and_counts_no_false_orphan(make_corpus):
    folder = make_corpus({"a.html": "<p>One</p>\n", "b.txt": "Two\n", "blob.txt": b"\x00\x01binary"})
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan(include=["*.html", "*.txt"])
        (folder / "blob.txt").unlink()  # never readable, deleted: no text, and that is no damage
        corpus.scan(include=["*.html", "*.txt"])
    assert check_corpus(folder).ok
    (folder / "a.html").write_text("<p>One, rewritten at another length</p>\n")
    report = check_corpus(folder)
    assert [(problem.kind, problem.path) for problem in report.problems] == [("changed-file", "a.html")]


def test_a_codec_that_is_not_a_text_encoding_is_refused_and_never_breaks_a_scan(make_corpus, run_main):
    folder = make_corpus({"a.txt": "hello there\n"})
    assert run_main("scan", folder).returncode == 0
    for args in (("hex",), ("base64", "--force"), ("undefined",), ("punycode", "--force"), ("idna",)):
        result = run_main("set-encoding", folder, "a.txt", *args)
        assert result.returncode == 1 and result.stderr.strip().endswith(
            f"a.txt: '{args[0]}' is not a text encoding; the encoding was not changed")
        assert "Traceback" not in result.stderr
    from corpus_tui.core.decoding import decode  # one stored by an earlier version: unreadable, said

    assert decode(b"a b", "punycode").problem.startswith("'punycode' is not a text encoding")


def test_a_name_that_is_not_utf8_and_reads_as_another_files_does_not_fail_the_scan(tmp_path, run_main):
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / "caf\\xe9.txt").write_text("the one whose name is text\n")
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "wb") as handle:
        handle.write(b"the one whose name is not UTF-8\n")
    result = run_main("scan", folder)
    assert result.returncode == 0, result.stderr  # "UNIQUE constraint failed: documents.path"
    assert "caf\\xe9.txt: two files are stored under this name" in result.stderr
    with Corpus.open(folder, annotator="tester", create=False) as corpus:
        (doc,) = corpus.documents()
        assert corpus.text(doc.id) == "the one whose name is text\n"
    assert run_main("check", folder).returncode == 0


def test_a_rename_keeps_the_encoding_set_for_the_document(make_corpus):
    """A cp1251 page renamed was read again without its set-encoding choice: cp1252 noise, its
    span stale, and later scans never fixed it (same size and time)."""
    page = "Новости дня\n\nВ Мосуле продолжаются бои.\n".encode("cp1251")
    folder = make_corpus({"ru.txt": page, "b.txt": "Beta\n"})
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        doc = corpus.set_encoding("ru.txt", "cp1251")
        text = corpus.text(doc.id)
        start = text.index("продолжаются")
        corpus.add_annotation(doc.id, start, start + len("продолжаются"), "EVENT")
        os.rename(folder / "ru.txt", folder / "ru-renamed.txt")
        summary = corpus.scan()
        assert (summary.renamed, summary.stale_spans) == (1, 0)
        moved = corpus.document_by_path("ru-renamed.txt")
        assert (moved.id, moved.encoding, corpus.text(moved.id)) == (doc.id, "cp1251", text)


def test_two_scans_at_once_after_a_rename_leave_the_renamed_document_ok(make_corpus):
    """Scan B read the rows before scan A moved old.txt's row to new.txt; at its end B marked
    the row missing by its id, with its file there (4 runs in 7 with two real scans: a review)."""
    from corpus_tui.core import scanner

    folder = annotated(make_corpus)
    os.rename(folder / "a.txt", folder / "renamed.txt")
    found = find_documents(folder)
    with Corpus.open(folder, annotator="tester") as first, Corpus.open(folder, annotator="tester") as second:
        late = scanner._Scan(second, found, partial=False)  # B has read the database
        assert scanner.scan(first, found).renamed == 1  # A runs to its end
        late.run(None)  # then B goes on
        assert first.document_by_path("renamed.txt").state == "ok"


def test_what_a_scan_says_of_guessed_readings_renamed_overrides_and_copies(make_corpus):
    """Three things a trial saw: a UTF-8 page with a stray bad byte was read right but not
    warned of; a renamed UTF-16 page with its encoding set was called binary and counted
    unreadable (it was read right); and of two identical copies, the renamed annotated one was
    joined to the other's row, its tag and note left on a missing document."""
    page = "Zürich, São Paulo, Ελληνικά, русский язык, a page of many accented words.\n".encode()
    folder = make_corpus({"bad.txt": page + b"bad byte: \xff end\n",
                          "u.txt": "UTF-16 text: Привет мир, hello world.\n".encode("utf-16-le"),
                          "x1.txt": "Identical copy of a page.\n", "x2.txt": "Identical copy of a page.\n"})
    with Corpus.open(folder, annotator="tester") as corpus:
        summary = corpus.scan()
        assert "bad.txt: 1 byte sequence not valid UTF-8, each shown as \ufffd" in summary.problems
        advice = next(problem for problem in summary.problems if problem.startswith("u.txt"))
        assert f"corpus-tui set-encoding {folder.resolve()} u.txt utf-16-le reads it" in advice  # to paste as it is
        corpus.set_encoding("u.txt", "utf-16-le")
        corpus.add_tag(corpus.document_by_path("x2.txt").id, "keepme")
        os.rename(folder / "u.txt", folder / "v.txt")
        os.rename(folder / "x2.txt", folder / "y.txt")
        (folder / "x1.txt").unlink()
        summary = corpus.scan()
        assert (summary.renamed, summary.unreadable, summary.problems) == (2, 0, [])
        assert [t.name for t in corpus.document_tags(corpus.document_by_path("y.txt").id)] == ["keepme"]


def test_a_scan_of_a_folder_whose_files_are_all_gone_says_what_the_corpus_knows(make_corpus, run_main):
    """check said "run scan", and scan said only "no documents found" (a trial)."""
    folder = make_corpus({"only.txt": "Only page here about Mosul.\n"})
    assert run_main("scan", folder).returncode == 0
    (folder / "only.txt").rename(folder / "only.bak")
    result = run_main("scan", folder)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert "the corpus knows 1 document here: nothing was marked missing" in result.stderr


def test_of_identical_gone_copies_a_moved_one_takes_the_row_most_like_it(make_corpus):
    """Two identical pages: a moved one was joined to the first gone row with its name, not the
    one with its tag and note; and two copies whose folders were renamed swapped their tags (a
    review). The name counts first, then the file's time (a move keeps it), then work."""
    page = "Identical copy page text about the Euphrates valley.\n"
    folder = make_corpus({"a/page.txt": page, "b/page.txt": page, "p/x.txt": page + "x", "q/x.txt": page + "x"})
    os.utime(folder / "p/x.txt", ns=(1_600_000_000_000_000_000,) * 2)
    os.utime(folder / "q/x.txt", ns=(1_700_000_000_000_000_000,) * 2)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        corpus.add_tag(corpus.document_by_path("b/page.txt").id, "keep")
        corpus.add_tag(corpus.document_by_path("p/x.txt").id, "from-p")
        corpus.add_tag(corpus.document_by_path("q/x.txt").id, "from-q")
        (folder / "a/page.txt").unlink()
        (folder / "c").mkdir()
        (folder / "b/page.txt").rename(folder / "c/page.txt")
        (folder / "p").rename(folder / "s")
        (folder / "q").rename(folder / "r")
        corpus.scan()
        tags = {path: [t.name for t in corpus.document_tags(corpus.document_by_path(path).id)]
                for path in ("c/page.txt", "s/x.txt", "r/x.txt")}
    assert tags == {"c/page.txt": ["keep"], "s/x.txt": ["from-p"], "r/x.txt": ["from-q"]}


def test_the_advice_names_the_database_when_it_is_not_the_folders_own(make_corpus, tmp_path, run_main):
    """With --db elsewhere, the set-encoding command the scan advised found no corpus (it named
    the folder alone): the advice names the database too, and works as pasted."""
    import shlex

    folder = make_corpus({"u.txt": "UTF-16 text: Привет мир, hello world.\n".encode("utf-16-le")})
    database = tmp_path / "elsewhere.db"
    with Corpus.open(folder, db=database, annotator="tester") as corpus:
        advice = corpus.scan().problems[0]
    command = advice.split("corpus-tui ", 1)[1].removesuffix(" reads it")
    assert command.startswith(f"set-encoding --db {database} {folder.resolve()} u.txt utf-16-le")
    result = run_main(*shlex.split(command))
    assert result.returncode == 0, result.stderr
    with Corpus.open(folder, db=database, annotator="tester") as corpus:
        assert corpus.document_by_path("u.txt").state == "ok"


def test_a_folder_the_scan_cannot_enter_leaves_its_documents_as_they_were(scanned, monkeypatch):
    """A sub-folder whose permissions changed hid its files from the scan, which marked their
    documents missing without a word (left alone at two stops). Now they stay as they were, and
    the scan says why. (The test runs as any user: the system's refusal is simulated.)"""
    import os as os_module

    corpus, folder = scanned({"top.txt": "A page at the top.\n", "sub/a.txt": "A page in the folder.\n"})
    corpus.add_tag(corpus.document_by_path("sub/a.txt").id, "keep")
    locked = str(folder / "sub")
    real_scandir, real_stat = os_module.scandir, os_module.stat

    def scandir(path="."):  # type: ignore[no-untyped-def]
        if os_module.fspath(path).rstrip("/").endswith("/sub"):
            raise PermissionError(13, "Permission denied", os_module.fspath(path))
        return real_scandir(path)

    def stat(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os_module.fspath(path).startswith(locked + "/"):
            raise PermissionError(13, "Permission denied", os_module.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os_module, "scandir", scandir)
    monkeypatch.setattr(os_module, "stat", stat)
    summary = corpus.scan()
    assert summary.problems == ["sub/a.txt: cannot be reached (permission denied): left as it was"]
    assert (summary.vanished, summary.outside) == (0, 0)
    document = corpus.document_by_path("sub/a.txt")
    assert document.state == "ok" and [t.name for t in corpus.document_tags(document.id)] == ["keep"]
    # check said "the file is gone ... (run scan)", which the scan never cleared (a review)
    from corpus_tui.core.check import check_corpus

    [problem] = check_corpus(folder).problems
    assert (problem.kind, problem.path) == ("unreachable-file", "sub/a.txt")
    assert problem.message.startswith("cannot be reached (permission denied)")
    monkeypatch.undo()
    (folder / "sub" / "a.txt").unlink()  # gone for real: missing, as ever
    assert corpus.scan().vanished == 1 and corpus.document_by_path("sub/a.txt").state == "missing"
