"""Find YAML front matter at the top of a document and parse it safely.

We locate the block ourselves, on the canonical text (BOM already removed), so
offsets stay exact; python-frontmatter's YAML handler (SafeLoader: tags such as
``!!python/object`` are refused, never executed) parses what is inside.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from typing import Any


_OPENING = re.compile(r"---[ \t]*\r?\n")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)


@dataclass(frozen=True)
class FrontMatter:
    meta: dict[str, Any] = field(default_factory=dict)
    body_start: int = 0
    problem: str | None = None


def _json_safe(value: Any) -> Any:
    """YAML yields dates and other non-JSON values; keep them as strings."""
    return json.loads(json.dumps(value, default=_to_text, ensure_ascii=False))


def _to_text(value: Any) -> str:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def parse_front_matter(text: str) -> FrontMatter:
    """Return the metadata and where the body starts (0 when there is no block)."""
    opening = _OPENING.match(text)
    if not opening:
        return FrontMatter()
    closing = _CLOSING.search(text, opening.end())
    if not closing:
        return FrontMatter()  # a lone '---' line is a horizontal rule, not front matter
    body_start = closing.end()
    if text.startswith("\r\n", body_start):
        body_start += 2
    elif text.startswith("\n", body_start):
        body_start += 1
    block = text[opening.end() : closing.start()]
    import frontmatter  # only documents with front matter pay for loading YAML
    import yaml

    try:
        meta = frontmatter.YAMLHandler().load(block)
    except yaml.YAMLError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        return FrontMatter({}, body_start, f"front matter is not valid YAML{where}: {reason}")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return FrontMatter({}, body_start, "front matter is not a mapping of keys to values")
    return FrontMatter(_json_safe({str(k): v for k, v in meta.items()}), body_start)
