"""What a user's SPARQL may do, and how long and how big its answer may be.

`check_query(text)` parses the text with rdflib's SPARQL grammar (never by pattern-matching
keywords, which comments, strings and prefixed names defeat) and refuses:

* SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY) unless the caller
  passes ``allow_update=True``;
* ``SERVICE`` and ``LOAD``: they make the engine fetch an address chosen by the query author.
  Only addresses on an explicit allow-list pass (none by default), even with updates allowed;
* naming a graph outside the store: ``FROM``/``FROM NAMED``/``USING`` may only name the
  store's own graphs (``https://w3id.org/eventkg/id/...``); rdflib would otherwise download a
  graph it does not hold, or read it from disk;
* ``file:`` IRIs (and relative IRIs, which resolve to local paths) in any of those places,
  whatever the allow-list says.

`run_with_limits(store, text, ...)` checks the text, then runs the query under a deadline and
a row cap: in a child process for an on-disk Oxigraph store (killed at the deadline; an engine
crash cannot take the caller down), in a worker thread otherwise (rdflib's pure-Python evaluation
is stopped at the deadline). The result says whether rows were cut off.

`eventkg query` calls these two, `eventkg serve`'s guarding proxy (graph/sparql_proxy.py) calls
`check_query` on every query and update sent over HTTP and `check_source` on the SPARQL
Protocol's dataset parameters; the stores call `check_query` first thing in their `query`, so no
query reaches an engine unchecked.
"""
from __future__ import annotations

import ctypes
import functools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import TypeVar

import rdflib.plugins.sparql
from pyparsing import ParseBaseException
from rdflib import Variable
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.util import from_n3

from ontology import vocabulary

# rdflib resolves FROM <g> for a graph it does not hold by downloading <g> (or opening it as a
# file). The checks below already refuse such IRIs; this switch makes sure the engine never
# dereferences a query's IRIs even if a check were bypassed.
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False

__all__ = [
    "DEFAULT_MAX_ROWS",
    "DEFAULT_TIMEOUT",
    "ParsedKind",
    "QueryEngineError",
    "QueryError",
    "QueryRefused",
    "QuerySyntaxError",
    "QueryTimeout",
    "check_query",
    "check_source",
    "run_with_limits",
    "take_rows",
]

DEFAULT_TIMEOUT = 30.0        # seconds
DEFAULT_MAX_ROWS = 100_000
DEFAULT_ALLOWED_ENDPOINTS: tuple[str, ...] = ()   # SERVICE/LOAD targets; none by default

T = TypeVar("T")


class QueryError(ValueError):
    """A query that cannot be run; the message says why, fit to show to the user."""


class QuerySyntaxError(QueryError):
    """Not SPARQL 1.1 (query or update) as rdflib's grammar reads it."""


class QueryRefused(QueryError):
    """Valid SPARQL that is not allowed here (an update, SERVICE, LOAD, a local file ...)."""


class QueryTimeout(QueryError):
    """The query ran past its deadline and was stopped."""


class QueryEngineError(QueryError):
    """The query engine failed or crashed while running a checked query."""


class ParsedKind(str, Enum):
    """What a checked text is: one of the four query forms, or an update request."""

    SELECT = "SELECT"
    ASK = "ASK"
    CONSTRUCT = "CONSTRUCT"
    DESCRIBE = "DESCRIBE"
    UPDATE = "UPDATE"


_QUERY_FORMS = {
    "SelectQuery": ParsedKind.SELECT,
    "AskQuery": ParsedKind.ASK,
    "ConstructQuery": ParsedKind.CONSTRUCT,
    "DescribeQuery": ParsedKind.DESCRIBE,
}
# rdflib's names for update operations → the keyword a user wrote
_UPDATE_OPERATIONS = {
    "InsertData": "INSERT DATA",
    "DeleteData": "DELETE DATA",
    "DeleteWhere": "DELETE WHERE",
    "Modify": "DELETE/INSERT",
    "Load": "LOAD",
    "Clear": "CLEAR",
    "Drop": "DROP",
    "Create": "CREATE",
    "Add": "ADD",
    "Move": "MOVE",
    "Copy": "COPY",
}
_REMOTE_SCHEMES = ("http://", "https://")


# ------------------------------------------------------------------------ checking


def _parse(text: str):
    """(ParsedKind, prologues, parts): the text parsed as a query, else as an update.

    Parsed on a thread of its own: pyparsing leaves the exceptions of the alternatives it tried in
    reference cycles with their frames, and a frame keeps every caller's frame alive (`f_back`)
    until the cycle collector runs. Parsed on the caller's stack, that pinned the caller's locals
    (an open Oxigraph store, whose lock then refused to open it again); on its own thread the
    cycles reach only the parser's frames.
    """
    return _in_thread(lambda: _parse_here(text), None, "parse", name="eventkg-sparql-parse")


def _parse_here(text: str):
    try:
        parsed = parseQuery(text)
    except ParseBaseException as query_error:
        try:
            update = parseUpdate(text)
        except ParseBaseException:
            # The query grammar's complaint is the useful one for a mistyped SELECT; an
            # update that does not parse says so by starting with an update keyword.
            raise QuerySyntaxError(f"not valid SPARQL: {query_error}") from None
        # CompValue.get returns the key itself for a missing key: test membership instead
        requests = list(update["request"]) if "request" in update else []
        if not requests:
            raise QuerySyntaxError("empty query") from None
        return ParsedKind.UPDATE, list(update.prologue), requests
    return _QUERY_FORMS[parsed[1].name], [parsed[0]], [parsed[1]]


def _nodes(value) -> Iterator[CompValue]:
    """Every CompValue inside a parse tree, depth first."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)) or type(item).__name__ == "ParseResults":
            stack.extend(item)


def _allowed(iri: str, allow: Iterable[str]) -> bool:
    return any(iri == a or (a.endswith("/") and iri.startswith(a)) for a in allow)


def _where_iris(kind: ParsedKind, prologues: list, parts: list) -> Iterator[tuple[str, object]]:
    """(clause, resolved IRI or Variable) for every SERVICE, LOAD, FROM and USING in the text."""
    prologue = None
    for raw_prologue, part in zip(prologues, parts):
        try:
            prologue = translatePrologue(raw_prologue, None, None, prologue)
        except Exception as exc:  # noqa: BLE001 — rdflib raises bare Exception for a bad prefix
            raise QuerySyntaxError(f"not valid SPARQL: {exc}") from None

        def resolve(term):
            if isinstance(term, Variable):
                return term
            try:
                return prologue.absolutize(term)
            except Exception as exc:  # noqa: BLE001 — unknown prefix
                raise QuerySyntaxError(f"not valid SPARQL: {exc}") from None

        for node in _nodes(part):
            if node.name == "ServiceGraphPattern":
                yield "SERVICE", resolve(node.term)
            elif node.name == "Load":
                yield "LOAD", resolve(node.iri)
            elif node.name in ("DatasetClause", "UsingClause"):
                keyword = "FROM" if node.name == "DatasetClause" else "USING"
                if "default" in node:
                    yield keyword, resolve(node["default"])
                if "named" in node:
                    yield f"{keyword} NAMED", resolve(node["named"])


def _is_local(iri: str) -> bool:
    """A file: IRI, or one without a scheme (a relative reference resolves to a local path)."""
    scheme, colon, _ = iri.partition(":")
    return iri.lower().startswith("file:") or not colon or not scheme.isalpha()


def check_source(clause: str, iri: str, allowed_endpoints: Iterable[str] = DEFAULT_ALLOWED_ENDPOINTS) -> None:
    """Raise QueryRefused unless `clause` may name `iri`; the rule `check_query` applies to each IRI.

    In: the clause as the user wrote it ("SERVICE", "LOAD", "FROM", "FROM NAMED", "USING",
    "USING NAMED"; the SPARQL Protocol's default-graph-uri / named-graph-uri / using-graph-uri /
    using-named-graph-uri are FROM, FROM NAMED, USING, USING NAMED) and the resolved IRI.
    SERVICE and LOAD may reach only allow-listed http(s) endpoints; the others may name only the
    store's own graphs (or allow-listed IRIs); no clause may name a file: or relative IRI.
    """
    if _is_local(iri):
        raise QueryRefused(f"{clause} <{iri}> refused: local file access is not allowed")
    if clause in ("SERVICE", "LOAD"):
        if not (iri.startswith(_REMOTE_SCHEMES) and _allowed(iri, allowed_endpoints)):
            raise QueryRefused(f"{clause} <{iri}> refused: {clause} may only reach allow-listed "
                               "endpoints (none are allowed by default)")
        return
    own = str(vocabulary().ids)
    if not iri.startswith(own) and not _allowed(iri, allowed_endpoints):
        raise QueryRefused(f"{clause} <{iri}> refused: only the store's own graphs ({own}...) can be named")


@functools.lru_cache(maxsize=512)
def _check(text: str, allow_update: bool, allowed_endpoints: tuple[str, ...]) -> ParsedKind:
    try:
        kind, prologues, parts = _parse(text)
    except RecursionError:
        raise QuerySyntaxError("query too deeply nested to check") from None
    if kind is ParsedKind.UPDATE and not allow_update:
        ops = ", ".join(dict.fromkeys(_UPDATE_OPERATIONS.get(p.name, p.name) for p in parts))
        raise QueryRefused(f"SPARQL Update ({ops}) refused: queries are read-only unless updates are "
                           "explicitly allowed (--allow-update)")
    for clause, target in _where_iris(kind, prologues, parts):
        if isinstance(target, Variable):
            raise QueryRefused(f"{clause} ?{target} refused: the address must be a fixed, allowed IRI")
        check_source(clause, str(target), allowed_endpoints)
    return kind


def check_query(text: str, allow_update: bool = False,
                allowed_endpoints: Iterable[str] = DEFAULT_ALLOWED_ENDPOINTS) -> ParsedKind:
    """Parse `text` as SPARQL and return its kind; raise QueryError if it may not run.

    In: the query or update text; `allow_update` lets SPARQL Update through; `allowed_endpoints`
    lists the http(s) addresses SERVICE and LOAD may reach (an entry ending in "/" allows
    everything under it). Out: ParsedKind. Raises QuerySyntaxError for text that is not
    SPARQL 1.1, QueryRefused (naming the clause and IRI) for what the module docstring lists.
    """
    if not isinstance(text, str):
        raise QuerySyntaxError(f"query must be text, got {type(text).__name__}")
    return _check(text, bool(allow_update), tuple(allowed_endpoints))


# ------------------------------------------------------------------------- limits


def take_rows(rows: Iterable[T], max_rows: int | None) -> tuple[list[T], bool]:
    """At most `max_rows` of `rows` (all when None) and whether any were left over."""
    if max_rows is None:
        return list(rows), False
    taken: list[T] = []
    for row in rows:
        if len(taken) == max_rows:
            return taken, True
        taken.append(row)
    return taken, False


class _Abandoned(BaseException):
    """Raised inside a worker thread whose caller has given up on it (BaseException: not swallowed)."""


def _in_thread(work: Callable[[], T], timeout: float | None, what: str, name: str = "eventkg-query") -> T:
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except _Abandoned:
            pass
        except BaseException as exc:  # noqa: BLE001 — handed to the caller
            box["error"] = exc

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        # Stops pure-Python evaluation (rdflib) at its next bytecode. Native code (Oxigraph
        # in memory) finishes its current step first; the thread is a daemon and exits then.
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(_Abandoned))
        raise QueryTimeout(f"{what} timed out after {timeout:g} s and was stopped")
    error = box.pop("error", None)
    if error is not None:
        try:
            raise error  # type: ignore[misc]
        finally:
            del error   # no exception → traceback → this frame → exception cycle keeping callers alive
    return box["value"]  # type: ignore[return-value]


def _in_child(store_path: Path, text: str, bindings: Mapping[str, object], timeout: float | None,
              max_rows: int | None):
    """Run a checked query on the Oxigraph store at `store_path` in a child process."""
    from .store import QueryResult

    request = json.dumps({"store": str(store_path), "query": text, "max_rows": max_rows,
                          "bindings": {k: v.n3() for k, v in bindings.items()}})
    proc = subprocess.Popen([sys.executable, "-m", "graph.sparql_guard"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "RUST_BACKTRACE": "0"})   # a panic's message, not its stack
    try:
        out, err = proc.communicate(request.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise QueryTimeout(f"query timed out after {timeout:g} s and was stopped") from None
    except BaseException:  # Ctrl-C while waiting: the child must not outlive us
        proc.kill()
        proc.communicate()
        raise
    if proc.returncode != 0:
        # e.g. Oxigraph 0.5's ORDER BY over mixed terms panics: "thread ... panicked at ...:" + message
        lines = [ln.strip() for ln in err.decode("utf-8", "replace").splitlines()
                 if ln.strip() and not ln.startswith(("thread ", "note: "))]
        how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"status {proc.returncode}"
        raise QueryEngineError(f"the query engine crashed ({how}): {' '.join(lines[-2:]) or 'no message'}")
    answer = json.loads(out)
    if "error" in answer:   # the engine rejected the query (e.g. an unknown prefix): the user's error
        raise QueryError(f"query failed: {answer['error']}")
    return QueryResult(answer["columns"], answer["rows"], answer["truncated"])


def run_with_limits(store, text: str, bindings: Mapping[str, object] | None = None, *,
                    timeout: float | None = DEFAULT_TIMEOUT, max_rows: int | None = DEFAULT_MAX_ROWS,
                    allow_update: bool = False):
    """Check `text` (see `check_query`) and run it on `store` within `timeout` s and `max_rows` rows.

    In: a MemoryStore or OxigraphStore, SPARQL text, variable bindings (name → rdflib term).
    Out: the store's QueryResult; `truncated` is True when rows beyond `max_rows` were dropped.
    An update (only with `allow_update`) runs through `store.update` and returns an empty result.
    Raises QueryError subclasses: QuerySyntaxError, QueryRefused, QueryTimeout, QueryEngineError.
    """
    from .store import OxigraphStore, QueryResult

    kind = check_query(text, allow_update=allow_update)
    bindings = dict(bindings or {})
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    if max_rows is not None and max_rows < 0:
        raise ValueError(f"max_rows must be at least 0, got {max_rows}")
    if kind is ParsedKind.UPDATE:
        # Updates are transactional in Oxigraph: a timed-out one is never committed once we exit.
        _in_thread(lambda: store.update(text), timeout, "update")
        return QueryResult([], [])
    if isinstance(store, OxigraphStore) and store.path is not None:
        return _in_child(Path(store.path), text, bindings, timeout, max_rows)
    return _in_thread(lambda: store.query(text, bindings, max_rows=max_rows), timeout, "query")


# --------------------------------------------------------------- the child process


def _serve_one_request() -> None:
    """Child side of `_in_child`: one JSON request on stdin → one JSON answer on stdout."""
    import pyoxigraph as ox

    from .store import OxigraphStore

    request = json.loads(sys.stdin.read())
    try:
        # read-only: the parent may hold the store open for writing; a query never writes
        store = OxigraphStore.__new__(OxigraphStore)
        store.store = ox.Store.read_only(request["store"])
        store.path = Path(request["store"])
        bindings = {k: from_n3(v) for k, v in request["bindings"].items()}
        result = store.query(request["query"], bindings, max_rows=request["max_rows"])
        answer = {"columns": result.columns, "rows": result.rows, "truncated": result.truncated}
    except Exception as exc:  # noqa: BLE001 — reported to the parent as data
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    _serve_one_request()
