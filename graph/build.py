"""Building a graph from article files: read → extract → harvest → RDF → store → file.

`build()` never lets one bad input stop the others: unreadable files, malformed sidecar
lines and articles the pipeline fails on are collected in the report and skipped.
With a persistent store, articles whose text hash is unchanged are skipped and changed
ones replace their named graph, so re-running never duplicates.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from extract.pipeline import ArticleFailure, build_pipeline, process
from extract.reader import Article, InputError, collect_inputs, read_article
from extract.records import ArticleRecord

from .canonical import fetch_mentions, link_canonical_events
from .iri import article_graph_iri, entities_graph_iri, entity_iri
from .network import materialise_network
from .rdf import article_triples, entity_triples
from .store import MemoryStore, OxigraphStore


WRITE_BATCH = 256   # articles per bulk store write (≈100k quads)


class BuildInterrupted(KeyboardInterrupt):
    """Ctrl-C during `build()`. `report` is what was done so far; `stored` lists the articles
    whose graphs were committed to the store before the interruption (the batch being
    extracted was not written: store writes are all-or-nothing)."""

    def __init__(self, report: BuildReport, stored: list[str]):
        super().__init__("build interrupted")
        self.report = report
        self.stored = stored


@dataclass
class BuildReport:
    """What a build did: built, unchanged (skipped as already current) and skipped-with-reason."""

    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (where, why)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    events: int = 0
    entities: int = 0

    @property
    def ok(self) -> bool:
        return not self.skipped


def _shown(path: Path) -> str:
    """A path fit to print: bytes that are not UTF-8 shown as \\xNN instead of raising later."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _read_all(paths: Sequence[Path], meta, report: BuildReport) -> list[Article]:
    articles = []
    for path in paths:
        try:
            path.stem.encode("utf-8")
        except UnicodeEncodeError:
            # the stem is the article id, and ids go into IRIs and literals: they must be text
            report.skipped.append((_shown(path), "file name is not valid UTF-8 (rename the file)"))
            continue
        try:
            article = read_article(path, meta.get(path.stem))
        except InputError as exc:
            report.skipped.append((f"{path}:{exc.line}" if exc.line else str(path), exc.reason))
            continue
        for warning in article.warnings:
            report.warnings.append((str(path), warning))
        articles.append(article)
    return articles


def build(
    inputs: Iterable[Path],
    store: MemoryStore | OxigraphStore,
    progress: Callable[[int, int], None] | None = None,
    nlp=None,
    extract: Callable[[Sequence[Article]], Iterable[ArticleRecord | ArticleFailure]] | None = None,
    batch_size: int = WRITE_BATCH,
) -> BuildReport:
    """Extract every article under `inputs` into `store`; returns the report.

    inputs: .txt files and/or folders (a folder's articles.jsonl supplies metadata).
    progress: called as progress(done, total) after each article.
    extract: maps the articles to (re)build to one result each, in order; default: the pipeline
      (`nlp`, loaded if None) in this process. `graph/distributed.py` gives process-pool and Dask ones.
    batch_size: articles written to the store per bulk write.
    """
    report = BuildReport()
    paths, meta, errors = collect_inputs(inputs)
    for err in errors:
        where = f"{err.path}:{err.line}" if err.line else str(err.path)
        report.skipped.append((where, err.reason))
    articles = _read_all(paths, meta, report)
    known = store.article_hashes()
    todo = []
    for article in articles:
        if known.get(article_graph_iri(article.id)) == article.sha256:
            report.unchanged.append(article.id)
        else:
            todo.append(article)
    # an entity is described once (first article wins), so it keeps one @ar label
    described = store.described_entities()
    if progress:
        progress(0, len(todo))
    if todo and extract is None:
        nlp = nlp or build_pipeline()
        extract = functools.partial(process, nlp)
    # article graphs and new entity descriptions are written in batches: one bulk write each
    graphs: dict = {}
    fresh_triples: list = []
    stored: list[str] = []
    path_of = {article.id: article.path for article in todo}

    def write() -> None:
        store.replace_graphs(graphs, {entities_graph_iri(): fresh_triples})
        stored.extend(report.built[len(stored):])
        graphs.clear()
        fresh_triples.clear()

    try:
        for done, result in enumerate(extract(todo) if todo else [], start=1):
            if isinstance(result, ArticleFailure):
                report.skipped.append((str(result.path), result.reason))
            else:
                try:
                    triples = list(article_triples(result))
                    fresh = [e for e in (*result.entities, *result.context) if entity_iri(e.key) not in described]
                    entity_statements = [t for e in fresh for t in entity_triples(e)]
                except Exception as exc:  # noqa: BLE001 — one article's bad records must not stop the build
                    report.skipped.append((str(path_of.get(result.id, result.id)),
                                           f"cannot turn its records into RDF: {type(exc).__name__}: {exc}"))
                else:
                    graphs[article_graph_iri(result.id)] = triples
                    described.update(entity_iri(e.key) for e in fresh)
                    fresh_triples.extend(entity_statements)
                    report.built.append(result.id)
                    report.events += len(result.events)
                    report.entities += len(result.entities)
                    if len(graphs) >= batch_size:
                        write()
            if progress:
                progress(done, len(todo))
        if graphs or fresh_triples:
            write()
    except KeyboardInterrupt as exc:
        # the unwritten batch is dropped whole; what is in the store stays consistent
        raise BuildInterrupted(report, stored) from exc
    summarise(store)
    return report


def summarise(store: MemoryStore | OxigraphStore) -> tuple[int, int]:
    """Recompute the store's summary graphs from its mentions, read once: canonical events and the
    materialised actor network. Returns (canonical events, network actors + edges)."""
    mentions = fetch_mentions(store)
    # mentions of one real-world event across (and within) articles → one canonical event;
    # recomputed over the whole store, so a changed article re-links everything it touches
    events = link_canonical_events(store, mentions)
    # the unfiltered actor network, so `eventkg network` reads a few thousand rows, not every mention
    return events, materialise_network(store, mentions)
