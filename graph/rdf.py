"""Records → RDF: the one module that turns harvested records into triples.

Each article becomes a named graph (`article_graph_iri`) with the article node, its event
mentions, their text anchors and attribution. Entity descriptions (type, @ar/@en labels,
spelling variants, containment) go to one shared named graph (`entities_graph_iri`), so the
same actor or place is one node across articles.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from extract.records import Anchor, ArticleRecord, Claim, EntityRef, EventMention
from ontology import vocabulary

from .iri import anchor_iri, article_graph_iri, article_iri, claim_iri, entities_graph_iri, entity_iri, mention_iri

Triple = tuple[URIRef, URIRef, object]


class _Terms:
    """A namespace whose terms are made once: rdflib's `Namespace` makes a new URIRef (and checks
    it) on every attribute access, a tenth of the time of turning records into triples."""

    def __init__(self, namespace) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:
        term = self._namespace[name]
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> URIRef:
        return getattr(self, name)


@functools.lru_cache(maxsize=1)
def _ns():
    v = vocabulary()
    n = v.namespaces
    return v, _Terms(n["ekg"]), _Terms(n["schema"]), _Terms(n["prov"]), _Terms(n["nif"])


def entity_triples(entity: EntityRef) -> Iterator[Triple]:
    """Type, labels, aliases and containment of one entity."""
    v, ekg, *_ = _ns()
    node = entity_iri(entity.key)
    yield node, RDF.type, v.entity_class(entity.type, entity.subtype)
    if entity.label_ar:
        yield node, RDFS.label, Literal(entity.label_ar, lang="ar")
    if entity.label_en:
        yield node, RDFS.label, Literal(entity.label_en, lang="en")
    for alias in entity.aliases:
        if alias != entity.label_ar:
            yield node, SKOS.altLabel, Literal(alias, lang="ar")
    if not entity.key.startswith(("new:", "anon:")):
        yield node, ekg.gazetteerId, Literal(entity.key)
    if entity.parent:
        yield node, ekg.locatedIn, entity_iri(entity.parent)


def _anchor_triples(article_id: str, anchor: Anchor) -> Iterator[Triple]:
    _, _, _, _, nif = _ns()
    node = anchor_iri(article_id, anchor.start, anchor.end)
    yield node, RDF.type, nif.OffsetBasedString
    yield node, nif.beginIndex, Literal(anchor.start, datatype=XSD.nonNegativeInteger)
    yield node, nif.endIndex, Literal(anchor.end, datatype=XSD.nonNegativeInteger)
    yield node, nif.anchorOf, Literal(anchor.text)
    yield node, nif.referenceContext, article_iri(article_id)


def event_triples(article_id: str, event: EventMention) -> Iterator[Triple]:
    """Triples of one event mention: type, roles, figures, certainty, evidence, attribution."""
    v, ekg, _, prov, _ = _ns()
    node = mention_iri(article_id, event.evidence.start, event.evidence.end)
    yield node, RDF.type, v.event_class(event.type)
    yield node, ekg.trigger, Literal(event.trigger)
    yield node, ekg.certainty, Literal(event.certainty)
    yield node, prov.wasDerivedFrom, article_iri(article_id)
    for anchor in (event.evidence, *event.more_evidence):
        yield node, ekg.evidence, anchor_iri(article_id, anchor.start, anchor.end)
        yield from _anchor_triples(article_id, anchor)
    for prop, refs in ((ekg.agent, event.agents), (ekg.target, event.targets), (ekg.place, event.places)):
        for ref in refs:
            yield node, prop, entity_iri(ref.key)
    if event.places and event.place_inferred:
        # analysts must be able to tell a stated place from one read off the story
        yield node, ekg.placeInferred, Literal(True)
    figures = _figure_literals(event)
    for name, literal in figures.items():
        if literal is not None:
            yield node, ekg[name], literal
    yield from _table_columns(article_id, node, event, figures)
    for source in event.sources:
        yield node, prov.wasAttributedTo, entity_iri(source.entity.key)
        if source.channel is not None:
            yield node, ekg.channel, entity_iri(source.channel.key)
    for claim in event.claims:
        yield from claim_triples(article_id, node, claim)


def _label_lists(refs: Iterable[EntityRef], need_ar: bool) -> tuple[str, str]:
    """The "|"-joined @ar and @en labels of `refs`, one entry per entity in IRI order; with
    `need_ar`, entities without an @ar label are left out (as who_did_what.rq leaves them)."""
    by_iri = {str(entity_iri(ref.key)): ref for ref in refs if ref.label_ar or not need_ar}
    ordered = [by_iri[iri] for iri in sorted(by_iri)]
    return "|".join(r.label_ar for r in ordered), "|".join(r.label_en for r in ordered)


def _figure_literals(event: EventMention) -> dict[str, Literal | None]:
    """ekg property name → the mention's date or figure as a literal, None where it states none."""
    integers = {name: None if value is None else Literal(value, datatype=XSD.integer)
                for name, value in (("killed", event.killed), ("injured", event.injured),
                                    ("count", event.count), ("casualties", event.casualties))}
    return {"date": Literal(event.date.isoformat(), datatype=XSD.date) if event.date else None, **integers}


def _table_columns(article_id: str, node: URIRef, event: EventMention,
                   figures: dict[str, Literal | None]) -> Iterator[Triple]:
    # The row of who_did_what / who_did_what_at, as text on the mention (see ekg:tableColumn in
    # the ontology): a place-filtered table then reads one value per column instead of
    # gathering labels at query time.
    _, ekg, *_ = _ns()
    for (ar, en), refs, need_ar in (((ekg.agentsAr, ekg.agentsEn), event.agents, True),
                                    ((ekg.targetsAr, ekg.targetsEn), event.targets, True),
                                    ((ekg.placesAr, ekg.placesEn), event.places, True),
                                    ((ekg.sourcesAr, ekg.sourcesEn), (s.entity for s in event.sources), False)):
        labels_ar, labels_en = _label_lists(refs, need_ar)
        yield node, ar, Literal(labels_ar)
        yield node, en, Literal(labels_en)
    first = min((event.evidence, *event.more_evidence), key=lambda a: (a.start, a.end))
    yield node, ekg.firstEvidence, anchor_iri(article_id, first.start, first.end)
    # the figures as cells always present ("" for none): an OPTIONAL per figure made Oxigraph
    # hash-join every mention's figure in the store against the place's few mentions
    for name in ("date", "killed", "injured", "count"):
        yield node, ekg[f"{name}Cell"], Literal("") if figures[name] is None else figures[name]


def claim_triples(article_id: str, mention: URIRef, claim: Claim) -> Iterator[Triple]:
    """One source's statement about the event: who says it, where, and the figures it gives."""
    _, ekg, _, prov, _ = _ns()
    key = claim.source.entity.key if claim.source else None
    node = claim_iri(article_id, claim.evidence.start, claim.evidence.end, key)
    yield mention, ekg.claim, node
    yield node, RDF.type, ekg.Claim
    yield node, RDF.type, prov.Entity
    yield node, ekg.certainty, Literal(claim.certainty)
    yield node, ekg.evidence, anchor_iri(article_id, claim.evidence.start, claim.evidence.end)
    yield from _anchor_triples(article_id, claim.evidence)
    yield node, prov.wasDerivedFrom, article_iri(article_id)
    if claim.source is not None:
        yield node, prov.wasAttributedTo, entity_iri(claim.source.entity.key)
        if claim.source.channel is not None:
            yield node, ekg.channel, entity_iri(claim.source.channel.key)
    for ref in claim.agents:
        yield node, ekg.agent, entity_iri(ref.key)
    for prop, value in ((ekg.killed, claim.killed), (ekg.injured, claim.injured),
                        (ekg["count"], claim.count), (ekg.casualties, claim.casualties)):
        if value is not None:
            yield node, prop, Literal(value, datatype=XSD.integer)


def article_triples(record: ArticleRecord) -> Iterator[Triple]:
    """All triples of one article's named graph."""
    _, ekg, schema, prov, nif = _ns()
    node = article_iri(record.id)
    yield node, RDF.type, schema.NewsArticle
    yield node, RDF.type, prov.Entity
    yield node, RDF.type, nif.Context
    yield node, schema.identifier, Literal(record.id)
    yield node, ekg.textHash, Literal(record.sha256)
    if record.published:
        yield node, schema.datePublished, Literal(record.published.isoformat(), datatype=XSD.date)
    if record.outlet:
        yield node, schema.publisher, entity_iri(record.outlet.key)
    if record.url:
        yield node, schema.url, Literal(record.url, datatype=XSD.anyURI)
    for entity in record.entities:
        yield node, schema.mentions, entity_iri(entity.key)
    for event in record.events:
        yield from event_triples(record.id, event)


def record_quads(record: ArticleRecord) -> Iterator[tuple[URIRef, URIRef, object, URIRef]]:
    """Quads for one article: its own graph, plus its entities in the shared entity graph."""
    graph = article_graph_iri(record.id)
    for s, p, o in article_triples(record):
        yield s, p, o, graph
    shared = entities_graph_iri()
    for entity in (*record.entities, *record.context):
        for s, p, o in entity_triples(entity):
            yield s, p, o, shared


def records_quads(records: Iterable[ArticleRecord]) -> Iterator[tuple]:
    for record in records:
        yield from record_quads(record)
