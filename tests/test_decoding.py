"""Bytes -> canonical text: BOMs, UTF-8, guessed fallbacks, binary, overrides."""

from __future__ import annotations

import codecs

import pytest

from conftest import assert_one_line_error
from corpus_tui.core.decoding import decode
from corpus_tui.core.errors import DocumentNotFound, InvalidSpan, InvalidValue

TEXT = "Café — naïve ☃ 𝄞 end"


# -- unit: decode() ---------------------------------------------------------------


def test_decode_utf8():
    decoded = decode(TEXT.encode("utf-8"))
    assert (decoded.text, decoded.encoding, decoded.guessed) == (TEXT, "utf-8", False)


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"),
        codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"),
    ],
    ids=["utf8-bom", "utf16-le", "utf16-be", "utf32-le", "utf32-be"],
)
def test_decode_bom_selects_codec_and_is_dropped(data):
    decoded = decode(data)
    assert decoded.text == TEXT  # no U+FEFF at the start
    assert decoded.readable and not decoded.guessed


def test_decode_keeps_crlf():
    assert decode(b"a\r\nb\r\n").text == "a\r\nb\r\n"


def test_decode_cp1252_fallback_is_guessed():
    decoded = decode("“quoted” café".encode("cp1252"))
    assert decoded.text == "“quoted” café"
    assert (decoded.encoding, decoded.guessed) == ("cp1252", True)


def test_decode_latin1_fallback_for_bytes_cp1252_leaves_undefined():
    decoded = decode(b"caf\xe9 \x81")  # 0x81 is undefined in cp1252: read as Latin-1, that byte alone
    assert decoded.text == "café \x81"
    assert (decoded.encoding, decoded.guessed) == ("cp1252", True)


def test_decode_nul_in_first_8000_bytes_is_binary():
    decoded = decode(b"abc\x00def")
    assert decoded.text is None and not decoded.readable
    assert "binary" in decoded.problem and "3" in decoded.problem
    # One character in seven a NUL: set-encoding refuses utf-8 without --force, so the advice says it.
    assert "set-encoding FOLDER PATH utf-8 --force reads it all the same" in decoded.problem
    assert decode(b"text with a stray \x00 in it", "utf-8").text == "text with a stray \x00 in it"
    # One NUL before a space reads as U+0020 in UTF-16-BE: the hint said utf-16-be, and
    # set-encoding took it, storing CJK noise (a trial). Valid UTF-8 with a stray NUL is UTF-8.
    page = b"Header line\n\nText with NUL\x00 inside and more plain english words here, a whole page of them.\n"
    assert "set-encoding FOLDER PATH utf-8 reads it" in decode(page).problem


def test_the_advice_for_a_file_of_control_characters_is_one_set_encoding_takes(scanned):
    """The scan advised `set-encoding … utf-8` for a file of control characters, and set-encoding
    refused it (14% control characters: not its encoding): the advice now says --force (a trial)."""
    data = b"ab\x00\x01\x02\x03\x04\x05cd\x06\x07\x08efgh\x0e\x0f\x10\x11 ijk\x00lm\n"
    problem = decode(data).problem
    assert problem.endswith("as utf-8 it is not text, most likely; corpus-tui set-encoding FOLDER PATH utf-8 --force "
                            "reads it all the same")
    corpus, _ = scanned({"ctrl.txt": data, "page.txt": b"A page with one stray \x00 in it.\n"})
    with pytest.raises(InvalidValue, match="--force sets it all the same"):
        corpus.set_encoding("ctrl.txt", "utf-8")
    corpus.set_encoding("ctrl.txt", "utf-8", force=True)  # as advised
    assert "--force" not in decode(b"A page with one stray \x00 in it.\n").problem
    corpus.set_encoding("page.txt", "utf-8")  # as advised, without


def test_a_binary_files_advice_is_checked_as_set_encoding_checks_it(scanned):
    """The advice named utf-8 for Latin-1 text with a NUL (not UTF-8 at all: refused even with
    --force), and for text whose control characters came after the first 8,000 bytes it looked
    at (refused without --force: a review). Each advice, followed, now works."""
    latin = "Caf\xe9 cr\xe8me, d\xe9j\xe0 vu \x00 and more text of the page.\n".encode("latin-1")
    tail = b"A line of ordinary text.\n" * 315 + b"\x00" + bytes(range(1, 9)) * 3000
    assert "corpus-tui set-encoding FOLDER PATH cp1252 reads it" in decode(latin).problem
    assert "utf-8 --force reads it all the same" in decode(tail).problem
    corpus, _ = scanned({"latin.txt": latin, "tail.txt": tail})
    assert corpus.set_encoding("latin.txt", "cp1252").state == "ok"
    with pytest.raises(InvalidValue, match="--force sets it all the same"):
        corpus.set_encoding("tail.txt", "utf-8")
    assert corpus.set_encoding("tail.txt", "utf-8", force=True).state == "ok"


def test_utf16_without_a_bom_is_suggested_as_such_and_latin1_on_it_is_refused(scanned, run_main):
    """Following the scan's advice (utf-8) read UTF-16 text as "A␀n␀ ␀…", and latin-1 was taken
    on a UTF-16 file with its BOM: every other character a NUL (a trial)."""
    text = "An article in UTF-16, as some Windows tools write it.\n"
    assert "set-encoding FOLDER PATH utf-16-le reads it" in decode(text.encode("utf-16-le")).problem
    assert "set-encoding FOLDER PATH utf-16-be reads it" in decode(text.encode("utf-16-be")).problem
    corpus, folder = scanned({"plain.txt": "A plain page.\n"})
    (folder / "nobom.txt").write_bytes(text.encode("utf-16-le"))
    (folder / "bom.txt").write_bytes(text.encode("utf-16"))
    corpus.scan()
    russian = "Привет, мир. Это текст на русском языке, записанный в UTF-16 без BOM.\n" * 3
    assert "set-encoding FOLDER PATH utf-16-le reads it" in decode(russian.encode("utf-16-le")).problem
    assert "set-encoding FOLDER PATH utf-16-be reads it" in decode(russian.encode("utf-16-be")).problem
    (folder / "ru.txt").write_bytes(russian.encode("utf-16-le"))  # NULs only in its spaces (a review)
    corpus.scan()
    for path, encoding in (("nobom.txt", "utf-8"), ("bom.txt", "latin-1"), ("ru.txt", "utf-8")):
        with pytest.raises(InvalidValue, match=f"{path}: read as {encoding}, [0-9]+% of its characters are NULs or"):
            corpus.set_encoding(path, encoding)
    assert corpus.text(corpus.set_encoding("ru.txt", "utf-16-le").id) == russian
    stray = b"Header line\n\nText with NUL\x00 inside and more plain english words.\n"
    (folder / "stray.txt").write_bytes(stray + b" " * (len(stray) % 2))  # utf-16 reads it (an even length)
    corpus.scan()
    with pytest.raises(InvalidValue, match="stray.txt: the file is valid UTF-8 and utf-16-be reads it otherwise"):
        corpus.set_encoding("stray.txt", "utf-16-be")
    assert corpus.text(corpus.set_encoding("nobom.txt", "utf-16-le").id) == text
    corpus.close()
    result = run_main("set-encoding", folder, "bom.txt", "latin-1")
    assert result.returncode != 0 and "NULs or other control characters" in result.stderr


def test_decode_nul_after_8000_bytes_is_text():
    assert decode(b"a" * 8000 + b"\x00").readable


def test_decode_empty():
    decoded = decode(b"")
    assert decoded.text == "" and decoded.readable


def test_decode_override_forces_codec():
    data = "café".encode("utf-8")
    assert decode(data, "latin-1").text == "cafÃ©"
    assert not decode(data, "latin-1").guessed


def test_decode_override_that_cannot_decode_is_a_problem():
    decoded = decode(b"caf\xe9", "utf-8")
    assert decoded.text is None and "utf-8" in decoded.problem


def test_decode_unknown_override_is_a_problem():
    decoded = decode(b"abc", "no-such-codec")
    assert decoded.text is None and "no-such-codec" in decoded.problem


# -- end to end: through scan -------------------------------------------------------


def _doc_row(corpus, path):
    (row,) = corpus.query(
        "SELECT d.*, t.text FROM documents d LEFT JOIN document_texts t ON t.document_id = d.id WHERE path = ?",
        [path],
    )
    return row


def test_scan_utf8(scanned):
    corpus, _ = scanned({"a.txt": TEXT})
    row = _doc_row(corpus, "a.txt")
    assert (row["state"], row["encoding"], row["encoding_guessed"]) == ("ok", "utf-8", 0)
    assert row["text"] == TEXT and row["char_count"] == len(TEXT)


def test_scan_utf8_bom_offsets_start_at_first_real_char(scanned):
    corpus, _ = scanned({"a.txt": codecs.BOM_UTF8 + b"Hello world"})
    row = _doc_row(corpus, "a.txt")
    assert row["text"] == "Hello world" and row["char_count"] == 11
    assert row["title"] == "Hello world"
    span = corpus.add_annotation(row["id"], 0, 5, "GREETING")
    assert corpus.query("SELECT quote FROM spans WHERE id = ?", [span.id])[0]["quote"] == "Hello"


@pytest.mark.parametrize(
    "bom, codec",
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_scan_utf16_utf32_with_bom(scanned, bom, codec):
    corpus, _ = scanned({"a.txt": bom + TEXT.encode(codec)})
    row = _doc_row(corpus, "a.txt")
    assert row["state"] == "ok"
    assert row["encoding"].startswith(codec[:6])
    assert row["text"] == TEXT and row["char_count"] == len(TEXT)


def test_scan_crlf_stays_two_characters(scanned):
    corpus, _ = scanned({"a.txt": b"one\r\ntwo\r\n"})
    row = _doc_row(corpus, "a.txt")
    assert row["text"] == "one\r\ntwo\r\n"
    assert row["char_count"] == 10
    assert row["line_count"] == 2
    assert row["title"] == "one"


def test_scan_cp1252_is_marked_guessed(scanned):
    corpus, _ = scanned({"a.txt": "“smart” quotes".encode("cp1252")})
    row = _doc_row(corpus, "a.txt")
    assert (row["state"], row["encoding"], row["encoding_guessed"]) == ("ok", "cp1252", 1)
    assert row["text"] == "“smart” quotes"
    assert corpus.document(row["id"]).encoding_guessed is True


def test_scan_binary_is_unreadable_not_a_crash(scanned):
    corpus, _ = scanned({"good.txt": "fine", "bad.txt": b"PK\x03\x04\x00\x00binary"})
    row = _doc_row(corpus, "bad.txt")
    assert row["state"] == "unreadable"
    assert "binary" in row["problem"]
    assert row["text"] is None
    summary = corpus.scan()  # and again: still counted, still no crash
    assert summary.unreadable == 1 and summary.unchanged == 1


def test_scan_summary_lists_binary_file(make_corpus, open_corpus):
    folder = make_corpus({"good.txt": "fine", "bad.txt": b"\x00\x01\x02"})
    summary = open_corpus(folder).scan()
    assert (summary.added, summary.unreadable) == (1, 1)
    assert len(summary.problems) == 1 and summary.problems[0].startswith("bad.txt: binary")


def test_scan_binary_via_cli_warns_and_succeeds(make_corpus, run_cli):
    folder = make_corpus({"good.txt": "fine", "bad.txt": b"\x00\x01\x02"})
    result = run_cli("scan", folder)
    assert result.exit_code == 0, result.output
    assert "1 added" in result.stdout and "1 unreadable" in result.stdout
    assert "warning: bad.txt: binary" in result.stderr


def test_scan_empty_file(scanned):
    corpus, _ = scanned({"empty.txt": b""})
    row = _doc_row(corpus, "empty.txt")
    assert (row["state"], row["char_count"], row["line_count"], row["title"]) == ("ok", 0, 0, None)
    assert row["text"] == ""


def test_unreadable_document_cannot_be_annotated(scanned):
    corpus, _ = scanned({"bad.txt": b"\x00abc"})
    doc = corpus.document_by_path("bad.txt")
    with pytest.raises(InvalidSpan):
        corpus.add_annotation(doc.id, 0, 1, "X")
    assert corpus.query("SELECT COUNT(*) AS n FROM spans")[0]["n"] == 0


def test_span_after_nul_beyond_sniff_window_quotes_the_text(scanned):
    corpus, _ = scanned({"a.txt": b"x" * 8100 + b"\x00hello world"})
    doc = corpus.document_by_path("a.txt")
    assert doc.state == "ok"
    span = corpus.add_annotation(doc.id, 8101, 8106, "X")
    assert corpus.query("SELECT quote FROM spans WHERE id = ?", [span.id])[0]["quote"] == "hello"


# -- per-file encoding override ---------------------------------------------------------


def test_set_encoding_override_redecodes(scanned):
    corpus, _ = scanned({"a.txt": "café".encode("utf-8")})
    with pytest.raises(InvalidValue, match=r"a.txt: the file is valid UTF-8 and latin-1 reads it otherwise; "
                                           r"the encoding was not changed \(--force sets it all the same\)"):
        corpus.set_encoding("a.txt", "latin-1")  # a new user's utf-16 made a clean page noise
    assert _doc_row(corpus, "a.txt")["encoding_override"] is None
    doc = corpus.set_encoding("a.txt", "latin-1", force=True)
    row = _doc_row(corpus, "a.txt")
    assert (row["encoding_override"], row["encoding"], row["encoding_guessed"]) == ("latin-1", "latin-1", 0)
    assert row["text"] == "cafÃ©" and doc.char_count == 5
    assert corpus.query("SELECT action FROM events WHERE action = 'document.encoding'")


def test_an_encoding_the_file_cannot_decode_with_or_unknown_is_refused_and_nothing_changes(scanned):
    corpus, _ = scanned({"a.txt": b"caf\xe9"})
    before = _doc_row(corpus, "a.txt")
    assert before["encoding"] == "cp1252"
    events = corpus.query("SELECT COUNT(*) AS n FROM events")
    with pytest.raises(InvalidValue, match=r"a.txt: not valid utf-8 at byte 3; the encoding was not changed"):
        corpus.set_encoding("a.txt", "utf-8")
    with pytest.raises(InvalidValue, match=r"a.txt: unknown encoding 'klingon'; the encoding was not changed"):
        corpus.set_encoding("a.txt", "klingon")
    assert _doc_row(corpus, "a.txt") == before and corpus.query("SELECT COUNT(*) AS n FROM events") == events
    assert before["state"] == "ok" and before["text"] == "café"


def test_an_encoding_that_makes_noise_of_an_8_bit_file_is_refused_unless_forced(scanned):
    """utf-16 read a cp1252 page as CJK-looking noise, exit 0, its spans gone stale."""
    page = "Caf\xe9 cr\xe8me, a line of text here.\nA second line, with words.\n".encode("cp1252")
    utf16 = "A page in UTF-16 without its BOM.\n".encode("utf-16-le")  # binary to the rules: needs it
    corpus, _ = scanned({"a.txt": page, "b.txt": utf16})
    with pytest.raises(InvalidValue, match=r"a.txt: read as utf-16 it has almost no spaces or line breaks "
                                           r"\(0%, against \d+% as cp1252\)"):
        corpus.set_encoding("a.txt", "utf-16")
    assert _doc_row(corpus, "a.txt")["encoding"] == "cp1252"
    assert corpus.set_encoding("a.txt", "latin-1").encoding == "latin-1"  # a plausible one is taken
    assert corpus.set_encoding("a.txt", "utf-16", force=True).encoding == "utf-16"
    assert corpus.set_encoding("b.txt", "utf-16-le").state == "ok"
    (corpus.folder / "a.txt").write_bytes(page[:11] + b"\x00" + page[12:])  # a stray NUL: binary to the rules
    with pytest.raises(InvalidValue, match=r"a.txt: read as utf-16-le it has almost no spaces .* as bytes\)"):
        corpus.set_encoding("a.txt", "utf-16-le")
    assert corpus.set_encoding("a.txt", "cp1252").encoding == "cp1252"


def test_the_override_of_a_missing_file_is_kept_for_its_return(scanned):
    corpus, folder = scanned({"a.txt": b"caf\xe9", "b.txt": b"other"})
    (folder / "a.txt").unlink()
    corpus.scan()
    with pytest.raises(InvalidValue, match="it is missing"):  # nothing can check it now
        corpus.set_encoding("a.txt", "latin-1")
    corpus.set_encoding("a.txt", "latin-1", force=True)
    assert _doc_row(corpus, "a.txt")["encoding_override"] == "latin-1"
    (folder / "a.txt").write_bytes(b"caf\xe9")
    corpus.scan()
    row = _doc_row(corpus, "a.txt")
    assert (row["state"], row["encoding"], row["text"]) == ("ok", "latin-1", "café")


def test_cli_set_encoding_unknown_is_one_line_and_changes_nothing(make_corpus, run_cli, run_main):
    folder = make_corpus({"a.txt": "naïve text".encode("utf-8")})
    assert run_cli("scan", folder).exit_code == 0
    result = run_main("set-encoding", folder, "a.txt", "klingon")
    assert_one_line_error(result, "a.txt: unknown encoding 'klingon'")
    stats = run_cli("stats", folder)
    assert "unreadable" not in stats.output, stats.output


def test_set_encoding_override_survives_rescan(scanned):
    corpus, folder = scanned({"a.txt": "café".encode("utf-8")})
    corpus.set_encoding("a.txt", "latin-1", force=True)
    (folder / "a.txt").write_bytes("café!".encode("utf-8"))
    corpus.scan()
    assert _doc_row(corpus, "a.txt")["text"] == "cafÃ©!"


def test_cli_set_encoding_and_clear(make_corpus, run_cli, open_corpus):
    folder = make_corpus({"a.txt": b"caf\xe9"})
    assert run_cli("scan", folder).exit_code == 0
    result = run_cli("set-encoding", folder, "a.txt", "latin-1")
    assert result.exit_code == 0, result.output
    assert "a.txt: decoded as latin-1" in result.stdout
    corpus = open_corpus(folder)
    row = _doc_row(corpus, "a.txt")
    assert (row["encoding_override"], row["encoding"], row["encoding_guessed"], row["text"]) == (
        "latin-1", "latin-1", 0, "café",
    )
    assert run_cli("set-encoding", folder, "a.txt").exit_code == 0
    row = _doc_row(corpus, "a.txt")
    assert (row["encoding_override"], row["encoding"], row["encoding_guessed"]) == (None, "cp1252", 1)


def test_cli_set_encoding_undecodable_is_one_line_error(make_corpus, run_cli, run_main, open_corpus):
    folder = make_corpus({"a.txt": b"caf\xe9"})
    assert run_cli("scan", folder).exit_code == 0
    result = run_main("set-encoding", folder, "a.txt", "utf-8")
    assert_one_line_error(result, "a.txt: not valid utf-8 at byte 3", "not changed")
    row = _doc_row(open_corpus(folder), "a.txt")  # refused: the document reads as before
    assert (row["state"], row["encoding_override"], row["encoding"]) == ("ok", None, "cp1252")


def test_cli_set_encoding_unknown_path_is_error(seeds_copy, run_cli):
    run_cli("scan", seeds_copy)
    result = run_cli("set-encoding", seeds_copy, "nope.txt", "latin-1")
    assert result.exit_code != 0
    assert isinstance(result.exception, DocumentNotFound)


def test_cli_set_encoding_says_how_many_spans_went_stale(make_corpus, run_cli, open_corpus):
    folder = make_corpus({"a.txt": "Copyright © 2017 The Site\n\nStory text.\n".encode("utf-8")})
    assert run_cli("scan", folder).exit_code == 0
    with open_corpus(folder) as corpus:
        corpus.mark_boilerplate(corpus.document_by_path("a.txt").id, 0, 25)
    refused = run_cli("set-encoding", folder, "a.txt", "utf-16")
    assert refused.exit_code != 0 and "valid UTF-8 and utf-16 reads it otherwise" in str(refused.exception)
    forced = run_cli("set-encoding", folder, "a.txt", "latin-1", "--force")
    assert forced.exit_code == 0
    assert forced.output.strip() == ("a.txt: decoded as latin-1; 1 span could not be re-anchored "
                                     "(place or drop it in the app: p)")


def test_cli_set_encoding_of_a_missing_file_is_refused_unless_forced(make_corpus, run_cli, run_main, open_corpus):
    """On a file gone from disk set-encoding said 'decoded as utf-8' (not what was asked), exit 0,
    and stored an override nothing had checked."""
    folder = make_corpus({"a.txt": b"Title\n\nbody\n", "b.txt": b"other\n"})
    assert run_cli("scan", folder).exit_code == 0
    (folder / "a.txt").unlink()
    assert run_cli("scan", folder).exit_code == 0
    refused = run_main("set-encoding", folder, "a.txt", "utf-16")
    assert_one_line_error(refused, "a.txt: it is missing, so utf-16 cannot be checked; the encoding was not changed")
    assert _doc_row(open_corpus(folder), "a.txt")["encoding_override"] is None
    forced = run_main("set-encoding", folder, "a.txt", "latin-1", "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout == "a.txt: missing from disk; it will be decoded as latin-1 at its next scan\n"
    (folder / "a.txt").write_bytes(b"caf\xe9\n")
    assert run_cli("scan", folder).exit_code == 0
    assert _doc_row(open_corpus(folder), "a.txt")["text"] == "café\n"
    (folder / "a.txt").unlink()  # gone since the last scan, which still says it is there
    unscanned = run_main("set-encoding", folder, "a.txt", "utf-16", "--force")
    assert unscanned.stdout == "a.txt: missing from disk; it will be decoded as utf-16 at its next scan\n"


def test_guesses_read_each_byte_as_well_as_they_can():
    """A cp1252 page with one byte cp1252 leaves undefined was read wholly as Latin-1 (its curly
    quotes, euro sign and dash became C1 controls), and a UTF-8 page with one bad byte became
    noise from start to end as cp1252, with no encoding to read it right (a review)."""
    page = decode(b"\x93Quoted\x94 price \x80 5 \x96 caf\xe9 \x81 end")
    assert (page.text, page.encoding, page.guessed) == ("“Quoted” price € 5 – café \x81 end", "cp1252", True)
    assert decode(b"\x81", "cp1252").text == "\x81"  # set-encoding cp1252 reads it the same way
    russian = ("Новости дня. В Мосуле продолжаются бои. " * 3).encode() + b"\xff" + " café".encode()
    damaged = decode(russian)
    assert damaged.text == ("Новости дня. В Мосуле продолжаются бои. " * 3) + "\ufffd café"
    assert (damaged.encoding, damaged.guessed, damaged.problem) == ("utf-8", True, "1 byte sequence not valid UTF-8, each shown as \ufffd")
    assert decode("café crème brûlée".encode("cp1252")).encoding == "cp1252"  # no multi-byte character: cp1252
    # set-encoding utf-8 on a file with its BOM: the BOM is no part of the text, as without it.
    assert decode(b"\xef\xbb\xbf---\ntitle: x\n---\nbody", "utf-8").text == "---\ntitle: x\n---\nbody"
    # UTF-32 without a BOM was told to try utf-8, which set-encoding then refused.
    text = "An article in UTF-32, as few tools write it.\n"
    assert "set-encoding FOLDER PATH utf-32-le reads it" in decode(text.encode("utf-32-le")).problem
    assert "set-encoding FOLDER PATH utf-32-be reads it" in decode(text.encode("utf-32-be")).problem


def test_a_markdown_page_opening_with_a_rule_keeps_its_first_paragraphs():
    from corpus_tui.core.front_matter import parse_front_matter

    page = "---\n\nWar in Mosul: day three\n\nThe fighting went on.\n\n---\n\nMore text.\n"
    assert parse_front_matter(page).body_start == 0 and parse_front_matter(page).problem is None
    assert parse_front_matter("---\n\ntitle: x\n---\nbody").meta == {"title": "x"}  # a blank line, still metadata
    assert parse_front_matter("---\ntitle: [x\n---\nbody").problem  # a broken block is still one


def test_a_file_with_a_bom_is_measured_as_its_bom_reads_it(scanned):
    """The check took every file with a NUL for binary before looking for a BOM, so UTF-16 with
    its BOM was measured as bytes, and utf-16-be on it (noise) was stored (a review)."""
    data = codecs.BOM_UTF16_LE + ("abcdefghijklmn\n" * 400).encode("utf-16-le")
    corpus, _ = scanned({"list.txt": data})
    with pytest.raises(InvalidValue, match="its byte-order mark says the other byte order"):
        corpus.set_encoding("list.txt", "utf-16-be")
    assert corpus.text(corpus.document_by_path("list.txt").id).startswith("abcdefghijklmn\n")


@pytest.mark.parametrize("text", ["The quick brown fox jumps over the lazy dog.\nA second line.\n" * 20,
                                  "Съешь же ещё этих мягких французских булок, да выпей чаю.\n" * 20])
def test_utf16_in_the_other_byte_order_is_refused_and_its_own_order_drops_its_mark(scanned, text):
    """Read in the other byte order, every space is U+2000, which str.isspace counts: the noise
    check passed, and utf-16-be noise was stored for a UTF-16-LE page with or without its BOM;
    and utf-16-le on a file with its BOM kept U+FEFF as the text's first character (a review)."""
    with_bom = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    corpus, _ = scanned({"bom.txt": with_bom, "plain.txt": text.encode("utf-16-le")})
    with pytest.raises(InvalidValue, match="its byte-order mark says the other byte order"):
        corpus.set_encoding("bom.txt", "utf-16-be")
    with pytest.raises(InvalidValue, match="almost no spaces or line breaks"):
        corpus.set_encoding("plain.txt", "utf-16-be")
    corpus.set_encoding("bom.txt", "utf-16-le")
    assert corpus.text(corpus.document_by_path("bom.txt").id) == text
