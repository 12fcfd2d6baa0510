"""Per-document token arrays, computed once and shared by every eventkg component.

Reading a spaCy `Token` from Python costs an object per access (`doc[i]`, `for t in doc`,
`span.sent`); the components ask the same questions about the same tokens thousands of times
per article. `token_table(doc)` answers them from plain lists kept in `doc.user_data`:
token texts, match keys (`token.norm_`), character offsets, trailing spaces, the lexical flags
the rules read (`is_alpha`, `like_num`, `is_space`, `is_punct`), each token's sentence, line
and prefix counts. Each list is made on first use from `Doc.to_array` and a per-string cache
(news vocabulary repeats, so a word's text is looked up once per process).

The lists describe the doc as it is when first read: a component that changes what a list
holds calls `forget` (match keys and morphology change norms, the sentence splitter changes
sentences). `span_rows(doc, name)` gives a span group as (start, end, label, kb_id) tuples,
remade only when the group is replaced or grows.
"""
from __future__ import annotations

import bisect
import weakref
from functools import cached_property
from itertools import accumulate

from spacy.attrs import IDX, IS_ALPHA, IS_PUNCT, IS_SPACE, LIKE_NUM, NORM, ORTH, SENT_START, SPACY
from spacy.tokens import Doc, Span

KEY = "eventkg_token_table"
ROWS_KEY = "eventkg_span_rows"

# string hash → string; hashes are a function of the string alone, so one cache serves every vocab
_STRINGS: dict[int, str] = {}
# the lexical flags the rules read, as Doc.to_array attributes
_FLAG_ATTRS = {"is_alpha": IS_ALPHA, "like_num": LIKE_NUM, "is_space": IS_SPACE, "is_punct": IS_PUNCT}
_SENTENCE_PUNCT = frozenset({".", "؟", "!"})


def _strings(doc: Doc, hashes: list[int]) -> list[str]:
    out = list(map(_STRINGS.get, hashes))
    if None in out:
        strings = doc.vocab.strings
        for h in hashes:
            if h not in _STRINGS:
                _STRINGS[h] = strings[h] if h else ""
        out = list(map(_STRINGS.__getitem__, hashes))
    return out


class TokenTable:
    """Plain-list views of one Doc's tokens (see the module docstring). Attributes are lazy."""

    def __init__(self, doc: Doc):
        self._doc = weakref.ref(doc)   # the table lives in doc.user_data: no reference cycle
        self.n = len(doc)

    @property
    def doc(self) -> Doc:
        return self._doc()

    def forget(self, *names: str) -> None:
        """Drop cached lists so they are recomputed from the doc on next use."""
        for name in names:
            self.__dict__.pop(name, None)
        if "sent_starts" in names:
            for name in ("sent_of", "sent_end_of", "sent_index_of", "sent_ends"):
                self.__dict__.pop(name, None)

    # -- token level -----------------------------------------------------------
    @cached_property
    def orths(self) -> list[int]:
        return self.doc.to_array(ORTH).tolist() if self.n else []

    @cached_property
    def texts(self) -> list[str]:
        """`token.text` of every token."""
        return _strings(self.doc, self.orths)

    @cached_property
    def norms(self) -> list[str]:
        """`token.norm_` of every token (the lexicon match keys once those are set)."""
        return _strings(self.doc, self.doc.to_array(NORM).tolist()) if self.n else []

    @cached_property
    def idx(self) -> list[int]:
        """`token.idx`: character offset of every token."""
        return self.doc.to_array(IDX).tolist() if self.n else []

    @cached_property
    def spaces(self) -> list[int]:
        """1 where the token is followed by a space (`token.whitespace_`), else 0."""
        return self.doc.to_array(SPACY).tolist() if self.n else []

    def _flag(self, name: str) -> list[bool]:
        # one array read: the flags are the lexemes' own (what token.is_alpha etc. read)
        return list(map(bool, self.doc.to_array(_FLAG_ATTRS[name]).tolist())) if self.n else []

    @cached_property
    def is_alpha(self) -> list[bool]:
        """`token.is_alpha` of every token."""
        return self._flag("is_alpha")

    @cached_property
    def like_num(self) -> list[bool]:
        """`token.like_num` of every token."""
        return self._flag("like_num")

    @cached_property
    def is_space(self) -> list[bool]:
        """`token.is_space` of every token."""
        return self._flag("is_space")

    @cached_property
    def is_punct(self) -> list[bool]:
        """`token.is_punct` of every token."""
        return self._flag("is_punct")

    @cached_property
    def alpha_before(self) -> list[int]:
        """alpha_before[i] = number of alphabetic tokens among tokens [0, i) (length n + 1)."""
        return [0, *accumulate(self.is_alpha)]

    def span_text(self, start: int, end: int) -> str:
        """`doc[start:end].text`: the tokens with the spaces between them."""
        texts, spaces = self.texts, self.spaces
        text = "".join([texts[k] + " " if spaces[k] else texts[k] for k in range(start, end)])
        return text[:-1] if end > start and spaces[end - 1] else text

    def end_char(self, i: int) -> int:
        """Character offset just after token i."""
        return self.idx[i] + len(self.texts[i])

    # -- sentences -------------------------------------------------------------
    @cached_property
    def sent_starts(self) -> list[int]:
        """First token of every sentence, in order (as `doc.sents` gives them)."""
        if not self.n:
            return []
        marks = self.doc.to_array(SENT_START).tolist()
        return [0, *(i for i in range(1, self.n) if marks[i] == 1)]

    @cached_property
    def sent_ends(self) -> list[int]:
        return [*self.sent_starts[1:], self.n] if self.n else []

    @cached_property
    def sent_index_of(self) -> list[int]:
        """For every token, the number of its sentence (0-based)."""
        out = [0] * self.n
        for k, (s, e) in enumerate(zip(self.sent_starts, self.sent_ends)):
            out[s:e] = [k] * (e - s)
        return out

    @cached_property
    def sent_of(self) -> list[int]:
        """For every token, the first token of its sentence (`token.sent.start`)."""
        starts = self.sent_starts
        return [starts[k] for k in self.sent_index_of]

    @cached_property
    def sent_end_of(self) -> list[int]:
        """For every token, the end of its sentence (`token.sent.end`)."""
        ends = self.sent_ends
        return [ends[k] for k in self.sent_index_of]

    # -- lines (text between tokens holding a line break) -----------------------
    @cached_property
    def breaks(self) -> list[int]:
        """The tokens holding a line break, in order."""
        return [i for i, t in enumerate(self.texts) if "\n" in t]

    def line_bounds(self, start: int, end: int) -> tuple[int, int]:
        """The line around tokens [start, end): back to just after the previous token holding a
        line break (before `start`), forward to the next one at or after `end`."""
        breaks = self.breaks
        k = bisect.bisect_left(breaks, start)
        lo = breaks[k - 1] + 1 if k else 0
        k = bisect.bisect_left(breaks, end)
        hi = breaks[k] if k < len(breaks) else self.n
        return lo, hi

    @cached_property
    def stops_before(self) -> list[int]:
        """stops_before[i] = number of tokens «.» «؟» «!» among tokens [0, i) (length n + 1)."""
        return [0, *accumulate(t in _SENTENCE_PUNCT for t in self.texts)]


def token_table(doc: Doc) -> TokenTable:
    """The doc's TokenTable, made on first use and kept in `doc.user_data`."""
    table = doc.user_data.get(KEY)
    if table is None or table._doc() is not doc:   # (a copied doc carries a copy of user_data)
        table = doc.user_data[KEY] = TokenTable(doc)
    return table


def forget(doc: Doc, *names: str) -> None:
    """Tell the doc's TokenTable (if any) that `names` changed on the doc."""
    table = doc.user_data.get(KEY)
    if table is not None:
        table.forget(*names)


class _GroupCache:
    """What components read of one span group, valid while the group is the same object and size."""

    __slots__ = ("group", "size", "rows", "spans")

    def __init__(self, group, rows, spans):
        self.group, self.size, self.rows, self.spans = group, len(group), rows, spans


def _group_cache(doc: Doc, name: str) -> _GroupCache | None:
    group = doc.spans.get(name)
    if group is None:
        return None
    cache = doc.user_data.get(ROWS_KEY)
    if cache is None:   # (not setdefault: that would make an empty dict on every call)
        cache = doc.user_data[ROWS_KEY] = {}
    hit = cache.get(name)
    if hit is None or hit.group is not group or hit.size != len(group):
        hit = cache[name] = _GroupCache(group, None, None)
    return hit


def span_rows(doc: Doc, name: str) -> list[tuple[int, int, str, str]]:
    """`doc.spans[name]` as (start, end, label_, kb_id_) tuples (empty when there is no group)."""
    hit = _group_cache(doc, name)
    if hit is None:
        return []
    if hit.rows is None:
        hit.rows = [(s.start, s.end, s.label_, s.kb_id_) for s in span_list(doc, name)]
    return hit.rows


def span_list(doc: Doc, name: str) -> list[Span]:
    """`list(doc.spans[name])`, made once (a SpanGroup makes new Span objects on every pass)."""
    hit = _group_cache(doc, name)
    if hit is None:
        return []
    if hit.spans is None:
        hit.spans = list(hit.group)
    return hit.spans


def remember(doc: Doc, name: str, rows: list[tuple[int, int, str, str]] | None = None,
             spans: list[Span] | None = None) -> None:
    """Record the rows and/or Spans of the group just written to `doc.spans[name]`."""
    doc.user_data.setdefault(ROWS_KEY, {})[name] = _GroupCache(doc.spans[name], rows, spans)
