"""The real app in tmux, pressing keys that write, as one of several writers.

Each step works on the document the app shows (its path is the last part of
the top bar), and records what the app acknowledged:

- ``t``, a new tag name, enter: acknowledged when the picker shows ``[x] NAME``
  (the picker reads the document's tags back from the database);
- ``a``, a label, enter, enter: acknowledged when the app says ``Annotated as LABEL``;
- ``b`` (boilerplate on the paragraph under the cursor) and ``r`` (reviewed):
  acknowledged when the change is in the database (the screen has no unique
  text for them);
- ``]``: the next document.

Every screen read is searched for a traceback and for ``Not saved`` (a write
the app could not make). ``quit`` presses ``q`` and reads the exit status the
shell prints after the app.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from . import checks
from .workspace import child_env, cli_command

STEP_TIMEOUT = 30.0
FOCUS_PAUSE = 0.2  # a dialog drawn is not yet a dialog whose input has the focus
DIALOG_HINT = "enter saves · esc cancels"  # the annotate dialog is open


def tmux_available() -> bool:
    return shutil.which("tmux") is not None


@dataclass
class AppAck:
    kind: str  # tag, annotation, boilerplate, status
    path: str
    value: str


@dataclass
class TmuxApp:
    folder: Path
    width: int = 160
    height: int = 50
    acks: list[AppAck] = field(default_factory=list)
    tracebacks: int = 0
    not_saved: int = 0
    screens: int = 0
    exit_code: int | None = None
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = f"corpus-tui-reliability-{uuid.uuid4().hex[:8]}"
        self.tmux = ["tmux", "-L", self.name]  # a private server: nobody else's tmux is touched
        env = child_env(TERM="xterm-256color", CORPUS_TUI_ANNOTATOR="tmux-app")
        exports = " ".join(f"{key}={shlex.quote(env[key])}" for key in
                           ("PATH", "PYTHONPATH", "TERM", "CORPUS_TUI_ANNOTATOR", "PYTHONWARNINGS") if key in env)
        command = " ".join(shlex.quote(part) for part in [*cli_command(), str(self.folder)])
        shell = f"export {exports}; {command}; echo \"EXIT=$?\"; sleep 600"
        subprocess.run([*self.tmux, "-f", "/dev/null", "new-session", "-d", "-s", self.name, "-x", str(self.width),
                        "-y", str(self.height), shell], check=True, env=env)
        subprocess.run([*self.tmux, "set-option", "-t", self.name, "escape-time", "0"], capture_output=True)
        self.socket = subprocess.run([*self.tmux, "display-message", "-p", "#{socket_path}"], capture_output=True,
                                     text=True).stdout.strip()

    # -- the screen ------------------------------------------------------------------

    def screen(self) -> str:
        text = subprocess.run([*self.tmux, "capture-pane", "-t", self.name, "-p", "-J"], capture_output=True,
                              text=True).stdout
        self.screens += 1
        if "Traceback" in text:
            self.tracebacks += 1
            self.problems.append("traceback on screen:\n" + text[-1500:])
        self.not_saved += text.count("Not saved")
        return text

    def wait_for(self, condition, what: str, timeout: float = STEP_TIMEOUT) -> str:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                raise AppStuck(f"{what} never appeared; screen:\n{screen}")
            time.sleep(0.05)

    def wait_text(self, text: str, timeout: float = STEP_TIMEOUT) -> str:
        return self.wait_for(lambda screen: text in screen, repr(text), timeout)

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run([*self.tmux, "send-keys", "-t", self.name, key], check=True)

    def type(self, text: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, "-l", text], check=True)

    def current_path(self, screen: str | None = None) -> str:
        top = (screen or self.screen()).splitlines()[0]
        parts = top.split(" · ")
        return parts[-1].strip() if len(parts) >= 4 else ""

    # -- steps ---------------------------------------------------------------------------

    def wait_ready(self, timeout: float = 60.0) -> str:
        screen = self.wait_for(lambda s: self.current_path(s) != "", "a document in the top bar", timeout)
        return self.current_path(screen)

    def step(self, number: int, db: Path) -> None:
        """Tag, annotate, mark boilerplate and review the current document, then go to the next."""
        path = self.wait_ready()
        tag, label = f"app-tag-{number}", f"APP{number}"
        self.keys("t")
        self.wait_text("filter or new tag")
        self.type(tag)
        self.wait_text(tag)  # typed into the picker's input, not lost before it had the focus
        self.keys("Enter")
        self.wait_text(f"[x] {tag}")
        self.acks.append(AppAck("tag", path, tag))
        self.keys("Escape")
        self.wait_for(lambda s: "filter or new tag" not in s, "the picker closing")
        self.keys("a")
        self.wait_text("label (tab completes)")
        time.sleep(FOCUS_PAUSE)
        self.type(label)
        self.wait_text(label)
        self.keys("Enter")
        time.sleep(FOCUS_PAUSE)
        self.keys("Enter")  # no note
        self._wait_saved(label)
        self.acks.append(AppAck("annotation", path, label))
        self.keys("b")
        self._wait_db(db, "boilerplate", path, lambda: _boilerplate(db, path) > 0)
        self.keys("r")
        self._wait_db(db, "status", path, lambda: _status(db, path) == "reviewed")
        self.keys("]")
        self.wait_for(lambda s: self.current_path(s) not in ("", path), "the next document")

    def _wait_saved(self, label: str) -> None:
        """Until the app says the annotation is saved. An Enter the dialog took before its note
        field had the focus (a loaded machine) left it open: press Enter again, as a user would."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            screen = self.screen()
            if f"Annotated as {label}" in screen:
                return
            if time.monotonic() > deadline:
                raise AppStuck(f"'Annotated as {label}' never appeared; screen:\n{screen}")
            if DIALOG_HINT in screen and time.monotonic() > deadline - STEP_TIMEOUT + 2 * FOCUS_PAUSE + 1:
                if "a label is required" in screen:  # the typing reached the screen before the input
                    self.type(label)
                    time.sleep(FOCUS_PAUSE)
                self.keys("Enter")
                time.sleep(FOCUS_PAUSE)
            time.sleep(0.05)

    def _wait_db(self, db: Path, kind: str, path: str, condition, timeout: float = STEP_TIMEOUT) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AppStuck(f"the app's {kind} on {path} never reached the database; screen:\n{self.screen()}")
            time.sleep(0.05)
        self.acks.append(AppAck(kind, path, "reviewed" if kind == "status" else ""))

    def quit(self, timeout: float = 30.0) -> int | None:
        self.keys("q")
        try:
            screen = self.wait_text("EXIT=", timeout)
        except AppStuck as stuck:
            self.problems.append(str(stuck)[:1500])
            return None
        line = next(line for line in screen.splitlines() if line.startswith("EXIT="))
        self.exit_code = int(line.split("=", 1)[1].strip() or -1)
        return self.exit_code

    def kill(self) -> None:
        pane_pids = subprocess.run([*self.tmux, "list-panes", "-a", "-F", "#{pane_pid}"], capture_output=True,
                                   text=True).stdout.split()
        from .procs import kill_tree

        for pid in pane_pids:
            kill_tree(int(pid))
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)
        if self.socket:  # tmux leaves its socket file behind
            Path(self.socket).unlink(missing_ok=True)


class AppStuck(Exception):
    """A step's acknowledgement never came."""


def _document_id(db: Path, path: str) -> int | None:
    return checks.one(db, "SELECT id FROM documents WHERE path = ?", (path,))


def _boilerplate(db: Path, path: str) -> int:
    return checks.one(db, "SELECT COUNT(*) FROM spans s JOIN documents d ON d.id = s.document_id "
                          "WHERE d.path = ? AND s.kind = 'boilerplate'", (path,))


def _status(db: Path, path: str) -> str:
    return checks.one(db, "SELECT status FROM documents WHERE path = ?", (path,))


def missing_acks(db: Path, acks: list[AppAck]) -> list[str]:
    """The acknowledged app actions the database does not hold."""
    missing = []
    for ack in acks:
        if ack.kind == "tag":
            found = checks.one(db, "SELECT COUNT(*) FROM document_tags l JOIN tags t ON t.id = l.tag_id "
                                   "JOIN documents d ON d.id = l.document_id WHERE d.path = ? AND t.key = ?",
                               (ack.path, ack.value.casefold()))
        elif ack.kind == "annotation":
            found = checks.one(db, "SELECT COUNT(*) FROM spans s JOIN documents d ON d.id = s.document_id "
                                   "WHERE d.path = ? AND s.kind = 'annotation' AND s.label = ?", (ack.path, ack.value))
        elif ack.kind == "boilerplate":
            found = _boilerplate(db, ack.path)
        else:
            found = _status(db, ack.path) == ack.value
        if not found:
            missing.append(f"app {ack.kind} {ack.value!r} on {ack.path}")
    return missing
