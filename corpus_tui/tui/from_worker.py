"""Telling the app's thread something from a worker that writes, without ever waiting on it.

``App.call_from_thread`` waits for the call's result and raises what it raises. In a worker
that commits a long write (marking a passage in every document), its progress reports are
called inside the transaction: a report that fails (the screen it updates was closed, the app
is closing) rolled the whole write back without a word, and one sent while the app shut down
could wait forever. ``soon`` posts the call instead: it runs on the app's thread in its turn,
and once the app is closing it is dropped. The write itself goes on and commits (Python waits
for the worker's thread before it exits), so quitting during it loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.app import App
from textual.dom import DOMNode
from textual.message import Message


class Deferred(Message):
    """A call for the app's thread (``soon``); the app runs it (``run_deferred``)."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__()
        self.call = call


def soon(app: App[Any], callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """From a worker thread: ``callback(*args, **kwargs)`` on the app's thread, in order with
    the other calls sent this way, never waiting and never raising."""
    try:
        app.post_message(Deferred(partial(callback, *args, **kwargs)))
    except RuntimeError:  # the event loop is closed: no one is left to show it
        pass


def run_deferred(message: Deferred) -> None:
    """The app's handler: run the call."""
    message.call()


def while_shown(node: DOMNode, callback: Callable[..., Any]) -> Callable[..., None]:
    """``callback``, made to do nothing once ``node`` (a screen) has been closed: what a
    worker reports to a screen can arrive after it."""
    def call(*args: Any, **kwargs: Any) -> None:
        if node.is_attached:
            callback(*args, **kwargs)
    return call
