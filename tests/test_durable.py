"""Renaming finished files into place durably (``core.durable``)."""

from __future__ import annotations

import errno
import os

import pytest

from corpus_tui.core import durable


def test_the_file_is_flushed_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    written, target = tmp_path / "out.partial", tmp_path / "out"
    written.write_text("new")
    target.write_text("old")
    events = []
    fsync, replace = os.fsync, os.replace

    def recording_fsync(descriptor):  # type: ignore[no-untyped-def]
        events.append(("fsync", os.readlink(f"/proc/self/fd/{descriptor}")))
        return fsync(descriptor)

    monkeypatch.setattr(durable.os, "fsync", recording_fsync)
    monkeypatch.setattr(durable.os, "replace", lambda a, b: events.append(("replace", str(b))) or replace(a, b))
    durable.replace_durably(written, target)
    assert events == [("fsync", str(written)), ("replace", str(target)), ("fsync", str(tmp_path))]
    assert target.read_text() == "new" and not written.exists()


def test_a_file_system_that_cannot_flush_still_gets_the_file(tmp_path, monkeypatch):
    def unsupported(descriptor):  # type: ignore[no-untyped-def]
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(durable.os, "fsync", unsupported)
    (tmp_path / "a").write_text("new")
    durable.replace_durably(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_text() == "new"


def test_a_failed_flush_leaves_the_earlier_file(tmp_path, monkeypatch):
    def failing(descriptor):  # type: ignore[no-untyped-def]
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(durable.os, "fsync", failing)
    (tmp_path / "a").write_text("new")
    (tmp_path / "b").write_text("old")
    with pytest.raises(OSError, match="Input/output"):
        durable.replace_durably(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_text() == "old"
