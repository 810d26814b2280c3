"""Line-format exports rendered by worker processes: the same bytes as one process,
one snapshot, and nothing left behind when a worker or the caller gives up."""

from __future__ import annotations

import json
import sys
import time

import pytest
from conftest import assert_one_line_error

from corpus_tui.core import Corpus
from corpus_tui.core.errors import InvalidValue
from corpus_tui.core.export import api, export, parallel
from corpus_tui.core.export.parallel import WorkerFailed, workers_for

TEXT = "Home | News\n\nThe {n}th article, “quoted”.\n\nCopyright © 2017\n"
DOCUMENTS = 23


@pytest.fixture
def corpus(scanned, monkeypatch):
    """23 annotated documents, one of them stale; blocks of 4 documents, so 6 blocks."""
    monkeypatch.setattr(parallel, "BLOCK", 4)
    files = {f"d{n:02}.txt": TEXT.format(n=n) for n in range(DOCUMENTS)}
    files["sub/odd \u2028name.txt"] = "a line\x0bwith a vertical tab\n"
    corpus, _ = scanned(files)
    for doc in corpus.documents():
        text = corpus.text(doc.id)
        if doc.path.startswith("d"):
            corpus.mark_boilerplate(doc.id, 0, 11, reason="nav")
            corpus.mark_boilerplate(doc.id, text.index("Copyright"), len(text))
            corpus.add_annotation(doc.id, text.index("article"), text.index("article") + 7, "NOUN", note="n")
        if doc.path < "d05":
            corpus.add_tag(doc.id, "early")
    stale = corpus.document_by_path("d07.txt")
    (corpus.folder / "d07.txt").write_text("rewritten entirely\n", encoding="utf-8")
    corpus.scan()  # its spans go stale
    corpus.set_status(stale.id, "reviewed")
    return corpus


def exported(corpus, tmp_path, fmt, jobs, **options):
    out = tmp_path / f"{fmt}-{jobs}.out"
    summary = export(corpus, fmt, out, jobs=jobs, **options)
    assert summary.workers == (jobs if jobs > 1 else 0)
    return out.read_bytes(), {k: v for k, v in summary.as_dict().items() if k not in ("output", "workers")}


@pytest.mark.parametrize("fmt", ["jsonl", "prodigy", "doccano", "csv"])
@pytest.mark.parametrize("allow_stale", [False, True])
def test_workers_write_the_bytes_of_one_process(corpus, tmp_path, fmt, allow_stale):
    alone = exported(corpus, tmp_path, fmt, 1, allow_stale=allow_stale)
    assert exported(corpus, tmp_path, fmt, 3, allow_stale=allow_stale) == alone
    data, summary = alone
    assert summary["documents"] == DOCUMENTS + 1 - (not allow_stale)
    assert summary["left_out_stale"] == ([] if allow_stale else ["d07.txt"])


def test_workers_with_filters_and_to_stdout(corpus, tmp_path, capfdbinary):
    data, summary = exported(corpus, tmp_path, "jsonl", 1, tags=["early"])
    assert summary["documents"] == 5
    export(corpus, "jsonl", "-", jobs=2, tags=["early"])
    assert capfdbinary.readouterr().out == data


def test_workers_find_files_changed_since_the_scan(corpus, tmp_path):
    (corpus.folder / "d03.txt").write_text(TEXT.format(n=3).replace("\n\nThe", "\n\n\nThe"), encoding="utf-8")
    (corpus.folder / "d04.txt").unlink()
    summary = export(corpus, "jsonl", tmp_path / "out.jsonl", jobs=2)
    assert summary.refreshed == 2 and summary.missing_left_out == 1 and summary.workers == 2
    assert (tmp_path / "out.jsonl").read_bytes() == exported(corpus, tmp_path, "jsonl", 1)[0]
    (record,) = [json.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()
                 if b'"d03.txt"' in line]
    assert "\n\n\nThe" in record["text"] and record["spans"][0]["text"] == "article"


def test_documents_added_after_the_blocks_were_cut_are_exported(corpus, tmp_path, monkeypatch):
    apply_changes = api.apply_changes

    def scan_new_files_first(*args):  # between cutting the blocks and taking the snapshot
        for name in ("0 first.txt", "d05b.txt", "zzz last.txt"):
            (corpus.folder / name).write_text(f"{name}\n", encoding="utf-8")
        with Corpus.open(corpus.folder) as other:
            other.scan()
        return apply_changes(*args)

    monkeypatch.setattr(api, "apply_changes", scan_new_files_first)
    summary = export(corpus, "jsonl", tmp_path / "out.jsonl", jobs=2)
    assert summary.workers == 2 and summary.documents == DOCUMENTS + 3
    assert (tmp_path / "out.jsonl").read_bytes() == exported(corpus, tmp_path, "jsonl", 1)[0]


def test_progress_counts_every_document_in_order(corpus, tmp_path):
    seen = []
    export(corpus, "jsonl", tmp_path / "out.jsonl", jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, DOCUMENTS + 1) and seen[-1] == (DOCUMENTS + 1, DOCUMENTS + 1)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen) and len(seen) == 7


def test_one_snapshot_even_when_someone_writes_during_the_export(corpus, tmp_path):
    before = exported(corpus, tmp_path, "jsonl", 1)[0]
    last = corpus.document_by_path("sub/odd \u2028name.txt")
    with Corpus.open(corpus.folder) as other:

        def write_meanwhile(done: int, total: int) -> None:
            if done == 0:  # the workers hold their snapshots; the write lock is free again
                other.set_note(last.id, "written during the export")
                other.add_tag(corpus.document_by_path("d00.txt").id, "late")

        export(corpus, "jsonl", tmp_path / "during.jsonl", jobs=2, progress=write_meanwhile)
    assert (tmp_path / "during.jsonl").read_bytes() == before
    assert b"written during the export" in exported(corpus, tmp_path, "jsonl", 2)[0]


@pytest.fixture
def started(monkeypatch):
    """Every worker process the test starts."""
    workers = []
    start = parallel._Worker.__init__

    def record(self, *args):
        start(self, *args)
        workers.append(self.process)

    monkeypatch.setattr(parallel._Worker, "__init__", record)
    return workers


def assert_clean(tmp_path, corpus, workers):
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == []
    assert workers and all(process.poll() is not None for process in workers)
    corpus.set_note(corpus.document_by_path("d01.txt").id, "the write lock is free")


def test_a_worker_that_dies_fails_the_export_and_leaves_nothing(corpus, tmp_path, started):
    def kill_one(done: int, total: int) -> None:
        if done:
            started[0].kill()
            started[0].wait()  # the next message to it meets a closed pipe

    with pytest.raises(WorkerFailed, match="export worker"):
        export(corpus, "jsonl", tmp_path / "out.jsonl", jobs=2, progress=kill_one)
    assert_clean(tmp_path, corpus, started)


def test_cancelling_from_progress_stops_the_workers(corpus, tmp_path, started):
    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int) -> None:
        if done:
            raise Cancelled

    with pytest.raises(Cancelled):
        export(corpus, "csv", tmp_path / "out.csv", jobs=2, progress=cancel)
    assert_clean(tmp_path, corpus, started)


def test_workers_that_cannot_start_leave_the_work_to_this_process(corpus, tmp_path, monkeypatch):
    alone = exported(corpus, tmp_path, "jsonl", 1)
    monkeypatch.setattr(parallel, "worker_command", lambda: [sys.executable, "-c", "raise SystemExit(3)"])
    summary = export(corpus, "jsonl", tmp_path / "fallback.jsonl", jobs=2)
    assert summary.workers == 0 and (tmp_path / "fallback.jsonl").read_bytes() == alone[0]


def test_how_many_workers():
    assert workers_for(1, 10**6) == 0 and workers_for(3, 5000) == 3 and workers_for(3, 0) == 0
    assert workers_for(3, parallel.BLOCK + 1) == 2 and workers_for(3, parallel.BLOCK) == 0  # one per block at most
    assert workers_for(None, parallel.AUTO_MIN_DOCUMENTS - 1) == 0
    for jobs in (0, parallel.MAX_JOBS + 1):
        with pytest.raises(InvalidValue):
            workers_for(jobs, 10)


BOOTSTRAP = parallel.worker_command()


@pytest.mark.parametrize("command", [
    [sys.executable, "-c", "raise SystemExit(3)"],  # dead before it is asked anything
    [sys.executable, "-c", "print(" + repr(parallel.HELLO.decode().strip()) + "); print('nonsense')"],
])
def test_workers_that_fail_before_the_snapshot_leave_the_work_here(corpus, tmp_path, monkeypatch, command):
    alone = exported(corpus, tmp_path, "jsonl", 1)[0]
    monkeypatch.setattr(parallel, "worker_command", lambda: command)
    refresh = api.refresh_changed
    monkeypatch.setattr(api, "refresh_changed", lambda *a: (time.sleep(0.5), refresh(*a))[1])  # they die meanwhile
    started = time.monotonic()
    summary = export(corpus, "jsonl", tmp_path / "fallback.jsonl", jobs=2)
    assert summary.workers == 0 and (tmp_path / "fallback.jsonl").read_bytes() == alone
    assert time.monotonic() - started < 5


def test_what_a_site_hook_prints_before_the_worker_starts_is_skipped(corpus, tmp_path, monkeypatch):
    noisy = [*BOOTSTRAP[:3], "print('hello from a sitecustomize'); " + BOOTSTRAP[3], *BOOTSTRAP[4:]]
    monkeypatch.setattr(parallel, "worker_command", lambda: noisy)
    assert exported(corpus, tmp_path, "jsonl", 2) == exported(corpus, tmp_path, "jsonl", 1)


def test_output_a_hook_glued_to_the_workers_greeting_is_skipped(corpus, tmp_path, monkeypatch):
    glued = [*BOOTSTRAP[:3], "sys.stdout.write('no newline'); sys.stdout.flush(); " + BOOTSTRAP[3], *BOOTSTRAP[4:]]
    glued[3] = "import sys; " + glued[3]
    monkeypatch.setattr(parallel, "worker_command", lambda: glued)
    assert exported(corpus, tmp_path, "jsonl", 2) == exported(corpus, tmp_path, "jsonl", 1)


def test_a_worker_error_is_one_line(corpus, tmp_path, monkeypatch, started):
    failing = (
        "import sys; sys.path.insert(0, sys.argv[1]); import corpus_tui.core.export.stream as stream\n"
        "def render_chunk(*args): raise RuntimeError('first line\\nsecond line')\n"
        "stream.render_chunk = render_chunk\n"
        "from corpus_tui.core.export.worker import main; sys.exit(main())"
    )
    monkeypatch.setattr(parallel, "worker_command", lambda: [*BOOTSTRAP[:3], failing, *BOOTSTRAP[4:]])
    with pytest.raises(WorkerFailed) as failure:
        export(corpus, "jsonl", tmp_path / "out.jsonl", jobs=2)
    assert str(failure.value).endswith("RuntimeError: first line second line")
    assert_clean(tmp_path, corpus, started)


def test_jobs_is_checked_for_every_format(corpus, tmp_path):
    with pytest.raises(InvalidValue, match="jobs"):
        export(corpus, "markdown", tmp_path / "md", jobs=0)
    assert not (tmp_path / "md").exists()


def test_a_busy_write_lock_means_no_workers_not_a_wait(corpus, tmp_path):
    alone = exported(corpus, tmp_path, "jsonl", 1)[0]
    with Corpus.open(corpus.folder) as other:
        other.db.conn.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            summary = export(corpus, "jsonl", tmp_path / "locked.jsonl", jobs=2)
            waited = time.monotonic() - started
        finally:
            other.db.conn.execute("ROLLBACK")
    assert summary.workers == 0 and (tmp_path / "locked.jsonl").read_bytes() == alone
    assert waited < api.WRITE_LOCK_WAIT_MS / 1000 + 3


def test_cli_jobs_option(corpus, tmp_path, run_main):
    alone = exported(corpus, tmp_path, "jsonl", 1)[0]
    result = run_main("export", corpus.folder, "--jobs", "2", "-o", tmp_path / "cli.jsonl")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cli.jsonl").read_bytes() == alone
    assert "1 left out with stale spans" in result.stdout
    assert [json.loads(line)["path"] for line in alone.splitlines()][-1] == "sub/odd \u2028name.txt"
    assert_one_line_error(run_main("export", corpus.folder, "--jobs", "0"), "--jobs")
