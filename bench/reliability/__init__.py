"""The reliability suite's machinery, shared by ``bench/bench_reliability.py`` (long
mode, figures printed) and ``tests/test_reliability.py`` (short mode, in CI).

- ``workspace``: the generated corpus and the databases, CSVs and exports trials start from;
- ``procs``: process trees from /proc, ``kill -9`` and the orphans it leaves;
- ``checks``: integrity, foreign keys, the full-text index, the database against the disk;
- ``writer`` (a script) and ``ack_log``: library actions acknowledged in a log, then looked for;
- ``changes``: files edited, moved, added and appended to under a scan, and put back;
- ``kill_trials``: one writer killed at random moments;
- ``multi_writer`` and ``tmux_app``: two and three writers at once, the app among them.
"""
