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
from itertools import compress

from spacy.language import Language
from spacy.tokens import Doc, Span

from . import extensions  # noqa: F401
from .arabic import match_key, per_string
from .attribution import sources_for
from .quotation import OPENING as QUOTES_OPENING, opens_speech
from .lexicon import DATA_DIR, load_lexicons
from .token_table import span_list, span_rows, token_table

# the key of a token's text as a lexicon writes it (texts repeat: computed once each)
_match_key = per_string()(match_key)

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
PARTITIVE_OR_HEAD = HEADS | {PARTITIVE}
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

_GOVERNORATE_WORDS = (match_key("محافظة"), match_key("ريف"))

CONTAINMENT = frozenset({"ريف", "شرق", "شرقي", "غرب", "غربي", "شمال", "شمالي", "جنوب", "جنوبي", "محافظه", "في", "قرب", "منطقه"})


def _under_lam_or_ba(doc: Doc, start: int, lo: int) -> bool:
    """Whether لـ or بـ governs the word at token `start`: a clitic on it («لمقرات», «بالغارات»),
    the word being the particle itself, or the particle just before it (quotes and commas skipped)."""
    table = token_table(doc)
    texts = table.texts
    first = texts[start]
    if first[:1] in ("ل", "ب") and not table.norms[start].startswith(first[:1]) or first in ("لـ", "بـ"):
        return True
    j = start - 1
    while j >= lo and texts[j] in SKIP:
        j -= 1
    return j >= lo and texts[j] in ("لـ", "بـ", "ل", "ب")


DATELINE_MARKS = frozenset({"..", "...", "…", ":", "–", "-", "—"})


def _dateline(doc: Doc, span: Span) -> bool:
    """«سوريا.. 6 قتلى», «دير الزور – نورث برس»: a name opening a line and cut off by a dateline
    mark says where the report is from, not who acted."""
    return _dateline_at(token_table(doc), span.start, span.end)


def _dateline_at(table, start: int, end: int) -> bool:
    """`_dateline` for the tokens [start, end) (a token's whitespace_ is a space or nothing)."""
    texts = table.texts
    at_line_start = start == 0 or "\n" in texts[start - 1]
    return at_line_start and end < table.n and texts[end] in DATELINE_MARKS


def located_by_earlier(place: Span, places: list[Span]) -> bool:
    """Whether `place` directly follows an earlier listed place as its container («X بريف Y»)."""
    table = token_table(place.doc)
    norms, texts = table.norms, table.texts
    for other in places:
        if other.end <= place.start and place.start - other.end <= 3:
            between = range(other.end, place.start)
            if len(between) and all(norms[i] in CONTAINMENT or texts[i] in ("،", ",") for i in between):
                return True
    return False


_MISSING = object()


def _cached(doc: Doc, key: str, make):
    """Per-document values computed once, not once per trigger (long articles stay linear)."""
    cache = doc.user_data.get("eventkg_events_cache")
    if cache is None:   # (not setdefault: that would make an empty dict on every call)
        cache = doc.user_data["eventkg_events_cache"] = {}
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = cache[key] = make()
    return value


def _sentence_starts(doc: Doc) -> list[int]:
    """For every token, the index of its sentence's first token (Span.sent walks the doc each call)."""
    return token_table(doc).sent_of


def _timex_tokens(doc: Doc) -> set[int]:
    return _cached(doc, "timex", lambda: {i for s, e, _, _ in span_rows(doc, "timex") for i in range(s, e)})


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
        # per event type: every form its rules look for and the widest window they look in, so
        # a trigger with none of those words nearby is passed after one set test
        self._type_cue_reach = {etype: (frozenset(c[0] for c in cues), max(0, *(c[2] for c in cues)))
                                for etype, cues in self.type_cues.items()}
        self._blocker_reach = {etype: (frozenset(b[0] for b in rows), max(0, *(b[2] for b in rows)))
                               for etype, rows in self.blockers.items()}

    # -- typing --------------------------------------------------------------
    def _refine(self, doc: Doc, trigger: Span, etype: str) -> str:
        table = token_table(doc)
        norms = table.norms
        start, end = trigger.start, trigger.end
        sent_start, sent_end = table.sent_of[start], table.sent_end_of[start]
        reach = self._type_cue_reach.get(etype)
        if reach is None or reach[0].isdisjoint(norms[max(sent_start, start - reach[1]):min(sent_end, end + reach[1])]):
            return etype
        trigger_norms = norms[start:end]
        for cue, new_type, window, only in self.type_cues[etype]:
            # a phrase («قصف مدفعي», «هجوم انتحاري») already says its type, unless a row names
            # one of its words («سيارة مفخخة» + «انتحاري»)
            if (only and only not in trigger_norms) or (end - start > 1 and not only):
                continue
            lo, hi = max(sent_start, start - window), min(sent_end, end + window)
            if cue in norms[lo:hi] or cue in trigger_norms:
                return new_type
        return etype

    def _blocked(self, doc: Doc, trigger: Span, etype: str, pos: str) -> bool:
        """A state rather than an event: «التي تسيطر عليها», «تحت سيطرة», «مخاوف من هروب»."""
        blockers = self.blockers.get(etype)
        if not blockers:
            return False
        table = token_table(doc)
        sent_start = table.sent_of[trigger.start]
        forms, reach = self._blocker_reach[etype]
        if forms.isdisjoint(table.norms[max(sent_start, trigger.start - reach):trigger.start]):
            return False
        for form, bpos, window in blockers:
            if bpos not in ("any", pos):
                continue
            if form in table.norms[max(sent_start, trigger.start - window):trigger.start]:
                return True
        return False

    @staticmethod
    def _heading_noun(trigger: Span, pos: str) -> bool:
        """A section heading such as «معارك الباغوز» names a topic, not an event: a short line
        (at most four words, no full stop) whose trigger is a noun."""
        if pos == "verb":
            return False
        table = token_table(trigger.doc)
        # line breaks are tokens of their own (a token's whitespace_ is a space or nothing)
        start, end = table.line_bounds(trigger.start, trigger.end)
        words = table.alpha_before[end] - table.alpha_before[start]
        return words <= 4 and table.stops_before[end] == table.stops_before[start]

    # -- windows -------------------------------------------------------------
    def _clause_stops(self, doc: Doc, barriers: list[int]) -> list[int]:
        """Tokens a clause window does not reach back over, in order: clause openers (أن، إن،
        «:»), the ends of reporting frames (`barriers`), quotes opening speech, role cues of kind
        "clause". Found once per document (the sets are tested in C, then quotes one by one)."""
        table = token_table(doc)
        norms, texts = table.norms, table.texts
        by_norm = CLAUSE_OPENERS | {form for form, role in self.role_cues.items() if role == "clause"}
        positions = range(table.n)
        stops = set(compress(positions, map(by_norm.__contains__, norms)))
        stops.update(compress(positions, map(CLAUSE_OPENERS.__contains__, texts)))
        stops.update(barriers)
        stops.update(i for i in compress(positions, map(QUOTES_OPENING.__contains__, texts)) if opens_speech(doc, i))
        return sorted(stops)

    def _left_bound(self, doc: Doc, trigger: Span, stops: list[int]) -> int:
        """Where the trigger's clause window starts: after the nearest of `stops` (see
        `_clause_stops`) before the trigger, within its sentence and `window` tokens."""
        sent_start = token_table(doc).sent_of[trigger.start]
        lo = max(sent_start, trigger.start - self.window)
        k = bisect.bisect_left(stops, trigger.start) - 1
        if k >= 0 and stops[k] >= lo:
            return stops[k] + 1
        return lo

    def _right_bound(self, doc: Doc, trigger: Span, next_trigger: int | None) -> int:
        hi = min(token_table(doc).sent_end_of[trigger.start], trigger.end + self.window)
        if next_trigger is not None:
            hi = min(hi, next_trigger)
        return hi

    def _place_bound(self, doc: Doc, trigger: Span, next_trigger: int | None, barriers: list[int]) -> int:
        """The end of the stretch where the event's place may still be named: the sentence, at most
        `place_window` tokens, up to the next trigger or reporting frame."""
        hi = min(token_table(doc).sent_end_of[trigger.start], trigger.end + self.place_window)
        if next_trigger is not None:
            hi = min(hi, next_trigger)
        k = bisect.bisect_left(barriers, trigger.end)
        if k < len(barriers):
            hi = min(hi, barriers[k])
        return hi

    # -- roles ---------------------------------------------------------------
    def _cue_before(self, doc: Doc, start: int, lo: int, distance: int = 3) -> str | None:
        """The role cue governing the entity at token `start`: the first word before it,
        skipping quotes and heads."""
        table = token_table(doc)
        norms, texts = table.norms, table.texts
        i = start - 1
        steps = 0
        while i >= lo and steps < distance:
            role = self.role_cues.get(norms[i])
            if role:
                return role
            if texts[i] not in SKIP and norms[i] not in HEADS:
                # a clitic preposition glued to the head: «لمواقع», «بالضربات»
                return None
            i -= 1
            steps += 1
        return None

    def _reaction_object(self, doc: Doc, trigger: Span, lo: int) -> bool:
        """Whether the trigger is governed by بـ / لـ (a clitic «بالغارات» or a word «بـ»)
        and a verb of reaction (role cue "reaction": ندد، أدان، اتهم، تصدى ...) precedes it in
        its clause. «قامت قسد بحملة» and «ردت قسد بقصف» keep their subject as the doer."""
        table = token_table(doc)
        # the verb may open the clause itself, before the window's left bound
        sent_start = table.sent_of[trigger.start]
        return _under_lam_or_ba(doc, trigger.start, lo) and any(
            self.role_cues.get(table.norms[i]) == "reaction" for i in range(max(sent_start, trigger.start - 12), trigger.start))

    def _governed(self, doc: Doc, start: int, lo: int) -> bool:
        """Whether a preposition governs the entity at token `start` (then it is not a subject)."""
        return _under_lam_or_ba(doc, start, lo) or self._cue_before(doc, start, lo) in GOVERNING_ROLES

    def _roles(self, doc: Doc, trigger: Span, etype: str, pos: str, ents: list[Span], lo: int, hi: int,
               place_hi: int):
        table = token_table(doc)
        norms, texts = table.norms, table.texts
        role_cues = self.role_cues
        # entities by number k: ents[k] is the Span, rows[k] its (start, end, label, kb_id)
        rows = span_rows(doc, "entities")
        t_start, t_end = trigger.start, trigger.end
        # entity spans are sorted by start: slice the window instead of scanning the document
        starts = _entity_starts(doc, ents)
        window = range(bisect.bisect_left(starts, lo), bisect.bisect_left(starts, max(hi, place_hi)))
        left = [k for k in window if rows[k][1] <= t_start]
        right = [k for k in window if t_end <= rows[k][0] and rows[k][1] <= hi]
        # a place may come later in the clause than a participant: «اشتباكات ...، الليلة قبل
        # الماضية، إطلاقاً كثيفاً للنار في مدينة الدانا»
        right_far = [k for k in window if t_end <= rows[k][0] and rows[k][1] <= place_hi]
        agents: list = []
        targets: list[Span] = []

        def is_place(k: int, window_lo: int) -> bool:
            label = rows[k][2]
            if label == "Place":
                return True
            return label == "Country" and self._cue_before(doc, rows[k][0], window_lo) == "place"

        actors_left = [k for k in left if rows[k][2] in ACTOR_TYPES and not is_place(k, lo)
                       and not _dateline_at(table, rows[k][0], rows[k][1])]
        actors_right = [k for k in right if rows[k][2] in ACTOR_TYPES and not is_place(k, t_end)]
        places = ([k for k in right if is_place(k, t_end)] or [k for k in left if is_place(k, lo)]
                  or [k for k in right_far if is_place(k, t_end)])
        places = [ents[k] for k in places if not self._directional_region(doc, ents[k])]

        # «بين X و Y»: both sides of a clash
        if etype == "ArmedClash":
            # «اشتباكات بين X و Y», or later in the clause: «اشتباكات اندلعت، في 29 تموز، بين X و Y»
            # (a بين far from the trigger counts only with a side named right after it)
            right_starts = {rows[k][0] for k in actors_right}
            cue_at = next((i for i in range(t_end, min(hi, t_end + 10)) if role_cues.get(norms[i]) == "between"
                           and (i < t_end + 3 or (i + 1 < len(doc) and norms[i + 1] in BOTH_SIDES)
                                or any(j in right_starts for j in range(i + 1, i + 5)))), None)
            if cue_at is not None and cue_at + 1 < len(doc) and norms[cue_at + 1] in BOTH_SIDES:
                agents = [BOTH_SIDES_MARK]
            else:
                between = [k for k in actors_right if cue_at is not None and rows[k][0] > cue_at]
                if len(between) == 1:
                    # «معارك مع قسد»: the other side is the clause's subject
                    subjects = [k for k in actors_left
                                if not self._governed(doc, rows[k][0], lo) and rows[k][3] != rows[between[0]][3]]
                    between = subjects[-1:] + between
                agents = [ents[k] for k in between[:2]]
        # VSO / idafa: an actor right after the trigger (quotes, commas, dates and heads skipped)
        if not agents and actors_right and not (pos != "verb" and etype in NO_IDAFA_AGENT):
            first = actors_right[0]
            first_start = rows[first][0]
            timex = _timex_tokens(doc)
            like_num = table.like_num
            gap = [i for i in range(t_end, first_start)
                   if texts[i] not in SKIP and not like_num[i] and i not in timex and norms[i] not in HEADS
                   and not (norms[i] == PARTITIVE and i > t_end and norms[i - 1] in HEADS)]
            partitive = first_start - 1 > t_end and norms[first_start - 1] == PARTITIVE
            if not gap and (partitive or not self._governed(doc, first_start, t_end)):
                agents = [ents[first]]
                if etype == "ArmedClash" and len(actors_right) > 1:
                    agents = [ents[k] for k in actors_right[:2]]
        # «قصف مدفعي وصاروخي لقوات النظام», «غارات للتحالف»: لـ + actor right after an attack
        # masdar (adjectives aside) is its doer; after a raid or an arrest it is the one raided
        if not agents and pos != "verb" and etype in LAM_DOER and actors_right:
            first = actors_right[0]
            first_start = rows[first][0]
            between = range(t_end, first_start)
            lam = texts[first_start][:1] == "ل" and not norms[first_start].startswith("ل")
            lam = lam or (first_start > t_end and texts[first_start - 1] in ("لـ", "ل"))
            adjectives = all(texts[i] in SKIP or texts[i] in ("لـ", "ل") or norms[i] in AIR_WORDS
                             or norms[i].endswith(("ي", "يه")) for i in between)
            if lam and adjectives and len(between) <= 3:
                agents = [ents[first]]
        # a nisba right after the trigger names the attacker: «غارات إسرائيلية», «الهجوم الإسرائيلي»
        if not agents and t_end < len(doc):
            j = t_end + (1 if t_end + 1 < len(doc) and norms[t_end] in AIR_WORDS else 0)
            # the nisba may also be part of the trigger phrase itself («غارات إسرائيلية»)
            for k in [*range(t_start + 1, t_end), j]:
                country = self.lex.demonyms.get(norms[k])
                if country in self.lex.gazetteer:
                    agents = [Span(doc, k, k + 1, label=self.lex.gazetteer[country].type, kb_id=country)]
                    break
        # relative / passive frames name the agent after the trigger: «ضربات نفذها التحالف»,
        # «هجومين شنهما، أمس الأربعاء، مقاتلو تنظيم داعش»
        if not agents:
            by = next((i for i in range(t_end, min(hi, t_end + 3)) if role_cues.get(norms[i]) == "agent_by"), None)
            if by is not None:
                # «شنه عناصر تنظيم داعش»: heads such as عناصر do not govern here
                agents = [ents[k] for k in actors_right if rows[k][0] > by and not any(
                    role_cues.get(norms[i]) in GOVERNING_ROLES and norms[i] not in HEADS
                    for i in range(by + 1, rows[k][0]))][:1]
        # SVO: the nearest actor before the trigger in its clause, if no preposition governs it;
        # a noun trigger under بـ / لـ after a verb of reaction is that verb's object, and the
        # verb's subject is not its doer («نددت الحكومة بالغارات», «تصدت قسد لهجوم»)
        if not agents and not (pos != "verb" and self._reaction_object(doc, trigger, lo)):
            subjects = [k for k in actors_left if not self._governed(doc, rows[k][0], lo)]
            if subjects:
                agents = [ents[subjects[-1]]]
        # a relative clause's subject is its head: «التنظيم الذي كان ... يسيطر»
        if not agents and lo > 0 and norms[lo - 1] in RELATIVE_PRONOUNS and pos == "verb":
            head = [ents[k] for k, row in enumerate(rows) if row[1] == lo - 1 and row[2] in ACTOR_TYPES]
            agents = head[:1]
        agents = self._with_coordinated(doc, agents, ents)
        agents = agents + self._supporters(doc, agents, ents, lo, hi)
        agent_ids = {a.kb_id_ for a in agents if isinstance(a, Span)}
        # «أحبطت قسد هجومين شنهما داعش»: who foiled the attack was its target
        if etype in ("Attack", "SuicideBombing") and not targets:
            repel = next((i for i in range(t_start - 1, max(lo, t_start - 14) - 1, -1)
                          if role_cues.get(norms[i]) == "repel"), None)
            if repel is not None:
                foilers = [ents[k] for k in range(bisect.bisect_right(starts, repel), bisect.bisect_left(starts, t_start))
                           if rows[k][2] in ACTOR_TYPES and rows[k][3] not in agent_ids]
                targets = foilers[:1]
        if etype in TARGETED:
            cued = [ents[k] for k in actors_right
                    if rows[k][3] not in agent_ids and self._cue_before(doc, rows[k][0], t_end, 3) in ("target", "between")]
            if cued:
                targets = cued[:2]
            elif etype == "Condemnation":
                targets = [ents[k] for k in actors_right if rows[k][3] not in agent_ids][:1]
        return agents, targets, places

    @staticmethod
    def _with_coordinated(doc: Doc, chosen: list, ents: list[Span]) -> list:
        """«بريطانيا وفرنسا والولايات المتحدة»: actors joined by و to a chosen one share its role."""
        if len(chosen) != 1 or not isinstance(chosen[0], Span):
            return chosen
        group = [chosen[0]]
        by_start, by_end = _actor_index(doc, ents)
        table = token_table(doc)
        norms, texts = table.norms, table.texts
        # forwards: X وY وZ
        last = chosen[0]
        while last.end in by_start and texts[last.end].startswith("و") and norms[last.end] != texts[last.end]:
            last = by_start[last.end]
            group.append(last)
        # backwards: the chosen one may be the last of the list
        first = chosen[0]
        while first.start in by_end and texts[first.start].startswith("و") and norms[first.start] != texts[first.start]:
            first = by_end[first.start]
            group.insert(0, first)
        return group

    def _supporters(self, doc: Doc, agents: list, ents: list[Span], lo: int, hi: int) -> list[Span]:
        """«نفذت الأسايش بمساندة من قوات التحالف حملة دهم», «بدعم من الطيران الروسي»: the actor
        an operation was carried out with is a doer too (role cue "support"); «المدعومة من» only
        describes the doer and is not one."""
        if not agents or not all(isinstance(a, Span) for a in agents):
            return []
        by_start, _ = _actor_index(doc, ents)
        norms = token_table(doc).norms
        known = {a.kb_id_ for a in agents}
        out: list[Span] = []
        for i in range(lo, hi):
            if self.role_cues.get(norms[i]) != "support":
                continue
            j = i + 1
            while j < hi and j not in by_start and (norms[j] in PARTITIVE_OR_HEAD or doc[j].text in SKIP):
                j += 1
            actor = by_start.get(j)
            if actor is not None and actor.kb_id_ not in known:
                out.append(actor)
                known.add(actor.kb_id_)
        return out

    def _speaker_side(self, doc: Doc, speaker: Span, lo: int, hi: int) -> list[Span]:
        """«استكملت قواتنا», «قمنا بالاقتحام»: a first-person plural in the speaker's words makes
        the speaker's side (their body, via the gazetteer affiliation) the agent."""
        side = self.lex.affiliation(speaker.kb_id_)
        if side is None:
            return []
        table = token_table(doc)
        norms, is_alpha = table.norms, table.is_alpha
        for i in range(lo, hi):
            form = norms[i]
            if form.endswith("نا") and len(form) >= 4 and form not in NOT_FIRST_PERSON and is_alpha[i]:
                return [Span(doc, i, i + 1, label=self.lex.gazetteer[side].type, kb_id=side)]
        return []

    def _vague(self, doc: Doc, place: Span) -> bool:
        """«في شرق سورية», «شمال محافظة إدلب»: a country or governorate part named by a direction."""
        entry = self.lex.gazetteer.get(place.kb_id_)
        wide = place.label_ == "Country" or (entry is not None and entry.subtype in ("governorate", "region"))
        norms = token_table(doc).norms
        j = place.start - 1
        while j >= 0 and norms[j] in _GOVERNORATE_WORDS:
            j -= 1
        return wide and j >= 0 and norms[j] in DIRECTIONS

    def _directional_region(self, doc: Doc, place: Span) -> bool:
        """«شرقي نهر الفرات», «شرق الفرات»: a river used to name a region, not a place of events."""
        entry = self.lex.gazetteer.get(place.kb_id_)
        if entry is None or entry.subtype != "river":
            return False
        return place.start > 0 and self.role_cues.get(token_table(doc).norms[place.start - 1]) == "place"

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
            coordinated = any(q.start > p.start and token_table(q.doc).texts[q.start].startswith("و") for q in descendants)
            # «قرب دوار السنتر في مدينة الباب»: the town locating a spot is kept (events are placed
            # in the town; see story.settlement_level)
            if located_by_earlier(p, places) and not any(lex.is_site(q.kb_id_) for q in places if q.start < p.start):
                continue
            if not descendants or coordinated:
                keep.append(p)
                seen.add(p.kb_id_)
        return keep

    # -- certainty -----------------------------------------------------------
    def _certainty(self, doc: Doc, trigger: Span, cues: list[tuple[int, int, str, str]],
                   claim_start: int | None) -> str:
        """`cues`: the doc's uncertain and negated certainty cues as (start, end, label, row) rows."""
        table = token_table(doc)
        sent_start = table.sent_of[trigger.start]
        cue_starts = _cached(trigger.doc, "certainty_starts", lambda: [c[0] for c in cues])
        in_reach = cues[bisect.bisect_left(cue_starts, sent_start):bisect.bisect_left(cue_starts, trigger.start)]
        for cue_start, cue_end, label, row in reversed(in_reach):
            if cue_end > trigger.start:
                continue
            if claim_start is not None and cue_start < claim_start and label != "negated":
                continue
            distance = trigger.start - cue_end
            scope = self.lex.phrases["certainty"][int(row)]["scope"]
            if label == "negated" and (scope == "sentence" or (
                    distance <= self.negation_window
                    and not any(table.is_punct[cue_end:trigger.start]))):
                # «نفت الوزارة أن تكون طائراتها قصفت»: a denial covers its whole complement;
                # «لم تشن الطائرات أي غارات»: a negation covers its own clause
                return "negated"
            if label == "uncertain" and distance <= self.hedge_window:
                return "uncertain"
        # a condition right after the event: «وحدة خاصة لإجلائهم في حال تبيّن ...»
        after = cues[bisect.bisect_left(cue_starts, trigger.end):bisect.bisect_right(cue_starts, trigger.end + 2)]
        for _, _, label, row in after:
            if label == "uncertain" and self.lex.phrases["certainty"][int(row)]["scope"] == "after":
                return "uncertain"
        # future tense (سـ + imperfect) on the trigger or the verb governing it: سيواصل التحالف قصف
        for i in range(max(sent_start, trigger.start - 3), trigger.end):
            form = _match_key(table.texts[i])
            if form[:1] == "س" and form[1:2] in ("ي", "ت", "ن") and len(form) >= 5 and form not in self.lex.vocabulary:
                return "uncertain"
        return "asserted"

    # -- pipe ----------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        table = token_table(doc)
        norms, sent_of = table.norms, table.sent_of
        ents = span_list(doc, "entities")
        covered = {i for s, e, _, _ in span_rows(doc, "entities") for i in range(s, e)}
        covered |= {i for s, e, _, _ in span_rows(doc, "timex") for i in range(s, e)}
        triggers = [t for t in span_list(doc, "triggers") if not any(i in covered for i in range(t.start, t.end))]
        certainty_cues = [c for c in span_rows(doc, "certainty") if c[2] in ("uncertain", "negated")]
        barriers = sorted(c[1] - 1 for c in span_rows(doc, "reporting") if c[2] in ("verb", "prep", "continuation"))
        stops = self._clause_stops(doc, barriers)
        frames = []
        for k, trigger in enumerate(triggers):
            row = self.lex.phrases["triggers"][int(trigger.kb_id_)]
            etype = self._refine(doc, trigger, row["event_type"])
            if self._blocked(doc, trigger, etype, row["pos"]) or self._heading_noun(trigger, row["pos"]):
                continue
            nxt = triggers[k + 1].start if k + 1 < len(triggers) else None
            lo = self._left_bound(doc, trigger, stops)
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
                "sent_index": table.sent_index_of[trigger.start],
                "caused": any(self.role_cues.get(norms[i]) == "cause"
                              for i in range(max(sent_of[trigger.start], trigger.start - 3), trigger.start)),
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
            if before["sent_index"] != frame["sent_index"]:
                continue
            table = token_table(doc)
            first, first_norm = table.texts[frame["trigger"].start], table.norms[frame["trigger"].start]
            joined = first.startswith(("و", "ف")) and not first_norm.startswith(first[:1])
            window = table.norms[max(before["trigger"].end, frame["trigger"].start - 2):frame["trigger"].end + 1]
            if joined or not JOINERS.isdisjoint(window):
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
        history: list[tuple[int, dict]] = []
        for frame in frames:
            here = frame["sent_index"]   # the number of the trigger's sentence
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
        dates = [(s.start, s.end, s) for s in span_list(doc, "timex") if s.label_ == "date"]
        if not dates:
            return
        for frame in frames:
            trig_start = frame["trigger"].start
            lo, hi = frame["window"]
            # a date belongs to the events of its own clause, not to the whole sentence
            near = [d for d in dates if lo <= d[0] < hi or 0 <= trig_start - d[1] <= 3]
            if near:
                nearest = min(near, key=lambda d: abs(d[0] - trig_start))
                frame["date"] = nearest[2]._.value

    def _attach_quantities(self, doc: Doc, frames: list[dict]) -> None:
        starts = _sentence_starts(doc)
        by_sentence: dict[int, list[dict]] = {}
        for frame in frames:
            by_sentence.setdefault(starts[frame["trigger"].start], []).append(frame)
        for q in span_list(doc, "quantities"):
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
