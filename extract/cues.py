"""Lexicon matching: match keys on tokens and phrase-table cues as span groups.

`MatchKeys` writes each token's lexicon key to `token.norm_` (clitic-aware, see
`arabic.MatchKeyer`). `CueMatcher` runs one PhraseMatcher per lexicon table over those keys
and stores the hits in `doc.spans[<table>]`, each span labelled by the table's label column
and carrying its row number in `span.kb_id_`, so later components can read the row.
"""
from __future__ import annotations

from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .arabic import MatchKeyer, match_key
from .lexicon import DATA_DIR, LABEL_COLUMN, Lexicons, load_lexicons


def phrase_doc(nlp_vocab, tokenizer, phrase: str) -> Doc:
    """A pattern Doc for `phrase` whose NORMs are lexicon keys, as text tokens get them."""
    doc = tokenizer(phrase)
    for token in doc:
        token.norm_ = match_key(token.text)
    return doc


class MatchKeys:
    """Pipe: sets `token.norm_` to the token's lexicon key."""

    def __init__(self, nlp: Language, name: str, data_dir: str):
        self.name = name
        self.keyer = MatchKeyer(load_lexicons(data_dir).vocabulary)

    def __call__(self, doc: Doc) -> Doc:
        keyer = self.keyer
        for token in doc:
            token.norm_ = keyer(token.text)
        return doc


@Language.factory("eventkg_match_keys", default_config={"data_dir": str(DATA_DIR)})
def make_match_keys(nlp: Language, name: str, data_dir: str) -> MatchKeys:
    return MatchKeys(nlp, name, data_dir)


class CueMatcher:
    """Pipe: finds every phrase of every lexicon table; one span group per table.

    Within a table, overlapping hits are resolved longest-first (`ما لا يقل عن` beats `لا`).
    """

    def __init__(self, nlp: Language, name: str, data_dir: str):
        self.name = name
        self.lexicons: Lexicons = load_lexicons(data_dir)
        self.matchers: dict[str, PhraseMatcher] = {}
        for table, rows in self.lexicons.phrases.items():
            matcher = PhraseMatcher(nlp.vocab, attr="NORM")
            label_col = LABEL_COLUMN[table]
            for index, row in enumerate(rows):
                pattern = phrase_doc(nlp.vocab, nlp.tokenizer, row["form"])
                if len(pattern):
                    matcher.add(f"{table}|{row[label_col]}|{index}", [pattern])
            self.matchers[table] = matcher

    def __call__(self, doc: Doc) -> Doc:
        strings = doc.vocab.strings
        for table, matcher in self.matchers.items():
            spans = []
            for match_id, start, end in matcher(doc):
                _, label, index = strings[match_id].split("|")
                spans.append(Span(doc, start, end, label=label, kb_id=index))
            doc.spans[table] = sorted(filter_spans(spans), key=lambda s: s.start)
        return doc

    def row(self, table: str, span: Span) -> dict[str, str]:
        """The lexicon row that produced `span` (found in `doc.spans[table]`)."""
        return self.lexicons.phrases[table][int(span.kb_id_)]


@Language.factory("eventkg_cues", default_config={"data_dir": str(DATA_DIR)})
def make_cue_matcher(nlp: Language, name: str, data_dir: str) -> CueMatcher:
    return CueMatcher(nlp, name, data_dir)


def cue_row(doc: Doc, table: str, span: Span) -> dict[str, str]:
    """Lexicon row behind a span of `doc.spans[table]` (uses the doc's data folder)."""
    return load_lexicons(doc._.data_dir).phrases[table][int(span.kb_id_)]


def covers(spans, token_index: int) -> Span | None:
    """The span among `spans` that contains token `token_index`, if any."""
    for span in spans:
        if span.start <= token_index < span.end:
            return span
    return None


