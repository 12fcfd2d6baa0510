"""Entity recognition: gazetteer names, nisba phrases and context rules.

Writes `doc.spans["entities"]`: label = entity type (Person, ArmedGroup, ..., Place),
`kb_id_` = gazetteer id, or `new:<key>` for a name found by a context rule only.
Rules: a title before a person's name (الناطق باسم ... مصطفى بالي), a role after it
(ينس لايركه المتحدث باسم), a place noun before a place (ناحية شران), an organisation head
before an organisation (وكالة «هاوار»), and a head + nisba adjective for a country
(الطائرات الروسية → Russia).
"""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from . import extensions  # noqa: F401  (registers Doc._ attributes)
from .cues import phrase_doc
from .lexicon import DATA_DIR, load_lexicons

_NAME_TOKEN = re.compile(r"^[\u0621-\u064A\u0640\u064B-\u0652\u0670A-Za-z0-9]+$")
# First words of compound place names: the next word belongs to the name (الشيخ حمد، تل أبيض).
COMPOUND_PLACE_STARTS = frozenset(
    "شيخ تل عين دير كفر جسر معره خان راس بير بئر ابو ام بني حي سوق باب جبل وادي قصر مزرعه عرب بيت قلعه مرج".split()
)
# Heads kept inside the place's name (gold and users write «مخيم الهول», «مسجد التوحيد»).
NAMED_PLACE_KINDS = frozenset({"named_place"})
QUOTE_OPEN = frozenset("«“\"")
QUOTE_CLOSE = frozenset("»”\"")


def new_entity_key(tokens) -> str:
    """Identity of a rule-found entity: its tokens' match keys."""
    return "new:" + " ".join(t.norm_ for t in tokens)


class EntityRecognizer:
    """Pipe: gazetteer + rules → `doc.spans["entities"]`."""

    def __init__(self, nlp: Language, name: str, data_dir: str, max_name_tokens: int):
        self.name = name
        self.lexicons = lex = load_lexicons(data_dir)
        self.max_name_tokens = max_name_tokens
        self.matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        for entry in lex.gazetteer.values():
            patterns = [phrase_doc(nlp.vocab, nlp.tokenizer, a) for a in entry.aliases]
            self.matcher.add(f"{entry.type}|{entry.id}", [p for p in patterns if len(p)])
        self.heads = {phrase_doc(nlp.vocab, nlp.tokenizer, r["form"])[0].norm_ for r in lex.demonym_heads}
        self.stop = {phrase_doc(nlp.vocab, nlp.tokenizer, r["form"])[0].norm_ for r in lex.phrases["stopwords"]}
        self.stop_function = frozenset(self.stop)
        # words some cue lexicon knows (سيطرة، المنطقة، الإرهابي ...) are never part of a rule-found name
        gazetteer_words = {
            t.norm_ for e in lex.gazetteer.values() for a in e.aliases for t in phrase_doc(nlp.vocab, nlp.tokenizer, a)
        }
        self.stop |= lex.vocabulary - gazetteer_words

    # -- helpers ---------------------------------------------------------------
    def _namelike(self, doc: Doc, i: int, taken: set[int], cue_tokens: set[int]) -> bool:
        tok = doc[i]
        return (
            bool(_NAME_TOKEN.match(tok.text))
            and not tok.like_num
            and i not in taken
            and i not in cue_tokens
            and tok.norm_ not in self.stop
            and len(tok.norm_) > 1
        )

    def _quoted(self, doc: Doc, i: int) -> tuple[int, int] | None:
        """If a quote opens at token i, the token range inside it (short names only)."""
        if i < len(doc) and doc[i].text in QUOTE_OPEN:
            for j in range(i + 1, min(i + 2 + self.max_name_tokens, len(doc))):
                if doc[j].text in QUOTE_CLOSE:
                    return (i + 1, j) if j > i + 1 else None
        return None

    def _name_range(self, doc, j, taken, cue_tokens, limit) -> tuple[int, int, bool]:
        """The name right after a cue at token j: a short quoted name, else up to `limit`
        name-like tokens. Returns (start, end, quoted)."""
        quoted = self._quoted(doc, j)
        if quoted:
            return quoted[0], quoted[1], True
        return j, self._name_after(doc, j, taken, cue_tokens, limit), False

    def _name_after(self, doc, i, taken, cue_tokens, limit):
        end = i
        while end < len(doc) and end - i < limit and self._namelike(doc, end, taken, cue_tokens):
            if doc[end].is_sent_start and end > i:
                break
            end += 1
        return end

    def _place_name_start(self, first, cue: Span) -> bool:
        """Whether `first`, right after a place noun, can begin a new place's name.

        Not a word joined by و or a preposition («قرى ومنشآت», «سوق للخضار», «حاجز بالأسلحة»),
        nor an indefinite nisba adjective («أحياء سكنية», «سوق شعبي»); after a noun such as سوق /
        محطة / حاجز a new name must be definite («سوق الهال»), since those nouns are mostly
        followed by a description («محطة كهرباء»)."""
        text = first.text.lstrip("ـ")
        if text.startswith(("و", "لل", "بال", "كال", "فال")):
            return False
        # «الأحياء السكنية», «البلدة القديمة»: after a definite noun comes its adjective, not a name
        head = cue.doc[cue.start].text
        if head.startswith(("ال", "لل")) or head[1:3] == "ال":
            return False
        definite = text.startswith("ال")
        if not definite and first.norm_.endswith(("ي", "يه")) and len(first.norm_) >= 4:
            return False
        row = self.lexicons.phrases["place_cues"][int(cue.kb_id_)]
        return definite or row["names"] == "bare"

    # -- pipe ------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        strings = doc.vocab.strings
        known: list[Span] = []
        for match_id, start, end in self.matcher(doc):
            etype, eid = strings[match_id].split("|", 1)
            known.append(Span(doc, start, end, label=etype, kb_id=eid))
        for i in range(len(doc) - 1):
            if doc[i].norm_ in self.heads:
                # «الطائرات الروسية», «قوات الأمن التركية», «الطيران الحربي الروسي»
                for j in range(i + 1, min(i + 4, len(doc))):
                    country = self.lexicons.demonyms.get(doc[j].norm_)
                    if country and country in self.lexicons.gazetteer:
                        known.append(Span(doc, i, j + 1, label="Country", kb_id=country))
                        break
                    # the normalised form: a shadda («ومسيّرة») is not a letter to is_alpha
                    if not doc[j].norm_.isalpha() or doc[j].norm_ in self.stop_function:
                        break
        known = filter_spans(known)
        taken = {i for s in known for i in range(s.start, s.end)}
        cue_tokens = {
            i
            for table in ("triggers", "reporting", "person_cues", "place_cues", "org_cues", "dates", "numbers", "certainty", "categories", "descriptions", "casualties")
            for s in doc.spans.get(table, [])
            for i in range(s.start, s.end)
        }
        found = self._rule_entities(doc, taken, cue_tokens)
        doc.spans["entities"] = sorted(filter_spans(known + found), key=lambda s: s.start)
        return doc

    def _rule_entities(self, doc: Doc, taken: set[int], cue_tokens: set[int]) -> list[Span]:
        out: list[Span] = []
        def add(start, end, label):
            if end > start and not any(k in taken for k in range(start, end)):
                out.append(Span(doc, start, end, label=label, kb_id=new_entity_key(doc[start:end])))
                taken.update(range(start, end))

        # A title, optionally followed by the body it speaks for, then the name.
        titles = {i for c in doc.spans.get("person_cues", []) if c.label_ == "title" for i in range(c.start, c.end)}
        for cue in doc.spans.get("person_cues", []):
            if cue.label_ == "title" or cue.label_ == "kunya":
                j = cue.end
                # skip «باسم قوات سوريا الديمقراطية» / «التحالف» / a second title («الجنرال»)
                while j < len(doc) and (j in taken or j in titles or doc[j].text in QUOTE_OPEN | QUOTE_CLOSE):
                    j += 1
                start = cue.start if cue.label_ == "kunya" else j
                end = self._name_after(doc, j, taken, cue_tokens, self.max_name_tokens)
                if cue.label_ == "kunya":
                    end = max(end, cue.end)
                if end - start >= 2 or (cue.label_ == "kunya" and end > start):
                    add(start, end, "Person")
            elif cue.label_ == "role_after":
                # «ينس لايركه المتحدث باسم ...»: two name-like tokens just before the role
                end = cue.start
                start = end
                while start > 0 and end - start < 3 and self._namelike(doc, start - 1, taken, cue_tokens):
                    start -= 1
                if end - start >= 2:
                    add(start, end, "Person")
        for cue in doc.spans.get("place_cues", []):
            if cue.label_ not in ("place_noun", "named_place"):
                continue
            start, end, quoted = self._name_range(doc, cue.end, taken, cue_tokens, 1)
            if not quoted:
                if end > start and end < len(doc):
                    first = doc[start].norm_
                    nxt = doc[end]
                    if first in COMPOUND_PLACE_STARTS and self._namelike(doc, end, taken, cue_tokens):
                        end += 1
                    elif nxt.text.startswith("ال") and nxt.norm_.endswith(("ي", "يه")) and self._namelike(doc, end, taken, cue_tokens):
                        end += 1
            if end > start and (quoted or self._place_name_start(doc[start], cue)):
                if cue.label_ == "named_place":
                    start = cue.start
                add(start, end, "Place")
        for cue in doc.spans.get("org_cues", []):
            # a definite head («التنظيم يتراجع») is a description of a known body, not a new name
            if "ال" in doc[cue.start].text[:4]:
                continue
            start, end, quoted = self._name_range(doc, cue.end, taken, cue_tokens, 2)
            if end > start:
                # «وكالة هاوار» keeps its head; a quoted name is the name alone
                add(start if quoted else cue.start, end, cue.label_)
        return out


@Language.factory(
    "eventkg_entities", default_config={"data_dir": str(DATA_DIR), "max_name_tokens": 3}
)
def make_entity_recognizer(nlp: Language, name: str, data_dir: str, max_name_tokens: int) -> EntityRecognizer:
    return EntityRecognizer(nlp, name, data_dir, max_name_tokens)
