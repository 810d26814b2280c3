"""``--format label-studio``: tasks Label Studio imports, and the labelling config beside them.

Label Studio itself is not installed here (label-studio 1.23.2 is 119 packages,
277 MB, a Django server, and would downgrade numpy and pyarrow): the tasks are
checked against the rules its documentation states (``LS_RULES``) and against the
config this export writes, the way its importer checks predictions.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import assert_one_line_error

from corpus_tui.core.errors import InvalidValue
from corpus_tui.core.export import export, parallel
from corpus_tui.core.export.label_studio import ArrayTail, Utf16Offsets, end_of_array

# LS's own editor test ("NER - Emoji - Text", web/libs/editor/tests/integration): selecting
# "test" in this text stores start 21, end 25 (code points; 22, 26 in UTF-16 units).
LS_EMOJI_TEXT = "🐱 Warning: This is a test text"
CRLF_TEXT = f"Heading\r\n{LS_EMOJI_TEXT}\r\n\r\nA ☕ in Mosul, then 👨‍👩‍👧 in Erbil.\r\n"
FILES = {
    "a-crlf.txt": CRLF_TEXT,
    "b-plain.md": "---\ntitle: Plain\n---\nNAV | HOME\n\nMosul is in Iraq.\n",
    "c-empty-handed.txt": "Nothing marked here.\n",
}


def span(corpus, path, needle, label, occurrence=0):
    doc = corpus.document_by_path(path)
    text = corpus.text(doc.id)
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    corpus.add_annotation(doc.id, start, start + len(needle), label)
    return doc


@pytest.fixture
def corpus(scanned):
    corpus, _ = scanned(FILES)
    span(corpus, "a-crlf.txt", "test", "THING")
    span(corpus, "a-crlf.txt", "Mosul", "GPE")
    span(corpus, "a-crlf.txt", "👨‍👩‍👧", "FAMILY")
    doc = span(corpus, "a-crlf.txt", "Erbil", 'Place "name" & <co>')
    text = corpus.text(doc.id)
    corpus.add_annotation(doc.id, text.index("Erbil"), text.index("Erbil") + 5, 'Place "name" & <co>', note="dup")
    corpus.mark_boilerplate(doc.id, 0, text.index("\r\n") + 2, reason="heading")
    corpus.add_tag(doc.id, "War & Peace")
    corpus.add_tag(doc.id, "iraq")
    doc = span(corpus, "b-plain.md", "Mosul", "GPE")
    text = corpus.text(doc.id)
    corpus.mark_boilerplate(doc.id, text.index("NAV"), text.index("Mosul"))
    corpus.add_annotation(doc.id, text.index("Iraq"), text.index("Iraq") + 4, "two\twords")
    corpus.add_tag(doc.id, "unused elsewhere")
    return corpus


def read_export(out: Path) -> tuple[list[dict], ET.Element]:
    tasks = json.loads(out.read_bytes())
    config = ET.fromstring(out.with_suffix(".label-config.xml").read_text(encoding="utf-8"))
    return tasks, config


def controls(config: ET.Element) -> dict[str, tuple[str, set[str], str, ET.Element]]:
    """name -> (tag, values, toName, element) for the Labels and Choices controls."""
    found = {}
    for element in config:
        if element.tag in ("Labels", "Choices"):
            child = "Label" if element.tag == "Labels" else "Choice"
            values = {item.get("value") for item in element.findall(child)}
            found[element.get("name")] = (element.tag, values, element.get("toName"), element)
    return found


def check_tasks(tasks: list, config: ET.Element) -> None:
    """LS_RULES: what Label Studio's docs say an imported task and its predictions must be
    (tasks.md "Basic Label Studio JSON format", predictions.md "JSON format for
    pre-annotations", the Labels and Choices tags), checked against ``config`` as its
    importer checks every prediction against the project's labelling config."""
    (text_tag,) = config.findall("Text")
    assert text_tag.get("value").startswith("$")
    data_key = text_tag.get("value")[1:]
    by_name = controls(config)
    assert isinstance(tasks, list)
    for task in tasks:
        assert set(task) <= {"data", "predictions"}
        assert isinstance(task["data"][data_key], str)
        text = task["data"][data_key]
        ids: list[str] = []
        for prediction in task["predictions"]:
            assert isinstance(prediction["model_version"], str) and isinstance(prediction["result"], list)
            assert prediction["result"], "an empty prediction is clutter in Label Studio"
            for result in prediction["result"]:
                assert {"id", "from_name", "to_name", "type", "value"} <= set(result)
                tag, values, to_name, _ = by_name[result["from_name"]]
                assert result["to_name"] == to_name == text_tag.get("name")
                assert result["type"] == tag.lower()
                ids.append(result["id"])
                value = result["value"]
                if tag == "Labels":
                    assert isinstance(value["start"], int) and isinstance(value["end"], int)
                    assert 0 <= value["start"] < value["end"] <= len(text)
                    assert value["text"] == text[value["start"]:value["end"]]
                    assert value["labels"] and set(value["labels"]) <= values
                else:
                    assert value["choices"] and set(value["choices"]) <= values
        assert len(ids) == len(set(ids)), "result ids must be unique in a task"


def test_tasks_follow_label_studio_s_import_format(corpus, tmp_path):
    summary = export(corpus, "label-studio", tmp_path / "tasks.json")
    assert summary.label_config == str(tmp_path / "tasks.label-config.xml")
    tasks, config = read_export(tmp_path / "tasks.json")
    check_tasks(tasks, config)
    assert [t["data"]["path"] for t in tasks] == ["a-crlf.txt", "b-plain.md", "c-empty-handed.txt"]
    first = tasks[0]
    assert set(first["data"]) == {"text", "path", "title", "status", "tags", "note", "id", "sha256"}
    assert first["data"]["tags"] == ["iraq", "War & Peace"]
    (prediction,) = first["predictions"]
    assert prediction["model_version"] == "corpus-tui"
    regions = [(r["from_name"], r["value"].get("text"), r["value"].get("labels") or r["value"]["choices"])
               for r in prediction["result"]]
    assert regions == [
        ("label", "test", ["THING"]), ("label", "Mosul", ["GPE"]), ("label", "👨‍👩‍👧", ["FAMILY"]),
        ("label", "Erbil", ['Place "name" & <co>']),  # once: the second span differs only in its note
        ("boilerplate", "Heading\r\n", ["Boilerplate"]), ("tags", None, ["iraq", "War & Peace"]),
    ]
    assert tasks[2]["predictions"] == []


def test_the_config_lists_every_label_and_tag_exactly(corpus, tmp_path):
    export(corpus, "label-studio", tmp_path / "tasks.json", tags=["iraq"])  # one document of three
    _, config = read_export(tmp_path / "tasks.json")
    found = controls(config)
    assert found["label"][1] == {"THING", "GPE", "FAMILY", 'Place "name" & <co>', "two\twords"}  # tab kept
    assert found["boilerplate"][1] == {"Boilerplate"}
    assert found["tags"][1] == {"iraq", "War & Peace", "unused elsewhere"}  # the whole vocabulary
    assert found["tags"][3].get("choice") == "multiple"


def test_offsets_after_an_emoji_and_crlf_land_on_the_same_text(corpus, tmp_path):
    export(corpus, "label-studio", tmp_path / "cp.json")
    export(corpus, "label-studio", tmp_path / "u16.json", label_studio_offsets="utf-16")
    cp = json.loads((tmp_path / "cp.json").read_bytes())[0]
    u16 = json.loads((tmp_path / "u16.json").read_bytes())[0]
    text = cp["data"]["text"]
    assert text == CRLF_TEXT and u16["data"]["text"] == CRLF_TEXT  # CRLF kept: two characters, as LS counts them
    units = text.encode("utf-16-le")
    line = len("Heading\r\n")
    for a, b in zip(cp["predictions"][0]["result"], u16["predictions"][0]["result"]):
        if a["type"] == "choices":
            continue
        start, end = a["value"]["start"], a["value"]["end"]
        assert text[start:end] == a["value"]["text"]  # code points: Python's and today's Label Studio's
        start16, end16 = b["value"]["start"], b["value"]["end"]
        assert units[2 * start16 : 2 * end16].decode("utf-16-le") == a["value"]["text"]  # JavaScript's units
        assert a["id"] == b["id"]
    thing = value_labelled(cp, "THING")
    assert (thing["start"] - line, thing["end"] - line) == (21, 25)  # LS's own emoji test
    thing16 = value_labelled(u16, "THING")
    assert (thing16["start"] - line, thing16["end"] - line) == (22, 26)
    family = value_labelled(u16, "FAMILY")
    assert family["end"] - family["start"] == len("👨‍👩‍👧".encode("utf-16-le")) // 2 == 8


def value_labelled(task: dict, label: str) -> dict:
    return next(r["value"] for r in task["predictions"][0]["result"] if r["value"].get("labels") == [label])


def test_utf16_offsets_count_every_character_beyond_the_bmp():
    text = "a😀b𝄞c"
    convert = Utf16Offsets(text, text.encode("utf-8"))
    assert [convert(i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 6, 7]
    plain = "no astral ☕ here"
    assert Utf16Offsets(plain, plain.encode("utf-8")).astral == []


@pytest.mark.parametrize("pieces", [[b"[\n"], [b"[\n", b"{1},\n"], [b"[", b"\n{1}", b",", b"\n{2},\n"],
                                    [b"[\n{1},\n{2},\n"]])
def test_the_array_ends_where_its_last_separator_was(pieces):
    written = bytearray()

    class Sink:
        def write(self, data):
            written.extend(data)

    tail = ArrayTail(Sink())
    for piece in pieces:
        tail.write(piece)
    tail.close_array()
    whole = b"".join(pieces)
    assert bytes(written) == whole[:-2] + end_of_array(whole[-2:])
    assert json.loads(bytes(written).replace(b"{1}", b"1").replace(b"{2}", b"2")) == \
        [n for n in (1, 2) if b"{%d}" % n in whole]


@pytest.fixture
def many(scanned, monkeypatch):
    """23 documents, blocks of 4 documents: 6 blocks for the workers; one document stale."""
    monkeypatch.setattr(parallel, "BLOCK", 4)
    corpus, _ = scanned({f"d{n:02}.txt": f"Doc {n} 😀 in Mosul\r\nend\r\n" for n in range(23)})
    for doc in corpus.documents():
        text = corpus.text(doc.id)
        corpus.add_annotation(doc.id, text.index("Mosul"), text.index("Mosul") + 5, "GPE")
        corpus.mark_boilerplate(doc.id, text.index("end"), len(text))
    (corpus.folder / "d22.txt").write_text("rewritten\n", encoding="utf-8")  # the last block's only document
    corpus.scan()
    return corpus


@pytest.mark.parametrize("options", [{}, {"allow_stale": True}, {"label_studio_offsets": "utf-16"}])
def test_workers_write_the_bytes_of_one_process(many, tmp_path, capfdbinary, options):
    alone = export(many, "label-studio", tmp_path / "one.json", jobs=1, **options)
    summary = export(many, "label-studio", tmp_path / "three.json", jobs=3, **options)
    assert summary.workers == 3 and summary.documents == alone.documents == 22 + bool(options.get("allow_stale"))
    data = (tmp_path / "one.json").read_bytes()
    assert (tmp_path / "three.json").read_bytes() == data
    assert (tmp_path / "three.label-config.xml").read_bytes() == (tmp_path / "one.label-config.xml").read_bytes()
    assert len(json.loads(data)) == summary.documents
    capfdbinary.readouterr()
    export(many, "label-studio", "-", jobs=3, **options)
    assert capfdbinary.readouterr().out == data


def test_no_document_is_an_empty_array(corpus, tmp_path):
    corpus.set_status(corpus.document_by_path("c-empty-handed.txt").id, "skipped")
    summary = export(corpus, "label-studio", tmp_path / "none.json", statuses=["reviewed"])
    assert summary.documents == 0 and (tmp_path / "none.json").read_bytes() == b"[\n]\n"


# -- the command line: where the config goes, and nothing half-written ---------------------------


def test_config_placement_on_the_command_line(corpus, tmp_path, run_main):
    folder = corpus.folder
    result = run_main("export", folder, "-f", "label-studio")  # tasks on stdout: no config, said on stderr
    assert result.returncode == 0 and json.loads(result.stdout)[0]["data"]["path"] == "a-crlf.txt"
    assert "no labelling config (--label-config PATH writes it)" in result.stderr
    result = run_main("export", folder, "-f", "label-studio", "--label-config", tmp_path / "cfg.xml")
    assert result.returncode == 0 and ET.parse(tmp_path / "cfg.xml").getroot().tag == "View"
    result = run_main("export", folder, "-f", "label-studio", "-o", tmp_path / "t.json", "--label-config", "-")
    assert result.returncode == 0 and ET.fromstring(result.stdout).tag == "View"  # the summary went to stderr
    assert "labelling config to stdout" in result.stderr and not (tmp_path / "t.label-config.xml").exists()
    assert json.loads((tmp_path / "t.json").read_bytes())


@pytest.mark.parametrize("args, needle", [
    (["-f", "label-studio", "--label-config", "-"], "cannot both go to stdout"),
    (["-f", "jsonl", "--label-config", "x.xml"], "label-studio format only"),
    (["-f", "jsonl", "--text"], "for the csv format"),
    (["-f", "csv", "--doccano-spans", "entities"], "for the doccano format"),
    (["-f", "doccano", "--label-studio-offsets", "utf-16"], "for the label-studio format"),
])
def test_options_for_another_format_are_one_line_errors(corpus, run_main, args, needle):
    assert_one_line_error(run_main("export", corpus.folder, *args), needle)


def test_an_existing_config_stops_the_export_before_anything_is_written(corpus, tmp_path, run_main):
    (tmp_path / "tasks.label-config.xml").write_text("mine", encoding="utf-8")
    result = run_main("export", corpus.folder, "-f", "label-studio", "-o", tmp_path / "tasks.json")
    assert_one_line_error(result, "tasks.label-config.xml: already exists (use --force")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "tasks.label-config.xml"]
    result = run_main("export", corpus.folder, "-f", "label-studio", "-o", tmp_path / "tasks.json", "--force")
    assert result.returncode == 0 and "<View>" in (tmp_path / "tasks.label-config.xml").read_text()


def test_a_label_xml_cannot_hold_stops_the_export_and_leaves_nothing(corpus, tmp_path, run_main):
    doc = corpus.document_by_path("c-empty-handed.txt")
    span = corpus.add_annotation(doc.id, 0, 7, "placeholder")
    with corpus.write():  # a label an older version let in (refused where made now)
        corpus.db.execute("UPDATE spans SET label = 'bad\x1blabel' WHERE id = ?", [span.id])
    result = run_main("export", corpus.folder, "-f", "label-studio", "-o", tmp_path / "tasks.json")
    assert_one_line_error(result, "label 'bad␛label' holds a control character")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]
    result = run_main("export", corpus.folder, "-f", "label-studio")  # to stdout: not a byte written
    assert result.returncode == 1 and result.stdout == ""


def test_a_cancelled_export_leaves_neither_file(corpus, tmp_path):
    out = tmp_path / "tasks.json"
    export(corpus, "label-studio", out, statuses=["new"])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}

    def stop(done, total):
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export(corpus, "label-studio", out, force=True, progress=stop)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_the_config_cannot_be_the_tasks_file(corpus, tmp_path):
    with pytest.raises(InvalidValue, match="cannot be the tasks file"):
        export(corpus, "label-studio", tmp_path / "t.json", label_config=tmp_path / "t.json")
