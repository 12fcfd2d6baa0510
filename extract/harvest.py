"""The harvest step: a processed Doc → an `ArticleRecord` of frozen records.

This is the only place that reads spaCy objects for output; RDF building and evaluation
work on its records.
"""
from __future__ import annotations

import datetime as dt

from spacy.tokens import Doc, Span

from .arabic import match_key, normalize
from .coalesce import coalesce
from .events import SPEECH_ACTS
from .lexicon import Lexicons
from .reader import Article
from .story import heading_lines, place_by_story, section_starts
from .records import Anchor, ArticleRecord, Claim, EntityMention, EntityRef, EventMention, Source
from .token_table import span_rows, token_table

_STRIP = "«»“”\"'()[]،,.:؛;!؟? \n\t"


def _clean(text: str) -> str:
    return text.strip(_STRIP)


def _unique(items) -> tuple:
    """`tuple(dict.fromkeys(items))`: repeats dropped, first occurrences in order. Most lists
    hold one item or none, which need no hashing (a record's hash walks all its fields)."""
    items = tuple(items)
    return items if len(items) < 2 else tuple(dict.fromkeys(items))


_MEMO: dict[int, tuple[Lexicons, dict]] = {}


def _memo(lex: Lexicons) -> dict:
    """Values derived from `lex` alone (gazetteer refs, outlets), computed once per Lexicons."""
    hit = _MEMO.get(id(lex))
    if hit is None or hit[0] is not lex:
        if len(_MEMO) >= 16:
            _MEMO.clear()
        hit = _MEMO[id(lex)] = (lex, {})
    return hit[1]


def _gazetteer_ref(entity_id: str, lex: Lexicons, memo: dict) -> EntityRef | None:
    ref = memo.get(entity_id)
    if ref is None:
        entry = lex.gazetteer.get(entity_id)
        if entry is None:
            return None
        ref = memo[entity_id] = EntityRef(
            entry.id, entry.type, entry.label_ar, entry.label_en, entry.subtype, entry.parent, entry.aliases)
    return ref


def _ref(kb_id: str, label: str, text: str, lex: Lexicons, memo: dict) -> EntityRef:
    return _gazetteer_ref(kb_id, lex, memo) or EntityRef(kb_id, label, _clean(text))


def entity_ref(span: Span, lex: Lexicons) -> EntityRef:
    """The EntityRef a mention span stands for (gazetteer entry or rule-found name)."""
    ref = _gazetteer_ref(span.kb_id_, lex, _memo(lex))
    return ref if ref is not None else EntityRef(span.kb_id_, span.label_, _clean(span.text))


def _span_refs(lex: Lexicons):
    """`entity_ref` for the Spans of one document, each worked out once: the frames of a doc
    share their entity Spans (an agent is also a claim's agent, a speaker speaks many times).
    Keyed by object identity; the Span is kept with its ref, so an id is never reused meanwhile."""
    memo = _memo(lex)
    by_span: dict[int, tuple[Span, EntityRef]] = {}

    def ref(span: Span) -> EntityRef:
        hit = by_span.get(id(span))
        if hit is None:
            found = _gazetteer_ref(span.kb_id_, lex, memo)
            hit = by_span[id(span)] = (span, found if found is not None else
                                       EntityRef(span.kb_id_, span.label_, _clean(span.text)))
        return hit[1]
    return ref


def anonymous_ref(phrase: str) -> EntityRef:
    """An unnamed source (مصادر محلية، ناشطون) as an entity of its own."""
    phrase = _clean(phrase)
    return EntityRef("anon:" + " ".join(match_key(t) for t in phrase.split()), "AnonymousSource", phrase)


def outlet_ref(outlet: str | None, lex: Lexicons) -> EntityRef | None:
    """The MediaOutlet for a sidecar's outlet name (English label or Arabic alias)."""
    if not outlet:
        return None
    memo = _memo(lex)
    key = ("outlet", outlet)
    if key not in memo:
        memo[key] = _outlet_ref(outlet, lex)
    return memo[key]


def _outlet_ref(outlet: str, lex: Lexicons) -> EntityRef:
    wanted = normalize(outlet).casefold()
    for entry in lex.gazetteer.values():
        if entry.type == "MediaOutlet" and (
            entry.label_en.casefold() == outlet.casefold() or wanted in {normalize(a) for a in entry.aliases}
        ):
            return EntityRef(entry.id, entry.type, entry.label_ar, entry.label_en, entry.subtype, entry.parent, entry.aliases)
    is_arabic = any("\u0600" <= ch <= "\u06ff" for ch in outlet)
    return EntityRef("new:" + wanted, "MediaOutlet", outlet if is_arabic else "", "" if is_arabic else outlet)


def anchor(doc: Doc, start: int, end: int, text: str | None = None) -> Anchor:
    """The character anchor of tokens [start, end), trimmed of edge punctuation.

    `text` is `doc.text`; pass it when anchoring many spans (spaCy rebuilds it on every access).
    """
    text = doc.text if text is None else text
    table = token_table(doc)
    b, e = table.idx[start], table.end_char(end - 1)
    while b < e and text[b] in _STRIP:
        b += 1
    while e > b and text[e - 1] in _STRIP:
        e -= 1
    return Anchor(b, e, text[b:e])


def _sources(frame: dict, ref, outlet: EntityRef | None, headline: bool = False) -> tuple[Source, ...]:
    """`ref`: Span → EntityRef (see `_span_refs`)."""
    claims = frame["claims"]
    if not claims and frame["type"] in SPEECH_ACTS and frame["agents"]:
        # «نددت الخارجية السورية ...»: a condemnation is its author's own statement
        return (Source(ref(frame["agents"][0])),)
    if not claims:
        # a headline announces what the body reports; it is no statement of the outlet's own
        return (Source(outlet, voice=True),) if outlet and not headline else ()
    out = []
    for claim in claims:
        channel = ref(claim["channel"]) if claim.get("channel") is not None else None
        if claim["speaker"] is not None:
            out.append(Source(ref(claim["speaker"]), channel))
        elif claim["anonymous"]:
            out.append(Source(anonymous_ref(claim["anonymous"]), channel))
    return _unique(out)


def _claims(doc: Doc, frame: dict, ref, outlet: EntityRef | None, text: str,
            headings: list[tuple[int, int]] = ()) -> list[Claim]:
    """One claim per source of a frame (or one unattributed claim), with the frame's figures.
    `ref`: Span → EntityRef (see `_span_refs`)."""
    lo, hi = frame["window"]
    trig = frame["trigger"]
    headline = any(b <= trig.start_char < e for b, e in headings)
    evidence = anchor(doc, min(lo, trig.start), max(hi, trig.end), text)
    agents = _unique(map(ref, frame["agents"]))
    sources = _sources(frame, ref, outlet, headline) or (None,)
    killed, injured, count, casualties = frame["killed"], frame["injured"], frame["count"], frame["casualties"]
    return [Claim(evidence, source, agents, certainty=frame["certainty"], killed=killed, injured=injured,
                  count=count, casualties=casualties) for source in sources]


def harvest(doc: Doc, article: Article, lex: Lexicons) -> ArticleRecord:
    """Turn a processed Doc of `article` into an ArticleRecord (offsets into article.text)."""
    outlet = outlet_ref(article.meta.outlet, lex)
    table, text, memo = token_table(doc), article.text, _memo(lex)
    idx, end_char = table.idx, table.end_char
    # the doc is article.text tokenized: a span's characters are text[idx[start]:end_char(end - 1)]
    mentions = []
    for start, end, label, kb_id in span_rows(doc, "entities"):
        b, e = idx[start], end_char(end - 1)
        mentions.append(EntityMention(_ref(kb_id, label, text[b:e], lex, memo), b, e, text[b:e]))
    mentions = tuple(mentions)
    events = []
    headings = heading_lines(article.text)
    ref = _span_refs(lex)
    for frame in doc._.frames or []:
        parts = [frame, *frame.get("absorbed", [])]
        claims = tuple(claim for part in parts for claim in _claims(doc, part, ref, outlet, article.text, headings))
        if len(parts) == 1:
            killed, injured, count, casualties = frame["killed"], frame["injured"], frame["count"], frame["casualties"]
        else:   # the first stated figure among the frame and the frames it absorbed
            first = lambda key: next((p[key] for p in parts if p[key] is not None), None)  # noqa: E731
            killed, injured, count, casualties = first("killed"), first("injured"), first("count"), first("casualties")
        events.append(EventMention(
            type=frame["type"],
            trigger=frame["trigger"].text,
            evidence=claims[0].evidence,
            agents=claims[0].agents,   # the frame's own claims come first: its agents
            targets=_unique(map(ref, frame["targets"])),
            places=_unique(ref(s) for p in parts for s in p["places"]),
            date=dt.date.fromisoformat(frame["date"]) if frame["date"] else None,
            killed=killed, injured=injured, count=count, casualties=casualties, certainty=frame["certainty"],
            sources=_unique(c.source for c in claims if c.source is not None),
            more_evidence=_unique(c.evidence for c in claims[1:] if c.evidence != claims[0].evidence),
            place_inferred=frame.get("inherited_place", False) or frame.get("vague_place", False),
            claims=claims,
        ))
    entities = {m.entity.key: m.entity for m in mentions}
    for event in events:
        for ref in (*event.agents, *event.targets, *event.places):
            entities.setdefault(ref.key, ref)
        for src in event.sources:
            entities.setdefault(src.entity.key, src.entity)
            if src.channel:
                entities.setdefault(src.channel.key, src.channel)
    context: dict[str, EntityRef] = {}
    if outlet and outlet.key not in entities:
        context[outlet.key] = outlet
    # containing places (town → governorate → country) so containment queries work
    for ref in list(entities.values()):
        for parent_id in lex.ancestors(ref.key):
            if parent_id not in entities:
                entry = lex.gazetteer[parent_id]
                context.setdefault(parent_id, EntityRef(
                    entry.id, entry.type, entry.label_ar, entry.label_en, entry.subtype, entry.parent, entry.aliases))
    return ArticleRecord(
        id=article.id, sha256=article.sha256, outlet=outlet,
        published=doc._.published, url=article.meta.url,
        entities=tuple(sorted(entities.values())), mentions=mentions,
        events=tuple(place_by_story(coalesce(events, lex.ancestors), section_starts(doc, headings), lex)),
        warnings=article.warnings,
        context=tuple(sorted(context.values())),
    )
