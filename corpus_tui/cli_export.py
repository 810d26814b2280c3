"""``corpus-tui export`` and ``corpus-tui import``: click commands over
``corpus_tui.core.export`` and ``corpus_tui.core.annotation_import``.

Registered on the main group by ``register(cli)`` (see the end of cli.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .cli_output import echo, out, quiet_stdout, say
from .cli_types import WholeNumber
from .core import Corpus, CorpusError
from .core.annotation_import import MATCHES, PREFERENCES, InvalidImport, import_annotations
from .core.export import ALL_FORMATS, export
from .core.export.json_formats import DOCCANO_SPANS
from .core.export.label_studio import OFFSETS
from .core.export.output import WriteFailed
from .core.export.parallel import AUTO_MIN_DOCUMENTS, MAX_JOBS
from .core.schema import STATUSES
from .core.wording import plural

PROGRESS_THRESHOLD = 2000  # documents: below this an export is quick enough to stay silent


def _corpus_options(command: Callable[..., Any]) -> Callable[..., Any]:
    from .cli import corpus_options  # cli.py imports this module at its end

    return corpus_options(command)


@click.command("export")
@click.argument("folder", type=click.Path())
@click.option("-f", "--format", "fmt", type=click.Choice(ALL_FORMATS), default="jsonl", show_default=True,
              help="Output format.")
@click.option("-o", "--output", metavar="PATH|-",
              help="Where to write: a file (or a folder for markdown, brat, text); '-' or nothing for "
                   "stdout (jsonl, prodigy, doccano, csv, label-studio only).")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
              help="Only documents with this status (repeatable: any of them).")
@click.option("--tag", "tags", multiple=True, metavar="NAME",
              help="Only documents with this tag (repeatable: all of them).")
@click.option("--exclude-tag", "exclude_tags", multiple=True, metavar="NAME",
              help="Leave out documents with this tag (repeatable).")
@click.option("--only-annotated", is_flag=True, help="Only documents with at least one annotation span.")
@click.option("--include-missing", is_flag=True,
              help="Also export documents whose file is gone (from the text stored at their last scan).")
@click.option("--dedup", is_flag=True,
              help="One document per cluster of near-duplicates (the one marked kept, else reviewed, else the "
                   "longest; see 'corpus-tui duplicates --clusters'); says how many it left out.")
@click.option("--allow-stale", is_flag=True,
              help="Export documents with spans that could not be re-anchored, without those spans.")
@click.option("--force", is_flag=True, help="Replace an existing output.")
@click.option("-j", "--jobs", type=WholeNumber(1, MAX_JOBS), metavar="N",
              help="Worker processes for jsonl, prodigy, doccano, csv and label-studio (default: one per CPU for "
                   f"{AUTO_MIN_DOCUMENTS:,} documents or more; 1: none).")
@click.option("--text", "text_column", is_flag=True,
              help="csv: add a text column (the exact text, as the other formats' offsets index it).")
@click.option("--clean-text", "clean_text_column", is_flag=True,
              help="csv: add a clean_text column (boilerplate removed).")
@click.option("--doccano-spans", type=click.Choice(DOCCANO_SPANS), default="label", show_default=True,
              help="doccano: the key the spans go under: label (sequence labelling) or entities "
                   "(intent detection and slot filling).")
@click.option("--label-config", metavar="PATH|-",
              help="label-studio: where the labelling config (XML) goes; default: beside the output, "
                   "as NAME.label-config.xml; '-' prints it (the tasks then go to -o PATH).")
@click.option("--label-studio-offsets", type=click.Choice(OFFSETS), default="code-points", show_default=True,
              help="label-studio: offsets in code points (what Label Studio stores) or in UTF-16 code "
                   "units (for releases before its 2022 fix).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@_corpus_options
def export_command(folder: str, fmt: str, output: str | None, statuses: tuple[str, ...], tags: tuple[str, ...],
                   exclude_tags: tuple[str, ...], only_annotated: bool, include_missing: bool, dedup: bool, allow_stale: bool,
                   force: bool, jobs: int | None, text_column: bool, clean_text_column: bool, doccano_spans: str,
                   label_config: str | None, label_studio_offsets: str, as_json: bool, db: str | None,
                   annotator: str | None, timeout: float) -> None:
    """Export FOLDER's annotated documents as jsonl, prodigy, doccano, csv,
    markdown, brat, text, parquet or label-studio.

    Files that changed on disk since the last scan are re-read first (their
    spans re-anchored); documents with spans that could not be re-anchored are
    left out and named on stderr (--allow-stale exports them without those
    spans). The output appears only when complete, and an existing one is
    replaced only with --force.

    \b
    Examples:
      corpus-tui export seeds -o seeds.jsonl
      corpus-tui export seeds --format csv --status reviewed -o reviewed.csv
      corpus-tui export seeds --format markdown --tag iraq -o iraq-md/
      corpus-tui export seeds --only-annotated | jq .spans
      corpus-tui export seeds --dedup -o unique.jsonl
      corpus-tui export seeds --format csv --text -o with-text.csv
      corpus-tui export seeds --format doccano --doccano-spans entities -o intent.jsonl
      corpus-tui export seeds --format label-studio -o tasks.json   # + tasks.label-config.xml
    """
    to_stdout = output is None or output == "-"
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        try:
            summary = export(
                corpus, fmt, "-" if to_stdout else Path(output) if str(output).strip() else str(output),
                statuses=statuses, tags=tags, exclude_tags=exclude_tags, only_annotated=only_annotated,
                include_missing=include_missing, dedup=dedup, allow_stale=allow_stale, force=force,
                progress=_progress_printer(), jobs=jobs,
                text_columns=[c for c, on in (("text", text_column), ("clean_text", clean_text_column)) if on],
                doccano_spans=doccano_spans, label_studio_offsets=label_studio_offsets,
                label_config=None if label_config is None else ("-" if label_config == "-" else Path(label_config)),
            )
        except BrokenPipeError:  # 'export ... | head': the reader has all it wanted
            quiet_stdout()
            sys.exit(1)
        except WriteFailed as error:
            if error.output is None:  # stdout: what it still holds must not fail again at exit
                quiet_stdout()
            raise
    for warning in summary.warnings():
        say(f"warning: {warning}")
    message = json.dumps(summary.as_dict(), ensure_ascii=False) if as_json else summary.line()
    if to_stdout or label_config == "-":
        say(message)  # never mixed into the data on stdout
    else:
        echo(message, f"the export to {output} is complete; its summary was not printed")


@click.command("import")
@click.argument("folder", type=click.Path())
@click.argument("file", metavar="FILE.jsonl|-")
@click.option("--match", type=click.Choice(MATCHES), default="path", show_default=True,
              help="Find each record's document by path, or by content (sha256).")
@click.option("--prefer", type=click.Choice(PREFERENCES),
              help="When a status, note or boilerplate reason differs on both sides: keep ours or take theirs "
                   "(default: keep ours and report it).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@_corpus_options
def import_command(folder: str, file: str, match: str, prefer: str | None, dry_run: bool, as_json: bool,
                   db: str | None, annotator: str | None, timeout: float) -> None:
    """Restore tags, spans, boilerplate, notes and statuses from a jsonl export.

    The whole file is checked first (every document known, every span's text
    matching the document here); any problem stops the import with nothing
    changed. Spans are merged as a set and tags added, so importing the same
    file twice changes nothing. '-' reads stdin.

    \b
    Examples:
      corpus-tui import copy-of-seeds seeds.jsonl --dry-run
      corpus-tui export laptop/corpus | corpus-tui import desktop/corpus - --prefer theirs
    """
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        try:
            summary = import_annotations(corpus, file, match=match, prefer=prefer, dry_run=dry_run)
        except InvalidImport as error:
            if dry_run:  # the report the dry run was asked for, every problem, on stdout
                for problem in error.problems:
                    out(f"problem: {problem}")
                raise CorpusError(f"{error.problems[0]} ({plural(len(error.problems), 'problem')} in all, "
                                  "listed on stdout; nothing was imported)") from None
            if len(error.problems) == 1:
                raise
            # one line, as every error; the dry run is where to read them all
            raise CorpusError(f"{error.problems[0]} (and {plural(len(error.problems) - 1, 'more problem')}: "
                              "--dry-run lists them all; nothing was imported)") from None
    done = "nothing was written (dry run)" if dry_run else "the import is complete"
    if as_json:
        echo(json.dumps(summary.as_dict(), ensure_ascii=False), f"{done}; its summary was not printed")
        return
    for warning in summary.warnings:
        say(f"warning: {warning}")
    for conflict in summary.conflicts:
        hint = "" if prefer else "; --prefer theirs takes the file's"
        say(f"conflict: {conflict.line()}{hint}")
    lines = [*summary.changes, summary.line()] if dry_run else [summary.line()]
    echo("\n".join(lines), f"{done}; its summary was not printed")


def _progress_printer() -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total < PROGRESS_THRESHOLD:
            return
        click.echo(f"\rexporting {done}/{total} documents ({done * 100 // max(total, 1)}%)", err=True, nl=False)
        if done >= total:
            click.echo("", err=True)

    return show


def register(cli: click.Group) -> None:
    """Add ``export`` and ``import`` to the corpus-tui command group."""
    cli.add_command(export_command)
    cli.add_command(import_command)


