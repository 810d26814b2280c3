"""The files ``apply --dedup``'s stages hand each other (``apply_shuffle``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpus_tui.core import apply_shuffle
from corpus_tui.core.errors import DamagedWorkFile
from corpus_tui.core.apply_shuffle import (
    BucketWriter,
    bucket_range,
    read_bucket_range,
    read_segment,
    task_of_bucket,
    write_segments,
)


def test_a_bucket_file_gives_each_range_its_entries_in_the_order_they_were_added(tmp_path, monkeypatch):
    monkeypatch.setattr(apply_shuffle, "RUN_BYTES", 40)  # a run every 10 entries: many runs
    buckets = 16
    added = [(number * 7 % buckets, number.to_bytes(4, "little")) for number in range(200)]
    with BucketWriter(tmp_path / "f.bin", buckets) as writer:
        for bucket, entry in added:
            writer.add(bucket, entry)
    assert not list(tmp_path.glob(".*.partial"))
    seen = []
    for task in range(3):
        first, end = bucket_range(task, 3, buckets)
        chunks = list(read_bucket_range(tmp_path / "f.bin", buckets, first, end))
        assert len(chunks) == 20  # one a run
        entries = [chunk[at : at + 4] for chunk in chunks for at in range(0, len(chunk), 4)]
        for bucket in range(first, end):  # a bucket's entries in the order added, whatever the runs
            assert [e for e in entries if (int.from_bytes(e, "little") * 7 % buckets) == bucket] == \
                [e for b, e in added if b == bucket]
        seen += entries
    assert sorted(seen) == sorted(entry for _, entry in added)


def test_a_bucket_file_written_by_a_task_that_fails_is_not_there(tmp_path):
    with pytest.raises(KeyboardInterrupt), BucketWriter(tmp_path / "f.bin", 4) as writer:
        writer.add(1, b"abcd")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_an_empty_bucket_file_has_no_entries(tmp_path):
    with BucketWriter(tmp_path / "f.bin", 4):
        pass
    assert list(read_bucket_range(tmp_path / "f.bin", 4, 0, 4)) == []


def test_a_bucket_file_with_a_run_more_than_its_trailer_counts_is_damaged(tmp_path, monkeypatch):
    monkeypatch.setattr(apply_shuffle, "RUN_BYTES", 16)
    path = tmp_path / "f.bin"
    with BucketWriter(path, 4) as writer:
        for number in range(4):
            writer.add(number % 4, number.to_bytes(8, "little"))
    data = path.read_bytes()
    run = 5 * 8 + 16
    path.write_bytes(data[:run] + data[2 * run:])  # the second run lost, the trailer still saying two
    with pytest.raises(DamagedWorkFile, match="truncated"):
        list(read_bucket_range(path, 4, 0, 4))
    path.write_bytes(data[: 2 * run] + data[run : 2 * run] + data[2 * run:])  # a run too many
    with pytest.raises(DamagedWorkFile, match="truncated"):
        list(read_bucket_range(path, 4, 0, 4))


def test_a_truncated_bucket_file_is_an_error_not_fewer_entries(tmp_path):
    with BucketWriter(tmp_path / "f.bin", 4) as writer:
        writer.add(3, b"abcdefgh")
    data = (tmp_path / "f.bin").read_bytes()
    (tmp_path / "f.bin").write_bytes(data[:-3])
    with pytest.raises(DamagedWorkFile, match="truncated"):
        list(read_bucket_range(tmp_path / "f.bin", 4, 0, 4))


def test_a_bucket_file_cut_anywhere_is_damaged_and_says_how_to_go_on(tmp_path, monkeypatch):
    monkeypatch.setattr(apply_shuffle, "RUN_BYTES", 16)  # two runs
    path = tmp_path / ".dedup" / "f.bin"
    with BucketWriter(path, 4) as writer:
        for number in range(4):
            writer.add(number % 4, number.to_bytes(8, "little"))
    data = path.read_bytes()
    run = 5 * 8 + 16  # an index of 4 buckets, then two entries
    assert len(data) == 2 * run + apply_shuffle.TRAILER_BYTES
    assert len(b"".join(read_bucket_range(path, 4, 0, 4))) == 32
    # Every cut, the ones exactly between two runs and before the trailer too: those once read
    # as a whole file with fewer entries.
    for cut in range(len(data)):
        path.write_bytes(data[:cut])
        with pytest.raises(DamagedWorkFile) as raised:
            list(read_bucket_range(path, 4, 0, 4))
        assert str(raised.value).startswith(f"{path}: a truncated bucket file: ")
        assert f"remove {path.parent} and run again" in str(raised.value)


@given(st.integers(1, 5000), st.integers(1, 5000))
def test_the_task_of_a_bucket_is_the_one_whose_range_holds_it(tasks, buckets):
    tasks = min(tasks, buckets)
    ranges = [bucket_range(task, tasks, buckets) for task in range(tasks)]
    assert ranges[0][0] == 0 and ranges[-1][1] == buckets
    assert all(ranges[at][1] == ranges[at + 1][0] for at in range(tasks - 1))
    for bucket in {0, buckets - 1, buckets // 2, buckets // 3}:
        first, end = ranges[task_of_bucket(bucket, tasks, buckets)]
        assert first <= bucket < end


def test_segments_are_read_one_at_a_time(tmp_path):
    write_segments(tmp_path / "s.bin", [b"one", b"", b"three"])
    assert [read_segment(tmp_path / "s.bin", index) for index in range(3)] == [b"one", b"", b"three"]
    with pytest.raises(DamagedWorkFile, match="has 3 segments"):
        read_segment(tmp_path / "s.bin", 3)
    assert [p.name for p in tmp_path.iterdir()] == ["s.bin"]


def test_a_segment_file_cut_anywhere_is_damaged(tmp_path):
    path = tmp_path / "s.bin"
    write_segments(path, [b"one", b"", b"three"])
    data = path.read_bytes()
    for cut in range(len(data)):
        path.write_bytes(data[:cut])
        with pytest.raises(DamagedWorkFile, match="truncated segment file|has 0 segments"):
            read_segment(path, 2)


@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.booleans()), min_size=1, max_size=200))
def test_equal_slots_counts_the_slots_two_minhashes_share(slots):
    from array import array

    from corpus_tui.core.apply_lsh import equal_slots

    one = array("I", [a for a, _, _ in slots])
    two = array("I", [a if same else b for a, b, same in slots])
    as_int = [int.from_bytes(values.tobytes(), "little") for values in (one, two)]
    assert equal_slots(*as_int, len(slots)) == sum(a == b for a, b in zip(one, two))


def test_equal_slots_sees_a_difference_in_any_bit_of_a_slot():
    from array import array

    from corpus_tui.core.apply_lsh import equal_slots

    base = array("I", [0, 0xFFFFFFFF, 0x80000000, 1, 0x7FFFFFFF] * 4)
    for slot in range(len(base)):
        for bit in range(32):
            other = array("I", base)
            other[slot] ^= 1 << bit
            values = [int.from_bytes(v.tobytes(), "little") for v in (base, other)]
            assert equal_slots(*values, len(base)) == len(base) - 1
    same = int.from_bytes(base.tobytes(), "little")
    assert equal_slots(same, same, len(base)) == len(base)
