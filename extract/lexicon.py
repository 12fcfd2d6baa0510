"""Loading the lexicons and gazetteer kept as TSV data files under `extract/data/`.

Every table is read by `read_table`, which checks the header and reports a bad row by file
and line. `Lexicons` bundles all tables of one data folder; `load_lexicons` caches it so
every pipeline component shares a single copy.
"""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field
from pathlib import Path

from .arabic import match_key

DATA_DIR = Path(__file__).parent / "data"


class LexiconError(ValueError):
    """A data file is malformed; the message names the file and line."""


def read_table(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Read a tab-separated table whose header must start with `columns`.

    Lines starting with `#` and blank lines are skipped. Returns one dict per row (missing
    trailing cells become ""). Raises LexiconError naming the file and line on a bad header
    or a row with too many cells.
    """
    rows: list[dict[str, str]] = []
    with open(path, encoding="utf-8", newline="") as handle:
        header: list[str] | None = None
        for lineno, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = [c.strip() for c in cells]
                if tuple(header[: len(columns)]) != columns:
                    raise LexiconError(f"{path}:{lineno}: header {header} does not start with {list(columns)}")
                continue
            if len(cells) > len(header):
                raise LexiconError(f"{path}:{lineno}: {len(cells)} cells, header has {len(header)}")
            cells += [""] * (len(header) - len(cells))
            row = {name: cell.strip() for name, cell in zip(header, cells)}
            if not row[columns[0]]:
                raise LexiconError(f"{path}:{lineno}: empty {columns[0]!r}")
            row["_line"] = str(lineno)
            rows.append(row)
    if header is None:
        raise LexiconError(f"{path}: empty table")
    return rows


@dataclass(frozen=True)
class GazetteerEntry:
    """One known actor or place."""

    id: str
    type: str
    subtype: str
    label_en: str
    label_ar: str
    aliases: tuple[str, ...]
    parent: str
    wikidata: str


# gazetteer subtypes of spots inside a town: events there are placed in the town
SITE_SUBTYPES = frozenset({"mosque", "building"})
GAZETTEER_COLUMNS = ("id", "type", "subtype", "label_en", "label_ar", "aliases_ar", "parent", "wikidata")

# table name -> (file, columns, column holding the phrase)
PHRASE_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "triggers": ("triggers.tsv", ("form", "event_type", "pos")),
    "reporting": ("reporting.tsv", ("form", "kind")),
    "certainty": ("certainty.tsv", ("form", "certainty", "scope")),
    "numbers": ("numbers.tsv", ("form", "value", "kind")),
    "bounds": ("bounds.tsv", ("form", "bound")),
    "categories": ("categories.tsv", ("form", "category", "role_hint")),
    "casualties": ("casualty_words.tsv", ("form", "role")),
    "dates": ("dates.tsv", ("form", "kind", "value")),
    "person_cues": ("person_cues.tsv", ("form", "kind")),
    "place_cues": ("place_cues.tsv", ("form", "kind", "names", "site")),
    "org_cues": ("org_cues.tsv", ("form", "type")),
    "descriptions": ("descriptions.tsv", ("form", "entity_type", "head_word", "subtypes")),
    "stopwords": ("stopwords.tsv", ("form", "kind")),
}
# the column used as span label for each phrase table
LABEL_COLUMN = {
    "triggers": "event_type", "reporting": "kind", "certainty": "certainty", "numbers": "kind",
    "bounds": "bound", "categories": "role_hint", "casualties": "role", "dates": "kind",
    "person_cues": "kind", "place_cues": "kind", "org_cues": "type", "descriptions": "entity_type",
    "stopwords": "kind",
}


@dataclass
class Lexicons:
    """All lexicon tables of one data folder, plus the gazetteer."""

    data_dir: Path
    gazetteer: dict[str, GazetteerEntry]
    phrases: dict[str, list[dict[str, str]]]
    type_cues: list[dict[str, str]]
    demonyms: dict[str, str]
    demonym_heads: list[dict[str, str]]
    role_cues: list[dict[str, str]]
    trigger_blockers: list[dict[str, str]]
    affiliations: dict[str, str]
    vocabulary: frozenset[str] = field(default_factory=frozenset)

    def entity(self, entity_id: str) -> GazetteerEntry | None:
        return self.gazetteer.get(entity_id)

    def affiliation(self, entity_id: str) -> str | None:
        """The body a person speaks for (via their gazetteer tag), or the body itself."""
        entry = self.gazetteer.get(entity_id)
        if entry is None:
            return None
        if entry.type == "Person":
            return self.affiliations.get(entry.subtype)
        return entry.id if entry.type in ("ArmedGroup", "StateForce", "GovernmentBody", "Country") else None

    @functools.cached_property
    def site_heads(self) -> frozenset[str]:
        """Match keys of the place nouns place_cues.tsv marks as spots inside a town (دوار، مسجد)."""
        return frozenset(match_key(r["form"]) for r in self.phrases["place_cues"] if r.get("site") == "yes")

    def is_site(self, entity_id: str) -> bool:
        """Whether a place is a spot inside a town: a gazetteer mosque or building, or a
        rule-found name headed by a site noun («new:دوار سنتر»)."""
        if entity_id.startswith("new:"):
            return entity_id[4:].split(" ")[0] in self.site_heads
        entry = self.gazetteer.get(entity_id)
        return entry is not None and entry.type == "Place" and entry.subtype in SITE_SUBTYPES

    def ancestors(self, entity_id: str) -> list[str]:
        """Ids of the places containing `entity_id`, nearest first (cycle-safe)."""
        out: list[str] = []
        current = self.gazetteer.get(entity_id)
        while current and current.parent and current.parent not in out and current.parent != entity_id:
            out.append(current.parent)
            current = self.gazetteer.get(current.parent)
        return out


def _load_gazetteer(path: Path) -> dict[str, GazetteerEntry]:
    entries: dict[str, GazetteerEntry] = {}
    for row in read_table(path, GAZETTEER_COLUMNS):
        if row["id"] in entries:
            raise LexiconError(f"{path}:{row['_line']}: duplicate id {row['id']!r}")
        aliases = [a.strip() for a in row["aliases_ar"].split("|") if a.strip()]
        if row["label_ar"] and row["label_ar"] not in aliases:
            aliases.insert(0, row["label_ar"])
        entries[row["id"]] = GazetteerEntry(
            id=row["id"], type=row["type"], subtype=row["subtype"], label_en=row["label_en"],
            label_ar=row["label_ar"] or (aliases[0] if aliases else ""), aliases=tuple(aliases),
            parent=row["parent"], wikidata=row["wikidata"],
        )
    return entries


@functools.lru_cache(maxsize=8)
def load_lexicons(data_dir: str | Path = DATA_DIR) -> Lexicons:
    """Load and cache every table under `data_dir`; raises LexiconError on a malformed file."""
    data_dir = Path(data_dir)
    gazetteer = _load_gazetteer(data_dir / "gazetteer.tsv")
    phrases = {name: read_table(data_dir / fname, cols) for name, (fname, cols) in PHRASE_TABLES.items()}
    type_cues = read_table(data_dir / "type_cues.tsv", ("event_type", "cue", "new_type", "window"))
    demonyms = {
        match_key(r["adjective_ar"]): r["country_id"]
        for r in read_table(data_dir / "demonyms.tsv", ("adjective_ar", "country_id"))
    }
    heads = read_table(data_dir / "demonym_heads.tsv", ("form", "kind"))
    role_cues = read_table(data_dir / "role_cues.tsv", ("form", "role"))
    blockers = read_table(data_dir / "trigger_blockers.tsv", ("form", "event_type", "pos", "window"))
    affiliations = {r["tag"]: r["entity_id"] for r in read_table(data_dir / "affiliations.tsv", ("tag", "entity_id"))}
    for tag, entity_id in affiliations.items():
        if entity_id not in gazetteer:
            raise LexiconError(f"{data_dir / 'affiliations.tsv'}: {tag!r} → unknown gazetteer id {entity_id!r}")
    vocab: set[str] = set()
    for entry in gazetteer.values():
        for alias in entry.aliases:
            vocab.update(match_key(tok) for tok in alias.split())
    for rows in phrases.values():
        for row in rows:
            vocab.update(match_key(tok) for tok in row["form"].split())
    vocab.update(match_key(r["cue"]) for r in type_cues)
    vocab.update(demonyms)
    vocab.update(match_key(r["form"]) for r in heads + role_cues + blockers)
    vocab.discard("")
    return Lexicons(data_dir, gazetteer, phrases, type_cues, demonyms, heads, role_cues, blockers, affiliations,
                    frozenset(vocab))
