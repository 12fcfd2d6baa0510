"""How the batch runner treats Python's garbage collector: processed docs are freed without it,
its thresholds are the caller's again between articles, and what was loaded is frozen."""
from __future__ import annotations

import gc

import pytest

from extract.pipeline import ArticleFailure, YOUNG_THRESHOLD, process, process_article


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_a_processed_article_leaves_no_reference_cycle(nlp, seed_articles):
    """The doc (its frames hold Spans that hold the doc) is emptied after harvest, so nothing is
    left for the collector to find."""
    process_article(nlp, seed_articles[0])
    gc.collect()
    for article in seed_articles:
        record = process_article(nlp, article)
        assert record.events
        assert gc.collect() == 0, article.id


def test_thresholds_are_raised_per_article_and_restored(nlp, seed_articles, thresholds):
    gc.set_threshold(900, 11, 12)
    seen = []
    index = nlp.pipe_names.index("eventkg_events")
    name, component = nlp._components[index]

    def spy(doc):
        seen.append(gc.get_threshold())
        return component(doc)

    nlp._components[index] = (name, spy)   # what nlp(doc) runs: thresholds while in the pipeline
    try:
        for record in process(nlp, seed_articles[:2]):
            assert not isinstance(record, ArticleFailure), record
            # the consumer runs with its own settings between articles
            assert gc.get_threshold() == (900, 11, 12)
    finally:
        nlp._components[index] = (name, component)
    assert seen == [(YOUNG_THRESHOLD, 11, 12)] * 2
    assert gc.get_threshold() == (900, 11, 12)


def test_threshold_zero_keeps_automatic_collection_off(nlp, seed_articles, thresholds):
    gc.set_threshold(0)
    records = list(process(nlp, seed_articles[:1]))
    assert not isinstance(records[0], ArticleFailure)
    assert gc.get_threshold()[0] == 0


def test_loaded_objects_are_frozen(nlp):
    """build_pipeline moves what it loaded into the permanent generation (full collections skip it)."""
    assert gc.get_freeze_count() > 10_000
