"""Ctrl-C while a command's process pool works: the terminal sends SIGINT to the whole process
group. Interrupted workers printed tracebacks, and one interrupted mid-task left the pool (and
the command) waiting at exit for good (a trial: 3 hangs in 20 tries of `scan`, and of `apply`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX")

FILES = 3200  # over the scanner's threshold for its reader processes


def test_leaving_a_worker_pool_by_an_exception_does_not_wait_for_its_work(tmp_path):
    """A task in hand (long) and tasks queued: the executor's own exit waited for all of them."""
    script = tmp_path / "pool.py"
    script.write_text(textwrap.dedent("""
        import os, time
        from corpus_tui.core.child_process import WorkerPool, pool_worker

        if __name__ == "__main__":
            with WorkerPool(max_workers=2, initializer=pool_worker, initargs=(os.getpid(),)) as pool:
                futures = [pool.submit(time.sleep, 60) for _ in range(6)]
                time.sleep(1)
                raise KeyboardInterrupt
    """))
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=30)
    assert time.monotonic() - started < 15
    assert result.returncode != 0 and "KeyboardInterrupt" in result.stderr
    assert result.stderr.count("Traceback") == 1  # the script's own: no worker's


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("interrupts") / "big"
    folder.mkdir()
    for number in range(FILES):
        (folder / f"{number:05d}.txt").write_text(f"Title {number}\n\nText of page {number}.\n" * 3)
    return folder


@pytest.mark.parametrize("delay", [0.4, 0.8, 1.2])
def test_ctrl_c_during_a_first_scan_with_reader_processes_ends_it_in_one_line(big, delay):
    for leftover in big.glob("annotations.db*"):
        leftover.unlink()
    folder = big
    process = subprocess.Popen([sys.executable, "-m", "corpus_tui", "scan", str(folder)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(delay)
    try:
        os.killpg(process.pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the scan did not end after Ctrl-C")
    if process.returncode == 0:
        return  # done before the signal: nothing to see
    # 130, or ended by the SIGINT itself, which a shell also shows as 130 (Python does so when the
    # signal comes again as it exits).
    assert process.returncode in (130, -signal.SIGINT) and stderr == "corpus-tui: interrupted\n"
