"""``corpus-tui suggest`` (boilerplate suggestions, over ``Corpus.suggest_all``) and
``corpus-tui evaluate`` (them against hand labels, ``Corpus.evaluate_suggestions``).

``corpus_tui.cli`` calls ``register(cli)`` at its end.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .cli_output import out
from .cli_types import Number, WholeNumber
from .core import Corpus
from .core.safe_text import one_line
from .core.wording import plural
from .core.suggest.evaluate import read_gold
from .core.suggest.parallel import score_corpus


@click.command("suggest")
@click.argument("folder", type=click.Path())
@click.option("--path", "paths", multiple=True, help="Only this document (repeatable).")
@click.option("--min-score", type=Number(0.0, 1.0), default=None,
              help="Suggest lines scored at least this (default: the model's threshold, what the app shows).")
@click.option("--json", "as_json", is_flag=True,
              help='One JSON object a document with suggestions (every --path one): '
                   '{"path", "suggestions": [{"start", "end", "score", "reason"}]}.')
@click.option("-j", "--jobs", type=WholeNumber(min=1), default=None,
              help="Processes scoring a large corpus (default: one a core).")
@click.option("--apply", "apply", is_flag=True,
              help="Mark the suggestions as boilerplate: one batch, one undo step (--revert undoes it later).")
@click.option("--dry-run", is_flag=True, help="With --apply: count what would be marked, write nothing.")
@click.option("--applied", is_flag=True, help="List the batches --apply (and the app's accept-all) made.")
@click.option("--revert", type=WholeNumber(min=1), metavar="BATCH_ID", default=None, help="Revert one batch as a unit.")
def suggest_command(folder: str, paths: tuple[str, ...], min_score: float | None, as_json: bool, jobs: int | None,
                    apply: bool,
                    dry_run: bool, applied: bool, revert: int | None,
                    db: str | None, annotator: str | None, timeout: float) -> None:
    """Lines of FOLDER's documents that look like boilerplate, with a score and a reason.

    Suggestions change nothing: stats and exports count only marks. Offsets are
    spans' (code points into the whole text). Run 'corpus-tui scan' first.

    \b
    Examples:
      corpus-tui suggest seeds
      corpus-tui suggest seeds --path 002_a7de4bf8afd987b8.txt --json
      corpus-tui suggest big-corpus --min-score 0.99 --json | jq .path
      corpus-tui suggest big-corpus --min-score 0.99 --apply --dry-run
      corpus-tui suggest big-corpus --applied
      corpus-tui suggest big-corpus --revert 812
    """
    if sum((apply, applied, revert is not None)) > 1:
        raise click.UsageError("give one of --apply, --applied or --revert BATCH_ID")
    if dry_run and not apply:
        raise click.UsageError("--dry-run goes with --apply")
    if apply or applied or revert is not None:
        _decide(folder, list(paths) or None, min_score, as_json, apply, dry_run, revert, db, annotator, timeout)
        return
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        documents = suggested = 0
        for document, found in score_corpus(corpus, min_score, list(paths) if paths else None, jobs):
            documents += 1
            suggested += bool(found)
            if as_json:
                if found or paths:
                    out(json.dumps({"path": document.path, "suggestions": [s.as_dict() for s in found]},
                                   ensure_ascii=False))
                continue
            if not found:
                continue
            text = corpus.text(document.id)
            out(one_line(document.path, 300))
            for suggestion in found:
                out(f"  {suggestion.score:.2f}  {one_line(text[suggestion.start:suggestion.end], 70):<70}  "
                    f"{suggestion.reason}")
        if not as_json and not suggested:  # a table of nothing: say so (JSON lines stay empty)
            threshold = corpus.suggestion_threshold() if min_score is None else min_score
            out(f"no suggestions at a score of {threshold:g} or more in {plural(documents, 'document')}")


def _decide(folder: str, paths: list[str] | None, min_score: float | None, as_json: bool, apply: bool,
            dry_run: bool, revert: int | None, db: str | None, annotator: str | None, timeout: float) -> None:
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        if apply or revert is not None:
            summary = (corpus.apply_suggestions(min_score, paths, dry_run=dry_run) if apply
                       else corpus.revert_batch(revert))  # type: ignore[arg-type]
            if as_json:
                out(json.dumps(summary.as_dict()))
            elif revert is not None:
                kept = (f"; {plural(summary.kept_by_rules, 'range')} of their text marked again by the rules that "
                        "hold those passages (corpus-tui rules list)" if summary.kept_by_rules else "")
                out(f"reverted batch {revert}: {plural(summary.ranges, 'range')} in {plural(summary.documents, 'document')} "
                    f"unmarked{kept}")
            elif dry_run:
                out(f"would mark {plural(summary.ranges, 'range')} in {plural(summary.documents, 'document')}")
            elif summary.event_id is None:
                out("nothing to mark: every suggestion is marked already")
            else:
                out(f"marked {plural(summary.ranges, 'range')} in {plural(summary.documents, 'document')} as batch {summary.event_id} "
                    f"(corpus-tui suggest {folder} --revert {summary.event_id} undoes it)")
            return
        batches = corpus.applied_batches()[::-1]  # newest first, as import-tags --list
    if as_json:
        for batch in batches:
            out(json.dumps(batch.__dict__))
        return
    if not batches:
        out("no suggestions were applied in this corpus")
    else:
        out(f"{'batch':>8}  {'applied at':<29}  {'by':<20}  marks")
    for batch in batches:
        state = "  (reverted)" if batch.reverted else ""
        out(f"{batch.event_id:>8}  {batch.at:<29}  {one_line(batch.annotator, 20):<20}  {plural(batch.ranges, 'range')} in "
            f"{plural(batch.documents, 'document')}{state}")


@click.command("evaluate")
@click.argument("folder", type=click.Path())
@click.option("--gold", "gold_path", type=click.Path(path_type=Path), required=True,
              help="Hand labels: JSON Lines of {\"path\", \"boilerplate_lines\", \"content_lines\"} (1-based lines).")
@click.option("--min-score", type=Number(0.0, 1.0), default=None,
              help="Score suggestions from this score (default: the model's threshold).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def evaluate_command(folder: str, gold_path: Path, min_score: float | None, as_json: bool,
                     db: str | None, annotator: str | None, timeout: float) -> None:
    """Score the suggestions for FOLDER line by line against hand-labelled lines.

    Boilerplate is the positive class; the content class is scored too. Only
    labelled lines count; a line already marked counts as boilerplate.

    \b
    Example:
      corpus-tui evaluate pages --gold gold.jsonl
    """
    gold = read_gold(gold_path)
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        figures = corpus.evaluate_suggestions(gold, min_score)
    if as_json:
        out(json.dumps(figures))
        return
    blank = f" ({plural(figures['blank_labels'], 'label')} on blank lines, not scored)" if figures["blank_labels"] else ""
    out(f"{plural(figures['lines'], 'labelled line')} of {plural(figures['documents'], 'document')}, "
        f"threshold {figures['threshold']}{blank}")
    for name in ("boilerplate", "content"):
        row = figures[name]
        shown = {key: "n/a" if row[key] is None else f"{row[key]:.3f}" for key in ("precision", "recall", "f")}
        out(f"{name:<12} precision {shown['precision']}  recall {shown['recall']}  F {shown['f']}  "
            f"({row['labelled']:,} labelled)")


def register(cli: click.Group) -> None:
    """Add ``suggest`` and ``evaluate`` to the corpus-tui command group."""
    from .cli import corpus_options  # imported here: cli.py calls register() at its end

    cli.add_command(corpus_options(suggest_command))
    cli.add_command(corpus_options(evaluate_command))
