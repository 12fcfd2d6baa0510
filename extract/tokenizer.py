"""spaCy tokenizer settings for Arabic news.

spaCy's Arabic defaults leave quotes and brackets glued inside tokens (`لـ«جند`, `و(قسد`)
and digits glued to letters (`الزور24`). These infixes split them so names stay whole tokens.
"""
from __future__ import annotations

import spacy
from spacy.util import compile_infix_regex

QUOTE_CHARS = "«»“”„\"'‘’()\\[\\]{}<>"

_EXTRA_INFIXES = [
    rf"[{QUOTE_CHARS}]",
    r"(?<=[\u0621-\u064A])(?=[0-9٠-٩])",
    r"(?<=[0-9٠-٩])(?=[\u0621-\u064A])",
    r"(?<=[\u0621-\u064A])[،؛؟:](?=[\u0621-\u064A])",
    r"(?<=\u0640)(?=[\u0621-\u064A])",
    # «الروسية.ودارت»: a full stop typed without the following space
    r"(?<=[\u0621-\u064A])\.(?=[\u0621-\u064A])",
]


@spacy.registry.callbacks("eventkg.arabic_tokenizer.v1")
def create_arabic_tokenizer_callback():
    """Config callback (`[initialize.before_init]`-style) that adjusts an Arabic tokenizer."""

    def customize(nlp):
        infixes = list(nlp.Defaults.infixes) + _EXTRA_INFIXES
        nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
        # spaCy's URL matcher takes «الروسية.ودارت» for a domain name and keeps it whole
        nlp.tokenizer.url_match = None
        return nlp

    return customize


def customize_tokenizer(nlp):
    """Apply the Arabic news infixes to `nlp.tokenizer` in place and return `nlp`."""
    return create_arabic_tokenizer_callback()(nlp)
