"""seeds/ is the shared sample corpus, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_seeds, seed_documents, sha256

SHARED_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds is not present")
def test_seeds_match_shared_seeds_byte_for_byte():
    shared = {p.name: sha256(p) for p in SHARED_SEEDS.iterdir() if p.is_file()}
    ours = {p.name: sha256(p) for p in seed_documents()}
    assert len(shared) == 5
    assert ours == shared


def test_seeds_are_five_plain_text_files():
    names = [p.name for p in seed_documents()]
    assert len(names) == 5
    assert all(name.endswith(".txt") for name in names)


def test_tests_copy_the_seed_documents_without_a_database_left_in_seeds(tmp_path):
    """The README's first command opens the app on seeds/, which leaves seeds/annotations.db
    (and, while it runs, -wal and -shm) in the checkout: the tests' copies never take them."""
    checkout = tmp_path / "checkout-seeds"
    checkout.mkdir()
    (checkout / "a.txt").write_text("a document\n")
    for name in ("annotations.db", "annotations.db-wal", "annotations.db-shm"):
        (checkout / name).write_bytes(b"SQLite format 3\x00")
    copied = copy_seeds(tmp_path / "copy", source=checkout)
    assert sorted(p.name for p in copied.iterdir()) == ["a.txt"]
