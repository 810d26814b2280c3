"""Find YAML front matter at the top of a document and parse it safely.

We locate the block ourselves, on the canonical text (BOM already removed), so
offsets stay exact; python-frontmatter's YAML handler (SafeLoader: tags such as
``!!python/object`` are refused, never executed) parses what is inside.

Whatever the block holds, the outcome is a ``FrontMatter``, with a one-line
``problem`` when the block cannot be used; a document's YAML never stops a
scan. Three guards make that hold for YAML written to hurt:

- libyaml (the fast ``CSafeLoader``) parses nesting by recursing in C, so some
  100,000 ``[`` overflow the C stack and kill the process. A block that could
  be nested deeper than ``C_PARSER_MAX_NESTING`` goes to the pure-Python
  parser instead, where that depth is a ``RecursionError``;
- the parsed value becomes JSON (it is stored as JSON) by ``_Converter``, which
  refuses nesting past ``MAX_DEPTH``, a value inside itself (``&a [*a]``), and
  more than ``MAX_VALUES`` values once aliases are expanded (nested aliases
  grow tenfold a line);
- errors YAML's constructors raise besides ``YAMLError`` (``2017-02-30``, a
  number of more than 4,300 digits) are problems too.
"""

from __future__ import annotations

import datetime
import math
import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 100  # levels of nesting in front matter (the top-level mapping is level 1)
MAX_VALUES = 100_000  # values in front matter, aliases expanded
C_PARSER_MAX_NESTING = 1000  # libyaml recursed 10,000 levels fine on an 8 MiB stack; 30,000 crashed

_OPENING = re.compile(r"---[ \t]*\r?\n")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
# Every YAML collection starts with one of these (a flow one with "[" or "{", a block one with
# its first "-", "?" or ":"), so their count bounds how deep a block can nest.
_COLLECTION_STARTS = "[{-?:"


@dataclass(frozen=True)
class FrontMatter:
    meta: dict[str, Any] = field(default_factory=dict)
    body_start: int = 0
    problem: str | None = None


class _Unusable(Exception):
    """The parsed front matter cannot be stored; the message is the document's problem."""


class _Converter:
    """YAML's values as JSON's: dates as ISO text, other values as text, keys as JSON writes them.

    (What the earlier ``json.loads(json.dumps(value, default=str))`` gave, within limits.)
    """

    def __init__(self) -> None:
        self.values = 0
        self.inside: set[int] = set()  # ids of the collections being converted (a cycle's way back)

    def convert(self, value: Any, depth: int) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise _Unusable(f"front matter has more than {MAX_VALUES:,} values (counting what its aliases repeat)")
        if isinstance(value, float) and not math.isfinite(value):
            # YAML's .nan and .inf are no JSON number: stored, they made SQLite's JSON functions
            # fail on every later scan ("malformed JSON"), and the export wrote NaN. Their YAML text.
            return ".nan" if value != value else ".inf" if value > 0 else "-.inf"
        if value is None or isinstance(value, (str, int, float)):  # bool is an int
            return value
        if not isinstance(value, (dict, list, tuple)):
            return _to_text(value)
        if depth > MAX_DEPTH:
            raise _Unusable(f"front matter is nested more than {MAX_DEPTH} levels deep")
        if id(value) in self.inside:
            raise _Unusable("front matter refers to itself (an alias inside its own anchor)")
        self.inside.add(id(value))
        try:
            if isinstance(value, dict):
                return {_json_key(key): self.convert(item, depth + 1) for key, item in value.items()}
            return [self.convert(item, depth + 1) for item in value]
        finally:
            self.inside.discard(id(value))


def _json_key(key: Any) -> str:
    """A key as ``json.dumps`` writes it (``true``, ``null``, ``1.5``); dates in ISO form."""
    if isinstance(key, str):
        return key
    if isinstance(key, float) and not math.isfinite(key):
        return ".nan" if key != key else ".inf" if key > 0 else "-.inf"
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    return _to_text(key)


def _to_text(value: Any) -> str:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def _loader(block: str) -> Any:
    """libyaml's loader when the block cannot nest deep enough to overflow it, else Python's."""
    import yaml

    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None and sum(block.count(c) for c in _COLLECTION_STARTS) < C_PARSER_MAX_NESTING:
        return fast
    return yaml.SafeLoader


def _load(block: str) -> Any:
    """The block's YAML value; ``_Unusable`` (with the problem) when it has none."""
    import frontmatter  # only documents with front matter pay for loading YAML
    import yaml

    try:
        return frontmatter.YAMLHandler().load(block, Loader=_loader(block))
    except yaml.YAMLError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise _Unusable(f"front matter is not valid YAML{where}: {reason}") from None
    except RecursionError:
        raise _Unusable(f"front matter is nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, TypeError, OverflowError) as error:  # YAML's constructors: 2017-02-30, 5,000 digits, ...
        reason = " ".join(str(error).split()) or type(error).__name__
        raise _Unusable(f"front matter cannot be read: {reason}") from None


def body_start_of(text: str) -> int:
    """Where the body after the front matter starts, as ``parse_front_matter`` says, without
    reading the YAML (a block that is not valid YAML is still front matter)."""
    found = _block(text)
    return found[2] if found is not None else 0


def _block(text: str) -> tuple[int, int, int] | None:
    """(block start, block end, body start), or None when there is no front matter."""
    opening = _OPENING.match(text)
    if not opening:
        return None
    closing = _CLOSING.search(text, opening.end())
    if not closing:
        return None  # a lone '---' line is a horizontal rule, not front matter
    body_start = closing.end()
    if text.startswith("\r\n", body_start):
        body_start += 2
    elif text.startswith("\n", body_start):
        body_start += 1
    return opening.end(), closing.start(), body_start


def parse_front_matter(text: str) -> FrontMatter:
    """Return the metadata and where the body starts (0 when there is no block)."""
    found = _block(text)
    if found is None:
        return FrontMatter()
    block_start, block_end, body_start = found
    block = text[block_start:block_end]
    try:
        meta = _load(block)
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise _Unusable("front matter is not a mapping of keys to values")
        converter = _Converter()
        return FrontMatter({str(key): converter.convert(value, 2) for key, value in meta.items()}, body_start)
    except _Unusable as problem:
        if not block[: block.find("\n") + 1].strip():
            # "---" then a blank line: a Markdown page opening with a rule, not metadata (Pandoc's
            # rule), unless it reads as metadata. Its paragraphs up to the next rule were taken
            # for a broken block: gone from its title and body, and warned about (a review).
            return FrontMatter()
        return FrontMatter({}, body_start, str(problem))
