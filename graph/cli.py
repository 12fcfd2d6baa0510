"""The `eventkg` command line: build, query, export, stats, validate, evaluate."""
from __future__ import annotations

import csv
import io
import json
import sys
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .queries import parse_params, resolve_query
from .sparql_guard import (DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, ParsedKind, QueryEngineError, QueryError, QueryRefused,
                           QuerySyntaxError, QueryTimeout, check_query, run_with_limits)
from .store import FORMAT_BY_NAME, MemoryStore, OxigraphStore, StoreError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Event knowledge graphs from Arabic news: who did what, to whom, where, when, according to whom.")
# soft_wrap: messages name files and must stay whole lines (no path broken across lines)
err = Console(stderr=True, soft_wrap=True)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_PARTIAL = 3   # some inputs were skipped; the rest was built and written
EXIT_FAILED = 4    # nothing could be built or written
EXIT_INTERRUPTED = 130   # Ctrl-C (128 + SIGINT); outputs are left as they were


class OutFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(str, Enum):
    turtle = "turtle"
    trig = "trig"
    nquads = "nquads"
    ntriples = "ntriples"
    jsonld = "jsonld"


def _usage(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}")   # file names and queries may contain [brackets]
    return typer.Exit(EXIT_USAGE)


def _open(graph: Path | None, store: Path | None):
    if (graph is None) == (store is None):
        raise _usage("give exactly one of --graph FILE or --store DIR")
    try:
        if store is not None:
            return OxigraphStore(store)
        return MemoryStore.load(graph)
    except StoreError as exc:
        raise _usage(str(exc)) from None


def _pipeline(morphology_db: Path):
    """The extraction pipeline with a morphology database; a bad file is a usage error naming it."""
    from extract.morphology import MorphologyDataError
    from extract.pipeline import build_pipeline

    try:
        return build_pipeline(morphology_db=morphology_db)
    except MorphologyDataError as exc:
        raise _usage(str(exc)) from None


@app.command()
def build(
    inputs: list[Path] = typer.Argument(..., help=".txt articles and/or folders of them (with an optional articles.jsonl)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output file: .trig/.nq keep one graph per article, .ttl/.nt merge."),
    store: Path | None = typer.Option(None, "--store", help="Persistent Oxigraph store folder (incremental: unchanged articles are skipped)."),
    processes: int = typer.Option(1, "--processes", "-j", min=1, help="Run the extraction in N local worker processes."),
    dask: str | None = typer.Option(None, "--dask", help="Run the extraction on a Dask cluster: a scheduler address (tcp://host:8786) or local:N (N local workers)."),
    morphology_db: Path | None = typer.Option(None, "--morphology-db", help="A camel-tools morphology database file: inflections the trigger lexicon does not list match by their lemma."),
) -> None:
    """Extract events and entities from Arabic articles into an RDF graph."""
    from .build import build as run_build
    from .distributed import ClusterError, extractor_for, parse_address

    if out is None and store is None:
        raise _usage("give --out FILE and/or --store DIR")
    if out is not None and out.suffix.lower() not in (".trig", ".nq", ".ttl", ".nt", ".jsonld"):
        raise _usage(f"{out}: unknown output extension (use .trig, .nq, .ttl, .nt or .jsonld)")
    for path in inputs:
        if not path.exists():
            raise _usage(f"{path}: no such file or folder")
    if dask is not None and processes > 1:
        raise _usage("give --processes N or --dask ADDRESS, not both")
    try:
        if dask is not None:
            parse_address(dask)
        nlp = _pipeline(morphology_db) if morphology_db is not None else None
        target = OxigraphStore(store) if store is not None else MemoryStore()
    except (StoreError, ClusterError) as exc:
        raise _usage(str(exc)) from None
    from .build import BuildInterrupted

    nothing_built = False
    try:
        with extractor_for(processes, dask, morphology_db=morphology_db) as extract, \
                Progress(TextColumn("[bold]building"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                         console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("build", total=None)
            report = run_build(inputs, target, extract=extract, nlp=nlp,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
        # a build where every input failed must not replace a previous output with an empty graph
        nothing_built = not report.built and not report.unchanged and bool(report.skipped)
        if out is not None and not nothing_built:
            try:
                target.write(out)
            except (OSError, StoreError) as exc:
                err.print(f"[red]error:[/red] cannot write {escape(str(out))}: {escape(str(exc))}")
                raise typer.Exit(EXIT_FAILED) from None
        if isinstance(target, OxigraphStore):
            target.flush()
    except ClusterError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt as exc:
        stored = exc.stored if isinstance(exc, BuildInterrupted) else None
        err.print("[red]interrupted:[/red] "
                  + (f"{escape(str(out))} left unchanged" if out is not None else "")
                  + ("; " if out is not None and store is not None else "")
                  + (f"store {escape(str(store))} keeps {len(stored) if stored is not None else 'the'} article(s) written "
                     "before the interruption (each article graph is old or new, never half-written)"
                     if store is not None else ""))
        raise typer.Exit(EXIT_INTERRUPTED) from None
    for where, why in report.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(where)}: {escape(why)}")
    err.print(f"built {len(report.built)} article(s), {report.events} event mention(s)"
              + (f", {len(report.unchanged)} unchanged" if report.unchanged else "")
              + (f" → {escape(str(out))}" if out and not nothing_built else "")
              + (f" (store {escape(str(store))})" if store else ""))
    if report.skipped:
        err.print(f"[red]skipped {len(report.skipped)} input(s):[/red]")
        for where, why in report.skipped:
            err.print(f"  {escape(where)}: {escape(why)}")
        if nothing_built and out is not None:
            err.print(f"nothing could be built: {escape(str(out))} left unchanged")
        raise typer.Exit(EXIT_PARTIAL if report.built or report.unchanged else EXIT_FAILED)


def _render(result, fmt: OutFormat) -> str:
    if fmt is OutFormat.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([["" if v is None else v for v in row] for row in result.rows])
        return buf.getvalue()
    if fmt is OutFormat.json:
        return json.dumps([dict(zip(result.columns, row)) for row in result.rows], ensure_ascii=False, indent=2) + "\n"
    table = Table(*result.columns, show_lines=False)
    for row in result.rows:
        table.add_row(*["" if v is None else v for v in row])
    out = Console(file=io.StringIO(), width=200, record=True)
    out.print(table)
    out.print(f"{len(result.rows)} row(s)")
    return out.export_text()


@app.command()
def query(
    spec: str = typer.Argument(..., help="Canned query name (graph/queries/NAME.rq), a .rq file, or SPARQL text."),
    graph: Path | None = typer.Option(None, "--graph", "-g", help="Graph file to query."),
    store: Path | None = typer.Option(None, "--store", help="Oxigraph store folder to query."),
    fmt: OutFormat = typer.Option(OutFormat.table, "--format", "-f"),
    param: list[str] = typer.Option([], "--param", "-p", help="Bind a query variable: NAME=VALUE (IRI or text)."),
    allow_update: bool = typer.Option(False, "--allow-update", help="Accept SPARQL Update: it changes the --store, or rewrites the --graph file."),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", min=0.01, help="Stop the query after this many seconds."),
    limit: int = typer.Option(DEFAULT_MAX_ROWS, "--limit", min=0, help="Print at most this many rows (exit status 3 and a warning when there are more)."),
) -> None:
    """Run a SPARQL query and print the rows as a table, CSV or JSON (read-only unless --allow-update)."""
    unresolved: str | None = None   # the message only: a kept exception would keep this frame (and the store) alive
    try:
        _, text = resolve_query(spec)
    except FileNotFoundError as exc:
        raise _usage(str(exc)) from None
    except ValueError as exc:
        # not a name or a file: the SPARQL parser judges the text (updates included)
        text, unresolved = spec, str(exc)
    try:
        bindings = parse_params(param)
    except ValueError as exc:
        raise _usage(str(exc)) from None
    try:
        kind = check_query(text, allow_update=allow_update)
    except QuerySyntaxError as exc:
        raise _usage(unresolved or f"query failed: {exc}") from None
    except QueryRefused as exc:
        raise _usage(f"query refused: {exc}") from None
    target = _open(graph, store)
    try:
        result = run_with_limits(target, text, bindings, timeout=timeout, max_rows=limit, allow_update=allow_update)
        if kind is ParsedKind.UPDATE:
            if graph is not None:
                target.write(graph)   # atomic: a failed write leaves the old file
            else:
                target.flush()
    except (QueryTimeout, QueryEngineError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}" + (" (raise --timeout)" if isinstance(exc, QueryTimeout) else ""))
        raise typer.Exit(EXIT_FAILED) from None
    except QueryError as exc:
        raise _usage(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 — a bad query is the user's error, reported plainly
        raise _usage(f"query failed: {exc}") from None
    finally:
        # Close an Oxigraph store now: the SPARQL parser's exception cycles can keep this frame
        # alive until the next garbage collection, and with it the store's lock.
        del target
    if kind is ParsedKind.UPDATE:
        err.print(f"update applied to {escape(str(graph or store))}")
        return
    sys.stdout.write(_render(result, fmt))
    if result.truncated:
        err.print(f"[yellow]warning:[/yellow] result truncated to the first {limit} row(s); "
                  "the query has more (raise --limit)")
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def export(
    graph: Path | None = typer.Option(None, "--graph", "-g"),
    store: Path | None = typer.Option(None, "--store"),
    fmt: ExportFormat = typer.Option(ExportFormat.turtle, "--format", "-f"),
    out: Path = typer.Option(..., "--out", "-o"),
) -> None:
    """Write the graph in another RDF format."""
    target = _open(graph, store)
    wanted = FORMAT_BY_NAME[fmt.value]
    if out.suffix.lower() != wanted:
        raise _usage(f"{out}: --format {fmt.value} needs a {wanted} file name")
    target.write(out)
    err.print(f"wrote {out}")


STATS_QUERY = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?class } FILTER(?g != ?ontology) }
GROUP BY ?class ORDER BY DESC(?n) ?class
"""


@app.command()
def stats(
    graph: Path | None = typer.Option(None, "--graph", "-g"),
    store: Path | None = typer.Option(None, "--store"),
    fmt: OutFormat = typer.Option(OutFormat.table, "--format", "-f"),
) -> None:
    """Count nodes by class."""
    from .store import ontology_graph_iri

    target = _open(graph, store)
    result = target.query(STATS_QUERY, {"ontology": ontology_graph_iri()})
    sys.stdout.write(_render(result, fmt))


@app.command()
def serve(
    store: Path = typer.Option(..., "--store", help="Oxigraph store folder (from eventkg build --store)."),
    port: int = typer.Option(7878, "--port", min=1, max=65535, help="TCP port on 127.0.0.1."),
    timeout: int = typer.Option(30, "--timeout", min=1, help="Query timeout in seconds."),
    allow_update: bool = typer.Option(False, "--allow-update", help="Accept SPARQL Update on /update (read-only otherwise)."),
) -> None:
    """Serve the store as a SPARQL 1.1 Protocol endpoint on 127.0.0.1 (Oxigraph's server and query page)."""
    import signal

    from .serve import ServeError, start_server

    # a terminated `eventkg serve` must take its server down with it, not orphan it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server = start_server(store, port=port, timeout_s=timeout, allow_update=allow_update)
    except ServeError as exc:
        raise _usage(str(exc)) from None
    with server:
        try:
            server.wait_ready()
        except ServeError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(EXIT_FAILED) from None
        err.print(f"SPARQL endpoint {server.query_url}"
                  + (f", updates at {server.update_url}" if allow_update else " (read-only)")
                  + f"; query page {server.url}; timeout {timeout} s. Ctrl-C stops.")
        try:
            status = server.process.wait()
        except KeyboardInterrupt:
            status = 0
    if status:
        err.print(f"[red]error:[/red] the Oxigraph server exited with status {status}")
        raise typer.Exit(EXIT_FAILED)


@app.command()
def validate(
    graph: Path | None = typer.Option(None, "--graph", "-g"),
    store: Path | None = typer.Option(None, "--store"),
) -> None:
    """Check the graph against the SHACL shapes; prints violations readably."""
    from .validation import validate_store

    target = _open(graph, store)
    report = validate_store(target)
    if report.conforms:
        err.print("[green]conforms[/green] to ontology/shapes.ttl")
        return
    for line in report.lines:
        sys.stdout.write(line + "\n")
    err.print(f"[red]{len(report.lines)} violation(s)[/red]")
    raise typer.Exit(1)


@app.command()
def evaluate(
    gold: Path = typer.Option(..., "--gold", help="Folder of gold JSON files (../shared/gold/SCHEMA.md)."),
    articles: Path = typer.Option(..., "--articles", help="Folder of the articles' .txt files (and articles.jsonl)."),
    fmt: OutFormat = typer.Option(OutFormat.table, "--format", "-f"),
    morphology_db: Path | None = typer.Option(None, "--morphology-db", help="A camel-tools morphology database file (as for build)."),
) -> None:
    """Score extraction against gold annotations: P/R/F1 per article and overall."""
    from extract.evaluation import evaluate_folder

    try:
        nlp = _pipeline(morphology_db) if morphology_db is not None else None
        table = evaluate_folder(gold, articles, nlp=nlp)
    except (FileNotFoundError, ValueError) as exc:
        raise _usage(str(exc)) from None
    sys.stdout.write(_render(table, fmt))


@app.command()
def network(
    graph: Path | None = typer.Option(None, "--graph", "-g", help="Graph file."),
    store: Path | None = typer.Option(None, "--store", help="Oxigraph store folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Output: .gexf, .graphml, .json (node-link), .png or .html."),
    date_from: str | None = typer.Option(None, "--from", help="Only events dated on/after YYYY-MM-DD."),
    date_to: str | None = typer.Option(None, "--to", help="Only events dated on/before YYYY-MM-DD."),
    place: str | None = typer.Option(None, "--place", help="Only events at this place or inside it (label or IRI)."),
    source: str | None = typer.Option(None, "--source", help="Only events attributed to this source (label or IRI)."),
    event_type: str | None = typer.Option(None, "--type", help="Only events of this type, e.g. Airstrike."),
    certainty: str | None = typer.Option(None, "--certainty", help="Only asserted, uncertain or negated events."),
    interaction: list[str] = typer.Option([], "--interaction", help="Keep only these interactions: hostile, allied, reports_on."),
    ego: str | None = typer.Option(None, "--ego", help="Only this actor (label or IRI) and its neighbours."),
    radius: int = typer.Option(1, "--radius", min=1, help="Neighbourhood depth for --ego."),
) -> None:
    """Actor network (who fights, sides with, reports on whom) as GEXF, GraphML, JSON, PNG or HTML."""
    from . import network as net

    if out.suffix.lower() not in net.NETWORK_FORMATS:
        raise _usage(f"{out}: unknown network format (use {', '.join(net.NETWORK_FORMATS)})")
    try:
        filters = net.Filters(date_from=date_from, date_to=date_to, place=place, source=source,
                              event_type=event_type, certainty=certainty)
    except ValueError as exc:
        raise _usage(str(exc)) from None
    target = _open(graph, store)
    try:
        actors = net.network_from_store(target, filters)
        if interaction:
            actors = net.only(actors, interaction)
        if ego is not None:
            actors = net.ego_network(actors, ego, radius=radius)
    except (ValueError, KeyError) as exc:
        raise _usage(str(exc.args[0] if isinstance(exc, KeyError) else exc)) from None
    net.annotate(actors)
    try:
        net.write_network(actors, out, title="eventkg actor network")
    except (OSError, RuntimeError) as exc:
        err.print(f"[red]error:[/red] cannot write {out}: {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    kinds = {k: sum(1 for *_, d in actors.edges(data=True) if d["interaction"] == k) for k in net.INTERACTIONS}
    err.print(f"{actors.number_of_nodes()} actor(s), {actors.number_of_edges()} interaction edge(s) ("
              + ", ".join(f"{k} {n}" for k, n in kinds.items()) + f") → {out}")
    if actors.number_of_nodes() == 0:
        err.print("[yellow]warning:[/yellow] no event matches the filters; the network is empty")


def main() -> None:  # pragma: no cover
    app()
