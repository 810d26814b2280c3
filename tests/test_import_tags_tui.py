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


async def test_ctrl_l_also_scans_the_folder_for_new_changed_and_removed_files(tmp_path):
    """It only re-read the database: a file added while the app was open showed only after a
    restart (a trial)."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app, lambda: len(app.doclist.rows) == 5, rounds=500)
        await pilot.press("ctrl+l")
        messages = [n.message for n in app._notifications]
        assert "Refreshed from the database; scanning the folder for new and changed files." in messages
        await settle(pilot, app, lambda: any(n.message == "Scan: no file added, changed or removed."
                                             for n in app._notifications), rounds=500)
        assert app.doc.path == FIRST
        with open(folder / FIRST, "a") as handle:  # the open document's file: it said "no file changed"
            handle.write("A line added on disk.\n")
        app._notifications.clear()
        await pilot.press("ctrl+l")
        await settle(pilot, app, lambda: any(n.message.startswith("Scan: 0 added, 1 changed")
                                             for n in app._notifications), rounds=500)
        assert app.reader.text.endswith("A line added on disk.\n")
        (folder / "zz_new.txt").write_text("A new article\n\nIt arrived while the app was open.\n")
        second = (folder / SECOND).read_text()
        (folder / SECOND).unlink()
        await pilot.press("ctrl+l")
        await settle(pilot, app, lambda: [row.path for row in app.doclist.rows][-1] == "zz_new.txt"
                     and any(n.message.startswith("Scan: 1 added") and "1 missing" in n.message
                             for n in app._notifications), rounds=500)
        app._notifications.clear()
        await pilot.press("ctrl+l")  # the file missing before is not news (every ctrl+l said "1 missing")
        await settle(pilot, app, lambda: any(n.message == "Scan: no file added, changed or removed."
                                             for n in app._notifications), rounds=500)
        (folder / SECOND).write_text(second)  # back: the list shows it so (it stayed "missing")
        await pilot.press("ctrl+l")
        await settle(pilot, app, lambda: any("1 back from missing" in n.message for n in app._notifications)
                     and next(r for r in app.doclist.rows if r.path == SECOND).state == "ok", rounds=500)


async def test_ctrl_l_starts_no_second_scan_beside_the_opening_one(tmp_path, monkeypatch):
    """Pressed before the opening scan started (the list still loading), ctrl+l started one of its
    own: two scans ran, and quitting left one running (a review)."""
    from corpus_tui.tui import app as app_module

    started: list[object] = []
    real = app_module.ScanProcess.__init__
    monkeypatch.setattr(app_module.ScanProcess, "__init__",
                        lambda self, *args: (started.append(self), real(self, *args))[1])
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app, rounds=500)
        app._scan_after_list = True  # as while a large corpus's list loads
        await pilot.press("ctrl+l")
        assert list(app._notifications)[-1].message == "Refreshed from the database (the folder's scan is under way)."
        await settle(pilot, app, rounds=500)
        assert len(started) == 1  # the opening scan, once the list is shown: not a second one
