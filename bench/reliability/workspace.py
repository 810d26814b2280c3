"""The data every trial starts from, generated once per run.

``Workspace(root, docs)`` holds:

- ``corpus/``: a synthetic corpus (``generate_corpus.py``), never left changed
  after a trial (a rescan trial changes files and puts them back, mtimes included);
- ``scanned.db``: that corpus scanned, nothing annotated;
- ``annotated.db``: the same with annotations, boilerplate, tags, statuses and
  notes on the first ``annotated`` documents (what a rescan must re-anchor);
- ``tags-N.csv``: ``path,tag`` rows, ``tags_per_doc`` tags per document, tag names
  unique to the file (``imp{N}-topicK``);
- ``annotations.jsonl``: ``corpus-tui export --only-annotated`` of annotated.db.

A trial copies a database into ``corpus/annotations.db`` (``restore``); nothing
here is ever written by the process under test.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
from generate_corpus import GENERATOR_VERSION, generate, read_marker  # noqa: E402

WORKSPACE_VERSION = 1  # bump when what prepare() builds changes
DB_NAME = "annotations.db"
SUFFIXES = ("", "-wal", "-shm", "-journal")


def cli_command() -> list[str]:
    """``python -m corpus_tui`` of this interpreter; the repository on the path, so a
    clean clone with its dependencies installed works without ``pip install``."""
    return [sys.executable, "-m", "corpus_tui"]


def child_env(**extra: str) -> dict[str, str]:
    path = os.environ.get("PYTHONPATH", "")
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{path}" if path else str(REPO),
           "PYTHONWARNINGS": "ignore", "CORPUS_TUI_ANNOTATOR": "reliability"}
    env.pop("PYTEST_CURRENT_TEST", None)
    for size in ("COLUMNS", "LINES"):  # pytest-xdist exports 80x24: an app would take it for its terminal's
        env.pop(size, None)
    return {**env, **extra}


def remove_database(db: Path) -> None:
    for suffix in SUFFIXES:
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def document_files(folder: Path) -> list[str]:
    """The documents on disk, as relative POSIX paths (what a scan indexes)."""
    return sorted(
        path.relative_to(folder).as_posix()
        for pattern in ("*.txt", "*.md", "*.markdown")
        for path in folder.rglob(pattern)
        if not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


@dataclass
class Workspace:
    root: Path
    docs: int = 3200
    seed: int = 0
    annotated: int = 1000
    tags_per_doc: int = 20
    tag_files: int = 4
    log: object = print
    files: list[str] = field(default_factory=list)
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def db(self) -> Path:
        return self.corpus / DB_NAME

    def tags_csv(self, number: int = 0) -> Path:
        return self.root / f"tags-{number}.csv"

    @property
    def annotations_jsonl(self) -> Path:
        return self.root / "annotations.jsonl"

    def prepare(self) -> "Workspace":
        self.root.mkdir(parents=True, exist_ok=True)
        marker = read_marker(self.corpus)
        wanted = (self.docs, self.seed, GENERATOR_VERSION)
        reuse = marker and (marker.get("docs"), marker.get("seed"), marker.get("generator_version")) == wanted
        if not reuse:
            self.log(f"generating {self.docs} documents in {self.corpus} ...")
            for stale in self.root.glob("*"):
                if stale.is_dir():
                    shutil.rmtree(stale)
                else:
                    stale.unlink()
            generate(self.corpus, self.docs, self.seed)
        remove_database(self.db)
        self.files = document_files(self.corpus)
        self.stats = {path: self._stat(path) for path in self.files}
        made = self.root / "workspace.json"
        params = json.dumps([WORKSPACE_VERSION, self.docs, self.seed, self.annotated, self.tags_per_doc,
                             self.tag_files])
        if not (reuse and made.exists() and made.read_text() == params):
            for name in ("scanned.db", "annotated.db", "annotations.jsonl", *(f"tags-{n}.csv" for n in range(99))):
                (self.root / name).unlink(missing_ok=True)
        if not ((self.root / "scanned.db").exists() and (self.root / "annotated.db").exists()):
            self._build_databases()
        for number in range(self.tag_files):
            if not self.tags_csv(number).exists():
                self._write_tags_csv(number)
        if not self.annotations_jsonl.exists():
            self.restore("annotated.db")
            subprocess.run([*cli_command(), "export", str(self.corpus), "--only-annotated", "-o",
                            str(self.annotations_jsonl)], check=True, capture_output=True, env=child_env())
            remove_database(self.db)
        made.write_text(params)
        return self

    def _stat(self, path: str) -> tuple[int, int]:
        stat = os.stat(self.corpus / path)
        return stat.st_size, stat.st_mtime_ns

    def _build_databases(self) -> None:
        from corpus_tui import Corpus

        self.log(f"scanning and annotating {self.corpus} ...")
        subprocess.run([*cli_command(), "scan", str(self.corpus)], check=True, capture_output=True, env=child_env())
        self._checkpoint_and_copy(self.root / "scanned.db")
        rng = random.Random(self.seed)
        with Corpus.open(self.corpus, annotator="seeder", create=False) as corpus:
            corpus.db.execute("PRAGMA synchronous = OFF")  # test data: thousands of commits, no fsync each
            rows = corpus.query("SELECT id, char_count FROM documents WHERE state = 'ok' ORDER BY id LIMIT ?",
                                [self.annotated])
            for row in rows:
                length = row["char_count"]
                for k in range(4):
                    start = rng.randrange(0, length - 40)
                    corpus.add_annotation(row["id"], start, start + rng.randint(5, 40), f"LABEL{k}", note=f"n{k}")
                corpus.mark_boilerplate(row["id"], length - 60, length, reason="footer")
                corpus.add_tag(row["id"], f"seed-{row['id'] % 9}")
                corpus.set_status(row["id"], rng.choice(["reviewed", "in_progress", "skipped"]))
                corpus.set_note(row["id"], f"seeded note {row['id']}")
        self._checkpoint_and_copy(self.root / "annotated.db")
        remove_database(self.db)

    def _checkpoint_and_copy(self, target: Path) -> None:
        import sqlite3

        conn = sqlite3.connect(self.db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        shutil.copyfile(self.db, target)

    def _write_tags_csv(self, number: int) -> None:
        rng = random.Random(self.seed * 1000 + number)
        path = self.tags_csv(number)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["path", "tag"])
            for doc in self.files:
                for topic in rng.sample(range(300), min(self.tags_per_doc, 300)):
                    writer.writerow([doc, f"imp{number}-topic{topic}"])
        tmp.replace(path)

    def restore(self, name: str | None) -> None:
        """Put a fresh copy of ``name`` (scanned.db, annotated.db) in place, or no database."""
        remove_database(self.db)
        if name is not None:
            shutil.copyfile(self.root / name, self.db)

    def drift(self) -> list[str]:
        """Files whose size or mtime differ from the generated corpus (should be [])."""
        now = set(document_files(self.corpus))
        changed = sorted(now ^ set(self.files))
        changed += [path for path in self.files if path in now and self._stat(path) != self.stats[path]]
        return changed
