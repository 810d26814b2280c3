"""``corpus-tui import-tags`` and ``corpus-tui tags ...``: click commands over
``Corpus.import_tags_file``, ``undo_import`` and the tag vocabulary.

``corpus_tui.cli`` calls ``register(cli)`` at its end.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .cli_output import out, say
from .cli_types import WholeNumber
from .core import Corpus, CorpusError
from .core.safe_text import quoted
from .core.tag_import import MATCHES, MODES, ImportResult, InvalidRows
from .core.tag_rows import FORMATS
from .core.wording import agreeing, plural

STDIN = "-"


def _open(folder: str, db: str | None, annotator: str | None, timeout: float) -> Corpus:
    return Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False)


def _echo_problems(problems: list[str], count: int) -> None:
    for problem in problems:
        say(problem)
    if count > len(problems):
        say(f"… and {count - len(problems)} more")


def _echo_json(value: Any) -> None:
    out(json.dumps(value, ensure_ascii=False))


# -- import-tags ------------------------------------------------------------------------------


@click.command("import-tags")
@click.argument("folder", type=click.Path())
@click.argument("file", required=False)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="File format (default: by extension, else sniffed).")
@click.option("--mode", type=click.Choice(MODES), default="add", show_default=True,
              help="add tags; replace a document's tags with the file's; remove them.")
@click.option("--match", type=click.Choice(MATCHES), default="path", show_default=True,
              help="glob: the path column holds patterns such as 'southfront/*.txt'.")
@click.option("--create-tags", is_flag=True, help="Create tags that are not in the vocabulary yet.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and report the others.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--undo", "undo", type=WholeNumber(min=1), metavar="IMPORT_ID", help="Revert one earlier import as a unit.")
@click.option("--list", "list_imports", is_flag=True, help="List the earlier imports.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def import_tags(folder: str, file: str | None, fmt: str | None, mode: str, match: str, create_tags: bool,
                skip_invalid: bool, dry_run: bool, undo: int | None, list_imports: bool, as_json: bool,
                db: str | None, annotator: str | None, timeout: float) -> None:
    """Tag documents of FOLDER from a CSV, TSV or JSONL FILE ('-' reads stdin).

    \b
    CSV/TSV with a header: path,tag (one pair a row) or path,tags (tags
    separated by ';'), optionally action (add/remove); 'id' or 'sha256' may
    name the document instead of 'path'. JSONL: {"path": ..., "tags": [...]}.

    Every row is checked first; if any is invalid (unknown document or tag,
    missing column, a path outside the corpus, a malformed line) nothing is
    imported and each problem is printed as FILE:LINE: reason. Rerunning a file
    changes nothing. Each import is recorded and can be undone as a unit.

    \b
    Examples:
      corpus-tui import-tags corpus labels.csv --create-tags
      classify corpus | corpus-tui import-tags corpus - --format jsonl --mode replace
      corpus-tui import-tags corpus labels.csv --dry-run
      corpus-tui import-tags corpus --list
      corpus-tui import-tags corpus --undo 3
    """
    chosen = [name for name, given in (("FILE", file is not None), ("--undo", undo is not None),
                                       ("--list", list_imports)) if given]
    if len(chosen) != 1:
        raise click.UsageError("give one of FILE, --undo IMPORT_ID or --list" +
                               (f" (not {' and '.join(chosen)})" if chosen else ""))
    with _open(folder, db, annotator, timeout) as corpus:
        if list_imports:
            _list_imports(corpus, as_json)
        elif undo is not None:
            summary = corpus.undo_import(undo)
            if as_json:
                _echo_json(summary)
            else:
                unused = summary["unused_tags_created"]
                shown = ", ".join(map(quoted, unused[:10])) + (", …" if len(unused) > 10 else "")  # as the import's line
                left = (f"; the {plural(len(unused), 'tag')} it created, now on no document, "
                        f"{agreeing(len(unused), 'stays', 'stay')} ({shown}: "
                        "corpus-tui tags delete removes a tag)") if unused else ""
                out(f"undid import #{undo} ({summary['file']}): removed {plural(summary['removed'], 'tag')}, "
                    f"restored {summary['restored']}{left}")
        else:
            assert file is not None
            _import_file(corpus, file, as_json, format=fmt, mode=mode, match=match, create_tags=create_tags,
                         skip_invalid=skip_invalid, dry_run=dry_run)


def _import_file(corpus: Corpus, file: str, as_json: bool, **options: Any) -> None:
    try:
        if file == STDIN:
            if sys.stdin is None:  # started with stdin closed (`<&-`)
                raise CorpusError("<stdin>: no standard input (it is closed); give a file")
            result = corpus.import_tags_file(sys.stdin.buffer, name="<stdin>", **options)
        else:
            result = corpus.import_tags_file(file, **options)
    except InvalidRows as error:
        error = error.worded_for("--skip-invalid")
        if error.count > 1:  # one problem is the error line itself
            _echo_problems(error.problems, error.count)
        if as_json:
            _echo_json({"error": str(error), "problems": error.problems, "problem_count": error.count})
        raise error from None
    _echo_problems(result.problems, result.invalid)
    if as_json:
        _echo_json(result.as_dict() | {"problem_count": result.invalid})
        return
    out(result.line())
    if result.dry_run:
        _echo_changes(result)


def _echo_changes(result: ImportResult) -> None:
    for op, path, tag in result.changes:
        out(f"  {op} {path}  {tag}")
    more = result.added + result.removed - len(result.changes)
    if more > 0:
        out(f"  … and {more} more")


def _list_imports(corpus: Corpus, as_json: bool) -> None:
    records = corpus.imports()
    if as_json:
        _echo_json([record.as_dict() for record in records])
        return
    if not records:
        out("no imports yet")
        return
    # As wide as the longest name: "classifier-v2" was cut to "classifier-v" (a trial).
    width = max(len("annotator"), *(len(r.annotator) for r in records))
    out(f"{'id':>4}  {'at':<19}  {'annotator':<{width}} {'mode':<8} {'added':>7} {'removed':>7}  file")
    for r in records:
        undone = f"  (undone {r.undone_at[:19].replace('T', ' ')})" if r.undone_at else ""
        out(f"{r.id:>4}  {r.at[:19].replace('T', ' '):<19}  {r.annotator:<{width}} {r.mode:<8} "
            f"{r.added:>7,} {r.removed:>7,}  {r.file_name}{undone}")


# -- tags ------------------------------------------------------------------------------------------


@click.group("tags")
def tags_group() -> None:
    """Manage the tag vocabulary: list, add, rename, merge, delete, set.

    \b
    Names match case-insensitively and the first spelling is kept.
    Example: corpus-tui tags list corpus
    """


@tags_group.command("list")
@click.argument("folder", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the tags as JSON.")
def tags_list(folder: str, as_json: bool, db: str | None, annotator: str | None, timeout: float) -> None:
    """List the tags of FOLDER with how many documents carry each.

    Example: corpus-tui tags list corpus --json
    """
    with _open(folder, db, annotator, timeout) as corpus:
        tags = corpus.tags()
    if as_json:
        _echo_json([{"name": t.name, "count": t.count, "hotkey": t.hotkey, "color": t.color,
                     "description": t.description} for t in tags])
        return
    if not tags:
        out("no tags yet")
        return
    width = min(max(len(t.name) for t in tags), 40)
    for t in tags:
        extras = "  ".join(part for part in (
            f"key {t.hotkey}" if t.hotkey else "", t.color or "", t.description) if part)
        out(f"{t.name:<{width}}  {t.count:>7}  {extras}".rstrip())


def _color_option(command: Any) -> Any:
    return click.option("--color", "--colour", "color", metavar="COLOUR",
                        help="#rrggbb or a terminal colour's name (red, dark_cyan, grey50); 'none' clears it.")(command)


def _hotkey(value: str | None) -> int | None:
    if value is None or value.strip().lower() in ("", "none"):
        return None
    if not value.strip().isdigit():
        raise click.BadParameter(f"hotkey must be 1-9 or 'none', not {value!r}", param_hint="--hotkey")
    return int(value)


@tags_group.command("add")
@click.argument("folder", type=click.Path())
@click.argument("name")
@_color_option
@click.option("--description", help="What the tag means (shown to annotators).")
@click.option("--hotkey", metavar="1-9", help="The number key that toggles the tag in the app.")
def tags_add(folder: str, name: str, color: str | None, description: str | None, hotkey: str | None,
             db: str | None, annotator: str | None, timeout: float) -> None:
    """Add tag NAME to the vocabulary of FOLDER.

    Example: corpus-tui tags add corpus propaganda --hotkey 3 --color '#aa3333'
    """
    with _open(folder, db, annotator, timeout) as corpus:
        existing = corpus.find_tag(name)
        if existing is not None:
            raise CorpusError(f"tag {quoted(existing.name)} already exists; 'corpus-tui tags set' changes it")
        tag = corpus.create_tag(name, color=None if color == "none" else color, description=description or "",
                                hotkey=_hotkey(hotkey))
    out(f"added tag {quoted(tag.name)}")


@tags_group.command("set")
@click.argument("folder", type=click.Path())
@click.argument("name")
@_color_option
@click.option("--description", help="What the tag means; '' clears it.")
@click.option("--hotkey", metavar="1-9|none", help="The number key for the tag (taken from any tag that had it).")
def tags_set(folder: str, name: str, color: str | None, description: str | None, hotkey: str | None,
             db: str | None, annotator: str | None, timeout: float) -> None:
    """Set the colour, description or hotkey of tag NAME.

    Example: corpus-tui tags set corpus propaganda --hotkey 3 --description 'state messaging'
    """
    changes: dict[str, Any] = {}
    if color is not None:
        changes["color"] = None if color.strip().lower() == "none" else color
    if description is not None:
        changes["description"] = description
    if hotkey is not None:
        changes["hotkey"] = _hotkey(hotkey)
    if not changes:
        raise click.UsageError("nothing to set: give --color, --description or --hotkey")
    with _open(folder, db, annotator, timeout) as corpus:
        holder = corpus.tag_for_hotkey(changes["hotkey"]) if changes.get("hotkey") else None
        tag = corpus.update_tag(name, **changes)
    note = f" (hotkey {tag.hotkey} taken from {quoted(holder.name)})" if holder is not None and holder.id != tag.id else ""
    out(f"updated tag {quoted(tag.name)}{note}")


@tags_group.command("rename")
@click.argument("folder", type=click.Path())
@click.argument("name")
@click.argument("new_name")
def tags_rename(folder: str, name: str, new_name: str, db: str | None, annotator: str | None,
                timeout: float) -> None:
    """Rename tag NAME to NEW_NAME; every document keeps it.

    Example: corpus-tui tags rename corpus syria Syria
    """
    with _open(folder, db, annotator, timeout) as corpus:
        old = corpus.tag(name).name
        tag = corpus.rename_tag(name, new_name)
    out(f"renamed tag {quoted(old)} to {quoted(tag.name)} ({plural(tag.count, 'document')})")


@tags_group.command("merge")
@click.argument("folder", type=click.Path())
@click.argument("names", nargs=-1, required=True, metavar="SOURCE... TARGET")
def tags_merge(folder: str, names: tuple[str, ...], db: str | None, annotator: str | None, timeout: float) -> None:
    """Merge the SOURCE tags into TARGET: their documents get TARGET, the SOURCE tags go.

    Example: corpus-tui tags merge corpus Syira syria Syria
    """
    if len(names) < 2:
        raise click.UsageError("give at least one SOURCE tag and the TARGET tag")
    with _open(folder, db, annotator, timeout) as corpus:
        summary = corpus.merge_tags(names[:-1], names[-1])
    out(f"merged {', '.join(quoted(n) for n in summary['merged'])} into {quoted(summary['target'])}: "
        f"{plural(summary['moved'], 'link')} moved, {plural(summary['already'], 'document')} "
        f"already had it")


@tags_group.command("delete")
@click.argument("folder", type=click.Path())
@click.argument("name")
@click.option("--force", is_flag=True, help="Delete the tag even if documents carry it.")
def tags_delete(folder: str, name: str, force: bool, db: str | None, annotator: str | None,
                timeout: float) -> None:
    """Delete tag NAME from the vocabulary (and, with --force, from its documents).

    Example: corpus-tui tags delete corpus obsolete --force
    """
    with _open(folder, db, annotator, timeout) as corpus:
        tag = corpus.tag(name)
        if tag.count and not force:
            raise CorpusError(f"tag {quoted(tag.name)} is on {plural(tag.count, 'document')}; add --force to delete it from them too")
        count = corpus.delete_tag(name)
    out(f"deleted tag {quoted(tag.name)}" + (f" (removed from {plural(count, 'document')})" if count else ""))


def register(cli: click.Group) -> None:
    """Add ``import-tags`` and ``tags`` to the corpus-tui command group."""
    from .cli import corpus_options  # imported here: cli.py calls register() at its end

    for command in (import_tags, *tags_group.commands.values()):
        if not any(param.name == "db" for param in command.params):
            corpus_options(command)
    cli.add_command(import_tags)
    cli.add_command(tags_group)
