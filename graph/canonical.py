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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from ontology import vocabulary

from .conflicts import event_disagreements, fetch_claims
from .iri import mint_iri
from .queries import canned_queries

DATE_WINDOW_DAYS = 2         # two stated dates of one event differ by at most this
PUBLISHED_WINDOW_DAYS = 3    # without a date, two reports of one event are published at most this far apart
_BUCKET_DAYS = max(DATE_WINDOW_DAYS, PUBLISHED_WINDOW_DAYS) + 1
WRITE_CHUNK = 50_000   # canonical triples per store transaction

Triple = tuple[URIRef, URIRef, object]


def canonical_graph_iri() -> URIRef:
    """The summary named graph holding canonical events and their mention links."""
    return mint_iri("graph", "canonical")


def canonical_iri(members: Iterable[str]) -> URIRef:
    """`id/event/<hash>` of the sorted member mention IRIs: same members, same IRI."""
    digest = hashlib.sha1("\n".join(sorted(set(members))).encode("utf-8")).hexdigest()[:16]
    return mint_iri("event", digest)


@dataclass(frozen=True, slots=True)
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
    claims: int = 0                          # how many ekg:Claim it has (not used for matching)

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


def _reaches(a: MentionFacts, b: MentionFacts, a_buckets: set[int], b_buckets: set[int]) -> bool:
    # whether the block scan of `a` meets `b`: another article, b at or inside one of a's places,
    # time buckets at most one apart (the blocks of `candidate_pairs`, as a test on one pair)
    return (a.article != b.article and a.type == b.type and bool(a.places & (b.places | b.areas))
            and any(abs(x - y) <= 1 for x in a_buckets for y in b_buckets))


def candidate_pairs(mentions: Sequence[MentionFacts]) -> Iterator[tuple[int, int]]:
    """Index pairs (i < j) worth testing with `linked`, each once: same article and type, or
    blocked by type, place and time.

    The pairs are produced mention by mention and never held together: at 50k articles there
    are tens of millions, and a set of them was most of the build's peak memory. A pair that
    both mentions' scans meet is given by the first scan (the smaller index) only.
    """
    by_article_type: dict[tuple[str, str], list[int]] = defaultdict(list)
    # (type, area, time bucket) → mentions at or inside that area, dated or published in that bucket
    blocks: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    buckets = [_time_buckets(m) for m in mentions]
    for i, m in enumerate(mentions):
        by_article_type[(m.article, m.type)].append(i)
        for area in m.places | m.areas:
            for bucket in buckets[i]:
                blocks[(m.type, area, bucket)].append(i)
    for i, m in enumerate(mentions):
        same_article = by_article_type[(m.article, m.type)]
        met = {j for j in same_article if j > i}   # the smaller index gives a same-article pair
        for place in m.places:
            for bucket in buckets[i]:
                for near in (bucket - 1, bucket, bucket + 1):
                    met.update(j for j in blocks.get((m.type, place, near), ()) if mentions[j].article != m.article)
        for j in sorted(met):
            if j > i:
                yield i, j
            elif not _reaches(mentions[j], m, buckets[j], buckets[i]):   # j's own scan missed i
                yield j, i


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


def canonical_triples(groups: Iterable[Sequence[MentionFacts]],
                      disagreements: Mapping[str, Sequence[str]] | None = None) -> Iterator[Triple]:
    """Triples of the canonical graph: one ekg:CanonicalEvent per group, its links and summary, and
    `ekg:disagreesOn` for the measures its sources disagree on (`disagreements`: canonical IRI → measures)."""
    ekg = vocabulary().ekg
    disagreements = disagreements or {}
    for group in groups:
        node = canonical_iri(m.iri for m in group)
        for measure in disagreements.get(str(node), ()):
            yield node, ekg.disagreesOn, Literal(measure)
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


_SINGLE = {"article": 0, "published": 1, "type": 2, "certainty": 3, "date": 4}
_MANY = {"agent": 5, "target": 6, "place": 7, "source": 8}


def fetch_mentions(store) -> list[MentionFacts]:
    """Every event mention in `store` with its matching facts (`queries/mention_features.rq`), sorted by IRI.

    Memory follows the mentions, not the rows: the rows are streamed into one small list per
    mention; the IRIs that repeat across mentions are interned and equal sets (the same agents,
    the same places and the areas around them) are one object, so 50k articles' mentions fit.
    The areas around each place (`queries/place_areas.rq`) are read once, not per mention.
    """
    queries = canned_queries()
    classes = {name: str(cls) for name, cls in vocabulary().event_classes.items()}
    intern = sys.intern
    above: dict[str, set[str]] = defaultdict(set)
    for place, area in store.rows(queries["place_areas"].read_text(encoding="utf-8")):
        above[place].add(area)
    shared: dict = {}

    def one(value):   # one object for equal values (frozensets, dates)
        return shared.setdefault(value, value)

    facts: dict[str, list] = {}
    claims: dict[str, int] = defaultdict(int)
    for mention, feature, value in store.rows(queries["mention_features"].read_text(encoding="utf-8")):
        if feature == "claim":
            claims[mention] += 1
            continue
        slots = facts.get(mention)
        if slots is None:
            slots = facts[intern(mention)] = [None] * 5 + [()] * 4
        at = _SINGLE.get(feature)
        if at is not None:
            # one value each (SHACL); the least keeps a bad graph deterministic
            if slots[at] is None or value < slots[at]:
                slots[at] = intern(value)
        else:
            at = _MANY[feature]
            slots[at] = (*slots[at], intern(value))

    def day(value: str | None) -> dt.date | None:
        return one(dt.date.fromisoformat(value)) if value else None

    out = []
    for iri in sorted(facts):
        article, published, type_name, certainty, date, agents, targets, places, sources = facts.pop(iri)
        if type_name is None or article is None:
            continue
        places = one(frozenset(places))
        out.append(MentionFacts(
            iri=iri, article=article, type=type_name, event_class=classes.get(type_name, ""),
            certainty=certainty or "asserted", date=day(date), published=day(published),
            agents=one(frozenset(agents)), targets=one(frozenset(targets)), places=places,
            areas=one(places.union(*(above.get(p, ()) for p in places))),
            sources=one(frozenset(sources)), claims=claims.get(iri, 0),
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
    # only events with two claims or more can hold a disagreement: their claims are read, no others
    candidates = {str(canonical_iri(m.iri for m in g)): [m.iri for m in g]
                  for g in groups if sum(m.claims for m in g) >= 2}
    claims = fetch_claims(store, {m for members in candidates.values() for m in members})
    triples = canonical_triples(groups, event_disagreements(candidates, claims))
    # in chunks: one transaction for the whole graph held every quad in memory (~1 GiB at 10k
    # articles). Every build rewrites the summaries, so one interrupted here is made whole by the next.
    store.replace_graph(canonical_graph_iri(), islice(triples, WRITE_CHUNK))
    while chunk := list(islice(triples, WRITE_CHUNK)):
        store.add_to_graph(canonical_graph_iri(), chunk)
    return len(groups)
