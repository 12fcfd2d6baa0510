"""`eventkg serve`: Oxigraph's SPARQL 1.1 Protocol server over a built store, behind the guarding
proxy, queried over real HTTP with SPARQLWrapper. Same rows as `eventkg query`; read-only unless
asked; a query timeout; SERVICE, LOAD and file: refused, with a fake remote endpoint on another
loopback port to show that nothing is fetched (and that Oxigraph alone would fetch it)."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed
from typer.testing import CliRunner

from graph.cli import EXIT_USAGE, app
from graph.queries import canned_queries
from graph.serve import HOST, ServeError, server_command, start_server
from graph.sparql_proxy import Operation, ProxyRefusal, guard_operation, read_operation
from ontology import vocabulary

from ..conftest import SEEDS

runner = CliRunner()
COUNT_ARTICLES = "SELECT (COUNT(*) AS ?n) WHERE { ?a a <https://schema.org/NewsArticle> }"
ENTITIES_GRAPH = f"{vocabulary().ids}graph/entities"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def select(endpoint: str, query: str, method: str | None = None,
           parameters: dict[str, str] | None = None) -> tuple[list[str], list[list[str | None]]]:
    """Run a SELECT over HTTP; (columns, rows of plain values)."""
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    for name, value in (parameters or {}).items():
        client.addParameter(name, value)
    client.setReturnFormat(JSON)
    if method == "form":
        client.setMethod(POST)
    elif method == "direct":
        client.setMethod(POST)
        client.setRequestMethod(POSTDIRECTLY)
    data = client.query().convert()
    columns = data["head"]["vars"]
    return columns, [[b[c]["value"] if c in b else None for c in columns] for b in data["results"]["bindings"]]


def cli_rows(store: Path, spec: str) -> tuple[list[str], list[list[str | None]]]:
    result = runner.invoke(app, ["query", spec, "--store", str(store), "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert records, f"{spec} has rows on the seeds"
    columns = list(records[0])
    return columns, [[r[c] for c in columns] for r in records]


def unordered(rows):
    return sorted(tuple("" if v is None else v for v in row) for row in rows)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "store"
    result = runner.invoke(app, ["build", str(SEEDS), "--store", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def expected(store):
    """The CLI's rows, read before any server opens the store."""
    return {name: cli_rows(store, name) for name in ("who_did_what", "entities", "sources")}


@pytest.fixture(scope="module")
def server(store, expected, tmp_path_factory):
    log = tmp_path_factory.mktemp("log") / "server.log"
    with start_server(store, port=0, timeout_s=2, log=log) as running:
        running.wait_ready()
        yield running
    assert running.process.poll() is not None, "the server is stopped after the tests"
    with pytest.raises(urllib.error.URLError):   # and the public port is closed
        urllib.request.urlopen(running.url, timeout=2)


class FakeRemote(ThreadingHTTPServer):
    """A SPARQL endpoint on another loopback port: records every request, answers one row (or one triple)."""

    daemon_threads = True

    def __init__(self):
        self.requests: list[tuple[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            def answer(handler) -> None:
                self.requests.append((handler.command, handler.path))
                handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
                if "turtle" in handler.headers.get("Accept", "") or "n-triples" in handler.headers.get("Accept", ""):
                    body, media = b"<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n", "text/turtle"
                else:
                    body = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": [
                        {"s": {"type": "literal", "value": "from the remote"}}]}}).encode()
                    media = "application/sparql-results+json"
                handler.send_response(200)
                handler.send_header("Content-Type", media)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(handler, *args) -> None:
                pass

        super().__init__((HOST, 0), Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/sparql"


@pytest.fixture
def remote():
    fake = FakeRemote()
    thread = threading.Thread(target=fake.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    fake.shutdown()
    fake.server_close()


@pytest.mark.parametrize("name", ["who_did_what", "entities", "sources"])
def test_http_rows_equal_cli_rows(server, expected, name):
    columns, rows = select(server.query_url, canned_queries()[name].read_text(encoding="utf-8"))
    want_columns, want_rows = expected[name]
    assert columns == want_columns
    if name == "sources":   # GROUP_CONCAT(DISTINCT) order is the engine's: compare the type sets
        rows = [[*r[:-1], "|".join(sorted(r[-1].split("|")))] for r in rows]
        want_rows = [[*r[:-1], "|".join(sorted(r[-1].split("|")))] for r in want_rows]
    assert unordered(rows) == unordered(want_rows)


@pytest.mark.parametrize("path", ["/query", "/sparql"])   # /sparql: Oxigraph's combined endpoint, which its page uses
@pytest.mark.parametrize("method", [None, "form", "direct"])
def test_get_and_both_posts(server, method, path):
    assert select(server.url.rstrip("/") + path, COUNT_ARTICLES, method) == (["n"], [["5"]])


def test_dataset_parameters_name_the_stores_graphs(server):
    # default-graph-uri is the protocol's FROM: the entities graph holds no article
    assert select(server.query_url, COUNT_ARTICLES, parameters={"default-graph-uri": ENTITIES_GRAPH}) == (["n"], [["0"]])


def test_csv_results(server):
    client = SPARQLWrapper(server.query_url)
    client.setQuery(COUNT_ARTICLES)
    client.setReturnFormat(CSV)
    assert client.query().convert().decode("utf-8").split() == ["n", "5"]


def test_query_page(server):
    with urllib.request.urlopen(server.url, timeout=5) as response:
        assert response.headers.get_content_type() == "text/html"
        assert "yasgui" in response.read().decode("utf-8").lower()


def test_update_is_refused_when_read_only(server):
    client = SPARQLWrapper(server.query_url, updateEndpoint=server.update_url)
    client.setMethod(POST)
    client.setQuery("INSERT DATA { <https://example.org/x> a <https://schema.org/NewsArticle> }")
    with pytest.raises(urllib.error.HTTPError) as refused:
        client.query()
    assert refused.value.code == 403
    assert refused.value.read().decode("utf-8").startswith("SPARQL Update (INSERT DATA) refused")
    # nor through the combined endpoint, nor as a Graph Store write
    assert post(server, "/sparql", b"CLEAR ALL", "application/sparql-update")[0] == 403
    assert post(server, "/store?default", b"<https://example.org/x> <https://example.org/p> 1 .",
                "application/n-triples")[0] == 403
    assert select(server.query_url, COUNT_ARTICLES) == (["n"], [["5"]])


def post(server, path: str, body: bytes, content_type: str) -> tuple[int, str]:
    """POST raw bytes through the proxy; (status, body text)."""
    request = urllib.request.Request(server.url.rstrip("/") + path, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


SERVICE_QUERY = "SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"


def test_oxigraph_alone_would_fetch_a_service(server, remote):
    """Why the proxy exists: sent straight to Oxigraph's own port, SERVICE makes it call the remote."""
    columns, rows = select(f"http://{HOST}:{server.proxy.upstream[1]}/query", SERVICE_QUERY.format(url=remote.url))
    assert rows == [["from the remote"]]
    assert [method for method, _ in remote.requests] == ["POST"]


@pytest.mark.parametrize("path", ["/query", "/sparql"])
@pytest.mark.parametrize("method", [None, "form", "direct"])
def test_service_is_refused_and_the_remote_never_called(server, remote, method, path):
    with pytest.raises(QueryBadFormed, match=f"SERVICE <{remote.url}> refused"):
        select(server.url.rstrip("/") + path, SERVICE_QUERY.format(url=remote.url), method)
    assert remote.requests == []
    assert select(server.query_url, COUNT_ARTICLES, method) == (["n"], [["5"]])   # the same method still works


@pytest.mark.parametrize("query,parameters,refusal", [
    ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", {}, "FROM <file:///etc/passwd> refused: local file"),
    ("SELECT * WHERE { GRAPH <file:///etc/passwd> { ?s ?p ?o } }", {"named-graph-uri": "file:///etc/passwd"},
     "named-graph-uri: FROM NAMED <file:///etc/passwd> refused: local file"),
    (COUNT_ARTICLES, {"default-graph-uri": "http://example.org/elsewhere"},
     "default-graph-uri: FROM <http://example.org/elsewhere> refused: only the store's own graphs"),
    ("SELECT * WHERE { ?s ?p }", {}, "not valid SPARQL"),
])
def test_files_other_graphs_and_bad_syntax_are_refused(server, query, parameters, refusal):
    with pytest.raises(QueryBadFormed, match=refusal.replace("?", "\\?")):
        select(server.query_url, query, parameters=parameters)


def test_an_update_sent_as_a_query_is_refused(server):
    status, message = post(server, "/query", b"DROP ALL", "application/sparql-query")
    assert (status, message.strip()) == (400, "this is an update: send it to /update")
    status, message = post(server, "/query", b"SELECT * WHERE { ?s ?p ?o }", "text/plain")
    assert status == 415 and "application/sparql-query" in message
    assert select(server.query_url, COUNT_ARTICLES) == (["n"], [["5"]])


def test_graph_store_reads_pass(server):
    url = server.url + "store?" + urllib.parse.urlencode({"graph": ENTITIES_GRAPH})
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "application/n-triples"}), timeout=10) as r:
        assert r.headers.get_content_type() == "application/n-triples"
        assert "http://www.w3.org/2000/01/rdf-schema#label" in r.read().decode("utf-8")


def test_runaway_query_is_cut_by_the_timeout(server):
    # ~15k triples cubed never finishes; the 2 s timeout must cancel it
    started = time.monotonic()
    with pytest.raises(Exception):   # noqa: B017 — cancelled mid-stream: the client sees a broken response
        select(server.query_url, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert time.monotonic() - started < 30
    assert select(server.query_url, COUNT_ARTICLES) == (["n"], [["5"]])   # and the server still answers


def test_allow_update_accepts_updates_but_never_load(store, expected, tmp_path, remote):
    copy = tmp_path / "writable"
    shutil.copytree(store, copy)
    with start_server(copy, port=0, allow_update=True, log=tmp_path / "log") as running:
        running.wait_ready()
        client = SPARQLWrapper(running.query_url, updateEndpoint=running.update_url)
        client.setMethod(POST)
        client.setQuery("INSERT DATA { GRAPH <https://example.org/g> { <https://example.org/x> a <https://schema.org/NewsArticle> } }")
        client.query()
        assert select(running.query_url, COUNT_ARTICLES) == (["n"], [["6"]])
        client.setQuery(f"LOAD <{remote.url}> INTO GRAPH <{vocabulary().ids}graph/loaded>")
        with pytest.raises(QueryBadFormed, match=f"LOAD <{remote.url}> refused"):
            client.query()
        client.setQuery(f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{remote.url}> {{ ?s ?p ?o }} }}")
        with pytest.raises(QueryBadFormed, match=f"SERVICE <{remote.url}> refused"):
            client.query()
        assert remote.requests == []
        # Graph Store writes carry data, not addresses: allowed with updates
        status, _ = post(running, "/store?" + urllib.parse.urlencode({"graph": "https://example.org/g2"}),
                         b"<https://example.org/y> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/NewsArticle> .",
                         "application/n-triples")
        assert status in (201, 204)
        assert select(running.query_url, COUNT_ARTICLES) == (["n"], [["7"]])
    assert "refused POST /update (400): LOAD" in (tmp_path / "log").read_text(encoding="utf-8")


def test_server_binds_loopback_with_union_default_graph(store):
    command = server_command(store, port=1234, timeout_s=7)
    assert command[1] == "serve-read-only"
    assert command[command.index("--bind") + 1] == "127.0.0.1:1234"
    assert command[command.index("--location") + 1] == str(store.absolute())
    assert "--union-default-graph" in command and command[command.index("--timeout-s") + 1] == "7"
    assert server_command(store, allow_update=True)[1] == "serve"


def test_start_fails_clearly(tmp_path):
    with pytest.raises(ServeError, match="no such store folder"):
        start_server(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ServeError, match="not an Oxigraph store"):
        start_server(tmp_path / "empty")
    assert runner.invoke(app, ["serve", "--store", str(tmp_path / "missing")]).exit_code == EXIT_USAGE


def test_port_in_use_is_reported(store):
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServeError, match=f"cannot listen on 127.0.0.1:{port}: Address already in use"):
            start_server(store, port=port)
        result = runner.invoke(app, ["serve", "--store", str(store), "--port", str(port)])
        assert result.exit_code == EXIT_USAGE and "Address already in use" in result.output


def test_a_taken_internal_port_is_replaced(store, monkeypatch):
    """Oxigraph's port is chosen free, then bound by Oxigraph: if another program took it meanwhile,
    the server starts again on another one."""
    from graph import serve

    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        taken = busy.getsockname()[1]
        choices = iter([taken])
        real = serve._free_port
        monkeypatch.setattr(serve, "_free_port", lambda: next(choices, None) or real())
        with start_server(store, port=0, stderr=None, log=None) as running:
            running.wait_ready()
            assert running.proxy.upstream[1] != taken
            assert select(running.query_url, COUNT_ARTICLES) == (["n"], [["5"]])


def test_oxigraph_failing_to_start_is_reported(store, tmp_path):
    # a writable server needs the store's lock, which an open store in this process holds
    import pyoxigraph

    copy = tmp_path / "locked"
    shutil.copytree(store, copy)
    holder = pyoxigraph.Store(str(copy))
    try:
        with start_server(copy, port=0, allow_update=True) as running:
            with pytest.raises(ServeError, match="the Oxigraph server exited with status 1: .*LOCK"):
                running.wait_ready(timeout=20)
    finally:
        del holder


# ----------------------------------------------------------------- reading requests, without HTTP


@pytest.mark.parametrize("method,path,url,ctype,body,expected", [
    ("GET", "/query", "query=ASK%7B%7D&default-graph-uri=g&format=json&union-default-graph",
     None, b"", Operation("query", "ASK{}", (("default-graph-uri", "g"), ("union-default-graph", "")))),
    ("GET", "/query", "", None, b"", None),                  # the service description
    ("GET", "/update", "update=CLEAR+ALL", None, b"", None),  # GET carries no update
    ("HEAD", "/query", "query=ASK%7B%7D", None, b"", None),
    ("POST", "/query", "named-graph-uri=g", "application/sparql-query; charset=utf-8", "ASK { ?s ?p \"ش\" }".encode(),
     Operation("query", "ASK { ?s ?p \"ش\" }", (("named-graph-uri", "g"),))),
    ("POST", "/sparql", "", "application/x-www-form-urlencoded", b"update=CLEAR+ALL&using-graph-uri=g",
     Operation("update", "CLEAR ALL", (("using-graph-uri", "g"),))),
    ("POST", "/update", "using-named-graph-uri=g", "application/sparql-update", b"CLEAR ALL",
     Operation("update", "CLEAR ALL", (("using-named-graph-uri", "g"),))),
])
def test_read_operation(method, path, url, ctype, body, expected):
    assert read_operation(method, path, url, ctype, body) == expected


@pytest.mark.parametrize("method,path,url,ctype,body,status,message", [
    ("GET", "/query", "query=a&query=b", None, b"", 400, "more than one query"),
    ("POST", "/query", "query=a", "application/sparql-query", b"b", 400, "both in the URL and in the body"),
    ("POST", "/query", "", "application/x-www-form-urlencoded", b"update=CLEAR+ALL", 400, "exactly one of a query"),
    ("POST", "/sparql", "", "application/x-www-form-urlencoded", b"query=a&update=b", 400, "exactly one of a query or an update"),
    ("POST", "/update", "", "application/sparql-query", b"ASK {}", 415, "send application/sparql-update"),
    ("POST", "/query", "", None, b"ASK {}", 415, "Content-Type (none)"),
    ("POST", "/query", "", "application/sparql-query", b"\xff", 400, "not UTF-8"),
    ("POST", "/query", "", "application/x-www-form-urlencoded", "query=ش".encode(), 400, "not percent-encoded"),
    ("PUT", "/query", "", "application/sparql-query", b"ASK {}", 405, "use GET or POST"),
])
def test_read_operation_refuses_malformed_or_ambiguous_requests(method, path, url, ctype, body, status, message):
    with pytest.raises(ProxyRefusal, match=message.replace("(", "\\(").replace(")", "\\)")) as refused:
        read_operation(method, path, url, ctype, body)
    assert refused.value.status == status


def test_the_checked_text_is_what_is_sent_on():
    operation = Operation("query", "SELECT * WHERE { ?s ?p \"a&query=b\" }", (("default-graph-uri", ENTITIES_GRAPH),))
    assert urllib.parse.parse_qsl(operation.form().decode("ascii")) == [("query", operation.text),
                                                                       ("default-graph-uri", ENTITIES_GRAPH)]


@pytest.mark.parametrize("operation,allow_update,status,message", [
    (Operation("update", "INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }"), False, 403,
     "SPARQL Update (INSERT DATA) refused"),
    (Operation("query", "CLEAR ALL"), True, 400, "this is an update: send it to /update"),
    (Operation("update", "ASK {}"), True, 400, "this is a query: send it to /query"),
    (Operation("update", "CLEAR ALL", (("using-graph-uri", "file:///etc/passwd"),)), True, 400,
     "using-graph-uri: USING <file:///etc/passwd> refused"),
])
def test_guard_operation(operation, allow_update, status, message):
    with pytest.raises(ProxyRefusal) as refused:
        guard_operation(operation, allow_update)
    assert (refused.value.status, refused.value.message[:len(message)]) == (status, message)


def test_cli_serve_runs_until_terminated(store, tmp_path):
    port = free_port()
    eventkg = Path(sys.executable).parent / "eventkg"
    process = subprocess.Popen([str(eventkg), "serve", "--store", str(store), "--port", str(port), "--timeout", "5"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # read stderr as it comes: the endpoint may answer before `eventkg serve` has printed its banner
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: process.stderr.read1(4096), b"")), daemon=True)
    reader.start()
    banner = f"http://127.0.0.1:{port}/query (read-only)"

    def printed() -> str:
        return " ".join(b"".join(chunks).decode("utf-8", "replace").split())   # rich wraps lines

    try:
        url = f"http://{HOST}:{port}/query?" + urllib.parse.urlencode({"query": COUNT_ARTICLES})
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "text/csv"}), timeout=2) as r:
                    assert r.read().decode("utf-8").split() == ["n", "5"]
                    break
            except urllib.error.URLError:
                assert process.poll() is None and time.monotonic() < deadline, "eventkg serve did not come up"
                time.sleep(0.2)
        while banner not in printed() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=20)
        reader.join(timeout=5)
    assert banner in printed()
    with pytest.raises(urllib.error.URLError):   # the Oxigraph child went down with it
        urllib.request.urlopen(url, timeout=2)
