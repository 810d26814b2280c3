"""``corpus-tui apply --dedup``: near-duplicate records across the whole input, by MinHash LSH.

Records are compared as the corpus compares documents (``duplicates``): on the word shingles
of their clean text (the text with the bundle's boilerplate removed), with the bundle's
near-duplicate settings (``near_duplicates``: shingle words, permutations, bands, seed,
containment threshold, minimum words). The work is split into tasks that need nothing but
files, so an engine runs them anywhere (processes here, tasks on a Dask cluster) and every
engine decides the same drops:

1. **Sign** (a task a partition): every valid record with at least ``min_words`` words gets a
   rensa MinHash of its shingles, written with its line, clean length and shingle count to
   ``OUTPUT/.dedup/NAME.sig`` (written whole or not at all; a rerun reuses it while the input
   file keeps its size and modification time).
2. **Pair** (a task per group of bands, then a task per shard of candidates): records with
   equal signatures are linked to the first of them, which alone goes on. In each band, the
   signatures that agree on all the band's slots are candidates; each record of such a
   bucket, in input order, is paired with the bucket's first ``BUCKET_PEERS`` records (n
   look-alikes make about n pairs, not n²/2). A band group's task writes its candidates to
   files by shard (``OUTPUT/.dedup/pairs-gG-sS.bin``, a hash of the pair picks S), so no
   task and not the driver holds every candidate: the groups find the same pairs again and
   again (a cluster collides in most bands), and a shard's task drops the repeats of its own
   pairs only. A candidate is kept when the containment its MinHash estimates (the Jaccard
   estimate, equal slots over all slots, and the two shingle counts:
   ``estimated_containment``) reaches the threshold. Unlike the corpus, which checks
   every pair on its exact shingles, this stays an estimate: the texts are not read again
   (192 slots: a standard error of about 0.035 on the Jaccard estimate).
3. **Decide** (the driver): pairs join records into clusters (chains of pairs); each cluster
   keeps its longest clean text, and the first in input order of equal ones (partitions in
   path order, records in file order). Every other member is dropped.

The partitions are then written without their dropped records; each dropped record is listed
in ``OUTPUT/NAME.duplicates.jsonl`` as ``{"source", "line", "id", "kept": {"source", "line"}}``.
"""

from __future__ import annotations

import hashlib
import json
import os
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rensa

from .bundle import BadBundle, Bundle
from .duplicates.clusters import UnionFind
from .duplicates.pairs import estimated_containment
from .duplicates.shingles import shingles, words

WORK_FOLDER = ".dedup"
SIGNATURE_SUFFIX = ".sig"
BUCKET_PEERS = 4  # records of a bucket each member is compared with: its first ones
BAND_TASKS = 8  # tasks the bands are split into
SHARD_RECORDS = 50_000  # records of input a shard of candidates is sized for (at least BAND_TASKS shards)
PAIRS_PREFIX = "pairs-"
# u32 slots before a record's MinHash: its line, clean length, shingle count, and a 128-bit
# hash of the whole MinHash (four slots), by which equal signatures are grouped before the
# bands (two different MinHashes share it with a chance of about 2^-128)
_HEADER = 7
_EQUAL_KEY = slice(3, 7)
_DEFAULTS = {"shingle_words": 3, "num_perm": 192, "bands": 64, "seed": 20261201, "threshold": 0.5, "min_words": 20}


@dataclass(frozen=True)
class DedupSettings:
    shingle_words: int
    num_perm: int
    bands: int
    seed: int
    threshold: float
    min_words: int

    @property
    def rows(self) -> int:
        """Slots a band: a bucket is records equal on all of them."""
        return self.num_perm // self.bands

    @property
    def slots(self) -> int:
        """u32 values a signature record holds."""
        return _HEADER + self.num_perm


def dedup_settings(bundle: Bundle) -> DedupSettings:
    """The bundle's near-duplicate settings (the corpus's defaults for any it lacks); BadBundle
    when they cannot be used."""
    given = {**_DEFAULTS, **dict(bundle.near_duplicates)}
    for name in ("shingle_words", "num_perm", "bands", "seed", "min_words"):
        value = given[name]
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadBundle(f'rules: "near_duplicates" {name} is {value!r}, not a whole number')
    threshold = given["threshold"]
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
        raise BadBundle(f'rules: "near_duplicates" threshold is {threshold!r}, not a number')
    settings = DedupSettings(given["shingle_words"], given["num_perm"], given["bands"], given["seed"],
                             float(threshold), given["min_words"])
    for name, low, high in (("shingle_words", 1, 100), ("num_perm", 1, 4096), ("bands", 1, 4096),
                            ("seed", 0, 2**64 - 1), ("min_words", 0, 2**31)):
        if not low <= getattr(settings, name) <= high:
            raise BadBundle(f'rules: "near_duplicates" {name} {getattr(settings, name)} is not between {low} and {high}')
    if settings.num_perm % settings.bands:
        raise BadBundle(f'rules: "near_duplicates" num_perm {settings.num_perm} is not a multiple of '
                        f"bands {settings.bands}")
    if not 0 < settings.threshold <= 1:
        raise BadBundle(f'rules: "near_duplicates" threshold {settings.threshold} is not in (0, 1]')
    return settings


def record_key(partition_index: int, ordinal: int) -> int:
    """A record's place in the whole input: its partition's (inputs in the order given, a
    folder's files in path order), then its signature's ordinal there (records in file order)."""
    return (partition_index << 32) | ordinal


def split_key(key: int) -> tuple[int, int]:
    return key >> 32, key & 0xFFFFFFFF


def work_folder(output: str) -> Path:
    return Path(output) / WORK_FOLDER


def signature_path(output: str, name: str) -> Path:
    return work_folder(output) / f"{name}{SIGNATURE_SUFFIX}"


# -- 1. sign ---------------------------------------------------------------------------------


def sign_partition(job: Any, source: str, name: str) -> str:
    """Write the partition's signature file (stage 1) unless a finished one for this input is
    there; returns its path. Only records the partition will write are signed
    (``written_records``): a record kept for its cluster is never one that is then rejected."""
    from .apply_records import written_records

    settings = dedup_settings(job.bundle)
    target = signature_path(job.output, name)
    stamp = {**input_stamp(source), "format": job.fmt, "text_field": job.text_field, "bundle": bundle_digest(job.bundle)}
    if _signature_stamp(target) == stamp:
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as handle:
            handle.write((json.dumps(stamp) + "\n").encode())
            for number, clean in written_records(job, source):
                signed = sign_text(settings, clean, number)
                if signed is not None:
                    handle.write(signed.tobytes())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return str(target)


def sign_text(settings: DedupSettings, clean: str, line: int) -> array[int] | None:
    """The signature record of one clean text (line, clean length, shingle count, MinHash), or
    None when it has fewer than ``min_words`` words."""
    word_list = words(clean)
    if len(word_list) < max(settings.min_words, 1):
        return None
    shingle_set = shingles(word_list, settings.shingle_words)
    sketch = rensa.RMinHash(num_perm=settings.num_perm, seed=settings.seed)
    sketch.update(list(shingle_set))
    digest = array("I", sketch.digest())
    whole = array("I")
    whole.frombytes(hashlib.blake2b(digest.tobytes(), digest_size=16).digest())
    return array("I", [line, min(len(clean), 0xFFFFFFFF), len(shingle_set), *whole, *digest])


def input_stamp(source: str) -> dict[str, Any]:
    """What says an input file is the one signed (or decided on) before."""
    stat = os.stat(source)
    return {"source": os.path.abspath(source), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def bundle_digest(bundle: Bundle) -> str:
    """What of the bundle decides signatures and drops: its rules (the clean text) and its
    near-duplicate settings."""
    decisive = json.dumps([bundle.normalization, sorted(bundle.fingerprints), sorted(bundle.near_duplicates)])
    return hashlib.blake2b(decisive.encode(), digest_size=16).hexdigest()


def _signature_stamp(path: Path) -> Any:
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.readline())
    except (OSError, ValueError):
        return None


def read_signature_bytes(path: str, settings: DedupSettings) -> bytes:
    """Every signature record of a file: ``settings.slots`` u32 values (native order) a record."""
    with open(path, "rb") as handle:
        handle.readline()
        data = handle.read()
    if len(data) % (settings.slots * 4):
        raise ValueError(f"{path}: a truncated signature file")
    return data


def read_signatures(path: str, settings: DedupSettings) -> array[int]:
    """Every signature record of a file, as one flat u32 array of ``settings.slots`` a record."""
    values = array("I")
    values.frombytes(read_signature_bytes(path, settings))
    return values


# -- 2. pair ---------------------------------------------------------------------------------


def band_groups(settings: DedupSettings) -> list[list[int]]:
    """The bands split into at most ``BAND_TASKS`` tasks."""
    count = min(BAND_TASKS, settings.bands)
    return [list(range(first, settings.bands, count)) for first in range(count)]


def shard_count(bundle: Bundle, signature_files: Sequence[str]) -> int:
    """How many shards the candidates are split into: one for every ``SHARD_RECORDS`` signed
    records, and at least ``BAND_TASKS`` (the same count for every engine: file sizes)."""
    width = dedup_settings(bundle).slots * 4
    records = 0
    for path in signature_files:
        with open(path, "rb") as handle:
            records += (os.fstat(handle.fileno()).st_size - len(handle.readline())) // width
    return max(BAND_TASKS, -(-records // SHARD_RECORDS))


def pairs_path(output: str, group: int, shard: int) -> Path:
    return work_folder(output) / f"{PAIRS_PREFIX}g{group:03d}-s{shard:05d}.bin"


def pair_bands(bundle: Bundle, signature_files: Sequence[str], bands: Sequence[int], output: str,
               group: int, shards: int) -> array[int]:
    """Stage 2 for ``bands``: the equal pairs, each two ``record_key`` values, the earlier
    record in input order first, in a flat ``array("Q")`` (``flat_pairs``). The candidate
    pairs, in the same form, are written to ``shards`` files (``pairs_path(output, group, shard)``,
    each whole or not at all) for ``verify_shard``.

    Records with equal signatures (their whole MinHash) are linked to the first of them, and
    only that one goes into the bands: a thousand copies of a notice make 999 pairs and no
    band work. Equal pairs need no verifying; only the task given band 0 reports them. The
    task holds a key a record, and the band's slots of every record for each of its bands,
    not whole signatures."""
    settings = dedup_settings(bundle)
    width = settings.slots * 4  # bytes a record
    band_bytes = settings.rows * 4
    equal_start, equal_end = _EQUAL_KEY.start * 4, _EQUAL_KEY.stop * 4
    # Keys are bytes (16 for a whole signature's hash, 12 for a band's slots), which cost a
    # third of tuples of ints: these dicts hold an entry a record.
    slices: dict[int, list[bytes]] = {band: [] for band in bands}  # a partition's band slots, end to end
    ordinals_in_bands: list[array[int]] = []  # per partition: the records that go into the bands
    first_of: dict[bytes, int] = {}
    equal: list[tuple[int, int]] = []
    for partition_index, path in enumerate(signature_files):
        data = read_signature_bytes(path, settings)
        kept = array("I")
        for ordinal, at in enumerate(range(0, len(data), width)):
            key = record_key(partition_index, ordinal)
            first = first_of.setdefault(data[at + equal_start : at + equal_end], key)
            if first != key:
                equal.append((first, key))
            else:
                kept.append(ordinal)
        ordinals_in_bands.append(kept)
        for band in bands:
            offset = (_HEADER + band * settings.rows) * 4
            slices[band].append(b"".join([data[ordinal * width + offset : ordinal * width + offset + band_bytes]
                                          for ordinal in kept]))
    del first_of
    found: set[int] = set()  # (first << 64) | second: a third of the memory of a tuple
    for band in bands:
        buckets: dict[bytes, int | list[int]] = {}  # a bucket's first records (an int while it has one)
        for partition_index, band_slots in enumerate(slices.pop(band)):
            ordinals = ordinals_in_bands[partition_index]
            for index, at in enumerate(range(0, len(band_slots), band_bytes)):
                band_key = band_slots[at : at + band_bytes]
                key = record_key(partition_index, ordinals[index])
                peers = buckets.get(band_key)
                if peers is None:
                    buckets[band_key] = key
                elif isinstance(peers, int):
                    found.add((peers << 64) | key)
                    buckets[band_key] = [peers, key]
                else:
                    found.update((peer << 64) | key for peer in peers)
                    if len(peers) < BUCKET_PEERS:
                        peers.append(key)
    _write_shards(output, group, shards, found)
    return array("Q", [key for pair in equal for key in pair] if 0 in bands else [])


def _write_shards(output: str, group: int, shards: int, found: set[int]) -> None:
    by_shard = [array("Q") for _ in range(shards)]
    for packed in found:
        first, second = packed >> 64, packed & _LOW_64
        by_shard[(first * _SPREAD + second) % shards].extend((first, second))
    found.clear()
    for shard, pairs in enumerate(by_shard):
        target = pairs_path(output, group, shard)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            with open(partial, "wb") as handle:
                pairs.tofile(handle)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise


_LOW_64 = (1 << 64) - 1
_SPREAD = 0x9E3779B97F4A7C15  # spreads a pair's keys over the shards (Fibonacci hashing's constant)


def verify_shard(bundle: Bundle, signature_files: Sequence[str], output: str, shard: int, groups: int) -> array[int]:
    """The verified pairs of one shard (``verify_pairs``), flat in an ``array("Q")``: its
    candidates from every band group's file, each once, in order."""
    packed: set[int] = set()
    for group in range(groups):
        pairs = array("Q")
        with open(pairs_path(output, group, shard), "rb") as handle:
            pairs.frombytes(handle.read())
        packed.update((first << 64) | second for first, second in flat_pairs(pairs))
    candidates = [(key >> 64, key & _LOW_64) for key in sorted(packed)]
    packed.clear()
    return array("Q", [key for pair in verify_pairs(bundle, signature_files, candidates) for key in pair])


def flat_pairs(values: array[int]) -> zip[tuple[int, int]]:
    """The pairs of a flat ``array("Q")`` of pairs."""
    return zip(values[0::2], values[1::2])


def verify_pairs(bundle: Bundle, signature_files: Sequence[str], candidates: Sequence[tuple[int, int]]
                 ) -> list[tuple[int, int]]:
    """The candidates whose estimated containment reaches the threshold (stage 2). Reads the
    two signatures of each pair from their files, not whole files."""
    settings = dedup_settings(bundle)
    size = settings.slots * 4
    handles: dict[int, Any] = {}
    offsets: dict[int, int] = {}

    def signature(key: int) -> array[int]:
        partition_index, ordinal = split_key(key)
        if partition_index not in handles:
            handle = handles[partition_index] = open(signature_files[partition_index], "rb")
            offsets[partition_index] = len(handle.readline())
        handle = handles[partition_index]
        handle.seek(offsets[partition_index] + ordinal * size)
        values = array("I")
        values.frombytes(handle.read(size))
        return values

    try:
        kept = []
        for first, second in candidates:
            one, two = signature(first), signature(second)
            equal = sum(a == b for a, b in zip(one[_HEADER:], two[_HEADER:]))
            if estimated_containment(equal / settings.num_perm, one[2], two[2]) >= settings.threshold:
                kept.append((first, second))
        return kept
    finally:
        for handle in handles.values():
            handle.close()


# -- 3. decide -------------------------------------------------------------------------------


Kept = tuple[int, int]  # the record kept instead: its partition index and line


def decide_drops(bundle: Bundle, signature_files: Sequence[str],
                 pairs: Iterable[tuple[int, int]]) -> dict[int, dict[int, Kept]]:
    """Partition index -> line of each dropped record -> the record kept instead (stage 3:
    clusters, and what each keeps)."""
    settings = dedup_settings(bundle)
    joined = UnionFind()
    for first, second in pairs:
        joined.join(first, second)
    facts = _line_and_length(settings, signature_files, joined.parent.keys())
    drops: dict[int, dict[int, Kept]] = {}
    for members in joined.groups():
        keeper = min(members, key=lambda key: (-facts[key][1], key))
        kept = (split_key(keeper)[0], facts[keeper][0])
        for key in members:
            if key != keeper:
                drops.setdefault(split_key(key)[0], {})[facts[key][0]] = kept
    return drops


def _line_and_length(settings: DedupSettings, signature_files: Sequence[str],
                     keys: Any) -> dict[int, tuple[int, int]]:
    wanted: dict[int, list[int]] = {}
    for key in keys:
        partition_index, ordinal = split_key(key)
        wanted.setdefault(partition_index, []).append(ordinal)
    facts: dict[int, tuple[int, int]] = {}
    for partition_index, ordinals in wanted.items():
        values = read_signatures(signature_files[partition_index], settings)
        for ordinal in ordinals:
            at = ordinal * settings.slots
            facts[record_key(partition_index, ordinal)] = (values[at], values[at + 1])
    return facts


# -- the decisions, kept for a rerun -----------------------------------------------------------

DECISIONS = "decisions.json"
Drops = dict[int, dict[int, tuple[str, int]]]  # partition index -> line -> (source, line) kept instead


def run_identity(job: Any, sources: Sequence[str]) -> dict[str, Any]:
    """What the drops were decided on: every input file as it was, the bundle and the options
    that change what is signed."""
    return {"inputs": [input_stamp(source) for source in sources], "bundle": bundle_digest(job.bundle),
            "format": job.fmt, "text_field": job.text_field}


def save_decisions(output: str, identity: dict[str, Any], drops: Drops) -> None:
    """Write the drops beside the signatures (whole or not at all), so a rerun that resumes
    writes its remaining partitions with the same drops as the partitions already written."""
    folder = work_folder(output)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / DECISIONS
    partial = folder / f".{DECISIONS}.{os.getpid()}.partial"
    data = {"identity": identity,
            "drops": {str(index): sorted([line, *kept] for line, kept in lines.items())
                      for index, lines in sorted(drops.items())}}
    try:
        partial.write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def load_decisions(output: str) -> tuple[dict[str, Any], Drops] | None:
    """(identity, drops) of an earlier run into ``output``, or None when there is none."""
    try:
        data = json.loads((work_folder(output) / DECISIONS).read_text(encoding="utf-8"))
        drops = {int(index): {line: (source, kept) for line, source, kept in lines}
                 for index, lines in data["drops"].items()}
        return data["identity"], drops
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_signatures(output: str) -> None:
    """The signatures and candidates of a finished run: its decisions stay, for a rerun to
    check against."""
    folder = work_folder(output)
    for path in [*folder.glob(f"*{SIGNATURE_SUFFIX}"), *folder.glob(f"{PAIRS_PREFIX}*.bin")]:
        path.unlink(missing_ok=True)
