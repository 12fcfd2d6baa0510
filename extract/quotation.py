"""Quotation marks in Arabic news: quoted speech versus quoted names.

Arabic outlets put quotes around names («قسد», "التحالف الدولي") as often as around speech.
Only a quote that opens speech starts a new clause for attribution and role finding.
"""
from __future__ import annotations

from spacy.tokens import Doc

OPENING = frozenset({"«", "“", '"'})
CLOSING = frozenset({"»", "”", '"'})
NAME_MAX_TOKENS = 4


def opens_speech(doc: Doc, i: int) -> bool:
    """Whether the quote at token `i` opens quoted speech (its closing quote is not near)."""
    if doc[i].text not in OPENING:
        return False
    if doc[i].text == '"':
        # straight quotes both open and close: an odd number before it in the sentence closes
        sent_start = doc[i].sent.start
        if sum(1 for t in doc[sent_start:i] if t.text == '"') % 2:
            return False
    for j in range(i + 1, min(len(doc), i + 2 + NAME_MAX_TOKENS)):
        if doc[j].text in CLOSING:
            return False
    return True
