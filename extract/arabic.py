"""Arabic normalisation for *matching*; offsets always refer to the original text.

`normalize` folds the spelling variation of Arabic news (diacritics, tatweel, alef,
yeh and teh-marbuta variants, presentation forms, Arabic-Indic digits) with camel-tools.
`match_key` additionally drops the definite article, and `MatchKeyer` strips proclitics
(و ف ب ل ك, ل+ال → لل) and pronoun enclitics only when the stripped form is a word some
lexicon knows — so `وقسد` matches `قسد` while `بالي` and `وزارة` stay whole.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from camel_tools.utils.dediac import dediac_ar
from camel_tools.utils.normalize import (
    normalize_alef_ar,
    normalize_alef_maksura_ar,
    normalize_teh_marbuta_ar,
    normalize_unicode,
)

TATWEEL = "\u0640"
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_QUOTES = str.maketrans("", "", "«»“”\"'‘’()[]")
_ARTICLE = "ال"
# Conjunction, then preposition, then article: the order clitics stack in.
_CONJ = ("", "و", "ف")
_PREP = ("", "ب", "ل", "ك")
_ENCLITICS = ("هما", "هم", "هن", "ها", "ه")


def per_string(limit: int = 1 << 18):
    """Decorator: remember a one-string function's results in a plain dict (emptied when it holds
    `limit` entries). News words repeat, so most calls become one lookup; unlike functools'
    lru_cache, a dict adds no object per entry for the garbage collector to track."""
    def wrap(fn):
        cache: dict[str, object] = {}

        @functools.wraps(fn)
        def cached(text):
            try:
                return cache[text]
            except KeyError:
                if len(cache) >= limit:
                    cache.clear()
                value = cache[text] = fn(text)
                return value
        cached.cache = cache
        return cached
    return wrap


@per_string()   # camel-tools' folding is slow per call
def normalize(text: str) -> str:
    """Return `text` with diacritics, tatweel and letter variants folded; length may change."""
    text = normalize_unicode(text)
    text = dediac_ar(text).replace(TATWEEL, "")
    text = normalize_alef_ar(normalize_alef_maksura_ar(normalize_teh_marbuta_ar(text)))
    return text.translate(_DIGITS).translate(_QUOTES)


def drop_article(form: str) -> str:
    """`الباغوز` → `باغوز`; short words such as `الا`, `الفا` (ألفا) are left alone."""
    if form.startswith(_ARTICLE) and len(form) > 4:
        return form[2:]
    return form


def match_key(token_text: str) -> str:
    """The lexicon key of one token as written in a lexicon: normalised, article dropped."""
    return drop_article(normalize(token_text))


def proclitic_variants(form: str) -> list[str]:
    """Forms left after removing a proclitic sequence, longest prefix first.

    `وبالباغوز` → [`بالباغوز`, `باغوز`-bearing forms ...]; `للتحالف` → [`لتحالف`, `تحالف`].
    """
    out: list[str] = []
    for conj in _CONJ:
        for prep in _PREP:
            prefix = conj + prep
            if prefix and form.startswith(prefix) and len(form) - len(prefix) >= 2:
                out.append(form[len(prefix):])
        # ل + ال is written لل
        if form.startswith(conj + "لل") and len(form) - len(conj) > 3:
            out.append(form[len(conj) + 2:])
    # the longest stripping first: «للتنظيم» is ل+التنظيم far more often than ل+تنظيم
    out.sort(key=len)
    return out


class MatchKeyer:
    """Maps a token to the key lexicons are indexed by, stripping clitics only when it helps.

    vocabulary: keys (see `match_key`) of every token of every lexicon phrase.
    """

    def __init__(self, vocabulary: Iterable[str]):
        self.vocabulary = frozenset(vocabulary)
        self._cache: dict[str, str] = {}

    def __call__(self, token_text: str) -> str:
        key = self._cache.get(token_text)
        if key is None:
            key = self._cache[token_text] = self._compute(token_text)
        return key

    def _compute(self, token_text: str) -> str:
        form = normalize(token_text)
        whole = drop_article(form)
        if whole in self.vocabulary or not form:
            return whole
        candidates = [drop_article(v) for v in proclitic_variants(form)]
        for cand in candidates:
            if cand in self.vocabulary:
                return cand
        # a final ة is folded to ه by `normalize`; it is never the pronoun ه (متشددة ≠ متشدد+ه)
        teh_marbuta = dediac_ar(token_text).rstrip(TATWEEL).endswith("ة")
        for cand in [whole, *candidates]:
            for enclitic in _ENCLITICS:
                if enclitic == "ه" and teh_marbuta:
                    continue
                if cand.endswith(enclitic) and len(cand) - len(enclitic) >= 3:
                    stem = cand[: -len(enclitic)]
                    # هجومها → هجوم; a feminine stem wrote its teh marbuta as ت: ضربته → ضربه
                    for s in (stem, stem[:-1] + "ه" if stem.endswith("ت") else None):
                        if s and s in self.vocabulary:
                            return s
        return whole


ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3]")
