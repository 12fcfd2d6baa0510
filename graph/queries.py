"""Canned SPARQL queries (`graph/queries/*.rq`) and running them with bound parameters.

Queries are files; parameters are bound as variables (rdflib `initBindings`, Oxigraph
substitutions), never spliced into the query text.
"""
from __future__ import annotations

import re
from pathlib import Path

from rdflib import Literal, URIRef

QUERY_DIR = Path(__file__).parent / "queries"
_IRI = re.compile(r"^(https?|urn|file):\S+$")


def canned_queries() -> dict[str, Path]:
    """Name → file of every canned query."""
    return {p.stem: p for p in sorted(QUERY_DIR.glob("*.rq"))}


def resolve_query(spec: str) -> tuple[str, str]:
    """`spec` is a canned name, a `.rq` file path or inline SPARQL → (name, query text)."""
    canned = canned_queries()
    if spec in canned:
        return spec, canned[spec].read_text(encoding="utf-8")
    if spec.endswith(".rq"):
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(f"{spec}: no such query file")
        return path.stem, path.read_text(encoding="utf-8")
    if re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", spec, re.IGNORECASE):
        return "inline", spec
    raise ValueError(f"{spec!r} is not a canned query ({', '.join(canned)}), a .rq file, or SPARQL text")


def bind_value(text: str):
    """A CLI parameter value as an RDF term: an IRI if it looks like one, else a plain literal."""
    return URIRef(text) if _IRI.match(text) else Literal(text)


def parse_params(items: list[str]) -> dict[str, object]:
    """`["source=Syrian Observatory for Human Rights"]` → {"source": Literal(...)}."""
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"--param {item!r}: expected NAME=VALUE")
        params[name] = bind_value(value)
    return params
