"""The library and the CLI never import Textual (only 'corpus-tui open' does, lazily)."""

from __future__ import annotations

import subprocess
import sys


def printed_by(code: str) -> str:
    """What ``code`` prints, run in a fresh interpreter (so nothing is imported yet)."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_core_and_cli_do_not_import_textual():
    assert printed_by(
        "import sys, corpus_tui, corpus_tui.core, corpus_tui.cli; "
        "assert 'corpus_tui.core' in sys.modules; "
        "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))"
    ) == "[]"


def test_cli_help_does_not_import_textual():
    code = (
        "import sys\n"
        "from corpus_tui.cli import cli\n"
        "try:\n"
        "    cli.main(['scan', '--help'], standalone_mode=False)\n"
        "finally:\n"
        "    print('textual' in sys.modules)\n"
    )
    assert printed_by(code).splitlines()[-1] == "False"


def test_an_export_worker_loads_only_what_it_renders_with():
    """A worker starts in a fraction of a second because it skips the store, click and Textual."""
    assert printed_by(
        "import sys, corpus_tui.core.export.worker\n"
        "heavy = ('sqlite_utils', 'click', 'textual', 'frontmatter', 'yaml', 'corpus_tui.core.store')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n"
    ) == "[]"


def test_the_cli_starts_without_loading_yaml_or_the_web():
    """Every command pays for what ``corpus_tui.cli`` imports: YAML waits for a document with
    front matter (or a Markdown export), and nothing of HTTP or SSL is needed at all."""
    assert printed_by(
        "import sys, corpus_tui.cli\n"
        "heavy = ('yaml', 'frontmatter', 'urllib.request', 'http.client', 'ssl', 'xml.sax')\n"
        "print(sorted(m for m in sys.modules if m in heavy))\n"
    ) == "[]"


def test_applying_a_bundle_loads_no_database():
    """Every worker of ``apply`` (a process, a Dask worker, a Spark executor) imports the pure
    function and the partition job: the store and sqlite-utils (which brings numpy where it is
    installed) are 0.1 s a process and memory it would not use."""
    assert printed_by(
        "import sys, corpus_tui.core.bundle, corpus_tui.core.apply_records\n"
        "heavy = ('sqlite_utils', 'numpy', 'click', 'textual', 'corpus_tui.core.store')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n"
    ) == "[]"


def test_the_cli_imports_sqlite_utils_without_numpy_or_pandas_and_leaves_them_importable():
    """sqlite-utils imports numpy and pandas when installed (0.19 s of CPU a command for numpy
    alone); the command line hides them while it imports sqlite-utils, and gives them back after."""
    printed = printed_by(
        "import importlib.util, sys, corpus_tui.cli, sqlite_utils.db\n"
        "from corpus_tui import Corpus\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'pandas')), sqlite_utils.db.np)\n"
        "if importlib.util.find_spec('numpy') is not None:\n"
        "    import numpy\n"
        "    print(numpy.arange(3).sum())\n"
    ).splitlines()
    assert printed[0] == "[] None"
    assert printed[1:] in ([], ["3"])  # numpy, where installed (the test extra brings it), imports as usual


def test_the_library_leaves_sqlite_utils_its_numpy_types():
    """A script that imports corpus_tui and inserts numpy values with sqlite-utils keeps their
    column types: only the command line's own process hides numpy from sqlite-utils."""
    printed = printed_by(
        "import importlib.util, corpus_tui.core.store, sqlite_utils\n"
        "if importlib.util.find_spec('numpy') is None:\n"
        "    print('INTEGER')\n"
        "else:\n"
        "    import numpy\n"
        "    db = sqlite_utils.Database(memory=True)\n"
        "    db['t'].insert({'a': numpy.int64(3)})\n"
        "    print(db['t'].columns[0].type)\n"
    )
    assert printed == "INTEGER"
