"""Where a document comes from, and when a repeated passage is boilerplate-like.

A document's source is, in order:

1. its front matter's ``source``, else its ``site`` (stripped, case-folded: ``RT`` = ``rt``);
2. else the host of its front matter's ``url``, lowercased, without a leading ``www.`` or a
   port (``https://WWW.rt.com:443/news/1`` → ``rt.com``); only ``http`` and ``https`` URLs count;
3. else its top-level folder in the corpus (``rt/2017/c.txt`` → ``rt``, exactly as spelled);
4. else ``""``: every file at the corpus's top level shares one source, the corpus root.

Values that are not text (numbers, lists, dates, an empty or blank string, an unparsable URL)
are skipped, and the next rule decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

MIN_DOCUMENTS = 3


def document_source(path: str, meta: Mapping[str, Any]) -> str:
    """The source of the document at ``path`` (POSIX, relative to the corpus) with front matter
    ``meta``.

    >>> document_source("rt/c.txt", {"url": "https://www.Example.org/a"})
    'example.org'
    >>> document_source("rt/c.txt", {}), document_source("c.txt", {})
    ('rt', '')
    """
    for key in ("source", "site"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().casefold()
    host = _url_host(meta.get("url"))
    if host:
        return host
    folder, separator, _ = path.partition("/")
    return folder if separator else ""


def is_boilerplate_like(documents: int, sources: int) -> bool:
    """Whether a passage in ``documents`` documents from ``sources`` sources is offered as
    boilerplate: in at least 3 documents from at least 2 sources, or in at least 3 documents of
    one source (a site's own template: its footer, its donation appeal).

    A passage in 2 documents is not offered, whatever their sources: that is typically an
    article reposted once. The seeds' 000 (Global Research) and 001 (a blog) print the same
    SouthFront report, so six of their paragraphs are "repeated" news; offering every passage
    found in 2 documents had a precision of 0.25 on the seeds. Boilerplate is a template,
    printed on a third page and on a thousandth. (So the rule comes down to "at least 3
    documents"; the count of sources is shown beside it, not used to turn a passage away.)
    """
    return (documents >= MIN_DOCUMENTS and sources >= 2) or (documents >= MIN_DOCUMENTS and sources == 1)


def _url_host(url: object) -> str:
    if not isinstance(url, str):
        return ""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname  # lowercased, without user, password or port
    except ValueError:  # "http://[::1", an out-of-range port is only checked by .port
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ""
    host = host.rstrip(".")  # "example.org." is example.org
    return host.removeprefix("www.")
