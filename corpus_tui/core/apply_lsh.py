"""``apply --dedup``'s stages 2 to 5 (``apply_dedup`` describes them all): equal signatures,
the bands, candidate pairs and their verification. Each is a task that reads files and writes
files (``apply_shuffle``), holding only its share of the keys.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from functools import cache
from typing import Any

from .apply_dedup import (
    _EQUAL_KEY,
    _HEADER,
    BAND_BUCKET_BITS,
    BAND_BUCKETS,
    BUCKET_PEERS,
    EQUAL_BUCKETS,
    DedupSettings,
    EQUAL_ENTRY,
    MEMBER_ENTRY,
    PAIR_FACTS,
    bands_file,
    dedup_settings,
    equal_file,
    equal_path,
    pairs_path,
    read_signature,
    verified_path,
    record_key,
    signature_chunks,
)
from .apply_shuffle import BucketWriter, bucket_range, read_bucket_range, read_segment, u64s, write_segments
from .bundle import Bundle
from .duplicates.pairs import containment_margin, estimated_containment
from .passages import forget_lines

_NATIVE = sys.byteorder

# -- 2. equal --------------------------------------------------------------------------------

Member = tuple[int, int, int]  # key, line, clean length


def find_equal(signature_files: Sequence[str], output: str, task: int, tasks: int) -> int:
    """Stage 2 for one range of equal buckets: the groups of records with equal signatures,
    written to ``equal_path(output, task)`` as a segment a partition — every member of a group
    of two or more, sorted by key: ``MEMBER_ENTRY`` u64 values each — and a last segment of the
    groups, sorted by their first record's key: ``GROUP_ENTRY`` values each. A group's first
    record is its first in input order (each key's entries come in that order); its best, the
    longest clean text, the first of equal ones. Returns how many records are not a group's
    first (they stay out of the bands)."""
    forget_lines()  # the signing task's, in this process: its memory serves this task
    first_bucket, end_bucket = bucket_range(task, tasks, EQUAL_BUCKETS)
    groups: dict[bytes, Member | list[Member]] = {}
    for partition_index, path in enumerate(signature_files):
        base = record_key(partition_index, 0)
        for chunk in read_bucket_range(equal_file(path), EQUAL_BUCKETS, first_bucket, end_bucket):
            values = memoryview(chunk).cast("I")
            for at in range(0, len(values), EQUAL_ENTRY):
                whole = chunk[at * 4 : at * 4 + 16]
                member = (base | values[at + 4], values[at + 5], values[at + 6])
                group = groups.get(whole)
                if group is None:
                    groups[whole] = member
                elif isinstance(group, tuple):
                    groups[whole] = [group, member]
                else:
                    group.append(member)
            values.release()
    members: list[tuple[int, int, int, int, int]] = []
    heads: list[tuple[int, int, int, int]] = []
    for group in groups.values():
        if isinstance(group, list):
            first = group[0][0]
            best = min(group, key=lambda member: (-member[2], member[0]))
            heads.append((first, best[0], best[1], best[2]))
            members.extend((key, line, first, best[0], best[1]) for key, line, _ in group)
    groups.clear()
    members.sort()
    heads.sort()
    member_keys = [member[0] for member in members]
    segments = []
    for partition_index in range(len(signature_files)):
        low = bisect_left(member_keys, record_key(partition_index, 0))
        high = bisect_left(member_keys, record_key(partition_index + 1, 0))
        segments.append(array("Q", [value for member in members[low:high] for value in member]).tobytes())
    segments.append(array("Q", [value for head in heads for value in head]).tobytes())
    write_segments(equal_path(output, task), segments)
    return len(members) - len(heads)


def group_copies(output: str, equal_task_count: int, partition_index: int) -> set[int]:
    """The ordinals of a partition's records that are not their group's first."""
    copies: set[int] = set()
    for task in range(equal_task_count):
        members = u64s(read_segment(equal_path(output, task), partition_index))
        copies.update(key & 0xFFFFFFFF for key, first in zip(members[0::MEMBER_ENTRY], members[2::MEMBER_ENTRY])
                      if key != first)
    return copies


# -- 3. bands --------------------------------------------------------------------------------


def band_bucket(first_slot: int, band: int) -> int:
    """The bucket of a band's slots: Fibonacci hashing of its first slot and the band (a slot
    is a minimum, so its high bits are mostly zero: the product's high bits are not)."""
    return ((first_slot + band) * 0x9E3779B1 & 0xFFFFFFFF) >> (32 - BAND_BUCKET_BITS)


def spill_bands(bundle: Bundle, signature_file: str, output: str, partition_index: int, equal_task_count: int) -> str:
    """Stage 3 for one partition: for each record that is its group's first (or in no group),
    an entry a band — the band, its slots, the record's ordinal (u32 values) — by bucket, to
    ``NAME.bands``. Returns its path."""
    forget_lines()
    settings = dedup_settings(bundle)
    copies = group_copies(output, equal_task_count, partition_index)
    rows, slots = settings.rows, settings.slots
    prefixes = [band.to_bytes(4, _NATIVE) for band in range(settings.bands)]
    starts = [(_HEADER + band * rows) for band in range(settings.bands)]
    target = bands_file(signature_file)
    ordinal = 0
    with BucketWriter(target, BAND_BUCKETS) as writer:
        add = writer.add
        for chunk in signature_chunks(signature_file, settings):
            values = memoryview(chunk).cast("I")
            for at in range(0, len(values), slots):
                if ordinal not in copies:
                    tail = ordinal.to_bytes(4, _NATIVE)
                    for band, start in enumerate(starts):
                        offset = at + start
                        add(band_bucket(values[offset], band),
                            prefixes[band] + chunk[offset * 4 : (offset + rows) * 4] + tail)
                ordinal += 1
            values.release()
    return str(target)


# -- 4. pair ---------------------------------------------------------------------------------


def pair_bands(bundle: Bundle, band_files: Sequence[str], output: str, task: int, tasks: int, shards: int) -> int:
    """Stage 4 for one range of band buckets: in each band, records whose slots agree are
    candidates, each paired with its bucket's first ``BUCKET_PEERS`` records in input order.
    The pairs (``(first << 64) | second``, the earlier record first, 16 bytes big-endian) go to
    ``pairs_path(output, task)``, a bucket file whose buckets are the verifying shards (a hash of
    the pair picks one); returns how many it wrote. A pair met again is written once while this
    task holds at most ``PAIRS_HELD`` (a near-duplicate meets its peers in many bands), then
    again: the verifying task counts each once."""
    forget_lines()
    settings = dedup_settings(bundle)
    width = (settings.rows + 2) * 4
    key_width = width - 4
    first_bucket, end_bucket = bucket_range(task, tasks, BAND_BUCKETS)
    buckets: dict[bytes, int | list[int]] = {}  # a bucket's first records (an int while it has one)
    found: set[int] = set()  # (first << 64) | second: a third of the memory of a tuple
    written = 0
    with BucketWriter(pairs_path(output, task), shards) as pairs:

        def write_found() -> int:
            count = len(found)
            for packed in found:
                pairs.add((packed * _SPREAD >> 64) % shards, packed.to_bytes(16, "big"))
            found.clear()
            return count

        for partition_index, path in enumerate(band_files):
            base = record_key(partition_index, 0)
            for chunk in read_bucket_range(path, BAND_BUCKETS, first_bucket, end_bucket):
                ordinals = memoryview(chunk).cast("I")[settings.rows + 1 :: settings.rows + 2]
                for index, at in enumerate(range(0, len(chunk), width)):
                    band_key = chunk[at : at + key_width]
                    key = base | ordinals[index]
                    peers = buckets.get(band_key)
                    if peers is None:
                        buckets[band_key] = key
                        continue
                    if isinstance(peers, int):
                        found.add((peers << 64) | key)
                        buckets[band_key] = [peers, key]
                    else:
                        found.update((peer << 64) | key for peer in peers)
                        if len(peers) < BUCKET_PEERS:
                            peers.append(key)
                    if len(found) >= PAIRS_HELD:
                        written += write_found()
                ordinals.release()
        written += write_found()
    return written


PAIRS_HELD = 200_000  # distinct pairs a pairing task holds before writing them (about 20 MB)
_LOW_64 = (1 << 64) - 1
_SPREAD = 0x9E3779B97F4A7C15  # spreads the pairs over the shards (Fibonacci hashing's constant)


# -- 5. verify -------------------------------------------------------------------------------


def verify_shard(bundle: Bundle, signature_files: Sequence[str], output: str, shard: int, shards: int,
                 pair_tasks: int) -> int:
    """The candidates of one shard, each once, whose estimated containment reaches the
    threshold, in key order, written to ``verified_path(output, shard)``: ``PAIR_FACTS`` u64
    values a pair (``apply_dedup.decide_keepers``). Reads the two signatures of each pair from
    their files, not whole files. Returns how many pairs it kept."""
    forget_lines()
    packed: set[int] = set()
    for task in range(pair_tasks):
        for chunk in read_bucket_range(pairs_path(output, task), shards, shard, shard + 1):
            packed.update(int.from_bytes(chunk[at : at + 16], "big") for at in range(0, len(chunk), 16))
    candidates = sorted(packed)
    packed.clear()
    settings = dedup_settings(bundle)
    kept = array("Q")
    held, one, one_slots = -1, array("I"), 0
    with SignatureFiles(signature_files, settings) as signature:
        for candidate in candidates:
            first, second = candidate >> 64, candidate & _LOW_64
            if first != held:  # sorted: a record's pairs come one after another
                held, one = first, signature(first)
                one_slots = int.from_bytes(one[_HEADER:].tobytes(), "little")
            two = signature(second)
            if _close_enough(settings, one_slots, one, two):
                kept.extend((first, one[0], one[1], one[_EQUAL_KEY.start] % EQUAL_BUCKETS,
                             second, two[0], two[1], two[_EQUAL_KEY.start] % EQUAL_BUCKETS))
    write_segments(verified_path(output, shard), [kept.tobytes()])
    return len(kept) // PAIR_FACTS


def _close_enough(settings: DedupSettings, one_slots: int, one: array[int], two: array[int]) -> bool:
    """Whether two MinHashes (``one``'s slots given as one integer) estimate a containment that
    reaches the threshold by two standard errors: the texts are not read again to check it, and
    a pair only estimated at the threshold (a site's pages sharing their menus, at 0.4 in truth)
    is not one to drop a record for. A copy is far above it."""
    jaccard = equal_slots(one_slots, int.from_bytes(two[_HEADER:].tobytes(), "little"), settings.num_perm) \
        / settings.num_perm
    estimate = estimated_containment(jaccard, one[2], two[2])
    return estimate - containment_margin(jaccard, one[2], two[2], settings.num_perm) >= settings.threshold


class SignatureFiles:
    """Records' MinHashes read by key from the signature files (one open handle a partition)."""

    def __init__(self, signature_files: Sequence[str], settings: DedupSettings):
        self.files, self.settings = signature_files, settings
        self.handles: dict[int, tuple[Any, int]] = {}

    def __enter__(self) -> "SignatureFiles":
        return self

    def __call__(self, key: int) -> array[int]:
        partition_index = key >> 32
        if partition_index not in self.handles:
            handle = open(self.files[partition_index], "rb")
            self.handles[partition_index] = handle, len(handle.readline())
        handle, header = self.handles[partition_index]
        return read_signature(handle, header, key & 0xFFFFFFFF, self.settings)

    def near(self, one_key: int, two_key: int) -> bool:
        """Stage 5's test, asked by stage 6 of a record and the record its cluster keeps."""
        one = self(one_key)
        return _close_enough(self.settings, int.from_bytes(one[_HEADER:].tobytes(), "little"), one, self(two_key))

    def __exit__(self, *exc: object) -> None:
        for handle, _ in self.handles.values():
            handle.close()


def equal_slots(one: int, two: int, slots: int) -> int:
    """How many of ``slots`` u32 slots two MinHashes share, each given as one integer of their
    bytes: the lanes of their XOR that are zero, counted with big-integer operations in C (a
    loop over 192 slots in Python costs ten times more, and runs for every candidate). With
    ``low`` the lanes' 31 low bits, ``(x & low) + low`` carries into a lane's top bit unless its
    low bits are zero, and never out of the lane; or-ed with ``x`` itself, a lane's top bit is
    clear only when the lane is zero."""
    low, whole = _lane_masks(slots)
    x = one ^ two
    return (whole ^ (((x & low) + low) | x | low)).bit_count()


@cache
def _lane_masks(slots: int) -> tuple[int, int]:
    """(every lane's 31 low bits, every bit) for ``slots`` 32-bit lanes."""
    return int.from_bytes(b"\xff\xff\xff\x7f" * slots, "little"), (1 << (32 * slots)) - 1
