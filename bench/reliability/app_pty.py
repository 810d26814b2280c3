"""The real app (``python -m corpus_tui FOLDER``) on a pseudo-terminal of its own.

For kill trials: cheaper than a tmux server per trial and needs no tmux. The
screen is drained (a full pty would block the app) and kept, so a trial can
look for a traceback in it.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import termios
import threading
from pathlib import Path

from .workspace import child_env, cli_command


class PtyApp:
    def __init__(self, folder: Path, columns: int = 160, rows: int = 50):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.master = master
        self.output = bytearray()
        self.popen = subprocess.Popen(
            [*cli_command(), str(folder)], stdin=slave, stdout=slave, stderr=slave, close_fds=True,
            env=child_env(TERM="xterm-256color", COLUMNS=str(columns), LINES=str(rows)), start_new_session=True,
        )
        os.close(slave)
        self._drain = threading.Thread(target=self._read, name="pty-drain", daemon=True)
        self._drain.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output += data

    def close(self) -> None:
        """After the app is dead: stop draining."""
        self._drain.join(timeout=2)
        try:
            os.close(self.master)
        except OSError:
            pass

    def saw(self, text: str) -> bool:
        return text.encode() in self.output

    def text(self) -> str:
        """Everything the app drew, escape sequences and layout blanks removed."""
        plain = _ESCAPES.sub(" ", bytes(self.output).decode("utf-8", "replace"))
        return " ".join(plain.split())

    def scan_failure(self) -> str | None:
        """The app's banner when its scan failed or stopped, else None."""
        if b"scan failed" not in self.output and b"scan stopped" not in self.output:
            return None
        found = re.search(r"scan (failed|stopped).{0,150}", self.text())
        if not found:
            return "scan failed"
        # The banner may wrap, and what follows it on the screen is the reader and the footer.
        message = re.split(r" v Line select| │", found.group(0))[0]
        return re.sub(r"\s+\d+$", "", message)  # a line number of the reader drawn after the banner


_ESCAPES = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78NOMDEHc])")
