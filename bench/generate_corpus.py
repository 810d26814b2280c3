"""Write a synthetic corpus of web-scraped-article-like documents for benchmarks.

    python bench/generate_corpus.py OUT_DIR [--docs N] [--seed S]

N documents (default 100,000) of a few KB each (2-4 KB, about 3 KB on average)
spread over 100 leaf folders ``site_NN/YEAR/``. Most are ``.txt``; about one in
ten is ``.md`` with YAML front matter (title, source, date). Each document has
a title line, a byline, a few paragraphs of seeded pseudo-text and repeated
boilerplate from a small fixed set (navigation lines, donation appeals,
copyright disclaimers, "Comments are closed.", a stray serialized JSON blob),
the way scraped articles do.

The bytes vary the way real scrapes do: about 3% of files have CRLF line
endings, about 2% start with a UTF-8 BOM, and a handful (about 0.2%, never
fewer than 3 for N >= 100) are Windows-1252 with 0x93/0x94 smart quotes.
Everything else is UTF-8, some of it non-ASCII.

The output depends only on N and the seed (file mtimes aside). A hidden
``.generated.json`` marker records the parameters and counts so a benchmark
can reuse a folder instead of regenerating it; hidden files are not documents
(corpus-tui skips them, and it matches neither *.txt nor *.md).

Importable: ``generate(out_dir, docs, seed)``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 1
MARKER = ".generated.json"

SITES = 25
YEARS = (2014, 2015, 2016, 2017)  # 25 sites x 4 years = 100 leaf folders
MD_SHARE = 0.10
CRLF_SHARE = 0.03
BOM_SHARE = 0.02
CP1252_SHARE = 0.002
MIN_SIZE, MAX_SIZE = 1900, 3700  # target size (the last paragraph overshoots it): 2-4 KB, ~3 KB mean

_BASE_WORDS = """
the of and to in a is that for it as was with be by on not he this are or his
from at which but have an they you were her she there been one all we their
has would when if so no will more out up into do any your what some can only
other new time could about than people first over after also years two made
government said state president minister police security military forces war
report reports officials official city country countries region regional local
national international public political policy economic economy market markets
company companies bank banks money price prices oil energy water health care
hospital school students university research study data information media news
press journalist journalists article story week month year today yesterday
monday tuesday wednesday thursday friday saturday sunday morning evening night
attack attacks killed wounded fighters troops army navy border crisis conflict
peace talks agreement deal trade tax taxes budget debt growth jobs workers
union strike protest protests protesters election elections vote voters party
parties campaign candidate candidates court judge law laws rights human freedom
social community family children women men young old life death water food
climate change weather storm flood fire power electricity network internet
online digital technology phone users service services program programs plan
plans project projects support against between during under while before since
because however although despite according several many most few much less
large small major minor high low long short early late recent former current
local federal central northern southern eastern western new old united states
european union russia china india africa europe america asia middle east
south north west east capital village town district province area areas
council committee members member leader leaders spokesman statement
announced confirmed denied claimed warned called asked told says say
including following amid across around within without toward towards along
""".split()

_SYLLABLES = (
    "ka ri mo sa le ta ne vo pu di an el or um is ba co de fi ga hu jo ki lu ma "
    "ni po qu ra se ti ur ve wa xi yo zu bra cle dri fro gla pre sti tro"
).split()

_FIRST_NAMES = "John Maria Ahmed Li Olga Pierre Sara David Fatima Ivan Ana Kenji Laura Omar Chen".split()
_LAST_NAMES = "Smith Petrova Haddad Wang Dubois Garcia Novak Tanaka Rossi Okafor Jensen Cohen Silva".split()
_SECTIONS = "News Politics World Economy Opinion Sports Culture Science Health Environment".split()
_MONTHS = "January February March April May June July August September October November December".split()

# Repeated boilerplate, a small fixed set; {site} / {year} / {n} are filled per document.
_NAVIGATION = (
    "Home | News | Politics | World | Economy | Opinion | Contact",
    "Skip to content\nMenu\nSearch",
    "Home » {section} » {year}",
    "You are here: Home / {section} / Article",
    "Share this: Facebook Twitter Email Print WhatsApp",
)
_DONATION = (
    "Support independent journalism — donate now. Our work wouldn't be possible "
    "without readers like you. Every contribution, however big or small, keeps "
    "{site} free and independent.",
    "If you're able, and if you like our content and approach, please support the "
    "project. Donate via PayPal or become a patron: https://{host}/donate/",
    "Become a Member of {site}. Members read without ads and support our reporters.",
)
_COPYRIGHT = (
    "Copyright © {year} {site}. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed.",
    "Disclaimer: The contents of this article are of sole responsibility of the "
    "author(s). {site} will not be responsible for any inaccurate or incorrect "
    "statement in this article. {site} grants permission to cross-post articles "
    "on community internet sites as long the source and copyright are "
    "acknowledged together with a hyperlink to the original article.",
    "The original source of this article is {site}\nCopyright © {site}, {year}",
)
_TRAILERS = (
    "Comments are closed.",
    "Related posts:",
    "Subscribe to our newsletter to get the latest stories in your inbox.",
    "We use cookies to ensure that we give you the best experience on our website.",
    "Tags: {section}",
)


def _json_blob(rng: random.Random) -> str:
    """A PHP var_dump of a JSON string, leaked into the page: string(949) "[{\\"id\\":...}]"."""
    items = [
        {"id": str(1880000 + rng.randrange(10000)), "title": "Untitled", "status": "publish",
         "type": "post", "link": "", "order": str(k)}
        for k in range(rng.randint(2, 5))
    ]
    raw = json.dumps(items, separators=(",", ":"))
    escaped = raw.replace('"', '\\"')
    return f'string({len(raw.encode())}) "{escaped}"'


def _vocabulary() -> tuple[list[str], list[float]]:
    """A fixed vocabulary (independent of the seed) with Zipf-like cumulative weights."""
    rng = random.Random(1234567)
    words = list(dict.fromkeys(_BASE_WORDS))
    extra = set(words)
    while len(words) < 6000:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in extra:
            extra.add(word)
            words.append(word)
    words += ["naïve", "café", "résumé", "Zürich", "São", "Ελλάδα", "Москва", "北京"]
    cumulative, total = [], 0.0
    for rank in range(len(words)):
        total += 1.0 / (rank + 1.5)
        cumulative.append(total)
    return words, cumulative


class _Writer:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.words, self.cum = _vocabulary()
        # A pool of sentences makes generation fast (about 25 pool picks per
        # document instead of 500 word picks); unique titles, bylines, numbers
        # and URLs keep every document's bytes distinct.
        self.sentences = [self._sentence() for _ in range(30000)]

    def _sentence(self) -> str:
        rng = self.rng
        words = rng.choices(self.words, cum_weights=self.cum, k=rng.randint(8, 28))
        if rng.random() < 0.15:
            words.insert(rng.randrange(len(words)), f"{rng.randint(2, 1999):,}")
        if rng.random() < 0.08:
            at = rng.randrange(len(words) - 1)
            words[at] = "“" + words[at]
            words[at + 1] = words[at + 1] + "”"
        if rng.random() < 0.05:
            words.insert(rng.randrange(len(words)), "—")
        if rng.random() < 0.10:
            at = rng.randrange(len(words) - 1)
            words[at] = words[at] + ","
        text = " ".join(words)
        text = text[0].upper() + text[1:]
        return text + rng.choice(".....?!")

    def title(self) -> str:
        rng = self.rng
        words = rng.choices(self.words[:800], k=rng.randint(4, 11))
        return " ".join(w.capitalize() if rng.random() < 0.6 else w for w in words)

    def paragraph(self) -> str:
        return " ".join(self.rng.choices(self.sentences, k=self.rng.randint(2, 6)))


def _site_boilerplate(site: int) -> dict[str, Any]:
    """Each site repeats its own choice of boilerplate in every article."""
    rng = random.Random(f"site-{site}")
    return {
        "name": rng.choice(["The", "Daily", "Global", "Free", "Independent"]) + " "
        + rng.choice(["Observer", "Report", "Herald", "Research", "Voice", "Front", "Tribune"]),
        "host": f"site{site:03d}.example.com",
        "nav": rng.sample(range(len(_NAVIGATION)), 2),
        "donation": rng.randrange(len(_DONATION)),
        "copyright": rng.sample(range(len(_COPYRIGHT)), 2),
        "trailers": rng.sample(range(len(_TRAILERS)), 2),
        "json_share": rng.choice([0.0, 0.0, 0.05, 0.2]),
    }


def _document(w: _Writer, index: int, site: int, year: int, bp: dict[str, Any]) -> tuple[str, str, bool]:
    """Return (file stem, text, is_markdown) for one document."""
    rng = w.rng
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    section = rng.choice(_SECTIONS)
    title = w.title()
    slug = "-".join(title.lower().split()[:6])
    url = f"https://{bp['host']}/{year}/{month:02d}/{slug}-{index}"
    fill = {"site": bp["name"], "host": bp["host"], "year": year, "section": section}
    markdown = rng.random() < MD_SHARE

    parts: list[str] = []
    if markdown:
        parts.append(
            f'---\ntitle: "{title}"\nsource: {url}\ndate: {year}-{month:02d}-{day:02d}\n'
            f"section: {section}\n---"
        )
    parts += [_NAVIGATION[k].format(**fill) for k in bp["nav"]]
    parts.append(f"# {title}" if markdown else title)
    author = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
    parts.append(f"By {author}")
    parts.append(f"{bp['name']}, {_MONTHS[month - 1]} {day:02d}, {year}")

    target = rng.randint(MIN_SIZE, MAX_SIZE)
    tail = [_DONATION[bp["donation"]].format(**fill)]
    tail += [_COPYRIGHT[k].format(**fill) for k in bp["copyright"]]
    tail += [_TRAILERS[k].format(**fill) for k in bp["trailers"] if rng.random() < 0.7]
    if rng.random() < bp["json_share"]:
        tail.insert(rng.randrange(len(tail) + 1), _json_blob(rng))
    used = sum(len(p) + 2 for p in parts) + sum(len(p) + 2 for p in tail)
    body: list[str] = []
    while used < target or len(body) < 2:
        paragraph = w.paragraph()
        body.append(paragraph)
        used += len(paragraph) + 2
    if len(body) > 3 and rng.random() < 0.3:  # a mid-article appeal, as many sites do
        body.insert(rng.randrange(1, len(body)), _DONATION[bp["donation"]].format(**fill))
    text = "\n\n".join(parts + body + tail) + "\n"
    stem = f"{index:06d}_{rng.getrandbits(64):016x}"
    return stem, text, markdown


def _cp1252_bytes(text: str) -> bytes:
    """Windows-1252 with curly quotes (0x93/0x94, 0x91/0x92); no UTF-8 reading is possible."""
    text = text.replace(" the ", " “the” ", 3) + "‘Quoted’ in the original: “café” — naïve.\n"
    return text.encode("cp1252", errors="replace")


def generate(out_dir: Path, docs: int, seed: int = 0) -> dict[str, Any]:
    """Write ``docs`` documents into ``out_dir`` and return the marker's figures.

    ``out_dir`` must be missing, empty, or a folder this function generated
    before (it is then removed and rewritten); anything else is refused.
    """
    out_dir = Path(out_dir)
    if out_dir.exists():
        if (out_dir / MARKER).exists():
            shutil.rmtree(out_dir)
        elif any(out_dir.iterdir()):
            raise SystemExit(f"{out_dir}: not empty and not a generated corpus; refusing to write into it")
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    writer = _Writer(seed)
    leaves = [(site, year) for site in range(SITES) for year in YEARS]
    boilerplate = {site: _site_boilerplate(site) for site in range(SITES)}
    for site, year in leaves:
        (out_dir / f"site_{site:02d}" / str(year)).mkdir(parents=True, exist_ok=True)
    # Choose the cp1252 files up front so even small corpora get a few.
    rng = writer.rng
    cp1252_count = max(3, round(docs * CP1252_SHARE)) if docs >= 100 else 0
    cp1252_docs = set(rng.sample(range(docs), cp1252_count))
    counts = {"txt": 0, "md": 0, "crlf": 0, "bom": 0, "cp1252": 0}
    total_bytes = 0
    for index in range(docs):
        # Contiguous runs per folder: writing round-robin across 100 folders is
        # about 6x slower on ext4 (every file dirties another block group).
        site, year = leaves[index * len(leaves) // docs]
        stem, text, markdown = _document(writer, index, site, year, boilerplate[site])
        if index in cp1252_docs:
            data = _cp1252_bytes(text)
            counts["cp1252"] += 1
        else:
            roll = rng.random()
            if roll < CRLF_SHARE:
                text = text.replace("\n", "\r\n")
                counts["crlf"] += 1
            data = text.encode("utf-8")
            if CRLF_SHARE <= roll < CRLF_SHARE + BOM_SHARE:
                data = b"\xef\xbb\xbf" + data
                counts["bom"] += 1
        suffix = ".md" if markdown else ".txt"
        counts[suffix[1:]] += 1
        with open(out_dir / f"site_{site:02d}" / str(year) / (stem + suffix), "wb") as handle:
            handle.write(data)
        total_bytes += len(data)
    figures = {
        "generator_version": GENERATOR_VERSION,
        "docs": docs,
        "seed": seed,
        "bytes": total_bytes,
        "counts": counts,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out_dir / MARKER).write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def read_marker(out_dir: Path) -> dict[str, Any] | None:
    """The figures of a folder ``generate`` finished writing, else None."""
    try:
        return json.loads((Path(out_dir) / MARKER).read_text())
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, help="folder to write (must be missing, empty, or generated before)")
    parser.add_argument("--docs", type=int, default=100_000, help="number of documents (default 100000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.docs < 1:
        parser.error("--docs must be at least 1")
    figures = generate(args.out_dir, args.docs, args.seed)
    c = figures["counts"]
    print(
        f"{args.out_dir}: {figures['docs']} documents, {figures['bytes'] / 2**20:.1f} MiB "
        f"({c['txt']} .txt, {c['md']} .md; {c['crlf']} CRLF, {c['bom']} BOM, {c['cp1252']} cp1252) "
        f"in {figures['seconds']:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
