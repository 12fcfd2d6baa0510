"""Deterministic, always-valid IRIs for everything the builder writes.

Path segments are percent-encoded (`quote(..., safe="")`), and names found by rules are
hashed, so any input text yields a valid IRI and the same input yields the same IRI.
"""
from __future__ import annotations

import functools
import hashlib
from urllib.parse import quote

from rdflib import URIRef

from ontology import vocabulary


@functools.lru_cache(maxsize=1 << 16)
def _segment(text: str) -> str:
    # article ids, entity keys and kinds repeat in every triple of an article: quote each once
    return quote(text, safe="")


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def mint_iri(kind: str, *parts: str) -> URIRef:
    """IRI `…/id/<kind>/<part>/<part>…` with every part percent-encoded."""
    return URIRef(vocabulary().ids + "/".join([_segment(kind), *(_segment(p) for p in parts)]))


@functools.lru_cache(maxsize=1 << 16)
def entity_iri(key: str) -> URIRef:
    """Gazetteer ids keep their readable slug; rule-found and anonymous names are hashed."""
    if key.startswith("anon:"):
        return mint_iri("source", _digest(key))
    if key.startswith("new:"):
        return mint_iri("entity", "n-" + _digest(key))
    return mint_iri("entity", key)


@functools.lru_cache(maxsize=1 << 10)
def article_iri(article_id: str) -> URIRef:
    return mint_iri("article", article_id)


def article_graph_iri(article_id: str) -> URIRef:
    """The named graph holding one article's statements."""
    return mint_iri("graph", "article", article_id)


def entities_graph_iri() -> URIRef:
    """The named graph holding entity descriptions (types, labels, containment), shared by articles."""
    return mint_iri("graph", "entities")


def mention_iri(article_id: str, start: int, end: int) -> URIRef:
    return mint_iri("mention", article_id, f"{start}-{end}")


def anchor_iri(article_id: str, start: int, end: int) -> URIRef:
    return mint_iri("anchor", article_id, f"{start}-{end}")


def claim_iri(article_id: str, start: int, end: int, source_key: str | None) -> URIRef:
    """One source's claim about an event, anchored at its own sentence."""
    return mint_iri("claim", article_id, f"{start}-{end}", _digest(source_key) if source_key else "unattributed")
