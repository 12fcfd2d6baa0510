"""Numbers in Arabic news and what they count.

Writes `doc.spans["quantities"]`, label = role (`killed`, `injured`, `casualties` for
"killed or wounded", or `count` for people affected), `span._.value` = a dict
{"value": int | None, "bound": str | None, "category": str | None, "vague": bool}.
Reads digits (Arabic-Indic too), number words with multipliers (ثلاثة آلاف، 52 ألف، 13 ألفا),
ranges (ما بين 400 و600 → lower bound), bounds (أكثر من، ما لا يقل عن، على الأقل), vague
amounts (العشرات → value None) and the counted category after the number (مدنياً، عنصراً).
Coordinated counts («أربعة أشخاص وسبعة أطفال وثلاث نساء») are summed into one quantity.
"""
from __future__ import annotations

from itertools import compress, repeat
from operator import is_not

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from . import extensions  # noqa: F401
from .arabic import per_string
from .lexicon import DATA_DIR, load_lexicons
from .token_table import remember, span_rows, token_table

CONJ = "و"
OF = frozenset({"من"})


_DIGIT_CHARS = str.maketrans("٠١٢٣٤٥٦٧٨٩٬٫", "0123456789,.")


_UNSEEN = object()


@per_string()   # token texts repeat
def _digits(text: str) -> float | None:
    text = text.translate(_DIGIT_CHARS)
    if text.startswith(CONJ):
        text = text[1:]
    text = text.replace(",", "")
    try:
        return float(text) if any(c.isdigit() for c in text) else None
    except ValueError:
        return None


# a number word starting at a token: (end, its row in numbers.tsv)
Words = dict[int, tuple[int, dict[str, str]]]


class Quantities:
    """Pipe: quantities with bounds, categories and casualty roles → `doc.spans["quantities"]`."""

    def __init__(self, nlp: Language, name: str, data_dir: str, role_window: int):
        self.name = name
        self.lex = load_lexicons(data_dir)
        self.role_window = role_window

    def _row(self, table: str, span: Span) -> dict[str, str]:
        return self.lex.phrases[table][int(span.kb_id_)]

    def _rows(self, doc: Doc, table: str) -> list[tuple[int, int, dict[str, str]]]:
        """The hits of cue table `table` as (start, end, lexicon row)."""
        phrases = self.lex.phrases[table]
        return [(start, end, phrases[int(row)]) for start, end, _, row in span_rows(doc, table)]

    def _number_at(self, doc: Doc, i: int, words: Words) -> tuple[int | None, int, bool] | None:
        """Parse a number starting at token i → (value, end, vague) or None."""
        text = token_table(doc).texts[i]
        value: float | None = None
        vague = False
        end = i + 1
        if (d := _digits(text)) is not None and not (text.count(".") == 1 and len(text) == 5 and text[2] == "."):
            value = d
        elif i in words:
            word_end, row = words[i]
            kind = row["kind"]
            if kind == "vague":
                vague = True
                value = None
            elif kind == "dual":
                return int(row["value"]), word_end, False
            elif kind in ("unit", "multiplier"):
                value = float(row["value"])
            else:
                return None
            end = word_end
        else:
            return None
        # multipliers: «خمسة آلاف», «52 ألف», «13 ألفا»
        if value is not None and end in words:
            multiplier_end, mrow = words[end]
            if mrow["kind"] == "multiplier" or (mrow["kind"] in ("unit", "vague") and float(mrow["value"] or 0) >= 1000):
                value *= float(mrow["value"])
                end = multiplier_end
        return (int(value) if value is not None else None), end, vague

    def __call__(self, doc: Doc) -> Doc:
        table = token_table(doc)
        texts, norms = table.texts, table.norms
        words: Words = {start: (end, row) for start, end, row in self._rows(doc, "numbers")}
        bounds = self._rows(doc, "bounds")
        bounds_by_end = {end: (start, row) for start, end, row in bounds}
        bounds_by_start = {start: (end, row) for start, end, row in bounds}
        categories = {start: (end, row) for start, end, row in self._rows(doc, "categories")}
        casualties = self._rows(doc, "casualties")
        dates = {i for start, end, _, _ in span_rows(doc, "timex") for i in range(start, end)}
        spans: list[Span] = []
        n = len(doc)
        # only a token with a digit or a number word can start a number: the scan jumps between them
        # (tokens seen before as no number are passed over in C, by the cache of _digits)
        known = map(_digits.cache.get, texts, repeat(_UNSEEN))
        maybe = compress(range(len(texts)), map(is_not, known, repeat(None)))
        candidates = sorted({i for i in maybe if _digits(texts[i]) is not None} | words.keys())
        i = 0
        for candidate in candidates:
            if candidate < i:
                continue
            i = candidate
            if i in dates:
                i += 1
                continue
            parsed = self._number_at(doc, i, words)
            if parsed is None:
                i += 1
                continue
            value, end, vague = parsed
            start = i
            bound = None
            if i in bounds_by_end:
                b_start, b_row = bounds_by_end[i]
                bound = b_row["bound"]
                start = b_start
            # range «ما بين 400 و600» / «من 400 إلى 600»: keep the lower bound, swallow the upper
            if end + 1 < n and norms[end] in ("و", "الي", "حتي", "-") and self._number_at(doc, end + 1, words):
                upper = self._number_at(doc, end + 1, words)
                if bound in ("range_start",) or norms[end] != "و":
                    bound, end = "range", upper[1]
            elif end < n and texts[end].startswith(CONJ) and texts[end] != CONJ and _digits(texts[end]) is not None and bound == "range_start":
                bound, end = "range", end + 1
            if end in bounds_by_start and bounds_by_start[end][1]["bound"] == "at_least":
                bound, end = "at_least", bounds_by_start[end][0]
            category = None
            role_hint = None
            if i in words and words[i][1]["kind"] == "dual":
                category, role_hint = "person", "person"
            j = end
            if j < n and norms[j] in OF and j + 1 in categories:
                j += 1
            if j in categories:
                category_end, crow = categories[j]
                category, role_hint = crow["category"], crow["role_hint"]
                end = category_end
                if end in bounds_by_start and bounds_by_start[end][1]["bound"] == "at_least":
                    bound, end = "at_least", bounds_by_start[end][0]
            if value is None and not vague:
                i = end
                continue
            if category is None and value is not None and (value >= 1900 and value <= 2100):
                i = end  # a bare year
                continue
            role = self._role(doc, start, end, role_hint, casualties, counted=category is not None)
            span = Span(doc, start, end, label=role)
            span._.value = {"value": value, "bound": bound, "category": category, "vague": vague}
            spans.append(span)
            i = end
        doc.spans["quantities"] = spans = self._sum_coordinated(doc, filter_spans(spans))
        remember(doc, "quantities", spans=spans)
        return doc

    def _role(self, doc: Doc, start: int, end: int, role_hint: str | None,
              casualties: list[tuple[int, int, dict[str, str]]], counted: bool) -> str:
        """`casualties`: the doc's casualty words as (start, end, row), in order."""
        if role_hint in ("killed", "injured"):
            return role_hint
        table = token_table(doc)
        sent_start, sent_end = table.sent_of[start], table.sent_end_of[start]
        # a number of things (not people) takes a casualty role only from a word right beside it
        window = self.role_window if counted else 1
        near = [
            c for c in casualties
            if sent_start <= c[0] < sent_end and (0 <= start - c[1] <= window or 0 <= c[0] - end <= window)
        ]
        if near:
            nearest = min(near, key=lambda c: min(abs(start - c[1]), abs(c[0] - end)))
            role = nearest[2]["role"]
            return "casualties" if role == "killed_or_injured" else role
        return "count" if role_hint in (None, "person") else role_hint

    def _sum_coordinated(self, doc: Doc, spans: list[Span]) -> list[Span]:
        """Merge «أربعة أشخاص وسبعة أطفال وثلاث نساء» into one count of 14."""
        spans = sorted(spans, key=lambda s: s.start)
        texts = token_table(doc).texts
        out: list[Span] = []
        for span in spans:
            prev = out[-1] if out else None
            if (
                prev is not None
                and prev.label_ == span.label_ == "count"
                and prev._.value["category"] and span._.value["category"]
                and prev._.value["value"] is not None and span._.value["value"] is not None
                and (
                    (span.start == prev.end and texts[span.start].startswith(CONJ))
                    or (span.start == prev.end + 1 and texts[prev.end] == CONJ)
                )
            ):
                merged = Span(doc, prev.start, span.end, label="count")
                merged._.value = dict(prev._.value, value=prev._.value["value"] + span._.value["value"], category="person")
                out[-1] = merged
                continue
            out.append(span)
        return out


@Language.factory("eventkg_quantities", default_config={"data_dir": str(DATA_DIR), "role_window": 4})
def make_quantities(nlp: Language, name: str, data_dir: str, role_window: int) -> Quantities:
    return Quantities(nlp, name, data_dir, role_window)
