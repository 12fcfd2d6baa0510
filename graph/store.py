"""Graph stores behind one interface: rdflib in memory, or Oxigraph on disk.

`MemoryStore` (rdflib `Dataset`, union default graph) serves file outputs and small builds;
`OxigraphStore` (pyoxigraph, `--store DIR`) serves large corpora and fast SPARQL. Both hold
one named graph per article whose `ekg:textHash` lets builds skip unchanged articles and
replace changed ones, a shared entity graph, and the ontology graph.
"""
from __future__ import annotations

import functools
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from ontology import load_ontology, vocabulary

from .iri import mint_iri
from .sparql_guard import check_query, take_rows

# file extension → (rdflib format, oxigraph format, keeps named graphs)
FORMATS: dict[str, tuple[str, ox.RdfFormat, bool]] = {
    ".trig": ("trig", ox.RdfFormat.TRIG, True),
    ".nq": ("nquads", ox.RdfFormat.N_QUADS, True),
    ".ttl": ("turtle", ox.RdfFormat.TURTLE, False),
    ".nt": ("nt", ox.RdfFormat.N_TRIPLES, False),
    ".jsonld": ("json-ld", None, True),
}
FORMAT_BY_NAME = {"trig": ".trig", "nquads": ".nq", "turtle": ".ttl", "ntriples": ".nt", "jsonld": ".jsonld"}


class StoreError(RuntimeError):
    """A store could not be opened, read or written; the message names the path."""


def ontology_graph_iri() -> URIRef:
    return mint_iri("graph", "ontology")


@dataclass(frozen=True)
class QueryResult:
    """Plain results: column names and rows of strings (None for unbound)."""

    columns: list[str]
    rows: list[list[str | None]]
    truncated: bool = False   # rows beyond the caller's max_rows were dropped


def format_for(path: Path) -> tuple[str, ox.RdfFormat | None, bool]:
    """The serialisation a file name asks for; raises StoreError for an unknown extension."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise StoreError(f"{path}: unknown RDF extension {path.suffix!r} (use {', '.join(FORMATS)})") from None


def atomic_write(path: Path, write) -> None:
    """Call `write(tmp_path)` then move the file into place, so a crash leaves the old file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        # mkstemp makes the file private (0600); outputs get the usual umask-based mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _plain(term) -> str | None:
    if term is None:
        return None
    if isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return term.value
    return str(term)


class MemoryStore:
    """rdflib Dataset with a union default graph."""

    def __init__(self) -> None:
        self.dataset = Dataset(default_union=True)
        self._ensure_ontology()

    def _ensure_ontology(self) -> None:
        graph = self.dataset.graph(ontology_graph_iri())
        if len(graph) == 0:
            for triple in load_ontology():
                graph.add(triple)

    @classmethod
    def load(cls, path: Path) -> MemoryStore:
        """Read a graph file (format from its extension)."""
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"{path}: no such graph file")
        fmt, _, named = format_for(path)
        store = cls.__new__(cls)
        store.dataset = Dataset(default_union=True)
        try:
            if named:
                store.dataset.parse(path, format=fmt)
            else:
                store.dataset.graph(mint_iri("graph", "merged")).parse(path, format=fmt)
        except Exception as exc:
            raise StoreError(f"{path}: cannot parse as {fmt}: {exc}") from exc
        store._ensure_ontology()
        return store

    def article_hashes(self) -> dict[URIRef, str]:
        ekg = vocabulary().ekg
        return {
            URIRef(g.identifier): str(h)
            for g in self.dataset.graphs()
            for h in g.objects(None, ekg.textHash)
        }

    def described_entities(self) -> set[URIRef]:
        from .iri import entities_graph_iri
        return {URIRef(s) for s in self.dataset.graph(entities_graph_iri()).subjects(RDF.type, None)}

    def replace_graph(self, graph_iri: URIRef, triples: Iterable[tuple]) -> None:
        self.dataset.remove_graph(self.dataset.graph(graph_iri))
        graph = self.dataset.graph(graph_iri)
        for triple in triples:
            graph.add(triple)

    def add_to_graph(self, graph_iri: URIRef, triples: Iterable[tuple]) -> None:
        graph = self.dataset.graph(graph_iri)
        for triple in triples:
            graph.add(triple)

    def replace_graphs(self, graphs: Mapping[URIRef, Iterable[tuple]],
                       additions: Mapping[URIRef, Iterable[tuple]] | None = None) -> None:
        """Replace each named graph in `graphs` by its triples, then add `additions` (graph → triples)."""
        for graph_iri, triples in graphs.items():
            self.replace_graph(graph_iri, triples)
        for graph_iri, triples in (additions or {}).items():
            self.add_to_graph(graph_iri, triples)

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None,
              max_rows: int | None = None) -> QueryResult:
        check_query(sparql)  # read-only, no SERVICE/LOAD/local files (graph/sparql_guard.py)
        result = self.dataset.query(sparql, initBindings=dict(bindings or {}))
        if result.type == "ASK":
            return QueryResult(["ask"], [[str(bool(result.askAnswer)).lower()]])
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            return QueryResult(["subject", "predicate", "object"],
                               *take_rows(([str(t) for t in row] for row in result.graph), max_rows))
        columns = [str(v) for v in result.vars]
        return QueryResult(columns, *take_rows(([None if v is None else str(v) for v in row] for row in result), max_rows))

    def rows(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> Iterator[list[str | None]]:
        """The rows of a SELECT one at a time, in its column order (for results too big to hold as a QueryResult)."""
        check_query(sparql)
        for row in self.dataset.query(sparql, initBindings=dict(bindings or {})):
            yield [None if v is None else str(v) for v in row]

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update (callers decide it is allowed; SERVICE/LOAD/local files stay refused)."""
        check_query(sparql, allow_update=True)
        self.dataset.update(sparql)

    def __len__(self) -> int:
        return sum(len(g) for g in self.dataset.graphs())

    def write(self, path: Path) -> None:
        """Serialise to `path` atomically; .trig/.nq keep named graphs, .ttl/.nt merge them."""
        path = Path(path)
        fmt, _, named = format_for(path)

        def write(tmp: Path) -> None:
            if fmt == "trig":
                data = _sorted_trig(self.dataset)
            elif named:
                data = self.dataset.serialize(format=fmt)
            else:
                merged = Graph()
                for prefix, ns in vocabulary().namespaces.items():
                    merged.bind(prefix, ns)
                for triple in self.dataset.triples((None, None, None)):
                    merged.add(triple)
                data = merged.serialize(format=fmt)
            if fmt in ("nquads", "nt"):
                # split on "\n" only: str.splitlines also breaks at U+2028, \x1c-\x1e, \x85 ... inside literals
                data = "".join(sorted({line + "\n" for line in data.split("\n") if line}))
            tmp.write_text(data, encoding="utf-8")

        atomic_write(path, write)


def _sorted_trig(dataset: Dataset) -> str:
    """TriG with graphs in IRI order and subjects sorted inside each graph.

    rdflib's TriG writer follows its store's internal graph order, which varies between runs;
    writing each graph with the (subject-sorted) Turtle writer keeps rebuilds byte-identical.
    """
    namespaces = vocabulary().namespaces
    prefixes: set[str] = set()
    blocks = []
    for graph in sorted(dataset.graphs(), key=lambda g: str(g.identifier)):
        if not len(graph) or graph.identifier == dataset.default_graph.identifier:
            continue
        body = Graph()
        for prefix, ns in namespaces.items():
            body.bind(prefix, ns)
        for triple in graph:
            body.add(triple)
        # "\n" only (str.splitlines also breaks at U+2028, \x1c-\x1e, \x85 ... inside literals), and
        # only the leading @prefix block: a multi-line literal may have a line starting "@prefix"
        turtle = body.serialize(format="turtle").split("\n")
        header = next(i for i, ln in enumerate(turtle) if ln.strip() and not ln.startswith("@prefix"))
        prefixes.update(ln for ln in turtle[:header] if ln.startswith("@prefix"))
        lines = turtle[header:]
        # no re-indenting: a line may sit inside a multi-line (triple-quoted) literal
        text = "\n".join(lines).strip("\n")
        blocks.append(f"{graph.identifier.n3()} {{\n{text}\n}}\n")
    return "\n".join(["\n".join(sorted(prefixes)) + "\n", *blocks])


BULK_MIN_TRIPLES = 20_000   # below this a transactional insert costs about as much as a bulk load


@functools.lru_cache(maxsize=4096)
def _ox_iri(iri: str) -> ox.NamedNode:
    # predicates, classes, datatypes and entities repeat in every article: convert each once
    return ox.NamedNode(iri)


def _to_ox(term):
    if isinstance(term, URIRef):
        return _ox_iri(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=_ox_iri(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def _ox_quads(graph: ox.NamedNode, triples: Iterable[tuple]) -> Iterator[ox.Quad]:
    for s, p, o in triples:
        yield ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o), graph)


_SPARQL_TOKEN = re.compile(r"""
    (?P<skip> \#[^\n]*                                   # comment
      | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\" | '''(?:[^'\\]|\\.|'(?!''))*'''
      | "(?:[^"\\\n]|\\.)*" | '(?:[^'\\\n]|\\.)*'      # strings
      | <[^<>"{}|^`\\\x00-\x20]*>                        # IRIs
      | [A-Za-z_][\w.-]*:[^\s{}()<>,;"']* | :[^\s{}()<>,;"']*)   # prefixed names
  | (?P<var> [?$]\w+)
  | (?P<word> [A-Za-z_]\w*)
  | (?P<open> [{(])
  | (?P<close> [})])
  | (?P<star> \*)
""", re.VERBOSE)
_AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}


class ParameterError(ValueError):
    """Query parameters cannot be bound on this engine for this form of query."""


def project_parameters(sparql: str, names: list[str]) -> tuple[str, set[str]]:
    """`sparql` with the variables `names` added to its top-level SELECT (and GROUP BY), and which were added.

    Only the query's structure changes; parameter values are still bound by the engine.
    Raises ParameterError for ASK/CONSTRUCT/DESCRIBE and `SELECT *`, which Oxigraph cannot bind.
    """
    depth = 0
    select_at = body_at = body_end = group_by_at = None
    projected: set[str] = set()
    star = has_aggregate = False
    previous = ""
    for token in _SPARQL_TOKEN.finditer(sparql):
        kind, text = token.lastgroup, token.group()
        if kind == "skip":
            continue
        word = text.upper() if kind == "word" else ""
        if select_at is None:
            if word == "SELECT" and depth == 0:
                select_at = token.end()
            elif word in ("ASK", "CONSTRUCT", "DESCRIBE") and depth == 0:
                break
        elif body_at is None:
            if depth == 0 and (text == "{" or word in ("WHERE", "FROM")):
                body_at = token.start()
            elif kind == "star" and depth == 0:
                star = True
            elif kind == "var" and (depth == 0 or previous == "AS"):
                projected.add(text[1:])
            elif word in _AGGREGATES:
                has_aggregate = True
        elif body_end is None:
            if kind == "close" and text == "}" and depth == 1:
                body_end = token.end()
        elif depth == 0 and word == "BY" and previous == "GROUP":
            group_by_at = token.end()
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        previous = word
    if select_at is None or body_at is None or star:
        raise ParameterError("Oxigraph binds query parameters only in SELECT queries that list their variables "
                             "(not ASK, CONSTRUCT, DESCRIBE or SELECT *)")
    added = [n for n in dict.fromkeys(names) if n not in projected]
    if not added:
        return sparql, set()
    extra = "".join(f" ?{n}" for n in added)
    edits = [(body_at, extra + " ")]
    if group_by_at is not None:
        edits.append((group_by_at, extra))
    elif has_aggregate and body_end is not None:
        edits.append((body_end, " GROUP BY" + extra))
    for at, text in sorted(edits, reverse=True):
        sparql = sparql[:at] + text + sparql[at:]
    return sparql, set(added)


class OxigraphStore:
    """pyoxigraph Store on disk (or in memory when `path` is None)."""

    _bulk_loaded = False   # bulk-loaded files not yet compacted (flush() optimizes)

    def __init__(self, path: Path | None = None) -> None:
        try:
            self.store = ox.Store(str(path)) if path is not None else ox.Store()
        except OSError as exc:
            raise StoreError(f"{path}: cannot open Oxigraph store: {exc}") from exc
        self.path = path
        onto = ox.NamedNode(str(ontology_graph_iri()))
        if not any(True for _ in self.store.quads_for_pattern(None, None, None, onto)):
            self.store.extend(ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o), onto) for s, p, o in load_ontology())

    def article_hashes(self) -> dict[URIRef, str]:
        pred = ox.NamedNode(str(vocabulary().ekg.textHash))
        return {URIRef(q.graph_name.value): q.object.value for q in self.store.quads_for_pattern(None, pred, None, None)
                if isinstance(q.graph_name, ox.NamedNode)}

    def described_entities(self) -> set[URIRef]:
        from .iri import entities_graph_iri
        g = ox.NamedNode(str(entities_graph_iri()))
        rdf_type = ox.NamedNode(str(RDF.type))
        return {URIRef(q.subject.value) for q in self.store.quads_for_pattern(None, rdf_type, None, g)}

    def replace_graph(self, graph_iri: URIRef, triples: Iterable[tuple]) -> None:
        g = ox.NamedNode(str(graph_iri))
        if self.store.contains_named_graph(g):
            self.store.remove_graph(g)
        self.store.extend(ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o), g) for s, p, o in triples)

    def add_to_graph(self, graph_iri: URIRef, triples: Iterable[tuple]) -> None:
        g = ox.NamedNode(str(graph_iri))
        self.store.extend(ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o), g) for s, p, o in triples)

    def replace_graphs(self, graphs: Mapping[URIRef, Iterable[tuple]],
                       additions: Mapping[URIRef, Iterable[tuple]] | None = None) -> None:
        """Replace each named graph in `graphs` by its triples, then add `additions` (graph → triples).

        One SPARQL Update (`DROP SILENT GRAPH` for each replaced graph, then one `INSERT DATA`),
        which Oxigraph applies as a single transaction: a build interrupted or crashing at any
        point leaves every graph of the batch, and the entity graph, either as it was or fully
        new, never half-written. The triples are converted before anything is written;
        Oxigraph's N-Triples writer escapes the terms, and its SPARQL parser reads that syntax
        back unchanged.

        Large batches of graphs the store does not have yet (a first ingest) are bulk-loaded
        instead (`bulk_extend`, ~5x faster here, and a smaller store), all but their
        `ekg:textHash` triples; the hashes and `additions` then follow in one transaction.
        Nothing existing is touched before that transaction, and a crash in the bulk part
        leaves only new graphs without a hash, which the next build redoes.
        """
        graphs = {g: list(triples) for g, triples in graphs.items()}
        if sum(map(len, graphs.values())) >= BULK_MIN_TRIPLES and \
                not any(self.store.contains_named_graph(_ox_iri(str(g))) for g in graphs):
            text_hash = str(vocabulary().ekg.textHash)
            hashes = {g: [t for t in triples if str(t[1]) == text_hash] for g, triples in graphs.items()}
            self.store.bulk_extend(quad for g, triples in graphs.items()
                                   for quad in _ox_quads(_ox_iri(str(g)), (t for t in triples if str(t[1]) != text_hash)))
            self._bulk_loaded = True
            self._insert_data({}, {**{g: h for g, h in hashes.items() if h}, **(additions or {})})
            return
        self._insert_data(graphs, additions or {})

    def _insert_data(self, graphs: Mapping[URIRef, Iterable[tuple]], additions: Mapping[URIRef, Iterable[tuple]]) -> None:
        # one transaction: drop `graphs`, insert their triples and `additions`
        blocks = []
        for graph_iri, triples in [*graphs.items(), *additions.items()]:
            data = ox.serialize([ox.Triple(_to_ox(s), _to_ox(p), _to_ox(o)) for s, p, o in triples],
                                format=ox.RdfFormat.N_TRIPLES)
            if data:
                blocks.append(f"GRAPH {_ox_iri(str(graph_iri))} {{\n{data.decode('utf-8')}}}")
        drops = [f"DROP SILENT GRAPH {_ox_iri(str(g))} ;" for g in graphs]
        if blocks or drops:
            self.store.update("\n".join([*drops, "INSERT DATA {", *blocks, "}"]))

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None,
              max_rows: int | None = None) -> QueryResult:
        check_query(sparql)  # read-only, no SERVICE/LOAD/local files (graph/sparql_guard.py)
        subs = {ox.Variable(k): _to_ox(v) for k, v in (bindings or {}).items()}
        hidden: set[str] = set()
        if subs:
            # Oxigraph substitutes only variables the top-level SELECT projects (SEP-0007):
            # project the parameters too (the values stay bound by the engine), then hide them
            sparql, hidden = project_parameters(sparql, list(bindings))
        result = self.store.query(sparql, use_default_graph_as_union=True, substitutions=subs or None)
        if isinstance(result, ox.QueryBoolean):
            return QueryResult(["ask"], [[str(bool(result)).lower()]])
        if isinstance(result, ox.QueryTriples):
            return QueryResult(["subject", "predicate", "object"],
                               *take_rows(([_plain(t.subject), _plain(t.predicate), _plain(t.object)] for t in result), max_rows))
        columns = [v.value for v in result.variables if v.value not in hidden]
        return QueryResult(columns, *take_rows(([_plain(sol[c]) for c in columns] for sol in result), max_rows))

    def rows(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> Iterator[list[str | None]]:
        """The rows of a SELECT one at a time, in its column order (for results too big to hold as a QueryResult)."""
        check_query(sparql)
        subs = {ox.Variable(k): _to_ox(v) for k, v in (bindings or {}).items()}
        hidden: set[str] = set()
        if subs:
            sparql, hidden = project_parameters(sparql, list(bindings))
        result = self.store.query(sparql, use_default_graph_as_union=True, substitutions=subs or None)
        columns = [v.value for v in result.variables if v.value not in hidden]
        for solution in result:
            yield [_plain(solution[c]) for c in columns]

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update in one transaction (callers decide it is allowed; SERVICE/LOAD/local files stay refused)."""
        check_query(sparql, allow_update=True)
        self.store.update(sparql)

    def __len__(self) -> int:
        return len(self.store)

    def flush(self) -> None:
        """Write everything to disk; after bulk loads also compact (`optimize`): faster queries, a smaller store."""
        self.store.flush()
        if self._bulk_loaded:
            self.store.optimize()
            self._bulk_loaded = False

    def write(self, path: Path) -> None:
        path = Path(path)
        _, fmt, named = format_for(path)
        if fmt is None:
            mem = MemoryStore()
            mem.dataset.parse(data=self._dump(ox.RdfFormat.N_QUADS), format="nquads")
            mem.write(path)
            return

        def write(tmp: Path) -> None:
            if named:
                self.store.dump(str(tmp), fmt)
            else:
                tmp.write_bytes(self._dump(fmt, union=True))

        atomic_write(path, write)

    def _dump(self, fmt, union: bool = False) -> bytes:
        if not union:
            return self.store.dump(format=fmt)
        triples = {ox.Triple(q.subject, q.predicate, q.object) for q in self.store}
        return ox.serialize(sorted(triples, key=str), format=fmt)


Store = MemoryStore | OxigraphStore
