"""Time expressions resolved to ISO dates against the article's published date.

Writes `doc.spans["timex"]`: label `date` with `span._.value` = "YYYY-MM-DD", or label
`period` (durations, ranges, month-only or unresolvable expressions) with value None.
Handles both month-name systems (فبراير / شباط, كانون الأول), explicit days and years,
ordinal days (السابع من نيسان), weekdays (يوم السبت → the last Saturday up to publication),
and relative days (أمس، أمس الأول، الليلة قبل الماضية). When the article has no published
date, a date line near the top (13 فبراير 2019) provides it. No date beats a wrong one:
a weekday that contradicts a relative day, or a relative day without a published date, gives None.
"""
from __future__ import annotations

import datetime as dt

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from . import extensions  # noqa: F401
from .arabic import match_key
from .lexicon import DATA_DIR, load_lexicons
from .token_table import remember, span_list, token_table

YEAR_WORDS = frozenset({"عام", "سنه", "العام"})
SLASHES = frozenset({"/", "-", "،"})


def _int(text: str) -> int | None:
    text = text.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789"))
    return int(text) if text.isdigit() else None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


class TimeExpressions:
    """Pipe: date and period expressions → `doc.spans["timex"]`."""

    def __init__(self, nlp: Language, name: str, data_dir: str, dateline_chars: int):
        self.name = name
        self.lexicons = load_lexicons(data_dir)
        self.dateline_chars = dateline_chars
        self._relative_words = {
            match_key(r["form"]): int(r["value"]) for r in self.lexicons.phrases["dates"]
            if r["kind"] == "relative" and " " not in r["form"] and not r["value"].startswith("span")
        }

    def _row(self, span: Span) -> dict[str, str]:
        return self.lexicons.phrases["dates"][int(span.kb_id_)]

    def _year_after(self, doc: Doc, i: int) -> tuple[int | None, int]:
        """A year at token i (optionally after عام or a slash-month); returns (year, end)."""
        table = token_table(doc)
        j = i
        while j < len(doc) and table.norms[j] in YEAR_WORDS:
            j += 1
        if j < len(doc):
            year = _int(table.texts[j])
            if year and 1900 <= year <= 2100:
                return year, j + 1
        return None, i

    def _absolute(self, doc: Doc, cues: list[Span]) -> list[tuple[int, int, str, dt.date | None]]:
        """(start, end, label, date) for day-month-year, ordinal-month, month-year patterns."""
        table = token_table(doc)
        texts, norms = table.texts, table.norms
        out = []
        for cue in cues:
            row = self._row(cue)
            if row["kind"] != "month":
                continue
            month = int(row["value"])
            start, end = cue.start, cue.end
            # «فبراير / شباط»: a second name of the same month
            if end + 1 < len(doc) and texts[end] in SLASHES:
                nxt = next((c for c in cues if c.start == end + 1 and self._row(c)["kind"] == "month"), None)
                if nxt is not None:
                    end = nxt.end
            elif end < len(doc):
                nxt = next((c for c in cues if c.start == end and self._row(c)["kind"] == "month"), None)
                if nxt is not None and int(self._row(nxt)["value"]) == month:
                    end = nxt.end
            day = None
            if start >= 1 and (d := _int(texts[start - 1])) and 1 <= d <= 31:
                day, start = d, start - 1
            elif start >= 2 and norms[start - 1] == "من":
                ordinal = next((c for c in cues if c.end == start - 1 and self._row(c)["kind"] == "ordinal_day"), None)
                if (d := _int(texts[start - 2])) and 1 <= d <= 31:
                    day, start = d, start - 2   # «في 29 من تموز»
                elif ordinal is not None:
                    day, start = int(self._row(ordinal)["value"]), ordinal.start
            year, year_end = self._year_after(doc, end)
            if year:
                end = year_end
            out.append((start, end, "date" if day else "period", (day, month, year)))
        return out

    def __call__(self, doc: Doc) -> Doc:
        cues = span_list(doc, "dates")
        absolute = self._absolute(doc, cues)
        published: dt.date | None = doc._.published
        if published is None:
            for start, _end, label, (day, month, year) in absolute:
                if token_table(doc).idx[start] > self.dateline_chars:
                    break
                if label == "date" and year and (d := _safe_date(year, month, day)):
                    doc._.published = published = d
                    break
        spans: list[Span] = []
        periods = {c.end for c in cues if self._row(c)["kind"] == "period"}
        for start, end, label, (day, month, year) in absolute:
            if start in periods:
                label = "period"  # «منذ 20 شباط» is when something started, not when it happened
            value = None
            if label == "date":
                if year is None and published is not None:
                    year = published.year
                    if _safe_date(year, month, day) and _safe_date(year, month, day) > published:
                        year -= 1
                value = _safe_date(year, month, day) if year else None
            span = Span(doc, start, end, label="date" if value else "period")
            span._.value = value.isoformat() if value else None
            spans.append(span)
        covered = {i for s in spans for i in range(s.start, s.end)}
        for cue in cues:
            if any(i in covered for i in range(cue.start, cue.end)):
                continue
            row = self._row(cue)
            kind = row["kind"]
            if kind not in ("relative", "weekday", "period"):
                continue
            value = None
            end = cue.end
            if kind == "relative" and not row["value"].startswith("span") and published is not None:
                value = published + dt.timedelta(days=int(row["value"]))
                # «أمس الأول الإثنين»: a weekday right after must agree, else no date
                nxt = next((c for c in cues if c.start in (end, end + 1) and self._row(c)["kind"] == "weekday"), None)
                if nxt is not None:
                    end = nxt.end
                    if value.weekday() != int(self._row(nxt)["value"]):
                        value = None
            elif kind == "weekday" and published is not None:
                back = (published.weekday() - int(row["value"])) % 7
                value = published - dt.timedelta(days=back)
                # «أمس الإثنين» as one cue: the relative day must agree with the weekday
                offset = self._relative_words.get(token_table(doc).norms[cue.start])
                if offset is not None and published + dt.timedelta(days=offset) != value:
                    value = None
            label = "date" if value else "period"
            span = Span(doc, cue.start, end, label=label)
            span._.value = value.isoformat() if value else None
            spans.append(span)
            covered.update(range(cue.start, end))
        doc.spans["timex"] = spans = sorted(filter_spans(spans), key=lambda s: s.start)
        remember(doc, "timex", spans=spans)
        return doc


@Language.factory(
    "eventkg_timex", default_config={"data_dir": str(DATA_DIR), "dateline_chars": 300}
)
def make_timex(nlp: Language, name: str, data_dir: str, dateline_chars: int) -> TimeExpressions:
    return TimeExpressions(nlp, name, data_dir, dateline_chars)
