"""Merging repeated mentions of one event inside one article.

Articles repeat an event (headline, lead, quote); the gold standard and analysts want one
record per real-world event per article, carrying every source that reported it. Two
mentions merge when they have the same type and certainty and compatible agents, places and
dates (equal, or one side unstated, or one place containing the other), and they share at
least one stated agent, place, date or head count.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from .records import EntityRef, EventMention, replace


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
    if not _agents_agree(a, b):
        return False
    if a.date and b.date and a.date != b.date:
        return False
    if a.places and b.places:
        pa, pb = _keys(a.places), _keys(b.places)
        related = pa & pb or any(x in ancestors(y) or y in ancestors(x) for x in pa for y in pb)
        if not related:
            return False
    if a.count is not None and b.count is not None and a.count != b.count:
        return False
    # compatible is not enough: the two must share something positive
    shared_agent = bool(_keys(a.agents) & _keys(b.agents))
    # the same place, not merely one inside the other («في شرق سوريا» is not «في الباغوز»)
    shared_place = bool(_keys(a.places) & _keys(b.places))
    same_date = a.date is not None and a.date == b.date
    same_count = a.count is not None and a.count == b.count   # «ثلاثة آلاف» twice is one surrender
    return shared_agent or shared_place or same_date or same_count


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
        # inferred unless one side stated its place (a side with no place states nothing)
        place_inferred=not any(e.places and not e.place_inferred for e in (a, b)),
        claims=a.claims + b.claims,
    )


def bare(event: EventMention) -> bool:
    """A mention that states no participant, place, date or figure («الاشتباكات عنيفة»)."""
    return not (event.agents or event.targets or _stated_place(event) or event.date
                or any(v is not None for v in (event.killed, event.injured, event.count, event.casualties)))


# A generic «الهجوم» right after a specific attack is that attack («تفجير انتحاري ... الهجوم أوقع»).
SPECIFIC_ATTACKS = frozenset({"SuicideBombing", "ChemicalAttack", "Airstrike", "Shelling"})
ANAPHOR_CHARS = 400
VIOLENT = frozenset({"Attack", "SuicideBombing", "ChemicalAttack", "Airstrike", "Shelling"})
_CLITICS = ("و", "ف", "ب", "ل", "وب", "ول", "فب", "فل")


def _definite(trigger: str) -> bool:
    """Whether a trigger's first word carries the article («المعركة», «والقتال», «للقصف»)."""
    word = trigger.strip().split(" ")[0]
    return word.startswith(("ال", "لل")) or any(word.startswith(c + "ال") for c in _CLITICS)


def _without_carried_place(event: EventMention) -> EventMention:
    """An anaphor's place carried over from nearby text is not news about the event it refers to."""
    return replace(event, places=()) if event.place_inferred else event


def _stated_place(event: EventMention) -> bool:
    return bool(event.places) and not event.place_inferred


def _agents_agree(a: EventMention, b: EventMention) -> bool:
    """No conflict of doers: one side names none, or they share one."""
    return not a.agents or not b.agents or bool(_keys(a.agents) & _keys(b.agents))


def _last_mention(event: EventMention) -> int:
    """Where the event was mentioned last (its latest evidence, not its first)."""
    return max(a.start for a in (event.evidence, *event.more_evidence))


def _definite_anaphor(event: EventMention) -> bool:
    """A definite attack noun («الهجوم», «بالتفجير», «السيارة المفخخة») stating no place or date."""
    # «السيارة المفخخة»: a phrase is definite by its first word
    if event.type not in VIOLENT or event.date or _stated_place(event):
        return False
    return _definite(event.trigger)


# A definite «المعركة», «القتال» with nobody, nowhere and no time is the story's fighting in general,
# not an event; «واشتبكوا مع عناصره», «اشتباكات متقطعة» are.
VAGUE_TYPES = frozenset({"ArmedClash"})


def coalesce(events: Sequence[EventMention], ancestors: Callable[[str], list[str]]) -> list[EventMention]:
    """Merge compatible mentions, keeping document order of first appearance.

    A bare mention refers back to the latest earlier mention of the same type (a definite
    «الاشتباكات» is the clashes already reported) and merges into it; a bare «المعركة» with no
    such antecedent says nothing about who, where or when and is left out. A generic Attack
    without an agent just after a specific attack (a bombing, a chemical attack) is that attack.
    """
    merged: list[EventMention] = []
    for event in events:
        if _definite_anaphor(event):
            # «الهجوم», «التفجير»: a definite attack noun with no place or time of its own is the
            # attack already reported, however far back («... وراء التفجير», «واصفاً الهجوم»)
            # a denial («نفت قسد مسؤوليتها عن التفجير») joins the attack as a claim, without its
            # denier becoming a doer
            if event.certainty == "negated":
                event = replace(event, agents=())
            hosts = [k for k, e in enumerate(merged) if e.type in VIOLENT
                     and (e.type == event.type or event.type == "Attack") and _agents_agree(e, event)]
            if hosts:
                # the attack mentioned last (by its latest mention, not its first)
                best = max(hosts, key=lambda k: _last_mention(merged[k]))
                host = merged[best]
                merged[best] = merge(host, replace(_without_carried_place(event), type=host.type, certainty=host.certainty),
                                     ancestors)
                continue
        if (event.type == "Attack" and not event.agents and not event.targets and " " not in event.trigger.strip()
                and not _stated_place(event)):
            specific = [k for k, e in enumerate(merged) if e.type in SPECIFIC_ATTACKS
                        and 0 <= event.evidence.start - e.evidence.end <= ANAPHOR_CHARS]
            if specific:
                host = merged[specific[-1]]
                merged[specific[-1]] = merge(host, replace(_without_carried_place(event), type=host.type,
                                                           certainty=host.certainty), ancestors)
                continue
        if event.type in VAGUE_TYPES and _definite(event.trigger) and not _stated_place(event):
            # «القتال استمر أمس», «المعركة الحاسمة»: a definite clash noun is the fighting already
            # reported when nothing it states contradicts it
            clashes = [k for k, e in enumerate(merged) if e.type == event.type and _agents_agree(e, event)
                       and (not e.date or not event.date or e.date == event.date)]
            if clashes:
                best = max(clashes, key=lambda k: _last_mention(merged[k]))
                merged[best] = merge(merged[best], replace(_without_carried_place(event), certainty=merged[best].certainty),
                                     ancestors)
                continue
        if bare(event):
            earlier = [k for k, e in enumerate(merged) if e.type == event.type]
            if earlier:
                host = merged[earlier[-1]]
                merged[earlier[-1]] = merge(host, replace(event, certainty=host.certainty), ancestors)
                continue
            if event.type in VAGUE_TYPES and _definite(event.trigger):
                continue
        for k, existing in enumerate(merged):
            if compatible(existing, event, ancestors):
                merged[k] = merge(existing, event, ancestors)
                break
        else:
            merged.append(event)
    return merged
