"""A portable bundle of a corpus's decisions, and applying it to any text.

``corpus-tui rules export FOLDER -o RULES.json`` writes the bundle: a versioned JSON
object a person can read (``make_bundle``)::

    {"format": "corpus-tui-rules", "version": 1, "created_at": "...", "corpus": "seeds",
     "normalization": 1,
     "rules": [{"id": 1, "fingerprint": "-6564522289523234990", "reason": "donation appeal",
                "text": "If you're able, and if you like our content ..."}],
     "near_duplicates": {"shingle_words": 3, "num_perm": 192, "bands": 64, "seed": 20261201,
                         "threshold": 0.5, "min_words": 20},
     "suggestions": {"threshold": 0.85, "model": {...}, "correction": {...}}}

``rules`` are the active rules of marking everywhere (``rules``): a passage's fingerprint
(a string: 64-bit integers do not survive every JSON reader), the normalization version
it was computed with, its reason and the copy's text shown when it was made.
``near_duplicates`` are the settings the corpus's signatures use. ``suggestions`` carries the
suggestion model (``suggest/model.json``), its threshold and the correction this corpus's
decisions fitted (``suggest.learner``), for a tool that wants to score suggestions; applying
the bundle does not use it: only accepted marks are decisions, and ``export`` ignores
suggestions too.

``apply_bundle(bundle, text)`` is pure and picklable (a ``Bundle`` holds only tuples and
frozensets): it returns exactly the boilerplate ranges a scan would mark in a new document
with that text (every line and paragraph whose fingerprint is a rule's, touching ranges
joined; front matter left alone) and the clean text ``export`` writes for it. It is what
``corpus-tui apply`` runs on every record, on one machine or on a Dask cluster, and what a
Spark or datatrove step calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import ranges
from .errors import InvalidValue
from .export.clean import clean_text
from .front_matter import body_start_of
from .normalize import NORMALIZATION_VERSION, fingerprint_utf8, normalize
from .passages import matching_ranges, openings

BUNDLE_FORMAT = "corpus-tui-rules"
BUNDLE_VERSION = 1
RULE_SCORE = 1.0  # a rule's mark is a decision, not an estimate


class BadBundle(InvalidValue):
    """A rules file that cannot be used: named, with what is wrong, in one line."""


@dataclass(frozen=True)
class BundleRule:
    id: int
    fingerprint: int
    reason: str | None
    text: str


@dataclass(frozen=True)
class Bundle:
    normalization: int
    rules: tuple[BundleRule, ...]
    near_duplicates: tuple[tuple[str, Any], ...] = ()
    fingerprints: frozenset[int] = frozenset()
    suggestions_json: str = ""  # the bundle's "suggestions", as JSON text (not used to apply it)
    # The UTF-8 length of every rule's normalized text, when every rule's text is its passage's
    # (``matching_ranges`` hashes no paragraph of another length); None when one is not.
    sizes: frozenset[int] | None = None
    # The first word of every rule's normalized text, under the same condition: a line that starts
    # with another word is not even normalized (``matching_ranges``).
    first_words: frozenset[bytes] | None = None

    @classmethod
    def of(cls, normalization: int, rules: tuple[BundleRule, ...],
           near_duplicates: dict[str, Any] | None = None, suggestions: dict[str, Any] | None = None) -> "Bundle":
        sizes, first_words = _sizes_and_first_words(rules)
        return cls(normalization, rules, tuple(sorted((near_duplicates or {}).items())),
                   frozenset(rule.fingerprint for rule in rules),
                   json.dumps(suggestions, sort_keys=True) if suggestions else "", sizes, first_words)


def _sizes_and_first_words(rules: tuple[BundleRule, ...]) -> tuple[frozenset[int] | None, frozenset[bytes] | None]:
    sizes, first_words = set(), set()
    for rule in rules:
        normalized = normalize(rule.text)
        encoded = normalized.encode("utf-8", "surrogatepass")
        if fingerprint_utf8(encoded) != rule.fingerprint:
            return None, None  # an edited or missing text: its passage's length and words are unknown
        sizes.add(len(encoded))
        first_words |= openings(normalized)
    return frozenset(sizes), frozenset(first_words)


@dataclass(frozen=True)
class Applied:
    clean_text: str
    spans: list[list[Any]]  # [start, end, score]: Dolma's attribute layout, code-point offsets


def make_bundle(corpus: Any) -> dict[str, Any]:
    """The bundle of ``corpus``'s decisions, as a JSON-ready dict (see the module docstring)."""
    from .duplicates.pairs import DEFAULT_THRESHOLD
    from .duplicates.shingles import SHINGLE_WORDS
    from .duplicates.signatures import BANDS, MIN_WORDS, NUM_PERM, SEED
    from .store import now  # here: applying a bundle (every worker of a crawl) needs no database

    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "created_at": now(),
        "corpus": corpus.folder.name,
        "normalization": NORMALIZATION_VERSION,
        "rules": [
            {"id": rule.id, "fingerprint": str(rule.fingerprint), "reason": rule.reason, "text": rule.text}
            for rule in corpus.rules() if rule.normalization == NORMALIZATION_VERSION
        ],
        "near_duplicates": {"shingle_words": SHINGLE_WORDS, "num_perm": NUM_PERM, "bands": BANDS, "seed": SEED,
                            "threshold": DEFAULT_THRESHOLD, "min_words": MIN_WORDS},
        "suggestions": _suggestions(corpus),
    }


def _suggestions(corpus: Any) -> dict[str, Any]:
    from .suggest.learner import correction_for
    from .suggest.model import MODEL_PATH, shipped_model

    model = shipped_model()
    correction = correction_for(corpus, model)
    return {
        "threshold": model.threshold,
        "model": json.loads(MODEL_PATH.read_text(encoding="utf-8")),
        "correction": {"bias": correction.bias, "dense": list(correction.dense),
                       "tokens": {str(bucket): weight for bucket, weight in sorted(correction.tokens.items())},
                       "examples": correction.examples},
    }


def load_bundle(path: str | Path) -> Bundle:
    """Read and check a bundle; ``BadBundle`` (one line naming the file) when it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadBundle(f"{path}: cannot read: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BadBundle(f"{path}: not a JSON rules file ({error})") from None
    except RecursionError:
        raise BadBundle(f"{path}: not a JSON rules file (nested too deep)") from None
    bundle = bundle_from_dict(data, str(path))
    from .apply_dedup import dedup_settings  # (it imports this module)

    dedup_settings(bundle, str(path))  # checked with or without --dedup, naming the file
    return bundle


def bundle_from_dict(data: Any, name: str = "rules") -> Bundle:
    def bad(what: str) -> BadBundle:
        return BadBundle(f"{name}: {what}")

    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise bad(f'not a corpus-tui rules file (no "format": "{BUNDLE_FORMAT}")')
    if data.get("version") != BUNDLE_VERSION:
        raise bad(f"rules file version {data.get('version')!r}; this corpus-tui reads version {BUNDLE_VERSION}")
    if data.get("normalization") != NORMALIZATION_VERSION:
        raise bad(f"made with normalization {data.get('normalization')!r}, this corpus-tui uses "
                  f"{NORMALIZATION_VERSION}: export the rules again with this version")
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise bad('"rules" must be a list')
    parsed = []
    for index, rule in enumerate(rules):
        try:
            fingerprint = int(rule["fingerprint"])
            if not -(2**63) <= fingerprint < 2**63:
                raise ValueError
            parsed.append(BundleRule(int(rule["id"]), fingerprint, _optional_text(rule.get("reason")),
                                     str(rule.get("text", ""))))
        except (KeyError, TypeError, ValueError, OverflowError):
            raise bad(f"rule {index + 1}: needs an integer \"id\" and a 64-bit integer \"fingerprint\"") from None
    settings = data.get("near_duplicates") or {}
    if not isinstance(settings, dict):
        raise bad('"near_duplicates" must be an object')
    suggestions = data.get("suggestions")
    if suggestions is not None:
        from .suggest.model import parse_model

        try:
            parse_model(suggestions["model"])
            float(suggestions["threshold"])
        except (KeyError, TypeError, ValueError) as error:
            raise bad(f'"suggestions" is not a model this corpus-tui reads ({error})') from None
    return Bundle.of(NORMALIZATION_VERSION, tuple(parsed), settings, suggestions)


def _optional_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError("reason")


def apply_bundle(bundle: Bundle, text: str) -> Applied:
    """The boilerplate ranges the bundle's rules mark in ``text`` and the clean text (see the
    module docstring). Pure: the same bundle and text give the same result anywhere."""
    clean, marked = clean_and_ranges(bundle, text)
    return Applied(clean, [[start, end, RULE_SCORE] for start, end in marked])


def clean_and_ranges(bundle: Bundle, text: str) -> tuple[str, list[tuple[int, int]]]:
    """``apply_bundle``'s clean text, and its spans as sorted ``(start, end)`` pairs (each of
    score ``RULE_SCORE``): for a caller that writes them out itself."""
    body_start = body_start_of(text) if text.startswith("---") else 0
    marked = boilerplate_ranges(bundle, text, body_start)
    return clean_text(text, marked), marked


def boilerplate_ranges(bundle: Bundle, text: str, body_start: int = 0) -> list[tuple[int, int]]:
    if not bundle.fingerprints:
        return []
    return ranges.merge(matching_ranges(text, body_start, bundle.fingerprints, bundle.sizes, bundle.first_words))
