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

from . import extensions  # noqa: F401  (registers Doc._ attributes)
from .arabic import per_string
from .cues import longest_first, phrase_doc
from .lexicon import DATA_DIR, load_lexicons
from .token_table import remember, span_rows, token_table

_NAME_TOKEN = re.compile(r"^[\u0621-\u064A\u0640\u064B-\u0652\u0670A-Za-z0-9]+$")
# First words of compound place names: the next word belongs to the name (الشيخ حمد، تل أبيض).
COMPOUND_PLACE_STARTS = frozenset(
    "شيخ تل عين دير كفر جسر معره خان راس بير بئر ابو ام بني حي سوق باب جبل وادي قصر مزرعه عرب بيت قلعه مرج".split()
)
# Heads kept inside the place's name (gold and users write «مخيم الهول», «مسجد التوحيد»).
NAMED_PLACE_KINDS = frozenset({"named_place"})
# words between a reporting frame and its quoted source: «بحسب ما أفاد به "..."»
REPORT_FILLERS = frozenset({"ما", "به", "بها", "عنه", "عنها"})
QUOTE_OPEN = frozenset("«“\"")
QUOTE_CLOSE = frozenset("»”\"")


@per_string()
def _name_token(text: str) -> bool:
    return bool(_NAME_TOKEN.match(text))


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
        # «الشمال السوري», «الأراضي السورية»: the country as a place, never as an actor
        self.territory_heads = {phrase_doc(nlp.vocab, nlp.tokenizer, r["form"])[0].norm_
                                for r in lex.demonym_heads if r["kind"] == "territory"}
        self.stop = {phrase_doc(nlp.vocab, nlp.tokenizer, r["form"])[0].norm_ for r in lex.phrases["stopwords"]}
        self.stop_function = frozenset(self.stop)
        # words some cue lexicon knows (سيطرة، المنطقة، الإرهابي ...) are never part of a rule-found name
        gazetteer_words = {
            t.norm_ for e in lex.gazetteer.values() for a in e.aliases for t in phrase_doc(nlp.vocab, nlp.tokenizer, a)
        }
        self.stop |= lex.vocabulary - gazetteer_words
        self._labels: dict[int, tuple[str, str]] = {}   # match id → (type, gazetteer id)

    # -- helpers ---------------------------------------------------------------
    def _namelike(self, doc: Doc, i: int, taken: set[int], cue_tokens: set[int]) -> bool:
        table = token_table(doc)
        norm = table.norms[i]
        text = table.texts[i]
        # «لمكتب», «بالمخيم»: a preposition on a known word ends a name
        if text[:1] in ("ل", "ب") and not norm.startswith(text[:1]):
            return False
        return (
            _name_token(text)
            and not table.like_num[i]
            and i not in taken
            and i not in cue_tokens
            and norm not in self.stop
            and len(norm) > 1
        )

    def _quoted(self, doc: Doc, i: int) -> tuple[int, int] | None:
        """If a quote opens at token i, the token range inside it (short names only)."""
        texts = token_table(doc).texts
        if i < len(doc) and texts[i] in QUOTE_OPEN:
            for j in range(i + 1, min(i + 2 + self.max_name_tokens, len(doc))):
                if texts[j] in QUOTE_CLOSE:
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
        sent_of = token_table(doc).sent_of
        end = i
        while end < len(doc) and end - i < limit and self._namelike(doc, end, taken, cue_tokens):
            if sent_of[end] == end and end > i:   # a sentence starts here
                break
            end += 1
        return end

    def _place_name_start(self, doc: Doc, i: int, cue_start: int, cue_row: str) -> bool:
        """Whether token `i`, right after a place noun (the cue at `cue_start`, row `cue_row` of
        place_cues.tsv), can begin a new place's name.

        Not a word joined by و or a preposition («قرى ومنشآت», «سوق للخضار», «حاجز بالأسلحة»),
        nor an indefinite nisba adjective («أحياء سكنية», «سوق شعبي»); after a noun such as سوق /
        محطة / حاجز a new name must be definite («سوق الهال»), since those nouns are mostly
        followed by a description («محطة كهرباء»)."""
        table = token_table(doc)
        text, norm = table.texts[i].lstrip("ـ"), table.norms[i]
        if text.startswith(("و", "لل", "بال", "كال", "فال")):
            return False
        # «الأحياء السكنية», «البلدة القديمة»: after a definite noun comes its adjective, not a name
        head = table.texts[cue_start]
        if head.startswith(("ال", "لل")) or head[1:3] == "ال":
            return False
        definite = text.startswith("ال")
        if not definite and norm.endswith(("ي", "يه")) and len(norm) >= 4:
            return False
        row = self.lexicons.phrases["place_cues"][int(cue_row)]
        return definite or row["names"] == "bare"

    # -- pipe ------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        strings = doc.vocab.strings
        table = token_table(doc)
        norms = table.norms
        # (start, end, label, kb_id) rows; Span objects are made for the entities kept only
        known: list[tuple[int, int, str, str]] = []
        labels = self._labels
        for match_id, start, end in self.matcher(doc):
            info = labels.get(match_id)
            if info is None:
                info = labels[match_id] = tuple(strings[match_id].split("|", 1))
            known.append((start, end, info[0], info[1]))
        heads = self.heads
        for i in [i for i in range(len(doc) - 1) if norms[i] in heads]:
            # «الطائرات الروسية», «قوات الأمن التركية», «الطيران الحربي الروسي»
            for j in range(i + 1, min(i + 4, len(doc))):
                country = self.lexicons.demonyms.get(norms[j])
                if country and country in self.lexicons.gazetteer:
                    known.append((i, j + 1, "Place" if norms[i] in self.territory_heads else "Country", country))
                    break
                # the normalised form: a shadda («ومسيّرة») is not a letter to is_alpha
                if not norms[j].isalpha() or norms[j] in self.stop_function:
                    break
        known = longest_first(known)
        taken = {i for start, end, _, _ in known for i in range(start, end)}
        cue_tokens = {
            i
            for name in ("triggers", "reporting", "person_cues", "place_cues", "org_cues", "dates", "numbers", "certainty", "categories", "descriptions", "casualties")
            for start, end, _, _ in span_rows(doc, name)
            for i in range(start, end)
        }
        found = self._rule_entities(doc, taken, cue_tokens, frozenset((a, b) for a, b, _, _ in known))
        rows = longest_first(known + found)
        spans = [Span(doc, start, end, label=label, kb_id=kb_id) for start, end, label, kb_id in rows]
        doc.spans["entities"] = spans
        remember(doc, "entities", rows=rows, spans=spans)
        return doc

    def _rule_entities(self, doc: Doc, taken: set[int], cue_tokens: set[int],
                       known_ranges: frozenset[tuple[int, int]] = frozenset()) -> list[tuple[int, int, str, str]]:
        """Names found by context rules, as (start, end, label, kb_id) rows. `known_ranges`: the
        (start, end) of gazetteer names, which a quoted reporting body must not merely repeat."""
        table = token_table(doc)
        texts, norms = table.texts, table.norms
        out: list[tuple[int, int, str, str]] = []
        def add(start, end, label):
            if end > start and not any(k in taken for k in range(start, end)):
                out.append((start, end, label, "new:" + " ".join(norms[start:end])))
                taken.update(range(start, end))

        # A title, optionally followed by the body it speaks for, then the name.
        person_cues = span_rows(doc, "person_cues")
        titles = {i for c_start, c_end, label, _ in person_cues if label == "title" for i in range(c_start, c_end)}
        quotes = QUOTE_OPEN | QUOTE_CLOSE
        for cue_start, cue_end, label, _ in person_cues:
            if label == "title" or label == "kunya":
                j = cue_end
                # skip «باسم قوات سوريا الديمقراطية» / «التحالف» / a second title («الجنرال»)
                while j < len(doc) and (j in taken or j in titles or texts[j] in quotes):
                    j += 1
                start = cue_start if label == "kunya" else j
                end = self._name_after(doc, j, taken, cue_tokens, self.max_name_tokens)
                if label == "kunya":
                    end = max(end, cue_end)
                if end - start >= 2 or (label == "kunya" and end > start):
                    add(start, end, "Person")
            elif label == "role_after":
                # «ينس لايركه المتحدث باسم ...»: two name-like tokens just before the role
                end = cue_start
                start = end
                while start > 0 and end - start < 3 and self._namelike(doc, start - 1, taken, cue_tokens):
                    start -= 1
                if end - start >= 2:
                    add(start, end, "Person")
        for cue_start, cue_end, label, row_id in span_rows(doc, "place_cues"):
            if label not in ("place_noun", "named_place"):
                continue
            start, end, quoted = self._name_range(doc, cue_end, taken, cue_tokens, 1)
            if not quoted:
                if end > start and end < len(doc):
                    first = norms[start]
                    if first in COMPOUND_PLACE_STARTS and self._namelike(doc, end, taken, cue_tokens):
                        end += 1
                    elif texts[end].startswith("ال") and norms[end].endswith(("ي", "يه")) and self._namelike(doc, end, taken, cue_tokens):
                        end += 1
            if end > start and (quoted or self._place_name_start(doc, start, cue_start, row_id)):
                if label == "named_place":
                    start = cue_start
                add(start, end, "Place")
        # «بحسب ما أفاد به "تجمع أحرار حوران"», «وقالت "شبكة فرات بوست"»: a short quoted name right
        # after a reporting frame is the body that reports (it wins over a place inside it)
        for cue_start, cue_end, label, _ in span_rows(doc, "reporting"):
            if label not in ("verb", "prep"):
                continue
            j = cue_end
            while j < len(doc) and norms[j] in REPORT_FILLERS:
                j += 1
            quoted = self._quoted(doc, j)
            if quoted and quoted[1] - quoted[0] >= 2 and not any(k in cue_tokens for k in range(*quoted)) \
                    and quoted not in known_ranges \
                    and all(_name_token(texts[k]) for k in range(*quoted)):
                out.append((quoted[0], quoted[1], "Organization", "new:" + " ".join(norms[quoted[0]:quoted[1]])))
                taken.update(range(*quoted))
        for cue_start, cue_end, label, _ in span_rows(doc, "org_cues"):
            # a definite head («التنظيم يتراجع») is a description of a known body, not a new name
            if "ال" in texts[cue_start][:4]:
                continue
            start, end, quoted = self._name_range(doc, cue_end, taken, cue_tokens, 2)
            if end > start:
                # «وكالة هاوار» keeps its head; a quoted name is the name alone
                add(start if quoted else cue_start, end, label)
        return out


@Language.factory(
    "eventkg_entities", default_config={"data_dir": str(DATA_DIR), "max_name_tokens": 3}
)
def make_entity_recognizer(nlp: Language, name: str, data_dir: str, max_name_tokens: int) -> EntityRecognizer:
    return EntityRecognizer(nlp, name, data_dir, max_name_tokens)
