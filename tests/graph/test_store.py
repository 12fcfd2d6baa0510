"""Both store backends behind one interface, and incremental builds into a persistent Oxigraph store.

Every CLI command runs on a graph file (`--graph`, rdflib in memory) and on an Oxigraph store
(`--store`), and the two give the same rows. Re-building into a store skips unchanged articles
(same ekg:textHash), replaces changed ones and never duplicates.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF
from typer.testing import CliRunner

from graph.build import build
from graph.cli import EXIT_USAGE, app
from graph.iri import article_graph_iri, entities_graph_iri
from graph.queries import canned_queries
import graph.store as store_module
from graph.store import MemoryStore, OxigraphStore, ParameterError, QueryResult, project_parameters
from ontology import vocabulary

from ..conftest import SEEDS

runner = CliRunner()
EDITED = "000_8ddf759b126afac4"
XSD_INTEGER = "^^<http://www.w3.org/2001/XMLSchema#integer>"
XSD_NON_NEGATIVE = "^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>"   # as a literal's datatype


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def csv_rows(result) -> list[dict]:
    return list(csv.DictReader(io.StringIO(result.stdout)))


def same_rows(a: str, b: str) -> bool:
    """Same header and the same rows; rows that tie on the ORDER BY keys may come in either order.

    sources.rq's `types` is a GROUP_CONCAT(DISTINCT) whose order SPARQL leaves to the engine: compared as a set.
    """
    def table(text: str) -> tuple[list[str], list[tuple]]:
        rows = list(csv.reader(io.StringIO(text)))
        header = rows[0]
        unordered = [i for i, name in enumerate(header) if name == "types"]
        return header, sorted(tuple("|".join(sorted(v.split("|"))) if i in unordered else v for i, v in enumerate(r))
                              for r in rows[1:])

    return table(a) == table(b)


def quads_of(path) -> set[str]:
    """A graph file's quads as N-Quads lines; Oxigraph stores xsd:nonNegativeInteger as xsd:integer."""
    fmt = ox.RdfFormat.TRIG if str(path).endswith(".trig") else ox.RdfFormat.N_QUADS
    return {str(q).replace(XSD_NON_NEGATIVE, XSD_INTEGER) for q in ox.parse(path=str(path), format=fmt)}


def graph_quads(store: OxigraphStore, graph_iri) -> set[str]:
    return {str(q) for q in store.store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph_iri)))}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The seeds built once into a TriG file and once into an Oxigraph store."""
    where = tmp_path_factory.mktemp("both")
    graph, store = where / "seeds.trig", where / "store"
    invoke("build", str(SEEDS), "--out", str(graph))
    invoke("build", str(SEEDS), "--store", str(store))
    return graph, store


@pytest.mark.parametrize("name,params", [
    ("who_did_what", []),
    ("entities", []),
    ("sources", []),
    ("according_to", ["--param", "source=Syrian Observatory for Human Rights"]),
    ("events_at", ["--param", "place=Deir ez-Zor"]),
])
def test_canned_queries_give_the_same_rows_on_file_and_store(both, name, params):
    graph, store = both
    on_file = invoke("query", name, "--graph", str(graph), "--format", "csv", *params)
    on_store = invoke("query", name, "--store", str(store), "--format", "csv", *params)
    assert csv_rows(on_file), f"{name} returns rows on the seeds"
    assert same_rows(on_store.stdout, on_file.stdout)


def test_who_did_what_rows_on_the_store_are_real(both):
    _, store = both
    rows = csv_rows(invoke("query", "who_did_what", "--store", str(store), "--format", "csv"))
    assert len(rows) >= 40
    assert {r["article"] for r in rows} == {p.stem for p in SEEDS.glob("*.txt")}
    assert any(r["type"] == "Airstrike" and "Baghouz" in r["place_en"].split("|") for r in rows)


def test_stats_agree(both):
    graph, store = both
    on_file = invoke("stats", "--graph", str(graph), "--format", "csv")
    on_store = invoke("stats", "--store", str(store), "--format", "csv")
    assert same_rows(on_store.stdout, on_file.stdout)
    counts = {r["class"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]: int(r["n"]) for r in csv_rows(on_store)}
    assert counts["NewsArticle"] == 5


@pytest.mark.parametrize("fmt,suffix", [("nquads", ".nq"), ("trig", ".trig")])
def test_export_from_store_equals_the_file_build(both, tmp_path, fmt, suffix):
    graph, store = both
    out = tmp_path / f"export{suffix}"
    invoke("export", "--store", str(store), "--format", fmt, "--out", str(out))
    assert quads_of(out) == quads_of(graph)


def test_export_turtle_from_store_merges_the_graphs(both, tmp_path):
    graph, store = both
    out = tmp_path / "merged.ttl"
    invoke("export", "--store", str(store), "--format", "turtle", "--out", str(out))
    triples = {str(t) for t in ox.parse(path=str(out), format=ox.RdfFormat.TURTLE)}
    union = {str(ox.Triple(q.subject, q.predicate, q.object)).replace(XSD_NON_NEGATIVE, XSD_INTEGER)
             for q in ox.parse(path=str(graph), format=ox.RdfFormat.TRIG)}
    assert triples == union


def test_validate_runs_on_both(both):
    graph, store = both
    on_file = runner.invoke(app, ["validate", "--graph", str(graph)])
    on_store = runner.invoke(app, ["validate", "--store", str(store)])
    assert on_store.exit_code == on_file.exit_code
    assert on_store.stdout == on_file.stdout


def test_commands_need_exactly_one_of_graph_or_store(both, tmp_path):
    graph, store = both
    assert runner.invoke(app, ["stats"]).exit_code == EXIT_USAGE
    assert runner.invoke(app, ["stats", "--graph", str(graph), "--store", str(store)]).exit_code == EXIT_USAGE
    assert runner.invoke(app, ["stats", "--graph", str(tmp_path / "missing.trig")]).exit_code == EXIT_USAGE


# ------------------------------------------------------------------------------ incremental


@pytest.fixture
def seeds_folder(tmp_path):
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


def test_rebuild_skips_unchanged_articles(tmp_path, seeds_folder, nlp):
    store = OxigraphStore(tmp_path / "store")
    first = build([seeds_folder], store, nlp=nlp)
    assert len(first.built) == 5 and not first.unchanged
    before = {str(q) for q in store.store}
    again = build([seeds_folder], store, nlp=nlp)
    assert again.built == [] and sorted(again.unchanged) == sorted(first.built)
    assert {str(q) for q in store.store} == before


def test_cli_rebuild_reports_unchanged(tmp_path, seeds_folder):
    store = tmp_path / "store"
    invoke("build", str(seeds_folder), "--store", str(store))
    result = invoke("build", str(seeds_folder), "--store", str(store))
    assert "built 0 article(s)" in result.output and "5 unchanged" in result.output


def test_changed_article_is_replaced_not_duplicated(tmp_path, seeds_folder, nlp):
    store = OxigraphStore(tmp_path / "store")
    build([seeds_folder], store, nlp=nlp)
    others = {g: graph_quads(store, g) for g in (article_graph_iri(p.stem) for p in seeds_folder.glob("*.txt"))
              if g != article_graph_iri(EDITED)}
    old_mentions = graph_quads(store, article_graph_iri(EDITED))

    # keep the first third of the article: the mentions from the rest must disappear
    path = seeds_folder / f"{EDITED}.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("\n", len(text) // 3)], encoding="utf-8")
    report = build([seeds_folder], store, nlp=nlp)
    assert report.built == [EDITED] and len(report.unchanged) == 4

    # the same graph as a fresh build of the edited folder, and the other articles untouched
    fresh = OxigraphStore(tmp_path / "fresh")
    build([seeds_folder], fresh, nlp=nlp)
    edited = graph_quads(store, article_graph_iri(EDITED))
    assert edited == graph_quads(fresh, article_graph_iri(EDITED))
    assert edited and edited < old_mentions | edited and old_mentions - edited
    assert {g: graph_quads(store, g) for g in others} == others
    hashes = store.article_hashes()
    assert len(hashes) == 5 and hashes == fresh.article_hashes()
    count = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?a a <https://schema.org/NewsArticle> }").rows
    assert count == [["5"]]
    # every mention left in the store is one the fresh build has: nothing stale, nothing twice
    mentions = "SELECT DISTINCT ?m WHERE { ?m <http://www.w3.org/ns/prov#wasDerivedFrom> ?a } ORDER BY ?m"
    assert store.query(mentions).rows == fresh.query(mentions).rows


def test_interrupted_bulk_write_leaves_no_hash(tmp_path, monkeypatch):
    """A bulk-loaded batch that fails mid-write must not look current to the next build."""
    monkeypatch.setattr(store_module, "BULK_MIN_TRIPLES", 1)
    store = OxigraphStore(tmp_path / "store")
    ekg = vocabulary().ekg
    graph = article_graph_iri("broken")
    article = URIRef("https://w3id.org/eventkg/id/article/broken")
    triples = [(article, ekg.textHash, Literal("abc")), (article, RDF.type, URIRef("https://schema.org/NewsArticle")),
               (article, ekg.trigger, 42)]   # 42 is no RDF term: the write fails on it
    with pytest.raises(TypeError, match="not an RDF term"):
        store.replace_graphs({graph: triples})
    assert graph not in store.article_hashes()


@pytest.mark.parametrize("bulk_min", [None, 1], ids=["transaction", "bulk"])
@pytest.mark.parametrize("make", [MemoryStore, lambda: OxigraphStore(None)], ids=["memory", "oxigraph"])
def test_replace_graphs_replaces_and_adds(make, bulk_min, monkeypatch):
    if bulk_min is not None:   # Oxigraph bulk-loads new graphs in large batches: make every batch large
        monkeypatch.setattr(store_module, "BULK_MIN_TRIPLES", bulk_min)
    store = make()
    ekg = vocabulary().ekg
    graph = article_graph_iri("a1")
    node = URIRef("https://w3id.org/eventkg/id/article/a1")
    entity = URIRef("https://w3id.org/eventkg/id/entity/x")
    store.replace_graphs({graph: [(node, ekg.textHash, Literal("h1")), (node, RDF.type, ekg.Old)]})
    store.replace_graphs({graph: [(node, ekg.textHash, Literal("h2"))]},
                         {entities_graph_iri(): [(entity, RDF.type, ekg.Place)]})
    assert store.article_hashes() == {graph: "h2"}
    assert store.described_entities() == {entity}
    rows = store.query("SELECT ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": graph}).rows
    assert rows == [[str(ekg.textHash), "h2"]]


# ------------------------------------------------------------------------------ parameters on Oxigraph


def test_project_parameters_touches_only_the_top_level_select():
    query = """# SELECT ?not_this { }
PREFIX ex: <http://example.org/a#b>
SELECT ?x (COUNT(?y) AS ?n) WHERE {
  ?x ex:p "a } { SELECT" ; ex:q ?y .
  { SELECT ?y WHERE { ?y ex:r ?z } GROUP BY ?y }
  FILTER(?y != ?param)
} GROUP BY ?x ORDER BY ?x"""
    rewritten, added = project_parameters(query, ["param", "x"])
    assert added == {"param"}
    assert "SELECT ?x (COUNT(?y) AS ?n)  ?param WHERE {" in rewritten
    assert "} GROUP BY ?param ?x ORDER BY ?x" in rewritten
    assert "{ SELECT ?y WHERE { ?y ex:r ?z } GROUP BY ?y }" in rewritten
    assert rewritten.startswith("# SELECT ?not_this { }\nPREFIX ex: <http://example.org/a#b>\n")


@pytest.mark.parametrize("query", ["ASK { ?s ?p ?param }", "SELECT * WHERE { ?s ?p ?o FILTER(?o = ?param) }",
                                   "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o = ?param) }"])
def test_unbindable_query_forms_fail_clearly_on_oxigraph(query):
    with pytest.raises(ParameterError, match="SELECT queries"):
        OxigraphStore(None).query(query, {"param": Literal("x")})


@pytest.mark.parametrize("make", [MemoryStore, lambda: OxigraphStore(None)], ids=["memory", "oxigraph"])
def test_bound_parameter_filters_an_aggregate(make):
    store = make()
    ekg = vocabulary().ekg
    node = URIRef("https://w3id.org/eventkg/id/article/a1")
    store.replace_graphs({article_graph_iri("a1"): [(node, ekg.textHash, Literal("h1")),
                                                    (node, ekg.certainty, Literal("x"))]})
    query = "SELECT (COUNT(?s) AS ?n) WHERE { ?s ?p ?o FILTER(STR(?o) = STR(?value)) }"
    assert store.query(query, {"value": Literal("h1")}) == QueryResult(["n"], [["1"]])


# "Syria" takes in every located event of the seeds: the table columns the builder writes
# (ekg:agentsAr …, read by who_did_what_at) must say what the graph's roles and labels say
@pytest.mark.parametrize("place", ["Deir ez-Zor", "Baghouz", "الباغوز", "Syria"])
@pytest.mark.parametrize("where", ["--graph", "--store"])
def test_who_did_what_at_is_who_did_what_filtered_by_place(both, where, place):
    target = str(both[0] if where == "--graph" else both[1])
    # JSON, not CSV: a figure the event lacks must be unbound (null), not the "" of its cell
    everything = json.loads(invoke("query", "who_did_what", where, target, "--format", "json").stdout)
    at_place = json.loads(invoke("query", "who_did_what_at", where, target, "--format", "json",
                                 "--param", f"place={place}").stdout)
    events = {r["event"] for r in csv_rows(invoke("query", "events_at", where, target, "--format", "csv",
                                                   "--param", f"place={place}"))}
    assert events, f"the seeds report events in {place}"
    assert [list(r) for r in at_place] == [list(everything[0])] * len(at_place)
    assert unordered(at_place) == unordered(r for r in everything if r["event"] in events)
    if place == "Syria":   # both kinds of cell occur: a stated figure, and none
        assert {r["date"] is None for r in at_place} == {r["killed"] is None for r in at_place} == {True, False}


def unordered(rows) -> list[tuple]:
    return sorted((tuple(map(str, r.values())) for r in rows))


def test_bulk_loaded_store_is_compacted_on_flush_and_reopens_intact(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "BULK_MIN_TRIPLES", 1)
    ekg = vocabulary().ekg
    graphs = {article_graph_iri(f"a{i}"): [(URIRef(f"https://w3id.org/eventkg/id/article/a{i}"), ekg.textHash,
                                            Literal(f"h{i}"))] for i in range(3)}
    store = OxigraphStore(tmp_path / "store")
    store.replace_graphs(graphs)
    assert store._bulk_loaded
    store.flush()
    assert not store._bulk_loaded
    before = {str(q) for q in store.store}
    del store
    again = OxigraphStore(tmp_path / "store")
    assert {str(q) for q in again.store} == before
    assert again.article_hashes() == {g: f"h{i}" for i, g in enumerate(graphs)}


# variables whose values may be numbers, dates or text in one result: never a bare ORDER BY key
MIXED_TYPE_VARIABLES = {"value", "date", "killed", "injured", "count", "casualties"}


def order_by_keys(query: str) -> list[str]:
    """The bare variables of a query's final ORDER BY clause (expressions in parentheses skipped)."""
    text = "\n".join(line.split("#", 1)[0] for line in query.splitlines())
    clause = text.rsplit("ORDER BY", 1)[1] if "ORDER BY" in text else ""
    depth, keys = 0, []
    for token in re.findall(r"[()]|\?\w+", clause):
        depth += {"(": 1, ")": -1}.get(token, 0)
        if token.startswith("?") and depth == 0:
            keys.append(token[1:])
    return keys


@pytest.mark.parametrize("path", sorted(canned_queries().values()), ids=lambda p: p.stem)
def test_canned_queries_never_sort_on_a_mixed_type_variable(path):
    """pyoxigraph 0.5 can abort the whole process on an ORDER BY comparing numbers with dates in an
    in-memory store: figures and dates are sorted through a typed key, never as they are."""
    assert not set(order_by_keys(path.read_text(encoding="utf-8"))) & MIXED_TYPE_VARIABLES


def test_typed_sort_key_orders_mixed_values_in_an_in_memory_store():
    """conflicting_claims' key for ?value: numbers numerically, then everything else by its text."""
    script = """
import pyoxigraph as ox
s = ox.Store()
xsd = "http://www.w3.org/2001/XMLSchema#"
values = [ox.Literal("70", datatype=ox.NamedNode(xsd + "integer")), ox.Literal("2019-02-10", datatype=ox.NamedNode(xsd + "date")),
          ox.Literal("16", datatype=ox.NamedNode(xsd + "integer")), ox.Literal("Islamic State"), ox.Literal("2019", datatype=ox.NamedNode(xsd + "gYear"))]
for i, v in enumerate(values * 50):
    s.add(ox.Quad(ox.NamedNode(f"http://e/s{i}"), ox.NamedNode("http://e/p"), v))
rows = s.query("SELECT ?value WHERE { ?s <http://e/p> ?value } ORDER BY (IF(isNumeric(?value), ?value, 0)) STR(?value)")
print(" ".join(dict.fromkeys(r["value"].value for r in rows)))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(" ", 3)[:3] == ["2019", "2019-02-10", "Islamic"] and done.stdout.split()[-2:] == ["16", "70"]
