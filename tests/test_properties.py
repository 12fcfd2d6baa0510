"""Properties that must hold for any input (hypothesis).

* the pipeline never raises, whatever the text;
* every offset slices the article text to exactly its recorded evidence;
* minted IRIs are always valid (no forbidden characters; they survive N-Triples and Turtle);
* the graph built from any text re-parses in every export format, on both stores.

Texts are arbitrary Unicode, and mixes of real Arabic news fragments (from the seeds) with
noise: punctuation, digits of both kinds, quotes, presentation forms, diacritics, controls.
"""
from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path

import pyoxigraph as ox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

from extract.pipeline import process_article
from extract.reader import Article, ArticleMeta
from graph.iri import article_graph_iri, entities_graph_iri, entity_iri, mint_iri
from graph.rdf import article_triples, entity_triples
from graph.store import MemoryStore, OxigraphStore

from .conftest import SEEDS

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEAVY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fragments() -> list[str]:
    """Clauses and word runs of the seed articles: the vocabulary the extractor reacts to."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    clauses = [c.strip() for c in re.split(r"[.،؛\n]", text) if len(c.strip()) > 3]
    words = text.split()
    runs = [" ".join(words[i:i + n]) for n in (2, 4) for i in range(0, len(words) - n, 7)]
    return clauses + runs


FRAGMENTS = _fragments()
NOISE = ["«", "»", '"', "“", "”", ".", "،", "؛", ":", "(", ")", "-", "—", "\n", "\n\n", " ", "  ", "\t",
         "12", "١٢٣", "٢٠١٩", "3,500", "ـ", "\u064b", "\u0651", "\u200f", "\u202b", "\u200c", "ﻻ", "ﷲ", "ﺍﻟﺒﺎﻏﻮﺯ",
         "و", "ب", "لـ", "ال", "قال", "إن", "أمس", "يوم الإثنين", "http://x.y/z?a=1&b=<2>", "\u0000", "\r", "\x0b",
         "\U0001F600", "𝔸", "e\u0301"]

arabic_news = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(NOISE), st.text(max_size=8)),
    min_size=1, max_size=14,
).map(" ".join)
any_text = st.one_of(st.text(max_size=400), arabic_news)
dates = st.one_of(st.none(), st.dates(min_value=datetime.date(2011, 1, 1), max_value=datetime.date(2025, 12, 31)))


def article(text: str, published: datetime.date | None = None, outlet: str | None = None) -> Article:
    return Article(id="prop", path=Path("prop.txt"), text=text,
                   sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                   meta=ArticleMeta(id="prop", outlet=outlet, published=published))


def assert_offsets_exact(record, text: str) -> None:
    for mention in record.mentions:
        assert 0 <= mention.start <= mention.end <= len(text)
        assert text[mention.start:mention.end] == mention.text
    for event in record.events:
        for anchor in (event.evidence, *event.more_evidence):
            assert 0 <= anchor.start < anchor.end <= len(text)
            assert text[anchor.start:anchor.end] == anchor.text


# -------------------------------------------------------------------- the pipeline


@PROPERTY
@given(text=st.text(max_size=600), published=dates)
def test_pipeline_never_raises_on_arbitrary_unicode(nlp, text, published):
    record = process_article(nlp, article(text, published))
    assert_offsets_exact(record, text)


@PROPERTY
@given(text=arabic_news, published=dates, outlet=st.one_of(st.none(), st.sampled_from(["Al-Liwaa", "رويترز"]), st.text(max_size=12)))
def test_offsets_slice_exactly_to_the_evidence(nlp, text, published, outlet):
    record = process_article(nlp, article(text, published, outlet))
    assert_offsets_exact(record, text)


def test_the_fragments_do_produce_records(nlp):
    """The mixed strategy is not vacuous: seed fragments alone give entities and events."""
    record = process_article(nlp, article(" ".join(FRAGMENTS[:40])))
    assert len(record.mentions) >= 10 and len(record.events) >= 3


# ---------------------------------------------------------------------------- IRIs

FORBIDDEN = re.compile(r'[\s<>"{}|^`\\\x00-\x20\x7f]')


def assert_valid_iri(iri: URIRef) -> None:
    assert not FORBIDDEN.search(str(iri)), iri
    assert str(iri).startswith("https://w3id.org/eventkg/id/")
    ox.NamedNode(str(iri))   # Oxigraph's strict IRI parser accepts it
    graph = Graph()
    graph.add((iri, RDFS.label, Literal("x")))
    for fmt in ("nt", "turtle"):
        again = Graph().parse(data=graph.serialize(format=fmt), format=fmt)
        assert set(again.subjects()) == {iri}, fmt


@PROPERTY
@given(kind=st.text(min_size=1, max_size=20), parts=st.lists(st.text(max_size=30), max_size=4))
def test_minted_iris_are_valid(kind, parts):
    assert_valid_iri(mint_iri(kind, *parts))


@PROPERTY
@given(key=st.one_of(st.text(max_size=40), st.text(max_size=40).map("new:".__add__),
                     st.text(max_size=40).map("anon:".__add__), st.sampled_from(FRAGMENTS)))
def test_entity_iris_are_valid_and_deterministic(key):
    iri = entity_iri(key)
    assert_valid_iri(iri)
    assert entity_iri(key) == iri


# ---------------------------------------------------------------- serialisations


def graph_of(record) -> MemoryStore:
    store = MemoryStore()
    store.replace_graph(article_graph_iri(record.id), article_triples(record))
    store.add_to_graph(entities_graph_iri(), (t for e in (*record.entities, *record.context) for t in entity_triples(e)))
    return store


EXPORTS = {".trig": ("trig", ox.RdfFormat.TRIG), ".nq": ("nquads", ox.RdfFormat.N_QUADS),
           ".ttl": ("turtle", ox.RdfFormat.TURTLE), ".nt": ("nt", ox.RdfFormat.N_TRIPLES),
           ".jsonld": ("json-ld", None)}


@HEAVY
@given(text=arabic_news, published=dates, outlet=st.one_of(st.none(), st.text(max_size=12)))
def test_the_graph_reparses_in_every_export_format(nlp, tmp_path_factory, text, published, outlet):
    record = process_article(nlp, article(text, published, outlet))
    store = graph_of(record)
    union = Graph()
    for triple in store.dataset.triples((None, None, None)):
        union.add(triple)
    folder = tmp_path_factory.mktemp("export")
    for suffix, (rdflib_format, ox_format) in EXPORTS.items():
        path = folder / f"g{suffix}"
        store.write(path)
        if rdflib_format in ("turtle", "nt"):
            again = Graph().parse(path, format=rdflib_format)
        else:
            dataset = Dataset(default_union=True)
            dataset.parse(path, format=rdflib_format)
            again = Graph()
            for triple in dataset.triples((None, None, None)):
                again.add(triple)
        assert isomorphic(again, union), suffix
        if ox_format is not None:   # and Oxigraph's strict parsers agree
            assert len({(q.subject, q.predicate, q.object) for q in ox.parse(path=str(path), format=ox_format)}) == len(union)


@HEAVY
@given(texts=st.lists(st.text(max_size=60), min_size=1, max_size=5))
def test_oxigraph_store_writes_keep_any_text_exactly(texts):
    """The transactional store write (SPARQL INSERT DATA from N-Triples) round-trips every literal."""
    store = OxigraphStore()
    graph = article_graph_iri("prop")
    subject = URIRef("https://w3id.org/eventkg/id/entity/x")
    triples = [(subject, RDFS.label, Literal(t, lang="ar")) for t in texts] + [(subject, RDFS.comment, Literal(t)) for t in texts]
    store.replace_graphs({graph: triples})
    stored = {(q.predicate.value, q.object.value) for q in store.store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph)))}
    assert stored == {(str(p), str(o)) for _, p, o in triples}
