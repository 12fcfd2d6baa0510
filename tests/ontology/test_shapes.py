"""The ontology files and the SHACL shapes: labels, the gold event types, and validation of the seeds graph.

The seeds graph must conform; each malformed copy (one defect planted in the real graph) must fail
`eventkg validate` with exit status 1 and a line naming the broken node and what is wrong.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from typer.testing import CliRunner

from graph.build import build
from graph.canonical import canonical_graph_iri
from graph.cli import app
from graph.store import MemoryStore
from ontology import EVENT_TYPES_FILE, ONTOLOGY_FILE, load_ontology, vocabulary
from tests.conftest import GOLD, SEEDS

runner = CliRunner()
EKG = vocabulary().ekg
PROV = vocabulary().namespaces["prov"]
NIF = vocabulary().namespaces["nif"]
CAMEO = "https://w3id.org/eventkg/cameo#"
ACLED = "https://w3id.org/eventkg/acled#"
MAPPING_RELATIONS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
XSD_NON_NEGATIVE = URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")


# ---------------------------------------------------------------------------------------------
# Ontology and SKOS scheme
# ---------------------------------------------------------------------------------------------

def _ontology_terms() -> list[URIRef]:
    graph = load_ontology(with_event_types=False)
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
    return sorted({t for k in kinds for t in graph.subjects(RDF.type, k) if str(t).startswith(str(EKG))})


def gold_event_types() -> list[str]:
    """The event type names listed in the gold SCHEMA.md ("Event types (...):" up to "Rules:")."""
    text = (GOLD / "SCHEMA.md").read_text(encoding="utf-8")
    block = text.split("Event types", 1)[1].split("Rules:", 1)[0]
    block = block.split(":", 1)[1]
    block = re.sub(r"\([^)]*\)", "", block)            # drop the glosses in parentheses
    names = [n.strip().rstrip(".").strip() for n in block.replace("\n", " ").split(",")]
    return [n for n in names if n]


def test_ontology_declares_terms():
    assert len(_ontology_terms()) >= 50


@pytest.mark.parametrize("term", _ontology_terms(), ids=lambda t: str(t).rsplit("#", 1)[-1])
def test_every_ontology_term_has_english_and_arabic_labels(term):
    graph = load_ontology(with_event_types=False)
    languages = {label.language for label in graph.objects(term, RDFS.label)}
    assert {"en", "ar"} <= languages, f"{term} in {ONTOLOGY_FILE.name}: rdfs:label languages {languages}"


def test_gold_schema_lists_the_event_classes():
    names = gold_event_types()
    assert all(re.fullmatch(r"[A-Z][A-Za-z]+", n) for n in names), names
    assert set(names) == set(vocabulary().event_classes), "every gold type has a class and every event class a gold type"


@pytest.mark.parametrize("name", gold_event_types())
def test_gold_event_type_has_class_and_mapped_concept(name):
    graph = load_ontology()
    cls = vocabulary().event_classes[name]
    assert (cls, RDFS.subClassOf, EKG.Event) in graph
    concept = graph.value(cls, EKG.eventType)
    assert concept is not None, f"{cls} has no ekg:eventType concept"
    assert (concept, RDF.type, SKOS.Concept) in graph
    assert (concept, SKOS.inScheme, EKG.EventTypeScheme) in graph
    assert str(graph.value(concept, SKOS.notation)) == name
    assert graph.value(concept, EKG.eventClass) == cls
    # any SKOS mapping relation counts: where no code fits exactly, the scheme says broad/related honestly
    mapped = {str(o) for p in MAPPING_RELATIONS for o in graph.objects(concept, p)}
    assert any(m.startswith((CAMEO, ACLED)) for m in mapped), \
        f"{concept} in {EVENT_TYPES_FILE.name}: no SKOS mapping to a CAMEO or ACLED concept"
    for target in mapped:
        assert (URIRef(target), RDF.type, SKOS.Concept) in graph, f"{target} is not a minted concept"


def test_no_two_event_types_exactly_match_one_code():
    graph = load_ontology()
    owners: dict[str, set[str]] = {}
    for concept, target in graph.subject_objects(SKOS.exactMatch):
        if (concept, SKOS.inScheme, EKG.EventTypeScheme) in graph:
            owners.setdefault(str(target), set()).add(str(concept))
    assert owners and all(len(c) == 1 for c in owners.values()), owners


# ---------------------------------------------------------------------------------------------
# SHACL on the seeds graph
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeds_graph(nlp, tmp_path_factory) -> Path:
    store = MemoryStore()
    report = build([SEEDS], store, nlp=nlp)
    assert report.ok and len(report.built) == 5, report.skipped
    out = tmp_path_factory.mktemp("shapes") / "seeds.trig"
    store.write(out)
    return out


def validate(path: Path):
    return runner.invoke(app, ["validate", "--graph", str(path)])


def test_seeds_graph_conforms(seeds_graph):
    result = validate(seeds_graph)
    assert result.exit_code == 0, result.output


def _first(ds: Dataset, sparql: str) -> URIRef:
    rows = sorted(ds.query(sparql), key=lambda r: str(r[0]))
    assert rows, f"the seeds graph has no node for: {sparql}"
    return rows[0][0]


def _graph_of(ds: Dataset, node, predicate=None):
    for _, _, _, g in ds.quads((node, predicate, None, None)):
        return ds.graph(g)
    raise AssertionError(f"{node} has no {predicate}")


PREFIXES = """PREFIX ekg: <https://w3id.org/eventkg/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sem: <http://semanticweb.cs.vu.nl/2009/11/sem/> """
MENTION = PREFIXES + "SELECT ?m WHERE { ?m prov:wasDerivedFrom [] ; ekg:certainty [] ; ekg:agent [] ; ekg:claim [] }"


def remove_certainty(ds):
    m = _first(ds, MENTION)
    _graph_of(ds, m, EKG.certainty).remove((m, EKG.certainty, None))
    return m, "has no ekg:certainty"


def certainty_maybe(ds):
    m = _first(ds, MENTION)
    g = _graph_of(ds, m, EKG.certainty)
    g.set((m, EKG.certainty, Literal("maybe")))
    return m, "one of the plain strings"


def anchor_begin_after_end(ds):
    a = _first(ds, PREFIXES + "SELECT ?a WHERE { ?a a nif:OffsetBasedString }")
    g = _graph_of(ds, a, NIF.beginIndex)
    end = int(g.value(a, NIF.endIndex))
    g.set((a, NIF.beginIndex, Literal(end + 5, datatype=XSD_NON_NEGATIVE)))
    return a, "beginIndex must be smaller than its nif:endIndex"


def entity_without_arabic_label(ds):
    e = _first(ds, PREFIXES + "SELECT ?e WHERE { ?m ekg:agent ?e . ?e rdfs:label ?l FILTER(LANG(?l) = 'en') }")
    g = _graph_of(ds, e, RDFS.label)
    for label in list(g.objects(e, RDFS.label)):
        if label.language == "ar":
            g.remove((e, RDFS.label, label))
    return e, "needs an Arabic rdfs:label"


def negative_killed(ds):
    m = _first(ds, MENTION)
    _graph_of(ds, m, EKG.certainty).set((m, EKG.killed, Literal(-3, datatype=XSD_INTEGER)))
    return m, "ekg:killed: at most one value, a non-negative integer"


def agent_untyped(ds):
    m = _first(ds, MENTION)
    g = _graph_of(ds, m, EKG.agent)
    g.add((m, EKG.agent, URIRef("https://w3id.org/eventkg/id/entity/nobody-knows")))
    return m, "ekg:agent must point to an actor"


def canonical_without_mentions(ds):
    c = _first(ds, PREFIXES + "SELECT ?c WHERE { ?c a ekg:CanonicalEvent }")
    g = ds.graph(canonical_graph_iri())
    for m in list(g.objects(c, EKG.hasMention)):
        g.remove((c, EKG.hasMention, m))
        g.remove((m, EKG.mentionOf, c))
    return c, "canonical event needs at least one event mention"


def canonical_mentions_a_canonical(ds):
    events = sorted(set(ds.graph(canonical_graph_iri()).subjects(RDF.type, EKG.CanonicalEvent)), key=str)
    ds.graph(canonical_graph_iri()).add((events[0], EKG.mentionOf, events[1]))
    return events[0], "must not itself be ekg:mentionOf another event"


MUTATIONS: list[Callable] = [remove_certainty, certainty_maybe, anchor_begin_after_end, entity_without_arabic_label,
                             negative_killed, agent_untyped, canonical_without_mentions, canonical_mentions_a_canonical]


@pytest.mark.parametrize("mutate", MUTATIONS, ids=lambda f: f.__name__)
def test_malformed_graph_is_caught(seeds_graph, tmp_path, mutate):
    ds = Dataset(default_union=True)
    ds.parse(seeds_graph, format="trig")
    node, message = mutate(ds)
    broken = tmp_path / "broken.trig"
    broken.write_text(ds.serialize(format="trig"), encoding="utf-8")
    result = validate(broken)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith(str(node) + " ")]
    assert any(message in line for line in lines), f"no violation naming {node} with {message!r}:\n{result.stdout}"
