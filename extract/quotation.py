"""Quotation marks in Arabic news: quoted speech versus quoted names.

Arabic outlets put quotes around names («قسد», "التحالف الدولي") as often as around speech.
Only a quote that opens speech starts a new clause for attribution and role finding.
"""
from __future__ import annotations

from spacy.tokens import Doc

from .token_table import token_table

OPENING = frozenset({"«", "“", '"'})
CLOSING = frozenset({"»", "”", '"'})
NAME_MAX_TOKENS = 4


def opens_speech(doc: Doc, i: int) -> bool:
    """Whether the quote at token `i` opens quoted speech (its closing quote is not near)."""
    table = token_table(doc)
    texts = table.texts
    text = texts[i]
    if text not in OPENING:
        return False
    if text == '"':
        # straight quotes both open and close: an odd number before it in the sentence closes
        if texts[table.sent_of[i]:i].count('"') % 2:
            return False
    for j in range(i + 1, min(table.n, i + 2 + NAME_MAX_TOKENS)):
        if texts[j] in CLOSING:
            return False
    return True
