"""Building a graph from article files: read → extract → harvest → RDF → store → file.

`build()` never lets one bad input stop the others: unreadable files, malformed sidecar
lines and articles the pipeline fails on are collected in the report and skipped.
With a persistent store, articles whose text hash is unchanged are skipped and changed
ones replace their named graph, so re-running never duplicates.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from extract.pipeline import ArticleFailure, build_pipeline, process
from extract.reader import Article, InputError, collect_inputs, read_article

from .iri import article_graph_iri, entities_graph_iri, entity_iri
from .rdf import article_triples, entity_triples
from .store import MemoryStore, OxigraphStore


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


def _read_all(paths: Sequence[Path], meta, report: BuildReport) -> list[Article]:
    articles = []
    for path in paths:
        try:
            article = read_article(path, meta.get(path.stem))
        except InputError as exc:
            report.skipped.append((str(path), exc.reason))
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
) -> BuildReport:
    """Extract every article under `inputs` into `store`; returns the report.

    inputs: .txt files and/or folders (a folder's articles.jsonl supplies metadata).
    progress: called as progress(done, total) after each article.
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
    if todo:
        nlp = nlp or build_pipeline()
    for done, result in enumerate(process(nlp, todo) if todo else [], start=1):
        if isinstance(result, ArticleFailure):
            report.skipped.append((str(result.path), result.reason))
        else:
            store.replace_graph(article_graph_iri(result.id), article_triples(result))
            fresh = [e for e in (*result.entities, *result.context) if entity_iri(e.key) not in described]
            described.update(entity_iri(e.key) for e in fresh)
            store.add_to_graph(entities_graph_iri(), (t for e in fresh for t in entity_triples(e)))
            report.built.append(result.id)
            report.events += len(result.events)
            report.entities += len(result.entities)
        if progress:
            progress(done, len(todo))
    return report
