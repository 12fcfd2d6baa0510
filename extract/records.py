"""The harvest's output: small frozen records with character offsets, free of spaCy objects.

Everything downstream (RDF building, evaluation, networks) reads these and nothing else.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class EntityRef:
    """An entity as the graph knows it: a gazetteer entry, or a name found by a rule."""

    key: str                 # gazetteer id, or "new:<normalised name>" / "anon:<normalised phrase>"
    type: str                # Person, ArmedGroup, ..., Place, or AnonymousSource
    label_ar: str
    label_en: str = ""
    subtype: str = ""
    parent: str = ""         # key of the containing place, for places
    aliases: tuple[str, ...] = ()


def replace(record, **changes):
    """`dataclasses.replace` for these records, a few times faster: every field of a record is an
    init field and its `__dict__` holds exactly its fields, so they are passed on as they are."""
    return type(record)(**{**record.__dict__, **changes})


def entry_ref(entry) -> EntityRef:
    """The EntityRef of a gazetteer entry (`lexicon.GazetteerEntry`)."""
    return EntityRef(entry.id, entry.type, entry.label_ar, entry.label_en, entry.subtype, entry.parent, entry.aliases)


@dataclass(frozen=True)
class EntityMention:
    """One occurrence of an entity in the article text (text == article.text[start:end])."""

    entity: EntityRef
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Source:
    """Who a claim is credited to: a named speaker or body, an unnamed source, or the outlet."""

    entity: EntityRef
    channel: EntityRef | None = None   # the agency the speaker spoke to (قال بالي لرويترز)
    voice: bool = False                # True when it is the article's own voice (its outlet)


@dataclass(frozen=True)
class Anchor:
    """A span of the article text: text == article.text[start:end]."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Claim:
    """What one source says about an event: its figures and agents, in its own sentence."""

    evidence: Anchor
    source: Source | None = None          # None: the article's own voice with no known outlet
    agents: tuple[EntityRef, ...] = ()
    killed: int | None = None
    injured: int | None = None
    count: int | None = None
    casualties: int | None = None
    certainty: str = "asserted"


@dataclass(frozen=True)
class EventMention:
    """An event as one article reports it (in-article repetitions already merged)."""

    type: str
    trigger: str
    evidence: Anchor
    agents: tuple[EntityRef, ...] = ()
    targets: tuple[EntityRef, ...] = ()
    places: tuple[EntityRef, ...] = ()
    date: dt.date | None = None
    killed: int | None = None
    injured: int | None = None
    count: int | None = None
    casualties: int | None = None    # "killed or wounded" figures that do not split the two
    certainty: str = "asserted"
    sources: tuple[Source, ...] = ()
    more_evidence: tuple[Anchor, ...] = ()
    place_inferred: bool = False     # places taken from the story's context, not stated with the event
    claims: tuple[Claim, ...] = ()   # per-source statements, so "70 per SOHR vs 16 per the ministry" survives merging


@dataclass(frozen=True)
class ArticleRecord:
    """Everything harvested from one article."""

    id: str
    sha256: str
    outlet: EntityRef | None
    published: dt.date | None
    url: str | None
    entities: tuple[EntityRef, ...]          # entities the article mentions (text, roles, sources)
    mentions: tuple[EntityMention, ...]
    events: tuple[EventMention, ...]
    warnings: tuple[str, ...] = field(default=())
    context: tuple[EntityRef, ...] = ()      # described but not mentioned: the outlet, containing places
