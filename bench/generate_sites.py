"""Write a labelled synthetic web-scraped corpus for measuring repeated-passage detection.

    python bench/generate_sites.py OUT [--docs N] [--sites S] [--seed K]

N documents (default 100,000) from S site templates (default 40), one folder per
site (``OUT/site-NN/``, on some sites ``OUT/site-NN/YEAR/``), about ten non-blank
lines each. Every site has its own boilerplate around the articles (navigation,
bylines, "Share this:" blocks, donation appeals, copyright and disclaimer
footers, comment widgets, related links, cookie banners, newsletter boxes,
serialized widget blobs, tag lines, author boxes); some of it is shared by
several sites (a share widget, a cookie plugin, a comment form, a syndication
footer). Copies vary as scraped copies do: numbers and dates, curly or straight
quotes and dashes, NBSP or space, escaped HTML entities, an ellipsis character
or three dots, heading case, markdown link targets.

Article bodies come from a grammar over a fixed vocabulary, so content lines are
not repeated across documents, except: about 1% of articles are reposted
verbatim on a second site (title and body in exactly two documents: content),
and common short phrases ("according to officials") recur inside longer lines.

About a third of the sites write Markdown with YAML front matter (``title``,
``url``, and ``source`` or ``site`` on some); the rest plain text with no
metadata, so a document's source is its front matter's ``source``/``site``,
else its ``url``'s host, else its top-level folder.

``OUT/gold.jsonl`` labels every non-blank line outside the front matter, one
line per document: ``{"path", "site", "source", "boilerplate_lines",
"boilerplate_kinds", "content_lines"}`` (1-based line numbers of the file;
``boilerplate_kinds`` parallel to ``boilerplate_lines``; ``"repost"`` names the
other copy of a reposted article). About 2% of files have CRLF line endings and
1% a UTF-8 BOM; everything is UTF-8.

The output depends only on N, S and the seed (file mtimes aside), and is
streamed: memory does not grow with N. A hidden ``.generated.json`` records the
parameters, counts and the boilerplate ceiling (the share of boilerplate lines
whose passage, normalized as issue 11 specifies, is in at least 20 documents).

Importable: ``generate_sites(out, docs, sites, seed)``.
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import json
import random
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 1
MARKER = ".generated.json"
GOLD = "gold.jsonl"
REPOST_SHARE = 0.01  # of articles, each reposted once on another site
CRLF_SHARE = 0.02
BOM_SHARE = 0.01
CEILING_MIN_DOCS = 20  # issue 11's target: mark everywhere every passage in >= 20 documents
LAST_YEAR = 2019

# -- vocabulary: fixed, independent of the seed ---------------------------------------------------

_NOUNS = """
official minister government council committee report study survey agency ministry company firm
bank market economy budget deficit tax tariff plan proposal policy law bill court judge election
vote campaign party candidate coalition parliament senate governor mayor city town village region
province border army soldier officer police protest strike union worker employer farmer teacher
student school university hospital doctor nurse patient vaccine virus outbreak drought flood storm
fire harvest river bridge road railway port airport pipeline reactor plant factory mine project
contract investor price rate loan debt fund grant program scheme reform investigation inquiry
trial verdict sentence prison journalist newspaper broadcaster website platform network phone
scientist researcher experiment sample species forest coast island mountain valley lake emission
grid battery engine vehicle truck ferry flight passenger tourist museum festival film album concert
team match season coach player league stadium ticket refinery warehouse exporter supplier tenant
landlord pension subsidy quota license permit ceasefire convoy checkpoint refugee shelter clinic
""".split()
_ADJECTIVES = """
new local national regional federal former senior private public small large major minor early
late recent annual monthly weekly independent foreign domestic rural urban coastal northern
southern eastern western central economic political social environmental financial legal military
medical technical cultural historic controversial unexpected sharp modest significant temporary
permanent emergency joint rival leading struggling ambitious costly fragile crowded remote
disputed delayed revised interim landmark unpopular popular secret surprise bitter lengthy
""".split()
_VERBS = """
approve reject announce criticize launch suspend delay expand review block defend question support
oppose propose confirm deny investigate sign cancel fund close open restore replace extend
challenge welcome condemn postpone inspect raise lower target dismiss appoint reduce increase
approach finance revive protect reverse negotiate complete
""".split()
_IRREGULAR = {
    "hold": "held", "win": "won", "lose": "lost", "build": "built", "buy": "bought", "bring": "brought",
    "begin": "began", "seek": "sought", "lead": "led", "cut": "cut", "set": "set", "sell": "sold",
    "meet": "met", "draw": "drew", "take": "took", "make": "made",
}
_REPORTING = "said warned argued added noted insisted explained acknowledged claimed stressed".split()
_ADVERBS = """sharply quietly reportedly recently initially eventually repeatedly largely narrowly formally
publicly briefly""".split()
_PREPOSITIONS = "in near across outside around beyond along inside".split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTHS = "January February March April May June July August September October November December".split()
_FIRST = """
Maria Ahmed Li Olga Pierre Sara David Fatima Ivan Ana Kenji Laura Omar Chen Amara Tomas Ingrid
Rahul Yusuf Elena Marek Nadia Diego Hana Kwame Sofia Arjun Leila Mateo Greta Jonas Aisha Pavel
Lucia Emre Noor Felix Ines Kofi Mira Samir Zofia Andre Priya Bruno Yara Nikos Dalia Tariq Elif
""".split()
_LAST = """
Smith Petrova Haddad Wang Dubois Garcia Novak Tanaka Rossi Okafor Jensen Cohen Silva Kowalski
Mensah Ibrahim Larsen Moreau Castillo Nakamura Horvat Bauer Kaya Osei Varga Lindqvist Duarte
Aziz Fischer Popescu Sato Brennan Morales Nilsen Abadi Kovac Reyes Hughes Mbeki Sorensen Vidal
""".split()
_ORG_KINDS = """
City Council|Chamber of Commerce|Port Authority|Teachers' Union|Health Ministry|Water Board|
Farmers' Association|Court of Appeal|Election Commission|Central Bank|Transport Department|
Audit Office|Energy Regulator|Fisheries Agency|Housing Trust|Statistics Office|Border Agency
""".replace("\n", "").split("|")
_ROLES = "spokesperson|director|chair|deputy head|senior adviser|chief economist|press officer|lawyer".split("|")
# Common short phrases (trap b): in thousands of bodies, always inside a longer line.
_OPENERS = (
    "According to officials,", "In a statement on {weekday},", "At the time of writing,",
    "For the first time since {year},", "As reported earlier,", "Earlier this {period},",
    "Despite the objections,", "In a separate development,",
)
_CLOSERS = (
    "local media reported", "sources familiar with the matter said", "the spokesperson said",
    "it was not immediately clear why", "officials said on {weekday}", "according to the latest figures",
)
_SYLLABLES = """ka ri mo sa le ta ne vo pu di an el or um ba co de fi ga hu jo ki lu ma ni po ra se ti ur ve wa zu
bra dri fro gla pre sti tro""".split()
_PLACE_ENDS = ("", "", "", "a", "ia", "ovo", "grad", "port", "ville", "stad", "ton", "abad")


def _plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def _past(verb: str) -> str:
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def _a(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _third(verb: str) -> str:
    return _plural(verb)  # the same spelling rules: approves, finances, denies, reaches


def _places() -> list[str]:
    rng = random.Random(20170708)
    names: dict[str, None] = {}
    while len(names) < 400:
        stem = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
        names[(stem + rng.choice(_PLACE_ENDS)).capitalize()] = None
    return list(names)


_PLACES = _places()
_VERBS += list(_IRREGULAR)
_PAST = {verb: _past(verb) for verb in _VERBS}


class Prose:
    """Article text from a small grammar: noun phrases, clauses, quotes, numbers, names.

    Clauses combine hundreds of words, 400 places and 2,000 names, so two paragraphs
    (or titles) do not coincide by chance, not even with digits made one class
    (checked at 100,000 documents); only the short phrases of ``_OPENERS`` and
    ``_CLOSERS`` recur, and always inside a longer sentence.
    """

    def __init__(self, rng: random.Random, smart: bool = False):
        self.rng = rng
        self.open_q, self.close_q, self.apostrophe = ("“", "”", "’") if smart else ('"', '"', "'")

    def person(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"

    def org(self) -> str:
        return f"the {self.rng.choice(_PLACES)} {self.rng.choice(_ORG_KINDS)}".replace("'", self.apostrophe)

    def number(self) -> str:
        rng = self.rng
        kind = rng.randrange(4)
        if kind == 0:
            return f"{rng.randint(2, 95)} percent"
        if kind == 1:
            return f"${rng.randint(2, 900)} million"
        if kind == 2:
            return f"{rng.randint(120, 98000):,}"
        return f"{rng.randint(3, 60)}"

    def noun_phrase(self, plural: bool = False) -> str:
        rng = self.rng
        noun = rng.choice(_NOUNS)
        roll = rng.random()
        if plural:
            amount = rng.choice(("several", "many", "some", "dozens of", f"{rng.randint(3, 9000):,}"))
            head = f"{amount} {rng.choice(_ADJECTIVES)} {_plural(noun)}"
        elif roll < 0.35:
            head = f"the {rng.choice(_ADJECTIVES)} {noun}"
        elif roll < 0.6:
            adjective = rng.choice(_ADJECTIVES)
            head = f"{_a(adjective)} {adjective} {noun}" if rng.random() < 0.5 else f"the {noun}"
        elif roll < 0.8:
            head = self.org()
        else:
            head = f"the {noun} of {rng.choice(_PLACES)}"
        if rng.random() < 0.15:
            head += f" {rng.choice(_PREPOSITIONS)} {rng.choice(_PLACES)}"
        return head

    def when(self) -> str:
        rng = self.rng
        kind = rng.randrange(5)
        if kind == 0:
            return f"on {rng.choice(_WEEKDAYS)}"
        if kind == 1:
            return f"in {rng.choice(_MONTHS)}"
        if kind == 2:
            return f"last {rng.choice(('week', 'month', 'year', 'spring', 'autumn'))}"
        if kind == 3:
            return f"in {rng.randint(1998, LAST_YEAR)}"
        span = f"{rng.randint(2, 40)} {rng.choice(('days', 'weeks', 'months'))}"
        return f"after {span} of {rng.choice(('talks', 'delays', 'protests', 'hearings'))}"

    def clause(self) -> str:
        rng = self.rng
        subject = self.person() if rng.random() < 0.2 else self.noun_phrase(plural=rng.random() < 0.25)
        verb = _PAST[rng.choice(_VERBS)]
        adverb = f"{rng.choice(_ADVERBS)} " if rng.random() < 0.2 else ""
        tail = f" {self.when()}" if rng.random() < 0.6 else ""
        return f"{subject} {adverb}{verb} {self.noun_phrase(plural=rng.random() < 0.2)}{tail}"

    def _fill(self, phrase: str) -> str:
        return phrase.format(
            weekday=self.rng.choice(_WEEKDAYS), year=self.rng.randint(1990, LAST_YEAR),
            period=self.rng.choice(("week", "month", "year")),
        )

    def sentence(self, alone: bool = False) -> str:
        """One sentence; ``alone`` (a paragraph of its own) leaves out the figures template, whose
        lines differ only in their numbers and would repeat once digits are one class."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.12:
            quote = self.clause()
            text = (f"{self.open_q}{quote[0].upper()}{quote[1:]},{self.close_q} {self.person()}, "
                    f"{rng.choice(_ROLES)} of {self.org()}, {rng.choice(_REPORTING)}")
        elif kind < 0.25:
            text = f"{self.noun_phrase()} {rng.choice(_REPORTING)} that {self.clause()}"
        elif kind < 0.35:
            text = f"{self.clause()}, but {self.clause()}"
        elif kind < 0.43 and not alone:
            text = (f"{self.noun_phrase()} {rng.choice(('rose', 'fell', 'grew', 'dropped'))} by {rng.randint(2, 60)} "
                    f"percent to {self.number()} {self.when()}")
        else:
            text = self.clause()
        if rng.random() < 0.18:
            text = f"{self._fill(rng.choice(_OPENERS))} {text}"
        if rng.random() < 0.12:
            text += f", {self._fill(rng.choice(_CLOSERS))}"
        return text[0].upper() + text[1:] + rng.choice(".........!")

    def paragraph(self, sentences: int) -> str:
        if sentences == 1:
            return self.sentence(alone=True)
        return " ".join(self.sentence() for _ in range(sentences))

    def title(self) -> str:
        rng = self.rng
        subject = rng.choice((rng.choice(_PLACES), self.org()[4:], self.person()))
        verb = _third(rng.choice(_VERBS))
        obj = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        extra = rng.choice((f" {self.when()}", f" as {self.noun_phrase()} {_PAST[rng.choice(_VERBS)]}",
                            f" in {rng.choice(_PLACES)}", ""))
        words = f"{subject} {verb} {obj}{extra}".split()
        if rng.random() < 0.6:  # headline case
            words = [w if w in ("of", "the", "in", "as", "a", "on", "to") else w[0].upper() + w[1:] for w in words]
        text = " ".join(words)
        return text[0].upper() + text[1:]


@dataclass(frozen=True)
class Article:
    title: str
    lede: str | None
    paragraphs: tuple[str, ...]


def make_article(seed: int, index: int) -> Article:
    """The article with this index: a pure function, so a repost is the original regenerated."""
    rng = random.Random(f"{seed}/article/{index}")
    prose = Prose(rng, smart=rng.random() < 0.4)
    title = prose.title()
    lede = prose.sentence(alone=True) if rng.random() < 0.25 else None
    count = rng.choice((3, 3, 4, 4, 5))
    paragraphs = tuple(prose.paragraph(rng.choice((1, 2, 2, 3, 3, 4))) for _ in range(count))
    return Article(title, lede, paragraphs)


# -- how a copy is printed -------------------------------------------------------------------------

# Boilerplate templates are written canonically: straight quotes, "—" for a dash, "\xa0" where a
# page may print a no-break space, "&" where it may print "&amp;", "…" for an ellipsis. ``Style``
# turns them into one page's spelling; ``passage_key`` is what issue 11's normalization should see.


class Raw(str):
    """A boilerplate line printed as is (serialized widgets): no quote or dash styling."""


@dataclass(frozen=True)
class Style:
    smart: bool = False
    dash: str = "—"
    space: str = " "  # how "\xa0" is printed: " ", "\xa0" or "&nbsp;"
    escape_amp: bool = False
    ellipsis: str = "…"

    def apply(self, line: str) -> str:
        if isinstance(line, Raw):
            return str(line)
        if self.escape_amp:
            line = line.replace("&", "&amp;")
        if self.smart:
            line = line.replace("'", "’")
            parts = line.split('"')
            line = "".join(p + ("“" if i % 2 == 0 else "”") for i, p in enumerate(parts[:-1])) + parts[-1]
        return line.replace("—", self.dash).replace("\xa0", self.space).replace("…", self.ellipsis)


_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_DIGITS = re.compile(r"\d+")


def passage_key(line: str) -> str:
    """A canonical template line as issue 11's normalization would print it: case folded, digit
    runs one class, link targets gone, whitespace collapsed. Used only for the ceiling figure."""
    line = _LINK_TARGET.sub("]()", line.replace("\xa0", " "))
    return " ".join(_DIGITS.sub("0", line).casefold().split())


# -- sites --------------------------------------------------------------------------------------------

_NAME_FIRST = """Northern Daily Free Global Independent Coastal Evening Morning Open Civic Frontier Metro Valley
Harbor Capital Prairie Atlantic Pacific Alpine Union Lakeside Highland""".split()
_NAME_SECOND = """Ledger Observer Herald Tribune Dispatch Chronicle Gazette Courier Sentinel Review Post Monitor
Bulletin Record Voice Journal Examiner Register Times Report""".split()
_SECTIONS = """News World Politics Economy Business Opinion Culture Science Health Environment Sport Technology
Local Analysis""".split()
_TAG_WORDS = """elections budget protests energy health courts housing transport climate trade education security
farming media""".split()


@dataclass
class Site:
    n: int
    folder: str
    host: str
    name: str
    markdown: bool
    front: str  # markdown front matter: "source", "site" or "url" (the url's host is the source)
    year_folders: bool
    dense: bool  # boilerplate blocks one line apart, as html-text dumps print them
    first_year: int
    authors: list[str]
    sections: list[str]
    tags: list[str]
    header: list[tuple[str, float]]  # component name, share of documents that print it
    footer: list[tuple[str, float]]
    mid: tuple[str, float] | None  # printed between two body paragraphs
    choice: dict[str, Any]  # each component's template choices for this site
    smart_share: float
    nbsp_share: float
    amp_share: float
    dashes: str
    era_case: list[str]  # heading case per era of the site's archive: "title", "upper", "sentence"

    @property
    def source(self) -> str:
        if self.markdown and self.front in ("source", "site"):
            return self.name
        if self.markdown:
            return self.host
        return self.folder


def _site_name_pairs(seed: int, count: int) -> list[str]:
    pairs = [f"The {a} {b}" for a in _NAME_FIRST for b in _NAME_SECOND]
    random.Random(f"{seed}/names").shuffle(pairs)
    while len(pairs) < count:  # more sites than names: number the rest
        round_ = len(pairs) // (len(_NAME_FIRST) * len(_NAME_SECOND)) + 1
        pairs += [f"{p} {round_}" for p in pairs[: count - len(pairs)]]
    return pairs[:count]


# Networks: boilerplate shared by the sites that chose it (a share plugin, a cookie plugin, a
# syndication deal; WordPress's comment form is a comments choice).
_NETWORKS = {
    "share": ("jetpack", "addtoany"),
    "cookies": ("gdpr", "consent"),
    "syndication": ("wire", "commons"),
}


def make_site(seed: int, n: int, name: str) -> Site:
    rng = random.Random(f"{seed}/site/{n}")
    markdown = rng.random() < 0.33
    pick = rng.random
    header: list[tuple[str, float]] = [("navigation", 1.0)]
    if pick() < 0.2:
        header.append(("cookies", 1.0))
    footer: list[tuple[str, float]] = []
    for component, share, chance in (
        ("share", rng.choice((0.8, 1.0)), 0.4), ("author", 1.0, 0.1), ("tags", 0.7, 0.06),
        ("pager", 1.0, 0.04), ("donation", rng.choice((0.6, 1.0)), 0.35), ("related", 0.9, 0.15),
        ("newsletter", 0.5, 0.15), ("comments", rng.choice((0.7, 1.0)), 0.3),
        ("widget", rng.choice((0.1, 0.3)), 0.25),
        ("syndication", 1.0, 0.15), ("disclaimer", 1.0, 0.25), ("copyright", 1.0, 0.8),
    ):
        if pick() < chance:
            footer.append((component, share))
    mid = ("donation", 0.3) if any(c == "donation" for c, _ in footer) and pick() < 0.3 else None
    choice = {
        "navigation": rng.choice((0, 0, 1, 2, 3, 3)), "byline": rng.randrange(4),
        "share": rng.choice(_NETWORKS["share"] + ("own", "own")), "cookies": rng.choice(_NETWORKS["cookies"]),
        "comments": rng.choice(("wordpress", "login", "closed", "count")),
        "syndication": rng.choice(_NETWORKS["syndication"]), "donation": rng.randrange(4), "related": rng.randrange(3),
        "newsletter": rng.randrange(2), "widget": rng.choice(("php", "var_dump")), "copyright": rng.randrange(3),
        "breadcrumb_title": pick() < 0.25, "menu": rng.sample(_SECTIONS, rng.randint(4, 7)),
    }
    return Site(
        n=n, folder=f"site-{n:02d}", host=f"site-{n:02d}.example", name=name, markdown=markdown,
        front=rng.choice(("source", "source", "site", "url")), year_folders=pick() < 0.25, dense=pick() < 0.4,
        first_year=rng.randint(2012, 2016), authors=[Prose(rng).person() for _ in range(rng.randint(3, 9))],
        sections=rng.sample(_SECTIONS, 5), tags=rng.sample(_TAG_WORDS, 10), header=header, footer=footer, mid=mid,
        choice=choice, smart_share=rng.choice((0.0, 0.3, 0.7, 1.0)), nbsp_share=rng.choice((0.0, 0.2, 0.5)),
        amp_share=rng.choice((0.0, 0.0, 0.1)), dashes=rng.choice(("—", "—-", "–-", "—–-")),
        era_case=[rng.choice(("title", "title", "upper", "sentence")) for _ in range(3)],
    )


def make_sites(seed: int, count: int) -> list[Site]:
    names = _site_name_pairs(seed, count)
    return [make_site(seed, n, names[n]) for n in range(count)]


def site_sizes(seed: int, docs: int, count: int) -> list[int]:
    """Documents per site: uneven (Zipf-like weights, shuffled), summing to ``docs``."""
    weights = [1.0 / (k + 4) ** 0.7 for k in range(count)]
    random.Random(f"{seed}/sizes").shuffle(weights)
    total = sum(weights)
    raw = [docs * w / total for w in weights]
    sizes = [int(r) for r in raw]
    for k in sorted(range(count), key=lambda k: sizes[k] - raw[k])[: docs - sum(sizes)]:
        sizes[k] += 1
    return sizes


# -- one page --------------------------------------------------------------------------------------

Block = list[str]  # consecutive lines of one component (template form; see Style)


@dataclass
class Page:
    site: Site
    index: int
    rng: random.Random
    pos: float  # where the document sits in its site's archive, 0..1
    date: datetime.date
    article: Article
    author: str
    section: str
    url: str
    previous_title: str | None
    seed: int

    @property
    def era(self) -> int:
        return min(len(self.site.era_case) - 1, int(self.pos * len(self.site.era_case)))

    def heading(self, text: str) -> str:
        case = self.site.era_case[self.era]
        if case == "upper":
            return text.upper()
        if case == "sentence":
            return text[0] + text[1:].lower()
        return text

    def link(self, label: str, target: str) -> str:
        return f"[{label}]({target})" if self.site.markdown else label

    def count(self, low: int, high: int) -> str:
        return f"{self.rng.randint(low, high):,}"

    def copyright_year(self) -> int:
        return self.date.year if self.rng.random() < 0.7 else LAST_YEAR


def _slug(title: str) -> str:
    words = re.sub(r"[^a-z0-9 ]+", "", title.lower()).split()
    return "-".join(words[:7]) or "article"


def _navigation(p: Page) -> list[Block]:
    site, menu = p.site, p.site.choice["menu"]
    style = site.choice["navigation"]
    if style == 0:
        return [[" | ".join(["Skip to content", "Home", *menu, "Contact"])]]
    if style == 1:
        return [["Menu", "Home", *menu[:3]]]
    if style == 2:
        crumb = f"You are here: Home\xa0» {p.section}"
        if site.choice["breadcrumb_title"]:
            crumb += f"\xa0» {p.article.title}"
        return [[crumb]]
    links = " · ".join(p.link(item, f"https://{site.host}/{item.lower()}/") for item in ["Home", *menu])
    return [[links]]


def _byline(p: Page) -> list[Block]:
    date, style = p.date, p.site.choice["byline"]
    if style == 0:
        line = f"Posted on {date.isoformat()} by {p.author}"
    elif style == 1:
        line = f"By {p.author} — {date.month}/{date.day}/{date.year}"
    elif style == 2:
        clock = f"{p.rng.randint(6, 22):02d}:{p.rng.randint(0, 59):02d}"
        line = f"{date.day:02d}.{date.month:02d}.{date.year} — {clock}\xa0| {p.count(40, 60000)} views"
    else:
        line = f"Published {date.day} {_MONTHS[date.month - 1]} {date.year} | {p.count(0, 300)} comments"
    return [[f"*{line}*" if p.site.markdown and style < 2 else line]]


def _share(p: Page) -> list[Block]:
    kind = p.site.choice["share"]
    if kind == "jetpack":
        return [["Share this:", "Twitter", "Facebook", "Like Loading…"]]
    if kind == "addtoany":
        return [[f"{p.count(0, 9000)}\xa0Shares",
                 "Share on Facebook | Share on Twitter | Share on WhatsApp | Share by Email"]]
    url = p.url
    return [[
        "Share this article: " + " · ".join((
            p.link("Facebook", f"https://www.facebook.com/sharer.php?u={url}"),
            p.link("Twitter", f"https://twitter.com/intent/tweet?url={url}&via={p.site.folder}"),
            p.link("Email", f"mailto:?subject={_slug(p.article.title)}"),
        ))
    ]]


def _donation(p: Page) -> list[Block]:
    site, style = p.site, p.site.choice["donation"]
    if style == 0:
        link = p.link("Donate", f"https://{site.host}/donate/?ref={p.rng.randint(100, 99999)}")
        return [[p.heading(f"Support {site.name}"),
                 "If you're able, and if you like our content and approach, please support the project. "
                 f"Our work wouldn't be possible without your help: {link}"]]
    if style == 1:
        campaign = f"{p.rng.choice(('spring', 'summer', 'autumn', 'yearend'))}{p.date.year}"
        link = p.link("support us today", f"https://{site.host}/support?utm_campaign={campaign}")
        return [[f"{site.name} is reader-funded. Every contribution, however big or small, keeps our "
                 f"journalism free and independent — {link}."]]
    if style == 2:
        return [[f"Dear reader, we're a small team & we rely on you. If everyone reading this gave just "
                 f"${p.rng.choice((3, 5, 10))}, our fundraiser would be done within an hour. "
                 f"{p.rng.randint(5, 95)}% of our {p.copyright_year()} goal reached."]]
    return [[p.heading(f"Become a Member of {site.name}"),
             "Members read without ads and support our reporters. Join today…"]]


def _copyright(p: Page) -> list[Block]:
    site, style = p.site, p.site.choice["copyright"]
    if style == 0:
        return [[f"Copyright\xa0©\xa0{p.copyright_year()} {site.name}. All rights reserved."]]
    if style == 1:
        privacy = p.link("Privacy Policy", f"https://{site.host}/privacy/")
        terms = p.link("Terms & Conditions", f"https://{site.host}/terms/?v={p.era + 1}")
        return [[f"© {site.first_year}—{p.copyright_year()} {site.name} | {privacy} | {terms}"]]
    return [[f"The original source of this article is {site.name}",
             f"Copyright © {site.name}, {p.copyright_year()}"]]


def _disclaimer(p: Page) -> list[Block]:
    return [[f"Disclaimer: The views expressed in this article are the author's own and do not "
             f"necessarily reflect the editorial policy of {p.site.name}. {p.site.name} accepts no "
             "responsibility for \"external\" content linked from this page."]]


def _comments(p: Page) -> list[Block]:
    kind = p.site.choice["comments"]
    if kind == "wordpress":
        return [[p.heading("Leave a Reply"), "Your email address will not be published. Required fields are marked *",
                 "Post Comment"]]
    if kind == "login":
        return [[p.heading("Leave a Reply"), "You must be logged in to post a comment."]]
    if kind == "closed":
        return [["Comments are closed."]]
    return [[f"{p.count(1, 250)} Comments" if p.rng.random() < 0.8 else "No Comments", "Add your comment…"]]


def _popular(p: Page) -> list[str]:
    """The site's most-read list changes every eighth of its archive; it is not an article here."""
    window = int(p.pos * 8)
    prose = Prose(random.Random(f"{p.seed}/popular/{p.site.n}/{window}"))
    return [prose.title() for _ in range(6)]


def _related(p: Page) -> list[Block]:
    heading = ("Related Posts", "You May Also Like", "Most Read")[p.site.choice["related"]]
    items = []
    for title in p.rng.sample(_popular(p), 3):
        target = f"https://{p.site.host}/{_slug(title)}/?utm_source=related&utm_content={p.rng.randint(1, 999)}"
        items.append(f"- [{title}]({target})" if p.site.markdown else f"• {title}")
    return [[p.heading(heading), *items]]


def _newsletter(p: Page) -> list[Block]:
    if p.site.choice["newsletter"] == 0:
        return [[p.heading("Subscribe to our newsletter"),
                 f"Get the latest stories from {p.site.name} in your inbox — every weekday morning."]]
    return [[f"Sign up for {p.site.name} Daily & never miss a story. No spam, unsubscribe at any time."]]


def _widget(p: Page) -> list[Block]:
    if p.site.choice["widget"] == "php":
        title = f"Most read on {p.site.name}"
        date = p.date.isoformat()
        return [[Raw(f'a:3:{{s:5:"title";s:{len(title)}:"{title}";s:5:"views";i:{p.rng.randint(10, 90000)};'
                     f's:4:"date";s:{len(date)}:"{date}";}}')]]
    items = [{"id": str(1880000 + p.rng.randrange(20000)), "title": "Untitled", "status": "publish",
              "type": "post", "link": "", "order": str(k)} for k in range(p.rng.randint(2, 4))]
    raw = json.dumps(items, separators=(",", ":"))
    return [[Raw(f'string({len(raw)}) "{raw.replace(chr(34), chr(92) + chr(34))}"')]]


def _syndication(p: Page) -> list[Block]:
    if p.site.choice["syndication"] == "wire":
        licence = p.link("Creative Commons", f"https://creativecommons.org/licenses/by-nd/4.0/?ref={p.site.host}")
        return [[f"This article was produced by Globe Wire, an independent news service. Republished under a "
                 f"{licence} Attribution-NoDerivatives 4.0 license."]]
    return [["This story is published in partnership with the Civic Commons Network & appears here with permission."]]


def _cookies(p: Page) -> list[Block]:
    if p.site.choice["cookies"] == "gdpr":
        return [["We use cookies to ensure that we give you the best experience on our website. If you continue "
                 "to use this site we will assume that you are happy with it.", "Ok\xa0\xa0Privacy policy"]]
    return [["This website uses cookies to improve your experience. We'll assume you're ok with this, but you "
             "can opt-out if you wish. Accept Read More"]]


def _tags(p: Page) -> list[Block]:
    return [["Tags: " + ", ".join(p.rng.sample(p.site.tags, p.rng.randint(1, 3)))]]


def _pager(p: Page) -> list[Block]:
    return [[f"« Previous: {p.previous_title}"]] if p.previous_title else []


def _author(p: Page) -> list[Block]:
    rng = random.Random(f"{p.seed}/author/{p.author}")
    beat = rng.choice(_SECTIONS).lower()
    years = rng.randint(2, 25)
    return [[p.heading("About the author"),
             f"{p.author} covers {beat} for {p.site.name} and has reported from {rng.choice(_PLACES)} "
             f"and {rng.choice(_PLACES)} for {years} years."]]


COMPONENTS: dict[str, Callable[[Page], list[Block]]] = {
    "navigation": _navigation, "byline": _byline, "share": _share, "donation": _donation,
    "copyright": _copyright, "disclaimer": _disclaimer, "comments": _comments, "related": _related,
    "newsletter": _newsletter, "widget": _widget, "syndication": _syndication, "cookies": _cookies,
    "tags": _tags, "pager": _pager, "author": _author,
}


# -- one document ------------------------------------------------------------------------------------

Paragraph = list[tuple[str, str]]  # (line, label): "content" or a boilerplate kind
Printed = list[tuple[str, str | None]]  # the file's lines; None: not labelled (blank, front matter)


def _blocks(p: Page, name: str, share: float) -> list[tuple[Block, str]]:
    if p.rng.random() >= share:
        return []
    return [(block, name) for block in COMPONENTS[name](p) if block]


def _section(blocks: list[tuple[Block, str]], dense: bool) -> list[Paragraph]:
    """Boilerplate blocks: one paragraph on dense sites, else a paragraph each."""
    paragraphs = [[(line, kind) for line in block] for block, kind in blocks]
    if dense and paragraphs:
        return [[pair for paragraph in paragraphs for pair in paragraph]]
    return paragraphs


def _front_matter(p: Page) -> list[str]:
    site = p.site
    lines = ["---", f'title: "{p.article.title}"']
    if site.front != "site":
        lines.append(f"url: {p.url}")
    if site.front in ("source", "site"):
        lines.append(f"{site.front}: {site.name}")
    lines += [f"date: {p.date.isoformat()}", "---"]
    return lines


def render(p: Page, repost_of: Site | None) -> tuple[list[str], list[Paragraph]]:
    """(front matter lines, paragraphs of labelled lines) of one page, boilerplate in template form."""
    site, article = p.site, p.article
    paragraphs: list[Paragraph] = []
    header = [b for name, share in site.header for b in _blocks(p, name, share)]
    paragraphs += _section(header, site.dense)
    title = f"# {article.title}" if site.markdown else article.title
    byline = [(line, "byline") for block in _byline(p) for line in block]
    if site.dense:
        paragraphs.append([(title, "content"), *byline])
    else:
        paragraphs += [[(title, "content")], byline]
    if article.lede:
        paragraphs.append([(article.lede, "content")])
    body: list[Paragraph] = [[(text, "content")] for text in article.paragraphs]
    if site.mid is not None and len(body) > 2:
        mid = _section(_blocks(p, *site.mid), dense=True)
        body[2:2] = mid
    paragraphs += body
    footer = [b for name, share in site.footer for b in _blocks(p, name, share)]
    if repost_of is not None:
        # Reposts credit the original: a line each original site's reposts share.
        footer.insert(0, ([f"This article was originally published by {repost_of.name}."], "syndication"))
    paragraphs += _section(footer, site.dense)
    front = _front_matter(p) if site.markdown else []
    return front, paragraphs


def _print(front: list[str], paragraphs: list[Paragraph], style: Style, rng: random.Random) -> Printed:
    """The file's lines, labelled; boilerplate spelled in this page's style."""
    lines: Printed = [(line, None) for line in front]
    if front:
        lines.append(("", None))
    for number, paragraph in enumerate(paragraphs):
        if number:
            lines.append(("", None))
            if rng.random() < 0.05:
                lines.append(("", None))  # scrapers leave runs of blank lines
        for text, label in paragraph:
            if label != "content":
                text = style.apply(text)
                if rng.random() < 0.03:
                    text += " "
            lines.append((text, label))
    return lines


# -- the corpus ----------------------------------------------------------------------------------------


def repost_pairs(seed: int, sizes: list[int]) -> dict[int, tuple[int, bool]]:
    """Document index -> (the other copy's index, is this the copy): pairs on two different sites."""
    docs = sum(sizes)
    starts = _starts(sizes)
    wanted = max(1, round(docs * REPOST_SHARE)) if docs >= 20 else 0
    picked = random.Random(f"{seed}/reposts").sample(range(docs), min(docs, 2 * wanted))
    pairs: dict[int, tuple[int, bool]] = {}
    for a, b in zip(picked[::2], picked[1::2]):
        if bisect.bisect_right(starts, a) != bisect.bisect_right(starts, b):
            original, copy = min(a, b), max(a, b)
            pairs[original] = (copy, False)
            pairs[copy] = (original, True)
    return pairs


def _starts(sizes: list[int]) -> list[int]:
    starts, total = [], 0
    for size in sizes:
        starts.append(total)
        total += size
    return starts


@dataclass
class _Layout:
    """Where each document goes: its site, its place in the site's archive, its date and path."""

    seed: int
    sites: list[Site]
    sizes: list[int]
    starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.starts = _starts(self.sizes)

    def site_of(self, index: int) -> tuple[Site, float]:
        n = bisect.bisect_right(self.starts, index) - 1
        while self.sizes[n] == 0:
            n -= 1
        return self.sites[n], (index - self.starts[n] + 0.5) / self.sizes[n]

    def date_of(self, site: Site, pos: float) -> datetime.date:
        first = datetime.date(site.first_year, 1, 1).toordinal()
        last = datetime.date(LAST_YEAR, 12, 31).toordinal()
        return datetime.date.fromordinal(first + int(pos * (last - first)))

    def path(self, index: int, title: str) -> str:
        site, pos = self.site_of(index)
        folder = f"{site.folder}/{self.date_of(site, pos).year}" if site.year_folders else site.folder
        return f"{folder}/{index:06d}-{_slug(title)}.{'md' if site.markdown else 'txt'}"


@dataclass
class _Tally:
    """Counts for the marker, and the boilerplate ceiling: documents per passage key."""

    counts: Counter[str] = field(default_factory=Counter)
    docs_per_key: Counter[str] = field(default_factory=Counter)
    lines_per_key: Counter[tuple[str, str]] = field(default_factory=Counter)

    def ceiling(self, min_docs: int) -> dict[str, Any]:
        total: Counter[str] = Counter()
        found: Counter[str] = Counter()
        for (key, kind), lines in self.lines_per_key.items():
            total[kind] += lines
            if self.docs_per_key[key] >= min_docs:
                found[kind] += lines
        everything = sum(total.values())
        return {
            "min_docs": min_docs,
            "share": round(sum(found.values()) / everything, 4) if everything else 0.0,
            "by_kind": {kind: round(found[kind] / total[kind], 4) for kind in sorted(total)},
        }


def _style(site: Site, rng: random.Random) -> Style:
    space = " "
    if rng.random() < site.nbsp_share:
        space = "&nbsp;" if rng.random() < 0.1 else "\xa0"
    return Style(
        smart=rng.random() < site.smart_share, dash=rng.choice(site.dashes), space=space,
        escape_amp=rng.random() < site.amp_share, ellipsis="…" if rng.random() < 0.7 else "...",
    )


def _prepare(out: Path) -> None:
    if out.exists():
        if (out / MARKER).exists():
            shutil.rmtree(out)
        elif any(out.iterdir()):
            raise FileExistsError(f"{out}: not empty and not a generated corpus; refusing to write into it")
    out.mkdir(parents=True, exist_ok=True)


def _documents(seed: int, layout: _Layout, tally: _Tally) -> Iterator[tuple[str, bytes, dict[str, Any]]]:
    """(path, bytes, gold record) of every document, in order: contiguous per site folder."""
    pairs = repost_pairs(seed, layout.sizes)
    index = 0
    for site, size in zip(layout.sites, layout.sizes):
        previous_title: str | None = None
        for _ in range(size):
            pair = pairs.get(index)
            original = pair[0] if pair and pair[1] else index
            article = make_article(seed, original)
            rng = random.Random(f"{seed}/doc/{index}")
            _, pos = layout.site_of(index)
            date = layout.date_of(site, pos)
            page = Page(
                site=site, index=index, rng=rng, pos=pos, date=date, article=article,
                author=rng.choice(site.authors), section=rng.choice(site.sections),
                url=f"https://{site.host}/{date.year}/{date.month:02d}/{_slug(article.title)}/",
                previous_title=previous_title, seed=seed,
            )
            repost_of = layout.site_of(original)[0] if original != index else None
            front, paragraphs = render(page, repost_of)
            lines = _print(front, paragraphs, _style(site, rng), rng)
            record: dict[str, Any] = {"path": layout.path(index, article.title), "site": site.folder,
                                      "source": site.source, "boilerplate_lines": [], "boilerplate_kinds": [],
                                      "content_lines": []}
            for number, (_, label) in enumerate(lines, 1):
                if label == "content":
                    record["content_lines"].append(number)
                elif label is not None:
                    record["boilerplate_lines"].append(number)
                    record["boilerplate_kinds"].append(label)
            if pair:  # both copies carry the original's title, so the other's path is known
                record["repost"] = layout.path(pair[0], article.title)
            _count(tally, site, paragraphs, record, repost=bool(pair and pair[1]))
            text = "\n".join(line for line, _ in lines) + "\n"
            roll = rng.random()
            if roll < CRLF_SHARE:
                text = text.replace("\n", "\r\n")
                tally.counts["crlf"] += 1
            data = text.encode("utf-8")
            if CRLF_SHARE <= roll < CRLF_SHARE + BOM_SHARE:
                data = b"\xef\xbb\xbf" + data
                tally.counts["bom"] += 1
            yield record["path"], data, record
            previous_title = article.title
            index += 1


def _count(tally: _Tally, site: Site, paragraphs: list[Paragraph], record: dict[str, Any], repost: bool) -> None:
    counts = tally.counts
    counts["md" if site.markdown else "txt"] += 1
    counts["reposts"] += repost
    counts["boilerplate_lines"] += len(record["boilerplate_lines"])
    counts["content_lines"] += len(record["content_lines"])
    counts["multi_line_paragraphs"] += sum(len(p) > 1 for p in paragraphs)
    keys = set()
    for paragraph in paragraphs:
        for text, label in paragraph:
            if label != "content" and label is not None:
                key = passage_key(text)
                keys.add(key)
                tally.lines_per_key[(key, label)] += 1
    tally.docs_per_key.update(keys)


def generate_sites(out: Path, docs: int = 100_000, sites: int = 40, seed: int = 0) -> Path:
    """Write ``docs`` documents from ``sites`` site templates into ``out``, and ``out/gold.jsonl``.

    ``out`` must be missing, empty, or a folder this function generated before (it is
    then removed and rewritten); anything else is refused (FileExistsError). Returns
    ``out``; the figures are in ``out/.generated.json`` (``read_marker``).
    Example: ``generate_sites(Path("/tmp/sites"), docs=2_000, seed=3)``.
    """
    if docs < 1 or sites < 1:
        raise ValueError("docs and sites must be at least 1")
    out = Path(out)
    _prepare(out)
    started = time.perf_counter()
    layout = _Layout(seed, make_sites(seed, sites), site_sizes(seed, docs, sites))
    tally = _Tally()
    made: set[Path] = set()
    total_bytes = 0
    with open(out / GOLD, "w", encoding="utf-8", newline="\n") as gold:
        for path, data, record in _documents(seed, layout, tally):
            target = out / path
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_bytes(data)
            total_bytes += len(data)
            gold.write(json.dumps(record, ensure_ascii=False) + "\n")
    counts = tally.counts
    figures = {
        "generator": "generate_sites", "generator_version": GENERATOR_VERSION,
        "docs": docs, "sites": sites, "seed": seed, "bytes": total_bytes,
        "counts": {key: counts[key] for key in (
            "txt", "md", "crlf", "bom", "reposts", "boilerplate_lines", "content_lines", "multi_line_paragraphs")},
        "ceiling": tally.ceiling(CEILING_MIN_DOCS),
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out / MARKER).write_text(json.dumps(figures, indent=2) + "\n")
    return out


def read_marker(out: Path) -> dict[str, Any] | None:
    """The figures of a folder ``generate_sites`` finished writing, else None."""
    try:
        figures = json.loads((Path(out) / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return figures if figures.get("generator") == "generate_sites" else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write (missing, empty, or generated before)")
    parser.add_argument("--docs", type=int, default=100_000, help="number of documents (default 100000)")
    parser.add_argument("--sites", type=int, default=40, help="number of site templates (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.docs < 1 or args.sites < 1:
        parser.error("--docs and --sites must be at least 1")
    try:
        generate_sites(args.out, args.docs, args.sites, args.seed)
    except FileExistsError as error:
        print(f"generate_sites.py: {error}", file=sys.stderr)
        return 1
    figures = read_marker(args.out) or {}
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    c, ceiling = figures["counts"], figures["ceiling"]
    lines = c["boilerplate_lines"] + c["content_lines"]
    print(
        f"{args.out}: {figures['docs']:,} documents from {figures['sites']} sites, "
        f"{figures['bytes'] / 2**20:.1f} MiB "
        f"in {figures['seconds']:.1f} s; {lines:,} labelled lines ({c['boilerplate_lines']:,} boilerplate, "
        f"{c['content_lines']:,} content), {c['multi_line_paragraphs']:,} multi-line paragraphs; "
        f"{c['md']:,} .md, {c['txt']:,} .txt, {c['crlf']:,} CRLF, {c['bom']:,} BOM, {c['reposts']:,} reposts; "
        f"{ceiling['share']:.1%} of boilerplate lines are in a passage of >= {ceiling['min_docs']} documents",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
