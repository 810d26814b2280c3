"""``corpus-tui rules list|remove|export``: the rules marking everywhere keeps, over ``Corpus.rules``;
``export`` writes them as a portable bundle (``core.bundle``).

``corpus_tui.cli`` calls ``register(cli)`` at its end.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .cli_output import out, say
from .cli_types import WholeNumber
from .core import Corpus
from .core.safe_text import one_line
from .core.wording import plural


@click.group("rules")
def rules_group() -> None:
    """The rules kept by marking a passage everywhere: documents added or changed
    later get its mark at their scan.

    \b
    Examples:
      corpus-tui rules list seeds
      corpus-tui rules remove seeds 3
      corpus-tui rules remove seeds 3 --keep-marks
      corpus-tui rules export seeds -o seeds-rules.json
    """


@rules_group.command("list")
@click.argument("folder", type=click.Path())
@click.option("--all", "include_removed", is_flag=True, help="Removed rules too.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object a line: id, fingerprint, text, reason, marks, annotator, times, active.")
def rules_list(folder: str, include_removed: bool, as_json: bool, db: str | None, annotator: str | None,
               timeout: float) -> None:
    """List the rules, oldest first, with how many boilerplate ranges each made.

    \b
    Example:
      corpus-tui rules list seeds --json
    """
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        found = corpus.rules(include_removed=include_removed)
    if as_json:
        for rule in found:
            out(json.dumps(rule.as_dict(), ensure_ascii=False))
        return
    if not found:
        out("no rules")
        return
    out(f"{'id':>5}  {'marks':>6}  {'reason':<16}  text")
    for rule in found:
        gone = "" if rule.active else f"  (removed {rule.removed_at})"
        out(f"{rule.id:>5}  {rule.marks:>6}  {one_line(rule.reason or '', 16):<16}  {one_line(rule.text, 80)}{gone}")


@rules_group.command("remove")
@click.argument("folder", type=click.Path())
@click.argument("rule_id", type=WholeNumber(min=1), metavar="ID")
@click.option("--keep-marks", is_flag=True, help="Keep the ranges the rule made; only stop it marking new ones.")
def rules_remove(folder: str, rule_id: int, keep_marks: bool, db: str | None, annotator: str | None,
                 timeout: float) -> None:
    """Remove rule ID and (unless --keep-marks) every boilerplate range it made: one undo step.

    \b
    Example:
      corpus-tui rules remove seeds 3
    """
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        removed = corpus.remove_rule(rule_id, remove_marks=not keep_marks)
    out(f"rule {rule_id} removed" + ("" if keep_marks else f", and {plural(removed, 'range')} it made"))


@rules_group.command("export")
@click.argument("folder", type=click.Path())
@click.option("-o", "--output", required=True, metavar="RULES.json|-", help="Where the bundle goes ('-': stdout).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
def rules_export(folder: str, output: str, force: bool, db: str | None, annotator: str | None,
                 timeout: float) -> None:
    """Write FOLDER's decisions as a portable rules bundle (JSON) for 'corpus-tui apply'.

    It holds the active rules (passage fingerprints, reasons, texts), the normalization
    version they need and the near-duplicate settings. 'corpus-tui apply' (or the
    Python function corpus_tui.core.bundle.apply_bundle, on Spark or datatrove) then
    marks the same boilerplate in any text.

    \b
    Example:
      corpus-tui rules export seeds -o seeds-rules.json
    """
    from .core.bundle import make_bundle
    from .core.export.output import atomic_file, refuse_database_output

    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        bundle = make_bundle(corpus)
        database = corpus.db_path
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    if output == "-":
        out(text.rstrip("\n"))
        return
    target = Path(output)
    refuse_database_output(target, False, database)  # --force would replace the work with the bundle
    with atomic_file(target, force) as temporary:
        temporary.write_text(text, encoding="utf-8")
    say(f"wrote {plural(len(bundle['rules']), 'rule')} to {target}")


def register(cli: click.Group) -> None:
    """Add ``rules`` to the corpus-tui command group."""
    from .cli import corpus_options  # imported here: cli.py calls register() at its end

    for command in rules_group.commands.values():
        corpus_options(command)
    cli.add_command(rules_group)
