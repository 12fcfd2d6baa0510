"""Lexicon matching: match keys on tokens and phrase-table cues as span groups.

`MatchKeys` writes each token's lexicon key to `token.norm_` (clitic-aware, see
`arabic.MatchKeyer`). `CueMatcher` matches the phrases of the lexicon tables over those keys
and stores the hits in `doc.spans[<table>]`, each span labelled by the table's label column
and carrying its row number in `span.kb_id_`, so later components can read the row. Tables
read only as word lists (`WORD_LIST_TABLES`: the stopwords) are not matched.
"""
from __future__ import annotations

from itertools import islice
from operator import ge, itemgetter, le
from pathlib import Path

import numpy
from spacy.attrs import NORM
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from .arabic import MatchKeyer, match_key
from .lexicon import DATA_DIR, LABEL_COLUMN, Lexicons, load_lexicons
from .token_table import remember, token_table


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
        # orth → the token's norm_ afterwards, and → the NORM value written; one vocab per pipe
        self._norm_of: dict[int, str] = {}
        self._value_of: dict[int, int] = {}

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        norm_of, value_of = self._norm_of, self._value_of
        table = token_table(doc)
        orths = table.orths
        norms = list(map(norm_of.get, orths))
        if None in norms:
            strings = doc.vocab.strings
            for orth, norm in zip(orths, norms):
                if norm is None and orth not in norm_of:
                    key = self.keyer(strings[orth])
                    value = strings.add(key)
                    # an empty key («»», «ـ») stores 0: the token then shows its lexeme's norm
                    norm_of[orth] = key if value else doc.vocab[orth].norm_
                    value_of[orth] = value
            norms = list(map(norm_of.__getitem__, orths))
        # one array write instead of a Token object and a setter call per token
        values = numpy.fromiter(map(value_of.__getitem__, orths), dtype="uint64", count=len(orths))
        doc.from_array([NORM], values)
        table.norms = norms
        return doc


@Language.factory("eventkg_match_keys", default_config={"data_dir": str(DATA_DIR)})
def make_match_keys(nlp: Language, name: str, data_dir: str) -> MatchKeys:
    return MatchKeys(nlp, name, data_dir)


# cue tables later components read as Span objects (event triggers, reporting frames, dates)
SPAN_TABLES = frozenset({"triggers", "reporting", "dates"})
# tables no component reads as hits, only as word lists from the lexicon (entities reads the
# stopwords so): matching them made half of all cue spans, for nothing
WORD_LIST_TABLES = frozenset({"stopwords"})


class CueMatcher:
    """Pipe: finds every phrase of every lexicon table but `WORD_LIST_TABLES`; one span group per table.

    Within a table, overlapping hits are resolved longest-first (`ما لا يقل عن` beats `لا`).
    One PhraseMatcher holds the phrases of all tables (one pass over the doc instead of one per
    table); its hits are sorted back into their tables, in the order each table's own matcher
    would give them (see `_tie_ranks`).
    """

    def __init__(self, nlp: Language, name: str, data_dir: str):
        self.name = name
        self.lexicons: Lexicons = load_lexicons(data_dir)
        self.matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self.tables = [table for table in self.lexicons.phrases if table not in WORD_LIST_TABLES]
        # (table, row number) → rank, for rows whose phrase another row of the table repeats
        self._ranks: dict[tuple[str, str], int] = {}
        for table in self.tables:
            rows = self.lexicons.phrases[table]
            label_col = LABEL_COLUMN[table]
            patterns = {}
            for index, row in enumerate(rows):
                pattern = phrase_doc(nlp.vocab, nlp.tokenizer, row["form"])
                if len(pattern):
                    key = f"{table}|{row[label_col]}|{index}"
                    self.matcher.add(key, [pattern])
                    patterns[key] = pattern
            self._ranks.update(self._tie_ranks(nlp, table, patterns))
        self._ranked = frozenset(table for table, _ in self._ranks)   # tables with repeated phrases
        self._labels: dict[int, tuple[str, str, str]] = {}   # match id → (table, label, row number)
        self._hashes: dict[str, int] = {}                    # label or row number → its string hash

    @staticmethod
    def _tie_ranks(nlp: Language, table: str, patterns: dict[str, Doc]) -> dict[tuple[str, str], int]:
        """Rows of `table` with the same phrase (same keys) match the same tokens; which one a
        table's own PhraseMatcher lists first decides which one `filter_spans` keeps. Their
        order, learnt by matching each such phrase with a matcher of the table alone."""
        by_keys: dict[tuple[int, ...], list[str]] = {}
        for key, pattern in patterns.items():
            by_keys.setdefault(tuple(t.norm for t in pattern), []).append(key)
        repeated = [keys for keys in by_keys.values() if len(keys) > 1]
        if not repeated:
            return {}
        alone = PhraseMatcher(nlp.vocab, attr="NORM")
        for key, pattern in patterns.items():
            alone.add(key, [pattern])
        strings = nlp.vocab.strings
        ranks = {}
        for keys in repeated:
            pattern = patterns[keys[0]]
            listed = [strings[m] for m, start, end in alone(pattern) if (start, end) == (0, len(pattern))]
            for rank, key in enumerate(listed):
                ranks[(table, key.rsplit("|", 1)[1])] = rank
        return ranks

    def __call__(self, doc: Doc) -> Doc:
        strings = doc.vocab.strings
        labels, hashes, ranks = self._labels, self._hashes, self._ranks
        by_table: dict[str, list[tuple[int, int, str, str]]] = {table: [] for table in self.tables}
        for match_id, start, end in self.matcher(doc):
            info = labels.get(match_id)
            if info is None:
                table, label, index = strings[match_id].split("|")
                info = labels[match_id] = (table, label, index)
                hashes[label], hashes[index] = strings.add(label), strings.add(index)
            by_table[info[0]].append((start, end, info[1], info[2]))
        for table, rows in by_table.items():
            if table in self._ranked:
                rows = _in_table_order(table, rows, ranks)
            rows = longest_first(rows)
            # Span objects only for the hits kept, labels as hashes (no string lookups)
            spans = [Span(doc, start, end, label=hashes[label], kb_id=hashes[index]) for start, end, label, index in rows]
            doc.spans[table] = spans
            # Spans of the few tables read back as Spans; of the others the rows only: Span
            # objects kept alive for the whole document would be promoted by the garbage
            # collector and make its full collections come sooner
            remember(doc, table, rows=rows, spans=spans if table in SPAN_TABLES else None)
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


def _in_table_order(table: str, rows: list[tuple[int, int, str, str]],
                    ranks: dict[tuple[str, str], int]) -> list[tuple[int, int, str, str]]:
    """Hits of the same tokens (rows repeating a phrase) put in their table matcher's order.

    A matcher lists the hits of one token range together, so equal ranges are neighbours."""
    out: list[tuple[int, int, str, str]] = []
    k, n = 0, len(rows)
    while k < n:
        j = k + 1
        while j < n and rows[j][0] == rows[k][0] and rows[j][1] == rows[k][1]:
            j += 1
        if j - k > 1:
            out.extend(sorted(rows[k:j], key=lambda r: ranks.get((table, r[3]), 0)))
        else:
            out.append(rows[k])
        k = j
    return out


def longest_first(matches: list[tuple]) -> list[tuple]:
    """`spacy.util.filter_spans` on (start, end, ...) tuples: overlaps resolved longest first
    (the earlier of equals), the survivors sorted by start.

    Hits that overlap nothing are kept as they are; the greedy choice runs only within each
    cluster of overlapping hits, which decides the same (a hit marks tokens of its cluster only).
    """
    starts = list(map(itemgetter(0), matches))
    # (the checks run in C: this is called for every cue table of every document)
    if any(map(ge, starts, map(itemgetter(1), matches))):
        return _filter_spans(matches)   # empty ranges: spaCy's own rules, as they are
    # a stable sort by start keeps equal hits in their order, as filter_spans' stable sort does
    ordered = matches if all(map(le, starts, islice(starts, 1, None))) else sorted(matches, key=itemgetter(0))
    kept: list[tuple] = []
    cluster: list[tuple] = []
    cluster_end = -1
    for m in ordered:
        if m[0] >= cluster_end:
            if len(cluster) == 1:
                kept.append(cluster[0])
            elif cluster:
                kept.extend(_filter_spans(cluster))
            cluster = [m]
        else:
            cluster.append(m)
        if m[1] > cluster_end:
            cluster_end = m[1]
    if len(cluster) == 1:
        kept.append(cluster[0])
    elif cluster:
        kept.extend(_filter_spans(cluster))
    return kept


def _filter_spans(matches: list[tuple]) -> list[tuple]:
    """spacy.util.filter_spans, on tuples."""
    ordered = sorted(matches, key=lambda m: (m[1] - m[0], -m[0]), reverse=True)
    kept = []
    seen: set[int] = set()
    for m in ordered:
        start, end = m[0], m[1]
        # filter_spans checks a span's first and last token only
        if start not in seen and end - 1 not in seen:
            kept.append(m)
            seen.update(range(start, end))
    kept.sort(key=lambda m: m[0])
    return kept


def covers(spans, token_index: int) -> Span | None:
    """The span among `spans` that contains token `token_index`, if any."""
    for span in spans:
        if span.start <= token_index < span.end:
            return span
    return None


