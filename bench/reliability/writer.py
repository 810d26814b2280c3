"""A library writer, run as a child process: single actions, each acknowledged.

    python bench/reliability/writer.py FOLDER LOG --writer NAME --actions N [--seed S]
        [--docs FIRST:LAST] [--timeout SECONDS] [--pace SECONDS]

Before each call it appends an ``intent`` line to LOG, right after the call
returns an ``ack`` line: one ``os.write`` of one JSON line on an O_APPEND file,
so a ``kill -9`` can cut the log between lines, never inside one. LOG is not the
database: what it says was acknowledged must be found in the database afterwards
(see ``ack_log``). The actions cycle through add_annotation, add_tag,
mark_boilerplate, set_status and set_note on the documents with ids in
FIRST..LAST (another writer gets other ids, so statuses and notes have one
owner), with labels, tag names, reasons and notes unique to NAME and the step.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

OPERATIONS = ("add_annotation", "add_tag", "mark_boilerplate", "set_status", "set_note")
STATUSES = ("in_progress", "reviewed", "skipped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("log")
    parser.add_argument("--writer", default="w")
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--docs", default="1:50", help="document ids FIRST:LAST (inclusive)")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--pace", type=float, default=0.0, help="seconds to sleep between actions")
    args = parser.parse_args(argv)

    from corpus_tui import Corpus  # after parsing: --help needs no database

    rng = random.Random(args.seed)
    first, last = (int(part) for part in args.docs.split(":"))
    log = os.open(args.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    with Corpus.open(args.folder, annotator=f"writer-{args.writer}", timeout=args.timeout, create=False) as corpus:
        lengths = {row["id"]: row["char_count"] for row in corpus.query(
            "SELECT id, char_count FROM documents WHERE id BETWEEN ? AND ? AND state = 'ok' AND char_count > 20",
            [first, last])}
        doc_ids = sorted(lengths)
        if not doc_ids:
            print(f"writer {args.writer}: no documents with ids {args.docs}", file=sys.stderr)
            return 2
        for step in range(args.actions):
            op = OPERATIONS[step % len(OPERATIONS)]
            doc = rng.choice(doc_ids)
            entry: dict[str, object] = {"writer": args.writer, "step": step, "op": op, "doc": doc}
            name = f"{args.writer}-{step}"
            if op in ("add_annotation", "mark_boilerplate"):
                start = rng.randrange(0, lengths[doc] - 10)
                entry |= {"start": start, "end": start + rng.randint(1, 10), "value": name}
            elif op == "add_tag":
                entry["value"] = f"tag-{name}"
            elif op == "set_status":
                entry["value"] = rng.choice(STATUSES)
            else:
                entry["value"] = f"note {name}"
            _append(log, {**entry, "phase": "intent"})
            _apply(corpus, entry)
            _append(log, {"writer": args.writer, "step": step, "phase": "ack"})
            if args.pace:
                time.sleep(args.pace)
    os.close(log)
    return 0


def _apply(corpus, entry: dict) -> None:  # type: ignore[no-untyped-def]
    op, doc, value = entry["op"], entry["doc"], entry["value"]
    if op == "add_annotation":
        corpus.add_annotation(doc, entry["start"], entry["end"], value)
    elif op == "mark_boilerplate":
        corpus.mark_boilerplate(doc, entry["start"], entry["end"], reason=value)
    elif op == "add_tag":
        corpus.add_tag(doc, value)
    elif op == "set_status":
        corpus.set_status(doc, value)
    else:
        corpus.set_note(doc, value)


def _append(fd: int, record: dict) -> None:
    os.write(fd, (json.dumps(record) + "\n").encode())


if __name__ == "__main__":
    sys.exit(main())
