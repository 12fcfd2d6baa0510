"""Sentence boundaries for Arabic news: . ! ? ؟ … and line breaks; quotes stay with their sentence.

A spaced Latin comma before a و-clause («أمس , وقال بالي») also ends a sentence: some outlets
use it as their full stop.
"""
from __future__ import annotations

from itertools import compress

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from .token_table import token_table

ENDERS = frozenset({".", "!", "?", "؟", "…", "!؟", "..."})
CLOSERS = frozenset({"»", "”", '"', ")", "’"})
_MARKS = ENDERS | {","}


class SentenceSplitter:
    """Pipe: sets `token.is_sent_start` (a sentence ends after an ender and any closing quotes)."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        table = token_table(doc)
        texts, spaces, is_space, like_num = table.texts, table.spaces, table.is_space, table.like_num
        n = len(doc)
        starts = [0]
        # only line breaks, commas and enders can end a sentence; every other token is passed over
        # (enders and commas found in C; the line breaks are the table's, kept for later readers)
        candidates = sorted({*compress(range(n), map(_MARKS.__contains__, texts)), *table.breaks})
        following = 0   # the first token not yet passed over
        for i in candidates:
            if i < following:
                continue
            text = texts[i]
            following = i + 1
            # (a token's whitespace_ is a single space or nothing: line breaks are tokens)
            if "\n" in text:
                # the next sentence starts at the next real token; blank lines join the previous one
                j = i + 1
                while j < n and is_space[j]:
                    j += 1
                if j < n:
                    starts.append(j)
                following = j
            elif text == "," and spaces[i] and i > 0 and spaces[i - 1] and i + 1 < n and texts[i + 1].startswith("و"):
                # some outlets separate sentences with a spaced Latin comma: «أمس , وقال بالي ...»
                starts.append(i + 1)
            elif text in ENDERS and not (i > 0 and text == "." and like_num[i - 1] and i + 1 < n and like_num[i + 1]):
                j = i + 1
                while j < n and (texts[j] in CLOSERS or is_space[j]):
                    j += 1
                if j < n:
                    starts.append(j)
                following = j
        # one array write: setting token.is_sent_start token by token rescans the doc each time
        values = numpy.full(n, -1, dtype="int64")
        values[starts] = 1
        doc.from_array([SENT_START], values.astype("uint64").reshape(-1, 1))
        table.forget("sent_starts")
        return doc


@Language.factory("eventkg_sentences")
def make_sentence_splitter(nlp: Language, name: str) -> SentenceSplitter:
    return SentenceSplitter(name)
