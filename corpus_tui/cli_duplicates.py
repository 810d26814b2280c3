"""``corpus-tui duplicates``: near-duplicate pairs and clusters, over ``Corpus.duplicate_pairs``
and ``Corpus.duplicate_clusters``.

``corpus_tui.cli`` calls ``register(cli)`` at its end.
"""

from __future__ import annotations

import json

import click

from .cli_output import out, progress_line, say
from .cli_types import Number
from .core import Corpus
from .core.duplicates.pairs import DEFAULT_THRESHOLD, STORE_MIN
from .core.safe_text import one_line
from .core.wording import plural


@click.command("duplicates")
@click.argument("folder", type=click.Path())
@click.option("--threshold", type=Number(STORE_MIN, 1.0), default=DEFAULT_THRESHOLD, show_default=True,
              help="Smallest containment: the share of the smaller document's word shingles found in the other.")
@click.option("--clusters", "as_clusters", is_flag=True,
              help="Print clusters (documents joined by pairs or by marks), the document --dedup keeps first.")
@click.option("--json", "as_json", is_flag=True,
              help='One JSON object a line: {"a", "b", "jaccard", "containment"}; with --clusters '
                   '{"documents": [...], "keep"}.')
@click.option("--refresh", is_flag=True,
              help="Sign every document again first, leaving out the boilerplate marked and repeated now.")
def duplicates_command(folder: str, threshold: float, as_clusters: bool, as_json: bool, refresh: bool,
                       db: str | None, annotator: str | None, timeout: float) -> None:
    """List FOLDER's near-duplicate documents: pairs, or with --clusters, groups.

    Documents are compared on their own text (without marked boilerplate and
    passages repeated in 3 or more documents), as word shingles normalized like
    repeats. Figures are exact: Jaccard and containment (the share of the smaller
    document's shingles found in the larger). Run 'corpus-tui scan' first: the
    signatures follow scans.

    \b
    Examples:
      corpus-tui duplicates seeds
      corpus-tui duplicates big-corpus --threshold 0.8 --json | jq -r .a
      corpus-tui duplicates big-corpus --clusters --json
    """
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        progress = progress_line("signing", "documents") if refresh else None
        summary = corpus.refresh_duplicates(everything=refresh, progress=progress)
        if refresh:
            say(f"signed {plural(summary.signed, 'document')}: {plural(summary.pairs, 'pair')} from containment {STORE_MIN}")
        if as_clusters:
            _print_clusters(corpus, threshold, as_json)
            return
        pairs = corpus.duplicate_pairs(threshold)
    if as_json:
        for pair in pairs:
            out(json.dumps(pair.as_dict(), ensure_ascii=False))
        return
    if not pairs:
        out(f"no near-duplicates at containment {threshold}")
        return
    out(f"{'contain':>7}  {'jaccard':>7}  documents")
    for pair in pairs:
        out(f"{pair.containment:>7.3f}  {pair.jaccard:>7.3f}  {one_line(pair.a, 100)}  ~  {one_line(pair.b, 100)}")


def _print_clusters(corpus: Corpus, threshold: float, as_json: bool) -> None:
    found = corpus.duplicate_clusters(threshold)
    if as_json:
        for cluster in found:
            out(json.dumps({"documents": cluster.paths, "keep": cluster.keep.path}, ensure_ascii=False))
        return
    if not found:
        out(f"no near-duplicates at containment {threshold}")
        return
    for cluster in found:
        out(f"cluster {cluster.number} ({plural(len(cluster.members), 'document')})")
        for member in cluster.members:
            mark = "keep" if member.id == cluster.keep.id else "    "
            out(f"  {mark}  {one_line(member.path, 120)}")


def register(cli: click.Group) -> None:
    """Add ``duplicates`` to the corpus-tui command group."""
    from .cli import corpus_options  # imported here: cli.py calls register() at its end

    cli.add_command(corpus_options(duplicates_command))
