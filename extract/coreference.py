"""In-document coreference: later surnames, and definite descriptions standing for a named actor or place.

Adds to `doc.spans["entities"]` mentions whose `kb_id_` is their antecedent's:
- a person's last name alone after the full name (بالي → مصطفى بالي);
- a description such as التنظيم / الوزارة / المرصد (from descriptions.tsv) → the most recent
  preceding entity of the description's type whose Arabic name contains the head word, else
  the most recent entity of that type within `max_distance` tokens; a place description
  (البلدة، القرية، المخيم) only stands for a place of the subtypes its row lists.
Acronyms and short names (قسد) are gazetteer aliases and need no rule here.
"""
from __future__ import annotations

import bisect
import functools

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .arabic import match_key
from .lexicon import DATA_DIR, load_lexicons


ANTECEDENTS = 50   # how many earlier entities of the right type a description may look back over


class Coreference:
    """Pipe: resolves surnames and definite descriptions to earlier entities."""

    def __init__(self, nlp: Language, name: str, data_dir: str, max_distance: int):
        self.name = name
        self.lexicons = load_lexicons(data_dir)
        self.max_distance = max_distance

    def _names(self, span: Span) -> set[str]:
        return {t.norm_ for t in span} | self._alias_keys(span.kb_id_)

    @functools.lru_cache(maxsize=None)  # noqa: B019 — one pipe per process, ids are few
    def _alias_keys(self, entity_id: str) -> frozenset[str]:
        entry = self.lexicons.gazetteer.get(entity_id)
        if entry is None:
            return frozenset()
        return frozenset(match_key(t) for alias in entry.aliases for t in alias.split())

    def _subtype_fits(self, span: Span, subtypes: set[str], head: str | None) -> bool:
        """«القرية» stands for a village or town: a known place of those subtypes, or a new one
        introduced by the same noun («قرية الشعفة»)."""
        entry = self.lexicons.gazetteer.get(span.kb_id_)
        if entry is not None:
            return entry.subtype in subtypes
        doc = span.doc
        around = [doc[span.start]] + ([doc[span.start - 1]] if span.start > 0 else [])
        return head is not None and any(match_key(t.text) == head for t in around)

    def __call__(self, doc: Doc) -> Doc:
        entities = list(doc.spans.get("entities", []))
        starts = [s.start for s in entities]
        taken = {i for s in entities for i in range(s.start, s.end)}
        surnames: dict[str, Span] = {}
        for span in entities:
            if span.label_ == "Person" and len(span) >= 2:
                surnames[span[-1].norm_] = span
        added: list[Span] = []
        for i, token in enumerate(doc):
            if i in taken:
                continue
            antecedent = surnames.get(token.norm_)
            if antecedent is not None and antecedent.start < i and len(token.norm_) > 2:
                added.append(Span(doc, i, i + 1, label="Person", kb_id=antecedent.kb_id_))
        for desc in doc.spans.get("descriptions", []):
            if any(k in taken for k in range(desc.start, desc.end)):
                continue
            # a description is definite («التنظيم», «للتنظيم»), not the head of a new name («تنظيم X»)
            if "ال" not in doc[desc.start].text[:4] and not doc[desc.start].text.startswith("لل"):
                continue
            row = self.lexicons.phrases["descriptions"][int(desc.kb_id_)]
            head = match_key(row["head_word"]) if row["head_word"] else None
            wanted = set(row["entity_type"].split("|"))
            subtypes = set(row["subtypes"].split("|")) if row["subtypes"] else None
            # entities are sorted by start: everything before the description, nearest last
            before: list[Span] = []
            for k in range(bisect.bisect_left(starts, desc.start) - 1, -1, -1):
                if len(before) == ANTECEDENTS:
                    break
                s = entities[k]
                if s.end <= desc.start and s.label_ in wanted and (subtypes is None or self._subtype_fits(s, subtypes, head)):
                    before.append(s)
            before.reverse()
            chosen = None
            if head:
                chosen = next((s for s in reversed(before) if head in self._names(s)), None)
            if chosen is None and before and desc.start - before[-1].end <= self.max_distance:
                chosen = before[-1]
            if chosen is not None:
                added.append(Span(doc, desc.start, desc.end, label=chosen.label_, kb_id=chosen.kb_id_))
        doc.spans["entities"] = sorted(filter_spans(entities + added), key=lambda s: s.start)
        return doc


@Language.factory("eventkg_coreference", default_config={"data_dir": str(DATA_DIR), "max_distance": 120})
def make_coreference(nlp: Language, name: str, data_dir: str, max_distance: int) -> Coreference:
    return Coreference(nlp, name, data_dir, max_distance)
