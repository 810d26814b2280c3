"""``corpus-tui repeats``: the passages repeated across the corpus, over ``Corpus.repeats``;
with ``--mark``, marks them everywhere (``Corpus.mark_everywhere``).

``corpus_tui.cli`` calls ``register(cli)`` at its end.
"""

from __future__ import annotations

import json

import click
from click.core import ParameterSource

from .cli_output import out
from .cli_types import WholeNumber
from .core import Corpus
from .core.errors import InvalidValue
from .core.repeats import DEFAULT_MIN_DOCS
from .core.safe_text import one_line, quoted
from .core.wording import agreeing, plural


# Passage ids are signed 64-bit fingerprints: "-6564..." must reach IDS, not be taken for an option.
@click.command("repeats", context_settings={"ignore_unknown_options": True})
@click.argument("folder", type=click.Path())
@click.argument("ids", nargs=-1, metavar="[IDS]...")
@click.option("--min-docs", type=WholeNumber(min=2), default=DEFAULT_MIN_DOCS, show_default=True,
              help="List passages found in at least this many documents.")
@click.option("--limit", type=WholeNumber(min=1), default=None, help="At most this many passages.")
@click.option("--contains", default=None, help="Only passages whose text holds this (case-insensitive).")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object a line: id, text, documents, sources, marked, boilerplate_like, and a copy's place.")
@click.option("--mark", is_flag=True,
              help="Mark every copy of the passages IDS as boilerplate, in every document (one undo step each).")
@click.option("--reason", default=None, help="With --mark: the reason the marks carry.")
@click.option("--no-rule", is_flag=True, help="With --mark: keep no rule (documents scanned later are not marked).")
@click.option("--dry-run", is_flag=True, help="With --mark: count what would change, write nothing.")
def repeats_command(folder: str, ids: tuple[str, ...], min_docs: int, limit: int | None, contains: str | None,
                    as_json: bool, mark: bool, reason: str | None, no_rule: bool, dry_run: bool,
                    db: str | None, annotator: str | None, timeout: float) -> None:
    """List the lines and paragraphs repeated across FOLDER's documents, most documents first.

    Passages are compared normalized (case, quotes, dashes, spaces, digits, link
    targets: see the README), so a donation appeal with another year or other
    quotes is one passage. Run 'corpus-tui scan' first: the index follows scans.

    \b
    Examples:
      corpus-tui repeats seeds --min-docs 2
      corpus-tui repeats big-corpus --limit 50 --json | jq .text
      corpus-tui repeats big-corpus --mark -6564522289523234990 --reason "donation appeal"
      corpus-tui repeats big-corpus --mark 123 456 --dry-run

    Marking keeps a rule per passage unless --no-rule: documents added or
    changed later get the mark at their scan (see 'corpus-tui rules list').
    """
    if ids or mark:
        given = click.get_current_context().get_parameter_source("min_docs") is not ParameterSource.DEFAULT
        _refuse_unused((("--min-docs", given), ("--limit", limit is not None), ("--contains", contains is not None)),
                       "with a listing, not with --mark")
        _mark(folder, ids, mark, reason, not no_rule, dry_run, as_json, db, annotator, timeout)
        return
    _refuse_unused((("--reason", reason is not None), ("--no-rule", no_rule), ("--dry-run", dry_run)),
                   "with --mark ID...")
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        found = corpus.repeats(min_docs=min_docs, limit=limit, contains=contains)
    if as_json:
        for repeat in found:
            out(json.dumps(repeat.as_dict(), ensure_ascii=False))
        return
    if not found:
        holding = f" holding {quoted(contains)}" if contains else ""
        out(f"no passage{holding} is in {min_docs} or more documents")
        return
    out(f"{'id':>20}  {'docs':>6}  {'sources':>7}  {'marked':>6}  text")
    for repeat in found:
        flag = "" if repeat.boilerplate_like else "  (repost?)"
        out(f"{repeat.id:>20}  {repeat.documents:>6}  {repeat.sources:>7}  {repeat.marked:>6}  "
            f"{one_line(repeat.text, 100)}{flag}")


def _refuse_unused(options: tuple[tuple[str, bool], ...], where: str) -> None:
    """Options given where they would do nothing, silently: one line naming them."""
    given = [name for name, used in options if used]
    if given:
        raise click.UsageError(f"{' and '.join(given)} only {agreeing(len(given), 'goes', 'go')} {where}")


def _mark(folder: str, ids: tuple[str, ...], mark: bool, reason: str | None, rule: bool, dry_run: bool,
          as_json: bool, db: str | None, annotator: str | None, timeout: float) -> None:
    if not mark:
        raise click.UsageError(f"unexpected argument {ids[0]!r} (to mark passages: --mark ID...)")
    if not ids:
        raise click.UsageError("--mark needs at least one passage id (see corpus-tui repeats FOLDER)")
    wanted = []
    for text in ids:
        try:
            wanted.append(int(text))
        except ValueError:
            raise InvalidValue(f"not a passage id: {text!r} (ids are whole numbers: see corpus-tui repeats)") from None
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        for repeat_id in wanted:  # every id checked before anything is written
            corpus.repeat(repeat_id)
        for repeat_id in dict.fromkeys(wanted):
            summary = corpus.mark_everywhere(repeat_id, reason=reason, rule=rule, dry_run=dry_run)
            if as_json:
                out(json.dumps(summary.as_dict()))
                continue
            verb = "would mark" if dry_run else "marked"
            kept = f", rule {summary.rule_id}" if summary.rule_id is not None else ""
            if not dry_run and summary.rule_id is not None and summary.rule_ranges < summary.ranges:
                # What `rules list` will count: a range holding an earlier mark stays that mark's.
                kept += (f" ({summary.rule_ranges} of them the rule's; the others hold marks made before, "
                         "which stay yours)")
            if not summary.ranges:
                kept += " (its copies were marked already)"
            out(f"{repeat_id}: {verb} {plural(summary.ranges, 'range')} in {plural(summary.documents, 'document')}{kept}")


def register(cli: click.Group) -> None:
    """Add ``repeats`` to the corpus-tui command group."""
    from .cli import corpus_options  # imported here: cli.py calls register() at its end

    cli.add_command(corpus_options(repeats_command))
