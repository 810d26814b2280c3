"""The command line's start: sqlite-utils imported without numpy and pandas.

sqlite-utils imports numpy and pandas whenever they are installed, only to map their scalar
types to column types, and the commands never store such values. numpy's import alone costs
every command 0.19 s of CPU (it starts its math library's threads: ``import corpus_tui.cli``
measured 0.50 s against 0.32 s with numpy hidden), and pandas, common where analysts work,
costs more. So the entry points (``corpus_tui.cli``, the app's scan process) import this
module first: both are hidden while sqlite-utils is imported, on the main thread before any
other; what imports them later (the Parquet export's pyarrow, Dask) gets them as usual.

Not done for the library: ``import corpus_tui`` leaves sqlite-utils as it is, so a script
that also inserts numpy or pandas values with sqlite-utils keeps their column types.
"""

from __future__ import annotations

import sys

_hidden = [] if "sqlite_utils" in sys.modules else [name for name in ("numpy", "pandas") if name not in sys.modules]
for _name in _hidden:
    sys.modules[_name] = None  # type: ignore[assignment]  # then "import numpy" raises ImportError
try:
    import sqlite_utils  # noqa: F401
finally:
    for _name in _hidden:
        if _name in sys.modules and sys.modules[_name] is None:
            del sys.modules[_name]
