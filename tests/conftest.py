"""Shared fixtures: the loaded pipeline, the seed articles, their records and built graph."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extract.pipeline import ArticleFailure, build_pipeline, process
from extract.reader import collect_inputs, read_article

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = Path(__file__).resolve().parent / "gold"


@pytest.fixture(scope="session")
def nlp():
    """The eventkg pipeline, loaded once."""
    return build_pipeline()


@pytest.fixture(scope="session")
def seed_articles():
    paths, meta, errors = collect_inputs([SEEDS])
    assert not errors
    return [read_article(p, meta.get(p.stem)) for p in paths]


@pytest.fixture(scope="session")
def seed_records(nlp, seed_articles):
    records = list(process(nlp, seed_articles))
    assert not [r for r in records if isinstance(r, ArticleFailure)]
    return {r.id: r for r in records}


@pytest.fixture(scope="session")
def seed_copy(tmp_path_factory):
    """A private copy of the seeds folder (tests may add files to it)."""
    target = tmp_path_factory.mktemp("seeds") / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def doc_of(nlp):
    """Run the pipeline over one Arabic text (optionally with a published date)."""

    def run(text: str, published=None):
        doc = nlp.make_doc(text)
        doc._.published = published
        return nlp(doc)

    return run
