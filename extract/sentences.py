"""Sentence boundaries for Arabic news: . ! ? ؟ … and line breaks; quotes stay with their sentence.

A spaced Latin comma before a و-clause («أمس , وقال بالي») also ends a sentence: some outlets
use it as their full stop.
"""
from __future__ import annotations

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

ENDERS = frozenset({".", "!", "?", "؟", "…", "!؟", "..."})
CLOSERS = frozenset({"»", "”", '"', ")", "’"})


class SentenceSplitter:
    """Pipe: sets `token.is_sent_start` (a sentence ends after an ender and any closing quotes)."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        starts = [False] * len(doc)
        starts[0] = True
        i = 0
        n = len(doc)
        while i < n:
            tok = doc[i]
            if "\n" in tok.text or "\n" in tok.whitespace_:
                # the next sentence starts at the next real token; blank lines join the previous one
                j = i + 1
                while j < n and doc[j].is_space:
                    j += 1
                if j < n:
                    starts[j] = True
                i = j - 1 if j > i + 1 else i
            elif tok.text == "," and tok.whitespace_ and i > 0 and doc[i - 1].whitespace_ and i + 1 < n and doc[i + 1].text.startswith("و"):
                # some outlets separate sentences with a spaced Latin comma: «أمس , وقال بالي ...»
                starts[i + 1] = True
            elif tok.text in ENDERS and not (i > 0 and tok.text == "." and doc[i - 1].like_num and i + 1 < n and doc[i + 1].like_num):
                j = i + 1
                while j < n and (doc[j].text in CLOSERS or doc[j].is_space):
                    j += 1
                if j < n:
                    starts[j] = True
                i = j - 1 if j > i + 1 else i
            i += 1
        # one array write: setting token.is_sent_start token by token rescans the doc each time
        values = numpy.array([1 if start else -1 for start in starts], dtype="int64").astype("uint64")
        doc.from_array([SENT_START], values.reshape(-1, 1))
        return doc


@Language.factory("eventkg_sentences")
def make_sentence_splitter(nlp: Language, name: str) -> SentenceSplitter:
    return SentenceSplitter(name)
