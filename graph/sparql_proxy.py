"""The guard in front of `eventkg serve`: a small HTTP proxy that checks every SPARQL request.

Why: Oxigraph's server evaluates `SERVICE <http://...>` by fetching that address, read-only
mode or not, and with updates allowed `LOAD <http://...>` downloads; it has no option that turns
federation off (measured with oxigraph 0.5.13: a SERVICE query sent to `/query` makes it POST
the inner pattern to the named address). So the public port belongs to this proxy, and Oxigraph
listens on a second loopback port that only the proxy talks to.

What passes, and how:

* `/query`, `/update` and `/sparql` (Oxigraph's combined endpoint, which its query page uses):
  the query or update is read from GET `?query=`, POST `application/sparql-query` /
  `application/sparql-update` bodies or POST form bodies, exactly as the SPARQL 1.1 Protocol
  says; `graph/sparql_guard.py` checks it (`check_query`: read-only unless updates are allowed,
  no SERVICE/LOAD, only the store's own graphs in FROM/USING, no file: IRIs) and checks the
  protocol's `default-graph-uri`, `named-graph-uri`, `using-graph-uri` and
  `using-named-graph-uri` by the same rule (`check_source`). What is refused gets 400 (403 for an
  update to a read-only endpoint) with the guard's message as text/plain. What passes is sent on
  rebuilt from the checked values (one form-encoded POST), so Oxigraph runs exactly the text that
  was checked, never a second reading of the original request.
* Content negotiation is Oxigraph's: the client's `Accept` goes through, the answer comes back
  streamed (chunked; a stream Oxigraph cuts, e.g. at the query timeout, stays visibly cut).
* `/store` (the Graph Store Protocol): reads pass; writes only with updates allowed (they carry
  data, never an address to fetch).
* `/` and its assets (the query page): passed as they are. Anything else: 404.
"""
from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .sparql_guard import ParsedKind, QueryError, QueryRefused, check_query, check_source

__all__ = ["MAX_TEXT_BYTES", "Operation", "ProxyRefusal", "GuardingProxy", "guard_operation", "read_operation"]

MAX_TEXT_BYTES = 1 << 20           # a query or update text (and its form) above 1 MiB is refused
QUERY_PATHS = ("/query", "/sparql")
UPDATE_PATHS = ("/update", "/sparql")
PAGE_PATHS = ("/", "/yasgui.min.css", "/yasgui.min.js", "/logo.svg")
# protocol parameter → the clause it stands for (None: a flag that names nothing)
QUERY_PARAMETERS = {"default-graph-uri": "FROM", "named-graph-uri": "FROM NAMED", "union-default-graph": None}
UPDATE_PARAMETERS = {"using-graph-uri": "USING", "using-named-graph-uri": "USING NAMED", "using-union-graph": None}
FORM = "application/x-www-form-urlencoded"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "content-length", "server", "date"}
CHUNK = 64 * 1024


class ProxyRefusal(Exception):
    """A request the proxy answers itself: an HTTP status and a message for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Operation:
    """One SPARQL request: kind "query" or "update", its text, and the protocol parameters to keep."""

    kind: str
    text: str
    parameters: tuple[tuple[str, str], ...] = ()

    def form(self) -> bytes:
        """The form-encoded body that carries exactly this operation to Oxigraph."""
        return urllib.parse.urlencode([(self.kind, self.text), *self.parameters]).encode("utf-8")


def _pairs(encoded: str | bytes) -> list[tuple[str, str]]:
    if isinstance(encoded, bytes):
        try:
            encoded = encoded.decode("ascii")   # a form body is percent-encoded ASCII
        except UnicodeDecodeError:
            raise ProxyRefusal(400, "the form body is not percent-encoded") from None
    try:
        return urllib.parse.parse_qsl(encoded, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProxyRefusal(400, f"malformed parameters: {exc}") from None


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProxyRefusal(400, f"the request body is not UTF-8: {exc}") from None


def _operation(kind: str, text: str, pairs: Iterable[tuple[str, str]]) -> Operation:
    known = QUERY_PARAMETERS if kind == "query" else UPDATE_PARAMETERS
    # unknown parameters are dropped: Oxigraph ignores them too, and only what was checked goes on
    return Operation(kind, text, tuple((k, v) for k, v in pairs if k in known))


def read_operation(method: str, path: str, url_query: str, content_type: str | None,
                   body: bytes = b"") -> Operation | None:
    """The SPARQL operation an HTTP request to `path` carries, as the SPARQL 1.1 Protocol reads it.

    In: the method, path, raw URL query string, Content-Type header (or None) and body bytes.
    Out: an Operation, or None for a request that carries none (a GET without `query`, which
    Oxigraph answers with its service description). Raises ProxyRefusal (400, 405, 415) for a
    request that is malformed, ambiguous (two queries, a query both in the URL and the body) or
    of a kind the path does not take.
    """
    url_pairs = _pairs(url_query)
    if method in ("GET", "HEAD"):
        queries = [v for k, v in url_pairs if k == "query"]
        if path not in QUERY_PATHS or not queries or method == "HEAD":
            return None
        if len(queries) > 1:
            raise ProxyRefusal(400, "more than one query parameter")
        return _operation("query", queries[0], url_pairs)
    if method != "POST":
        raise ProxyRefusal(405, f"{method} {path} is not supported: use GET or POST")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/sparql-query" and path in QUERY_PATHS:
        kind = "query"
    elif media == "application/sparql-update" and path in UPDATE_PATHS:
        kind = "update"
    elif media == FORM:
        pairs = url_pairs + _pairs(body)
        kinds = [k for k in ("query", "update") if k in (name for name, _ in pairs)]
        allowed = [k for k in kinds if path in (QUERY_PATHS if k == "query" else UPDATE_PATHS)]
        if len(kinds) != 1 or not allowed:
            wanted = {"/query": "a query parameter", "/update": "an update parameter"}.get(
                path, "a query or an update parameter")
            raise ProxyRefusal(400, f"the form must carry exactly one of {wanted}")
        texts = [v for k, v in pairs if k == kinds[0]]
        if len(texts) > 1:
            raise ProxyRefusal(400, f"more than one {kinds[0]} parameter")
        return _operation(kinds[0], texts[0], pairs)
    else:
        takes = " or ".join(
            t for t, paths in (("application/sparql-query", QUERY_PATHS), ("application/sparql-update", UPDATE_PATHS))
            if path in paths)
        raise ProxyRefusal(415, f"Content-Type {media or '(none)'} is not accepted at {path}: send {takes} or {FORM}")
    if any(k == kind for k, _ in url_pairs):
        raise ProxyRefusal(400, f"the {kind} is both in the URL and in the body")
    return _operation(kind, _text(body), url_pairs)


_CHECK_LOCK = threading.Lock()   # rdflib's pyparsing grammar is shared module state: one parse at a time


def guard_operation(operation: Operation, allow_update: bool) -> ParsedKind:
    """Check `operation` by graph/sparql_guard.py's rules; raise ProxyRefusal (400, 403) if it may not run.

    In: the operation and whether updates are allowed. Out: the kind of SPARQL it is.
    An update refused because the endpoint is read-only is 403 (as Oxigraph answers it); any
    other refusal, a syntax error, or a query sent as an update (or the reverse) is 400.
    """
    with _CHECK_LOCK:
        try:
            # an update sent as a query is a protocol error (400) in any mode: let it parse as one
            kind = check_query(operation.text, allow_update=allow_update or operation.kind == "query")
        except QueryRefused as exc:
            read_only = str(exc).startswith("SPARQL Update")
            raise ProxyRefusal(403 if read_only else 400, str(exc)) from None
        except QueryError as exc:
            raise ProxyRefusal(400, str(exc)) from None
        for name, value in operation.parameters:
            clause = {**QUERY_PARAMETERS, **UPDATE_PARAMETERS}[name]
            if clause is not None:
                try:
                    check_source(clause, value)
                except QueryRefused as exc:
                    raise ProxyRefusal(400, f"{name}: {exc}") from None
    if (kind is ParsedKind.UPDATE) != (operation.kind == "update"):
        where = "/update" if kind is ParsedKind.UPDATE else "/query"
        raise ProxyRefusal(400, f"this is {'an update' if kind is ParsedKind.UPDATE else 'a query'}: send it to {where}")
    return kind


class _Handler(BaseHTTPRequestHandler):
    server: GuardingProxy
    protocol_version = "HTTP/1.1"   # keep-alive, and chunked answers whose cut-off the client can see

    # ------------------------------------------------------------------ routing

    def do_GET(self) -> None:   # noqa: N802 — http.server's names
        self._route("GET")

    def do_HEAD(self) -> None:   # noqa: N802
        self._route("HEAD")

    def do_POST(self) -> None:   # noqa: N802
        self._route("POST")

    def do_PUT(self) -> None:   # noqa: N802
        self._route("PUT")

    def do_DELETE(self) -> None:   # noqa: N802
        self._route("DELETE")

    def _route(self, method: str) -> None:
        path, _, url_query = self.path.partition("?")
        try:
            if path in QUERY_PATHS or path in UPDATE_PATHS:
                self._sparql(method, path, url_query)
            elif path == "/store" or path.startswith("/store/"):
                self._graph_store(method)
            elif path in PAGE_PATHS and method in ("GET", "HEAD"):
                self._forward(method, path)
            else:
                raise ProxyRefusal(404, f"{method} {path} is not served here")
        except ProxyRefusal as refusal:
            self._refuse(refusal)

    def _sparql(self, method: str, path: str, url_query: str) -> None:
        body = self._read_body(MAX_TEXT_BYTES) if method == "POST" else b""
        operation = read_operation(method, path, url_query, self.headers.get("Content-Type"), body)
        if operation is None:   # the service description: nothing to check, nothing of the URL passed on
            self._forward(method, path)
            return
        guard_operation(operation, self.server.allow_update)
        self._forward("POST", path, operation.form(), FORM)

    def _graph_store(self, method: str) -> None:
        if method in ("GET", "HEAD"):
            self._forward(method, self.path)
        elif not self.server.allow_update:
            raise ProxyRefusal(403, "the endpoint is read-only: Graph Store writes need --allow-update")
        else:
            length = self._content_length()
            self._forward(method, self.path, self._stream_body(length), self.headers.get("Content-Type"), length)

    # ------------------------------------------------------------------ bodies

    def _content_length(self) -> int:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ProxyRefusal(411, "chunked request bodies are not accepted: send a Content-Length")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise ProxyRefusal(400, "bad Content-Length") from None
        if length < 0:
            raise ProxyRefusal(400, "bad Content-Length")
        return length

    def _read_body(self, limit: int) -> bytes:
        length = self._content_length()
        if length > limit:
            raise ProxyRefusal(413, f"a SPARQL request body may be at most {limit} bytes, this one is {length}")
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            raise ProxyRefusal(400, "the request body ended early")
        return body

    def _stream_body(self, length: int) -> Iterator[bytes]:
        left = length
        while left:
            data = self.rfile.read(min(CHUNK, left))
            if not data:
                raise ConnectionError("the client stopped sending its body")
            left -= len(data)
            yield data

    # ------------------------------------------------------------------ answering

    def _refuse(self, refusal: ProxyRefusal) -> None:
        self.server.note(f"refused {self.command} {self.path.partition('?')[0]} ({refusal.status}): {refusal.message}")
        body = (refusal.message + "\n").encode("utf-8")
        # the request body may be unread: this connection cannot carry another request
        self.close_connection = True
        try:
            self.send_response(refusal.status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass

    def _forward(self, method: str, target: str, body: bytes | Iterable[bytes] | None = None,
                 content_type: str | None = None, length: int | None = None) -> None:
        headers = {"Host": self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_port}"}
        if self.headers.get("Accept"):
            headers["Accept"] = self.headers["Accept"]
        if content_type:
            headers["Content-Type"] = content_type
        if body is not None:
            headers["Content-Length"] = str(len(body) if isinstance(body, bytes) else length)
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=self.server.upstream_timeout)
        try:
            try:
                upstream.request(method, target, body=body, headers=headers)
                response = upstream.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                self.close_connection = True
                raise ProxyRefusal(502, f"the Oxigraph server did not answer: {exc}") from None
            self._relay(method, response)
        finally:
            upstream.close()

    def _relay(self, method: str, response: http.client.HTTPResponse) -> None:
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        length = response.getheader("Content-Length")
        if method == "HEAD" or response.status in (204, 304):
            if length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            return
        chunked = length is None
        self.send_header(*(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", length)))
        self.end_headers()
        try:
            while True:
                try:
                    data = response.read1(CHUNK)
                except (OSError, http.client.HTTPException):
                    # Oxigraph cut its answer (a timeout mid-stream): cut ours too, without the
                    # closing chunk, so the client sees a broken answer rather than a short one
                    self.close_connection = True
                    return
                if not data:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:   # the client went away; closing upstream stops Oxigraph's work for it
            self.close_connection = True

    def log_request(self, code="-", size="-") -> None:   # noqa: ARG002 — one line per refusal is enough
        pass

    def log_error(self, format: str, *args) -> None:   # noqa: A002 — http.server's signature
        self.server.note(format % args)


class GuardingProxy(ThreadingHTTPServer):
    """The public side of `eventkg serve`: listens on (host, port), forwards checked requests to `upstream`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], upstream: tuple[str, int], allow_update: bool,
                 upstream_timeout: float, note: Callable[[str], None]):
        """Bind `address` now (OSError if taken); `serve_forever` starts answering."""
        self.upstream = upstream
        self.allow_update = allow_update
        self.upstream_timeout = upstream_timeout
        self.note = note
        super().__init__(address, _Handler)
