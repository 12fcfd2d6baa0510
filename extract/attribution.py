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

from spacy.language import Language
from spacy.tokens import Doc, Span

from . import extensions  # noqa: F401
from .lexicon import DATA_DIR, load_lexicons

SPEAKER_TYPES = frozenset({"Person", "Organization", "MediaOutlet", "GovernmentBody", "ArmedGroup", "StateForce", "Country"})
CLAUSE_OPENERS = frozenset({"ان", "إن", "أن", "انه", "انها", "انهم", ":", "«", "“", '"', "”"})


class Attribution:
    """Pipe: reporting frames per sentence → `doc._.claims`."""

    def __init__(self, nlp: Language, name: str, data_dir: str, speaker_window: int):
        self.name = name
        self.lex = load_lexicons(data_dir)
        self.window = speaker_window

    def _speaker_after(self, doc: Doc, start: int, entities: list[Span], sent_end: int) -> tuple[Span | None, Span | None, int]:
        """Speaker phrase after a verb: prefer a person in it, else its first actor; plus channel."""
        limit = min(sent_end, start + self.window)
        for i in range(start, limit):
            if doc[i].norm_ in CLAUSE_OPENERS or doc[i].text in CLAUSE_OPENERS:
                limit = i
                break
        inside = [e for e in entities if start <= e.start < limit and e.label_ in SPEAKER_TYPES]
        if not inside:
            return None, None, limit
        person = next((e for e in inside if e.label_ == "Person"), None)
        speaker = person or inside[0]
        channel = None
        for e in inside:
            if e.start >= speaker.end and e.label_ == "MediaOutlet" and doc[e.start].text[:1] in ("ل",) or (
                e.start > speaker.start and e.label_ == "MediaOutlet" and e.start > 0 and doc[e.start - 1].text in ("لـ", "ل")
            ):
                channel = e
                break
        if channel is speaker:
            channel = None
        return speaker, channel, limit

    def _speaker_before(self, doc: Doc, verb_start: int, entities: list[Span], sent_start: int) -> Span | None:
        before = [e for e in entities if sent_start <= e.start and e.end <= verb_start and verb_start - e.end <= 4 and e.label_ in SPEAKER_TYPES]
        return before[-1] if before else None

    def __call__(self, doc: Doc) -> Doc:
        entities = list(doc.spans.get("entities", []))
        cues = sorted(doc.spans.get("reporting", []), key=lambda s: s.start)
        anonymous_cues = [c for c in cues if c.label_ == "anonymous"]
        claims: list[dict] = []
        last_speaker: dict | None = None
        for sent in doc.sents:
            sent_cues = [c for c in cues if sent.start <= c.start < sent.end]
            for cue in sent_cues:
                kind = cue.label_
                if kind in ("channel", "anonymous"):
                    continue
                frame = {"start": cue.start, "sent": sent.start, "speaker": None, "anonymous": None, "channel": None, "kind": kind}
                if kind in ("verb", "prep"):
                    speaker, channel, _ = self._speaker_after(doc, cue.end, entities, sent.end)
                    anon = next((a for a in anonymous_cues if cue.end <= a.start <= cue.end + 3), None)
                    if speaker is None and anon is None and kind == "verb":
                        speaker = self._speaker_before(doc, cue.start, entities, sent.start)
                        if speaker is None:
                            anon = next((a for a in anonymous_cues if sent.start <= a.start and a.end <= cue.start and cue.start - a.end <= 3), None)
                    if anon is not None and (speaker is None or anon.start < speaker.start):
                        frame["anonymous"] = anon.text
                        speaker = None
                    frame["speaker"], frame["channel"] = speaker, channel
                    if kind == "prep":
                        # «..., وفق ما أفاد المرصد»: a source named at the end covers the sentence
                        frame["start"] = sent.start if not any(f["sent"] == sent.start for f in claims) else cue.start
                if frame["speaker"] is None and frame["anonymous"] is None:
                    if last_speaker is None or kind == "prep":
                        continue
                    frame["speaker"], frame["anonymous"], frame["channel"] = (
                        last_speaker["speaker"], last_speaker["anonymous"], last_speaker["channel"])
                    frame["kind"] = "continuation"
                claims.append(frame)
                last_speaker = frame
            if not sent_cues:
                # a sentence in the article's own voice ends the current speaker's turn,
                # unless it is a bare quotation continuing it
                first = doc[sent.start].text
                if first not in ("«", "“", '"'):
                    last_speaker = None
        doc._.claims = sorted(claims, key=lambda f: f["start"])
        return doc


def source_for(doc: Doc, token_index: int) -> dict | None:
    """The reporting frame that covers token `token_index`, or None for the article's own voice.

    A frame covers its sentence from its start on; a sentence-final source preposition covers
    the whole sentence; an event before the first frame of its sentence takes that frame too
    when the frame is a verb whose object clause follows (VSO reporting puts it after).
    """
    sent_start = doc[token_index].sent.start
    in_sent = [f for f in (doc._.claims or []) if f["sent"] == sent_start]
    if not in_sent:
        return None
    preceding = [f for f in in_sent if f["start"] <= token_index]
    if preceding:
        return preceding[-1]
    return in_sent[0]


@Language.factory("eventkg_attribution", default_config={"data_dir": str(DATA_DIR), "speaker_window": 10})
def make_attribution(nlp: Language, name: str, data_dir: str, speaker_window: int) -> Attribution:
    return Attribution(nlp, name, data_dir, speaker_window)
