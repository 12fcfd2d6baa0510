"""The eventkg spaCy pipeline and the batch runner that turns articles into records.

`build_pipeline()` returns `spacy.blank("ar")` with the Arabic news tokenizer and the
eventkg components in order: match keys → (morphology, when a database is given) → cues → sentences → entities → coreference →
timex → quantities → attribution → events. `process(nlp, articles)` runs it over many
articles and yields an `ArticleRecord` or an `ArticleFailure` for each: one bad article
is reported, never fatal to the batch.
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from . import attribution, coreference, cues, entities, events, extensions, morphology, quantities, sentences, timex  # noqa: F401
from .harvest import harvest
from .lexicon import DATA_DIR, load_lexicons
from .reader import Article
from .records import ArticleRecord
from .tokenizer import customize_tokenizer

COMPONENTS = (
    "eventkg_match_keys",
    "eventkg_cues",
    "eventkg_sentences",
    "eventkg_entities",
    "eventkg_coreference",
    "eventkg_timex",
    "eventkg_quantities",
    "eventkg_attribution",
    "eventkg_events",
)
_NO_DATA_DIR = {"eventkg_sentences"}


def build_pipeline(data_dir: str | Path = DATA_DIR, morphology_db: str | Path | None = None) -> Language:
    """A ready Arabic pipeline whose lexicons come from `data_dir` (default: the packaged data).

    `morphology_db`: a camel-tools morphology database file; when given, `eventkg_morphology`
    runs after the match keys and lets inflections the trigger lexicon does not list match by
    their lemma. A missing or bad file raises `morphology.MorphologyDataError` here.
    """
    load_lexicons(str(data_dir))  # fail early, naming the bad file
    nlp = customize_tokenizer(spacy.blank("ar"))
    # spaCy's 1M-character guard protects parser/NER memory; this pipeline has neither, and
    # multi-megabyte articles must be processed whole so offsets stay global
    nlp.max_length = 200_000_000
    for name in COMPONENTS:
        config = {} if name in _NO_DATA_DIR else {"data_dir": str(data_dir)}
        nlp.add_pipe(name, config=config)
        if name == "eventkg_match_keys" and morphology_db is not None:
            nlp.add_pipe("eventkg_morphology", config={"db_path": str(morphology_db), "data_dir": str(data_dir)})
    _freeze_loaded_objects()
    return nlp


def _freeze_loaded_objects() -> None:
    """Move every object alive now (spaCy, torch via camel-tools, the lexicons, this pipeline:
    some 240,000 objects) out of the garbage collector's reach.

    They live as long as the process, yet every full collection would sweep them again (about
    170 ms each; the records a batch keeps trigger one every few hundred articles). Garbage made
    while loading is collected first, so nothing collectable is frozen. build_pipeline is where
    an eventkg process has finished loading (the CLI, build workers, evaluation), hence here."""
    gc.collect()
    gc.freeze()


@dataclass(frozen=True)
class ArticleFailure:
    """An article the pipeline could not process, with the reason."""

    id: str
    path: Path
    reason: str


def _data_dir(nlp: Language) -> str:
    return nlp.get_pipe("eventkg_cues").lexicons.data_dir.as_posix()


def process_article(nlp: Language, article: Article) -> ArticleRecord:
    """Run the pipeline over one article and harvest its records."""
    doc = nlp.make_doc(article.text)
    doc._.article_id = article.id
    doc._.published = article.meta.published
    doc._.data_dir = _data_dir(nlp)
    try:
        doc = nlp(doc)
        return harvest(doc, article, load_lexicons(doc._.data_dir))
    finally:
        # the doc is a reference cycle (frames and cached span lists in doc.user_data hold Spans,
        # which hold the doc): emptied here it is freed at once, not left for the garbage
        # collector to find after promoting it through every generation
        doc.user_data.clear()


# Young-generation threshold while an article is processed (Python's default is 700). Most
# objects made for one article die with its doc (see process_article); at 700 the collector
# runs every few hundred words and sweeps the doc's live lists each time, at 10,000 those have
# mostly died first (garbage collection on 300 generated articles: about 230 ms → 45 ms).
YOUNG_THRESHOLD = 10_000


@contextlib.contextmanager
def _rarer_young_collections() -> Iterator[None]:
    """Raise the collector's generation-0 threshold for the block (never lower it, and leave
    automatic collection off if the threshold was 0); the previous thresholds are restored."""
    before = gc.get_threshold()
    if before[0]:
        gc.set_threshold(max(before[0], YOUNG_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def process(nlp: Language, articles: Iterable[Article]) -> Iterator[ArticleRecord | ArticleFailure]:
    """Records for each article in order; an exception inside one article becomes an ArticleFailure."""
    for article in articles:
        try:
            with _rarer_young_collections():
                record = process_article(nlp, article)
            yield record
        except Exception as exc:  # noqa: BLE001 — one broken article must not stop the batch
            yield ArticleFailure(article.id, article.path, f"{type(exc).__name__}: {exc}")
