"""Export dialog (e, or "Export" in the command palette): the CLI's export, with a progress bar.

The export runs in a thread worker with its own database connection; Esc
while it runs cancels it (the library then leaves nothing behind).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from ...core import CorpusError
from ..widgets.line_input import LineInput
from ...core.export.api import ALL_FORMATS, ExportSummary
from ...core.export.output import OutputExists
from ...core.safe_text import one_line

DESCRIPTIONS = {
    "jsonl": "native: text, clean text, spans, boilerplate, tags; re-importable",
    "prodigy": "Prodigy records: text, spans, meta, answer",
    "doccano": "doccano records: text, label spans, document labels",
    "csv": "one row per document, for spreadsheets",
    "markdown": "a folder of .md with front matter, body = clean text",
    "brat": "a folder of .txt + .ann standoff",
    "text": "a folder of clean .txt: the cleaned corpus",
    "parquet": "a Parquet file (needs the parquet extra)",
    "label-studio": "Label Studio tasks + its labelling config beside them",
}


# The export's filters the dialog offers (the CLI has them all): keyword -> label.
SELECTION_OPTIONS = {
    "reviewed_only": "Only reviewed documents (--status reviewed)",
    "only_annotated": "Only documents with an annotation (--only-annotated)",
    "dedup": "One document per cluster of near-duplicates (--dedup)",
    "allow_stale": "Also documents with stale spans, with their good spans (--allow-stale)",
}


class Cancelled(Exception):
    """Raised from the progress callback to stop an export."""


OUTPUT_NAMES = {
    "jsonl": "export.jsonl", "csv": "export.csv", "parquet": "export.parquet",
    "prodigy": "prodigy.jsonl", "doccano": "doccano.jsonl", "label-studio": "label-studio.json",
}  # the folder formats are named after themselves


def default_output(folder: Path, fmt: str) -> Path:
    """Beside the corpus folder, never inside it: a rescan would take exported .txt/.md for documents."""
    folder = folder.resolve()
    return folder.parent / f"{folder.name or 'corpus'}-{OUTPUT_NAMES.get(fmt, fmt)}"


class ExportScreen(ModalScreen[ExportSummary | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel / close")]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 95%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ExportScreen OptionList { height: auto; max-height: 9; }  /* with the rest, the whole dialog fits 80x24 */
    ExportScreen Checkbox, ExportScreen Checkbox:focus { border: none; height: 1; padding: 0 1; }
    ExportScreen Checkbox:focus { background: $block-cursor-background; }
    ExportScreen ProgressBar { display: none; }
    ExportScreen ProgressBar.busy { display: block; }
    ExportScreen .hint { color: $text-muted; }
    ExportScreen #export-status { height: auto; }
    """

    def __init__(self, folder: Path, run_export: Callable[..., ExportSummary]) -> None:
        super().__init__()
        self.folder = folder
        self.run_export = run_export
        self.fmt = "jsonl"
        self._cancel = threading.Event()
        self._exporting = False

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Export"
            yield OptionList(*(Option(Content(f"{fmt:<12} {DESCRIPTIONS[fmt]}"), id=fmt) for fmt in ALL_FORMATS),
                             id="export-format", markup=False)
            # A default to replace: typing after tab replaces it whole (select_on_focus).
            yield LineInput(str(default_output(self.folder, self.fmt)), id="export-path", select_on_focus=True)
            yield Checkbox("Overwrite an existing output", id="export-force")
            for option, label in SELECTION_OPTIONS.items():
                yield Checkbox(label, id=f"export-{option.replace('_', '-')}", classes="selection")
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Static("", id="export-status")
            yield Static(Content("↑↓ format · tab: the path, then the options (space ticks) · enter in the path exports · "
                                 "esc cancels or closes"), classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0
        self.query_one(OptionList).focus()

    @on(OptionList.OptionHighlighted, "#export-format")
    def _format_chosen(self, event: OptionList.OptionHighlighted) -> None:
        old_default = str(default_output(self.folder, self.fmt))
        self.fmt = event.option.id or "jsonl"
        path = self.query_one("#export-path", Input)
        if path.value == old_default:  # keep a path the user typed
            path.value = str(default_output(self.folder, self.fmt))
        self._clear_status()

    @on(Input.Changed, "#export-path")
    @on(Checkbox.Changed)
    def _clear_status(self) -> None:
        """A message about the last try says nothing about a new format, path or choice."""
        if not self._exporting:
            self._status("")

    @on(OptionList.OptionSelected, "#export-format")
    def _format_selected(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def _start(self) -> None:
        if self._exporting:
            return
        if not self.query_one("#export-path", Input).value.strip():  # Path("") is "." (a review)
            self._status("the output path is empty: give a file or a folder")
            return
        self._exporting = True
        self._cancel.clear()
        self.query_one(ProgressBar).add_class("busy")
        self._status("exporting…")
        output = Path(self.query_one("#export-path", Input).value).expanduser()
        self.export(self.fmt, output, self.query_one("#export-force", Checkbox).value, self.selection())

    def selection(self) -> dict[str, Any]:
        """The ticked options as ``export``'s keyword arguments (the CLI's filters of the same names)."""
        ticked = {option for option in SELECTION_OPTIONS
                  if self.query_one(f"#export-{option.replace('_', '-')}", Checkbox).value}
        chosen: dict[str, Any] = {option: True for option in ticked - {"reviewed_only"}}
        if "reviewed_only" in ticked:
            chosen["statuses"] = ("reviewed",)
        return chosen

    @work(thread=True, exclusive=True, group="export")
    def export(self, fmt: str, output: Path, force: bool, selection: dict[str, Any]) -> None:
        def progress(done: int, total: int) -> None:
            if self._cancel.is_set():
                raise Cancelled()
            self.app.call_from_thread(self.query_one(ProgressBar).update, total=total, progress=done)

        try:
            summary = self.run_export(fmt, output, force=force, progress=progress, **selection)
        except Cancelled:
            self.app.call_from_thread(self._finished, None, "Export cancelled: nothing was written.")
        except OutputExists as error:
            self.app.call_from_thread(self._finished, None, f"{error.output}: already exists; tick "
                                      "“Overwrite an existing output” to replace it, or change the path")
        except CorpusError as error:
            self.app.call_from_thread(self._finished, None, str(error))
        else:
            self.app.call_from_thread(self._finished, summary, None)

    def _finished(self, summary: ExportSummary | None, error: str | None) -> None:
        self._exporting = False
        self.query_one(ProgressBar).remove_class("busy")
        if summary is None:
            self._status(error or "")
            return
        self.dismiss(summary)

    def _status(self, text: str) -> None:
        self.query_one("#export-status", Static).update(Content(one_line(text, 400)))

    def action_cancel(self) -> None:
        if self._exporting:
            self._cancel.set()
        else:
            self.dismiss(None)
