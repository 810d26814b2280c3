"""The app shows tags an import wrote from another process on its next refresh (ctrl+l)."""

from __future__ import annotations

from corpus_tui import Corpus
from tui_support import FIRST, SECOND, app_on, seeds_copy, settle


async def test_imported_tags_show_after_refresh(tmp_path):
    folder = seeds_copy(tmp_path)
    csv = tmp_path / "labels.csv"
    csv.write_text(f"path,tags\n{FIRST},Imported;second\n{SECOND},imported\n")
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        with Corpus.open(folder, annotator="script") as other:
            other.import_tags_file(csv, create_tags=True)
        await pilot.press("ctrl+l")
        await settle(pilot, app, lambda: app.doclist.rows[0].tags == ("Imported", "second"))
        assert app.doclist.rows[1].tags == ("Imported",)
        from corpus_tui.tui.widgets.inspector import Inspector

        assert "#Imported" in app.query_one(Inspector).text
        with Corpus.open(folder, annotator="script") as other:
            other.undo_import(1)
        await pilot.press("ctrl+l")
        await settle(pilot, app, lambda: app.doclist.rows[0].tags == ())
