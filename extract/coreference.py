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

from .arabic import match_key
from .cues import longest_first
from .lexicon import DATA_DIR, load_lexicons
from .token_table import remember, span_list, span_rows, token_table


# a surname made of these and the next word is used whole («وأوضح عبد الرحمن»), never its second half
COMPOUND_SURNAME_HEADS = frozenset(match_key(w) for w in "عبد أبو ابو بن".split())
ANTECEDENTS = 50   # how many earlier entities of the right type a description may look back over


class Coreference:
    """Pipe: resolves surnames and definite descriptions to earlier entities."""

    def __init__(self, nlp: Language, name: str, data_dir: str, max_distance: int):
        self.name = name
        self.lexicons = load_lexicons(data_dir)
        self.max_distance = max_distance

    def _names(self, span: Span) -> set[str]:
        return set(token_table(span.doc).norms[span.start:span.end]) | self._alias_keys(span.kb_id_)

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
        texts = token_table(span.doc).texts
        around = [texts[span.start]] + ([texts[span.start - 1]] if span.start > 0 else [])
        return head is not None and any(match_key(t) == head for t in around)

    def __call__(self, doc: Doc) -> Doc:
        table = token_table(doc)
        texts, norms = table.texts, table.norms
        entities = span_list(doc, "entities")
        rows = span_rows(doc, "entities")
        starts = [r[0] for r in rows]
        taken = {i for start, end, _, _ in rows for i in range(start, end)}
        surnames: dict[str, Span] = {}
        compound: dict[tuple[str, str], Span] = {}   # «عبد الرحمن», «أبو عمشة»: two-word surnames
        for span, (start, end, label, _) in zip(entities, rows):
            if label == "Person" and end - start >= 2:
                if end - start >= 3 and norms[end - 2] in COMPOUND_SURNAME_HEADS:
                    compound[(norms[end - 2], norms[end - 1])] = span
                else:
                    surnames[norms[end - 1]] = span
        added: list[Span] = []
        for i in range(len(norms) - 1):
            antecedent = compound.get((norms[i], norms[i + 1]))
            if antecedent is not None and antecedent.start < i and i not in taken and i + 1 not in taken:
                added.append(Span(doc, i, i + 2, label="Person", kb_id=antecedent.kb_id_))
                taken.update((i, i + 1))
        if surnames:
            for i in [i for i, norm in enumerate(norms) if norm in surnames]:
                if i in taken:
                    continue
                antecedent = surnames[norms[i]]
                if antecedent.start < i and len(norms[i]) > 2:
                    added.append(Span(doc, i, i + 1, label="Person", kb_id=antecedent.kb_id_))
        names: dict[int, set[str]] = {}   # entity number → its names, made once per document
        for desc_start, desc_end, _, row_id in span_rows(doc, "descriptions"):
            if any(k in taken for k in range(desc_start, desc_end)):
                continue
            # a description is definite («التنظيم», «للتنظيم»), not the head of a new name («تنظيم X»)
            if "ال" not in texts[desc_start][:4] and not texts[desc_start].startswith("لل"):
                continue
            row = self.lexicons.phrases["descriptions"][int(row_id)]
            head = match_key(row["head_word"]) if row["head_word"] else None
            wanted = set(row["entity_type"].split("|"))
            subtypes = set(row["subtypes"].split("|")) if row["subtypes"] else None
            # entities are sorted by start: everything before the description, nearest last
            before: list[int] = []
            for k in range(bisect.bisect_left(starts, desc_start) - 1, -1, -1):
                if len(before) == ANTECEDENTS:
                    break
                if rows[k][1] <= desc_start and rows[k][2] in wanted and (
                        subtypes is None or self._subtype_fits(entities[k], subtypes, head)):
                    before.append(k)
            before.reverse()
            chosen = None
            if head:
                for k in reversed(before):
                    if k not in names:
                        names[k] = self._names(entities[k])
                    if head in names[k]:
                        chosen = entities[k]
                        break
            if chosen is None and before and desc_start - rows[before[-1]][1] <= self.max_distance:
                chosen = entities[before[-1]]
            if chosen is not None:
                added.append(Span(doc, desc_start, desc_end, label=chosen.label_, kb_id=chosen.kb_id_))
        kept = longest_first([(span.start, span.end, span) for span in entities + added])
        spans = [span for _, _, span in kept]
        doc.spans["entities"] = spans
        remember(doc, "entities", spans=spans)
        return doc


@Language.factory("eventkg_coreference", default_config={"data_dir": str(DATA_DIR), "max_distance": 120})
def make_coreference(nlp: Language, name: str, data_dir: str, max_distance: int) -> Coreference:
    return Coreference(nlp, name, data_dir, max_distance)
