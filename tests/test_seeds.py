"""seeds/ is the shared sample corpus, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SEEDS, sha256

SHARED_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds is not present")
def test_seeds_match_shared_seeds_byte_for_byte():
    shared = {p.name: sha256(p) for p in SHARED_SEEDS.iterdir() if p.is_file()}
    ours = {p.name: sha256(p) for p in SEEDS.iterdir()}
    assert len(shared) == 5
    assert ours == shared


def test_seeds_are_five_plain_text_files():
    names = sorted(p.name for p in SEEDS.iterdir())
    assert len(names) == 5
    assert all(name.endswith(".txt") for name in names)
