"""Event frames: triggers typed by the lexicon, refined by context, with roles and certainty.

Reads the span groups written by the cue matcher, entity recognizer, timex, quantity and
attribution components and writes `doc._.frames`: one dict per trigger with keys
`trigger` (Span), `type`, `agents`, `targets`, `places` (lists of entity Spans), `date`
(ISO str | None), `killed`, `injured`, `count`, `casualties` (int | None), `certainty`
("asserted" | "uncertain" | "negated"), `claim` (the covering attribution frame or None) and
`claims` (that frame plus later source prepositions of the sentence).

Roles are found within the trigger's clause window — from the previous clause opener
(أن/إن, a reporting verb, another trigger's agent) to the next trigger — covering VSO and
SVO order, the idafa «مداهمات هيئة تحرير الشام», relative and passive frames «نفذها التحالف»,
and prepositional targets and places (على، ضد، في، قرب، شرق، ريف).
"""
from __future__ import annotations

import bisect

from spacy.language import Language
from spacy.tokens import Doc, Span

from . import extensions  # noqa: F401
from .arabic import match_key
from .attribution import sources_for
from .quotation import opens_speech
from .lexicon import DATA_DIR, load_lexicons

# People speak and command, but the doers and targets of events in this domain are bodies.
ACTOR_TYPES = frozenset({"ArmedGroup", "StateForce", "Country", "GovernmentBody"})
PLACE_TYPES = frozenset({"Place", "Country"})
TARGETED = frozenset({"Attack", "Airstrike", "Shelling", "Raid", "Arrest", "Execution", "TerritorialGain",
                      "Condemnation", "SuicideBombing", "ChemicalAttack", "Surrender"})
COUNTED = frozenset({"Arrest", "Surrender", "Evacuation", "Execution", "HostageRelease"})
CASUALTY_EVENTS = frozenset({"Killing", "Airstrike", "Shelling", "SuicideBombing", "Attack", "ChemicalAttack", "ArmedClash", "Execution"})
# Speech-act events: when nobody else is credited, the actor is its own source.
SPEECH_ACTS = frozenset({"Condemnation"})
# Events whose doer is the grammatical subject only; an actor after a masdar is its object
# («إجلاء المدنيين») or a possessor («خروج عناصر داعش»), not its agent.
NO_IDAFA_AGENT = frozenset({"Evacuation", "Killing", "Surrender"})
CLAUSE_OPENERS = frozenset({"ان", "انه", "انها", "انهم", ":"})
SKIP = frozenset({"«", "»", "“", "”", '"', "(", ")", "،", ","})
# Heads between a preposition and the actor it governs: «من طيران التحالف», «على مواقع تنظيم داعش».
HEADS = frozenset(match_key(w) for w in "تنظيم قوات طيران طائرات عناصر مقاتلي مقاتلو جنود مواقع أهداف مقرات جيش ميليشيا ميليشيات فصائل خلايا وحدات مجموعات دوريات أرتال".split())
# Attack masdars whose لـ-phrase names the doer (قصف لقوات النظام), unlike مداهمات ... لمنازل
LAM_DOER = frozenset({"Shelling", "Airstrike", "Attack", "SuicideBombing", "ChemicalAttack"})
# «وحدات من الجيش»: a head and a partitive من may stand between a verb and its subject
PARTITIVE = match_key("من")
# «غارات جوية إسرائيلية»: an adjective that may stand between a trigger and its nisba
AIR_WORDS = frozenset({"جويه", "جوي", "صاروخيه", "مدفعيه", "جديده", "عنيفه", "مكثفه"})
# words ending in نا that are not «our/we»
NOT_FIRST_PERSON = frozenset({"هنا", "احيانا", "مجانا", "امكانا", "ايمانا", "لبنانا", "ضمانا", "حنا", "سنا"})
# Events whose unstated subject is the doer of the event joined before them (واعتقلوا، ثم سيطرت)
CARRIED_SUBJECT = frozenset({"Arrest", "Raid", "ArmedClash", "TerritorialGain", "Shelling", "Airstrike", "Attack",
                             "Execution", "HostageRelease"})
JOINERS = frozenset(match_key(w) for w in "ثم خلالها خلاله حيث".split())
# «بين الطرفين»: the two sides of the fighting last reported
BOTH_SIDES = frozenset({"طرفين", "جانبين"})
BOTH_SIDES_MARK = "both-sides"
RELATIVE_PRONOUNS = frozenset({"الذي", "التي", "الذين", "اللذين", "اللتين"})
GOVERNING_ROLES = frozenset({"governing", "target", "place", "between", "agent_by"})


# «في شرق سورية»: a country or governorate named by a direction says roughly where, not the place
DIRECTIONS = frozenset(match_key(w) for w in "شرق شرقي غرب غربي شمال شمالي جنوب جنوبي وسط".split())

CONTAINMENT = frozenset({"ريف", "شرق", "شرقي", "غرب", "غربي", "شمال", "شمالي", "جنوب", "جنوبي", "محافظه", "في", "قرب", "منطقه"})


DATELINE_MARKS = frozenset({"..", "...", "…", ":", "–", "-", "—"})


def _dateline(doc: Doc, span: Span) -> bool:
    """«سوريا.. 6 قتلى», «دير الزور – نورث برس»: a name opening a line and cut off by a dateline
    mark says where the report is from, not who acted."""
    at_line_start = span.start == 0 or "\n" in doc[span.start - 1].text or "\n" in doc[span.start - 1].whitespace_
    return at_line_start and span.end < len(doc) and doc[span.end].text in DATELINE_MARKS


def located_by_earlier(place: Span, places: list[Span]) -> bool:
    """Whether `place` directly follows an earlier listed place as its container («X بريف Y»)."""
    doc = place.doc
    for other in places:
        if other.end <= place.start and place.start - other.end <= 3:
            between = doc[other.end:place.start]
            if len(between) and all(t.norm_ in CONTAINMENT or t.text in ("،", ",") for t in between):
                return True
    return False


def _cached(doc: Doc, key: str, make):
    """Per-document values computed once, not once per trigger (long articles stay linear)."""
    cache = doc.user_data.setdefault("eventkg_events_cache", {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


def _sentence_starts(doc: Doc) -> list[int]:
    """For every token, the index of its sentence's first token (Span.sent walks the doc each call)."""
    def make():
        out, current = [], 0
        for token in doc:
            if token.is_sent_start:
                current = token.i
            out.append(current)
        return out
    return _cached(doc, "sentence_starts", make)


def _timex_tokens(doc: Doc) -> set[int]:
    return _cached(doc, "timex", lambda: {i for s in doc.spans.get("timex", []) for i in range(s.start, s.end)})


def _entity_starts(doc: Doc, ents: list[Span]) -> list[int]:
    return _cached(doc, "starts", lambda: [e.start for e in ents])


def _actor_index(doc: Doc, ents: list[Span]) -> tuple[dict[int, Span], dict[int, Span]]:
    return _cached(doc, "actors", lambda: ({e.start: e for e in ents if e.label_ in ACTOR_TYPES},
                                           {e.end: e for e in ents if e.label_ in ACTOR_TYPES}))


class EventFrames:
    """Pipe: triggers → typed event frames with roles, numbers, date, source and certainty."""

    def __init__(self, nlp: Language, name: str, data_dir: str, window: int, hedge_window: int,
                 negation_window: int, place_memory: int, place_window: int = 24):
        self.name = name
        self.place_memory = place_memory
        self.lex = lex = load_lexicons(data_dir)
        self.window = window
        self.place_window = place_window
        self.hedge_window = hedge_window
        self.negation_window = negation_window
        self.role_cues: dict[str, str] = {match_key(r["form"]): r["role"] for r in lex.role_cues}
        self.blockers: dict[str, list[tuple[str, str, int]]] = {}
        for r in lex.trigger_blockers:
            self.blockers.setdefault(r["event_type"], []).append((match_key(r["form"]), r["pos"], int(r["window"])))
        self.type_cues: dict[str, list[tuple[str, str, int, str]]] = {}
        for r in lex.type_cues:
            self.type_cues.setdefault(r["event_type"], []).append(
                (match_key(r["cue"]), r["new_type"], int(r["window"]), match_key(r.get("trigger", ""))))

    # -- typing --------------------------------------------------------------
    def _refine(self, doc: Doc, trigger: Span, etype: str) -> str:
        sent = trigger.sent
        for cue, new_type, window, only in self.type_cues.get(etype, []):
            # a phrase («قصف مدفعي», «هجوم انتحاري») already says its type, unless a row names
            # one of its words («سيارة مفخخة» + «انتحاري»)
            if (only and only not in {t.norm_ for t in trigger}) or (len(trigger) > 1 and not only):
                continue
            lo, hi = max(sent.start, trigger.start - window), min(sent.end, trigger.end + window)
            if any(doc[i].norm_ == cue for i in range(lo, hi)) or any(t.norm_ == cue for t in trigger):
                return new_type
        return etype

    def _blocked(self, doc: Doc, trigger: Span, etype: str, pos: str) -> bool:
        """A state rather than an event: «التي تسيطر عليها», «تحت سيطرة», «مخاوف من هروب»."""
        for form, bpos, window in self.blockers.get(etype, []):
            if bpos not in ("any", pos):
                continue
            for i in range(max(trigger.sent.start, trigger.start - window), trigger.start):
                if doc[i].norm_ == form:
                    return True
        return False

    @staticmethod
    def _heading_noun(trigger: Span, pos: str) -> bool:
        """A section heading such as «معارك الباغوز» names a topic, not an event: a short line
        (at most four words, no full stop) whose trigger is a noun."""
        if pos == "verb":
            return False
        doc = trigger.doc
        start = trigger.start
        while start > 0 and "\n" not in doc[start - 1].text and "\n" not in doc[start - 1].whitespace_:
            start -= 1
        end = trigger.end
        while end < len(doc) and "\n" not in doc[end].text and "\n" not in doc[end - 1].whitespace_:
            end += 1
        line = doc[start:end]
        words = [t for t in line if t.is_alpha]
        return len(words) <= 4 and not any(t.text in (".", "؟", "!") for t in line)

    # -- windows -------------------------------------------------------------
    def _left_bound(self, doc: Doc, trigger: Span, barriers: list[int]) -> int:
        sent_start = _sentence_starts(doc)[trigger.start]
        lo = max(sent_start, trigger.start - self.window)
        for i in range(trigger.start - 1, lo - 1, -1):
            if (doc[i].norm_ in CLAUSE_OPENERS or doc[i].text in CLAUSE_OPENERS or i in barriers
                    or opens_speech(doc, i)
                    or self.role_cues.get(doc[i].norm_) == "clause"):
                return i + 1
        return lo

    def _right_bound(self, doc: Doc, trigger: Span, next_trigger: int | None) -> int:
        hi = min(trigger.sent.end, trigger.end + self.window)
        if next_trigger is not None:
            hi = min(hi, next_trigger)
        return hi

    def _place_bound(self, doc: Doc, trigger: Span, next_trigger: int | None, barriers: list[int]) -> int:
        """The end of the stretch where the event's place may still be named: the sentence, at most
        `place_window` tokens, up to the next trigger or reporting frame."""
        hi = min(trigger.sent.end, trigger.end + self.place_window)
        if next_trigger is not None:
            hi = min(hi, next_trigger)
        k = bisect.bisect_left(barriers, trigger.end)
        if k < len(barriers):
            hi = min(hi, barriers[k])
        return hi

    # -- roles ---------------------------------------------------------------
    def _cue_before(self, doc: Doc, span: Span, lo: int, distance: int = 3) -> str | None:
        """The role cue governing `span`: the first word before it, skipping quotes and heads."""
        i = span.start - 1
        steps = 0
        while i >= lo and steps < distance:
            tok = doc[i]
            role = self.role_cues.get(tok.norm_)
            if role:
                return role
            if tok.text not in SKIP and tok.norm_ not in HEADS:
                # a clitic preposition glued to the head: «لمواقع», «بالضربات»
                return None
            i -= 1
            steps += 1
        return None

    def _reaction_object(self, doc: Doc, trigger: Span, lo: int) -> bool:
        """Whether the trigger is governed by بـ / لـ (a clitic «بالغارات» or a word «بـ»)
        and a verb of reaction (role cue "reaction": ندد، أدان، اتهم، تصدى ...) precedes it in
        its clause. «قامت قسد بحملة» and «ردت قسد بقصف» keep their subject as the doer."""
        first = doc[trigger.start]
        governed = first.text[:1] in ("ب", "ل") and not first.norm_.startswith(first.text[:1])
        j = trigger.start - 1
        while j >= lo and doc[j].text in SKIP:
            j -= 1
        governed = governed or (j >= lo and doc[j].text in ("بـ", "لـ", "ب", "ل"))
        # the verb may open the clause itself, before the window's left bound
        sent_start = _sentence_starts(doc)[trigger.start]
        return governed and any(self.role_cues.get(doc[i].norm_) == "reaction"
                                for i in range(max(sent_start, trigger.start - 12), trigger.start))

    def _governed(self, doc: Doc, span: Span, lo: int) -> bool:
        """Whether a preposition governs `span` (then it is not a subject)."""
        first = doc[span.start]
        if first.text[:1] in ("ل", "ب") and not first.norm_.startswith(first.text[:1]) or first.text in ("لـ", "بـ"):
            return True
        j = span.start - 1
        while j >= lo and doc[j].text in SKIP:
            j -= 1
        if j >= lo and doc[j].text in ("لـ", "بـ", "ل", "ب"):
            return True
        return self._cue_before(doc, span, lo) in GOVERNING_ROLES

    def _roles(self, doc: Doc, trigger: Span, etype: str, pos: str, ents: list[Span], lo: int, hi: int,
               place_hi: int):
        # entity spans are sorted by start: slice the window instead of scanning the document
        starts = _entity_starts(doc, ents)
        window = ents[bisect.bisect_left(starts, lo):bisect.bisect_left(starts, max(hi, place_hi))]
        left = [e for e in window if e.end <= trigger.start]
        right = [e for e in window if trigger.end <= e.start and e.end <= hi]
        # a place may come later in the clause than a participant: «اشتباكات ...، الليلة قبل
        # الماضية، إطلاقاً كثيفاً للنار في مدينة الدانا»
        right_far = [e for e in window if trigger.end <= e.start and e.end <= place_hi]
        agents: list[Span] = []
        targets: list[Span] = []

        def is_place(e: Span, window_lo: int) -> bool:
            if e.label_ == "Place":
                return True
            return e.label_ == "Country" and self._cue_before(doc, e, window_lo) == "place"

        actors_left = [e for e in left if e.label_ in ACTOR_TYPES and not is_place(e, lo) and not _dateline(doc, e)]
        actors_right = [e for e in right if e.label_ in ACTOR_TYPES and not is_place(e, trigger.end)]
        places = ([e for e in right if is_place(e, trigger.end)] or [e for e in left if is_place(e, lo)]
                  or [e for e in right_far if is_place(e, trigger.end)])
        places = [e for e in places if not self._directional_region(doc, e)]

        # «بين X و Y»: both sides of a clash
        if etype == "ArmedClash":
            cue_at = next((i for i in range(trigger.end, min(hi, trigger.end + 3))
                           if self.role_cues.get(doc[i].norm_) == "between"), None)
            if cue_at is not None and cue_at + 1 < len(doc) and doc[cue_at + 1].norm_ in BOTH_SIDES:
                agents = [BOTH_SIDES_MARK]
            else:
                between = [e for e in actors_right if cue_at is not None and e.start > cue_at]
                if len(between) == 1:
                    # «معارك مع قسد»: the other side is the clause's subject
                    subjects = [e for e in actors_left
                                if not self._governed(doc, e, lo) and e.kb_id_ != between[0].kb_id_]
                    between = subjects[-1:] + between
                agents = between[:2]
        # VSO / idafa: an actor right after the trigger (quotes, commas, dates and heads skipped)
        if not agents and actors_right and not (pos != "verb" and etype in NO_IDAFA_AGENT):
            first = actors_right[0]
            timex = _timex_tokens(doc)
            gap = [t for t in doc[trigger.end:first.start]
                   if t.text not in SKIP and not t.like_num and t.i not in timex and t.norm_ not in HEADS
                   and not (t.norm_ == PARTITIVE and t.i > trigger.end and doc[t.i - 1].norm_ in HEADS)]
            partitive = first.start - 1 > trigger.end and doc[first.start - 1].norm_ == PARTITIVE
            if not gap and (partitive or not self._governed(doc, first, trigger.end)):
                agents = [first]
                if etype == "ArmedClash" and len(actors_right) > 1:
                    agents = actors_right[:2]
        # «قصف مدفعي وصاروخي لقوات النظام», «غارات للتحالف»: لـ + actor right after an attack
        # masdar (adjectives aside) is its doer; after a raid or an arrest it is the one raided
        if not agents and pos != "verb" and etype in LAM_DOER and actors_right:
            first = actors_right[0]
            between = doc[trigger.end:first.start]
            lam = doc[first.start].text[:1] == "ل" and not doc[first.start].norm_.startswith("ل")
            lam = lam or (first.start > trigger.end and doc[first.start - 1].text in ("لـ", "ل"))
            adjectives = all(t.text in SKIP or t.text in ("لـ", "ل") or t.norm_ in AIR_WORDS
                             or t.norm_.endswith(("ي", "يه")) for t in between)
            if lam and adjectives and len(between) <= 3:
                agents = [first]
        # a nisba right after the trigger names the attacker: «غارات إسرائيلية», «الهجوم الإسرائيلي»
        if not agents and trigger.end < len(doc):
            j = trigger.end + (1 if trigger.end + 1 < len(doc) and doc[trigger.end].norm_ in AIR_WORDS else 0)
            # the nisba may also be part of the trigger phrase itself («غارات إسرائيلية»)
            for k in [*range(trigger.start + 1, trigger.end), j]:
                country = self.lex.demonyms.get(doc[k].norm_)
                if country in self.lex.gazetteer:
                    agents = [Span(doc, k, k + 1, label=self.lex.gazetteer[country].type, kb_id=country)]
                    break
        # relative / passive frames name the agent after the trigger: «ضربات نفذها التحالف»,
        # «هجومين شنهما، أمس الأربعاء، مقاتلو تنظيم داعش»
        if not agents:
            by = next((i for i in range(trigger.end, min(hi, trigger.end + 3))
                       if self.role_cues.get(doc[i].norm_) == "agent_by"), None)
            if by is not None:
                # «شنه عناصر تنظيم داعش»: heads such as عناصر do not govern here
                agents = [e for e in actors_right if e.start > by and not any(
                    self.role_cues.get(doc[i].norm_) in GOVERNING_ROLES and doc[i].norm_ not in HEADS
                    for i in range(by + 1, e.start))][:1]
        # SVO: the nearest actor before the trigger in its clause, if no preposition governs it;
        # a noun trigger under بـ / لـ after a verb of reaction is that verb's object, and the
        # verb's subject is not its doer («نددت الحكومة بالغارات», «تصدت قسد لهجوم»)
        if not agents and not (pos != "verb" and self._reaction_object(doc, trigger, lo)):
            subjects = [e for e in actors_left if not self._governed(doc, e, lo)]
            if subjects:
                agents = [subjects[-1]]
        # a relative clause's subject is its head: «التنظيم الذي كان ... يسيطر»
        if not agents and lo > 0 and doc[lo - 1].norm_ in RELATIVE_PRONOUNS and pos == "verb":
            head = [e for e in ents if e.end == lo - 1 and e.label_ in ACTOR_TYPES]
            agents = head[:1]
        agents = self._with_coordinated(doc, agents, ents)
        agent_ids = {a.kb_id_ for a in agents if isinstance(a, Span)}
        # «أحبطت قسد هجومين شنهما داعش»: who foiled the attack was its target
        if etype in ("Attack", "SuicideBombing") and not targets:
            repel = next((i for i in range(trigger.start - 1, max(lo, trigger.start - 14) - 1, -1)
                          if self.role_cues.get(doc[i].norm_) == "repel"), None)
            if repel is not None:
                foilers = [e for e in ents if repel < e.start < trigger.start and e.label_ in ACTOR_TYPES
                           and e.kb_id_ not in agent_ids]
                targets = foilers[:1]
        if etype in TARGETED:
            cued = [e for e in actors_right if e.kb_id_ not in agent_ids and self._cue_before(doc, e, trigger.end, 3) in ("target", "between")]
            if cued:
                targets = cued[:2]
            elif etype == "Condemnation":
                targets = [e for e in actors_right if e.kb_id_ not in agent_ids][:1]
        return agents, targets, places

    @staticmethod
    def _with_coordinated(doc: Doc, chosen: list, ents: list[Span]) -> list:
        """«بريطانيا وفرنسا والولايات المتحدة»: actors joined by و to a chosen one share its role."""
        if len(chosen) != 1 or not isinstance(chosen[0], Span):
            return chosen
        group = [chosen[0]]
        by_start, by_end = _actor_index(doc, ents)
        # forwards: X وY وZ
        last = chosen[0]
        while last.end in by_start and doc[last.end].text.startswith("و") and doc[last.end].norm_ != doc[last.end].text:
            last = by_start[last.end]
            group.append(last)
        # backwards: the chosen one may be the last of the list
        first = chosen[0]
        while first.start in by_end and doc[first.start].text.startswith("و") and doc[first.start].norm_ != doc[first.start].text:
            first = by_end[first.start]
            group.insert(0, first)
        return group

    def _speaker_side(self, doc: Doc, speaker: Span, lo: int, hi: int) -> list[Span]:
        """«استكملت قواتنا», «قمنا بالاقتحام»: a first-person plural in the speaker's words makes
        the speaker's side (their body, via the gazetteer affiliation) the agent."""
        side = self.lex.affiliation(speaker.kb_id_)
        if side is None:
            return []
        for i in range(lo, hi):
            form = doc[i].norm_
            if form.endswith("نا") and len(form) >= 4 and form not in NOT_FIRST_PERSON and doc[i].is_alpha:
                return [Span(doc, i, i + 1, label=self.lex.gazetteer[side].type, kb_id=side)]
        return []

    def _vague(self, doc: Doc, place: Span) -> bool:
        """«في شرق سورية», «شمال محافظة إدلب»: a country or governorate part named by a direction."""
        entry = self.lex.gazetteer.get(place.kb_id_)
        wide = place.label_ == "Country" or (entry is not None and entry.subtype in ("governorate", "region"))
        j = place.start - 1
        while j >= 0 and doc[j].norm_ in (match_key("محافظة"), match_key("ريف")):
            j -= 1
        return wide and j >= 0 and doc[j].norm_ in DIRECTIONS

    def _directional_region(self, doc: Doc, place: Span) -> bool:
        """«شرقي نهر الفرات», «شرق الفرات»: a river used to name a region, not a place of events."""
        entry = self.lex.gazetteer.get(place.kb_id_)
        if entry is None or entry.subtype != "river":
            return False
        return place.start > 0 and self.role_cues.get(doc[place.start - 1].norm_) == "place"

    @staticmethod
    def _most_specific(places: list[Span], lex) -> list[Span]:
        """Drop places that only contain another listed place (gazetteer containment, or
        «X في ريف Y» / «X بريف Y» / «X شرق Y» right after X)."""
        keep, seen = [], set()
        for p in places:
            if p.kb_id_ in seen:
                continue
            descendants = [q for q in places if q.kb_id_ != p.kb_id_ and p.kb_id_ in lex.ancestors(q.kb_id_)]
            # «في مدينتي إدلب وسرمين» names both; «الباغوز بريف دير الزور» only locates the first
            coordinated = any(q.start > p.start and q.doc[q.start].text.startswith("و") for q in descendants)
            # «قرب دوار السنتر في مدينة الباب»: the town locating a spot is kept (events are placed
            # in the town; see story.settlement_level)
            if located_by_earlier(p, places) and not any(lex.is_site(q.kb_id_) for q in places if q.start < p.start):
                continue
            if not descendants or coordinated:
                keep.append(p)
                seen.add(p.kb_id_)
        return keep

    # -- certainty -----------------------------------------------------------
    def _certainty(self, doc: Doc, trigger: Span, cues: list[Span], claim_start: int | None) -> str:
        sent_start = _sentence_starts(doc)[trigger.start]
        cue_starts = _cached(trigger.doc, "certainty_starts", lambda: [c.start for c in cues])
        in_reach = cues[bisect.bisect_left(cue_starts, sent_start):bisect.bisect_left(cue_starts, trigger.start)]
        for cue in reversed(in_reach):
            if cue.end > trigger.start:
                continue
            if claim_start is not None and cue.start < claim_start and cue.label_ != "negated":
                continue
            distance = trigger.start - cue.end
            scope = self.lex.phrases["certainty"][int(cue.kb_id_)]["scope"]
            if cue.label_ == "negated" and (scope == "sentence" or (
                    distance <= self.negation_window
                    and not any(t.is_punct for t in doc[cue.end:trigger.start]))):
                # «نفت الوزارة أن تكون طائراتها قصفت»: a denial covers its whole complement;
                # «لم تشن الطائرات أي غارات»: a negation covers its own clause
                return "negated"
            if cue.label_ == "uncertain" and distance <= self.hedge_window:
                return "uncertain"
        # a condition right after the event: «وحدة خاصة لإجلائهم في حال تبيّن ...»
        for cue in cues:
            if cue.label_ == "uncertain" and 0 <= cue.start - trigger.end <= 2 and \
                    self.lex.phrases["certainty"][int(cue.kb_id_)]["scope"] == "after":
                return "uncertain"
        # future tense (سـ + imperfect) on the trigger or the verb governing it: سيواصل التحالف قصف
        for i in range(max(sent_start, trigger.start - 3), trigger.end):
            form = match_key(doc[i].text)
            if form[:1] == "س" and form[1:2] in ("ي", "ت", "ن") and len(form) >= 5 and form not in self.lex.vocabulary:
                return "uncertain"
        return "asserted"

    # -- pipe ----------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.spans.get("entities", []))
        covered = {i for s in ents for i in range(s.start, s.end)}
        covered |= {i for s in doc.spans.get("timex", []) for i in range(s.start, s.end)}
        triggers = [t for t in doc.spans.get("triggers", []) if not any(i in covered for i in range(t.start, t.end))]
        certainty_cues = [c for c in doc.spans.get("certainty", []) if c.label_ in ("uncertain", "negated")]
        reporting = [c for c in doc.spans.get("reporting", []) if c.label_ in ("verb", "prep", "continuation")]
        barriers = sorted(c.end - 1 for c in reporting)
        frames = []
        sent_index = {s.start: k for k, s in enumerate(doc.sents)}
        for k, trigger in enumerate(triggers):
            row = self.lex.phrases["triggers"][int(trigger.kb_id_)]
            etype = self._refine(doc, trigger, row["event_type"])
            if self._blocked(doc, trigger, etype, row["pos"]) or self._heading_noun(trigger, row["pos"]):
                continue
            nxt = triggers[k + 1].start if k + 1 < len(triggers) else None
            lo = self._left_bound(doc, trigger, barriers)
            hi = self._right_bound(doc, trigger, nxt)
            place_hi = self._place_bound(doc, trigger, nxt, barriers)
            agents, targets, places = self._roles(doc, trigger, etype, row["pos"], ents, lo, hi, place_hi)
            claims = sources_for(doc, trigger.start)
            claim = claims[0] if claims else None
            if not agents and claim is not None and claim["speaker"] is not None:
                agents = self._speaker_side(doc, claim["speaker"], lo, hi)
            if row.get("subject") == "target" and agents and not targets:
                agents, targets = [], agents  # «خسر التنظيم الرقة»: the subject is the loser
            places = self._most_specific(places, self.lex)
            frames.append({
                "trigger": trigger, "window": (lo, hi), "type": etype, "pos": row["pos"],
                "agents": agents, "targets": targets,
                "places": places, "vague_place": bool(places) and all(self._vague(doc, p) for p in places),
                "date": None, "killed": None, "injured": None, "count": None, "casualties": None,
                "certainty": self._certainty(doc, trigger, certainty_cues, claim["start"] if claim else None),
                "claim": claim, "claims": claims,
                "sent_index": sent_index[trigger.sent.start],
                "caused": any(self.role_cues.get(doc[i].norm_) == "cause"
                              for i in range(max(trigger.sent.start, trigger.start - 3), trigger.start)),
            })
        self._carry_subjects(doc, frames)
        self._attach_dates(doc, frames)
        self._attach_quantities(doc, frames)
        # the two sides of «بين الطرفين» are participants the place memory compares
        self._resolve_both_sides(frames)
        self._inherit_places(doc, frames)
        doc._.frames = self._absorb_killings(frames)
        return doc

    @staticmethod
    def _carry_subjects(doc: Doc, frames: list[dict]) -> None:
        """«شنت الهيئة حملة مداهمات ... واعتقلوا سبعة أشخاص», «... اعتقلت خلالها»: a verb with no
        subject of its own, joined by و / ثم / خلالها to the event before it in the same sentence,
        has that event's doer."""
        for before, frame in zip(frames, frames[1:]):
            if frame["agents"] or frame["pos"] != "verb" or frame["type"] not in CARRIED_SUBJECT:
                continue
            if not before["agents"] or any(not isinstance(a, Span) for a in before["agents"]):
                continue
            if before["trigger"].sent.start != frame["trigger"].sent.start:
                continue
            first = doc[frame["trigger"].start]
            joined = first.text.startswith(("و", "ف")) and not first.norm_.startswith(first.text[:1])
            window = doc[max(before["trigger"].end, frame["trigger"].start - 2):frame["trigger"].end + 1]
            if joined or any(t.norm_ in JOINERS for t in window):
                frame["agents"] = list(before["agents"])

    @staticmethod
    def _resolve_both_sides(frames: list[dict]) -> None:
        """«اشتباكات بين الطرفين»: the agent and target (or two agents) of the last fight reported."""
        sides: list[Span] = []
        for frame in frames:
            if BOTH_SIDES_MARK in frame["agents"]:
                frame["agents"] = list(sides)
                continue
            pair = frame["agents"] + frame["targets"]
            # «مداهمات الهيئة لمقرات حراس الدين ... اشتباكات بين الطرفين»
            if frame["type"] in ("ArmedClash", "Attack", "Raid") and len({p.kb_id_ for p in pair}) >= 2:
                sides = pair[:2]

    def _inherit_places(self, doc: Doc, frames: list[dict]) -> None:
        """An event with no stated place happened where the story is: the place of the latest
        earlier event within `place_memory` sentences that shares a participant with it (or any,
        when the event names none); not for statements such as condemnations."""
        sent_index = {s.start: k for k, s in enumerate(doc.sents)}
        history: list[tuple[int, dict]] = []
        for frame in frames:
            here = sent_index[frame["trigger"].sent.start]
            if frame["places"]:
                history.append((here, frame))
                continue
            if frame["type"] in SPEECH_ACTS:
                continue
            mine = {s.kb_id_ for s in frame["agents"] + frame["targets"] if isinstance(s, Span)}
            for k, earlier in reversed(history):
                if here - k > self.place_memory:
                    break
                theirs = {s.kb_id_ for s in earlier["agents"] + earlier["targets"] if isinstance(s, Span)}
                if not mine or mine & theirs:
                    frame["places"] = list(earlier["places"])
                    frame["inherited_place"] = True
                    break

    @staticmethod
    def _absorb_killings(frames: list[dict]) -> list[dict]:
        """Deaths reported with another violent event in the same sentence belong to that event
        (SCHEMA: Killing = deaths reported without another typed event). The absorbed frame is kept
        under the host's "absorbed" list so its figures stay credited to its own source."""
        out = []
        by_sentence: dict[int, list[dict]] = {}
        for frame in frames:
            by_sentence.setdefault(frame["sent_index"], []).append(frame)
        for frame in frames:
            if frame["type"] == "Killing":
                hosts = [f for f in by_sentence.get(frame["sent_index"], [])
                         if f is not frame and f["type"] in CASUALTY_EVENTS - {"Killing"}]
                if not hosts and frame.get("caused"):
                    # «... أدت لمقتل 16 مدنياً»: deaths caused by the event reported just before
                    hosts = [f for f in out if f["type"] in CASUALTY_EVENTS - {"Killing"}
                             and 0 <= frame["sent_index"] - f["sent_index"] <= 1][-1:]
                own_place = frame["places"] and not frame.get("inherited_place")
                if not hosts and not frame["agents"] and not own_place:
                    # «ذكر المرصد أن حصيلة القتلى بلغت خمسة»: a toll with nobody and nowhere of its
                    # own is another source's figure for the violent event just reported
                    hosts = [f for f in out if f["type"] in CASUALTY_EVENTS - {"Killing"}
                             and 0 <= frame["sent_index"] - f["sent_index"] <= 2][-1:]
                if hosts:
                    # the deaths stay a claim of their own source inside the host event
                    host = min(hosts, key=lambda f: abs(f["trigger"].start - frame["trigger"].start))
                    host.setdefault("absorbed", []).append(frame)
                    continue
            out.append(frame)
        return out

    def _attach_dates(self, doc: Doc, frames: list[dict]) -> None:
        dates = [s for s in doc.spans.get("timex", []) if s.label_ == "date"]
        for frame in frames:
            trig = frame["trigger"]
            lo, hi = frame["window"]
            # a date belongs to the events of its own clause, not to the whole sentence
            near = [d for d in dates if lo <= d.start < hi or 0 <= trig.start - d.end <= 3]
            if near:
                nearest = min(near, key=lambda d: abs(d.start - trig.start))
                frame["date"] = nearest._.value

    def _attach_quantities(self, doc: Doc, frames: list[dict]) -> None:
        starts = _sentence_starts(doc)
        by_sentence: dict[int, list[dict]] = {}
        for frame in frames:
            by_sentence.setdefault(starts[frame["trigger"].start], []).append(frame)
        for q in doc.spans.get("quantities", []):
            info = q._.value
            if info["value"] is None:
                continue
            role = q.label_
            wanted = COUNTED if role == "count" else CASUALTY_EVENTS | {"Killing"}
            candidates = [f for f in by_sentence.get(starts[q.start], []) if f["type"] in wanted]
            if role == "count" and not info["category"]:
                continue
            if not candidates:
                continue
            frame = min(candidates, key=lambda f: abs(f["trigger"].start - q.start))
            if frame[role] is None:
                frame[role] = info["value"]


@Language.factory(
    "eventkg_events",
    default_config={"data_dir": str(DATA_DIR), "window": 14, "hedge_window": 6, "negation_window": 4,
                    "place_memory": 2, "place_window": 24},
)
def make_event_frames(nlp: Language, name: str, data_dir: str, window: int, hedge_window: int,
                      negation_window: int, place_memory: int, place_window: int) -> EventFrames:
    return EventFrames(nlp, name, data_dir, window, hedge_window, negation_window, place_memory, place_window)
