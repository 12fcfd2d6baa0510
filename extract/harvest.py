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
from .records import Anchor, ArticleRecord, EntityMention, EntityRef, EventMention, Source

_STRIP = "«»“”\"'()[]،,.:؛;!؟? \n\t"


def _clean(text: str) -> str:
    return text.strip(_STRIP)


def entity_ref(span: Span, lex: Lexicons) -> EntityRef:
    """The EntityRef a mention span stands for (gazetteer entry or rule-found name)."""
    entry = lex.gazetteer.get(span.kb_id_)
    if entry is not None:
        return EntityRef(entry.id, entry.type, entry.label_ar, entry.label_en, entry.subtype, entry.parent, entry.aliases)
    return EntityRef(span.kb_id_, span.label_, _clean(span.text))


def anonymous_ref(phrase: str) -> EntityRef:
    """An unnamed source (مصادر محلية، ناشطون) as an entity of its own."""
    phrase = _clean(phrase)
    return EntityRef("anon:" + " ".join(match_key(t) for t in phrase.split()), "AnonymousSource", phrase)


def outlet_ref(outlet: str | None, lex: Lexicons) -> EntityRef | None:
    """The MediaOutlet for a sidecar's outlet name (English label or Arabic alias)."""
    if not outlet:
        return None
    wanted = normalize(outlet).casefold()
    for entry in lex.gazetteer.values():
        if entry.type == "MediaOutlet" and (
            entry.label_en.casefold() == outlet.casefold() or wanted in {normalize(a) for a in entry.aliases}
        ):
            return EntityRef(entry.id, entry.type, entry.label_ar, entry.label_en, entry.subtype, entry.parent, entry.aliases)
    is_arabic = any("\u0600" <= ch <= "\u06ff" for ch in outlet)
    return EntityRef("new:" + wanted, "MediaOutlet", outlet if is_arabic else "", "" if is_arabic else outlet)


def anchor(doc: Doc, start: int, end: int) -> Anchor:
    """The character anchor of tokens [start, end), trimmed of edge punctuation."""
    text = doc.text
    b, e = doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text)
    while b < e and text[b] in _STRIP:
        b += 1
    while e > b and text[e - 1] in _STRIP:
        e -= 1
    return Anchor(b, e, text[b:e])


def _sources(frame: dict, lex: Lexicons, outlet: EntityRef | None) -> tuple[Source, ...]:
    claims = frame["claims"]
    if not claims and frame["type"] in SPEECH_ACTS and frame["agents"]:
        # «نددت الخارجية السورية ...»: a condemnation is its author's own statement
        return (Source(entity_ref(frame["agents"][0], lex)),)
    if not claims:
        return (Source(outlet, voice=True),) if outlet else ()
    out = []
    for claim in claims:
        channel = entity_ref(claim["channel"], lex) if claim.get("channel") is not None else None
        if claim["speaker"] is not None:
            out.append(Source(entity_ref(claim["speaker"], lex), channel))
        elif claim["anonymous"]:
            out.append(Source(anonymous_ref(claim["anonymous"]), channel))
    return tuple(dict.fromkeys(out))


def harvest(doc: Doc, article: Article, lex: Lexicons) -> ArticleRecord:
    """Turn a processed Doc of `article` into an ArticleRecord (offsets into article.text)."""
    outlet = outlet_ref(article.meta.outlet, lex)
    mentions = tuple(
        EntityMention(entity_ref(s, lex), s.start_char, s.end_char, s.text) for s in doc.spans.get("entities", [])
    )
    events = []
    for frame in doc._.frames or []:
        lo, hi = frame["window"]
        trig = frame["trigger"]
        lo, hi = min(lo, trig.start), max(hi, trig.end)
        events.append(EventMention(
            type=frame["type"],
            trigger=trig.text,
            evidence=anchor(doc, lo, hi),
            agents=tuple(dict.fromkeys(entity_ref(s, lex) for s in frame["agents"])),
            targets=tuple(dict.fromkeys(entity_ref(s, lex) for s in frame["targets"])),
            places=tuple(dict.fromkeys(entity_ref(s, lex) for s in frame["places"])),
            date=dt.date.fromisoformat(frame["date"]) if frame["date"] else None,
            killed=frame["killed"], injured=frame["injured"], count=frame["count"],
            casualties=frame["casualties"], certainty=frame["certainty"],
            sources=_sources(frame, lex, outlet),
            place_inferred=frame.get("inherited_place", False),
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
        events=tuple(coalesce(events, lex.ancestors)), warnings=article.warnings,
        context=tuple(sorted(context.values())),
    )
