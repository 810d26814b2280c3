"""Shared fixtures for the core store / scan / CLI tests.

Everything happens in ``tmp_path``; the repository's ``seeds/`` folder is only
ever copied, never written to.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from corpus_tui.cli import cli
from corpus_tui.core import Corpus

# Hypothesis keeps its files out of the repository (read lazily, so setting it here works).
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "corpus-tui-hypothesis")
)

# The costliest test files, in seconds (``pytest --durations=0``, summed per file, 2026-12-03):
# they start first, so that no worker is left running one of them alone at the end (the
# longest-first order of scheduling; ``--no-loadscope-reorder`` keeps this order). Only the
# order depends on these figures; a file not listed runs after them, in its usual place.
COSTLIEST_FILES = {
    "test_tui_keys.py": 92, "test_reliability.py": 89, "test_fault_injection_store.py": 41,
    "test_tui_repeats.py": 35, "test_tmux_e2e.py": 35, "test_fault_injection_io.py": 32, "test_tui_new_user.py": 32,
    "test_tui_shared_corpus.py": 31, "test_apply.py": 28, "test_shared_corpus.py": 14, "test_normalize.py": 14,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: -COSTLIEST_FILES.get(item.path.name, 0))  # stable: files keep their tests' order


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the cores. A third of the suite's time is spent waiting
    for child processes (the CLI, kill trials, the app in tmux), so a core is left idle then:
    on 2 cores, 3 workers ran the suite in 4:08 against 5:12 for 2, and 4 in 4:48."""
    return (os.cpu_count() or 1) + 1


REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"

# What turns a version 7 database back into a version 6 one (``passages`` as a rowid table
# with a text kind and two indexes), for tests that make an older corpus from a new one.
UNDO_SCHEMA_V7 = (
    'CREATE TABLE passages_v6 (document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE, '
    "fingerprint INTEGER NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('line', 'paragraph')), "
    'start INTEGER NOT NULL, "end" INTEGER NOT NULL)',
    'INSERT INTO passages_v6 (document_id, fingerprint, kind, start, "end") SELECT document_id, fingerprint, '
    "CASE paragraph WHEN 1 THEN 'paragraph' ELSE 'line' END, start, \"end\" FROM passages",
    "DROP TABLE passages",
    "ALTER TABLE passages_v6 RENAME TO passages",
    "CREATE INDEX passages_fingerprint ON passages (fingerprint, document_id)",
    "CREATE INDEX passages_document ON passages (document_id)",
    "UPDATE schema_version SET version = 6",
)


def seed_documents(source: Path = SEEDS) -> list[Path]:
    """The example documents in seeds/, without the database the README's first command
    (the app on seeds/) leaves there: tests never depend on the checkout's state."""
    return sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("annotations.db"))


def copy_seeds(target: Path, source: Path = SEEDS) -> Path:
    """A private copy of the seed documents (copy2 keeps mtimes, like a real corpus would)."""
    target.mkdir(parents=True)
    for document in seed_documents(source):
        shutil.copy2(document, target / document.name)
    return target


SEED_NAMES = [p.name for p in seed_documents()]


@pytest.fixture(autouse=True)
def annotator_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test annotates as 'tester' unless it says otherwise."""
    monkeypatch.setenv("CORPUS_TUI_ANNOTATOR", "tester")
    return "tester"


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of the seed documents."""
    return copy_seeds(tmp_path / "seeds")


@pytest.fixture
def make_corpus(tmp_path: Path) -> Callable[..., Path]:
    """``make_corpus({"a.txt": "text", "sub/b.md": b"bytes"}, name="corpus")`` -> folder."""

    def make(files: dict[str, str | bytes], name: str = "corpus") -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                path.write_bytes(content.encode("utf-8"))
            else:
                path.write_bytes(content)
        return folder

    return make


@pytest.fixture
def open_corpus() -> Iterator[Callable[..., Corpus]]:
    """Open a corpus and close it at teardown (so Windows-style locks never linger)."""
    opened: list[Corpus] = []

    def open_(folder: Path, **kwargs) -> Corpus:
        corpus = Corpus.open(folder, **kwargs)
        opened.append(corpus)
        return corpus

    yield open_
    for corpus in opened:
        corpus.close()


@pytest.fixture
def scanned(make_corpus, open_corpus) -> Callable[..., tuple[Corpus, Path]]:
    """Write files, open the corpus and scan it: ``corpus, folder = scanned({...})``."""

    def build(files: dict[str, str | bytes], **kwargs) -> tuple[Corpus, Path]:
        folder = make_corpus(files)
        corpus = open_corpus(folder, **kwargs)
        corpus.scan()
        return corpus, folder

    return build


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Invoke ``corpus_tui.cli.cli`` in-process; exceptions stay in ``result.exception``."""
    runner = CliRunner()

    def run(*args: str | os.PathLike, **kwargs) -> Result:
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=True, **kwargs)

    return run


@dataclass
class ScriptResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()


@pytest.fixture
def run_script() -> Callable[..., ScriptResult]:
    """Run the real console entry point (``python -m corpus_tui``) in a subprocess."""

    def run(*args: str | os.PathLike, cwd: Path | None = None) -> ScriptResult:
        completed = subprocess.run(
            [sys.executable, "-m", "corpus_tui", *[str(a) for a in args]],
            capture_output=True, text=True, cwd=cwd, timeout=60,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        return ScriptResult(completed.returncode, completed.stdout, completed.stderr)

    return run


@pytest.fixture
def run_main(monkeypatch: pytest.MonkeyPatch) -> Callable[..., ScriptResult]:
    """``run_script`` in this process: the console entry point's ``main()`` with these arguments,
    its stdout and stderr captured as a subprocess's (text, universal newlines). The same code
    runs, without a new interpreter and its imports: a third of a second a call, and the suite
    makes hundreds. For what needs a process of its own (signals, a closed stdin, children that
    outlive it), use ``run_script``."""
    from corpus_tui import entry

    def run(*args: str | os.PathLike, cwd: Path | None = None) -> ScriptResult:
        streams = [io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True) for _ in range(3)]
        with monkeypatch.context() as patch:
            patch.setattr(sys, "argv", ["corpus-tui", *[str(a) for a in args]])
            patch.setattr(sys, "stdin", streams[0])
            patch.setattr(sys, "stdout", streams[1])
            patch.setattr(sys, "stderr", streams[2])
            if cwd is not None:
                patch.chdir(cwd)
            try:
                entry.main()
                code = 0
            except SystemExit as stopped:
                code = stopped.code if isinstance(stopped.code, int) else (0 if stopped.code is None else 1)
        written = []
        for stream in streams[1:]:
            stream.flush()
            written.append(_as_text(stream.buffer.getvalue()))  # type: ignore[attr-defined]
        return ScriptResult(code, *written)

    return run


def _as_text(data: bytes) -> str:
    """What ``subprocess.run(..., text=True)`` reads: UTF-8, line ends translated."""
    return data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")


def assert_one_line_error(result: ScriptResult, *needles: str) -> str:
    """The CLI contract: one stderr line, non-zero exit, no traceback."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr_lines) == 1, result.stderr
    line = result.stderr_lines[0]
    for needle in needles:
        assert needle in line, line
    return line


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot_files(folder: Path) -> dict[str, tuple[str, int]]:
    """sha256 and st_mtime_ns of every non-database file under ``folder``."""
    return {
        str(p.relative_to(folder)): (sha256(p), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith("annotations.db")
    }
