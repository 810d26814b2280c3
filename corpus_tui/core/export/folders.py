"""Folder formats that mirror the corpus layout: ``markdown`` and ``text``.

Each document becomes one file at its own relative path, with the suffix
replaced (``site/2017/a.txt`` -> ``site/2017/a.md``). When two documents would
get the same name (``a.txt`` and ``a.md``), both keep their full name plus the
new suffix (``a.txt.md``, ``a.md.md``).

- ``markdown`` (written with python-frontmatter, YAML front matter): ``path``,
  ``sha256``, ``title``, ``status``, ``tags``, ``note``, ``front_matter`` (the
  original document's), ``annotations`` (``start``, ``end``, ``label``,
  ``note``, ``text``; offsets index the original text, as everywhere in
  corpus-tui); the body is the clean text, without its trailing whitespace. The front matter
  and the last line break are CRLF when most of the body's line breaks are.
- ``text``: the clean text alone, byte for byte (UTF-8, line ends as in the
  original) - the cleaned corpus.

In both, the clean text leaves out the document's own front matter block too:
it is metadata, not text (``front_matter`` above, ``meta`` in ``jsonl``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .records import DocumentRecord


def output_names(documents: Iterable[tuple[int, str]], suffix: str) -> dict[int, str]:
    """Relative output path per document id, collision-free (see the module docstring)."""
    documents = list(documents)
    preferred = {doc_id: str(PurePosixPath(path).with_suffix(suffix)) for doc_id, path in documents}
    counts = Counter(preferred.values())
    names = {
        doc_id: preferred[doc_id] if counts[preferred[doc_id]] == 1 else path + suffix
        for doc_id, path in documents
    }
    counts = Counter(names.values())
    for doc_id, path in documents:  # a pathological leftover clash: make it unique with the id
        if counts[names[doc_id]] > 1:
            names[doc_id] = f"{path}~{doc_id}{suffix}"
    return names


def target(root: Path, relative: str) -> Path:
    """``root / relative``, refusing anything that would land outside ``root``."""
    path = root.joinpath(*PurePosixPath(relative).parts)
    if ".." in PurePosixPath(relative).parts or PurePosixPath(relative).is_absolute():
        raise ValueError(f"unsafe output path {relative!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


class TextFolderWriter:
    suffix = ".txt"
    def __init__(self, root: Path, documents: Iterable[tuple[int, str]]):
        self.root = root
        self.names = output_names(documents, self.suffix)

    def write(self, record: DocumentRecord) -> None:
        with open(target(self.root, self.names[record.id]), "wb") as handle:
            handle.write(self.render(record))

    def render(self, record: DocumentRecord) -> bytes:
        return record.clean_body

    def close(self) -> None:
        pass


class MarkdownWriter(TextFolderWriter):
    suffix = ".md"

    def render(self, record: DocumentRecord) -> bytes:
        import frontmatter  # here: loading YAML costs every command's start-up 20 ms

        post = frontmatter.Post(
            record.clean_body.decode("utf-8"),
            path=record.path,
            sha256=record.sha256,
            title=record.title,
            status=record.status,
            tags=record.tags,
            note=record.note,
            duplicate_of=record.duplicate_of,
            front_matter=record.meta,
            annotations=[
                {"start": s.start, "end": s.end, "label": s.label, "note": s.note, "text": s.text}
                for s in record.spans
            ],
        )
        rendered = frontmatter.dumps(post, sort_keys=False) + "\n"
        if _mostly_crlf(record.clean_body):  # the front matter and the last line end as the body's lines do
            head_end = rendered.index("\n---\n") + len("\n---\n")  # the YAML holds no line "---" of its own
            content = rendered[head_end + 1 : -1]  # after the blank line, before the last line break
            rendered = rendered[:head_end].replace("\n", "\r\n") + (f"\r\n{content}\r\n" if content else "")
        return rendered.encode("utf-8")


def _mostly_crlf(body: bytes) -> bool:
    """Whether most of the body's line breaks are CRLF (a Windows file): a file with mixed
    line ends gets the more common one."""
    crlf = body.count(b"\r\n")
    return crlf > 0 and crlf * 2 > body.count(b"\n")
