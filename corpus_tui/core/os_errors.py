"""The OS's reason for an ``OSError``, fit for a one-line error message."""

from __future__ import annotations

import os


def os_reason(error: OSError) -> str:
    """``no space left on device``: the OS's words for ``error``, without the errno number.

    Libraries wrap the OS's words in their own (pyarrow: ``Error writing bytes
    to file. Detail: [errno 28] ...``), so the errno is read when there is one.
    """
    reason = os.strerror(error.errno) if error.errno else (error.strerror or str(error) or type(error).__name__)
    return reason[:1].lower() + reason[1:]
