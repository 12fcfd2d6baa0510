"""Attribution: who each statement in the article is credited to.

For every sentence, finds reporting frames — a reporting verb with its speaker (قال بالي،
أعلن التحالف), a source preposition (بحسب المرصد، وفق ما أفاد، نقلاً عن), an unnamed source
(مصادر محلية، ناشطون) — and the channel agency the speaker spoke to (قال بالي لرويترز).
Continuations (وأضاف، وتابع، مشيراً) and subjectless reporting verbs keep the last speaker.
Writes `doc._.claims`: a list of frames, each a dict
{"start": token index where the frame applies from, "sent": sentence start, "speaker": Span | None,
 "anonymous": str | None, "channel": Span | None, "kind": "verb" | "prep" | "continuation"}.
`source_for(doc, token_index)` answers which frame covers a token (None = the article's own voice).
"""
from __future__ import annotations

from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from . import extensions  # noqa: F401
import bisect

from .arabic import match_key
from .quotation import opens_speech
from .lexicon import DATA_DIR, load_lexicons
from .token_table import span_list, span_rows, token_table

SPEAKER_TYPES = frozenset({"Person", "Organization", "MediaOutlet", "GovernmentBody", "ArmedGroup", "StateForce", "Country"})
CLAUSE_OPENERS = frozenset({"ان", "إن", "أن", "انه", "انها", "انهم", ":"})


def _lam_governed(doc: Doc, span: Span) -> bool:
    """Whether the preposition ل governs `span` («لرويترز», «لـ«رويترز»», «لوكالة فرانس برس»)."""
    table = token_table(doc)
    texts, norms = table.texts, table.norms
    if texts[span.start].startswith("ل") and not norms[span.start].startswith("ل"):
        return True
    j = span.start - 1
    while j >= 0 and texts[j] in ("«", "“", '"'):
        j -= 1
    if j < 0:
        return False
    prev = texts[j]
    # «لوكالة فرانس برس»: the ل sits on an organisation head before the name
    return prev in ("ل", "لـ") or (prev.startswith("ل") and not norms[j].startswith("ل")
                                    and any(c[0] == j for c in span_rows(doc, "org_cues")))


def _cached_starts(doc: Doc, entities: list[Span]) -> list[int]:
    """Entity start tokens, computed once per document (entities are sorted by start)."""
    if "eventkg_attribution_starts" not in doc.user_data:
        doc.user_data["eventkg_attribution_starts"] = [e.start for e in entities]
    return doc.user_data["eventkg_attribution_starts"]


class _Sentence(NamedTuple):
    """A sentence's token range (what the loop reads of `doc.sents`, without making Spans)."""

    start: int
    end: int


RELATIVES = frozenset({"التي", "الذي", "الذين", "والتي", "والذي"})
NOT_SPEAKER_PREPOSITIONS = frozenset(match_key(w) for w in "على ضد إلى الى مع بين حول بشأن تجاه".split())
# bodies an unnamed source may speak for, and the words that say it is one of theirs
BODY_TYPES = frozenset({"ArmedGroup", "StateForce", "GovernmentBody", "Organization"})
MEMBERSHIP = frozenset(match_key(w) for w in "في من داخل لدى ضمن".split())


class Attribution:
    """Pipe: reporting frames per sentence → `doc._.claims`."""

    def __init__(self, nlp: Language, name: str, data_dir: str, speaker_window: int):
        self.name = name
        self.lex = load_lexicons(data_dir)
        self.window = speaker_window
        self.clause_openers = frozenset(match_key(r["form"]) for r in self.lex.role_cues if r["role"] == "clause")

    def _speaker_after(self, doc: Doc, start: int, entities: list[Span], sent_end: int) -> tuple[Span | None, Span | None, int]:
        """Speaker phrase after a verb: prefer a person in it, else its first actor; plus channel."""
        table = token_table(doc)
        norms, texts = table.norms, table.texts
        limit = min(sent_end, start + self.window)
        for i in range(start, limit):
            if norms[i] in CLAUSE_OPENERS or texts[i] in CLAUSE_OPENERS or opens_speech(doc, i):
                limit = i
                break
        starts = _cached_starts(doc, entities)
        window = entities[bisect.bisect_left(starts, start):bisect.bisect_left(starts, limit)]
        # «إعلان الانتصار على داعش»: an actor after على / ضد / مع is what is said, not who says it
        inside = [e for e in window if e.label_ in SPEAKER_TYPES and not self._object_of_preposition(doc, e, start)]
        # «قال بالي لرويترز», «وقال لوكالة فرانس برس»: the ل-governed outlet is the channel
        channels = [e for e in inside if e.label_ == "MediaOutlet" and _lam_governed(doc, e)]
        speakers = [e for e in inside if e not in channels]
        if not speakers:
            return None, (channels[0] if channels else None), limit
        person = next((e for e in speakers if e.label_ == "Person"), None)
        speaker = person or speakers[0]
        return speaker, (channels[0] if channels else None), limit

    @staticmethod
    def _source_in(doc: Doc, anon: Span, body: Span) -> bool:
        """Whether `body` is the organisation an unnamed source belongs to: it follows the
        source phrase within three words, introduced by في / من / بـ / داخل / لدى."""
        if body.label_ not in BODY_TYPES or not 0 <= body.start - anon.end <= 3:
            return False
        table = token_table(doc)
        first, first_norm = table.texts[body.start], table.norms[body.start]
        clitic = first[:1] in ("ب",) and not first_norm.startswith("ب")
        return clitic or not MEMBERSHIP.isdisjoint(table.norms[anon.end:body.start])

    @staticmethod
    def _object_of_preposition(doc: Doc, span: Span, lo: int) -> bool:
        table = token_table(doc)
        texts = table.texts
        j = span.start - 1
        while j >= lo and texts[j] in ("«", "“", '"', "(", "”", "»"):
            j -= 1
        return j >= lo and table.norms[j] in NOT_SPEAKER_PREPOSITIONS

    def _clause_start(self, doc: Doc, index: int, sent_start: int) -> int:
        norms = token_table(doc).norms
        for i in range(index - 1, sent_start - 1, -1):
            if self.clause_openers and norms[i] in self.clause_openers:
                return i
        return sent_start

    def _speaker_before(self, doc: Doc, verb_start: int, entities: list[Span], sent_start: int) -> Span | None:
        texts = token_table(doc).texts
        starts = _cached_starts(doc, entities)
        window = entities[bisect.bisect_left(starts, max(sent_start, verb_start - 12)):bisect.bisect_left(starts, verb_start)]
        # «... على تنظيم داعش خلال أسبوع، وقال»: neither an object nor a name behind a comma
        # is the subject of the verb
        before = [e for e in window if e.end <= verb_start and verb_start - e.end <= 4 and e.label_ in SPEAKER_TYPES
                  and not self._object_of_preposition(doc, e, sent_start)
                  and not any(texts[i] in ("،", ",", "؛") for i in range(e.end, verb_start))]
        return before[-1] if before else None

    def __call__(self, doc: Doc) -> Doc:
        entities = span_list(doc, "entities")
        cues = sorted(span_list(doc, "reporting"), key=lambda s: s.start)
        anonymous_cues = [c for c in cues if c.label_ == "anonymous"]
        anon_starts = [c.start for c in anonymous_cues]
        claims: list[dict] = []
        last_speaker: dict | None = None
        cue_starts = [c.start for c in cues]
        table = token_table(doc)
        texts, alpha_before = table.texts, table.alpha_before
        for sent in map(_Sentence, table.sent_starts, table.sent_ends):
            sent_cues = cues[bisect.bisect_left(cue_starts, sent.start):bisect.bisect_left(cue_starts, sent.end)]
            for cue in sent_cues:
                kind = cue.label_
                if kind in ("channel", "anonymous"):
                    continue
                frame = {"start": cue.start, "sent": sent.start, "speaker": None, "anonymous": None, "channel": None, "kind": kind}
                if kind in ("verb", "prep"):
                    speaker, channel, _ = self._speaker_after(doc, cue.end, entities, sent.end)
                    near = anonymous_cues[bisect.bisect_left(anon_starts, cue.end - 8):bisect.bisect_right(anon_starts, cue.end + 3)]
                    anon = next((a for a in near if cue.end <= a.start <= cue.end + 3), None)
                    if speaker is None and anon is None and kind == "verb" and cue.start > 0 and texts[cue.start - 1] in RELATIVES:
                        # «نددت الخارجية ... والتي قالت»: the relative's head is the main clause's subject
                        speaker = next((e for e in entities if sent.start <= e.start < cue.start
                                        and e.label_ in SPEAKER_TYPES and not _lam_governed(doc, e)), None)
                    if speaker is None and anon is None and kind == "verb":
                        speaker = self._speaker_before(doc, cue.start, entities, sent.start)
                        if speaker is None:
                            anon = next((a for a in near if sent.start <= a.start and a.end <= cue.start and cue.start - a.end <= 3), None)
                    if anon is not None and speaker is not None and self._source_in(doc, anon, speaker):
                        # «مصدر عسكري في قسد», «قيادي في الجيش الوطني»: an unnamed member speaks for the body
                        anon = None
                    if anon is not None and (speaker is None or anon.start < speaker.start):
                        frame["anonymous"] = anon.text
                        speaker = None
                    frame["speaker"], frame["channel"] = speaker, channel
                    if kind == "prep":
                        # «..., وفق ما أفاد المرصد»: a source named at the end covers its clause —
                        # back to the last clause opener («في حين», «بينما») or the sentence start
                        if not any(f["sent"] == sent.start for f in claims):
                            frame["start"] = self._clause_start(doc, cue.start, sent.start)
                if frame["speaker"] is None and frame["anonymous"] is None:
                    if last_speaker is None or kind == "prep":
                        continue
                    frame["speaker"], frame["anonymous"], frame["channel"] = (
                        last_speaker["speaker"], last_speaker["anonymous"], last_speaker["channel"])
                    frame["kind"] = "continuation"
                claims.append(frame)
                last_speaker = frame
            if not sent_cues and alpha_before[sent.end] > alpha_before[sent.start]:
                # a sentence in the article's own voice ends the current speaker's turn,
                # unless it is a bare quotation continuing it
                first = texts[sent.start]
                if first not in ("«", "“", '"'):
                    last_speaker = None
        doc._.claims = sorted(claims, key=lambda f: f["start"])
        return doc


def sources_for(doc: Doc, token_index: int) -> list[dict]:
    """Every frame crediting token `token_index`: its covering frame (see `source_for`) plus any
    source preposition later in the same sentence («..., بحسب وكالة رويترز»), which vouches for
    the whole sentence."""
    main = source_for(doc, token_index)
    if main is None:
        return []
    sent_start = token_table(doc).sent_of[token_index]
    later = [f for f in doc.user_data.get("eventkg_claims_by_sentence", {}).get(sent_start, []) if f["kind"] == "prep"
             and f["start"] > max(token_index, main["start"]) and f is not main]
    return [main, *later]


def source_for(doc: Doc, token_index: int) -> dict | None:
    """The reporting frame that covers token `token_index`, or None for the article's own voice.

    A frame covers its sentence from its start on; a sentence-final source preposition covers
    its whole clause (its start is moved back to the clause opener).
    """
    sent_start = token_table(doc).sent_of[token_index]
    by_sentence = doc.user_data.get("eventkg_claims_by_sentence")
    if by_sentence is None:
        by_sentence = doc.user_data["eventkg_claims_by_sentence"] = {}
        for frame in doc._.claims or []:
            by_sentence.setdefault(frame["sent"], []).append(frame)
    in_sent = by_sentence.get(sent_start, [])
    if not in_sent:
        return None
    preceding = [f for f in in_sent if f["start"] <= token_index]
    if preceding:
        return preceding[-1]
    # a reporting verb after the event does not cover it («نددت الخارجية ... والتي قالت»);
    # a trailing source preposition does (handled by its start), so nothing covers it here
    return None


@Language.factory("eventkg_attribution", default_config={"data_dir": str(DATA_DIR), "speaker_window": 10})
def make_attribution(nlp: Language, name: str, data_dir: str, speaker_window: int) -> Attribution:
    return Attribution(nlp, name, data_dir, speaker_window)
