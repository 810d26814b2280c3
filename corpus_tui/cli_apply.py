"""``corpus-tui apply``: a rules bundle applied to JSONL or Parquet shards
(``core.apply_records``), on this machine or on a Dask cluster.

``corpus_tui.cli`` calls ``register(cli)`` at its end.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from .cli_output import out, progress_line, say
from .cli_types import WholeNumber
from .core.apply_records import FORMATS, Job, find_partitions, remove_empty_outputs, run_dask, run_local
from .core.bundle import load_bundle
from .core.errors import InvalidValue


@click.command("apply")
@click.argument("rules", metavar="RULES.json", type=click.Path())
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", required=True, metavar="FOLDER", help="Where the partitions are written.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True,
              help="Output format (input: .jsonl/.json/.ndjson or .parquet files, by their suffix).")
@click.option("--text-field", default="text", show_default=True, help="The field holding the text.")
@click.option("--id-field", default="id", show_default=True, help="The field naming a record (kept as is).")
@click.option("--dedup", is_flag=True,
              help="Leave out near-duplicates across the whole input (MinHash LSH with the bundle's settings); "
                   "each cluster keeps its longest clean text. Listed in NAME.duplicates.jsonl.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: processes on this machine; dask: tasks on a dask.distributed cluster.")
@click.option("--scheduler", metavar="ADDRESS", help="With --engine dask: the scheduler (default: a LocalCluster).")
@click.option("-j", "--jobs", type=WholeNumber(1, 256), help="Processes (local) or LocalCluster workers (dask).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def apply_command(rules: str, inputs: tuple[str, ...], output: str, fmt: str, text_field: str, id_field: str,
                  dedup: bool, engine: str, scheduler: str | None, jobs: int | None, as_json: bool) -> None:
    """Apply a rules bundle ('corpus-tui rules export') to every record of INPUT
    files or folders of shards: each record comes out with its fields plus clean_text and
    attributes.corpus_tui__boilerplate ([start, end, score] lists, Dolma's layout).

    One output file per input file, written whole or not at all; a rerun skips those
    already written. Records without a string text field, or not JSON, go to
    NAME.rejects.jsonl with their file and line. With --dedup, near-duplicate
    records across all the inputs are left out (listed in NAME.duplicates.jsonl
    with the record kept instead).

    \b
    Examples:
      corpus-tui apply rules.json crawl/ -o cleaned/
      corpus-tui apply rules.json shard-*.parquet -o cleaned/ --format parquet
      corpus-tui apply rules.json crawl/ -o cleaned/ --dedup
      corpus-tui apply rules.json crawl/ -o cleaned/ --engine dask --scheduler tcp://10.0.0.5:8786
    """
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler goes with --engine dask")
    if output == "-":
        raise click.UsageError("-o is a folder: apply writes a file for each input (and its rejects), not stdout")
    bundle = load_bundle(rules)
    partitions = find_partitions(list(inputs), output)
    job = Job(bundle, output, fmt, text_field, id_field)
    def progress(stage: str) -> Callable[[int, int], None] | None:
        return progress_line(stage, STAGE_UNITS.get(stage, "tasks"))

    if engine == "dask":
        summary = run_dask(job, partitions, scheduler, workers=jobs or 2, progress=progress, dedup=dedup)
    else:
        summary = run_local(job, partitions, workers=jobs, progress=progress, dedup=dedup)
    if as_json:
        out(json.dumps(summary.as_dict()))
    if summary.rejected and not summary.records and not summary.dropped:
        # A script must not take this for success; and the outputs it wrote, empty, go, so that
        # the corrected command can write the same folder (the rejects files stay: they say why).
        remove_empty_outputs(job, partitions)
        raise InvalidValue(f"every record read was rejected ({summary.rejected}; the *.rejects.jsonl files say why): "
                           f"is --text-field {text_field!r} the field holding the text, and is each line one "
                           "JSON object?")
    if not as_json:
        say(summary.line())


STAGE_UNITS = {"signing": "partitions", "grouping": "ranges of signatures", "banding": "partitions",
               "pairing": "ranges of bands", "verifying": "blocks of pairs", "applying": "partitions"}


def register(cli: click.Group) -> None:
    """Add ``apply`` to the corpus-tui command group (it needs no corpus folder)."""
    cli.add_command(apply_command)
