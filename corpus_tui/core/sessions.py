"""Which app sessions are open on a corpus, and which ended without closing.

Each app writes ``session:HOST:PID`` into ``corpus_state`` when it starts and
deletes it when it closes. A key left behind by a process of this host that
no longer runs is a session that crashed or was killed: the next start checks
the corpus (``check.py``) before it writes anything, because SQLite silently
drops a write-ahead log damaged by such a stop.
"""

from __future__ import annotations

import json
import os
import socket
from typing import TYPE_CHECKING

from .store import now

if TYPE_CHECKING:
    from .corpus import Corpus

PREFIX = "session:"


def _key(pid: int | None = None) -> str:
    return f"{PREFIX}{socket.gethostname()}:{pid or os.getpid()}"


def begin_session(corpus: "Corpus") -> str:
    """Record this process as an open session; returns its key for ``end_session``."""
    key = _key()
    corpus.set_state(key, json.dumps({"started_at": now(), "annotator": corpus.annotator}))
    # Into the database file now, not only the WAL: if this session's WAL is
    # damaged later, the key must survive to make the next start check it.
    corpus.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return key


def end_session(corpus: "Corpus", key: str) -> None:
    corpus.delete_states([key])


def unclean_sessions(corpus: "Corpus") -> list[str]:
    """Keys of this host's sessions whose process is gone without closing them."""
    rows = corpus.query("SELECT key FROM corpus_state WHERE key LIKE ?", [f"{PREFIX}%"])
    host_prefix = f"{PREFIX}{socket.gethostname()}:"
    unclean = []
    for row in rows:
        key = row["key"]
        pid = key[len(host_prefix):]
        if key.startswith(host_prefix) and pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            unclean.append(key)
    return unclean


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process with that pid
    return True
