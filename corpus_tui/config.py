"""The user's config file: where it lives, and reading it (no Textual here).

One TOML file, ``config.toml`` in the platform's config folder:
``$XDG_CONFIG_HOME/corpus-tui/`` (else ``~/.config/corpus-tui/``) on Linux and
other Unix, ``~/Library/Application Support/corpus-tui/`` on macOS,
``%APPDATA%\\corpus-tui\\`` on Windows; ``CORPUS_TUI_CONFIG`` names another file.
Today it holds the app's keys::

    [keys]
    toggle_boilerplate = "x"              # a binding id = the keys for it
    remove_span = "delete"
    next_document = "right_square_bracket,ctrl+n"   # several keys: commas

A missing file is no config; a file that is not valid is one error naming it.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .core.errors import CorpusError
from .core.os_errors import os_reason

CONFIG_ENV = "CORPUS_TUI_CONFIG"
SECTIONS = ("keys",)


class ConfigError(CorpusError):
    pass


@dataclass(frozen=True)
class Config:
    path: Path
    exists: bool
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> key string


def config_path() -> Path:
    """Where corpus-tui reads its config (it may not exist)."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME", "")
        # The XDG spec: a relative path is invalid and ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".config"
    return base / "corpus-tui" / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """The config at ``path`` (default ``config_path()``); ConfigError when it is not valid."""
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config(path, exists=False)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {os_reason(error)}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r} (known: {', '.join(SECTIONS)})")
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise ConfigError(f"{path}: 'keys' must be a table: [keys] then lines of binding_id = \"key\"")
    for name, value in keys.items():
        if not isinstance(value, str) or not [k for k in value.split(",") if k.strip()]:
            raise ConfigError(f"{path}: [keys] {name}: must be a string of keys, e.g. \"x\" or \"ctrl+n,n\"")
    return Config(path, exists=True, keys={name: ",".join(k.strip() for k in value.split(",") if k.strip())
                                           for name, value in keys.items()})
