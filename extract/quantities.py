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

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from . import extensions  # noqa: F401
from .lexicon import DATA_DIR, load_lexicons

CONJ = "و"
OF = frozenset({"من"})


def _digits(text: str) -> float | None:
    text = text.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩٬٫", "0123456789,."))
    if text.startswith(CONJ):
        text = text[1:]
    text = text.replace(",", "")
    try:
        return float(text) if any(c.isdigit() for c in text) else None
    except ValueError:
        return None


class Quantities:
    """Pipe: quantities with bounds, categories and casualty roles → `doc.spans["quantities"]`."""

    def __init__(self, nlp: Language, name: str, data_dir: str, role_window: int):
        self.name = name
        self.lex = load_lexicons(data_dir)
        self.role_window = role_window

    def _row(self, table: str, span: Span) -> dict[str, str]:
        return self.lex.phrases[table][int(span.kb_id_)]

    def _number_at(self, doc: Doc, i: int, words: dict[int, Span]) -> tuple[int | None, int, bool] | None:
        """Parse a number starting at token i → (value, end, vague) or None."""
        tok = doc[i]
        value: float | None = None
        vague = False
        end = i + 1
        if (d := _digits(tok.text)) is not None and not (tok.text.count(".") == 1 and len(tok.text) == 5 and tok.text[2] == "."):
            value = d
        elif i in words:
            span = words[i]
            row = self._row("numbers", span)
            kind = row["kind"]
            if kind == "vague":
                vague = True
                value = None
            elif kind == "dual":
                return int(row["value"]), span.end, False
            elif kind in ("unit", "multiplier"):
                value = float(row["value"])
            else:
                return None
            end = span.end
        else:
            return None
        # multipliers: «خمسة آلاف», «52 ألف», «13 ألفا»
        if value is not None and end in words:
            mrow = self._row("numbers", words[end])
            if mrow["kind"] == "multiplier" or (mrow["kind"] in ("unit", "vague") and float(mrow["value"] or 0) >= 1000):
                value *= float(mrow["value"])
                end = words[end].end
        return (int(value) if value is not None else None), end, vague

    def __call__(self, doc: Doc) -> Doc:
        words = {s.start: s for s in doc.spans.get("numbers", [])}
        bounds_by_end = {s.end: s for s in doc.spans.get("bounds", [])}
        bounds_by_start = {s.start: s for s in doc.spans.get("bounds", [])}
        categories = {s.start: s for s in doc.spans.get("categories", [])}
        casualties = list(doc.spans.get("casualties", []))
        dates = {i for s in doc.spans.get("timex", []) for i in range(s.start, s.end)}
        spans: list[Span] = []
        i = 0
        n = len(doc)
        while i < n:
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
                b = bounds_by_end[i]
                bound = self._row("bounds", b)["bound"]
                start = b.start
            # range «ما بين 400 و600» / «من 400 إلى 600»: keep the lower bound, swallow the upper
            if end + 1 < n and doc[end].norm_ in ("و", "الي", "حتي", "-") and self._number_at(doc, end + 1, words):
                upper = self._number_at(doc, end + 1, words)
                if bound in ("range_start",) or doc[end].norm_ != "و":
                    bound, end = "range", upper[1]
            elif end < n and doc[end].text.startswith(CONJ) and doc[end].text != CONJ and _digits(doc[end].text) is not None and bound == "range_start":
                bound, end = "range", end + 1
            if end in bounds_by_start and self._row("bounds", bounds_by_start[end])["bound"] == "at_least":
                bound, end = "at_least", bounds_by_start[end].end
            category = None
            role_hint = None
            if i in words and self._row("numbers", words[i])["kind"] == "dual":
                category, role_hint = "person", "person"
            j = end
            if j < n and doc[j].norm_ in OF and j + 1 in categories:
                j += 1
            if j in categories:
                crow = self._row("categories", categories[j])
                category, role_hint = crow["category"], crow["role_hint"]
                end = categories[j].end
                if end in bounds_by_start and self._row("bounds", bounds_by_start[end])["bound"] == "at_least":
                    bound, end = "at_least", bounds_by_start[end].end
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
        doc.spans["quantities"] = self._sum_coordinated(doc, filter_spans(spans))
        return doc

    def _role(self, doc: Doc, start: int, end: int, role_hint: str | None, casualties: list[Span], counted: bool) -> str:
        if role_hint in ("killed", "injured"):
            return role_hint
        sent = doc[start].sent
        # a number of things (not people) takes a casualty role only from a word right beside it
        window = self.role_window if counted else 1
        near = [
            c for c in casualties
            if sent.start <= c.start < sent.end and (0 <= start - c.end <= window or 0 <= c.start - end <= window)
        ]
        if near:
            nearest = min(near, key=lambda c: min(abs(start - c.end), abs(c.start - end)))
            role = self._row("casualties", nearest)["role"]
            return "casualties" if role == "killed_or_injured" else role
        return "count" if role_hint in (None, "person") else role_hint

    def _sum_coordinated(self, doc: Doc, spans: list[Span]) -> list[Span]:
        """Merge «أربعة أشخاص وسبعة أطفال وثلاث نساء» into one count of 14."""
        spans = sorted(spans, key=lambda s: s.start)
        out: list[Span] = []
        for span in spans:
            prev = out[-1] if out else None
            if (
                prev is not None
                and prev.label_ == span.label_ == "count"
                and prev._.value["category"] and span._.value["category"]
                and prev._.value["value"] is not None and span._.value["value"] is not None
                and (
                    (span.start == prev.end and doc[span.start].text.startswith(CONJ))
                    or (span.start == prev.end + 1 and doc[prev.end].text == CONJ)
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
