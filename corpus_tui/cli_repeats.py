"""``corpus-tui repeats``: the passages repeated across the corpus, over ``Corpus.repeats``.

``corpus_tui.cli`` calls ``register(cli)`` at its end.
"""

from __future__ import annotations

import json

import click

from .cli_output import out
from .core import Corpus
from .core.repeats import DEFAULT_MIN_DOCS
from .core.safe_text import one_line


@click.command("repeats")
@click.argument("folder", type=click.Path())
@click.option("--min-docs", type=click.IntRange(min=2), default=DEFAULT_MIN_DOCS, show_default=True,
              help="List passages found in at least this many documents.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many passages.")
@click.option("--contains", default=None, help="Only passages whose text holds this (case-insensitive).")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object a line: id, text, documents, sources, marked, boilerplate_like, and a copy's place.")
def repeats_command(folder: str, min_docs: int, limit: int | None, contains: str | None, as_json: bool,
                    db: str | None, annotator: str | None, timeout: float) -> None:
    """List the lines and paragraphs repeated across FOLDER's documents, most documents first.

    Passages are compared normalized (case, quotes, dashes, spaces, digits, link
    targets: see the README), so a donation appeal with another year or other
    quotes is one passage. Run 'corpus-tui scan' first: the index follows scans.

    \b
    Examples:
      corpus-tui repeats seeds --min-docs 2
      corpus-tui repeats big-corpus --limit 50 --json | jq .text
    """
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        found = corpus.repeats(min_docs=min_docs, limit=limit, contains=contains)
    if as_json:
        for repeat in found:
            out(json.dumps(repeat.as_dict(), ensure_ascii=False))
        return
    if not found:
        out(f"no passage is in {min_docs} or more documents")
        return
    out(f"{'id':>20}  {'docs':>6}  {'sources':>7}  {'marked':>6}  text")
    for repeat in found:
        flag = "" if repeat.boilerplate_like else "  (repost?)"
        out(f"{repeat.id:>20}  {repeat.documents:>6}  {repeat.sources:>7}  {repeat.marked:>6}  "
            f"{one_line(repeat.text, 100)}{flag}")


def register(cli: click.Group) -> None:
    """Add ``repeats`` to the corpus-tui command group."""
    from .cli import corpus_options  # imported here: cli.py calls register() at its end

    cli.add_command(corpus_options(repeats_command))
