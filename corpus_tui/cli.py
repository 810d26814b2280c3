"""The command line: a thin click layer over ``corpus_tui.core``.

Every failure a user can cause ends as one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable
from typing import Any

import click
from click_default_group import DefaultGroup

from . import lean_start  # noqa: F401  (first: sqlite-utils without numpy and pandas, see there)
from .cli_output import StdoutFailed, flush_stdout, out, quiet_stdout, say
from .cli_types import Number
from .core import Corpus, CorpusError
from .core.errors import NoDocuments
from .core.corpus import MAX_TIMEOUT, check_folder, database_path, find_documents
from .core.discovery import DEFAULT_INCLUDE
from .core.os_errors import os_reason
from .core.stats import format_stats
from .core.store import DEFAULT_TIMEOUT
from .core.wording import agreeing, plural

PROGRESS_THRESHOLD = 200  # files: below this a scan is quick enough to stay silent


def corpus_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--db, --annotator and --timeout, shared by every command that opens a corpus."""
    command = click.option(
        "--timeout", type=Number(0.0, float(MAX_TIMEOUT)), default=DEFAULT_TIMEOUT, show_default=True,
        help="Seconds to wait for a database another process is writing.",
    )(command)
    command = click.option(
        "--annotator", metavar="NAME", envvar="CORPUS_TUI_ANNOTATOR",
        help="Who is annotating (default: $CORPUS_TUI_ANNOTATOR, else the OS user).",
    )(command)
    command = click.option(
        "--db", "db", metavar="PATH", type=click.Path(),
        help="Database file (default: FOLDER/annotations.db).",
    )(command)
    return command


FOLDER = click.argument("folder", type=click.Path(file_okay=True, dir_okay=True), default=".")


class _Interrupted(Exception):
    """Ctrl-C in a command, past click: click turns it into ``Abort`` after an empty line, so one
    interrupt was said two ways, "interrupted" or a blank line and "aborted" (a trial)."""


class _Commands(DefaultGroup):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None


@click.group(cls=_Commands, default="open", default_if_no_args=True)
@click.version_option(package_name="corpus-tui")
def cli() -> None:
    """Read, tag, annotate and mark boilerplate in a folder of text documents.

    \b
    corpus-tui FOLDER            open the app on FOLDER (same as 'open')
    corpus-tui scan FOLDER       index new and changed files
    corpus-tui stats FOLDER      progress, tags, boilerplate share

    Annotations live in FOLDER/annotations.db (SQLite); originals are never modified.
    """


@cli.command("open")
@FOLDER
@corpus_options
def open_command(folder: str, db: str | None, annotator: str | None, timeout: float) -> None:
    """Open the terminal app on FOLDER (default: the current folder).

    Example: corpus-tui open seeds
    """
    from .tui.launch import run_app  # Textual is imported only for the app

    folder_path = check_folder(folder)
    if not database_path(folder_path, db).exists():
        find_documents(folder_path, db=db)  # a folder with nothing to read gets an error, not a database
    run_app(folder, db=db, annotator=annotator, timeout=timeout)


@cli.command()
@click.argument("folder", type=click.Path())  # never a default: a scan writes a database into it
@click.option("--include", multiple=True, metavar="GLOB",
              help=f"Files to index in this scan (default: {' '.join(DEFAULT_INCLUDE)}); not remembered.")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Files to leave out of this scan; documents indexed before are left as they were.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@corpus_options
def scan(folder: str, include: tuple[str, ...], exclude: tuple[str, ...], as_json: bool,
         db: str | None, annotator: str | None, timeout: float) -> None:
    """Index new and changed documents of FOLDER into its database.

    Unchanged files (same size and mtime) are not re-read; changed files are
    re-anchored; removed files are marked missing and keep their annotations.

    Example: corpus-tui scan seeds --include '*.txt' --exclude 'drafts/*'
    """
    try:
        found = find_documents(folder, include, exclude, db)
    except NoDocuments:
        if not database_path(check_folder(folder), db).exists():
            raise
        with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
            corpus.scan(include, exclude)  # says how many documents the corpus knows here, and why none is marked
        raise
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout) as corpus:
        summary = corpus.scan(progress=_progress_printer(len(found)), found=found,
                              duplicates_progress=_progress_printer(len(found), "signing", "documents"))
    for problem in summary.problems:
        say(f"warning: {problem}")
    if as_json:
        out(json.dumps(summary.as_dict(), ensure_ascii=False))
    else:
        out(summary.line())


@cli.command()
@FOLDER
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@corpus_options
def stats(folder: str, as_json: bool, db: str | None, annotator: str | None, timeout: float) -> None:
    """Show documents by status, reviewed share, tags, boilerplate share, labels.

    Example: corpus-tui stats seeds --json
    """
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        result = corpus.stats()
    out(json.dumps(result, ensure_ascii=False) if as_json else format_stats(result))


@cli.command()
@FOLDER
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--set-aside-wal", is_flag=True,
              help="Keep a copy of a damaged write-ahead log as DB-wal.damaged-TIME, then go on with the "
                   "commits SQLite can read from it (those before the damage); the rest are lost. Only when "
                   "no other process has the corpus open.")
@corpus_options
def check(folder: str, as_json: bool, set_aside_wal: bool, db: str | None, annotator: str | None,
          timeout: float) -> None:
    """Check the database and the folder; one line per problem, exit 1 if any.

    Checks the write-ahead log (SQLite silently ignores a damaged one),
    integrity, the search index, orphan rows, documents against their files
    (missing, changed, not yet scanned) and stale spans. Writes nothing
    (with a damaged log, the database is opened read-only), unless
    --set-aside-wal is given.

    Examples: corpus-tui check seeds; corpus-tui check seeds --set-aside-wal
    """
    from .core.check import check_corpus

    report = check_corpus(folder, db=db, timeout=timeout, set_aside_wal=set_aside_wal)
    if as_json:
        out(json.dumps(report.as_dict(), ensure_ascii=False))
    elif report.ok:
        out(report.line())
    for problem in report.problems if not as_json else ():
        out(problem.line())
    for note in report.notes if not as_json else ():
        out(f"note: {note}")
    if not report.ok:
        sys.exit(1)


@cli.command("keys")
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
def keys_command(as_json: bool) -> None:
    """List the app's keys by binding id, as the config file sets them.

    Remap any of them in the config file's [keys] table (its path is the first
    line), e.g. toggle_boilerplate = "x" and remove_span = "delete".

    Example: corpus-tui keys
    """
    from .config import Config, ConfigError, config_path, load_config
    from .tui.keymap import all_bindings, check_keymap

    # A config the app refuses still gets the list (it holds the ids a typo is fixed with), with
    # the defaults, and the error at the end: the command that shows the ids must not refuse too.
    problem: ConfigError | None = None
    try:
        config = load_config()
        keymap = check_keymap(config.keys, str(config.path))
    except ConfigError as error:
        problem, keymap = error, {}
        config = Config(config_path(), exists=True)
    rows: dict[str, tuple[str, str]] = {}
    for binding in all_bindings():
        if binding.id and binding.id not in rows:
            rows[binding.id] = (keymap.get(binding.id, binding.key), binding.description)
    if as_json:
        out(json.dumps({"config": str(config.path), "config_exists": config.exists,
                        "keys": {i: {"keys": k, "description": d} for i, (k, d) in rows.items()}}))
    else:
        _print_keys(config, rows, keymap)
    if problem is not None:
        raise CorpusError(f"{problem} (the keys above are the defaults)")


def _print_keys(config: Any, rows: dict[str, tuple[str, str]], keymap: dict[str, str]) -> None:
    from textual.keys import format_key

    out(f"config: {config.path}" + ("" if config.exists else " (not there yet)"))
    out(f"{'binding id':<22} {'keys (as the config names them)':<34} {'typed':<10} description")
    for binding_id, (keys, description) in rows.items():
        typed = " ".join(format_key(key) for key in keys.split(","))
        remapped = " (remapped)" if binding_id in keymap else ""
        out(f"{binding_id:<22} {keys:<34} {typed:<10} {description}{remapped}")


@cli.command("set-encoding")
@click.argument("folder", type=click.Path())
@click.argument("path")
@click.argument("encoding", required=False)
@click.option("--force", is_flag=True, help="Set ENCODING even for a file of valid UTF-8 that it reads otherwise, "
              "or for a file missing from disk (used at its next scan).")
@corpus_options
def set_encoding(folder: str, path: str, encoding: str | None, force: bool, db: str | None, annotator: str | None,
                 timeout: float) -> None:
    """Decode one file with ENCODING instead of the guessed fallback.

    Leave ENCODING out to go back to automatic detection. A file of valid UTF-8 that
    ENCODING would read otherwise is refused without --force.

    Example: corpus-tui set-encoding seeds notes/old.txt latin-1
    """
    with Corpus.open(folder, db=db, annotator=annotator, timeout=timeout, create=False) as corpus:
        doc = corpus.set_encoding(path, encoding, force=force)
        stale = len(corpus.stale_spans(doc.id))
        on_disk = os.path.lexists(corpus.folder / doc.path)  # gone since the last scan: not re-read
    if doc.state == "unreadable":
        raise CorpusError(f"{doc.path}: {doc.problem}")
    if doc.state == "missing" or not on_disk:
        out(f"{doc.path}: missing from disk; it will be decoded as {encoding or 'detected'} at its next scan")
        return
    note = (f"; {plural(stale, 'span')} could not be re-anchored "
            f"(place or drop {agreeing(stale, 'it', 'them')} in the app: p)") if stale else ""
    out(f"{doc.path}: decoded as {doc.encoding}{note}")


def _progress_printer(total: int, doing: str = "scanning", what: str = "files") -> Callable[[int, int], None] | None:
    if total < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        click.echo(f"\r{doing} {done}/{total} {what} ({done * 100 // max(total, 1)}%)", err=True, nl=False)
        if end:
            click.echo("", err=True)

    return show


def main() -> None:
    """Console entry point: run the CLI, turning known failures into one line."""
    try:
        cli.main(standalone_mode=False)
        flush_stdout()
    except BrokenPipeError:  # `corpus-tui ... | head`: the reader has all it wanted
        quiet_stdout()
        sys.exit(1)
    except click.exceptions.Abort:
        say("corpus-tui: aborted")
        sys.exit(130)
    except click.ClickException as error:
        hint = " (see --help)" if isinstance(error, click.UsageError) else ""
        say(f"corpus-tui: error: {error.format_message()}{hint}")
        sys.exit(error.exit_code)
    except CorpusError as error:
        say(f"corpus-tui: error: {error}")
        sys.exit(error.exit_code)
    except sqlite3.Error as error:
        say(f"corpus-tui: database error: {error}")
        sys.exit(1)
    except (KeyboardInterrupt, _Interrupted):
        say("corpus-tui: interrupted")
        sys.exit(130)
    except UnicodeEncodeError as error:
        # An argument that is not UTF-8 (the shell's bytes, as surrogates) or a JSON "\ud800": SQLite
        # and every output refuse it, inside the transaction, which is rolled back.
        if "surrogates" not in str(error.reason):
            raise
        held = "".join(f"\\u{ord(char):04x}" for char in error.object[error.start : error.end])
        say(f"corpus-tui: error: a value holds {held}, which is not text (an argument that is not valid "
            "UTF-8, or an unpaired surrogate in an input file); nothing was changed")
        sys.exit(1)
    except StdoutFailed as error:  # most commands write stdout with a plain out()
        quiet_stdout()
        say(f"corpus-tui: error: stdout: {os_reason(error)}")
        sys.exit(1)
    except OSError as error:  # the last resort: the system refused something (a process, a file)
        where = f"{error.filename}: " if error.filename else ""
        say(f"corpus-tui: error: {where}{os_reason(error)}")
        sys.exit(1)

from .cli_export import register as _register_export  # noqa: E402
_register_export(cli)

from .cli_tags import register as _register_tags  # noqa: E402
_register_tags(cli)

from .cli_repeats import register as _register_repeats  # noqa: E402
_register_repeats(cli)

from .cli_rules import register as _register_rules  # noqa: E402
_register_rules(cli)

from .cli_suggest import register as _register_suggest  # noqa: E402
_register_suggest(cli)

from .cli_duplicates import register as _register_duplicates  # noqa: E402
_register_duplicates(cli)

from .cli_apply import register as _register_apply  # noqa: E402
_register_apply(cli)
