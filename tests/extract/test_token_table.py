"""The shortcuts the components take for speed give what spaCy's own objects give.

token_table's lists against Token and Span attributes, `longest_first` against
`spacy.util.filter_spans`, and the one-matcher cue groups against one PhraseMatcher per table.
"""
from __future__ import annotations

import random

import pytest
from spacy.matcher import PhraseMatcher
from spacy.tokens import Span
from spacy.util import filter_spans

from extract.cues import WORD_LIST_TABLES, longest_first, phrase_doc
from extract.lexicon import LABEL_COLUMN
from extract.token_table import span_list, span_rows, token_table

# line breaks, a blank line, quotes, a decimal number, a spaced comma before و, a heading
TEXT = ("معارك الباغوز\n\n"
        "قال المرصد السوري لحقوق الإنسان إن «قسد» سيطرت على 2.5 كيلومتر , وقتل 16 مدنياً.\n"
        "وأضاف: \"الاشتباكات مستمرة\" في ريف دير الزور!")


@pytest.fixture(scope="module")
def docs(nlp, seed_articles):
    out = []
    for text in [TEXT, *(a.text for a in seed_articles)]:
        doc = nlp.make_doc(text)
        out.append(nlp(doc))
    return out


def test_token_lists_are_the_tokens_attributes(docs):
    for doc in docs:
        table = token_table(doc)
        assert table.texts == [t.text for t in doc]
        assert table.norms == [t.norm_ for t in doc]
        assert table.idx == [t.idx for t in doc]
        assert table.spaces == [1 if t.whitespace_ else 0 for t in doc]
        assert table.is_alpha == [t.is_alpha for t in doc]
        assert table.like_num == [t.like_num for t in doc]
        assert table.is_space == [t.is_space for t in doc]
        assert table.is_punct == [t.is_punct for t in doc]
        assert [table.end_char(t.i) for t in doc] == [t.idx + len(t.text) for t in doc]


def test_sentence_lists_are_doc_sents(docs):
    for doc in docs:
        table = token_table(doc)
        sents = list(doc.sents)
        assert table.sent_starts == [s.start for s in sents]
        assert table.sent_ends == [s.end for s in sents]
        for token in doc:
            sent = doc[token.i:token.i + 1].sent
            assert (table.sent_of[token.i], table.sent_end_of[token.i]) == (sent.start, sent.end)
            assert table.sent_index_of[token.i] == next(k for k, s in enumerate(sents) if s.start == sent.start)
        assert [table.span_text(s.start, s.end) for s in sents] == [s.text for s in sents]


def test_line_bounds_stop_at_line_breaks(docs):
    doc = docs[0]
    table = token_table(doc)
    for token in doc:
        start, end = table.line_bounds(token.i, token.i + 1)
        line = doc[start:end]
        assert "\n" not in line.text or "\n" in token.text
        assert start == 0 or "\n" in doc[start - 1].text
        assert end == len(doc) or "\n" in doc[end].text
        assert table.alpha_before[end] - table.alpha_before[start] == sum(t.is_alpha for t in line)


def test_span_rows_follow_the_group(docs):
    doc = docs[0]
    assert span_rows(doc, "entities") == [(s.start, s.end, s.label_, s.kb_id_) for s in doc.spans["entities"]]
    assert span_list(doc, "entities") == list(doc.spans["entities"])
    doc.spans["entities"] = list(doc.spans["entities"])[:1]
    assert [r[:2] for r in span_rows(doc, "entities")] == [(s.start, s.end) for s in doc.spans["entities"]]
    assert span_rows(doc, "no such group") == [] and span_list(doc, "no such group") == []


def test_longest_first_is_filter_spans(nlp):
    doc = nlp.make_doc(" ".join(["كلمة"] * 40))
    rng = random.Random(7)
    for _ in range(3000):
        ranges = []
        for k in range(rng.randint(0, 12)):
            start = rng.randint(0, 38)
            end = rng.randint(start + (0 if rng.random() < 0.05 else 1), min(40, start + 5))
            ranges.append((start, end, str(k)))
        if rng.random() < 0.7:
            ranges.sort(key=lambda r: r[0])   # as matchers give them
        expected = [(s.start, s.end, s.label_) for s in filter_spans([Span(doc, *r) for r in ranges])]
        assert longest_first(ranges) == expected, ranges


def test_cue_groups_are_one_matcher_per_table(nlp, docs):
    """The single matcher over all tables, hits resolved per table, gives what one PhraseMatcher
    per table and filter_spans give (rows repeating a phrase included); the word-list tables get
    no span group."""
    cues = nlp.get_pipe("eventkg_cues")
    for table in WORD_LIST_TABLES:
        assert table in cues.lexicons.phrases and all(table not in doc.spans for doc in docs)
    for table, rows in cues.lexicons.phrases.items():
        if table in WORD_LIST_TABLES:
            continue
        matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        for index, row in enumerate(rows):
            pattern = phrase_doc(nlp.vocab, nlp.tokenizer, row["form"])
            if len(pattern):
                matcher.add(f"{table}|{row[LABEL_COLUMN[table]]}|{index}", [pattern])
        for doc in docs:
            spans = []
            for match_id, start, end in matcher(doc):
                _, label, index = nlp.vocab.strings[match_id].split("|")
                spans.append(Span(doc, start, end, label=label, kb_id=index))
            expected = [(s.start, s.end, s.label_, s.kb_id_) for s in sorted(filter_spans(spans), key=lambda s: s.start)]
            assert [(s.start, s.end, s.label_, s.kb_id_) for s in doc.spans[table]] == expected, table
