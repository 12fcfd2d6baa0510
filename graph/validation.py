"""SHACL validation of a built graph with pySHACL, with violations rendered readably."""
from __future__ import annotations

from dataclasses import dataclass

from pyshacl import validate
import pyoxigraph as ox
from rdflib import Dataset, Graph, Namespace
from rdflib.namespace import RDF

from ontology import load_ontology, load_shapes

from .store import MemoryStore, OxigraphStore, ontology_graph_iri

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool
    lines: list[str]


def _data_graph(store: MemoryStore | OxigraphStore) -> Graph:
    """All statements of `store` except the ontology graph, as one rdflib Graph."""
    if isinstance(store, OxigraphStore):
        mem = MemoryStore.__new__(MemoryStore)
        mem.dataset = Dataset(default_union=True)
        mem.dataset.parse(data=store.store.dump(format=ox.RdfFormat.N_QUADS), format="nquads")
        store = mem
    data = Graph()
    for g in store.dataset.graphs():
        if g.identifier != ontology_graph_iri():
            data += g
    return data


def validate_graph(data: Graph) -> ValidationReport:
    """Validate `data` against ontology/shapes.ttl (ontology classes used for subclass targets)."""
    conforms, results, _text = validate(
        data, shacl_graph=load_shapes(), ont_graph=load_ontology(with_event_types=False),
        inference="none", abort_on_first=False, allow_warnings=True,
    )
    lines = []
    for result in sorted(results.subjects(RDF.type, SH.ValidationResult), key=str):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        value = results.value(result, SH.value)
        lines.append(f"{focus} {path or ''}: {message}" + (f" (value: {value})" if value is not None else ""))
    return ValidationReport(bool(conforms), sorted(set(lines)))


def validate_store(store: MemoryStore | OxigraphStore) -> ValidationReport:
    """Validate every non-ontology graph of `store`."""
    return validate_graph(_data_graph(store))
