"""Finishing a ``label-studio`` export: the end of the JSON array, and the labelling
config written beside the tasks (or printed), read from the same snapshot.

``export()`` makes one ``LabelStudioOutput``; the vocabulary is read inside the
export's snapshot (``collect``), so every label and tag a task names is in the
config, which Label Studio checks every imported prediction against; the config
file is renamed into place right after the tasks file (``config_file`` is opened
around the tasks' own atomic file), so an error leaves neither.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from ..errors import InvalidValue
from . import output as out
from .label_studio import SEPARATOR, ArrayTail, end_of_array, label_config

if TYPE_CHECKING:
    from ..corpus import Corpus

CONFIG_SUFFIX = ".label-config.xml"

ConfigTarget = Path | Literal["-"] | None


def default_config_path(tasks: Path) -> Path:
    """``tasks.json`` -> ``tasks.label-config.xml``, beside it."""
    return tasks.with_suffix(CONFIG_SUFFIX)


def config_target(tasks: Path | None, label_config: Path | str | None) -> ConfigTarget:
    """Where the labelling config goes: ``label_config`` (a path, or ``"-"``: stdout),
    by default beside a tasks file; nowhere when the tasks go to stdout and no place is given."""
    if label_config is None:
        return None if tasks is None else default_config_path(tasks)
    if label_config == "-":
        if tasks is None:
            raise InvalidValue("the tasks and the labelling config cannot both go to stdout: "
                               "give -o PATH or --label-config PATH")
        return "-"
    config = Path(label_config)
    if tasks is not None and os.path.abspath(config) == os.path.abspath(tasks):
        raise InvalidValue(f"{config}: the labelling config cannot be the tasks file too")
    return config


class LabelStudioOutput:
    def __init__(self, target: ConfigTarget):
        self.target = target
        self.xml: str | None = None
        self._temporary: Path | None = None

    @contextmanager
    def config_file(self, force: bool) -> Iterator[None]:
        """Around the tasks' own output: the config's temporary file, renamed after the tasks'."""
        if not isinstance(self.target, Path):
            yield
            return
        with out.companion_file(self.target, force) as temporary:
            self._temporary = temporary
            yield

    def collect(self, corpus: Corpus) -> None:
        """The config for every label in use and every tag (call inside the export's snapshot;
        a label XML cannot hold is an error here, before any task is written)."""
        self.xml = label_config(corpus.labels(), [tag.name for tag in corpus.tags()])

    def wrap(self, stream: IO[bytes]) -> ArrayTail:
        """``stream`` for a writer that writes every byte itself (``finish`` ends it)."""
        return ArrayTail(stream)

    def finish(self, stream: ArrayTail) -> None:
        stream.close_array()
        self._write_config()

    def finish_file(self, handle: IO[bytes], end: int) -> None:
        """End the array in the file worker processes wrote up to ``end``."""
        handle.flush()
        tail = os.pread(handle.fileno(), len(SEPARATOR), end - len(SEPARATOR))
        handle.seek(end - len(SEPARATOR))
        handle.write(end_of_array(tail))
        self._write_config()

    def _write_config(self) -> None:
        if self._temporary is not None and isinstance(self.target, Path):
            out.write_companion(self.target, self._temporary, self.xml or "")

    def print_config(self) -> None:
        """With ``"-"`` as the target: the config on stdout (once the tasks are written)."""
        if self.target == "-" and self.xml is not None:
            with out.output_stream(None, False) as stream:
                stream.write(self.xml.encode("utf-8"))
