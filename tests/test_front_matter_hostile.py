"""Front matter written to hurt: a document's YAML is its own problem, never the scan's.

Deep nesting crashed the whole process (libyaml's parser recursed until the C
stack overflowed: a segmentation fault, no traceback even), and other YAML
made the scan raise (a date as a key, an impossible date, a number too long,
an alias inside its own anchor) or expand without end (nested aliases).
Each must leave the document readable, with a one-line ``problem``.
"""

from __future__ import annotations

import json

import pytest

from corpus_tui.core.front_matter import MAX_DEPTH, MAX_VALUES, parse_front_matter


def front(yaml_text: str) -> str:
    return f"---\n{yaml_text}\n---\nThe body.\n"


def laughs(levels: int, width: int = 10) -> str:
    """Each level an alias list of the one before: width ** levels values once expanded."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]" for n in range(1, levels + 1)]
    return "\n".join(lines)


DEEP = 100_000
CRASHED = {  # the scan died of these: SIGSEGV in libyaml, before the fix
    "unclosed flow sequences": "[" * DEEP,
    "closed flow sequences": "a: " + "[" * DEEP + "]" * DEEP,
    "flow mappings": "a: " + "{b: " * DEEP + "}" * DEEP,
    "block sequences": "- " * DEEP + "x",
}


@pytest.mark.parametrize("name", sorted(CRASHED))
def test_deep_nesting_is_a_problem_of_the_document(name, make_corpus, run_main, open_corpus):
    """Through a real scan in its own process: a crash there must not take pytest with it."""
    folder = make_corpus({"deep.md": front(CRASHED[name]), "fine.md": front("title: Fine")})
    result = run_main("scan", folder)
    assert result.returncode == 0, (result.returncode, result.stderr[-300:])
    assert "2 added" in result.stdout
    corpus = open_corpus(folder)
    deep, fine = corpus.document_by_path("deep.md"), corpus.document_by_path("fine.md")
    assert deep.state == "ok" and deep.meta == {} and deep.problem.startswith("front matter ")
    assert fine.title == "Fine" and fine.problem is None
    assert corpus.text(deep.id).endswith("The body.\n")


UNUSABLE = {  # the scan raised (or, for the aliases, ran out of memory) on these, before the fix
    "1,000 levels": ("a: " + "[" * 1000 + "]" * 1000, f"nested more than {MAX_DEPTH} levels deep"),
    "one level too many": ("a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
                           f"nested more than {MAX_DEPTH} levels deep"),
    "a list inside itself": ("a: &x [*x]", "refers to itself"),
    "a mapping inside itself": ("a: &x {b: [1, *x]}", "refers to itself"),
    "nested aliases": (laughs(8), f"more than {MAX_VALUES:,} values"),  # 10 ** 8 once expanded
    "5,000 digits": ("n: " + "1" * 5000, "front matter cannot be read"),  # over Python's int digit limit
    "February 30th": ("date: 2017-02-30", "front matter cannot be read: day is out of range for month"),
}


@pytest.mark.parametrize("name", sorted(UNUSABLE))
def test_yaml_that_cannot_become_json_is_a_problem(name):
    yaml_text, reason = UNUSABLE[name]
    parsed = parse_front_matter(front(yaml_text))
    assert parsed.meta == {} and parsed.body_start == front(yaml_text).index("The body.")
    assert parsed.problem is not None and reason in parsed.problem and "\n" not in parsed.problem


def test_what_json_can_hold_is_kept_as_before():
    """The values the old JSON round trip kept, kept the same way (keys as strings, dates in ISO)."""
    text = front(
        "title: T\n"
        "when: 2017-07-08\n"
        "nested: {2017-01-01: new year, 1.5: x, true: y, null: z, 3: w, list: [a, [b, {c: d}]]}\n"
        "aliases: {first: &a [1, 2], again: *a}\n"
        "set: !!set {x}\n"
        "depth: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
        "2020-02-02: top-level date key\n"
        "True: top-level boolean key"
    )
    parsed = parse_front_matter(text)
    assert parsed.problem is None
    assert parsed.meta["nested"] == {"2017-01-01": "new year", "1.5": "x", "true": "y", "null": "z", "3": "w",
                                     "list": ["a", ["b", {"c": "d"}]]}
    assert parsed.meta["when"] == "2017-07-08" and parsed.meta["aliases"] == {"first": [1, 2], "again": [1, 2]}
    assert parsed.meta["set"] == "{'x'}" and parsed.meta["2020-02-02"] == "top-level date key"
    assert parsed.meta["True"] == "top-level boolean key"
    assert json.loads(json.dumps(parsed.meta)) == parsed.meta


def test_long_front_matter_that_is_not_deep_is_read():
    """Many ':' and '-' (the cheap nesting bound) send it to the pure-Python parser: still read."""
    items = "\n".join(f"- https://example.org/{n}-a-b-c" for n in range(2000))
    parsed = parse_front_matter(front("links:\n" + items))
    assert parsed.problem is None and len(parsed.meta["links"]) == 2000
