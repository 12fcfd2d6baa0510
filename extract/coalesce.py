"""Merging repeated mentions of one event inside one article.

Articles repeat an event (headline, lead, quote); the gold standard and analysts want one
record per real-world event per article, carrying every source that reported it. Two
mentions merge when they have the same type and certainty and compatible agents, places and
dates (equal, or one side unstated, or one place containing the other).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .records import EntityRef, EventMention


def _keys(refs: Sequence[EntityRef]) -> set[str]:
    return {r.key for r in refs}


def _union(a: Sequence, b: Sequence) -> tuple:
    out = list(a)
    for item in b:
        if item not in out:
            out.append(item)
    return tuple(out)


def compatible(a: EventMention, b: EventMention, ancestors: Callable[[str], list[str]]) -> bool:
    """Whether `a` and `b` can be the same event as reported in one article."""
    if a.type != b.type or a.certainty != b.certainty:
        return False
    if a.agents and b.agents and not (_keys(a.agents) & _keys(b.agents)):
        return False
    if a.date and b.date and a.date != b.date:
        return False
    if a.places and b.places:
        pa, pb = _keys(a.places), _keys(b.places)
        related = pa & pb or any(x in ancestors(y) or y in ancestors(x) for x in pa for y in pb)
        if not related:
            return False
    for field_name in ("killed", "injured", "count"):
        x, y = getattr(a, field_name), getattr(b, field_name)
        if x is not None and y is not None and x != y and field_name == "count":
            return False
    return True


def _most_specific(places: tuple[EntityRef, ...], ancestors: Callable[[str], list[str]]) -> tuple[EntityRef, ...]:
    keys = _keys(places)
    return tuple(p for p in places if not any(p.key in ancestors(q) for q in keys if q != p.key))


def merge(a: EventMention, b: EventMention, ancestors: Callable[[str], list[str]]) -> EventMention:
    """One mention holding both: roles and sources united, first stated figure and date kept."""
    return replace(
        a,
        agents=_union(a.agents, b.agents),
        targets=_union(a.targets, b.targets),
        places=_most_specific(_union(a.places, b.places), ancestors),
        date=a.date or b.date,
        killed=a.killed if a.killed is not None else b.killed,
        injured=a.injured if a.injured is not None else b.injured,
        count=a.count if a.count is not None else b.count,
        casualties=a.casualties if a.casualties is not None else b.casualties,
        sources=_union(a.sources, b.sources),
        more_evidence=_union(a.more_evidence, (b.evidence, *b.more_evidence)),
    )


def coalesce(events: Sequence[EventMention], ancestors: Callable[[str], list[str]]) -> list[EventMention]:
    """Merge compatible mentions, keeping document order of first appearance."""
    merged: list[EventMention] = []
    for event in events:
        for k, existing in enumerate(merged):
            if compatible(existing, event, ancestors):
                merged[k] = merge(existing, event, ancestors)
                break
        else:
            merged.append(event)
    return merged
