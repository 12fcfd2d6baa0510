"""The eventkg vocabulary, loaded from the Turtle files in this folder.

Namespaces and the mapping from extractor labels (gold type names, gazetteer subtypes) to
OWL classes are read from `eventkg.ttl`, never duplicated as constants: `ekg:typeName`
gives a class's gold type name, `ekg:subtypeName` a place class's gazetteer subtype.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDFS

HERE = Path(__file__).parent
ONTOLOGY_FILE = HERE / "eventkg.ttl"
EVENT_TYPES_FILE = HERE / "event_types.ttl"
SHAPES_FILE = HERE / "shapes.ttl"


@dataclass(frozen=True)
class Vocabulary:
    """Namespaces and type→class maps read from the ontology."""

    graph: Graph
    namespaces: dict[str, Namespace]
    event_classes: dict[str, URIRef]      # gold event type → class
    entity_classes: dict[str, URIRef]     # gold entity type → class (Place → ekg:Place)
    place_classes: dict[str, URIRef]      # gazetteer subtype → place class

    @property
    def ekg(self) -> Namespace:
        return self.namespaces["ekg"]

    @property
    def ids(self) -> Namespace:
        return self.namespaces["id"]

    def entity_class(self, entity_type: str, subtype: str = "") -> URIRef:
        """Class for an entity of gold `entity_type` (a Place's `subtype` refines it)."""
        if entity_type == "Place" and subtype in self.place_classes:
            return self.place_classes[subtype]
        try:
            return self.entity_classes[entity_type]
        except KeyError:
            raise KeyError(f"no class with ekg:typeName {entity_type!r} in {ONTOLOGY_FILE}") from None

    def event_class(self, event_type: str) -> URIRef:
        try:
            return self.event_classes[event_type]
        except KeyError:
            raise KeyError(f"no event class with ekg:typeName {event_type!r} in {ONTOLOGY_FILE}") from None


@functools.lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """Parse eventkg.ttl once and return its namespaces and class maps."""
    graph = Graph()
    graph.parse(ONTOLOGY_FILE, format="turtle")
    namespaces = {prefix: Namespace(str(ns)) for prefix, ns in graph.namespaces()}
    ekg = namespaces["ekg"]
    # resources live beside the vocabulary: https://w3id.org/eventkg/ontology# → …/eventkg/id/
    namespaces["id"] = Namespace(str(ekg).rsplit("/", 1)[0] + "/id/")
    event_root = ekg.Event
    events, entities, places = {}, {}, {}
    for cls, name in graph.subject_objects(ekg.typeName):
        name = str(name)
        if (cls, RDFS.subClassOf, event_root) in graph:
            events[name] = cls
        elif cls == ekg.Place or (cls, RDFS.subClassOf, ekg.Place) not in graph or cls == ekg.Country:
            entities.setdefault(name, cls)
    entities["Place"] = ekg.Place
    entities.setdefault("AnonymousSource", ekg.AnonymousSource)
    for cls, sub in graph.subject_objects(ekg.subtypeName):
        places[str(sub)] = cls
    return Vocabulary(graph, namespaces, events, entities, places)


def load_shapes() -> Graph:
    """The SHACL shapes graph."""
    return Graph().parse(SHAPES_FILE, format="turtle")


def load_ontology(with_event_types: bool = True) -> Graph:
    """The ontology graph, with the SKOS event-type scheme unless told otherwise."""
    graph = Graph().parse(ONTOLOGY_FILE, format="turtle")
    if with_event_types:
        graph.parse(EVENT_TYPES_FILE, format="turtle")
    return graph


