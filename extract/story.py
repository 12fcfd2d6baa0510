"""The story's place: where a report about one town puts the events it does not locate.

Events are placed at the level of a settlement: a spot inside a town (a mosque, a roundabout,
a market) gives way to the town when the town is named or known from the gazetteer.

News about a battle names the town once or twice and then reports the fighting, the strikes
and the evacuations there without repeating it («واجهوا هجمات مضادة», «جرى إجلاء 20 ألفاً»).
Readers — and the gold standard — place those events in the town. This step runs on the
harvested, coalesced events of one article:

- the article is cut into sections at its headings (short lines with no full stop: the
  title, «معارك الباغوز»), because a round-up covers several stories;
- a section's story place is the settlement (town, village, city, camp, neighbourhood) where
  most of its located events happened: at least two events, more than the events located
  elsewhere — otherwise the section has no single story and nothing is inferred;
- it is given to the section's events with no place, or with only a place carried over or
  named vaguely («في شرق سورية») that contains it; not to statements (condemnations),
  denied events, or side stories (events whose participants take part in no other event of
  the section, such as another power's strike reported in passing).
"""
from __future__ import annotations

import bisect
from collections.abc import Sequence

from spacy.tokens import Doc

from .events import SPEECH_ACTS
from .lexicon import Lexicons
from .records import EntityRef, EventMention, entry_ref, replace

SETTLEMENTS = frozenset({"town", "village", "city", "camp", "neighbourhood"})
HEADING_WORDS = 8   # a line of at most this many words and no full stop is a (sub)heading
SENTENCE_END = frozenset({".", "؟", "!", ":", "?"})


def heading_lines(text: str) -> list[tuple[int, int]]:
    """Character ranges of the heading lines of `text`: short lines with no full stop (a title,
    «معارك الباغوز»)."""
    out = []
    offset = 0
    for line in text.split("\n"):
        # the full-stop test first: it rules out most lines (paragraphs) without counting words
        if not any(mark in line for mark in SENTENCE_END):
            words = sum(1 for w in line.split() if any(map(str.isalpha, w)))
            if 0 < words <= HEADING_WORDS:
                out.append((offset, offset + len(line)))
        offset += len(line) + 1
    return out


def section_starts(doc: Doc, headings: list[tuple[int, int]] | None = None) -> list[int]:
    """Character offsets where the sections of `doc` start: 0 and every heading line.

    `headings`: `heading_lines(doc.text)` when the caller has it already."""
    if headings is None:
        headings = heading_lines(doc.text)
    return sorted({0, *(start for start, _ in headings)})


def _settlement(ref: EntityRef) -> bool:
    # a place the gazetteer does not know («new:») was found by a cue such as قرية / بلدة / مخيم
    return ref.type == "Place" and (ref.key.startswith("new:") or ref.subtype in SETTLEMENTS)


def _story_place(section: Sequence[EventMention]) -> EntityRef | None:
    located = [[r for r in e.places if _settlement(r)] for e in section if not e.place_inferred]
    located = [refs for refs in located if refs]
    votes: dict[str, int] = {}
    for refs in located:
        for ref in {r.key: r for r in refs}.values():
            votes[ref.key] = votes.get(ref.key, 0) + 1
    if not votes:
        return None
    top = max(sorted(votes), key=votes.__getitem__)
    # events located elsewhere, counted once each («الرقة ... والموصل» is one event)
    elsewhere = sum(1 for refs in located if top not in {r.key for r in refs})
    if votes[top] < 2 or votes[top] <= elsewhere:
        return None
    return next(r for refs in located for r in refs if r.key == top)


def settlement_level(places: Sequence[EntityRef], lex: Lexicons) -> tuple[EntityRef, ...]:
    """`places` with each spot inside a town (a mosque, a roundabout) replaced by the town: the
    one also named, else the gazetteer's parent when it is a settlement; a spot whose town is
    unknown stays."""
    towns = [p for p in places if _settlement(p) and not lex.is_site(p.key)]
    out: list[EntityRef] = []
    for ref in places:
        if ref.type == "Place" and lex.is_site(ref.key):
            entry = lex.gazetteer.get(ref.key)
            parent = lex.gazetteer.get(entry.parent) if entry is not None and entry.parent else None
            if towns:
                continue
            if parent is not None and parent.subtype in SETTLEMENTS:
                ref = entry_ref(parent)
        if ref not in out:
            out.append(ref)
    return tuple(out)


def _at_settlement_level(event: EventMention, lex: Lexicons) -> EventMention:
    if not event.places:
        return event
    places = settlement_level(event.places, lex)
    return event if places == event.places else replace(event, places=places)


def place_by_story(events: Sequence[EventMention], sections: Sequence[int], lex: Lexicons) -> list[EventMention]:
    """`events` (document order) with their story place filled in where they have none.

    `sections` are the character offsets from `section_starts`. Returned events that received
    the story place have `place_inferred=True`.
    """
    out = [_at_settlement_level(e, lex) for e in events]
    groups: dict[int, list[int]] = {}
    for k, event in enumerate(out):
        groups.setdefault(bisect.bisect_right(sections, event.evidence.start), []).append(k)
    for members in groups.values():
        section = [out[k] for k in members]
        story = _story_place(section)
        if story is None:
            continue
        around = set(lex.ancestors(story.key))
        participants = [{r.key for r in (*e.agents, *e.targets)} for e in section]
        for j, k in enumerate(members):
            event = out[k]
            if event.type in SPEECH_ACTS or event.certainty == "negated":
                continue
            others = set().union(*(p for i, p in enumerate(participants) if i != j))
            if participants[j] and others and not participants[j] & others:
                continue
            loose = event.place_inferred and all(p.key in around for p in event.places)
            if not event.places or loose:
                out[k] = replace(event, places=(story,), place_inferred=True)
    return out
