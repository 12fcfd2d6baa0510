"""`eventkg serve`: Oxigraph's SPARQL 1.1 Protocol server over a built store, queried over real
HTTP with SPARQLWrapper. Same rows as `eventkg query`; read-only unless asked; a query timeout."""
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
from pathlib import Path

import pytest
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, SPARQLWrapper
from typer.testing import CliRunner

from graph.cli import EXIT_USAGE, app
from graph.queries import canned_queries
from graph.serve import HOST, ServeError, server_command, start_server

from ..conftest import SEEDS

runner = CliRunner()
COUNT_ARTICLES = "SELECT (COUNT(*) AS ?n) WHERE { ?a a <https://schema.org/NewsArticle> }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def select(endpoint: str, query: str, method: str | None = None) -> tuple[list[str], list[list[str | None]]]:
    """Run a SELECT over HTTP; (columns, rows of plain values)."""
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
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
    with start_server(store, port=free_port(), timeout_s=2, log=log) as running:
        running.wait_ready()
        yield running
    assert running.process.poll() is not None, "the server is stopped after the tests"


@pytest.mark.parametrize("name", ["who_did_what", "entities", "sources"])
def test_http_rows_equal_cli_rows(server, expected, name):
    columns, rows = select(server.query_url, canned_queries()[name].read_text(encoding="utf-8"))
    want_columns, want_rows = expected[name]
    assert columns == want_columns
    if name == "sources":   # GROUP_CONCAT(DISTINCT) order is the engine's: compare the type sets
        rows = [[*r[:-1], "|".join(sorted(r[-1].split("|")))] for r in rows]
        want_rows = [[*r[:-1], "|".join(sorted(r[-1].split("|")))] for r in want_rows]
    assert unordered(rows) == unordered(want_rows)


@pytest.mark.parametrize("method", [None, "form", "direct"])
def test_get_and_both_posts(server, method):
    assert select(server.query_url, COUNT_ARTICLES, method) == (["n"], [["5"]])


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
    assert select(server.query_url, COUNT_ARTICLES) == (["n"], [["5"]])


def test_runaway_query_is_cut_by_the_timeout(server):
    # ~15k triples cubed never finishes; the 2 s timeout must cancel it
    started = time.monotonic()
    with pytest.raises(Exception):   # noqa: B017 — cancelled mid-stream: the client sees a broken response
        select(server.query_url, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert time.monotonic() - started < 30
    assert select(server.query_url, COUNT_ARTICLES) == (["n"], [["5"]])   # and the server still answers


def test_allow_update_accepts_updates(store, expected, tmp_path):
    copy = tmp_path / "writable"
    shutil.copytree(store, copy)
    with start_server(copy, port=free_port(), allow_update=True, log=tmp_path / "log") as running:
        running.wait_ready()
        client = SPARQLWrapper(running.query_url, updateEndpoint=running.update_url)
        client.setMethod(POST)
        client.setQuery("INSERT DATA { GRAPH <https://example.org/g> { <https://example.org/x> a <https://schema.org/NewsArticle> } }")
        client.query()
        assert select(running.query_url, COUNT_ARTICLES) == (["n"], [["6"]])


def test_server_binds_loopback_with_union_default_graph(store):
    command = server_command(store, port=1234, timeout_s=7)
    assert command[1] == "serve-read-only"
    assert command[command.index("--bind") + 1] == "127.0.0.1:1234"
    assert "--union-default-graph" in command and command[command.index("--timeout-s") + 1] == "7"
    assert server_command(store, allow_update=True)[1] == "serve"


def test_start_fails_clearly(tmp_path):
    with pytest.raises(ServeError, match="no such store folder"):
        start_server(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ServeError, match="not an Oxigraph store"):
        start_server(tmp_path / "empty")
    assert runner.invoke(app, ["serve", "--store", str(tmp_path / "missing")]).exit_code == EXIT_USAGE


def test_port_in_use_is_reported(store, tmp_path):
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        with start_server(store, port=busy.getsockname()[1], log=tmp_path / "log") as running:
            with pytest.raises(ServeError, match="exited with status"):
                running.wait_ready(timeout=10)


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
