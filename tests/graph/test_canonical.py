"""Canonical events and entities across articles, and the conflicting-claims query, on the seeds.

The linking rules are tested on hand-made mention facts (one case per rule); the graph-level
tests build the five seed articles once and query the result.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from extract.lexicon import load_lexicons
from extract.records import Anchor, Claim, EntityRef, EventMention, Source
from graph.build import build
from graph.conflicts import ClaimFacts, disagreements
from graph.canonical import (
    MentionFacts, canonical_graph_iri, canonical_iri, cluster, fetch_mentions, link_canonical_events, linked,
)
from graph.iri import article_graph_iri, entities_graph_iri, entity_iri
from graph.queries import canned_queries
from graph.rdf import entity_triples, event_triples
from graph.store import MemoryStore, OxigraphStore
from graph.validation import validate_store
from tests.conftest import SEEDS

ARTICLE_000 = "000_8ddf759b126afac4"
CANONICAL_ROWS = """
PREFIX ekg: <https://w3id.org/eventkg/ontology#>
SELECT ?g ?event ?mention WHERE { GRAPH ?g { ?event ekg:hasMention ?mention } } ORDER BY ?event ?mention
"""


# ---------------------------------------------------------------------------------------------
# Linking rules on hand-made mentions (IRIs are the gazetteer's: Baghouz is in Deir ez-Zor)
# ---------------------------------------------------------------------------------------------

BAGHOUZ = frozenset({"baghouz"}), frozenset({"baghouz", "deir-ez-zor", "syria"})
DEIR = frozenset({"deir-ez-zor"}), frozenset({"deir-ez-zor", "syria"})
MAYADIN = frozenset({"mayadin"}), frozenset({"mayadin", "deir-ez-zor", "syria"})
IDLIB = frozenset({"idlib"}), frozenset({"idlib", "syria"})
NOWHERE = frozenset(), frozenset()
D = dt.date


def fact(iri, article, *, type="Airstrike", place=BAGHOUZ, date=None, published=None,
         agents=(), targets=(), certainty="asserted") -> MentionFacts:
    return MentionFacts(iri=iri, article=article, type=type, certainty=certainty, date=date, published=published,
                        agents=frozenset(agents), targets=frozenset(targets), places=place[0], areas=place[1])


LINK_CASES = [
    # (case, a, b, linked?)
    ("same place, dates a day apart", fact("a", "1", date=D(2019, 2, 9)), fact("b", "2", date=D(2019, 2, 10)), True),
    ("dates three days apart", fact("a", "1", date=D(2019, 2, 9)), fact("b", "2", date=D(2019, 2, 12)), False),
    ("one undated, published two days apart",
     fact("a", "1", date=D(2019, 2, 9), published=D(2019, 2, 11)), fact("b", "2", published=D(2019, 2, 13)), True),
    ("one undated, published five days apart",
     fact("a", "1", date=D(2019, 2, 9), published=D(2019, 2, 11)), fact("b", "2", published=D(2019, 2, 16)), False),
    ("nothing known about time across articles", fact("a", "1"), fact("b", "2"), False),
    ("town inside the other's governorate",
     fact("a", "1", date=D(2019, 2, 9)), fact("b", "2", place=DEIR, date=D(2019, 2, 9)), True),
    ("unrelated places", fact("a", "1", date=D(2019, 2, 9)), fact("b", "2", place=IDLIB, date=D(2019, 2, 9)), False),
    ("place missing across articles",
     fact("a", "1", date=D(2019, 2, 9)), fact("b", "2", place=NOWHERE, date=D(2019, 2, 9)), False),
    ("different types", fact("a", "1", date=D(2019, 2, 9)), fact("b", "2", type="Shelling", date=D(2019, 2, 9)), False),
    ("shared participant", fact("a", "1", date=D(2019, 2, 9), agents={"sdf"}),
     fact("b", "2", date=D(2019, 2, 9), agents={"sdf"}, targets={"islamic-state"}), True),
    ("disjoint participants across articles", fact("a", "1", date=D(2019, 2, 9), agents={"sdf"}),
     fact("b", "2", date=D(2019, 2, 9), agents={"russia"}), False),
    ("participants on one side only", fact("a", "1", date=D(2019, 2, 9), agents={"sdf"}),
     fact("b", "2", date=D(2019, 2, 9)), True),
    ("same article, same place, no dates", fact("a", "1"), fact("b", "1"), True),
    ("same article, same place, different agents", fact("a", "1", agents={"international-coalition"}),
     fact("b", "1", agents={"united-states"}), True),
    ("same article, predicted vs under way", fact("a", "1"), fact("b", "1", certainty="uncertain"), False),
    ("same article, shared agent, no places", fact("a", "1", place=NOWHERE, agents={"sdf"}),
     fact("b", "1", place=NOWHERE, agents={"sdf"}), True),
    ("same article, nothing shared", fact("a", "1", place=NOWHERE), fact("b", "1", place=NOWHERE), False),
    ("same article, dates a week apart", fact("a", "1", date=D(2019, 2, 1)), fact("b", "1", date=D(2019, 2, 8)), False),
]


@pytest.mark.parametrize("case,a,b,expected", LINK_CASES, ids=[c[0] for c in LINK_CASES])
def test_linking_rules(case, a, b, expected):
    assert linked(a, b) is expected
    assert linked(b, a) is expected


def test_cluster_does_not_chain_through_a_containing_place():
    # Baghouz ~ Deir ez-Zor ~ Mayadin pairwise, but Baghouz and Mayadin are different places
    day = D(2019, 2, 9)
    mentions = [fact("a-baghouz", "1", date=day), fact("b-deir", "2", place=DEIR, date=day),
                fact("c-mayadin", "3", place=MAYADIN, date=day)]
    groups = [{m.iri for m in g} for g in cluster(mentions)]
    assert not any({"a-baghouz", "c-mayadin"} <= g for g in groups)
    assert any(len(g) == 2 and "b-deir" in g for g in groups)


def test_cluster_is_independent_of_input_order():
    day = D(2019, 2, 9)
    mentions = [fact(f"m{i}", str(i % 3), place=(BAGHOUZ, DEIR, MAYADIN, IDLIB)[i % 4],
                     date=day + dt.timedelta(days=i % 5), agents={("sdf", "russia")[i % 2]}) for i in range(24)]
    expected = [[m.iri for m in g] for g in cluster(mentions)]
    for seed in range(5):
        shuffled = mentions[:]
        random.Random(seed).shuffle(shuffled)
        assert [[m.iri for m in g] for g in cluster(shuffled)] == expected
    assert len(expected) < len(mentions), "some mentions are linked"


def test_canonical_iri_names_the_member_set():
    assert canonical_iri(["b", "a"]) == canonical_iri(["a", "b"])
    assert canonical_iri(["a", "b"]) != canonical_iri(["a"])
    assert str(canonical_iri(["a"])).startswith("https://w3id.org/eventkg/id/event/")


# ---------------------------------------------------------------------------------------------
# The seeds
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_store(nlp):
    store = MemoryStore()
    report = build([SEEDS], store, nlp=nlp)
    assert report.ok and len(report.built) == 5, report.skipped
    return store


def copy_store(store: MemoryStore) -> MemoryStore:
    copy = MemoryStore()
    copy.dataset.parse(data=store.dataset.serialize(format="nquads"), format="nquads")
    return copy


def run(store, name: str) -> list[dict]:
    result = store.query(canned_queries()[name].read_text(encoding="utf-8"))
    return [dict(zip(result.columns, row)) for row in result.rows]


def members_by_event(store) -> dict[str, list[str]]:
    out = defaultdict(list)
    for _, event, mention in store.query(CANONICAL_ROWS, {"g": canonical_graph_iri()}).rows:
        out[event].append(mention)
    return out


def test_sdf_is_one_node_in_all_five_seeds(seed_store):
    rows = seed_store.query("""
        PREFIX schema: <https://schema.org/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?entity ?article WHERE {
          GRAPH ?g { ?entity rdfs:label ?label } FILTER(STR(?label) = "Syrian Democratic Forces")
          OPTIONAL { ?art schema:mentions ?entity ; schema:identifier ?article }
        }""").rows
    sdf = [e.id for e in load_lexicons().gazetteer.values() if e.label_en == "Syrian Democratic Forces"]
    assert {entity for entity, _ in rows} == {str(entity_iri(sdf[0]))}
    assert {article for _, article in rows} == {p.stem for p in SEEDS.glob("*.txt")}


def test_every_mention_has_exactly_one_canonical_event(seed_store):
    mentions = {m.iri for m in fetch_mentions(seed_store)}
    linked_to = defaultdict(set)
    for event, members in members_by_event(seed_store).items():
        for mention in members:
            linked_to[mention].add(event)
    assert len(mentions) >= 30
    assert set(linked_to) == mentions
    assert all(len(events) == 1 for events in linked_to.values())
    mention_of = seed_store.query("""PREFIX ekg: <https://w3id.org/eventkg/ontology#>
        SELECT ?m ?c WHERE { ?m ekg:mentionOf ?c }""").rows
    assert {(m, c) for m, c in mention_of} == {(m, next(iter(e))) for m, e in linked_to.items()}


def test_canonical_event_is_typed_like_its_mentions_and_named_by_them(seed_store):
    facts = {m.iri: m for m in fetch_mentions(seed_store)}
    types = defaultdict(set)
    for event, cls in seed_store.query("""PREFIX ekg: <https://w3id.org/eventkg/ontology#>
            SELECT ?c ?class WHERE { ?c a ekg:CanonicalEvent , ?class . ?class ekg:typeName [] }""").rows:
        types[event].add(cls)
    for event, members in members_by_event(seed_store).items():
        assert event == str(canonical_iri(members))
        assert types[event] == {facts[m].event_class for m in members}


def test_some_baghouz_event_is_reported_by_several_articles(seed_store):
    reports = run(seed_store, "reports_of")
    assert reports and reports == sorted(reports, key=lambda r: -int(r["articles"]))
    several = [r for r in reports if int(r["articles"]) >= 2 and "Baghouz" in r["place_en"].split("|")]
    assert several, "a Baghouz event reported by two or more seed articles"
    members = members_by_event(seed_store)[several[0]["event"]]
    articles = {m.rsplit("/", 2)[-2] for m in members}
    assert len(articles) >= 2 and set(several[0]["article_ids"].split("|")) == articles


def test_canonical_events_conform_to_the_shapes(seed_store):
    report = validate_store(seed_store)
    assert report.conforms, "\n".join(report.lines[:20])


def test_relinking_is_stable_and_oxigraph_agrees(seed_store):
    before = sorted(members_by_event(seed_store).items())
    again = copy_store(seed_store)
    link_canonical_events(again)
    assert sorted(members_by_event(again).items()) == before
    oxi = OxigraphStore()
    oxi.store.load(seed_store.dataset.serialize(format="nquads").encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    oxi.replace_graph(canonical_graph_iri(), [])
    link_canonical_events(oxi)
    assert sorted(members_by_event(oxi).items()) == before


# ---------------------------------------------------------------------------------------------
# conflicting_claims
# ---------------------------------------------------------------------------------------------

CONFLICT_COLUMNS = ["event", "type", "place_en", "place_ar", "date", "measure", "property", "value",
                    "source_en", "source_ar", "article", "mention", "evidence"]


def test_conflicting_claims_rows_really_disagree(seed_store, seed_articles):
    result = seed_store.query(canned_queries()["conflicting_claims"].read_text(encoding="utf-8"))
    assert result.columns == CONFLICT_COLUMNS
    texts = {a.id: a.text for a in seed_articles}
    groups = defaultdict(list)
    for row in (dict(zip(result.columns, r)) for r in result.rows):
        assert row["evidence"] in texts[row["article"]]
        groups[(row["event"], row["measure"])].append(row)
    for (event, measure), rows in groups.items():
        sources = {r["source_en"] or r["source_ar"] or r["article"] for r in rows}
        assert len(sources) >= 2, (event, measure)
        if measure == "agent":
            named = defaultdict(set)
            for r in rows:
                named[r["mention"]].add(r["value"])
            assert not set.intersection(*named.values()), (event, named)
        else:
            assert len({r["value"] for r in rows}) >= 2, (event, measure, rows)


def ministry_figure(text: str) -> EventMention:
    """The mention extraction should produce for «…أدت لمقتل 16 مدنياً في المخيم» in seed 000."""
    gazetteer = load_lexicons().gazetteer

    def ref(key):
        e = gazetteer[key]
        return EntityRef(e.id, e.type, e.label_ar, e.label_en, e.subtype, e.parent, e.aliases)

    phrase = "الضربات التي قادتها الولايات المتحدة، والتي قالت إنها أدت لمقتل 16 مدنياً في المخيم"
    start = text.index(phrase)
    evidence = Anchor(start, start + len(phrase), phrase)
    ministry = Source(ref("syrian-foreign-ministry"))
    return EventMention(
        type="Airstrike", trigger="الضربات", evidence=evidence,
        agents=(ref("united-states"),), places=(ref("baghouz"),), killed=16, sources=(ministry,),
        claims=(Claim(evidence, ministry, (ref("united-states"),), killed=16),),
    )


def camp_strike_conflict(rows: list[dict]) -> list[dict]:
    """Rows of one Baghouz airstrike where the Observatory's 70 and the ministry's 16 disagree."""
    by_event = defaultdict(list)
    for row in rows:
        if row["article"] == ARTICLE_000 and row["type"] == "Airstrike" and row["measure"] == "casualties":
            by_event[row["event"]].append(row)
    for event_rows in by_event.values():
        claims = {(r["source_en"], r["property"], r["value"]) for r in event_rows}
        if {("Syrian Observatory for Human Rights", "casualties", "70"),
                ("Syrian Foreign Ministry", "killed", "16")} <= claims:
            return event_rows
    return []


def with_ministry_figure(seed_store, seed_articles) -> tuple[MemoryStore, EventMention]:
    """A copy of the seed store with the ministry's 16-killed mention added, canonical events relinked."""
    store = copy_store(seed_store)
    text = next(a.text for a in seed_articles if a.id == ARTICLE_000)
    mention = ministry_figure(text)
    store.add_to_graph(article_graph_iri(ARTICLE_000), event_triples(ARTICLE_000, mention))
    store.add_to_graph(entities_graph_iri(), (t for r in (*mention.agents, *mention.places, mention.sources[0].entity)
                                             for t in entity_triples(r)))
    link_canonical_events(store)
    return store, mention


def test_ministry_figure_conflicts_with_the_observatory(seed_store, seed_articles):
    """Given the graph facts of the ministry's claim, the 70-vs-16 strike on the Baghouz camp is one conflict."""
    store, mention = with_ministry_figure(seed_store, seed_articles)
    rows = camp_strike_conflict(run(store, "conflicting_claims"))
    assert rows, "the Observatory's 70 casualties and the ministry's 16 killed on one canonical Airstrike"
    assert all("Baghouz" in r["place_en"].split("|") for r in rows)
    ministry = [r for r in rows if r["source_en"] == "Syrian Foreign Ministry"]
    assert any("16" in r["evidence"] and r["mention"].endswith(f"{mention.evidence.start}-{mention.evidence.end}")
               for r in ministry)


def test_seeds_hold_the_baghouz_camp_conflict(seed_store):
    assert camp_strike_conflict(run(seed_store, "conflicting_claims"))


# ---------------------------------------------------------------------------------------------
# Disagreements found at build time (graph/conflicts.py, ekg:disagreesOn)
# ---------------------------------------------------------------------------------------------

SOHR, MINISTRY, ART = "sohr", "syrian-foreign-ministry", "article/1"


def claim(iri, source, *, killed=None, injured=None, count=None, casualties=None, agents=()):
    return ClaimFacts(iri, source, killed, injured, count, casualties, frozenset(agents))


DISAGREEMENT_CASES = [
    # (case, claims, measures)
    ("two sources, two death tolls", [claim("a", SOHR, killed=12), claim("b", MINISTRY, killed=16)], ["killed"]),
    ("one source giving two tolls is not a disagreement", [claim("a", SOHR, killed=12), claim("b", SOHR, killed=16)], []),
    ("two sources, the same toll", [claim("a", SOHR, killed=16), claim("b", MINISTRY, killed=16)], []),
    ("killed-or-wounded against killed + injured",
     [claim("a", SOHR, casualties=70), claim("b", MINISTRY, killed=16)], ["casualties"]),
    ("killed-or-wounded equal to killed + injured",
     [claim("a", SOHR, casualties=20), claim("b", MINISTRY, killed=16, injured=4)], []),
    ("without a casualties figure, killed and injured say it all",
     [claim("a", SOHR, killed=3, injured=5), claim("b", MINISTRY, killed=8)], ["killed"]),
    ("no agent in common", [claim("a", SOHR, agents={"coalition"}), claim("b", MINISTRY, agents={"united-states"})],
     ["agent"]),
    ("one claim names more agents than the other",
     [claim("a", SOHR, agents={"sdf", "coalition"}), claim("b", MINISTRY, agents={"sdf"})], []),
    ("an unattributed claim counts as its article's",
     [claim("a", ART, count=30), claim("b", SOHR, count=41)], ["count"]),
    ("a lone claim", [claim("a", SOHR, killed=3, agents={"sdf"})], []),
]


@pytest.mark.parametrize("case,claims,measures", DISAGREEMENT_CASES, ids=[c[0] for c in DISAGREEMENT_CASES])
def test_disagreements(case, claims, measures):
    assert disagreements(claims) == measures


@pytest.mark.parametrize("extra", [False, True], ids=["seeds", "seeds with the ministry's figure"])
def test_conflicting_claims_found_at_build_are_those_found_by_comparing_every_claim(seed_store, seed_articles, extra):
    """conflicting_claims reads the disagreements the build wrote; comparing every claim at query time
    (the query as it was, GROUP BY/HAVING over the whole store) gives the same rows."""
    store = with_ministry_figure(seed_store, seed_articles)[0] if extra else seed_store
    reference = store.query((Path(__file__).parent / "conflicting_claims_by_aggregation.rq").read_text(encoding="utf-8"))
    result = store.query(canned_queries()["conflicting_claims"].read_text(encoding="utf-8"))
    assert result.rows, "the seeds hold disagreements"
    assert result.columns == reference.columns
    # rows that tie on the sort key may come in either order
    assert sorted(map(tuple, result.rows), key=str) == sorted(map(tuple, reference.rows), key=str)
