"""Generate a realistic Arabic news corpus for benchmarks: `python bench/generate.py N --seed S --out DIR`.

Each article recombines paragraphs of the seed articles (`seeds/`) and perturbs them: every
actor and place the gazetteer knows (`extract/data/gazetteer.tsv`) is swapped for another
entry of the same type (places of the same kind), consistently within the article; casualty
figures and other counts are rescaled, days and years redrawn; the sidecar `articles.jsonl`
gives each article an outlet from the gazetteer and a publication date. The same N and seed
always give the same files.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract.lexicon import GazetteerEntry, load_lexicons  # noqa: E402
from extract.reader import collect_inputs, read_article  # noqa: E402

SEEDS = ROOT / "seeds"
SWAPPED_TYPES = ("ArmedGroup", "StateForce", "GovernmentBody", "Organization", "Person", "Country", "Place")
MIN_PARAGRAPH = 40            # characters: shorter blocks are bylines and page furniture
PARAGRAPHS = (4, 11)          # paragraphs per article (inclusive range)
PUBLISHED = (dt.date(2012, 1, 1), dt.date(2024, 12, 31))
ARABIC_LETTER = "\u0621-\u064a"
DIGITS = re.compile(r"[0-9\u0660-\u0669]+")
EASTERN = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
WESTERN = str.maketrans("\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669", "0123456789")


@dataclass(frozen=True)
class Generated:
    """One generated article: its id (file stem), text and sidecar metadata."""

    id: str
    text: str
    outlet: str
    published: dt.date


class Corpus:
    """The material articles are made of: seed paragraphs and titles, the gazetteer by kind."""

    def __init__(self, seeds: Path = SEEDS) -> None:
        paths, meta, errors = collect_inputs([seeds])
        if errors or not paths:
            raise SystemExit(f"{seeds}: no readable seed articles ({'; '.join(str(e) for e in errors)})")
        self.titles: list[str] = []
        self.paragraphs: list[str] = []
        for path in paths:
            blocks = [b.strip() for b in re.split(r"\n\s*\n", read_article(path, meta.get(path.stem)).text)]
            blocks = [b for b in blocks if b]
            self.titles.append(blocks[0])
            self.paragraphs.extend(b for b in blocks[1:] if len(b) >= MIN_PARAGRAPH)
        lexicons = load_lexicons()
        self.kinds: dict[tuple[str, str], list[GazetteerEntry]] = defaultdict(list)
        by_alias: dict[str, GazetteerEntry] = {}
        for entry in sorted(lexicons.gazetteer.values(), key=lambda e: e.id):
            if entry.type == "MediaOutlet":
                self.kinds[("MediaOutlet", "")].append(entry)
            if entry.type not in SWAPPED_TYPES:
                continue
            self.kinds[self.kind(entry)].append(entry)
            for alias in entry.aliases:
                if len(alias) >= 3:
                    by_alias.setdefault(alias, entry)
        self.by_alias = by_alias
        # longest alias first, whole words only; a one-letter proclitic (و ف ب ل ك) may precede it
        alternatives = "|".join(re.escape(a) for a in sorted(by_alias, key=lambda a: (-len(a), a)))
        self.names = re.compile(f"(?<![{ARABIC_LETTER}])([وفبلك]?)({alternatives})(?![{ARABIC_LETTER}])")
        months = [r for r in lexicons.phrases["dates"] if r["kind"] == "month"]
        self.months = re.compile(
            r"^\s*(?:" + "|".join(re.escape(r["form"]) for r in sorted(months, key=lambda r: -len(r["form"]))) + ")")

    @staticmethod
    def kind(entry: GazetteerEntry) -> tuple[str, str]:
        # places swap with places of the same subtype (town for town), actors with their type
        return (entry.type, entry.subtype if entry.type == "Place" else "")

    def article(self, rng: random.Random, article_id: str) -> Generated:
        """One article drawn with `rng`."""
        count = rng.randint(*PARAGRAPHS)
        blocks = [rng.choice(self.titles), *rng.sample(self.paragraphs, min(count, len(self.paragraphs)))]
        swaps: dict[str, GazetteerEntry] = {}

        def swap(match: re.Match) -> str:
            entry = self.by_alias[match.group(2)]
            if entry.id not in swaps:
                swaps[entry.id] = rng.choice(self.kinds[self.kind(entry)])
            new = swaps[entry.id]
            return match.group(1) + (new.label_ar or rng.choice(new.aliases))

        def number(match: re.Match) -> str:
            digits = match.group()
            eastern = not digits.isascii()
            value = int(digits.translate(WESTERN))
            following = match.string[match.end():match.end() + 20]
            if len(digits) == 4 and 1990 <= value <= 2030:
                new = rng.randint(PUBLISHED[0].year, PUBLISHED[1].year)
            elif value <= 31 and self.months.match(following):
                new = rng.randint(1, 28)
            else:
                new = rng.randint(max(1, value // 2), max(2, value * 2))
            text = str(new)
            return text.translate(EASTERN) if eastern else text

        text = "\n\n".join(DIGITS.sub(number, self.names.sub(swap, block)) for block in blocks) + "\n"
        span = (PUBLISHED[1] - PUBLISHED[0]).days
        published = PUBLISHED[0] + dt.timedelta(days=rng.randint(0, span))
        outlet = rng.choice(self.kinds[("MediaOutlet", "")]).label_en
        return Generated(article_id, text, outlet, published)


def generate(n: int, seed: int, seeds: Path = SEEDS) -> list[Generated]:
    """`n` articles, the same for the same `seed`."""
    corpus = Corpus(seeds)
    rng = random.Random(seed)
    return [corpus.article(rng, f"gen{seed}_{i:06d}") for i in range(n)]


def write_corpus(articles: list[Generated], out: Path) -> None:
    """Write `<id>.txt` files and the `articles.jsonl` sidecar into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "articles.jsonl", "w", encoding="utf-8") as sidecar:
        for article in articles:
            (out / f"{article.id}.txt").write_text(article.text, encoding="utf-8")
            sidecar.write(json.dumps({"id": article.id, "outlet": article.outlet,
                                      "published": article.published.isoformat(), "url": None},
                                     ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of articles")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same corpus)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seeds", type=Path, default=SEEDS, help="folder of seed articles to recombine")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    articles = generate(args.n, args.seed, args.seeds)
    write_corpus(articles, args.out)
    words = sum(len(a.text.split()) for a in articles)
    print(f"wrote {len(articles)} articles ({words} words) to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
