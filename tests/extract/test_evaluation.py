"""The evaluation on the seed development set, with floors below which CI fails."""
from __future__ import annotations

from pathlib import Path

import pytest

from extract.evaluation import evaluate_folder, score_article
from extract.pipeline import process_article
from extract.reader import Article, ArticleMeta

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def table(nlp):
    return evaluate_folder(ROOT / "tests" / "gold", ROOT / "seeds", nlp=nlp)


def test_every_seed_is_scored(table):
    assert [row[0] for row in table.rows] == sorted(p.stem for p in (ROOT / "seeds").glob("*.txt")) + ["overall"]


def test_entity_f1_floor(table):
    assert table.total.entities.f1 >= 0.95


def test_event_f1_floor(table):
    assert table.total.events.f1 >= 0.84


def test_role_floor(table):
    assert table.total.role_micro.f1 >= 0.73


def test_killed_accuracy(table):
    assert table.total.killed_ok / table.total.pairs >= 0.9


@pytest.fixture(scope="module")
def dev_table(nlp):
    return evaluate_folder(ROOT / "tests" / "gold_dev", ROOT / "tests" / "gold_dev" / "articles", nlp=nlp)


def test_dev_set_floors(dev_table):
    """The held-out dev set (tests/gold_dev, not used to tune rules) guards generalisation."""
    assert len(dev_table.rows) == 9
    assert dev_table.total.entities.f1 >= 0.90
    assert dev_table.total.events.f1 >= 0.81
    assert dev_table.total.role_micro.f1 >= 0.59


def test_an_unnamed_source_is_credited_to_the_outlet_it_spoke_to(nlp):
    text = "وقال مصدر أمني لوكالة سانا إن الجيش سيطر على بلدة كفرنبل."
    record = process_article(nlp, Article(id="t", path=None, text=text, sha256="0" * 64, meta=ArticleMeta(id="t")))
    gold = {"entities": [{"label": "SANA", "aliases": ["سانا"]}, {"label": "Kafr Nabl", "aliases": ["كفرنبل"]},
                         {"label": "Syrian government forces", "aliases": ["الجيش"]}],
            "events": [{"type": "TerritorialGain", "agent": ["Syrian government forces"], "target": [],
                        "place": ["Kafr Nabl"], "source": ["SANA"], "date": None, "killed": None,
                        "evidence": "الجيش سيطر على بلدة كفرنبل"}]}
    score = score_article(record, gold, text)
    assert (score.roles["source"].tp, score.roles["source"].fp) == (1, 0)
