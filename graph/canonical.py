"""Canonical events: one node for each real-world event, linking every mention that reports it.

An event mention is the event as one article reports it; several articles (or one article, in
sentences the extractor kept apart) may report the same real-world event. `link_canonical_events`
reads every mention in a store (`queries/mention_features.rq`), groups the mentions of one event,
and rewrites the summary named graph `canonical_graph_iri()` with one `ekg:CanonicalEvent` per
group (also typed with the event class), `ekg:hasMention`/`ekg:mentionOf` links both ways, and a
summary: the places, agents and targets any mention names and the earliest date any states.
Every mention gets a canonical event, a lone mention a group of one, so "how many articles
reported X" is always one hop over `ekg:hasMention`.

When two mentions are the same event (`linked`):
  * the same event type, always;
  * compatible places: equal, or one contains the other (`ekg:locatedIn*`);
  * compatible time: dates at most DATE_WINDOW_DAYS apart; when a date is missing, the articles'
    publication dates at most PUBLISHED_WINDOW_DAYS apart;
  * overlapping participants (agents and targets), or one side names none.
Across articles all four must hold, with places and time positively known on both sides, and
certainty is ignored (one outlet hedges what another asserts). Within one article the time is
the article's own; the two mentions need the same certainty (the article itself tells a predicted
capture from the advance under way) and a stated place on both sides or a shared participant, so
two sentences of one article that give different figures or agents for the same strike at the
same place end up as one event whose disagreement `conflicting_claims` shows.

Grouping is union-find over linked pairs, closest in time first, with a guard against chaining:
two groups merge only if no pair across them contradicts (different type, unrelated places,
times too far apart), so Baghouz and Mayadin never meet through a mention placed in
Deir ez-Zor. Candidate pairs are blocked by (type, place, time bucket): a mention is compared
only with mentions of its type, located at or inside one of its places, dated or published
within a bucket or two of it. The cost is O(n · b) for n mentions and blocks of b, near-linear
for news (b stays small); the guard costs |A|·|B| per merge, bounded by the size of the events.

Canonical IRIs are `id/event/<hash of the sorted member mention IRIs>`: the same mentions give
the same IRI, so rebuilds diff cleanly.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from ontology import vocabulary

from .iri import mint_iri
from .queries import canned_queries

DATE_WINDOW_DAYS = 2         # two stated dates of one event differ by at most this
PUBLISHED_WINDOW_DAYS = 3    # without a date, two reports of one event are published at most this far apart
_BUCKET_DAYS = max(DATE_WINDOW_DAYS, PUBLISHED_WINDOW_DAYS) + 1

Triple = tuple[URIRef, URIRef, object]


def canonical_graph_iri() -> URIRef:
    """The summary named graph holding canonical events and their mention links."""
    return mint_iri("graph", "canonical")


def canonical_iri(members: Iterable[str]) -> URIRef:
    """`id/event/<hash>` of the sorted member mention IRIs: same members, same IRI."""
    digest = hashlib.sha1("\n".join(sorted(set(members))).encode("utf-8")).hexdigest()[:16]
    return mint_iri("event", digest)


@dataclass(frozen=True)
class MentionFacts:
    """What matching needs to know about one event mention (IRIs as strings)."""

    iri: str
    article: str
    type: str                          # the gold type name of its class (ekg:typeName)
    event_class: str = ""
    certainty: str = "asserted"
    date: dt.date | None = None
    published: dt.date | None = None   # the article's publication date
    agents: frozenset[str] = frozenset()
    targets: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()   # its places and every place containing one of them
    sources: frozenset[str] = frozenset()   # prov:wasAttributedTo (not used for matching)

    @property
    def participants(self) -> frozenset[str]:
        return self.agents | self.targets


def _places_related(a: MentionFacts, b: MentionFacts) -> bool:
    # one of a's places is one of b's places or contains one (b.areas ⊇ b.places), or vice versa
    return bool(a.places & (b.areas | b.places)) or bool(b.places & (a.areas | a.places))


def _days(x: dt.date, y: dt.date) -> int:
    return abs((x - y).days)


def time_agreement(a: MentionFacts, b: MentionFacts) -> bool | None:
    """True/False when the dates (else the publication dates) say whether `a` and `b` can be one event; None if unknown."""
    if a.date and b.date:
        return _days(a.date, b.date) <= DATE_WINDOW_DAYS
    if a.published and b.published:
        return _days(a.published, b.published) <= PUBLISHED_WINDOW_DAYS
    return None


def contradicts(a: MentionFacts, b: MentionFacts) -> bool:
    """Whether `a` and `b` cannot be one event: different types, unrelated places, or times too far apart."""
    if a.type != b.type:
        return True
    if a.places and b.places and not _places_related(a, b):
        return True
    return time_agreement(a, b) is False


def linked(a: MentionFacts, b: MentionFacts) -> bool:
    """Whether there is positive evidence that `a` and `b` report the same event (rules in the module docstring)."""
    if contradicts(a, b):
        return False
    shared_place = bool(a.places and b.places)          # both stated, and (not contradicting) related
    shared_participant = bool(a.participants & b.participants)
    if a.article == b.article:
        return a.certainty == b.certainty and (shared_place or shared_participant)
    participants_ok = not a.participants or not b.participants or shared_participant
    return shared_place and time_agreement(a, b) is True and participants_ok


def _gap(a: MentionFacts, b: MentionFacts) -> int:
    if a.date and b.date:
        return _days(a.date, b.date)
    if a.published and b.published:
        return _days(a.published, b.published)
    return 0


def _time_buckets(m: MentionFacts) -> set[int]:
    return {d.toordinal() // _BUCKET_DAYS for d in (m.date, m.published) if d}


def candidate_pairs(mentions: Sequence[MentionFacts]) -> set[tuple[int, int]]:
    """Index pairs (i < j) worth testing with `linked`: same article and type, or blocked by type, place and time."""
    pairs: set[tuple[int, int]] = set()
    by_article_type: dict[tuple[str, str], list[int]] = defaultdict(list)
    # (type, area, time bucket) → mentions at or inside that area, dated or published in that bucket
    blocks: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for i, m in enumerate(mentions):
        by_article_type[(m.article, m.type)].append(i)
        for area in m.places | m.areas:
            for bucket in _time_buckets(m):
                blocks[(m.type, area, bucket)].append(i)
    for group in by_article_type.values():
        pairs.update(combinations(group, 2))
    for i, m in enumerate(mentions):
        for place in m.places:
            for bucket in _time_buckets(m):
                for near in (bucket - 1, bucket, bucket + 1):
                    for j in blocks.get((m.type, place, near), ()):
                        if j != i and mentions[j].article != m.article:
                            pairs.add((min(i, j), max(i, j)))
    return pairs


def cluster(mentions: Sequence[MentionFacts]) -> list[list[MentionFacts]]:
    """Groups of mentions of one real-world event (each sorted by IRI; groups sorted by first IRI)."""
    mentions = sorted(mentions, key=lambda m: m.iri)
    parent = list(range(len(mentions)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(mentions))}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    links = [(i, j) for i, j in candidate_pairs(mentions) if linked(mentions[i], mentions[j])]
    # closest in time first, so a mention joins the report of its own day before a neighbour's
    links.sort(key=lambda p: (_gap(mentions[p[0]], mentions[p[1]]), p))
    for i, j in links:
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        if any(contradicts(mentions[x], mentions[y]) for x in members[ri] for y in members[rj]):
            continue
        if len(members[ri]) < len(members[rj]):
            ri, rj = rj, ri
        parent[rj] = ri
        members[ri].extend(members.pop(rj))
    groups = [sorted((mentions[i] for i in group), key=lambda m: m.iri) for group in members.values()]
    return sorted(groups, key=lambda g: g[0].iri)


def canonical_triples(groups: Iterable[Sequence[MentionFacts]]) -> Iterator[Triple]:
    """Triples of the canonical graph: one ekg:CanonicalEvent per group, its links and summary."""
    ekg = vocabulary().ekg
    for group in groups:
        node = canonical_iri(m.iri for m in group)
        yield node, RDF.type, ekg.CanonicalEvent
        for cls in sorted({m.event_class for m in group if m.event_class}):
            yield node, RDF.type, URIRef(cls)
        for m in group:
            yield node, ekg.hasMention, URIRef(m.iri)
            yield URIRef(m.iri), ekg.mentionOf, node
        for prop, values in ((ekg.place, "places"), (ekg.agent, "agents"), (ekg.target, "targets")):
            for iri in sorted(set().union(*(getattr(m, values) for m in group))):
                yield node, prop, URIRef(iri)
        dates = [m.date for m in group if m.date]
        if dates:
            yield node, ekg.date, Literal(min(dates).isoformat(), datatype=XSD.date)


def fetch_mentions(store) -> list[MentionFacts]:
    """Every event mention in `store` with its matching facts (`queries/mention_features.rq`), sorted by IRI.

    The rows are streamed (`store.rows`) into one small set per (mention, feature), and the IRIs
    that repeat across mentions (articles, places, agents, sources) are interned: at 50k articles
    the rows would not fit in memory as one list of strings.
    """
    text = canned_queries()["mention_features"].read_text(encoding="utf-8")
    classes = {name: str(cls) for name, cls in vocabulary().event_classes.items()}
    intern = sys.intern

    def one_date(values: set[str]) -> dt.date | None:
        # ekg:date and schema:datePublished are at most one each (SHACL); min() keeps a bad graph deterministic
        return dt.date.fromisoformat(min(values)) if values else None

    facts: dict[str, dict[str, set[str]]] = {}
    for mention, feature, value in store.rows(text):
        facts.setdefault(mention, {}).setdefault(feature, set()).add(intern(value))
    out = []
    empty: set[str] = set()
    for iri in sorted(facts):
        f = facts.pop(iri)
        get = lambda name: f.get(name, empty)   # noqa: E731
        if not get("type") or not get("article"):
            continue
        type_name = min(get("type"))
        out.append(MentionFacts(
            iri=iri, article=min(get("article")), type=type_name, event_class=classes.get(type_name, ""),
            certainty=min(get("certainty"), default="asserted"),
            date=one_date(get("date")), published=one_date(get("published")),
            agents=frozenset(get("agent")), targets=frozenset(get("target")),
            places=frozenset(get("place")), areas=frozenset(get("area") | get("place")),
            sources=frozenset(get("source")),
        ))
    return out


def link_canonical_events(store, mentions: Sequence[MentionFacts] | None = None) -> int:
    """Recompute canonical events over the whole `store` and replace its canonical graph; returns how many.

    mentions: `fetch_mentions(store)` when the caller already has them (read once for several summaries).
    Mentions of different types are never one event, so each type is clustered on its own (the
    candidate pairs of one type at a time in memory); the triples are streamed into the store.
    """
    by_type: dict[str, list[MentionFacts]] = defaultdict(list)
    for m in (fetch_mentions(store) if mentions is None else mentions):
        by_type[m.type].append(m)
    groups = sorted((g for t in sorted(by_type) for g in cluster(by_type.pop(t))), key=lambda g: g[0].iri)
    store.replace_graph(canonical_graph_iri(), canonical_triples(groups))
    return len(groups)
