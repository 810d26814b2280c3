"""``corpus-tui apply --dedup``: near-duplicate records across the whole input, by MinHash LSH.

Records are compared as the corpus compares documents (``duplicates``): on the word shingles
of their clean text (the text with the bundle's boilerplate removed), with the bundle's
near-duplicate settings (``near_duplicates``: shingle words, permutations, bands, seed,
containment threshold, minimum words). The work is split into tasks that need nothing but
files, so an engine runs them anywhere (processes here, tasks on a Dask cluster) and every
engine decides the same drops. Work keyed by a hash is shuffled through files
(``apply_shuffle``), so no task and not the driver holds an entry for every record: memory
stays flat whatever the input's size.

1. **Sign** (a task a partition, here): every valid record with at least ``min_words`` words
   gets a rensa MinHash of its shingles, written with its line, clean length and shingle
   count to ``OUTPUT/.dedup/NAME.sig``, and a 128-bit hash of the whole MinHash, by bucket, to
   ``NAME.eq`` (each written whole or not at all; a rerun reuses them while the input file
   keeps its size and modification time and the bundle its rules and settings).
2. **Equal** (a task per range of buckets, ``apply_lsh``): records with equal signatures make a
   group; the group's first record in input order alone goes on to the bands (a thousand copies
   of a notice make no band work), and its best (the longest clean text, the first of equal
   ones) is noted.
3. **Bands** (a task a partition): each record that goes on writes its bands' slots, by bucket,
   to ``NAME.bands``.
4. **Pair** (a task per range of buckets): records whose slots agree in a band are candidates;
   each record of such a bucket, in input order, is paired with the bucket's first
   ``BUCKET_PEERS`` records (n look-alikes make about n pairs, not n²/2), written to a file
   by verifying shard (a hash of the pair picks it).
5. **Verify** (a task a shard): each candidate once; kept when the containment its MinHash
   estimates (the Jaccard estimate, equal slots over all slots, and the two shingle counts:
   ``estimated_containment``) reaches the threshold by two standard errors (``containment_margin``). Unlike the corpus, which checks every
   pair on its exact shingles, this stays an estimate: the texts are not read again (192
   slots: a standard error of about 0.035 on the Jaccard estimate).
6. **Decide** (the driver, here): verified pairs join the groups' first records into clusters
   (chains of pairs); each cluster keeps the best of its groups' bests, and a record in no
   cluster its group's best. A record is left out only when its MinHash passes stage 5's test
   against the keeper's own: a chain links records that are not alike, and those are clustered
   again among themselves (``decide_keepers``). The keepers are written to ``keepers.bin``.

Each partition's task then reads its own drops (``partition_drops``): its records in a group
(``equal-TTTT.bin``) or a cluster (``keepers.bin``) whose keeper is another record. Only they
are held, and only by that task. The driver holds an entry for each record in a cluster of
near-duplicates that are not identical (the union-find of step 6), not one a record.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rensa

from .apply_shuffle import BucketWriter, partial_path, read_segment, task_of_bucket, u64s, write_segments
from .bundle import BadBundle, Bundle
from .durable import replace_durably
from .errors import damaged_work_file
from .duplicates.shingles import shingles, words

WORK_FOLDER = ".dedup"
SIGNATURE_SUFFIX = ".sig"
EQUAL_SUFFIX = ".eq"
BANDS_SUFFIX = ".bands"
BUCKET_PEERS = 4  # records of a bucket each member is compared with: its first ones
MIN_TASKS = 8  # the fewest tasks a shuffled stage is split into
EQUAL_BUCKETS = 1 << 10  # buckets of the whole signatures' hashes (stage 2 tasks read ranges of them)
BAND_BUCKET_BITS = 12
BAND_BUCKETS = 1 << BAND_BUCKET_BITS  # buckets of the bands' slots (stage 4 tasks read ranges of them)
EQUAL_RECORDS = 250_000  # signed records a stage 2 task is sized for (about 60 MB)
BAND_ENTRIES = 500_000  # bands (records x bands) a stage 4 task is sized for (about 100 MB)
SHARD_RECORDS = 50_000  # records in the bands a stage 5 task is sized for
# u32 slots before a record's MinHash: its line, clean length, shingle count, and a 128-bit
# hash of the whole MinHash (four slots), by which equal signatures are grouped before the
# bands (two different MinHashes share it with a chance of about 2^-128)
_HEADER = 7
_EQUAL_KEY = slice(3, 7)
# u32 values of an entry of NAME.eq: the whole MinHash's hash (4), ordinal, line, clean length
EQUAL_ENTRY = 7
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


def dedup_settings(bundle: Bundle, source: str = "rules") -> DedupSettings:
    """The bundle's near-duplicate settings (the corpus's defaults for any it lacks); BadBundle,
    naming ``source`` (the bundle's file), when they cannot be used."""
    given = {**_DEFAULTS, **dict(bundle.near_duplicates)}
    for name in ("shingle_words", "num_perm", "bands", "seed", "min_words"):
        value = given[name]
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadBundle(f'{source}: "near_duplicates" {name} is {value!r}, not a whole number')
    threshold = given["threshold"]
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
        raise BadBundle(f'{source}: "near_duplicates" threshold is {threshold!r}, not a number')
    settings = DedupSettings(given["shingle_words"], given["num_perm"], given["bands"], given["seed"],
                             float(threshold), given["min_words"])
    for name, low, high in (("shingle_words", 1, 100), ("num_perm", 1, 4096), ("bands", 1, 4096),
                            ("seed", 0, 2**64 - 1), ("min_words", 0, 2**31)):
        if not low <= getattr(settings, name) <= high:
            raise BadBundle(f'{source}: "near_duplicates" {name} {getattr(settings, name)} is not between {low} and {high}')
    if settings.num_perm % settings.bands:
        raise BadBundle(f'{source}: "near_duplicates" num_perm {settings.num_perm} is not a multiple of '
                        f"bands {settings.bands}")
    if not 0 < settings.threshold <= 1:
        raise BadBundle(f'{source}: "near_duplicates" threshold {settings.threshold} is not in (0, 1]')
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


def equal_file(signature_file: str) -> Path:
    """A partition's ``NAME.eq``, beside its ``NAME.sig``."""
    return Path(signature_file[: -len(SIGNATURE_SUFFIX)] + EQUAL_SUFFIX)


def bands_file(signature_file: str) -> Path:
    """A partition's ``NAME.bands``, beside its ``NAME.sig``."""
    return Path(signature_file[: -len(SIGNATURE_SUFFIX)] + BANDS_SUFFIX)


def equal_path(output: str, task: int) -> Path:
    """What stage 2's task ``task`` writes: a segment a partition (its records in groups), then
    the groups' first records (``apply_lsh.find_equal``)."""
    return work_folder(output) / f"equal-{task:04d}.bin"


def pairs_path(output: str, task: int) -> Path:
    """What stage 4's task ``task`` writes: its candidate pairs, a bucket a verifying shard."""
    return work_folder(output) / f"pairs-{task:04d}.bin"


def verified_path(output: str, shard: int) -> Path:
    """What stage 5's task ``shard`` writes: its verified pairs."""
    return work_folder(output) / f"verified-{shard:04d}.bin"


def keepers_path(output: str) -> Path:
    return work_folder(output) / "keepers.bin"


# -- 1. sign ---------------------------------------------------------------------------------


def sign_partition(job: Any, source: str, name: str) -> str:
    """Write the partition's signature file and its equal-signature entries (stage 1) unless
    finished ones for this input are there; returns the signature file's path. Only records the
    partition will write are signed (``written_records``): a record kept for its cluster is
    never one that is then rejected."""
    from .apply_records import written_records

    settings = dedup_settings(job.bundle)
    target = signature_path(job.output, name)
    equal_target = equal_file(str(target))
    stamp = {**input_stamp(source), "format": job.fmt, "text_field": job.text_field, "bundle": bundle_digest(job.bundle)}
    if _signature_stamp(target) == stamp and equal_target.exists():
        return str(target)
    # The signature file goes first and comes back last: one that is current always has the
    # equal entries written just before it.
    target.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(target)
    try:
        with open(partial, "wb") as handle, BucketWriter(equal_target, EQUAL_BUCKETS) as equal:
            handle.write((json.dumps(stamp) + "\n").encode())
            ordinal = 0
            for number, clean in written_records(job, source):
                signed = sign_text(settings, clean, number)
                if signed is not None:
                    handle.write(signed.tobytes())
                    equal.add(signed[_EQUAL_KEY.start] % EQUAL_BUCKETS,
                              array("I", [*signed[_EQUAL_KEY], ordinal, number, signed[1]]).tobytes())
                    ordinal += 1
        replace_durably(partial, target)
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


def signature_count(settings: DedupSettings, signature_file: str) -> int:
    """The records a signature file holds (from its size); one cut short raises ``DamagedWorkFile``."""
    with open(signature_file, "rb") as handle:
        count, rest = divmod(os.fstat(handle.fileno()).st_size - len(handle.readline()), settings.slots * 4)
    if rest:
        raise damaged_work_file(signature_file, "a truncated signature file")
    return count


SIGNATURES_READ = 4096  # records read at a time from a signature file


def signature_chunks(signature_file: str, settings: DedupSettings) -> Iterator[bytes]:
    """A signature file's records, ``SIGNATURES_READ`` at a time (``settings.slots`` u32 values,
    native order, a record), so a partition of any size is read in bounded memory."""
    width = settings.slots * 4
    with open(signature_file, "rb") as handle:
        handle.readline()
        while chunk := handle.read(width * SIGNATURES_READ):
            if len(chunk) % width:
                raise damaged_work_file(signature_file, "a truncated signature file")
            yield chunk


def read_signature(handle: Any, header: int, ordinal: int, settings: DedupSettings) -> array[int]:
    """One record of an open signature file whose stamp line takes ``header`` bytes."""
    width = settings.slots * 4
    handle.seek(header + ordinal * width)
    values = array("I")
    values.frombytes(handle.read(width))
    if len(values) != settings.slots:
        raise damaged_work_file(handle.name, "a truncated signature file")
    return values


# -- how many tasks each shuffled stage takes: from file sizes, so every engine splits alike --


def equal_tasks(records: int) -> int:
    return min(EQUAL_BUCKETS, max(MIN_TASKS, -(-records // EQUAL_RECORDS)))


def band_tasks(settings: DedupSettings, records_in_bands: int) -> int:
    return min(BAND_BUCKETS, max(MIN_TASKS, -(-records_in_bands * settings.bands // BAND_ENTRIES)))


def shard_count(records_in_bands: int) -> int:
    """How many shards the candidates are split into: one for every ``SHARD_RECORDS`` records
    in the bands, and at least ``MIN_TASKS``."""
    return max(MIN_TASKS, -(-records_in_bands // SHARD_RECORDS))


# -- 6. decide -------------------------------------------------------------------------------

# A verified pair as stage 5 writes it, 8 u64 values: each record's key, line, clean length
# and equal bucket (which stage 2 task knows its group)
PAIR_FACTS = 8
GROUP_ENTRY = 4  # stage 2's groups: first record's key, best's key, best's line, best's clean length
MEMBER_ENTRY = 5  # stage 2's members: key, line, group's first key, best's key, best's line


def decide_keepers(output: str, equal_task_count: int, shards: int,
                   near: Callable[[int, int], bool] | None = None) -> int:
    """Stage 6: clusters of the verified pairs (read from stage 5's files) and the record each
    keeps, written to ``keepers.bin`` as four columns of u64 sorted by the first: every clustered
    record's key, its line, its keeper's key, its keeper's line. Returns how many records are
    clustered. Held in arrays, about 100 bytes a clustered record (not Python objects).

    ``near(key, keeper's key)`` (stage 5's test): a record is left out for the record its
    cluster keeps only when it is a near-duplicate of that record itself. A chain of pairs
    (A like B, B like C) links records that are not alike (a site's pages sharing its menus when
    the bundle removes none: one cluster of 2,002 pages of several sites); those that fail are
    clustered again among themselves, round after round, and one left alone is kept."""
    keys = _clustered_keys(output, shards)
    count = len(keys)
    parent = array("q", range(count))

    def root(at: int) -> int:
        while parent[at] != at:
            parent[at] = parent[parent[at]]
            at = parent[at]
        return at

    def join(one: int, two: int) -> None:
        first, second = root(one), root(two)
        if first != second:
            parent[max(first, second)] = min(first, second)

    lines, lengths, buckets = array("Q", bytes(8 * count)), array("Q", bytes(8 * count)), array("Q", bytes(8 * count))
    for values in _verified(output, shards):
        for at in range(0, len(values), PAIR_FACTS):
            one, two = bisect_left(keys, values[at]), bisect_left(keys, values[at + 4])
            lines[one], lengths[one], buckets[one] = values[at + 1], values[at + 2], values[at + 3]
            lines[two], lengths[two], buckets[two] = values[at + 5], values[at + 6], values[at + 7]
            join(one, two)
    # Each record's best: its group's (stage 2), else itself; each cluster's keeper: the best of those.
    best_key, best_line, best_length = array("Q", keys), array("Q", lines), array("Q", lengths)
    with _GroupHeads(output, equal_task_count) as heads:
        for at in range(count):
            found = heads.best(keys[at], buckets[at])
            if found is not None:
                best_key[at], best_line[at], best_length[at] = found
    del buckets, lengths
    chosen = array("q", [-1]) * count  # each record's keeper (an index), once decided
    unsettled = range(count)
    for _ in range(KEEPER_ROUNDS):
        keeper = array("q", [-1]) * count  # a root's: the index of its cluster's best
        for at in unsettled:
            top = root(at)
            held = keeper[top]
            if held < 0 or (-best_length[at], best_key[at]) < (-best_length[held], best_key[held]):
                keeper[top] = at
        left: list[int] = []
        for at in unsettled:
            kept = keeper[root(at)]
            if kept == at or near is None or near(keys[at], keys[kept]):
                chosen[at] = kept
            else:
                left.append(at)
        if not left:
            break
        # The records not alike their keeper, clustered again by the pairs among themselves.
        waiting = bytearray(count)
        for at in left:
            waiting[at] = 1
            parent[at] = at
        for values in _verified(output, shards):
            for at in range(0, len(values), PAIR_FACTS):
                one, two = bisect_left(keys, values[at]), bisect_left(keys, values[at + 4])
                if waiting[one] and waiting[two]:
                    join(one, two)
        unsettled = left  # type: ignore[assignment]
    keeper_key, keeper_line = array("Q", bytes(8 * count)), array("Q", bytes(8 * count))
    for at in range(count):
        kept = chosen[at] if chosen[at] >= 0 else at  # still unsettled after the last round: kept alone
        keeper_key[at], keeper_line[at] = best_key[kept], best_line[kept]
    write_segments(keepers_path(output), [b"".join(column.tobytes() for column in (keys, lines, keeper_key, keeper_line))])
    return count


KEEPER_ROUNDS = 8  # rounds of clustering again the records not alike their keeper


def _verified(output: str, shards: int) -> Iterator[array[int]]:
    for shard in range(shards):
        yield u64s(read_segment(verified_path(output, shard), 0))


def _clustered_keys(output: str, shards: int) -> array[int]:
    """Every key in a verified pair, once, sorted."""
    found: set[int] = set()
    for values in _verified(output, shards):
        found.update(values[0::PAIR_FACTS])
        found.update(values[4::PAIR_FACTS])
    return array("Q", sorted(found))


class _GroupHeads:
    """Stage 2's groups, looked up by their first record's key in the files (mapped, not read)."""

    def __init__(self, output: str, tasks: int):
        self.output, self.tasks = output, tasks
        self.mapped = ExitStack()
        self.open: dict[int, memoryview] = {}

    def __enter__(self) -> "_GroupHeads":
        return self

    def best(self, key: int, bucket: int) -> tuple[int, int, int] | None:
        task = task_of_bucket(bucket, self.tasks, EQUAL_BUCKETS)
        if task not in self.open:
            self.open[task] = self.mapped.enter_context(mapped_segment(equal_path(self.output, task), -1))
        entries = self.open[task]
        firsts = entries[0::GROUP_ENTRY]
        at = bisect_left(firsts, key)
        found = at < len(firsts) and firsts[at] == key
        firsts.release()
        if found:
            return entries[at * GROUP_ENTRY + 1], entries[at * GROUP_ENTRY + 2], entries[at * GROUP_ENTRY + 3]
        return None

    def __exit__(self, *exc: object) -> None:
        self.mapped.close()


@contextmanager
def mapped_segment(path: Path, index: int) -> Iterator[memoryview]:
    """Segment ``index`` of a segment file (-1: its last) as u64 values, mapped, not read. A
    view taken from it must be released before the block ends (the mapping cannot close under it)."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size < 8:  # an empty file cannot even be mapped
            raise damaged_work_file(path, "a truncated segment file")
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        with memoryview(mapped) as whole:
            count = int.from_bytes(whole[:8], "little")
            start = 8 + (count + 1) * 8
            if not count or start > len(whole):
                raise damaged_work_file(path, "a truncated segment file")
            with whole[8:start].cast("Q") as offsets:
                first, end = start + offsets[index % count], start + offsets[index % count + 1]
            if not start <= first <= end <= len(whole) or (end - first) % 8:
                raise damaged_work_file(path, "a truncated segment file")
            with whole[first:end] as segment, segment.cast("Q") as view:
                yield view
    finally:
        mapped.close()


# -- each partition's drops ------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    """Where a ``--dedup`` run's decisions are, for a partition's task to read its own drops:
    the output folder, every partition's source (a keeper's), and stage 2's task count."""

    output: str
    sources: tuple[str, ...]
    equal_tasks: int

    def drops(self, partition_index: int) -> dict[int, tuple[str, int]]:
        """Line -> (source, line) of the record kept instead, for every record of the partition
        that is left out."""
        drops: dict[int, tuple[str, int]] = {}
        with mapped_segment(keepers_path(self.output), 0) as columns:
            # keepers.bin's four columns, end to end: keys (sorted), lines, keepers' keys, keepers' lines
            count = len(columns) // 4

            def clustered(key: int) -> int | None:
                at = bisect_left(columns, key, 0, count)
                return at if at < count and columns[at] == key else None

            for task in range(self.equal_tasks):
                members = u64s(read_segment(equal_path(self.output, task), partition_index))
                for at in range(0, len(members), MEMBER_ENTRY):
                    key, line, first, group_best, group_best_line = members[at : at + MEMBER_ENTRY]
                    found = clustered(first)
                    kept = ((columns[2 * count + found], columns[3 * count + found]) if found is not None
                            else (group_best, group_best_line))
                    if kept[0] != key:
                        drops[line] = (self.sources[kept[0] >> 32], kept[1])
            for at in range(bisect_left(columns, partition_index << 32, 0, count),
                            bisect_left(columns, (partition_index + 1) << 32, 0, count)):
                keeper = columns[2 * count + at]
                if keeper != columns[at]:
                    drops[columns[count + at]] = (self.sources[keeper >> 32], columns[3 * count + at])
        return drops


# -- the decisions, kept for a rerun -----------------------------------------------------------

DECISIONS = "decisions.json"


def run_identity(job: Any, sources: Sequence[str]) -> dict[str, Any]:
    """What the drops were decided on: every input file as it was, the bundle and the options
    that change what is signed or written (the id field names the records left out)."""
    return {"inputs": [input_stamp(source) for source in sources], "bundle": bundle_digest(job.bundle),
            "format": job.fmt, "text_field": job.text_field, "id_field": job.id_field}


def save_decisions(output: str, identity: dict[str, Any], decided: Decided) -> None:
    """Record that the decisions in the work folder were made on ``identity`` (written whole or
    not at all, after them), so a rerun that resumes writes its remaining partitions with the
    same drops as the partitions already written."""
    folder = work_folder(output)
    target = folder / DECISIONS
    partial = partial_path(target)
    data = {"identity": identity, "equal_tasks": decided.equal_tasks}
    try:
        partial.write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")
        replace_durably(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def load_decisions(output: str, sources: Sequence[str]) -> tuple[dict[str, Any], Decided | None] | None:
    """(identity, decisions) of an earlier run into ``output``, or None when there is none. The
    decisions are None when their files are gone (the run finished and removed them)."""
    try:
        data = json.loads((work_folder(output) / DECISIONS).read_text(encoding="utf-8"))
        identity, tasks = data["identity"], data["equal_tasks"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(tasks, int) or isinstance(tasks, bool) or tasks < 1:
        return None
    files = [keepers_path(output), *(equal_path(output, task) for task in range(tasks))]
    decided = Decided(output, tuple(sources), tasks) if all(path.exists() for path in files) else None
    return identity, decided


def remove_work_files(output: str) -> None:
    """Every file of a finished run's work folder but its ``decisions.json``, which a rerun
    checks against."""
    folder = work_folder(output)
    for path in folder.iterdir() if folder.is_dir() else ():
        if path.name != DECISIONS:
            path.unlink(missing_ok=True)
