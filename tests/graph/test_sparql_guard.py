"""Hostile SPARQL: updates, SERVICE, LOAD and local files are refused; time and rows are bounded.

Each refusal is tried through `check_query`, through both stores' `query` (the engines never
see the text) and through `eventkg query`; the limits run real slow and huge queries over the
seed graph on both engines.
"""
from __future__ import annotations

import csv
import gc
import io
import itertools
import shutil
import socket
import threading
import time
import weakref

import pytest
from rdflib import Dataset, Literal, URIRef
from typer.testing import CliRunner

from graph.build import build
from graph.cli import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, app
from graph.queries import canned_queries
from graph.sparql_guard import (ParsedKind, QueryEngineError, QueryRefused, QuerySyntaxError, QueryTimeout,
                                check_query, check_source, run_with_limits, take_rows)
from graph.store import MemoryStore, OxigraphStore
from ontology import vocabulary

from ..conftest import SEEDS

runner = CliRunner()
ENTITIES_GRAPH = f"{vocabulary().ids}graph/entities"
NEW_TRIPLE = "<https://w3id.org/eventkg/id/entity/x> <http://www.w3.org/2000/01/rdf-schema#label> \"x\""
CROSS_JOIN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"                          # ≈ 9 million rows on the seeds
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"   # ≈ 3e10 joins: never finishes


@pytest.fixture(scope="module")
def seed_graph(tmp_path_factory, nlp):
    """The seeds built once: (graph file, Oxigraph store folder)."""
    folder = tmp_path_factory.mktemp("guard")
    memory = MemoryStore()
    build([SEEDS], memory, nlp=nlp)
    trig = folder / "seeds.trig"
    memory.write(trig)
    store_dir = folder / "store"
    store = OxigraphStore(store_dir)
    build([SEEDS], store, nlp=nlp)
    store.flush()
    del store
    return trig, store_dir


@pytest.fixture
def stores(seed_graph, tmp_path):
    """Fresh copies of both stores (tests may try to change them)."""
    trig, store_dir = seed_graph
    copy = tmp_path / "store"
    shutil.copytree(store_dir, copy)
    return {"rdflib": MemoryStore.load(trig), "oxigraph": OxigraphStore(copy)}


# ------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("name", sorted(canned_queries()))
def test_canned_queries_pass(name):
    assert check_query(canned_queries()[name].read_text(encoding="utf-8")) is ParsedKind.SELECT


@pytest.mark.parametrize("text,kind", [
    ("ASK { ?s ?p ?o }", ParsedKind.ASK),
    ("CONSTRUCT WHERE { ?s ?p ?o }", ParsedKind.CONSTRUCT),
    ("DESCRIBE <https://w3id.org/eventkg/id/entity/baghouz>", ParsedKind.DESCRIBE),
    # update keywords inside comments, strings and IRIs are text, not operations
    ('# INSERT DATA { <a> <b> <c> }\nSELECT * WHERE { ?s ?p "DROP ALL; LOAD <file:///etc/passwd>" }', ParsedKind.SELECT),
    ("SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }", ParsedKind.SELECT),
    (f"SELECT * FROM <{ENTITIES_GRAPH}> WHERE {{ ?s ?p ?o }}", ParsedKind.SELECT),
])
def test_read_only_queries_pass(text, kind):
    assert check_query(text) is kind


UPDATES = [
    (f"INSERT DATA {{ {NEW_TRIPLE} }}", "INSERT DATA"),
    ("DELETE WHERE { ?s ?p ?o }", "DELETE WHERE"),
    (f"delete data {{ {NEW_TRIPLE} }}", "DELETE DATA"),
    ("DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", "DELETE/INSERT"),
    ("LOAD <http://example.org/data.ttl>", "LOAD"),
    ("CLEAR ALL", "CLEAR"),
    ("DROP GRAPH <https://w3id.org/eventkg/id/graph/entities>", "DROP"),
    ("CREATE GRAPH <https://w3id.org/eventkg/id/graph/x>", "CREATE"),
    ("ADD DEFAULT TO <https://w3id.org/eventkg/id/graph/x>", "ADD"),
    ("MOVE DEFAULT TO <https://w3id.org/eventkg/id/graph/x>", "MOVE"),
    ("COPY DEFAULT TO <https://w3id.org/eventkg/id/graph/x>", "COPY"),
    ("PREFIX ex: <http://example.org/>\nSELECT * WHERE { ?s ?p ?o } ; DROP ALL", None),   # not SPARQL at all
]


@pytest.mark.parametrize("text,operation", UPDATES)
def test_updates_are_refused_unless_allowed(text, operation):
    if operation is None:
        with pytest.raises(QuerySyntaxError):
            check_query(text)
        return
    with pytest.raises(QueryRefused, match=f"SPARQL Update \\({operation}\\) refused.*--allow-update"):
        check_query(text)
    if operation != "LOAD":
        assert check_query(text, allow_update=True) is ParsedKind.UPDATE


REMOTE_OR_LOCAL = [
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", "SERVICE <http://127.0.0.1:1/>"),
    ("SELECT * WHERE { SERVICE SILENT <https://query.wikidata.org/sparql> { ?s ?p ?o } }", "SERVICE <https://query.wikidata.org/sparql>"),
    ("SELECT * WHERE { ?x <http://p> ?e . SERVICE ?e { ?s ?p ?o } }", "SERVICE ?e"),
    ("PREFIX r: <http://10.0.0.1/>\nSELECT * WHERE { OPTIONAL { SERVICE r:sparql { ?s ?p ?o } } }", "SERVICE <http://10.0.0.1/sparql>"),
    ("ASK { FILTER EXISTS { SELECT ?s WHERE { SERVICE <http://evil.example/> { ?s ?p ?o } } } }", "SERVICE <http://evil.example/>"),
    ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "FROM <file:///etc/passwd>"),
    ("SELECT * FROM NAMED <file:///etc/shadow> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM NAMED <file:///etc/shadow>"),
    ("BASE <file:///etc/>\nSELECT * FROM <passwd> WHERE { ?s ?p ?o }", "FROM <file:///etc/passwd>"),
    ("SELECT * FROM <passwd> WHERE { ?s ?p ?o }", "FROM <passwd>"),
    ("SELECT * FROM <http://example.org/remote.ttl> WHERE { ?s ?p ?o }", "FROM <http://example.org/remote.ttl>"),
    ("SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }", "SERVICE <file:///etc/passwd>"),
]


@pytest.mark.parametrize("text,clause", REMOTE_OR_LOCAL)
def test_remote_and_local_sources_are_refused(text, clause):
    with pytest.raises(QueryRefused) as refused:
        check_query(text, allow_update=True)
    assert str(refused.value).startswith(f"{clause} refused")


@pytest.mark.parametrize("text,clause", [
    ("LOAD <http://example.org/data.ttl>", "LOAD <http://example.org/data.ttl>"),
    ("LOAD SILENT <file:///etc/passwd> INTO GRAPH <https://w3id.org/eventkg/id/graph/x>", "LOAD <file:///etc/passwd>"),
    ("PREFIX f: <file:///etc/>\nLOAD f:passwd", "LOAD <file:///etc/passwd>"),
    ("INSERT { ?s ?p ?o } USING <file:///etc/passwd> WHERE { ?s ?p ?o }", "USING <file:///etc/passwd>"),
    ("DELETE { ?s ?p ?o } USING NAMED <http://example.org/g> WHERE { ?s ?p ?o }", "USING NAMED <http://example.org/g>"),
])
def test_load_and_using_are_refused_even_with_updates_allowed(text, clause):
    with pytest.raises(QueryRefused) as refused:
        check_query(text, allow_update=True)
    assert str(refused.value).startswith(f"{clause} refused")


def test_an_allow_list_opens_exactly_the_listed_endpoints():
    allowed = ["https://query.wikidata.org/sparql", "http://example.org/data/"]
    assert check_query("SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }",
                       allowed_endpoints=allowed) is ParsedKind.SELECT
    assert check_query("LOAD <http://example.org/data/a.ttl>", allow_update=True,
                       allowed_endpoints=allowed) is ParsedKind.UPDATE
    for text in ("SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql2> { ?s ?p ?o } }",
                 "SELECT * WHERE { SERVICE <http://example.org/other> { ?s ?p ?o } }"):
        with pytest.raises(QueryRefused):
            check_query(text, allowed_endpoints=allowed)
    with pytest.raises(QueryRefused, match="local file"):   # never files, whatever the list says
        check_query("LOAD <file:///etc/passwd>", allow_update=True, allowed_endpoints=["file:///"])


@pytest.mark.parametrize("clause,iri,refusal", [
    ("FROM", ENTITIES_GRAPH, None),
    ("USING NAMED", ENTITIES_GRAPH, None),
    ("FROM NAMED", "http://example.org/g", "only the store's own graphs"),
    ("USING", "file:///etc/passwd", "local file access"),
    ("FROM", "passwd", "local file access"),             # relative: resolves to a local path
    ("SERVICE", ENTITIES_GRAPH, "SERVICE may only reach allow-listed endpoints"),
])
def test_check_source_is_the_rule_for_each_iri(clause, iri, refusal):
    """The rule the SPARQL Protocol's default-graph-uri & co. are checked by (graph/sparql_proxy.py)."""
    if refusal is None:
        check_source(clause, iri)
        return
    with pytest.raises(QueryRefused, match=f"^{clause} <{iri}> refused: {refusal}"):
        check_source(clause, iri)


_unique = itertools.count()


def test_checking_does_not_keep_the_callers_objects_alive():
    """pyparsing leaves failed alternatives' exceptions in cycles with their frames, and a frame keeps
    its callers' frames: parsed on the caller's stack, an open store stayed alive (and locked) after
    its last use until the cycle collector happened to run."""

    class Held:
        pass

    def use(held: Held) -> None:
        # a query the cache has not seen, with groups the grammar must try alternatives on
        check_query(f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ ?s ?p {next(_unique)} }} OPTIONAL {{ ?o ?q ?r }} }}")

    gc.disable()   # only reference counting may free it
    try:
        held = Held()
        alive = weakref.ref(held)
        use(held)
        del held
        assert alive() is None
    finally:
        gc.enable()


@pytest.mark.parametrize("text", ["", "   # only a comment\n", "SELECT * WHERE { ?s ?p }", "DROP TABLE users",
                                  "PREFIX x: <http://x/> SELECT * WHERE { SERVICE y:a { ?s ?p ?o } }"])
def test_syntax_errors(text):
    with pytest.raises(QuerySyntaxError):
        check_query(text)


# ------------------------------------------------------------- stores and engines


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
@pytest.mark.parametrize("text", [UPDATES[0][0], UPDATES[1][0], REMOTE_OR_LOCAL[0][0], REMOTE_OR_LOCAL[5][0]])
def test_stores_refuse_before_the_engine_sees_the_query(stores, engine, text):
    store = stores[engine]
    size = len(store)
    with pytest.raises((QueryRefused, QuerySyntaxError)):
        store.query(text)
    assert len(store) == size


def test_rdflib_never_reads_a_local_file_named_in_from(tmp_path):
    secret = tmp_path / "secret.ttl"
    secret.write_text("<http://example.org/s> <http://example.org/p> \"secret\" .\n", encoding="utf-8")
    text = f"SELECT ?o FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}"
    with pytest.raises(QueryRefused, match="local file"):
        MemoryStore().query(text)
    # and even past the guard, rdflib is told not to dereference query IRIs
    rows = list(Dataset(default_union=True).query(text))
    assert all("secret" not in str(row) for row in rows)


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_service_to_a_listening_address_is_never_contacted(stores, engine):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(1.0)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    try:
        with pytest.raises(QueryRefused):
            run_with_limits(stores[engine], f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}")
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_canned_queries_run_within_the_limits(stores, engine):
    # every canned query on Oxigraph (a child process each); the main ones on rdflib, which is slow
    names = sorted(canned_queries()) if engine == "oxigraph" else ["entities", "sources", "who_did_what"]
    for name in names:
        result = run_with_limits(stores[engine], canned_queries()[name].read_text(encoding="utf-8"))
        assert not result.truncated, name
        if name == "who_did_what":
            assert len(result.rows) >= 40


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_a_huge_result_is_truncated_without_computing_it(stores, engine):
    started = time.perf_counter()
    result = run_with_limits(stores[engine], CROSS_JOIN, max_rows=1000, timeout=60)
    assert result.truncated and len(result.rows) == 1000
    assert sorted(result.columns) == ["a", "b", "c", "d", "e", "f"]   # rdflib orders SELECT * as it likes
    print(f"\n{engine}: first 1000 of ≈9e6 rows in {time.perf_counter() - started:.2f} s")


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_a_slow_query_hits_the_timeout_and_is_stopped(stores, engine):
    started = time.perf_counter()
    with pytest.raises(QueryTimeout, match="timed out after 1 s"):
        run_with_limits(stores[engine], SLOW, timeout=1)
    assert time.perf_counter() - started < 20
    # nothing keeps running: rdflib's worker thread is stopped, Oxigraph's child process killed
    time.sleep(0.5)
    assert not [t for t in threading.enumerate() if t.name == "eventkg-query"]


def test_an_engine_crash_is_an_error_not_the_end_of_the_caller(stores):
    """pyoxigraph 0.5 aborts the process (a Rust panic) sorting a mix of xsd:integer and xsd:date
    values; on a store folder the query runs in a child process, so the caller gets an error."""
    text = "SELECT ?c ?f WHERE { ?a ?b ?c . ?a ?e ?f } ORDER BY ?c ?f"
    try:
        result = run_with_limits(stores["oxigraph"], text)
    except QueryEngineError as exc:
        assert str(exc).startswith("the query engine crashed (signal 6)")
    else:   # a fixed Oxigraph simply answers
        assert result.rows
    assert run_with_limits(stores["oxigraph"], "ASK { ?s ?p ?o }").rows == [["true"]]


def test_updates_run_only_when_allowed(stores):
    for engine, store in stores.items():
        text = f"INSERT DATA {{ GRAPH <{ENTITIES_GRAPH}> {{ {NEW_TRIPLE} }} }}"
        with pytest.raises(QueryRefused):
            run_with_limits(store, text)
        run_with_limits(store, text, allow_update=True)
        ask = run_with_limits(store, f"ASK {{ {NEW_TRIPLE} }}")
        assert ask.rows == [["true"]], engine


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_no_limits_when_asked_for_none(stores, engine):
    result = run_with_limits(stores[engine], "SELECT ?s WHERE { ?s a <https://schema.org/NewsArticle> }",
                             timeout=None, max_rows=None)
    assert len(result.rows) == 5 and not result.truncated


def test_take_rows():
    assert take_rows(iter(range(5)), 3) == ([0, 1, 2], True)
    assert take_rows(iter(range(3)), 3) == ([0, 1, 2], False)
    assert take_rows(range(4), None) == ([0, 1, 2, 3], False)
    consumed = []
    rows = (consumed.append(i) or i for i in range(10))
    take_rows(rows, 2)
    assert consumed == [0, 1, 2]   # one row past the limit, never the rest


# ------------------------------------------------------------------------------ CLI


def cli(*args: str):
    return runner.invoke(app, ["query", *args])


@pytest.mark.parametrize("where", ["graph", "store"])
def test_cli_refuses_updates_and_leaves_the_data_alone(seed_graph, tmp_path, where):
    trig, store_dir = seed_graph
    target = ["--graph", str(trig)] if where == "graph" else ["--store", str(store_dir)]
    before = trig.read_bytes()
    for text, operation in UPDATES[:2]:
        result = cli(text, *target)
        assert result.exit_code == EXIT_USAGE, result.output
        assert f"query refused: SPARQL Update ({operation}) refused" in result.output
    assert trig.read_bytes() == before
    count = cli("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", *target, "--format", "csv")
    assert count.exit_code == EXIT_OK and int(count.stdout.split()[1]) > 1000


@pytest.mark.parametrize("text,clause", [REMOTE_OR_LOCAL[0], REMOTE_OR_LOCAL[5],
                                         ("LOAD <http://example.org/x.ttl>", "LOAD <http://example.org/x.ttl>")])
def test_cli_refuses_service_load_and_files_even_with_allow_update(seed_graph, text, clause):
    trig, _ = seed_graph
    result = cli(text, "--graph", str(trig), "--allow-update")
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"query refused: {clause} refused" in result.output


def test_cli_allow_update_rewrites_the_graph_file(seed_graph, tmp_path):
    trig, _ = seed_graph
    copy = tmp_path / "g.trig"
    copy.write_bytes(trig.read_bytes())
    result = cli(f"INSERT DATA {{ GRAPH <{ENTITIES_GRAPH}> {{ {NEW_TRIPLE} }} }}", "--graph", str(copy), "--allow-update")
    assert result.exit_code == EXIT_OK, result.output
    assert f"update applied to {copy}" in result.output
    ds = Dataset()
    ds.parse(copy, format="trig")
    assert (URIRef("https://w3id.org/eventkg/id/entity/x"), URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
            Literal("x")) in ds.graph(URIRef(ENTITIES_GRAPH))


def test_cli_allow_update_changes_the_store(seed_graph, tmp_path):
    _, store_dir = seed_graph
    copy = tmp_path / "store"
    shutil.copytree(store_dir, copy)
    result = cli(f"DELETE WHERE {{ GRAPH <{ENTITIES_GRAPH}> {{ ?s ?p ?o }} }}", "--store", str(copy), "--allow-update")
    assert result.exit_code == EXIT_OK, result.output
    left = cli(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ENTITIES_GRAPH}> {{ ?s ?p ?o }} }}", "--store", str(copy),
               "--format", "csv")
    assert left.stdout.split() == ["n", "0"]


@pytest.mark.parametrize("where", ["graph", "store"])
def test_cli_timeout(seed_graph, where):
    trig, store_dir = seed_graph
    target = ["--graph", str(trig)] if where == "graph" else ["--store", str(store_dir)]
    result = cli(SLOW, *target, "--timeout", "1")
    assert result.exit_code == EXIT_FAILED, result.output
    assert "query timed out after 1 s and was stopped (raise --timeout)" in result.output


@pytest.mark.parametrize("where", ["graph", "store"])
def test_cli_limit_truncates_with_a_warning(seed_graph, where):
    trig, store_dir = seed_graph
    target = ["--graph", str(trig)] if where == "graph" else ["--store", str(store_dir)]
    result = cli(CROSS_JOIN, *target, "--limit", "25", "--format", "csv")
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert len(list(csv.reader(io.StringIO(result.stdout)))) == 1 + 25
    assert "result truncated to the first 25 row(s); the query has more (raise --limit)" in result.output
    full = cli("SELECT ?s WHERE { ?s a <https://schema.org/NewsArticle> }", *target, "--limit", "5", "--format", "csv")
    assert full.exit_code == EXIT_OK and "truncated" not in full.output   # exactly 5 rows: not truncated


@pytest.mark.parametrize("where", ["graph", "store"])
def test_cli_a_query_the_engine_rejects_is_a_usage_error(seed_graph, where):
    trig, store_dir = seed_graph
    target = ["--graph", str(trig)] if where == "graph" else ["--store", str(store_dir)]
    result = cli("SELECT * WHERE { undeclared:a ?p ?o }", *target)   # grammatical, but the prefix is unknown
    assert result.exit_code == EXIT_USAGE, result.output
    assert "query failed:" in result.output
